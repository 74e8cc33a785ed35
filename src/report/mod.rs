//! Reports computed from call records: pure functions over rows the store fetched.
//!
//! - [`daily`]: the daily answer rate against the 85 % target (CC-SLA).

pub mod daily;
pub mod erlang;
