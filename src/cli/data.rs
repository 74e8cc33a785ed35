//! `tsunagu data purge --all --confirm` (BK-OPS): at contract end, every booking, event, call
//! record, account and address is deleted from the database, and a completion report
//! (完了報告) is printed: each table with the rows it held and holds now. Without `--confirm`
//! it only reports what would be deleted.

use std::process::ExitCode;

use anyhow::{Context, bail};
use tsunagu::store::{Store, redact_url};

use super::serve::ServeArgs;

#[derive(Debug, clap::Subcommand)]
pub enum DataCommand {
    /// Delete every row of every table (bookings, their history, call records, accounts,
    /// e-mail and IP addresses) and print a completion report.
    Purge {
        /// Everything (the only scope so far; required so that the command is never typed
        /// by accident).
        #[arg(long)]
        all: bool,
        /// Really delete; without it the command reports what it would delete.
        #[arg(long)]
        confirm: bool,
        #[command(flatten)]
        serve: ServeArgs,
    },
}

/// The clock, read at the edge.
#[allow(clippy::disallowed_methods)]
fn now() -> jiff::Timestamp {
    jiff::Timestamp::now()
}

pub async fn run(command: DataCommand) -> anyhow::Result<ExitCode> {
    let DataCommand::Purge { all, confirm, serve } = command;
    if !all {
        bail!("say what to purge: --all (everything) is the only scope");
    }
    let config = serve.config()?;
    let url = config.database_url();
    if config.paths.database_url.is_none() && !config.paths.data_dir.join("tsunagu.db").exists() {
        bail!("no database at {}", config.paths.data_dir.join("tsunagu.db").display());
    }
    let store = Store::connect(&url).await.context("cannot open the database")?;
    if !confirm {
        let counts = store.table_counts().await?;
        let total: i64 = counts.iter().map(|(_, n)| n).sum();
        for (table, rows) in &counts {
            println!("{table:<24} {rows:>10} rows");
        }
        println!(
            "{total} rows would be deleted from {}. Nothing was deleted: add --confirm.",
            redact_url(&url)
        );
        return Ok(ExitCode::from(2));
    }
    let before = store.purge_everything().await?;
    let after = store.table_counts().await?;
    let at = now();
    println!("データ消去完了報告 / Data deletion report");
    println!("database: {}", redact_url(&url));
    println!(
        "completed: {} (Tokyo {})",
        at,
        tsunagu::calendar::tokyo_time(at).strftime("%Y-%m-%d %H:%M:%S")
    );
    println!("{:<24} {:>12} {:>10}", "table", "rows deleted", "rows now");
    for (table, rows) in &before {
        let now = after.iter().find(|(t, _)| t == table).map_or(0, |(_, n)| *n);
        println!("{table:<24} {rows:>12} {now:>10}");
    }
    let deleted: i64 = before.iter().map(|(_, n)| n).sum();
    let left: i64 = after.iter().map(|(_, n)| n).sum();
    if left == 0 {
        println!("{deleted} rows deleted; every table is empty and its space reclaimed.");
        Ok(ExitCode::SUCCESS)
    } else {
        println!("{deleted} rows deleted, but {left} rows remain: the purge is NOT complete.");
        Ok(ExitCode::from(1))
    }
}
