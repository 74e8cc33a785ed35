//! Automatic call distribution, sans-IO: agent states and routing by language skill. No clock
//! and no I/O here: time is an argument, and the ACD task (with issue #5's softphones) carries
//! out the effects.
//!
//! - [`agent`]: the agent state machine, the single writer of agent state.
//! - [`route`]: which ready agent gets a waiting call (longest idle, by language skill, widening).

pub mod agent;
pub mod route;
