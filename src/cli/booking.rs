//! `tsunagu booking import FILE [--dry-run]` and `tsunagu booking export` (BK-MIGRATE): bookings
//! taken over from a former system keep the codes residents know; every row that cannot be
//! taken over is reported with its line and why, and a dry run writes nothing. The export holds
//! everything a successor needs, e-mail addresses included: it is personal data.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use tsunagu::booking::code::{new_code, new_secret, secret_hash};
use tsunagu::booking::transfer::{Accepted, EXPORT_COLUMNS, Secret, check_row, read_rows};
use tsunagu::booking::{Channel, Service};
use tsunagu::pii::EmailAddress;
use tsunagu::server::loading;
use tsunagu::store::bookings::{BookingEvent, BookingRow, Taken};

use super::serve::ServeArgs;

#[derive(Debug, clap::Subcommand)]
pub enum BookingCommand {
    /// Take bookings over from a former system's CSV (columns: code, office, service, start;
    /// optional status, visitor, secret or secret_hash, email). Every rejected row is reported
    /// with its line and why; exit 1 when any is.
    Import {
        file: PathBuf,
        /// Check every row (against offices, calendars, capacities and existing codes) and write
        /// nothing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        serve: ServeArgs,
    },
    /// Write every booking as CSV (UTF-8 with BOM) for a successor, to --out or standard output.
    Export {
        #[arg(long)]
        out: Option<PathBuf>,
        /// Also write the bookings' history (every event) to this file.
        #[arg(long)]
        events: Option<PathBuf>,
        #[command(flatten)]
        serve: ServeArgs,
    },
}

pub async fn run(command: BookingCommand) -> anyhow::Result<ExitCode> {
    match command {
        BookingCommand::Import { file, dry_run, serve } => import(&file, dry_run, &serve).await,
        BookingCommand::Export { out, events, serve } => export(out, events, &serve).await,
    }
}

/// The clock, read at the edge.
#[allow(clippy::disallowed_methods)]
fn now() -> jiff::Timestamp {
    jiff::Timestamp::now()
}

async fn import(file: &std::path::Path, dry_run: bool, serve: &ServeArgs) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let rows = match read_rows(&text) {
        Ok(rows) => rows,
        Err(e) => bail!("{}: {e}", file.display()),
    };
    let (config, store) = serve.open_store().await?;
    let (calendars, problems) = loading::calendars(config.paths.calendars.as_deref(), Some(&store))
        .await
        .map_err(anyhow::Error::msg)?;
    for problem in problems {
        eprintln!("warning: {problem}");
    }
    let offices = loading::offices(config.paths.offices.as_deref(), &store, &calendars).await?;
    let (offices, calendars) = (offices.snapshot(), calendars.snapshot());
    let at = now();
    let local_now = tsunagu::calendar::tokyo_time(at);

    // What the database holds already: codes and places taken.
    let mut taken: BTreeMap<(String, Service, String), i64> = BTreeMap::new();
    for (office, service, start, used) in store
        .all_slot_usage(&local_now.strftime("%Y-%m-%dT%H:%M").to_string())
        .await?
    {
        if let Some(service) = Service::parse(&service) {
            taken.insert((office, service, start), used);
        }
    }
    let mut codes: BTreeSet<String> = BTreeSet::new();
    let mut rejected = Vec::new();
    let mut accepted: Vec<(usize, Accepted)> = Vec::new();
    for (line, row) in &rows {
        let outcome = check_row(row, &offices, &calendars, local_now).and_then(|a| {
            if !codes.insert(a.code.clone()) {
                return Err(format!("code {} appears twice in the file", a.code));
            }
            Ok(a)
        });
        match outcome {
            Ok(a) => accepted.push((*line, a)),
            Err(why) => rejected.push((*line, why)),
        }
    }
    let mut written = 0;
    for (line, a) in accepted {
        if store.booking(&a.code).await?.is_some() {
            rejected.push((line, format!("code {} is already in use here", a.code)));
            continue;
        }
        let key = (a.office.clone(), a.service, a.start.clone());
        let used = taken.get(&key).copied().unwrap_or(0);
        if dry_run {
            if used >= i64::from(a.capacity) {
                rejected.push((
                    line,
                    format!("the slot {} at {} is full ({} places)", a.start, a.office, a.capacity),
                ));
            } else {
                taken.insert(key, used + 1);
                written += 1;
            }
            continue;
        }
        let (row, event) = booking_of(&a, at);
        match store.book(&row, i64::from(a.capacity), &event).await? {
            Taken::Booked { .. } => written += 1,
            Taken::Full => rejected.push((
                line,
                format!("the slot {} at {} is full ({} places)", a.start, a.office, a.capacity),
            )),
            Taken::CodeInUse => rejected.push((line, format!("code {} is already in use here", a.code))),
        }
    }
    rejected.sort();
    for (line, why) in &rejected {
        println!("line {line}: rejected: {why}");
    }
    let verb = if dry_run {
        "would be imported (dry run: nothing written)"
    } else {
        "imported"
    };
    println!("{} rows: {written} {verb}, {} rejected", rows.len(), rejected.len());
    Ok(if rejected.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn booking_of(a: &Accepted, at: jiff::Timestamp) -> (BookingRow, BookingEvent) {
    let hash = match &a.secret {
        Secret::Hash(hash) => hash.clone(),
        Secret::Plain(secret) => secret_hash(&a.code, secret),
        // Nobody knows this one: the booker changes through the call center, by code.
        Secret::None => secret_hash(&a.code, &format!("{}{}", new_secret(), new_code())),
    };
    let stamp = at.to_string();
    let row = BookingRow {
        code: a.code.clone(),
        secret_hash: hash,
        office: a.office.clone(),
        service: a.service.as_str().to_string(),
        slot_start: a.start.clone(),
        slot_minutes: i64::from(a.slot_minutes),
        status: "booked".into(),
        channel: Channel::Import.as_str().into(),
        booked_by: String::new(),
        call_id: String::new(),
        visitor: a.visitor.as_str().into(),
        confirmations: "[]".into(),
        email: a.email.clone().map(EmailAddress::new),
        created_at: stamp.clone(),
        updated_at: stamp,
    };
    let event = BookingEvent {
        kind: "imported".into(),
        actor: "import".into(),
        channel: Channel::Import.as_str().into(),
        at,
        before: String::new(),
        after: serde_json::json!({
            "office": row.office, "service": row.service, "slot_start": row.slot_start,
            "slot_minutes": row.slot_minutes, "status": row.status,
        })
        .to_string(),
        reason: String::new(),
        address: String::new(),
    };
    (row, event)
}

async fn export(out: Option<PathBuf>, events: Option<PathBuf>, serve: &ServeArgs) -> anyhow::Result<ExitCode> {
    let (_, store) = serve.open_store().await?;
    let bookings = store.all_bookings().await?;
    let mut buffer = Vec::from("\u{feff}".as_bytes());
    {
        let mut writer = csv::Writer::from_writer(&mut buffer);
        writer.write_record(EXPORT_COLUMNS)?;
        for b in &bookings {
            // The one place an address leaves the database: the successor sends the notices.
            let email = b.email.as_ref().map(|e| e.expose().clone()).unwrap_or_default();
            writer.write_record([
                b.code.as_str(),
                &b.office,
                &b.service,
                &b.slot_start,
                &b.slot_minutes.to_string(),
                &b.status,
                &b.channel,
                &b.visitor,
                &b.confirmations,
                &b.secret_hash,
                &email,
                &b.booked_by,
                &b.created_at,
                &b.updated_at,
            ])?;
        }
        writer.flush()?;
    }
    match &out {
        Some(path) => std::fs::write(path, &buffer).with_context(|| format!("cannot write {}", path.display()))?,
        None => std::io::stdout().write_all(&buffer)?,
    }
    if let Some(path) = &events {
        let mut buffer = Vec::from("\u{feff}".as_bytes());
        {
            let mut writer = csv::Writer::from_writer(&mut buffer);
            writer.write_record([
                "code", "at", "kind", "actor", "channel", "before", "after", "reason", "address",
            ])?;
            for e in store.all_booking_events().await? {
                writer.write_record([
                    &e.code, &e.at, &e.kind, &e.actor, &e.channel, &e.before, &e.after, &e.reason, &e.address,
                ])?;
            }
            writer.flush()?;
        }
        std::fs::write(path, &buffer).with_context(|| format!("cannot write {}", path.display()))?;
    }
    eprintln!("{} bookings exported", bookings.len());
    Ok(ExitCode::SUCCESS)
}
