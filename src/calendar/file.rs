//! Calendar files (TOML) in two steps, as ripgrep does with its flags: first into structs shaped
//! like the file (every value keeps its place in the text), then validated into a [`Calendar`].
//! Every problem found is reported with its line, and all of them at once.
//!
//! ```toml
//! id = "call-center"
//! name = "マイナンバーカードコールセンター"
//! closed_on_national_holidays = true
//!
//! [[period]]
//! name = "FY2026"
//! from = 2026-04-01
//! until = 2027-03-31
//! weekly = { mon = ["09:00-19:00"], sat = ["09:00-12:00", "13:00-17:00"] }
//!
//! [[closure]]
//! reason = "年末年始休業"
//! category = "year-end"
//! every_year = { from = "12-29", until = "01-03" }
//!
//! [[opening]]
//! reason = "第2・第4土曜日 午前開庁"
//! every_month = { nth = [2, 4], weekday = "sat" }
//! hours = ["08:30-12:30"]
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use jiff::civil::{Date, Weekday};
use serde::Deserialize;
use toml::Spanned;

use super::holidays::SUPPORTED_YEARS;
use super::rules::{Calendar, ClosureCategory, DatePattern, DayRule, Effect, MonthDay, Period};
use super::time_of_day::{DayHours, Interval};

/// A calendar file that could not be used, with every problem found in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct InvalidCalendar {
    /// Where the text came from: a path, or `database:<id>`.
    pub origin: String,
    pub problems: Vec<Problem>,
}

/// One problem, at a line of the file (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for InvalidCalendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, p) in self.problems.iter().enumerate() {
            if n > 0 {
                writeln!(f)?;
            }
            write!(f, "{}: line {}: {}", self.origin, p.line, p.message)?;
        }
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarFile {
    id: Spanned<String>,
    name: String,
    #[serde(default = "yes")]
    closed_on_national_holidays: bool,
    #[serde(default, rename = "period")]
    periods: Vec<Spanned<PeriodFile>>,
    #[serde(default, rename = "closure")]
    closures: Vec<Spanned<RuleFile>>,
    #[serde(default, rename = "opening")]
    openings: Vec<Spanned<RuleFile>>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PeriodFile {
    name: String,
    from: Spanned<toml::value::Datetime>,
    until: Spanned<toml::value::Datetime>,
    #[serde(default)]
    weekly: BTreeMap<Spanned<String>, Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    reason: String,
    category: Option<Spanned<String>>,
    every_year: Option<Spanned<EveryYearFile>>,
    every_month: Option<Spanned<EveryMonthFile>>,
    date: Option<Spanned<toml::value::Datetime>>,
    from: Option<Spanned<toml::value::Datetime>>,
    until: Option<Spanned<toml::value::Datetime>>,
    hours: Option<Spanned<Vec<Spanned<String>>>>,
    /// For openings: open even when the day is a national holiday.
    even_on_holidays: Option<Spanned<bool>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EveryYearFile {
    from: Spanned<String>,
    until: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EveryMonthFile {
    nth: Spanned<OneOrMany>,
    weekday: Spanned<String>,
    #[serde(default)]
    days_after: i8,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(i8),
    Many(Vec<i8>),
}

/// Parses and validates a calendar. `origin` names the source in messages.
pub fn parse(origin: &str, source: &str) -> Result<Calendar, InvalidCalendar> {
    let mut check = Checker {
        source,
        problems: Vec::new(),
    };
    let file: CalendarFile = match toml::from_str(source) {
        Ok(file) => file,
        Err(e) => {
            let line = e.span().map_or(1, |s| check.line_of(s.start));
            check.problems.push(Problem {
                line,
                message: e.message().trim().to_string(),
            });
            return Err(check.finish(origin));
        }
    };
    let calendar = check.calendar(file);
    if check.problems.is_empty() {
        Ok(calendar)
    } else {
        Err(check.finish(origin))
    }
}

struct Checker<'a> {
    source: &'a str,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn line_of(&self, offset: usize) -> usize {
        crate::text_lines::line_of(self.source, offset)
    }

    fn problem(&mut self, span: Range<usize>, message: impl Into<String>) {
        let line = self.line_of(span.start);
        self.problems.push(Problem {
            line,
            message: message.into(),
        });
    }

    fn finish(mut self, origin: &str) -> InvalidCalendar {
        self.problems.sort_by_key(|p| p.line);
        InvalidCalendar {
            origin: origin.to_string(),
            problems: self.problems,
        }
    }

    fn calendar(&mut self, file: CalendarFile) -> Calendar {
        let id = file.id.get_ref();
        if id.is_empty()
            || !id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            self.problem(
                file.id.span(),
                format!("id '{id}' must be lower-case letters, digits and '-'"),
            );
        }
        if file.periods.is_empty() {
            self.problem(0..0, "no [[period]] with weekly hours: the calendar would never open");
        }
        let mut periods: Vec<(Period, Range<usize>)> = file
            .periods
            .into_iter()
            .filter_map(|p| {
                let span = p.span();
                self.period(p.into_inner()).map(|period| (period, span))
            })
            .collect();
        periods.sort_by_key(|(p, _)| p.from);
        for pair in periods.windows(2) {
            let ((a, _), (b, b_span)) = (&pair[0], &pair[1]);
            if b.from <= a.until {
                let line_a = self.line_of(pair[0].1.start);
                self.problem(
                    b_span.clone(),
                    format!(
                        "period '{}' ({} to {}) overlaps period '{}' ({} to {}, line {line_a})",
                        b.name, b.from, b.until, a.name, a.from, a.until
                    ),
                );
            }
        }
        let mut rules = Vec::new();
        for (rules_in, opening) in [(file.closures, false), (file.openings, true)] {
            for rule in rules_in {
                let span = rule.span();
                if let Some(rule) = self.rule(rule.into_inner(), span, opening) {
                    rules.push(rule);
                }
            }
        }
        rules.sort_by_key(|r| r.line);
        Calendar {
            id: file.id.into_inner(),
            name: file.name,
            closed_on_national_holidays: file.closed_on_national_holidays,
            periods: periods.into_iter().map(|(p, _)| p).collect(),
            rules,
        }
    }

    fn period(&mut self, file: PeriodFile) -> Option<Period> {
        let from = self.date(&file.from);
        let until = self.date(&file.until);
        let mut weekly: [DayHours; 7] = Default::default();
        for (day, intervals) in file.weekly {
            let Some(weekday) = parse_weekday(day.get_ref()) else {
                self.problem(
                    day.span(),
                    format!(
                        "unknown weekday '{}' (use mon, tue, wed, thu, fri, sat, sun)",
                        day.get_ref()
                    ),
                );
                continue;
            };
            if let Some(hours) = self.hours(intervals) {
                weekly[usize::from(weekday.to_monday_zero_offset().unsigned_abs())] = hours;
            }
        }
        let (from, until) = (from?, until?);
        if until < from {
            self.problem(
                file.until.span(),
                format!("period '{}' ends on {until}, before it starts on {from}", file.name),
            );
            return None;
        }
        Some(Period {
            name: file.name,
            from,
            until,
            weekly,
        })
    }

    /// A list of intervals of one day: each parsed, none overlapping another.
    /// An empty list is a valid way to say "closed"; the caller decides whether it may be empty.
    fn hours(&mut self, list: Vec<Spanned<String>>) -> Option<DayHours> {
        let mut parsed: Vec<(Interval, Range<usize>)> = Vec::new();
        let mut ok = true;
        for text in list {
            match Interval::parse(text.get_ref()) {
                Ok(interval) => {
                    if let Some((other, _)) = parsed.iter().find(|(o, _)| o.overlaps(interval)) {
                        self.problem(text.span(), format!("interval {interval} overlaps {other}"));
                        ok = false;
                    }
                    parsed.push((interval, text.span()));
                }
                Err(message) => {
                    self.problem(text.span(), message);
                    ok = false;
                }
            }
        }
        ok.then(|| DayHours::from_intervals(parsed.into_iter().map(|(i, _)| i).collect()))
    }

    fn rule(&mut self, file: RuleFile, span: Range<usize>, opening: bool) -> Option<DayRule> {
        let what = if opening { "[[opening]]" } else { "[[closure]]" };
        let line = self.line_of(span.start);
        let category = match &file.category {
            None => ClosureCategory::Other,
            Some(c) => match ClosureCategory::parse(c.get_ref()) {
                Some(category) => category,
                None => {
                    self.problem(
                        c.span(),
                        format!(
                            "unknown category '{}' (use one of: {})",
                            c.get_ref(),
                            ClosureCategory::NAMES.join(", ")
                        ),
                    );
                    return None;
                }
            },
        };
        let patterns = [
            file.every_year.is_some(),
            file.every_month.is_some(),
            file.date.is_some(),
            file.from.is_some() || file.until.is_some(),
        ];
        if patterns.iter().filter(|&&p| p).count() != 1 {
            self.problem(
                span,
                format!(
                    "{what} '{}' needs exactly one of: every_year, every_month, date, or from and until",
                    file.reason
                ),
            );
            return None;
        }
        let one_off = file.date.is_some() || file.from.is_some() || file.until.is_some();
        let pattern = if let Some(every_year) = file.every_year {
            let from = self.month_day(&every_year.get_ref().from);
            let until = self.month_day(&every_year.get_ref().until);
            DatePattern::Yearly {
                from: from?,
                until: until?,
            }
        } else if let Some(every_month) = file.every_month {
            self.monthly(every_month)?
        } else if let Some(date) = file.date {
            let date = self.date(&date)?;
            DatePattern::Dates {
                from: date,
                until: date,
            }
        } else {
            let (Some(from), Some(until)) = (file.from, file.until) else {
                self.problem(span, format!("{what} '{}' needs both from and until", file.reason));
                return None;
            };
            let (from_date, until_date) = (self.date(&from), self.date(&until));
            let (from_date, until_date) = (from_date?, until_date?);
            if until_date < from_date {
                self.problem(
                    until.span(),
                    format!(
                        "{what} '{}' ends on {until_date}, before it starts on {from_date}",
                        file.reason
                    ),
                );
                return None;
            }
            DatePattern::Dates {
                from: from_date,
                until: until_date,
            }
        };
        let hours = match file.hours {
            Some(list) => {
                let list_span = list.span();
                let hours = self.hours(list.into_inner())?;
                if hours.is_closed() {
                    self.problem(list_span, format!("{what} '{}' has an empty hours list", file.reason));
                    return None;
                }
                Some(hours)
            }
            None => None,
        };
        let effect = match (opening, hours) {
            (true, Some(hours)) => Effect::Open(hours),
            (true, None) => {
                self.problem(
                    span,
                    format!(
                        "[[opening]] '{}' needs hours, e.g. hours = [\"09:00-12:00\"]",
                        file.reason
                    ),
                );
                return None;
            }
            (false, Some(hours)) => Effect::CloseHours(hours),
            (false, None) => Effect::CloseDay,
        };
        let even_on_holidays = file.even_on_holidays.as_ref().is_some_and(|e| *e.get_ref());
        if let (Some(flag), false) = (&file.even_on_holidays, opening) {
            self.problem(flag.span(), "even_on_holidays is for [[opening]] rules only");
            return None;
        }
        Some(DayRule {
            pattern,
            effect,
            reason: file.reason,
            category,
            one_off,
            even_on_holidays,
            line,
        })
    }

    fn monthly(&mut self, every_month: Spanned<EveryMonthFile>) -> Option<DatePattern> {
        let m = every_month.into_inner();
        let weekday = parse_weekday(m.weekday.get_ref());
        if weekday.is_none() {
            self.problem(
                m.weekday.span(),
                format!(
                    "unknown weekday '{}' (use mon, tue, wed, thu, fri, sat, sun)",
                    m.weekday.get_ref()
                ),
            );
        }
        let nth = match m.nth.get_ref() {
            OneOrMany::One(n) => vec![*n],
            OneOrMany::Many(ns) => ns.clone(),
        };
        if nth.is_empty() || nth.iter().any(|n| !(1..=5).contains(n) && *n != -1) {
            self.problem(
                m.nth.span(),
                "nth must be 1 to 5, or -1 for the last, or a list of those",
            );
            return None;
        }
        if !(-27..=27).contains(&m.days_after) {
            self.problem(m.nth.span(), "days_after must be between -27 and 27");
            return None;
        }
        Some(DatePattern::Monthly {
            nth,
            weekday: weekday?,
            days_after: m.days_after,
        })
    }

    fn month_day(&mut self, text: &Spanned<String>) -> Option<MonthDay> {
        let parsed = text.get_ref().split_once('-').and_then(|(m, d)| {
            let month: i8 = m.parse().ok()?;
            let day: i8 = d.parse().ok()?;
            // 2024 is a leap year, so 02-29 is accepted.
            Date::new(2024, month, day).ok().map(|_| MonthDay { month, day })
        });
        if parsed.is_none() {
            self.problem(
                text.span(),
                format!(
                    "'{}' is not a month and day (expected MM-DD, e.g. 12-29)",
                    text.get_ref()
                ),
            );
        }
        parsed
    }

    fn date(&mut self, value: &Spanned<toml::value::Datetime>) -> Option<Date> {
        let dt = value.get_ref();
        let parsed = match (dt.date, dt.time) {
            (Some(d), None) => Date::new(d.year as i16, d.month as i8, d.day as i8).ok(),
            _ => None,
        };
        match parsed {
            None => {
                self.problem(
                    value.span(),
                    format!("'{dt}' is not a date (expected YYYY-MM-DD, without a time)"),
                );
                None
            }
            Some(date) if !SUPPORTED_YEARS.contains(&date.year()) => {
                self.problem(
                    value.span(),
                    format!(
                        "{date} is outside the years the holiday rules cover ({}–{})",
                        SUPPORTED_YEARS.start(),
                        SUPPORTED_YEARS.end()
                    ),
                );
                None
            }
            Some(date) => Some(date),
        }
    }
}

pub(crate) fn parse_weekday(text: &str) -> Option<Weekday> {
    Some(match text {
        "mon" => Weekday::Monday,
        "tue" => Weekday::Tuesday,
        "wed" => Weekday::Wednesday,
        "thu" => Weekday::Thursday,
        "fri" => Weekday::Friday,
        "sat" => Weekday::Saturday,
        "sun" => Weekday::Sunday,
        _ => return None,
    })
}
