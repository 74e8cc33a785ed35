//! Staff at a running center over real HTTP and WebSocket: accounts, login, the agent's
//! softphone session (the same JSON protocol the page speaks) and the supervisor's floor.
// The test is an edge: it reads the clock.
#![allow(clippy::disallowed_methods)]

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::center::Center;

pub type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One HTTP/1.1 request; returns the status, the raw head and the body.
pub async fn http(
    center: &Center,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String, String) {
    http_at(center.running.http_addr, method, path, headers, body).await
}

/// [`http`] to any listener (the citizen pages' own, say).
pub async fn http_at(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String, String) {
    let mut stream = tokio::net::TcpStream::connect(addr)
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

pub const PASSWORD: &str = "kawasaki-2026!";

/// Creates a user with `PASSWORD` and the given skills ("vi", 3).
pub async fn add_user(center: &Center, name: &str, role: &str, skills: &[(&str, u8)]) {
    let hash = tsunagu::auth::password::hash(PASSWORD).unwrap_or_else(|e| panic!("{e}"));
    let skills: Vec<(String, u8)> = skills.iter().map(|(l, n)| (l.to_string(), *n)).collect();
    center
        .running
        .store
        .create_user(name, role, &hash, &skills, jiff::Timestamp::now())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

/// Logs in; returns the `Cookie` header value.
pub async fn log_in(center: &Center, name: &str) -> String {
    log_in_with_csrf(center, name).await.0
}

/// Logs in; returns the `Cookie` header value and the session's CSRF token.
pub async fn log_in_with_csrf(center: &Center, name: &str) -> (String, String) {
    let (status, head, body) = http(
        center,
        "POST",
        "/api/login",
        &[],
        &format!(r#"{{"name":"{name}","password":"{PASSWORD}"}}"#),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let cookie = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .starts_with("set-cookie:")
                .then(|| l[11..].trim().to_string())
        })
        .unwrap_or_else(|| panic!("no cookie: {head}"));
    let csrf = serde_json::from_str::<serde_json::Value>(&body).unwrap_or_default()["csrf_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    (cookie.split(';').next().unwrap_or_default().to_string(), csrf)
}

/// Opens a WebSocket at `path` with the cookie (and an `Origin`, when given).
pub async fn open_ws(center: &Center, path: &str, cookie: &str, origin: Option<&str>) -> Result<Ws, u16> {
    let url = format!("ws://{}{path}", center.running.http_addr);
    let mut request = url.into_client_request().unwrap_or_else(|e| panic!("{e}"));
    let headers = request.headers_mut();
    headers.insert("Cookie", cookie.parse().unwrap_or_else(|e| panic!("{e}")));
    if let Some(origin) = origin {
        headers.insert("Origin", origin.parse().unwrap_or_else(|e| panic!("{e}")));
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => Err(response.status().as_u16()),
        Err(e) => panic!("{e}"),
    }
}

/// An agent's softphone session, logged in and past its `hello`.
pub async fn softphone(center: &Center, name: &str) -> Ws {
    let cookie = log_in(center, name).await;
    let mut ws = open_ws(center, "/api/agent/ws", &cookie, None)
        .await
        .unwrap_or_else(|status| panic!("softphone refused: {status}"));
    next(&mut ws, "hello", Duration::from_secs(5)).await;
    ws
}

pub async fn send(ws: &mut Ws, message: serde_json::Value) {
    ws.send(Message::Text(message.to_string().into()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

/// The next message of `kind`, skipping others; panics after `within`.
pub async fn next(ws: &mut Ws, kind: &str, within: Duration) -> serde_json::Value {
    let deadline = tokio::time::Instant::now() + within;
    let mut seen = Vec::new();
    loop {
        let message = tokio::time::timeout_at(deadline, ws.next())
            .await
            .unwrap_or_else(|_| panic!("no '{kind}' within {within:?}; saw {seen:?}"));
        let Some(Ok(Message::Text(text))) = message else {
            panic!("the WebSocket ended waiting for '{kind}'; saw {seen:?}");
        };
        let value: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        if value["type"] == kind {
            return value;
        }
        seen.push(value);
    }
}

/// The next `state` message with this state.
pub async fn state(ws: &mut Ws, wanted: &str, within: Duration) -> serde_json::Value {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let message = next(ws, "state", left).await;
        if message["state"] == wanted {
            return message;
        }
    }
}

/// A GET whose answer is bytes (audio, a PDF, a workbook): the status, the raw head and the
/// body (chunks joined).
pub async fn get_bytes(center: &Center, path: &str, headers: &[(&str, &str)]) -> (u16, String, Vec<u8>) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(center.running.http_addr).unwrap_or_else(|e| panic!("{e}"));
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: tsunagu\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    let response = tokio::task::spawn_blocking(move || {
        stream.write_all(request.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        let mut out = Vec::new();
        stream.read_to_end(&mut out).unwrap_or_else(|e| panic!("{e}"));
        out
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(response.len());
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut body = response[(split + 4).min(response.len())..].to_vec();
    if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        body = unchunk(&body);
    }
    (status, head, body)
}

fn unchunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = body.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&body[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&body[end + 2..end + 2 + size]);
        body = &body[end + 2 + size + 2..];
    }
    out
}

/// A logged-in staff member as the API tests act: their session's cookie and CSRF token.
pub struct Who {
    pub cookie: String,
    pub csrf: String,
}

pub async fn who(center: &Center, name: &str) -> Who {
    let (cookie, csrf) = log_in_with_csrf(center, name).await;
    Who { cookie, csrf }
}

fn json_of(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// A GET as `as_`, its JSON answer.
pub async fn get_json(center: &Center, as_: &Who, path: &str) -> (u16, serde_json::Value) {
    let (status, _, body) = http(center, "GET", path, &[("Cookie", as_.cookie.as_str())], "").await;
    (status, json_of(&body))
}

/// A POST of `body` as `as_` (with the session's CSRF token), its JSON answer.
pub async fn post_json(center: &Center, as_: &Who, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
    let (status, _, body) = http(
        center,
        "POST",
        path,
        &[("Cookie", as_.cookie.as_str()), ("X-CSRF-Token", as_.csrf.as_str())],
        &body.to_string(),
    )
    .await;
    (status, json_of(&body))
}
