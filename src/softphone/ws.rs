//! `GET /api/agent/ws`: an agent's softphone session. It logs the agent onto the floor (the
//! ACD), answers the page's WebRTC offer, relays what the agent does and what the floor says,
//! and takes the agent off the floor when the page goes (closed tab, lost network, failed
//! audio): the ACD then applies its grace period, or at once sends a caller in conversation
//! back to the queue.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use tokio::sync::{mpsc, watch};
use tracing::{Instrument, info, warn};

use super::SoftphoneState;
use super::audio::{AgentAudio, Link};
use super::protocol::{FromBrowser, ToBrowser};
use crate::acd::agent::NotReadyReason;
use crate::acd::desk::{Input, TransferTarget};
use crate::acd::route::Skill;
use crate::acd::service::{AgentNotice, Control};
use crate::auth::Role;
use crate::lang::Lang;
use crate::outbound::call as outbound;
use crate::server::login::{require, same_origin, session_from, still_open};
use crate::store::agents::WrapUp;

static NEXT_SESSION: AtomicU64 = AtomicU64::new(1);

/// The longest extension of wrap-up one request may ask for.
const MAX_EXTENSION: Duration = Duration::from_secs(600);

pub async fn agent_ws(State(state): State<SoftphoneState>, headers: HeaderMap, ws: WebSocketUpgrade) -> Response {
    if !same_origin(&headers) {
        return (StatusCode::FORBIDDEN, "cross-site WebSocket refused").into_response();
    }
    let session = session_from(&state.sessions, &headers);
    if let Err(status) = require(session.as_ref().map(|(_, s)| s), Role::Agent) {
        return (status, "log in as an agent first").into_response();
    }
    let Some((token, session)) = session else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let span = tracing::info_span!("softphone", agent = %session.name);
    ws.on_upgrade(move |socket| run(state, socket, token, session.name).instrument(span))
}

/// The next notice of the call-back in progress, or never when there is none.
async fn call_back_notice(
    call_back: &mut Option<(mpsc::Sender<outbound::Control>, mpsc::Receiver<outbound::Notice>)>,
) -> Option<outbound::Notice> {
    match call_back {
        Some((_, notices)) => notices.recv().await,
        None => std::future::pending().await,
    }
}

/// How long an interrupted audio link may take to come back before the browser counts as gone.
const INTERRUPTION_LIMIT: Duration = Duration::from_secs(5);

/// Resolves when the page's audio link is lost: failed or closed, or interrupted for longer
/// than [`INTERRUPTION_LIMIT`]; never while there is no link yet.
async fn link_lost(link: &mut Option<watch::Receiver<Link>>) {
    let Some(rx) = link else {
        return std::future::pending().await;
    };
    loop {
        let state = rx
            .wait_for(|l| matches!(l, Link::Lost | Link::Interrupted))
            .await
            .map(|state| *state);
        let Ok(state) = state else {
            return std::future::pending().await;
        };
        if state == Link::Lost {
            return;
        }
        let healed = tokio::time::timeout(INTERRUPTION_LIMIT, async {
            rx.wait_for(|l| *l == Link::Connected).await.is_ok()
        })
        .await;
        match healed {
            Ok(true) => info!("the audio connection came back"),
            Ok(false) => return std::future::pending().await,
            Err(_) => return,
        }
    }
}

struct Agent {
    state: SoftphoneState,
    name: String,
    session: u64,
    audio: Option<Arc<AgentAudio>>,
    link: Option<watch::Receiver<Link>>,
    /// Calls this session was connected to (whose wrap-up it may file).
    handled: HashSet<String>,
    /// The call in wrap-up, from the latest state.
    wrapping_up: Option<String>,
    /// The latest state and not-ready reason.
    floor_state: (&'static str, Option<&'static str>),
    /// The call-back in progress: its controls and what it says.
    call_back: Option<(mpsc::Sender<outbound::Control>, mpsc::Receiver<outbound::Notice>)>,
}

async fn run(state: SoftphoneState, mut socket: WebSocket, token: String, name: String) {
    let skills = match state.store.user_skills(&name).await {
        Ok(skills) => skills,
        Err(e) => {
            warn!(error = %e, "cannot read the agent's skills");
            let _ = send(
                &mut socket,
                &ToBrowser::Error {
                    message: "something went wrong".into(),
                },
            )
            .await;
            return;
        }
    };
    let session = NEXT_SESSION.fetch_add(1, Ordering::Relaxed);
    let (tx, mut notices) = mpsc::channel(64);
    let desk_skills = skills
        .iter()
        .filter_map(|(code, level)| Lang::from_code(code).map(|lang| Skill { lang, level: *level }))
        .collect();
    state.acd.online(&name, desk_skills, session, tx).await;
    info!("softphone connected");
    let hello = ToBrowser::Hello {
        agent: name.clone(),
        skills,
        categories: state.categories.to_vec(),
    };
    let mut agent = Agent {
        state,
        name,
        session,
        audio: None,
        link: None,
        handled: HashSet::new(),
        wrapping_up: None,
        floor_state: ("logged_out", None),
        call_back: None,
    };
    if send(&mut socket, &hello).await {
        loop {
            tokio::select! {
                message = socket.recv() => match message {
                    Some(Ok(Message::Text(text))) => {
                        if !still_open(&agent.state.sessions, &token) {
                            let _ = send(&mut socket, &ToBrowser::Error { message: "the session has ended: log in again".into() }).await;
                            break;
                        }
                        let reply = match serde_json::from_str::<FromBrowser>(&text) {
                            Ok(FromBrowser::LogOut) => {
                                if agent.log_out().await {
                                    let _ = socket.send(Message::Close(None)).await;
                                    break;
                                }
                                Some(ToBrowser::Error { message: "finish the call (and its wrap-up) first".into() })
                            }
                            Ok(message) => agent.act_on(message).await,
                            Err(e) => Some(ToBrowser::Error { message: format!("not understood: {e}") }),
                        };
                        if let Some(reply) = reply {
                            if !send(&mut socket, &reply).await {
                                break;
                            }
                        }
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => {}
                },
                notice = notices.recv() => {
                    let Some(notice) = notice else { break };
                    let replaced = notice == AgentNotice::Replaced;
                    let message = agent.message_for(notice).await;
                    if !send(&mut socket, &message).await || replaced {
                        break;
                    }
                }
                notice = call_back_notice(&mut agent.call_back) => {
                    let message = match notice {
                        Some(notice) => agent.call_back_message(notice),
                        None => {
                            agent.call_back = None;
                            continue;
                        }
                    };
                    if !send(&mut socket, &message).await {
                        break;
                    }
                }
                () = link_lost(&mut agent.link) => {
                    info!("the audio connection failed");
                    let _ = send(&mut socket, &ToBrowser::Error { message: "the audio connection was lost".into() }).await;
                    break;
                }
            }
        }
    }
    info!("softphone gone");
    if let Some((control, _)) = agent.call_back.take() {
        let _ = control.send(outbound::Control::HangUp).await;
    }
    agent.state.acd.offline(&agent.name, agent.session).await;
    if let Some(audio) = agent.audio.take() {
        audio.close().await;
    }
}

async fn send(socket: &mut WebSocket, message: &ToBrowser) -> bool {
    let Ok(text) = serde_json::to_string(message) else {
        return false;
    };
    socket.send(Message::Text(text.into())).await.is_ok()
}

fn error(message: impl Into<String>) -> Option<ToBrowser> {
    Some(ToBrowser::Error {
        message: message.into(),
    })
}

/// The softphone is an edge: it stamps wrap-ups with the time.
#[allow(clippy::disallowed_methods)]
fn timestamp() -> Timestamp {
    Timestamp::now()
}

impl Agent {
    async fn act_on(&mut self, message: FromBrowser) -> Option<ToBrowser> {
        // While a call-back is up, the call controls act on it.
        if let Some((control, _)) = &self.call_back {
            let control = control.clone();
            let sent = match message {
                FromBrowser::HangUp => Some(outbound::Control::HangUp),
                FromBrowser::Hold { on } => Some(outbound::Control::Hold(on)),
                FromBrowser::Mute { on } => Some(outbound::Control::Mute(on)),
                FromBrowser::Ready | FromBrowser::AnswerCall | FromBrowser::Dial { .. } | FromBrowser::LogOut => {
                    return error("end the call-back first");
                }
                _ => None,
            };
            if let Some(sent) = sent {
                let _ = control.send(sent).await;
                return None;
            }
        }
        let acd = &self.state.acd;
        let agent = self.name.clone();
        match message {
            FromBrowser::Dial { number } => return self.dial(number).await,
            FromBrowser::Offer { sdp } => {
                return match AgentAudio::answer(sdp, &self.state.webrtc).await {
                    Ok((audio, answer)) => {
                        if let Some(old) = self.audio.replace(Arc::clone(&audio)) {
                            old.close().await;
                        }
                        self.link = Some(audio.link.clone());
                        acd.audio(&agent, self.session, Some(audio)).await;
                        Some(ToBrowser::Answer { sdp: answer })
                    }
                    Err(e) => {
                        warn!(error = %e, "the audio offer failed");
                        error(e.to_string())
                    }
                };
            }
            FromBrowser::Ready => acd.input(Input::AgentReady { agent }).await,
            FromBrowser::NotReady { reason } => match NotReadyReason::chosen(&reason) {
                Some(reason) => acd.input(Input::AgentNotReady { agent, reason }).await,
                None => return error(format!("unknown reason '{reason}': break, training or outbound")),
            },
            FromBrowser::AnswerCall => acd.answer(&agent).await,
            FromBrowser::HangUp => acd.input(Input::AgentHangUp { agent }).await,
            FromBrowser::Hold { on } => acd.control(&agent, Control::Hold(on)).await,
            FromBrowser::Mute { on } => acd.control(&agent, Control::Mute(on)).await,
            FromBrowser::Transfer {
                agent: Some(to),
                language: None,
            } => {
                acd.input(Input::AgentTransfer {
                    agent,
                    to: TransferTarget::Agent(to),
                })
                .await
            }
            FromBrowser::Transfer {
                agent: None,
                language: Some(code),
            } => match Lang::from_code(&code) {
                Some(lang) => {
                    acd.input(Input::AgentTransfer {
                        agent,
                        to: TransferTarget::Language(lang),
                    })
                    .await
                }
                None => return error(format!("unknown language '{code}'")),
            },
            FromBrowser::Transfer { .. } => return error("transfer to an agent or to a language, one of them"),
            FromBrowser::WrapUp {
                call,
                category,
                escalation,
                escalation_note,
                complaint,
                notes,
            } => {
                let wrap_up = WrapUp {
                    category,
                    escalation,
                    escalation_note,
                    complaint,
                    notes,
                };
                return self.wrap_up(call, wrap_up).await;
            }
            // The session loop takes it: it also ends the session.
            FromBrowser::LogOut => {}
            FromBrowser::ExtendWrapUp { seconds } => {
                let by = Duration::from_secs(seconds).min(MAX_EXTENSION);
                acd.input(Input::ExtendWrapUp { agent, by }).await
            }
        }
        None
    }

    /// Takes the agent off the floor; false when its state does not allow it (a call rings
    /// or is up, or a call-back is).
    async fn log_out(&mut self) -> bool {
        if self.call_back.is_some() || matches!(self.floor_state.0, "offered" | "on_call") {
            return false;
        }
        self.state
            .acd
            .input(Input::AgentLogOut {
                agent: self.name.clone(),
            })
            .await;
        info!("logged off the floor");
        true
    }

    async fn dial(&mut self, number: String) -> Option<ToBrowser> {
        let number = match self.state.dial_plan.check(&number) {
            Ok(number) => number,
            Err(refusal) => {
                info!(%refusal, "call-back refused by the dial plan");
                return error(refusal.to_string());
            }
        };
        let Some(dialer) = self.state.dialer.clone() else {
            return error("call-backs are not set up here ([outbound] trunk)");
        };
        if self.floor_state != ("not_ready", Some("outbound")) {
            return error("set yourself not ready for outbound calls first");
        }
        let Some(audio) = self.audio.clone().filter(|a| a.is_connected()) else {
            return error("the audio connection is not up");
        };
        let (control, control_rx) = mpsc::channel(8);
        let (notices_tx, notices) = mpsc::channel(8);
        self.call_back = Some((control, notices));
        tokio::spawn(
            outbound::run(
                Arc::clone(&self.state.calls),
                dialer,
                outbound::CallBack {
                    agent: self.name.clone(),
                    number,
                    audio,
                    control: control_rx,
                    notices: notices_tx,
                },
            )
            .in_current_span(),
        );
        None
    }

    fn call_back_message(&mut self, notice: outbound::Notice) -> ToBrowser {
        match notice {
            outbound::Notice::Dialing { call, number } => {
                self.handled.insert(call.clone());
                ToBrowser::Dialing { call, number }
            }
            outbound::Notice::Connected { call } => ToBrowser::OutboundConnected { call },
            outbound::Notice::Failed { call, why } => {
                self.call_back = None;
                ToBrowser::OutboundEnded { call, why }
            }
            outbound::Notice::Ended { call, why } => {
                self.call_back = None;
                ToBrowser::OutboundEnded {
                    call,
                    why: why.to_string(),
                }
            }
        }
    }

    async fn wrap_up(&mut self, call: String, form: WrapUp) -> Option<ToBrowser> {
        if !self.handled.contains(&call) {
            return error("that is not a call you took");
        }
        if !self.state.categories.contains(&form.category) {
            return error(format!("unknown category '{}'", form.category));
        }
        if form.escalation && form.escalation_note.trim().is_empty() {
            return error("an escalation needs a note saying what to escalate");
        }
        if form.notes.len() > 4000 || form.escalation_note.len() > 4000 {
            return error("notes are limited to 4000 characters");
        }
        if let Err(e) = self
            .state
            .store
            .save_wrap_up(&call, &self.name, &timestamp().to_string(), &form)
            .await
        {
            warn!(error = %e, "the wrap-up could not be saved");
            return error("the wrap-up could not be saved: try again");
        }
        info!(%call, category = %form.category, escalation = form.escalation, complaint = form.complaint, "wrap-up filed");
        if self.wrapping_up.as_deref() == Some(call.as_str()) {
            // The wrap-up of an inbound call ends its after-call work; a call-back's wrap-up
            // is filed while the agent stays not ready for outbound calls.
            self.state
                .acd
                .input(Input::WrapUpDone {
                    agent: self.name.clone(),
                })
                .await;
        }
        Some(ToBrowser::WrapUpSaved { call })
    }

    async fn message_for(&mut self, notice: AgentNotice) -> ToBrowser {
        match notice {
            AgentNotice::State {
                state,
                reason,
                call,
                wrap_up_left,
            } => {
                self.wrapping_up = if state == "wrap_up" { call.clone() } else { None };
                self.floor_state = (state, reason);
                ToBrowser::State {
                    state,
                    reason,
                    call,
                    wrap_up_left,
                }
            }
            AgentNotice::Ringing { call, info } => {
                let earlier_calls = self
                    .state
                    .store
                    .earlier_calls(&info.caller, &call, 5)
                    .await
                    .unwrap_or_else(|e| {
                        warn!(error = %e, "cannot read the caller's earlier calls");
                        Vec::new()
                    });
                ToBrowser::Ringing {
                    call,
                    caller: info.caller,
                    language: info.lang.code().to_string(),
                    queue: info.queue,
                    path: info.path,
                    earlier_calls,
                }
            }
            AgentNotice::Withdrawn { call, why } => ToBrowser::Withdrawn { call, why },
            AgentNotice::Connected { call } => {
                self.handled.insert(call.clone());
                ToBrowser::Connected { call }
            }
            AgentNotice::CallEnded { call } => ToBrowser::CallEnded { call },
            AgentNotice::Refused { why } => ToBrowser::Error { message: why },
            AgentNotice::Replaced => ToBrowser::Replaced,
        }
    }
}
