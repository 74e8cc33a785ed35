//! A known day of calls and agent events, written through the journal into SQLite and
//! PostgreSQL, read back into the day's metrics and checked against numbers worked out by
//! hand (below, next to each call): busy, shed, a transfer, short and long abandons, a call
//! crossing an interval boundary and one crossing midnight, a call-back, and the next day
//! with no calls at all. The running tally the floor reads, fed by the same journal, must
//! agree with the report; `tsunagu report daily` prints the same figures as CSV for Excel.

mod common;

use std::sync::Arc;

use common::TestDatabase;
use common::known_day::{DAY, day, write_day};
use jiff::civil::{Date, date};
use tsunagu::report::live::{LiveDay, LiveTally};
use tsunagu::report::metrics::{DayMetrics, Thresholds, day_metrics};
use tsunagu::report::tally::{Presence, Tally};
use tsunagu::store::Store;
use tsunagu::store::journal::{Journal, JournalLimits, Tap, Written};

/// Writes the known day through a journal that also feeds `live`.
async fn write_known_day(store: &Store, live: &Arc<LiveTally>) {
    let fed = Arc::clone(live);
    let tap: Tap = Arc::new(move |written| {
        fed.with(|d| match written {
            Written::Call(call) => d.call(call),
            Written::Step(row) => d.step(row),
        })
    });
    let journal = Journal::start_with_tap(store.clone(), JournalLimits::default(), Some(tap));
    write_day(&journal).await;
}

async fn metrics_of(store: &Store, on: Date) -> DayMetrics {
    let rows = store.day_rows(on).await.unwrap_or_else(|e| panic!("{e}"));
    let (_, end) = tsunagu::calendar::tokyo_day(on);
    day_metrics(on, &rows.calls, &rows.events, end, Thresholds::default())
}

const S: u64 = 1000;

fn check_known_day(m: &DayMetrics, label: &str) {
    let d = &m.day;
    // Received: 11 (a11 is a call-back); out of hours a01, rejected a10; offered the other 9.
    assert_eq!(
        (d.received, d.out_of_hours, d.rejected, d.offered, d.call_backs),
        (11, 1, 1, 9, 1),
        "{label}"
    );
    // Answered a02, a03, a09, a12; busy a06, shed a07, transferred a08; a04 short in the IVR,
    // a05 in the queue.
    assert_eq!(
        (d.answered, d.busy, d.shed, d.transferred_away),
        (4, 1, 1, 1),
        "{label}"
    );
    assert_eq!(
        (d.abandoned_in_ivr, d.abandoned_in_queue, d.short_abandons, d.other),
        (1, 1, 1, 0),
        "{label}"
    );
    assert_eq!(d.answer_rate(), Some(4.0 / 9.0), "{label}");
    // Waits 10, 40, 20 and 10 s: three within 20 s.
    assert_eq!(d.answered_within_target, 3, "{label}");
    assert_eq!(d.service_level(), Some(3.0 / 9.0), "{label}");
    assert_eq!(d.average_speed_of_answer(), Some(20.0), "{label}");
    // Talk a02 182 s, a03 300, a09 100, a12 60 (45 of them after midnight); wrap-up 60, 30,
    // 30, 30; hold 30 s (a02). AHT (642 + 150) / 4 = 198 s.
    assert_eq!(
        (d.handled, d.talk_ms, d.wrap_ms, d.hold_ms),
        (4, 642 * S, 150 * S, 30 * S),
        "{label}"
    );
    assert_eq!(d.average_handling_time(), Some(198.0), "{label}");
    // The agents' time inside the day: sato available 19 + 9 + 3355 s, talk 282, wrap-up 90,
    // break 1645; suzuki available 350 + 3220 + 585, talk 300 + 120 (call-back) + 15, wrap-up
    // 30 + 60.
    assert_eq!(
        m.presence,
        Presence {
            available_ms: 7538 * S,
            talk_ms: 717 * S,
            wrap_ms: 180 * S,
            not_ready_ms: 1645 * S,
        },
        "{label}"
    );
    assert_eq!(m.presence.occupancy(), Some(897.0 / 8435.0), "{label}");

    // Intervals by arrival: 08:30 a01; 09:00 a02–a05; 09:30 a06–a08; 10:00 a09–a11; 23:30 a12.
    let at = |i: usize| &m.intervals[i].0;
    assert_eq!((at(17).received, at(17).out_of_hours), (1, 1), "{label}");
    assert_eq!(
        (
            at(18).offered,
            at(18).answered,
            at(18).abandoned(),
            at(18).short_abandons
        ),
        (4, 2, 2, 1),
        "{label}"
    );
    assert_eq!(
        (at(19).offered, at(19).answered, at(19).busy, at(19).shed),
        (3, 0, 1, 1),
        "{label}"
    );
    assert_eq!(
        (at(20).received, at(20).offered, at(20).answered, at(20).call_backs),
        (2, 1, 1, 1),
        "{label}"
    );
    assert_eq!((at(47).offered, at(47).answered), (1, 1), "{label}");
    let total: u32 = m.intervals.iter().map(|(t, _)| t.received).sum();
    assert_eq!(total, 11, "every call in exactly one interval: {label}");
    // 09:00–09:30 agent time: sato available 28 + 1530, talk 182, wrap 60; suzuki available
    // 350 + 820, talk 300, wrap 30.
    assert_eq!(
        m.intervals[18].1,
        Presence {
            available_ms: 2728 * S,
            talk_ms: 482 * S,
            wrap_ms: 90 * S,
            not_ready_ms: 0,
        },
        "{label}"
    );

    // Languages and lines.
    let ja = &m.languages["ja"];
    assert_eq!(
        (ja.offered, ja.answered, ja.busy, ja.transferred_away),
        (5, 2, 1, 1),
        "{label}"
    );
    assert_eq!(
        (m.languages["en"].answered, m.languages["zh"].answered),
        (1, 1),
        "{label}"
    );
    assert_eq!(m.languages["none"].received, 4, "a01, a04, a07, a10: {label}");
    assert_eq!(m.languages["outbound"].call_backs, 1, "{label}");
    assert_eq!(
        (m.lines["toll-free"].received, m.lines["toll-free"].offered),
        (10, 8),
        "{label}"
    );
    assert_eq!(
        (m.lines["fallback"].offered, m.lines["fallback"].answered),
        (1, 1),
        "{label}"
    );
    assert_eq!(m.lines["outbound"].call_backs, 1, "{label}");

    // Agents: sato a02 + a09 (AHT (282 + 90) / 2), suzuki a03 + a12 (AHT (360 + 60) / 2).
    let sato = &m.agents["sato"];
    assert_eq!((sato.calls.answered, sato.calls.handled), (2, 2), "{label}");
    assert_eq!(sato.calls.average_handling_time(), Some(186.0), "{label}");
    assert_eq!(sato.presence.occupancy(), Some(372.0 / 3755.0), "{label}");
    let suzuki = &m.agents["suzuki"];
    assert_eq!(suzuki.calls.average_handling_time(), Some(210.0), "{label}");
    assert_eq!(suzuki.presence.occupancy(), Some(525.0 / 4680.0), "{label}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_day_gives_the_hand_computed_figures_on_sqlite_and_postgresql() {
    for db in TestDatabase::both().await {
        let store = Store::connect(&db.url)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", db.url));
        let live = Arc::new(LiveTally::new(LiveDay::new(day(), Thresholds::default())));
        write_known_day(&store, &live).await;

        let m = metrics_of(&store, day()).await;
        check_known_day(&m, &db.url);

        // The running tally the floor reads agrees with the report (it knows no handling:
        // that comes from the agents' log).
        let running = live.with(|d| d.figures(day()));
        assert_eq!(
            running.day,
            Tally {
                handled: 0,
                talk_ms: 0,
                wrap_ms: 0,
                hold_ms: 0,
                ..m.day
            },
            "{}",
            db.url
        );
        let by_interval: Vec<u32> = m.intervals.iter().map(|(t, _)| t.offered).collect();
        assert_eq!(
            running.intervals.iter().map(|t| t.offered).collect::<Vec<_>>(),
            by_interval,
            "{}",
            db.url
        );

        // The next day has no calls: no rates rather than 0 %, and only the time suzuki spent
        // on a12 after midnight (45 s talk, 30 s wrap-up).
        let empty = metrics_of(&store, date(2026, 12, 1)).await;
        assert_eq!(empty.day, Tally::default(), "{}", db.url);
        assert_eq!(
            (
                empty.day.answer_rate(),
                empty.day.service_level(),
                empty.day.average_speed_of_answer()
            ),
            (None, None, None)
        );
        assert_eq!(
            empty.presence,
            Presence {
                available_ms: 0,
                talk_ms: 45 * S,
                wrap_ms: 30 * S,
                not_ready_ms: 0
            },
            "{}",
            db.url
        );
        let figures = empty.figures();
        assert_eq!(figures.day.answer_rate, None);
        store.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_daily_prints_the_known_day_in_japanese_and_as_csv_for_excel() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let url = format!("sqlite://{}", dir.path().join("tsunagu.db").display());
    let store = Store::connect(&url).await.unwrap_or_else(|e| panic!("{e}"));
    let live = Arc::new(LiveTally::new(LiveDay::new(day(), Thresholds::default())));
    write_known_day(&store, &live).await;
    store.close().await;
    let data_dir = dir.path().display().to_string();

    let text = common::run_tsunagu(
        dir.path(),
        &["report", "daily", "--date", DAY, "--data-dir", &data_dir],
        &[],
    );
    assert!(text.status.success(), "{}", common::stderr(&text));
    let text = common::stdout(&text);
    assert!(text.contains("応答率 answer rate        44.4 % (4 / 9)"), "{text}");
    assert!(text.contains("未達 NOT met"), "{text}");
    assert!(text.contains("平均処理時間 AHT"), "{text}");
    assert!(text.contains("09:00  入電    4  応答    2"), "{text}");

    let csv = common::run_tsunagu(
        dir.path(),
        &[
            "report",
            "daily",
            "--date",
            DAY,
            "--format",
            "csv",
            "--data-dir",
            &data_dir,
        ],
        &[],
    );
    assert!(csv.status.success(), "{}", common::stderr(&csv));
    assert!(
        csv.stdout.starts_with("\u{feff}".as_bytes()),
        "a BOM so that Excel reads UTF-8"
    );
    let body = String::from_utf8_lossy(&csv.stdout[3..]).into_owned();
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let headers = reader.headers().unwrap_or_else(|e| panic!("{e}")).clone();
    assert_eq!(&headers[8], "応答率 answer rate %");
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap_or_else(|e| panic!("{e}"))).collect();
    let total = &rows[0];
    assert_eq!(
        (&total[0], &total[1], &total[6], &total[7], &total[8]),
        (DAY, "日計 day", "9", "4", "44.4")
    );
    assert_eq!(&total[9], "33.3", "service level");
    assert_eq!(&total[20], "198.0", "AHT");
    assert!(
        rows.iter()
            .any(|r| &r[1] == "オペレーター agent" && &r[2] == "suzuki" && &r[20] == "210.0"),
        "{body}"
    );
    assert!(
        rows.iter()
            .any(|r| &r[1] == "言語 language" && &r[2] == "日本語 ja" && &r[6] == "5"),
        "{body}"
    );

    // A day with no calls reads as such, with no rate rather than 0 %.
    let empty = common::run_tsunagu(
        dir.path(),
        &[
            "report",
            "daily",
            "--date",
            "2026-12-02",
            "--format",
            "json",
            "--data-dir",
            &data_dir,
        ],
        &[],
    );
    let json: serde_json::Value = serde_json::from_slice(&empty.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(json["day"]["offered"], 0);
    assert!(json["day"]["answer_rate"].is_null(), "{json}");
}
