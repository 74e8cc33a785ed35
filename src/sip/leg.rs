//! One inbound call's SIP side, in our own types: accept with an SDP answer, reject, hang up,
//! and the events of its dialog (confirmed, ended and why, a digit by INFO, a new offer).
//! rsipstack's `DialogState` stops here.

use std::net::SocketAddr;
use std::sync::Arc;

use rsipstack::dialog::dialog::{DialogState, DialogStateReceiver, TerminatedReason, TransactionHandle};
use rsipstack::dialog::dialog_layer::DialogLayer;
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::sip::prelude::HeadersExt;
use rsipstack::sip::{Header, Method, StatusCode};
use tokio::sync::mpsc;

use super::sdp::{Offer, SdpError, parse_offer};
use crate::media::dtmf::{Digit, digit_from_info};
use crate::pii::PhoneNumber;

/// A new call from the trunk, not yet answered.
pub struct InboundCall {
    /// The SIP Call-ID (for correlating with the carrier; not personal data).
    pub sip_call_id: String,
    /// The caller's number as the carrier gave it.
    pub caller: PhoneNumber,
    /// The number dialed (Request-URI user part).
    pub dialed: PhoneNumber,
    /// The trunk peer the INVITE came from.
    pub peer: SocketAddr,
    pub transport: &'static str,
    pub offer: Result<Offer, SdpError>,
    /// RFC 4028: the session interval the caller asked for, when it supports timers.
    pub session_expires: Option<u32>,
    pub leg: CallLeg,
    pub events: mpsc::UnboundedReceiver<LegEvent>,
}

/// Why the dialog ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndReason {
    /// BYE from the caller.
    CallerHungUp,
    /// CANCEL before we answered.
    CallerCancelled,
    /// Our BYE completed.
    WeHungUp,
    /// We rejected the INVITE.
    Rejected,
    /// No ACK to our 200 (the stack sent a BYE).
    NoAck,
    Other(String),
}

#[derive(Debug)]
pub enum LegEvent {
    /// The caller acknowledged our answer: media may flow.
    Confirmed,
    Ended(EndReason),
    /// A digit sent by SIP INFO.
    Digit(Digit),
    /// A session refresh by UPDATE without SDP (already answered 200).
    Refreshed,
    /// A re-INVITE (hold, resume, a new address, or a refresh); it must be answered.
    NewOffer {
        offer: Result<Offer, SdpError>,
        reply: OfferReply,
    },
}

/// The pending answer to a re-INVITE or UPDATE.
#[derive(Debug)]
pub struct OfferReply {
    handle: TransactionHandle,
    with_body: bool,
}

impl OfferReply {
    /// Answers 200 with our SDP (a re-INVITE always gets one, even a refresh without offer).
    pub async fn accept(self, answer_sdp: String) {
        let _ = self
            .handle
            .respond(
                StatusCode::OK,
                Some(vec![Header::ContentType("application/sdp".into())]),
                Some(answer_sdp.into_bytes()),
            )
            .await;
    }

    /// Refuses the new offer (488); the call goes on as before.
    pub async fn refuse(self) {
        let _ = self.handle.reply(StatusCode::NotAcceptableHere).await;
    }

    /// Whether the request carried an SDP body.
    pub fn has_offer(&self) -> bool {
        self.with_body
    }
}

/// Our handle on the dialog.
#[derive(Clone)]
pub struct CallLeg {
    pub(super) dialog: InviteDialog,
    pub(super) layer: Arc<DialogLayer>,
}

impl CallLeg {
    /// 180 Ringing, before a delayed answer.
    pub fn ringing(&self) {
        let _ = self.dialog.ringing(None, None);
    }

    /// Answers 200 OK with our SDP (and the session timer we agree to, if any).
    pub fn accept(&self, answer_sdp: String, session_expires: Option<u32>) -> Result<(), String> {
        let mut headers = vec![Header::ContentType("application/sdp".into())];
        if let Some(seconds) = session_expires {
            // The caller (uac) refreshes; we only watch that refreshes come (RFC 4028 §9).
            headers.push(Header::SessionExpires(format!("{seconds};refresher=uac").into()));
            headers.push(Header::Require("timer".into()));
        }
        self.dialog
            .accept(Some(headers), Some(answer_sdp.into_bytes()))
            .map_err(|e| e.to_string())
    }

    /// Refuses the call before answering: 488 (no common codec), 503 (no capacity), ...
    pub fn reject(&self, code: u16) {
        let status = match code {
            488 => StatusCode::NotAcceptableHere,
            503 => StatusCode::ServiceUnavailable,
            486 => StatusCode::BusyHere,
            400 => StatusCode::BadRequest,
            _ => StatusCode::Other(code, "Rejected".into()),
        };
        let _ = self.dialog.reject(Some(status), None);
    }

    /// Sends BYE (after the answer) and waits for its response.
    pub async fn hang_up(&self) {
        let _ = self.dialog.bye().await;
    }

    /// Blind transfer by REFER (site failover, an external line): true when the peer took it
    /// (2xx). The caller's carrier places the new call; our leg is then hung up.
    pub async fn transfer(&self, uri: &str) -> bool {
        let refer_to = format!("<{uri}>");
        match self.dialog.refer(refer_to.as_str(), None, None).await {
            Ok(Some(response)) => response.status_code.kind() == rsipstack::sip::StatusCodeKind::Successful,
            _ => false,
        }
    }

    pub(super) fn forget(&self) {
        self.layer.remove_dialog(&self.dialog.id());
    }
}

/// Turns the dialog's state channel into [`LegEvent`]s until the dialog ends.
pub(super) async fn map_dialog_states(
    mut states: DialogStateReceiver,
    leg: CallLeg,
    events: mpsc::UnboundedSender<LegEvent>,
) {
    let mut confirmed = false;
    while let Some(state) = states.recv().await {
        match state {
            DialogState::Confirmed(..) if !confirmed => {
                // The stack says Confirmed again after every answered in-dialog request.
                confirmed = true;
                let _ = events.send(LegEvent::Confirmed);
            }
            DialogState::Info(_, request, handle) => {
                let content_type = request.header_value("Content-Type").unwrap_or_default();
                let body = String::from_utf8_lossy(&request.body);
                match digit_from_info(&content_type, &body) {
                    Some(digit) => {
                        let _ = handle.reply(StatusCode::OK).await;
                        let _ = events.send(LegEvent::Digit(digit));
                    }
                    // An INFO we do not understand: 415, as RFC 6086 asks.
                    None => {
                        let _ = handle.reply(StatusCode::UnsupportedMediaType).await;
                    }
                }
            }
            DialogState::Updated(_, request, handle) => {
                let with_body = !request.body.is_empty();
                if request.method == Method::Update && !with_body {
                    // A session refresh by UPDATE without SDP: 200, nothing changes.
                    let _ = handle.reply(StatusCode::OK).await;
                    let _ = events.send(LegEvent::Refreshed);
                    continue;
                }
                let offer = if with_body {
                    parse_offer(&request.body)
                } else {
                    Err(SdpError::NoAudio)
                };
                let _ = events.send(LegEvent::NewOffer {
                    offer,
                    reply: OfferReply { handle, with_body },
                });
            }
            DialogState::Options(_, _, handle) => {
                let _ = handle.reply(StatusCode::OK).await;
            }
            DialogState::Terminated(_, reason) => {
                let reason = match reason {
                    TerminatedReason::UacBye => EndReason::CallerHungUp,
                    TerminatedReason::UacCancel => EndReason::CallerCancelled,
                    TerminatedReason::UasBye => EndReason::WeHungUp,
                    TerminatedReason::UasDecline | TerminatedReason::UasBusy => EndReason::Rejected,
                    TerminatedReason::Timeout => EndReason::NoAck,
                    other => EndReason::Other(format!("{other:?}")),
                };
                let _ = events.send(LegEvent::Ended(reason));
                leg.forget();
                return;
            }
            _ => {}
        }
    }
}
