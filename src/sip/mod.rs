//! The SIP edge: the trunk's signalling. rsipstack (pinned) does the transports,
//! transactions and dialogs; this module is the only one that names it, and turns what it
//! reports into our own types, so its breaking releases touch nothing else.
//!
//! - [`budget`]: the request budgets per source and overall (token buckets, sans-IO).
//! - [`digest`]: optional digest authentication of the trunk's INVITEs.
//! - [`edge`]: the endpoint on UDP and TCP, the checks at our edge, the request loop.
//! - [`fuzzing`]: the datagram path without sockets, for the fuzz target and the garbage test.
//! - [`leg`]: one inbound call's dialog as our own `CallLeg` and `LegEvent`s.
//! - [`peers`]: the trunk peers allowed to call in.
//! - [`raw`]: checks on the raw bytes, and minimal responses rsipstack cannot give.
//! - [`dialer`]: calls out through the trunk (call-backs).
//! - [`sdp`]: offer/answer for G.711 and telephone-events.
//! - [`strangers`]: what hosts that are not trunk peers send: counted, logged sparingly.
//! - [`udp_guard`]: the UDP socket wrapper that drops strangers and counts what is not SIP.

pub mod budget;
pub mod dialer;
pub mod digest;
pub mod edge;
pub mod fuzzing;
pub mod leg;
pub mod peers;
pub mod raw;
pub mod sdp;
pub mod strangers;
pub mod udp_guard;

pub use edge::{Admission, SipEdge, SipError, SipSettings, SipStats, TurnedAway};
pub use leg::{CallLeg, EndReason, InboundCall, LegEvent, OfferReply};
pub use peers::PeerAllowList;
