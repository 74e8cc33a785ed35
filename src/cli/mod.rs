//! Command-line arguments and the dispatch to each command.

mod booking;
mod calendar;
mod data;
mod flows;
mod prompts;
mod recordings;
mod report;
mod serve;
mod user;

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

/// The answer rate, as `report daily` computes it (CC-SLA).
const REPORT_HELP: &str = "Print a day's figures: the answer rate against the 85 % target, service
level, speed of answer and handling time, by 30-minute interval, language, line and agent.

Definitions (Tokyo dates; each call counts once, in the day and interval it arrived in):
  received      every call from a trunk peer (it has a record), those turned away with 503 too
  out of hours  arrived while the center's calendar (center.sla_calendar) said closed; fixed
                when the call arrives: a later calendar correction does not move past calls
  rejected      refused before the IVR answered (no common codec, no media port)
  offered       arrived in hours and not rejected, INCLUDING callers turned away with the
                all-lines-busy message, by the queue giving up, at the door with 503, or sent
                to another number by the flow's transfer node (\"transferred away\")
  answered      offered calls an agent answered
  abandoned     offered calls whose caller hung up, in the IVR or in the queue; those who
                hung up within center.short_abandon_seconds of the answer are shown apart
  answer rate   answered / offered; the target is met at 85 % or more
  service level answered within center.service_level_seconds of entering the queue / offered
  ASA           average wait of answered calls, from entering the queue to the agent's answer
  AHT           (talk, hold included, + wrap-up) / calls handled, from the agents' event log
  occupancy     (talk + wrap-up) / (talk + wrap-up + ready + ringing)";

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the center: SIP trunk, IVR, call records (SIGTERM stops it gracefully).
    Serve(serve::ServeArgs),
    /// IVR flows (ivr-flows/*.toml).
    Flows {
        #[command(subcommand)]
        command: FlowsCommand,
    },
    /// Prompts: the speech texts of the catalogue, and which audio each language has.
    Prompts {
        #[command(subcommand)]
        command: PromptsCommand,
    },
    /// Staff accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Reports from the call records.
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// Bookings: take them over from a former system, hand them to a successor (BK-MIGRATE).
    Booking {
        #[command(subcommand)]
        command: booking::BookingCommand,
    },
    /// Recordings: transcribe a file as the workers do.
    Recordings {
        #[command(subcommand)]
        command: recordings::RecordingsCommand,
    },
    /// The data as a whole: deleting everything at contract end (BK-OPS).
    Data {
        #[command(subcommand)]
        command: data::DataCommand,
    },
    /// Opening calendars: Japanese holidays, opening hours, closures.
    Calendar {
        #[command(flatten)]
        sources: CalendarSources,
        #[command(subcommand)]
        command: calendar::CalendarCommand,
    },
}

#[derive(Debug, Subcommand)]
enum FlowsCommand {
    /// Validate every flow against the prompts and calendars; problems as FILE: line N: … (exit 1).
    Check(serve::ServeArgs),
}

#[derive(Debug, Subcommand)]
enum PromptsCommand {
    /// Per language: which prompts are recorded, generated, stand-in or missing, and which texts
    /// await native review; exit 1 when a flow uses a missing prompt.
    Check(serve::ServeArgs),
    /// Print `id<TAB>speech text` of every prompt and fragment of a language (for the generator).
    Texts {
        #[arg(long)]
        lang: String,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a user (the password is read from standard input when it is not a terminal).
    Add(user::AddArgs),
}

#[derive(Debug, Subcommand)]
enum ReportCommand {
    #[command(about = "Print a day's figures and the answer rate against the 85 % target", long_about = REPORT_HELP)]
    Daily {
        /// The day (Tokyo date), YYYY-MM-DD.
        #[arg(long)]
        date: jiff::civil::Date,
        #[arg(long, value_enum, default_value = "text")]
        format: report::Format,
        /// Write here instead of standard output.
        #[arg(long)]
        output: Option<std::path::PathBuf>,
        #[command(flatten)]
        args: serve::ServeArgs,
    },
    /// The monthly report the city receives (月次報告): figures by day and category, the
    /// service-level verification, days and half hours under 85 %, the improvement plan,
    /// escalations, complaints, security incidents and bookings per office.
    Monthly {
        /// The month, YYYY-MM.
        #[arg(long)]
        month: String,
        #[arg(long, value_enum, default_value = "html")]
        format: report::MonthlyFormat,
        /// A text file with the improvement plan (printed in its section).
        #[arg(long)]
        plan: Option<std::path::PathBuf>,
        /// Write here instead of standard output.
        #[arg(long)]
        output: Option<std::path::PathBuf>,
        #[command(flatten)]
        args: serve::ServeArgs,
    },
    /// Record a security incident (the monthly report counts them; 0 is the indicator).
    Incident {
        /// The day it occurred, YYYY-MM-DD.
        #[arg(long)]
        date: jiff::civil::Date,
        /// What happened, for the city (no personal information).
        #[arg(long)]
        summary: String,
        /// Who records it.
        #[arg(long, default_value = "")]
        by: String,
        #[command(flatten)]
        args: serve::ServeArgs,
    },
}

/// Where calendars come from: the shipped ones, then a folder, then the database.
#[derive(Debug, clap::Args)]
pub struct CalendarSources {
    /// A folder of calendar files (*.toml); they replace the shipped calendars of the same id.
    #[arg(long = "calendars", value_name = "DIR", global = true, env = "TSUNAGU_CALENDARS")]
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
        Command::Serve(args) => serve::run(args).await,
        Command::Booking { command } => booking::run(command).await,
        Command::Data { command } => data::run(command).await,
        Command::Recordings { command } => recordings::run(command).await,
        Command::User {
            command: UserCommand::Add(args),
        } => user::add(args).await,
        Command::Flows {
            command: FlowsCommand::Check(args),
        } => flows::check(args).await,
        Command::Prompts {
            command: PromptsCommand::Check(args),
        } => prompts::check(args).await,
        Command::Prompts {
            command: PromptsCommand::Texts { lang },
        } => prompts::texts(&lang),
        Command::Report {
            command:
                ReportCommand::Daily {
                    date,
                    format,
                    output,
                    args,
                },
        } => report::daily(args, date, format, output).await,
        Command::Report {
            command:
                ReportCommand::Monthly {
                    month,
                    format,
                    plan,
                    output,
                    args,
                },
        } => report::monthly(args, month, format, plan, output).await,
        Command::Report {
            command:
                ReportCommand::Incident {
                    date,
                    summary,
                    by,
                    args,
                },
        } => report::add_incident(args, date, summary, by).await,
    }
}
