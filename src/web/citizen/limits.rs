//! Rate limits of the citizen pages (scripted mass booking, guessing secrets): counts per key
//! over a fixed window, in memory. A key past its limit is refused until its window has passed;
//! the answer says how long (Retry-After). Bounded: past `MAX_KEYS` keys, expired ones are
//! dropped first, and if none has expired the new key is refused (a flood of addresses cannot
//! grow the map or push out the keys being limited).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Keys kept at most per limit.
const MAX_KEYS: usize = 100_000;

/// At most `limit` events per key in `window`.
#[derive(Debug)]
pub struct WindowLimit<K> {
    limit: u32,
    window: Duration,
    counts: Mutex<HashMap<K, (Instant, u32)>>,
}

impl<K: Hash + Eq + Clone> WindowLimit<K> {
    pub fn new(limit: u32, window: Duration) -> WindowLimit<K> {
        WindowLimit {
            limit,
            window,
            counts: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one event of `key` at `now`; `Err(wait)` when the key is over its limit (the event
    /// is not counted then).
    pub fn hit(&self, key: &K, now: Instant) -> Result<(), Duration> {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        if !counts.contains_key(key) && counts.len() >= MAX_KEYS {
            let window = self.window;
            counts.retain(|_, (first, _)| now.saturating_duration_since(*first) < window);
            if counts.len() >= MAX_KEYS {
                return Err(self.window);
            }
        }
        let entry = counts.entry(key.clone()).or_insert((now, 0));
        let age = now.saturating_duration_since(entry.0);
        if age >= self.window {
            *entry = (now, 0);
        }
        if entry.1 >= self.limit {
            return Err(self.window.saturating_sub(now.saturating_duration_since(entry.0)));
        }
        entry.1 += 1;
        Ok(())
    }
}

/// The limits of the citizen pages.
#[derive(Debug)]
pub struct CitizenLimits {
    /// New bookings per client address.
    pub bookings_per_address: WindowLimit<std::net::IpAddr>,
    /// New bookings (and moves into it) per slot from the web: a script cannot empty a slot
    /// faster than people could.
    pub bookings_per_slot: WindowLimit<(String, String, String)>,
    /// Look-ups, changes and cancellations per client address (each carries a secret).
    pub lookups_per_address: WindowLimit<std::net::IpAddr>,
    /// Wrong secrets per booking code: a code is shut to the web for the window after these.
    pub wrong_secrets_per_code: WindowLimit<String>,
}

impl Default for CitizenLimits {
    fn default() -> CitizenLimits {
        let hour = Duration::from_secs(3600);
        CitizenLimits {
            bookings_per_address: WindowLimit::new(10, hour),
            bookings_per_slot: WindowLimit::new(3, Duration::from_secs(60)),
            lookups_per_address: WindowLimit::new(60, hour),
            wrong_secrets_per_code: WindowLimit::new(10, Duration::from_secs(24 * 3600)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Any instant will do: the limits only compare instants they are given.
    #[allow(clippy::disallowed_methods)]
    fn start() -> Instant {
        Instant::now()
    }

    #[test]
    fn a_key_over_its_limit_waits_for_its_window() {
        let limit = WindowLimit::new(2, Duration::from_secs(60));
        let t0 = start();
        assert_eq!(limit.hit(&"a", t0), Ok(()));
        assert_eq!(limit.hit(&"a", t0 + Duration::from_secs(1)), Ok(()));
        assert_eq!(
            limit.hit(&"a", t0 + Duration::from_secs(20)),
            Err(Duration::from_secs(40))
        );
        assert_eq!(limit.hit(&"b", t0 + Duration::from_secs(20)), Ok(()), "keys are apart");
        assert_eq!(limit.hit(&"a", t0 + Duration::from_secs(60)), Ok(()), "a new window");
    }

    #[test]
    fn a_flood_of_keys_cannot_push_out_the_limited_ones() {
        let limit = WindowLimit::new(1, Duration::from_secs(60));
        let t0 = start();
        assert_eq!(limit.hit(&0usize, t0), Ok(()));
        for key in 1..MAX_KEYS {
            let _ = limit.hit(&key, t0);
        }
        assert!(limit.hit(&(MAX_KEYS + 1), t0).is_err(), "full of live keys: refused");
        assert!(limit.hit(&0usize, t0).is_err(), "the first key is still limited");
        assert_eq!(
            limit.hit(&(MAX_KEYS + 1), t0 + Duration::from_secs(61)),
            Ok(()),
            "expired keys make room"
        );
    }
}
