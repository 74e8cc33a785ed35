//! Who is asking, by construction: extractors that give a handler the session of a logged-in
//! staff member with at least a role (401 without a session, 403 with too small a role), a
//! check that a WebSocket comes from one of our own pages, and the CSRF guard every
//! state-changing request passes before any handler sees it.

use std::marker::PhantomData;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::ApiError;
use crate::auth::Role;
use crate::auth::sessions::{Session, Sessions};

/// The session cookie's name.
pub const COOKIE: &str = "tsunagu_session";
/// The header a state-changing request repeats the session's CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The HTTP edge reads the clock for sessions.
#[allow(clippy::disallowed_methods)]
pub(crate) fn now() -> std::time::Instant {
    std::time::Instant::now()
}

/// A logged-in staff member.
#[derive(Debug, Clone)]
pub struct StaffSession {
    /// The cookie's token (to close the session).
    pub token: String,
    pub session: Session,
}

impl StaffSession {
    pub fn name(&self) -> &str {
        &self.session.name
    }
}

/// The session named by the request's cookie, if it is open (and marks it used).
pub fn session_from(sessions: &Sessions, headers: &HeaderMap) -> Option<StaffSession> {
    let cookies = headers.get(header::COOKIE)?.to_str().ok()?;
    let token = cookies
        .split(';')
        .find_map(|c| c.trim().strip_prefix(&format!("{COOKIE}=")).map(str::to_string))?;
    let session = sessions.get(&token, now())?;
    Some(StaffSession { token, session })
}

/// The least role a route takes.
pub trait MinRole: Send + Sync {
    const ROLE: Role;
}

/// Any staff member (agents are the least role).
pub struct AnyStaff;
pub struct SupervisorsOnly;

impl MinRole for AnyStaff {
    const ROLE: Role = Role::Agent;
}

impl MinRole for SupervisorsOnly {
    const ROLE: Role = Role::Supervisor;
}

/// The session of a staff member with at least `R`'s role.
pub struct Signed<R: MinRole> {
    pub staff: StaffSession,
    role: PhantomData<R>,
}

/// Any logged-in staff member.
pub type Staff = Signed<AnyStaff>;
/// A supervisor or an admin.
pub type Supervisor = Signed<SupervisorsOnly>;

impl<R: MinRole> FromRequestParts<AppState> for Signed<R> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let staff = session_from(&state.sessions, &parts.headers)
            .ok_or_else(|| ApiError::Unauthorized("log in first".into()))?;
        if staff.session.role < R::ROLE {
            return Err(ApiError::Forbidden(format!("for the {} role and above", R::ROLE)));
        }
        Ok(Signed {
            staff,
            role: PhantomData,
        })
    }
}

/// A request that is either not from a browser (no `Origin`: a script or a test client, where
/// the cookie alone decides) or from one of our own pages. Another site's page must not drive
/// a staff member's WebSocket with their cookie.
pub struct SameOrigin;

impl<S: Send + Sync> FromRequestParts<S> for SameOrigin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if same_origin(&parts.headers) {
            Ok(SameOrigin)
        } else {
            Err(ApiError::Forbidden("cross-site request refused".into()))
        }
    }
}

fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
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

/// The routes a state-changing request may reach without a session's CSRF token: logging in
/// (there is no session yet).
const WITHOUT_CSRF: [&str; 1] = ["/api/login"];

/// Every request that may change something (anything but GET, HEAD, OPTIONS, TRACE) and comes
/// with a session cookie must repeat the session's CSRF token in `X-CSRF-Token`; no route can
/// forget it. Without a session the route's own extractor answers 401.
pub async fn csrf_guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method().is_safe() || WITHOUT_CSRF.contains(&request.uri().path()) {
        return next.run(request).await;
    }
    if let Some(staff) = session_from(&state.sessions, request.headers()) {
        let sent = request.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        if sent != Some(staff.session.csrf.as_str()) {
            return ApiError::Forbidden("missing or wrong X-CSRF-Token".into()).into_response();
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_own_pages_and_non_browsers_pass_other_sites_do_not() {
        let headers = |pairs: &[(&str, &str)]| {
            let mut map = HeaderMap::new();
            for (name, value) in pairs {
                if let (Ok(name), Ok(value)) =
                    (name.parse::<header::HeaderName>(), value.parse::<header::HeaderValue>())
                {
                    map.insert(name, value);
                }
            }
            map
        };
        assert!(same_origin(&headers(&[("host", "cc.example:8080")])));
        assert!(same_origin(&headers(&[
            ("host", "cc.example:8080"),
            ("origin", "https://cc.example:8080")
        ])));
        assert!(!same_origin(&headers(&[
            ("host", "cc.example:8080"),
            ("origin", "http://evil.example")
        ])));
        assert!(!same_origin(&headers(&[("origin", "http://cc.example")])));
    }
}
