//! The reports the city receives, from the browser (`/reports`): city staff and supervisors
//! download the daily and monthly reports as printable HTML, PDF, CSV or JSON, made exactly as
//! `tsunagu report` makes them. No personal information is in them.
//!
//! - `GET /api/reports/daily?date=YYYY-MM-DD&format=html|pdf|csv|json`
//! - `GET /api/reports/monthly?month=YYYY-MM&format=html|pdf|csv|json`

use axum::Router;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use jiff::civil::Date;
use serde::Deserialize;

use super::AppState;
use super::error::ApiError;
use super::extract::{BookingReader, StaffSession};
use crate::auth::Role;
use crate::lang::Lang;
use crate::report::html::{daily_html, monthly_html};
use crate::report::table::{days_csv, monthly_csv};
use crate::reporting::{self, Sources};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/reports", get(|| async { Html(include_str!("assets/reports.html")) }))
        .route("/api/reports/daily", get(daily))
        .route("/api/reports/monthly", get(monthly))
}

/// Reports read the clock (a day in progress, the date made).
#[allow(clippy::disallowed_methods)]
fn now() -> jiff::Timestamp {
    jiff::Timestamp::now()
}

#[derive(Debug, Clone, Copy, Deserialize, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Format {
    #[default]
    Html,
    Pdf,
    Csv,
    Json,
}

fn readers_only(staff: &StaffSession) -> Result<(), ApiError> {
    match staff.session.role {
        Role::City | Role::Supervisor | Role::Admin => Ok(()),
        Role::Agent => Err(ApiError::Forbidden("for city staff and supervisors".into())),
    }
}

fn sources(state: &AppState) -> Sources<'_> {
    Sources {
        store: &state.store,
        calendars: &state.calls.calendars,
        sla_calendar: &state.calls.settings.sla_calendar,
        due_calendar: &state.reports.due_calendar,
        thresholds: state.thresholds,
        office_names: state
            .booking
            .offices
            .snapshot()
            .iter()
            .map(|o| (o.id.clone(), o.name.clone()))
            .collect(),
        faq_questions: state
            .faq
            .snapshot()
            .values()
            .map(|e| (e.id.clone(), e.question_in(Lang::Ja).1.to_string()))
            .collect(),
    }
}

fn made_at() -> String {
    crate::calendar::tokyo_time(now())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

/// The answer in the format asked for; `name` without its extension.
async fn answer(
    state: &AppState,
    format: Format,
    name: &str,
    html: String,
    csv: Vec<u8>,
    json: String,
) -> Result<Response, ApiError> {
    let (kind, ext, body): (&str, &str, Vec<u8>) = match format {
        Format::Html => ("text/html; charset=utf-8", "html", html.into_bytes()),
        Format::Csv => ("text/csv; charset=utf-8", "csv", csv),
        Format::Json => ("application/json", "json", json.into_bytes()),
        Format::Pdf => {
            let chromium = state.reports.chromium.clone();
            let pdf = tokio::task::spawn_blocking(move || crate::print::html_to_pdf(&html, &chromium))
                .await
                .map_err(ApiError::internal)?
                .map_err(|e| ApiError::Unavailable {
                    message: format!("PDF を作成できません: {e}"),
                    retry_after: 60,
                })?;
            ("application/pdf", "pdf", pdf)
        }
    };
    let disposition = if format == Format::Html {
        "inline".to_string()
    } else {
        format!("attachment; filename=\"{name}.{ext}\"")
    };
    Ok((
        [
            (header::CONTENT_TYPE, kind.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
struct DailyQuery {
    date: String,
    #[serde(default)]
    format: Format,
}

async fn daily(
    State(state): State<AppState>,
    BookingReader { staff, .. }: BookingReader,
    Query(query): Query<DailyQuery>,
) -> Result<Response, ApiError> {
    readers_only(&staff)?;
    let date: Date =
        query.date.trim().parse().map_err(|_| {
            ApiError::BadRequest(format!("date: 日付は YYYY-MM-DD で指定してください ({})", query.date))
        })?;
    let (figures, categories) = reporting::daily(&sources(&state), date, now()).await?;
    let html = daily_html(&figures, &categories, &made_at());
    let csv = days_csv(std::slice::from_ref(&figures), true).map_err(ApiError::internal)?;
    let json = serde_json::to_string_pretty(&figures).map_err(ApiError::internal)?;
    answer(&state, query.format, &format!("daily-report-{date}"), html, csv, json).await
}

#[derive(Debug, Deserialize)]
struct MonthlyQuery {
    month: String,
    #[serde(default)]
    format: Format,
}

async fn monthly(
    State(state): State<AppState>,
    BookingReader { staff, .. }: BookingReader,
    Query(query): Query<MonthlyQuery>,
) -> Result<Response, ApiError> {
    readers_only(&staff)?;
    let first: Date = format!("{}-01", query.month.trim())
        .parse()
        .map_err(|_| ApiError::BadRequest(format!("month: 年月は YYYY-MM で指定してください ({})", query.month)))?;
    let report = reporting::monthly(&sources(&state), first, now(), None).await?;
    let html = monthly_html(&report);
    let csv = monthly_csv(&report).map_err(ApiError::internal)?;
    let json = serde_json::to_string_pretty(&report).map_err(ApiError::internal)?;
    answer(
        &state,
        query.format,
        &format!("monthly-report-{}", report.month),
        html,
        csv,
        json,
    )
    .await
}
