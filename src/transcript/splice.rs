//! Speech regions packed into whisper's windows. Whisper always works on 30 s, so a call's
//! utterances one by one would cost 30 s of work each: they are laid end to end (a short gap of
//! silence between them) in windows of at most [`WINDOW_MS`], and the times whisper gives in a
//! window are mapped back to the channel's own clock.

use super::voice::Region;

/// Longest window (whisper's is 30 s; a margin keeps the last words inside).
pub const WINDOW_MS: usize = 28_000;
/// Silence laid between two regions in a window.
pub const GAP_MS: usize = 300;

/// A piece of the channel placed in a window: `len` samples from `source` at `at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    pub at: usize,
    pub source: usize,
    pub len: usize,
}

/// One window: where its pieces come from, and its length in samples.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Window {
    pub pieces: Vec<Piece>,
    pub len: usize,
}

impl Window {
    /// The window's audio from the channel's samples.
    pub fn audio(&self, samples: &[i16]) -> Vec<i16> {
        let mut out = vec![0i16; self.len];
        for piece in &self.pieces {
            let end = (piece.source + piece.len).min(samples.len());
            let part = &samples[piece.source.min(end)..end];
            out[piece.at..piece.at + part.len()].copy_from_slice(part);
        }
        out
    }

    /// A time in the window (samples) on the channel's clock (samples): within a piece it maps
    /// through that piece; in a gap it is pulled to the nearer piece's edge.
    pub fn to_source(&self, at: usize) -> usize {
        let mut best: Option<(usize, usize)> = None; // (distance, source time)
        for piece in &self.pieces {
            let (distance, mapped) = if at < piece.at {
                (piece.at - at, piece.source)
            } else if at <= piece.at + piece.len {
                (0, piece.source + (at - piece.at))
            } else {
                (at - piece.at - piece.len, piece.source + piece.len)
            };
            if best.is_none_or(|(d, _)| distance < d) {
                best = Some((distance, mapped));
            }
        }
        best.map_or(at, |(_, mapped)| mapped)
    }
}

/// Packs regions (8 kHz samples) into windows of at most `WINDOW_MS`.
pub fn windows(regions: &[Region], rate: usize) -> Vec<Window> {
    let max = WINDOW_MS * rate / 1000;
    let gap = GAP_MS * rate / 1000;
    let mut out: Vec<Window> = Vec::new();
    let mut current = Window::default();
    for region in regions {
        let mut source = region.start;
        while source < region.end {
            let room = max.saturating_sub(current.len + if current.pieces.is_empty() { 0 } else { gap });
            let left = region.end - source;
            // A region that does not fit starts a window of its own (split only when it is
            // longer than a whole window).
            if left > room && !current.pieces.is_empty() {
                out.push(std::mem::take(&mut current));
                continue;
            }
            let len = left.min(max);
            let at = if current.pieces.is_empty() {
                0
            } else {
                current.len + gap
            };
            current.pieces.push(Piece { at, source, len });
            current.len = at + len;
            source += len;
        }
    }
    if !current.pieces.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: usize = 8000;

    fn region(from_s: f64, to_s: f64) -> Region {
        Region {
            start: (from_s * RATE as f64) as usize,
            end: (to_s * RATE as f64) as usize,
        }
    }

    #[test]
    fn short_utterances_share_a_window_with_gaps_between() {
        let out = windows(&[region(1.0, 3.0), region(10.0, 12.5)], RATE);
        assert_eq!(out.len(), 1);
        let w = &out[0];
        assert_eq!(
            w.pieces[0],
            Piece {
                at: 0,
                source: 8000,
                len: 16000
            }
        );
        assert_eq!(
            w.pieces[1],
            Piece {
                at: 16000 + 2400,
                source: 80000,
                len: 20000
            }
        );
        assert_eq!(w.len, 16000 + 2400 + 20000);
        // 0.5 s into the window is 1.5 s into the channel; 2.5 s in is 10.2 s.
        assert_eq!(w.to_source(4000), 12000);
        assert_eq!(w.to_source(16000 + 2400 + 1600), 81600);
        // In the gap: the nearer edge.
        assert_eq!(w.to_source(16000 + 400), 8000 + 16000);
        assert_eq!(w.to_source(16000 + 2300), 80000);
    }

    #[test]
    fn a_window_is_never_longer_than_the_limit_and_long_speech_is_split() {
        let out = windows(&[region(0.0, 20.0), region(25.0, 40.0), region(50.0, 110.0)], RATE);
        assert!(out.iter().all(|w| w.len <= WINDOW_MS * RATE / 1000));
        let covered: usize = out.iter().flat_map(|w| &w.pieces).map(|p| p.len).sum();
        assert_eq!(covered, (20 + 15 + 60) * RATE);
        assert_eq!(out.len(), 5, "20 | 15 | 28 | 28 | 4");
    }

    #[test]
    fn a_windows_audio_is_its_pieces_with_silence_between() {
        let samples: Vec<i16> = (0..40000).map(|n| (n % 1000) as i16 + 1).collect();
        let out = windows(&[region(0.5, 1.0), region(2.0, 2.25)], RATE);
        let audio = out[0].audio(&samples);
        assert_eq!(audio.len(), 4000 + 2400 + 2000);
        assert_eq!(audio[0], samples[4000]);
        assert!(audio[4000..6400].iter().all(|s| *s == 0));
        assert_eq!(audio[6400], samples[16000]);
    }
}
