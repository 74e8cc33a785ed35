//! `GET /api/calls/{id}`: one call's record (steps, waiting time, agent, wrap-ups), for
//! supervisors. Every read is an access-audit row (who, when, from where): callers' numbers
//! are personal data.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use tracing::info;

use super::AppState;
use super::booking::view::BookingView;
use super::error::ApiError;
use super::extract::{ClientAddress, Supervisor};
use crate::journal::{Step, WrapUp};
use crate::store::calls::CallDetail;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/calls/{id}", get(call_detail))
}

#[derive(Debug, Serialize)]
struct StepView {
    at: String,
    offset_ms: i64,
    kind: String,
    detail: String,
}

#[derive(Debug, Serialize)]
struct WrapUpView {
    agent: String,
    saved_at: String,
    #[serde(flatten)]
    form: WrapUp,
}

#[derive(Debug, Serialize)]
struct CallView {
    id: String,
    arrived_at: String,
    caller: String,
    line: &'static str,
    in_hours: bool,
    steps: Vec<StepView>,
    wrap_ups: Vec<WrapUpView>,
    /// From joining the queue to the agent's answer.
    waited_seconds: Option<f64>,
    agent: Option<String>,
    answered: bool,
    /// The bookings the agent made during the call.
    bookings: Vec<BookingView>,
}

impl From<CallDetail> for CallView {
    fn from(detail: CallDetail) -> CallView {
        let offset = |wanted: fn(&Step) -> bool| detail.steps.iter().find(|s| wanted(&s.step)).map(|s| s.offset_ms);
        let waited_seconds = match (
            offset(|s| matches!(s, Step::Enqueued { .. })),
            offset(|s| matches!(s, Step::AgentAnswered { .. })),
        ) {
            (Some(queued), Some(answered)) => Some((answered - queued) as f64 / 1000.0),
            _ => None,
        };
        let agent = detail.steps.iter().find_map(|s| match &s.step {
            Step::AgentAnswered { agent } => Some(agent.clone()),
            _ => None,
        });
        CallView {
            bookings: Vec::new(),
            answered: agent.is_some(),
            agent,
            waited_seconds,
            id: detail.id,
            arrived_at: detail.arrived_at,
            // The one place a supervisor sees the number; the read is logged.
            caller: detail.caller.expose().clone(),
            line: detail.line.as_str(),
            in_hours: detail.in_hours,
            steps: detail
                .steps
                .into_iter()
                .map(|s| {
                    let (kind, detail) = s.step.encode();
                    StepView {
                        kind: kind.to_string(),
                        detail,
                        at: s.at,
                        offset_ms: s.offset_ms,
                    }
                })
                .collect(),
            wrap_ups: detail
                .wrap_ups
                .into_iter()
                .map(|w| WrapUpView {
                    agent: w.agent,
                    saved_at: w.saved_at,
                    form: w.form,
                })
                .collect(),
        }
    }
}

async fn call_detail(
    State(state): State<AppState>,
    Supervisor { staff, .. }: Supervisor,
    ClientAddress(address): ClientAddress,
    Path(id): Path<String>,
) -> Result<Json<CallView>, ApiError> {
    info!(reader = %staff.name(), call = %id, "call record read");
    let Some(detail) = state.store.call_detail(&id).await? else {
        return Err(ApiError::NotFound("no such call".into()));
    };
    super::audit::record(&state, &staff, "call.read", &id, address).await?;
    let mut view = CallView::from(detail);
    let offices = state.booking.offices.snapshot();
    view.bookings = state
        .store
        .bookings_of_call(&id)
        .await?
        .iter()
        .map(|row| BookingView::new(row, &offices))
        .collect();
    Ok(Json(view))
}
