//! Calls: one task per call owns its state. Inbound calls and call-backs share one set of call
//! plumbing: the trunk leg, the journal of the call's steps, the prompts, and the link to an
//! agent (bridge, hold, mute).
//!
//! - [`inbound`]: the task of a call from the trunk, driving the IVR runner.
//! - [`callback`]: the task of a call-back an agent places through the trunk.
//! - [`admission`]: whether a new INVITE becomes a call, and the record of one turned away.
//! - [`steps`]: a call's steps, timed and appended to the journal.
//! - [`agent_link`]: the call's link to the agent who took it (bridge, hold, mute, tap).
//! - [`prompting`]: prompts to frames, with the fallback language.
//! - [`capacity`]: lines and queue places in use, for the busy check.

pub mod admission;
pub mod agent_link;
pub mod callback;
pub mod capacity;
pub mod inbound;
pub mod prompting;
pub mod steps;

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use crate::acd::service::Acd;
use crate::calendar::CalendarSet;
use crate::ivr::Flow;
use crate::journal::Line;
use crate::lang::Lang;
use crate::media::agent_legs::AgentLegs;
use crate::media::pacer::Pacer;
use crate::media::prompts::PromptStore;
use crate::media::rtp_session::{PortRange, ReceiveStats};
use crate::media::trunk_leg::{TrunkEvents, TrunkLeg, TrunkSpec};
use crate::pii::PhoneNumber;
use crate::recording::Recorder;
use crate::sip::InboundCall;
use crate::sip::sdp::Negotiated;
use crate::store::journal::Journal;
use capacity::Capacity;

/// Settings the call tasks read.
#[derive(Debug, Clone)]
pub struct CallSettings {
    /// The address RTP sockets bind to and the SDP announces.
    pub media_ip: IpAddr,
    pub media_timeout: Duration,
    /// Where RTP may be sent (by default the trunk peers' networks): an offer or answer that
    /// names another media address is refused, so a forged INVITE cannot aim the IVR's audio
    /// at a third party.
    pub rtp_peers: crate::sip::PeerAllowList,
    /// The calendar that decides whether a call arrived in hours (for the answer rate).
    pub sla_calendar: String,
    pub default_lang: Lang,
    /// The language a prompt missing in the caller's language is played in.
    pub prompt_fallback: Lang,
    /// How long the call rings (180) before the IVR answers; 0 answers at once.
    pub answer_delay: Duration,
    /// Dialed numbers of the toll-free line and of the fallback line (CC-LINE).
    pub toll_free_numbers: Vec<String>,
    pub fallback_numbers: Vec<String>,
    /// Turn new callers away when their expected wait would exceed this.
    pub max_expected_wait: Option<Duration>,
    /// What a resident on hold during a call-back hears (the queue's hold audio).
    pub hold_prompt: String,
}

impl CallSettings {
    /// Whether media may go to the address an offer or answer names (none: on hold).
    pub fn media_allowed(&self, remote: Option<std::net::SocketAddr>) -> bool {
        remote.is_none_or(|r| self.rtp_peers.allows(r.ip()))
    }

    /// Which line a dialed number is.
    pub fn line_of(&self, dialed: &PhoneNumber) -> Line {
        let dialed = dialed.expose();
        if self.toll_free_numbers.iter().any(|n| n == dialed) {
            Line::TollFree
        } else if self.fallback_numbers.iter().any(|n| n == dialed) {
            Line::Fallback
        } else {
            Line::Other
        }
    }
}

/// What every call task shares. Each part has one owner task or is read-only; nothing here is
/// a lock around "all calls".
pub struct CallServices {
    pub settings: CallSettings,
    pub calendars: Arc<CalendarSet>,
    pub prompts: Arc<PromptStore>,
    flow: RwLock<Arc<Flow>>,
    pub pacer: Pacer,
    pub ports: PortRange,
    pub capacity: Arc<Capacity>,
    pub journal: Journal,
    pub rtp_stats: Arc<ReceiveStats>,
    /// Prompts played in the fallback language because the caller's was missing.
    pub prompt_fallbacks: AtomicU64,
    pub acd: Acd,
    /// The agents' audio legs, for the call an agent answers.
    pub agent_legs: Arc<AgentLegs>,
    /// Records conversations with agents (none when `[recording] enabled = false`).
    pub recorder: Option<Arc<Recorder>>,
    /// Set when the service stops: new calls are turned away.
    draining: AtomicBool,
    /// New calls turned away at the door (503), by any reason.
    pub shed: AtomicU64,
}

/// The parts a center's calls need, for [`CallServices::new`].
pub struct CallParts {
    pub settings: CallSettings,
    pub calendars: Arc<CalendarSet>,
    pub prompts: Arc<PromptStore>,
    pub flow: Arc<Flow>,
    pub pacer: Pacer,
    pub ports: PortRange,
    pub capacity: Arc<Capacity>,
    pub journal: Journal,
    pub acd: Acd,
    pub agent_legs: Arc<AgentLegs>,
    pub recorder: Option<Arc<Recorder>>,
}

impl CallServices {
    pub fn new(parts: CallParts) -> CallServices {
        CallServices {
            settings: parts.settings,
            calendars: parts.calendars,
            prompts: parts.prompts,
            flow: RwLock::new(parts.flow),
            pacer: parts.pacer,
            ports: parts.ports,
            capacity: parts.capacity,
            journal: parts.journal,
            rtp_stats: Arc::default(),
            prompt_fallbacks: AtomicU64::default(),
            acd: parts.acd,
            agent_legs: parts.agent_legs,
            recorder: parts.recorder,
            draining: AtomicBool::new(false),
            shed: AtomicU64::default(),
        }
    }

    /// The flow new calls start on (calls in progress keep the one they started with).
    pub fn flow(&self) -> Arc<Flow> {
        Arc::clone(&self.flow.read().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }

    /// Replaces the flow for new calls (after a reload that validated).
    pub fn set_flow(&self, flow: Arc<Flow>) {
        *self.flow.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = flow;
    }

    /// Opens the trunk leg of a call on its RTP socket, as the offer and answer agreed.
    pub fn start_trunk_leg(
        &self,
        socket: Arc<UdpSocket>,
        remote: Option<std::net::SocketAddr>,
        negotiated: &Negotiated,
        sending: bool,
    ) -> (Arc<TrunkLeg>, TrunkEvents) {
        TrunkLeg::start(
            &self.pacer,
            TrunkSpec {
                socket,
                remote,
                law: negotiated.law,
                payload_type: negotiated.payload_type,
                telephone_event: negotiated.telephone_event,
                sending,
                media_timeout: self.settings.media_timeout,
            },
            Arc::clone(&self.rtp_stats),
        )
    }
}

/// Starts a task for every call that arrives, until the channel closes.
pub async fn accept_calls(
    services: Arc<CallServices>,
    mut calls: mpsc::Receiver<InboundCall>,
    tracker: tokio_util::task::TaskTracker,
) {
    while let Some(call) = calls.recv().await {
        tracker.spawn(inbound::run(Arc::clone(&services), call));
    }
}
