//! `POST /api/booking/status` `{message}`: a supervisor announces an outage or a disaster on
//! the citizen pages (BK-STATUS); an empty message takes the banner down. `GET` reads it.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tracing::info;

use super::super::AppState;
use super::super::error::{ApiError, JsonBody};
use super::super::extract::{BookingReader, Supervisor};
use super::now;
use crate::notify::letters::NoticeKind;

/// The longest banner (a few sentences).
const MAX_CHARS: usize = 500;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/booking/status", get(read).post(set))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewStatus {
    message: String,
    /// Also e-mail every booker of the coming days who left an address (BK-NOTIFY).
    #[serde(default)]
    notify_bookers: bool,
}

#[derive(Debug, Serialize)]
struct StatusView {
    message: Option<String>,
    set_by: Option<String>,
    set_at: Option<String>,
}

async fn read(State(state): State<AppState>, _reader: BookingReader) -> Result<Json<StatusView>, ApiError> {
    current(&state).await
}

async fn current(state: &AppState) -> Result<Json<StatusView>, ApiError> {
    let status = state.store.booking_status().await?;
    Ok(Json(StatusView {
        message: status.as_ref().map(|s| s.message.clone()),
        set_by: status.as_ref().map(|s| s.set_by.clone()),
        set_at: status.map(|s| s.set_at),
    }))
}

async fn set(
    State(state): State<AppState>,
    Supervisor { staff, .. }: Supervisor,
    JsonBody(request): JsonBody<NewStatus>,
) -> Result<Json<StatusView>, ApiError> {
    let message = request.message.trim();
    if message.chars().count() > MAX_CHARS {
        return Err(ApiError::BadRequest(format!(
            "お知らせは{MAX_CHARS}文字までです (at most {MAX_CHARS} characters)"
        )));
    }
    let (at, local_now) = now();
    state.store.set_booking_status(message, staff.name(), at).await?;
    info!(supervisor = %staff.name(), banner = !message.is_empty(), "citizen pages' banner set");
    if request.notify_bookers && !message.is_empty() {
        let from = local_now.strftime("%Y-%m-%dT%H:%M").to_string();
        let until = local_now
            .date()
            .checked_add(jiff::ToSpan::days(state.booking.window.horizon_days + 1))
            .map_err(ApiError::internal)?;
        let rows = state
            .store
            .bookings_with_email_between(&from, &format!("{until}T00:00"))
            .await?;
        let mut written = 0;
        for row in &rows {
            // One notice per banner and booking: setting the same banner again sends nothing new.
            if state
                .notices
                .send(NoticeKind::Outage, row, message, message, at)
                .await?
            {
                written += 1;
            }
        }
        info!(supervisor = %staff.name(), notices = written, "bookers told of the outage");
    }
    current(&state).await
}
