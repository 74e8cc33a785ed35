//! `/api/login`, `/api/me`, `/api/logout`: staff log in with their name and password and get a
//! session cookie. Wrong name and wrong password get the same answer. The logout (like every
//! state-changing call to come) needs the session's CSRF token in `X-CSRF-Token`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use crate::auth::sessions::{Session, Sessions};
use crate::auth::throttle::LoginThrottle;
use crate::auth::{Role, password};
use crate::store::Store;

const COOKIE: &str = "tsunagu_session";

#[derive(Clone)]
pub struct LoginState {
    pub store: Store,
    pub sessions: Arc<Sessions>,
    pub throttle: Arc<LoginThrottle>,
    /// Mark the cookie `Secure` (served over HTTPS, e.g. behind a TLS proxy).
    pub secure_cookie: bool,
}

pub fn routes(state: LoginState) -> Router {
    Router::new()
        .route("/api/login", post(login))
        .route("/api/me", get(me))
        .route("/api/logout", post(logout))
        .with_state(state)
}

#[derive(Deserialize)]
struct Credentials {
    name: String,
    password: String,
}

#[derive(Serialize)]
struct Me {
    name: String,
    role: String,
    csrf_token: String,
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
}

/// The HTTP edge reads the clock.
#[allow(clippy::disallowed_methods)]
fn now() -> Instant {
    Instant::now()
}

async fn login(
    State(state): State<LoginState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Json(credentials): Json<Credentials>,
) -> Response {
    if !state.throttle.allows(&credentials.name, client.ip(), now()) {
        warn!(client = %client.ip(), "login refused: too many failed attempts");
        return error(StatusCode::TOO_MANY_REQUESTS, "too many failed logins: try again later");
    }
    let user = match state.store.find_user(&credentials.name).await {
        Ok(user) => user,
        Err(e) => {
            warn!(error = %e, "login: database error");
            return error(StatusCode::INTERNAL_SERVER_ERROR, "something went wrong");
        }
    };
    // Verify against a real hash even for an unknown name, so that timing does not tell names.
    const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$R4ArI8a0qEwPzFq2nZ6ux7mU1yOmGpM9tpBZg8kOCeQ";
    let hash = user.as_ref().map_or(DUMMY, |u| u.password_hash.as_str()).to_string();
    let matches = verify_off_the_runtime(credentials.password.clone(), hash).await;
    let (Some(user), true) = (user, matches) else {
        info!(client = %client.ip(), "login refused");
        state.throttle.failed(&credentials.name, client.ip(), now());
        return error(StatusCode::UNAUTHORIZED, "wrong name or password");
    };
    state.throttle.succeeded(&user.name);
    let Some(role) = Role::parse(&user.role) else {
        return error(StatusCode::FORBIDDEN, "this account has no valid role");
    };
    let (cookie, session) = state.sessions.open(&user.name, role, now());
    info!(user = %user.name, %role, "logged in");
    let mut headers = HeaderMap::new();
    let secure = if state.secure_cookie { "; Secure" } else { "" };
    let value = format!("{COOKIE}={cookie}; HttpOnly; SameSite=Strict; Path=/{secure}");
    if let Ok(value) = HeaderValue::from_str(&value) {
        headers.insert(header::SET_COOKIE, value);
    }
    (
        headers,
        Json(Me {
            name: session.name,
            role: role.to_string(),
            csrf_token: session.csrf,
        }),
    )
        .into_response()
}

/// Password checks at once, at most: argon2id takes 19 MiB and tens of milliseconds each, so a
/// burst of logins (a shift starting, or someone guessing) must neither hold the async workers
/// that carry the calls' media nor grow the memory without bound.
static VERIFYING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

async fn verify_off_the_runtime(password: String, hash: String) -> bool {
    let Ok(_permit) = VERIFYING.acquire().await else {
        return false;
    };
    tokio::task::spawn_blocking(move || password::verify(&password, &hash))
        .await
        .unwrap_or(false)
}

/// The session named by the request's cookie.
fn session_of(state: &LoginState, headers: &HeaderMap) -> Option<(String, Session)> {
    session_from(&state.sessions, headers)
}

/// The session named by the request's cookie (and its token), if it is open.
pub fn session_from(sessions: &Sessions, headers: &HeaderMap) -> Option<(String, Session)> {
    let cookies = headers.get(header::COOKIE)?.to_str().ok()?;
    let token = cookies
        .split(';')
        .find_map(|c| c.trim().strip_prefix(&format!("{COOKIE}=")).map(str::to_string))?;
    let session = sessions.get(&token, now())?;
    Some((token, session))
}

/// A session still open (touching it keeps it alive: a softphone in use is not idle).
pub fn still_open(sessions: &Sessions, token: &str) -> bool {
    sessions.get(token, now()).is_some()
}

/// Whether a WebSocket upgrade comes from one of our own pages: a browser sends `Origin`, and
/// another site's page must not drive an agent's session with the agent's cookie.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        // Not a browser (a script or a test client): the cookie alone decides.
        return true;
    };
    let (Some(origin), Some(host)) = (
        origin.to_str().ok(),
        headers.get(header::HOST).and_then(|h| h.to_str().ok()),
    ) else {
        return false;
    };
    origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .is_some_and(|o| o == host)
}

/// The session, if its role is at least `role` (admins may do what supervisors may, and so on).
pub fn require(session: Option<&Session>, role: Role) -> Result<(), StatusCode> {
    match session {
        None => Err(StatusCode::UNAUTHORIZED),
        Some(s) if s.role >= role => Ok(()),
        Some(_) => Err(StatusCode::FORBIDDEN),
    }
}

async fn me(State(state): State<LoginState>, headers: HeaderMap) -> Response {
    match session_of(&state, &headers) {
        Some((_, s)) => Json(Me {
            name: s.name,
            role: s.role.to_string(),
            csrf_token: s.csrf,
        })
        .into_response(),
        None => error(StatusCode::UNAUTHORIZED, "not logged in"),
    }
}

async fn logout(State(state): State<LoginState>, headers: HeaderMap) -> Response {
    let Some((token, session)) = session_of(&state, &headers) else {
        return error(StatusCode::UNAUTHORIZED, "not logged in");
    };
    let csrf = headers.get("x-csrf-token").and_then(|v| v.to_str().ok());
    if csrf != Some(session.csrf.as_str()) {
        return error(StatusCode::FORBIDDEN, "missing or wrong X-CSRF-Token");
    }
    state.sessions.close(&token);
    let mut headers = HeaderMap::new();
    headers.insert(
        header::SET_COOKIE,
        HeaderValue::from_static("tsunagu_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    (StatusCode::NO_CONTENT, headers).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_agent_supervisor_admin() {
        let session = |role| Session::for_test("x", role);
        assert_eq!(require(None, Role::Agent), Err(StatusCode::UNAUTHORIZED));
        assert_eq!(
            require(Some(&session(Role::Agent)), Role::Supervisor),
            Err(StatusCode::FORBIDDEN)
        );
        assert_eq!(require(Some(&session(Role::Supervisor)), Role::Supervisor), Ok(()));
        assert_eq!(require(Some(&session(Role::Admin)), Role::Supervisor), Ok(()));
    }
}
