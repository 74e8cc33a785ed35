//! A validated calendar: weekly hours per period, and the rules that change single days.
//!
//! Values of these types only come out of [`crate::calendar::parse`], which has checked them
//! (intervals sorted and disjoint, periods not overlapping, weekdays known), so the evaluation
//! in [`crate::calendar::schedule`] never has to doubt them.

use jiff::civil::{Date, Weekday};

use super::holidays::nth_weekday;
use super::time_of_day::DayHours;

/// One opening calendar: the call center, a card center, a ward office.
#[derive(Debug, Clone, PartialEq)]
pub struct Calendar {
    /// Short name used on the command line, in flows and in the database (`call-center`).
    pub id: String,
    /// Name for people (`川崎市マイナンバーカードコールセンター`).
    pub name: String,
    /// Closed on 国民の祝日 and 休日 (substitute and citizens' holidays included).
    pub closed_on_national_holidays: bool,
    /// Periods with their weekly hours, sorted by start and not overlapping.
    pub periods: Vec<Period>,
    /// Day rules: recurring and one-off closures and openings, in file order.
    pub rules: Vec<DayRule>,
}

/// Weekly hours in force from `from` to `until` (both inclusive), e.g. a fiscal year.
#[derive(Debug, Clone, PartialEq)]
pub struct Period {
    pub name: String,
    pub from: Date,
    pub until: Date,
    /// Hours per weekday, Monday first.
    pub weekly: [DayHours; 7],
}

impl Period {
    pub fn covers(&self, date: Date) -> bool {
        self.from <= date && date <= self.until
    }

    pub fn hours_on(&self, weekday: Weekday) -> &DayHours {
        &self.weekly[usize::from(weekday.to_monday_zero_offset().unsigned_abs())]
    }
}

/// A rule that changes what a day's weekly hours say.
#[derive(Debug, Clone, PartialEq)]
pub struct DayRule {
    pub pattern: DatePattern,
    pub effect: Effect,
    /// Said to the caller and shown to staff: "年末年始休業", "system maintenance".
    pub reason: String,
    pub category: ClosureCategory,
    /// Whether this is a one-off (dated) rule; one-off rules win over recurring ones and
    /// over holidays, because they are the most specific thing anyone wrote down.
    pub one_off: bool,
    /// For a recurring opening: it opens even on a national holiday (Kawasaki's ward offices
    /// open the 2nd and 4th Saturday mornings "祝日を含む").
    pub even_on_holidays: bool,
    /// The line of the calendar file the rule starts on, for messages.
    pub line: usize,
}

/// What a rule does to the days it matches.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Closed the whole day.
    CloseDay,
    /// Closed during these hours only (a planned power cut from 13:00 to 15:00).
    CloseHours(DayHours),
    /// Open during these hours instead of the weekly hours ("2nd and 4th Saturday 8:30–12:30").
    Open(DayHours),
}

impl Effect {
    pub fn is_opening(&self) -> bool {
        matches!(self, Effect::Open(_))
    }
}

/// Which kind of closure, so that the caller hears the right message without anyone parsing
/// the reason text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClosureCategory {
    YearEnd,
    Maintenance,
    Disaster,
    PowerOutage,
    Other,
}

impl ClosureCategory {
    pub const NAMES: [&'static str; 5] = ["year-end", "maintenance", "disaster", "power-outage", "other"];

    pub fn parse(text: &str) -> Option<ClosureCategory> {
        Some(match text {
            "year-end" => ClosureCategory::YearEnd,
            "maintenance" => ClosureCategory::Maintenance,
            "disaster" => ClosureCategory::Disaster,
            "power-outage" => ClosureCategory::PowerOutage,
            "other" => ClosureCategory::Other,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ClosureCategory::YearEnd => "year-end",
            ClosureCategory::Maintenance => "maintenance",
            ClosureCategory::Disaster => "disaster",
            ClosureCategory::PowerOutage => "power-outage",
            ClosureCategory::Other => "other",
        }
    }
}

/// Which days a rule applies to.
#[derive(Debug, Clone, PartialEq)]
pub enum DatePattern {
    /// Every year from one month-day to another, wrapping over New Year (Dec 29 – Jan 3).
    Yearly { from: MonthDay, until: MonthDay },
    /// The `nth` `weekday` of every month, shifted by `days_after` ("the Sunday after the 3rd
    /// Saturday" is nth 3, Saturday, 1 day after). `nth` −1 means the last one.
    Monthly {
        nth: Vec<i8>,
        weekday: Weekday,
        days_after: i8,
    },
    /// A run of dates, both ends included (a one-off closure of one or more days).
    Dates { from: Date, until: Date },
}

/// A month and day, as in `12-29`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct MonthDay {
    pub month: i8,
    pub day: i8,
}

impl DatePattern {
    pub fn matches(&self, date: Date) -> bool {
        match self {
            DatePattern::Yearly { from, until } => {
                let md = MonthDay {
                    month: date.month(),
                    day: date.day(),
                };
                if from <= until {
                    *from <= md && md <= *until
                } else {
                    md >= *from || md <= *until
                }
            }
            DatePattern::Monthly {
                nth,
                weekday,
                days_after,
            } => {
                // The anchor may lie in the previous month ("the day after the last Friday").
                let Ok(anchor_day) = date.checked_sub(jiff::Span::new().days(i64::from(*days_after))) else {
                    return false;
                };
                nth.iter()
                    .any(|&n| anchor_of(anchor_day.year(), anchor_day.month(), n, *weekday) == Some(anchor_day))
            }
            DatePattern::Dates { from, until } => *from <= date && date <= *until,
        }
    }
}

/// The `nth` `weekday` of a month; jiff counts a negative `nth` from the end of the month.
fn anchor_of(year: i16, month: i8, nth: i8, weekday: Weekday) -> Option<Date> {
    nth_weekday(year, month, nth, weekday)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn sunday_after_the_third_saturday() {
        let p = DatePattern::Monthly {
            nth: vec![3],
            weekday: Weekday::Saturday,
            days_after: 1,
        };
        // May 2026: Saturdays 2, 9, 16 → Sunday 17.
        assert!(p.matches(date(2026, 5, 17)));
        assert!(!p.matches(date(2026, 5, 10)));
        assert!(!p.matches(date(2026, 5, 16)));
        // August 2026: Saturdays 1, 8, 15 → Sunday 16.
        assert!(p.matches(date(2026, 8, 16)));
    }

    #[test]
    fn last_weekday_and_year_end_wrap() {
        let last_friday = DatePattern::Monthly {
            nth: vec![-1],
            weekday: Weekday::Friday,
            days_after: 0,
        };
        assert!(
            last_friday.matches(date(2026, 7, 31)),
            "July 31 2026 is the last Friday"
        );
        assert!(last_friday.matches(date(2026, 6, 26)));
        assert!(!last_friday.matches(date(2026, 6, 19)));
        let year_end = DatePattern::Yearly {
            from: MonthDay { month: 12, day: 29 },
            until: MonthDay { month: 1, day: 3 },
        };
        for d in [
            date(2026, 12, 29),
            date(2026, 12, 31),
            date(2027, 1, 1),
            date(2027, 1, 3),
        ] {
            assert!(year_end.matches(d), "{d}");
        }
        for d in [date(2026, 12, 28), date(2027, 1, 4), date(2026, 6, 1)] {
            assert!(!year_end.matches(d), "{d}");
        }
    }
}
