//! BK-NOTIFY and the booking jobs against a real SMTP server (aiosmtpd, started by the test),
//! on SQLite and PostgreSQL: the notice on booking from the office's mailbox, the day-before
//! reminder (once), the notice of a closure added later, the outage notice, a server that is
//! down (the notice waits and goes when it is back), and the jobs that erase past addresses
//! and purge old history, each run logged.

// The test is an edge: it runs the jobs at the present time.
#![allow(clippy::disallowed_methods)]

mod common;

use std::time::Duration;

use common::TestDatabase;
use common::center::{Center, Options, eventually, slot};
use common::mail::{Mail, SmtpSink};
use common::staff::{add_user, http, log_in_with_csrf};
use serde_json::{Value, json};
use sqlx::AnyPool;
use tsunagu::store::bookings::{BookingEvent, BookingRow};

fn web_booking(start: &str, email: &str) -> String {
    json!({
        "office": "test-office", "service": "card_pickup", "start": start, "visitor": "resident",
        "checked": ["procedure", "notice", "id_documents", "old_cards"], "email": email,
    })
    .to_string()
}

async fn book_on_the_web(center: &Center, start: &str, email: &str) -> Value {
    let (status, _, body) = http(center, "POST", "/api/public/bookings", &[], &web_booking(start, email)).await;
    assert_eq!(status, 201, "{body}");
    serde_json::from_str(&body).unwrap_or_default()
}

/// Waits until the sink holds a message whose subject contains `subject` and is addressed to `to`.
async fn mail_with(sink: &SmtpSink, subject: &str, to: &str) -> Mail {
    let mut found = None;
    let arrived = eventually(Duration::from_secs(30), || {
        found = sink
            .messages()
            .into_iter()
            .find(|m| m.subject.contains(subject) && m.to.contains(to));
        let done = found.is_some();
        async move { done }
    })
    .await;
    assert!(arrived, "no mail '{subject}' to {to}: {:?}", sink.messages());
    found.unwrap_or_else(|| panic!("unreachable"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bookers_get_their_notices_through_a_real_smtp_server() {
    for db in TestDatabase::both().await {
        let mut sink = SmtpSink::start();
        let center = Center::start(Options {
            database_url: Some(db.url.clone()),
            smtp: Some(sink.addr),
            ..Options::default()
        })
        .await;

        // On booking: from the office's mailbox, with the code and the time.
        let tomorrow = slot(1, "10:00");
        let booked = book_on_the_web(&center, &tomorrow, "hanako@example.jp").await;
        let code = booked["display_code"].as_str().unwrap_or_default().to_string();
        let mail = mail_with(&sink, "予約完了", "hanako@example.jp").await;
        assert!(mail.from.contains("test-office@yoyaku.example.jp"), "{mail:?}");
        assert!(mail.subject.contains(&code), "{mail:?}");
        assert!(
            mail.body.contains("10:00〜10:30") && mail.body.contains("テスト窓口"),
            "{}",
            mail.body
        );
        assert!(mail.body.contains("0120-380-366"), "{}", mail.body);

        // The day before: one reminder, however often the job runs.
        let jobs = &center.running.jobs;
        jobs.run_all(jiff::Timestamp::now()).await;
        jobs.run_all(jiff::Timestamp::now()).await;
        mail_with(&sink, "明日のご予約", "hanako@example.jp").await;
        let reminders = sink.messages().iter().filter(|m| m.subject.contains("明日")).count();
        assert_eq!(reminders, 1);

        // The hand-over list of the office's next open day: on disk, and to the office's mailbox.
        let list = center
            .dir
            .path()
            .join("data/handover")
            .join(&tomorrow[..10])
            .join("test-office.csv");
        let text = std::fs::read_to_string(&list).unwrap_or_else(|e| panic!("{}: {e}", list.display()));
        assert!(text.starts_with("\u{feff}開始,手続き,予約番号"), "{text}");
        assert!(
            text.contains(&format!("10:00,カード交付予約,{code},本人,web")),
            "{text}"
        );
        let handover = mail_with(&sink, "引継ぎ", "test-office@yoyaku.example.jp").await;
        assert!(handover.from.contains("test-office@yoyaku.example.jp"), "{handover:?}");
        let runs = center.running.store.job_runs("handover", 5).await.unwrap_or_default();
        assert!(runs.iter().any(|r| r.rows >= 1 && r.outcome == "ok"), "{runs:?}");

        // A closure added later: the booker is told why.
        let file = center.dir.path().join("calendars/test-counter.toml");
        let mut text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{e}"));
        text.push_str(&format!(
            "\n[[closure]]\nreason = \"災害による臨時休業\"\ncategory = \"disaster\"\ndate = {}\n",
            &tomorrow[..10]
        ));
        std::fs::write(&file, text).unwrap_or_else(|e| panic!("{e}"));
        assert!(center.running.reload().await.is_empty());
        jobs.run_all(jiff::Timestamp::now()).await;
        let closure = mail_with(&sink, "休業します", "hanako@example.jp").await;
        assert!(closure.body.contains("災害による臨時休業"), "{}", closure.body);

        // An outage banner with notices: every booker of the coming days with an address.
        let later = slot(6, "11:00");
        book_on_the_web(&center, &later, "taro@example.jp").await;
        mail_with(&sink, "予約完了", "taro@example.jp").await;
        add_user(&center, "suzuki", "supervisor", &[]).await;
        let (cookie, csrf) = log_in_with_csrf(&center, "suzuki").await;
        let banner = json!({"message": "システム障害のため予約サイトを停止しています。", "notify_bookers": true});
        let (status, _, body) = http(
            &center,
            "POST",
            "/api/booking/status",
            &[("cookie", &cookie), ("x-csrf-token", &csrf)],
            &banner.to_string(),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let outage = mail_with(&sink, "予約システム", "taro@example.jp").await;
        assert!(outage.body.contains("システム障害"), "{}", outage.body);
        mail_with(&sink, "予約システム", "hanako@example.jp").await;

        // The server down: the notice waits in the outbox, and goes when the server is back.
        sink.stop();
        let store = &center.running.store;
        book_on_the_web(&center, &slot(7, "12:00"), "jiro@example.jp").await;
        let tried = eventually(Duration::from_secs(20), || async {
            let pool = AnyPool::connect(&db.url).await.unwrap_or_else(|e| panic!("{e}"));
            let (n,): (i64,) =
                sqlx::query_as("SELECT COUNT(*) FROM mail_outbox WHERE attempts > 0 AND sent_at IS NULL")
                    .fetch_one(&pool)
                    .await
                    .unwrap_or((0,));
            pool.close().await;
            n > 0
        })
        .await;
        assert!(tried, "the postman tried and failed while the server was down");
        let (_, waiting, given_up) = store.mail_counts().await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((waiting, given_up), (1, 0), "the notice is not lost");
        sink.restart();
        mail_with(&sink, "予約完了", "jiro@example.jp").await;
        let sent_all = eventually(Duration::from_secs(10), || async {
            store.mail_counts().await.map(|(_, w, _)| w == 0).unwrap_or(false)
        })
        .await;
        assert!(sent_all);
        let pool = AnyPool::connect(&db.url).await.unwrap_or_else(|e| panic!("{e}"));
        let (addresses,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM mail_outbox WHERE mail_to <> ''")
            .fetch_one(&pool)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(addresses, 0, "a sent notice keeps no address");
        let errors: Vec<(String,)> = sqlx::query_as("SELECT last_error FROM mail_outbox WHERE last_error <> ''")
            .fetch_all(&pool)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!errors.is_empty(), "the failed attempt left its reason");
        assert!(
            errors.iter().all(|(e,)| !e.contains('@')),
            "no address in an error: {errors:?}"
        );

        // The jobs: yesterday's booker's address is forgotten; history past its days is purged.
        let yesterday = slot(-1, "10:00");
        let old = BookingRow {
            code: "30000001".into(),
            secret_hash: "x".into(),
            office: "test-office".into(),
            service: "card_pickup".into(),
            slot_start: yesterday.clone(),
            slot_minutes: 30,
            status: "booked".into(),
            channel: "web".into(),
            booked_by: String::new(),
            call_id: String::new(),
            visitor: "resident".into(),
            confirmations: "[]".into(),
            email: Some(tsunagu::pii::EmailAddress::new("old@example.jp".to_string())),
            created_at: "2020-01-01T00:00:00Z".into(),
            updated_at: "2020-01-01T00:00:00Z".into(),
        };
        let ancient = BookingEvent {
            kind: "created".into(),
            actor: "booker".into(),
            channel: "web".into(),
            at: "2020-01-01T00:00:00Z".parse().unwrap_or_else(|e| panic!("{e}")),
            before: String::new(),
            after: String::new(),
            reason: String::new(),
            address: "192.0.2.7".into(),
        };
        store.book(&old, 5, &ancient).await.unwrap_or_else(|e| panic!("{e}"));
        jobs.run_all(jiff::Timestamp::now()).await;
        let row = store.booking("30000001").await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            row.and_then(|r| r.email),
            None,
            "the address went after the appointment"
        );
        let history = store.booking_events("30000001").await.unwrap_or_else(|e| panic!("{e}"));
        assert!(history.is_empty(), "history older than 400 days is purged: {history:?}");
        for job in ["reminders", "closure_notices", "erase_emails", "purge_history"] {
            let runs = store.job_runs(job, 10).await.unwrap_or_else(|e| panic!("{e}"));
            assert!(
                !runs.is_empty() && runs.iter().all(|r| r.outcome == "ok"),
                "{job}: {runs:?}"
            );
        }
        let erased = store.job_runs("erase_emails", 1).await.unwrap_or_default();
        assert!(erased[0].rows >= 1, "{erased:?}");
        let purged = store.job_runs("purge_history", 1).await.unwrap_or_default();
        assert!(purged[0].rows >= 1, "{purged:?}");
    }
}
