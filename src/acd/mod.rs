//! Automatic call distribution: agent states, routing by language skill and the desk are
//! sans-IO (time is an argument); the ACD task ([`service`]) owns them and carries out the
//! effects.
//!
//! - [`agent`]: the agent state machine, the single writer of agent state.
//! - [`desk`]: the desk: waiting calls, agents, offers, answers, transfers, timeouts.
//! - [`service`]: the ACD task that owns the desk and talks to calls and softphones.
//! - [`route`]: which ready agent gets a waiting call (longest idle, by language skill, widening).

pub mod agent;
pub mod desk;
#[cfg(test)]
mod desk_tests;
pub mod route;
pub mod service;
