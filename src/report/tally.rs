//! Counts that add up: a [`Tally`] of calls (by the definition in [`super::outcome`]) and the
//! agents' [`Presence`]. Tallies of intervals add up to the day's, days to the month's; the
//! rates are computed from the sums, never averaged.
//!
//! - **answer rate** = answered ÷ offered (the contract's figure, target 85 %).
//! - **service level** = answered within the service-level seconds of their wait ÷ offered.
//! - **average speed of answer** (ASA) = total wait of answered calls ÷ answered.
//! - **average handling time** (AHT) = (talk + wrap-up) ÷ calls handled, from the agents' event
//!   log: talk is the time an agent was on the call (hold included, and shown apart), wrap-up
//!   the after-call work that followed it. The queue's expected wait uses the same sum.
//! - **occupancy** = (talk + wrap-up) ÷ (talk + wrap-up + ready + ringing): the share of the
//!   time agents were available that they spent on calls.

use serde::Serialize;

use super::outcome::{Fate, Outcome, Place};

/// Calls counted by what became of them, with their times.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub received: u32,
    pub out_of_hours: u32,
    pub rejected: u32,
    pub offered: u32,
    pub answered: u32,
    pub answered_within_target: u32,
    pub busy: u32,
    pub shed: u32,
    pub transferred_away: u32,
    pub abandoned_in_ivr: u32,
    pub abandoned_in_queue: u32,
    pub short_abandons: u32,
    pub other: u32,
    pub call_backs: u32,
    /// Sum of the answered calls' waits.
    pub answer_wait_ms: u64,
    /// Answered calls whose handling the agents' event log holds.
    pub handled: u32,
    pub talk_ms: u64,
    pub hold_ms: u64,
    pub wrap_ms: u64,
}

/// A call's handling, from the agents' event log and its hold steps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Handling {
    pub talk_ms: u64,
    pub hold_ms: u64,
    pub wrap_ms: u64,
}

impl Tally {
    /// Counts one call. `target_ms` is the service level's threshold.
    /// Only an answered call's handling counts: a call-back's talk is the agent's time
    /// (occupancy), not the handling time the queue's callers wait behind.
    pub fn count(&mut self, outcome: Outcome, handling: Option<Handling>, target_ms: u64) {
        if let (Outcome::Offered(Fate::Answered { .. }), Some(h)) = (outcome, handling) {
            self.handled += 1;
            self.talk_ms += h.talk_ms;
            self.hold_ms += h.hold_ms;
            self.wrap_ms += h.wrap_ms;
        }
        let fate = match outcome {
            Outcome::CallBack => {
                self.call_backs += 1;
                return;
            }
            Outcome::OutOfHours => {
                self.received += 1;
                self.out_of_hours += 1;
                return;
            }
            Outcome::Rejected => {
                self.received += 1;
                self.rejected += 1;
                return;
            }
            Outcome::Offered(fate) => fate,
        };
        self.received += 1;
        self.offered += 1;
        match fate {
            Fate::Answered { wait_ms } => {
                let wait_ms = wait_ms.max(0) as u64;
                self.answered += 1;
                self.answer_wait_ms += wait_ms;
                if wait_ms <= target_ms {
                    self.answered_within_target += 1;
                }
            }
            Fate::Shed => self.shed += 1,
            Fate::Busy => self.busy += 1,
            Fate::TransferredAway => self.transferred_away += 1,
            Fate::Abandoned { place, short } => {
                match place {
                    Place::Ivr => self.abandoned_in_ivr += 1,
                    Place::Queue => self.abandoned_in_queue += 1,
                }
                if short {
                    self.short_abandons += 1;
                }
            }
            Fate::Other => self.other += 1,
        }
    }

    pub fn add(&mut self, other: &Tally) {
        let Tally {
            received,
            out_of_hours,
            rejected,
            offered,
            answered,
            answered_within_target,
            busy,
            shed,
            transferred_away,
            abandoned_in_ivr,
            abandoned_in_queue,
            short_abandons,
            other: other_endings,
            call_backs,
            answer_wait_ms,
            handled,
            talk_ms,
            hold_ms,
            wrap_ms,
        } = *other;
        self.received += received;
        self.out_of_hours += out_of_hours;
        self.rejected += rejected;
        self.offered += offered;
        self.answered += answered;
        self.answered_within_target += answered_within_target;
        self.busy += busy;
        self.shed += shed;
        self.transferred_away += transferred_away;
        self.abandoned_in_ivr += abandoned_in_ivr;
        self.abandoned_in_queue += abandoned_in_queue;
        self.short_abandons += short_abandons;
        self.other += other_endings;
        self.call_backs += call_backs;
        self.answer_wait_ms += answer_wait_ms;
        self.handled += handled;
        self.talk_ms += talk_ms;
        self.hold_ms += hold_ms;
        self.wrap_ms += wrap_ms;
    }

    pub fn abandoned(&self) -> u32 {
        self.abandoned_in_ivr + self.abandoned_in_queue
    }

    /// answered ÷ offered; `None` when nothing was offered (no rate rather than 0 %).
    pub fn answer_rate(&self) -> Option<f64> {
        ratio(self.answered.into(), self.offered.into())
    }

    pub fn service_level(&self) -> Option<f64> {
        ratio(self.answered_within_target.into(), self.offered.into())
    }

    /// Average speed of answer, seconds.
    pub fn average_speed_of_answer(&self) -> Option<f64> {
        ratio(self.answer_wait_ms as f64 / 1000.0, self.answered.into())
    }

    /// Average handling time (talk + wrap-up), seconds.
    pub fn average_handling_time(&self) -> Option<f64> {
        ratio((self.talk_ms + self.wrap_ms) as f64 / 1000.0, self.handled.into())
    }
}

fn ratio(part: f64, whole: f64) -> Option<f64> {
    (whole > 0.0).then(|| part / whole)
}

/// How the agents spent their logged-in time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Presence {
    /// Ready or ringing: waiting for a call.
    pub available_ms: u64,
    /// On a call (hold included).
    pub talk_ms: u64,
    pub wrap_ms: u64,
    pub not_ready_ms: u64,
}

impl Presence {
    pub fn add(&mut self, other: &Presence) {
        self.available_ms += other.available_ms;
        self.talk_ms += other.talk_ms;
        self.wrap_ms += other.wrap_ms;
        self.not_ready_ms += other.not_ready_ms;
    }

    /// (talk + wrap-up) ÷ (talk + wrap-up + available).
    pub fn occupancy(&self) -> Option<f64> {
        let busy = (self.talk_ms + self.wrap_ms) as f64;
        ratio(busy, busy + self.available_ms as f64)
    }

    pub fn logged_in_ms(&self) -> u64 {
        self.available_ms + self.talk_ms + self.wrap_ms + self.not_ready_ms
    }
}

/// A tally as the API, the CSV and the pages read it: the counts and the rates made of them.
#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    pub received: u32,
    pub out_of_hours: u32,
    pub rejected: u32,
    pub offered: u32,
    pub answered: u32,
    pub answered_within_target: u32,
    pub busy: u32,
    pub shed: u32,
    pub transferred_away: u32,
    pub abandoned: u32,
    pub abandoned_in_ivr: u32,
    pub abandoned_in_queue: u32,
    pub short_abandons: u32,
    pub other: u32,
    pub call_backs: u32,
    pub answer_rate: Option<f64>,
    pub service_level: Option<f64>,
    pub average_speed_of_answer_seconds: Option<f64>,
    pub handled: u32,
    pub talk_seconds: f64,
    pub hold_seconds: f64,
    pub wrap_seconds: f64,
    pub average_handling_seconds: Option<f64>,
}

impl From<&Tally> for Figures {
    fn from(t: &Tally) -> Figures {
        Figures {
            received: t.received,
            out_of_hours: t.out_of_hours,
            rejected: t.rejected,
            offered: t.offered,
            answered: t.answered,
            answered_within_target: t.answered_within_target,
            busy: t.busy,
            shed: t.shed,
            transferred_away: t.transferred_away,
            abandoned: t.abandoned(),
            abandoned_in_ivr: t.abandoned_in_ivr,
            abandoned_in_queue: t.abandoned_in_queue,
            short_abandons: t.short_abandons,
            other: t.other,
            call_backs: t.call_backs,
            answer_rate: t.answer_rate(),
            service_level: t.service_level(),
            average_speed_of_answer_seconds: t.average_speed_of_answer(),
            handled: t.handled,
            talk_seconds: t.talk_ms as f64 / 1000.0,
            hold_seconds: t.hold_ms as f64 / 1000.0,
            wrap_seconds: t.wrap_ms as f64 / 1000.0,
            average_handling_seconds: t.average_handling_time(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_come_from_sums_and_an_empty_tally_has_none() {
        let mut a = Tally::default();
        a.count(Outcome::Offered(Fate::Answered { wait_ms: 10_000 }), None, 20_000);
        a.count(Outcome::Offered(Fate::Busy), None, 20_000);
        let mut b = Tally::default();
        b.count(Outcome::Offered(Fate::Answered { wait_ms: 40_000 }), None, 20_000);
        b.count(Outcome::OutOfHours, None, 20_000);
        let mut day = Tally::default();
        day.add(&a);
        day.add(&b);
        assert_eq!((day.received, day.offered, day.answered), (4, 3, 2));
        assert_eq!(day.answer_rate(), Some(2.0 / 3.0));
        assert_eq!(day.service_level(), Some(1.0 / 3.0));
        assert_eq!(day.average_speed_of_answer(), Some(25.0));
        let empty = Tally::default();
        assert_eq!(
            (
                empty.answer_rate(),
                empty.service_level(),
                empty.average_handling_time()
            ),
            (None, None, None)
        );
        assert_eq!(Presence::default().occupancy(), None);
    }
}
