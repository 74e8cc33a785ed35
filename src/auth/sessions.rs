//! Login sessions: a random token in an HttpOnly, SameSite=Strict cookie, and a second random
//! token (CSRF) that state-changing requests must echo in a header. Kept in memory: a restart
//! logs everyone out, which is acceptable for a call center's staff and keeps tokens out of the
//! database.
//!
//! Each session has an end signal: pages that hold a WebSocket (the softphone, the floor) wait
//! on it and close the moment the session is logged out or expires, so a socket never outlives
//! its session (and never carries another caller's number to a page nobody is logged in at).

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::Role;

/// An idle session ends after this long.
pub const IDLE_LIMIT: Duration = Duration::from_secs(30 * 60);
/// At most this many sessions (a flood of logins cannot grow the map without bound).
const MAX_SESSIONS: usize = 10_000;

#[derive(Debug, Clone)]
pub struct Session {
    pub name: String,
    pub role: Role,
    pub csrf: String,
    last_seen: Instant,
    /// Cancelled when the session ends (logged out, expired, pushed out by a flood of logins).
    pub ended: CancellationToken,
}

impl Session {
    /// A session for tests of code that only reads sessions.
    #[allow(clippy::disallowed_methods)]
    pub fn for_test(name: &str, role: Role) -> Session {
        Session {
            name: name.to_string(),
            role,
            csrf: token(),
            last_seen: Instant::now(),
            ended: CancellationToken::new(),
        }
    }
}

#[derive(Debug, Default)]
pub struct Sessions {
    by_token: RwLock<HashMap<String, Session>>,
}

fn token() -> String {
    format!("{:032x}{:032x}", rand::random::<u128>(), rand::random::<u128>())
}

impl Sessions {
    /// Opens a session; returns the cookie token and the session (with its CSRF token).
    pub fn open(&self, name: &str, role: Role, now: Instant) -> (String, Session) {
        let session = Session {
            name: name.to_string(),
            role,
            csrf: token(),
            last_seen: now,
            ended: CancellationToken::new(),
        };
        let cookie = token();
        let mut map = self.by_token.write().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, s| {
            let alive = now.saturating_duration_since(s.last_seen) < IDLE_LIMIT;
            if !alive {
                s.ended.cancel();
            }
            alive
        });
        if map.len() >= MAX_SESSIONS {
            if let Some(oldest) = map.iter().min_by_key(|(_, s)| s.last_seen).map(|(t, _)| t.clone()) {
                if let Some(pushed_out) = map.remove(&oldest) {
                    pushed_out.ended.cancel();
                }
            }
        }
        map.insert(cookie.clone(), session.clone());
        (cookie, session)
    }

    /// The session of a cookie token, if it is still alive (and marks it used).
    pub fn get(&self, cookie: &str, now: Instant) -> Option<Session> {
        let mut map = self.by_token.write().unwrap_or_else(|p| p.into_inner());
        let session = map.get_mut(cookie)?;
        if now.saturating_duration_since(session.last_seen) >= IDLE_LIMIT {
            if let Some(expired) = map.remove(cookie) {
                expired.ended.cancel();
            }
            return None;
        }
        session.last_seen = now;
        Some(session.clone())
    }

    /// Logs out: the session ends, and every page's socket of it with it.
    pub fn close(&self, cookie: &str) {
        if let Some(session) = self.by_token.write().unwrap_or_else(|p| p.into_inner()).remove(cookie) {
            session.ended.cancel();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::disallowed_methods)] // one real instant as the base of simulated time
    fn sessions_live_while_used_and_end_when_idle_or_closed() {
        let sessions = Sessions::default();
        let t0 = Instant::now();
        let (cookie, session) = sessions.open("tanaka", Role::Agent, t0);
        assert_eq!(session.csrf.len(), 64);
        assert_ne!(cookie, session.csrf);
        assert!(sessions.get(&cookie, t0 + Duration::from_secs(20 * 60)).is_some());
        assert!(
            sessions.get(&cookie, t0 + Duration::from_secs(45 * 60)).is_some(),
            "used 25 min ago: alive"
        );
        assert!(
            sessions.get(&cookie, t0 + Duration::from_secs(80 * 60)).is_none(),
            "idle 35 min: ended"
        );
        let (cookie, session) = sessions.open("tanaka", Role::Agent, t0);
        assert!(!session.ended.is_cancelled());
        sessions.close(&cookie);
        assert!(sessions.get(&cookie, t0).is_none());
        assert!(session.ended.is_cancelled(), "the session's sockets are told");
        assert!(sessions.get("forged", t0).is_none());
    }
}
