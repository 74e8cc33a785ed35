//! Which ready agent gets a waiting call. The caller's language decides: first the agents who
//! speak it well (proficiency 2 or 3), the better first and, among equals, the one idle longest;
//! after `widen_to_basic_after` also those with basic proficiency (1); after `widen_to_any_after`
//! any ready agent (who can bring in an interpreter).

use std::time::{Duration, Instant};

use super::agent::AgentState;
use crate::lang::Lang;

/// A language an agent speaks, with a proficiency from 1 (basic) to 3 (native).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Skill {
    pub lang: Lang,
    pub level: u8,
}

/// What routing needs to know of an agent.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    pub id: &'a str,
    pub state: &'a AgentState,
    pub skills: &'a [Skill],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitingCall {
    pub lang: Lang,
    /// When the call entered the queue.
    pub since: Instant,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub widen_to_basic_after: Duration,
    pub widen_to_any_after: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Offer { agent: String },
    KeepWaiting,
}

pub fn route(agents: &[Candidate<'_>], call: &WaitingCall, now: Instant, policy: &Policy) -> Decision {
    let waited = now.saturating_duration_since(call.since);
    let min_level = if waited >= policy.widen_to_any_after {
        0
    } else if waited >= policy.widen_to_basic_after {
        1
    } else {
        2
    };
    let best = agents
        .iter()
        .filter_map(|agent| {
            let AgentState::Ready { since } = agent.state else {
                return None;
            };
            let level = agent.skills.iter().find(|s| s.lang == call.lang).map_or(0, |s| s.level);
            (level >= min_level).then_some((level, *since, agent.id))
        })
        // Highest proficiency first; among equals the longest idle (earliest ready).
        .min_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    match best {
        Some((_, _, id)) => Decision::Offer { agent: id.to_string() },
        None => Decision::KeepWaiting,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::disallowed_methods)] // one real instant as the base of simulated time
    fn language_first_then_proficiency_then_longest_idle_then_widening() {
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        let ready = |s: u64| AgentState::Ready { since: at(s) };
        let (a_state, b_state, c_state, d_state) = (
            ready(10),
            ready(5),
            ready(1),
            AgentState::OnCall {
                call: "x".into(),
                since: at(0),
            },
        );
        let vi_native = [Skill {
            lang: Lang::Vi,
            level: 3,
        }];
        let vi_fluent = [
            Skill {
                lang: Lang::Vi,
                level: 2,
            },
            Skill {
                lang: Lang::Ja,
                level: 3,
            },
        ];
        let vi_basic = [Skill {
            lang: Lang::Vi,
            level: 1,
        }];
        let ja_only = [Skill {
            lang: Lang::Ja,
            level: 3,
        }];
        let agents = [
            Candidate {
                id: "a",
                state: &a_state,
                skills: &vi_fluent,
            },
            Candidate {
                id: "b",
                state: &b_state,
                skills: &ja_only,
            },
            Candidate {
                id: "c",
                state: &c_state,
                skills: &vi_basic,
            },
            Candidate {
                id: "d",
                state: &d_state,
                skills: &vi_native,
            },
        ];
        let policy = Policy {
            widen_to_basic_after: Duration::from_secs(60),
            widen_to_any_after: Duration::from_secs(180),
        };
        let vi_call = WaitingCall {
            lang: Lang::Vi,
            since: at(20),
        };
        // d is native but on a call; a speaks Vietnamese well and is ready.
        assert_eq!(
            route(&agents, &vi_call, at(20), &policy),
            Decision::Offer { agent: "a".into() }
        );
        // Without a, the basic speaker only after 60 s, anyone after 180 s.
        let without_a = &agents[1..];
        assert_eq!(route(without_a, &vi_call, at(30), &policy), Decision::KeepWaiting);
        assert_eq!(
            route(without_a, &vi_call, at(80), &policy),
            Decision::Offer { agent: "c".into() }
        );
        let only_b = &agents[1..2];
        assert_eq!(route(only_b, &vi_call, at(150), &policy), Decision::KeepWaiting);
        assert_eq!(
            route(only_b, &vi_call, at(200), &policy),
            Decision::Offer { agent: "b".into() }
        );
        // Equal proficiency: the longest idle first (a ready since 10 s, e since 2 s).
        let e_state = ready(2);
        let both = [
            agents[0],
            Candidate {
                id: "e",
                state: &e_state,
                skills: &vi_fluent,
            },
        ];
        assert_eq!(
            route(&both, &vi_call, at(20), &policy),
            Decision::Offer { agent: "e".into() }
        );
    }
}
