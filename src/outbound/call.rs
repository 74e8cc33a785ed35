//! One call-back: the agent's softphone asks for a number, this task places the call through
//! the trunk, bridges the answered call to the agent's audio (the same bridge and recorder tap
//! as inbound calls) and ends it when either side hangs up. It has a call record like any call
//! (line `outbound`), which the answer rate leaves out.

use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use tokio::sync::mpsc;
use tracing::{Instrument, info, warn};

use crate::calendar;
use crate::call::CallServices;
use crate::call::bridge::{Bridge, CallTap, CountingTap, Mode};
use crate::call::task::Media;
use crate::cdr;
use crate::lang::Lang;
use crate::media::g711::Law;
use crate::media::rtp_session::MediaEvent;
use crate::sip::dialer::Dialer;
use crate::sip::sdp::{Direction, Negotiated, negotiate, parse_offer, render_answer};
use crate::sip::{EndReason, LegEvent};
use crate::softphone::audio::AgentAudio;
use crate::store::calls::{CallEvent, NewCall};

/// How long a call-back may ring before we give up.
const RING_LIMIT: Duration = Duration::from_secs(60);

/// What the agent does to the call-back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    HangUp,
    Hold(bool),
    Mute(bool),
}

/// What the call-back tells the agent's softphone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    Dialing { call: String, number: String },
    Connected { call: String },
    Failed { call: String, why: String },
    Ended { call: String, why: &'static str },
}

/// The call-back task reads the clock for its records.
#[allow(clippy::disallowed_methods)]
fn now() -> (Instant, Timestamp) {
    (Instant::now(), Timestamp::now())
}

struct Steps {
    id: String,
    started: Instant,
    services: Arc<CallServices>,
}

impl Steps {
    fn step(&self, kind: &str, detail: impl Into<String>) {
        let (at, stamp) = now();
        self.services.recorder.event(CallEvent {
            call_id: self.id.clone(),
            at: stamp.to_string(),
            offset_ms: i64::try_from(at.saturating_duration_since(self.started).as_millis()).unwrap_or(i64::MAX),
            kind: kind.to_string(),
            detail: detail.into(),
        });
    }
}

pub struct CallBack {
    pub agent: String,
    pub number: String,
    pub audio: Arc<AgentAudio>,
    pub control: mpsc::Receiver<Control>,
    pub notices: mpsc::Sender<Notice>,
}

pub async fn run(services: Arc<CallServices>, dialer: Dialer, call: CallBack) {
    let (started, stamp) = now();
    let id = format!("{:x}-{:08x}", stamp.as_millisecond(), rand::random::<u32>());
    let span = tracing::info_span!("call", call_id = %id, outbound = true);
    let steps = Steps {
        id: id.clone(),
        started,
        services: Arc::clone(&services),
    };
    services.recorder.call(NewCall {
        id: id.clone(),
        sip_call_id: String::new(),
        arrived_at: stamp.to_string(),
        service_date: calendar::tokyo_time(stamp).date().to_string(),
        in_hours: false,
        caller: dialer.settings.caller_id.clone(),
        dialed: call.number.clone(),
        line: cdr::OUTBOUND_LINE.to_string(),
        trunk_peer: dialer.settings.trunk.to_string(),
        transport: "udp".to_string(),
    });
    let why = place(&services, &dialer, &steps, call).instrument(span).await;
    steps.step(cdr::ENDED, why);
}

/// Places and carries the call; returns the `cause;side` of its end.
async fn place(services: &Arc<CallServices>, dialer: &Dialer, steps: &Steps, mut call: CallBack) -> &'static str {
    let id = steps.id.clone();
    steps.step(cdr::DIALING, call.agent.clone());
    let _ = call
        .notices
        .send(Notice::Dialing {
            call: id.clone(),
            number: call.number.clone(),
        })
        .await;
    let fail = |why: String| Notice::Failed { call: id.clone(), why };
    let socket = match services.ports.bind(services.settings.media_ip).await {
        Ok(socket) => Arc::new(socket),
        Err(e) => {
            warn!(error = %e, "no RTP port for a call-back");
            let _ = call.notices.send(fail("no media port free".into())).await;
            return "no-port;center";
        }
    };
    let Ok(local) = socket.local_addr() else {
        let _ = call.notices.send(fail("no media port free".into())).await;
        return "no-port;center";
    };
    // PCMU only: the agent's leg is PCMU, so nothing is converted.
    let ours = Negotiated {
        law: Law::Ulaw,
        payload_type: 0,
        telephone_event: Some(101),
        direction: Direction::SendRecv,
    };
    let offer = render_answer(&ours, local, u64::from(rand::random::<u32>()), 1);
    info!("calling back");
    let invite = tokio::time::timeout(RING_LIMIT, dialer.invite(&call.number, offer));
    tokio::pin!(invite);
    let answered = loop {
        tokio::select! {
            answered = &mut invite => break answered,
            control = call.control.recv() => match control {
                Some(Control::HangUp) | None => {
                    // Dropping the INVITE's future CANCELs it.
                    let _ = call.notices.send(Notice::Ended { call: id.clone(), why: "cancelled" }).await;
                    return "agent-cancel;agent";
                }
                // Hold or mute while it rings: nothing to hold yet; the call goes on ringing.
                Some(Control::Hold(_) | Control::Mute(_)) => {}
            },
        }
    };
    let mut leg = match answered {
        Ok(Ok(leg)) => leg,
        Ok(Err(e)) => {
            info!(error = %e, "the call-back was not answered");
            steps.step(cdr::OUTBOUND_FAILED, e.to_string());
            let _ = call.notices.send(fail(e.to_string())).await;
            return "not-answered;callee";
        }
        Err(_) => {
            steps.step(cdr::OUTBOUND_FAILED, "no answer");
            let _ = call.notices.send(fail("no answer".into())).await;
            return "not-answered;callee";
        }
    };
    let negotiated = match parse_offer(&leg.answer).and_then(|answer| {
        let negotiated = negotiate(&answer, &[Law::Ulaw, Law::Alaw])?;
        Ok((answer, negotiated))
    }) {
        Ok(pair) => pair,
        Err(e) => {
            warn!(error = %e, "the callee's SDP answer is not usable: hanging up");
            leg.leg.hang_up().await;
            let _ = call
                .notices
                .send(fail("the other side's audio is not usable".into()))
                .await;
            return "bad-sdp;center";
        }
    };
    let (answer, negotiated) = negotiated;
    steps.step(cdr::OUTBOUND_ANSWERED, call.agent.clone());
    let (media, mut channels) = Media::start(services, socket, &answer, &negotiated);
    let tap = Arc::new(CountingTap::default());
    let bridge = Bridge::start(
        media.audio.clone(),
        Arc::clone(&call.audio),
        services.pacer.clone(),
        media.stream,
        media.law,
        Arc::clone(&tap) as Arc<dyn CallTap>,
    );
    let _ = call.notices.send(Notice::Connected { call: id.clone() }).await;
    let mut play_token = 0u64;
    let (why, cause) = loop {
        tokio::select! {
            event = leg.events.recv() => match event {
                Some(LegEvent::Ended(reason)) => {
                    break if reason == EndReason::WeHungUp { ("agent_hung_up", "center-bye;agent") } else { ("callee_hung_up", "callee-bye;callee") };
                }
                Some(LegEvent::NewOffer { reply, .. }) => reply.refuse().await,
                Some(_) => {}
                None => break ("callee_hung_up", "other;unknown"),
            },
            media_event = channels.events.recv() => {
                if matches!(media_event, Some(MediaEvent::Silent)) && bridge.mode() != Mode::Held {
                    info!("no RTP from the callee: hanging up");
                    leg.leg.hang_up().await;
                    break ("media_lost", "media-timeout;center");
                }
            }
            control = call.control.recv() => match control {
                Some(Control::HangUp) | None => {
                    leg.leg.hang_up().await;
                    break ("agent_hung_up", "center-bye;agent");
                }
                Some(Control::Hold(on)) => {
                    bridge.set_mode(if on { Mode::Held } else { Mode::Talking });
                    play_token += 1;
                    match (on, services.prompts.get(Lang::Ja, "hold_music")) {
                        (true, Some(music)) => services.pacer.play(media.stream, vec![music.frames(media.law)], true, play_token),
                        _ => services.pacer.stop(media.stream),
                    }
                    steps.step(cdr::HOLD, if on { "on" } else { "off" });
                }
                Some(Control::Mute(on)) => {
                    if bridge.mode() != Mode::Held {
                        bridge.set_mode(if on { Mode::Muted } else { Mode::Talking });
                    }
                }
            },
        }
    };
    bridge.stop();
    media.stop(services);
    steps.step(
        cdr::BRIDGED_AUDIO,
        format!(
            "from_caller={};from_agent={}",
            tap.from_caller.load(std::sync::atomic::Ordering::Relaxed),
            tap.from_agent.load(std::sync::atomic::Ordering::Relaxed)
        ),
    );
    let _ = call.notices.send(Notice::Ended { call: id, why }).await;
    cause
}
