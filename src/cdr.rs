//! The vocabulary of call detail records: the kinds of steps a call's log holds. The call
//! task writes them, the reports read them; both go through these names only.

use crate::ivr::CallStep;

pub const ARRIVED: &str = "arrived";
/// Refused before answer (no common codec, no RTP port): detail is the SIP status.
pub const REJECTED: &str = "rejected";
/// Answered by the IVR (our 200 OK).
pub const IVR_ANSWERED: &str = "ivr_answered";
pub const LANGUAGE: &str = "language";
pub const IN_HOURS: &str = "in_hours";
pub const CLOSED: &str = "closed";
pub const BUSY: &str = "busy";
pub const ENQUEUED: &str = "enqueued";
pub const QUEUE_TIMEOUT: &str = "queue_timeout";
/// Detail: `ivr` or `queue`.
pub const ABANDONED: &str = "abandoned";
/// Rang at an agent; detail: the agent.
pub const OFFERED: &str = "offered";
/// The ring ended unanswered (not answered in time, declined, the agent's browser went away).
pub const OFFER_WITHDRAWN: &str = "offer_withdrawn";
/// An agent answered; detail: the agent.
pub const AGENT_ANSWERED: &str = "agent_answered";
/// The agent left the call (browser gone, or a transfer): the caller waits again.
pub const AGENT_LEFT: &str = "agent_left";
/// The agent hung up; detail: the agent.
pub const ENDED_BY_AGENT: &str = "agent_hung_up";
/// Detail: `on` or `off`.
pub const HOLD: &str = "hold";
/// A call-back is being placed; detail: the agent.
pub const DIALING: &str = "dialing";
/// The resident answered the call-back; detail: the agent.
pub const OUTBOUND_ANSWERED: &str = "outbound_answered";
/// The call-back was not answered or refused; detail: why.
pub const OUTBOUND_FAILED: &str = "outbound_failed";
/// The `line` of call-backs (left out of the answer rate).
pub const OUTBOUND_LINE: &str = "outbound";
/// What the recorder tap saw of a bridge: `from_caller=N;from_agent=M` frames.
pub const BRIDGED_AUDIO: &str = "bridged_audio";
pub const TRANSFERRED: &str = "transferred";
pub const MENU_FAILED: &str = "menu_failed";
/// Detail: `cause;side`, e.g. `caller-bye;caller` or `flow-ended;center`.
pub const ENDED: &str = "ended";

/// The record of an IVR step: kind and detail.
pub fn from_step(step: &CallStep) -> (&'static str, String) {
    match step {
        CallStep::LanguageChosen(lang) => (LANGUAGE, lang.code().to_string()),
        CallStep::InHours => (IN_HOURS, String::new()),
        CallStep::Closed { reason, next_opening } => (
            CLOSED,
            match next_opening {
                Some(next) => format!("{reason}; opens {}", next.strftime("%Y-%m-%d %H:%M")),
                None => reason.clone(),
            },
        ),
        CallStep::Busy => (BUSY, String::new()),
        CallStep::Enqueued { queue } => (ENQUEUED, queue.clone()),
        CallStep::QueueTimeout => (QUEUE_TIMEOUT, String::new()),
        CallStep::Abandoned { in_queue } => (ABANDONED, if *in_queue { "queue" } else { "ivr" }.to_string()),
        CallStep::Transferred { uri } => (TRANSFERRED, uri.clone()),
        CallStep::MenuFailed { node } => (MENU_FAILED, node.clone()),
    }
}
