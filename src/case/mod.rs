//! Escalations and complaints as cases (CC-ESC, CC-COMPLAINT): opened from the wrap-up, sent to
//! the city by the supervisor, the city's answer recorded, the resident called back by an
//! agent when the city decided later, closed with an outcome; every step an event. Pure: the
//! store keeps cases and their events, the web side offers the steps by role.
//!
//! - [`lifecycle`]: statuses, steps, outcomes, who may take which step from where.

pub mod lifecycle;

pub use lifecycle::{CaseKind, CaseStatus, Outcome, Refused, Step, next};
