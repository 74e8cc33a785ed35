//! The booking code and the secret (BK-CHANGE, BK-NOPII): the code names a booking (read back
//! to the caller, printed on the confirmation, shown at the counter); the secret, given once,
//! lets the booker change or cancel it on the web. Both are digits, because they are read out
//! over the telephone in any of eight languages. Only a hash of the secret is stored.

use sha2::{Digest, Sha256};

/// Digits of a booking code (shown as `1234-5678`).
const CODE_DIGITS: u32 = 8;
/// Digits of the secret. With the citizen pages' rate limits, guessing one takes years.
const SECRET_DIGITS: u32 = 6;

/// A new random booking code: 8 digits, the first not 0 (so it never loses a digit in a
/// spreadsheet).
pub fn new_code() -> String {
    let low = 10u64.pow(CODE_DIGITS - 1);
    let span = 9 * low;
    // The modulo bias of a u64 over 9e7 values is below 1e-11: not worth a rejection loop.
    (low + rand::random::<u64>() % span).to_string()
}

/// A new random secret: 6 digits.
pub fn new_secret() -> String {
    let span = 10u64.pow(SECRET_DIGITS);
    format!("{:06}", rand::random::<u64>() % span)
}

/// What the database keeps of a secret. Salted with the booking's code, so equal secrets of
/// two bookings hash differently. A plain hash suffices: the secret is random (not a password
/// a person chose), and a slow hash would make 500 bookings at once cost seconds of CPU.
pub fn secret_hash(code: &str, secret: &str) -> String {
    let digest = Sha256::digest(format!("tsunagu-booking:{code}:{secret}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `secret` is the booking's, compared in constant time.
pub fn secret_matches(code: &str, secret: &str, stored_hash: &str) -> bool {
    use subtle::ConstantTimeEq;
    let given = secret_hash(code, &normalize_digits(secret));
    bool::from(given.as_bytes().ct_eq(stored_hash.as_bytes()))
}

/// A code as people type or say it: `1234-5678`, `1234 5678`, full-width `１２３４５６７８`.
/// `None` when it is not 8 digits.
pub fn normalize_code(text: &str) -> Option<String> {
    let digits = normalize_digits(text);
    (digits.len() == CODE_DIGITS as usize && digits.chars().all(|c| c.is_ascii_digit())).then_some(digits)
}

/// How a code is shown: `1234-5678`.
pub fn display_code(code: &str) -> String {
    match (code.get(..4), code.get(4..)) {
        (Some(head), Some(tail)) if !tail.is_empty() => format!("{head}-{tail}"),
        _ => code.to_string(),
    }
}

fn normalize_digits(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, '-' | ' ' | '　' | 'ー' | '－'))
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_secrets_are_digits_of_their_length() {
        for _ in 0..1000 {
            let code = new_code();
            assert_eq!(code.len(), 8, "{code}");
            assert!(!code.starts_with('0'));
            assert_eq!(normalize_code(&code).as_deref(), Some(code.as_str()));
            let secret = new_secret();
            assert_eq!(secret.len(), 6, "{secret}");
            assert!(secret.chars().all(|c| c.is_ascii_digit()));
        }
    }

    #[test]
    fn codes_are_read_as_people_write_them() {
        assert_eq!(normalize_code("1234-5678").as_deref(), Some("12345678"));
        assert_eq!(normalize_code("１２３４－５６７８").as_deref(), Some("12345678"));
        assert_eq!(normalize_code(" 1234 5678 ").as_deref(), Some("12345678"));
        assert_eq!(normalize_code("1234-567"), None);
        assert_eq!(normalize_code("1234-567X"), None);
        assert_eq!(display_code("12345678"), "1234-5678");
    }

    #[test]
    fn only_the_right_secret_matches() {
        let hash = secret_hash("12345678", "004217");
        assert!(secret_matches("12345678", "004217", &hash));
        assert!(secret_matches("12345678", "００４２１７", &hash));
        assert!(!secret_matches("12345678", "004218", &hash));
        assert!(!secret_matches("12345679", "004217", &hash), "salted with the code");
        assert_ne!(hash, secret_hash("87654321", "004217"));
    }
}
