//! `GET /api/booking/slots?office=&service=&from=YYYY-MM-DD&days=N`: the slots of the coming
//! days with the places left, and why a day is closed. The agent's side panel and the citizen
//! pages draw their grid from it.

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use jiff::ToSpan;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::super::AppState;
use super::super::error::ApiError;
use super::super::extract::BookingReader;
use super::{now, office_and_calendar, parse_service};
use crate::booking::rules::bookable;
use crate::booking::slots::slots_of_day;
use crate::booking::{BookingWindow, Service};
use crate::calendar::{Calendar, ClosedReason};

/// The most days one request lists.
const MAX_DAYS: i64 = 62;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/booking/slots", get(slots))
}

#[derive(Debug, Deserialize)]
pub struct GridQuery {
    pub office: String,
    pub service: String,
    /// The first day (default: today in Tokyo).
    pub from: Option<String>,
    /// How many days (default 14, at most 62).
    pub days: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct SlotView {
    /// The slot's identity, `YYYY-MM-DDTHH:MM`: what a booking names.
    pub key: String,
    pub start: String,
    pub end: String,
    pub capacity: u32,
    pub used: i64,
    pub remaining: i64,
    /// Ahead and within the horizon (capacity aside).
    pub open_for_booking: bool,
}

#[derive(Debug, Serialize)]
pub struct DayView {
    pub date: String,
    /// 月, 火, …
    pub weekday: &'static str,
    /// Why the day has no slots, in Japanese (a holiday's name, the closure's reason).
    pub closed: Option<String>,
    pub slots: Vec<SlotView>,
}

#[derive(Debug, Serialize)]
pub struct Grid {
    pub office: String,
    pub office_name: String,
    pub service: Service,
    pub slot_minutes: u16,
    pub capacity: u32,
    pub days: Vec<DayView>,
}

async fn slots(
    State(state): State<AppState>,
    _reader: BookingReader,
    Query(query): Query<GridQuery>,
) -> Result<Json<Grid>, ApiError> {
    Ok(Json(grid(&state, &query).await?))
}

/// The grid a query asks for (shared with the citizen pages).
pub async fn grid(state: &AppState, query: &GridQuery) -> Result<Grid, ApiError> {
    let service = parse_service(&query.service)?;
    let (office, calendar) = office_and_calendar(state, &query.office)?;
    let offer = office
        .offer(service)
        .ok_or_else(|| ApiError::BadRequest(crate::booking::Refusal::NotOffered(service).to_string()))?;
    let (_, local_now) = now();
    let from: Date = match &query.from {
        Some(text) => text
            .parse()
            .map_err(|_| ApiError::BadRequest(format!("from '{text}' is not a date (YYYY-MM-DD)")))?,
        None => local_now.date(),
    };
    let days = query.days.unwrap_or(14).clamp(1, MAX_DAYS);
    let until = from
        .checked_add(days.days())
        .map_err(|_| ApiError::BadRequest("the period is out of range".into()))?;
    let usage = state
        .store
        .slot_usage(
            &office.id,
            service.as_str(),
            &format!("{from}T00:00"),
            &format!("{until}T00:00"),
        )
        .await?;
    let used_of = |key: &str| {
        usage
            .binary_search_by(|(k, _)| k.as_str().cmp(key))
            .map_or(0, |i| usage[i].1)
    };
    let window: BookingWindow = state.booking.window;
    let days = calendar_days(&calendar, from, days)
        .map(|day| {
            let slots = slots_of_day(&day, offer.slot_minutes)
                .into_iter()
                .map(|slot| {
                    let key = slot.key();
                    let used = used_of(&key);
                    SlotView {
                        open_for_booking: bookable(&office, service, &calendar, slot.starts_at(), local_now, window)
                            .is_ok(),
                        start: format!("{:02}:{:02}", slot.start.hour(), slot.start.minute()),
                        end: format!("{:02}:{:02}", slot.end.hour(), slot.end.minute()),
                        capacity: offer.capacity,
                        used,
                        remaining: (i64::from(offer.capacity) - used).max(0),
                        key,
                    }
                })
                .collect::<Vec<_>>();
            let closed = slots.is_empty().then(|| closed_japanese(day.closed_all_day.as_ref()));
            DayView {
                date: day.date.to_string(),
                weekday: weekday_japanese(day.date),
                closed,
                slots,
            }
        })
        .collect();
    Ok(Grid {
        office: office.id.clone(),
        office_name: office.name.clone(),
        service,
        slot_minutes: offer.slot_minutes,
        capacity: offer.capacity,
        days,
    })
}

fn calendar_days(calendar: &Calendar, from: Date, days: i64) -> impl Iterator<Item = crate::calendar::Day> + '_ {
    (0..days).filter_map(move |n| from.checked_add(n.days()).ok().map(|date| calendar.day(date)))
}

pub(crate) fn weekday_japanese(date: Date) -> &'static str {
    use jiff::civil::Weekday::*;
    match date.weekday() {
        Monday => "月",
        Tuesday => "火",
        Wednesday => "水",
        Thursday => "木",
        Friday => "金",
        Saturday => "土",
        Sunday => "日",
    }
}

/// Why a day has no slots, as the city's files and the holiday law name it.
pub(crate) fn closed_japanese(reason: Option<&ClosedReason>) -> String {
    reason.map_or_else(|| "予約枠はありません".to_string(), ClosedReason::japanese)
}
