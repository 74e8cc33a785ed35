//! Command-line arguments and the dispatch to each command.

mod calendar;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "tsunagu",
    version,
    about = "Contact-center telephony and IVR backend for a My Number card call center"
)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Opening calendars: Japanese holidays, opening hours, closures.
    Calendar {
        #[command(flatten)]
        sources: CalendarSources,
        #[command(subcommand)]
        command: calendar::CalendarCommand,
    },
}

/// Where calendars come from: the shipped ones, then a folder, then the database.
#[derive(Debug, clap::Args)]
pub struct CalendarSources {
    /// A folder of calendar files (*.toml); they replace the shipped calendars of the same id.
    #[arg(
        long = "calendars",
        value_name = "DIR",
        global = true,
        env = "TSUNAGU_CALENDARS"
    )]
    calendar_dir: Option<PathBuf>,
    /// The data directory; its SQLite database (tsunagu.db) is read when present.
    #[arg(long, global = true, default_value = "data", env = "TSUNAGU_DATA_DIR")]
    data_dir: PathBuf,
    /// Database URL (sqlite://PATH or postgres://...); calendars saved there replace the files.
    #[arg(long, global = true, env = "TSUNAGU_DATABASE_URL")]
    database_url: Option<String>,
}

impl CalendarSources {
    /// The database to use: the one named, or the data directory's SQLite file. `create`
    /// says whether a missing SQLite file may be created (only commands that write do so).
    fn database_url(&self, create: bool) -> Option<String> {
        if let Some(url) = &self.database_url {
            return Some(url.clone());
        }
        let path = self.data_dir.join("tsunagu.db");
        (create || path.exists()).then(|| format!("sqlite://{}", path.display()))
    }
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Calendar { sources, command } => calendar::run(&sources, command).await,
    }
}
