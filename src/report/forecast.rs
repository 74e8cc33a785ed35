//! The forecast of offered calls per 30-minute interval, and the agents each interval needs
//! (CC-SLA asks to re-plan at once when the day heads below 85 %).
//!
//! - **Basis**: the same weekday of the [`WEEKS`] weeks before, leaving out days the calendar
//!   kept closed all day (holidays, closures: they say nothing of an open day) and days with no
//!   records (before the service ran). A date no period of the calendar covers counts by its
//!   records alone. Each interval's forecast is the basis days' mean of
//!   offered calls.
//! - A date the calendar keeps closed all day is forecast at zero, with the reason; on an open
//!   date, intervals wholly outside the day's hours are zero too (the hours may have changed).
//! - **Staffing**: Erlang C gives the fewest agents for each interval so that 85 % of its calls
//!   are answered within the service-level seconds, at the average handling time. That is a
//!   conservative stand-in for the contract's 85 % answered: a caller answered within 20 s
//!   does not hang up.

use jiff::civil::Date;
use serde::Serialize;

use super::erlang::agents_needed;
use super::metrics::{INTERVAL_MINUTES, INTERVALS, interval_label};
use crate::calendar::Calendar;
use crate::calendar::time_of_day::{Interval, TimeOfDay};

/// How many weeks back the basis reaches.
pub const WEEKS: i64 = 4;

/// A past day's offered calls per interval.
#[derive(Debug, Clone, PartialEq)]
pub struct PastDay {
    pub date: Date,
    pub received: u32,
    pub offered: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Forecast {
    pub date: String,
    /// The days it was made from.
    pub basis: Vec<String>,
    /// Why the date is forecast at zero (closed all day).
    pub closed: Option<String>,
    pub intervals: Vec<IntervalForecast>,
    pub offered: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IntervalForecast {
    pub start: String,
    pub offered: f64,
    /// Agents needed (Erlang C) at the handling time given.
    pub agents_needed: u32,
}

/// The dates the forecast of `date` is made from, newest first.
pub fn basis_dates(date: Date) -> Vec<Date> {
    (1..=WEEKS)
        .filter_map(|weeks| date.checked_sub(jiff::Span::new().weeks(weeks)).ok())
        .collect()
}

/// The forecast of `date` from `history` (any days; those of [`basis_dates`] are used).
pub fn forecast(
    date: Date,
    history: &[PastDay],
    calendar: &Calendar,
    handle_seconds: f64,
    target_seconds: f64,
) -> Forecast {
    let today = calendar.day(date);
    let basis: Vec<&PastDay> = basis_dates(date)
        .into_iter()
        .filter(|d| {
            // A calendar silent on the date (no period yet) says nothing; a holiday or a
            // closure says the day is not like an open one.
            !matches!(
                calendar.day(*d).closed_all_day,
                Some(reason) if reason != crate::calendar::ClosedReason::NoHoursDefined
            )
        })
        .filter_map(|d| history.iter().find(|h| h.date == d && h.received > 0))
        .collect();
    let closed = today.closed_all_day.as_ref().map(|reason| reason.japanese());
    let intervals: Vec<IntervalForecast> = (0..INTERVALS)
        .map(|i| {
            let minutes = i as u16 * INTERVAL_MINUTES as u16;
            let slot = Interval {
                start: TimeOfDay::from_hm(minutes / 60, minutes % 60).unwrap_or(TimeOfDay::MIDNIGHT),
                end: TimeOfDay::from_hm((minutes + 30) / 60, (minutes + 30) % 60).unwrap_or(TimeOfDay::END_OF_DAY),
            };
            let open = today.open.intervals().iter().any(|hours| hours.overlaps(slot));
            let offered = if closed.is_some() || !open || basis.is_empty() {
                0.0
            } else {
                basis
                    .iter()
                    .map(|d| f64::from(d.offered.get(i).copied().unwrap_or(0)))
                    .sum::<f64>()
                    / basis.len() as f64
            };
            IntervalForecast {
                start: interval_label(i),
                offered,
                agents_needed: agents_needed(
                    offered,
                    (INTERVAL_MINUTES * 60) as f64,
                    handle_seconds,
                    target_seconds,
                    super::daily::TARGET,
                )
                .agents,
            }
        })
        .collect();
    Forecast {
        date: date.to_string(),
        basis: basis.iter().map(|d| d.date.to_string()).collect(),
        closed,
        offered: intervals.iter().map(|i| i.offered).sum(),
        intervals,
    }
}

/// How far the day's volume so far departs from the forecast: offered ÷ forecast for the
/// intervals already over; `None` before anything was forecast.
pub fn volume_ratio(forecast: &Forecast, offered_so_far: &[u32], intervals_over: usize) -> Option<f64> {
    let expected: f64 = forecast.intervals.iter().take(intervals_over).map(|i| i.offered).sum();
    let actual: u32 = offered_so_far.iter().take(intervals_over).sum();
    (expected >= 1.0).then(|| f64::from(actual) / expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calendar() -> Calendar {
        crate::calendar::file::parse(
            "test",
            r#"
id = "call-center"
name = "test"
closed_on_national_holidays = true

[[period]]
name = "FY2026"
from = 2026-04-01
until = 2027-03-31
weekly.mon = ["09:00-17:00"]
weekly.tue = ["09:00-17:00"]
weekly.wed = ["09:00-17:00"]
weekly.thu = ["09:00-17:00"]
weekly.fri = ["09:00-17:00"]
"#,
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn day(date: Date, per_interval: u32) -> PastDay {
        let mut offered = vec![0; INTERVALS];
        for slot in offered.iter_mut().take(34).skip(18) {
            *slot = per_interval;
        }
        PastDay {
            date,
            received: per_interval * 16,
            offered,
        }
    }

    #[test]
    fn the_same_weekday_of_open_weeks_is_averaged_and_holidays_are_left_out() {
        use jiff::civil::date;
        // Monday 2026-05-18; four Mondays before: 05-11, 05-04 (Greenery Day, closed),
        // 04-27, 04-20.
        let history = [
            day(date(2026, 5, 11), 10),
            day(date(2026, 5, 4), 1000),
            day(date(2026, 4, 27), 20),
            day(date(2026, 4, 20), 30),
        ];
        let f = forecast(date(2026, 5, 18), &history, &calendar(), 300.0, 20.0);
        assert_eq!(f.basis, ["2026-05-11", "2026-04-27", "2026-04-20"]);
        assert_eq!(f.intervals[18].offered, 20.0, "09:00: (10 + 20 + 30) / 3");
        assert_eq!(f.intervals[17].offered, 0.0, "08:30 is outside the hours");
        assert_eq!(f.offered, 20.0 * 16.0);
        // 20 calls in 30 min at 300 s: 3.33 Erlangs; Erlang C's fewest agents for 85 % in 20 s.
        assert_eq!(f.intervals[18].agents_needed, 6, "SL 70.8 % with 5, 87.6 % with 6");
        let holiday = forecast(date(2026, 5, 5), &history, &calendar(), 300.0, 20.0);
        assert!(holiday.closed.is_some());
        assert_eq!(holiday.offered, 0.0);
        assert_eq!(volume_ratio(&f, &[0; 48], 18), None, "nothing forecast before 09:00");
        let mut busy = vec![0; 48];
        busy[18] = 30;
        assert_eq!(volume_ratio(&f, &busy, 19), Some(1.5));
    }
}
