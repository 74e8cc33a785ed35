//! Answers from a calendar: a day's hours, open-or-closed at an instant and why, the next
//! opening, the open intervals of a date range, open days in a month.
//!
//! Everything here is pure and takes local Tokyo date-times; [`super::tokyo`] converts an
//! instant. Japan has kept one offset (+09:00, no daylight saving) since 1951, so a local
//! date-time and an instant map one to one over every year we handle.

use jiff::Span;
use jiff::civil::{Date, DateTime};

use super::holidays::{Holiday, holiday_on};
use super::rules::{Calendar, ClosureCategory, DayRule, Effect};
use super::time_of_day::{DayHours, Interval, TimeOfDay};

/// How far ahead [`Calendar::next_opening`] looks before it gives up (a bit over two years,
/// so that a calendar whose next fiscal year is not entered yet answers "unknown" quickly).
const NEXT_OPENING_HORIZON_DAYS: i64 = 800;

/// Why a place is closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClosedReason {
    /// A national holiday (or substitute / citizens' holiday) and the calendar closes on them.
    NationalHoliday(Holiday),
    /// A recurring closure: the year-end break, the 1st Saturday, ...
    RecurringClosure { reason: String, category: ClosureCategory },
    /// A one-off closure: maintenance, a disaster, a planned power cut.
    TemporaryClosure { reason: String, category: ClosureCategory },
    /// A weekday on which the weekly hours have no opening (Mondays at a card center).
    RegularDayOff,
    /// An open day, but before opening, after closing, or in a break.
    OutsideHours,
    /// No period of the calendar covers the date: nobody has entered the hours yet.
    NoHoursDefined,
}

impl ClosedReason {
    /// Why it is closed, in Japanese, for staff pages, the citizen pages and notices: a
    /// holiday's name, a closure's reason as the city wrote it.
    pub fn japanese(&self) -> String {
        match self {
            ClosedReason::NationalHoliday(h) => format!("休業（{}）", h.name.japanese()),
            ClosedReason::RecurringClosure { reason, .. } | ClosedReason::TemporaryClosure { reason, .. } => {
                format!("休業（{reason}）")
            }
            ClosedReason::RegularDayOff => "休業日".to_string(),
            ClosedReason::OutsideHours => "受付時間外".to_string(),
            ClosedReason::NoHoursDefined => "受付時間が未定です".to_string(),
        }
    }

    /// A short English description, for logs and the command line. Callers hear the
    /// prompts of their own language, composed from the variant, not this text.
    pub fn describe(&self) -> String {
        match self {
            ClosedReason::NationalHoliday(h) => {
                format!("national holiday: {} ({})", h.name.english(), h.name.japanese())
            }
            ClosedReason::RecurringClosure { reason, category } if *category == ClosureCategory::YearEnd => {
                format!("year-end break: {reason}")
            }
            ClosedReason::RecurringClosure { reason, .. } => format!("regular closure: {reason}"),
            ClosedReason::TemporaryClosure { reason, .. } => format!("temporary closure: {reason}"),
            ClosedReason::RegularDayOff => "closed on this weekday".to_string(),
            ClosedReason::OutsideHours => "outside opening hours".to_string(),
            ClosedReason::NoHoursDefined => "no opening hours defined for this date".to_string(),
        }
    }
}

/// A day's schedule after every rule has been applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Day {
    pub date: Date,
    /// The hours it is open.
    pub open: DayHours,
    /// Why it is closed all day, when `open` is empty.
    pub closed_all_day: Option<ClosedReason>,
    /// Closures of part of the day (a power cut 13:00–15:00), with their reasons.
    pub partial_closures: Vec<(Interval, ClosedReason)>,
}

/// Open or closed at an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenState {
    /// Open; closes (at least for now) at `until`.
    Open { until: DateTime },
    /// Closed, why, and when it opens next (`None`: no opening in the calendar's known future).
    Closed {
        reason: ClosedReason,
        next_opening: Option<DateTime>,
    },
}

impl OpenState {
    pub fn is_open(&self) -> bool {
        matches!(self, OpenState::Open { .. })
    }
}

/// One open interval on one date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenInterval {
    pub date: Date,
    pub hours: Interval,
}

impl Calendar {
    /// The schedule of one date. Precedence, from weakest to strongest (so that the most
    /// specific thing anyone wrote down wins):
    /// 1. the weekly hours of the period covering the date;
    /// 2. recurring openings (they replace the weekly hours of the day; only within a period);
    /// 3. national holidays, when the calendar closes on them (unless a recurring opening of
    ///    the day says `even_on_holidays`);
    /// 4. recurring closures (whole day or some hours);
    /// 5. one-off openings (they open even on a holiday or a recurring closure);
    /// 6. one-off closures.
    pub fn day(&self, date: Date) -> Day {
        let period = self.periods.iter().find(|p| p.covers(date));
        let mut day = match period {
            Some(p) => {
                let open = p.hours_on(date.weekday()).clone();
                let closed_all_day = open.is_closed().then_some(ClosedReason::RegularDayOff);
                Day {
                    date,
                    open,
                    closed_all_day,
                    partial_closures: Vec::new(),
                }
            }
            None => Day {
                date,
                open: DayHours::closed(),
                closed_all_day: Some(ClosedReason::NoHoursDefined),
                partial_closures: Vec::new(),
            },
        };
        let matching = |opening: bool, one_off: bool| {
            self.rules
                .iter()
                .filter(move |r| r.effect.is_opening() == opening && r.one_off == one_off)
                .filter(move |r| r.pattern.matches(date))
        };
        // A recurring opening belongs to the hours of its period: with no period entered for
        // the date (next fiscal year not decided), it does not open the day on its own.
        let recurring_openings: Vec<&DayRule> = match period {
            Some(_) => matching(true, false).collect(),
            None => Vec::new(),
        };
        if !recurring_openings.is_empty() {
            day.set_open(union_of(&recurring_openings));
        }
        let opens_on_holidays = recurring_openings.iter().any(|r| r.even_on_holidays);
        if self.closed_on_national_holidays && !opens_on_holidays {
            if let Some(holiday) = holiday_on(date) {
                day.close_all_day(ClosedReason::NationalHoliday(holiday));
            }
        }
        for rule in matching(false, false) {
            let reason = ClosedReason::RecurringClosure {
                reason: rule.reason.clone(),
                category: rule.category,
            };
            day.apply_closure(&rule.effect, reason);
        }
        let one_off_openings: Vec<&DayRule> = matching(true, true).collect();
        if !one_off_openings.is_empty() {
            day.set_open(union_of(&one_off_openings));
        }
        for rule in matching(false, true) {
            let reason = ClosedReason::TemporaryClosure {
                reason: rule.reason.clone(),
                category: rule.category,
            };
            day.apply_closure(&rule.effect, reason);
        }
        day
    }

    /// Open or closed at local Tokyo time `at`, with the reason and the next opening.
    pub fn status(&self, at: DateTime) -> OpenState {
        let day = self.day(at.date());
        let now = TimeOfDay::of(at.time());
        if let Some(interval) = day.open.containing(now) {
            return OpenState::Open {
                until: local(at.date(), interval.end),
            };
        }
        let reason = day
            .partial_closures
            .iter()
            .find(|(i, _)| i.contains(now))
            .map(|(_, r)| r.clone())
            .or(day.closed_all_day)
            .unwrap_or(ClosedReason::OutsideHours);
        OpenState::Closed {
            reason,
            next_opening: self.next_opening(at),
        }
    }

    /// The first moment at or after `at` when it is open (`at` itself when open now), looking
    /// a bit over two years ahead.
    pub fn next_opening(&self, at: DateTime) -> Option<DateTime> {
        let now = TimeOfDay::of(at.time());
        let mut date = at.date();
        for _ in 0..NEXT_OPENING_HORIZON_DAYS {
            let day = self.day(date);
            for interval in day.open.intervals() {
                if date == at.date() {
                    if interval.contains(now) {
                        return Some(at);
                    }
                    if interval.start < now {
                        continue;
                    }
                }
                return Some(local(date, interval.start));
            }
            date = date.tomorrow().ok()?;
        }
        None
    }

    /// The open intervals from `from` to `to`, both dates included.
    pub fn open_intervals(&self, from: Date, to: Date) -> Vec<OpenInterval> {
        dates(from, to)
            .flat_map(|date| {
                let day = self.day(date);
                day.open
                    .intervals()
                    .iter()
                    .map(move |&hours| OpenInterval { date, hours })
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// The days from `from` to `to` with their schedule, for listings that show closed days too.
    pub fn days(&self, from: Date, to: Date) -> impl Iterator<Item = Day> + '_ {
        dates(from, to).map(|date| self.day(date))
    }

    /// How many days of a month are open at least part of the day.
    pub fn open_days_in_month(&self, year: i16, month: i8) -> usize {
        let Ok(first) = Date::new(year, month, 1) else {
            return 0;
        };
        self.days(first, first.last_of_month())
            .filter(|d| !d.open.is_closed())
            .count()
    }
}

impl Day {
    fn set_open(&mut self, hours: DayHours) {
        self.closed_all_day = hours.is_closed().then_some(ClosedReason::RegularDayOff);
        self.open = hours;
        self.partial_closures.clear();
    }

    fn close_all_day(&mut self, reason: ClosedReason) {
        self.open = DayHours::closed();
        self.partial_closures.clear();
        self.closed_all_day = Some(reason);
    }

    fn apply_closure(&mut self, effect: &Effect, reason: ClosedReason) {
        match effect {
            Effect::CloseDay => self.close_all_day(reason),
            Effect::CloseHours(hours) => {
                for &cut in hours.intervals() {
                    // Only a cut into open hours is worth explaining; on a closed day the
                    // day's own reason stays the truth.
                    if self.open.intervals().iter().any(|i| i.overlaps(cut)) {
                        self.open = self.open.without(cut);
                        self.partial_closures.push((cut, reason.clone()));
                    }
                }
                if self.open.is_closed() && self.closed_all_day.is_none() {
                    // The cut took every open hour: say why, rather than "outside hours".
                    self.closed_all_day = Some(reason);
                }
            }
            Effect::Open(_) => {}
        }
    }
}

fn union_of(rules: &[&DayRule]) -> DayHours {
    rules.iter().fold(DayHours::closed(), |acc, r| match &r.effect {
        Effect::Open(hours) => acc.union(hours),
        _ => acc,
    })
}

fn dates(from: Date, to: Date) -> impl Iterator<Item = Date> {
    from.series(Span::new().days(1)).take_while(move |d| *d <= to)
}

/// The local date-time of a time of day on a date; 24:00 is midnight of the next day.
fn local(date: Date, t: TimeOfDay) -> DateTime {
    if t == TimeOfDay::END_OF_DAY {
        if let Ok(next) = date.tomorrow() {
            return next.to_datetime(jiff::civil::Time::midnight());
        }
    }
    let time = jiff::civil::Time::new(t.hour() as i8, t.minute() as i8, 0, 0).unwrap_or(jiff::civil::Time::midnight());
    date.to_datetime(time)
}
