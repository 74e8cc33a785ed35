//! Which numbers agents may call residents back on (the call-back itself is a call:
//! `call::callback`).
//!
//! - [`dialplan`]: the allow-list and deny-list of number patterns.

pub mod dialplan;
