//! The FAQ book at a running center, on SQLite and PostgreSQL: the shipped entries are found in
//! Japanese without spaces (and in English); a supervisor's revision waits for the city, agents
//! keep seeing the approved text until the city approves, a rejection needs its reason; a new
//! entry goes the same way; broken entries are refused with what is wrong; the whole book
//! exports as an .xlsx the city opens in its office software. Then the editor and the city's
//! approval in Chromium.
// The test is an edge: it reads the clock.
#![allow(clippy::disallowed_methods)]

mod common;

use common::TestDatabase;
use common::center::{Center, Options, repo};
use common::staff::{PASSWORD, add_user, get_bytes, get_json, http, post_json, who};

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

fn ids(found: &serde_json::Value) -> Vec<String> {
    found["entries"]
        .as_array()
        .map(|e| e.iter().filter_map(|e| e["id"].as_str().map(String::from)).collect())
        .unwrap_or_default()
}

fn query(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

async fn book_at(center: &Center, label: &str) {
    for (name, role) in [("boss", "supervisor"), ("aoki", "agent"), ("city1", "city")] {
        add_user(center, name, role, &[("ja", 3)]).await;
    }
    let (boss, aoki, city) = (
        who(center, "boss").await,
        who(center, "aoki").await,
        who(center, "city1").await,
    );
    let (status, me) = get_json(center, &city, "/api/me").await;
    assert_eq!(
        (status, me["role"].as_str()),
        (200, Some("city")),
        "city staff's pages ask who is logged in"
    );

    // Agents search the shipped book, in Japanese without spaces.
    for (q, first) in [
        ("カード受け取り", "card-pickup"),
        ("暗証番号ロック", "pin-lock"),
        ("コンビニ住民票", "convenience-store"),
        ("カードをなくした", "lost-card"),
        ("電子証明書の更新", "certificate-renewal"),
    ] {
        let (status, found) = get_json(center, &aoki, &format!("/api/faq?q={}", query(q))).await;
        assert_eq!(status, 200, "{label}");
        assert_eq!(
            ids(&found).first().map(String::as_str),
            Some(first),
            "{label}: {q}: {found}"
        );
    }
    let (_, english) = get_json(center, &aoki, "/api/faq?q=PIN%20locked&lang=en").await;
    assert_eq!(ids(&english).first().map(String::as_str), Some("pin-lock"), "{english}");
    assert_eq!(english["entries"][0]["lang"], "en");
    let (_, vietnamese) = get_json(center, &aoki, &format!("/api/faq?q={}&lang=vi", query("暗証番号"))).await;
    assert_eq!(
        vietnamese["entries"][0]["lang"], "ja",
        "no Vietnamese text yet: the Japanese shows"
    );
    let (status, _, _) = http(center, "GET", "/api/faq?q=x", &[], "").await;
    assert_eq!(status, 401);

    // A supervisor revises pin-lock; agents see the approved text until the city approves.
    let (_, current) = get_json(center, &boss, "/api/faq/pin-lock").await;
    let source = current["source"].as_str().unwrap_or_default().to_string();
    let revised = source.replace(
        "- ロックの解除・暗証番号の再設定は、**市の窓口**で行います。",
        "- ロックの解除・暗証番号の再設定は、**市の窓口**で行います。土曜開庁日も受け付けます。",
    );
    assert_ne!(revised, source, "{label}: the text to revise is there");
    let (status, _) = post_json(
        center,
        &aoki,
        "/api/faq/pin-lock/revisions",
        serde_json::json!({"source": revised}),
    )
    .await;
    assert_eq!(status, 403, "agents do not edit");
    let broken = revised.replace("languages = [\"ja\", \"en\"]", "languages = [\"ja\", \"xx\"]");
    let (status, refused) = post_json(
        center,
        &boss,
        "/api/faq/pin-lock/revisions",
        serde_json::json!({"source": broken}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.contains("unknown language 'xx'")),
        "{refused}"
    );
    let (status, refused) = post_json(
        center,
        &boss,
        "/api/faq/lost-card/revisions",
        serde_json::json!({"source": revised}),
    )
    .await;
    assert_eq!(status, 400, "the id in the text is not the entry's: {refused}");
    let (status, proposed) = post_json(
        center,
        &boss,
        "/api/faq/pin-lock/revisions",
        serde_json::json!({"source": revised}),
    )
    .await;
    assert_eq!(status, 201, "{label}: {proposed}");
    assert_eq!(
        (proposed["revision"].as_i64(), proposed["status"].as_str()),
        (Some(2), Some("pending"))
    );
    let answer = |found: &serde_json::Value| found["entries"][0]["answer"].as_str().unwrap_or_default().to_string();
    let (_, before) = get_json(center, &aoki, &format!("/api/faq?q={}", query("暗証番号ロック"))).await;
    assert!(
        !answer(&before).contains("土曜開庁日"),
        "{label}: not yet approved: {before}"
    );

    // Only the city approves; a rejection says why.
    let rev = proposed["id"].as_i64().unwrap_or(0);
    let review = |approve: bool, note: &str| serde_json::json!({"approve": approve, "note": note});
    let (status, _) = post_json(
        center,
        &boss,
        &format!("/api/faq/revisions/{rev}/review"),
        review(true, ""),
    )
    .await;
    assert_eq!(status, 403, "supervisors do not approve their own");
    let (status, _) = post_json(
        center,
        &city,
        &format!("/api/faq/revisions/{rev}/review"),
        review(false, " "),
    )
    .await;
    assert_eq!(status, 400);
    let (_, pending) = get_json(center, &city, "/api/faq/pending").await;
    assert_eq!(pending["revisions"].as_array().map(Vec::len), Some(1), "{pending}");
    assert!(
        pending["revisions"][0]["current"]
            .as_str()
            .is_some_and(|c| c.contains("revision = 1"))
    );
    let (status, approved) = post_json(
        center,
        &city,
        &format!("/api/faq/revisions/{rev}/review"),
        review(true, "確認しました"),
    )
    .await;
    assert_eq!(status, 200, "{approved}");
    let (status, _) = post_json(
        center,
        &city,
        &format!("/api/faq/revisions/{rev}/review"),
        review(true, ""),
    )
    .await;
    assert_eq!(status, 409, "reviewed once");
    let (_, after) = get_json(center, &aoki, &format!("/api/faq?q={}", query("暗証番号ロック"))).await;
    assert!(answer(&after).contains("土曜開庁日"), "{label}: approved: {after}");
    assert_eq!(after["entries"][0]["revision"], 2);

    // A new entry goes the same way; a rejected one never shows.
    let new_entry = "+++\nid = \"visit-application\"\ncategory = \"visiting-application\"\nlanguages = [\"ja\"]\nrevision = 1\nsource = \"kawasaki-center-operations 7(5)\"\n[question]\nja = \"自宅で申請したい（出張申請）\"\n+++\n<!-- lang: ja -->\n外出が難しい方には、職員が自宅などへ伺って申請を受け付けます。コールセンターで日程を調整します。\n";
    let (status, created) = post_json(
        center,
        &boss,
        "/api/faq/visit-application/revisions",
        serde_json::json!({"source": new_entry}),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let (_, none_yet) = get_json(center, &aoki, &format!("/api/faq?q={}", query("出張申請"))).await;
    assert!(!ids(&none_yet).contains(&"visit-application".to_string()));
    let (status, _) = post_json(
        center,
        &city,
        &format!("/api/faq/revisions/{}/review", created["id"].as_i64().unwrap_or(0)),
        review(true, ""),
    )
    .await;
    assert_eq!(status, 200);
    let (_, found) = get_json(center, &aoki, &format!("/api/faq?q={}", query("出張申請"))).await;
    assert_eq!(
        ids(&found).first().map(String::as_str),
        Some("visit-application"),
        "{found}"
    );

    // The whole book for the city's office software.
    let (status, head, _) = http(
        center,
        "GET",
        "/api/faq/export.xlsx",
        &[("Cookie", aoki.cookie.as_str())],
        "",
    )
    .await;
    assert_eq!(status, 403, "{head}");
    let (status, head, xlsx) = get_bytes(center, "/api/faq/export.xlsx", &[("Cookie", city.cookie.as_str())]).await;
    assert_eq!(status, 200, "{head}");
    assert!(head.to_lowercase().contains("spreadsheetml"), "{head}");
    let rows = read_xlsx(&xlsx);
    assert_eq!(rows[0][0], "質疑応答集", "{label}: the sheet's name");
    assert_eq!(rows[1][..3], ["番号 id", "分類 category", "分類名"], "{label}");
    let row_of = |id: &str, lang: &str| {
        rows.iter()
            .find(|r| r.first().map(String::as_str) == Some(id) && r.get(4).is_some_and(|l| l.ends_with(lang)))
            .cloned()
            .unwrap_or_else(|| panic!("{label}: no row for {id} {lang}: {rows:?}"))
    };
    assert_eq!(row_of("pin-lock", "ja")[3], "2", "{label}: the approved revision");
    assert!(row_of("pin-lock", "ja")[6].contains("土曜開庁日も受け付けます"));
    assert_eq!(row_of("card-pickup", "en")[5], "How do I collect my My Number card?");
    assert_eq!(
        row_of("visit-application", "ja")[2],
        "出張申請受付（visiting-application）"
    );
}

/// The workbook as openpyxl (Python, installed by ops/test) reads it: the sheet's name, then
/// its rows of cells as text.
fn read_xlsx(bytes: &[u8]) -> Vec<Vec<String>> {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("book.xlsx");
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{e}"));
    let script = "import json, sys, openpyxl\n\
                  book = openpyxl.load_workbook(sys.argv[1])\n\
                  sheet = book.worksheets[0]\n\
                  rows = [[sheet.title]] + [[\"\" if c is None else str(c) for c in row] for row in sheet.iter_rows(values_only=True)]\n\
                  print(json.dumps(rows, ensure_ascii=False))";
    let out = std::process::Command::new("python3")
        .args(["-c", script, &path.display().to_string()])
        .output()
        .unwrap_or_else(|e| panic!("python3: {e}"));
    assert!(
        out.status.success(),
        "openpyxl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_book_is_searched_revised_approved_by_the_city_and_exported_on_both_databases() {
    for db in TestDatabase::both().await {
        let center = Center::start(Options {
            database_url: Some(db.url.clone()),
            ..Options::default()
        })
        .await;
        book_at(&center, &db.url).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_editor_and_the_city_s_approval_work_in_chromium() {
    let center = Center::start(Options::default()).await;
    for (name, role) in [("boss", "supervisor"), ("city1", "city")] {
        add_user(&center, name, role, &[]).await;
    }
    let shots = std::env::var("TSUNAGU_SCREENSHOTS").unwrap_or_else(|_| center.dir.path().display().to_string());
    let base = format!("http://{}", center.running.http_addr);
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .arg(repo().join("tests/browser/faq.mjs"))
            .args([base.as_str(), "boss", "city1", PASSWORD])
            .env("TSUNAGU_SCREENSHOTS", shots)
            .stderr(std::process::Stdio::inherit())
            .output()
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"))
    .unwrap_or_else(|e| panic!("node: {e}"));
    let shown = json(&String::from_utf8_lossy(&output.stdout));
    assert!(output.status.success(), "{shown}");
    assert_eq!(shown["found"][0], "card-pickup", "{shown}");
    assert!(
        shown["proposed"]
            .as_str()
            .is_some_and(|p| p.contains("第2版を登録しました")),
        "{shown}"
    );
    assert_eq!(shown["pending_for_city"], 1, "{shown}");
    assert_eq!(
        shown["added"],
        serde_json::json!(["＋ revision = 2", "＋ ページから追記した一文です。"]),
        "the city sees what changed: {shown}"
    );
    assert!(
        shown["answer_after"]
            .as_str()
            .is_some_and(|a| a.contains("ページから追記")),
        "{shown}"
    );
    assert_eq!(
        center
            .running
            .store
            .faq_revisions("approved", "card-pickup")
            .await
            .map(|r| r.len())
            .ok(),
        Some(1)
    );
}
