//! `/api/login`, `/api/me`, `/api/logout`: staff log in with their name and password and get a
//! session cookie. Wrong name and wrong password get the same answer. Logging out, like every
//! state-changing call, needs the session's CSRF token (the guard in [`super::extract`]).

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use super::AppState;
use super::error::{ApiError, JsonBody};
use super::extract::{BookingReader, COOKIE, ClientAddress, now};
use crate::auth::{Role, password};

/// A login body is a name and a password: a few hundred bytes.
const LOGIN_BODY_LIMIT: usize = 4 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/login", post(login).layer(DefaultBodyLimit::max(LOGIN_BODY_LIMIT)))
        .route("/api/me", get(me))
        .route("/api/logout", post(logout))
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

async fn login(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    JsonBody(credentials): JsonBody<Credentials>,
) -> Result<Response, ApiError> {
    // Counted before the slow check, so that many attempts at once cannot slip under the limit.
    if !state.throttle.attempt(&credentials.name, client, now()) {
        warn!(%client, "login refused: too many failed attempts");
        return Err(ApiError::TooMany {
            message: "too many failed logins: try again later".into(),
            retry_after: u32::try_from(crate::auth::throttle::WINDOW.as_secs()).unwrap_or(u32::MAX),
        });
    }
    let Ok(_waiting) = WAITING.try_acquire() else {
        warn!(%client, "login refused: too many password checks waiting");
        return Err(ApiError::Unavailable {
            message: "too many logins at once: try again in a moment".into(),
            retry_after: 2,
        });
    };
    let user = state.store.find_user(&credentials.name).await?;
    // Verify against a real hash even for an unknown name, so that timing does not tell names.
    const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$R4ArI8a0qEwPzFq2nZ6ux7mU1yOmGpM9tpBZg8kOCeQ";
    let hash = user.as_ref().map_or(DUMMY, |u| u.password_hash.as_str()).to_string();
    let matches = verify_off_the_runtime(credentials.password, hash).await;
    let (Some(user), true) = (user, matches) else {
        info!(%client, "login refused");
        return Err(ApiError::Unauthorized("wrong name or password".into()));
    };
    state.throttle.succeeded(&user.name, client);
    let Some(role) = Role::parse(&user.role) else {
        return Err(ApiError::Forbidden("this account has no valid role".into()));
    };
    let (cookie, session) = state.sessions.open(&user.name, role, now());
    info!(user = %user.name, %role, "logged in");
    let mut headers = HeaderMap::new();
    let secure = if state.http.secure_cookie { "; Secure" } else { "" };
    let value = format!("{COOKIE}={cookie}; HttpOnly; SameSite=Strict; Path=/{secure}");
    if let Ok(value) = HeaderValue::from_str(&value) {
        headers.insert(header::SET_COOKIE, value);
    }
    let me = Me {
        name: session.name,
        role: role.to_string(),
        csrf_token: session.csrf,
    };
    Ok((headers, Json(me)).into_response())
}

/// Password checks at once, at most: argon2id takes 19 MiB and tens of milliseconds each, so a
/// burst of logins (a shift starting, or someone guessing) must neither hold the async workers
/// that carry the calls' media nor grow the memory without bound.
static VERIFYING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);
/// Logins waiting for (or in) a password check, at most; past it, 503 with Retry-After. A
/// shift of agents logging in at once fits; a flood does not queue up.
static WAITING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(32);

async fn verify_off_the_runtime(password: String, hash: String) -> bool {
    let Ok(_permit) = VERIFYING.acquire().await else {
        return false;
    };
    tokio::task::spawn_blocking(move || password::verify(&password, &hash))
        .await
        .unwrap_or(false)
}

/// Every staff role, city staff included (their pages ask who is logged in too).
async fn me(BookingReader { staff, .. }: BookingReader) -> Json<Me> {
    Json(Me {
        name: staff.session.name,
        role: staff.session.role.to_string(),
        csrf_token: staff.session.csrf,
    })
}

async fn logout(State(state): State<AppState>, BookingReader { staff, .. }: BookingReader) -> Response {
    state.sessions.close(&staff.token);
    let mut headers = HeaderMap::new();
    headers.insert(
        header::SET_COOKIE,
        HeaderValue::from_static("tsunagu_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    (StatusCode::NO_CONTENT, headers).into_response()
}
