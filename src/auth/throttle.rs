//! Slows password guessing: logins are counted per account name and per client address over a
//! window; past the limit, that name (or address) gets 429 until the window has passed since its
//! first counted attempt. An attempt is counted *before* its password is checked (so that many
//! at once cannot all slip under the limit while their hashes are computed), and a success takes
//! its count back: the name's count is cleared, the address's goes down by one. Kept in memory,
//! like the sessions. The per-address limit is higher: a call center's agents share one NAT
//! address.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const WINDOW: Duration = Duration::from_secs(15 * 60);
pub const PER_NAME: u32 = 10;
pub const PER_ADDRESS: u32 = 50;
/// Entries kept at most (a flood of names cannot grow the maps without bound).
const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, Default)]
pub struct LoginThrottle {
    names: Mutex<HashMap<String, (Instant, u32)>>,
    addresses: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

fn over<K: std::hash::Hash + Eq>(map: &Mutex<HashMap<K, (Instant, u32)>>, key: &K, limit: u32, now: Instant) -> bool {
    let map = map.lock().unwrap_or_else(|p| p.into_inner());
    map.get(key)
        .is_some_and(|(first, count)| now.saturating_duration_since(*first) < WINDOW && *count >= limit)
}

fn count<K: std::hash::Hash + Eq>(map: &Mutex<HashMap<K, (Instant, u32)>>, key: K, now: Instant) {
    let mut map = map.lock().unwrap_or_else(|p| p.into_inner());
    if map.len() >= MAX_ENTRIES {
        map.retain(|_, (first, _)| now.saturating_duration_since(*first) < WINDOW);
    }
    let entry = map.entry(key).or_insert((now, 0));
    if now.saturating_duration_since(entry.0) >= WINDOW {
        *entry = (now, 0);
    }
    entry.1 += 1;
}

/// The key of a name: at most 64 characters (valid names are shorter; a guessed one must not
/// make the map hold megabytes per entry).
fn name_key(name: &str) -> String {
    name.chars().take(64).collect()
}

impl LoginThrottle {
    /// Counts a login attempt for `name` from `address` at `now`, if it may be tried: false
    /// (nothing counted) when the name or the address is over its limit.
    pub fn attempt(&self, name: &str, address: IpAddr, now: Instant) -> bool {
        // One lock at a time, always names first: the check and the count are one step per map.
        let key = name_key(name);
        if over(&self.names, &key, PER_NAME, now) || over(&self.addresses, &address, PER_ADDRESS, now) {
            return false;
        }
        count(&self.names, key, now);
        count(&self.addresses, address, now);
        true
    }

    /// The attempt's password was right: its count is taken back.
    pub fn succeeded(&self, name: &str, address: IpAddr) {
        self.names
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&name_key(name));
        if let Some(entry) = self
            .addresses
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(&address)
        {
            entry.1 = entry.1.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::disallowed_methods)] // one real instant as the base of simulated time
    fn ten_failures_lock_the_name_for_the_window_and_a_success_clears_it() {
        let t0 = Instant::now();
        let throttle = LoginThrottle::default();
        let ip: IpAddr = [192, 0, 2, 1].into();
        // Ten attempts at once (their hashes not yet checked): the eleventh is refused already.
        for _ in 0..PER_NAME {
            assert!(throttle.attempt("tanaka", ip, t0));
        }
        assert!(!throttle.attempt("tanaka", ip, t0 + Duration::from_secs(60)));
        assert!(
            throttle.attempt("sato", ip, t0),
            "other names from the same office still log in"
        );
        throttle.succeeded("sato", ip);
        assert!(
            throttle.attempt("tanaka", ip, t0 + WINDOW),
            "the lock ends with the window"
        );
        throttle.succeeded("tanaka", ip);
        assert!(throttle.attempt("tanaka", ip, t0 + Duration::from_secs(60)));
    }

    #[test]
    #[allow(clippy::disallowed_methods)]
    fn one_address_guessing_many_names_is_stopped_too() {
        let t0 = Instant::now();
        let throttle = LoginThrottle::default();
        let ip: IpAddr = [198, 51, 100, 7].into();
        for n in 0..PER_ADDRESS {
            assert!(throttle.attempt(&format!("user{n}"), ip, t0));
        }
        assert!(!throttle.attempt("someone-new", ip, t0));
        assert!(throttle.attempt("someone-new", [198, 51, 100, 8].into(), t0));
        // A whole shift logging in from the office's one address is not held back: each
        // success takes its count back.
        let office: IpAddr = [203, 0, 113, 1].into();
        for n in 0..(PER_ADDRESS * 3) {
            let agent = format!("agent{n}");
            assert!(throttle.attempt(&agent, office, t0), "{agent}");
            throttle.succeeded(&agent, office);
        }
    }
}
