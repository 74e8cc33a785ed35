//! A database written before the journal was typed reads with today's code. The fixture
//! (`tests/data/journal-before-typed-steps.sqlite`) holds the calls that version's own test
//! suite made (main at a68bdfe: the IVR in several languages, out of hours, busy, queues,
//! agents answering, missing, vanishing and transferring, hold, call-backs, wrap-ups), and
//! `tests/data/journal-before-typed-steps.reports.json` what that version's `report daily` said
//! of each day. Every step must decode to a known step, every agent event to a known state, and
//! the report must say the same, on SQLite and with the same rows on PostgreSQL.

mod common;

use std::collections::BTreeSet;

use common::TestDatabase;
use sqlx::{AnyPool, Row};
use tsunagu::journal::Step;
use tsunagu::report::daily::daily_report;
use tsunagu::store::Store;

const FIXTURE: &str = "tests/data/journal-before-typed-steps.sqlite";
const REPORTS: &str = "tests/data/journal-before-typed-steps.reports.json";

/// The kinds of step the string vocabulary had, each of which the fixture holds.
const OLD_KINDS: [&str; 19] = [
    "arrived",
    "rejected",
    "ivr_answered",
    "language",
    "in_hours",
    "closed",
    "busy",
    "enqueued",
    "abandoned",
    "offered",
    "offer_withdrawn",
    "agent_answered",
    "agent_left",
    "agent_hung_up",
    "hold",
    "bridged_audio",
    "dialing",
    "outbound_answered",
    "ended",
];

fn fixture_copy(dir: &std::path::Path) -> String {
    let path = dir.join("old.db");
    std::fs::copy(common::center::repo().join(FIXTURE), &path).unwrap_or_else(|e| panic!("{FIXTURE}: {e}"));
    format!("sqlite://{}", path.display())
}

/// The fields both versions report, as JSON.
fn comparable(report: &serde_json::Value) -> serde_json::Value {
    let keys = [
        "date",
        "received",
        "rejected",
        "out_of_hours",
        "offered",
        "answered",
        "busy",
        "abandoned_in_ivr",
        "abandoned_in_queue",
        "short_abandons",
        "other",
        "answer_rate",
        "call_backs",
        "by_line",
    ];
    serde_json::Value::Object(keys.iter().map(|k| (k.to_string(), report[*k].clone())).collect())
}

/// Every step and agent event of `store` decodes, and each day's report is the old one.
async fn reads_as_before(store: &Store, pool: &AnyPool, label: &str) {
    let rows = sqlx::query("SELECT kind, detail FROM call_events")
        .fetch_all(pool)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(rows.len() > 100, "{label}: the fixture holds the steps of many calls");
    let mut kinds = BTreeSet::new();
    for row in &rows {
        let (kind, detail): (String, String) = (row.get(0), row.get(1));
        let step = Step::decode(&kind, &detail);
        assert!(
            !matches!(step, Step::Unknown { .. }),
            "{label}: {kind}:{detail} does not read"
        );
        assert_eq!(
            step.encode(),
            (kind.as_str(), detail.clone()),
            "{label}: spelled as it was"
        );
        kinds.insert(kind);
    }
    for kind in OLD_KINDS {
        assert!(kinds.contains(kind), "{label}: the fixture has no {kind} step");
    }
    let agents = sqlx::query("SELECT DISTINCT agent FROM agent_events")
        .fetch_all(pool)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (raw_events,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM agent_events")
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut read_events = 0;
    for row in agents {
        let agent: String = row.get(0);
        read_events += store.agent_events(&agent).await.unwrap_or_else(|e| panic!("{e}")).len();
    }
    assert_eq!(read_events as i64, raw_events, "{label}: every agent event reads");

    let expected: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(common::center::repo().join(REPORTS)).unwrap_or_default())
            .unwrap_or_else(|e| panic!("{REPORTS}: {e}"));
    assert!(!expected.is_empty());
    for (date, old) in expected {
        let calls = store.calls_of_day(&date).await.unwrap_or_else(|e| panic!("{e}"));
        let now = serde_json::to_value(daily_report(&date, &calls, 5)).unwrap_or_default();
        assert_eq!(comparable(&now), comparable(&old), "{label}: the report of {date}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_made_before_the_steps_were_typed_reads_the_same_on_sqlite_and_postgresql() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let url = fixture_copy(dir.path());
    let store = Store::connect(&url).await.unwrap_or_else(|e| panic!("{e}"));
    sqlx::any::install_default_drivers();
    let old = AnyPool::connect(&url).await.unwrap_or_else(|e| panic!("{e}"));
    reads_as_before(&store, &old, "sqlite").await;

    // The same rows in PostgreSQL, as that version would have written them there.
    let pg = TestDatabase::postgres().await;
    let pg_store = Store::connect(&pg.url).await.unwrap_or_else(|e| panic!("{e}"));
    let pg_pool = AnyPool::connect(&pg.url).await.unwrap_or_else(|e| panic!("{e}"));
    let tables: [(&str, &[&str]); 4] = [
        (
            "calls",
            &[
                "id",
                "sip_call_id",
                "arrived_at",
                "service_date",
                "in_hours",
                "caller",
                "dialed",
                "line",
                "trunk_peer",
                "transport",
            ],
        ),
        ("call_events", &["call_id", "at", "offset_ms", "kind", "detail"]),
        ("agent_events", &["agent", "at", "state", "reason", "call_id"]),
        (
            "call_wrapups",
            &[
                "call_id",
                "agent",
                "saved_at",
                "category",
                "escalation",
                "escalation_note",
                "complaint",
                "notes",
            ],
        ),
    ];
    for (table, columns) in tables {
        let integers = ["in_hours", "offset_ms", "escalation", "complaint"];
        let select = format!("SELECT {} FROM {table} ORDER BY rowid", columns.join(", "));
        let rows = sqlx::query(&select)
            .fetch_all(&old)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let placeholders: Vec<String> = (1..=columns.len()).map(|n| format!("${n}")).collect();
        let insert = format!(
            "INSERT INTO {table} ({}) VALUES ({})",
            columns.join(", "),
            placeholders.join(", ")
        );
        for row in rows {
            let mut query = sqlx::query(&insert);
            for (i, column) in columns.iter().enumerate() {
                query = if integers.contains(column) {
                    query.bind(row.get::<i64, _>(i))
                } else {
                    query.bind(row.get::<String, _>(i))
                };
            }
            query.execute(&pg_pool).await.unwrap_or_else(|e| panic!("{table}: {e}"));
        }
    }
    reads_as_before(&pg_store, &pg_pool, "postgresql").await;
    pg_pool.close().await;
    pg_store.close().await;
}

/// The city role came later: an older SQLite database with agents and their skills takes it
/// without losing a skill, and the skills still point at real users afterwards.
#[tokio::test]
async fn staff_and_skills_survive_the_city_role_migration() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let url = fixture_copy(dir.path());
    sqlx::any::install_default_drivers();
    {
        let old = AnyPool::connect(&url).await.unwrap_or_else(|e| panic!("{e}"));
        for statement in [
            "INSERT INTO users (name, role, password_hash, created_at) VALUES ('tanaka', 'agent', 'x', '2026-04-01T00:00:00Z')",
            "INSERT INTO agent_skills (user_name, lang, level) VALUES ('tanaka', 'ja', 3)",
            "INSERT INTO agent_skills (user_name, lang, level) VALUES ('tanaka', 'vi', 2)",
        ] {
            sqlx::query(statement)
                .execute(&old)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        old.close().await;
    }
    let store = Store::connect(&url).await.unwrap_or_else(|e| panic!("{e}"));
    let tanaka = store.find_user("tanaka").await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(tanaka.map(|u| u.role), Some("agent".to_string()));
    let skills = store.user_skills("tanaka").await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(skills, vec![("ja".to_string(), 3), ("vi".to_string(), 2)]);
    store
        .create_user("shiyakusho", "city", "x", &[], jiff::Timestamp::UNIX_EPOCH)
        .await
        .unwrap_or_else(|e| panic!("a city user: {e}"));
    let pool = AnyPool::connect(&url).await.unwrap_or_else(|e| panic!("{e}"));
    let orphans = sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(&pool)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(orphans.is_empty(), "skills point at users");
    let refused = sqlx::query("INSERT INTO agent_skills (user_name, lang, level) VALUES ('nobody', 'ja', 1)")
        .execute(&pool)
        .await;
    assert!(refused.is_err(), "the foreign key still holds");
}
