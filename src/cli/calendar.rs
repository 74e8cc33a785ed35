//! `tsunagu calendar …`: holidays, checking calendar files, open intervals, status now,
//! saving a calendar into the database and its history.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::Subcommand;
use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use tsunagu::calendar::{self, Calendar, CalendarSet, OpenState, sources};
use tsunagu::store::Store;

use super::CalendarSources;

#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// Print the Japanese national holidays of a year (1980–2099): date, Japanese name, English name.
    Holidays { year: i16 },
    /// Validate calendar files; problems are printed as FILE: line N: message (exit 1).
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print the open intervals of a calendar between two dates (both included).
    Open {
        /// A calendar id (call-center, kawasaki-card-center, …) or a calendar file.
        calendar: String,
        #[arg(long)]
        from: Date,
        #[arg(long)]
        to: Date,
        /// Also print the closed days, with the reason.
        #[arg(long)]
        with_closed: bool,
    },
    /// Is it open now (or at --at), and if not, why and when does it open next.
    Status {
        /// Calendar ids or files; all known calendars when none is given.
        #[arg(value_name = "CALENDAR")]
        names: Vec<String>,
        /// A Tokyo local time (2026-04-04T18:30) or an instant with offset (2026-04-04T09:30Z).
        #[arg(long)]
        at: Option<String>,
    },
    /// Print the number of open days in each month of a year.
    OpenDays { calendar: String, year: i16 },
    /// Validate a calendar file and save it in the database as the calendar's new revision.
    Import {
        file: PathBuf,
        /// Who makes the change (kept in the history).
        #[arg(long, default_value = "cli")]
        by: String,
        /// Why (kept in the history).
        #[arg(long, default_value = "")]
        note: String,
    },
    /// List the revisions of a calendar saved in the database, newest first.
    History { calendar: String },
}

pub async fn run(sources: &CalendarSources, command: CalendarCommand) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    match command {
        CalendarCommand::Holidays { year } => {
            if !calendar::holidays::SUPPORTED_YEARS.contains(&year) {
                bail!("year {year} is outside 1980–2099, the years the holiday rules are valid for");
            }
            for h in calendar::holidays_in_year(year) {
                writeln!(out, "{}\t{}\t{}", h.date, h.name.japanese(), h.name.english())?;
            }
        }
        CalendarCommand::Check { files } => return check(&mut out, &files),
        CalendarCommand::Open {
            calendar,
            from,
            to,
            with_closed,
        } => {
            if to < from {
                bail!("--to {to} is before --from {from}");
            }
            let cal = resolve(sources, &calendar).await?;
            for day in cal.days(from, to) {
                let weekday = weekday_abbr(day.date);
                for hours in day.open.intervals() {
                    writeln!(out, "{}\t{weekday}\t{}\t{}", day.date, hours.start, hours.end)?;
                }
                if with_closed && day.open.is_closed() {
                    let reason = day.closed_all_day.map(|r| r.describe()).unwrap_or_default();
                    writeln!(out, "{}\t{weekday}\tclosed\t{reason}", day.date)?;
                }
            }
        }
        CalendarCommand::Status { names, at } => {
            let at = match at {
                Some(text) => parse_local_time(&text)?,
                None => calendar::tokyo_time(now()),
            };
            let chosen: Vec<Arc<Calendar>> = if names.is_empty() {
                let set = load_set(sources).await?;
                set.ids().iter().filter_map(|id| set.get(id)).collect()
            } else {
                let mut chosen = Vec::new();
                for name in &names {
                    chosen.push(resolve(sources, name).await?);
                }
                chosen
            };
            for cal in chosen {
                writeln!(out, "{}\t{}", cal.id, describe_state(&cal.status(at)))?;
            }
        }
        CalendarCommand::OpenDays { calendar, year } => {
            let cal = resolve(sources, &calendar).await?;
            for month in 1..=12 {
                writeln!(out, "{year}-{month:02}\t{}", cal.open_days_in_month(year, month))?;
            }
        }
        CalendarCommand::Import { file, by, note } => {
            let source = sources::read_file(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let cal = match calendar::parse(&source.origin, &source.text) {
                Ok(cal) => cal,
                Err(invalid) => {
                    eprintln!("{invalid}");
                    eprintln!("tsunagu: nothing was saved");
                    return Ok(ExitCode::from(1));
                }
            };
            let store = open_store(sources, true).await?;
            let revision = store
                .save_calendar_revision(&cal.id, &source.text, &by, &note, now())
                .await?;
            store.close().await;
            writeln!(out, "saved {} as revision {revision}", cal.id)?;
        }
        CalendarCommand::History { calendar } => {
            let store = open_store(sources, false).await?;
            for rev in store.calendar_history(&calendar).await? {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}",
                    rev.revision, rev.saved_at, rev.saved_by, rev.note
                )?;
            }
            store.close().await;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn check(out: &mut impl Write, files: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let mut all_valid = true;
    for path in files {
        let source = match sources::read_file(path) {
            Ok(source) => source,
            Err(e) => {
                eprintln!("{}: cannot read: {e}", path.display());
                all_valid = false;
                continue;
            }
        };
        match calendar::parse(&source.origin, &source.text) {
            Ok(cal) => writeln!(
                out,
                "{}: ok ({}: {} periods, {} rules)",
                source.origin,
                cal.id,
                cal.periods.len(),
                cal.rules.len()
            )?,
            Err(invalid) => {
                writeln!(out, "{invalid}")?;
                all_valid = false;
            }
        }
    }
    Ok(if all_valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The live calendars as a service would have them: shipped, then the folder, then the database.
/// A source that does not validate is reported and the previous version of its calendar kept.
async fn load_set(sources: &CalendarSources) -> anyhow::Result<CalendarSet> {
    let store = match sources.database_url(false) {
        Some(_) => Some(open_store(sources, false).await?),
        None => None,
    };
    let loaded = tsunagu::server::loading::calendars(sources.calendar_dir.as_deref(), store.as_ref()).await;
    if let Some(store) = store {
        store.close().await;
    }
    let (set, problems) = loaded.map_err(anyhow::Error::msg)?;
    for invalid in problems {
        eprintln!("{invalid}");
        eprintln!("tsunagu: kept the previous version of that calendar");
    }
    Ok(set)
}

/// A calendar named by id, or read from a file when the argument is a path.
async fn resolve(sources: &CalendarSources, name: &str) -> anyhow::Result<Arc<Calendar>> {
    let path = Path::new(name);
    if name.ends_with(".toml") || path.is_file() {
        let source = sources::read_file(path).with_context(|| format!("cannot read {name}"))?;
        return Ok(Arc::new(calendar::parse(&source.origin, &source.text)?));
    }
    let set = load_set(sources).await?;
    match set.get(name) {
        Some(cal) => Ok(cal),
        None => bail!("no calendar '{name}' (known: {})", set.ids().join(", ")),
    }
}

async fn open_store(sources: &CalendarSources, create: bool) -> anyhow::Result<Store> {
    let Some(url) = sources.database_url(create) else {
        bail!("no database: give --database-url, or a --data-dir holding tsunagu.db");
    };
    if create && sources.database_url.is_none() {
        std::fs::create_dir_all(&sources.data_dir)
            .with_context(|| format!("cannot create the data directory {}", sources.data_dir.display()))?;
    }
    Ok(Store::connect(&url).await?)
}

/// The command line is an edge: the one place here that reads the clock.
#[allow(clippy::disallowed_methods)]
fn now() -> Timestamp {
    Timestamp::now()
}

/// `2026-04-04T18:30` is Tokyo local time; `2026-04-04T09:30Z` or `…+09:00` is an instant.
fn parse_local_time(text: &str) -> anyhow::Result<DateTime> {
    if let Ok(instant) = text.parse::<Timestamp>() {
        return Ok(calendar::tokyo_time(instant));
    }
    text.parse::<DateTime>()
        .with_context(|| format!("'{text}' is not a date-time (expected 2026-04-04T18:30, Tokyo time)"))
}

fn describe_state(state: &OpenState) -> String {
    match state {
        OpenState::Open { until } => format!("open\tuntil {}", minutes(*until)),
        OpenState::Closed { reason, next_opening } => {
            let next = match next_opening {
                Some(at) => format!("opens {} ({})", minutes(*at), weekday_abbr(at.date())),
                None => "no opening in the calendar's known future".to_string(),
            };
            format!("closed\t{}\t{next}", reason.describe())
        }
    }
}

fn minutes(at: DateTime) -> String {
    at.strftime("%Y-%m-%d %H:%M").to_string()
}

fn weekday_abbr(date: Date) -> &'static str {
    use jiff::civil::Weekday::*;
    match date.weekday() {
        Monday => "Mon",
        Tuesday => "Tue",
        Wednesday => "Wed",
        Thursday => "Thu",
        Friday => "Fri",
        Saturday => "Sat",
        Sunday => "Sun",
    }
}
