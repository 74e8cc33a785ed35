//! The HTTP side without a server: `web::app` of an assembled center (real SQLite database, real
//! ACD and journal), driven request by request with `oneshot`, and the softphone's session loop
//! driven through channels. Every error has one shape; roles are checked before any handler;
//! every state-changing request needs the session's CSRF token; bodies are limited.

// The test is an edge: it reads the clock.
#![allow(clippy::disallowed_methods)]

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::extract::ws::Message;
use axum::http::{Request, StatusCode, header};
use common::center::{Options, test_config};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tower::ServiceExt;
use tsunagu::auth::Role;
use tsunagu::journal::{Codec, Line, NewCall, Step, StepRow, TimedStep};
use tsunagu::pii::PhoneNumber;
use tsunagu::server::Center;
use tsunagu::web::extract::StaffSession;

const PASSWORD: &str = "kawasaki-2026!";

struct App {
    router: Router,
    center: Center,
    _dir: tempfile::TempDir,
}

async fn app() -> App {
    app_with(|_| {}).await
}

/// An app whose configuration `change` adjusts first.
async fn app_with(change: impl FnOnce(&mut tsunagu::config::Config)) -> App {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut config = test_config(Options::default(), dir.path());
    change(&mut config);
    let center = tsunagu::server::assemble(config)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let hash = tsunagu::auth::password::hash(PASSWORD).unwrap_or_else(|e| panic!("{e}"));
    for (name, role) in [("tanaka", "agent"), ("suzuki", "supervisor")] {
        center
            .store
            .create_user(name, role, &hash, &[("ja".into(), 3)], jiff::Timestamp::now())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let router = tsunagu::web::app(center.app_state(Arc::default(), None));
    App {
        router,
        center,
        _dir: dir,
    }
}

/// A request as a browser on the same machine sends it.
fn request(method: &str, path: &str, headers: &[(&str, &str)], body: impl Into<Body>) -> Request<Body> {
    request_from("127.0.0.1:50000", method, path, headers, body)
}

/// A request arriving from `peer` (the connection's other end: a browser, or a proxy).
fn request_from(
    peer: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: impl Into<Body>,
) -> Request<Body> {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/json");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let mut request = builder.body(body.into()).unwrap_or_else(|e| panic!("{e}"));
    let client: SocketAddr = peer.parse().unwrap_or_else(|e| panic!("{e}"));
    request.extensions_mut().insert(ConnectInfo(client));
    request
}

impl App {
    async fn send(&self, request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 20)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        (
            parts.status,
            parts.headers,
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }

    /// Logs in; returns the cookie and the CSRF token.
    async fn log_in(&self, name: &str) -> (String, String) {
        let body = json!({"name": name, "password": PASSWORD}).to_string();
        let (status, headers, body) = self.send(request("POST", "/api/login", &[], body)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let cookie = headers
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .unwrap_or_else(|| panic!("no cookie"))
            .to_string();
        let me: Value = serde_json::from_str(&body).unwrap_or_default();
        (cookie, me["csrf_token"].as_str().unwrap_or_default().to_string())
    }
}

/// The error's JSON: `(error, message)`.
fn error_of(body: &str) -> (String, String) {
    let value: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    (
        value["error"].as_str().unwrap_or_default().to_string(),
        value["message"].as_str().unwrap_or_default().to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_have_one_shape_roles_are_checked_first_and_bodies_are_limited() {
    let app = app().await;
    let (status, _, body) = app.send(request("GET", "/api/me", &[], Body::empty())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_of(&body).0, "unauthorized");

    let (agent, _) = app.log_in("tanaka").await;
    let (status, _, body) = app
        .send(request("GET", "/api/calls/x", &[("cookie", &agent)], Body::empty()))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "agents do not read other calls' records");
    assert_eq!(error_of(&body).0, "forbidden");
    let (supervisor, _) = app.log_in("suzuki").await;
    let (status, _, body) = app
        .send(request(
            "GET",
            "/api/calls/nope",
            &[("cookie", &supervisor)],
            Body::empty(),
        ))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_of(&body), ("not_found".into(), "no such call".into()));

    let (status, _, body) = app.send(request("POST", "/api/login", &[], "{not json")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&body).0, "bad_request");
    let huge = json!({"name": "x".repeat(10_000), "password": "y"}).to_string();
    let (status, _, body) = app.send(request("POST", "/api/login", &[], huge)).await;
    assert_eq!(
        status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "a login body is a few KB at most"
    );
    assert_eq!(error_of(&body).0, "too_large");

    let (status, _, body) = app
        .send(request(
            "POST",
            "/api/login",
            &[],
            json!({"name": "tanaka", "password": "guess"}).to_string(),
        ))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_of(&body).1, "wrong name or password");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_changing_request_with_a_session_needs_its_csrf_token() {
    let app = app().await;
    let (cookie, csrf) = app.log_in("tanaka").await;
    for headers in [
        vec![("cookie", cookie.as_str())],
        vec![("cookie", &cookie), ("x-csrf-token", "forged")],
    ] {
        let (status, _, body) = app.send(request("POST", "/api/logout", &headers, Body::empty())).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{headers:?}");
        assert_eq!(
            error_of(&body),
            ("forbidden".into(), "missing or wrong X-CSRF-Token".into())
        );
    }
    let (status, _, _) = app
        .send(request("GET", "/api/me", &[("cookie", &cookie)], Body::empty()))
        .await;
    assert_eq!(status, StatusCode::OK, "refused requests changed nothing");
    let (status, _, _) = app
        .send(request(
            "POST",
            "/api/logout",
            &[("cookie", &cookie), ("x-csrf-token", &csrf)],
            Body::empty(),
        ))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = app
        .send(request("GET", "/api/me", &[("cookie", &cookie)], Body::empty()))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = app.send(request("POST", "/api/logout", &[], Body::empty())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_reads_a_call_record_and_the_operator_the_journals_counters() {
    let app = app().await;
    let journal = &app.center.services.journal;
    journal.call(NewCall {
        id: "c1".into(),
        sip_call_id: "sip-c1".into(),
        arrived_at: "2026-11-24T01:00:00Z".into(),
        service_date: "2026-11-24".into(),
        in_hours: true,
        caller: PhoneNumber::from("09012345678"),
        dialed: PhoneNumber::from("0120380366"),
        line: Line::TollFree,
        trunk_peer: "127.0.0.1:5060".into(),
        transport: "udp".into(),
    });
    for (offset_ms, step) in [
        (10, Step::IvrAnswered { codec: Codec::Ulaw }),
        (
            9000,
            Step::Enqueued {
                queue: "general".into(),
            },
        ),
        (21_500, Step::AgentAnswered { agent: "tanaka".into() }),
    ] {
        journal.step(StepRow {
            call_id: "c1".into(),
            step: TimedStep {
                at: "2026-11-24T01:00:00Z".into(),
                offset_ms,
                step,
            },
        });
    }
    journal.flush().await;
    let (supervisor, _) = app.log_in("suzuki").await;
    let (status, _, body) = app
        .send(request(
            "GET",
            "/api/calls/c1",
            &[("cookie", &supervisor)],
            Body::empty(),
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let call: Value = serde_json::from_str(&body).unwrap_or_default();
    assert_eq!(call["caller"], "09012345678", "the supervisor's view shows the number");
    assert_eq!(call["line"], "toll-free");
    assert_eq!(call["agent"], "tanaka");
    assert_eq!(call["waited_seconds"], 12.5);
    assert_eq!(call["steps"][2]["kind"], "agent_answered");

    let (status, _, body) = app.send(request("GET", "/healthz", &[], Body::empty())).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok\n"));
    let (_, _, metrics) = app.send(request("GET", "/metrics", &[], Body::empty())).await;
    for line in [
        "tsunagu_journal_rows_written_total 4",
        "tsunagu_journal_rows_lost_total 0",
        "tsunagu_journal_rows_failed_total 0",
        "tsunagu_journal_rows_pending 0",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line}:\n{metrics}");
    }
}

/// The next message of `kind` the loop sent the page.
async fn next(page: &mut futures_channel::mpsc::UnboundedReceiver<Message>, kind: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let message = tokio::time::timeout_at(deadline, page.next())
            .await
            .unwrap_or_else(|_| panic!("no {kind}"))
            .unwrap_or_else(|| panic!("the loop ended before {kind}"));
        let value: Value = serde_json::from_str(message.to_text().unwrap_or_default()).unwrap_or_default();
        if value["type"] == kind {
            return value;
        }
    }
}

/// The softphone's session loop over channels instead of a socket: it greets, takes the agent
/// onto the floor, answers nonsense plainly and goes on, and leaves the floor when the page goes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_softphone_session_loop_runs_over_channels() {
    let app = app().await;
    let (token, session) = app.center.sessions.open("tanaka", Role::Agent, Instant::now());
    let state = app.center.app_state(Arc::default(), None);
    let (to_page, mut page) = futures_channel::mpsc::unbounded::<Message>();
    let (mut from_page, incoming) = futures_channel::mpsc::unbounded::<Result<Message, std::convert::Infallible>>();
    let session_loop = tokio::spawn(tsunagu::web::agent::socket::run(
        state,
        to_page,
        incoming,
        StaffSession { token, session },
    ));
    let hello = next(&mut page, "hello").await;
    assert_eq!(hello["agent"], "tanaka");
    let say = |text: String| Ok(Message::Text(text.into()));
    from_page
        .send(say("nonsense".into()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        next(&mut page, "error").await["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("not understood"))
    );
    from_page
        .send(say(json!({"type": "ready"}).to_string()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    loop {
        if next(&mut page, "state").await["state"] == "ready" {
            break;
        }
    }
    from_page
        .send(say(json!({"type": "answer_call"}).to_string()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(next(&mut page, "error").await["message"], "no call is ringing");
    drop(from_page);
    tokio::time::timeout(Duration::from_secs(5), session_loop)
        .await
        .unwrap_or_else(|_| panic!("the loop did not end when the page went"))
        .unwrap_or_else(|e| panic!("{e}"));
    let desk = app.center.acd.view().await.unwrap_or_else(|| panic!("the ACD"));
    let tanaka = desk.agents.iter().find(|a| a.name == "tanaka");
    assert!(
        tanaka.is_some_and(|a| !a.connected),
        "the agent's page is gone from the floor"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guesses_sent_all_at_once_are_counted_before_their_hashes_and_a_flood_gets_503() {
    let app = app().await;
    let wrong = || {
        request(
            "POST",
            "/api/login",
            &[],
            json!({"name": "tanaka", "password": "guess"}).to_string(),
        )
    };
    let answers = futures_util::future::join_all((0..20).map(|_| app.send(wrong()))).await;
    let refused = answers
        .iter()
        .filter(|(s, _, _)| *s == StatusCode::UNAUTHORIZED)
        .count();
    let throttled = answers
        .iter()
        .filter(|(s, _, _)| *s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(
        (refused, throttled),
        (10, 10),
        "ten tries, then 429, however many come at once"
    );
    // Forty different names at once (under the address's limit): the password checks that
    // cannot wait their turn are turned away with 503 and Retry-After rather than queued.
    let app = self::app().await;
    let many = futures_util::future::join_all((0..40).map(|n| {
        app.send(request(
            "POST",
            "/api/login",
            &[],
            json!({"name": format!("user{n}"), "password": "guess"}).to_string(),
        ))
    }))
    .await;
    let unavailable: Vec<_> = many
        .iter()
        .filter(|(s, _, _)| *s == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert!(!unavailable.is_empty(), "40 logins at once: some must be turned away");
    assert!(unavailable.iter().all(|(_, h, _)| h.contains_key(header::RETRY_AFTER)));
    assert!(
        many.iter()
            .all(|(s, _, _)| *s == StatusCode::SERVICE_UNAVAILABLE || *s == StatusCode::UNAUTHORIZED)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_each_client_is_throttled_alone_and_the_public_origin_decides() {
    let app = app_with(|config| {
        config.http.trusted_proxies = vec!["10.0.0.1".into()];
        config.http.public_origin = "https://cc.example.jp".into();
    })
    .await;
    let from_client = |client: &'static str, name: String| {
        request_from(
            "10.0.0.1:40000",
            "POST",
            "/api/login",
            &[("x-forwarded-for", client)],
            json!({"name": name, "password": "guess"}).to_string(),
        )
    };
    for n in 0..50 {
        let (status, _, _) = app.send(from_client("198.51.100.1", format!("guess{n}"))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _, _) = app.send(from_client("198.51.100.1", "guess50".into())).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "the guesser is stopped");
    let (status, _, _) = app.send(from_client("198.51.100.2", "tanaka".into())).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "another client behind the proxy is not"
    );
    // A page of the public origin may open the floor's socket (the upgrade itself needs a real
    // connection: what is refused here is only that this is no WebSocket); another site may not.
    let (cookie, _) = app.log_in("suzuki").await;
    let ws = |origin: &'static str| {
        request_from(
            "10.0.0.1:40000",
            "GET",
            "/api/floor/ws",
            &[
                ("cookie", cookie.as_str()),
                ("origin", origin),
                ("host", "127.0.0.1:8080"),
            ],
            Body::empty(),
        )
    };
    let (status, _, _) = app.send(ws("https://evil.example")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = app.send(ws("https://cc.example.jp")).await;
    assert_ne!(
        status,
        StatusCode::FORBIDDEN,
        "our own page, though Host says otherwise"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_for_the_operators_hosts_only() {
    let app = app_with(|config| config.http.trusted_proxies = vec!["10.0.0.1".into()]).await;
    let get =
        |peer: &'static str, headers: &[(&str, &str)]| request_from(peer, "GET", "/metrics", headers, Body::empty());
    let (status, _, body) = app.send(get("127.0.0.1:40000", &[])).await;
    assert!(status == StatusCode::OK && body.contains("tsunagu_journal_rows_lost_total"));
    let (status, _, body) = app.send(get("203.0.113.9:40000", &[])).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _, _) = app
        .send(get("10.0.0.1:40000", &[("x-forwarded-for", "203.0.113.9")]))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "through the proxy, the client decides");
}

/// A second softphone (another tab) while the agent is on a call would take the audio from
/// under the caller: it is refused, and the first goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_softphone_during_a_call_is_refused_and_the_first_keeps_the_call() {
    let app = app().await;
    let acd = app.center.acd.clone();
    let session_loop = |app: &App| {
        let (token, session) = app.center.sessions.open("tanaka", Role::Agent, Instant::now());
        let state = app.center.app_state(Arc::default(), None);
        let (to_page, page) = futures_channel::mpsc::unbounded::<Message>();
        let (from_page, incoming) = futures_channel::mpsc::unbounded::<Result<Message, std::convert::Infallible>>();
        let running = tokio::spawn(tsunagu::web::agent::socket::run(
            state,
            to_page,
            incoming,
            StaffSession { token, session },
        ));
        (page, from_page, running)
    };
    let (mut page, mut from_page, _first) = session_loop(&app);
    next(&mut page, "hello").await;
    // The audio is up (as the browser's connection would say), the agent is ready, a call rings.
    acd.input(tsunagu::acd::desk::Input::AgentAudio {
        agent: "tanaka".into(),
        up: true,
    })
    .await;
    from_page
        .send(Ok(Message::Text(json!({"type": "ready"}).to_string().into())))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (calls_tx, _call_notices) = tokio::sync::mpsc::channel(8);
    acd.enqueue(
        "c1",
        tsunagu::acd::desk::CallInfo {
            caller: PhoneNumber::from("09012345678"),
            lang: tsunagu::lang::Lang::Ja,
            queue: "general".into(),
            path: String::new(),
        },
        false,
        calls_tx,
    )
    .await;
    next(&mut page, "ringing").await;
    from_page
        .send(Ok(Message::Text(json!({"type": "answer_call"}).to_string().into())))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    next(&mut page, "connected").await;

    let (mut second_page, _second_from, second) = session_loop(&app);
    let refused = next(&mut second_page, "error").await;
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.contains("on a call in another tab")),
        "{refused}"
    );
    tokio::time::timeout(Duration::from_secs(5), second)
        .await
        .unwrap_or_else(|_| panic!("the second softphone was not closed"))
        .unwrap_or_else(|e| panic!("{e}"));
    // The first is still the agent's, on the call: it can hang up.
    from_page
        .send(Ok(Message::Text(json!({"type": "hang_up"}).to_string().into())))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    loop {
        if next(&mut page, "state").await["state"] == "wrap_up" {
            break;
        }
    }
}
