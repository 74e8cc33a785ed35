//! Today as the floor and the live dashboard show it: the running tally (fed by the journal),
//! the forecast (made once a day from history and the calendar), the agents needed now beside
//! the agents staffed, and the warnings. Everything a supervisor's screen refreshes every two
//! seconds comes from memory; only the forecast reads the database, once a day, in the
//! background: a refresh never waits for it (the database may be away), and a forecast that
//! could not read all its history is not kept (it is tried again at the next refresh).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use tracing::warn;

use super::AppState;
use crate::acd::desk::DeskView;
use crate::calendar;
use crate::journal::AgentStateName;
use crate::report::daily::TARGET;
use crate::report::erlang::agents_needed;
use crate::report::forecast::{Forecast, PastDay, basis_dates, forecast};
use crate::report::metrics::{INTERVAL_MINUTES, INTERVALS, day_metrics, interval_label};
use crate::report::tally::Figures;
use crate::report::watch::{Now, Warning, warnings};
use crate::store::Store;

/// Today's forecast, made in the background on the first look of the day.
#[derive(Debug, Default)]
pub struct ForecastCache {
    made: Mutex<Option<Forecast>>,
    /// A forecast is being made (one at a time).
    making: AtomicBool,
}

impl ForecastCache {
    fn get(&self, date: Date) -> Option<Forecast> {
        let cached = self.made.lock().unwrap_or_else(|p| p.into_inner());
        cached.as_ref().filter(|f| f.date == date.to_string()).cloned()
    }

    fn put(&self, forecast: Forecast) {
        *self.made.lock().unwrap_or_else(|p| p.into_inner()) = Some(forecast);
    }
}

/// Starts making `date`'s forecast unless one is being made.
fn start_making(state: &AppState, date: Date, handle_seconds: f64) {
    if state.forecasts.making.swap(true, Ordering::AcqRel) {
        return;
    }
    let state = state.clone();
    tokio::spawn(async move {
        if let Some(forecast) = forecast_of(&state, date, handle_seconds).await {
            state.forecasts.put(forecast);
        }
        state.forecasts.making.store(false, Ordering::Release);
    });
}

#[derive(Debug, Clone, Serialize)]
pub struct IntervalPoint {
    pub start: String,
    pub offered: u32,
    pub answered: u32,
    pub abandoned: u32,
    pub busy: u32,
    pub forecast: f64,
    pub agents_needed: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Staffing {
    /// Erlang C for this interval's forecast at the current handling time.
    pub needed_now: u32,
    /// Agents ready, ringing, on a call or in wrap-up.
    pub staffed: u32,
    pub ready: u32,
    pub forecast_now: f64,
    pub average_handle_seconds: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Today {
    pub date: String,
    /// Tokyo time, HH:MM:SS.
    pub updated: String,
    pub target: f64,
    pub service_level_seconds: u32,
    pub figures: Figures,
    pub intervals: Vec<IntervalPoint>,
    /// The interval the clock is in.
    pub interval_now: usize,
    pub languages: BTreeMap<String, Figures>,
    /// Whether today's forecast is made (it is made in the background on the first look).
    pub forecast_ready: bool,
    pub forecast_offered: f64,
    pub forecast_basis: Vec<String>,
    /// Why today is forecast at zero (closed all day).
    pub closed: Option<String>,
    pub staffing: Staffing,
    pub warnings: Vec<Warning>,
}

/// The forecast of `date`, from the store's history of its basis days; `None` when the calendar
/// is missing or a day of the history could not be read.
pub async fn forecast_of(state: &AppState, date: Date, handle_seconds: f64) -> Option<Forecast> {
    let services = &state.calls;
    let calendar = services.calendars.get(&services.settings.sla_calendar)?;
    let history = history(&state.store, date, state).await?;
    Some(forecast(
        date,
        &history,
        &calendar,
        handle_seconds,
        f64::from(state.thresholds.service_level_seconds),
    ))
}

async fn history(store: &Store, date: Date, state: &AppState) -> Option<Vec<PastDay>> {
    let mut days = Vec::new();
    for past in basis_dates(date) {
        let calls = match store.calls_of_day(&past.to_string()).await {
            Ok(calls) => calls,
            Err(e) => {
                warn!(error = %e, date = %past, "forecast: cannot read a past day; tried again later");
                return None;
            }
        };
        let (_, end) = calendar::tokyo_day(past);
        let m = day_metrics(past, &calls, &[], end, state.thresholds);
        days.push(PastDay {
            date: past,
            received: m.day.received,
            offered: m.intervals.iter().map(|(t, _)| t.offered).collect(),
        });
    }
    Some(days)
}

/// Today's figures at `stamp`, for the desk's `view`.
pub async fn today(state: &AppState, view: &DeskView, stamp: Timestamp, agents: &[String]) -> Today {
    let local = calendar::tokyo_time(stamp);
    let date = local.date();
    let live = state.live.with(|day| day.figures(date));
    let handle_seconds = view.average_handle_time.as_secs_f64().max(1.0);
    let forecast = state.forecasts.get(date);
    if forecast.is_none() {
        start_making(state, date, handle_seconds);
    }
    let interval_now = ((i64::from(local.hour()) * 60 + i64::from(local.minute())) / INTERVAL_MINUTES) as usize;
    let target_seconds = f64::from(state.thresholds.service_level_seconds);
    let needed_for = |offered: f64| {
        agents_needed(
            offered,
            (INTERVAL_MINUTES * 60) as f64,
            handle_seconds,
            target_seconds,
            TARGET,
        )
        .agents
    };
    let forecast_at = |i: usize| {
        forecast
            .as_ref()
            .and_then(|f| f.intervals.get(i))
            .map_or(0.0, |i| i.offered)
    };
    let intervals = (0..INTERVALS)
        .map(|i| {
            let t = &live.intervals[i];
            IntervalPoint {
                start: interval_label(i),
                offered: t.offered,
                answered: t.answered,
                abandoned: t.abandoned(),
                busy: t.busy + t.shed,
                forecast: forecast_at(i),
                agents_needed: needed_for(forecast_at(i)),
            }
        })
        .collect();
    let working = view.agents.iter().filter(|a| agents.contains(&a.name));
    let (mut staffed, mut ready) = (0, 0);
    for a in working {
        match a.state.name() {
            AgentStateName::Ready => {
                ready += 1;
                staffed += 1;
            }
            AgentStateName::Offered | AgentStateName::OnCall | AgentStateName::WrapUp => staffed += 1,
            AgentStateName::NotReady | AgentStateName::LoggedOut => {}
        }
    }
    let needed_now = needed_for(forecast_at(interval_now));
    let forecast_now = forecast_at(interval_now);
    let warnings = warnings(Now {
        day: &live.day,
        intervals: &live.intervals,
        interval: interval_now.min(INTERVALS - 1),
        forecast: forecast.as_ref(),
        staffed,
        needed: needed_now,
    });
    Today {
        date: date.to_string(),
        updated: local.strftime("%H:%M:%S").to_string(),
        target: TARGET,
        service_level_seconds: state.thresholds.service_level_seconds,
        figures: Figures::from(&live.day),
        intervals,
        interval_now,
        languages: live
            .languages
            .iter()
            .map(|(k, t)| (k.clone(), Figures::from(t)))
            .collect(),
        forecast_ready: forecast.is_some(),
        forecast_offered: forecast.as_ref().map_or(0.0, |f| f.offered),
        forecast_basis: forecast.as_ref().map(|f| f.basis.clone()).unwrap_or_default(),
        closed: forecast.as_ref().and_then(|f| f.closed.clone()),
        staffing: Staffing {
            needed_now,
            staffed,
            ready,
            forecast_now,
            average_handle_seconds: handle_seconds,
        },
        warnings,
    }
}
