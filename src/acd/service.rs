//! The ACD task: the one owner of the [`Desk`]. Calls and agents' softphones send it what
//! happens; it applies one input at a time, carries out what the desk answers (notices to
//! calls and softphones, the agents' event log in the journal) and wakes for the desk's
//! deadlines. Nothing else changes an agent's state. It carries no audio: a call an agent
//! answered takes the agent's leg from `media::agent_legs`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use tokio::sync::{mpsc, oneshot};
use tracing::{info, warn};

use super::agent::{AgentState, AgentStateName, CallId, NotReadyReason};
use super::desk::{CallInfo, Desk, DeskSettings, DeskView, Input, Output, Withdrawn};
use super::route::Skill;
use crate::journal::AgentEvent;
use crate::lang::Lang;
use crate::store::journal::Journal;

/// What the ACD tells a waiting call.
#[derive(Clone)]
pub enum CallNotice {
    /// It rings at an agent.
    Offered {
        agent: String,
    },
    /// The ring ended without an answer; the call waits on.
    OfferWithdrawn,
    /// The agent answered: bridge to the agent's audio leg. `lang`: the language of the queue
    /// it was answered from (the call's recording is transcribed in it).
    Connected {
        agent: String,
        lang: Option<Lang>,
    },
    /// The agent is gone (vanished or transferred the call): back to waiting.
    Unbridged,
    /// The agent hung up.
    HangUp,
    Position {
        position: u32,
        expected_wait: Duration,
    },
    /// The agent put the caller on hold, or took them back.
    Hold(bool),
    /// The agent's microphone is cut (or not).
    Mute(bool),
}

/// What an agent does to the call it is on, without changing its own state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    Hold(bool),
    Mute(bool),
}

/// What the ACD tells an agent's softphone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentNotice {
    State {
        state: AgentStateName,
        reason: Option<NotReadyReason>,
        call: Option<CallId>,
        /// Seconds of wrap-up left.
        wrap_up_left: Option<u64>,
    },
    Ringing {
        call: CallId,
        info: CallInfo,
    },
    Withdrawn {
        call: CallId,
        why: Withdrawn,
    },
    Connected {
        call: CallId,
    },
    CallEnded {
        call: CallId,
    },
    Refused {
        why: String,
    },
    /// Another session of the same agent took over.
    Replaced,
}

enum Command {
    Desk(Input),
    Enqueue {
        call: CallId,
        info: CallInfo,
        at_head: bool,
        notices: mpsc::Sender<CallNotice>,
    },
    Online {
        agent: String,
        skills: Vec<Skill>,
        session: u64,
        notices: mpsc::Sender<AgentNotice>,
    },
    Audio {
        agent: String,
        session: u64,
        up: bool,
    },
    Offline {
        agent: String,
        session: u64,
    },
    Control {
        agent: String,
        control: Control,
    },
    View(oneshot::Sender<DeskView>),
    ExpectedWait(oneshot::Sender<Duration>),
    /// Replies when every command sent before it has been applied (tests, shutdown).
    Sync(oneshot::Sender<()>),
}

/// A handle to the ACD task; cheap to clone.
#[derive(Clone)]
pub struct Acd {
    tx: mpsc::Sender<Command>,
}

struct Session {
    id: u64,
    notices: mpsc::Sender<AgentNotice>,
}

struct Task {
    desk: Desk,
    calls: HashMap<CallId, mpsc::Sender<CallNotice>>,
    sessions: HashMap<String, Session>,
    journal: Journal,
}

/// The ACD reads the clock: it is the edge of the sans-IO desk.
#[allow(clippy::disallowed_methods)]
fn now() -> Instant {
    Instant::now()
}

#[allow(clippy::disallowed_methods)]
fn timestamp() -> Timestamp {
    Timestamp::now()
}

impl Acd {
    pub fn start(settings: DeskSettings, journal: Journal) -> Acd {
        let (tx, rx) = mpsc::channel(4096);
        let task = Task {
            desk: Desk::new(settings),
            calls: HashMap::new(),
            sessions: HashMap::new(),
            journal,
        };
        tokio::spawn(task.run(rx));
        Acd { tx }
    }

    async fn send(&self, command: Command) {
        if self.tx.send(command).await.is_err() {
            warn!("the ACD task is gone");
        }
    }

    /// A call enters the queue; its notices come on `notices`.
    pub async fn enqueue(&self, call: &str, info: CallInfo, at_head: bool, notices: mpsc::Sender<CallNotice>) {
        self.send(Command::Enqueue {
            call: call.to_string(),
            info,
            at_head,
            notices,
        })
        .await;
    }

    /// The call left the queue or ended.
    pub async fn call_gone(&self, call: &str) {
        self.send(Command::Desk(Input::CallGone { call: call.to_string() }))
            .await;
    }

    pub async fn online(&self, agent: &str, skills: Vec<Skill>, session: u64, notices: mpsc::Sender<AgentNotice>) {
        self.send(Command::Online {
            agent: agent.to_string(),
            skills,
            session,
            notices,
        })
        .await;
    }

    /// Whether the audio connection of the agent's softphone session `session` is up.
    pub async fn audio(&self, agent: &str, session: u64, up: bool) {
        self.send(Command::Audio {
            agent: agent.to_string(),
            session,
            up,
        })
        .await;
    }

    /// A call found no audio leg for the agent who answered it: the audio went in between.
    pub async fn agent_audio_lost(&self, agent: &str) {
        self.send(Command::Desk(Input::AgentAudio {
            agent: agent.to_string(),
            up: false,
        }))
        .await;
    }

    pub async fn offline(&self, agent: &str, session: u64) {
        self.send(Command::Offline {
            agent: agent.to_string(),
            session,
        })
        .await;
    }

    pub async fn control(&self, agent: &str, control: Control) {
        self.send(Command::Control {
            agent: agent.to_string(),
            control,
        })
        .await;
    }

    /// Anything the agent does that goes straight to the desk.
    pub async fn input(&self, input: Input) {
        self.send(Command::Desk(input)).await;
    }

    /// The desk as it is now.
    pub async fn view(&self) -> Option<DeskView> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::View(reply)).await;
        answer.await.ok()
    }

    /// What a caller joining the queue now would wait, by the desk's estimate.
    pub async fn expected_wait(&self) -> Option<Duration> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::ExpectedWait(reply)).await;
        answer.await.ok()
    }

    pub async fn sync(&self) {
        let (reply, answer) = oneshot::channel();
        self.send(Command::Sync(reply)).await;
        let _ = answer.await;
    }
}

impl Task {
    async fn run(mut self, mut rx: mpsc::Receiver<Command>) {
        loop {
            let deadline = self.desk.next_deadline();
            let sleep = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await,
                    None => std::future::pending().await,
                }
            };
            let outputs = tokio::select! {
                command = rx.recv() => match command {
                    Some(command) => self.command(command),
                    None => return,
                },
                _ = sleep => self.desk.tick(now()),
            };
            self.carry_out(outputs);
        }
    }

    fn command(&mut self, command: Command) -> Vec<Output> {
        let at = now();
        match command {
            Command::Desk(input) => {
                if let Input::CallGone { call } = &input {
                    self.calls.remove(call);
                }
                self.desk.handle(input, at)
            }
            Command::Enqueue {
                call,
                info,
                at_head,
                notices,
            } => {
                self.calls.insert(call.clone(), notices);
                self.desk.handle(Input::CallQueued { call, info, at_head }, at)
            }
            Command::Online {
                agent,
                skills,
                session,
                notices,
            } => {
                if let Some(old) = self.sessions.remove(&agent) {
                    let _ = old.notices.try_send(AgentNotice::Replaced);
                }
                self.sessions.insert(agent.clone(), Session { id: session, notices });
                let mut out = self.desk.handle(
                    Input::AgentLogIn {
                        agent: agent.clone(),
                        skills,
                    },
                    at,
                );
                out.extend(self.desk.handle(Input::AgentBack { agent: agent.clone() }, at));
                // The page shows the state it finds, whatever it was.
                self.tell_state(&agent, at);
                out
            }
            Command::Audio { agent, session, up } => {
                if self.sessions.get(&agent).is_some_and(|s| s.id == session) {
                    self.desk.handle(Input::AgentAudio { agent, up }, at)
                } else {
                    Vec::new()
                }
            }
            Command::Offline { agent, session } => {
                if self.sessions.get(&agent).is_some_and(|s| s.id == session) {
                    self.sessions.remove(&agent);
                    info!(%agent, "softphone gone");
                    self.desk.handle(Input::AgentGone { agent }, at)
                } else {
                    Vec::new()
                }
            }
            Command::Control { agent, control } => {
                let Some(AgentState::OnCall { call, .. }) = self.desk.agent_state(&agent).cloned() else {
                    return vec![Output::Refused {
                        agent,
                        why: "not on a call".into(),
                    }];
                };
                let notice = match control {
                    Control::Hold(on) => CallNotice::Hold(on),
                    Control::Mute(on) => CallNotice::Mute(on),
                };
                let mut out = std::collections::VecDeque::new();
                self.notify_call(&call, notice, &mut out);
                out.into()
            }
            Command::View(reply) => {
                let _ = reply.send(self.desk.view(at));
                Vec::new()
            }
            Command::ExpectedWait(reply) => {
                let _ = reply.send(self.desk.expected_wait_for_new());
                Vec::new()
            }
            Command::Sync(reply) => {
                let _ = reply.send(());
                Vec::new()
            }
        }
    }

    fn carry_out(&mut self, outputs: Vec<Output>) {
        let mut pending = std::collections::VecDeque::from(outputs);
        while let Some(output) = pending.pop_front() {
            match output {
                Output::Offer { agent, call, info } => {
                    info!(%agent, %call, lang = %info.lang, "offered");
                    self.notify_call(&call, CallNotice::Offered { agent: agent.clone() }, &mut pending);
                    self.notify_agent(&agent, AgentNotice::Ringing { call, info });
                }
                Output::OfferWithdrawn { agent, call, why } => {
                    info!(%agent, %call, ?why, "offer withdrawn");
                    if why != Withdrawn::CallerHungUp {
                        self.notify_call(&call, CallNotice::OfferWithdrawn, &mut pending);
                    }
                    self.notify_agent(&agent, AgentNotice::Withdrawn { call, why });
                }
                Output::Connect { agent, call, lang } => {
                    info!(%agent, %call, "answered");
                    let connected = CallNotice::Connected {
                        agent: agent.clone(),
                        lang,
                    };
                    self.notify_call(&call, connected, &mut pending);
                    self.notify_agent(&agent, AgentNotice::Connected { call });
                }
                Output::HangUpCall { call } => self.notify_call(&call, CallNotice::HangUp, &mut pending),
                Output::Unbridge { call, agent } => {
                    info!(%agent, %call, "call back to the queue");
                    self.notify_call(&call, CallNotice::Unbridged, &mut pending);
                    self.notify_agent(&agent, AgentNotice::CallEnded { call });
                }
                Output::CallEnded { agent, call } => self.notify_agent(&agent, AgentNotice::CallEnded { call }),
                Output::State { agent, state } => {
                    self.log_state(&agent, &state);
                    self.tell_state(&agent, now());
                }
                Output::Position {
                    call,
                    position,
                    expected_wait,
                } => self.notify_call(
                    &call,
                    CallNotice::Position {
                        position,
                        expected_wait,
                    },
                    &mut pending,
                ),
                Output::Refused { agent, why } => self.notify_agent(&agent, AgentNotice::Refused { why }),
            }
        }
    }

    /// A call whose task is gone (it ended between two inputs) leaves the desk at once.
    fn notify_call(&mut self, call: &str, notice: CallNotice, pending: &mut std::collections::VecDeque<Output>) {
        let gone = match self.calls.get(call) {
            Some(tx) => tx.try_send(notice).is_err() && tx.is_closed(),
            None => false,
        };
        if gone {
            self.calls.remove(call);
            pending.extend(self.desk.handle(Input::CallGone { call: call.to_string() }, now()));
        }
    }

    fn notify_agent(&self, agent: &str, notice: AgentNotice) {
        if let Some(session) = self.sessions.get(agent) {
            let _ = session.notices.try_send(notice);
        }
    }

    fn tell_state(&self, agent: &str, at: Instant) {
        let Some(state) = self.desk.agent_state(agent) else {
            return;
        };
        let wrap_up_left = match state {
            AgentState::WrapUp { until, .. } => Some(until.saturating_duration_since(at).as_secs()),
            _ => None,
        };
        self.notify_agent(
            agent,
            AgentNotice::State {
                state: state.name(),
                reason: state.reason(),
                call: state.call().cloned(),
                wrap_up_left,
            },
        );
    }

    /// Every state change goes to the event log; the journal never drops one.
    fn log_state(&self, agent: &str, state: &AgentState) {
        self.journal.agent_event(AgentEvent {
            agent: agent.to_string(),
            at: timestamp().to_string(),
            state: state.name(),
            reason: state.reason(),
            call: state.call().cloned(),
        });
    }
}
