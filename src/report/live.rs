//! Today's running tally for the floor and the dashboard, fed by the journal as it writes
//! rows (never by re-reading the day): a call that has ended (or was turned away at the door)
//! is folded into the settled counts and its steps forgotten; the calls still going are
//! counted afresh each time the figures are asked for. The counting is
//! [`super::outcome`]'s, so the floor shows what `report daily` will print.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;

use jiff::civil::Date;

use super::metrics::{INTERVALS, interval_of_arrival};
use super::outcome::{language, outcome};
use super::tally::Tally;
use crate::journal::{CallRecord, NewCall, Step, StepRow};

/// The figures of the day so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveFigures {
    pub date: Date,
    pub day: Tally,
    /// 48 intervals from 00:00 Tokyo time, by arrival.
    pub intervals: Vec<Tally>,
    pub languages: BTreeMap<String, Tally>,
}

/// The running tally of one day.
#[derive(Debug)]
pub struct LiveDay {
    short_abandon_seconds: u32,
    target_ms: u64,
    settled: LiveFigures,
    open: HashMap<String, CallRecord>,
    settled_ids: HashSet<String>,
}

impl LiveDay {
    pub fn new(date: Date, thresholds: super::metrics::Thresholds) -> LiveDay {
        LiveDay {
            short_abandon_seconds: thresholds.short_abandon_seconds,
            target_ms: u64::from(thresholds.service_level_seconds) * 1000,
            settled: empty(date),
            open: HashMap::new(),
            settled_ids: HashSet::new(),
        }
    }

    /// Starts the day from the calls already written (once, when the service starts).
    pub fn seed(&mut self, date: Date, calls: Vec<CallRecord>) {
        self.roll(date);
        for call in calls {
            let id = call.id.clone();
            self.open.insert(id.clone(), call);
            self.settle_if_over(&id);
        }
    }

    /// A call's row was written.
    pub fn call(&mut self, call: &NewCall) {
        let Ok(date) = call.service_date.parse::<Date>() else {
            return;
        };
        if date > self.settled.date {
            self.roll(date);
        }
        if date != self.settled.date || self.settled_ids.contains(&call.id) {
            return;
        }
        self.open.insert(
            call.id.clone(),
            CallRecord {
                id: call.id.clone(),
                arrived_at: call.arrived_at.clone(),
                in_hours: call.in_hours,
                line: call.line,
                steps: Vec::new(),
            },
        );
    }

    /// A step was written. Steps of calls of another day, or of calls already settled (the
    /// media tap's figures after the end), change nothing.
    pub fn step(&mut self, row: &StepRow) {
        let Some(call) = self.open.get_mut(&row.call_id) else {
            return;
        };
        call.steps.push(row.step.clone());
        self.settle_if_over(&row.call_id);
    }

    /// The day's figures; a new day (midnight passed) starts from nothing.
    pub fn figures(&mut self, today: Date) -> LiveFigures {
        if today > self.settled.date {
            self.roll(today);
        }
        let mut figures = self.settled.clone();
        for call in self.open.values() {
            count(&mut figures, call, self.short_abandon_seconds, self.target_ms);
        }
        figures
    }

    /// Calls still going (their steps kept).
    pub fn open_calls(&self) -> usize {
        self.open.len()
    }

    fn settle_if_over(&mut self, id: &str) {
        let over = self
            .open
            .get(id)
            .is_some_and(|call| call.has(|s| matches!(s, Step::Ended { .. } | Step::Shed { .. })));
        if !over {
            return;
        }
        if let Some(call) = self.open.remove(id) {
            count(&mut self.settled, &call, self.short_abandon_seconds, self.target_ms);
            self.settled_ids.insert(call.id);
        }
    }

    fn roll(&mut self, date: Date) {
        self.settled = empty(date);
        self.open.clear();
        self.settled_ids.clear();
    }
}

fn empty(date: Date) -> LiveFigures {
    LiveFigures {
        date,
        day: Tally::default(),
        intervals: vec![Tally::default(); INTERVALS],
        languages: BTreeMap::new(),
    }
}

fn count(figures: &mut LiveFigures, call: &CallRecord, short_abandon_seconds: u32, target_ms: u64) {
    let fate = outcome(call, short_abandon_seconds);
    let index = interval_of_arrival(figures.date, &call.arrived_at);
    let lang = language(call).map_or("none", |l| l.code()).to_string();
    for tally in [
        &mut figures.day,
        &mut figures.intervals[index],
        figures.languages.entry(lang).or_default(),
    ] {
        tally.count(fate, None, target_ms);
    }
}

/// The running tally shared by the journal (which feeds it) and the floor (which reads it).
#[derive(Debug)]
pub struct LiveTally(Mutex<LiveDay>);

impl LiveTally {
    pub fn new(day: LiveDay) -> LiveTally {
        LiveTally(Mutex::new(day))
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut LiveDay) -> T) -> T {
        // A panic while holding the lock leaves counts, not broken invariants: keep going.
        let mut day = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{Codec, EndCause, Line, Side, TimedStep};
    use crate::pii::PhoneNumber;
    use crate::report::metrics::{Thresholds, day_bounds, day_metrics};

    fn date() -> Date {
        jiff::civil::date(2026, 4, 6)
    }

    fn new_call(id: &str, minute: i64, service_date: &str) -> NewCall {
        let (start, _) = day_bounds(date());
        NewCall {
            id: id.into(),
            sip_call_id: id.into(),
            arrived_at: (start + jiff::SignedDuration::from_mins(minute)).to_string(),
            service_date: service_date.into(),
            in_hours: true,
            caller: PhoneNumber::from("0312345678".to_string()),
            dialed: PhoneNumber::from("0120380366".to_string()),
            line: Line::TollFree,
            trunk_peer: "p".into(),
            transport: "udp".into(),
        }
    }

    fn step(id: &str, offset_ms: i64, step: Step) -> StepRow {
        StepRow {
            call_id: id.into(),
            step: TimedStep {
                at: String::new(),
                offset_ms,
                step,
            },
        }
    }

    fn ended() -> Step {
        Step::Ended {
            cause: EndCause::CallerBye,
            side: Side::Caller,
        }
    }

    #[test]
    fn the_running_tally_counts_as_the_report_does_and_forgets_ended_calls() {
        let mut live = LiveDay::new(date(), Thresholds::default());
        let rows = [
            (
                "a",
                9 * 60,
                vec![
                    Step::IvrAnswered { codec: Codec::Ulaw },
                    Step::AgentAnswered { agent: "x".into() },
                    ended(),
                ],
            ),
            (
                "b",
                9 * 60 + 31,
                vec![Step::IvrAnswered { codec: Codec::Ulaw }, Step::Busy, ended()],
            ),
            (
                "c",
                10 * 60,
                vec![
                    Step::IvrAnswered { codec: Codec::Ulaw },
                    Step::Enqueued { queue: "q".into() },
                ],
            ),
        ];
        let mut records = Vec::new();
        for (id, minute, steps) in &rows {
            let call = new_call(id, *minute, "2026-04-06");
            live.call(&call);
            let mut record = CallRecord {
                id: call.id.clone(),
                arrived_at: call.arrived_at.clone(),
                in_hours: true,
                line: Line::TollFree,
                steps: Vec::new(),
            };
            for (i, s) in steps.iter().enumerate() {
                let row = step(id, i as i64 * 10_000, s.clone());
                live.step(&row);
                record.steps.push(row.step);
            }
            records.push(record);
        }
        // A late step of an ended call, and a call of another day, change nothing.
        live.step(&step(
            "a",
            99_000,
            Step::BridgedAudio {
                from_caller: 1,
                from_agent: 1,
            },
        ));
        live.call(&new_call("old", 0, "2026-04-05"));
        assert_eq!(live.open_calls(), 1, "only the call still in the queue keeps its steps");
        let figures = live.figures(date());
        let (_, end) = day_bounds(date());
        let report = day_metrics(date(), &records, &[], end, Thresholds::default());
        assert_eq!(figures.day, report.day);
        assert_eq!(
            figures.intervals,
            report.intervals.iter().map(|(t, _)| *t).collect::<Vec<_>>()
        );
        assert_eq!((figures.day.offered, figures.day.answered, figures.day.busy), (3, 1, 1));
        // Midnight: the new day starts empty.
        let tomorrow = live.figures(jiff::civil::date(2026, 4, 7));
        assert_eq!(tomorrow.day, Tally::default());
        assert_eq!(live.open_calls(), 0);
    }
}
