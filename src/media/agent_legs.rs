//! The agents' audio legs by agent: a softphone session puts its WebRTC leg here while the page
//! is connected, and a call an agent answered takes the agent's leg from here to bridge it.
//! The ACD knows only whether an agent's audio is up; it never carries a leg.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::leg::MediaLeg;

/// Each agent's leg, with the softphone session it belongs to.
type Legs = HashMap<String, (u64, Arc<dyn MediaLeg>)>;

#[derive(Default)]
pub struct AgentLegs {
    // A std Mutex: held for a map operation only, never across an await.
    legs: Mutex<Legs>,
}

impl AgentLegs {
    /// The leg of `agent`'s softphone session `session` (a newer session replaces an older one).
    pub fn put(&self, agent: &str, session: u64, leg: Arc<dyn MediaLeg>) {
        self.lock().insert(agent.to_string(), (session, leg));
    }

    /// Takes the leg away, if it is still the one of that session.
    pub fn remove(&self, agent: &str, session: u64) {
        let mut legs = self.lock();
        if legs.get(agent).is_some_and(|(s, _)| *s == session) {
            legs.remove(agent);
        }
    }

    pub fn get(&self, agent: &str) -> Option<Arc<dyn MediaLeg>> {
        self.lock().get(agent).map(|(_, leg)| Arc::clone(leg))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Legs> {
        self.legs.lock().unwrap_or_else(|p| p.into_inner())
    }
}
