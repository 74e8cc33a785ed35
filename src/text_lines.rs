//! Line numbers for messages about data files (calendars, flows, the configuration): every
//! problem is reported as `FILE: line N: …`.

/// The 1-based line of a byte offset in `source` (offsets past the end give the last line).
pub fn line_of(source: &str, offset: usize) -> usize {
    let end = offset.min(source.len());
    source.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1
}

#[cfg(test)]
mod tests {
    #[test]
    fn lines_start_at_one() {
        assert_eq!(super::line_of("a\nb\nc", 0), 1);
        assert_eq!(super::line_of("a\nb\nc", 2), 2);
        assert_eq!(super::line_of("a\nb\nc", 99), 3);
    }
}
