//! One call-back: the agent's softphone asks for a number, this task places the call through
//! the trunk and carries it with the same plumbing as an inbound call (the trunk leg, the
//! call's steps, the agent link with its bridge, hold and mute, the prompts with their
//! fallback). It has a call record like any call (line `outbound`), which the answer rate
//! leaves out. The number is personal data: it reaches the store and the agent's page only.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tracing::{Instrument, info, warn};

use super::CallServices;
use super::agent_link::AgentLink;
use super::prompting;
use super::steps::{CallSteps, new_call_id, now};
use crate::calendar;
use crate::ivr::PromptPlay;
use crate::journal::{EndCause, Line, NewCall, OutboundFailure, Side, Step};
use crate::lang::Lang;
use crate::media::g711::Law;
use crate::media::leg::MediaLeg;
use crate::media::pacer::PacerEvent;
use crate::media::rtp_session::MediaEvent;
use crate::pii::PhoneNumber;
use crate::sip::dialer::{DialError, Dialer};
use crate::sip::sdp::{Direction, Negotiated, negotiate, parse_offer, render_answer};
use crate::sip::{EndReason, LegEvent};

/// How long a call-back may ring before we give up.
const RING_LIMIT: Duration = Duration::from_secs(60);

/// What the agent does to the call-back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    HangUp,
    Hold(bool),
    Mute(bool),
}

/// How a call-back ended, as the agent's page is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallBackEnd {
    /// The agent cancelled it while it rang.
    Cancelled,
    NoAnswer,
    /// The other side or the carrier refused it (busy, unavailable…).
    Refused,
    /// It could not be placed at all.
    NotPlaced,
    NoMediaPort,
    /// The answer's audio was not usable.
    BadAudio,
    AgentHungUp,
    CalleeHungUp,
    MediaLost,
}

/// What the call-back tells the agent's softphone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    Dialing { call: String, number: PhoneNumber },
    Connected { call: String },
    Ended { call: String, why: CallBackEnd },
}

pub struct CallBack {
    pub agent: String,
    pub number: PhoneNumber,
    /// The resident's language (the hold audio is played in it).
    pub lang: Lang,
    /// The agent's audio leg.
    pub leg: Arc<dyn MediaLeg>,
    pub control: mpsc::Receiver<Control>,
    pub notices: mpsc::Sender<Notice>,
}

pub async fn run(services: Arc<CallServices>, dialer: Dialer, call: CallBack) {
    let (started, stamp) = now();
    let id = new_call_id(stamp);
    let span = tracing::info_span!("call", call_id = %id, outbound = true);
    let steps = CallSteps::open(
        &services.journal,
        NewCall {
            id: id.clone(),
            sip_call_id: String::new(),
            arrived_at: stamp.to_string(),
            service_date: calendar::tokyo_time(stamp).date().to_string(),
            in_hours: false,
            caller: PhoneNumber::from(dialer.settings.caller_id.clone()),
            dialed: call.number.clone(),
            line: Line::Outbound,
            trunk_peer: dialer.settings.trunk.to_string(),
            transport: "udp".to_string(),
        },
        started,
    );
    let notices = call.notices.clone();
    let (why, cause, side) = place(&services, &dialer, &steps, call).instrument(span).await;
    steps.step(Step::Ended { cause, side });
    let _ = notices.send(Notice::Ended { call: id, why }).await;
}

/// Places and carries the call; returns how it ended, for the page and for the record.
async fn place(
    services: &Arc<CallServices>,
    dialer: &Dialer,
    steps: &CallSteps,
    mut call: CallBack,
) -> (CallBackEnd, EndCause, Side) {
    let id = steps.id.clone();
    steps.step(Step::Dialing {
        agent: call.agent.clone(),
    });
    let _ = call
        .notices
        .send(Notice::Dialing {
            call: id.clone(),
            number: call.number.clone(),
        })
        .await;
    let socket = match services.ports.bind(services.settings.media_ip).await {
        Ok(socket) => Arc::new(socket),
        Err(e) => {
            warn!(error = %e, "no RTP port for a call-back");
            return (CallBackEnd::NoMediaPort, EndCause::NoPort, Side::Center);
        }
    };
    let Ok(local) = socket.local_addr() else {
        return (CallBackEnd::NoMediaPort, EndCause::NoPort, Side::Center);
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
                // Dropping the INVITE's future CANCELs it.
                Some(Control::HangUp) | None => return (CallBackEnd::Cancelled, EndCause::AgentCancel, Side::Agent),
                // Hold or mute while it rings: nothing to hold yet; the call goes on ringing.
                Some(Control::Hold(_) | Control::Mute(_)) => {}
            },
        }
    };
    let mut leg = match answered {
        Ok(Ok(leg)) => leg,
        Ok(Err(e)) => {
            // The error's text may quote the number: only its kind is logged and kept.
            let (why, failure) = match e {
                DialError::Refused { code } => (CallBackEnd::Refused, OutboundFailure::Refused(code)),
                DialError::NoAnswer => (CallBackEnd::NoAnswer, OutboundFailure::NoAnswer),
                DialError::Stack(_) => (CallBackEnd::NotPlaced, OutboundFailure::NotPlaced),
            };
            info!(?failure, "the call-back was not answered");
            steps.step(Step::OutboundFailed { why: failure });
            return (why, EndCause::NotAnswered, Side::Callee);
        }
        Err(_) => {
            steps.step(Step::OutboundFailed {
                why: OutboundFailure::NoAnswer,
            });
            return (CallBackEnd::NoAnswer, EndCause::NotAnswered, Side::Callee);
        }
    };
    let (answer, negotiated) = match parse_offer(&leg.answer).and_then(|answer| {
        let negotiated = negotiate(&answer, &[Law::Ulaw, Law::Alaw])?;
        Ok((answer, negotiated))
    }) {
        Ok(pair) => pair,
        Err(e) => {
            warn!(error = %e, "the callee's SDP answer is not usable: hanging up");
            leg.leg.hang_up().await;
            return (CallBackEnd::BadAudio, EndCause::BadSdp, Side::Center);
        }
    };
    if !services.settings.media_allowed(answer.remote) {
        warn!("the callee's answer names a media address that is not an allowed RTP peer: hanging up");
        leg.leg.hang_up().await;
        return (CallBackEnd::BadAudio, EndCause::BadSdp, Side::Center);
    }
    steps.step(Step::OutboundAnswered {
        agent: call.agent.clone(),
    });
    let (trunk, mut events) = services.start_trunk_leg(socket, answer.remote, &negotiated, true);
    // The resident hears that the call is recorded before the agent is put through, in
    // Japanese (the resident's language may be unknown); hanging up meanwhile ends the call.
    if services.recorder.is_some() {
        let notice = PromptPlay {
            id: RECORDING_NOTICE.to_string(),
            lang: Lang::Ja,
        };
        let frames = prompting::all_frames(services, std::slice::from_ref(&notice), trunk.law());
        if !frames.is_empty() {
            let token = trunk.play(frames, false);
            let deadline = tokio::time::sleep(NOTICE_LIMIT);
            tokio::pin!(deadline);
            loop {
                tokio::select! {
                    played = events.pacer.recv() => match played {
                        Some(PacerEvent::PromptFinished { token: done }) if done != token => {}
                        _ => break,
                    },
                    _ = &mut deadline => break,
                    event = leg.events.recv() => match event {
                        Some(LegEvent::Ended(_)) | None => {
                            trunk.close();
                            return (CallBackEnd::CalleeHungUp, EndCause::CalleeBye, Side::Callee);
                        }
                        Some(LegEvent::NewOffer { reply, .. }) => reply.refuse().await,
                        Some(_) => {}
                    },
                }
            }
        }
    }
    let mut link = AgentLink::new(services.recorder.clone());
    link.connect(
        steps,
        call.agent.clone(),
        Arc::clone(&trunk) as Arc<dyn MediaLeg>,
        Arc::clone(&call.leg),
    );
    let _ = call.notices.send(Notice::Connected { call: id.clone() }).await;
    let hold_audio = PromptPlay {
        id: services.settings.hold_prompt.clone(),
        lang: call.lang,
    };
    let ended = loop {
        tokio::select! {
            event = leg.events.recv() => match event {
                Some(LegEvent::Ended(reason)) => {
                    break if reason == EndReason::WeHungUp {
                        (CallBackEnd::AgentHungUp, EndCause::CenterBye, Side::Agent)
                    } else {
                        (CallBackEnd::CalleeHungUp, EndCause::CalleeBye, Side::Callee)
                    };
                }
                // A call-back keeps the media it was answered with (no re-INVITE moves it).
                Some(LegEvent::NewOffer { reply, .. }) => reply.refuse().await,
                Some(_) => {}
                None => break (CallBackEnd::CalleeHungUp, EndCause::Other, Side::Unknown),
            },
            media_event = events.media.recv() => {
                if matches!(media_event, Some(MediaEvent::Silent)) && !link.is_held() {
                    info!("no RTP from the callee: hanging up");
                    leg.leg.hang_up().await;
                    break (CallBackEnd::MediaLost, EndCause::MediaTimeout, Side::Center);
                }
            }
            control = call.control.recv() => match control {
                Some(Control::HangUp) | None => {
                    leg.leg.hang_up().await;
                    break (CallBackEnd::AgentHungUp, EndCause::CenterBye, Side::Agent);
                }
                Some(Control::Hold(on)) => {
                    if link.hold(steps, on) {
                        if on {
                            let frames = prompting::all_frames(services, std::slice::from_ref(&hold_audio), trunk.law());
                            trunk.play(frames, true);
                        } else {
                            trunk.stop_playback();
                        }
                    }
                }
                Some(Control::Mute(on)) => link.mute(on),
            },
        }
    };
    link.finish(steps, Some(call.lang));
    trunk.close();
    ended
}

/// The prompt that tells a resident the call is recorded.
const RECORDING_NOTICE: &str = "recording_notice";
/// The longest the notice may take before the agent is put through anyway.
const NOTICE_LIMIT: Duration = Duration::from_secs(15);
