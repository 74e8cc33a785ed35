//! An agent's state: logged out, ready, offered a call, on a call, in wrap-up (after-call work),
//! or not ready with a reason. Every transition is checked here and returns the new state; an
//! event that does not fit the state is an error, never a silent change (stuck agents after
//! races are the classic ACD bug).

use std::time::{Duration, Instant};

pub use crate::journal::{AgentStateName, CallId, NotReadyReason};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentState {
    LoggedOut,
    /// Ready since `since` (what "longest idle" is measured from).
    Ready {
        since: Instant,
    },
    Offered {
        call: CallId,
        since: Instant,
    },
    OnCall {
        call: CallId,
        since: Instant,
    },
    WrapUp {
        call: CallId,
        since: Instant,
        until: Instant,
    },
    NotReady {
        reason: NotReadyReason,
        since: Instant,
    },
}

impl AgentState {
    /// The state's name, as the event log and the softphone spell it.
    pub fn name(&self) -> AgentStateName {
        match self {
            AgentState::LoggedOut => AgentStateName::LoggedOut,
            AgentState::Ready { .. } => AgentStateName::Ready,
            AgentState::Offered { .. } => AgentStateName::Offered,
            AgentState::OnCall { .. } => AgentStateName::OnCall,
            AgentState::WrapUp { .. } => AgentStateName::WrapUp,
            AgentState::NotReady { .. } => AgentStateName::NotReady,
        }
    }

    /// Since when the agent is in this state.
    pub fn since(&self) -> Option<Instant> {
        match self {
            AgentState::LoggedOut => None,
            AgentState::Ready { since }
            | AgentState::Offered { since, .. }
            | AgentState::OnCall { since, .. }
            | AgentState::WrapUp { since, .. }
            | AgentState::NotReady { since, .. } => Some(*since),
        }
    }

    /// The reason, when not ready.
    pub fn reason(&self) -> Option<NotReadyReason> {
        match self {
            AgentState::NotReady { reason, .. } => Some(*reason),
            _ => None,
        }
    }

    /// The call the state is about.
    pub fn call(&self) -> Option<&CallId> {
        match self {
            AgentState::Offered { call, .. } | AgentState::OnCall { call, .. } | AgentState::WrapUp { call, .. } => {
                Some(call)
            }
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentEvent {
    LogIn,
    SetReady,
    SetNotReady(NotReadyReason),
    Offer(CallId),
    Answer,
    /// The offer was not answered in time.
    OfferTimedOut,
    /// The caller hung up while the call was offered, or the call ended.
    CallEnded,
    /// Wrap-up finished: by the agent, or its time limit passed.
    WrapUpDone,
    ExtendWrapUp(Duration),
    LogOut,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{event:?} does not fit an agent in state {state:?}")]
pub struct IllegalTransition {
    pub state: AgentState,
    pub event: AgentEvent,
}

/// The next state after `event` at `now`; `wrap_up` is the after-call work limit.
pub fn transition(
    state: &AgentState,
    event: AgentEvent,
    now: Instant,
    wrap_up: Duration,
) -> Result<AgentState, IllegalTransition> {
    use AgentEvent as E;
    use AgentState as S;
    let next = match (state, &event) {
        (S::LoggedOut, E::LogIn) => S::NotReady {
            reason: NotReadyReason::LoggedIn,
            since: now,
        },
        (S::NotReady { .. } | S::Ready { .. }, E::SetReady) => match state {
            S::Ready { since } => S::Ready { since: *since },
            _ => S::Ready { since: now },
        },
        // Not ready while an offer rings declines it (the desk gives the call to someone else).
        (S::Ready { .. } | S::NotReady { .. } | S::Offered { .. }, E::SetNotReady(reason)) => S::NotReady {
            reason: *reason,
            since: now,
        },
        (S::Ready { .. }, E::Offer(call)) => S::Offered {
            call: call.clone(),
            since: now,
        },
        (S::Offered { call, .. }, E::Answer) => S::OnCall {
            call: call.clone(),
            since: now,
        },
        (S::Offered { .. }, E::OfferTimedOut) => S::NotReady {
            reason: NotReadyReason::Missed,
            since: now,
        },
        // The caller gave up while it rang at the agent: the agent is ready again at once, and
        // keeps its place (it did nothing wrong).
        (S::Offered { .. }, E::CallEnded) => S::Ready { since: now },
        (S::OnCall { call, .. }, E::CallEnded) => S::WrapUp {
            call: call.clone(),
            since: now,
            until: now + wrap_up,
        },
        (S::WrapUp { .. }, E::WrapUpDone) => S::Ready { since: now },
        (S::WrapUp { call, since, until }, E::ExtendWrapUp(more)) => S::WrapUp {
            call: call.clone(),
            since: *since,
            until: *until + *more,
        },
        (S::Ready { .. } | S::NotReady { .. } | S::WrapUp { .. }, E::LogOut) => S::LoggedOut,
        _ => {
            return Err(IllegalTransition {
                state: state.clone(),
                event,
            });
        }
    };
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::disallowed_methods)] // one real instant as the base of simulated time
    fn a_working_cycle_and_the_transitions_that_must_be_refused() {
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        let wrap = Duration::from_secs(60);
        let mut state = AgentState::LoggedOut;
        for (s, event) in [
            (0, AgentEvent::LogIn),
            (1, AgentEvent::SetReady),
            (5, AgentEvent::Offer("c1".into())),
            (8, AgentEvent::Answer),
        ] {
            state = transition(&state, event, at(s), wrap).unwrap_or_else(|e| panic!("{e}"));
        }
        assert_eq!(
            state,
            AgentState::OnCall {
                call: "c1".into(),
                since: at(8)
            }
        );
        // One agent never gets two calls.
        assert!(transition(&state, AgentEvent::Offer("c2".into()), at(9), wrap).is_err());
        state = transition(&state, AgentEvent::CallEnded, at(200), wrap).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            state,
            AgentState::WrapUp {
                call: "c1".into(),
                since: at(200),
                until: at(260)
            }
        );
        state = transition(&state, AgentEvent::ExtendWrapUp(Duration::from_secs(30)), at(250), wrap)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(state, AgentState::WrapUp { until, .. } if until == at(290)));
        assert!(
            transition(&state, AgentEvent::Answer, at(251), wrap).is_err(),
            "nothing to answer in wrap-up"
        );
        state = transition(&state, AgentEvent::WrapUpDone, at(270), wrap).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(state, AgentState::Ready { since: at(270) });
    }

    #[test]
    #[allow(clippy::disallowed_methods)]
    fn missed_offers_and_callers_who_give_up_while_it_rings() {
        let t0 = Instant::now();
        let wrap = Duration::from_secs(60);
        let offered = AgentState::Offered {
            call: "c1".into(),
            since: t0,
        };
        let missed = transition(&offered, AgentEvent::OfferTimedOut, t0, wrap).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            missed,
            AgentState::NotReady {
                reason: NotReadyReason::Missed,
                ..
            }
        ));
        let gave_up = transition(&offered, AgentEvent::CallEnded, t0, wrap).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(gave_up, AgentState::Ready { .. }));
        assert!(transition(&AgentState::LoggedOut, AgentEvent::SetReady, t0, wrap).is_err());
        assert!(
            transition(&offered, AgentEvent::LogOut, t0, wrap).is_err(),
            "log out after the offer is settled"
        );
    }
}
