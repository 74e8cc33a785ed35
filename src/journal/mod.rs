//! The journal's vocabulary: what a call's record and the agents' event log hold, typed. The
//! call task, the IVR runner and the ACD write it; the store keeps it (`store::journal` is the
//! writer, [`Step::encode`]/[`Step::decode`] the only spelling of a row); the reports and the
//! floor fold over it. Pure: no I/O, no clock.
//!
//! - [`step`]: one step of a call ([`Step`]) and its row encoding.
//! - [`record`]: the call's row, timed steps, a whole record.
//! - [`agent`]: agent states and not-ready reasons, the event log's row, the wrap-up form.

pub mod agent;
pub(crate) mod names;
pub mod record;
pub mod step;

pub use agent::{AgentEvent, AgentStateName, ChosenReason, FiledWrapUp, NotReadyReason, WrapUp};
pub use record::{CallRecord, Line, NewCall, StepRow, TimedStep};
pub use step::{AbandonPlace, Codec, EndCause, OutboundFailure, ShedReason, Side, Step};

/// Our id of a call (not the SIP Call-ID).
pub type CallId = String;
