//! Call-backs: agents call residents through the trunk, to numbers the dial plan allows.
//!
//! - [`dialplan`]: the allow-list and deny-list of number patterns.
//! - [`call`]: one call-back, from the INVITE to the end, bridged to the agent.

pub mod call;
pub mod dialplan;
