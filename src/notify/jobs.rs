//! The scheduled booking jobs, run together every `[booking] jobs_every_minutes` and whenever
//! the calendars are reloaded, each run logged in the database (`job_runs`):
//!
//! - `reminders`: the day-before notice to bookers of tomorrow's slots (from `[mail]
//!   reminders_from`, Tokyo time);
//! - `closure_notices`: a notice to bookers whose slot a later closure fell on (BK-HOURS);
//! - `erase_emails`: addresses of bookings whose day has passed are forgotten (BK-NOPII);
//! - `purge_history`: booking events older than `[booking] history_days` are deleted (BK-AUDIT).

use std::sync::Arc;
use std::time::Duration;

use jiff::{Timestamp, ToSpan};
use tokio::sync::Notify;
use tracing::{info, warn};

use super::letters::NoticeKind;
use super::notices::Notices;
use super::stranded::stranded;
use crate::booking::OfficeSet;
use crate::calendar::CalendarSet;
use crate::calendar::time_of_day::TimeOfDay;
use crate::store::Store;
use crate::store::outbox::JobRun;

/// What the jobs need to know.
#[derive(Debug, Clone)]
pub struct JobSettings {
    pub every: Duration,
    /// Reminders go out from this time of day (Tokyo).
    pub reminders_from: TimeOfDay,
    /// Booking events are kept this many days.
    pub history_days: i64,
    /// Days ahead that closures are looked for (the booking horizon).
    pub horizon_days: i64,
}

/// The jobs of a running center.
#[derive(Debug, Clone)]
pub struct Jobs {
    store: Store,
    notices: Notices,
    offices: Arc<OfficeSet>,
    calendars: Arc<CalendarSet>,
    settings: JobSettings,
    wake: Arc<Notify>,
}

/// The clock of the jobs, read at the edge.
#[allow(clippy::disallowed_methods)]
fn now() -> Timestamp {
    Timestamp::now()
}

impl Jobs {
    pub fn new(
        store: Store,
        notices: Notices,
        offices: Arc<OfficeSet>,
        calendars: Arc<CalendarSet>,
        settings: JobSettings,
    ) -> Jobs {
        Jobs {
            store,
            notices,
            offices,
            calendars,
            settings,
            wake: Arc::new(Notify::new()),
        }
    }

    /// Runs the jobs on their timer, and when [`Jobs::wake`] is called.
    pub fn start(&self) -> tokio::task::JoinHandle<()> {
        let jobs = self.clone();
        tokio::spawn(async move {
            loop {
                jobs.run_all(now()).await;
                tokio::select! {
                    _ = jobs.wake.notified() => {}
                    _ = tokio::time::sleep(jobs.settings.every) => {}
                }
            }
        })
    }

    /// Runs the jobs soon (after a calendar reload).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Runs every job once, as at `at`, logging each run.
    pub async fn run_all(&self, at: Timestamp) {
        let local = crate::calendar::tokyo_time(at);
        let today = local.date();
        let tomorrow = today.tomorrow().unwrap_or(today);
        let day_after = tomorrow.tomorrow().unwrap_or(tomorrow);
        let horizon = today
            .checked_add((self.settings.horizon_days + 1).days())
            .unwrap_or(today);

        if TimeOfDay::of(local.time()) >= self.settings.reminders_from {
            let outcome = self
                .reminders(&format!("{tomorrow}T00:00"), &format!("{day_after}T00:00"), at)
                .await;
            self.log("reminders", at, outcome).await;
        }
        let from = local.strftime("%Y-%m-%dT%H:%M").to_string();
        let outcome = self.closure_notices(&from, &format!("{horizon}T00:00"), at).await;
        self.log("closure_notices", at, outcome).await;
        let outcome = self
            .store
            .erase_past_emails(&format!("{today}T00:00"))
            .await
            .map_err(|e| e.to_string());
        self.log("erase_emails", at, outcome).await;
        let cutoff = at
            .checked_sub(jiff::SignedDuration::from_hours(24 * self.settings.history_days.max(1)))
            .unwrap_or(Timestamp::MIN);
        let outcome = self.store.purge_booking_events(cutoff).await.map_err(|e| e.to_string());
        self.log("purge_history", at, outcome).await;
    }

    async fn reminders(&self, from: &str, to: &str, at: Timestamp) -> Result<u64, String> {
        if !self.notices.enabled() {
            return Ok(0);
        }
        let rows = self
            .store
            .bookings_with_email_between(from, to)
            .await
            .map_err(|e| e.to_string())?;
        let mut written = 0;
        for row in rows {
            let about = row.slot_start.clone();
            if self
                .notices
                .send(NoticeKind::Reminder, &row, "", &about, at)
                .await
                .map_err(|e| e.to_string())?
            {
                written += 1;
            }
        }
        Ok(written)
    }

    async fn closure_notices(&self, from: &str, to: &str, at: Timestamp) -> Result<u64, String> {
        let rows = self
            .store
            .bookings_between(from, to, None)
            .await
            .map_err(|e| e.to_string())?;
        let found = stranded(rows, &self.offices.snapshot(), &self.calendars.snapshot());
        if !found.is_empty() {
            info!(
                bookings = found.len(),
                "bookings fall on closed times: staff must move them"
            );
        }
        let mut written = 0;
        for (row, reason) in found {
            let about = row.slot_start.clone();
            if self
                .notices
                .send(NoticeKind::Closure, &row, &reason, &about, at)
                .await
                .map_err(|e| e.to_string())?
            {
                written += 1;
            }
        }
        Ok(written)
    }

    async fn log(&self, job: &str, started: Timestamp, outcome: Result<u64, String>) {
        let (rows, text) = match &outcome {
            Ok(rows) => (i64::try_from(*rows).unwrap_or(i64::MAX), "ok".to_string()),
            Err(e) => (0, format!("failed: {e}")),
        };
        if let Err(e) = &outcome {
            warn!(job, error = %e, "a booking job failed; it runs again next time");
        }
        let run = JobRun {
            job: job.to_string(),
            started_at: started.to_string(),
            finished_at: now().to_string(),
            rows,
            outcome: text,
        };
        if let Err(e) = self.store.log_job_run(&run).await {
            warn!(job, error = %e, "cannot log a job's run");
        }
    }
}
