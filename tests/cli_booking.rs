//! `tsunagu booking import/export` (BK-MIGRATE) and `tsunagu data purge` (BK-OPS), the binary
//! run against SQLite and PostgreSQL: a dry run reports every rejected row with its line and
//! writes nothing; the import keeps the codes and secrets residents know; the export is read
//! back by the import; the purge leaves no row (and, on SQLite, no byte of an address).

mod common;

use std::path::Path;

use common::center::{TEST_OFFICE, closed_day, counter_calendar_file, slot};
use common::{TestDatabase, run_tsunagu, stderr, stdout};
use tsunagu::booking::code::secret_matches;
use tsunagu::store::Store;

/// A configuration with the test counter (open every day, closed on `closed_day`).
fn setup(dir: &Path) -> String {
    std::fs::create_dir_all(dir.join("calendars")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir_all(dir.join("offices")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join("calendars/test-counter.toml"), counter_calendar_file()).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join("offices/test-office.toml"), TEST_OFFICE).unwrap_or_else(|e| panic!("{e}"));
    let config = dir.join("tsunagu.toml");
    std::fs::write(
        &config,
        format!(
            "[paths]\ndata_dir = \"{0}/data\"\ncalendars = \"{0}/calendars\"\noffices = \"{0}/offices\"\n",
            dir.display()
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    config.display().to_string()
}

/// The former system's file: seven rows to take over and six to refuse, each for its reason.
fn former_system_file() -> String {
    let (soon, full) = (slot(2, "10:00"), slot(4, "10:00"));
    let mut rows = vec![
        "code,office,service,start,status,visitor,secret,email".to_string(),
        format!(
            "1111-0001,test-office,card_pickup,{},booked,resident,123456,resident@example.jp",
            soon.replace('T', " ")
        ),
        format!("1111-0002,test-office,certificate_renewal,{soon},,legal_representative,,"),
        format!("1111-0003,nowhere,card_pickup,{soon},,,,"),
        format!("1111-0004,test-office,card_pickup,{}T10:00,,,,", closed_day()),
        format!("1111-0001,test-office,card_pickup,{soon},,,,"),
        format!("1111-0005,test-office,card_pickup,{},,,,", slot(-1, "10:00")),
        format!("1111-0006,test-office,card_pickup,{soon},cancelled,,,"),
    ];
    for n in 0..6 {
        rows.push(format!("2222-000{n},test-office,card_pickup,{full},,,,"));
    }
    rows.join("\n") + "\n"
}

#[test]
fn a_former_systems_bookings_are_checked_taken_over_exported_and_purged() {
    let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    let databases = runtime.block_on(TestDatabase::both());
    for db in &databases {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let config = setup(dir.path());
        let file = dir.path().join("former.csv");
        std::fs::write(&file, former_system_file()).unwrap_or_else(|e| panic!("{e}"));
        let file = file.display().to_string();
        let env = [("TSUNAGU_DATABASE_URL", db.url.as_str())];
        let tsunagu = |args: &[&str]| run_tsunagu(dir.path(), args, &env);

        let dry = tsunagu(&["booking", "import", &file, "--dry-run", "--config", &config]);
        let report = stdout(&dry);
        assert_eq!(
            dry.status.code(),
            Some(1),
            "rows were rejected: {report}{}",
            stderr(&dry)
        );
        for expected in [
            "line 4: rejected: office 'nowhere' is not known",
            "line 5: rejected: ",
            "outside the opening hours",
            "line 6: rejected: code 11110001 appears twice in the file",
            "line 7: rejected: ",
            "has passed",
            "line 8: rejected: status 'cancelled'",
            "line 14: rejected: the slot ",
            "is full (5 places)",
            "13 rows: 7 would be imported (dry run: nothing written), 6 rejected",
        ] {
            assert!(report.contains(expected), "{expected}\n{report}");
        }
        let store = runtime
            .block_on(Store::connect(&db.url))
            .unwrap_or_else(|e| panic!("{e}"));
        let all = runtime.block_on(store.all_bookings()).unwrap_or_else(|e| panic!("{e}"));
        assert!(all.is_empty(), "a dry run writes nothing");

        let real = tsunagu(&["booking", "import", &file, "--config", &config]);
        assert!(
            stdout(&real).contains("13 rows: 7 imported, 6 rejected"),
            "{}",
            stdout(&real)
        );
        let all = runtime.block_on(store.all_bookings()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(all.len(), 7);
        let first = all
            .iter()
            .find(|b| b.code == "11110001")
            .unwrap_or_else(|| panic!("{all:?}"));
        assert!(
            secret_matches("11110001", "123456", &first.secret_hash),
            "the resident's secret still works"
        );
        assert_eq!((first.channel.as_str(), first.visitor.as_str()), ("import", "resident"));
        let events = runtime
            .block_on(store.booking_events("11110001"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(events[0].kind, "imported");
        // Importing again takes nothing twice.
        let again = tsunagu(&["booking", "import", &file, "--config", &config]);
        assert!(stdout(&again).contains("0 imported"), "{}", stdout(&again));

        // The export is what a successor (or tsunagu itself) reads back.
        let export = dir.path().join("export.csv");
        let history = dir.path().join("history.csv");
        let out = tsunagu(&[
            "booking",
            "export",
            "--out",
            &export.display().to_string(),
            "--events",
            &history.display().to_string(),
            "--config",
            &config,
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        let text = std::fs::read_to_string(&export).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            text.starts_with("\u{feff}code,office,service,start,slot_minutes,status"),
            "{text}"
        );
        assert_eq!(text.lines().count(), 8, "{text}");
        assert!(
            std::fs::read_to_string(&history)
                .unwrap_or_default()
                .contains("imported")
        );
        let successor = TestDatabase::sqlite();
        let successor_env = [("TSUNAGU_DATABASE_URL", successor.url.as_str())];
        let taken = run_tsunagu(
            dir.path(),
            &["booking", "import", &export.display().to_string(), "--config", &config],
            &successor_env,
        );
        assert!(
            stdout(&taken).contains("7 rows: 7 imported, 0 rejected"),
            "{}{}",
            stdout(&taken),
            stderr(&taken)
        );
        let successor_store = runtime
            .block_on(Store::connect(&successor.url))
            .unwrap_or_else(|e| panic!("{e}"));
        let moved = runtime
            .block_on(successor_store.booking("11110001"))
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("not taken over"));
        assert!(
            secret_matches("11110001", "123456", &moved.secret_hash),
            "secrets survive the hand-over"
        );
        assert_eq!(
            moved.email.map(|e| e.expose().clone()),
            Some("resident@example.jp".to_string())
        );
        runtime.block_on(successor_store.close());

        // Contract end: without --confirm nothing goes; with it, everything.
        runtime
            .block_on(store.create_user("tanaka", "agent", "x", &[("ja".into(), 3)], jiff::Timestamp::UNIX_EPOCH))
            .unwrap_or_else(|e| panic!("{e}"));
        let asked = tsunagu(&["data", "purge", "--all", "--config", &config]);
        assert_eq!(asked.status.code(), Some(2), "{}", stdout(&asked));
        assert_eq!(
            runtime
                .block_on(store.all_bookings())
                .map(|b| b.len())
                .unwrap_or_default(),
            7
        );
        let purged = tsunagu(&["data", "purge", "--all", "--confirm", "--config", &config]);
        let report = stdout(&purged);
        assert!(purged.status.success(), "{report}{}", stderr(&purged));
        assert!(report.contains("データ消去完了報告"), "{report}");
        assert!(report.contains("every table is empty"), "{report}");
        let counts = runtime.block_on(store.table_counts()).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            counts.iter().any(|(t, _)| t == "bookings") && counts.iter().any(|(t, _)| t == "users"),
            "{counts:?}"
        );
        assert!(counts.iter().all(|(_, n)| *n == 0), "nothing remains: {counts:?}");
        runtime.block_on(store.close());
        if let Some(path) = db.url.strip_prefix("sqlite://") {
            let needle = b"resident@example.jp";
            for file in [path.to_string(), format!("{path}-wal")] {
                let bytes = std::fs::read(&file).unwrap_or_default();
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle),
                    "no byte of the address is left in {file}"
                );
            }
        }
    }
}
