//! The shipped calendars (ops/config/calendars) give the answers the city's documents give.

use jiff::ToSpan;
use jiff::civil::{Date, DateTime, date, datetime};
use tsunagu::calendar::rules::ClosureCategory;
use tsunagu::calendar::{self, Calendar, ClosedReason, HolidayName, OpenState, sources};

fn shipped(id: &str) -> Calendar {
    let source = sources::builtin()
        .into_iter()
        .find(|s| s.origin == format!("built-in:{id}.toml"))
        .unwrap_or_else(|| panic!("no shipped calendar {id}"));
    calendar::parse(&source.origin, &source.text).unwrap_or_else(|e| panic!("{e}"))
}

fn closed_reason(cal: &Calendar, at: DateTime) -> (ClosedReason, Option<DateTime>) {
    match cal.status(at) {
        OpenState::Closed { reason, next_opening } => (reason, next_opening),
        OpenState::Open { until } => panic!("{} is open at {at} (until {until})", cal.id),
    }
}

fn open_until(cal: &Calendar, at: DateTime) -> DateTime {
    match cal.status(at) {
        OpenState::Open { until } => until,
        OpenState::Closed { reason, .. } => {
            panic!("{} is closed at {at}: {}", cal.id, reason.describe())
        }
    }
}

#[test]
fn every_shipped_calendar_loads() {
    let ids: Vec<String> = sources::builtin()
        .iter()
        .map(|s| calendar::parse(&s.origin, &s.text).unwrap_or_else(|e| panic!("{e}")).id)
        .collect();
    assert_eq!(
        ids,
        [
            "call-center",
            "kawasaki-card-center",
            "kawasaki-ward-office",
            "yokosuka-card-center"
        ]
    );
}

#[test]
fn call_center_follows_the_fiscal_year_hours() {
    let cc = shipped("call-center");
    // FY2026: Mon–Sun 9:00–19:00, so Saturday 2026-04-04 at 18:30 is open.
    assert_eq!(
        open_until(&cc, datetime(2026, 4, 4, 18, 30, 0, 0)),
        datetime(2026, 4, 4, 19, 0, 0, 0)
    );
    // FY2025: Mon–Fri 9:00–17:00; Friday 2026-03-27 at 17:30 is after hours, Saturday closed.
    let (reason, next) = closed_reason(&cc, datetime(2026, 3, 27, 17, 30, 0, 0));
    assert_eq!(reason, ClosedReason::OutsideHours);
    // The next opening is Monday 2026-03-30 09:00 (the weekend is closed in FY2025).
    assert_eq!(next, Some(datetime(2026, 3, 30, 9, 0, 0, 0)));
    assert_eq!(
        closed_reason(&cc, datetime(2026, 3, 28, 10, 0, 0, 0)).0,
        ClosedReason::RegularDayOff
    );
    // The last minute of the day is open; 19:00 itself is closed.
    assert!(cc.status(datetime(2026, 6, 1, 18, 59, 59, 0)).is_open());
    assert!(!cc.status(datetime(2026, 6, 1, 19, 0, 0, 0)).is_open());
    assert!(!cc.status(datetime(2026, 6, 1, 8, 59, 0, 0)).is_open());
}

#[test]
fn call_center_is_closed_over_the_year_end_and_says_when_it_opens() {
    let cc = shipped("call-center");
    let (reason, next) = closed_reason(&cc, datetime(2026, 12, 31, 10, 0, 0, 0));
    match reason {
        ClosedReason::RecurringClosure { category, .. } => {
            assert_eq!(category, ClosureCategory::YearEnd)
        }
        other => panic!("expected the year-end break, got {other:?}"),
    }
    assert_eq!(next, Some(datetime(2027, 1, 4, 9, 0, 0, 0)));
    // New Year's Day is a holiday too; the year-end break is the better explanation.
    assert!(matches!(
        closed_reason(&cc, datetime(2027, 1, 1, 10, 0, 0, 0)).0,
        ClosedReason::RecurringClosure { .. }
    ));
    assert!(cc.status(datetime(2026, 12, 28, 18, 0, 0, 0)).is_open());
}

#[test]
fn call_center_names_the_holiday_and_skips_it_for_the_next_opening() {
    let cc = shipped("call-center");
    // Sunday 2026-11-22 after 19:00: Monday 23 is Labour Thanksgiving Day, so Tuesday 09:00.
    let (reason, next) = closed_reason(&cc, datetime(2026, 11, 22, 19, 30, 0, 0));
    assert_eq!(reason, ClosedReason::OutsideHours);
    assert_eq!(next, Some(datetime(2026, 11, 24, 9, 0, 0, 0)));
    let (reason, _) = closed_reason(&cc, datetime(2026, 11, 23, 12, 0, 0, 0));
    match reason {
        ClosedReason::NationalHoliday(h) => {
            assert_eq!(h.name, HolidayName::LabourThanksgivingDay);
            assert_eq!(h.name.japanese(), "勤労感謝の日");
        }
        other => panic!("expected a holiday, got {other:?}"),
    }
    // Silver week 2026: Sep 21 (Mon), 22 (citizens' holiday), 23 (equinox) all closed.
    let (reason, next) = closed_reason(&cc, datetime(2026, 9, 22, 9, 0, 0, 0));
    assert!(matches!(reason, ClosedReason::NationalHoliday(h) if h.name == HolidayName::CitizensHoliday));
    assert_eq!(next, Some(datetime(2026, 9, 24, 9, 0, 0, 0)));
}

#[test]
fn kawasaki_card_centers_close_mondays_and_the_terminal_outage_sunday() {
    let center = shipped("kawasaki-card-center");
    // Monday 2026-04-06.
    assert_eq!(
        closed_reason(&center, datetime(2026, 4, 6, 12, 0, 0, 0)).0,
        ClosedReason::RegularDayOff
    );
    // The Sunday after the 3rd Saturday of May 2026 (Saturday 16 → Sunday 17).
    let (reason, next) = closed_reason(&center, datetime(2026, 5, 17, 10, 0, 0, 0));
    assert!(
        matches!(reason, ClosedReason::RecurringClosure { ref reason, .. } if reason.contains("専用端末")),
        "{reason:?}"
    );
    // Monday 18 is closed, so Tuesday 19 at 11:40.
    assert_eq!(next, Some(datetime(2026, 5, 19, 11, 40, 0, 0)));
    // The 1st Saturday (data transmission day), 2026-05-02.
    assert!(matches!(
        closed_reason(&center, datetime(2026, 5, 2, 10, 0, 0, 0)).0,
        ClosedReason::RecurringClosure { .. }
    ));
    // Tuesday evening hours and Thursday day hours.
    assert_eq!(
        open_until(&center, datetime(2026, 5, 19, 19, 0, 0, 0)),
        datetime(2026, 5, 19, 19, 40, 0, 0)
    );
    assert_eq!(
        open_until(&center, datetime(2026, 5, 21, 9, 0, 0, 0)),
        datetime(2026, 5, 21, 17, 0, 0, 0)
    );
    // May 2026: 31 days less Mondays 4, 11, 18, 25, holidays 3–6, 1st Saturday 2, Sunday 17.
    assert_eq!(center.open_days_in_month(2026, 5), 22);
}

#[test]
fn kawasaki_ward_offices_open_2nd_and_4th_saturday_mornings_even_on_holidays() {
    let ward = shipped("kawasaki-ward-office");
    // May 2026: Saturdays 2 (closed), 9 and 23 (open 8:30–12:30).
    assert_eq!(
        closed_reason(&ward, datetime(2026, 5, 2, 10, 0, 0, 0)).0,
        ClosedReason::RegularDayOff
    );
    assert_eq!(
        open_until(&ward, datetime(2026, 5, 9, 8, 30, 0, 0)),
        datetime(2026, 5, 9, 12, 30, 0, 0)
    );
    assert_eq!(
        open_until(&ward, datetime(2026, 5, 23, 12, 0, 0, 0)),
        datetime(2026, 5, 23, 12, 30, 0, 0)
    );
    assert_eq!(
        closed_reason(&ward, datetime(2026, 5, 9, 13, 0, 0, 0)).0,
        ClosedReason::OutsideHours
    );
    // A weekday holiday is closed.
    assert!(matches!(
        closed_reason(&ward, datetime(2026, 4, 29, 10, 0, 0, 0)).0,
        ClosedReason::NationalHoliday(_)
    ));
    // 2024-11-23 (Labour Thanksgiving Day) was the 4th Saturday: the same rules open it.
    let source = sources::builtin()
        .into_iter()
        .find(|s| s.origin.ends_with("kawasaki-ward-office.toml"))
        .unwrap_or_else(|| panic!("shipped"))
        .text
        .replace("from = 2026-04-01", "from = 2024-04-01")
        .replace("until = 2027-03-31", "until = 2025-03-31");
    let fy2024 = calendar::parse("fy2024", &source).unwrap_or_else(|e| panic!("{e}"));
    assert!(fy2024.status(datetime(2024, 11, 23, 9, 0, 0, 0)).is_open());
    assert!(!fy2024.status(datetime(2024, 11, 22, 8, 0, 0, 0)).is_open());
}

#[test]
fn yokosuka_opens_on_holidays_and_closes_midweek() {
    let yokosuka = shipped("yokosuka-card-center");
    // Respect for the Aged Day, Monday 2026-09-21: open (「祝日を含む」).
    assert_eq!(
        open_until(&yokosuka, datetime(2026, 9, 21, 11, 0, 0, 0)),
        datetime(2026, 9, 21, 18, 30, 0, 0)
    );
    assert_eq!(
        closed_reason(&yokosuka, datetime(2026, 9, 23, 11, 0, 0, 0)).0,
        ClosedReason::RegularDayOff
    );
    // Sunday after the 3rd Saturday of August 2026: the 16th.
    assert!(matches!(
        closed_reason(&yokosuka, datetime(2026, 8, 16, 10, 0, 0, 0)).0,
        ClosedReason::RecurringClosure { .. }
    ));
    // Before the center opens in August 2026 there are no hours.
    let (reason, next) = closed_reason(&yokosuka, datetime(2026, 7, 1, 11, 0, 0, 0));
    assert_eq!(reason, ClosedReason::NoHoursDefined);
    assert_eq!(next, Some(datetime(2026, 8, 1, 9, 0, 0, 0)));
}

#[test]
fn open_intervals_and_open_days_of_the_call_center() {
    let cc = shipped("call-center");
    let intervals = cc.open_intervals(date(2026, 12, 27), date(2027, 1, 5));
    let days: Vec<Date> = intervals.iter().map(|i| i.date).collect();
    assert_eq!(
        days,
        [
            date(2026, 12, 27),
            date(2026, 12, 28),
            date(2027, 1, 4),
            date(2027, 1, 5)
        ]
    );
    assert!(intervals.iter().all(|i| i.hours.to_string() == "09:00-19:00"));
    assert_eq!(cc.open_days_in_month(2026, 12), 28);
    assert_eq!(cc.open_days_in_month(2026, 11), 28);
    // FY2025 April: 22 weekdays less Showa Day (Tue 29) = 21.
    assert_eq!(cc.open_days_in_month(2025, 4), 21);
}

/// The starts of the open intervals from `at.date()` to `to`, as date-times.
fn opening_starts(cal: &Calendar, at: DateTime, to: Date) -> Vec<DateTime> {
    cal.open_intervals(at.date(), to)
        .into_iter()
        .map(|i| {
            let start = jiff::civil::Time::new(i.hours.start.hour() as i8, i.hours.start.minute() as i8, 0, 0);
            i.date.to_datetime(start.unwrap_or_else(|e| panic!("{e}")))
        })
        .collect()
}

/// For every shipped calendar and every half hour of FY2026: when closed, the next opening
/// is open, lies ahead, and no open interval starts in between; when open, `until` ends it.
#[test]
fn status_and_next_opening_agree_with_the_open_intervals() {
    for source in sources::builtin() {
        let cal = calendar::parse(&source.origin, &source.text).unwrap_or_else(|e| panic!("{e}"));
        let mut at = datetime(2026, 4, 1, 0, 0, 0, 0);
        let mut checked = (0, 0);
        while at < datetime(2027, 4, 1, 0, 0, 0, 0) {
            match cal.status(at) {
                OpenState::Open { until } => {
                    checked.0 += 1;
                    assert!(until > at, "{} {at}", cal.id);
                    let just_before = until.checked_sub(1.minute()).unwrap_or(until);
                    assert!(cal.status(just_before).is_open(), "{} {just_before}", cal.id);
                    assert!(!cal.status(until).is_open(), "{} {until}", cal.id);
                }
                OpenState::Closed { next_opening, .. } => {
                    checked.1 += 1;
                    let later = opening_starts(&cal, at, date(2027, 3, 31))
                        .into_iter()
                        .find(|s| *s > at);
                    assert_eq!(next_opening, later, "{} {at}", cal.id);
                    if let Some(next) = next_opening {
                        assert!(cal.status(next).is_open(), "{} {next}", cal.id);
                    }
                }
            }
            at = at.checked_add(30.minutes()).unwrap_or_else(|e| panic!("{e}"));
        }
        assert!(checked.0 > 1000 && checked.1 > 1000, "{}: {checked:?}", cal.id);
    }
}
