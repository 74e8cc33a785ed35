//! The desk, sans-IO: the calls waiting for an agent, the agents, and who gets which call.
//! One owner (the ACD task) feeds it what happens and carries out what it answers; time is an
//! argument. Because one owner applies one input at a time, the races of a call center become orders
//! of inputs, each of which this code decides: a call is offered to one agent at a time, an
//! agent holds one call at a time, and a caller who hangs up during an offer withdraws it in the
//! same step. It knows whether each agent's audio connection is up (an input like any other)
//! and refuses an answer without it; it never holds the audio itself.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use super::agent::{AgentEvent, AgentState, CallId, IllegalTransition, NotReadyReason, transition};
use super::route::{Candidate, Decision, Policy, Skill, WaitingCall, route};
use crate::lang::Lang;
use crate::pii::PhoneNumber;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskSettings {
    /// An offer not answered in this long goes back to the queue; the agent becomes not ready.
    pub offer_timeout: Duration,
    /// After-call work ends by itself after this long.
    pub wrap_up: Duration,
    /// An agent whose browser went away becomes not ready after this long (it may come back).
    pub disconnect_grace: Duration,
    pub policy: Policy,
    /// The handling time assumed before any call was handled (for the expected wait).
    pub initial_handle_time: Duration,
}

/// What the agent sees of a call when it rings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallInfo {
    pub caller: PhoneNumber,
    pub lang: Lang,
    pub queue: String,
    /// The IVR steps the caller went through, e.g. `language=vi → in hours → queue general`.
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A call enters the queue; `at_head` for a call coming back (its agent was lost, or it was
    /// transferred), which has waited already.
    CallQueued {
        call: CallId,
        info: CallInfo,
        at_head: bool,
    },
    /// The call left: the caller hung up, gave up waiting, or the call ended.
    CallGone {
        call: CallId,
    },
    AgentLogIn {
        agent: String,
        skills: Vec<Skill>,
    },
    AgentReady {
        agent: String,
    },
    AgentNotReady {
        agent: String,
        reason: NotReadyReason,
    },
    AgentAnswer {
        agent: String,
    },
    /// The agent's audio connection came up or went down. Down while on a call: the caller
    /// cannot hear the agent, so the call goes back to the head of the queue.
    AgentAudio {
        agent: String,
        up: bool,
    },
    AgentHangUp {
        agent: String,
    },
    /// Blind transfer of the agent's call: to another agent who is ready, or back to the queue
    /// for callers of a language.
    AgentTransfer {
        agent: String,
        to: TransferTarget,
    },
    WrapUpDone {
        agent: String,
    },
    ExtendWrapUp {
        agent: String,
        by: Duration,
    },
    /// The agent's browser went away (WebSocket closed, audio connection failed).
    AgentGone {
        agent: String,
    },
    /// It came back within the grace period.
    AgentBack {
        agent: String,
    },
    AgentLogOut {
        agent: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferTarget {
    Agent(String),
    Language(Lang),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Ring the agent with this call; tell the call it is being offered.
    Offer {
        agent: String,
        call: CallId,
        info: CallInfo,
    },
    /// The offer ended without an answer.
    OfferWithdrawn {
        agent: String,
        call: CallId,
        why: Withdrawn,
    },
    /// The agent answered: bridge the call to the agent's audio. `lang` is the language of the
    /// queue it was answered from (after a transfer to a language, that one).
    Connect {
        agent: String,
        call: CallId,
        lang: Option<Lang>,
    },
    /// The agent hung up: end the caller's leg.
    HangUpCall { call: CallId },
    /// The call no longer has an agent (its agent vanished, or transferred it): it waits again,
    /// hearing the hold audio and messages, and is routed again from the head of the queue.
    Unbridge { call: CallId, agent: String },
    /// The caller's side ended while the agent was on it.
    CallEnded { agent: String, call: CallId },
    /// An agent's state changed (the event log is made of these).
    State { agent: String, state: AgentState },
    /// The queue position of a waiting call changed, with the expected wait.
    Position {
        call: CallId,
        position: u32,
        expected_wait: Duration,
    },
    /// The agent asked for something that does not fit (an answer with nothing ringing...).
    Refused { agent: String, why: String },
}

/// Why a ring ended without an answer (the softphone's wire spells it in snake case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Withdrawn {
    #[serde(rename = "caller_hung_up")]
    CallerHungUp,
    #[serde(rename = "not_answered")]
    TimedOut,
    #[serde(rename = "agent_gone")]
    AgentGone,
    /// The agent set itself not ready while it rang.
    #[serde(rename = "declined")]
    Declined,
}

#[derive(Debug)]
struct Waiting {
    call: CallId,
    info: CallInfo,
    since: Instant,
    offered_to: Option<String>,
    /// Only this agent may take it (a transfer to a named agent).
    only_for: Option<String>,
    last_position: Option<u32>,
}

impl Waiting {
    fn new(call: CallId, info: CallInfo, since: Instant, only_for: Option<String>) -> Waiting {
        Waiting {
            call,
            info,
            since,
            offered_to: None,
            only_for,
            last_position: None,
        }
    }
}

#[derive(Debug)]
struct Agent {
    skills: Vec<Skill>,
    state: AgentState,
    gone_since: Option<Instant>,
    audio_up: bool,
}

/// A snapshot of the desk, for the supervisors' live floor and `/metrics`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskView {
    pub waiting: Vec<WaitingView>,
    pub agents: Vec<AgentView>,
    /// The average handling time (talk + wrap-up) of the recent calls, as the queue's
    /// expected wait uses it.
    pub average_handle_time: Duration,
}

/// A call waiting for an agent (ringing ones included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitingView {
    pub call: CallId,
    pub lang: Lang,
    pub waited: Duration,
}

/// An agent on the desk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentView {
    pub name: String,
    pub state: AgentState,
    /// The agent's page is there (not gone within its grace period).
    pub connected: bool,
}

pub struct Desk {
    settings: DeskSettings,
    queue: VecDeque<Waiting>,
    agents: BTreeMap<String, Agent>,
    /// Recent handling times (answer to the end of wrap-up), newest last.
    handle_times: VecDeque<Duration>,
    /// What each call in the queue or with an agent is (for transfers and returns).
    infos: HashMap<CallId, CallInfo>,
}

const HANDLE_TIMES_KEPT: usize = 50;

impl Desk {
    pub fn new(settings: DeskSettings) -> Desk {
        Desk {
            settings,
            queue: VecDeque::new(),
            agents: BTreeMap::new(),
            handle_times: VecDeque::new(),
            infos: HashMap::new(),
        }
    }

    pub fn agent_state(&self, agent: &str) -> Option<&AgentState> {
        self.agents.get(agent).map(|a| &a.state)
    }

    pub fn view(&self, now: Instant) -> DeskView {
        DeskView {
            waiting: self
                .queue
                .iter()
                .map(|w| WaitingView {
                    call: w.call.clone(),
                    lang: w.info.lang,
                    waited: now.saturating_duration_since(w.since),
                })
                .collect(),
            agents: self
                .agents
                .iter()
                .map(|(name, a)| AgentView {
                    name: name.clone(),
                    state: a.state.clone(),
                    connected: a.gone_since.is_none(),
                })
                .collect(),
            average_handle_time: self.average_handle_time(),
        }
    }

    /// When [`Desk::tick`] has something to do next.
    pub fn next_deadline(&self) -> Option<Instant> {
        let widening = self.queue.iter().flat_map(|w| {
            let p = &self.settings.policy;
            [w.since + p.widen_to_basic_after, w.since + p.widen_to_any_after]
        });
        let agents = self.agents.values().flat_map(|a| {
            let state = match &a.state {
                AgentState::Offered { since, .. } => Some(*since + self.settings.offer_timeout),
                AgentState::WrapUp { until, .. } => Some(*until),
                _ => None,
            };
            let gone = a.gone_since.map(|g| g + self.settings.disconnect_grace);
            state.into_iter().chain(gone)
        });
        widening.chain(agents).min()
    }

    pub fn handle(&mut self, input: Input, now: Instant) -> Vec<Output> {
        let mut out = Vec::new();
        self.apply(input, now, &mut out);
        self.tick_into(now, &mut out);
        out
    }

    /// Timeouts (offers, wrap-up, vanished browsers) and routing at `now`.
    pub fn tick(&mut self, now: Instant) -> Vec<Output> {
        let mut out = Vec::new();
        self.tick_into(now, &mut out);
        out
    }

    fn apply(&mut self, input: Input, now: Instant, out: &mut Vec<Output>) {
        match input {
            Input::CallQueued { call, info, at_head } => {
                if self.queue.iter().any(|w| w.call == call) {
                    return;
                }
                self.infos.insert(call.clone(), info.clone());
                let waiting = Waiting::new(call, info, now, None);
                if at_head {
                    self.queue.push_front(waiting);
                } else {
                    self.queue.push_back(waiting);
                }
            }
            Input::CallGone { call } => self.call_gone(&call, now, out),
            Input::AgentLogIn { agent, skills } => match self.agents.get_mut(&agent) {
                // A second tab or a reconnect: the skills may have changed, the state stays.
                Some(known) if known.state != AgentState::LoggedOut => {
                    known.skills = skills;
                    known.gone_since = None;
                }
                _ => {
                    let entry = self.agents.entry(agent.clone()).or_insert(Agent {
                        skills: Vec::new(),
                        state: AgentState::LoggedOut,
                        gone_since: None,
                        audio_up: false,
                    });
                    entry.skills = skills;
                    entry.gone_since = None;
                    self.agent_event(&agent, AgentEvent::LogIn, now, out);
                }
            },
            Input::AgentReady { agent } => {
                self.agent_event(&agent, AgentEvent::SetReady, now, out);
            }
            Input::AgentNotReady { agent, reason } => {
                // Not ready while it rings declines the call: it goes to someone else.
                if let Some(AgentState::Offered { call, .. }) = self.agent_state(&agent).cloned() {
                    out.push(Output::OfferWithdrawn {
                        agent: agent.clone(),
                        call: call.clone(),
                        why: Withdrawn::Declined,
                    });
                    self.release_offer(&call);
                }
                self.agent_event(&agent, AgentEvent::SetNotReady(reason), now, out);
            }
            Input::AgentAnswer { agent } => {
                let Some(AgentState::Offered { call, .. }) = self.agent_state(&agent).cloned() else {
                    return refuse(out, &agent, "no call is ringing");
                };
                if !self.agents.get(&agent).is_some_and(|a| a.audio_up) {
                    return refuse(out, &agent, "the audio connection is not up");
                }
                if self.agent_event(&agent, AgentEvent::Answer, now, out) {
                    let lang = self.queue.iter().find(|w| w.call == call).map(|w| w.info.lang);
                    self.queue.retain(|w| w.call != call);
                    out.push(Output::Connect { agent, call, lang });
                }
            }
            Input::AgentAudio { agent, up } => {
                let Some(a) = self.agents.get_mut(&agent) else {
                    return;
                };
                a.audio_up = up;
                if let (false, AgentState::OnCall { call, .. }) = (up, a.state.clone()) {
                    self.lose_call(&agent, call, now, out);
                }
            }
            Input::AgentHangUp { agent } => {
                let Some(AgentState::OnCall { call, .. }) = self.agent_state(&agent).cloned() else {
                    return refuse(out, &agent, "not on a call");
                };
                out.push(Output::HangUpCall { call });
                self.end_talk(&agent, now, out);
            }
            Input::AgentTransfer { agent, to } => self.transfer(agent, to, now, out),
            Input::WrapUpDone { agent } => {
                if let Some(AgentState::WrapUp { since, .. }) = self.agent_state(&agent).cloned() {
                    self.note_handle_time(now.saturating_duration_since(since));
                }
                self.agent_event(&agent, AgentEvent::WrapUpDone, now, out);
            }
            Input::ExtendWrapUp { agent, by } => {
                self.agent_event(&agent, AgentEvent::ExtendWrapUp(by), now, out);
            }
            Input::AgentGone { agent } => self.agent_gone(&agent, now, out),
            Input::AgentBack { agent } => {
                if let Some(a) = self.agents.get_mut(&agent) {
                    a.gone_since = None;
                }
            }
            Input::AgentLogOut { agent } => {
                self.agent_event(&agent, AgentEvent::LogOut, now, out);
            }
        }
    }

    /// Applies an agent event; an event that does not fit is refused, never forced.
    fn agent_event(&mut self, agent: &str, event: AgentEvent, now: Instant, out: &mut Vec<Output>) -> bool {
        let Some(a) = self.agents.get_mut(agent) else {
            refuse(out, agent, "not logged in");
            return false;
        };
        match transition(&a.state, event, now, self.settings.wrap_up) {
            Ok(next) => {
                if next != a.state {
                    a.state = next.clone();
                    out.push(Output::State {
                        agent: agent.to_string(),
                        state: next,
                    });
                }
                true
            }
            Err(IllegalTransition { state, event }) => {
                refuse(out, agent, &format!("{event:?} does not fit {}", state.name()));
                false
            }
        }
    }

    fn call_gone(&mut self, call: &str, now: Instant, out: &mut Vec<Output>) {
        self.infos.remove(call);
        if let Some(i) = self.queue.iter().position(|w| w.call == call) {
            if let Some(waiting) = self.queue.remove(i) {
                if let Some(agent) = waiting.offered_to {
                    out.push(Output::OfferWithdrawn {
                        agent: agent.clone(),
                        call: call.to_string(),
                        why: Withdrawn::CallerHungUp,
                    });
                    self.agent_event(&agent, AgentEvent::CallEnded, now, out);
                }
            }
            return;
        }
        let on_it = self
            .agents
            .iter()
            .find(|(_, a)| matches!(&a.state, AgentState::OnCall { call: c, .. } if c == call))
            .map(|(name, _)| name.clone());
        if let Some(agent) = on_it {
            out.push(Output::CallEnded {
                agent: agent.clone(),
                call: call.to_string(),
            });
            self.end_talk(&agent, now, out);
        }
    }

    fn agent_gone(&mut self, agent: &str, now: Instant, out: &mut Vec<Output>) {
        let Some(a) = self.agents.get_mut(agent) else {
            return;
        };
        if a.gone_since.is_none() {
            a.gone_since = Some(now);
        }
        match a.state.clone() {
            AgentState::OnCall { call, .. } => self.lose_call(agent, call, now, out),
            AgentState::Offered { call, .. } => {
                out.push(Output::OfferWithdrawn {
                    agent: agent.to_string(),
                    call: call.clone(),
                    why: Withdrawn::AgentGone,
                });
                self.release_offer(&call);
                self.agent_event(agent, AgentEvent::SetNotReady(NotReadyReason::Disconnected), now, out);
            }
            _ => {}
        }
    }

    /// The agent can no longer be heard (browser or audio gone): the caller must not be left
    /// talking to nobody, so the call goes back to the head of the queue, hearing the hold
    /// audio, at once (not after the grace period); the agent becomes not ready.
    fn lose_call(&mut self, agent: &str, call: CallId, now: Instant, out: &mut Vec<Output>) {
        let Some(a) = self.agents.get_mut(agent) else {
            return;
        };
        a.state = AgentState::NotReady {
            reason: NotReadyReason::Disconnected,
            since: now,
        };
        out.push(Output::State {
            agent: agent.to_string(),
            state: a.state.clone(),
        });
        out.push(Output::Unbridge {
            call: call.clone(),
            agent: agent.to_string(),
        });
        self.requeue_at_head(call, now);
    }

    fn transfer(&mut self, agent: String, to: TransferTarget, now: Instant, out: &mut Vec<Output>) {
        let Some(AgentState::OnCall { call, .. }) = self.agent_state(&agent).cloned() else {
            return refuse(out, &agent, "not on a call");
        };
        let Some(info) = self.last_info(&call) else {
            return refuse(out, &agent, "the call's details are gone");
        };
        let (lang, only_for) = match to {
            TransferTarget::Agent(target) => {
                if target == agent {
                    return refuse(out, &agent, "cannot transfer to yourself");
                }
                let ready = matches!(self.agent_state(&target), Some(AgentState::Ready { .. }))
                    && self.agents.get(&target).is_some_and(|a| a.gone_since.is_none());
                if !ready {
                    return refuse(out, &agent, &format!("{target} is not ready"));
                }
                (info.lang, Some(target))
            }
            TransferTarget::Language(lang) => (lang, None),
        };
        out.push(Output::Unbridge {
            call: call.clone(),
            agent: agent.clone(),
        });
        self.end_talk(&agent, now, out);
        self.queue
            .push_front(Waiting::new(call, CallInfo { lang, ..info }, now, only_for));
    }

    fn requeue_at_head(&mut self, call: CallId, now: Instant) {
        if let Some(info) = self.last_info(&call) {
            self.queue.push_front(Waiting::new(call, info, now, None));
        }
    }

    fn tick_into(&mut self, now: Instant, out: &mut Vec<Output>) {
        let names: Vec<String> = self.agents.keys().cloned().collect();
        for name in names {
            let Some(a) = self.agents.get(&name) else { continue };
            let state = a.state.clone();
            let gone_for = a.gone_since.map(|g| now.saturating_duration_since(g));
            match state {
                AgentState::Offered { call, since }
                    if now.saturating_duration_since(since) >= self.settings.offer_timeout =>
                {
                    out.push(Output::OfferWithdrawn {
                        agent: name.clone(),
                        call: call.clone(),
                        why: Withdrawn::TimedOut,
                    });
                    self.release_offer(&call);
                    self.agent_event(&name, AgentEvent::OfferTimedOut, now, out);
                }
                AgentState::WrapUp { since, until, .. } if now >= until => {
                    self.note_handle_time(now.saturating_duration_since(since));
                    self.agent_event(&name, AgentEvent::WrapUpDone, now, out);
                }
                AgentState::Ready { .. } if gone_for.is_some_and(|g| g >= self.settings.disconnect_grace) => {
                    self.agent_event(&name, AgentEvent::SetNotReady(NotReadyReason::Disconnected), now, out);
                }
                _ => {}
            }
        }
        self.route_waiting(now, out);
        self.report_positions(out);
    }

    fn release_offer(&mut self, call: &str) {
        if let Some(w) = self.queue.iter_mut().find(|w| w.call == call) {
            w.offered_to = None;
            w.only_for = None;
        }
    }

    fn route_waiting(&mut self, now: Instant, out: &mut Vec<Output>) {
        for i in 0..self.queue.len() {
            if self.queue[i].offered_to.is_some() {
                continue;
            }
            let decision = {
                let w = &self.queue[i];
                let candidates: Vec<Candidate<'_>> = self
                    .agents
                    .iter()
                    .filter(|(name, a)| a.gone_since.is_none() && w.only_for.as_ref().is_none_or(|o| o == *name))
                    .map(|(name, a)| Candidate {
                        id: name,
                        state: &a.state,
                        skills: &a.skills,
                    })
                    .collect();
                let waiting = WaitingCall {
                    lang: w.info.lang,
                    since: w.since,
                };
                // A transfer to a named agent does not wait for widening.
                let policy = match w.only_for {
                    Some(_) => Policy {
                        widen_to_basic_after: Duration::ZERO,
                        widen_to_any_after: Duration::ZERO,
                    },
                    None => self.settings.policy,
                };
                route(&candidates, &waiting, now, &policy)
            };
            if let Decision::Offer { agent } = decision {
                let call = self.queue[i].call.clone();
                if self.agent_event(&agent, AgentEvent::Offer(call.clone()), now, out) {
                    self.queue[i].offered_to = Some(agent.clone());
                    out.push(Output::Offer {
                        agent,
                        call,
                        info: self.queue[i].info.clone(),
                    });
                }
            }
        }
    }

    fn report_positions(&mut self, out: &mut Vec<Output>) {
        let staffed = self.staffed();
        let handle = self.average_handle_time();
        let mut position = 0u32;
        for w in self.queue.iter_mut() {
            if w.offered_to.is_some() {
                continue;
            }
            position += 1;
            if w.last_position != Some(position) {
                w.last_position = Some(position);
                out.push(Output::Position {
                    call: w.call.clone(),
                    position,
                    // Erlang-free estimate: the callers ahead (and this one) share the staffed
                    // agents, each taking an average handling time.
                    expected_wait: handle * position / staffed,
                });
            }
        }
    }

    /// The agent's call ended (either side, or a transfer): its talk time counts towards the
    /// average handling time, and it goes into wrap-up.
    fn end_talk(&mut self, agent: &str, now: Instant, out: &mut Vec<Output>) {
        if let Some(AgentState::OnCall { since, .. }) = self.agent_state(agent) {
            let talk = now.saturating_duration_since(*since);
            self.handle_times.push_back(talk);
            while self.handle_times.len() > HANDLE_TIMES_KEPT {
                self.handle_times.pop_front();
            }
        }
        self.agent_event(agent, AgentEvent::CallEnded, now, out);
    }

    /// The expected wait of a caller joining the queue now (the estimate of
    /// [`Output::Position`] for the place after the last waiting call).
    pub fn expected_wait_for_new(&self) -> Duration {
        let position = self.queue.iter().filter(|w| w.offered_to.is_none()).count() as u32 + 1;
        self.average_handle_time() * position / self.staffed()
    }

    /// Agents on duty (not logged out, not on a break), at least one.
    fn staffed(&self) -> u32 {
        self.agents
            .values()
            .filter(|a| !matches!(a.state, AgentState::LoggedOut | AgentState::NotReady { .. }))
            .count()
            .max(1) as u32
    }

    pub fn average_handle_time(&self) -> Duration {
        if self.handle_times.is_empty() {
            return self.settings.initial_handle_time;
        }
        self.handle_times.iter().sum::<Duration>() / self.handle_times.len() as u32
    }

    /// Adds the after-call work to the handling time of the call it followed.
    fn note_handle_time(&mut self, wrap: Duration) {
        if let Some(last) = self.handle_times.back_mut() {
            *last += wrap;
        }
    }

    /// The information of a call that is or was in the queue (kept for transfers and returns).
    fn last_info(&self, call: &str) -> Option<CallInfo> {
        self.infos.get(call).cloned()
    }
}

fn refuse(out: &mut Vec<Output>, agent: &str, why: &str) {
    out.push(Output::Refused {
        agent: agent.to_string(),
        why: why.to_string(),
    });
}
