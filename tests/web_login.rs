//! Staff login against a running center over real HTTP: sessions, the same answer for a wrong
//! name or password, CSRF on logout, the throttle on guessing, the Secure cookie behind TLS.

mod common;

use common::center::{Center, Options};
use common::staff::http;
use tsunagu::auth::password;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_wrong_passwords_lock_the_name_for_a_while_even_against_the_right_one() {
    let center = Center::start(Options::default()).await;
    common::staff::add_user(&center, "tanaka", "agent", &[]).await;
    common::staff::add_user(&center, "sato", "agent", &[]).await;
    for _ in 0..tsunagu::auth::throttle::PER_NAME {
        let (status, _, _) = http(
            &center,
            "POST",
            "/api/login",
            &[],
            r#"{"name":"tanaka","password":"guess-guess"}"#,
        )
        .await;
        assert_eq!(status, 401);
    }
    let right = format!(r#"{{"name":"tanaka","password":"{}"}}"#, common::staff::PASSWORD);
    let (status, _, body) = http(&center, "POST", "/api/login", &[], &right).await;
    assert_eq!(status, 429, "{body}");
    assert!(body.contains("too many failed logins"), "{body}");
    // A colleague at the same address is not locked out.
    let (status, _, _) = http(
        &center,
        "POST",
        "/api/login",
        &[],
        &format!(r#"{{"name":"sato","password":"{}"}}"#, common::staff::PASSWORD),
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_tls_the_session_cookie_is_marked_secure() {
    let center = Center::start(Options {
        secure_cookie: true,
        ..Options::default()
    })
    .await;
    common::staff::add_user(&center, "tanaka", "agent", &[]).await;
    let (status, head, _) = http(
        &center,
        "POST",
        "/api/login",
        &[],
        &format!(r#"{{"name":"tanaka","password":"{}"}}"#, common::staff::PASSWORD),
    )
    .await;
    assert_eq!(status, 200);
    let cookie = head
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
        .unwrap_or_default();
    assert!(cookie.contains("; Secure"), "{cookie}");
}
