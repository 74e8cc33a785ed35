//! The supervisors' live floor (`/floor`, `GET /api/floor/ws`): every two seconds the calls
//! waiting (language, waiting time), the longest wait, the agents by state and for how long,
//! today's answer rate so far against the 85 % target (computed exactly as `tsunagu report
//! daily` computes it), and the journal's health (rows waiting, rows lost while the database
//! was down). `GET /api/calls/{id}` is in [`super::calls`].

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::{Html, Response};
use axum::routing::get;
use jiff::Timestamp;
use serde::Serialize;
use tracing::{Instrument, warn};

use super::AppState;
use super::extract::{SameOrigin, StaffSession, Supervisor};
use super::today::{Today, today};
use crate::acd::desk::DeskView;
use crate::calendar;
use crate::journal::agent::state_label;
use crate::journal::{AgentStateName, NotReadyReason};
use crate::lang::Lang;
use crate::report::daily::TARGET;

const REFRESH: Duration = Duration::from_secs(2);
/// The floor sends; the page only says it is there. Nothing larger is read.
const MAX_MESSAGE: usize = 4 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/floor", get(|| async { Html(include_str!("assets/floor.html")) }))
        .route("/api/floor/ws", get(floor_ws))
}

#[derive(Debug, Serialize)]
struct Waiting {
    call: String,
    language: Lang,
    waiting_seconds: u64,
}

#[derive(Debug, Serialize)]
struct AgentRow {
    name: String,
    state: AgentStateName,
    reason: Option<NotReadyReason>,
    /// The state as supervisors read it (「離席（休憩）」).
    label: String,
    for_seconds: u64,
    connected: bool,
}

/// How the journal is doing: a supervisor must see that records are late or lost.
#[derive(Debug, Serialize)]
struct JournalHealth {
    pending_rows: u64,
    lost_rows: u64,
    failed_rows: u64,
    database_down: bool,
    shedding: bool,
}

#[derive(Debug, Serialize)]
struct Floor {
    waiting: Vec<Waiting>,
    longest_wait_seconds: u64,
    agents: Vec<AgentRow>,
    /// Supervisors and admins who opened the softphone: apart from the agents (they are not
    /// staffing the queue).
    supervisors: Vec<AgentRow>,
    date: String,
    /// When this was made, Tokyo time (HH:MM:SS): the page shows it whatever the browser's zone.
    updated: String,
    offered: u32,
    answered: u32,
    answer_rate: Option<f64>,
    target: f64,
    /// The day's figures, intervals against the forecast, staffing and warnings.
    today: Today,
    journal: JournalHealth,
}

/// The floor reads the clock.
#[allow(clippy::disallowed_methods)]
fn now() -> (Instant, Timestamp) {
    (Instant::now(), Timestamp::now())
}

fn rows(view: DeskView, at: Instant) -> (Vec<Waiting>, Vec<AgentRow>) {
    let waiting = view
        .waiting
        .into_iter()
        .map(|w| Waiting {
            call: w.call,
            language: w.lang,
            waiting_seconds: w.waited.as_secs(),
        })
        .collect();
    let agents = view
        .agents
        .into_iter()
        .filter(|a| a.state.name() != AgentStateName::LoggedOut)
        .map(|a| AgentRow {
            for_seconds: a.state.since().map_or(0, |s| at.saturating_duration_since(s).as_secs()),
            state: a.state.name(),
            reason: a.state.reason(),
            label: state_label(a.state.name(), a.state.reason()),
            connected: a.connected,
            name: a.name,
        })
        .collect();
    (waiting, agents)
}

async fn floor_ws(
    State(state): State<AppState>,
    Supervisor { staff, .. }: Supervisor,
    _: SameOrigin,
    ws: WebSocketUpgrade,
) -> Response {
    let span = tracing::info_span!("floor", supervisor = %staff.name());
    ws.max_message_size(MAX_MESSAGE)
        .on_upgrade(move |socket| watch_floor(state, socket, staff).instrument(span))
}

/// Sends the floor every [`REFRESH`] while the supervisor's session lasts: the page keeps it
/// alive, and logging out (or its end) closes the page's socket at once.
async fn watch_floor(state: AppState, mut socket: WebSocket, staff: StaffSession) {
    let mut tick = tokio::time::interval(REFRESH);
    let ended = staff.session.ended.clone();
    loop {
        tokio::select! {
            () = ended.cancelled() => {
                let _ = socket.send(Message::Close(None)).await;
                break;
            }
            _ = tick.tick() => {
                if state.sessions.get(&staff.token, crate::web::extract::now()).is_none() {
                    let _ = socket.send(Message::Close(None)).await;
                    break;
                }
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

async fn snapshot(state: &AppState) -> Option<Floor> {
    let view = state.acd.view().await?;
    let (at, stamp) = now();
    let date = calendar::tokyo_time(stamp).date().to_string();
    let view_for_today = view.clone();
    let (waiting, everyone) = rows(view, at);
    let roles = match state.store.staff_roles().await {
        Ok(roles) => roles,
        Err(e) => {
            warn!(error = %e, "floor: cannot read the staff's roles");
            Default::default()
        }
    };
    let (supervisors, agents): (Vec<AgentRow>, Vec<AgentRow>) = everyone
        .into_iter()
        .partition(|a| roles.get(&a.name).is_some_and(|role| role != "agent"));
    let names: Vec<String> = agents.iter().map(|a| a.name.clone()).collect();
    let today = today(state, &view_for_today, stamp, &names).await;
    let journal = &state.calls.journal;
    let stats = &journal.stats;
    Some(Floor {
        longest_wait_seconds: waiting.iter().map(|w| w.waiting_seconds).max().unwrap_or(0),
        waiting,
        agents,
        supervisors,
        updated: calendar::tokyo_time(stamp).strftime("%H:%M:%S").to_string(),
        date,
        offered: today.figures.offered,
        answered: today.figures.answered,
        answer_rate: today.figures.answer_rate,
        target: TARGET,
        today,
        journal: JournalHealth {
            pending_rows: stats.pending.load(Ordering::Relaxed),
            lost_rows: stats.lost.load(Ordering::Relaxed),
            failed_rows: stats.failed.load(Ordering::Relaxed),
            database_down: stats.database_down.load(Ordering::Relaxed),
            shedding: journal.is_behind(),
        },
    })
}
