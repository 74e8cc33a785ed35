//! Requests from hosts that are not trunk peers. A public toll-free number is scanned within
//! hours of going live (SIPVicious and the like): by default strangers get nothing back, not
//! even a 403 (which a forged source address would turn into a reflection), and cost us a
//! counter and at most one log line a second. `[sip] answer_strangers` makes the edge answer
//! them 403 instead, for a network where that is wanted.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use tracing::warn;

use crate::logging::Throttled;

#[derive(Debug, Default)]
pub struct Strangers {
    /// Datagrams, connections and requests from strangers.
    pub seen: AtomicU64,
    log: Throttled,
}

impl Strangers {
    /// Counts one, and says so in the log at most once a second.
    pub fn seen(&self, from: SocketAddr, what: &str) {
        let seen = self.seen.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(since) = self.log.tick(now()) {
            warn!(%from, what, since_last_line = since, seen, "traffic from a host that is not a trunk peer: ignored");
        }
    }
}

/// The edge reads the clock for its log limit.
#[allow(clippy::disallowed_methods)]
fn now() -> std::time::Instant {
    std::time::Instant::now()
}
