//! A day's metrics from the journal: the calls (by [`super::outcome`]) and the agents' event
//! log, by day, by 30-minute interval, by language, by line and by agent. Pure: the store
//! fetches the rows, this folds them. The daily and monthly reports, the dashboard and the
//! floor all read these figures.
//!
//! - A call counts in the day and the interval it **arrived** in (Tokyo time), however long it
//!   lasts: a call arriving at 09:29:50 and answered at 09:30:20 is the 09:00 interval's, one
//!   arriving at 23:59 belongs to that day even if it ends after midnight.
//! - The agents' time is cut at the interval and day boundaries: half an hour on a call from
//!   09:15 counts 15 minutes in the 09:00 interval and 15 in the 09:30 one.
//! - A call's handling (talk and wrap-up from the event log) is counted whole with the call,
//!   wherever it falls.

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;

use super::outcome::{Outcome, hold_ms, language, outcome};
use super::tally::{Figures, Handling, Presence, Tally};
use crate::calendar;
use crate::journal::{AgentEvent, AgentStateName, CallRecord};

pub const INTERVAL_MINUTES: i64 = 30;
pub const INTERVALS: usize = 48;
const INTERVAL_MS: i64 = INTERVAL_MINUTES * 60 * 1000;
const DAY_MS: i64 = INTERVAL_MS * INTERVALS as i64;

/// The thresholds the figures depend on (from `[center]` in the configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// A caller hanging up within this many seconds of the IVR's answer is a short abandon.
    pub short_abandon_seconds: u32,
    /// The service level counts calls answered within this many seconds of their wait.
    pub service_level_seconds: u32,
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds {
            short_abandon_seconds: 5,
            service_level_seconds: 20,
        }
    }
}

/// One agent's day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentDay {
    /// The calls this agent answered first (with this agent's handling of them).
    pub calls: Tally,
    pub presence: Presence,
}

/// A day's metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct DayMetrics {
    pub date: Date,
    pub thresholds: Thresholds,
    pub day: Tally,
    pub presence: Presence,
    /// 48 intervals from 00:00 Tokyo time.
    pub intervals: Vec<(Tally, Presence)>,
    /// By the language chosen (`none`: the caller never chose one).
    pub languages: BTreeMap<String, Tally>,
    pub lines: BTreeMap<String, Tally>,
    pub agents: BTreeMap<String, AgentDay>,
}

/// The UTC instants a Tokyo date starts and ends at.
pub fn day_bounds(date: Date) -> (Timestamp, Timestamp) {
    calendar::tokyo_day(date)
}

/// `09:30` for interval 19.
pub fn interval_label(index: usize) -> String {
    let minutes = index as i64 * INTERVAL_MINUTES;
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

fn millis(at: &str) -> Option<i64> {
    at.parse::<Timestamp>().ok().map(|t| t.as_millisecond())
}

fn interval_of(offset_ms: i64) -> usize {
    (offset_ms.clamp(0, DAY_MS - 1) / INTERVAL_MS) as usize
}

/// The interval (0..48) a call of `date` that arrived at `arrived_at` (RFC 3339) counts in.
pub fn interval_of_arrival(date: Date, arrived_at: &str) -> usize {
    let (start, _) = day_bounds(date);
    let start_ms = start.as_millisecond();
    interval_of(millis(arrived_at).unwrap_or(start_ms) - start_ms)
}

/// Folds a day's calls (those whose service date is `date`) and the agents' events around it.
/// `events` may start before the day (the state agents were in at midnight comes from the
/// last earlier event) and run past it; `until` is when the last state of each agent ends (now
/// for today, the day's end for a past day).
pub fn day_metrics(
    date: Date,
    calls: &[CallRecord],
    events: &[AgentEvent],
    until: Timestamp,
    thresholds: Thresholds,
) -> DayMetrics {
    let (start, end) = day_bounds(date);
    let (start_ms, end_ms) = (start.as_millisecond(), end.as_millisecond());
    let until_ms = until.as_millisecond();
    let mut metrics = DayMetrics {
        date,
        thresholds,
        day: Tally::default(),
        presence: Presence::default(),
        intervals: vec![Default::default(); INTERVALS],
        languages: BTreeMap::new(),
        lines: BTreeMap::new(),
        agents: BTreeMap::new(),
    };

    // The agents' time, and each call's handling by each agent.
    let mut by_agent: BTreeMap<&str, Vec<&AgentEvent>> = BTreeMap::new();
    for event in events {
        by_agent.entry(event.agent.as_str()).or_default().push(event);
    }
    // call → agent → handling
    let mut handling: HashMap<&str, BTreeMap<&str, Handling>> = HashMap::new();
    for (agent, events) in &by_agent {
        let day = metrics.agents.entry(agent.to_string()).or_default();
        for (i, event) in events.iter().enumerate() {
            let Some(from) = millis(&event.at) else { continue };
            let to = events
                .get(i + 1)
                .and_then(|next| millis(&next.at))
                .unwrap_or(until_ms)
                .max(from);
            if let Some(call) = event.call.as_deref() {
                let h = handling.entry(call).or_default().entry(agent).or_default();
                match event.state {
                    AgentStateName::OnCall => h.talk_ms += (to - from) as u64,
                    AgentStateName::WrapUp => h.wrap_ms += (to - from) as u64,
                    _ => {}
                }
            }
            // The part inside the day, cut at each interval boundary.
            let mut at = from.max(start_ms);
            let stop = to.min(end_ms);
            while at < stop {
                let index = interval_of(at - start_ms);
                let boundary = start_ms + (index as i64 + 1) * INTERVAL_MS;
                let piece = (boundary.min(stop) - at) as u64;
                for presence in [
                    &mut day.presence,
                    &mut metrics.intervals[index].1,
                    &mut metrics.presence,
                ] {
                    add_state(presence, event.state, piece);
                }
                at = boundary;
            }
        }
    }

    let target_ms = u64::from(thresholds.service_level_seconds) * 1000;
    for call in calls {
        let fate = outcome(call, thresholds.short_abandon_seconds);
        let hold = hold_ms(call) as u64;
        let mut whole: Option<Handling> = None;
        let handlers = handling.get(call.id.as_str());
        for (agent, h) in handlers.into_iter().flatten() {
            let w = whole.get_or_insert_with(|| Handling {
                hold_ms: hold,
                ..Handling::default()
            });
            w.talk_ms += h.talk_ms;
            w.wrap_ms += h.wrap_ms;
            if call.answered_by() == Some(*agent) {
                let mine = Handling { hold_ms: hold, ..*h };
                if let Some(day) = metrics.agents.get_mut(*agent) {
                    day.calls.count(fate, Some(mine), target_ms);
                }
            }
        }
        if let Some(agent) = call.answered_by()
            && !handlers.is_some_and(|h| h.contains_key(agent))
        {
            // Answered, but the event log has nothing of it (an older database): still the
            // agent's answered call.
            metrics
                .agents
                .entry(agent.to_string())
                .or_default()
                .calls
                .count(fate, None, target_ms);
        }
        let index = interval_of_arrival(date, &call.arrived_at);
        let language = match (fate, language(call)) {
            (_, Some(lang)) => lang.code().to_string(),
            (Outcome::CallBack, None) => "outbound".to_string(),
            (_, None) => "none".to_string(),
        };
        for tally in [
            &mut metrics.day,
            &mut metrics.intervals[index].0,
            metrics.languages.entry(language).or_default(),
            metrics.lines.entry(call.line.as_str().to_string()).or_default(),
        ] {
            tally.count(fate, whole, target_ms);
        }
    }
    metrics
}

fn add_state(presence: &mut Presence, state: AgentStateName, ms: u64) {
    match state {
        AgentStateName::Ready | AgentStateName::Offered => presence.available_ms += ms,
        AgentStateName::OnCall => presence.talk_ms += ms,
        AgentStateName::WrapUp => presence.wrap_ms += ms,
        AgentStateName::NotReady => presence.not_ready_ms += ms,
        AgentStateName::LoggedOut => {}
    }
}

/// A day's metrics as the API and the exports give them.
#[derive(Debug, Clone, Serialize)]
pub struct DayFigures {
    pub date: String,
    pub short_abandon_seconds: u32,
    pub service_level_seconds: u32,
    pub target: f64,
    pub day: Figures,
    pub occupancy: Option<f64>,
    pub presence: Presence,
    pub intervals: Vec<IntervalFigures>,
    pub languages: BTreeMap<String, Figures>,
    pub lines: BTreeMap<String, Figures>,
    pub agents: BTreeMap<String, AgentFigures>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IntervalFigures {
    pub start: String,
    #[serde(flatten)]
    pub figures: Figures,
    pub occupancy: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AgentFigures {
    #[serde(flatten)]
    pub figures: Figures,
    pub presence: Presence,
    pub occupancy: Option<f64>,
}

impl DayMetrics {
    pub fn figures(&self) -> DayFigures {
        DayFigures {
            date: self.date.to_string(),
            short_abandon_seconds: self.thresholds.short_abandon_seconds,
            service_level_seconds: self.thresholds.service_level_seconds,
            target: super::daily::TARGET,
            day: Figures::from(&self.day),
            occupancy: self.presence.occupancy(),
            presence: self.presence,
            intervals: self
                .intervals
                .iter()
                .enumerate()
                .map(|(i, (tally, presence))| IntervalFigures {
                    start: interval_label(i),
                    figures: Figures::from(tally),
                    occupancy: presence.occupancy(),
                })
                .collect(),
            languages: self
                .languages
                .iter()
                .map(|(k, t)| (k.clone(), Figures::from(t)))
                .collect(),
            lines: self.lines.iter().map(|(k, t)| (k.clone(), Figures::from(t))).collect(),
            agents: self
                .agents
                .iter()
                .map(|(k, a)| {
                    (
                        k.clone(),
                        AgentFigures {
                            figures: Figures::from(&a.calls),
                            presence: a.presence,
                            occupancy: a.presence.occupancy(),
                        },
                    )
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{Codec, Line, Step, TimedStep};

    fn date() -> Date {
        jiff::civil::date(2026, 4, 6)
    }

    /// `hh:mm:ss` Tokyo time on the test day, as the rows spell it (UTC).
    fn at(tokyo: &str) -> String {
        let (start, _) = day_bounds(date());
        let t: Vec<i64> = tokyo.split(':').filter_map(|p| p.parse().ok()).collect();
        let ms = (t[0] * 3600 + t[1] * 60 + t[2]) * 1000;
        (start + jiff::SignedDuration::from_millis(ms)).to_string()
    }

    fn call(id: &str, arrived: &str, steps: &[(Step, i64)]) -> CallRecord {
        CallRecord {
            id: id.into(),
            arrived_at: at(arrived),
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

    fn event(agent: &str, tokyo: &str, state: AgentStateName, call: Option<&str>) -> AgentEvent {
        AgentEvent {
            agent: agent.into(),
            at: at(tokyo),
            state,
            reason: None,
            call: call.map(String::from),
        }
    }

    #[test]
    fn a_call_counts_where_it_arrived_and_agent_time_is_cut_at_the_boundary() {
        let calls = [call(
            "c1",
            "09:29:50",
            &[
                (Step::IvrAnswered { codec: Codec::Ulaw }, 0),
                (Step::Language(crate::lang::Lang::En), 4_000),
                (Step::Enqueued { queue: "q".into() }, 10_000),
                (Step::AgentAnswered { agent: "sato".into() }, 30_000),
            ],
        )];
        let events = [
            event("sato", "09:00:00", AgentStateName::Ready, None),
            event("sato", "09:30:20", AgentStateName::OnCall, Some("c1")),
            event("sato", "09:59:30", AgentStateName::WrapUp, Some("c1")),
            event("sato", "10:00:30", AgentStateName::Ready, None),
        ];
        let (_, end) = day_bounds(date());
        let m = day_metrics(date(), &calls, &events, end, Thresholds::default());
        assert_eq!(m.intervals[18].0.answered, 1, "the call arrived in the 09:00 interval");
        assert_eq!(m.intervals[19].0.offered, 0);
        assert_eq!(m.intervals[18].1.available_ms, 30 * 60 * 1000);
        assert_eq!(m.intervals[19].1.talk_ms, 1_750_000);
        assert_eq!((m.intervals[19].1.wrap_ms, m.intervals[20].1.wrap_ms), (30_000, 30_000));
        assert_eq!(m.day.talk_ms, 1_750_000);
        assert_eq!(m.day.wrap_ms, 60_000);
        assert_eq!(m.day.average_handling_time(), Some(1810.0));
        assert_eq!(m.languages["en"].answered, 1);
        assert_eq!(m.agents["sato"].calls.answered, 1);
        assert_eq!(interval_label(19), "09:30");
    }
}
