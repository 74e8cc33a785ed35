//! Media for the trunk leg: G.711, RTP packets, DTMF, prompt audio, and the RTP sessions.
//!
//! - [`g711`]: µ-law and A-law.
//! - [`rtp_out`]: sequence numbers, timestamps and marker of an outgoing stream.
//! - [`dtmf`]: RFC 4733 telephone-events and SIP INFO digits.
//! - [`wav`]: prompt files to 8 kHz samples and 20 ms frames.
//! - [`prompts`]: every prompt of every language, loaded once, encoded per law.
//! - [`pacer`]: one task and one 20 ms clock send the RTP of every call.
//! - [`rtp_session`]: a call's RTP socket and receiver (symmetric RTP, DTMF, media timeout).

pub mod dtmf;
pub mod g711;
pub mod pacer;
pub mod prompts;
pub mod rtp_out;
pub mod rtp_session;
pub mod wav;
