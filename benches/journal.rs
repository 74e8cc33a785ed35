//! How many calls' records a second the journal writes, on SQLite (a file in a temporary
//! directory) and on PostgreSQL (`TSUNAGU_TEST_POSTGRES_URL`, default the local server): the
//! rows of CALLS calls (the call and five steps each, as a short IVR call writes them) are
//! appended as fast as the caller can, then the time until all are committed is taken.
//! Run with `ops/bench/journal [CALLS]`; prints rows/s and calls/s per backend.

// A benchmark is an edge: it reads the clock.
#![allow(clippy::disallowed_methods)]

use std::time::Instant;

use sqlx::{Connection, Executor, PgConnection};
use tsunagu::journal::{AbandonPlace, Codec, EndCause, Line, NewCall, Side, Step, StepRow, TimedStep};
use tsunagu::pii::PhoneNumber;
use tsunagu::store::Store;
use tsunagu::store::journal::{Journal, JournalLimits};

fn call(n: usize) -> (NewCall, Vec<StepRow>) {
    let id = format!("bench-{n:08}");
    let call = NewCall {
        id: id.clone(),
        sip_call_id: format!("{n}@bench"),
        arrived_at: "2026-12-02T01:00:00Z".into(),
        service_date: "2026-12-02".into(),
        in_hours: true,
        caller: PhoneNumber::from(format!("090{n:08}")),
        dialed: PhoneNumber::from("0120380366"),
        line: Line::TollFree,
        trunk_peer: "127.0.0.1:5060".into(),
        transport: "udp".into(),
    };
    let steps = [
        Step::Arrived,
        Step::IvrAnswered { codec: Codec::Ulaw },
        Step::InHours,
        Step::Abandoned {
            place: AbandonPlace::Ivr,
        },
        Step::Ended {
            cause: EndCause::CallerBye,
            side: Side::Caller,
        },
    ]
    .into_iter()
    .enumerate()
    .map(|(i, step)| StepRow {
        call_id: id.clone(),
        step: TimedStep {
            at: "2026-12-02T01:00:00Z".into(),
            offset_ms: i as i64 * 100,
            step,
        },
    })
    .collect();
    (call, steps)
}

async fn measure(label: &str, url: &str, calls: usize) {
    let store = Store::connect(url).await.unwrap_or_else(|e| panic!("{label}: {e}"));
    let journal = Journal::start(
        store.clone(),
        JournalLimits {
            behind_rows: u64::MAX,
            max_rows: u64::MAX,
            ..JournalLimits::default()
        },
    );
    let records: Vec<_> = (0..calls).map(call).collect();
    let started = Instant::now();
    for (call, steps) in records {
        journal.call(call);
        for step in steps {
            journal.step(step);
        }
    }
    journal.flush().await;
    let seconds = started.elapsed().as_secs_f64();
    let stats = &journal.stats;
    let written = stats.written.load(std::sync::atomic::Ordering::Relaxed);
    let failed = stats.failed.load(std::sync::atomic::Ordering::Relaxed);
    println!(
        "{label}: {calls} calls, {written} rows in {seconds:.2} s: {:.0} rows/s, {:.0} calls/s; failed {failed}",
        written as f64 / seconds,
        calls as f64 / seconds
    );
    store.close().await;
}

fn main() {
    let calls: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(20_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let sqlite = format!("sqlite://{}", dir.path().join("bench.db").display());
        measure("SQLite", &sqlite, calls).await;

        let admin = std::env::var("TSUNAGU_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string());
        let name = format!("tsunagu_bench_{}", std::process::id());
        let mut conn = PgConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| panic!("{admin}: {e}"));
        conn.execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(base, _)| base);
        measure("PostgreSQL", &format!("{base}/{name}"), calls).await;
        let _ = conn
            .execute(format!("DROP DATABASE {name} WITH (FORCE)").as_str())
            .await;
    });
}
