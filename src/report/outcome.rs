//! What became of one call: the one definition every figure is counted by (the daily report,
//! the live floor, the dashboard, the monthly report).
//!
//! Each call that came in from a trunk peer is **received** and falls in exactly one of:
//! - **out of hours**: it arrived while the center was closed, by its calendar at arrival. A
//!   calendar corrected later does not move past calls: whether a call was in hours is written
//!   into its record when it arrives and never recomputed, so a report of a past day reads the
//!   same whenever it is made. A correction counts from the moment it is saved.
//! - **rejected**: refused before the IVR answered (no common codec, no media port).
//! - **offered**: arrived in hours and not rejected. An offered call then ends as exactly one of:
//!   - **answered** by an agent (the first answer counts; a transfer between agents does not make
//!     a second call);
//!   - **shed**: turned away at the door with 503 (the records could not keep up, overload,
//!     stopping);
//!   - **busy**: told that every line is busy, or the queue's longest wait passed;
//!   - **transferred away**: sent to another number by a flow's transfer node before any agent
//!     answered (e.g. to the city hall's line). Counted as offered and not answered, as busy and
//!     shed calls are: sending callers elsewhere must not raise the answer rate. Its own column
//!     shows how many the flow sends away;
//!   - **abandoned in the IVR** (ringing included) or **in the queue** (while waiting or while it
//!     rang at an agent); a **short abandon** hung up within the short-abandon threshold of the
//!     IVR's answer. Short abandons stay offered and are shown apart;
//!   - **other**: anything else (a menu given up, media lost, a call still in progress).
//!
//! Call-backs agents place (line `outbound`) are counted apart and in no other column.
//! The **wait** of an answered call runs from its entering the queue (or, without a queue,
//! from the IVR's answer) to the agent's answer: the average speed of answer and the service
//! level are measured on it.

use crate::journal::{AbandonPlace, CallRecord, Line, Step};

/// What became of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    CallBack,
    OutOfHours,
    Rejected,
    Offered(Fate),
}

/// How an offered call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    Answered { wait_ms: i64 },
    Shed,
    Busy,
    TransferredAway,
    Abandoned { place: Place, short: bool },
    Other,
}

/// Where an offered caller hung up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// While it rang or in the IVR.
    Ivr,
    Queue,
}

/// The outcome of one call by the definition above.
pub fn outcome(call: &CallRecord, short_abandon_seconds: u32) -> Outcome {
    if call.line == Line::Outbound {
        return Outcome::CallBack;
    }
    if !call.in_hours {
        return Outcome::OutOfHours;
    }
    if call.has(|s| matches!(s, Step::Rejected { .. })) {
        return Outcome::Rejected;
    }
    let ivr_answered_at = call
        .first(|s| matches!(s, Step::IvrAnswered { .. }))
        .map_or(0, |s| s.offset_ms);
    if let Some(answer) = call.first(|s| matches!(s, Step::AgentAnswered { .. })) {
        let waiting_since = call
            .first(|s| matches!(s, Step::Enqueued { .. }))
            .map_or(ivr_answered_at, |s| s.offset_ms);
        return Outcome::Offered(Fate::Answered {
            wait_ms: (answer.offset_ms - waiting_since).max(0),
        });
    }
    let fate = if call.has(|s| matches!(s, Step::Shed { .. })) {
        Fate::Shed
    } else if call.has(|s| matches!(s, Step::Busy | Step::QueueTimeout)) {
        Fate::Busy
    } else if call.has(|s| matches!(s, Step::Transferred { .. })) {
        Fate::TransferredAway
    } else if let Some(abandon) = call.first(|s| matches!(s, Step::Abandoned { .. })) {
        let place = match abandon.step {
            Step::Abandoned {
                place: AbandonPlace::Queue,
            } => Place::Queue,
            _ => Place::Ivr,
        };
        Fate::Abandoned {
            place,
            short: abandon.offset_ms - ivr_answered_at < i64::from(short_abandon_seconds) * 1000,
        }
    } else {
        Fate::Other
    };
    Outcome::Offered(fate)
}

/// How long the call was on hold, in ms (a hold still on at the end lasts until the call's last
/// step).
pub fn hold_ms(call: &CallRecord) -> i64 {
    let mut held_since = None;
    let mut total = 0;
    for step in &call.steps {
        match (&step.step, held_since) {
            (Step::Hold { on: true }, None) => held_since = Some(step.offset_ms),
            (Step::Hold { on: false }, Some(since)) => {
                total += step.offset_ms - since;
                held_since = None;
            }
            _ => {}
        }
    }
    if let (Some(since), Some(last)) = (held_since, call.steps.last()) {
        total += last.offset_ms - since;
    }
    total.max(0)
}

/// The language the caller chose, or `None` when the call never got that far.
pub fn language(call: &CallRecord) -> Option<crate::lang::Lang> {
    call.steps.iter().find_map(|s| match s.step {
        Step::Language(lang) => Some(lang),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{Codec, TimedStep};

    fn call(steps: &[(Step, i64)]) -> CallRecord {
        CallRecord {
            id: "c".into(),
            arrived_at: "2026-04-06T01:00:00Z".into(),
            in_hours: true,
            line: Line::TollFree,
            steps: steps
                .iter()
                .map(|(step, offset_ms)| TimedStep {
                    at: String::new(),
                    offset_ms: *offset_ms,
                    step: step.clone(),
                })
                .collect(),
        }
    }

    const IVR: Step = Step::IvrAnswered { codec: Codec::Ulaw };

    #[test]
    fn the_wait_runs_from_the_queue_and_a_transfer_is_its_own_column() {
        let answered = call(&[
            (IVR, 100),
            (Step::Enqueued { queue: "q".into() }, 8_000),
            (Step::AgentAnswered { agent: "a".into() }, 23_000),
            (Step::Transferred { uri: "sip:x".into() }, 60_000),
        ]);
        assert_eq!(
            outcome(&answered, 5),
            Outcome::Offered(Fate::Answered { wait_ms: 15_000 })
        );
        let sent_away = call(&[(IVR, 100), (Step::Transferred { uri: "sip:x".into() }, 9_000)]);
        assert_eq!(outcome(&sent_away, 5), Outcome::Offered(Fate::TransferredAway));
    }

    #[test]
    fn a_short_abandon_is_measured_from_the_ivr_answer() {
        let quick = call(&[
            (IVR, 1_000),
            (
                Step::Abandoned {
                    place: AbandonPlace::Ivr,
                },
                5_999,
            ),
        ]);
        let slower = call(&[
            (IVR, 1_000),
            (
                Step::Abandoned {
                    place: AbandonPlace::Queue,
                },
                6_000,
            ),
        ]);
        assert_eq!(
            outcome(&quick, 5),
            Outcome::Offered(Fate::Abandoned {
                place: Place::Ivr,
                short: true
            })
        );
        assert_eq!(
            outcome(&slower, 5),
            Outcome::Offered(Fate::Abandoned {
                place: Place::Queue,
                short: false
            })
        );
    }

    #[test]
    fn hold_time_adds_each_hold_and_one_left_on_lasts_to_the_end() {
        let held = call(&[
            (Step::AgentAnswered { agent: "a".into() }, 0),
            (Step::Hold { on: true }, 10_000),
            (Step::Hold { on: false }, 25_000),
            (Step::Hold { on: true }, 40_000),
            (
                Step::Ended {
                    cause: crate::journal::EndCause::CallerBye,
                    side: crate::journal::Side::Caller,
                },
                50_000,
            ),
        ]);
        assert_eq!(hold_ms(&held), 25_000);
    }
}
