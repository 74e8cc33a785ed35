//! The journal when the database cannot keep up, with a real center on PostgreSQL whose
//! database is taken away (no connections allowed, the open ones ended) and given back:
//! - rows wait and are written late, never dropped: while more rows wait than the limit, new
//!   calls get 503 with Retry-After, and each of them still has a record once the database is
//!   back, so the report counts every call the carrier offered;
//! - only when the database stays away until the queue is full are rows lost, and then each is
//!   counted, logged and shown to supervisors on the floor and on `/metrics`.

// The test is an edge: it reads the clock for its deadlines.
#![allow(clippy::disallowed_methods)]

mod common;

use std::time::Duration;

use common::TestDatabase;
use common::center::{Center, Options, invite_answer, phone};
use common::staff::{add_user, http, log_in, open_ws};
use futures_util::StreamExt;
use sqlx::{Connection, Executor, PgConnection};
use tokio::net::UdpSocket;
use tsunagu::config::JournalConfig;

/// A login role of its own owning the test's database: unlike a superuser, it is held to the
/// database's connection limit, which is how the test takes the database away. Its drop drops
/// the database, then the role.
struct CenterRole {
    name: String,
    database: String,
}

impl CenterRole {
    async fn owning(db: &TestDatabase) -> (CenterRole, String) {
        let database = db.url.rsplit('/').next().unwrap_or_default().to_string();
        let name = format!("{database}_center");
        let mut conn = PgConnection::connect(&common::postgres_admin_url())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        for sql in [
            format!("DROP ROLE IF EXISTS {name}"),
            format!("CREATE ROLE {name} LOGIN"),
            format!("ALTER DATABASE {database} OWNER TO {name}"),
        ] {
            conn.execute(sql.as_str())
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        let url = db.url.replacen("postgres@", &format!("{name}@"), 1);
        (CenterRole { name, database }, url)
    }
}

impl Drop for CenterRole {
    fn drop(&mut self) {
        common::as_admin_from_drop(vec![
            format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.database),
            format!("DROP ROLE IF EXISTS {}", self.name),
        ]);
    }
}

/// Takes the test's database away from the center (`down`: no new connection, the open ones
/// ended) or gives it back.
async fn database(db: &TestDatabase, down: bool) {
    let name = db.url.rsplit('/').next().unwrap_or_default().to_string();
    let admin = common::postgres_admin_url();
    let mut conn = PgConnection::connect(&admin).await.unwrap_or_else(|e| panic!("{e}"));
    let limit = if down { 0 } else { -1 };
    conn.execute(format!("ALTER DATABASE {name} CONNECTION LIMIT {limit}").as_str())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    if down {
        conn.execute(
            format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'").as_str(),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    }
}

/// A `/metrics` value.
async fn metric(center: &Center, name: &str) -> u64 {
    let (_, _, body) = http(center, "GET", "/metrics", &[], "").await;
    body.lines()
        .find_map(|line| line.strip_prefix(&format!("tsunagu_{name} ")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in /metrics"))
}

/// Waits until `/metrics` says `name` satisfies `wanted` (a minute at most).
async fn until_metric(center: &Center, name: &str, wanted: impl Fn(u64) -> bool) -> u64 {
    for _ in 0..600 {
        let value = metric(center, name).await;
        if wanted(value) {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{name} never got there (now {})", metric(center, name).await);
}

/// One caller who hangs up after a second in the IVR.
async fn short_call(center: &Center) {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
    let port = socket.local_addr().map(|a| a.port()).unwrap_or_else(|e| panic!("{e}"));
    let listening = tokio::spawn(phone(socket, Vec::new(), Duration::from_secs(10)));
    let (status, output) = common::center::sipp(center, "caller_hangs_up.xml", port, 1000).await;
    assert_eq!(status, Some(0), "{output}");
    let _ = listening.await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_the_database_is_away_new_calls_get_503_and_every_call_is_recorded_once_it_is_back() {
    let db = TestDatabase::postgres().await;
    let (_role, url) = CenterRole::owning(&db).await;
    let center = Center::start(Options {
        database_url: Some(url),
        journal: JournalConfig {
            behind_rows: 4,
            ..JournalConfig::default()
        },
        ..Options::default()
    })
    .await;
    // The database answers: a call is written at once.
    short_call(&center).await;
    until_metric(&center, "journal_rows_pending", |n| n == 0).await;

    database(&db, true).await;
    short_call(&center).await;
    // The call's rows wait (arrived, answered, abandoned, ended and the call itself).
    until_metric(&center, "journal_rows_pending", |n| n > 4).await;
    for caller in ["0311110001", "0311110002"] {
        let answer = invite_answer(center.sip(), caller).await;
        assert!(answer.starts_with("SIP/2.0 503"), "{answer}");
        assert!(
            answer
                .lines()
                .any(|l| l.to_ascii_lowercase().starts_with("retry-after:")),
            "503 says when to try again: {answer}"
        );
    }
    assert_eq!(metric(&center, "calls_shed_total").await, 2);

    database(&db, false).await;
    until_metric(&center, "journal_rows_pending", |n| n == 0).await;
    assert_eq!(metric(&center, "journal_rows_lost_total").await, 0);
    assert_eq!(metric(&center, "journal_rows_failed_total").await, 0);
    let report = center.report_today().await;
    assert_eq!(
        (report.received, report.offered, report.shed, report.abandoned_in_ivr),
        (4, 4, 2, 2),
        "every call the carrier offered is counted, those turned away too"
    );
    // Calls are taken again.
    short_call(&center).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_database_stays_away_until_the_queue_is_full_lost_rows_are_counted_and_shown() {
    let db = TestDatabase::postgres().await;
    let (_role, url) = CenterRole::owning(&db).await;
    let center = Center::start(Options {
        database_url: Some(url),
        journal: JournalConfig {
            behind_rows: 2,
            max_rows: 3,
            ..JournalConfig::default()
        },
        ..Options::default()
    })
    .await;
    add_user(&center, "suzuki", "supervisor", &[]).await;
    let supervisor = log_in(&center, "suzuki").await;
    let mut floor = open_ws(&center, "/api/floor/ws", &supervisor, None)
        .await
        .unwrap_or_else(|status| panic!("the floor refused: {status}"));

    database(&db, true).await;
    short_call(&center).await;
    let lost = until_metric(&center, "journal_rows_lost_total", |n| n > 0).await;
    assert_eq!(
        metric(&center, "journal_rows_pending").await,
        3,
        "the queue holds its bound"
    );
    // The first attempt fails once the pool gives up connecting.
    until_metric(&center, "journal_database_down", |n| n == 1).await;
    // The supervisor sees it on the floor.
    let shown = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let Some(Ok(message)) = floor.next().await else {
                panic!("the floor ended");
            };
            let value: serde_json::Value =
                serde_json::from_str(message.to_text().unwrap_or_default()).unwrap_or_default();
            if value["journal"]["lost_rows"].as_u64().unwrap_or(0) > 0 {
                return value["journal"].clone();
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the floor never showed the lost rows"));
    assert_eq!(shown["database_down"], true, "{shown}");
    assert!(shown["lost_rows"].as_u64().unwrap_or(0) >= lost, "{shown}");

    database(&db, false).await;
    until_metric(&center, "journal_rows_pending", |n| n == 0).await;
    assert_eq!(metric(&center, "journal_database_down").await, 0);
    // What waited was written late, not dropped: the call's row is there.
    center.running.services.journal.flush().await;
    assert_eq!(center.calls_today().await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invites_past_the_budget_get_503_and_one_record_each_however_often_they_come_again() {
    let center = Center::start(Options {
        // One request a second from the trunk, a burst of two.
        requests_per_second_per_peer: 1,
        ..Options::default()
    })
    .await;
    for _ in 0..2 {
        let ping = common::center::options_answer(center.sip()).await;
        assert!(ping.starts_with("SIP/2.0 200"), "{ping}");
    }
    let mut answers = Vec::new();
    for call_id in ["first@carrier", "first@carrier", "first@carrier", "second@carrier"] {
        answers.push(common::center::invite_answer_as(center.sip(), "0311110003", call_id).await);
    }
    for answer in &answers {
        assert!(answer.starts_with("SIP/2.0 503"), "{answer}");
        assert!(answer.to_ascii_lowercase().contains("retry-after:"), "{answer}");
    }
    assert!(metric(&center, "sip_over_budget_total").await >= 4);
    let report = center.report_today().await;
    assert_eq!(
        (report.received, report.shed),
        (2, 2),
        "each call the carrier offered counts once, its retransmissions do not"
    );
}
