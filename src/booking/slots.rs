//! Slots from an office's calendar (BK-HOURS, BK-SLOT): on an open day, slots of the service's
//! length follow one another from each opening, and a slot must end by the closing time. Closed
//! days, holidays, the year-end break and one-off closures have none.
//!
//! A slot is named by its local start (`2026-12-08T11:40`): that is its identity in the
//! database. When staff change the slot length, the starts of the new slots may differ, but a
//! booking keeps its start and stays valid; a slot that starts at the same time as before is
//! the same slot (its bookings still count against its capacity).

use jiff::civil::{Date, DateTime};

use crate::calendar::time_of_day::{Interval, TimeOfDay};
use crate::calendar::{Calendar, Day};

/// One slot of a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Slot {
    pub date: Date,
    pub start: TimeOfDay,
    pub end: TimeOfDay,
}

impl Slot {
    /// The slot's identity: its local start, `YYYY-MM-DDTHH:MM`.
    pub fn key(&self) -> String {
        slot_key(self.date, self.start)
    }

    pub fn starts_at(&self) -> DateTime {
        local(self.date, self.start)
    }
}

/// The slots of a day for a slot length.
pub fn slots_of_day(day: &Day, slot_minutes: u16) -> Vec<Slot> {
    let length = slot_minutes.max(1);
    let mut slots = Vec::new();
    for interval in day.open.intervals() {
        slots.extend(slots_in(day.date, *interval, length));
    }
    slots
}

fn slots_in(date: Date, interval: Interval, length: u16) -> impl Iterator<Item = Slot> {
    let first = interval.start.minutes();
    let last = interval.end.minutes();
    (first..)
        .step_by(usize::from(length))
        .take_while(move |start| start + length <= last)
        .filter_map(move |start| {
            let start_time = TimeOfDay::from_hm(start / 60, start % 60)?;
            let end = start + length;
            let end_time = TimeOfDay::from_hm(end / 60, end % 60)?;
            Some(Slot {
                date,
                start: start_time,
                end: end_time,
            })
        })
}

/// The slot that starts at `start`, when the calendar has one there for this slot length.
pub fn slot_at(calendar: &Calendar, slot_minutes: u16, start: DateTime) -> Option<Slot> {
    let day = calendar.day(start.date());
    let wanted = TimeOfDay::of(start.time());
    if start.second() != 0 || start.subsec_nanosecond() != 0 {
        return None;
    }
    slots_of_day(&day, slot_minutes).into_iter().find(|s| s.start == wanted)
}

/// Whether `minutes` from `start` still lie within one opening of the calendar (a booking made
/// before a closure was added may not).
pub fn within_hours(calendar: &Calendar, start: DateTime, minutes: u16) -> bool {
    let day = calendar.day(start.date());
    let from = TimeOfDay::of(start.time());
    day.open
        .containing(from)
        .is_some_and(|interval| from.minutes() + minutes <= interval.end.minutes())
}

/// `YYYY-MM-DDTHH:MM`
pub fn slot_key(date: Date, start: TimeOfDay) -> String {
    format!("{date}T{:02}:{:02}", start.hour(), start.minute())
}

/// Reads a slot key (or any local date-time to the minute) back.
pub fn parse_slot_key(text: &str) -> Option<DateTime> {
    let at: DateTime = text.trim().parse().ok()?;
    (at.second() == 0 && at.subsec_nanosecond() == 0).then_some(at)
}

fn local(date: Date, time: TimeOfDay) -> DateTime {
    // 24:00 is not a clock time: it is the next day's midnight.
    if time == TimeOfDay::END_OF_DAY {
        return date.tomorrow().map_or(date.to_datetime(jiff::civil::Time::MAX), |d| {
            d.to_datetime(jiff::civil::Time::midnight())
        });
    }
    let clock =
        jiff::civil::Time::new(time.hour() as i8, time.minute() as i8, 0, 0).unwrap_or(jiff::civil::Time::midnight());
    date.to_datetime(clock)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CENTER: &str = include_str!("../../ops/config/calendars/kawasaki-card-center.toml");

    fn center() -> Calendar {
        crate::calendar::parse("kawasaki-card-center.toml", CENTER).unwrap_or_else(|e| panic!("{e}"))
    }

    fn date(text: &str) -> Date {
        text.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn slots_follow_one_another_from_the_opening_and_end_by_closing() {
        // Tuesday 2026-12-08: 11:40–19:40.
        let day = center().day(date("2026-12-08"));
        let slots = slots_of_day(&day, 30);
        assert_eq!(slots.len(), 16);
        assert_eq!(slots[0].key(), "2026-12-08T11:40");
        assert_eq!(slots[15].key(), "2026-12-08T19:10");
        assert_eq!(slot_key(slots[15].date, slots[15].end), "2026-12-08T19:40");
        // 45-minute slots: the last that fits starts at 18:25 (a 19:10 slot would end at 19:55).
        let longer = slots_of_day(&day, 45);
        assert_eq!(longer.len(), 10);
        assert_eq!(longer[9].key(), "2026-12-08T18:25");
    }

    #[test]
    fn closed_days_have_no_slots() {
        let calendar = center();
        for (closed, why) in [
            ("2026-12-07", "a Monday"),
            ("2026-12-29", "the year-end break"),
            ("2027-01-03", "the year-end break"),
            ("2026-12-05", "the 1st Saturday (data transmission)"),
            ("2026-12-20", "the Sunday after the 3rd Saturday"),
            ("2026-11-03", "a national holiday (文化の日, a Tuesday)"),
            ("2027-04-06", "no hours entered for FY2027 yet"),
        ] {
            assert!(
                slots_of_day(&calendar.day(date(closed)), 30).is_empty(),
                "{closed}: {why}"
            );
        }
    }

    #[test]
    fn a_slot_is_found_only_where_the_calendar_has_one() {
        let calendar = center();
        let at = |text: &str| parse_slot_key(text).unwrap_or_else(|| panic!("{text}"));
        assert!(slot_at(&calendar, 30, at("2026-12-08T11:40")).is_some());
        assert!(slot_at(&calendar, 30, at("2026-12-08T12:10")).is_some());
        assert!(slot_at(&calendar, 30, at("2026-12-08T12:00")).is_none(), "not a start");
        assert!(slot_at(&calendar, 30, at("2026-12-08T19:40")).is_none(), "closing time");
        assert!(slot_at(&calendar, 30, at("2026-12-07T12:10")).is_none(), "Monday");
        // After a change to 60 minutes, 11:40 is still a slot (the same one); 12:10 is not.
        assert!(slot_at(&calendar, 60, at("2026-12-08T11:40")).is_some());
        assert!(slot_at(&calendar, 60, at("2026-12-08T12:10")).is_none());
    }

    #[test]
    fn a_booking_is_within_hours_only_if_it_ends_by_closing() {
        let calendar = center();
        let at = |text: &str| parse_slot_key(text).unwrap_or_else(|| panic!("{text}"));
        assert!(within_hours(&calendar, at("2026-12-08T11:40"), 30));
        assert!(within_hours(&calendar, at("2026-12-08T19:10"), 30));
        assert!(
            !within_hours(&calendar, at("2026-12-08T19:10"), 45),
            "ends after closing"
        );
        assert!(!within_hours(&calendar, at("2026-12-07T12:10"), 30), "a Monday");
        assert!(
            !within_hours(&calendar, at("2026-12-29T12:10"), 30),
            "the year-end break"
        );
    }

    #[test]
    fn slot_keys_read_back() {
        assert_eq!(
            parse_slot_key("2026-12-08T09:05").map(|d| d.to_string()),
            Some("2026-12-08T09:05:00".to_string())
        );
        assert_eq!(parse_slot_key("2026-12-08T09:05:30"), None);
        assert_eq!(parse_slot_key("tomorrow"), None);
    }
}
