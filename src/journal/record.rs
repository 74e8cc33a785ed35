//! A call's record: the row written at its first INVITE, its timed steps, and the whole record
//! as reports and the floor read it.

use super::names::named_enum;
use super::step::Step;
use crate::pii::PhoneNumber;

named_enum! {
    /// Which line a call came in on (CC-LINE), or `outbound` for a call-back.
    pub enum Line("line") {
        TollFree = "toll-free",
        Fallback = "fallback",
        /// A dialled number that is neither of ours (a carrier's test call, a misroute).
        Other = "other",
        /// A call-back an agent placed: left out of the answer rate.
        Outbound = "outbound",
    }
}

/// A call as it arrived (or as a call-back started).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCall {
    pub id: String,
    pub sip_call_id: String,
    /// RFC 3339, UTC.
    pub arrived_at: String,
    /// The Tokyo date the call belongs to (YYYY-MM-DD).
    pub service_date: String,
    /// Whether the center was open when the call arrived (by the calendars the call started
    /// with: a later correction of the calendar does not move past calls).
    pub in_hours: bool,
    /// The caller's number (a call-back: our caller id), kept for call-backs and the history.
    pub caller: PhoneNumber,
    /// The number dialled: one of ours, or the resident's for a call-back.
    pub dialed: PhoneNumber,
    pub line: Line,
    pub trunk_peer: String,
    pub transport: String,
}

/// One step with its time, as it is appended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRow {
    pub call_id: String,
    pub step: TimedStep,
}

/// A step and when it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimedStep {
    /// RFC 3339, UTC.
    pub at: String,
    /// Milliseconds since the call arrived.
    pub offset_ms: i64,
    pub step: Step,
}

/// A call with its steps, as reports read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    pub id: String,
    pub arrived_at: String,
    pub in_hours: bool,
    pub line: Line,
    pub steps: Vec<TimedStep>,
}

impl CallRecord {
    /// The first step that matches.
    pub fn first(&self, matches: impl Fn(&Step) -> bool) -> Option<&TimedStep> {
        self.steps.iter().find(|s| matches(&s.step))
    }

    pub fn has(&self, matches: impl Fn(&Step) -> bool) -> bool {
        self.first(matches).is_some()
    }

    /// The agent who answered first, if one did.
    pub fn answered_by(&self) -> Option<&str> {
        self.steps.iter().find_map(|s| match &s.step {
            Step::AgentAnswered { agent } => Some(agent.as_str()),
            _ => None,
        })
    }

    /// The steps as `kind` or `kind:detail` labels.
    pub fn labels(&self) -> Vec<String> {
        self.steps.iter().map(|s| s.step.label()).collect()
    }
}
