//! Who is asking, by construction: extractors that give a handler the session of a logged-in
//! staff member with at least a role (401 without a session, 403 with too small a role), the
//! client's address (through the trusted proxies), a check that a WebSocket comes from one of
//! our own pages, and the CSRF guard every state-changing request passes before any handler
//! sees it.

use std::marker::PhantomData;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

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

/// Anyone who may read bookings and lists: city staff and every role above.
pub struct BookingReaders;
/// Any staff member who takes calls (agents are the least role).
pub struct AnyStaff;
pub struct SupervisorsOnly;

impl MinRole for BookingReaders {
    const ROLE: Role = Role::City;
}

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

/// Any logged-in staff member who takes calls (city staff do not).
pub type Staff = Signed<AnyStaff>;
/// City staff, agents, supervisors, admins: readers of bookings and lists.
pub type BookingReader = Signed<BookingReaders>;
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
/// the cookie alone decides) or from one of our own pages: of `[http] public_origin` when set
/// (a proxy may rewrite `Host`), else of the request's `Host`. Another site's page must not
/// drive a staff member's WebSocket with their cookie.
pub struct SameOrigin;

impl FromRequestParts<AppState> for SameOrigin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if same_origin(&parts.headers, state.http.public_origin.as_deref()) {
            Ok(SameOrigin)
        } else {
            Err(ApiError::Forbidden("cross-site request refused".into()))
        }
    }
}

fn same_origin(headers: &HeaderMap, public_origin: Option<&str>) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    if let Some(public) = public_origin {
        return origin
            .to_str()
            .is_ok_and(|o| o.eq_ignore_ascii_case(public.trim_end_matches('/')));
    }
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

/// The client's address: the connection's peer, or, when that is a trusted proxy, the address
/// the proxies say the request came from (the right-most one in `Forwarded` or
/// `X-Forwarded-For` that is not itself a trusted proxy: the left part is the client's to write).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .ok_or_else(|| ApiError::internal("no peer address on the connection"))?;
        Ok(ClientAddress(client_address(
            peer,
            &parts.headers,
            &state.http.trusted_proxies,
        )))
    }
}

fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &crate::sip::PeerAllowList) -> IpAddr {
    if !trusted.allows(peer) {
        return peer;
    }
    let chain = forwarded_chain(headers);
    chain
        .iter()
        .rev()
        .find(|ip| !trusted.allows(**ip))
        .or(chain.first())
        .copied()
        .unwrap_or(peer)
}

/// The addresses a request passed through, client first: RFC 7239 `Forwarded: for=…` when
/// present, else `X-Forwarded-For`.
fn forwarded_chain(headers: &HeaderMap) -> Vec<IpAddr> {
    let values = |name: &str| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(',').map(|part| part.trim().to_string()).collect::<Vec<_>>())
            .collect()
    };
    let forwarded: Vec<IpAddr> = values("forwarded")
        .iter()
        .flat_map(|element| element.split(';'))
        .filter_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            key.trim().eq_ignore_ascii_case("for").then(|| parse_node(value))?
        })
        .collect();
    if !forwarded.is_empty() {
        return forwarded;
    }
    values("x-forwarded-for").iter().filter_map(|v| parse_node(v)).collect()
}

/// `192.0.2.1`, `"[2001:db8::1]:4711"`, `192.0.2.1:4711`.
fn parse_node(value: &str) -> Option<IpAddr> {
    let value = value.trim().trim_matches('"');
    if let Ok(ip) = value.parse() {
        return Some(ip);
    }
    if let Ok(addr) = value.parse::<SocketAddr>() {
        return Some(addr.ip());
    }
    value
        .strip_prefix('[')
        .and_then(|v| v.split(']').next())
        .and_then(|v| v.parse().ok())
}

/// The routes a state-changing request may reach without a session's CSRF token: logging in
/// (there is no session yet).
const WITHOUT_CSRF: [&str; 1] = ["/api/login"];

/// Every request that may change something (anything but GET, HEAD, OPTIONS, TRACE) and comes
/// with a session cookie must repeat the session's CSRF token in `X-CSRF-Token`; no route can
/// forget it. Without a session the route's own extractor answers 401.
pub async fn csrf_guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    // The citizen API takes no session: a staff cookie riding along changes nothing there.
    if request.method().is_safe() || WITHOUT_CSRF.contains(&path) || path.starts_with("/api/public/") {
        return next.run(request).await;
    }
    if let Some(staff) = session_from(&state.sessions, request.headers()) {
        let sent = request
            .headers()
            .get(CSRF_HEADER)
            .map(|v| v.as_bytes())
            .unwrap_or_default();
        // Constant time: how long the comparison takes must not tell how much of it matched.
        if !bool::from(sent.ct_eq(staff.session.csrf.as_bytes())) {
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
        assert!(same_origin(&headers(&[("host", "cc.example:8080")]), None));
        assert!(same_origin(
            &headers(&[("host", "cc.example:8080"), ("origin", "https://cc.example:8080")]),
            None
        ));
        assert!(!same_origin(
            &headers(&[("host", "cc.example:8080"), ("origin", "http://evil.example")]),
            None
        ));
        assert!(!same_origin(&headers(&[("origin", "http://cc.example")]), None));
        // Behind a proxy that rewrites Host, the public origin decides.
        let proxied = headers(&[("host", "127.0.0.1:8080"), ("origin", "https://cc.example.jp")]);
        assert!(same_origin(&proxied, Some("https://cc.example.jp")));
        assert!(!same_origin(&proxied, None));
        let evil = headers(&[("host", "127.0.0.1:8080"), ("origin", "https://evil.example")]);
        assert!(!same_origin(&evil, Some("https://cc.example.jp")));
    }

    #[test]
    fn the_client_is_the_right_most_address_the_trusted_proxies_did_not_add() {
        let proxies = crate::sip::PeerAllowList::parse(&["10.0.0.0/24"]).unwrap_or_else(|e| panic!("{e}"));
        let ip = |text: &str| -> IpAddr { text.parse().unwrap_or_else(|e| panic!("{e}")) };
        let with = |name: &str, value: &str| {
            let mut map = HeaderMap::new();
            if let Ok(value) = value.parse() {
                map.insert(
                    header::HeaderName::from_bytes(name.as_bytes()).unwrap_or(header::FORWARDED),
                    value,
                );
            }
            map
        };
        // Straight from a browser: its own address, whatever it claims.
        let claims = with("x-forwarded-for", "198.51.100.1");
        assert_eq!(client_address(ip("203.0.113.9"), &claims, &proxies), ip("203.0.113.9"));
        // Through the proxy: the address the proxy saw, not what the client wrote in front.
        let chain = with("x-forwarded-for", "198.51.100.1, 203.0.113.9, 10.0.0.2");
        assert_eq!(client_address(ip("10.0.0.1"), &chain, &proxies), ip("203.0.113.9"));
        let rfc = with("forwarded", "for=198.51.100.1, for=\"[2001:db8::17]:4711\";proto=https");
        assert_eq!(client_address(ip("10.0.0.1"), &rfc, &proxies), ip("2001:db8::17"));
        // A proxy that says nothing: the proxy itself.
        assert_eq!(
            client_address(ip("10.0.0.1"), &HeaderMap::new(), &proxies),
            ip("10.0.0.1")
        );
    }
}
