//! Booking, reading, moving and cancelling one booking, by staff (CC-BOOK): an agent during a
//! call (the booking is linked to the call), or staff at their desk.
//!
//! - `POST /api/bookings` → 201 with the code and the secret (shown once), 409 when the slot
//!   is full, 400 when the slot is closed, past, too far ahead, or the checklist incomplete.
//! - `GET /api/bookings/{code}`: the booking and its history.
//! - `POST /api/bookings/{code}/move` `{start, reason?}` and `/cancel` `{reason?}`: inside the
//!   booker's deadline they need a reason, and are recorded as an override.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tracing::info;

use super::super::AppState;
use super::super::error::{ApiError, JsonBody};
use super::super::extract::{BookingReader, ClientAddress, Staff};
use super::view::{BookingView, EventView, describe};
use super::{now, office_and_calendar, parse_service};
use crate::booking::code::{new_code, new_secret, normalize_code, secret_hash};
use crate::booking::rules::{bookable, booker_may_change};
use crate::booking::slots::parse_slot_key;
use crate::booking::{Channel, Confirmations, Refusal, Visitor};
use crate::notify::letters::NoticeKind;
use crate::pii::EmailAddress;
use crate::store::bookings::{BookingEvent, BookingRow, Changed, NewSlot, Taken};

/// Codes drawn before giving up on finding a free one (with 90 million codes, a second draw
/// is already rare).
const CODE_DRAWS: usize = 8;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/bookings", post(create))
        .route("/api/bookings/{code}", get(read))
        .route("/api/bookings/{code}/move", post(move_booking))
        .route("/api/bookings/{code}/cancel", post(cancel))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewBooking {
    pub office: String,
    pub service: String,
    /// The slot's key, `YYYY-MM-DDTHH:MM`.
    pub start: String,
    pub visitor: Option<Visitor>,
    #[serde(default)]
    pub checked: Vec<String>,
    /// The call the agent is on.
    #[serde(default)]
    pub call_id: Option<String>,
    /// For notices only.
    #[serde(default)]
    pub email: Option<EmailAddress>,
}

#[derive(Debug, Serialize)]
pub struct Booked {
    #[serde(flatten)]
    pub booking: BookingView,
    /// Shown once: with it the booker changes or cancels on the web.
    pub secret: String,
}

/// A rule refusal as an HTTP error: a full slot conflicts (409), the rest is bad input.
pub(crate) fn refused(refusal: Refusal) -> ApiError {
    match refusal {
        Refusal::Full => ApiError::Conflict(refusal.to_string()),
        other => ApiError::BadRequest(other.to_string()),
    }
}

/// An e-mail address as typed, checked for shape only (notices will tell if it works).
pub(crate) fn email_address(email: Option<EmailAddress>) -> Result<Option<EmailAddress>, ApiError> {
    let Some(email) = email else { return Ok(None) };
    let text = email.expose().trim();
    if text.is_empty() {
        return Ok(None);
    }
    let shaped = text.len() <= 254
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
        && text
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
    if shaped {
        Ok(Some(EmailAddress::new(text.to_string())))
    } else {
        Err(ApiError::BadRequest(
            "メールアドレスの形式が正しくありません (not an e-mail address)".into(),
        ))
    }
}

async fn create(
    State(state): State<AppState>,
    Staff { staff, .. }: Staff,
    ClientAddress(address): ClientAddress,
    JsonBody(request): JsonBody<NewBooking>,
) -> Result<(StatusCode, Json<Booked>), ApiError> {
    let call_id = request.call_id.clone().unwrap_or_default();
    if call_id.len() > 64
        || !call_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'))
    {
        return Err(ApiError::BadRequest("call_id is not a call id".into()));
    }
    let channel = if call_id.is_empty() {
        Channel::Staff
    } else {
        Channel::Phone
    };
    let booked = place(
        &state,
        request,
        Placement {
            channel,
            actor: staff.name().to_string(),
            booked_by: staff.name().to_string(),
            call_id,
            address: state.booking.recorded_address(address),
        },
    )
    .await?;
    info!(agent = %staff.name(), code = %booked.booking.code, office = %booked.booking.office, "booking made");
    Ok((StatusCode::CREATED, Json(booked)))
}

/// Who places a booking, from where.
pub(crate) struct Placement {
    pub channel: Channel,
    pub actor: String,
    pub booked_by: String,
    pub call_id: String,
    pub address: String,
}

/// Checks a new booking against the rules and the checklist and writes it if its slot has
/// room (shared with the citizen pages).
pub(crate) async fn place(state: &AppState, request: NewBooking, by: Placement) -> Result<Booked, ApiError> {
    let service = parse_service(&request.service)?;
    let (office, calendar) = office_and_calendar(state, &request.office)?;
    let start = parse_slot_key(&request.start)
        .ok_or_else(|| ApiError::BadRequest(format!("start '{}' is not a slot (YYYY-MM-DDTHH:MM)", request.start)))?;
    let (at, local_now) = now();
    let (slot, offer) =
        bookable(&office, service, &calendar, start, local_now, state.booking.window).map_err(refused)?;
    let confirmations = Confirmations {
        visitor: request.visitor,
        checked: request.checked,
    };
    let checklist = state
        .booking
        .checklists
        .get(&service)
        .ok_or_else(|| ApiError::internal(format!("no checklist for {service}")))?;
    checklist.check(&confirmations).map_err(ApiError::BadRequest)?;
    let email = email_address(request.email)?;
    let visitor = confirmations.visitor.map_or("", |v| v.as_str()).to_string();
    let stamp = at.to_string();
    for _ in 0..CODE_DRAWS {
        let code = new_code();
        let secret = new_secret();
        let row = BookingRow {
            secret_hash: secret_hash(&code, &secret),
            code,
            office: office.id.clone(),
            service: service.as_str().to_string(),
            slot_start: slot.key(),
            slot_minutes: i64::from(offer.slot_minutes),
            status: "booked".into(),
            channel: by.channel.as_str().to_string(),
            booked_by: by.booked_by.clone(),
            call_id: by.call_id.clone(),
            visitor: visitor.clone(),
            confirmations: serde_json::to_string(&confirmations.checked).unwrap_or_default(),
            email: email.clone(),
            created_at: stamp.clone(),
            updated_at: stamp.clone(),
        };
        let event = BookingEvent {
            kind: "created".into(),
            actor: by.actor.clone(),
            channel: by.channel.as_str().to_string(),
            at,
            before: String::new(),
            after: describe(&row),
            reason: String::new(),
            address: by.address.clone(),
        };
        match state.store.book(&row, i64::from(offer.capacity), &event).await? {
            Taken::Booked { .. } => {
                // The booking stands whatever happens to its notice; a notice that cannot be
                // written is said in the log (the booker has the code on the screen).
                if let Err(e) = state.notices.send(NoticeKind::Booked, &row, "", "", at).await {
                    tracing::warn!(code = %row.code, error = %e, "the booking's notice could not be written");
                }
                return Ok(Booked {
                    booking: BookingView::new(&row, &state.booking.offices.snapshot()),
                    secret,
                });
            }
            Taken::Full => return Err(refused(Refusal::Full)),
            Taken::CodeInUse => continue,
        }
    }
    Err(ApiError::internal("no free booking code after several draws"))
}

#[derive(Debug, Serialize)]
struct BookingWithHistory {
    #[serde(flatten)]
    booking: BookingView,
    /// Whether the booker may still change or cancel it themselves.
    booker_may_change: bool,
    history: Vec<EventView>,
}

pub(crate) fn code_of(text: &str) -> Result<String, ApiError> {
    normalize_code(text)
        .ok_or_else(|| ApiError::BadRequest("予約番号は8桁の数字です (a booking code is 8 digits)".into()))
}

async fn read(
    State(state): State<AppState>,
    BookingReader { staff, .. }: BookingReader,
    ClientAddress(address): ClientAddress,
    Path(code): Path<String>,
) -> Result<Json<BookingWithHistory>, ApiError> {
    let code = code_of(&code)?;
    info!(reader = %staff.name(), %code, "booking read");
    let row = state
        .store
        .booking(&code)
        .await?
        .ok_or_else(|| ApiError::NotFound("この予約番号の予約はありません (no such booking)".into()))?;
    let history = state.store.booking_events(&code).await?;
    super::super::audit::record(&state, &staff, "booking.read", &code, address).await?;
    let (_, local_now) = now();
    let may_change = row.is_booked()
        && parse_slot_key(&row.slot_start).is_some_and(|s| booker_may_change(s, local_now, state.booking.window));
    Ok(Json(BookingWithHistory {
        booking: BookingView::new(&row, &state.booking.offices.snapshot()),
        booker_may_change: may_change,
        history: history.into_iter().map(EventView::from).collect(),
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MoveRequest {
    start: String,
    #[serde(default)]
    reason: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CancelRequest {
    #[serde(default)]
    reason: String,
}

/// The kind of a staff change: inside the booker's deadline it needs a reason and is an
/// override.
fn staff_change_kind(row: &BookingRow, reason: &str, plain: &str, state: &AppState) -> Result<String, ApiError> {
    let (_, local_now) = now();
    let may = parse_slot_key(&row.slot_start).is_some_and(|s| booker_may_change(s, local_now, state.booking.window));
    if may {
        return Ok(plain.to_string());
    }
    if reason.trim().is_empty() {
        return Err(ApiError::Conflict(format!(
            "予約日時の{}時間前を過ぎています。変更・取消には理由を入力してください (inside the change deadline: give a reason to override)",
            state.booking.window.change_deadline_hours
        )));
    }
    Ok(format!("{plain}_override"))
}

/// The event of a staff member's change or cancellation (an override inside the deadline,
/// which then needs a reason).
fn staff_event(
    state: &AppState,
    row: &BookingRow,
    plain: &str,
    staff: &super::super::extract::StaffSession,
    reason: &str,
    address: std::net::IpAddr,
) -> Result<BookingEvent, ApiError> {
    Ok(BookingEvent {
        kind: staff_change_kind(row, reason, plain, state)?,
        actor: staff.name().to_string(),
        channel: Channel::Staff.as_str().to_string(),
        at: now().0,
        before: String::new(),
        after: String::new(),
        reason: reason.trim().to_string(),
        address: state.booking.recorded_address(address),
    })
}

async fn existing(state: &AppState, code: &str) -> Result<BookingRow, ApiError> {
    let row = state
        .store
        .booking(code)
        .await?
        .ok_or_else(|| ApiError::NotFound("この予約番号の予約はありません (no such booking)".into()))?;
    if !row.is_booked() {
        return Err(ApiError::Conflict(
            "この予約は取り消されています (the booking is cancelled)".into(),
        ));
    }
    Ok(row)
}

async fn move_booking(
    State(state): State<AppState>,
    Staff { staff, .. }: Staff,
    ClientAddress(address): ClientAddress,
    Path(code): Path<String>,
    JsonBody(request): JsonBody<MoveRequest>,
) -> Result<Json<BookingView>, ApiError> {
    let code = code_of(&code)?;
    let row = existing(&state, &code).await?;
    let event = staff_event(&state, &row, "changed", &staff, &request.reason, address)?;
    let moved = move_to(&state, &row, &request.start, &event).await?;
    info!(agent = %staff.name(), %code, to = %moved.slot_start, "booking moved");
    Ok(Json(BookingView::new(&moved, &state.booking.offices.snapshot())))
}

/// Moves a booking to the slot at `start` of its office and service, if that slot may be
/// booked now and has room (shared with the citizen pages).
pub(crate) async fn move_to(
    state: &AppState,
    row: &BookingRow,
    start: &str,
    event: &BookingEvent,
) -> Result<BookingRow, ApiError> {
    let service = parse_service(&row.service)?;
    let (office, calendar) = office_and_calendar(state, &row.office)?;
    let start = parse_slot_key(start)
        .ok_or_else(|| ApiError::BadRequest(format!("start '{start}' is not a slot (YYYY-MM-DDTHH:MM)")))?;
    let (_, local_now) = now();
    let (slot, offer) =
        bookable(&office, service, &calendar, start, local_now, state.booking.window).map_err(refused)?;
    let to = NewSlot {
        slot_start: slot.key(),
        slot_minutes: i64::from(offer.slot_minutes),
        capacity: i64::from(offer.capacity),
    };
    match state.store.move_booking(&row.code, &to, event, describe).await? {
        Changed::Done(moved) => Ok(*moved),
        Changed::Full => Err(refused(Refusal::Full)),
        Changed::NotFound => Err(ApiError::NotFound(
            "この予約番号の予約はありません (no such booking)".into(),
        )),
        Changed::Cancelled => Err(ApiError::Conflict(
            "この予約は取り消されています (the booking is cancelled)".into(),
        )),
    }
}

async fn cancel(
    State(state): State<AppState>,
    Staff { staff, .. }: Staff,
    ClientAddress(address): ClientAddress,
    Path(code): Path<String>,
    JsonBody(request): JsonBody<CancelRequest>,
) -> Result<Json<BookingView>, ApiError> {
    let code = code_of(&code)?;
    let row = existing(&state, &code).await?;
    let event = staff_event(&state, &row, "cancelled", &staff, &request.reason, address)?;
    match state.store.cancel_booking(&code, &event, describe).await? {
        Changed::Done(cancelled) => {
            info!(agent = %staff.name(), %code, "booking cancelled");
            Ok(Json(BookingView::new(&cancelled, &state.booking.offices.snapshot())))
        }
        Changed::Cancelled => Err(ApiError::Conflict(
            "この予約は取り消されています (the booking is cancelled)".into(),
        )),
        Changed::NotFound | Changed::Full => Err(ApiError::NotFound(
            "この予約番号の予約はありません (no such booking)".into(),
        )),
    }
}
