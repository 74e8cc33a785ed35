//! `tsunagu report daily` and `tsunagu report monthly`: the figures and the reports the city
//! receives, as text, JSON, CSV for Excel, printable HTML or PDF.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use jiff::civil::Date;
use tsunagu::calendar::CalendarSet;
use tsunagu::config::Config;
use tsunagu::report::daily::day_text;
use tsunagu::report::html::{daily_html, monthly_html};
use tsunagu::report::table::{days_csv, monthly_csv};
use tsunagu::reporting::{self, Sources};
use tsunagu::store::Store;

use super::serve::ServeArgs;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    /// For Excel: UTF-8 with a BOM, Japanese headers.
    Csv,
    /// Printable (A4), in Japanese.
    Html,
    /// The printable HTML printed by Chromium (reports.chromium).
    Pdf,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum MonthlyFormat {
    Html,
    Pdf,
    Csv,
    Json,
}

/// The CLI is an edge: it reads the clock.
#[allow(clippy::disallowed_methods)]
fn now() -> jiff::Timestamp {
    jiff::Timestamp::now()
}

/// Office id → name and FAQ id → question, as the reports name them.
struct Names {
    offices: BTreeMap<String, String>,
    faq: BTreeMap<String, String>,
}

async fn open(args: &ServeArgs) -> anyhow::Result<(Config, Store, CalendarSet, Names)> {
    let config = args.config()?;
    let url = config.database_url();
    if config.paths.database_url.is_none() && !config.paths.data_dir.join("tsunagu.db").exists() {
        anyhow::bail!(
            "no database at {} (give --data-dir or --database-url)",
            config.paths.data_dir.join("tsunagu.db").display()
        );
    }
    let store = Store::connect(&url).await.context("cannot open the database")?;
    let (calendars, problems) = tsunagu::server::loading::calendars(config.paths.calendars.as_deref(), Some(&store))
        .await
        .map_err(|e| anyhow::anyhow!("calendars: {e}"))?;
    for problem in problems {
        eprintln!("warning: {problem}");
    }
    let offices = tsunagu::server::loading::offices(config.paths.offices.as_deref(), &store, &calendars)
        .await
        .map_err(|e| anyhow::anyhow!("offices: {e}"))?;
    let (faq, _) = tsunagu::server::loading::faq_book(&config.paths.faq, &store)
        .await
        .map_err(|e| anyhow::anyhow!("the FAQ book: {e}"))?;
    let names = Names {
        offices: offices
            .snapshot()
            .iter()
            .map(|o| (o.id.clone(), o.name.clone()))
            .collect(),
        faq: faq
            .snapshot()
            .values()
            .map(|e| (e.id.clone(), e.question_in(tsunagu::lang::Lang::Ja).1.to_string()))
            .collect(),
    };
    Ok((config, store, calendars, names))
}

fn sources<'a>(config: &'a Config, store: &'a Store, calendars: &'a CalendarSet, names: &Names) -> Sources<'a> {
    Sources {
        store,
        calendars,
        sla_calendar: &config.center.sla_calendar,
        due_calendar: &config.reports.due_calendar,
        thresholds: config.center.thresholds(),
        office_names: names.offices.clone(),
        faq_questions: names.faq.clone(),
    }
}

/// Writes to the file named, or to standard output.
fn emit(output: Option<&PathBuf>, bytes: &[u8]) -> anyhow::Result<()> {
    match output {
        Some(path) => std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display())),
        None => Ok(std::io::stdout().lock().write_all(bytes)?),
    }
}

fn made_at() -> String {
    tsunagu::calendar::tokyo_time(now())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

pub async fn daily(args: ServeArgs, date: Date, format: Format, output: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let (config, store, calendars, names) = open(&args).await?;
    let (figures, categories) = reporting::daily(&sources(&config, &store, &calendars, &names), date, now()).await?;
    store.close().await;
    let bytes = match format {
        Format::Text => day_text(&figures).into_bytes(),
        Format::Json => format!("{}\n", serde_json::to_string_pretty(&figures)?).into_bytes(),
        Format::Csv => days_csv(&[figures], true)?,
        Format::Html => daily_html(&figures, &categories, &made_at()).into_bytes(),
        Format::Pdf => {
            tsunagu::print::html_to_pdf(&daily_html(&figures, &categories, &made_at()), &config.reports.chromium)?
        }
    };
    emit(output.as_ref(), &bytes)?;
    Ok(ExitCode::SUCCESS)
}

pub async fn monthly(
    args: ServeArgs,
    month: String,
    format: MonthlyFormat,
    plan: Option<PathBuf>,
    output: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let first: Date = format!("{}-01", month.trim())
        .parse()
        .map_err(|_| anyhow::anyhow!("--month: YYYY-MM, e.g. 2026-11 (not {month})"))?;
    let plan = match plan {
        Some(path) => Some(std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?),
        None => None,
    };
    let (config, store, calendars, names) = open(&args).await?;
    let report = reporting::monthly(&sources(&config, &store, &calendars, &names), first, now(), plan).await?;
    store.close().await;
    let bytes = match format {
        MonthlyFormat::Json => format!("{}\n", serde_json::to_string_pretty(&report)?).into_bytes(),
        MonthlyFormat::Csv => monthly_csv(&report)?,
        MonthlyFormat::Html => monthly_html(&report).into_bytes(),
        MonthlyFormat::Pdf => tsunagu::print::html_to_pdf(&monthly_html(&report), &config.reports.chromium)?,
    };
    emit(output.as_ref(), &bytes)?;
    Ok(ExitCode::SUCCESS)
}

/// `tsunagu incident add`: records a security incident for the monthly report.
pub async fn add_incident(args: ServeArgs, date: Date, summary: String, by: String) -> anyhow::Result<ExitCode> {
    let summary = summary.trim();
    if summary.is_empty() {
        anyhow::bail!("--summary: say what happened (no personal information)");
    }
    let (_, store, _, _) = open(&args).await?;
    store
        .record_incident(&date.to_string(), summary, by.trim(), &now().to_string())
        .await?;
    store.close().await;
    println!("recorded: {date} {summary}");
    Ok(ExitCode::SUCCESS)
}
