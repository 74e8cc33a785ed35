//! The IVR runner: walks a caller through a [`Flow`], sans-IO. Events in (the call answered and
//! started, a prompt finished, a digit, a timer, the capacity answer, the caller hung up or
//! went silent), commands out (play, stop, enqueue, hang up, record a step). It never reads a
//! clock: each event carries `now`, and the call task re-arms one timer from
//! [`Runner::poll_timeout`].
//!
//! The runner is made when the call arrives, with the calendars as they are then, so a
//! calendar replaced while the caller listens cannot change what the caller is told. It alone
//! decides where a caller who hung up was (ringing, in the IVR, in the queue).

use std::sync::Arc;
use std::time::Instant;

use jiff::civil::DateTime;

use super::flow::{Flow, Menu, Node, NodeId, PromptRef};
use crate::calendar::rules::ClosureCategory;
use crate::calendar::time_of_day::TimeOfDay;
use crate::calendar::{Calendars, ClosedReason, OpenState};
use crate::catalogue::compose;
use crate::journal::{AbandonPlace, Step};
use crate::lang::Lang;
use crate::media::dtmf::Digit;

/// How many nodes one event may pass through before the runner gives up (a guard against a
/// flow bug; validation already refuses loops of goto nodes).
const MAX_STEPS_PER_EVENT: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IvrEvent {
    /// Our 200 OK went out (the caller stopped hearing it ring).
    Answered,
    /// The caller acknowledged the answer: the flow starts. `local` is the Tokyo local time
    /// at `now`.
    Started {
        now: Instant,
        local: DateTime,
    },
    PromptFinished {
        now: Instant,
    },
    Dtmf {
        digit: Digit,
        now: Instant,
    },
    /// The timer from `poll_timeout` fired.
    Timer {
        now: Instant,
    },
    /// The answer to [`IvrCommand::QueryCapacity`].
    Capacity {
        available: bool,
        now: Instant,
    },
    CallerHungUp {
        now: Instant,
    },
    /// No RTP from the caller for the media timeout (and not on hold): the caller is gone.
    MediaLost {
        now: Instant,
    },
    /// An agent answered the waiting call: the IVR steps aside.
    AgentConnected {
        now: Instant,
    },
    /// The agent is gone (vanished or transferred the call): the caller waits again, first
    /// hearing why ("please hold"), then the hold audio.
    AgentLost {
        now: Instant,
    },
    /// The agent put the caller on hold (`on`) or took them back.
    Hold {
        on: bool,
    },
    /// The waiting call's place in the queue and the expected wait, for the periodic message.
    QueueStatus {
        position: u32,
        expected_wait: std::time::Duration,
    },
}

/// A prompt resolved to a language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptPlay {
    pub id: String,
    pub lang: Lang,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IvrCommand {
    /// Play these prompts in order, replacing whatever plays. `barge_in`: a digit stops them.
    /// `looped`: start again at the end until told otherwise (hold audio).
    Play {
        prompts: Vec<PromptPlay>,
        barge_in: bool,
        looped: bool,
    },
    StopPlayback,
    /// Ask whether a line and a queue place are free; answer with [`IvrEvent::Capacity`].
    QueryCapacity,
    Enqueue {
        queue: String,
        lang: Lang,
    },
    LeaveQueue,
    Transfer {
        uri: String,
    },
    Hangup {
        cause: HangupCause,
    },
    /// A step for the call record.
    Record(Step),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HangupCause {
    /// The flow ended normally (after a closed or busy message, or a menu given up).
    FlowEnded,
    /// The flow could not go on (a loop with no exit at run time).
    FlowError,
    /// The caller's media stopped.
    MediaLost,
}

#[derive(Debug, Clone, PartialEq)]
enum Waiting {
    /// Nothing (before start, or finished).
    Nothing,
    /// A play node's prompts are playing.
    Playing {
        node: NodeId,
    },
    /// A menu's prompts are playing (a digit interrupts them).
    MenuPrompt {
        node: NodeId,
    },
    /// A menu waits for a digit until `deadline`.
    MenuInput {
        node: NodeId,
        deadline: Instant,
    },
    Capacity {
        node: NodeId,
    },
    Queued {
        node: NodeId,
        leave_at: Instant,
        next_periodic: Option<Instant>,
        in_periodic: bool,
    },
    /// Talking to an agent; the queue node it came from.
    Bridged {
        node: NodeId,
    },
    Finished,
}

pub struct Runner {
    flow: Arc<Flow>,
    calendars: Calendars,
    lang: Lang,
    /// Our 200 OK went out.
    answered: bool,
    started: Option<(Instant, DateTime)>,
    waiting: Waiting,
    menu_attempts: u8,
    /// Why it was closed, when it opens next, and the local time it was checked at.
    closed: Option<(ClosedReason, Option<DateTime>, Option<DateTime>)>,
    /// When the next opening's interval ends ("we take calls until 19:00").
    next_close: Option<DateTime>,
    /// The latest queue position and expected wait from the ACD.
    queue_status: Option<(u32, std::time::Duration)>,
}

impl Runner {
    pub fn new(flow: Arc<Flow>, calendars: Calendars, default_lang: Lang) -> Runner {
        Runner {
            flow,
            calendars,
            lang: default_lang,
            answered: false,
            started: None,
            waiting: Waiting::Nothing,
            menu_attempts: 0,
            closed: None,
            next_close: None,
            queue_status: None,
        }
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    pub fn is_finished(&self) -> bool {
        self.waiting == Waiting::Finished
    }

    pub fn is_queued(&self) -> bool {
        matches!(self.waiting, Waiting::Queued { .. })
    }

    pub fn is_bridged(&self) -> bool {
        matches!(self.waiting, Waiting::Bridged { .. })
    }

    /// When the runner wants an [`IvrEvent::Timer`].
    pub fn poll_timeout(&self) -> Option<Instant> {
        match &self.waiting {
            Waiting::MenuInput { deadline, .. } => Some(*deadline),
            Waiting::Queued {
                leave_at,
                next_periodic,
                ..
            } => Some(next_periodic.map_or(*leave_at, |p| p.min(*leave_at))),
            _ => None,
        }
    }

    /// Handles one event. Never panics; events that do not fit the state are ignored.
    pub fn handle(&mut self, event: IvrEvent) -> Vec<IvrCommand> {
        let mut out = Vec::new();
        if self.is_finished() {
            return out;
        }
        match event {
            IvrEvent::Answered => self.answered = true,
            IvrEvent::Started { now, local } => {
                if self.started.is_none() {
                    self.started = Some((now, local));
                    self.enter(self.flow.start, now, &mut out);
                }
            }
            IvrEvent::PromptFinished { now } => self.prompt_finished(now, &mut out),
            IvrEvent::Dtmf { digit, now } => self.dtmf(digit, now, &mut out),
            IvrEvent::Timer { now } => self.timer(now, &mut out),
            IvrEvent::Capacity { available, now } => {
                if let Waiting::Capacity { node } = self.waiting {
                    if let Node::CheckCapacity { available: ok, busy } = self.flow.nodes[node] {
                        if !available {
                            out.push(IvrCommand::Record(Step::Busy));
                        }
                        self.enter(if available { ok } else { busy }, now, &mut out);
                    }
                }
            }
            IvrEvent::AgentConnected { .. } => {
                if let Waiting::Queued { node, .. } = self.waiting {
                    out.push(IvrCommand::StopPlayback);
                    self.waiting = Waiting::Bridged { node };
                }
            }
            IvrEvent::AgentLost { now } => {
                if let Waiting::Bridged { node } = self.waiting {
                    if let Node::Enqueue(enqueue) = &self.flow.nodes[node] {
                        let mut prompts = Vec::new();
                        if let Some(periodic) = &enqueue.periodic_prompt {
                            prompts = self.resolve(std::slice::from_ref(periodic));
                        }
                        let in_periodic = !prompts.is_empty();
                        if in_periodic {
                            out.push(IvrCommand::Play {
                                prompts,
                                barge_in: false,
                                looped: false,
                            });
                        } else {
                            out.push(self.hold_audio(enqueue));
                        }
                        self.waiting = Waiting::Queued {
                            node,
                            leave_at: now + enqueue.max_wait,
                            next_periodic: enqueue.periodic_prompt.as_ref().map(|_| now + enqueue.periodic),
                            in_periodic,
                        };
                    }
                }
            }
            IvrEvent::Hold { on } => {
                if let Waiting::Bridged { node } = self.waiting {
                    if let (true, Node::Enqueue(enqueue)) = (on, &self.flow.nodes[node]) {
                        out.push(self.hold_audio(enqueue));
                    } else {
                        out.push(IvrCommand::StopPlayback);
                    }
                }
            }
            IvrEvent::QueueStatus {
                position,
                expected_wait,
            } => self.queue_status = Some((position, expected_wait)),
            IvrEvent::CallerHungUp { .. } if self.is_bridged() => {
                // Talking to an agent: a normal end, not an abandon.
                self.waiting = Waiting::Finished;
            }
            IvrEvent::CallerHungUp { .. } => self.abandon(&mut out),
            IvrEvent::MediaLost { .. } => {
                if !self.is_bridged() {
                    self.abandon(&mut out);
                }
                out.push(IvrCommand::Hangup {
                    cause: HangupCause::MediaLost,
                });
                self.waiting = Waiting::Finished;
            }
        }
        out
    }

    /// The caller is gone before an agent answered: where they were is the abandon's place.
    fn abandon(&mut self, out: &mut Vec<IvrCommand>) {
        let place = if self.is_queued() {
            out.push(IvrCommand::LeaveQueue);
            AbandonPlace::Queue
        } else if self.answered || self.started.is_some() {
            AbandonPlace::Ivr
        } else {
            AbandonPlace::Ringing
        };
        out.push(IvrCommand::Record(Step::Abandoned { place }));
        self.waiting = Waiting::Finished;
    }

    fn local_time(&self, now: Instant) -> Option<DateTime> {
        let (t0, local0) = self.started?;
        let elapsed = now.saturating_duration_since(t0);
        local0.checked_add(jiff::SignedDuration::try_from(elapsed).ok()?).ok()
    }

    /// "You are number N in line. The expected waiting time is about M minutes." from the
    /// ACD's latest numbers, in the caller's language; nothing when none came yet.
    fn queue_status_prompts(&self) -> Vec<PromptPlay> {
        let Some((position, wait)) = self.queue_status else {
            return Vec::new();
        };
        let minutes = u32::try_from(wait.as_secs().div_ceil(60)).unwrap_or(u32::MAX);
        let composed = [
            compose::position(self.lang, position),
            compose::expected_wait(self.lang, minutes.min(compose::MAX_COUNT)),
        ];
        composed
            .into_iter()
            .flatten()
            .flat_map(|c| {
                let lang = c.audio_lang;
                c.fragments.into_iter().map(move |id| PromptPlay { id, lang })
            })
            .collect()
    }

    /// The queue's hold audio, looped.
    fn hold_audio(&self, enqueue: &super::flow::Enqueue) -> IvrCommand {
        IvrCommand::Play {
            prompts: self.resolve(std::slice::from_ref(&enqueue.hold_prompt)),
            barge_in: false,
            looped: true,
        }
    }

    fn resolve(&self, prompts: &[PromptRef]) -> Vec<PromptPlay> {
        prompts
            .iter()
            .map(|p| PromptPlay {
                id: p.id.clone(),
                lang: p.lang.unwrap_or(self.lang),
            })
            .collect()
    }

    /// Enters `node` and follows the nodes that need no waiting.
    fn enter(&mut self, node: NodeId, now: Instant, out: &mut Vec<IvrCommand>) {
        let flow = Arc::clone(&self.flow);
        let mut at = node;
        for _ in 0..MAX_STEPS_PER_EVENT {
            match &flow.nodes[at] {
                Node::Play { prompts, barge_in, .. } => {
                    out.push(IvrCommand::Play {
                        prompts: self.resolve(prompts),
                        barge_in: *barge_in,
                        looped: false,
                    });
                    self.waiting = Waiting::Playing { node: at };
                    return;
                }
                Node::Menu(menu) => {
                    self.menu_attempts = 0;
                    self.play_menu(at, menu, None, out);
                    return;
                }
                Node::SetLanguage { lang, next } => {
                    self.lang = *lang;
                    out.push(IvrCommand::Record(Step::Language(*lang)));
                    at = *next;
                }
                Node::CheckHours { calendar, open, closed } => {
                    let state = match (self.calendars.get(calendar), self.local_time(now)) {
                        (Some(cal), Some(local)) => cal.status(local),
                        // A calendar that vanished at run time, or no start time: say closed
                        // rather than queue callers nobody will answer.
                        _ => OpenState::Closed {
                            reason: ClosedReason::NoHoursDefined,
                            next_opening: None,
                        },
                    };
                    match state {
                        OpenState::Open { .. } => {
                            out.push(IvrCommand::Record(Step::InHours));
                            at = *open;
                        }
                        OpenState::Closed { reason, next_opening } => {
                            out.push(IvrCommand::Record(Step::Closed {
                                reason: reason.describe(),
                                next_opening,
                            }));
                            self.next_close = next_opening.and_then(|next| {
                                let cal = self.calendars.get(calendar)?;
                                let interval = cal.day(next.date()).open.containing(TimeOfDay::of(next.time()))?;
                                let end = interval.end;
                                let time = jiff::civil::Time::new(end.hour() as i8, end.minute() as i8, 0, 0).ok();
                                Some(time.map_or(
                                    next.date().tomorrow().ok()?.to_datetime(jiff::civil::Time::midnight()),
                                    |t| next.date().to_datetime(t),
                                ))
                            });
                            self.closed = Some((reason, next_opening, self.local_time(now)));
                            at = *closed;
                        }
                    }
                }
                Node::ClosedMessage { reasons, then, .. } => {
                    let reason_prompt = match self.closed.as_ref().map(|c| &c.0) {
                        Some(ClosedReason::NationalHoliday(_)) => &reasons.holiday,
                        Some(ClosedReason::RecurringClosure {
                            category: ClosureCategory::YearEnd,
                            ..
                        }) => &reasons.year_end,
                        Some(ClosedReason::TemporaryClosure { .. } | ClosedReason::RecurringClosure { .. }) => {
                            &reasons.temporary
                        }
                        _ => &reasons.outside_hours,
                    };
                    let mut prompts = vec![reason_prompt.clone()];
                    // "Today is Labour Thanksgiving Day."
                    if let Some((ClosedReason::NationalHoliday(holiday), _, _)) = &self.closed {
                        if let Some(composed) = compose::holiday_today(self.lang, holiday.name) {
                            let lang = Some(composed.audio_lang);
                            prompts.extend(composed.fragments.into_iter().map(|id| PromptRef { id, lang }));
                        }
                    }
                    // "We open again tomorrow at 9:00", composed in the caller's language.
                    if let Some((_, Some(next), Some(checked_at))) = &self.closed {
                        if let Some(composed) = compose::next_opening(self.lang, *checked_at, *next) {
                            let lang = Some(composed.audio_lang);
                            prompts.extend(composed.fragments.into_iter().map(|id| PromptRef { id, lang }));
                            // "We take calls until 19:00": the hours, from the calendar.
                            if let Some(until) = self.next_close.and_then(|end| compose::open_until(self.lang, end)) {
                                let lang = Some(until.audio_lang);
                                prompts.extend(until.fragments.into_iter().map(|id| PromptRef { id, lang }));
                            }
                        }
                    }
                    prompts.extend(then.iter().cloned());
                    out.push(IvrCommand::Play {
                        prompts: self.resolve(&prompts),
                        barge_in: false,
                        looped: false,
                    });
                    self.waiting = Waiting::Playing { node: at };
                    return;
                }
                Node::CheckCapacity { .. } => {
                    out.push(IvrCommand::QueryCapacity);
                    self.waiting = Waiting::Capacity { node: at };
                    return;
                }
                Node::Enqueue(enqueue) => {
                    out.push(IvrCommand::Enqueue {
                        queue: enqueue.queue.clone(),
                        lang: self.lang,
                    });
                    out.push(IvrCommand::Record(Step::Enqueued {
                        queue: enqueue.queue.clone(),
                    }));
                    out.push(self.hold_audio(enqueue));
                    let next_periodic = enqueue.periodic_prompt.as_ref().map(|_| now + enqueue.periodic);
                    self.waiting = Waiting::Queued {
                        node: at,
                        leave_at: now + enqueue.max_wait,
                        next_periodic,
                        in_periodic: false,
                    };
                    return;
                }
                Node::Transfer { uri } => {
                    out.push(IvrCommand::Record(Step::Transferred { uri: uri.clone() }));
                    out.push(IvrCommand::Transfer { uri: uri.clone() });
                    self.waiting = Waiting::Finished;
                    return;
                }
                Node::Hangup => {
                    out.push(IvrCommand::Hangup {
                        cause: HangupCause::FlowEnded,
                    });
                    self.waiting = Waiting::Finished;
                    return;
                }
                Node::Goto { target } => at = *target,
            }
        }
        out.push(IvrCommand::Hangup {
            cause: HangupCause::FlowError,
        });
        self.waiting = Waiting::Finished;
    }

    fn play_menu(&mut self, node: NodeId, menu: &Menu, before: Option<&PromptRef>, out: &mut Vec<IvrCommand>) {
        let mut prompts: Vec<PromptRef> = before.into_iter().cloned().collect();
        prompts.extend(menu.prompts.iter().cloned());
        out.push(IvrCommand::Play {
            prompts: self.resolve(&prompts),
            barge_in: true,
            looped: false,
        });
        self.waiting = Waiting::MenuPrompt { node };
    }

    fn next_of(&self, node: NodeId) -> Option<NodeId> {
        match &self.flow.nodes[node] {
            Node::Play { next, .. } | Node::ClosedMessage { next, .. } => Some(*next),
            _ => None,
        }
    }

    fn prompt_finished(&mut self, now: Instant, out: &mut Vec<IvrCommand>) {
        match self.waiting.clone() {
            Waiting::Playing { node } => {
                if let Some(next) = self.next_of(node) {
                    self.enter(next, now, out);
                }
            }
            Waiting::MenuPrompt { node } => {
                if let Node::Menu(menu) = &self.flow.nodes[node] {
                    self.waiting = Waiting::MenuInput {
                        node,
                        deadline: now + menu.timeout,
                    };
                }
            }
            Waiting::Queued {
                node,
                leave_at,
                next_periodic,
                in_periodic: true,
            } => {
                // The periodic message ended: back to the hold audio.
                if let Node::Enqueue(enqueue) = &self.flow.nodes[node] {
                    out.push(self.hold_audio(enqueue));
                }
                self.waiting = Waiting::Queued {
                    node,
                    leave_at,
                    next_periodic,
                    in_periodic: false,
                };
            }
            _ => {}
        }
    }

    fn dtmf(&mut self, digit: Digit, now: Instant, out: &mut Vec<IvrCommand>) {
        let flow = Arc::clone(&self.flow);
        match self.waiting.clone() {
            Waiting::Playing { node } => {
                if let Node::Play {
                    barge_in: true, next, ..
                } = flow.nodes[node]
                {
                    out.push(IvrCommand::StopPlayback);
                    self.enter(next, now, out);
                }
            }
            Waiting::MenuPrompt { node } | Waiting::MenuInput { node, .. } => {
                let Node::Menu(menu) = &flow.nodes[node] else {
                    return;
                };
                if matches!(self.waiting, Waiting::MenuPrompt { .. }) {
                    out.push(IvrCommand::StopPlayback);
                }
                match menu.choices.iter().find(|(d, _)| *d == digit) {
                    Some(&(_, target)) => self.enter(target, now, out),
                    None => self.retry(node, menu, menu.invalid_prompt.as_ref(), now, out),
                }
            }
            _ => {}
        }
    }

    fn timer(&mut self, now: Instant, out: &mut Vec<IvrCommand>) {
        let flow = Arc::clone(&self.flow);
        match self.waiting.clone() {
            Waiting::MenuInput { node, deadline } if now >= deadline => {
                let Node::Menu(menu) = &flow.nodes[node] else {
                    return;
                };
                match menu.on_no_input {
                    Some(target) => self.enter(target, now, out),
                    None => self.retry(node, menu, menu.no_input_prompt.as_ref(), now, out),
                }
            }
            Waiting::Queued {
                node,
                leave_at,
                next_periodic,
                in_periodic,
            } => {
                let Node::Enqueue(enqueue) = &flow.nodes[node] else {
                    return;
                };
                if now >= leave_at {
                    out.push(IvrCommand::LeaveQueue);
                    out.push(IvrCommand::Record(Step::QueueTimeout));
                    self.enter(enqueue.on_timeout, now, out);
                } else if next_periodic.is_some_and(|p| now >= p) && !in_periodic {
                    if let Some(periodic) = &enqueue.periodic_prompt {
                        let mut prompts = self.resolve(std::slice::from_ref(periodic));
                        prompts.extend(self.queue_status_prompts());
                        out.push(IvrCommand::Play {
                            prompts,
                            barge_in: false,
                            looped: false,
                        });
                    }
                    self.waiting = Waiting::Queued {
                        node,
                        leave_at,
                        next_periodic: Some(now + enqueue.periodic),
                        in_periodic: true,
                    };
                }
            }
            _ => {}
        }
    }

    fn retry(
        &mut self,
        node: NodeId,
        menu: &Menu,
        prompt: Option<&PromptRef>,
        now: Instant,
        out: &mut Vec<IvrCommand>,
    ) {
        self.menu_attempts = self.menu_attempts.saturating_add(1);
        if self.menu_attempts > menu.retries {
            out.push(IvrCommand::Record(Step::MenuFailed {
                node: self.flow.names[node].clone(),
            }));
            match menu.on_failure {
                Some(target) => self.enter(target, now, out),
                None => {
                    out.push(IvrCommand::Hangup {
                        cause: HangupCause::FlowEnded,
                    });
                    self.waiting = Waiting::Finished;
                }
            }
            return;
        }
        self.play_menu(node, menu, prompt, out);
    }
}
