//! Escalations and complaints as cases, at a running center on SQLite and PostgreSQL: a wrap-up
//! with both flags opens two cases in its own transaction, filing it again adds to their history
//! instead of replacing it; the supervisor sends the escalation to the city, city staff record
//! the answer, an agent is given the call-back and marks it done, the supervisor closes it with
//! an outcome and links the FAQ entry it produced. Each role sees only its own cases, every read
//! is audited, two supervisors taking the same step at once get one success and one conflict,
//! and the monthly report tallies the outcome. Then the page in Chromium.
// The test is an edge: it reads the clock.
#![allow(clippy::disallowed_methods)]

mod common;

use common::TestDatabase;
use common::center::{Center, Options, repo, today_tokyo};
use common::known_day::new_call;
use common::staff::{PASSWORD, Who, add_user, get_json, http, post_json, who};
use tsunagu::journal::{FiledWrapUp, Line, WrapUp};

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

async fn step(center: &Center, as_: &Who, id: i64, body: serde_json::Value) -> (u16, serde_json::Value) {
    post_json(center, as_, &format!("/api/cases/{id}/steps"), body).await
}

fn wrap_up(note: &str) -> FiledWrapUp {
    FiledWrapUp {
        call: "c1".into(),
        agent: "aoki".into(),
        saved_at: jiff::Timestamp::now().to_string(),
        form: WrapUp {
            category: "renewal/certificate".into(),
            escalation: true,
            escalation_note: note.into(),
            complaint: true,
            notes: "電話番号 090-1234-5678 の方".into(),
            faq: Vec::new(),
        },
    }
}

async fn lifecycle_at(center: &Center, label: &str) {
    for (name, role) in [
        ("boss", "supervisor"),
        ("boss2", "supervisor"),
        ("aoki", "agent"),
        ("kato", "agent"),
        ("city1", "city"),
    ] {
        add_user(center, name, role, &[("ja", 3)]).await;
    }
    let journal = center.running.services.journal.clone();
    let now = jiff::Timestamp::now().to_string();
    journal.call(new_call("c1", now, &today_tokyo().to_string(), true, Line::TollFree));
    journal.flush().await;
    journal
        .wrap_up(wrap_up("住所変更後の受取場所について市の判断が必要"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let boss = who(center, "boss").await;
    let (status, list) = get_json(center, &boss, "/api/cases").await;
    assert_eq!(status, 200, "{label}: {list}");
    let cases = list["cases"].as_array().cloned().unwrap_or_default();
    assert_eq!(cases.len(), 2, "{label}: one escalation, one complaint: {list}");
    let id_of = |kind: &str| {
        cases
            .iter()
            .find(|c| c["kind"] == kind)
            .and_then(|c| c["id"].as_i64())
            .unwrap_or_else(|| panic!("{label}: no {kind}"))
    };
    let (escalation, complaint) = (id_of("escalation"), id_of("complaint"));
    assert!(
        cases
            .iter()
            .all(|c| c["status"] == "open" && c["status_label"] == "受付")
    );

    // Filing the wrap-up again keeps the case and adds the new note to its history.
    journal
        .wrap_up(wrap_up("追記: 本人確認書類も確認済み"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (_, detail) = get_json(center, &boss, &format!("/api/cases/{escalation}")).await;
    let actions: Vec<&str> = detail["events"]
        .as_array()
        .map(|e| e.iter().filter_map(|e| e["action"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(actions, ["opened", "wrap_up_again"], "{label}: {detail}");
    assert!(
        detail["events"][0]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("市の判断が必要"))
    );
    assert_eq!(
        get_json(center, &boss, "/api/cases").await.1["cases"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );

    // Before it is sent, the city sees nothing; an agent sees nothing not assigned to them.
    let city = who(center, "city1").await;
    let aoki = who(center, "aoki").await;
    let kato = who(center, "kato").await;
    assert_eq!(
        get_json(center, &city, "/api/cases").await.1["cases"],
        serde_json::json!([])
    );
    assert_eq!(
        get_json(center, &city, &format!("/api/cases/{escalation}")).await.0,
        404
    );
    assert_eq!(
        get_json(center, &aoki, &format!("/api/cases/{escalation}")).await.0,
        404
    );
    let (status, _, _) = http(center, "GET", "/api/cases", &[], "").await;
    assert_eq!(status, 401);

    // The supervisor sends it to the city (saying what is asked).
    let send = |note: &str| serde_json::json!({"step": "send_to_city", "from": "open", "note": note});
    assert_eq!(step(center, &boss, escalation, send(" ")).await.0, 400);
    let (status, sent) = step(center, &boss, escalation, send("受取場所の変更可否をご判断ください")).await;
    assert_eq!(status, 200, "{label}: {sent}");
    assert_eq!(sent["case"]["status"], "sent_to_city");
    let (status, again) = step(center, &boss, escalation, send("二重送信")).await;
    assert_eq!(status, 409, "{label}: the case moved on: {again}");
    // An agent may not send; a city reader may not close.
    assert_eq!(step(center, &aoki, escalation, send("x")).await.0, 404);

    // The city sees it now, and records its answer.
    let (_, city_list) = get_json(center, &city, "/api/cases").await;
    assert_eq!(
        city_list["cases"].as_array().map(Vec::len),
        Some(1),
        "{label}: {city_list}"
    );
    let (_, seen) = get_json(center, &city, &format!("/api/cases/{escalation}")).await;
    assert_eq!(
        seen["steps"],
        serde_json::json!(["record_answer", "note"]),
        "{label}: {seen}"
    );
    let close = serde_json::json!({"step": "close", "from": "sent_to_city", "outcome": "resolved"});
    assert_eq!(step(center, &city, escalation, close).await.0, 403);
    let (status, answered) = step(
        center,
        &city,
        escalation,
        serde_json::json!({"step": "record_answer", "from": "sent_to_city", "note": "転居先の区役所で受け取れます"}),
    )
    .await;
    assert_eq!(status, 200, "{label}: {answered}");
    assert_eq!(answered["case"]["status_label"], "市から回答あり");

    // The call-back goes to an agent (a real one).
    let assign = |to: &str| serde_json::json!({"step": "assign_call_back", "from": "answered", "assignee": to, "note": "市の回答を伝える"});
    assert_eq!(step(center, &boss, escalation, assign("city1")).await.0, 400);
    let (status, assigned) = step(center, &boss, escalation, assign("aoki")).await;
    assert_eq!(status, 200, "{label}: {assigned}");
    assert_eq!(assigned["case"]["assignee"], "aoki");
    let called =
        serde_json::json!({"step": "called_back", "from": "call_back_pending", "note": "ご本人に回答を伝えた"});
    assert_eq!(
        step(center, &kato, escalation, called.clone()).await.0,
        404,
        "not kato's"
    );
    let (_, mine) = get_json(center, &aoki, "/api/cases").await;
    assert_eq!(mine["cases"].as_array().map(Vec::len), Some(1), "{label}: {mine}");
    let (status, done) = step(center, &aoki, escalation, called).await;
    assert_eq!(status, 200, "{label}: {done}");
    assert_eq!(done["case"]["status"], "called_back");

    // Closed with its outcome; the FAQ entry it produced linked.
    let (status, refused) = step(
        center,
        &boss,
        escalation,
        serde_json::json!({"step": "close", "from": "called_back"}),
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    let (status, closed) = step(
        center,
        &boss,
        escalation,
        serde_json::json!({"step": "close", "from": "called_back", "outcome": "explained", "note": "了承いただいた"}),
    )
    .await;
    assert_eq!(status, 200, "{label}: {closed}");
    assert_eq!(closed["case"]["outcome_label"], "説明により了承");
    let (status, linked) = step(
        center,
        &boss,
        escalation,
        serde_json::json!({"step": "link_faq", "from": "closed", "faq_id": "card-pickup-moved"}),
    )
    .await;
    assert_eq!(status, 200, "{label}: {linked}");
    assert_eq!(linked["case"]["faq_id"], "card-pickup-moved");
    let history: Vec<&str> = linked["events"]
        .as_array()
        .map(|e| e.iter().filter_map(|e| e["action"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        history,
        [
            "opened",
            "wrap_up_again",
            "send_to_city",
            "record_answer",
            "assign_call_back",
            "called_back",
            "close",
            "link_faq"
        ],
        "{label}"
    );

    // Two supervisors send the complaint at the same moment: one wins, one is told.
    let boss2 = who(center, "boss2").await;
    let (a, b) = tokio::join!(
        step(center, &boss, complaint, send("市長への苦情として回付")),
        step(center, &boss2, complaint, send("同じく回付")),
    );
    let mut codes = [a.0, b.0];
    codes.sort_unstable();
    assert_eq!(codes, [200, 409], "{label}: {a:?} {b:?}");

    // Every read was audited with its reader.
    let (_, audit) = get_json(center, &boss, "/api/audit?from=2000-01-01&to=2100-01-01").await;
    let readers: std::collections::BTreeSet<&str> = audit
        .as_array()
        .map(|rows| {
            rows.iter()
                .filter(|r| r["action"] == "case.read")
                .filter_map(|r| r["reader"].as_str())
                .collect()
        })
        .unwrap_or_default();
    // The loser of the race read nothing (its step was refused before the detail).
    let mut expected = vec!["aoki", "boss", "city1"];
    if b.0 == 200 {
        expected.insert(2, "boss2");
    }
    assert_eq!(readers.into_iter().collect::<Vec<_>>(), expected, "{label}: {audit}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_goes_from_the_wrap_up_through_the_city_to_its_outcome_on_both_databases() {
    for db in TestDatabase::both().await {
        let center = Center::start(Options {
            database_url: Some(db.url.clone()),
            ..Options::default()
        })
        .await;
        lifecycle_at(&center, &db.url).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_monthly_report_tallies_the_outcomes_and_the_page_shows_the_history() {
    let center = Center::start(Options::default()).await;
    lifecycle_at(&center, "sqlite").await;
    center.running.services.journal.flush().await;

    // The month the cases were opened in.
    let month = today_tokyo().strftime("%Y-%m").to_string();
    let data_dir = center.dir.path().join("data").display().to_string();
    let out = common::run_tsunagu(
        center.dir.path(),
        &[
            "report",
            "monthly",
            "--month",
            &month,
            "--format",
            "json",
            "--data-dir",
            &data_dir,
        ],
        &[],
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    let report = json(&common::stdout(&out));
    let lines = report["cases"].as_array().cloned().unwrap_or_default();
    assert!(
        lines.iter().any(|l| l["kind"] == "エスカレーション"
            && l["status"] == "完了"
            && l["outcome"] == "説明により了承"
            && l["cases"] == 1),
        "{}",
        report["cases"]
    );
    assert!(
        lines
            .iter()
            .any(|l| l["kind"] == "苦情" && l["status"] == "市へ照会中" && l["cases"] == 1),
        "{}",
        report["cases"]
    );
    assert!(
        !report.to_string().contains("090-1234"),
        "no personal information in the report"
    );

    // The page: the supervisor opens the complaint, reads its history and adds a note.
    let shots = std::env::var("TSUNAGU_SCREENSHOTS").unwrap_or_else(|_| center.dir.path().display().to_string());
    let base = format!("http://{}", center.running.http_addr);
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .arg(repo().join("tests/browser/cases.mjs"))
            .args([base.as_str(), "boss", PASSWORD])
            .env("TSUNAGU_SCREENSHOTS", shots)
            .stderr(std::process::Stdio::inherit())
            .output()
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"))
    .unwrap_or_else(|e| panic!("node: {e}"));
    let shown = json(&String::from_utf8_lossy(&output.stdout));
    assert!(output.status.success(), "{shown}");
    assert_eq!(shown["rows"], 2, "{shown}");
    let events = shown["events"].as_array().cloned().unwrap_or_default();
    assert_eq!(events.len(), 9, "eight steps and the note added in the page: {shown}");
    assert!(shown["events"].to_string().contains("市へ照会"), "{shown}");
    assert!(
        shown["events"].to_string().contains("ページから追記したメモ"),
        "{shown}"
    );
    assert_eq!(shown["status"], "完了", "{shown}");
}
