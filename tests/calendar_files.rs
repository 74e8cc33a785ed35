//! Calendar files: what a bad file gets (the line and what is wrong), and how one-off
//! closures and openings combine with the weekly hours and holidays.

use jiff::civil::datetime;
use tsunagu::calendar::rules::ClosureCategory;
use tsunagu::calendar::{self, ClosedReason, OpenState};

const HEADER: &str = r#"id = "office"
name = "Test office"
closed_on_national_holidays = true
"#;

const FY2026: &str = r#"
[[period]]
name = "FY2026"
from = 2026-04-01
until = 2027-03-31
weekly.mon = ["09:00-12:00", "13:00-17:00"]
weekly.tue = ["09:00-17:00"]
weekly.wed = ["09:00-17:00"]
weekly.thu = ["09:00-17:00"]
weekly.fri = ["09:00-17:00"]
"#;

/// The problems of a file, as `line N: message` strings.
fn problems(text: &str) -> Vec<String> {
    match calendar::parse("test.toml", text) {
        Ok(_) => Vec::new(),
        Err(invalid) => invalid
            .problems
            .iter()
            .map(|p| format!("line {}: {}", p.line, p.message))
            .collect(),
    }
}

fn assert_problem(text: &str, line: usize, fragment: &str) {
    let found = problems(text);
    assert!(
        found
            .iter()
            .any(|p| p.starts_with(&format!("line {line}: ")) && p.contains(fragment)),
        "expected 'line {line}: …{fragment}…', got {found:?}"
    );
}

#[test]
fn overlapping_intervals_are_refused_at_their_line() {
    let text = format!("{HEADER}{FY2026}weekly.sat = [\"09:00-13:00\", \"12:00-17:00\"]\n");
    // The file's last line (HEADER has 3 lines, FY2026 starts with a blank line).
    let line = text.lines().count();
    assert_problem(&text, line, "interval 12:00-17:00 overlaps 09:00-13:00");
}

#[test]
fn an_interval_ending_before_it_starts_is_refused() {
    let text = format!("{HEADER}{FY2026}").replace("weekly.tue = [\"09:00-17:00\"]", "weekly.tue = [\"17:00-09:00\"]");
    assert_problem(&text, 10, "ends at 09:00, not after it starts at 17:00");
}

#[test]
fn an_unknown_weekday_is_named() {
    let text = format!("{HEADER}{FY2026}weekly.thu2 = [\"09:00-17:00\"]\n");
    let line = text.lines().count();
    assert_problem(&text, line, "unknown weekday 'thu2'");
    let monthly =
        format!("{HEADER}{FY2026}\n[[closure]]\nreason = \"x\"\nevery_month = {{ nth = 1, weekday = \"saturday\" }}\n");
    let line = monthly.lines().count();
    assert_problem(&monthly, line, "unknown weekday 'saturday'");
}

#[test]
fn overlapping_periods_name_both_lines() {
    let second = FY2026
        .replace("FY2026", "FY2026b")
        .replace("2026-04-01", "2027-01-01")
        .replace("2027-03-31", "2027-12-31");
    let text = format!("{HEADER}{FY2026}{second}");
    let found = problems(&text);
    assert!(
        found
            .iter()
            .any(|p| p.contains("overlaps period 'FY2026'") && p.contains("line 5")),
        "{found:?}"
    );
}

#[test]
fn syntax_errors_and_unknown_keys_give_a_line() {
    assert_problem(&format!("{HEADER}{FY2026}[[closure]\n"), 14, "");
    assert_problem(
        &format!("{HEADER}opening_hours = 3\n{FY2026}"),
        4,
        "unknown field `opening_hours`",
    );
    assert_problem(
        &format!("{HEADER}{FY2026}").replace("from = 2026-04-01", "from = \"April\""),
        7,
        "",
    );
}

#[test]
fn rules_that_cannot_mean_anything_are_refused() {
    let base = format!("{HEADER}{FY2026}");
    assert_problem(
        &format!("{base}\n[[opening]]\nreason = \"Sunday\"\ndate = 2026-06-07\n"),
        15,
        "needs hours",
    );
    assert_problem(
        &format!(
            "{base}\n[[closure]]\nreason = \"both\"\ndate = 2026-06-07\nevery_year = {{ from = \"12-29\", until = \"01-03\" }}\n"
        ),
        15,
        "exactly one of",
    );
    assert_problem(
        &format!("{base}\n[[closure]]\nreason = \"x\"\nevery_year = {{ from = \"13-01\", until = \"01-03\" }}\n"),
        17,
        "'13-01' is not a month and day",
    );
    assert_problem(
        &format!("{base}\n[[closure]]\nreason = \"x\"\ncategory = \"typhoon\"\ndate = 2026-06-07\n"),
        17,
        "unknown category 'typhoon'",
    );
    assert_problem(
        &format!("{base}\n[[closure]]\nreason = \"x\"\nfrom = 2026-06-09\nuntil = 2026-06-07\n"),
        18,
        "before it starts",
    );
    assert_problem(
        &format!("{base}\n[[closure]]\nreason = \"x\"\nevery_month = {{ nth = 6, weekday = \"sat\" }}\n"),
        17,
        "nth must be 1 to 5",
    );
    assert_problem(
        &format!("{base}\n[[closure]]\nreason = \"x\"\ndate = 2150-01-01\n"),
        17,
        "outside the years",
    );
    assert_problem(
        &format!("{base}\n[[closure]]\nreason = \"x\"\ndate = 2026-06-07T10:00:00\n"),
        17,
        "not a date",
    );
    assert_problem(HEADER, 1, "no [[period]]");
}

#[test]
fn all_problems_of_a_file_are_reported_together() {
    let text = format!("{HEADER}{FY2026}")
        .replace("weekly.tue = [\"09:00-17:00\"]", "weekly.tue = [\"9:00-7:00\"]")
        .replace("weekly.wed = [\"09:00-17:00\"]", "weekly.wed = [\"09:00\"]");
    let found = problems(&text);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found[0].starts_with("line 10: ") && found[1].starts_with("line 11: "),
        "{found:?}"
    );
    let message = calendar::parse("ops/config/calendars/office.toml", &text)
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with("ops/config/calendars/office.toml: line 10: "),
        "{message}"
    );
}

#[test]
fn one_off_closures_and_openings() {
    let text = format!(
        r#"{HEADER}{FY2026}
[[closure]]
reason = "計画停電 (planned power cut)"
category = "power-outage"
date = 2026-06-03
hours = ["13:00-15:00"]

[[closure]]
reason = "台風 (typhoon)"
category = "disaster"
from = 2026-09-01
until = 2026-09-02

[[opening]]
reason = "臨時開庁 (special opening on a holiday)"
date = 2026-11-03
hours = ["10:00-12:00"]

[[closure]]
reason = "システム更新 (system update)"
category = "maintenance"
date = 2026-11-03
hours = ["11:00-12:00"]
"#
    );
    let cal = calendar::parse("test.toml", &text).unwrap_or_else(|e| panic!("{e}"));
    // The power cut takes 13:00–15:00 out of a Wednesday.
    match cal.status(datetime(2026, 6, 3, 14, 0, 0, 0)) {
        OpenState::Closed {
            reason: ClosedReason::TemporaryClosure { category, reason },
            next_opening,
        } => {
            assert_eq!(category, ClosureCategory::PowerOutage);
            assert!(reason.contains("planned power cut"));
            assert_eq!(next_opening, Some(datetime(2026, 6, 3, 15, 0, 0, 0)));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(cal.status(datetime(2026, 6, 3, 12, 30, 0, 0)), OpenState::Open { until } if until == datetime(2026, 6, 3, 13, 0, 0, 0))
    );
    // A two-day disaster closure.
    for day in [1, 2] {
        assert!(matches!(
            cal.status(datetime(2026, 9, day, 10, 0, 0, 0)),
            OpenState::Closed {
                reason: ClosedReason::TemporaryClosure {
                    category: ClosureCategory::Disaster,
                    ..
                },
                ..
            }
        ));
    }
    // Culture Day (a Tuesday holiday) opens 10:00–11:00 by the one-off opening, then closes
    // for the system update.
    assert!(cal.status(datetime(2026, 11, 3, 10, 30, 0, 0)).is_open());
    assert!(matches!(
        cal.status(datetime(2026, 11, 3, 11, 30, 0, 0)),
        OpenState::Closed {
            reason: ClosedReason::TemporaryClosure {
                category: ClosureCategory::Maintenance,
                ..
            },
            ..
        }
    ));
    // A Monday's lunch break is outside hours, not a closure.
    assert_eq!(
        cal.status(datetime(2026, 6, 1, 12, 30, 0, 0)),
        OpenState::Closed {
            reason: ClosedReason::OutsideHours,
            next_opening: Some(datetime(2026, 6, 1, 13, 0, 0, 0))
        }
    );
}

#[test]
fn a_calendar_that_ignores_holidays_stays_open_on_them() {
    let text = format!("{HEADER}{FY2026}").replace(
        "closed_on_national_holidays = true",
        "closed_on_national_holidays = false",
    );
    let cal = calendar::parse("test.toml", &text).unwrap_or_else(|e| panic!("{e}"));
    assert!(cal.status(datetime(2026, 11, 3, 10, 0, 0, 0)).is_open());
}

#[test]
fn the_demo_calendar_is_open_at_any_hour_on_any_day() {
    let text = include_str!("../ops/config/demo-calendars/call-center.toml");
    let cal = calendar::parse("ops/config/demo-calendars/call-center.toml", text).unwrap_or_else(|e| panic!("{e}"));
    for at in [
        datetime(2026, 1, 1, 0, 0, 0, 0),
        datetime(2026, 11, 26, 4, 15, 0, 0),
        datetime(2026, 12, 31, 23, 59, 0, 0),
        datetime(2099, 5, 5, 12, 0, 0, 0),
    ] {
        assert!(cal.status(at).is_open(), "{at}");
    }
}
