//! The supervisors' dashboard at a running center: today's figures come from the running
//! tally the journal feeds (no re-reading), with the forecast made from the same weekday of
//! past weeks and the agents needed beside the agents staffed; the history of a week holds
//! the known day of `tests/metrics.rs` and six more, with its per-day rate against 85 %, the
//! weekday × interval heat map, the categories, and CSV for Excel. Strangers and agents get
//! nothing. Then the page itself in Chromium: charts drawn, the CSV downloaded through its
//! link, screenshots taken.
// The test is an edge: it reads the clock (today's calls arrive now).
#![allow(clippy::disallowed_methods)]

mod common;

use std::time::Duration;

use common::center::{Center, Options, eventually, repo, today_tokyo};
use common::known_day::{self, tokyo, week_day, write_call, write_day, write_week};
use common::staff::{PASSWORD, add_user, http, log_in};
use jiff::civil::Date;
use tsunagu::store::journal::Journal;

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// One answered call in each half hour of the same weekday one and two weeks before `on`.
fn write_basis(journal: &Journal, on: Date) {
    for weeks in [1, 2] {
        let past = on
            .checked_sub(jiff::Span::new().weeks(weeks))
            .unwrap_or_else(|e| panic!("{e}"));
        for i in 0..48 {
            let at = tokyo(past, &format!("{:02}:{:02}:00", i / 2, (i % 2) * 30 + 1));
            write_call(journal, &format!("b{past}-{i}"), at, &past.to_string(), true);
        }
    }
}

/// Ten calls arriving now, seven answered and three abandoned, then today's figures as the
/// dashboard gives them. Should midnight pass before they are read, again on the new day.
async fn ten_calls_now(center: &Center, journal: &Journal, cookie: &str, prefix: &str) -> serde_json::Value {
    let mut live = serde_json::Value::Null;
    for attempt in 0..2 {
        let on = today_tokyo();
        let now = jiff::Timestamp::now().to_string();
        for i in 0..10 {
            write_call(
                journal,
                &format!("{prefix}{attempt}-{i}"),
                now.clone(),
                &on.to_string(),
                i < 7,
            );
        }
        journal.flush().await;
        let (status, _, body) = http(center, "GET", "/api/dashboard/today", &[("Cookie", cookie)], "").await;
        assert_eq!(status, 200, "{body}");
        live = json(&body);
        if live["date"] == on.to_string().as_str() {
            break;
        }
    }
    let figures = &live["figures"];
    assert_eq!(
        (figures["offered"].as_u64(), figures["answered"].as_u64()),
        (Some(10), Some(7)),
        "{live}"
    );
    assert_eq!(figures["abandoned_in_queue"], 3, "{live}");
    assert_eq!(figures["answer_rate"], 0.7, "{live}");
    live
}

fn warning_codes(live: &serde_json::Value) -> Vec<String> {
    live["warnings"]
        .as_array()
        .map(|w| w.iter().filter_map(|w| w["code"].as_str().map(String::from)).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_forecast_and_the_agents_needed_come_from_the_same_weekday_of_past_weeks() {
    let center = Center::start(Options::default()).await;
    add_user(&center, "boss", "supervisor", &[]).await;
    let journal = center.running.services.journal.clone();
    // The basis of today's forecast, and of tomorrow's (should the test cross midnight).
    let today = today_tokyo();
    write_basis(&journal, today);
    write_basis(&journal, today.tomorrow().unwrap_or(today));
    journal.flush().await;
    let boss = log_in(&center, "boss").await;
    // The forecast is made in the background on the first look of the day; should midnight
    // pass meanwhile, again on the new day.
    let mut live = serde_json::Value::Null;
    for attempt in 0..2 {
        let first = ten_calls_now(&center, &journal, &boss, &format!("f{attempt}-")).await;
        let today = |body: &str| {
            let value = json(body);
            (value["date"] == first["date"] && value["forecast_ready"] == true).then_some(value)
        };
        let made = eventually(Duration::from_secs(20), || async {
            let (_, _, body) = http(&center, "GET", "/api/dashboard/today", &[("Cookie", boss.as_str())], "").await;
            today(&body).is_some()
        })
        .await;
        let (_, _, body) = http(&center, "GET", "/api/dashboard/today", &[("Cookie", boss.as_str())], "").await;
        if let (true, Some(value)) = (made, today(&body)) {
            live = value;
            break;
        }
    }
    assert_eq!(live["forecast_offered"], 48.0, "one call in each half hour: {live}");
    assert_eq!(live["forecast_basis"].as_array().map(Vec::len), Some(2), "{live}");
    let interval_now = live["interval_now"].as_u64().unwrap_or(99) as usize;
    assert_eq!(live["intervals"][interval_now]["forecast"], 1.0, "{live}");
    // No agent is staffed; one call a half hour needs one.
    assert_eq!(live["staffing"]["staffed"], 0, "{live}");
    assert_eq!(live["staffing"]["needed_now"], 1, "{live}");
    let codes = warning_codes(&live);
    assert!(codes.contains(&"answer-rate".to_string()), "70 % is below 85 %: {live}");
    assert!(codes.contains(&"understaffed".to_string()), "{live}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_today_from_the_running_tally_and_the_history_with_csv() {
    let center = Center::start(Options::default()).await;
    add_user(&center, "boss", "supervisor", &[]).await;
    add_user(&center, "aoki", "agent", &[("ja", 3)]).await;
    let journal = center.running.services.journal.clone();
    write_day(&journal).await;
    write_week(&journal);
    journal.flush().await;

    // Strangers and agents get nothing.
    let (status, _, _) = http(&center, "GET", "/api/dashboard/today", &[], "").await;
    assert_eq!(status, 401);
    let agent = log_in(&center, "aoki").await;
    for path in [
        "/api/dashboard/today",
        "/api/dashboard/history?from=2026-11-24&to=2026-11-30",
    ] {
        let (status, _, _) = http(&center, "GET", path, &[("Cookie", agent.as_str())], "").await;
        assert_eq!(status, 403, "{path}");
    }
    let boss = log_in(&center, "boss").await;
    let as_boss = [("Cookie", boss.as_str())];

    // Today's figures come from the running tally.
    let live = ten_calls_now(&center, &journal, &boss, "t").await;
    assert!(warning_codes(&live).contains(&"answer-rate".to_string()), "{live}");

    // History of the week: the known day (Monday 30th) and the six before.
    for bad in [
        "from=2026-11-30&to=2026-11-24",
        "from=2026-01-01&to=2026-12-31",
        "from=yesterday&to=2026-11-30",
    ] {
        let (status, _, body) = http(&center, "GET", &format!("/api/dashboard/history?{bad}"), &as_boss, "").await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(json(&body)["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    }
    let (status, _, body) = http(
        &center,
        "GET",
        "/api/dashboard/history?from=2026-11-24&to=2026-11-30",
        &as_boss,
        "",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let history = json(&body);
    let days = history["days"].as_array().cloned().unwrap_or_default();
    assert_eq!(days.len(), 7);
    for (k, day) in days.iter().take(6).enumerate() {
        let (on, calls, answered) = week_day(k);
        assert_eq!(day["date"], on.to_string().as_str());
        assert_eq!(
            (day["offered"].as_u64(), day["answered"].as_u64()),
            (Some(calls.into()), Some(answered.into()))
        );
    }
    assert_eq!(days[6]["date"], known_day::DAY);
    assert_eq!(days[6]["weekday"], "月");
    assert_eq!(days[6]["answer_rate"], 4.0 / 9.0);
    // 9 + 180 offered, 4 + 153 answered.
    assert_eq!(
        (
            history["total"]["offered"].as_u64(),
            history["total"]["answered"].as_u64()
        ),
        (Some(189), Some(157))
    );
    // Monday 30th at 09:00–09:30: 4 calls received; Tuesday 24th: 2 in each half hour from
    // 09:00 to 13:45.
    assert_eq!(history["heatmap"][0][18], 4.0, "{}", history["heatmap"]);
    assert_eq!(history["heatmap"][1][18], 2.0, "{}", history["heatmap"]);
    assert_eq!(history["heatmap"][1][28], 0.0, "{}", history["heatmap"]);
    assert_eq!(history["heatmap"].as_array().map(Vec::len), Some(7));
    let certificates = &history["categories"]["電子証明書の更新（renewal/certificate）"];
    assert_eq!(certificates[6], 2, "{}", history["categories"]);
    assert_eq!(certificates[0], 0);

    // The same week as CSV for Excel, one row a day.
    let (status, head, body) = http(
        &center,
        "GET",
        "/api/dashboard/history.csv?from=2026-11-24&to=2026-11-30",
        &as_boss,
        "",
    )
    .await;
    assert_eq!(status, 200);
    assert!(head.to_ascii_lowercase().contains("text/csv"), "{head}");
    assert!(body.starts_with('\u{feff}'), "a BOM so that Excel reads UTF-8");
    let lines: Vec<&str> = body.trim().lines().collect();
    assert_eq!(lines.len(), 8, "a header and seven days: {body}");
    assert!(lines[0].contains("応答率 answer rate %"), "{}", lines[0]);
    assert!(
        lines[7].starts_with("2026-11-30,日計 day,,11,1,1,9,4,44.4,"),
        "{}",
        lines[7]
    );

    // One day in detail.
    let (status, _, body) = http(&center, "GET", "/api/dashboard/day?date=2026-11-30", &as_boss, "").await;
    assert_eq!(status, 200, "{body}");
    let detail = json(&body);
    assert_eq!(detail["day"]["average_handling_seconds"], 198.0, "{body}");
    assert_eq!(detail["intervals"][18]["offered"], 4, "{body}");

    // The page in Chromium.
    let shots = std::env::var("TSUNAGU_SCREENSHOTS").unwrap_or_else(|_| center.dir.path().display().to_string());
    let base = format!("http://{}", center.running.http_addr);
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .arg(repo().join("tests/browser/dashboard.mjs"))
            .args([base.as_str(), "boss", PASSWORD, "2026-11-24", "2026-11-30"])
            .env("TSUNAGU_SCREENSHOTS", shots)
            .stderr(std::process::Stdio::inherit())
            .output()
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"))
    .unwrap_or_else(|e| panic!("node: {e}"));
    let shown = json(&String::from_utf8_lossy(&output.stdout));
    assert!(output.status.success(), "{shown}");
    let page_live = &shown["live"];
    if page_live["updated"]
        .as_str()
        .is_some_and(|u| u.starts_with(&live["date"].as_str().unwrap_or("?").to_string()))
    {
        assert_eq!(page_live["rate"], "70.0 %", "{shown}");
        assert!(
            page_live["rate_class"].as_str().is_some_and(|c| c.contains("bad")),
            "{shown}"
        );
        assert!(
            page_live["warnings"]
                .to_string()
                .contains("本日の応答率が 70.0 % で目標 85 % を下回っています"),
            "{shown}"
        );
    } else {
        // Midnight passed while the browser started: the new day has no calls yet.
        assert_eq!(page_live["rate"], "—", "{shown}");
    }
    assert!(
        page_live["interval_bars"].as_u64().unwrap_or(0) >= 3 * 20,
        "three bars a half hour: {shown}"
    );
    let page = &shown["history"];
    assert_eq!(page["total_rate"], "83.1 %", "157 / 189: {shown}");
    assert_eq!(
        page["missed_days"], "3",
        "26th (78.6 %), 29th (75 %), 30th (44.4 %): {shown}"
    );
    let bars = page["day_bars"].as_array().cloned().unwrap_or_default();
    assert_eq!(bars.len(), 7, "{shown}");
    let red: Vec<&str> = bars
        .iter()
        .filter(|b| b["fill"] == "#c0392b")
        .filter_map(|b| b["date"].as_str())
        .collect();
    assert_eq!(red, ["2026-11-26", "2026-11-29", "2026-11-30"], "{shown}");
    assert_eq!(page["target_line"], 1, "{shown}");
    assert!(page["heatmap_cells"].as_u64().unwrap_or(0) >= 7 * 28, "{shown}");
    assert!(page["legend"].to_string().contains("コンビニ交付"), "{shown}");
    let rows = page["rows"].as_array().cloned().unwrap_or_default();
    assert_eq!(rows.len(), 7);
    assert_eq!(rows.iter().filter(|r| r["missed"] == true).count(), 3, "{shown}");
    assert_eq!(page["csv_bom"], "efbbbf", "{shown}");
    assert!(
        page["csv_head"]
            .as_str()
            .is_some_and(|h| h.starts_with("日付 date,区分 kind")),
        "{shown}"
    );
    assert_eq!(page["csv_name"], "answer-rate-2026-11-24-2026-11-30.csv");
    assert!(
        page["csv_lines"].as_u64().unwrap_or(0) > 8,
        "the detail has intervals and agents: {shown}"
    );
}
