//! The staff side of bookings (BK-*, CC-BOOK): offices and checklists, the grid of slots with
//! their remaining places, booking, changing and cancelling, and the lists (JSON and CSV).
//! Agents and staff above book; city staff read. Every write is a booking event (BK-AUDIT).
//!
//! - [`catalogue`]: `GET /api/booking/offices`: offices, their services and checklists.
//! - [`grid`]: `GET /api/booking/slots`: the coming days' slots with the places left.
//! - [`book`]: `POST /api/bookings`, `GET /api/bookings/{code}`, move and cancel.
//! - [`lists`]: `GET /api/bookings` and `/api/bookings.csv` for a period (BK-LIST).
//! - [`offices`]: supervisors change a service's slot length and capacity (BK-SLOT).
//! - [`status`]: `POST /api/booking/status`: the outage banner of the citizen pages.
//! - [`stranded`]: bookings a later closure left on closed times, for staff to move.
//! - [`view`]: the JSON shape of a booking and of its events.

pub mod book;
pub mod catalogue;
pub mod grid;
pub mod lists;
pub mod offices;
pub mod status;
pub mod stranded;
pub mod view;

use std::sync::Arc;

use axum::Router;
use jiff::Timestamp;
use jiff::civil::DateTime;

use super::AppState;
use super::error::ApiError;
use crate::booking::{BookingWindow, Checklists, Office, OfficeSet, Service};
use crate::calendar::Calendar;

/// What the booking handlers share.
#[derive(Debug)]
pub struct BookingSettings {
    pub offices: Arc<OfficeSet>,
    pub checklists: Checklists,
    pub window: BookingWindow,
    /// The number the citizen pages point to (BK-LANG, and when the web cannot help).
    pub call_center_number: String,
    /// Keep the client's address in the booking events (BK-AUDIT says it is optional).
    pub record_addresses: bool,
}

impl BookingSettings {
    /// What a booking event keeps of the client's address.
    pub fn recorded_address(&self, address: std::net::IpAddr) -> String {
        if self.record_addresses {
            address.to_string()
        } else {
            String::new()
        }
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(catalogue::routes())
        .merge(grid::routes())
        .merge(book::routes())
        .merge(lists::routes())
        .merge(offices::routes())
        .merge(stranded::routes())
        .merge(status::routes())
}

/// The clock, read at the edge: the instant and its Tokyo local time.
#[allow(clippy::disallowed_methods)]
pub(crate) fn now() -> (Timestamp, DateTime) {
    let at = Timestamp::now();
    (at, crate::calendar::tokyo_time(at))
}

/// An office, the offer of a service there, and the office's calendar as it is now.
pub(crate) fn office_and_calendar(state: &AppState, office: &str) -> Result<(Arc<Office>, Arc<Calendar>), ApiError> {
    let office = state
        .booking
        .offices
        .get(office)
        .ok_or_else(|| ApiError::NotFound(format!("窓口 '{office}' はありません (no such office)")))?;
    let calendar = state.calls.calendars.get(&office.calendar).ok_or_else(|| {
        ApiError::internal(format!(
            "office {} names calendar {} which is not loaded",
            office.id, office.calendar
        ))
    })?;
    Ok((office, calendar))
}

pub(crate) fn parse_service(text: &str) -> Result<Service, ApiError> {
    Service::parse(text).ok_or_else(|| {
        let names: Vec<&str> = Service::ALL.iter().map(|s| s.as_str()).collect();
        ApiError::BadRequest(format!("unknown service '{text}': one of {}", names.join(", ")))
    })
}
