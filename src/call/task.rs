//! One task per call: it owns the call's state, feeds the IVR runner with what happens (SIP,
//! media, timers) and carries out the runner's commands. Every log line carries the call id.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use jiff::Timestamp;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, info, warn};

use super::CallServices;
use super::bridge::{Bridge, CountingTap, Mode};
use super::capacity::Held;
use crate::acd::desk::CallInfo;
use crate::acd::service::CallNotice;
use crate::calendar;
use crate::cdr;
use crate::ivr::{HangupCause, IvrCommand, IvrEvent, PromptPlay, Runner};
use crate::lang::Lang;
use crate::media::g711::Law;
use crate::media::pacer::{PacerEvent, StreamSpec};
use crate::media::rtp_out::RtpOut;
use crate::media::rtp_session::{AudioSink, MediaEvent, Receiver};
use crate::sip::sdp::{Negotiated, Offer, negotiate, render_answer};
use crate::sip::{EndReason, InboundCall, LegEvent};
use crate::store::calls::{CallEvent, NewCall};

static NEXT_STREAM: AtomicU64 = AtomicU64::new(1);

/// The call's clock and identity, for its records.
struct Record {
    id: String,
    arrived: Instant,
    services: Arc<CallServices>,
}

impl Record {
    fn step(&self, kind: &str, detail: impl Into<String>) {
        let offset_ms = i64::try_from(self.arrived.elapsed().as_millis()).unwrap_or(i64::MAX);
        self.services.recorder.event(CallEvent {
            call_id: self.id.clone(),
            at: now().to_string(),
            offset_ms,
            kind: kind.to_string(),
            detail: detail.into(),
        });
    }
}

/// The call task is an edge: it reads the clock for the runner and the records.
#[allow(clippy::disallowed_methods)]
fn now() -> Timestamp {
    Timestamp::now()
}

#[allow(clippy::disallowed_methods)]
fn instant_now() -> Instant {
    Instant::now()
}

pub async fn run(services: Arc<CallServices>, call: InboundCall) {
    let id = new_call_id();
    let span = tracing::info_span!("call", call_id = %id);
    handle(services, call, id).instrument(span).await;
}

fn new_call_id() -> String {
    let millis = now().as_millisecond();
    format!("{millis:x}-{:08x}", rand::random::<u32>())
}

async fn handle(services: Arc<CallServices>, mut call: InboundCall, id: String) {
    let arrived_at = now();
    let local = calendar::tokyo_time(arrived_at);
    let in_hours = services
        .calendars
        .get(&services.settings.sla_calendar)
        .is_some_and(|c| c.status(local).is_open());
    let record = Record {
        id: id.clone(),
        arrived: instant_now(),
        services: Arc::clone(&services),
    };
    let line = services.settings.line_of(&call.dialed);
    services.recorder.call(NewCall {
        id: id.clone(),
        sip_call_id: call.sip_call_id.clone(),
        arrived_at: arrived_at.to_string(),
        service_date: local.date().to_string(),
        in_hours,
        caller: call.caller.clone(),
        dialed: call.dialed.clone(),
        line: line.to_string(),
        trunk_peer: call.peer.to_string(),
        transport: call.transport.to_string(),
    });
    record.step(cdr::ARRIVED, "");
    info!(peer = %call.peer, transport = call.transport, line, in_hours, "call arrived");

    let offer = match call.offer.clone() {
        Ok(offer) => offer,
        Err(e) => {
            info!(error = %e, "no usable SDP offer: 488");
            return refuse(&mut call, &record, 488).await;
        }
    };
    let negotiated = match negotiate(&offer, &[Law::Ulaw, Law::Alaw]) {
        Ok(n) => n,
        Err(e) => {
            info!(error = %e, "refused: 488");
            return refuse(&mut call, &record, 488).await;
        }
    };
    if let (Some(allowed), Some(remote)) = (&services.settings.rtp_peers, offer.remote) {
        if !allowed.allows(remote.ip()) {
            info!(media = %remote.ip(), "the offer's media address is not an allowed RTP peer: 488");
            return refuse(&mut call, &record, 488).await;
        }
    }
    let socket = match services.ports.bind(services.settings.media_ip).await {
        Ok(socket) => Arc::new(socket),
        Err(e) => {
            warn!(error = %e, "no RTP port: 503");
            return refuse(&mut call, &record, 503).await;
        }
    };
    let local_media = match socket.local_addr() {
        Ok(addr) => addr,
        Err(e) => {
            warn!(error = %e, "RTP socket without address: 503");
            return refuse(&mut call, &record, 503).await;
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
            record.step(cdr::ABANDONED, "ringing");
            record.step(
                cdr::ENDED,
                format!(
                    "{};caller",
                    if reason == EndReason::CallerCancelled {
                        "caller-cancel"
                    } else {
                        "other"
                    }
                ),
            );
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
        return;
    }
    record.step(cdr::IVR_ANSWERED, format!("{:?}", negotiated.law));
    let line_held = services.capacity.take_line();

    let (media, channels) = Media::start(&services, Arc::clone(&socket), &offer, &negotiated);
    let answer = Answer {
        negotiated,
        local_media,
        session_id,
        version: sdp_version,
        session_expires,
    };
    let outcome = converse(&services, &mut call, &record, &media, channels, answer).await;
    // Whatever the call was doing with the ACD (waiting, ringing, bridged), it is over.
    services.acd.call_gone(&id).await;
    media.stop(&services);
    drop(line_held);
    let (cause, side) = match &outcome {
        EndReason::CallerHungUp => ("caller-bye", "caller"),
        EndReason::CallerCancelled => ("caller-cancel", "caller"),
        EndReason::WeHungUp => ("center-bye", "center"),
        EndReason::Rejected => ("rejected", "center"),
        EndReason::NoAck => ("no-ack", "caller"),
        EndReason::Other(_) => ("other", "unknown"),
    };
    record.step(cdr::ENDED, format!("{cause};{side}"));
    info!(cause, side, "call ended");
}

async fn refuse(call: &mut InboundCall, record: &Record, code: u16) {
    call.leg.reject(code);
    record.step(cdr::REJECTED, code.to_string());
    // Wait for the dialog to end so that its resources go with it.
    while let Some(event) = call.events.recv().await {
        if matches!(event, LegEvent::Ended(_)) {
            break;
        }
    }
    record.step(cdr::ENDED, "rejected;center");
}

/// The call's media: its stream in the pacer and its receiver (also the outbound calls').
pub(crate) struct Media {
    pub(crate) stream: u64,
    cancel: CancellationToken,
    pub(crate) law: Law,
    /// The caller's media address from the latest offer.
    expected: watch::Sender<Option<std::net::SocketAddr>>,
    /// Where the caller's audio goes while bridged to an agent.
    pub(crate) audio: AudioSink,
}

/// What the media side tells the call.
pub(crate) struct MediaChannels {
    pub(crate) events: mpsc::Receiver<MediaEvent>,
    pacer_events: mpsc::Receiver<PacerEvent>,
}

impl Media {
    pub(crate) fn start(
        services: &Arc<CallServices>,
        socket: Arc<tokio::net::UdpSocket>,
        offer: &Offer,
        negotiated: &Negotiated,
    ) -> (Media, MediaChannels) {
        let stream = NEXT_STREAM.fetch_add(1, Ordering::Relaxed);
        let (remote_tx, remote_rx) = watch::channel(offer.remote);
        let (expected_tx, expected) = watch::channel(offer.remote);
        let (events_tx, events) = mpsc::channel(64);
        let (pacer_tx, pacer_events) = mpsc::channel(16);
        let cancel = CancellationToken::new();
        let rtp = RtpOut::new(
            rand::random::<u32>(),
            rand::random::<u16>(),
            rand::random::<u32>(),
            negotiated.payload_type,
        );
        services.pacer.open(
            stream,
            StreamSpec {
                socket: Arc::clone(&socket),
                remote: remote_rx,
                rtp,
                silence: Bytes::from(vec![negotiated.law.silence(); 160]),
                events: pacer_tx,
            },
        );
        if offer.is_hold() {
            services.pacer.set_sending(stream, false);
        }
        let audio = AudioSink::default();
        let receiver = Receiver {
            socket,
            expected,
            telephone_event: negotiated.telephone_event,
            media_timeout: services.settings.media_timeout,
            remote: remote_tx,
            events: events_tx,
            stats: Arc::clone(&services.rtp_stats),
            cancel: cancel.clone(),
            audio_pt: negotiated.payload_type,
            audio: audio.clone(),
        };
        tokio::spawn(receiver.run().in_current_span());
        (
            Media {
                stream,
                cancel,
                law: negotiated.law,
                expected: expected_tx,
                audio,
            },
            MediaChannels { events, pacer_events },
        )
    }

    pub(crate) fn stop(&self, services: &CallServices) {
        services.pacer.close(self.stream);
        self.cancel.cancel();
    }
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

async fn converse(
    services: &Arc<CallServices>,
    call: &mut InboundCall,
    record: &Record,
    media: &Media,
    mut channels: MediaChannels,
    mut answer: Answer,
) -> EndReason {
    // Wait for the ACK: the caller may hang up (or the ACK never come) before that.
    loop {
        match call.events.recv().await {
            Some(LegEvent::Confirmed) => break,
            Some(LegEvent::Ended(reason)) => {
                record.step(cdr::ABANDONED, "ivr");
                return reason;
            }
            Some(_) => {}
            None => return EndReason::Other("signalling gone".into()),
        }
    }
    let mut runner = Runner::new(
        services.flow(),
        Arc::clone(&services.calendars),
        services.settings.default_lang,
    );
    let mut conversation = Conversation {
        services,
        record,
        media,
        play_token: 0,
        queue_place: None,
        caller: call.caller.clone(),
        path: Vec::new(),
        acd: None,
        bridge: None,
        agent: None,
        tap: Arc::default(),
    };
    let started = instant_now();
    let first = IvrEvent::Started {
        now: started,
        local: calendar::tokyo_time(now()),
    };
    if let Some(reason) = conversation.drive(&mut call.leg, &mut runner, first).await {
        return reason;
    }
    let mut refresh_deadline = answer.refresh_deadline(started);
    let mut on_hold = false;
    let outcome = loop {
        let wake_at = [runner.poll_timeout(), refresh_deadline].into_iter().flatten().min();
        let sleep = async {
            match wake_at {
                Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await,
                None => std::future::pending().await,
            }
        };
        let event = tokio::select! {
            notice = next_notice(&mut conversation.acd) => match notice {
                Some(notice) => match conversation.notice(&mut call.leg, notice).await {
                    Err(reason) => break reason,
                    Ok(event) => event,
                },
                None => {
                    conversation.acd = None;
                    None
                }
            },
            leg = call.events.recv() => match leg {
                Some(LegEvent::Ended(reason)) => {
                    conversation.drive(&mut call.leg, &mut runner, IvrEvent::CallerHungUp { now: instant_now() }).await;
                    break reason;
                }
                Some(LegEvent::Digit(digit)) => Some(IvrEvent::Dtmf { digit, now: instant_now() }),
                Some(LegEvent::Refreshed) => {
                    refresh_deadline = answer.refresh_deadline(instant_now());
                    None
                }
                Some(LegEvent::NewOffer { offer, reply }) => {
                    refresh_deadline = answer.refresh_deadline(instant_now());
                    match &offer {
                        Ok(offer) => match negotiate(offer, &[answer.negotiated.law]) {
                            Ok(new) => {
                                answer.negotiated = new;
                                on_hold = offer.is_hold();
                                services.pacer.set_sending(media.stream, !on_hold);
                                if offer.remote.is_some() && *media.expected.borrow() != offer.remote {
                                    info!("the caller's media address changed");
                                    media.expected.send_replace(offer.remote);
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
                None => break EndReason::Other("signalling gone".into()),
            },
            m = channels.events.recv() => match m {
                Some(MediaEvent::Dtmf(digit)) => Some(IvrEvent::Dtmf { digit, now: instant_now() }),
                Some(MediaEvent::Silent) if !on_hold => {
                    info!("no RTP from the caller: hanging up");
                    if !runner.is_bridged() {
                        record.step(cdr::ABANDONED, if runner.is_queued() { "queue" } else { "ivr" });
                    }
                    call.leg.hang_up().await;
                    break EndReason::WeHungUp;
                }
                Some(MediaEvent::Silent) | None => None,
            },
            p = channels.pacer_events.recv() => match p {
                Some(PacerEvent::PromptFinished { token }) if token == conversation.play_token => {
                    Some(IvrEvent::PromptFinished { now: instant_now() })
                }
                _ => None,
            },
            _ = sleep => {
                let now = instant_now();
                if refresh_deadline.is_some_and(|d| now >= d) {
                    info!("the session timer expired without a refresh: hanging up");
                    call.leg.hang_up().await;
                    break EndReason::WeHungUp;
                }
                Some(IvrEvent::Timer { now })
            }
        };
        if let Some(event) = event {
            if let Some(reason) = conversation.drive(&mut call.leg, &mut runner, event).await {
                break reason;
            }
        }
    };
    conversation.unbridge();
    outcome
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
    record: &'a Record,
    media: &'a Media,
    play_token: u64,
    queue_place: Option<Held>,
    caller: String,
    /// The IVR steps so far, as the agent's ringing screen shows them.
    path: Vec<String>,
    /// Notices from the ACD, from the moment the call joins the queue.
    acd: Option<mpsc::Receiver<CallNotice>>,
    bridge: Option<Bridge>,
    agent: Option<String>,
    tap: Arc<CountingTap>,
}

impl Conversation<'_> {
    /// Carries out a notice from the ACD; returns the event for the runner, or how the call
    /// ended.
    async fn notice(
        &mut self,
        leg: &mut crate::sip::CallLeg,
        notice: CallNotice,
    ) -> Result<Option<IvrEvent>, EndReason> {
        Ok(match notice {
            CallNotice::Offered { agent } => {
                self.record.step(cdr::OFFERED, agent);
                None
            }
            CallNotice::OfferWithdrawn => {
                self.record.step(cdr::OFFER_WITHDRAWN, "");
                None
            }
            CallNotice::Position {
                position,
                expected_wait,
            } => Some(IvrEvent::QueueStatus {
                position,
                expected_wait,
            }),
            CallNotice::Connected { agent, audio } => {
                info!(%agent, "bridged to the agent");
                self.record.step(cdr::AGENT_ANSWERED, agent.clone());
                self.queue_place = None;
                self.unbridge();
                self.bridge = Some(Bridge::start(
                    self.media.audio.clone(),
                    audio,
                    self.services.pacer.clone(),
                    self.media.stream,
                    self.media.law,
                    Arc::clone(&self.tap) as Arc<dyn super::bridge::CallTap>,
                ));
                self.agent = Some(agent);
                Some(IvrEvent::AgentConnected { now: instant_now() })
            }
            CallNotice::Unbridged => {
                // The ACD also sends this when the agent's session went between the answer and
                // the bridge: then nothing was bridged and the call simply waits on.
                let Some(agent) = self.agent.take() else {
                    return Ok(None);
                };
                info!(%agent, "the agent left the call: back to the queue");
                self.unbridge();
                self.record.step(cdr::AGENT_LEFT, agent);
                self.queue_place = Some(self.services.capacity.take_queue_place());
                Some(IvrEvent::AgentLost { now: instant_now() })
            }
            CallNotice::HangUp => {
                info!("the agent hung up");
                self.unbridge();
                leg.hang_up().await;
                self.record
                    .step(cdr::ENDED_BY_AGENT, self.agent.clone().unwrap_or_default());
                return Err(EndReason::WeHungUp);
            }
            CallNotice::Hold(on) => {
                if let Some(bridge) = &self.bridge {
                    bridge.set_mode(if on { Mode::Held } else { Mode::Talking });
                    self.record.step(cdr::HOLD, if on { "on" } else { "off" });
                    Some(IvrEvent::Hold { on })
                } else {
                    None
                }
            }
            CallNotice::Mute(on) => {
                if let Some(bridge) = &self.bridge {
                    if bridge.mode() != Mode::Held {
                        bridge.set_mode(if on { Mode::Muted } else { Mode::Talking });
                    }
                }
                None
            }
        })
    }

    /// Ends the bridge, if any, and records what went through its tap.
    fn unbridge(&mut self) {
        if let Some(bridge) = self.bridge.take() {
            bridge.stop();
            let from_caller = self.tap.from_caller.swap(0, std::sync::atomic::Ordering::Relaxed);
            let from_agent = self.tap.from_agent.swap(0, std::sync::atomic::Ordering::Relaxed);
            self.record.step(
                cdr::BRIDGED_AUDIO,
                format!("from_caller={from_caller};from_agent={from_agent}"),
            );
        }
    }

    /// Feeds an event to the runner and carries out its commands (and the events they lead
    /// to, like the capacity answer); returns how the call ended if it did.
    async fn drive(
        &mut self,
        leg: &mut crate::sip::CallLeg,
        runner: &mut Runner,
        event: IvrEvent,
    ) -> Option<EndReason> {
        let mut events = std::collections::VecDeque::from([event]);
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
        leg: &mut crate::sip::CallLeg,
        command: IvrCommand,
        follow_up: &mut std::collections::VecDeque<IvrEvent>,
    ) -> Option<EndReason> {
        {
            match command {
                IvrCommand::Play { prompts, looped, .. } => {
                    self.play_token += 1;
                    let frames = prompts.iter().filter_map(|p| self.frames(p)).collect();
                    self.services
                        .pacer
                        .play(self.media.stream, frames, looped, self.play_token);
                }
                IvrCommand::StopPlayback => {
                    self.play_token += 1;
                    self.services.pacer.stop(self.media.stream);
                }
                IvrCommand::QueryCapacity => {
                    let mut available = self.services.capacity.available();
                    if let (true, Some(limit)) = (available, self.services.settings.max_expected_wait) {
                        let expected = self.services.acd.expected_wait().await;
                        if expected.is_none_or(|wait| wait > limit) {
                            info!(?expected, ?limit, "the expected wait is over the limit: busy");
                            available = false;
                        }
                    }
                    follow_up.push_back(IvrEvent::Capacity {
                        available,
                        now: instant_now(),
                    });
                }
                IvrCommand::Enqueue { queue, lang } => {
                    info!(queue, %lang, "waiting in the queue");
                    self.queue_place = Some(self.services.capacity.take_queue_place());
                    let (tx, rx) = mpsc::channel(32);
                    self.acd = Some(rx);
                    let info = CallInfo {
                        caller: self.caller.clone(),
                        lang,
                        queue,
                        path: self.path.join(" → "),
                    };
                    self.services.acd.enqueue(&self.record.id, info, false, tx).await;
                }
                IvrCommand::LeaveQueue => {
                    self.queue_place = None;
                    self.acd = None;
                    self.services.acd.call_gone(&self.record.id).await;
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
                    let (kind, detail) = cdr::from_step(&step);
                    // One log line per state change, with the call id from the span; the
                    // detail carries no personal data (language, reason, queue name).
                    info!(step = kind, detail = %detail, "call step");
                    self.path.push(if detail.is_empty() {
                        kind.to_string()
                    } else {
                        format!("{kind} {detail}")
                    });
                    self.record.step(kind, detail);
                }
            }
        }
        None
    }

    /// The frames of a prompt in the call's law; a prompt missing in a language falls back to the
    /// configured fallback language (then Japanese), is logged and counted, never silence.
    fn frames(&self, prompt: &PromptPlay) -> Option<Arc<[Bytes]>> {
        let store = &self.services.prompts;
        let law = self.media.law;
        if let Some(p) = store.get(prompt.lang, &prompt.id) {
            return Some(p.frames(law));
        }
        self.services
            .prompt_fallbacks
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        for fallback in [self.services.settings.prompt_fallback, Lang::Ja] {
            if let Some(p) = store.get(fallback, &prompt.id) {
                warn!(prompt = %prompt.id, lang = %prompt.lang, %fallback, "prompt missing in this language: fallback");
                return Some(p.frames(law));
            }
        }
        warn!(prompt = %prompt.id, lang = %prompt.lang, "prompt missing in every language");
        None
    }
}
