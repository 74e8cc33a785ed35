//! The lists of a period (BK-LIST): `GET /api/bookings?from=&to=&office=` as JSON, and
//! `GET /api/bookings.csv` with the same query as CSV for Excel (UTF-8 with a BOM, Japanese
//! headers), by day, office and time; the page `/bookings` shows them, prints them (a page per
//! day), downloads the CSV, lists the bookings on closed times and a booking's history. City
//! staff read them. No e-mail address is ever listed.

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Json, Router};
use jiff::ToSpan;
use jiff::civil::Date;
use serde::Deserialize;
use tracing::info;

use super::super::AppState;
use super::super::error::ApiError;
use super::super::extract::{BookingReader, ClientAddress};
use super::grid::weekday_japanese;
use super::view::BookingView;
use crate::booking::{Channel, Visitor};

/// The longest period one list covers.
const MAX_DAYS: i64 = 366;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/bookings",
            get(|| async { Html(include_str!("../assets/bookings.html")) }),
        )
        .route("/api/bookings", get(list))
        .route("/api/bookings.csv", get(csv_list))
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    /// First day, `YYYY-MM-DD`.
    from: String,
    /// Last day, included (default: `from`).
    to: Option<String>,
    office: Option<String>,
    /// Cancelled bookings too (default: only those standing).
    #[serde(default)]
    include_cancelled: bool,
}

impl ListQuery {
    /// What a list covers, for the access audit: `2026-12-01..2026-12-07 kawasaki-center-kosugi`.
    fn subject(&self) -> String {
        format!(
            "{}..{} {}",
            self.from,
            self.to.as_deref().unwrap_or(&self.from),
            self.office.as_deref().filter(|o| !o.is_empty()).unwrap_or("all")
        )
    }
}

fn date(text: &str, what: &str) -> Result<Date, ApiError> {
    text.parse()
        .map_err(|_| ApiError::BadRequest(format!("{what} '{text}' is not a date (YYYY-MM-DD)")))
}

/// The bookings a query lists, sorted by day, office and time.
async fn listed(state: &AppState, query: &ListQuery) -> Result<Vec<BookingView>, ApiError> {
    let from = date(&query.from, "from")?;
    let to = match &query.to {
        Some(text) => date(text, "to")?,
        None => from,
    };
    if to < from {
        return Err(ApiError::BadRequest("to is before from".into()));
    }
    if (to - from).get_days() > MAX_DAYS as i32 {
        return Err(ApiError::BadRequest(format!("a list covers at most {MAX_DAYS} days")));
    }
    let end = to
        .checked_add(1.day())
        .map_err(|_| ApiError::BadRequest("the period is out of range".into()))?;
    let office = query.office.as_deref().filter(|o| !o.is_empty());
    let rows = state
        .store
        .bookings_between(&format!("{from}T00:00"), &format!("{end}T00:00"), office)
        .await?;
    let offices = state.booking.offices.snapshot();
    let mut views: Vec<BookingView> = rows
        .iter()
        .filter(|r| query.include_cancelled || r.is_booked())
        .map(|r| BookingView::new(r, &offices))
        .collect();
    views.sort_by(|a, b| {
        (a.start.get(..10), &a.office, &a.start, &a.code).cmp(&(b.start.get(..10), &b.office, &b.start, &b.code))
    });
    Ok(views)
}

async fn list(
    State(state): State<AppState>,
    BookingReader { staff, .. }: BookingReader,
    ClientAddress(address): ClientAddress,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<BookingView>>, ApiError> {
    let views = listed(&state, &query).await?;
    super::super::audit::record(&state, &staff, "bookings.list", &query.subject(), address).await?;
    info!(reader = %staff.name(), from = %query.from, rows = views.len(), "booking list read");
    Ok(Json(views))
}

async fn csv_list(
    State(state): State<AppState>,
    BookingReader { staff, .. }: BookingReader,
    ClientAddress(address): ClientAddress,
    Query(query): Query<ListQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let views = listed(&state, &query).await?;
    super::super::audit::record(&state, &staff, "bookings.export", &query.subject(), address).await?;
    info!(reader = %staff.name(), from = %query.from, rows = views.len(), "booking list exported (CSV)");
    let body = to_csv(&views).map_err(ApiError::internal)?;
    let name = format!("bookings-{}.csv", query.from);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        body,
    ))
}

/// The CSV of a list: a BOM (so Excel reads UTF-8 as such), Japanese headers, one booking a row.
pub fn to_csv(views: &[BookingView]) -> Result<Vec<u8>, csv::Error> {
    let mut out = Vec::from("\u{feff}".as_bytes());
    {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        writer.write_record([
            "予約日",
            "曜日",
            "開始",
            "終了",
            "窓口",
            "手続き",
            "予約番号",
            "来庁者",
            "状態",
            "受付経路",
            "受付者",
            "受付日時",
        ])?;
        for v in views {
            let day: Date = v.start.get(..10).and_then(|d| d.parse().ok()).unwrap_or_default();
            let visitor = Visitor::parse(&v.visitor).map_or(v.visitor.as_str(), |x| x.japanese());
            let channel = Channel::parse(&v.channel).map_or(v.channel.as_str(), |c| channel_japanese(c));
            let status = if v.status == "booked" { "予約中" } else { "取消" };
            writer.write_record([
                v.start.get(..10).unwrap_or_default(),
                weekday_japanese(day),
                v.start.get(11..).unwrap_or_default(),
                v.end.get(11..).unwrap_or_default(),
                &v.office_name,
                &v.service_name,
                &v.display_code,
                visitor,
                status,
                channel,
                &v.booked_by,
                &created_local(&v.created_at),
            ])?;
        }
        writer.flush()?;
    }
    Ok(out)
}

fn channel_japanese(channel: Channel) -> &'static str {
    match channel {
        Channel::Phone => "電話",
        Channel::Web => "ウェブ",
        Channel::Import => "移行",
        Channel::Staff => "窓口・職員",
    }
}

/// An RFC 3339 instant as Tokyo local time, `YYYY-MM-DD HH:MM`.
fn created_local(at: &str) -> String {
    at.parse::<jiff::Timestamp>()
        .map(|t| crate::calendar::tokyo_time(t).strftime("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|_| at.to_string())
}
