//! The reports written for the city without anyone asking (CC-REPORT: the daily report by the
//! next business day, the monthly one after the month): from `[reports] files_at` (Tokyo),
//! yesterday's daily report and last month's monthly report are written once under
//! `DATA_DIR/reports/` as printable HTML and CSV for Excel (`daily/DATE.html`,
//! `monthly/YYYY-MM.html`, …). A day's figures do not change once it is over; a file already
//! there is left alone. PDFs are printed on request (`/reports`, `tsunagu report`).

use std::path::Path;
use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::Date;

use crate::booking::OfficeSet;
use crate::calendar::CalendarSet;
use crate::calendar::time_of_day::TimeOfDay;
use crate::faq::Book;
use crate::lang::Lang;
use crate::report::html::{daily_html, monthly_html};
use crate::report::metrics::Thresholds;
use crate::report::table::{days_csv, monthly_csv};
use crate::reporting::{self, Sources};
use crate::store::Store;

/// What the report files need besides the store.
#[derive(Debug, Clone)]
pub struct ReportFiles {
    pub sla_calendar: String,
    pub due_calendar: String,
    pub thresholds: Thresholds,
    pub faq: Arc<Book>,
    /// They are written from this time of day (Tokyo).
    pub from: TimeOfDay,
}

fn write_new(path: &Path, bytes: &[u8]) -> Result<bool, String> {
    if path.exists() {
        return Ok(false);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    // Written beside and renamed, so that a reader never finds half a report.
    let partial = path.with_extension("partial");
    std::fs::write(&partial, bytes).map_err(|e| format!("{}: {e}", partial.display()))?;
    std::fs::rename(&partial, path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(true)
}

/// Writes the reports due at `at` that are not written yet; returns how many files it wrote.
pub async fn write_due(
    store: &Store,
    calendars: &CalendarSet,
    offices: &OfficeSet,
    files: &ReportFiles,
    data_dir: &Path,
    at: Timestamp,
) -> Result<u64, String> {
    let local = crate::calendar::tokyo_time(at);
    if TimeOfDay::of(local.time()) < files.from {
        return Ok(0);
    }
    let today = local.date();
    let sources = Sources {
        store,
        calendars,
        sla_calendar: &files.sla_calendar,
        due_calendar: &files.due_calendar,
        thresholds: files.thresholds,
        office_names: offices
            .snapshot()
            .iter()
            .map(|o| (o.id.clone(), o.name.clone()))
            .collect(),
        faq_questions: files
            .faq
            .snapshot()
            .values()
            .map(|e| (e.id.clone(), e.question_in(Lang::Ja).1.to_string()))
            .collect(),
    };
    let made_at = local.strftime("%Y-%m-%d %H:%M").to_string();
    let dir = data_dir.join("reports");
    let mut written = 0;
    let yesterday: Date = today.yesterday().map_err(|e| e.to_string())?;
    let daily = dir.join("daily");
    if !daily.join(format!("{yesterday}.html")).exists() {
        let (figures, categories) = reporting::daily(&sources, yesterday, at)
            .await
            .map_err(|e| e.to_string())?;
        let csv = days_csv(std::slice::from_ref(&figures), true).map_err(|e| e.to_string())?;
        written += u64::from(write_new(&daily.join(format!("{yesterday}.csv")), &csv)?);
        let html = daily_html(&figures, &categories, &made_at);
        written += u64::from(write_new(&daily.join(format!("{yesterday}.html")), html.as_bytes())?);
    }
    let last_month = today
        .first_of_month()
        .yesterday()
        .map_err(|e| e.to_string())?
        .first_of_month();
    let month = last_month.strftime("%Y-%m").to_string();
    let monthly = dir.join("monthly");
    if !monthly.join(format!("{month}.html")).exists() {
        let report = reporting::monthly(&sources, last_month, at, None)
            .await
            .map_err(|e| e.to_string())?;
        let csv = monthly_csv(&report).map_err(|e| e.to_string())?;
        written += u64::from(write_new(&monthly.join(format!("{month}.csv")), &csv)?);
        written += u64::from(write_new(
            &monthly.join(format!("{month}.html")),
            monthly_html(&report).as_bytes(),
        )?);
    }
    Ok(written)
}
