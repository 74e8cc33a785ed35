//! The supervisors' live floor (`GET /api/floor/ws`, the `/floor` page): every two seconds the
//! calls waiting (language, waiting time), the longest wait, the agents by state and for how
//! long, and today's answer rate so far against the 85 % target, computed exactly as
//! `tsunagu report daily` computes it. And `GET /api/calls/{id}`: one call's record (steps,
//! waiting time, agent, wrap-up), for supervisors; every read is logged with who read it.

use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde::Serialize;
use tracing::{Instrument, info, warn};

use super::SoftphoneState;
use crate::acd::agent::AgentState;
use crate::acd::desk::{FloorView, state_name};
use crate::auth::Role;
use crate::calendar;
use crate::cdr;
use crate::report::daily::{TARGET, daily_report};
use crate::server::login::{require, same_origin, session_from};

const REFRESH: Duration = Duration::from_secs(2);

#[derive(Debug, Serialize)]
struct Waiting {
    call: String,
    language: String,
    waiting_seconds: u64,
}

#[derive(Debug, Serialize)]
struct AgentRow {
    name: String,
    state: &'static str,
    reason: Option<&'static str>,
    for_seconds: u64,
    connected: bool,
}

#[derive(Debug, Serialize)]
struct Floor {
    waiting: Vec<Waiting>,
    longest_wait_seconds: u64,
    agents: Vec<AgentRow>,
    date: String,
    offered: u32,
    answered: u32,
    answer_rate: Option<f64>,
    target: f64,
}

/// The floor reads the clock.
#[allow(clippy::disallowed_methods)]
fn now() -> (Instant, Timestamp) {
    (Instant::now(), Timestamp::now())
}

fn since(state: &AgentState) -> Option<Instant> {
    match state {
        AgentState::LoggedOut => None,
        AgentState::Ready { since }
        | AgentState::Offered { since, .. }
        | AgentState::OnCall { since, .. }
        | AgentState::WrapUp { since, .. }
        | AgentState::NotReady { since, .. } => Some(*since),
    }
}

fn rows(view: FloorView, at: Instant) -> (Vec<Waiting>, Vec<AgentRow>) {
    let waiting = view
        .waiting
        .into_iter()
        .map(|(call, lang, waited)| Waiting {
            call,
            language: lang.code().to_string(),
            waiting_seconds: waited.as_secs(),
        })
        .collect();
    let agents = view
        .agents
        .into_iter()
        .filter(|(_, state, _)| *state != AgentState::LoggedOut)
        .map(|(name, state, connected)| AgentRow {
            name,
            reason: match &state {
                AgentState::NotReady { reason, .. } => Some(reason.name()),
                _ => None,
            },
            for_seconds: since(&state).map_or(0, |s| at.saturating_duration_since(s).as_secs()),
            state: state_name(&state),
            connected,
        })
        .collect();
    (waiting, agents)
}

pub async fn floor_ws(State(state): State<SoftphoneState>, headers: HeaderMap, ws: WebSocketUpgrade) -> Response {
    if !same_origin(&headers) {
        return (StatusCode::FORBIDDEN, "cross-site WebSocket refused").into_response();
    }
    let session = session_from(&state.sessions, &headers);
    if let Err(status) = require(session.as_ref().map(|(_, s)| s), Role::Supervisor) {
        return (status, "supervisors only").into_response();
    }
    let name = session.map(|(_, s)| s.name).unwrap_or_default();
    let span = tracing::info_span!("floor", supervisor = %name);
    ws.on_upgrade(move |socket| watch_floor(state, socket).instrument(span))
}

async fn watch_floor(state: SoftphoneState, mut socket: WebSocket) {
    let mut tick = tokio::time::interval(REFRESH);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                let Some(floor) = snapshot(&state).await else { break };
                let Ok(text) = serde_json::to_string(&floor) else { break };
                if socket.send(Message::Text(text.into())).await.is_err() {
                    break;
                }
            }
            message = socket.recv() => match message {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
        }
    }
}

async fn snapshot(state: &SoftphoneState) -> Option<Floor> {
    let view = state.acd.floor().await?;
    let (at, stamp) = now();
    let date = calendar::tokyo_time(stamp).date().to_string();
    let (waiting, agents) = rows(view, at);
    let calls = match state.store.calls_of_day(&date).await {
        Ok(calls) => calls,
        Err(e) => {
            warn!(error = %e, "floor: cannot read today's calls");
            Vec::new()
        }
    };
    let report = daily_report(&date, &calls, state.short_abandon_seconds);
    Some(Floor {
        longest_wait_seconds: waiting.iter().map(|w| w.waiting_seconds).max().unwrap_or(0),
        waiting,
        agents,
        date,
        offered: report.offered,
        answered: report.answered,
        answer_rate: report.answer_rate,
        target: TARGET,
    })
}

#[derive(Debug, Serialize)]
struct CallView {
    #[serde(flatten)]
    detail: crate::store::agents::CallDetail,
    /// From joining the queue to the agent's answer.
    waited_seconds: Option<f64>,
    agent: Option<String>,
    answered: bool,
}

pub async fn call_detail(State(state): State<SoftphoneState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let session = session_from(&state.sessions, &headers);
    if let Err(status) = require(session.as_ref().map(|(_, s)| s), Role::Supervisor) {
        return (status, Json(serde_json::json!({ "error": "supervisors only" }))).into_response();
    }
    let reader = session.map(|(_, s)| s.name).unwrap_or_default();
    // Who read which caller's record: callers' numbers are personal data.
    info!(%reader, call = %id, "call record read");
    match state.store.call_detail(&id).await {
        Ok(Some(detail)) => {
            let offset = |kind: &str| detail.events.iter().find(|e| e.2 == kind).map(|e| e.1);
            let answered_event = detail.events.iter().find(|e| e.2 == cdr::AGENT_ANSWERED);
            let waited_seconds = match (offset(cdr::ENQUEUED), offset(cdr::AGENT_ANSWERED)) {
                (Some(queued), Some(answered)) => Some((answered - queued) as f64 / 1000.0),
                _ => None,
            };
            let view = CallView {
                agent: answered_event.map(|e| e.3.clone()),
                answered: answered_event.is_some(),
                waited_seconds,
                detail,
            };
            Json(view).into_response()
        }
        Ok(None) => (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({ "error": "no such call" })),
        )
            .into_response(),
        Err(e) => {
            warn!(error = %e, "call record");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(serde_json::json!({ "error": "something went wrong" })),
            )
                .into_response()
        }
    }
}
