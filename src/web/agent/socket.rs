//! `GET /api/agent/ws`: the socket loop of an agent's softphone session. It logs the agent onto
//! the floor (the ACD), feeds the [`AgentSession`] what the page, the floor, the audio leg and
//! a call-back say, and carries out what the session decides. Slow work (answering the page's
//! WebRTC offer, filing a wrap-up, reading a caller's history) runs beside the loop and comes
//! back as events, so a ring never waits behind it. When the page goes (closed tab, lost
//! network, failed audio) the agent leaves the floor: the ACD then applies its grace period,
//! or at once sends a caller in conversation back to the queue.
//!
//! The loop takes any `Sink` and `Stream` of WebSocket messages, so tests drive it with
//! channels as well as with a real socket.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{Message, WebSocketUpgrade};
use axum::response::Response;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use jiff::Timestamp;
use tokio::sync::{mpsc, watch};
use tracing::{Instrument, info, warn};

use super::protocol::{FromBrowser, ToBrowser};
use super::session::{Action, AgentSession, Event, SessionRules};
use crate::acd::route::Skill;
use crate::call::callback::{self, CallBack};
use crate::journal::{AgentStateName, FiledWrapUp};
use crate::lang::Lang;
use crate::media::leg::MediaLeg;
use crate::media::webrtc_leg::{Link, WebRtcLeg};
use crate::store::journal::JournalError;
use crate::web::AppState;
use crate::web::extract::{SameOrigin, Staff, StaffSession, now};

static NEXT_SESSION: AtomicU64 = AtomicU64::new(1);

/// The largest message a page sends is its SDP offer (a few KB); a wrap-up's notes are limited
/// to 4000 characters.
const MAX_MESSAGE: usize = 64 * 1024;

/// How long an interrupted audio link may take to come back before the browser counts as gone.
const INTERRUPTION_LIMIT: Duration = Duration::from_secs(5);

/// How often an open softphone touches its login session: a session stays alive while its
/// page is open, however quiet the agent.
const TOUCH_EVERY: Duration = Duration::from_secs(60);

pub async fn agent_ws(
    State(state): State<AppState>,
    Staff { staff, .. }: Staff,
    _: SameOrigin,
    ws: WebSocketUpgrade,
) -> Response {
    let span = tracing::info_span!("softphone", agent = %staff.name());
    ws.max_message_size(MAX_MESSAGE).on_upgrade(move |socket| {
        let (sink, stream) = socket.split();
        run(state, sink, stream, staff).instrument(span)
    })
}

/// What comes back to the loop from the work it started.
enum Internal {
    Session(Event),
    /// The page's offer was answered with this leg (of this generation).
    AudioReady(Arc<WebRtcLeg>, String),
    /// The audio leg of this generation changed.
    Link(u64, LinkNews),
}

enum LinkNews {
    Up,
    Lost,
}

/// The softphone is an edge: it stamps wrap-ups with the time.
#[allow(clippy::disallowed_methods)]
fn timestamp() -> Timestamp {
    Timestamp::now()
}

async fn send<S>(sink: &mut S, message: &ToBrowser) -> bool
where
    S: Sink<Message> + Unpin,
{
    let Ok(text) = serde_json::to_string(message) else {
        return false;
    };
    sink.send(Message::Text(text.into())).await.is_ok()
}

/// The session of one page, from its `hello` until it goes.
struct Loop {
    state: AppState,
    name: String,
    session_id: u64,
    token: String,
    session: AgentSession,
    audio: Option<Arc<WebRtcLeg>>,
    /// Which audio leg is the current one (events of earlier ones are ignored).
    generation: u64,
    call_back: Option<mpsc::Sender<callback::Control>>,
    internal: mpsc::Sender<Internal>,
}

pub async fn run<S, R, E>(state: AppState, mut sink: S, mut stream: R, staff: StaffSession)
where
    S: Sink<Message> + Unpin,
    R: Stream<Item = Result<Message, E>> + Unpin,
{
    let name = staff.name().to_string();
    // A second tab or window while a call is up in the first would take the agent's audio from
    // under the caller: it is refused until the call is over.
    if on_a_call(&state, &name).await {
        info!("a second softphone while on a call: refused");
        let _ = send(
            &mut sink,
            &ToBrowser::Error {
                message: "this softphone is on a call in another tab or window: finish it there first".into(),
            },
        )
        .await;
        let _ = sink.send(Message::Close(None)).await;
        return;
    }
    let skills = match state.store.user_skills(&name).await {
        Ok(skills) => skills,
        Err(e) => {
            warn!(error = %e, "cannot read the agent's skills");
            let _ = send(
                &mut sink,
                &ToBrowser::Error {
                    message: "something went wrong".into(),
                },
            )
            .await;
            return;
        }
    };
    let session_id = NEXT_SESSION.fetch_add(1, Ordering::Relaxed);
    let (notices_tx, mut notices) = mpsc::channel(64);
    let desk_skills = skills
        .iter()
        .filter_map(|(code, level)| Lang::from_code(code).map(|lang| Skill { lang, level: *level }))
        .collect();
    state.acd.online(&name, desk_skills, session_id, notices_tx).await;
    info!("softphone connected");
    let hello = ToBrowser::Hello {
        agent: name.clone(),
        skills,
        categories: state.softphone.categories.to_vec(),
    };
    let (internal, mut internal_rx) = mpsc::channel(64);
    let rules = SessionRules {
        categories: Arc::clone(&state.softphone.categories),
        dial_plan: Arc::clone(&state.softphone.dial_plan),
        call_backs: state.softphone.dialer.is_some(),
        default_lang: state.calls.settings.default_lang,
    };
    let mut this = Loop {
        session: AgentSession::new(&name, rules),
        state,
        name,
        session_id,
        token: staff.token,
        audio: None,
        generation: 0,
        call_back: None,
        internal,
    };
    let ended = staff.session.ended.clone();
    let mut touch = tokio::time::interval(TOUCH_EVERY);
    if send(&mut sink, &hello).await {
        loop {
            let events = tokio::select! {
                () = ended.cancelled() => vec![Event::SessionEnded],
                _ = touch.tick() => {
                    if this.state.sessions.get(&this.token, now()).is_some() {
                        continue;
                    }
                    vec![Event::SessionEnded]
                }
                message = stream.next() => match message {
                    Some(Ok(Message::Text(text))) => {
                        let event = if this.state.sessions.get(&this.token, now()).is_none() {
                            Event::SessionEnded
                        } else {
                            match serde_json::from_str::<FromBrowser>(&text) {
                                Ok(message) => Event::Browser(message),
                                Err(e) => Event::NotUnderstood(e.to_string()),
                            }
                        };
                        vec![event]
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => continue,
                },
                notice = notices.recv() => match notice {
                    Some(notice) => vec![Event::Floor(notice)],
                    None => break,
                },
                internal = internal_rx.recv() => match internal {
                    Some(Internal::Session(event)) => vec![event],
                    Some(Internal::AudioReady(leg, sdp)) => this.new_audio(leg, sdp).await,
                    Some(Internal::Link(generation, _)) if generation != this.generation => continue,
                    Some(Internal::Link(_, LinkNews::Up)) => vec![Event::AudioUp(true)],
                    Some(Internal::Link(_, LinkNews::Lost)) => {
                        info!("the audio connection failed");
                        vec![Event::AudioLost]
                    }
                    None => break,
                },
            };
            let mut going_on = true;
            for event in events {
                going_on = going_on && this.carry_out(event, &mut sink).await;
            }
            if !going_on {
                break;
            }
        }
    }
    info!("softphone gone");
    this.close().await;
}

impl Loop {
    /// Feeds the session an event and does what it says; false when the session is over.
    async fn carry_out<S>(&mut self, event: Event, sink: &mut S) -> bool
    where
        S: Sink<Message> + Unpin,
    {
        for action in self.session.handle(event) {
            match action {
                Action::Send(message) => {
                    if !send(sink, &message).await {
                        return false;
                    }
                }
                Action::Close => {
                    let _ = sink.send(Message::Close(None)).await;
                    return false;
                }
                Action::Desk(input) => self.state.acd.input(input).await,
                Action::Control(control) => self.state.acd.control(&self.name, control).await,
                Action::Audio(up) => self.state.acd.audio(&self.name, self.session_id, up).await,
                Action::AnswerAudio { sdp } => self.answer_audio(sdp),
                Action::FileWrapUp { call, form } => self.file_wrap_up(call, form),
                Action::ReadEarlierCalls { call, caller } => {
                    let (store, internal) = (self.state.store.clone(), self.internal.clone());
                    tokio::spawn(
                        async move {
                            let calls = store.earlier_calls(&caller, &call, 5).await.unwrap_or_else(|e| {
                                warn!(error = %e, "cannot read the caller's earlier calls");
                                Vec::new()
                            });
                            let _ = internal
                                .send(Internal::Session(Event::EarlierCalls { call, calls }))
                                .await;
                        }
                        .in_current_span(),
                    );
                }
                Action::PlaceCallBack { number, lang } => self.place_call_back(number, lang).await,
                Action::CallBack(control) => {
                    if let Some(controls) = &self.call_back {
                        let _ = controls.send(control).await;
                    }
                }
            }
        }
        true
    }

    fn answer_audio(&self, sdp: String) {
        let (settings, internal) = (self.state.softphone.webrtc.clone(), self.internal.clone());
        tokio::spawn(
            async move {
                let news = match WebRtcLeg::answer(sdp, &settings).await {
                    Ok((leg, answer)) => Internal::AudioReady(leg, answer),
                    Err(e) => {
                        warn!(error = %e, "the audio offer failed");
                        Internal::Session(Event::AudioAnswered(Err(e.to_string())))
                    }
                };
                let _ = internal.send(news).await;
            }
            .in_current_span(),
        );
    }

    /// A new audio leg replaces the old one: it goes where calls find it, and its link is
    /// watched. The audio is down until the new link is up.
    async fn new_audio(&mut self, leg: Arc<WebRtcLeg>, sdp: String) -> Vec<Event> {
        let mut events = Vec::new();
        if let Some(old) = self.audio.replace(Arc::clone(&leg)) {
            old.close().await;
            events.push(Event::AudioUp(false));
        }
        self.generation += 1;
        self.state
            .calls
            .agent_legs
            .put(&self.name, self.session_id, Arc::clone(&leg) as Arc<dyn MediaLeg>);
        tokio::spawn(watch_link(leg.link.clone(), self.generation, self.internal.clone()).in_current_span());
        events.push(Event::AudioAnswered(Ok(sdp)));
        events
    }

    fn file_wrap_up(&self, call: String, form: crate::journal::WrapUp) {
        let (journal, internal, agent) = (
            self.state.calls.journal.clone(),
            self.internal.clone(),
            self.name.clone(),
        );
        tokio::spawn(
            async move {
                info!(%call, category = %form.category, escalation = form.escalation, complaint = form.complaint, "wrap-up filed");
                let filed = FiledWrapUp {
                    call: call.clone(),
                    agent,
                    saved_at: timestamp().to_string(),
                    form,
                };
                let result = journal.wrap_up(filed).await.map_err(|e| {
                    warn!(error = %e, "the wrap-up could not be saved");
                    // The database's own words stay in the log; the agent is told what to do.
                    match e {
                        JournalError::Refused(_) => "the database refused it".to_string(),
                        other => other.to_string(),
                    }
                });
                let _ = internal.send(Internal::Session(Event::WrapUpFiled { call, result })).await;
            }
            .in_current_span(),
        );
    }

    async fn place_call_back(&mut self, number: crate::pii::PhoneNumber, lang: Lang) {
        let (Some(dialer), Some(leg)) = (
            self.state.softphone.dialer.clone(),
            self.audio.clone().filter(|a| a.is_connected()),
        ) else {
            let event = Event::CallBackNotStarted("the audio connection is not up".into());
            let _ = self.internal.send(Internal::Session(event)).await;
            return;
        };
        let (control, control_rx) = mpsc::channel(8);
        let (notices_tx, mut notices) = mpsc::channel(8);
        self.call_back = Some(control);
        let internal = self.internal.clone();
        // While the call-back is up, another tab is refused like during an inbound call.
        let busy = BusyWhile::mark(&self.state.softphone.busy, &self.name);
        tokio::spawn(async move {
            let _busy = busy;
            while let Some(notice) = notices.recv().await {
                if internal.send(Internal::Session(Event::CallBack(notice))).await.is_err() {
                    return;
                }
            }
        });
        tokio::spawn(
            callback::run(
                Arc::clone(&self.state.calls),
                dialer,
                CallBack {
                    agent: self.name.clone(),
                    number,
                    lang,
                    leg: leg as Arc<dyn MediaLeg>,
                    control: control_rx,
                    notices: notices_tx,
                },
            )
            .in_current_span(),
        );
    }

    async fn close(mut self) {
        if self.session.has_call_back() {
            if let Some(control) = self.call_back.take() {
                let _ = control.send(callback::Control::HangUp).await;
            }
        }
        self.state.acd.offline(&self.name, self.session_id).await;
        self.state.calls.agent_legs.remove(&self.name, self.session_id);
        if let Some(audio) = self.audio.take() {
            audio.close().await;
        }
    }
}

/// Whether the agent is on a call (ringing, talking, or placing a call-back) in a session.
async fn on_a_call(state: &AppState, name: &str) -> bool {
    if state.softphone.busy.contains(name) {
        return true;
    }
    let Some(desk) = state.acd.view().await else {
        return false;
    };
    desk.agents
        .iter()
        .any(|a| a.name == name && matches!(a.state.name(), AgentStateName::Offered | AgentStateName::OnCall))
}

/// Agents with a call-back up, by name.
#[derive(Debug, Default)]
pub struct BusyAgents(std::sync::Mutex<std::collections::HashSet<String>>);

impl BusyAgents {
    fn contains(&self, name: &str) -> bool {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).contains(name)
    }
}

/// Marks an agent busy until dropped.
struct BusyWhile {
    agents: Arc<BusyAgents>,
    name: String,
}

impl BusyWhile {
    fn mark(agents: &Arc<BusyAgents>, name: &str) -> BusyWhile {
        agents
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.to_string());
        BusyWhile {
            agents: Arc::clone(agents),
            name: name.to_string(),
        }
    }
}

impl Drop for BusyWhile {
    fn drop(&mut self) {
        self.agents
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.name);
    }
}

/// Tells the loop when the leg's link is up, and when it is lost: failed or closed, or
/// interrupted for longer than [`INTERRUPTION_LIMIT`].
async fn watch_link(mut link: watch::Receiver<Link>, generation: u64, internal: mpsc::Sender<Internal>) {
    loop {
        let Ok(state) = link
            .wait_for(|l| matches!(l, Link::Connected | Link::Lost | Link::Interrupted))
            .await
            .map(|state| *state)
        else {
            return;
        };
        let news = match state {
            Link::Connected => LinkNews::Up,
            Link::Lost => LinkNews::Lost,
            _ => {
                let healed = tokio::time::timeout(INTERRUPTION_LIMIT, async {
                    link.wait_for(|l| *l == Link::Connected).await.is_ok()
                })
                .await;
                match healed {
                    Ok(true) => {
                        info!("the audio connection came back");
                        continue;
                    }
                    Ok(false) => return,
                    Err(_) => LinkNews::Lost,
                }
            }
        };
        let lost = matches!(news, LinkNews::Lost);
        if internal.send(Internal::Link(generation, news)).await.is_err() || lost {
            return;
        }
        // Up: wait until it changes again.
        if link.changed().await.is_err() {
            return;
        }
    }
}
