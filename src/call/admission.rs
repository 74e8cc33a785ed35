//! Whether a new INVITE becomes a call. A call must not run without its record, so while the
//! journal is behind (the database slower than the calls' rows) new calls are turned away with
//! 503 and Retry-After, where it costs least and the carrier can try another route; so are
//! calls that arrive while the service stops. Each one turned away still gets a record (its
//! row and one step), so that "received" counts it and, in hours, the answer rate does too.

use std::sync::atomic::Ordering;

use tracing::warn;

use super::CallServices;
use super::steps::{CallSteps, new_call_id, now};
use crate::calendar;
use crate::journal::{NewCall, ShedReason, Step};
use crate::sip::{Admission, TurnedAway};

/// How long a carrier should wait before offering a call again while the journal catches up.
const JOURNAL_RETRY_AFTER: u32 = 5;
/// ... and while the service stops (another node, or this one restarted, will take it).
const DRAINING_RETRY_AFTER: u32 = 60;

impl CallServices {
    /// From now on new calls are turned away (the service is stopping).
    pub fn drain(&self) {
        self.draining.store(true, Ordering::Relaxed);
    }
}

impl Admission for CallServices {
    fn refuse(&self) -> Option<(ShedReason, u32)> {
        if self.draining.load(Ordering::Relaxed) {
            return Some((ShedReason::Draining, DRAINING_RETRY_AFTER));
        }
        if self.journal.is_behind() {
            return Some((ShedReason::Journal, JOURNAL_RETRY_AFTER));
        }
        None
    }

    fn turned_away(&self, call: TurnedAway) {
        let shed = self.shed.fetch_add(1, Ordering::Relaxed) + 1;
        if shed.is_power_of_two() {
            warn!(shed, why = %call.why, pending = self.journal.pending(), "new calls turned away with 503");
        }
        let (started, stamp) = now();
        let local = calendar::tokyo_time(stamp);
        let in_hours = self
            .calendars
            .get(&self.settings.sla_calendar)
            .is_some_and(|c| c.status(local).is_open());
        let line = self.settings.line_of(&call.dialed);
        let steps = CallSteps::open(
            &self.journal,
            NewCall {
                id: new_call_id(stamp),
                sip_call_id: call.sip_call_id,
                arrived_at: stamp.to_string(),
                service_date: local.date().to_string(),
                in_hours,
                caller: call.caller,
                dialed: call.dialed,
                line,
                trunk_peer: call.peer.to_string(),
                transport: call.transport.to_string(),
            },
            started,
        );
        steps.step(Step::Shed { why: call.why });
    }
}
