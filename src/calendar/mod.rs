//! The opening calendar: one engine answers "are we open now?" for the call center (CC-HOURS),
//! for every office's bookings (BK-HOURS) and for the reports.
//!
//! - [`holidays`]: Japanese national holidays, computed for 1980–2099.
//! - [`time_of_day`]: times of day and opening intervals.
//! - [`rules`]: a validated calendar (periods with weekly hours, day rules).
//! - [`file`]: calendar files (TOML) parsed and validated, problems reported by line.
//! - [`schedule`]: the answers (a day's hours, open at an instant and why, next opening).
//! - [`set`]: the live calendars of a running service, keeping the last good version.
//! - [`sources`]: where calendar files come from (the shipped ones, a config folder).
//!
//! Everything but [`sources`] is pure: no clock, no files. Time comes in as an argument, in
//! Asia/Tokyo local time; [`tokyo_time`] converts an instant whatever the machine's zone.

pub mod file;
pub mod holidays;
pub mod rules;
pub mod schedule;
pub mod set;
pub mod sources;
pub mod time_of_day;

pub use file::{InvalidCalendar, Problem, parse};
pub use holidays::{Holiday, HolidayName, holiday_on, holidays_in_year};
pub use rules::Calendar;
pub use schedule::{ClosedReason, Day, OpenInterval, OpenState};
pub use set::{CalendarSet, Calendars};

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::{Offset, TimeZone};

/// The time zone of every calendar answer.
pub fn tokyo() -> TimeZone {
    // The tz database is bundled into the binary, so the lookup cannot miss; were it ever to,
    // the fixed +09:00 offset gives the same answers (no daylight saving in Japan since 1951).
    TimeZone::get("Asia/Tokyo").unwrap_or_else(|_| TimeZone::fixed(Offset::constant(9)))
}

/// The instants a Tokyo date starts and ends at (the end is the next date's start).
pub fn tokyo_day(date: jiff::civil::Date) -> (Timestamp, Timestamp) {
    let start_of = |d: jiff::civil::Date| d.to_zoned(tokyo()).ok().map(|z| z.timestamp());
    let start = start_of(date).unwrap_or(Timestamp::UNIX_EPOCH);
    let end = date.tomorrow().ok().and_then(start_of).unwrap_or(start);
    (start, end)
}

/// The Tokyo local date-time of an instant.
pub fn tokyo_time(instant: Timestamp) -> DateTime {
    instant.to_zoned(tokyo()).datetime()
}
