//! Bookings through the staff HTTP API of a running center, on SQLite and PostgreSQL: exclusive
//! control under 500 requests at once (BK-EXCL), closed times (BK-HOURS), the checklist
//! (CC-BOOK), changes and cancellations with their history (BK-CHANGE, BK-AUDIT), roles, and
//! the CSV list (BK-LIST).

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use common::TestDatabase;
use common::center::{Center, Options, closed_day, slot};
use common::staff::{add_user, http, http_at, log_in_with_csrf, open_ws};
use serde_json::{Value, json};

const RESIDENT_CARD: [&str; 4] = ["procedure", "notice", "id_documents", "old_cards"];

fn card_booking(start: &str) -> String {
    json!({
        "office": "test-office",
        "service": "card_pickup",
        "start": start,
        "visitor": "resident",
        "checked": RESIDENT_CARD,
    })
    .to_string()
}

async fn center_on(db: &TestDatabase, options: Options) -> Center {
    Center::start(Options {
        database_url: Some(db.url.clone()),
        ..options
    })
    .await
}

struct Staffer {
    cookie: String,
    csrf: String,
}

async fn staffer(center: &Center, name: &str, role: &str) -> Staffer {
    add_user(center, name, role, &[]).await;
    let (cookie, csrf) = log_in_with_csrf(center, name).await;
    Staffer { cookie, csrf }
}

impl Staffer {
    async fn post(&self, center: &Center, path: &str, body: &str) -> (u16, Value) {
        let (status, _, body) = http(
            center,
            "POST",
            path,
            &[("cookie", &self.cookie), ("x-csrf-token", &self.csrf)],
            body,
        )
        .await;
        (status, serde_json::from_str(&body).unwrap_or(Value::Null))
    }

    async fn get(&self, center: &Center, path: &str) -> (u16, String) {
        let (status, _, body) = http(center, "GET", path, &[("cookie", &self.cookie)], "").await;
        (status, body)
    }

    async fn get_json(&self, center: &Center, path: &str) -> (u16, Value) {
        let (status, body) = self.get(center, path).await;
        (status, serde_json::from_str(&body).unwrap_or(Value::Null))
    }
}

/// The places taken of a slot according to the grid.
async fn used(center: &Center, who: &Staffer, service: &str, key: &str) -> i64 {
    let date = &key[..10];
    let (status, grid) = who
        .get_json(
            center,
            &format!("/api/booking/slots?office=test-office&service={service}&from={date}&days=1"),
        )
        .await;
    assert_eq!(status, 200, "{grid}");
    grid["days"][0]["slots"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["key"] == key)
        .and_then(|s| s["used"].as_i64())
        .unwrap_or_else(|| panic!("no slot {key} in {grid}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_requests_for_one_slot_get_exactly_its_capacity() {
    const REQUESTS: usize = 500;
    const CAPACITY: usize = 5; // test-office, card_pickup
    for db in TestDatabase::both().await {
        let center = Arc::new(center_on(&db, Options::default()).await);
        let agent = Arc::new(staffer(&center, "sato", "agent").await);
        let start = slot(1, "10:00");
        let mut tasks = Vec::new();
        for _ in 0..REQUESTS {
            let (center, agent, body) = (Arc::clone(&center), Arc::clone(&agent), card_booking(&start));
            tasks.push(tokio::spawn(async move {
                agent.post(&center, "/api/bookings", &body).await
            }));
        }
        let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
        let mut codes = Vec::new();
        for task in tasks {
            let (status, body) = task.await.unwrap_or_else(|e| panic!("{e}"));
            *statuses.entry(status).or_default() += 1;
            match status {
                201 => codes.push(body["code"].as_str().unwrap_or_default().to_string()),
                409 => assert!(
                    body["message"].as_str().unwrap_or_default().contains("満員"),
                    "a full slot says so: {body}"
                ),
                _ => {}
            }
        }
        let expected = BTreeMap::from([(201, CAPACITY), (409, REQUESTS - CAPACITY)]);
        assert_eq!(statuses, expected, "on {}", db.url);
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), CAPACITY, "every booking has its own code");

        // The database agrees: the counter, the bookings and their events.
        let store = &center.running.store;
        let next_day = slot(2, "00:00");
        let rows = store
            .bookings_between(&start, &next_day, Some("test-office"))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rows.iter().filter(|r| r.slot_start == start).count(), CAPACITY);
        let usage = store
            .slot_usage("test-office", "card_pickup", &start, &next_day)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(usage, vec![(start.clone(), CAPACITY as i64)]);
        for code in &codes {
            let events = store.booking_events(code).await.unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(events.len(), 1, "{code}");
            assert_eq!((events[0].kind.as_str(), events[0].actor.as_str()), ("created", "sato"));
        }
        assert_eq!(used(&center, &agent, "card_pickup", &start).await, CAPACITY as i64);
    }
}

#[tokio::test]
async fn closed_times_and_other_non_slots_are_never_bookable() {
    let db = TestDatabase::sqlite();
    let center = center_on(&db, Options::default()).await;
    let agent = staffer(&center, "sato", "agent").await;
    let closed = format!("{}T10:00", closed_day());
    for (start, why) in [
        (closed.as_str(), "a one-off closure"),
        (&slot(1, "08:30"), "before opening"),
        (&slot(1, "16:45"), "a slot that would end after closing"),
        (&slot(1, "10:15"), "not the start of a slot"),
        (&slot(0, "00:00"), "in the past (or before opening)"),
        (&slot(-1, "10:00"), "yesterday"),
        (&slot(90, "10:00"), "beyond the 60-day horizon"),
    ] {
        let (status, body) = agent.post(&center, "/api/bookings", &card_booking(start)).await;
        assert_eq!(status, 400, "{start}: {why}: {body}");
        assert!(
            !body["message"].as_str().unwrap_or_default().is_empty(),
            "{why}: a clear message"
        );
    }
    // The grid says why the closed day has no slots.
    let (status, grid) = agent
        .get_json(
            &center,
            &format!(
                "/api/booking/slots?office=test-office&service=card_pickup&from={}&days=1",
                closed_day()
            ),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(grid["days"][0]["slots"], json!([]));
    assert!(
        grid["days"][0]["closed"]
            .as_str()
            .unwrap_or_default()
            .contains("臨時休業"),
        "{grid}"
    );
    // A service the office does not offer, an office that does not exist.
    let visit = card_booking(&slot(1, "10:00")).replace("card_pickup", "visit_request");
    let (status, body) = agent.post(&center, "/api/bookings", &visit).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"].as_str().unwrap_or_default().contains("訪問型出張申請"),
        "{body}"
    );
    let nowhere = card_booking(&slot(1, "10:00")).replace("test-office", "no-such-office");
    assert_eq!(agent.post(&center, "/api/bookings", &nowhere).await.0, 404);
}

#[tokio::test]
async fn the_checklist_must_be_complete_for_who_comes() {
    let db = TestDatabase::sqlite();
    let center = center_on(&db, Options::default()).await;
    let agent = staffer(&center, "sato", "agent").await;
    let start = slot(1, "11:00");
    let proxy = json!({
        "office": "test-office", "service": "card_pickup", "start": start,
        "visitor": "voluntary_proxy", "checked": RESIDENT_CARD,
    });
    let (status, body) = agent.post(&center, "/api/bookings", &proxy.to_string()).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"].as_str().unwrap_or_default().contains("委任状"),
        "{body}"
    );
    let nobody = json!({"office": "test-office", "service": "card_pickup", "start": start, "checked": RESIDENT_CARD});
    assert_eq!(agent.post(&center, "/api/bookings", &nobody.to_string()).await.0, 400);
    let mut checked = RESIDENT_CARD.to_vec();
    checked.push("letter_of_authority");
    let complete = json!({
        "office": "test-office", "service": "card_pickup", "start": start,
        "visitor": "voluntary_proxy", "checked": checked,
    });
    let (status, body) = agent.post(&center, "/api/bookings", &complete.to_string()).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["visitor"], "voluntary_proxy");
    assert_eq!(
        used(&center, &agent, "card_pickup", &start).await,
        1,
        "a refused booking takes no place"
    );
}

#[tokio::test]
async fn a_booking_is_moved_and_cancelled_and_its_history_kept() {
    for db in TestDatabase::both().await {
        let center = center_on(&db, Options::default()).await;
        let agent = staffer(&center, "sato", "agent").await;
        let (first, second) = (slot(2, "09:00"), slot(2, "14:00"));
        let body = json!({
            "office": "test-office", "service": "certificate_renewal", "start": first,
            "visitor": "resident", "checked": ["procedure", "card", "pins", "expiry_notice"],
            "email": "resident@example.jp",
        });
        let (status, booked) = agent.post(&center, "/api/bookings", &body.to_string()).await;
        assert_eq!(status, 201, "{booked}");
        let code = booked["code"].as_str().unwrap_or_default().to_string();
        assert_eq!(booked["display_code"].as_str().map(str::len), Some(9), "{booked}");
        assert_eq!(booked["secret"].as_str().map(str::len), Some(6), "{booked}");
        assert_eq!(booked["end"], format!("{}T10:00", &first[..10]), "60-minute slots");
        assert_eq!(booked["has_email"], true);
        assert!(
            !booked.to_string().contains("resident@example.jp"),
            "the address is not shown"
        );

        let (status, moved) = agent
            .post(
                &center,
                &format!("/api/bookings/{code}/move"),
                &json!({"start": second}).to_string(),
            )
            .await;
        assert_eq!(status, 200, "{moved}");
        assert_eq!(moved["start"], second);
        assert_eq!(
            used(&center, &agent, "certificate_renewal", &first).await,
            0,
            "the old place is given back"
        );
        assert_eq!(used(&center, &agent, "certificate_renewal", &second).await, 1);

        // The code as people write it finds the booking.
        let display = booked["display_code"].as_str().unwrap_or_default();
        let (status, cancelled) = agent
            .post(&center, &format!("/api/bookings/{display}/cancel"), "{}")
            .await;
        assert_eq!(status, 200, "{cancelled}");
        assert_eq!(cancelled["status"], "cancelled");
        assert_eq!(used(&center, &agent, "certificate_renewal", &second).await, 0);
        let (status, again) = agent.post(&center, &format!("/api/bookings/{code}/cancel"), "{}").await;
        assert_eq!(status, 409, "cancelled once only: {again}");

        let (status, read) = agent.get_json(&center, &format!("/api/bookings/{code}")).await;
        assert_eq!(status, 200, "{read}");
        let kinds: Vec<&str> = read["history"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["kind"].as_str())
            .collect();
        assert_eq!(kinds, ["created", "changed", "cancelled"]);
        let change = &read["history"][1];
        assert_eq!(change["actor"], "sato");
        assert_eq!(change["before"]["slot_start"], first);
        assert_eq!(change["after"]["slot_start"], second);
        assert_eq!(change["address"], "127.0.0.1");
        assert_eq!(read["history"][2]["after"]["status"], "cancelled");
        assert_eq!(agent.get(&center, "/api/bookings/1234").await.0, 400, "not a code");
        assert_eq!(agent.get(&center, "/api/bookings/1000-0000").await.0, 404);
    }
}

#[tokio::test]
async fn inside_the_deadline_staff_change_only_with_a_reason() {
    let db = TestDatabase::sqlite();
    // A deadline of 30 days: every slot of the test is inside it.
    let options = Options {
        booking: tsunagu::config::BookingConfig {
            change_deadline_hours: 24 * 30,
            ..Default::default()
        },
        ..Options::default()
    };
    let center = center_on(&db, options).await;
    let agent = staffer(&center, "sato", "agent").await;
    let (status, booked) = agent
        .post(&center, "/api/bookings", &card_booking(&slot(1, "09:30")))
        .await;
    assert_eq!(status, 201, "{booked}");
    let code = booked["code"].as_str().unwrap_or_default().to_string();
    let (status, refused) = agent
        .post(
            &center,
            &format!("/api/bookings/{code}/move"),
            &json!({"start": slot(1, "10:30")}).to_string(),
        )
        .await;
    assert_eq!(status, 409, "{refused}");
    assert!(
        refused["message"].as_str().unwrap_or_default().contains("理由"),
        "{refused}"
    );
    let (_, read) = agent.get_json(&center, &format!("/api/bookings/{code}")).await;
    assert_eq!(read["booker_may_change"], false);
    let with_reason = json!({"start": slot(1, "10:30"), "reason": "本人から電話、体調不良のため"});
    let (status, moved) = agent
        .post(&center, &format!("/api/bookings/{code}/move"), &with_reason.to_string())
        .await;
    assert_eq!(status, 200, "{moved}");
    let (_, read) = agent.get_json(&center, &format!("/api/bookings/{code}")).await;
    assert_eq!(read["history"][1]["kind"], "changed_override");
    assert_eq!(read["history"][1]["reason"], "本人から電話、体調不良のため");
}

#[tokio::test]
async fn city_staff_read_lists_and_csv_but_do_not_book() {
    let db = TestDatabase::sqlite();
    let center = center_on(&db, Options::default()).await;
    let agent = staffer(&center, "sato", "agent").await;
    let city = staffer(&center, "shiyakusho", "city").await;
    let day = &slot(1, "00:00")[..10];
    for (time, email) in [("13:00", Some("a@example.jp")), ("09:00", None), ("09:00", None)] {
        let mut body: Value = serde_json::from_str(&card_booking(&slot(1, time))).unwrap_or_default();
        if let Some(email) = email {
            body["email"] = json!(email);
        }
        assert_eq!(agent.post(&center, "/api/bookings", &body.to_string()).await.0, 201);
    }
    assert_eq!(
        city.post(&center, "/api/bookings", &card_booking(&slot(1, "09:00")))
            .await
            .0,
        403
    );
    let softphone = open_ws(&center, "/api/agent/ws", &city.cookie, None).await;
    assert_eq!(softphone.err(), Some(403), "city staff take no calls");

    let (status, list) = city.get_json(&center, &format!("/api/bookings?from={day}")).await;
    assert_eq!(status, 200, "{list}");
    let starts: Vec<&str> = list
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|b| b["start"].as_str())
        .collect();
    assert_eq!(
        starts,
        [format!("{day}T09:00"), format!("{day}T09:00"), format!("{day}T13:00")]
    );

    let (status, _, csv) = http(
        &center,
        "GET",
        &format!("/api/bookings.csv?from={day}&to={day}&office=test-office"),
        &[("cookie", &city.cookie)],
        "",
    )
    .await;
    assert_eq!(status, 200);
    assert!(csv.starts_with('\u{feff}'), "a BOM, so that Excel reads UTF-8");
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(
        lines[0].starts_with("予約日,曜日,開始,終了,窓口,手続き,予約番号"),
        "{csv}"
    );
    assert!(lines[1].contains(",09:00,09:30,テスト窓口,カード交付予約,"), "{csv}");
    assert!(lines[1].contains(",本人,予約中,窓口・職員,sato,"), "{csv}");
    assert!(!csv.contains("example.jp"), "no e-mail address in a list");
    let (status, _, _) = http(&center, "GET", &format!("/api/bookings?from={day}"), &[], "").await;
    assert_eq!(status, 401, "strangers get nothing");

    // Every read is an access-audit row, visible to supervisors only.
    let code = list[0]["code"].as_str().unwrap_or_default().to_string();
    assert_eq!(city.get(&center, &format!("/api/bookings/{code}")).await.0, 200);
    assert_eq!(city.get(&center, &format!("/api/audit?from={day}")).await.0, 403);
    let supervisor = staffer(&center, "suzuki", "supervisor").await;
    let today = &slot(0, "00:00")[..10];
    let (status, audit) = supervisor
        .get_json(&center, &format!("/api/audit?from={today}&to={day}"))
        .await;
    assert_eq!(status, 200, "{audit}");
    let seen: Vec<(String, String, String)> = audit
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| {
            let field = |k: &str| a[k].as_str().unwrap_or_default().to_string();
            (field("reader"), field("action"), field("subject"))
        })
        .collect();
    let expected = [
        ("shiyakusho", "bookings.list", format!("{day}..{day} all")),
        ("shiyakusho", "bookings.export", format!("{day}..{day} test-office")),
        ("shiyakusho", "booking.read", code.clone()),
    ];
    for (reader, action, subject) in expected {
        assert!(
            seen.contains(&(reader.to_string(), action.to_string(), subject.clone())),
            "{reader} {action} {subject}: {seen:?}"
        );
    }
    assert!(
        audit[0]["address"] == "127.0.0.1" && audit[0]["role"] == "city",
        "{audit}"
    );
}

/// The citizen API on its own listener: no session, nothing of the staff side, rate limits per
/// slot, per address and per code (wrong secrets), the booker's deadline, the outage banner.
#[tokio::test]
async fn the_citizen_side_books_without_a_session_and_holds_scripts_back() {
    let db = TestDatabase::sqlite();
    let options = Options {
        citizen_listen: true,
        ..Options::default()
    };
    let center = center_on(&db, options).await;
    let citizen = center
        .running
        .citizen_addr
        .unwrap_or_else(|| panic!("no citizen listener"));
    let post = |path: String, body: String| async move {
        let (status, head, body) = http_at(citizen, "POST", &path, &[], &body).await;
        (
            status,
            head,
            serde_json::from_str::<Value>(&body).unwrap_or(Value::Null),
        )
    };
    assert_eq!(http_at(citizen, "GET", "/yoyaku", &[], "").await.0, 200);
    assert_eq!(http_at(citizen, "GET", "/assets/booking.js", &[], "").await.0, 200);
    let (status, head, _) = http_at(citizen, "GET", "/", &[], "").await;
    assert!(
        status == 303 && head.to_ascii_lowercase().contains("location: /yoyaku"),
        "{head}"
    );
    for staff_only in [
        "/api/agent/ws",
        "/floor",
        "/api/bookings?from=2026-12-01",
        "/api/booking/offices",
        "/metrics",
    ] {
        assert_eq!(
            http_at(citizen, "GET", staff_only, &[], "").await.0,
            404,
            "{staff_only}"
        );
    }
    assert_eq!(http_at(citizen, "POST", "/api/login", &[], "{}").await.0, 404);

    // Three bookings of one slot a minute from the web; the fourth waits.
    let start = slot(2, "10:00");
    for n in 0..3 {
        let (status, _, body) = post("/api/public/bookings".into(), card_booking(&start)).await;
        assert_eq!(status, 201, "booking {n}: {body}");
        assert!(
            body.get("booked_by").is_none() && body.get("call_id").is_none(),
            "{body}"
        );
    }
    let (status, head, body) = post("/api/public/bookings".into(), card_booking(&start)).await;
    assert_eq!(status, 429, "{body}");
    let retry_after = head.lines().find_map(|l| {
        l.to_ascii_lowercase()
            .strip_prefix("retry-after:")
            .map(|v| v.trim().parse::<u64>().unwrap_or(0))
    });
    assert!(
        retry_after.is_some_and(|s| (1..=60).contains(&s)),
        "when to try again: {head}"
    );
    // Ten attempts an hour from one address (the refused one counts: a script is attempts).
    for (n, time) in ["11:00", "11:30", "12:00", "12:30", "13:00", "13:30"]
        .iter()
        .enumerate()
    {
        let (status, _, body) = post("/api/public/bookings".into(), card_booking(&slot(2, time))).await;
        assert_eq!(status, 201, "booking {}: {body}", n + 4);
    }
    let (status, _, body) = post("/api/public/bookings".into(), card_booking(&slot(2, "14:30"))).await;
    assert_eq!(status, 429, "the eleventh attempt from one address: {body}");
    assert!(
        body["message"].as_str().unwrap_or_default().contains("もう一度"),
        "{body}"
    );

    // A booking is opened with its secret only; wrong secrets close the code for the day.
    let store = &center.running.store;
    let code = store
        .bookings_between(&start, &slot(3, "00:00"), None)
        .await
        .unwrap_or_else(|e| panic!("{e}"))[0]
        .code
        .clone();
    let mut statuses = Vec::new();
    for _ in 0..11 {
        let (status, _, _) = post(
            format!("/api/public/bookings/{code}"),
            json!({"secret": "000000"}).to_string(),
        )
        .await;
        statuses.push(status);
    }
    assert_eq!(statuses[..10], [404; 10], "unknown and wrong look the same");
    assert_eq!(statuses[10], 429);
    let (status, _, _) = post(
        "/api/public/bookings/1000-0001".into(),
        json!({"secret": "1"}).to_string(),
    )
    .await;
    assert_eq!(status, 404);

    // The banner a supervisor sets reaches the citizen side; agents cannot set it.
    let supervisor = staffer(&center, "suzuki", "supervisor").await;
    let agent = staffer(&center, "sato", "agent").await;
    let banner = json!({"message": "システム障害のため、ただいま電話予約のみ受け付けています。"}).to_string();
    assert_eq!(agent.post(&center, "/api/booking/status", &banner).await.0, 403);
    let (status, set) = supervisor.post(&center, "/api/booking/status", &banner).await;
    assert_eq!(status, 200, "{set}");
    let (_, _, info) = http_at(citizen, "GET", "/api/public/info", &[], "").await;
    let info: Value = serde_json::from_str(&info).unwrap_or_default();
    assert!(
        info["status"].as_str().unwrap_or_default().contains("システム障害"),
        "{info}"
    );
    assert_eq!(info["language_notes"].as_array().map(Vec::len), Some(8), "{info}");
    supervisor
        .post(&center, "/api/booking/status", r#"{"message": ""}"#)
        .await;
    let (_, _, info) = http_at(citizen, "GET", "/api/public/info", &[], "").await;
    assert!(info.contains(r#""status":null"#), "the banner is taken down: {info}");
}

#[tokio::test]
async fn the_booker_cannot_change_inside_the_deadline_and_is_told_whom_to_call() {
    let db = TestDatabase::sqlite();
    let options = Options {
        booking: tsunagu::config::BookingConfig {
            change_deadline_hours: 24 * 30,
            ..Default::default()
        },
        ..Options::default()
    };
    let center = center_on(&db, options).await;
    let (status, _, body) = http(
        &center,
        "POST",
        "/api/public/bookings",
        &[],
        &card_booking(&slot(1, "15:00")),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let booked: Value = serde_json::from_str(&body).unwrap_or_default();
    assert_eq!(booked["may_change"], false);
    let (code, secret) = (
        booked["code"].as_str().unwrap_or_default(),
        booked["secret"].as_str().unwrap_or_default(),
    );
    let (status, _, body) = http(
        &center,
        "POST",
        &format!("/api/public/bookings/{code}/cancel"),
        &[],
        &json!({ "secret": secret }).to_string(),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("0120-380-366"), "the refusal says whom to call: {body}");
    let row = center
        .running
        .store
        .booking(code)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(row.map(|r| r.status), Some("booked".to_string()), "nothing changed");
}

/// BK-SLOT: a supervisor changes the slot length and the capacity; bookings already made keep
/// their slot and stay visible; a slot starting at the same time is the same slot; the change
/// is a revision that survives a restart.
#[tokio::test]
async fn staff_change_slot_length_and_capacity_and_bookings_stay() {
    for db in TestDatabase::both().await {
        let center = center_on(&db, Options::default()).await;
        let agent = staffer(&center, "sato", "agent").await;
        let supervisor = staffer(&center, "suzuki", "supervisor").await;
        let (at_nine, at_half_past) = (slot(2, "09:00"), slot(2, "09:30"));
        for start in [&at_nine, &at_half_past] {
            assert_eq!(agent.post(&center, "/api/bookings", &card_booking(start)).await.0, 201);
        }
        let change = json!({"slot_minutes": 60, "capacity": 2, "note": "窓口の処理実績による"}).to_string();
        let path = "/api/booking/offices/test-office/services/card_pickup";
        let (status, _, _) = http(
            &center,
            "PUT",
            path,
            &[("cookie", &agent.cookie), ("x-csrf-token", &agent.csrf)],
            &change,
        )
        .await;
        assert_eq!(status, 403, "agents do not change offices");
        let (status, _, body) = http(
            &center,
            "PUT",
            path,
            &[("cookie", &supervisor.cookie), ("x-csrf-token", &supervisor.csrf)],
            &change,
        )
        .await;
        assert_eq!(status, 200, "{body}");

        // 60-minute slots: 09:00 is the same slot (one booking in it), 09:30 is no slot now.
        let day = &at_nine[..10];
        let (_, grid) = agent
            .get_json(
                &center,
                &format!("/api/booking/slots?office=test-office&service=card_pickup&from={day}&days=1"),
            )
            .await;
        let keys: Vec<&str> = grid["days"][0]["slots"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s["key"].as_str())
            .collect();
        assert_eq!(keys.first().copied(), Some(at_nine.as_str()), "{grid}");
        assert!(!keys.contains(&at_half_past.as_str()), "{keys:?}");
        assert_eq!(grid["days"][0]["slots"][0]["used"], 1);
        assert_eq!(grid["days"][0]["slots"][0]["remaining"], 1, "capacity 2 now");
        let (status, body) = agent.post(&center, "/api/bookings", &card_booking(&at_half_past)).await;
        assert_eq!(status, 400, "09:30 is no longer a slot: {body}");
        // The booking at 09:30 stays valid and listed.
        let (_, list) = agent.get_json(&center, &format!("/api/bookings?from={day}")).await;
        let starts: Vec<&str> = list
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|b| b["start"].as_str())
            .collect();
        assert_eq!(starts, [at_nine.as_str(), at_half_past.as_str()]);
        assert_eq!(
            agent.post(&center, "/api/bookings", &card_booking(&at_nine)).await.0,
            201
        );
        let (status, body) = agent.post(&center, "/api/bookings", &card_booking(&at_nine)).await;
        assert_eq!(status, 409, "two in the 09:00 slot fill it: {body}");

        let (status, revisions) = agent
            .get_json(&center, "/api/booking/offices/test-office/revisions")
            .await;
        assert_eq!(status, 200);
        assert_eq!(revisions[0]["saved_by"], "suzuki");
        assert_eq!(revisions[0]["note"], "窓口の処理実績による");
        // A restart reads the revision back.
        let again = center_on(&db, Options::default()).await;
        let offices = again
            .running
            .store
            .current_office_revisions()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(offices.len(), 1);
        let reader = staffer(&again, "yamada", "city").await;
        let (_, catalogue) = reader.get_json(&again, "/api/booking/offices").await;
        let office = catalogue["offices"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|o| o["id"] == "test-office")
            .cloned()
            .unwrap_or_default();
        assert_eq!(office["services"][0]["slot_minutes"], 60, "{office}");
        assert_eq!(office["services"][0]["capacity"], 2, "{office}");
    }
}

/// BK-HOURS: a closure added after bookings were made (a calendar reload) lists those bookings,
/// with the reason, for staff to move.
#[tokio::test]
async fn a_closure_added_later_lists_the_bookings_it_strands() {
    let db = TestDatabase::sqlite();
    let center = center_on(&db, Options::default()).await;
    let agent = staffer(&center, "sato", "agent").await;
    let (stranded, kept) = (slot(4, "10:00"), slot(5, "10:00"));
    for start in [&stranded, &kept] {
        assert_eq!(agent.post(&center, "/api/bookings", &card_booking(start)).await.0, 201);
    }
    let (_, none) = agent.get_json(&center, "/api/bookings/stranded").await;
    assert_eq!(none, json!([]));
    // The city announces a power cut on that day: the calendar file gains a closure.
    let file = center.dir.path().join("calendars/test-counter.toml");
    let mut text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{e}"));
    text.push_str(&format!(
        "\n[[closure]]\nreason = \"計画停電\"\ncategory = \"power-outage\"\ndate = {}\n",
        &stranded[..10]
    ));
    std::fs::write(&file, text).unwrap_or_else(|e| panic!("{e}"));
    let problems = center.running.reload().await;
    assert!(problems.is_empty(), "{problems:?}");
    let (status, listed) = agent.get_json(&center, "/api/bookings/stranded").await;
    assert_eq!(status, 200, "{listed}");
    let listed = listed.as_array().cloned().unwrap_or_default();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["start"], stranded.as_str());
    assert!(
        listed[0]["closed"].as_str().unwrap_or_default().contains("計画停電"),
        "{listed:?}"
    );
    assert_eq!(
        agent.post(&center, "/api/bookings", &card_booking(&stranded)).await.0,
        400,
        "closed now"
    );
}
