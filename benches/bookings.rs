//! How many bookings a second the store takes (BK-EXCL: each one the conditional slot counter,
//! the booking row and its event, in one transaction), on SQLite (a file) and on PostgreSQL,
//! with CONCURRENCY bookers at once (as many HTTP requests would): all on one hot slot (every
//! booking contends for one counter row), and spread over a month of slots. Requests past the
//! hot slot's capacity are refused "full" and counted apart.
//! Run with `ops/bench/bookings [BOOKINGS]`; prints bookings/s per backend and case.

// A benchmark is an edge: it reads the clock.
#![allow(clippy::disallowed_methods)]

use std::sync::Arc;
use std::time::Instant;

use sqlx::{Connection, Executor, PgConnection};
use tsunagu::booking::code::{new_code, secret_hash};
use tsunagu::store::Store;
use tsunagu::store::bookings::{BookingEvent, BookingRow, Taken};

const CONCURRENCY: usize = 32;

fn booking(slot_start: String) -> (BookingRow, BookingEvent) {
    let code = new_code();
    let row = BookingRow {
        secret_hash: secret_hash(&code, "123456"),
        code,
        office: "kawasaki-center-kosugi".into(),
        service: "card_pickup".into(),
        slot_start,
        slot_minutes: 30,
        status: "booked".into(),
        channel: "web".into(),
        booked_by: String::new(),
        call_id: String::new(),
        visitor: "resident".into(),
        confirmations: r#"["procedure","notice","id_documents","old_cards"]"#.into(),
        email: None,
        created_at: "2026-12-02T01:00:00Z".into(),
        updated_at: "2026-12-02T01:00:00Z".into(),
    };
    let event = BookingEvent {
        kind: "created".into(),
        actor: "booker".into(),
        channel: "web".into(),
        at: jiff::Timestamp::UNIX_EPOCH,
        before: String::new(),
        after: r#"{"status":"booked"}"#.into(),
        reason: String::new(),
        address: "192.0.2.1".into(),
    };
    (row, event)
}

/// Books `total` times with CONCURRENCY tasks; `slot(n)` names the n-th booking's slot.
async fn run(store: &Store, total: usize, capacity: i64, slot: fn(usize) -> String) -> (usize, usize, f64) {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let (store, next) = (store.clone(), Arc::clone(&next));
        tasks.push(tokio::spawn(async move {
            let (mut booked, mut full) = (0, 0);
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if n >= total {
                    return (booked, full);
                }
                let (row, event) = booking(slot(n));
                match store.book(&row, capacity, &event).await {
                    Ok(Taken::Booked { .. }) => booked += 1,
                    Ok(Taken::Full) => full += 1,
                    Ok(Taken::CodeInUse) => {}
                    Err(e) => panic!("a booking failed: {e}"),
                }
            }
        }));
    }
    let (mut booked, mut full) = (0, 0);
    for task in tasks {
        let (b, f) = task.await.unwrap_or_else(|e| panic!("{e}"));
        booked += b;
        full += f;
    }
    (booked, full, started.elapsed().as_secs_f64())
}

fn hot(_: usize) -> String {
    "2026-12-08T11:40".to_string()
}

/// A month of 30-minute slots, 16 a day.
fn spread(n: usize) -> String {
    let day = 1 + (n / 16) % 28;
    let minutes = 9 * 60 + 30 * (n % 16);
    format!("2027-01-{day:02}T{:02}:{:02}", minutes / 60, minutes % 60)
}

async fn measure(label: &str, url: &str, total: usize) {
    let store = Store::connect(url).await.unwrap_or_else(|e| panic!("{label}: {e}"));
    // The hot slot takes half the requests; the rest are refused full (one statement each too).
    let (booked, full, seconds) = run(&store, total, (total / 2) as i64, hot).await;
    println!(
        "{label}, one hot slot: {booked} booked and {full} refused full in {seconds:.2} s: {:.0} bookings/s, {:.0} requests/s",
        booked as f64 / seconds,
        (booked + full) as f64 / seconds
    );
    let (booked, full, seconds) = run(&store, total, 1_000_000, spread).await;
    println!(
        "{label}, spread over {} slots: {booked} booked ({full} full) in {seconds:.2} s: {:.0} bookings/s",
        total.min(16 * 28),
        booked as f64 / seconds
    );
    store.close().await;
}

fn main() {
    let total: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(5_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let sqlite = format!("sqlite://{}", dir.path().join("bench.db").display());
        measure("SQLite", &sqlite, total).await;

        let admin = std::env::var("TSUNAGU_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string());
        let name = format!("tsunagu_bench_bookings_{}", std::process::id());
        let mut conn = PgConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| panic!("{admin}: {e}"));
        conn.execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(base, _)| base);
        measure("PostgreSQL", &format!("{base}/{name}"), total).await;
        let _ = conn
            .execute(format!("DROP DATABASE {name} WITH (FORCE)").as_str())
            .await;
    });
}
