//! `GET /api/bookings/stranded`: the standing bookings from now on whose slot no longer lies in
//! the office's opening hours (BK-HOURS): a closure was added after they were made (a calendar
//! reload, a revision), so staff move them and tell the bookers. Each comes with the reason the
//! office is closed then, as the calendar gives it.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use jiff::ToSpan;
use serde::Serialize;

use super::super::AppState;
use super::super::error::ApiError;
use super::super::extract::BookingReader;
use super::now;
use super::view::BookingView;
use crate::notify::stranded::stranded as on_closed_times;
use crate::store::bookings::BookingRow;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/bookings/stranded", get(stranded))
}

#[derive(Debug, Serialize)]
pub struct Stranded {
    #[serde(flatten)]
    pub booking: BookingView,
    /// Why the office is closed at that time, in Japanese.
    pub closed: String,
}

/// The standing bookings from now to the end of the booking horizon that fall on closed times.
pub async fn stranded_bookings(state: &AppState) -> Result<Vec<(BookingRow, String)>, ApiError> {
    let (_, local_now) = now();
    let from = local_now.strftime("%Y-%m-%dT%H:%M").to_string();
    // A day past the horizon: bookings made before a horizon was shortened are included.
    let until_date = local_now
        .date()
        .checked_add((state.booking.window.horizon_days + 1).days())
        .map_err(ApiError::internal)?;
    let rows = state
        .store
        .bookings_between(&from, &format!("{until_date}T00:00"), None)
        .await?;
    Ok(on_closed_times(
        rows,
        &state.booking.offices.snapshot(),
        &state.calls.calendars.snapshot(),
    ))
}

async fn stranded(State(state): State<AppState>, _reader: BookingReader) -> Result<Json<Vec<Stranded>>, ApiError> {
    let offices = state.booking.offices.snapshot();
    Ok(Json(
        stranded_bookings(&state)
            .await?
            .iter()
            .map(|(row, closed)| Stranded {
                booking: BookingView::new(row, &offices),
                closed: closed.clone(),
            })
            .collect(),
    ))
}
