//! Staff login against a running center over real HTTP: sessions, the same answer for a wrong
//! name or password, CSRF on logout.

mod common;

use common::center::{Center, Options};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tsunagu::auth::password;

/// One HTTP/1.1 request; returns the status, the raw head and the body.
async fn http(
    center: &Center,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String, String) {
    let mut stream = tokio::net::TcpStream::connect(center.running.http_addr)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: tsunagu\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!(
        "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    ));
    stream
        .write_all(request.as_bytes())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((response.as_str(), ""));
    let status = head.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, head.to_string(), body.to_string())
}

#[allow(clippy::disallowed_methods)] // the test is an edge: it reads the clock
fn now() -> jiff::Timestamp {
    jiff::Timestamp::now()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_log_in_see_who_they_are_and_log_out_with_their_csrf_token() {
    let center = Center::start(Options::default()).await;
    let hash = password::hash("kawasaki-2026!").unwrap_or_else(|e| panic!("{e}"));
    center
        .running
        .store
        .create_user("tanaka", "agent", &hash, &[], now())
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let wrong = http(
        &center,
        "POST",
        "/api/login",
        &[],
        r#"{"name":"tanaka","password":"guess"}"#,
    )
    .await;
    let unknown = http(
        &center,
        "POST",
        "/api/login",
        &[],
        r#"{"name":"nobody","password":"kawasaki-2026!"}"#,
    )
    .await;
    assert_eq!((wrong.0, unknown.0), (401, 401));
    assert_eq!(wrong.2, unknown.2, "a wrong name and a wrong password look the same");
    assert!(!wrong.1.to_ascii_lowercase().contains("set-cookie"));

    let (status, head, body) = http(
        &center,
        "POST",
        "/api/login",
        &[],
        r#"{"name":"tanaka","password":"kawasaki-2026!"}"#,
    )
    .await;
    assert_eq!(status, 200, "{head}\n{body}");
    let cookie_line = head
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
        .unwrap_or_else(|| panic!("{head}"));
    assert!(
        cookie_line.contains("HttpOnly") && cookie_line.contains("SameSite=Strict"),
        "{cookie_line}"
    );
    let cookie = cookie_line
        .split_once(':')
        .map(|(_, v)| v.trim())
        .and_then(|v| v.split(';').next())
        .unwrap_or_default()
        .to_string();
    let me: serde_json::Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    assert_eq!(
        (me["name"].as_str(), me["role"].as_str()),
        (Some("tanaka"), Some("agent"))
    );
    let csrf = me["csrf_token"].as_str().unwrap_or_default().to_string();
    assert_eq!(csrf.len(), 64);

    let (status, _, body) = http(&center, "GET", "/api/me", &[("Cookie", &cookie)], "").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(http(&center, "GET", "/api/me", &[], "").await.0, 401);
    assert_eq!(
        http(&center, "GET", "/api/me", &[("Cookie", "tsunagu_session=forged")], "")
            .await
            .0,
        401
    );

    // Logging out changes state: without the CSRF token it is refused.
    assert_eq!(
        http(&center, "POST", "/api/logout", &[("Cookie", &cookie)], "").await.0,
        403
    );
    let (status, _, _) = http(
        &center,
        "POST",
        "/api/logout",
        &[("Cookie", &cookie), ("X-CSRF-Token", &csrf)],
        "",
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(
        http(&center, "GET", "/api/me", &[("Cookie", &cookie)], "").await.0,
        401,
        "the session is gone"
    );

    let (status, _, body) = http(&center, "POST", "/api/login", &[], "not json").await;
    assert!((400..500).contains(&status), "{status} {body}");
}
