//! Calls: one task per call owns its state and drives the IVR over its SIP leg and media.
//!
//! - [`task`]: the per-call task.
//! - [`capacity`]: lines and queue places in use, for the busy check.
//! - [`recorder`]: writes call records in the background.
//! - [`bridge`]: a call bridged to an agent's softphone, and the recorder tap.

pub mod bridge;
pub mod capacity;
pub mod recorder;
pub mod task;

use std::net::IpAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::sync::mpsc;

use crate::acd::service::Acd;
use crate::calendar::CalendarSet;
use crate::ivr::Flow;
use crate::lang::Lang;
use crate::media::pacer::Pacer;
use crate::media::prompts::PromptStore;
use crate::media::rtp_session::{PortRange, ReceiveStats};
use crate::sip::InboundCall;
use capacity::Capacity;
use recorder::Recorder;

/// Settings the call tasks read.
#[derive(Debug, Clone)]
pub struct CallSettings {
    /// The address RTP sockets bind to and the SDP announces.
    pub media_ip: IpAddr,
    pub media_timeout: Duration,
    /// Where RTP may be sent; `None`: wherever the offer says.
    pub rtp_peers: Option<crate::sip::PeerAllowList>,
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
}

impl CallSettings {
    /// Which line a dialed number is.
    pub fn line_of(&self, dialed: &str) -> &'static str {
        if self.toll_free_numbers.iter().any(|n| n == dialed) {
            "toll-free"
        } else if self.fallback_numbers.iter().any(|n| n == dialed) {
            "fallback"
        } else {
            "other"
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
    pub recorder: Recorder,
    pub rtp_stats: Arc<ReceiveStats>,
    /// Prompts played in the fallback language because the caller's was missing.
    pub prompt_fallbacks: std::sync::atomic::AtomicU64,
    pub acd: Acd,
}

impl CallServices {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        settings: CallSettings,
        calendars: Arc<CalendarSet>,
        prompts: Arc<PromptStore>,
        flow: Arc<Flow>,
        pacer: Pacer,
        ports: PortRange,
        capacity: Arc<Capacity>,
        recorder: Recorder,
        acd: Acd,
    ) -> CallServices {
        CallServices {
            settings,
            calendars,
            prompts,
            flow: RwLock::new(flow),
            pacer,
            ports,
            capacity,
            recorder,
            rtp_stats: Arc::default(),
            prompt_fallbacks: Default::default(),
            acd,
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
}

/// Starts a task for every call that arrives, until the channel closes.
pub async fn accept_calls(
    services: Arc<CallServices>,
    mut calls: mpsc::Receiver<InboundCall>,
    tracker: tokio_util::task::TaskTracker,
) {
    while let Some(call) = calls.recv().await {
        tracker.spawn(task::run(Arc::clone(&services), call));
    }
}
