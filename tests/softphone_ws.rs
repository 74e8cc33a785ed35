//! The floor over the softphone's real WebSocket protocol, with real callers (sipp and a UDP
//! phone): who may connect, offers and their withdrawal when the caller gives up, missed
//! offers going to the next agent, two agents and one call, answering without audio, the
//! supervisors' live floor and the agents' event log.

// The test is an edge: it reads the clock for its deadlines.
#![allow(clippy::disallowed_methods)]

mod common;

use std::time::Duration;

use common::center::{Center, Options, kinds, phone};
use common::staff::{add_user, http, log_in, next, open_ws, send, softphone, state};
use serde_json::json;
use tokio::net::UdpSocket;

async fn phone_socket() -> (UdpSocket, u16) {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
    let port = socket.local_addr().map(|a| a.port()).unwrap_or_else(|e| panic!("{e}"));
    (socket, port)
}

/// A sipp caller who hangs up after `pause_ms`, its audio on the phone at `port`.
fn hanging_up_caller(center: &Center, port: u16, pause_ms: u64) -> tokio::task::JoinHandle<(Option<i32>, String)> {
    let (sip, dir) = (center.sip(), center.dir.path().to_path_buf());
    tokio::spawn(async move { common::center::sipp_at(sip, &dir, "caller_hangs_up.xml", port, pause_ms, &[]).await })
}

/// The caller's keys for English: barge into the greeting, then 2 in the language menu.
fn english() -> Vec<(usize, char)> {
    vec![(25, '2'), (60, '2')]
}

const SECONDS_5: Duration = Duration::from_secs(5);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_logged_in_agents_from_our_own_pages_get_a_softphone_and_only_supervisors_the_floor() {
    let center = Center::start(Options::default()).await;
    add_user(&center, "tanaka", "agent", &[("ja", 3)]).await;
    add_user(&center, "suzuki", "supervisor", &[]).await;
    assert_eq!(open_ws(&center, "/api/agent/ws", "", None).await.err(), Some(401));
    let agent = log_in(&center, "tanaka").await;
    let origin = format!("http://{}", center.running.http_addr);
    assert_eq!(
        open_ws(&center, "/api/agent/ws", &agent, Some("http://evil.example"))
            .await
            .err(),
        Some(403),
        "another site's page must not drive the agent's session"
    );
    // tungstenite sends Host = the address; an Origin naming that address is our own page.
    assert!(
        open_ws(&center, "/api/agent/ws", &agent, Some(origin.as_str()))
            .await
            .is_ok()
    );
    assert_eq!(open_ws(&center, "/api/floor/ws", &agent, None).await.err(), Some(403));
    let (status, _, _) = http(&center, "GET", "/api/calls/x", &[("Cookie", &agent)], "").await;
    assert_eq!(status, 403, "agents do not read other calls' records");
    let supervisor = log_in(&center, "suzuki").await;
    assert!(open_ws(&center, "/api/floor/ws", &supervisor, None).await.is_ok());
    let (status, _, _) = http(&center, "GET", "/api/calls/x", &[("Cookie", &supervisor)], "").await;
    assert_eq!(status, 404);
    // The pages themselves are public (they ask for a login).
    let (status, _, body) = http(&center, "GET", "/", &[], "").await;
    assert!(status == 200 && body.contains("softphone"), "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_who_hangs_up_while_it_rings_withdraws_the_offer_and_the_agent_is_ready_again() {
    let center = Center::start(Options::default()).await;
    add_user(&center, "nguyen", "agent", &[("en", 3), ("vi", 3)]).await;
    let mut ws = softphone(&center, "nguyen").await;
    state(&mut ws, "not_ready", SECONDS_5).await;
    send(&mut ws, json!({"type": "ready"})).await;
    state(&mut ws, "ready", SECONDS_5).await;

    let (socket, port) = phone_socket().await;
    let listening = tokio::spawn(phone(socket, english(), Duration::from_secs(30)));
    // The caller hangs up 9 s in: long after joining the queue, before the 15 s offer timeout.
    let caller = hanging_up_caller(&center, port, 9000);
    let ringing = next(&mut ws, "ringing", Duration::from_secs(20)).await;
    assert_eq!(ringing["caller"], "09012345678");
    assert_eq!(ringing["language"], "en");
    assert!(
        ringing["path"]
            .as_str()
            .is_some_and(|p| p.contains("language en") && p.contains("in_hours")),
        "{ringing}"
    );
    let withdrawn = next(&mut ws, "withdrawn", Duration::from_secs(20)).await;
    assert_eq!(withdrawn["why"], "caller_hung_up");
    state(&mut ws, "ready", SECONDS_5).await;
    // An answer that crosses the hang-up is refused, nothing is bridged.
    send(&mut ws, json!({"type": "answer_call"})).await;
    next(&mut ws, "error", SECONDS_5).await;
    let (status, output) = caller.await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status, Some(0), "{output}");
    let _ = listening.await;

    let calls = center.calls_today().await;
    let steps = kinds(&calls[0]);
    assert!(steps.contains(&"offered:nguyen".to_string()), "{steps:?}");
    assert!(steps.contains(&"abandoned:queue".to_string()), "{steps:?}");
    assert!(!steps.iter().any(|s| s.starts_with("agent_answered")), "{steps:?}");
    let events = center
        .running
        .store
        .agent_events("nguyen")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let states: Vec<&str> = events.iter().map(|e| e.state.as_str()).collect();
    assert_eq!(states, ["not_ready", "ready", "offered", "ready"], "{events:?}");
    assert_eq!(events[2].call.as_ref(), Some(&calls[0].id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offer_nobody_answers_goes_to_the_next_agent_and_the_first_is_marked_missed() {
    let center = Center::start(Options {
        agents: tsunagu::config::AgentsConfig {
            offer_timeout_seconds: 2,
            ..Default::default()
        },
        ..Options::default()
    })
    .await;
    add_user(&center, "first", "agent", &[("en", 3)]).await;
    add_user(&center, "second", "agent", &[("en", 2)]).await;
    let mut first = softphone(&center, "first").await;
    let mut second = softphone(&center, "second").await;
    send(&mut first, json!({"type": "ready"})).await;
    state(&mut first, "ready", SECONDS_5).await;
    // Two agents: the better English speaker is offered the call first (second is not ready yet).
    let (socket, port) = phone_socket().await;
    let listening = tokio::spawn(phone(socket, english(), Duration::from_secs(30)));
    let caller = hanging_up_caller(&center, port, 12_000);
    let ringing = next(&mut first, "ringing", Duration::from_secs(20)).await;
    send(&mut second, json!({"type": "ready"})).await;
    let withdrawn = next(&mut first, "withdrawn", SECONDS_5).await;
    assert_eq!(withdrawn["why"], "not_answered");
    let missed = state(&mut first, "not_ready", SECONDS_5).await;
    assert_eq!(missed["reason"], "missed");
    let again = next(&mut second, "ringing", SECONDS_5).await;
    assert_eq!(again["call"], ringing["call"], "the same caller, first in line");
    let (status, output) = caller.await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status, Some(0), "{output}");
    let _ = listening.await;
    let steps = kinds(&center.calls_today().await[0]);
    let offers: Vec<&String> = steps.iter().filter(|s| s.starts_with("offered")).collect();
    assert_eq!(offers, ["offered:first", "offered:second"], "{steps:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_ready_agents_and_one_caller_one_rings_and_answering_without_audio_is_refused() {
    let center = Center::start(Options::default()).await;
    add_user(&center, "a", "agent", &[("en", 3)]).await;
    add_user(&center, "b", "agent", &[("en", 3)]).await;
    add_user(&center, "boss", "supervisor", &[]).await;
    let mut a = softphone(&center, "a").await;
    let mut b = softphone(&center, "b").await;
    // a is ready first, so a is the longest idle.
    send(&mut a, json!({"type": "ready"})).await;
    state(&mut a, "ready", SECONDS_5).await;
    send(&mut b, json!({"type": "ready"})).await;
    state(&mut b, "ready", SECONDS_5).await;
    let boss = log_in(&center, "boss").await;
    let mut floor = open_ws(&center, "/api/floor/ws", &boss, None)
        .await
        .unwrap_or_else(|s| panic!("{s}"));

    let (socket, port) = phone_socket().await;
    let listening = tokio::spawn(phone(socket, english(), Duration::from_secs(30)));
    let caller = hanging_up_caller(&center, port, 8000);
    // Whoever it rings at (the longest idle: a), the other hears nothing of it.
    let ringing = next(&mut a, "ringing", Duration::from_secs(20)).await;
    // The floor shows the agent ringing and the call.
    let deadline = tokio::time::Instant::now() + SECONDS_5;
    loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the floor never showed the offer"
        );
        let view = read_floor(&mut floor).await;
        let agents = view["agents"].as_array().cloned().unwrap_or_default();
        if agents.iter().any(|x| x["name"] == "a" && x["state"] == "offered") {
            assert!(
                agents.iter().any(|x| x["name"] == "b" && x["state"] == "ready"),
                "{view}"
            );
            assert_eq!(view["target"], 0.85);
            break;
        }
    }
    // No audio connection on this session: the answer is refused, the call keeps ringing.
    send(&mut a, json!({"type": "answer_call"})).await;
    let refused = next(&mut a, "error", SECONDS_5).await;
    assert!(
        refused["message"].as_str().is_some_and(|m| m.contains("audio")),
        "{refused}"
    );
    let withdrawn = next(&mut a, "withdrawn", Duration::from_secs(20)).await;
    assert_eq!(withdrawn["call"], ringing["call"]);
    let (status, output) = caller.await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status, Some(0), "{output}");
    let _ = listening.await;
    center.running.services.journal.flush().await;
    let b_events = center
        .running
        .store
        .agent_events("b")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        b_events.iter().all(|e| e.state.as_str() != "offered"),
        "one call is offered to one agent at a time: {b_events:?}"
    );
}

async fn read_floor(ws: &mut common::staff::Ws) -> serde_json::Value {
    use futures_util::StreamExt;
    let message = tokio::time::timeout(SECONDS_5, ws.next())
        .await
        .unwrap_or_else(|_| panic!("no floor update"));
    let Some(Ok(tokio_tungstenite::tungstenite::Message::Text(text))) = message else {
        panic!("the floor WebSocket ended");
    };
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_softphone_of_the_same_agent_replaces_the_first() {
    let center = Center::start(Options::default()).await;
    add_user(&center, "tanaka", "agent", &[("ja", 3)]).await;
    let mut old = softphone(&center, "tanaka").await;
    let _new = softphone(&center, "tanaka").await;
    next(&mut old, "replaced", SECONDS_5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_backs_only_to_numbers_the_dial_plan_allows_and_only_when_not_ready_for_outbound() {
    let center = Center::start(Options {
        // Nobody listens there: every check below must refuse before a call is placed.
        outbound_trunk: Some("127.0.0.1:9".parse().unwrap_or_else(|e| panic!("{e}"))),
        ..Options::default()
    })
    .await;
    add_user(&center, "ito", "agent", &[("ja", 3)]).await;
    let mut ws = softphone(&center, "ito").await;
    for (number, expected) in [
        ("0570-123-456", "may not be called"),
        ("010-44-20-7946-0000", "may not be called"),
        ("110", "not a number the center may call"),
        ("+81-44-200-1234", "not a phone number"),
    ] {
        send(&mut ws, json!({"type": "dial", "number": number})).await;
        let refused = next(&mut ws, "error", SECONDS_5).await;
        assert!(
            refused["message"].as_str().is_some_and(|m| m.contains(expected)),
            "{number}: {refused}"
        );
    }
    // An allowed number, but the agent is not set for outbound calls.
    send(&mut ws, json!({"type": "dial", "number": "044-200-1234"})).await;
    let refused = next(&mut ws, "error", SECONDS_5).await;
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.contains("not ready for outbound")),
        "{refused}"
    );
    send(&mut ws, json!({"type": "not_ready", "reason": "outbound"})).await;
    while state(&mut ws, "not_ready", SECONDS_5).await["reason"] != "outbound" {}
    // No audio connection on this session: refused before any INVITE.
    send(&mut ws, json!({"type": "dial", "number": "044-200-1234"})).await;
    let refused = next(&mut ws, "error", SECONDS_5).await;
    assert!(
        refused["message"].as_str().is_some_and(|m| m.contains("audio")),
        "{refused}"
    );
    assert!(center.calls_today().await.is_empty(), "no call was placed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_agent_whose_page_goes_away_is_not_ready_after_the_grace_period_unless_it_comes_back() {
    let center = Center::start(Options {
        agents: tsunagu::config::AgentsConfig {
            disconnect_grace_seconds: 1,
            ..Default::default()
        },
        ..Options::default()
    })
    .await;
    add_user(&center, "gone", "agent", &[("ja", 3)]).await;
    add_user(&center, "back", "agent", &[("ja", 3)]).await;
    for name in ["gone", "back"] {
        let mut ws = softphone(&center, name).await;
        send(&mut ws, json!({"type": "ready"})).await;
        state(&mut ws, "ready", SECONDS_5).await;
        drop(ws); // the tab closes: no goodbye, the connection just ends
    }
    // "back" reloads the page within the grace period and finds itself still ready.
    let mut again = softphone(&center, "back").await;
    state(&mut again, "ready", SECONDS_5).await;
    let last = |events: Vec<tsunagu::journal::AgentEvent>| {
        events
            .last()
            .map(|e| (e.state.to_string(), e.reason.map(|r| r.to_string()).unwrap_or_default()))
    };
    let last_of = |agent: &'static str| {
        let center = &center;
        async move {
            center.running.services.journal.flush().await;
            last(
                center
                    .running
                    .store
                    .agent_events(agent)
                    .await
                    .unwrap_or_else(|e| panic!("{e}")),
            )
        }
    };
    // "gone" becomes not ready once its grace period has passed.
    let disconnected = Some(("not_ready".to_string(), "disconnected".to_string()));
    let went = common::center::eventually(Duration::from_secs(10), || async {
        last_of("gone").await == disconnected
    })
    .await;
    assert!(
        went,
        "the vanished agent is not ready after the grace: {:?}",
        last_of("gone").await
    );
    // "back" came back within its grace: the desk has no grace period running for it any more
    // (it is connected), so it stays ready.
    let desk = center
        .running
        .services
        .acd
        .view()
        .await
        .unwrap_or_else(|| panic!("the ACD"));
    let connected = |name: &str| desk.agents.iter().find(|a| a.name == name).map(|a| a.connected);
    assert_eq!((connected("back"), connected("gone")), (Some(true), Some(false)));
    assert_eq!(
        last_of("back").await,
        Some(("ready".into(), String::new())),
        "the returning agent keeps its state"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_end_of_the_shift_an_agent_logs_off_the_floor() {
    use futures_util::StreamExt;
    let center = Center::start(Options::default()).await;
    add_user(&center, "tanaka", "agent", &[("ja", 3)]).await;
    let mut ws = softphone(&center, "tanaka").await;
    send(&mut ws, json!({"type": "ready"})).await;
    state(&mut ws, "ready", SECONDS_5).await;
    send(&mut ws, json!({"type": "log_out"})).await;
    // The session closes after the last state.
    let ended = tokio::time::timeout(SECONDS_5, async {
        loop {
            match ws.next().await {
                Some(Ok(tokio_tungstenite::tungstenite::Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the softphone session ends");
    center.running.services.journal.flush().await;
    let events = center
        .running
        .store
        .agent_events("tanaka")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let states: Vec<&str> = events.iter().map(|e| e.state.as_str()).collect();
    assert_eq!(states, ["not_ready", "ready", "logged_out"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_whose_expected_wait_is_over_the_limit_hears_the_busy_message_instead_of_queueing() {
    // Nobody on duty and an assumed 180 s per call: a new caller would wait 3 minutes; the
    // limit is 1 minute.
    let center = Center::start(Options {
        max_expected_wait_seconds: 60,
        ..Options::default()
    })
    .await;
    let (socket, port) = phone_socket().await;
    let listening = tokio::spawn(phone(socket, english(), Duration::from_secs(60)));
    let (sip, dir) = (center.sip(), center.dir.path().to_path_buf());
    let (status, output) = common::center::sipp_at(sip, &dir, "caller_waits_for_bye.xml", port, 0, &[]).await;
    assert_eq!(
        status,
        Some(0),
        "the center ends the call after the busy message:\n{output}"
    );
    let heard = listening.await.unwrap_or_else(|e| panic!("{e}"));
    let busy = common::center::prompt_frames(tsunagu::lang::Lang::En, "all_lines_busy");
    assert!(
        common::center::find_prompt(&heard, &busy, busy.len()).is_some(),
        "the busy message in English"
    );
    let steps = kinds(&center.calls_today().await[0]);
    assert!(
        steps.contains(&"busy".to_string()) && !steps.iter().any(|s| s.starts_with("enqueued")),
        "{steps:?}"
    );
    let report = center.report_today().await;
    assert_eq!(
        (report.offered, report.busy, report.answered),
        (1, 1, 0),
        "turned away counts as offered"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nonsense_from_a_softphone_gets_a_clear_error_and_the_session_goes_on() {
    let center = Center::start(Options::default()).await;
    add_user(&center, "tanaka", "agent", &[("ja", 3)]).await;
    let mut ws = softphone(&center, "tanaka").await;
    for (message, expected) in [
        ("not json at all".to_string(), "not understood"),
        (json!({"type": "dance"}).to_string(), "not understood"),
        (json!({"type": "offer", "sdp": "v=0 garbage"}).to_string(), "offer"),
        (
            json!({"type": "not_ready", "reason": "nap"}).to_string(),
            "unknown reason 'nap'",
        ),
        (
            json!({"type": "transfer", "language": "xx"}).to_string(),
            "unknown language 'xx'",
        ),
        (json!({"type": "transfer"}).to_string(), "one of them"),
        (
            json!({"type": "wrap_up", "call": "someone-elses", "category": "other"}).to_string(),
            "not a call you took",
        ),
        (json!({"type": "hang_up"}).to_string(), "not on a call"),
    ] {
        use futures_util::SinkExt;
        ws.send(tokio_tungstenite::tungstenite::Message::Text(message.clone().into()))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let error = next(&mut ws, "error", SECONDS_5).await;
        assert!(
            error["message"].as_str().is_some_and(|m| m.contains(expected)),
            "{message}: {error}"
        );
    }
    // Still on the floor: the agent can go ready.
    send(&mut ws, json!({"type": "ready"})).await;
    state(&mut ws, "ready", SECONDS_5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logging_out_closes_every_open_page_of_the_session_at_once() {
    let center = Center::start(Options::default()).await;
    add_user(&center, "takeda", "supervisor", &[("ja", 3)]).await;
    // One login, two pages: the softphone and the floor.
    let (cookie, csrf) = common::staff::log_in_with_csrf(&center, "takeda").await;
    let mut softphone = open_ws(&center, "/api/agent/ws", &cookie, None)
        .await
        .unwrap_or_else(|s| panic!("{s}"));
    next(&mut softphone, "hello", SECONDS_5).await;
    let mut floor = open_ws(&center, "/api/floor/ws", &cookie, None)
        .await
        .unwrap_or_else(|s| panic!("{s}"));
    let (status, _, _) = http(
        &center,
        "POST",
        "/api/logout",
        &[("Cookie", &cookie), ("X-CSRF-Token", &csrf)],
        "",
    )
    .await;
    assert_eq!(status, 204);
    for (name, socket) in [("softphone", &mut softphone), ("floor", &mut floor)] {
        let closed = tokio::time::timeout(SECONDS_5, async {
            use futures_util::StreamExt;
            loop {
                match socket.next().await {
                    Some(Ok(tokio_tungstenite::tungstenite::Message::Close(_))) | None | Some(Err(_)) => return,
                    Some(Ok(_)) => {}
                }
            }
        })
        .await;
        assert!(closed.is_ok(), "the {name} page's socket stayed open after logging out");
    }
}

/// The live floor lists agents with their state in Japanese and the time in Tokyo; a supervisor
/// who opened the softphone is listed apart, not among the agents staffing the queue.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_floor_tells_agents_from_supervisors_in_japanese_and_tokyo_time() {
    use futures_util::StreamExt;
    let center = Center::start(Options::default()).await;
    add_user(&center, "yamada", "agent", &[("ja", 3)]).await;
    add_user(&center, "sv", "supervisor", &[("ja", 3)]).await;
    let _agent = softphone(&center, "yamada").await;
    let _supervisor_phone = softphone(&center, "sv").await;
    let cookie = log_in(&center, "sv").await;
    let mut floor = open_ws(&center, "/api/floor/ws", &cookie, None)
        .await
        .unwrap_or_else(|status| panic!("floor refused: {status}"));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let shown = loop {
        let message = tokio::time::timeout_at(deadline, floor.next())
            .await
            .unwrap_or_else(|_| panic!("no floor with both logged in"));
        let Some(Ok(tokio_tungstenite::tungstenite::Message::Text(text))) = message else {
            panic!("the floor's socket ended");
        };
        let value: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        if value["agents"].as_array().map(Vec::len).unwrap_or(0)
            + value["supervisors"].as_array().map(Vec::len).unwrap_or(0)
            == 2
        {
            break value;
        }
    };
    let names = |key: &str| -> Vec<String> {
        shown[key]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|a| a["name"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(names("agents"), ["yamada"], "{shown}");
    assert_eq!(names("supervisors"), ["sv"], "{shown}");
    assert_eq!(shown["agents"][0]["label"], "離席（ログイン直後）", "{shown}");
    // The time shown is Tokyo's (the test may straddle a minute: within one).
    let updated = shown["updated"].as_str().unwrap_or_default();
    let minutes = |hh_mm: &str| -> i64 {
        let (h, m) = hh_mm.split_once(':').unwrap_or(("99", "99"));
        h.parse::<i64>().unwrap_or(99) * 60 + m.parse::<i64>().unwrap_or(99)
    };
    let tokyo =
        jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::get("Asia/Tokyo").unwrap_or_else(|e| panic!("{e}")));
    let expected = i64::from(tokyo.hour()) * 60 + i64::from(tokyo.minute());
    let apart = (minutes(&updated[..5.min(updated.len())]) - expected).rem_euclid(24 * 60);
    assert!(apart <= 1 || apart >= 24 * 60 - 1, "updated {updated} vs Tokyo {tokyo}");
}
