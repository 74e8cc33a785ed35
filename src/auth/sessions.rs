//! Login sessions: a random token in an HttpOnly, SameSite=Strict cookie, and a second random
//! token (CSRF) that state-changing requests must echo in a header. Kept in memory: a restart
//! logs everyone out, which is acceptable for a call center's staff and keeps tokens out of the
//! database.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use super::Role;

/// An idle session ends after this long.
pub const IDLE_LIMIT: Duration = Duration::from_secs(30 * 60);
/// At most this many sessions (a flood of logins cannot grow the map without bound).
const MAX_SESSIONS: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub name: String,
    pub role: Role,
    pub csrf: String,
    last_seen: Instant,
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
        };
        let cookie = token();
        let mut map = self.by_token.write().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, s| now.saturating_duration_since(s.last_seen) < IDLE_LIMIT);
        if map.len() >= MAX_SESSIONS {
            if let Some(oldest) = map.iter().min_by_key(|(_, s)| s.last_seen).map(|(t, _)| t.clone()) {
                map.remove(&oldest);
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
            map.remove(cookie);
            return None;
        }
        session.last_seen = now;
        Some(session.clone())
    }

    pub fn close(&self, cookie: &str) {
        self.by_token.write().unwrap_or_else(|p| p.into_inner()).remove(cookie);
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
        let (cookie, _) = sessions.open("tanaka", Role::Agent, t0);
        sessions.close(&cookie);
        assert!(sessions.get(&cookie, t0).is_none());
        assert!(sessions.get("forged", t0).is_none());
    }
}
