//! DTMF digits from the caller: RFC 4733 telephone-events in RTP, and SIP INFO bodies
//! (`application/dtmf-relay`, `application/dtmf`). Pure: packets in, digits out.

use std::fmt;

/// A DTMF key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digit(char);

impl Digit {
    /// `0`–`9`, `*`, `#`, `A`–`D`.
    pub fn from_char(c: char) -> Option<Digit> {
        let c = c.to_ascii_uppercase();
        matches!(c, '0'..='9' | '*' | '#' | 'A'..='D').then_some(Digit(c))
    }

    /// The RFC 4733 event code (0–9, 10 = `*`, 11 = `#`, 12–15 = A–D).
    pub fn from_event(event: u8) -> Option<Digit> {
        let c = match event {
            0..=9 => char::from(b'0' + event),
            10 => '*',
            11 => '#',
            12..=15 => char::from(b'A' + event - 12),
            _ => return None,
        };
        Some(Digit(c))
    }

    pub fn event(self) -> u8 {
        match self.0 {
            '*' => 10,
            '#' => 11,
            c @ 'A'..='D' => c as u8 - b'A' + 12,
            c => c as u8 - b'0',
        }
    }

    pub fn as_char(self) -> char {
        self.0
    }
}

impl fmt::Display for Digit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Turns a stream of telephone-event RTP payloads into digits, once each.
///
/// One key press is many packets that share an RTP timestamp: updates while the key is held,
/// then the end packet sent three times. We report a digit at its first packet (the caller
/// hears the menu react at once) and ignore every later packet of the same event.
#[derive(Debug, Default)]
pub struct TelephoneEventDecoder {
    last: Option<(u32, u8)>,
}

impl TelephoneEventDecoder {
    pub fn new() -> TelephoneEventDecoder {
        TelephoneEventDecoder::default()
    }

    /// Feeds one packet's payload with its RTP timestamp; returns a digit when a new key press
    /// starts. Malformed payloads (shorter than 4 bytes) and events that are not keys are ignored.
    pub fn push(&mut self, rtp_timestamp: u32, payload: &[u8]) -> Option<Digit> {
        let [event, ..] = *payload else { return None };
        if payload.len() < 4 {
            return None;
        }
        let key = (rtp_timestamp, event);
        if self.last == Some(key) {
            return None;
        }
        self.last = Some(key);
        Digit::from_event(event)
    }
}

/// The digit of a SIP INFO body: `Signal=5` lines (application/dtmf-relay) or a bare digit
/// (application/dtmf).
pub fn digit_from_info(content_type: &str, body: &str) -> Option<Digit> {
    let content_type = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match content_type.as_str() {
        "application/dtmf-relay" => body.lines().find_map(|line| {
            let (key, value) = line.split_once('=')?;
            if !key.trim().eq_ignore_ascii_case("signal") {
                return None;
            }
            let value = value.trim();
            match value.parse::<u8>() {
                Ok(n) if n >= 10 => Digit::from_event(n),
                _ => single_char(value),
            }
        }),
        "application/dtmf" => single_char(body.trim()),
        _ => None,
    }
}

fn single_char(text: &str) -> Option<Digit> {
    let mut chars = text.chars();
    let c = chars.next()?;
    chars.next().is_none().then_some(())?;
    Digit::from_char(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(event: u8, end: bool, duration: u16) -> [u8; 4] {
        let d = duration.to_be_bytes();
        [event, if end { 0x80 | 10 } else { 10 }, d[0], d[1]]
    }

    #[test]
    fn one_key_press_is_one_digit_despite_updates_and_end_retransmissions() {
        let mut decoder = TelephoneEventDecoder::new();
        let mut digits = Vec::new();
        for (ts, event) in [(1000, 1), (5000, 11)] {
            for duration in [160, 320, 480] {
                digits.extend(decoder.push(ts, &payload(event, false, duration)));
            }
            for _ in 0..3 {
                digits.extend(decoder.push(ts, &payload(event, true, 640)));
            }
        }
        let text: String = digits.iter().map(|d| d.as_char()).collect();
        assert_eq!(text, "1#");
    }

    #[test]
    fn the_same_key_twice_is_two_digits() {
        let mut decoder = TelephoneEventDecoder::new();
        assert!(decoder.push(100, &payload(5, false, 160)).is_some());
        assert!(decoder.push(100, &payload(5, true, 800)).is_none());
        assert!(decoder.push(2000, &payload(5, false, 160)).is_some());
    }

    #[test]
    fn garbage_payloads_are_ignored() {
        let mut decoder = TelephoneEventDecoder::new();
        assert_eq!(decoder.push(1, &[]), None);
        assert_eq!(decoder.push(1, &[3, 0]), None);
        assert_eq!(decoder.push(2, &[200, 0, 0, 0]), None, "event 200 is not a key");
    }

    #[test]
    fn sip_info_bodies() {
        assert_eq!(
            digit_from_info("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n"),
            Digit::from_char('5')
        );
        assert_eq!(
            digit_from_info("application/dtmf-relay", "Signal= #\r\n"),
            Digit::from_char('#')
        );
        assert_eq!(
            digit_from_info("application/dtmf-relay", "Signal=11\r\n"),
            Digit::from_char('#')
        );
        assert_eq!(digit_from_info("application/dtmf", "7"), Digit::from_char('7'));
        assert_eq!(digit_from_info("application/dtmf", "77"), None);
        assert_eq!(digit_from_info("text/plain", "Signal=5"), None);
    }

    #[test]
    fn event_codes_round_trip() {
        for c in "0123456789*#ABCD".chars() {
            let d = Digit::from_char(c).unwrap_or_else(|| panic!("{c}"));
            assert_eq!(Digit::from_event(d.event()), Some(d));
        }
    }
}
