//! `tsunagu report daily`: the day's calls and the answer rate against the 85 % target.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use jiff::civil::Date;
use tsunagu::report::daily::daily_report;
use tsunagu::store::Store;

use super::serve::ServeArgs;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

pub async fn daily(args: ServeArgs, date: Date, format: Format) -> anyhow::Result<ExitCode> {
    let config = args.config()?;
    let url = config.database_url();
    if config.paths.database_url.is_none() && !config.paths.data_dir.join("tsunagu.db").exists() {
        anyhow::bail!(
            "no database at {} (give --data-dir or --database-url)",
            config.paths.data_dir.join("tsunagu.db").display()
        );
    }
    let store = Store::connect(&url).await.context("cannot open the database")?;
    let calls = store.calls_of_day(&date.to_string()).await?;
    store.close().await;
    let report = daily_report(&date.to_string(), &calls, config.center.short_abandon_seconds);
    let mut out = std::io::stdout().lock();
    match format {
        Format::Text => write!(out, "{}", report.to_text())?,
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?,
    }
    Ok(ExitCode::SUCCESS)
}
