//! The daily report and the answer rate (CC-SLA: answered ≥ 85 % of incoming calls, daily).
//!
//! The figures are counted by [`super::outcome`], the one definition of what became of a call
//! (received, out of hours, rejected, offered, answered, busy, shed, transferred away,
//! abandoned, short abandons) that the floor, the dashboard and the monthly report share.
//! **answer rate** = answered ÷ offered; the target is met when it is at least 85 %.

use serde::Serialize;

use super::outcome::outcome;
use super::tally::Tally;
use crate::journal::{CallRecord, Line};

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
    /// Sent to another number by a flow's transfer node (offered, not answered).
    pub transferred_away: u32,
    /// Offered calls that ended otherwise (menu given up, media lost).
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
        transferred_away: 0,
        other: 0,
        answer_rate: None,
        target: TARGET,
        meets_target: None,
        by_line: Default::default(),
    };
    let mut tally = Tally::default();
    for call in calls {
        tally.count(outcome(call, short_abandon_seconds), None, 0);
        if call.line != Line::Outbound {
            *report.by_line.entry(call.line.as_str().to_string()).or_default() += 1;
        }
    }
    report.received = tally.received;
    report.rejected = tally.rejected;
    report.out_of_hours = tally.out_of_hours;
    report.offered = tally.offered;
    report.answered = tally.answered;
    report.call_backs = tally.call_backs;
    report.busy = tally.busy;
    report.shed = tally.shed;
    report.transferred_away = tally.transferred_away;
    report.abandoned_in_ivr = tally.abandoned_in_ivr;
    report.abandoned_in_queue = tally.abandoned_in_queue;
    report.short_abandons = tally.short_abandons;
    report.other = tally.other;
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
             sent away (transfer)    {}\n\
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
            self.transferred_away,
            self.other,
            self.call_backs,
        )
    }
}

/// A day's full figures as people read them: 日次 summary, then intervals with calls,
/// languages, lines and agents (Japanese first, English beside).
pub fn day_text(f: &super::metrics::DayFigures) -> String {
    use std::fmt::Write;
    let pct = |r: Option<f64>| r.map_or_else(|| "—".to_string(), |r| format!("{:.1} %", r * 100.0));
    let secs = |s: Option<f64>| s.map_or_else(|| "—".to_string(), |s| format!("{s:.0} 秒"));
    let d = &f.day;
    let verdict = match d.answer_rate {
        Some(rate) if rate >= f.target => "達成 met",
        Some(_) => "未達 NOT met",
        None => "入電なし no calls offered",
    };
    let mut out = String::new();
    let _ = writeln!(out, "日次報告 Daily report {}", f.date);
    let _ = writeln!(
        out,
        "応答率 answer rate        {} ({} / {}) — 目標 target {:.0} %: {verdict}",
        pct(d.answer_rate),
        d.answered,
        d.offered,
        f.target * 100.0
    );
    let rows = [
        ("受信 received", d.received.to_string()),
        ("時間外 out of hours", d.out_of_hours.to_string()),
        ("受付拒否 rejected", d.rejected.to_string()),
        ("入電 offered", d.offered.to_string()),
        ("応答 answered", d.answered.to_string()),
        ("話中 busy", d.busy.to_string()),
        ("503 shed", d.shed.to_string()),
        ("転送 transferred away", d.transferred_away.to_string()),
        ("放棄(IVR) abandoned in IVR", d.abandoned_in_ivr.to_string()),
        ("放棄(待ち) abandoned in queue", d.abandoned_in_queue.to_string()),
        (
            "短時間放棄 short abandons",
            format!("{} (< {} 秒)", d.short_abandons, f.short_abandon_seconds),
        ),
        ("その他 other", d.other.to_string()),
        (
            "サービスレベル service level",
            format!(
                "{} ({} 秒以内 within {} s)",
                pct(d.service_level),
                f.service_level_seconds,
                f.service_level_seconds
            ),
        ),
        ("平均応答時間 ASA", secs(d.average_speed_of_answer_seconds)),
        ("平均処理時間 AHT", secs(d.average_handling_seconds)),
        ("稼働率 occupancy", pct(f.occupancy)),
        ("折り返し発信 call-backs", d.call_backs.to_string()),
    ];
    for (label, value) in rows {
        let _ = writeln!(out, "  {label:<28} {value}");
    }
    let busy: Vec<_> = f.intervals.iter().filter(|i| i.figures.received > 0).collect();
    if !busy.is_empty() {
        let _ = writeln!(out, "時間帯 intervals (到着時刻 by arrival)");
        for i in busy {
            let _ = writeln!(
                out,
                "  {}  入電 {:>4}  応答 {:>4}  放棄 {:>3}  話中 {:>3}  応答率 {}",
                i.start,
                i.figures.offered,
                i.figures.answered,
                i.figures.abandoned,
                i.figures.busy + i.figures.shed,
                pct(i.figures.answer_rate)
            );
        }
    }
    for (title, kind, table) in [
        ("言語 languages", "language", &f.languages),
        ("回線 lines", "line", &f.lines),
    ] {
        if table.is_empty() {
            continue;
        }
        let _ = writeln!(out, "{title}");
        for (key, t) in table {
            let _ = writeln!(
                out,
                "  {:<20} 受信 {:>4}  入電 {:>4}  応答 {:>4}  応答率 {}",
                super::table::item_name(kind, key),
                t.received,
                t.offered,
                t.answered,
                pct(t.answer_rate)
            );
        }
    }
    if !f.agents.is_empty() {
        let _ = writeln!(out, "オペレーター agents");
        for (name, a) in &f.agents {
            let _ = writeln!(
                out,
                "  {name:<12} 応答 {:>4}  平均処理時間 {}  稼働率 {}",
                a.figures.answered,
                secs(a.figures.average_handling_seconds),
                pct(a.occupancy)
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{AbandonPlace, Codec, ShedReason, Step, TimedStep};

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
