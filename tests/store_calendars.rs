//! Calendar revisions in the database, on SQLite and PostgreSQL.

mod common;

use common::TestDatabase;
use jiff::Timestamp;
use tsunagu::calendar::{self, CalendarSet, sources};
use tsunagu::store::Store;

#[tokio::test]
async fn revisions_are_appended_and_the_newest_is_in_force() {
    for db in TestDatabase::both().await {
        let store = Store::connect(&db.url)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", db.url));
        let shipped = sources::builtin();
        let cc = &shipped[0].text;
        let at = |s: &str| s.parse::<Timestamp>().unwrap_or_else(|e| panic!("{e}"));
        let first = store
            .save_calendar_revision("call-center", cc, "sv-tanaka", "initial", at("2026-03-01T00:00:00Z"))
            .await;
        let longer = cc.replace("09:00-19:00", "09:00-20:00");
        let second = store
            .save_calendar_revision(
                "call-center",
                &longer,
                "sv-suzuki",
                "longer hours",
                at("2026-03-02T00:00:00Z"),
            )
            .await;
        let other = store
            .save_calendar_revision(
                "kawasaki-card-center",
                &shipped[1].text,
                "admin",
                "",
                at("2026-03-03T00:00:00Z"),
            )
            .await;
        let (first, second, _other) = (
            first.unwrap_or_else(|e| panic!("{e}")),
            second.unwrap_or_else(|e| panic!("{e}")),
            other.unwrap_or_else(|e| panic!("{e}")),
        );
        assert!(second > first, "{:?}", store.backend());

        let current = store
            .current_calendar_revisions()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            current.iter().map(|r| r.calendar_id.as_str()).collect::<Vec<_>>(),
            ["call-center", "kawasaki-card-center"]
        );
        assert_eq!(current[0].revision, second);
        assert_eq!(current[0].saved_by, "sv-suzuki");
        assert_eq!(current[0].saved_at, "2026-03-02T00:00:00Z");

        // What a service loads: the newest revision replaces the shipped calendar.
        let set = CalendarSet::new();
        let mut texts: Vec<(String, String)> = shipped.iter().map(|s| (s.origin.clone(), s.text.clone())).collect();
        texts.extend(
            current
                .iter()
                .map(|r| (format!("database:{}", r.calendar_id), r.source.clone())),
        );
        assert!(
            set.load_all(texts.iter().map(|(o, t)| (o.as_str(), t.as_str())))
                .is_empty()
        );
        let cc_now = set.get("call-center").unwrap_or_else(|| panic!("loaded"));
        let until = match cc_now.status(jiff::civil::datetime(2026, 6, 1, 19, 30, 0, 0)) {
            calendar::OpenState::Open { until } => until,
            other => panic!("{other:?}"),
        };
        assert_eq!(until, jiff::civil::datetime(2026, 6, 1, 20, 0, 0, 0));

        let history = store
            .calendar_history("call-center")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            history.iter().map(|r| r.note.as_str()).collect::<Vec<_>>(),
            ["longer hours", "initial"]
        );
        store.close().await;
    }
}

#[tokio::test]
async fn a_url_that_is_not_a_database_is_refused_clearly() {
    let err = Store::connect("mysql://root@localhost/x")
        .await
        .map(|_| ())
        .unwrap_err();
    assert!(err.to_string().contains("unsupported database URL"), "{err}");
    let err = Store::connect("postgres://nobody:secret@127.0.0.1:1/none")
        .await
        .map(|_| ())
        .unwrap_err();
    assert!(err.to_string().contains("cannot connect"), "{err}");
    assert!(!err.to_string().contains("secret"), "{err}");
}
