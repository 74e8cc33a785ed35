//! The scheduled booking jobs, run together every `[booking] jobs_every_minutes` and whenever
//! the calendars are reloaded, each run logged in the database (`job_runs`):
//!
//! - `reminders`: the day-before notice to bookers of tomorrow's slots (from `[mail]
//!   reminders_from`, Tokyo time);
//! - `closure_notices`: a notice to bookers whose slot a later closure fell on (BK-HOURS);
//! - `erase_emails`: addresses of bookings whose day has passed are forgotten (BK-NOPII);
//! - `purge_history`: booking events older than `[booking] history_days` are deleted (BK-AUDIT);
//! - `handover`: from `[booking] handover_at` (Tokyo), each office's list of its next open day
//!   is written to `DATA_DIR/handover/DATE/OFFICE.csv` (and rewritten at each run, so that it is
//!   current), and sent once to the office's mailbox: the counters prepare the cards from it.
//! - `recording_retention`: recordings and transcripts older than `[recording] retention_days`
//!   are deleted, held ones kept (CC-COMPLAINT).
//! - `report_files`: from `[reports] files_at`, yesterday's daily report and last month's
//!   monthly report are written under `DATA_DIR/reports/` (CC-REPORT; [`super::report_files`]).

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
    /// The hand-over lists are made from this time of day (Tokyo).
    pub handover_at: TimeOfDay,
    /// Where the hand-over lists are written (`handover/` under it).
    pub data_dir: std::path::PathBuf,
    /// Where the recordings are, and how many days they are kept (`[recording]`).
    pub recordings_dir: std::path::PathBuf,
    pub recording_retention_days: i64,
    /// The reports written for the city.
    pub reports: super::report_files::ReportFiles,
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
        let cutoff = at
            .checked_sub(jiff::SignedDuration::from_hours(
                24 * self.settings.recording_retention_days.max(1),
            ))
            .unwrap_or(Timestamp::MIN);
        let outcome = crate::recording::retention::sweep(&self.store, &self.settings.recordings_dir, cutoff, at).await;
        self.log("recording_retention", at, outcome).await;
        if TimeOfDay::of(local.time()) >= self.settings.handover_at {
            let outcome = self.handovers(today, at).await;
            self.log("handover", at, outcome).await;
        }
        if TimeOfDay::of(local.time()) >= self.settings.reports.from {
            let outcome = super::report_files::write_due(
                &self.store,
                &self.calendars,
                &self.offices,
                &self.settings.reports,
                &self.settings.data_dir,
                at,
            )
            .await;
            self.log("report_files", at, outcome).await;
        }
    }

    /// Each office's list of its next open day (within two weeks); returns the lists written.
    async fn handovers(&self, today: jiff::civil::Date, at: Timestamp) -> Result<u64, String> {
        let calendars = self.calendars.snapshot();
        let mut written = 0;
        for office in self.offices.snapshot().iter() {
            let Some(calendar) = calendars.get(&office.calendar) else {
                continue;
            };
            let next_open = (1..=14)
                .filter_map(|n| today.checked_add(n.days()).ok())
                .find(|day| !calendar.day(*day).open.is_closed());
            let Some(day) = next_open else { continue };
            let next = day.tomorrow().map_err(|e| e.to_string())?;
            let rows: Vec<_> = self
                .store
                .bookings_between(&format!("{day}T00:00"), &format!("{next}T00:00"), Some(&office.id))
                .await
                .map_err(|e| e.to_string())?
                .into_iter()
                .filter(|b| b.is_booked())
                .collect();
            let dir = self.settings.data_dir.join("handover").join(day.to_string());
            std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            let file = dir.join(format!("{}.csv", office.id));
            std::fs::write(&file, handover_csv(&rows)).map_err(|e| format!("{}: {e}", file.display()))?;
            let lines: Vec<String> = rows
                .iter()
                .map(|b| {
                    format!(
                        "{}  {}  {}",
                        &b.slot_start[11..],
                        crate::booking::code::display_code(&b.code),
                        crate::booking::Service::parse(&b.service).map_or(b.service.as_str(), |s| s.japanese())
                    )
                })
                .collect();
            let subject = format!("【引継ぎ】{day} 予約一覧 {}（{}件）", office.name, rows.len());
            let body = format!(
                "{day} の予約一覧です（{}件）。最新の一覧は予約一覧の画面と {} にあります。

{}
",
                rows.len(),
                file.display(),
                lines.join("\n")
            );
            self.notices
                .send_to_office(office, &subject, &body, &format!("handover:{}:{day}", office.id), at)
                .await
                .map_err(|e| e.to_string())?;
            written += 1;
        }
        Ok(written)
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

/// A hand-over list as CSV for Excel: a BOM, Japanese headers, one booking a row by time.
fn handover_csv(rows: &[crate::store::bookings::BookingRow]) -> Vec<u8> {
    let mut out = Vec::from("\u{feff}".as_bytes());
    {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        let _ = writer.write_record(["開始", "手続き", "予約番号", "来庁者", "受付経路"]);
        for b in rows {
            let service = crate::booking::Service::parse(&b.service).map_or(b.service.as_str(), |s| s.japanese());
            let visitor = crate::booking::Visitor::parse(&b.visitor).map_or(b.visitor.as_str(), |v| v.japanese());
            let _ = writer.write_record([
                b.slot_start.get(11..).unwrap_or_default(),
                service,
                &crate::booking::code::display_code(&b.code),
                visitor,
                &b.channel,
            ]);
        }
        let _ = writer.flush();
    }
    out
}
