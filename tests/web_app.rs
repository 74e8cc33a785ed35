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
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let center = tsunagu::server::assemble(test_config(Options::default(), dir.path()))
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
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/json");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let mut request = builder.body(body.into()).unwrap_or_else(|e| panic!("{e}"));
    let client: SocketAddr = "127.0.0.1:50000".parse().unwrap_or_else(|e| panic!("{e}"));
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
