//! Personal data as a type (CC-PRIV): callers' numbers, the numbers agents dial, and later
//! booking contacts travel as [`Pii`], whose `Debug` and `Display` print a mask. Code that
//! must see the value (the store, which keeps it; the agent's page, which shows it) calls
//! [`Pii::expose`], so every place that handles the value itself is one `grep` away.
//!
//! [`scrub`] is the last line of defence for text we do not write ourselves (a SIP stack's log
//! line, an error message that quotes a URI): it masks anything that looks like a phone number.

use std::fmt;

/// A value that must not reach a log line or an error message.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Pii<T>(T);

/// A telephone number: the caller's, the dialled one, the one a call-back goes to.
pub type PhoneNumber = Pii<String>;
/// A booker's e-mail address, kept for notices only and deleted after the appointment.
pub type EmailAddress = Pii<String>;

const MASK: &str = "[redacted]";

impl<T> Pii<T> {
    pub fn new(value: T) -> Pii<T> {
        Pii(value)
    }

    /// The value itself: for the store and the pages that must show it.
    pub fn expose(&self) -> &T {
        &self.0
    }

    pub fn into_inner(self) -> T {
        self.0
    }
}

impl Pii<String> {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Pii<String> {
    fn from(value: String) -> Self {
        Pii(value)
    }
}

impl From<&str> for Pii<String> {
    fn from(value: &str) -> Self {
        Pii(value.to_string())
    }
}

/// Personal data may come in (a number typed on the agent's page); it never goes out by
/// serialisation: there is no `Serialize`, a page that shows it calls `expose`.
impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Pii<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Pii)
    }
}

impl<T> fmt::Debug for Pii<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

impl<T> fmt::Display for Pii<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

/// The fewest digits a run must have to be taken for a telephone number. Japanese numbers have
/// 10 or 11 digits; 7 still catches a local number without its area code, and leaves ports,
/// years, times and counters alone.
const MIN_DIGITS: usize = 7;

/// `text` with everything that looks like a telephone number replaced by `[redacted]`: a run
/// of at least [`MIN_DIGITS`] digits, either unbroken (`09012345678`) or in groups joined by
/// single hyphens or spaces that starts with `0` or `+` (`044-200-1234`, `+81 90 1234 5678`),
/// so that dates (`2026-12-02`) stay readable. False positives (a long counter, an SSRC) only
/// cost a log line some detail.
pub fn scrub(text: &str) -> std::borrow::Cow<'_, str> {
    let bytes = text.as_bytes();
    let digit_at = |k: usize| bytes.get(k).is_some_and(u8::is_ascii_digit);
    let mut out = String::new();
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        let plus = bytes[i] == b'+' && digit_at(i + 1);
        if !(digit_at(i) || plus) {
            i += 1;
            continue;
        }
        let start = i;
        let mut j = if plus { i + 1 } else { i };
        let first_digit = bytes[j];
        let (mut digits, mut grouped, mut end) = (0, false, j);
        while j < bytes.len() {
            if digit_at(j) {
                digits += 1;
                j += 1;
                end = j;
            } else if matches!(bytes[j], b'-' | b' ') && digit_at(j + 1) {
                grouped = true;
                j += 1;
            } else {
                break;
            }
        }
        let phone_like = digits >= MIN_DIGITS && (!grouped || plus || first_digit == b'0');
        if phone_like {
            out.push_str(&text[copied..start]);
            out.push_str(MASK);
            copied = end;
        }
        i = end.max(i + 1);
    }
    if copied == 0 {
        return std::borrow::Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_value_never_prints_and_is_there_for_who_asks() {
        let number = PhoneNumber::from("09012345678");
        assert_eq!(format!("{number}"), "[redacted]");
        assert_eq!(format!("{number:?}"), "[redacted]");
        assert_eq!(format!("{:?}", Some(number.clone())), "Some([redacted])");
        assert_eq!(number.expose(), "09012345678");
    }

    #[test]
    fn numbers_in_free_text_are_masked_and_the_rest_is_kept() {
        assert_eq!(
            scrub("INVITE sip:09012345678@127.0.0.1:5060 SIP/2.0"),
            "INVITE sip:[redacted]@127.0.0.1:5060 SIP/2.0"
        );
        assert_eq!(scrub("call 044-200-1234 now"), "call [redacted] now");
        assert_eq!(scrub("from +81 90 1234 5678."), "from [redacted].");
        assert_eq!(scrub("0312345678 and 0120380366"), "[redacted] and [redacted]");
        for kept in [
            "2026-12-02T04:24:41.123456Z port 5060, 127.0.0.1 v0.7.14",
            "2026 12 02 1234",
            "no digits at all",
            "CSeq: 102 INVITE",
            "a - b",
        ] {
            assert_eq!(scrub(kept), kept);
        }
    }
}
