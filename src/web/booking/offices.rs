//! `PUT /api/booking/offices/{id}/services/{service}` `{slot_minutes, capacity, note}`: a
//! supervisor changes a service's slot length or capacity at an office (BK-SLOT), at once and
//! for good: the change is saved as a new revision of the office (with who and why) and replaces
//! the office in force. Existing bookings keep their slot and stay valid and visible; a slot that
//! starts at the same time as before is the same slot. `GET /api/booking/offices/{id}/revisions`
//! lists the changes.

use axum::extract::{Path, State};
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tracing::info;

use super::super::AppState;
use super::super::error::{ApiError, JsonBody};
use super::super::extract::{BookingReader, Supervisor};
use super::{now, office_and_calendar, parse_service};
use crate::booking::Offer;
use crate::booking::office::parse;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/booking/offices/{id}/services/{service}", put(change_offer))
        .route("/api/booking/offices/{id}/revisions", get(revisions))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OfferChange {
    slot_minutes: u16,
    capacity: u32,
    #[serde(default)]
    note: String,
}

#[derive(Debug, Serialize)]
struct Saved {
    office: String,
    revision: i64,
    slot_minutes: u16,
    capacity: u32,
}

async fn change_offer(
    State(state): State<AppState>,
    Supervisor { staff, .. }: Supervisor,
    Path((id, service)): Path<(String, String)>,
    JsonBody(change): JsonBody<OfferChange>,
) -> Result<Json<Saved>, ApiError> {
    let service = parse_service(&service)?;
    let (office, _) = office_and_calendar(&state, &id)?;
    let mut changed = (*office).clone();
    let offer = changed
        .services
        .get_mut(&service)
        .ok_or_else(|| ApiError::BadRequest(crate::booking::Refusal::NotOffered(service).to_string()))?;
    *offer = Offer {
        slot_minutes: change.slot_minutes,
        capacity: change.capacity,
    };
    // The revision is checked as the file it will be read back from.
    let source = changed.to_toml();
    let checked = parse(&format!("revision of {id}"), &source)
        .map_err(|e| ApiError::BadRequest(e.problems.iter().map(|(_, m)| m.clone()).collect::<Vec<_>>().join("; ")))?;
    let revision = state
        .store
        .save_office_revision(&id, &source, staff.name(), change.note.trim(), now().0)
        .await?;
    state.booking.offices.put(std::sync::Arc::new(checked));
    info!(supervisor = %staff.name(), office = %id, %service, slot_minutes = change.slot_minutes, capacity = change.capacity, revision, "office changed");
    Ok(Json(Saved {
        office: id,
        revision,
        slot_minutes: change.slot_minutes,
        capacity: change.capacity,
    }))
}

#[derive(Debug, Serialize)]
struct RevisionView {
    revision: i64,
    saved_at: String,
    saved_by: String,
    note: String,
    source: String,
}

async fn revisions(
    State(state): State<AppState>,
    _reader: BookingReader,
    Path(id): Path<String>,
) -> Result<Json<Vec<RevisionView>>, ApiError> {
    office_and_calendar(&state, &id)?;
    let revisions = state.store.office_revisions(&id).await?;
    Ok(Json(
        revisions
            .into_iter()
            .map(|r| RevisionView {
                revision: r.revision,
                saved_at: r.saved_at,
                saved_by: r.saved_by,
                note: r.note,
                source: r.source,
            })
            .collect(),
    ))
}
