//! How many requests the edge takes, sans-IO (time is an argument): a token bucket for every
//! source address and one for all of them. A request past either budget is not taken: an
//! INVITE from a trunk peer gets 503 with Retry-After, anything else is dropped and counted.
//! In-dialog requests (ACK, BYE of calls in progress) are never budgeted: they end calls.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Requests a second and the burst a bucket holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub per_second: f64,
    pub burst: f64,
}

impl Rate {
    /// `per_second` with a burst of two seconds' worth.
    pub fn per_second(per_second: u32) -> Rate {
        Rate {
            per_second: f64::from(per_second),
            burst: f64::from(per_second) * 2.0,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn full(rate: Rate, now: Instant) -> Bucket {
        Bucket {
            tokens: rate.burst,
            at: now,
        }
    }

    fn refill(&mut self, rate: Rate, now: Instant) {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * rate.per_second).min(rate.burst);
        self.at = now;
    }
}

/// At most this many sources are tracked (a spoofed flood of addresses cannot grow the map);
/// when full, the buckets that have refilled completely are forgotten first.
const MAX_SOURCES: usize = 4096;

/// Why a request is not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverBudget {
    Source,
    Overall,
}

#[derive(Debug)]
pub struct Budget {
    per_source: Rate,
    overall: Rate,
    sources: HashMap<IpAddr, Bucket>,
    all: Bucket,
}

impl Budget {
    pub fn new(per_source: Rate, overall: Rate, now: Instant) -> Budget {
        Budget {
            per_source,
            overall,
            sources: HashMap::new(),
            all: Bucket::full(overall, now),
        }
    }

    /// Takes one request from `source` at `now`, or says which budget it is over.
    pub fn take(&mut self, source: IpAddr, now: Instant) -> Result<(), OverBudget> {
        if !self.sources.contains_key(&source) && self.sources.len() >= MAX_SOURCES {
            self.forget_idle(now);
        }
        let rate = self.per_source;
        let bucket = self.sources.entry(source).or_insert_with(|| Bucket::full(rate, now));
        bucket.refill(rate, now);
        if bucket.tokens < 1.0 {
            return Err(OverBudget::Source);
        }
        self.all.refill(self.overall, now);
        if self.all.tokens < 1.0 {
            return Err(OverBudget::Overall);
        }
        bucket.tokens -= 1.0;
        self.all.tokens -= 1.0;
        Ok(())
    }

    /// Drops the sources whose buckets are full again (they have been quiet long enough).
    fn forget_idle(&mut self, now: Instant) {
        let rate = self.per_source;
        self.sources.retain(|_, bucket| {
            bucket.refill(rate, now);
            bucket.tokens < rate.burst
        });
        if self.sources.len() >= MAX_SOURCES {
            // Still full of busy sources: forget the one heard from longest ago.
            if let Some(oldest) = self.sources.iter().min_by_key(|(_, b)| b.at).map(|(ip, _)| *ip) {
                self.sources.remove(&oldest);
            }
        }
    }

    /// How long a refused sender should wait: the time the overall budget needs to refill a
    /// second's worth, at least a second.
    pub fn retry_after(&self) -> Duration {
        Duration::from_secs(1).max(Duration::from_secs_f64(
            (self.overall.per_second - self.all.tokens).max(0.0) / self.overall.per_second.max(1.0),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    #[allow(clippy::disallowed_methods)] // one real instant as the base of simulated time
    fn a_flooding_source_is_held_to_its_budget_and_others_still_get_theirs() {
        let t0 = Instant::now();
        let mut budget = Budget::new(Rate::per_second(10), Rate::per_second(25), t0);
        let flooder = ip("192.0.2.66");
        let taken = (0..100).filter(|_| budget.take(flooder, t0).is_ok()).count();
        assert_eq!(taken, 20, "a burst of two seconds' worth, then nothing");
        assert_eq!(budget.take(flooder, t0), Err(OverBudget::Source));
        // Another peer still has its own budget, within the overall one (50 - 20 left: 30).
        let carrier = ip("192.0.2.1");
        let taken = (0..100).filter(|_| budget.take(carrier, t0).is_ok()).count();
        assert_eq!(taken, 20);
        let third = ip("192.0.2.2");
        let taken = (0..100).filter(|_| budget.take(third, t0).is_ok()).count();
        assert_eq!(taken, 10, "the overall budget is spent");
        assert_eq!(budget.take(third, t0), Err(OverBudget::Overall));
        // A second later each has refilled at its rate.
        let t1 = t0 + Duration::from_secs(1);
        let taken = (0..100).filter(|_| budget.take(flooder, t1).is_ok()).count();
        assert_eq!(taken, 10);
        assert!(budget.retry_after() >= Duration::from_secs(1));
    }

    #[test]
    #[allow(clippy::disallowed_methods)]
    fn a_spoofed_flood_of_addresses_does_not_grow_the_table() {
        let t0 = Instant::now();
        let mut budget = Budget::new(Rate::per_second(10), Rate::per_second(1_000_000), t0);
        for n in 0..(MAX_SOURCES as u32 * 3) {
            let source = IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 + n));
            let _ = budget.take(source, t0 + Duration::from_millis(u64::from(n)));
        }
        assert!(budget.sources.len() <= MAX_SOURCES);
    }
}
