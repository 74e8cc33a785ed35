//! The daily report and the answer rate (CC-SLA: answered ≥ 85 % of incoming calls, daily).
//!
//! Definitions (each call counts in exactly one of out-of-hours, rejected, or offered):
//! - **received**: every call that reached us from a trunk peer (it has a record), those turned
//!   away at the door with 503 included. Call-backs agents place (line `outbound`) are counted
//!   apart and in no other column.
//! - **rejected**: refused before the IVR answered (no common codec, no media port).
//! - **out of hours**: arrived while the center was closed (by its calendar at arrival).
//! - **offered**: arrived in hours and not rejected, **including** callers turned away with the
//!   all-lines-busy message (or the queue giving up) and those turned away at the door with 503
//!   (**shed**: the records could not keep up, or the service was stopping): turning callers
//!   away must not raise the rate.
//! - **answered**: offered calls an agent answered.
//! - **abandoned**: offered calls whose caller hung up (while it rang, in the IVR or in the
//!   queue: ringing counts with the IVR); those who
//!   hung up within the short-abandon threshold of the IVR's answer are also shown apart
//!   (they still count as offered).
//! - **answer rate** = answered ÷ offered; the target is met when it is at least 85 %.

use serde::Serialize;

use crate::journal::{AbandonPlace, CallRecord, Line, Step};

/// The contract's target.
pub const TARGET: f64 = 0.85;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DailyReport {
    pub date: String,
    pub received: u32,
    pub rejected: u32,
    pub out_of_hours: u32,
    pub offered: u32,
    pub answered: u32,
    pub busy: u32,
    /// Turned away at the door with 503 (journal behind, overload, shutting down).
    pub shed: u32,
    pub abandoned_in_ivr: u32,
    pub abandoned_in_queue: u32,
    pub short_abandons: u32,
    pub short_abandon_seconds: u32,
    /// Offered calls that ended otherwise (transferred, menu given up, media lost).
    pub other: u32,
    /// answered ÷ offered; `None` when nothing was offered.
    pub answer_rate: Option<f64>,
    pub target: f64,
    pub meets_target: Option<bool>,
    /// Call-backs placed by agents (line `outbound`): not part of any other column.
    pub call_backs: u32,
    /// Calls by line (toll-free, fallback, other).
    pub by_line: std::collections::BTreeMap<String, u32>,
}

pub fn daily_report(date: &str, calls: &[CallRecord], short_abandon_seconds: u32) -> DailyReport {
    let mut report = DailyReport {
        date: date.to_string(),
        received: 0,
        rejected: 0,
        out_of_hours: 0,
        offered: 0,
        answered: 0,
        call_backs: 0,
        busy: 0,
        shed: 0,
        abandoned_in_ivr: 0,
        abandoned_in_queue: 0,
        short_abandons: 0,
        short_abandon_seconds,
        other: 0,
        answer_rate: None,
        target: TARGET,
        meets_target: None,
        by_line: Default::default(),
    };
    for call in calls {
        if call.line == Line::Outbound {
            report.call_backs += 1;
            continue;
        }
        report.received += 1;
        *report.by_line.entry(call.line.as_str().to_string()).or_default() += 1;
        if !call.in_hours {
            report.out_of_hours += 1;
            continue;
        }
        if call.has(|s| matches!(s, Step::Rejected { .. })) {
            report.rejected += 1;
            continue;
        }
        report.offered += 1;
        if call.has(|s| matches!(s, Step::AgentAnswered { .. })) {
            report.answered += 1;
        } else if call.has(|s| matches!(s, Step::Shed { .. })) {
            report.shed += 1;
        } else if call.has(|s| matches!(s, Step::Busy | Step::QueueTimeout)) {
            report.busy += 1;
        } else if let Some(abandon) = call.first(|s| matches!(s, Step::Abandoned { .. })) {
            match abandon.step {
                Step::Abandoned {
                    place: AbandonPlace::Queue,
                } => report.abandoned_in_queue += 1,
                _ => report.abandoned_in_ivr += 1,
            }
            let answered_at = call
                .first(|s| matches!(s, Step::IvrAnswered { .. }))
                .map_or(0, |s| s.offset_ms);
            if abandon.offset_ms - answered_at < i64::from(short_abandon_seconds) * 1000 {
                report.short_abandons += 1;
            }
        } else {
            report.other += 1;
        }
    }
    if report.offered > 0 {
        let rate = f64::from(report.answered) / f64::from(report.offered);
        report.answer_rate = Some(rate);
        report.meets_target = Some(rate >= TARGET);
    }
    report
}

impl DailyReport {
    /// The report as people read it.
    pub fn to_text(&self) -> String {
        let rate = match self.answer_rate {
            Some(rate) => format!(
                "{:.1} % ({} of {}) — target {:.0} %: {}",
                rate * 100.0,
                self.answered,
                self.offered,
                self.target * 100.0,
                if rate >= self.target { "met" } else { "NOT met" }
            ),
            None => format!("no calls offered — target {:.0} %", self.target * 100.0),
        };
        let lines: Vec<String> = self.by_line.iter().map(|(line, n)| format!("{line} {n}")).collect();
        format!(
            "Daily report {}\n\
             calls received          {}   ({})\n\
             out of hours            {}\n\
             rejected before answer  {}\n\
             offered (in hours)      {}\n\
             answered by an agent    {}\n\
             turned away (busy)      {}\n\
             turned away (503)       {}\n\
             abandoned in the IVR    {}\n\
             abandoned in the queue  {}\n\
             of which short (< {} s)  {}\n\
             other endings           {}\n\
             answer rate             {rate}\n\
             call-backs placed       {}\n",
            self.date,
            self.received,
            if lines.is_empty() {
                "no calls".to_string()
            } else {
                lines.join(", ")
            },
            self.out_of_hours,
            self.rejected,
            self.offered,
            self.answered,
            self.busy,
            self.shed,
            self.abandoned_in_ivr,
            self.abandoned_in_queue,
            self.short_abandon_seconds,
            self.short_abandons,
            self.other,
            self.call_backs,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{Codec, ShedReason, TimedStep};

    fn call(in_hours: bool, steps: &[(Step, i64)]) -> CallRecord {
        CallRecord {
            id: "c".into(),
            arrived_at: "2026-04-06T01:00:00Z".into(),
            in_hours,
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

    fn answered() -> Step {
        Step::IvrAnswered { codec: Codec::Ulaw }
    }

    #[test]
    fn busy_and_shed_calls_count_as_offered_and_out_of_hours_calls_do_not() {
        let calls = vec![
            call(
                false,
                &[
                    (Step::Arrived, 0),
                    (answered(), 10),
                    (
                        Step::Closed {
                            reason: "x".into(),
                            next_opening: None,
                        },
                        9000,
                    ),
                ],
            ),
            call(true, &[(Step::Arrived, 0), (answered(), 10), (Step::Busy, 9000)]),
            call(
                true,
                &[
                    (Step::Arrived, 0),
                    (answered(), 10),
                    (Step::AgentAnswered { agent: "tanaka".into() }, 30_000),
                ],
            ),
            call(
                true,
                &[
                    (Step::Arrived, 0),
                    (answered(), 10),
                    (
                        Step::Enqueued {
                            queue: "general".into(),
                        },
                        9000,
                    ),
                    (
                        Step::Abandoned {
                            place: AbandonPlace::Queue,
                        },
                        60_000,
                    ),
                ],
            ),
            call(
                true,
                &[
                    (Step::Arrived, 0),
                    (answered(), 10),
                    (
                        Step::Abandoned {
                            place: AbandonPlace::Ivr,
                        },
                        2_000,
                    ),
                ],
            ),
            call(true, &[(Step::Arrived, 0), (Step::Rejected { code: 488 }, 5)]),
            call(
                true,
                &[(
                    Step::Shed {
                        why: ShedReason::Journal,
                    },
                    0,
                )],
            ),
        ];
        let r = daily_report("2026-04-06", &calls, 5);
        assert_eq!((r.received, r.out_of_hours, r.rejected, r.offered), (7, 1, 1, 5));
        assert_eq!(
            (
                r.answered,
                r.busy,
                r.shed,
                r.abandoned_in_queue,
                r.abandoned_in_ivr,
                r.short_abandons
            ),
            (1, 1, 1, 1, 1, 1)
        );
        assert_eq!(r.answer_rate, Some(0.2));
        assert_eq!(r.meets_target, Some(false));
        assert!(
            r.to_text().contains("20.0 % (1 of 5) — target 85 %: NOT met"),
            "{}",
            r.to_text()
        );
    }

    #[test]
    fn no_offered_calls_means_no_rate_rather_than_zero_or_a_division_by_zero() {
        let r = daily_report("2026-04-06", &[], 5);
        assert_eq!(r.answer_rate, None);
        assert_eq!(r.meets_target, None);
        assert!(r.to_text().contains("no calls offered"));
    }
}
