//! The JSON shape of a booking for staff, and of its history. The e-mail address is never
//! shown (only whether there is one): it serves notices and nothing else.

use serde::Serialize;

use crate::booking::code::display_code;
use crate::booking::{Offices, Service};
use crate::store::bookings::{BookingEventRow, BookingRow};

#[derive(Debug, Serialize)]
pub struct BookingView {
    pub code: String,
    /// `1234-5678`, as read to the caller.
    pub display_code: String,
    pub office: String,
    pub office_name: String,
    pub service: String,
    pub service_name: String,
    /// `YYYY-MM-DDTHH:MM`, Tokyo time.
    pub start: String,
    pub end: String,
    pub slot_minutes: i64,
    pub status: String,
    pub channel: String,
    pub booked_by: String,
    pub call_id: String,
    pub visitor: String,
    pub checked: Vec<String>,
    pub has_email: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl BookingView {
    pub fn new(row: &BookingRow, offices: &Offices) -> BookingView {
        let office_name = offices
            .get(&row.office)
            .map_or_else(|| row.office.clone(), |o| o.name.clone());
        let service_name =
            Service::parse(&row.service).map_or_else(|| row.service.clone(), |s| s.japanese().to_string());
        BookingView {
            code: row.code.clone(),
            display_code: display_code(&row.code),
            office: row.office.clone(),
            office_name,
            service: row.service.clone(),
            service_name,
            start: row.slot_start.clone(),
            end: slot_end(&row.slot_start, row.slot_minutes),
            slot_minutes: row.slot_minutes,
            status: row.status.clone(),
            channel: row.channel.clone(),
            booked_by: row.booked_by.clone(),
            call_id: row.call_id.clone(),
            visitor: row.visitor.clone(),
            checked: serde_json::from_str(&row.confirmations).unwrap_or_default(),
            has_email: row.email.is_some(),
            created_at: row.created_at.clone(),
            updated_at: row.updated_at.clone(),
        }
    }
}

/// The end of a slot, `YYYY-MM-DDTHH:MM`.
pub fn slot_end(start: &str, minutes: i64) -> String {
    crate::booking::slots::parse_slot_key(start)
        .and_then(|at| at.checked_add(jiff::Span::new().minutes(minutes)).ok())
        .map_or_else(String::new, |end| end.strftime("%Y-%m-%dT%H:%M").to_string())
}

/// What an event records of a booking's state (no e-mail, no secret).
pub fn describe(row: &BookingRow) -> String {
    serde_json::json!({
        "office": row.office,
        "service": row.service,
        "slot_start": row.slot_start,
        "slot_minutes": row.slot_minutes,
        "status": row.status,
    })
    .to_string()
}

#[derive(Debug, Serialize)]
pub struct EventView {
    pub at: String,
    pub kind: String,
    pub actor: String,
    pub channel: String,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
    pub reason: String,
    pub address: String,
}

impl From<BookingEventRow> for EventView {
    fn from(e: BookingEventRow) -> EventView {
        let json = |text: &str| serde_json::from_str(text).unwrap_or(serde_json::Value::Null);
        EventView {
            before: json(&e.before),
            after: json(&e.after),
            at: e.at,
            kind: e.kind,
            actor: e.actor,
            channel: e.channel,
            reason: e.reason,
            address: e.address,
        }
    }
}
