//! Calls out through the trunk (agents calling residents back): an INVITE with our SDP offer
//! to the carrier's address, and the same [`CallLeg`] and [`LegEvent`]s as an inbound call
//! once answered. Dropping the future of [`Dialer::invite`] before the answer CANCELs it.

use std::net::SocketAddr;
use std::sync::Arc;

use rsipstack::dialog::dialog_layer::DialogLayer;
use rsipstack::dialog::invitation::InviteOption;
use rsipstack::sip::StatusCodeKind;
use rsipstack::sip::prelude::HeadersExt;
use rsipstack::transport::SipAddr;
use tokio::sync::mpsc;

use super::leg::{CallLeg, LegEvent, map_dialog_states};
use crate::pii::{PhoneNumber, scrub};

/// Where call-backs go and who they come from.
#[derive(Debug, Clone)]
pub struct DialerSettings {
    /// The carrier's SIP address for outgoing calls.
    pub trunk: SocketAddr,
    /// The number residents see (our toll-free or fallback number).
    pub caller_id: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DialError {
    /// The stack's error, with anything like a number masked (it may quote the URI).
    #[error("the call could not be placed: {0}")]
    Stack(String),
    #[error("the other side answered {code}")]
    Refused { code: u16 },
    #[error("no answer from the trunk")]
    NoAnswer,
}

/// An answered outgoing call.
pub struct OutboundLeg {
    pub leg: CallLeg,
    pub events: mpsc::UnboundedReceiver<LegEvent>,
    /// The callee's SDP answer.
    pub answer: Vec<u8>,
    pub sip_call_id: String,
}

#[derive(Clone)]
pub struct Dialer {
    pub(super) layer: Arc<DialogLayer>,
    pub(super) local: SocketAddr,
    pub settings: DialerSettings,
}

impl Dialer {
    /// Sends the INVITE and waits for the final answer.
    pub async fn invite(&self, number: &PhoneNumber, offer_sdp: String) -> Result<OutboundLeg, DialError> {
        let number = number.expose();
        let stack = |e: &dyn std::fmt::Display| DialError::Stack(scrub(&e.to_string()).into_owned());
        let uri = |text: String| rsipstack::sip::Uri::try_from(text.as_str()).map_err(|e| stack(&e));
        let option = InviteOption {
            caller: uri(format!("sip:{}@{}", self.settings.caller_id, self.local))?,
            callee: uri(format!("sip:{number}@{}", self.settings.trunk))?,
            destination: Some(SipAddr::from(self.settings.trunk)),
            content_type: Some("application/sdp".into()),
            offer: Some(offer_sdp.into_bytes()),
            contact: uri(format!("sip:tsunagu@{}", self.local))?,
            ..Default::default()
        };
        let (state_tx, state_rx) = self.layer.new_dialog_state_channel();
        let (dialog, response) = self.layer.do_invite(option, state_tx).await.map_err(|e| stack(&e))?;
        let Some(response) = response else {
            return Err(DialError::NoAnswer);
        };
        if response.status_code.kind() != StatusCodeKind::Successful {
            return Err(DialError::Refused {
                code: response.status_code.code(),
            });
        }
        let sip_call_id = response
            .call_id_header()
            .map(|c| c.value().to_string())
            .unwrap_or_default();
        let leg = CallLeg {
            dialog,
            layer: Arc::clone(&self.layer),
        };
        let (events_tx, events) = mpsc::unbounded_channel();
        tokio::spawn(map_dialog_states(state_rx, leg.clone(), events_tx));
        Ok(OutboundLeg {
            leg,
            events,
            answer: response.body.clone(),
            sip_call_id,
        })
    }
}
