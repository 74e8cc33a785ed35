//! The agents' records on both databases: the event log, wrap-ups (filing again replaces the
//! agent's own, never a colleague's), a caller's earlier calls and one call's detail.

mod common;

use common::TestDatabase;
use tsunagu::store::Store;
use tsunagu::store::agents::{AgentEventRow, WrapUp};
use tsunagu::store::calls::{CallEvent, NewCall};

fn call(id: &str, caller: &str, arrived_at: &str) -> NewCall {
    NewCall {
        id: id.into(),
        sip_call_id: format!("sip-{id}"),
        arrived_at: arrived_at.into(),
        service_date: arrived_at[..10].into(),
        in_hours: true,
        caller: caller.into(),
        dialed: "0120380366".into(),
        line: "toll-free".into(),
        trunk_peer: "127.0.0.1:5060".into(),
        transport: "udp".into(),
    }
}

fn step(call_id: &str, offset_ms: i64, kind: &str, detail: &str) -> CallEvent {
    CallEvent {
        call_id: call_id.into(),
        at: "2026-11-25T01:00:00Z".into(),
        offset_ms,
        kind: kind.into(),
        detail: detail.into(),
    }
}

fn wrap(category: &str, escalation_note: &str) -> WrapUp {
    WrapUp {
        category: category.into(),
        escalation: !escalation_note.is_empty(),
        escalation_note: escalation_note.into(),
        complaint: false,
        notes: "called about the renewal letter".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_log_wrap_ups_history_and_detail_hold_on_sqlite_and_postgresql() {
    for db in TestDatabase::both().await {
        let store = Store::connect(&db.url)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", db.url));
        for (id, at) in [
            ("c1", "2026-11-20T01:00:00Z"),
            ("c2", "2026-11-24T02:00:00Z"),
            ("c3", "2026-11-25T03:00:00Z"),
        ] {
            store
                .insert_call(&call(id, "09012345678", at))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        store
            .insert_call(&call("other", "0311112222", "2026-11-25T04:00:00Z"))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        for s in [
            step("c2", 0, "arrived", ""),
            step("c2", 9000, "enqueued", "general"),
            step("c2", 21_500, "agent_answered", "tanaka"),
        ] {
            store.append_call_event(&s).await.unwrap_or_else(|e| panic!("{e}"));
        }
        for state in ["not_ready", "ready", "offered", "on_call"] {
            let row = AgentEventRow {
                agent: "tanaka".into(),
                at: "2026-11-24T02:00:00Z".into(),
                state: state.into(),
                reason: if state == "not_ready" {
                    "logged_in".into()
                } else {
                    String::new()
                },
                call_id: if state == "offered" || state == "on_call" {
                    "c2".into()
                } else {
                    String::new()
                },
            };
            store.append_agent_event(&row).await.unwrap_or_else(|e| panic!("{e}"));
        }
        let events = store.agent_events("tanaka").await.unwrap_or_else(|e| panic!("{e}"));
        let states: Vec<&str> = events.iter().map(|e| e.state.as_str()).collect();
        assert_eq!(states, ["not_ready", "ready", "offered", "on_call"], "{}", db.url);

        store
            .save_wrap_up("c2", "tanaka", "2026-11-24T02:05:00Z", &wrap("renewal/card", ""))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        store
            .save_wrap_up(
                "c2",
                "tanaka",
                "2026-11-24T02:06:00Z",
                &wrap("complaint", "asked for a manager"),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        store
            .save_wrap_up("c2", "sato", "2026-11-24T02:07:00Z", &wrap("other", ""))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        // A wrap-up for a call that does not exist is refused by the database.
        assert!(
            store
                .save_wrap_up("nope", "tanaka", "2026-11-24T02:07:00Z", &wrap("other", ""))
                .await
                .is_err(),
            "{}",
            db.url
        );

        let history = store
            .earlier_calls("09012345678", "c3", 5)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(history.len(), 2, "{}: {history:?}", db.url);
        assert_eq!(history[0].arrived_at, "2026-11-24T02:00:00Z", "newest first");
        assert!(history[0].answered && history[0].category.is_some());
        assert!(!history[1].answered && history[1].category.is_none());

        let detail = store
            .call_detail("c2")
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("c2"));
        assert_eq!(detail.caller, "09012345678");
        assert_eq!(detail.events.len(), 3);
        let filed: Vec<(&str, &str)> = detail
            .wrap_ups
            .iter()
            .map(|(a, w)| (a.as_str(), w.category.as_str()))
            .collect();
        assert_eq!(filed, [("tanaka", "complaint"), ("sato", "other")], "{}", db.url);
        assert_eq!(detail.wrap_ups[0].1.escalation_note, "asked for a manager");
        assert!(
            store
                .call_detail("missing")
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .is_none()
        );
        store.close().await;
    }
}
