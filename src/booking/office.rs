//! Offices as data (BK-HOURS, BK-SLOT): a card center or ward office, its opening calendar, its
//! booking mailbox, and per service the slot length and the capacity of one slot. Read from
//! TOML files (`ops/config/offices/*.toml`); every problem is reported with its line.
//!
//! ```toml
//! id = "kawasaki-center-kosugi"
//! name = "小杉マイナンバーカードセンター"
//! name_en = "Kosugi My Number Card Center"
//! address = "川崎市中原区中丸子35番地9 ディール武蔵小杉2階"
//! mailbox = "yoyaku-kosugi@example.jp"
//! calendar = "kawasaki-card-center"
//!
//! [services.card_pickup]
//! slot_minutes = 30
//! capacity = 11
//! ```

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::service::Service;
use crate::text_lines::line_of;

/// Slots are 5 minutes to 4 hours long.
pub const SLOT_MINUTES: std::ops::RangeInclusive<u16> = 5..=240;
/// No slot takes more than this many bookings (a typo of 1000 is refused, not obeyed).
pub const MAX_CAPACITY: u32 = 500;

/// One office that takes bookings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Office {
    /// Lowercase letters, digits and '-': it names the office in URLs, rows and CSV.
    pub id: String,
    /// The name in Japanese, as the city writes it.
    pub name: String,
    pub name_en: String,
    pub address: String,
    /// The booking mailbox notices are sent from (BK-NOTIFY: one per office).
    pub mailbox: String,
    /// The id of the opening calendar (`ops/config/calendars/`).
    pub calendar: String,
    /// The services booked here. A service not listed is not bookable at this office (Yokosuka
    /// renews certificates walk-in only).
    pub services: BTreeMap<Service, Offer>,
}

/// How one service is booked at one office.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Offer {
    /// The length of a slot. Slots start at each opening and follow one another.
    pub slot_minutes: u16,
    /// Bookings one slot takes (usually the counters serving the service).
    pub capacity: u32,
}

impl Office {
    pub fn offer(&self, service: Service) -> Option<Offer> {
        self.services.get(&service).copied()
    }

    /// The office as a file again (for revisions saved by staff).
    pub fn to_toml(&self) -> String {
        // Serialising plain strings, numbers and maps cannot fail.
        toml::to_string(self).unwrap_or_default()
    }
}

/// An office file that could not be used, with every problem found in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct InvalidOffice {
    /// A path, `built-in:<file>` or `database:<id>`.
    pub origin: String,
    /// (line, message)
    pub problems: Vec<(usize, String)>,
}

impl fmt::Display for InvalidOffice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, (line, message)) in self.problems.iter().enumerate() {
            if n > 0 {
                writeln!(f)?;
            }
            write!(f, "{}: line {line}: {message}", self.origin)?;
        }
        Ok(())
    }
}

/// Parses and checks an office file.
pub fn parse(origin: &str, source: &str) -> Result<Office, InvalidOffice> {
    let invalid = |problems| InvalidOffice {
        origin: origin.to_string(),
        problems,
    };
    let office: Office = toml::from_str(source).map_err(|e| {
        let line = e.span().map_or(1, |span| line_of(source, span.start));
        invalid(vec![(line, e.message().to_string())])
    })?;
    // Line of the first occurrence of a key, for checks done after parsing.
    let line_of_key = |key: &str| {
        source
            .find(&format!("{key} ="))
            .or_else(|| source.find(key))
            .map_or(1, |at| line_of(source, at))
    };
    let mut problems = Vec::new();
    if !valid_id(&office.id) {
        problems.push((
            line_of_key("id"),
            format!("id '{}': use lowercase letters, digits and '-' (1 to 64)", office.id),
        ));
    }
    for (key, value) in [
        ("name", &office.name),
        ("name_en", &office.name_en),
        ("calendar", &office.calendar),
    ] {
        if value.trim().is_empty() {
            problems.push((line_of_key(key), format!("{key} must not be empty")));
        }
    }
    if !office.mailbox.contains('@') {
        problems.push((
            line_of_key("mailbox"),
            format!("mailbox '{}' is not an e-mail address", office.mailbox),
        ));
    }
    for (service, offer) in &office.services {
        let at = line_of_key(&format!("[services.{service}]"));
        if !SLOT_MINUTES.contains(&offer.slot_minutes) {
            problems.push((
                at,
                format!(
                    "{service}: slot_minutes {} is out of range ({} to {})",
                    offer.slot_minutes,
                    SLOT_MINUTES.start(),
                    SLOT_MINUTES.end()
                ),
            ));
        }
        if offer.capacity > MAX_CAPACITY {
            problems.push((
                at,
                format!("{service}: capacity {} is above {MAX_CAPACITY}", offer.capacity),
            ));
        }
    }
    if problems.is_empty() {
        Ok(office)
    } else {
        Err(invalid(problems))
    }
}

fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    const KOSUGI: &str = r#"
id = "kawasaki-center-kosugi"
name = "小杉マイナンバーカードセンター"
name_en = "Kosugi My Number Card Center"
address = "川崎市中原区中丸子35番地9"
mailbox = "yoyaku-kosugi@example.jp"
calendar = "kawasaki-card-center"

[services.card_pickup]
slot_minutes = 30
capacity = 11

[services.certificate_renewal]
slot_minutes = 30
capacity = 7
"#;

    #[test]
    fn an_office_file_gives_its_services() {
        let office = parse("test", KOSUGI).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            office.offer(Service::CardPickup),
            Some(Offer {
                slot_minutes: 30,
                capacity: 11
            })
        );
        assert_eq!(office.offer(Service::VisitRequest), None);
        let again = parse("again", &office.to_toml()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(again, office, "a saved revision reads back the same");
    }

    #[test]
    fn problems_are_reported_with_their_lines() {
        let broken = KOSUGI
            .replace("slot_minutes = 30\ncapacity = 7", "slot_minutes = 1\ncapacity = 9000")
            .replace("yoyaku-kosugi@example.jp", "nobody");
        let err = parse("kosugi.toml", &broken)
            .err()
            .unwrap_or_else(|| panic!("accepted"));
        let text = err.to_string();
        assert!(text.contains("kosugi.toml: line 6: mailbox 'nobody'"), "{text}");
        assert!(
            text.contains("line 13: certificate_renewal: slot_minutes 1 is out of range"),
            "{text}"
        );
        assert!(text.contains("capacity 9000 is above 500"), "{text}");

        let unknown = KOSUGI.replace("[services.card_pickup]", "[services.passport]");
        let err = parse("kosugi.toml", &unknown)
            .err()
            .unwrap_or_else(|| panic!("accepted"));
        assert!(err.to_string().contains("line 9"), "{err}");
        assert!(err.to_string().contains("unknown service 'passport'"), "{err}");
    }
}
