//! The supervisors' dashboard (`/dashboard`): today live (from memory: the running tally, the
//! desk, the day's forecast) and the history of any range of days up to [`MAX_DAYS`] (answer
//! rate per day against 85 %, a weekday × interval heat map of calls, categories over time),
//! everything also as CSV for Excel. The page draws its charts from these answers.
//!
//! - `GET /api/dashboard/today`
//! - `GET /api/dashboard/history?from=YYYY-MM-DD&to=YYYY-MM-DD`
//! - `GET /api/dashboard/history.csv?from=…&to=…&detail=true` (UTF-8 with BOM)
//! - `GET /api/dashboard/day?date=YYYY-MM-DD` (one day by interval, language, line, agent)

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Json, Router};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::error::ApiError;
use super::extract::Supervisor;
use super::today::{Today, today};
use crate::calendar;
use crate::journal::agent::state_label;
use crate::report::categories::category_label;
use crate::report::metrics::{DayFigures, INTERVALS, day_metrics};
use crate::report::table::days_csv;

/// The longest range one request folds (a quarter): the history reads every day's rows.
pub const MAX_DAYS: i32 = 93;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/dashboard",
            get(|| async { Html(include_str!("assets/dashboard.html")) }),
        )
        .route("/api/dashboard/today", get(live))
        .route("/api/dashboard/history", get(history))
        .route("/api/dashboard/history.csv", get(history_csv))
        .route("/api/dashboard/day", get(one_day))
}

/// The dashboard reads the clock (today, and where a day in progress ends).
#[allow(clippy::disallowed_methods)]
fn now() -> Timestamp {
    Timestamp::now()
}

#[derive(Debug, Serialize)]
struct Live {
    #[serde(flatten)]
    today: Today,
    waiting: usize,
    longest_wait_seconds: u64,
    /// Agents (not supervisors) by state label: 「受付可」 3.
    agents_by_state: BTreeMap<String, u32>,
}

async fn live(State(state): State<AppState>, _: Supervisor) -> Result<Json<Live>, ApiError> {
    let view = state
        .acd
        .view()
        .await
        .ok_or_else(|| ApiError::internal("the desk is not answering"))?;
    let roles = state.store.staff_roles().await?;
    let agents: Vec<String> = view
        .agents
        .iter()
        .filter(|a| roles.get(&a.name).is_none_or(|role| role == "agent"))
        .map(|a| a.name.clone())
        .collect();
    let mut agents_by_state = BTreeMap::new();
    for a in view.agents.iter().filter(|a| agents.contains(&a.name)) {
        let name = a.state.name();
        if name != crate::journal::AgentStateName::LoggedOut {
            *agents_by_state.entry(state_label(name, a.state.reason())).or_default() += 1;
        }
    }
    let today = today(&state, &view, now(), &agents).await;
    Ok(Json(Live {
        today,
        waiting: view.waiting.len(),
        longest_wait_seconds: view.waiting.iter().map(|w| w.waited.as_secs()).max().unwrap_or(0),
        agents_by_state,
    }))
}

#[derive(Debug, Deserialize)]
struct Range {
    from: String,
    to: String,
    #[serde(default)]
    detail: bool,
}

fn parse_date(text: &str, key: &str) -> Result<Date, ApiError> {
    text.trim()
        .parse::<Date>()
        .map_err(|_| ApiError::BadRequest(format!("{key}: 日付は YYYY-MM-DD で指定してください ({text})")))
}

fn dates(range: &Range) -> Result<Vec<Date>, ApiError> {
    let from = parse_date(&range.from, "from")?;
    let to = parse_date(&range.to, "to")?;
    if to < from {
        return Err(ApiError::BadRequest("to: from より前の日付です".into()));
    }
    let days = from.until(to).map(|span| span.get_days()).unwrap_or(i32::MAX);
    if days >= MAX_DAYS {
        return Err(ApiError::BadRequest(format!(
            "期間は {MAX_DAYS} 日までです (at most {MAX_DAYS} days)"
        )));
    }
    Ok(from
        .series(jiff::Span::new().days(1))
        .take_while(|d| *d <= to)
        .collect())
}

/// One day's figures, from the store.
async fn figures_of(state: &AppState, date: Date) -> Result<DayFigures, ApiError> {
    let rows = state.store.day_rows(date).await?;
    let (_, end) = calendar::tokyo_day(date);
    let until = end.min(now());
    Ok(day_metrics(date, &rows.calls, &rows.events, until, state.thresholds).figures())
}

#[derive(Debug, Serialize)]
struct DayRow {
    date: String,
    /// 月 火 水 …
    weekday: &'static str,
    /// Why the center was closed all day, by the calendar as it stands.
    closed: Option<String>,
    #[serde(flatten)]
    figures: crate::report::tally::Figures,
}

#[derive(Debug, Serialize)]
struct History {
    from: String,
    to: String,
    target: f64,
    service_level_seconds: u32,
    days: Vec<DayRow>,
    /// The range as one total.
    total: crate::report::tally::Figures,
    /// Calls received per weekday (Monday first) and interval, averaged over the weekdays in
    /// the range: where the demand lands, out of hours included.
    heatmap: Vec<Vec<f64>>,
    /// Category → calls per day (in `days` order).
    categories: BTreeMap<String, Vec<i64>>,
}

const WEEKDAYS: [&str; 7] = ["月", "火", "水", "木", "金", "土", "日"];

async fn history(
    State(state): State<AppState>,
    _: Supervisor,
    Query(range): Query<Range>,
) -> Result<Json<History>, ApiError> {
    let dates = dates(&range)?;
    let calendar = state.calls.calendars.get(&state.calls.settings.sla_calendar);
    let mut days = Vec::with_capacity(dates.len());
    let mut total = crate::report::tally::Tally::default();
    let mut heat = vec![vec![0.0; INTERVALS]; 7];
    let mut weekdays_seen = [0u32; 7];
    for date in &dates {
        let rows = state.store.day_rows(*date).await?;
        let (_, end) = calendar::tokyo_day(*date);
        let m = day_metrics(*date, &rows.calls, &rows.events, end.min(now()), state.thresholds);
        total.add(&m.day);
        let weekday = date.weekday().to_monday_zero_offset() as usize;
        weekdays_seen[weekday] += 1;
        for (i, (tally, _)) in m.intervals.iter().enumerate() {
            heat[weekday][i] += f64::from(tally.received);
        }
        days.push(DayRow {
            date: date.to_string(),
            weekday: WEEKDAYS[weekday],
            closed: calendar
                .as_ref()
                .and_then(|c| c.day(*date).closed_all_day.map(|r| r.japanese())),
            figures: (&m.day).into(),
        });
    }
    for (weekday, row) in heat.iter_mut().enumerate() {
        let seen = f64::from(weekdays_seen[weekday].max(1));
        row.iter_mut().for_each(|cell| *cell /= seen);
    }
    let index: BTreeMap<String, usize> = dates.iter().enumerate().map(|(i, d)| (d.to_string(), i)).collect();
    let mut categories: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let (from, to) = (dates[0].to_string(), dates[dates.len() - 1].to_string());
    for (date, category, calls) in state.store.categories_by_day(&from, &to).await? {
        if let Some(&i) = index.get(&date) {
            categories
                .entry(category_label(&category))
                .or_insert_with(|| vec![0; dates.len()])[i] += calls;
        }
    }
    Ok(Json(History {
        from,
        to,
        target: crate::report::daily::TARGET,
        service_level_seconds: state.thresholds.service_level_seconds,
        total: (&total).into(),
        days,
        heatmap: heat,
        categories,
    }))
}

async fn history_csv(
    State(state): State<AppState>,
    _: Supervisor,
    Query(range): Query<Range>,
) -> Result<impl IntoResponse, ApiError> {
    let dates = dates(&range)?;
    let mut days = Vec::with_capacity(dates.len());
    for date in &dates {
        days.push(figures_of(&state, *date).await?);
    }
    let body = days_csv(&days, range.detail).map_err(ApiError::internal)?;
    let name = format!("answer-rate-{}-{}.csv", dates[0], dates[dates.len() - 1]);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        body,
    ))
}

#[derive(Debug, Deserialize)]
struct OneDay {
    date: String,
}

async fn one_day(
    State(state): State<AppState>,
    _: Supervisor,
    Query(query): Query<OneDay>,
) -> Result<Json<DayFigures>, ApiError> {
    let date = parse_date(&query.date, "date")?;
    Ok(Json(figures_of(&state, date).await?))
}
