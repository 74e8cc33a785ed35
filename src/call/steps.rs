//! A call's steps: its row written when it starts, then each step with its time, appended to
//! the journal (which never makes the call wait and never drops a row to keep up).

use std::time::Instant;

use jiff::Timestamp;
use tracing::debug;

use crate::journal::{CallId, NewCall, Step, StepRow, TimedStep};
use crate::store::journal::Journal;

/// A call's id and clock, to append its steps.
pub struct CallSteps {
    pub id: CallId,
    started: Instant,
    journal: Journal,
}

/// The call tasks are edges: they read the clock for their records.
#[allow(clippy::disallowed_methods)]
pub(crate) fn now() -> (Instant, Timestamp) {
    (Instant::now(), Timestamp::now())
}

/// A new call id: the time in milliseconds and a random part, in hex.
pub fn new_call_id(at: Timestamp) -> CallId {
    format!("{:x}-{:08x}", at.as_millisecond(), rand::random::<u32>())
}

impl CallSteps {
    /// Writes the call's row; its steps follow it.
    pub fn open(journal: &Journal, call: NewCall, started: Instant) -> CallSteps {
        let id = call.id.clone();
        journal.call(call);
        CallSteps {
            id,
            started,
            journal: journal.clone(),
        }
    }

    pub fn step(&self, step: Step) {
        let (at, stamp) = now();
        let offset_ms = i64::try_from(at.saturating_duration_since(self.started).as_millis()).unwrap_or(i64::MAX);
        // Steps carry no personal data (agents' names, queues, reasons, codes).
        debug!(step = %step.label(), "call step");
        self.journal.step(StepRow {
            call_id: self.id.clone(),
            step: TimedStep {
                at: stamp.to_string(),
                offset_ms,
                step,
            },
        });
    }
}
