//! `/api/public/...`: the citizen pages' API. No session; a booking is reached with its code
//! and the secret given when it was made (in the body of a POST, never in a URL that logs keep).
//!
//! - `GET /api/public/offices`, `GET /api/public/slots`: as the staff's.
//! - `GET /api/public/info`: the outage banner and the language notes.
//! - `POST /api/public/bookings` → 201 with code and secret; 409 when full; 429 past a limit.
//! - `POST /api/public/bookings/{code}` `{secret}`: look it up.
//! - `POST /api/public/bookings/{code}/move` `{secret, start}`, `/cancel` `{secret}`: refused
//!   inside the change deadline with a message that points to the call center.
//!
//! A wrong secret and an unknown code get the same answer, and wrong secrets per code are
//! limited, so that codes cannot be found by guessing.

use std::time::Instant;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tracing::info;

use super::super::AppState;
use super::super::booking::book::{NewBooking, Placement, code_of, move_to, place};
use super::super::booking::catalogue::{Catalogue, catalogue};
use super::super::booking::grid::{Grid, GridQuery, grid};
use super::super::booking::view::{describe, slot_end};
use super::super::booking::{now, office_and_calendar};
use super::super::error::{ApiError, JsonBody};
use super::super::extract::ClientAddress;
use crate::booking::code::{display_code, secret_matches};
use crate::booking::rules::booker_may_change;
use crate::booking::slots::parse_slot_key;
use crate::booking::{Channel, Service, Visitor};
use crate::lang::Lang;
use crate::store::bookings::{BookingEvent, BookingRow, Changed};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/public/offices", get(offices))
        .route("/api/public/slots", get(slots))
        .route("/api/public/info", get(info_for_citizens))
        .route("/api/public/bookings", post(create))
        .route("/api/public/bookings/{code}", post(look_up))
        .route("/api/public/bookings/{code}/move", post(move_booking))
        .route("/api/public/bookings/{code}/cancel", post(cancel))
}

/// The clock of the limits, read at the edge.
#[allow(clippy::disallowed_methods)]
fn instant() -> Instant {
    Instant::now()
}

fn too_many(wait: std::time::Duration) -> ApiError {
    ApiError::TooMany {
        message: format!(
            "操作が多すぎます。{}分ほどたってからもう一度お試しください (too many attempts; try again later)",
            wait.as_secs().div_ceil(60).max(1)
        ),
        retry_after: u32::try_from(wait.as_secs().max(1)).unwrap_or(u32::MAX),
    }
}

async fn offices(State(state): State<AppState>) -> Json<Catalogue> {
    Json(catalogue(&state))
}

async fn slots(State(state): State<AppState>, Query(query): Query<GridQuery>) -> Result<Json<Grid>, ApiError> {
    Ok(Json(grid(&state, &query).await?))
}

#[derive(Debug, Serialize)]
struct LanguageNote {
    lang: &'static str,
    text: String,
}

#[derive(Debug, Serialize)]
struct CitizenInfo {
    /// The outage banner, when a supervisor has set one.
    status: Option<String>,
    status_since: Option<String>,
    call_center_number: String,
    /// For non-Japanese speakers, in the eight languages (BK-LANG).
    language_notes: Vec<LanguageNote>,
}

async fn info_for_citizens(State(state): State<AppState>) -> Result<Json<CitizenInfo>, ApiError> {
    let status = state.store.booking_status().await?;
    let number = state.booking.call_center_number.clone();
    let language_notes = Lang::ALL
        .iter()
        .filter_map(|lang| {
            let text = crate::catalogue::lookup(*lang, "web.booking.language_note")?;
            Some(LanguageNote {
                lang: lang.code(),
                text: text.replace("{number}", &number),
            })
        })
        .collect();
    Ok(Json(CitizenInfo {
        status_since: status.as_ref().map(|s| s.set_at.clone()),
        status: status.map(|s| s.message),
        call_center_number: number,
        language_notes,
    }))
}

/// What a booker sees of their booking: no staff names, no call.
#[derive(Debug, Serialize)]
struct CitizenView {
    code: String,
    display_code: String,
    office: String,
    office_name: String,
    office_address: String,
    service: String,
    service_name: String,
    start: String,
    end: String,
    status: String,
    visitor: String,
    /// Whether the booker may still change or cancel it on the web.
    may_change: bool,
}

fn citizen_view(state: &AppState, row: &BookingRow) -> CitizenView {
    let office = state.booking.offices.get(&row.office);
    let (_, local_now) = now();
    CitizenView {
        code: row.code.clone(),
        display_code: display_code(&row.code),
        office_name: office.as_ref().map_or_else(|| row.office.clone(), |o| o.name.clone()),
        office_address: office.as_ref().map(|o| o.address.clone()).unwrap_or_default(),
        office: row.office.clone(),
        service_name: Service::parse(&row.service).map_or_else(|| row.service.clone(), |s| s.japanese().to_string()),
        service: row.service.clone(),
        start: row.slot_start.clone(),
        end: slot_end(&row.slot_start, row.slot_minutes),
        status: row.status.clone(),
        visitor: row.visitor.clone(),
        may_change: row.is_booked()
            && parse_slot_key(&row.slot_start).is_some_and(|s| booker_may_change(s, local_now, state.booking.window)),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CitizenBooking {
    office: String,
    service: String,
    start: String,
    visitor: Option<Visitor>,
    #[serde(default)]
    checked: Vec<String>,
    #[serde(default)]
    email: Option<crate::pii::EmailAddress>,
}

#[derive(Debug, Serialize)]
struct CitizenBooked {
    #[serde(flatten)]
    booking: CitizenView,
    secret: String,
}

async fn create(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    JsonBody(request): JsonBody<CitizenBooking>,
) -> Result<(StatusCode, Json<CitizenBooked>), ApiError> {
    let limits = &state.citizen_limits;
    let at = instant();
    limits.bookings_per_address.hit(&address, at).map_err(too_many)?;
    let slot_key = (request.office.clone(), request.service.clone(), request.start.clone());
    limits.bookings_per_slot.hit(&slot_key, at).map_err(too_many)?;
    let booked = place(
        &state,
        NewBooking {
            office: request.office,
            service: request.service,
            start: request.start,
            visitor: request.visitor,
            checked: request.checked,
            call_id: None,
            email: request.email,
        },
        Placement {
            channel: Channel::Web,
            actor: "booker".into(),
            booked_by: String::new(),
            call_id: String::new(),
            address: state.booking.recorded_address(address),
        },
    )
    .await?;
    let row = state
        .store
        .booking(&booked.booking.code)
        .await?
        .ok_or_else(|| ApiError::internal("a booking just made is not there"))?;
    info!(code = %row.code, office = %row.office, "booking made on the web");
    Ok((
        StatusCode::CREATED,
        Json(CitizenBooked {
            booking: citizen_view(&state, &row),
            secret: booked.secret,
        }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WithSecret {
    secret: String,
    #[serde(default)]
    start: Option<String>,
}

fn not_found() -> ApiError {
    ApiError::NotFound("予約番号または確認コードが違います (no booking with this code and secret)".into())
}

/// The booking a code and secret open, counting wrong secrets.
async fn opened(state: &AppState, address: std::net::IpAddr, code: &str, secret: &str) -> Result<BookingRow, ApiError> {
    let limits = &state.citizen_limits;
    let at = instant();
    limits.lookups_per_address.hit(&address, at).map_err(too_many)?;
    let code = code_of(code)?;
    let row = state.store.booking(&code).await?;
    match row {
        Some(row) if secret_matches(&code, secret, &row.secret_hash) => Ok(row),
        _ => {
            limits.wrong_secrets_per_code.hit(&code, at).map_err(too_many)?;
            Err(not_found())
        }
    }
}

async fn look_up(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    Path(code): Path<String>,
    JsonBody(request): JsonBody<WithSecret>,
) -> Result<Json<CitizenView>, ApiError> {
    let row = opened(&state, address, &code, &request.secret).await?;
    Ok(Json(citizen_view(&state, &row)))
}

fn deadline_passed(state: &AppState) -> ApiError {
    ApiError::Conflict(format!(
        "予約日時の{}時間前を過ぎたため、ウェブでは変更・取消ができません。コールセンター（{}）にお電話ください (too close to the appointment to change it on the web: please call the call center)",
        state.booking.window.change_deadline_hours, state.booking.call_center_number
    ))
}

/// The booking, if the booker may still change it.
async fn changeable(
    state: &AppState,
    address: std::net::IpAddr,
    code: &str,
    secret: &str,
) -> Result<BookingRow, ApiError> {
    let row = opened(state, address, code, secret).await?;
    if !row.is_booked() {
        return Err(ApiError::Conflict(
            "この予約は取り消されています (the booking is cancelled)".into(),
        ));
    }
    let (_, local_now) = now();
    let may = parse_slot_key(&row.slot_start).is_some_and(|s| booker_may_change(s, local_now, state.booking.window));
    if !may {
        return Err(deadline_passed(state));
    }
    Ok(row)
}

fn booker_event(state: &AppState, kind: &str, address: std::net::IpAddr) -> BookingEvent {
    BookingEvent {
        kind: kind.into(),
        actor: "booker".into(),
        channel: Channel::Web.as_str().into(),
        at: now().0,
        before: String::new(),
        after: String::new(),
        reason: String::new(),
        address: state.booking.recorded_address(address),
    }
}

async fn move_booking(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    Path(code): Path<String>,
    JsonBody(request): JsonBody<WithSecret>,
) -> Result<Json<CitizenView>, ApiError> {
    let start = request
        .start
        .ok_or_else(|| ApiError::BadRequest("start: the new slot is missing".into()))?;
    let row = changeable(&state, address, &code, &request.secret).await?;
    let slot_key = (row.office.clone(), row.service.clone(), start.clone());
    state
        .citizen_limits
        .bookings_per_slot
        .hit(&slot_key, instant())
        .map_err(too_many)?;
    // The office must still exist for its calendar to say where the slots are.
    office_and_calendar(&state, &row.office)?;
    let moved = move_to(&state, &row, &start, &booker_event(&state, "changed", address)).await?;
    info!(code = %moved.code, to = %moved.slot_start, "booking moved on the web");
    Ok(Json(citizen_view(&state, &moved)))
}

async fn cancel(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    Path(code): Path<String>,
    JsonBody(request): JsonBody<WithSecret>,
) -> Result<Json<CitizenView>, ApiError> {
    let row = changeable(&state, address, &code, &request.secret).await?;
    match state
        .store
        .cancel_booking(&row.code, &booker_event(&state, "cancelled", address), describe)
        .await?
    {
        Changed::Done(cancelled) => {
            info!(code = %cancelled.code, "booking cancelled on the web");
            Ok(Json(citizen_view(&state, &cancelled)))
        }
        Changed::Cancelled => Err(ApiError::Conflict(
            "この予約は取り消されています (the booking is cancelled)".into(),
        )),
        Changed::NotFound | Changed::Full => Err(not_found()),
    }
}
