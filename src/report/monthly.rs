//! The monthly report the city receives (月次報告, CC-REPORT): the month's figures by day and
//! by category, the service-level verification against every indicator, the days and half
//! hours that missed 85 % with room for the improvement plan, escalations and complaints,
//! security incidents (0 is an indicator) and the bookings per office. Pure: built from what
//! the store read. No personal information goes in: wrap-up notes stay out; categories, flags
//! and counts go in.
//!
//! The report is due three open days of the city's offices after the month ends
//! ([`due_date`], from the city's calendar).

use serde::Serialize;

use super::categories::category_label;
use super::daily::TARGET;
use super::metrics::{DayMetrics, INTERVALS, interval_label};
use super::tally::Figures;
use crate::calendar::Calendar;
use jiff::civil::Date;

/// How many open days after the month's end the report is due.
pub const DUE_OPEN_DAYS: usize = 3;

/// The date the report of `month` (its first day) is due: the third day the city's offices
/// open after the month ends. `None` when the calendar knows no such day within 60 days.
pub fn due_date(first_of_month: Date, city: &Calendar) -> Option<Date> {
    let next = first_of_month.last_of_month().tomorrow().ok()?;
    next.series(jiff::Span::new().days(1))
        .take(60)
        .filter(|d| city.day(*d).closed_all_day.is_none())
        .nth(DUE_OPEN_DAYS - 1)
}

/// A security incident as recorded by the operator (what happened stays in the record; the
/// report shows the date and the summary the operator wrote for the city).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Incident {
    pub occurred_on: String,
    pub summary: String,
}

/// Bookings of one office and service in the month (by appointment date).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OfficeBookings {
    pub office: String,
    pub service: String,
    pub booked: i64,
    pub cancelled: i64,
    /// Of the booked, how many an agent took on a call.
    pub by_phone: i64,
}

/// What the store read for the month.
#[derive(Debug, Clone)]
pub struct MonthInputs {
    pub first: Date,
    /// Every day of the month, in order (days without calls included).
    pub days: Vec<DayMetrics>,
    /// Why the call center was closed all day, per day (same order).
    pub closed: Vec<Option<String>>,
    /// Category key → calls.
    pub categories: Vec<(String, i64)>,
    pub escalations: i64,
    pub complaints: i64,
    /// Cases opened in the month: (kind, status, outcome, cases).
    pub cases: Vec<(String, String, String, i64)>,
    /// FAQ entries agents used: (id, question, calls).
    pub faq_used: Vec<(String, String, i64)>,
    /// FAQ revisions the city approved in the month: (id, revision, question).
    pub faq_approved: Vec<(String, i64, String)>,
    pub incidents: Vec<Incident>,
    pub bookings: Vec<OfficeBookings>,
    pub due: Option<Date>,
    /// When the report was made (Tokyo, `YYYY-MM-DD HH:MM`).
    pub made_at: String,
    /// The improvement plan the supervisor wrote, if any.
    pub plan: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DayLine {
    pub date: String,
    pub weekday: &'static str,
    pub closed: Option<String>,
    pub received: u32,
    pub out_of_hours: u32,
    pub offered: u32,
    pub answered: u32,
    pub abandoned: u32,
    pub busy: u32,
    pub answer_rate: Option<f64>,
    pub service_level: Option<f64>,
    pub average_speed_of_answer_seconds: Option<f64>,
    pub average_handling_seconds: Option<f64>,
    /// `None` when nothing was offered (a closed day).
    pub met: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Indicator {
    pub name: &'static str,
    pub target: String,
    pub actual: String,
    pub met: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MissedDay {
    pub date: String,
    pub weekday: &'static str,
    pub offered: u32,
    pub answered: u32,
    pub answer_rate: f64,
    /// Answers short of 85 % that day.
    pub short_by: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct MissedInterval {
    pub start: String,
    pub offered: u32,
    pub answered: u32,
    pub answer_rate: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct CategoryLine {
    pub category: String,
    pub label: String,
    pub calls: i64,
    pub share: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct LanguageLine {
    pub language: String,
    pub label: String,
    pub received: u32,
    pub answered: u32,
}

/// A FAQ entry used on calls, or revised, in the month.
#[derive(Debug, Clone, Serialize)]
pub struct FaqLine {
    pub id: String,
    pub question: String,
    /// Calls it was used on (used), or the revision approved (approved).
    pub count: i64,
}

/// Cases of one kind, status and outcome.
#[derive(Debug, Clone, Serialize)]
pub struct CaseLine {
    pub kind: String,
    pub status: String,
    pub outcome: String,
    pub cases: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct MonthlyReport {
    /// `2026-11`
    pub month: String,
    /// 2026年11月（令和8年11月）
    pub title_month: String,
    pub due: Option<String>,
    pub made_at: String,
    pub target: f64,
    pub service_level_seconds: u32,
    pub total: Figures,
    pub open_days: u32,
    pub days: Vec<DayLine>,
    pub indicators: Vec<Indicator>,
    pub missed_days: Vec<MissedDay>,
    pub missed_intervals: Vec<MissedInterval>,
    pub categories: Vec<CategoryLine>,
    pub languages: Vec<LanguageLine>,
    pub escalations: i64,
    pub complaints: i64,
    /// Cases opened in the month by kind, status and outcome (Japanese).
    pub cases: Vec<CaseLine>,
    /// FAQ entries used on calls, most used first.
    pub faq_used: Vec<FaqLine>,
    /// FAQ revisions approved in the month (new entries and revised ones).
    pub faq_approved: Vec<FaqLine>,
    pub incidents: Vec<Incident>,
    pub bookings: Vec<OfficeBookings>,
    /// Whether an indicator was missed (the plan is then required).
    pub plan_required: bool,
    pub plan: Option<String>,
}

pub const WEEKDAYS: [&str; 7] = ["月", "火", "水", "木", "金", "土", "日"];

/// 令和 year of a date (令和1年 = 2019).
pub fn reiwa(year: i16) -> i16 {
    year - 2018
}

fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "—".to_string(), |r| format!("{:.1} %", r * 100.0))
}

pub fn monthly_report(input: MonthInputs) -> MonthlyReport {
    let mut total = super::tally::Tally::default();
    let mut by_interval = vec![(0u32, 0u32); INTERVALS];
    let mut languages: std::collections::BTreeMap<String, (u32, u32)> = Default::default();
    let mut days = Vec::new();
    let mut missed_days = Vec::new();
    let mut open_days = 0;
    for (m, closed) in input
        .days
        .iter()
        .zip(input.closed.iter().chain(std::iter::repeat(&None)))
    {
        total.add(&m.day);
        let d = m.figures();
        let date = m.date;
        let weekday = WEEKDAYS[date.weekday().to_monday_zero_offset() as usize];
        let f = &d.day;
        let met = f.answer_rate.map(|r| r >= TARGET);
        if closed.is_none() {
            open_days += 1;
        }
        if let (Some(false), Some(rate)) = (met, f.answer_rate) {
            let needed = (f64::from(f.offered) * TARGET).ceil() as u32;
            missed_days.push(MissedDay {
                date: d.date.clone(),
                weekday,
                offered: f.offered,
                answered: f.answered,
                answer_rate: rate,
                short_by: needed.saturating_sub(f.answered),
            });
        }
        for (i, interval) in d.intervals.iter().enumerate() {
            by_interval[i].0 += interval.figures.offered;
            by_interval[i].1 += interval.figures.answered;
        }
        for (language, figures) in &d.languages {
            let entry = languages.entry(language.clone()).or_default();
            entry.0 += figures.received;
            entry.1 += figures.answered;
        }
        days.push(DayLine {
            date: d.date.clone(),
            weekday,
            closed: closed.clone(),
            received: f.received,
            out_of_hours: f.out_of_hours,
            offered: f.offered,
            answered: f.answered,
            abandoned: f.abandoned,
            busy: f.busy + f.shed,
            answer_rate: f.answer_rate,
            service_level: f.service_level,
            average_speed_of_answer_seconds: f.average_speed_of_answer_seconds,
            average_handling_seconds: f.average_handling_seconds,
            met,
        });
    }
    let missed_intervals = by_interval
        .iter()
        .enumerate()
        .filter(|(_, (offered, answered))| *offered > 0 && f64::from(*answered) < f64::from(*offered) * TARGET)
        .map(|(i, (offered, answered))| MissedInterval {
            start: interval_label(i),
            offered: *offered,
            answered: *answered,
            answer_rate: f64::from(*answered) / f64::from(*offered),
        })
        .collect();
    let days_with_calls = days.iter().filter(|d| d.met.is_some()).count();
    let days_met = days.iter().filter(|d| d.met == Some(true)).count();
    let month_rate = total.answer_rate();
    let indicators = vec![
        Indicator {
            name: "日次応答率 daily answer rate",
            target: "毎日 85 % 以上 every day ≥ 85 %".into(),
            actual: format!("{days_with_calls} 日中 {days_met} 日達成 ({days_met} of {days_with_calls} days)"),
            met: (days_with_calls > 0).then_some(days_met == days_with_calls),
        },
        Indicator {
            name: "月間応答率 monthly answer rate",
            target: "85 % 以上".into(),
            actual: format!("{} ({} / {})", percent(month_rate), total.answered, total.offered),
            met: month_rate.map(|r| r >= TARGET),
        },
        Indicator {
            name: "セキュリティ事故 security incidents",
            target: "0 件".into(),
            actual: format!("{} 件", input.incidents.len()),
            met: Some(input.incidents.is_empty()),
        },
    ];
    let plan_required = indicators.iter().any(|i| i.met == Some(false));
    let category_total: i64 = input.categories.iter().map(|(_, n)| n).sum();
    let mut categories: Vec<CategoryLine> = input
        .categories
        .iter()
        .map(|(key, calls)| CategoryLine {
            category: key.clone(),
            label: category_label(key),
            calls: *calls,
            share: if category_total > 0 {
                *calls as f64 / category_total as f64
            } else {
                0.0
            },
        })
        .collect();
    categories.sort_by(|a, b| b.calls.cmp(&a.calls).then(a.category.cmp(&b.category)));
    let year = input.first.year();
    MonthlyReport {
        month: input.first.strftime("%Y-%m").to_string(),
        title_month: format!(
            "{}年{}月（令和{}年{}月）",
            year,
            input.first.month(),
            reiwa(year),
            input.first.month()
        ),
        due: input.due.map(|d| d.to_string()),
        made_at: input.made_at,
        target: TARGET,
        service_level_seconds: input.days.first().map_or(20, |d| d.thresholds.service_level_seconds),
        total: Figures::from(&total),
        open_days,
        days,
        indicators,
        missed_days,
        missed_intervals,
        categories,
        languages: languages
            .into_iter()
            .map(|(language, (received, answered))| LanguageLine {
                label: super::table::item_name("language", &language),
                language,
                received,
                answered,
            })
            .collect(),
        escalations: input.escalations,
        complaints: input.complaints,
        cases: input
            .cases
            .iter()
            .map(|(kind, status, outcome, cases)| CaseLine {
                kind: crate::case::CaseKind::parse(kind).map_or_else(|| kind.clone(), |k| k.japanese().to_string()),
                status: crate::case::CaseStatus::parse(status)
                    .map_or_else(|| status.clone(), |s| s.japanese().to_string()),
                outcome: crate::case::Outcome::parse(outcome).map_or_else(String::new, |o| o.japanese().to_string()),
                cases: *cases,
            })
            .collect(),
        faq_used: {
            let mut used: Vec<FaqLine> = input
                .faq_used
                .into_iter()
                .map(|(id, question, count)| FaqLine { id, question, count })
                .collect();
            used.sort_by(|a, b| b.count.cmp(&a.count).then(a.id.cmp(&b.id)));
            used
        },
        faq_approved: input
            .faq_approved
            .into_iter()
            .map(|(id, revision, question)| FaqLine {
                id,
                question,
                count: revision,
            })
            .collect(),
        incidents: input.incidents,
        bookings: input.bookings,
        plan_required,
        plan: input.plan,
    }
}
