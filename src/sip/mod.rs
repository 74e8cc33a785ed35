//! The SIP edge: the trunk's signalling. rsipstack does the transports, transactions and
//! dialogs; this module is the only one that names it, and turns what it reports into our
//! own call events.
//!
//! - [`sdp`]: offer/answer for G.711 and telephone-events.

pub mod sdp;
