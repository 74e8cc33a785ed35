//! One task per inbound call: it owns the call's state, feeds the IVR runner with what happens
//! (SIP, media, the ACD, timers) and carries out the runner's commands. Every log line carries
//! the call id; no log line carries the caller's number.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tracing::{Instrument, info, warn};

use super::CallServices;
use super::agent_link::AgentLink;
use super::capacity::Held;
use super::prompting;
use super::steps::{CallSteps, new_call_id, now};
use crate::acd::desk::CallInfo;
use crate::acd::service::CallNotice;
use crate::calendar;
use crate::ivr::{HangupCause, IvrCommand, IvrEvent, Runner};
use crate::journal::{Codec, EndCause, NewCall, Side, Step};
use crate::lang::Lang;
use crate::media::g711::Law;
use crate::media::leg::MediaLeg;
use crate::media::pacer::PacerEvent;
use crate::media::rtp_session::MediaEvent;
use crate::media::trunk_leg::{TrunkEvents, TrunkLeg};
use crate::pii::PhoneNumber;
use crate::sip::sdp::{Negotiated, negotiate, render_answer};
use crate::sip::{CallLeg, EndReason, InboundCall, LegEvent};

pub async fn run(services: Arc<CallServices>, call: InboundCall) {
    let (arrived, stamp) = now();
    let id = new_call_id(stamp);
    let span = tracing::info_span!("call", call_id = %id);
    handle(services, call, id, arrived, stamp).instrument(span).await;
}

/// How a dialog's end is recorded.
fn end_step(reason: &EndReason) -> Step {
    let (cause, side) = match reason {
        EndReason::CallerHungUp => (EndCause::CallerBye, Side::Caller),
        EndReason::CallerCancelled => (EndCause::CallerCancel, Side::Caller),
        EndReason::WeHungUp => (EndCause::CenterBye, Side::Center),
        EndReason::Rejected => (EndCause::Rejected, Side::Center),
        EndReason::NoAck => (EndCause::NoAck, Side::Caller),
        EndReason::Other(_) => (EndCause::Other, Side::Unknown),
    };
    Step::Ended { cause, side }
}

fn codec(law: Law) -> Codec {
    match law {
        Law::Ulaw => Codec::Ulaw,
        Law::Alaw => Codec::Alaw,
    }
}

async fn handle(
    services: Arc<CallServices>,
    mut call: InboundCall,
    id: String,
    arrived: Instant,
    stamp: jiff::Timestamp,
) {
    // The calendars as they are now: what this caller is told does not change if one is
    // replaced while the call goes on, and "in hours" for the answer rate is decided by them.
    let calendars = services.calendars.snapshot();
    let local = calendar::tokyo_time(stamp);
    let in_hours = calendars
        .get(&services.settings.sla_calendar)
        .is_some_and(|c| c.status(local).is_open());
    let line = services.settings.line_of(&call.dialed);
    let steps = CallSteps::open(
        &services.journal,
        NewCall {
            id: id.clone(),
            sip_call_id: call.sip_call_id.clone(),
            arrived_at: stamp.to_string(),
            service_date: local.date().to_string(),
            in_hours,
            caller: call.caller.clone(),
            dialed: call.dialed.clone(),
            line,
            trunk_peer: call.peer.to_string(),
            transport: call.transport.to_string(),
        },
        arrived,
    );
    steps.step(Step::Arrived);
    info!(peer = %call.peer, transport = call.transport, %line, in_hours, "call arrived");
    let mut runner = Runner::new(services.flow(), calendars, services.settings.default_lang);

    let offer = match call.offer.clone() {
        Ok(offer) => offer,
        Err(e) => {
            info!(error = %e, "no usable SDP offer: 488");
            return refuse(&mut call, &steps, 488).await;
        }
    };
    let negotiated = match negotiate(&offer, &[Law::Ulaw, Law::Alaw]) {
        Ok(n) => n,
        Err(e) => {
            info!(error = %e, "refused: 488");
            return refuse(&mut call, &steps, 488).await;
        }
    };
    if !services.settings.media_allowed(offer.remote) {
        info!("the offer's media address is not an allowed RTP peer: 488");
        return refuse(&mut call, &steps, 488).await;
    }
    let socket = match services.ports.bind(services.settings.media_ip).await {
        Ok(socket) => Arc::new(socket),
        Err(e) => {
            warn!(error = %e, "no RTP port: 503");
            return refuse(&mut call, &steps, 503).await;
        }
    };
    let local_media = match socket.local_addr() {
        Ok(addr) => addr,
        Err(e) => {
            warn!(error = %e, "RTP socket without address: 503");
            return refuse(&mut call, &steps, 503).await;
        }
    };
    if !services.settings.answer_delay.is_zero() {
        call.leg.ringing();
        let ended = tokio::time::timeout(services.settings.answer_delay, async {
            loop {
                match call.events.recv().await {
                    Some(LegEvent::Ended(reason)) => return Some(reason),
                    Some(_) => {}
                    None => return Some(EndReason::Other("signalling gone".into())),
                }
            }
        })
        .await;
        if let Ok(Some(reason)) = ended {
            // The caller gave up while it rang: a lost call, not a refused one.
            record_runner_steps(&steps, runner.handle(IvrEvent::CallerHungUp { now: now().0 }));
            let cause = match reason {
                EndReason::CallerCancelled => EndCause::CallerCancel,
                _ => EndCause::Other,
            };
            steps.step(Step::Ended {
                cause,
                side: Side::Caller,
            });
            info!(?reason, "the caller gave up before the answer");
            return;
        }
    }
    let session_id = u64::from(rand::random::<u32>());
    let sdp_version = 1;
    let answer = render_answer(&negotiated, local_media, session_id, sdp_version);
    let session_expires = call.session_expires.map(|s| s.max(90));
    if let Err(e) = call.leg.accept(answer, session_expires) {
        warn!(error = %e, "could not answer");
        steps.step(Step::Ended {
            cause: EndCause::Other,
            side: Side::Center,
        });
        return;
    }
    runner.handle(IvrEvent::Answered);
    steps.step(Step::IvrAnswered {
        codec: codec(negotiated.law),
    });
    let line_held = services.capacity.take_line();

    let (trunk, events) = services.start_trunk_leg(Arc::clone(&socket), offer.remote, &negotiated, !offer.is_hold());
    let answer = Answer {
        negotiated,
        local_media,
        session_id,
        version: sdp_version,
        session_expires,
    };
    let mut conversation = Conversation {
        services: &services,
        steps: &steps,
        trunk: &trunk,
        play_token: 0,
        queue_place: None,
        caller: call.caller.clone(),
        path: Vec::new(),
        acd: None,
        link: AgentLink::new(services.recorder.clone()),
        lang: None,
    };
    let outcome = conversation.run(&mut call, &mut runner, events, answer).await;
    let lang = conversation.lang;
    conversation.link.finish(&steps, lang);
    // Whatever the call was doing with the ACD (waiting, ringing, bridged), it is over.
    services.acd.call_gone(&id).await;
    trunk.close();
    drop(line_held);
    let ended = end_step(&outcome);
    info!(step = %ended.label(), "call ended");
    steps.step(ended);
}

/// Steps a runner decided outside the conversation (the caller gone before it started).
fn record_runner_steps(steps: &CallSteps, commands: Vec<IvrCommand>) {
    for command in commands {
        if let IvrCommand::Record(step) = command {
            steps.step(step);
        }
    }
}

async fn refuse(call: &mut InboundCall, steps: &CallSteps, code: u16) {
    call.leg.reject(code);
    steps.step(Step::Rejected { code });
    // Wait for the dialog to end so that its resources go with it.
    while let Some(event) = call.events.recv().await {
        if matches!(event, LegEvent::Ended(_)) {
            break;
        }
    }
    steps.step(Step::Ended {
        cause: EndCause::Rejected,
        side: Side::Center,
    });
}

/// What we answered, to answer again on a re-INVITE.
struct Answer {
    negotiated: Negotiated,
    local_media: std::net::SocketAddr,
    session_id: u64,
    version: u64,
    session_expires: Option<u32>,
}

impl Answer {
    fn sdp(&mut self) -> String {
        self.version += 1;
        render_answer(&self.negotiated, self.local_media, self.session_id, self.version)
    }

    fn refresh_deadline(&self, from: Instant) -> Option<Instant> {
        self.session_expires.map(|s| from + Duration::from_secs(u64::from(s)))
    }
}

/// The next notice from the ACD, or never when the call is not waiting for an agent.
async fn next_notice(acd: &mut Option<mpsc::Receiver<CallNotice>>) -> Option<CallNotice> {
    match acd {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

struct Conversation<'a> {
    services: &'a Arc<CallServices>,
    steps: &'a CallSteps,
    trunk: &'a Arc<TrunkLeg>,
    play_token: u64,
    queue_place: Option<Held>,
    /// The caller's number, for the agent's ringing screen.
    caller: PhoneNumber,
    /// The IVR steps so far, as the agent's ringing screen shows them.
    path: Vec<String>,
    /// Notices from the ACD, from the moment the call joins the queue.
    acd: Option<mpsc::Receiver<CallNotice>>,
    /// The language of the queue the caller waits in, or was answered from after a transfer
    /// (the recording is transcribed in it).
    lang: Option<Lang>,
    link: AgentLink,
}

impl Conversation<'_> {
    /// From the answer to the end: the IVR, the queue, the agent.
    async fn run(
        &mut self,
        call: &mut InboundCall,
        runner: &mut Runner,
        mut events: TrunkEvents,
        mut answer: Answer,
    ) -> EndReason {
        // Wait for the ACK: the caller may hang up (or the ACK never come) before that.
        loop {
            match call.events.recv().await {
                Some(LegEvent::Confirmed) => break,
                Some(LegEvent::Ended(reason)) => {
                    self.drive(&call.leg, runner, IvrEvent::CallerHungUp { now: now().0 })
                        .await;
                    return reason;
                }
                Some(_) => {}
                None => return EndReason::Other("signalling gone".into()),
            }
        }
        let (started, stamp) = now();
        let first = IvrEvent::Started {
            now: started,
            local: calendar::tokyo_time(stamp),
        };
        if let Some(reason) = self.drive(&call.leg, runner, first).await {
            return reason;
        }
        let mut refresh_deadline = answer.refresh_deadline(started);
        let mut on_hold = false;
        loop {
            let wake_at = [runner.poll_timeout(), refresh_deadline].into_iter().flatten().min();
            let sleep = async {
                match wake_at {
                    Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await,
                    None => std::future::pending().await,
                }
            };
            let event = tokio::select! {
                notice = next_notice(&mut self.acd) => match notice {
                    Some(notice) => match self.notice(&call.leg, notice).await {
                        Err(reason) => return reason,
                        Ok(event) => event,
                    },
                    None => {
                        self.acd = None;
                        None
                    }
                },
                leg = call.events.recv() => match leg {
                    Some(LegEvent::Ended(reason)) => {
                        self.drive(&call.leg, runner, IvrEvent::CallerHungUp { now: now().0 }).await;
                        return reason;
                    }
                    Some(LegEvent::Digit(digit)) => Some(IvrEvent::Dtmf { digit, now: now().0 }),
                    Some(LegEvent::Refreshed) => {
                        refresh_deadline = answer.refresh_deadline(now().0);
                        None
                    }
                    Some(LegEvent::NewOffer { offer, reply }) => {
                        refresh_deadline = answer.refresh_deadline(now().0);
                        match &offer {
                            Ok(offer) if !self.services.settings.media_allowed(offer.remote) => {
                                info!("a new offer names a media address that is not an allowed RTP peer: 488");
                                reply.refuse().await;
                            }
                            Ok(offer) => match negotiate(offer, &[answer.negotiated.law]) {
                                Ok(new) => {
                                    answer.negotiated = new;
                                    on_hold = offer.is_hold();
                                    self.trunk.set_sending(!on_hold);
                                    if self.trunk.set_remote(offer.remote) {
                                        info!("the caller's media address changed");
                                    }
                                    info!(on_hold, "new offer accepted");
                                    reply.accept(answer.sdp()).await;
                                }
                                Err(_) => reply.refuse().await,
                            },
                            // No SDP (a refresh by re-INVITE): answer with what we have.
                            Err(_) if !reply.has_offer() => reply.accept(answer.sdp()).await,
                            Err(_) => reply.refuse().await,
                        }
                        None
                    }
                    Some(LegEvent::Confirmed) => None,
                    None => return EndReason::Other("signalling gone".into()),
                },
                m = events.media.recv() => match m {
                    Some(MediaEvent::Dtmf(digit)) => Some(IvrEvent::Dtmf { digit, now: now().0 }),
                    Some(MediaEvent::Silent) if !on_hold => {
                        info!("no RTP from the caller: hanging up");
                        Some(IvrEvent::MediaLost { now: now().0 })
                    }
                    Some(MediaEvent::Silent) | None => None,
                },
                p = events.pacer.recv() => match p {
                    Some(PacerEvent::PromptFinished { token }) if token == self.play_token => {
                        Some(IvrEvent::PromptFinished { now: now().0 })
                    }
                    _ => None,
                },
                _ = sleep => {
                    let at = now().0;
                    if refresh_deadline.is_some_and(|d| at >= d) {
                        info!("the session timer expired without a refresh: hanging up");
                        call.leg.hang_up().await;
                        return EndReason::WeHungUp;
                    }
                    Some(IvrEvent::Timer { now: at })
                }
            };
            if let Some(event) = event {
                if let Some(reason) = self.drive(&call.leg, runner, event).await {
                    return reason;
                }
            }
        }
    }

    /// Carries out a notice from the ACD; returns the event for the runner, or how the call
    /// ended.
    async fn notice(&mut self, leg: &CallLeg, notice: CallNotice) -> Result<Option<IvrEvent>, EndReason> {
        Ok(match notice {
            CallNotice::Offered { agent } => {
                self.steps.step(Step::Offered { agent });
                None
            }
            CallNotice::OfferWithdrawn => {
                self.steps.step(Step::OfferWithdrawn);
                None
            }
            CallNotice::Position {
                position,
                expected_wait,
            } => Some(IvrEvent::QueueStatus {
                position,
                expected_wait,
            }),
            CallNotice::Connected { agent, lang } => {
                if lang.is_some() {
                    self.lang = lang;
                }
                let Some(agent_leg) = self.services.agent_legs.get(&agent) else {
                    // The agent's audio went between the answer and now: the ACD sends the call
                    // back to the head of the queue.
                    warn!(%agent, "the agent's audio is gone: back to the queue");
                    self.services.acd.agent_audio_lost(&agent).await;
                    return Ok(None);
                };
                self.steps.step(Step::AgentAnswered { agent: agent.clone() });
                self.queue_place = None;
                let caller = Arc::clone(self.trunk) as Arc<dyn MediaLeg>;
                self.link.connect(self.steps, agent, caller, agent_leg);
                Some(IvrEvent::AgentConnected { now: now().0 })
            }
            CallNotice::Unbridged => {
                // Also sent when the agent's session went between the answer and the bridge:
                // then nothing was bridged and the call simply waits on.
                let Some(agent) = self.link.disconnect(self.steps) else {
                    return Ok(None);
                };
                info!(%agent, "the agent left the call: back to the queue");
                self.steps.step(Step::AgentLeft { agent });
                self.queue_place = Some(self.services.capacity.take_queue_place());
                Some(IvrEvent::AgentLost { now: now().0 })
            }
            CallNotice::HangUp => {
                info!("the agent hung up");
                let agent = self.link.agent().unwrap_or_default().to_string();
                self.link.disconnect(self.steps);
                leg.hang_up().await;
                self.steps.step(Step::AgentHungUp { agent });
                return Err(EndReason::WeHungUp);
            }
            CallNotice::Hold(on) => self.link.hold(self.steps, on).then_some(IvrEvent::Hold { on }),
            CallNotice::Mute(on) => {
                self.link.mute(on);
                None
            }
        })
    }

    /// Feeds an event to the runner and carries out its commands (and the events they lead
    /// to, like the capacity answer); returns how the call ended if it did.
    async fn drive(&mut self, leg: &CallLeg, runner: &mut Runner, event: IvrEvent) -> Option<EndReason> {
        let mut events = VecDeque::from([event]);
        while let Some(event) = events.pop_front() {
            for command in runner.handle(event) {
                if let Some(reason) = self.execute(leg, command, &mut events).await {
                    return Some(reason);
                }
            }
        }
        None
    }

    async fn execute(
        &mut self,
        leg: &CallLeg,
        command: IvrCommand,
        follow_up: &mut VecDeque<IvrEvent>,
    ) -> Option<EndReason> {
        match command {
            IvrCommand::Play { prompts, looped, .. } => {
                let frames = prompting::all_frames(self.services, &prompts, self.trunk.law());
                self.play_token = self.trunk.play(frames, looped);
            }
            IvrCommand::StopPlayback => {
                self.trunk.stop_playback();
                self.play_token = 0;
            }
            IvrCommand::QueryCapacity => {
                let services = self.services;
                let mut available = services.capacity.available();
                if let (true, Some(limit)) = (available, services.settings.max_expected_wait) {
                    let expected = services.acd.expected_wait().await;
                    if expected.is_none_or(|wait| wait > limit) {
                        info!(?expected, ?limit, "the expected wait is over the limit: busy");
                        available = false;
                    }
                }
                follow_up.push_back(IvrEvent::Capacity {
                    available,
                    now: now().0,
                });
            }
            IvrCommand::Enqueue { queue, lang } => {
                info!(queue, %lang, "waiting in the queue");
                self.lang = Some(lang);
                self.queue_place = Some(self.services.capacity.take_queue_place());
                let (tx, rx) = mpsc::channel(32);
                self.acd = Some(rx);
                let info = CallInfo {
                    caller: self.caller.clone(),
                    lang,
                    queue,
                    path: self.path.join(" → "),
                };
                self.services.acd.enqueue(&self.steps.id, info, false, tx).await;
            }
            IvrCommand::LeaveQueue => {
                self.queue_place = None;
                self.acd = None;
                self.services.acd.call_gone(&self.steps.id).await;
            }
            IvrCommand::Transfer { uri } => {
                let taken = leg.transfer(&uri).await;
                info!(taken, "transfer requested");
                leg.hang_up().await;
                return Some(EndReason::WeHungUp);
            }
            IvrCommand::Hangup { cause } => {
                if cause == HangupCause::FlowError {
                    warn!("the flow could not go on: hanging up");
                }
                leg.hang_up().await;
                return Some(EndReason::WeHungUp);
            }
            IvrCommand::Record(step) => {
                let label = step.label();
                // One log line per IVR step, with the call id from the span; steps carry no
                // personal data (language, reason, queue name).
                info!(step = %label, "call step");
                self.path.push(label.replacen(':', " ", 1));
                self.steps.step(step);
            }
        }
        None
    }
}
