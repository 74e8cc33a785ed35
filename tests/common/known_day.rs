//! The known day of `tests/metrics.rs` (and the dashboard's history): calls and agent events
//! of 2026-11-30 whose figures were worked out by hand, next to each call.

use jiff::civil::{Date, date};
use tsunagu::journal::{
    AbandonPlace, AgentEvent, AgentStateName, Codec, EndCause, FiledWrapUp, Line, NewCall, NotReadyReason, ShedReason,
    Side, Step, StepRow, TimedStep, WrapUp,
};
use tsunagu::lang::Lang;
use tsunagu::pii::PhoneNumber;
use tsunagu::store::journal::Journal;

pub const DAY: &str = "2026-11-30";

pub fn day() -> Date {
    date(2026, 11, 30)
}

/// `hh:mm:ss` Tokyo time on `on`, as the rows spell instants (UTC).
pub fn tokyo(on: Date, time: &str) -> String {
    let (start, _) = tsunagu::calendar::tokyo_day(on);
    let t: Vec<i64> = time.split(':').filter_map(|p| p.parse().ok()).collect();
    (start + jiff::SignedDuration::from_secs(t[0] * 3600 + t[1] * 60 + t[2])).to_string()
}

struct Call {
    id: &'static str,
    at: &'static str,
    in_hours: bool,
    line: Line,
    steps: Vec<(i64, Step)>,
}

fn ivr() -> Step {
    Step::IvrAnswered { codec: Codec::Ulaw }
}
fn lang(l: Lang) -> Step {
    Step::Language(l)
}
fn queue() -> Step {
    Step::Enqueued {
        queue: "general".into(),
    }
}
fn answered(agent: &str) -> Step {
    Step::AgentAnswered { agent: agent.into() }
}
fn hung_up(agent: &str) -> Step {
    Step::AgentHungUp { agent: agent.into() }
}
fn ended() -> Step {
    Step::Ended {
        cause: EndCause::CallerBye,
        side: Side::Caller,
    }
}

/// The day's calls (offsets in ms from arrival).
fn calls() -> Vec<Call> {
    let c = |id, at, steps| Call {
        id,
        at,
        in_hours: true,
        line: Line::TollFree,
        steps,
    };
    vec![
        // Out of hours (08:30 interval): received, not offered.
        Call {
            in_hours: false,
            ..c(
                "a01",
                "08:55:00",
                vec![
                    (0, Step::Arrived),
                    (200, ivr()),
                    (
                        1_000,
                        Step::Closed {
                            reason: "outside opening hours".into(),
                            next_opening: None,
                        },
                    ),
                    (9_000, ended()),
                ],
            )
        },
        // Answered by sato after 10 s in the queue (within 20 s), 30 s on hold.
        c(
            "a02",
            "09:00:10",
            vec![
                (200, ivr()),
                (3_000, lang(Lang::Ja)),
                (8_000, queue()),
                (9_000, Step::Offered { agent: "sato".into() }),
                (18_000, answered("sato")),
                (60_000, Step::Hold { on: true }),
                (90_000, Step::Hold { on: false }),
                (200_000, hung_up("sato")),
                (200_000, ended()),
            ],
        ),
        // Answered by suzuki after 40 s: outside the service level.
        c(
            "a03",
            "09:10:00",
            vec![
                (500, ivr()),
                (4_000, lang(Lang::En)),
                (10_000, queue()),
                (50_000, answered("suzuki")),
                (350_000, hung_up("suzuki")),
                (350_000, ended()),
            ],
        ),
        // Hung up 2.8 s after the IVR answered: a short abandon, before choosing a language.
        c(
            "a04",
            "09:20:00",
            vec![
                (200, ivr()),
                (
                    3_000,
                    Step::Abandoned {
                        place: AbandonPlace::Ivr,
                    },
                ),
                (3_000, ended()),
            ],
        ),
        // Arrived 09:29:50, gave up in the queue at 09:30:50: counts in the 09:00 interval.
        c(
            "a05",
            "09:29:50",
            vec![
                (100, ivr()),
                (3_000, lang(Lang::Ja)),
                (8_000, queue()),
                (
                    60_000,
                    Step::Abandoned {
                        place: AbandonPlace::Queue,
                    },
                ),
                (60_000, ended()),
            ],
        ),
        // All lines busy.
        c(
            "a06",
            "09:31:00",
            vec![
                (200, ivr()),
                (3_000, lang(Lang::Ja)),
                (6_000, Step::Busy),
                (20_000, ended()),
            ],
        ),
        // Turned away at the door with 503.
        c(
            "a07",
            "09:40:00",
            vec![(
                0,
                Step::Shed {
                    why: ShedReason::Journal,
                },
            )],
        ),
        // Sent to another number by the flow's transfer node.
        c(
            "a08",
            "09:45:00",
            vec![
                (200, ivr()),
                (3_000, lang(Lang::Ja)),
                (
                    12_000,
                    Step::Transferred {
                        uri: "sip:0442001111@city".into(),
                    },
                ),
                (12_500, ended()),
            ],
        ),
        // On the fallback line, answered by sato after exactly 20 s: within the service level.
        Call {
            line: Line::Fallback,
            ..c(
                "a09",
                "10:00:00",
                vec![
                    (200, ivr()),
                    (2_000, lang(Lang::Zh)),
                    (5_000, queue()),
                    (25_000, answered("sato")),
                    (125_000, hung_up("sato")),
                    (125_000, ended()),
                ],
            )
        },
        // Refused before the IVR answered.
        c(
            "a10",
            "10:05:00",
            vec![
                (0, Step::Rejected { code: 488 }),
                (
                    0,
                    Step::Ended {
                        cause: EndCause::Rejected,
                        side: Side::Center,
                    },
                ),
            ],
        ),
        // A call-back suzuki placed: in no column but its own.
        Call {
            line: Line::Outbound,
            ..c(
                "a11",
                "10:10:00",
                vec![
                    (0, Step::Dialing { agent: "suzuki".into() }),
                    (5_000, Step::OutboundAnswered { agent: "suzuki".into() }),
                    (120_000, ended()),
                ],
            )
        },
        // Arrived 23:59:30, answered 23:59:45, ended 00:00:45 the next day: the 30th's call.
        c(
            "a12",
            "23:59:30",
            vec![
                (200, ivr()),
                (2_000, lang(Lang::Ja)),
                (5_000, queue()),
                (15_000, answered("suzuki")),
                (75_000, hung_up("suzuki")),
                (75_000, ended()),
            ],
        ),
    ]
}

/// The agents' state changes (`+1` marks the next day).
fn events() -> Vec<AgentEvent> {
    use AgentStateName::*;
    let next = date(2026, 12, 1);
    let e = |agent: &str, on: Date, at: &str, state, reason, call: Option<&str>| AgentEvent {
        agent: agent.into(),
        at: tokyo(on, at),
        state,
        reason,
        call: call.map(String::from),
    };
    let d = day();
    vec![
        e("sato", d, "09:00:00", Ready, None, None),
        e("suzuki", d, "09:05:00", Ready, None, None),
        e("sato", d, "09:00:19", Offered, None, Some("a02")),
        e("sato", d, "09:00:28", OnCall, None, Some("a02")),
        e("sato", d, "09:03:30", WrapUp, None, Some("a02")),
        e("sato", d, "09:04:30", Ready, None, None),
        e("suzuki", d, "09:10:50", OnCall, None, Some("a03")),
        e("suzuki", d, "09:15:50", WrapUp, None, Some("a03")),
        e("suzuki", d, "09:16:20", Ready, None, None),
        e("sato", d, "10:00:25", OnCall, None, Some("a09")),
        e("sato", d, "10:02:05", WrapUp, None, Some("a09")),
        e("sato", d, "10:02:35", NotReady, Some(NotReadyReason::Break), None),
        e("suzuki", d, "10:10:00", OnCall, None, Some("a11")),
        e("suzuki", d, "10:12:00", WrapUp, None, Some("a11")),
        e("suzuki", d, "10:13:00", LoggedOut, None, None),
        e("sato", d, "10:30:00", LoggedOut, None, None),
        e("suzuki", d, "23:50:00", Ready, None, None),
        e("suzuki", d, "23:59:45", OnCall, None, Some("a12")),
        e("suzuki", next, "00:00:45", WrapUp, None, Some("a12")),
        e("suzuki", next, "00:01:15", LoggedOut, None, None),
    ]
}

/// A call as the call task writes its row.
pub fn new_call(id: &str, arrived_at: String, service_date: &str, in_hours: bool, line: Line) -> NewCall {
    NewCall {
        id: id.into(),
        sip_call_id: format!("sip-{id}"),
        arrived_at,
        service_date: service_date.into(),
        in_hours,
        caller: PhoneNumber::from("09012345678"),
        dialed: PhoneNumber::from("0120380366"),
        line,
        trunk_peer: "127.0.0.1:5060".into(),
        transport: "udp".into(),
    }
}

pub fn step_row(call_id: &str, at: &str, offset_ms: i64, step: Step) -> StepRow {
    StepRow {
        call_id: call_id.into(),
        step: TimedStep {
            at: at.into(),
            offset_ms,
            step,
        },
    }
}

/// Writes the known day through `journal` (as the call tasks and the ACD do), with the
/// wrap-ups' categories, and waits until it is written.
pub async fn write_day(journal: &Journal) {
    for call in calls() {
        let at = tokyo(day(), call.at);
        journal.call(new_call(call.id, at.clone(), DAY, call.in_hours, call.line));
        for (offset_ms, step) in call.steps {
            journal.step(step_row(call.id, &at, offset_ms, step));
        }
    }
    for event in events() {
        journal.agent_event(event);
    }
    journal.flush().await;
    for (call, agent, category, faq) in [
        ("a02", "sato", "renewal/certificate", &["certificate-renewal"][..]),
        ("a03", "suzuki", "convenience-store", &["convenience-store"][..]),
        (
            "a09",
            "sato",
            "renewal/certificate",
            &["certificate-renewal", "convenience-store"][..],
        ),
        ("a12", "suzuki", "issuance/pickup-booking", &[][..]),
    ] {
        journal
            .wrap_up(FiledWrapUp {
                call: call.into(),
                agent: agent.into(),
                saved_at: tokyo(day(), "12:00:00"),
                form: WrapUp {
                    category: category.into(),
                    escalation: false,
                    escalation_note: String::new(),
                    complaint: false,
                    notes: String::new(),
                    faq: faq.iter().map(|id| id.to_string()).collect(),
                },
            })
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
}

/// An answered call (15 s in the queue) or one abandoned in the queue after a minute.
pub fn write_call(journal: &Journal, id: &str, at: String, service_date: &str, answered: bool) {
    journal.call(new_call(id, at.clone(), service_date, true, Line::TollFree));
    let mut steps = vec![
        (200, Step::IvrAnswered { codec: Codec::Ulaw }),
        (2_000, Step::Language(tsunagu::lang::Lang::Ja)),
        (
            5_000,
            Step::Enqueued {
                queue: "general".into(),
            },
        ),
    ];
    if answered {
        steps.push((20_000, Step::AgentAnswered { agent: "sato".into() }));
        steps.push((200_000, ended()));
    } else {
        steps.push((
            65_000,
            Step::Abandoned {
                place: AbandonPlace::Queue,
            },
        ));
        steps.push((65_000, ended()));
    }
    for (offset_ms, step) in steps {
        journal.step(step_row(id, &at, offset_ms, step));
    }
}

/// The six days before the known day (Tuesday 24th to Sunday 29th): 20, 24, … 40 calls from
/// 09:00, one every 15 minutes, answered at 95, 90, 80, 88, 92 and 75 % (rounded down): 19, 21, 22, 28, 33 and 30.
pub const RATES: [u32; 6] = [95, 90, 80, 88, 92, 75];

pub fn week_day(k: usize) -> (Date, u32, u32) {
    let on = date(2026, 11, 24 + k as i8);
    let calls = 20 + 4 * k as u32;
    (on, calls, calls * RATES[k] / 100)
}

pub fn write_week(journal: &Journal) {
    for k in 0..RATES.len() {
        let (on, calls, answered) = week_day(k);
        for i in 0..calls {
            let minutes = 9 * 60 + 15 * i;
            let at = tokyo(on, &format!("{:02}:{:02}:00", minutes / 60, minutes % 60));
            write_call(journal, &format!("w{k}-{i}"), at, &on.to_string(), i < answered);
        }
    }
}
