//! The standing bookings whose slot no longer lies in their office's opening hours: a closure
//! was added after they were booked (BK-HOURS). Staff move them; bookers with an address get a
//! notice. Pure over the rows, the offices and the calendars given.

use crate::booking::Offices;
use crate::booking::slots::{parse_slot_key, within_hours};
use crate::calendar::{Calendars, OpenState};
use crate::store::bookings::BookingRow;

/// Each stranded booking with why its office is closed then (Japanese).
pub fn stranded(rows: Vec<BookingRow>, offices: &Offices, calendars: &Calendars) -> Vec<(BookingRow, String)> {
    let mut out = Vec::new();
    for row in rows.into_iter().filter(BookingRow::is_booked) {
        let Some(start) = parse_slot_key(&row.slot_start) else {
            continue;
        };
        let calendar = offices.get(&row.office).and_then(|o| calendars.get(&o.calendar));
        let minutes = u16::try_from(row.slot_minutes).unwrap_or(u16::MAX);
        let reason = match calendar {
            Some(calendar) if within_hours(&calendar, start, minutes) => continue,
            Some(calendar) => match calendar.status(start) {
                OpenState::Closed { reason, .. } => reason.japanese(),
                // Open at the start but closing before the slot ends.
                OpenState::Open { .. } => "枠の途中で閉庁します".to_string(),
            },
            None => "窓口または開庁カレンダーがありません".to_string(),
        };
        out.push((row, reason));
    }
    out
}
