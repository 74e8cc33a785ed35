//! Taking bookings over from a former system, and handing them to a successor (BK-MIGRATE).
//! The file is CSV (UTF-8, a BOM allowed), one booking a row, with a header naming the columns
//! in any order:
//!
//! | column | required | what |
//! |---|---|---|
//! | `code` | yes | the booking code residents know, 8 digits (`1234-5678` accepted) |
//! | `office` | yes | an office id (`kawasaki-center-kosugi`) |
//! | `service` | yes | `card_pickup`, `certificate_renewal`, `visit_request` |
//! | `start` | yes | local Tokyo time, `YYYY-MM-DDTHH:MM` (or `YYYY-MM-DD HH:MM`) |
//! | `status` | no | `booked` (default) or `cancelled` (cancelled rows are not taken over) |
//! | `visitor` | no | `resident` (default), `legal_representative`, `voluntary_proxy` |
//! | `secret` / `secret_hash` | no | the booker's secret, or its hash as `booking export` writes it |
//! | `email` | no | for notices until the appointment |
//!
//! `booking export` writes these columns and more (slot length, channel, confirmations, times),
//! so that a successor has everything. Checking a row is pure ([`check_row`]); the capacity of
//! each slot is the database's part, as for any booking.

use std::collections::BTreeMap;

use jiff::civil::DateTime;

use super::code::normalize_code;
use super::directory::Offices;
use super::service::{Service, Visitor};
use super::slots::within_hours;
use crate::calendar::Calendars;

/// The columns `booking export` writes, in order.
pub const EXPORT_COLUMNS: [&str; 14] = [
    "code",
    "office",
    "service",
    "start",
    "slot_minutes",
    "status",
    "channel",
    "visitor",
    "confirmations",
    "secret_hash",
    "email",
    "booked_by",
    "created_at",
    "updated_at",
];

/// One row of an import file, by column name.
pub type Row = BTreeMap<String, String>;

/// A row that can be taken over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub code: String,
    pub office: String,
    pub service: Service,
    /// The slot key, `YYYY-MM-DDTHH:MM`.
    pub start: String,
    pub slot_minutes: u16,
    pub capacity: u32,
    pub visitor: Visitor,
    /// The hash of the secret, when the file had one (or the secret itself).
    pub secret: Secret,
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Secret {
    Plain(String),
    Hash(String),
    /// The former system had none: a new one is drawn, and the booker changes by phone.
    None,
}

/// Reads the rows of an import file. A row whose field count differs from the header's is an
/// error with its line.
pub fn read_rows(text: &str) -> Result<Vec<(usize, Row)>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| format!("the header: {e}"))?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    for required in ["code", "office", "service", "start"] {
        if !headers.iter().any(|h| h == required) {
            return Err(format!(
                "the header has no '{required}' column (columns: {})",
                headers.join(", ")
            ));
        }
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| e.to_string())?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        let row = headers
            .iter()
            .cloned()
            .zip(record.iter().map(|f| f.trim().to_string()))
            .collect();
        rows.push((line, row));
    }
    Ok(rows)
}

/// Whether a row can be taken over at `now`: code, office, service, a time within the office's
/// opening hours, ahead of now. Says why not, in words for the person running the import.
pub fn check_row(row: &Row, offices: &Offices, calendars: &Calendars, now: DateTime) -> Result<Accepted, String> {
    let field = |name: &str| row.get(name).map(String::as_str).unwrap_or_default();
    let code = normalize_code(field("code")).ok_or_else(|| format!("code '{}' is not 8 digits", field("code")))?;
    let status = field("status");
    if !status.is_empty() && status != "booked" {
        return Err(format!("status '{status}': only standing bookings are taken over"));
    }
    let office = offices
        .get(field("office"))
        .ok_or_else(|| format!("office '{}' is not known", field("office")))?;
    let service =
        Service::parse(field("service")).ok_or_else(|| format!("service '{}' is not known", field("service")))?;
    let offer = office
        .offer(service)
        .ok_or_else(|| format!("{} does not offer {service}", office.id))?;
    let start_text = field("start").replace(' ', "T");
    let start = super::slots::parse_slot_key(&start_text)
        .ok_or_else(|| format!("start '{}' is not YYYY-MM-DDTHH:MM", field("start")))?;
    if start <= now {
        return Err(format!("start {start_text} has passed"));
    }
    let calendar = calendars
        .get(&office.calendar)
        .ok_or_else(|| format!("office {} has no calendar '{}'", office.id, office.calendar))?;
    if !within_hours(&calendar, start, offer.slot_minutes) {
        return Err(format!("{start_text} is outside the opening hours of {}", office.id));
    }
    let visitor = match field("visitor") {
        "" => Visitor::Resident,
        text => Visitor::parse(text).ok_or_else(|| format!("visitor '{text}' is not known"))?,
    };
    let secret = match (field("secret"), field("secret_hash")) {
        (_, hash) if !hash.is_empty() => Secret::Hash(hash.to_string()),
        (plain, _) if !plain.is_empty() => Secret::Plain(plain.to_string()),
        _ => Secret::None,
    };
    let email = Some(field("email").to_string()).filter(|e| !e.is_empty());
    if email.as_deref().is_some_and(|e| !e.contains('@')) {
        return Err("email is not an e-mail address".to_string());
    }
    Ok(Accepted {
        code,
        office: office.id.clone(),
        service,
        start: start.strftime("%Y-%m-%dT%H:%M").to_string(),
        slot_minutes: offer.slot_minutes,
        capacity: offer.capacity,
        visitor,
        secret,
        email,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::booking::OfficeSet;
    use crate::calendar::CalendarSet;

    fn world() -> (Offices, Calendars) {
        let offices = OfficeSet::default();
        let sources = crate::booking::directory::builtin();
        offices.load_all(sources.iter().map(|s| (s.origin.as_str(), s.text.as_str())));
        let calendars = CalendarSet::new();
        let sources = crate::calendar::sources::builtin();
        calendars.load_all(sources.iter().map(|s| (s.origin.as_str(), s.text.as_str())));
        (offices.snapshot(), calendars.snapshot())
    }

    fn now() -> DateTime {
        crate::booking::slots::parse_slot_key("2026-12-02T10:00").unwrap_or_default()
    }

    #[test]
    fn rows_are_read_by_header_with_their_lines() {
        let text =
            "\u{feff}Code,office,service,start,email\n1234-5678,kawasaki-center-kosugi,card_pickup,2026-12-08 11:40,\n";
        let rows = read_rows(text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].0, 2);
        assert_eq!(rows[0].1["code"], "1234-5678");
        assert!(read_rows("code,office,service\n1,2,3\n").is_err(), "start is required");
        assert!(read_rows("code,office,service,start\n1,2,3\n").is_err(), "a short row");
    }

    #[test]
    fn every_reason_to_refuse_a_row_is_given() {
        let (offices, calendars) = world();
        let row =
            |pairs: &[(&str, &str)]| -> Row { pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect() };
        let good = [
            ("code", "1234-5678"),
            ("office", "kawasaki-center-kosugi"),
            ("service", "card_pickup"),
            ("start", "2026-12-08 11:40"),
        ];
        let accepted = check_row(&row(&good), &offices, &calendars, now()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (accepted.code.as_str(), accepted.start.as_str()),
            ("12345678", "2026-12-08T11:40")
        );
        assert_eq!(accepted.secret, Secret::None);
        let refused = |change: (&str, &str)| {
            let mut pairs = good.to_vec();
            pairs.retain(|(k, _)| *k != change.0);
            pairs.push(change);
            check_row(&row(&pairs), &offices, &calendars, now())
                .err()
                .unwrap_or_default()
        };
        assert!(refused(("code", "12-34")).contains("not 8 digits"));
        assert!(refused(("office", "tokyo-tower")).contains("not known"));
        assert!(refused(("service", "passport")).contains("not known"));
        assert!(
            refused(("start", "2026-12-07 11:40")).contains("outside the opening hours"),
            "a Monday"
        );
        assert!(
            refused(("start", "2026-12-29 11:40")).contains("outside the opening hours"),
            "year-end"
        );
        assert!(refused(("start", "2026-12-01 11:40")).contains("has passed"));
        assert!(refused(("start", "next week")).contains("YYYY-MM-DDTHH:MM"));
        assert!(refused(("status", "cancelled")).contains("only standing bookings"));
        assert!(refused(("visitor", "neighbour")).contains("not known"));
        assert!(refused(("email", "nobody")).contains("e-mail"));
        let mut yokosuka = good.to_vec();
        yokosuka.retain(|(k, _)| !matches!(*k, "office" | "service" | "start"));
        yokosuka.extend([
            ("office", "yokosuka-center"),
            ("service", "certificate_renewal"),
            ("start", "2026-12-07 10:30"),
        ]);
        assert!(
            check_row(&row(&yokosuka), &offices, &calendars, now())
                .err()
                .unwrap_or_default()
                .contains("does not offer")
        );
    }
}
