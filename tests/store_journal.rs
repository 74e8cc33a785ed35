//! The journal on both databases: calls, their steps, the agents' event log and wrap-ups go
//! through the batched writer and read back as they were written; a wrap-up the database
//! refuses (for a call that does not exist) is refused to its sender while the rows around it
//! are kept; filing again replaces the agent's own wrap-up, never a colleague's; a caller's
//! earlier calls and one call's detail read from the same rows.

mod common;

use common::TestDatabase;
use tsunagu::journal::{
    AgentEvent, AgentStateName, Codec, FiledWrapUp, Line, NewCall, NotReadyReason, Step, StepRow, TimedStep, WrapUp,
};
use tsunagu::pii::PhoneNumber;
use tsunagu::store::Store;
use tsunagu::store::journal::{Journal, JournalError, JournalLimits};

fn call(id: &str, caller: &str, arrived_at: &str) -> NewCall {
    NewCall {
        id: id.into(),
        sip_call_id: format!("sip-{id}"),
        arrived_at: arrived_at.into(),
        service_date: arrived_at[..10].into(),
        in_hours: true,
        caller: PhoneNumber::from(caller),
        dialed: PhoneNumber::from("0120380366"),
        line: Line::TollFree,
        trunk_peer: "127.0.0.1:5060".into(),
        transport: "udp".into(),
    }
}

fn step(call_id: &str, offset_ms: i64, step: Step) -> StepRow {
    StepRow {
        call_id: call_id.into(),
        step: TimedStep {
            at: "2026-11-24T02:00:00Z".into(),
            offset_ms,
            step,
        },
    }
}

fn wrap(call: &str, agent: &str, saved_at: &str, category: &str, escalation_note: &str) -> FiledWrapUp {
    FiledWrapUp {
        call: call.into(),
        agent: agent.into(),
        saved_at: saved_at.into(),
        form: WrapUp {
            category: category.into(),
            escalation: !escalation_note.is_empty(),
            escalation_note: escalation_note.into(),
            complaint: false,
            notes: "called about the renewal letter".into(),
            faq: Vec::new(),
        },
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_steps_agent_events_and_wrap_ups_go_through_the_journal_on_sqlite_and_postgresql() {
    for db in TestDatabase::both().await {
        let store = Store::connect(&db.url)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", db.url));
        let journal = Journal::start(store.clone(), JournalLimits::default());
        for (id, at) in [
            ("c1", "2026-11-20T01:00:00Z"),
            ("c2", "2026-11-24T02:00:00Z"),
            ("c3", "2026-11-25T03:00:00Z"),
        ] {
            journal.call(call(id, "09012345678", at));
        }
        journal.call(call("other", "0311112222", "2026-11-25T04:00:00Z"));
        for row in [
            step("c2", 0, Step::Arrived),
            step("c2", 10, Step::IvrAnswered { codec: Codec::Ulaw }),
            step(
                "c2",
                9000,
                Step::Enqueued {
                    queue: "general".into(),
                },
            ),
            step("c2", 21_500, Step::AgentAnswered { agent: "tanaka".into() }),
        ] {
            journal.step(row);
        }
        for (state, reason, call) in [
            (AgentStateName::NotReady, Some(NotReadyReason::LoggedIn), None),
            (AgentStateName::Ready, None, None),
            (AgentStateName::Offered, None, Some("c2")),
            (AgentStateName::OnCall, None, Some("c2")),
        ] {
            journal.agent_event(AgentEvent {
                agent: "tanaka".into(),
                at: "2026-11-24T02:00:00Z".into(),
                state,
                reason,
                call: call.map(str::to_string),
            });
        }
        // Filed at once, so that they may share a batch with the rows above: the one the
        // database refuses must not take the others with it.
        let (first, second, colleague, unknown) = tokio::join!(
            journal.wrap_up(wrap("c2", "tanaka", "2026-11-24T02:05:00Z", "renewal/card", "")),
            journal.wrap_up(wrap("nope", "tanaka", "2026-11-24T02:05:30Z", "other", "")),
            journal.wrap_up(wrap("c2", "sato", "2026-11-24T02:07:00Z", "other", "")),
            journal.wrap_up(wrap("c3", "tanaka", "2026-11-25T03:05:00Z", "other", "")),
        );
        assert_eq!(
            (&first, &colleague, &unknown),
            (&Ok(()), &Ok(()), &Ok(())),
            "{}",
            db.url
        );
        assert!(
            matches!(second, Err(JournalError::Refused(_))),
            "{}: {second:?}",
            db.url
        );
        // Filing again replaces the agent's own wrap-up.
        let again = journal
            .wrap_up(wrap(
                "c2",
                "tanaka",
                "2026-11-24T02:06:00Z",
                "complaint",
                "asked for a manager",
            ))
            .await;
        assert_eq!(again, Ok(()), "{}", db.url);
        journal.flush().await;
        let stats = &journal.stats;
        assert_eq!(stats.failed.load(std::sync::atomic::Ordering::Relaxed), 1, "{}", db.url);
        assert_eq!(stats.lost.load(std::sync::atomic::Ordering::Relaxed), 0);
        assert_eq!(stats.pending.load(std::sync::atomic::Ordering::Relaxed), 0);

        let events = store.agent_events("tanaka").await.unwrap_or_else(|e| panic!("{e}"));
        let states: Vec<AgentStateName> = events.iter().map(|e| e.state).collect();
        assert_eq!(
            states,
            [
                AgentStateName::NotReady,
                AgentStateName::Ready,
                AgentStateName::Offered,
                AgentStateName::OnCall
            ],
            "{}",
            db.url
        );
        assert_eq!(events[0].reason, Some(NotReadyReason::LoggedIn));
        assert_eq!(events[2].call.as_deref(), Some("c2"));
        assert_eq!(events[1].call, None);

        let history = store
            .earlier_calls(&PhoneNumber::from("09012345678"), "c3", 5)
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
        assert_eq!(detail.caller.expose(), "09012345678");
        assert_eq!(detail.steps.len(), 4);
        assert_eq!(detail.steps[3].step, Step::AgentAnswered { agent: "tanaka".into() });
        let filed: Vec<(&str, &str)> = detail
            .wrap_ups
            .iter()
            .map(|w| (w.agent.as_str(), w.form.category.as_str()))
            .collect();
        assert_eq!(filed, [("tanaka", "complaint"), ("sato", "other")], "{}", db.url);
        assert_eq!(detail.wrap_ups[0].form.escalation_note, "asked for a manager");
        assert!(
            store
                .call_detail("missing")
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .is_none()
        );
        let day = store.calls_of_day("2026-11-24").await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(day.len(), 1);
        assert_eq!(day[0].answered_by(), Some("tanaka"));
        store.close().await;
    }
}
