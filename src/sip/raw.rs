//! What our edge checks on the raw bytes of a datagram before rsipstack parses it, and the
//! minimal response we build ourselves when rsipstack could not answer (RFC 3261 §8.2.6).
//!
//! Why: rsipstack accepts some malformed requests (an Request-URI in angle brackets, extra
//! spaces in the request line, a Content-Length larger than the datagram, two Content-Lengths)
//! and silently drops requests it cannot parse, so the sender would retransmit into silence.
//! A datagram that is SIP enough to answer gets a clear status here; responses are never
//! answered (that would start loops); what has no Via/From/To/Call-ID/CSeq cannot be answered
//! and is only dropped and counted.

/// What to do with a datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Let rsipstack handle it.
    Pass,
    /// Answer with this status and drop it.
    Reject(u16, &'static str),
}

const KNOWN_METHODS: [&str; 14] = [
    "INVITE",
    "ACK",
    "CANCEL",
    "BYE",
    "OPTIONS",
    "INFO",
    "UPDATE",
    "REGISTER",
    "MESSAGE",
    "SUBSCRIBE",
    "NOTIFY",
    "REFER",
    "PRACK",
    "PUBLISH",
];

/// The header block (unfolded lines) and the body of a datagram.
fn split(datagram: &[u8]) -> (Vec<String>, &[u8]) {
    let (head, body) = match find(datagram, b"\r\n\r\n") {
        Some(at) => (&datagram[..at], &datagram[at + 4..]),
        None => (datagram, &datagram[datagram.len()..]),
    };
    let text = String::from_utf8_lossy(head);
    let mut lines: Vec<String> = Vec::new();
    for line in text.split("\r\n") {
        // A folded line continues the header before it (RFC 3261 §7.3.1); the request line
        // (the first) is never continued.
        let folded = line.starts_with([' ', '\t']) && lines.len() > 1;
        match lines.last_mut() {
            Some(last) if folded => {
                last.push(' ');
                last.push_str(line.trim());
            }
            _ => lines.push(line.to_string()),
        }
    }
    (lines, body)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The name of a header line, in its long form and lower case.
fn header_name(line: &str) -> Option<String> {
    let (name, _) = line.split_once(':')?;
    let name = name.trim().to_ascii_lowercase();
    let long = match name.as_str() {
        "v" => "via",
        "f" => "from",
        "t" => "to",
        "i" => "call-id",
        "l" => "content-length",
        "c" => "content-type",
        "m" => "contact",
        other => other,
    };
    Some(long.to_string())
}

fn find_header<'a>(lines: &'a [String], name: &str) -> Option<&'a str> {
    lines
        .iter()
        .skip(1)
        .find(|l| header_name(l).as_deref() == Some(name))
        .map(|l| header_value(l))
}

fn header_value(line: &str) -> &str {
    line.split_once(':').map_or("", |(_, v)| v.trim())
}

/// Checks a datagram's request line and framing.
pub fn check(datagram: &[u8]) -> Verdict {
    let (lines, body) = split(datagram);
    let Some(request_line) = lines.first() else {
        return Verdict::Pass;
    };
    if request_line.starts_with("SIP/") || request_line.trim().is_empty() {
        return Verdict::Pass; // responses and keep-alives are the stack's business
    }
    let parts: Vec<&str> = request_line.split(' ').collect();
    if parts.len() != 3 || parts.iter().any(|p| p.is_empty()) {
        return Verdict::Reject(400, "Bad Request (malformed request line)");
    }
    let (method, uri, version) = (parts[0], parts[1], parts[2]);
    if uri.contains(['<', '>', '"', '\t']) {
        return Verdict::Reject(400, "Bad Request (malformed Request-URI)");
    }
    let scheme = uri.split(':').next().unwrap_or("").to_ascii_lowercase();
    if !matches!(scheme.as_str(), "sip" | "sips" | "tel") || !uri.contains(':') {
        return Verdict::Reject(416, "Unsupported URI Scheme");
    }
    if version != "SIP/2.0" {
        return if version.starts_with("SIP/") {
            Verdict::Reject(505, "Version Not Supported")
        } else {
            Verdict::Reject(400, "Bad Request (malformed request line)")
        };
    }
    if !KNOWN_METHODS.contains(&method) {
        return Verdict::Reject(501, "Not Implemented");
    }
    let lengths: Vec<&str> = lines
        .iter()
        .filter(|l| header_name(l).as_deref() == Some("content-length"))
        .map(|l| header_value(l))
        .collect();
    match lengths.as_slice() {
        [] => {}
        [one] => match one.parse::<usize>() {
            Ok(n) if n <= body.len() => {}
            Ok(_) => return Verdict::Reject(400, "Bad Request (Content-Length larger than the message)"),
            Err(_) => return Verdict::Reject(400, "Bad Request (malformed Content-Length)"),
        },
        _ => return Verdict::Reject(400, "Bad Request (several Content-Length headers)"),
    }
    if method != "ACK" {
        match find_header(&lines, "from") {
            Some(from) if from.contains("tag=") || from.contains("tag =") => {}
            Some(_) => {
                return Verdict::Reject(
                    400,
                    "Bad Request (From without a tag: RFC 2543 peers are not supported)",
                );
            }
            None => {}
        }
    }
    if let Some(cseq) = find_header(&lines, "cseq") {
        let number = cseq.split_whitespace().next().unwrap_or("");
        if number.parse::<u32>().map_or(true, |n| n >= 1 << 31) {
            return Verdict::Reject(400, "Bad Request (malformed CSeq)");
        }
    }
    for name in ["from", "to", "contact"] {
        if find_header(&lines, name).is_some_and(|v| v.contains("< ") || v.contains(" >")) {
            return Verdict::Reject(400, "Bad Request (spaces inside <>)");
        }
    }
    for single in ["from", "to", "call-id", "cseq", "max-forwards", "content-type"] {
        if lines
            .iter()
            .filter(|l| header_name(l).as_deref() == Some(single))
            .count()
            > 1
        {
            return Verdict::Reject(400, "Bad Request (a single-valued header appears twice)");
        }
    }
    Verdict::Pass
}

/// The datagram with its folded header lines joined (CRLF followed by white space becomes one
/// space, which RFC 3261 §7.3.1 makes equivalent), so that rsipstack, which misreads some
/// folded headers (a From tag on a continuation line), sees the plain form. The body is left
/// as it is. Returns the new length; the datagram only ever gets shorter.
pub fn unfold_in_place(buf: &mut [u8], len: usize) -> usize {
    let head_end = find(&buf[..len], b"\r\n\r\n").map_or(len, |at| at + 2);
    let mut read = 0;
    let mut write = 0;
    while read < len {
        let folded = read < head_end
            && read + 2 < head_end
            && buf[read] == b'\r'
            && buf[read + 1] == b'\n'
            && matches!(buf[read + 2], b' ' | b'\t')
            && read > 0;
        if folded {
            buf[write] = b' ';
            write += 1;
            read += 2;
            while read < head_end && matches!(buf[read], b' ' | b'\t') {
                read += 1;
            }
            continue;
        }
        buf[write] = buf[read];
        write += 1;
        read += 1;
    }
    write
}

/// Whether the datagram is a request at all (responses are never answered).
pub fn is_request(datagram: &[u8]) -> bool {
    let (lines, _) = split(datagram);
    lines
        .first()
        .is_some_and(|l| !l.starts_with("SIP/") && !l.trim().is_empty())
}

/// A minimal response to a request that rsipstack cannot answer: the request's Via headers,
/// From, To (with a tag added), Call-ID and CSeq. `None` when those are not all there, for an
/// ACK (never answered), or for a response.
pub fn response(datagram: &[u8], code: u16, reason: &str) -> Option<Vec<u8>> {
    let (lines, _) = split(datagram);
    let request_line = lines.first()?;
    if request_line.starts_with("SIP/") || request_line.starts_with("ACK ") {
        return None;
    }
    let find_one = |name: &str| {
        lines
            .iter()
            .skip(1)
            .find(|l| header_name(l).as_deref() == Some(name))
            .map(|l| header_value(l))
    };
    let vias: Vec<&str> = lines
        .iter()
        .skip(1)
        .filter(|l| header_name(l).as_deref() == Some("via"))
        .map(|l| header_value(l))
        .collect();
    let (from, to, call_id, cseq) = (
        find_one("from")?,
        find_one("to")?,
        find_one("call-id")?,
        find_one("cseq")?,
    );
    if vias.is_empty() {
        return None;
    }
    let mut out = format!("SIP/2.0 {code} {reason}\r\n");
    for via in vias {
        out.push_str(&format!("Via: {via}\r\n"));
    }
    out.push_str(&format!("From: {from}\r\n"));
    let to_tag = if to.contains("tag=") {
        String::new()
    } else {
        ";tag=tsunagu-edge".to_string()
    };
    out.push_str(&format!("To: {to}{to_tag}\r\nCall-ID: {call_id}\r\nCSeq: {cseq}\r\n"));
    if code == 501 || code == 405 {
        out.push_str("Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE\r\n");
    }
    out.push_str("Content-Length: 0\r\n\r\n");
    Some(out.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPTIONS: &str = "OPTIONS sip:user@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n\
From: <sip:a@example.com>;tag=1\r\nTo: <sip:user@example.com>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";

    #[test]
    fn well_formed_requests_pass() {
        assert_eq!(check(OPTIONS.as_bytes()), Verdict::Pass);
        assert_eq!(check(b"SIP/2.0 200 OK\r\n\r\n"), Verdict::Pass);
        assert_eq!(check(b"\r\n\r\n"), Verdict::Pass);
    }

    #[test]
    fn malformed_request_lines_and_framing_are_refused() {
        let bad = |from: &str, to: &str| check(OPTIONS.replacen(from, to, 1).as_bytes());
        assert_eq!(
            bad("sip:user@example.com SIP", "<sip:user@example.com> SIP"),
            Verdict::Reject(400, "Bad Request (malformed Request-URI)")
        );
        assert_eq!(
            bad("OPTIONS sip", "OPTIONS  sip"),
            Verdict::Reject(400, "Bad Request (malformed request line)")
        );
        assert_eq!(
            bad(" SIP/2.0\r\nVia", " SIP/7.0\r\nVia"),
            Verdict::Reject(505, "Version Not Supported")
        );
        assert_eq!(
            bad("OPTIONS sip", "NEWMETHOD sip"),
            Verdict::Reject(501, "Not Implemented")
        );
        assert_eq!(
            bad("Content-Length: 0", "Content-Length: 99"),
            Verdict::Reject(400, "Bad Request (Content-Length larger than the message)")
        );
        assert_eq!(
            bad("Content-Length: 0", "Content-Length: -1"),
            Verdict::Reject(400, "Bad Request (malformed Content-Length)")
        );
        assert_eq!(
            bad("Content-Length: 0", "Content-Length: 0\r\nl: 0"),
            Verdict::Reject(400, "Bad Request (several Content-Length headers)")
        );
        assert_eq!(
            bad("Call-ID: c1", "Call-ID: c1\r\ni: c2"),
            Verdict::Reject(400, "Bad Request (a single-valued header appears twice)")
        );
        assert_eq!(
            bad("sip:user@example.com SIP", "soap.beep://x SIP"),
            Verdict::Reject(416, "Unsupported URI Scheme")
        );
        assert_eq!(
            bad(";tag=1", ""),
            Verdict::Reject(
                400,
                "Bad Request (From without a tag: RFC 2543 peers are not supported)"
            )
        );
        assert_eq!(
            bad("CSeq: 1 OPTIONS", "CSeq: 36893488147419103232 OPTIONS"),
            Verdict::Reject(400, "Bad Request (malformed CSeq)")
        );
        assert_eq!(
            bad("To: <sip:user@example.com>", "To: < sip:user@example.com >"),
            Verdict::Reject(400, "Bad Request (spaces inside <>)")
        );
    }

    #[test]
    fn folded_headers_are_joined_and_bodies_left_alone() {
        let text = "INVITE sip:x SIP/2.0\r\nFrom: <sip:a@b>\r\n  ;\r\n  tag = 98\r\nCSeq: 9\r\n\tINVITE\r\n\r\nv=0\r\n o=keep\r\n";
        let mut buf = text.as_bytes().to_vec();
        let len = unfold_in_place(&mut buf, text.len());
        let out = String::from_utf8_lossy(&buf[..len]);
        assert_eq!(
            out,
            "INVITE sip:x SIP/2.0\r\nFrom: <sip:a@b> ; tag = 98\r\nCSeq: 9 INVITE\r\n\r\nv=0\r\n o=keep\r\n"
        );
    }

    #[test]
    fn the_minimal_response_copies_what_routes_it_back() {
        let answer = response(OPTIONS.as_bytes(), 400, "Bad Request").unwrap_or_default();
        let text = String::from_utf8_lossy(&answer);
        assert!(
            text.starts_with("SIP/2.0 400 Bad Request\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"),
            "{text}"
        );
        assert!(
            text.contains("To: <sip:user@example.com>;tag=tsunagu-edge\r\n"),
            "{text}"
        );
        assert!(
            text.contains("CSeq: 1 OPTIONS\r\n") && text.ends_with("Content-Length: 0\r\n\r\n"),
            "{text}"
        );
        // Folded headers are unfolded; compact names are understood.
        let folded = "BOGUS sip:x SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bK2\r\nf: <sip:a@b>\r\n ;tag=9\r\nt: <sip:x>\r\ni: c\r\nCSeq: 1 BOGUS\r\n\r\n";
        let text = String::from_utf8_lossy(&response(folded.as_bytes(), 501, "Not Implemented").unwrap_or_default())
            .into_owned();
        assert!(
            text.contains("From: <sip:a@b> ;tag=9\r\n") && text.contains("Allow: "),
            "{text}"
        );
        assert_eq!(
            response(b"ACK sip:x SIP/2.0\r\nVia: v\r\n\r\n", 400, "x"),
            None,
            "an ACK is never answered"
        );
        assert_eq!(
            response(b"SIP/2.0 200 OK\r\n\r\n", 400, "x"),
            None,
            "a response is never answered"
        );
        assert_eq!(
            response(b"INVITE sip:x SIP/2.0\r\nVia: v\r\n\r\n", 400, "x"),
            None,
            "nothing to route a response with"
        );
    }
}
