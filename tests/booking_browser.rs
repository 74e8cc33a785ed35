//! BK-WEB on a phone: the citizen page /yoyaku in Debian's Chromium with a phone-sized
//! viewport (tests/browser/citizen.mjs): the language notes (BK-LANG) and the outage banner
//! (BK-STATUS) show, a resident books with an e-mail address, keeps code and secret, is refused
//! with a wrong secret, changes and cancels; the page never scrolls sideways.

mod common;

use std::io::BufRead;
use std::process::{Command, Stdio};

use common::center::{Center, Options, repo};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resident_books_changes_and_cancels_on_a_phone() {
    let center = Center::start(Options::default()).await;
    center
        .running
        .store
        .set_booking_status(
            "システム保守のため、12月20日 2:00〜4:00 は予約できません。",
            "suzuki",
            jiff::Timestamp::UNIX_EPOCH,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let shots = center.dir.path().to_path_buf();
    let browser_dir = repo().join("tests/browser");
    assert!(
        browser_dir.join("node_modules/playwright-core").exists(),
        "tests/browser needs `npm ci` (ops/test runs it)"
    );
    let base = format!("http://{}", center.running.http_addr);
    let shots_arg = shots.display().to_string();
    // Two days ahead: outside the 24-hour change deadline, so the booker may still change it.
    let from = common::center::slot(2, "00:00");
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(browser_dir.join("citizen.mjs"))
            .args([base.as_str(), "test-office", shots_arg.as_str(), &from[..10]])
            .stderr(Stdio::inherit())
            .output()
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"))
    .unwrap_or_else(|e| panic!("node is needed: {e}"));
    let steps: Vec<serde_json::Value> = output
        .stdout
        .lines()
        .map_while(Result::ok)
        .filter_map(|line| serde_json::from_str(&line).ok())
        .collect();
    let step = |name: &str| {
        steps
            .iter()
            .find(|s| s["step"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no step '{name}' in {steps:?}"))
    };
    let page = step("page");
    let notes = page["notes"].as_array().cloned().unwrap_or_default();
    assert_eq!(notes.len(), 8, "a note in each of the eight languages: {page}");
    assert!(
        notes
            .iter()
            .all(|n| n["text"].as_str().unwrap_or_default().contains("0120-380-366")),
        "{page}"
    );
    assert!(
        page["banner"].as_str().unwrap_or_default().contains("システム保守"),
        "{page}"
    );
    assert!(
        page["width"].as_i64().unwrap_or(9999) <= 390,
        "no sideways scrolling: {page}"
    );

    let booked = step("booked");
    assert!(booked["width"].as_i64().unwrap_or(9999) <= 390, "{booked}");
    let code = booked["code"].as_str().unwrap_or_default().replace('-', "");
    assert!(
        step("wrong_secret")["shown"]
            .as_str()
            .unwrap_or_default()
            .contains("違います")
    );
    let changed = step("changed");
    assert_eq!(
        step("cancelled")["status"].as_str().map(|s| s.contains("取消")),
        Some(true)
    );

    let store = &center.running.store;
    let row = store
        .booking(&code)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("booking {code} not stored"));
    assert_eq!((row.channel.as_str(), row.status.as_str()), ("web", "cancelled"));
    assert_eq!(row.slot_start, changed["to"].as_str().unwrap_or_default());
    assert!(row.email.is_some(), "kept for notices until the appointment");
    let events = store.booking_events(&code).await.unwrap_or_else(|e| panic!("{e}"));
    let kinds: Vec<(&str, &str)> = events.iter().map(|e| (e.kind.as_str(), e.actor.as_str())).collect();
    assert_eq!(
        kinds,
        [("created", "booker"), ("changed", "booker"), ("cancelled", "booker")]
    );
    assert!(events.iter().all(|e| e.address == "127.0.0.1"), "{events:?}");
    for shot in ["citizen-booked.png", "citizen-cancelled.png"] {
        assert!(shots.join(shot).exists(), "{shot}");
        if let Ok(dir) = std::env::var("TSUNAGU_SCREENSHOTS") {
            let _ = std::fs::copy(shots.join(shot), std::path::Path::new(&dir).join(shot));
        }
    }
    assert!(output.status.success(), "citizen.mjs: {steps:?}");
}

/// BK-LIST: city staff on /bookings see a period's bookings by day, office and time, get the
/// CSV link, a booking's history, and a print layout without the controls.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn city_staff_list_print_and_trace_bookings_in_the_browser() {
    let center = Center::start(Options::default()).await;
    common::staff::add_user(&center, "sato", "agent", &[]).await;
    common::staff::add_user(&center, "shiyakusho", "city", &[]).await;
    let (cookie, csrf) = common::staff::log_in_with_csrf(&center, "sato").await;
    let mut codes = Vec::new();
    for (days, time) in [(1, "13:00"), (1, "09:30"), (2, "10:00")] {
        let body = serde_json::json!({
            "office": "test-office", "service": "card_pickup", "start": common::center::slot(days, time),
            "visitor": "resident", "checked": ["procedure", "notice", "id_documents", "old_cards"],
        });
        let (status, _, body) = common::staff::http(
            &center,
            "POST",
            "/api/bookings",
            &[("cookie", &cookie), ("x-csrf-token", &csrf)],
            &body.to_string(),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        let booked: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        codes.push(booked["display_code"].as_str().unwrap_or_default().to_string());
    }
    let shots = center.dir.path().to_path_buf();
    let base = format!("http://{}", center.running.http_addr);
    let (code, shots_arg) = (codes[0].clone(), shots.display().to_string());
    let script = repo().join("tests/browser/lists.mjs");
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .args([
                base.as_str(),
                "shiyakusho",
                common::staff::PASSWORD,
                code.as_str(),
                shots_arg.as_str(),
            ])
            .stderr(Stdio::inherit())
            .output()
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"))
    .unwrap_or_else(|e| panic!("node: {e}"));
    let shown: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)));
    assert!(output.status.success(), "{shown}");
    let days = shown["days"].as_array().cloned().unwrap_or_default();
    assert_eq!(days.len(), 2, "two days: {shown}");
    assert_eq!(
        days[0]["rows"], 3,
        "a header and two bookings on the first day: {shown}"
    );
    assert!(
        days[0]["title"].as_str().unwrap_or_default().contains('（'),
        "a Japanese date: {shown}"
    );
    assert!(
        shown["summary"].as_str().unwrap_or_default().contains("3 件"),
        "{shown}"
    );
    assert!(
        shown["csv"]
            .as_str()
            .unwrap_or_default()
            .starts_with("/api/bookings.csv?from="),
        "{shown}"
    );
    assert!(
        shown["stranded"].as_str().unwrap_or_default().contains("ありません"),
        "{shown}"
    );
    let history = shown["history"].to_string();
    assert!(history.contains("予約") && history.contains("sato"), "{shown}");
    assert_eq!(shown["printHidden"], true, "the print layout has no controls");
    assert_eq!(shown["settingsVisible"], false, "city staff change nothing");
    assert!(
        shown["printTitle"].as_str().unwrap_or_default().contains("予約一覧"),
        "{shown}"
    );
    for shot in ["booking-lists.png", "booking-lists-print.png"] {
        assert!(shots.join(shot).exists(), "{shot}");
        if let Ok(dir) = std::env::var("TSUNAGU_SCREENSHOTS") {
            let _ = std::fs::copy(shots.join(shot), std::path::Path::new(&dir).join(shot));
        }
    }
}

/// BK-SLOT and BK-STATUS from the page: a supervisor changes a capacity and sets the banner.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_changes_a_capacity_and_sets_the_banner_in_the_browser() {
    let center = Center::start(Options::default()).await;
    common::staff::add_user(&center, "suzuki", "supervisor", &[]).await;
    let shots = center.dir.path().display().to_string();
    let base = format!("http://{}", center.running.http_addr);
    let script = repo().join("tests/browser/lists.mjs");
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .args([base.as_str(), "suzuki", common::staff::PASSWORD, "-", shots.as_str()])
            .env("SETTINGS", "1")
            .stderr(Stdio::inherit())
            .output()
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"))
    .unwrap_or_else(|e| panic!("node: {e}"));
    let shown: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)));
    assert!(output.status.success(), "{shown}");
    assert_eq!(shown["settingsVisible"], true, "{shown}");
    assert_eq!(shown["settings"]["before"], "5", "{shown}");
    assert!(
        shown["settings"]["slot"].as_str().unwrap_or_default().contains("定員3"),
        "{shown}"
    );
    assert!(
        shown["settings"]["banner"]
            .as_str()
            .unwrap_or_default()
            .contains("掲示中"),
        "{shown}"
    );
    let store = &center.running.store;
    let revisions = store
        .office_revisions("test-office")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(revisions.len(), 1, "{revisions:?}");
    assert_eq!(
        (revisions[0].saved_by.as_str(), revisions[0].note.as_str()),
        ("suzuki", "窓口を1つ閉じるため")
    );
    assert!(revisions[0].source.contains("capacity = 3"), "{}", revisions[0].source);
    let banner = store.booking_status().await.unwrap_or_else(|e| panic!("{e}"));
    assert!(banner.map(|b| b.message).unwrap_or_default().contains("保守"));
}
