//! Gathers what the city's reports need from the store and the calendars, and hands it to the
//! pure report builders of [`crate::report`]: the CLI and the web side make reports the same way.

use jiff::Timestamp;
use jiff::civil::Date;

use crate::calendar::{self, CalendarSet};
use crate::report::metrics::{DayFigures, DayMetrics, Thresholds, day_metrics};
use crate::report::monthly::{MonthInputs, MonthlyReport, due_date, monthly_report};
use crate::store::{Store, StoreError};

/// Where the reports read from.
pub struct Sources<'a> {
    pub store: &'a Store,
    pub calendars: &'a CalendarSet,
    /// The call center's calendar (closed days).
    pub sla_calendar: &'a str,
    /// The city's offices' calendar (the monthly report's due date).
    pub due_calendar: &'a str,
    pub thresholds: Thresholds,
    /// Office id → its Japanese name (an office not listed shows its id).
    pub office_names: std::collections::BTreeMap<String, String>,
    /// FAQ entry id → its question in Japanese.
    pub faq_questions: std::collections::BTreeMap<String, String>,
}

/// A day's metrics; a day in progress ends its agents' last states at `now`.
pub async fn day(sources: &Sources<'_>, date: Date, now: Timestamp) -> Result<DayMetrics, StoreError> {
    let rows = sources.store.day_rows(date).await?;
    let (_, end) = calendar::tokyo_day(date);
    Ok(day_metrics(
        date,
        &rows.calls,
        &rows.events,
        end.min(now),
        sources.thresholds,
    ))
}

/// The daily report's figures and the day's categories.
pub async fn daily(
    sources: &Sources<'_>,
    date: Date,
    now: Timestamp,
) -> Result<(DayFigures, Vec<(String, i64)>), StoreError> {
    let figures = day(sources, date, now).await?.figures();
    let text = date.to_string();
    let categories = sources
        .store
        .categories_by_day(&text, &text)
        .await?
        .into_iter()
        .map(|(_, category, calls)| (category, calls))
        .collect();
    Ok((figures, categories))
}

/// The monthly report of the month `first` begins.
pub async fn monthly(
    sources: &Sources<'_>,
    first: Date,
    now: Timestamp,
    plan: Option<String>,
) -> Result<MonthlyReport, StoreError> {
    let first = first.first_of_month();
    let last = first.last_of_month();
    let center = sources.calendars.get(sources.sla_calendar);
    let mut days = Vec::new();
    let mut closed = Vec::new();
    for date in first.series(jiff::Span::new().days(1)).take_while(|d| *d <= last) {
        days.push(day(sources, date, now).await?);
        closed.push(
            center
                .as_ref()
                .and_then(|c| c.day(date).closed_all_day.map(|reason| reason.japanese())),
        );
    }
    let (from, to) = (first.to_string(), last.to_string());
    let mut categories: std::collections::BTreeMap<String, i64> = Default::default();
    for (_, category, calls) in sources.store.categories_by_day(&from, &to).await? {
        *categories.entry(category).or_default() += calls;
    }
    let (escalations, complaints) = sources.store.wrap_up_flags(&from, &to).await?;
    let incidents = sources.store.incidents(&from, &to).await?;
    let (month_start, _) = calendar::tokyo_day(first);
    let (_, month_end) = calendar::tokyo_day(last);
    let cases = sources
        .store
        .case_tally(&month_start.to_string(), &month_end.to_string())
        .await?;
    let next = last.tomorrow().unwrap_or(last).to_string();
    let mut bookings = sources.store.booking_counts(&from, &next).await?;
    for line in &mut bookings {
        if let Some(name) = sources.office_names.get(&line.office) {
            line.office = name.clone();
        }
        if let Some(service) = crate::booking::service::Service::parse(&line.service) {
            line.service = service.japanese().to_string();
        }
    }
    let question = |id: &str| sources.faq_questions.get(id).cloned().unwrap_or_default();
    let faq_used = sources
        .store
        .faq_use(&from, &to)
        .await?
        .into_iter()
        .map(|(id, calls)| {
            let q = question(&id);
            (id, q, calls)
        })
        .collect();
    let faq_approved = sources
        .store
        .faq_approved_between(&month_start.to_string(), &month_end.to_string())
        .await?
        .into_iter()
        .map(|(id, revision)| {
            let q = question(&id);
            (id, revision, q)
        })
        .collect();
    let due = sources
        .calendars
        .get(sources.due_calendar)
        .and_then(|c| due_date(first, &c));
    Ok(monthly_report(MonthInputs {
        first,
        days,
        closed,
        categories: categories.into_iter().collect(),
        escalations,
        complaints,
        cases,
        faq_used,
        faq_approved,
        incidents,
        bookings,
        due,
        made_at: calendar::tokyo_time(now).strftime("%Y-%m-%d %H:%M").to_string(),
        plan,
    }))
}
