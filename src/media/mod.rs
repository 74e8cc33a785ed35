//! Media: G.711, RTP, DTMF, prompt audio, and the two kinds of audio leg a call has (the
//! trunk's RTP leg and an agent's WebRTC leg) behind one [`leg::MediaLeg`] interface, joined by
//! the bridge.
//!
//! - [`leg`]: the media-leg interface.
//! - [`trunk_leg`]: a call's RTP leg (pacer stream and receiver).
//! - [`webrtc_leg`]: an agent's browser leg (webrtc-rs, PCMU).
//! - [`bridge`]: two legs joined, with a tap for both directions; hold and mute.
//! - [`agent_legs`]: the agents' legs by agent, for the call an agent answers.
//! - [`g711`]: µ-law and A-law.
//! - [`rtp_out`]: sequence numbers, timestamps and marker of an outgoing stream.
//! - [`dtmf`]: RFC 4733 telephone-events and SIP INFO digits.
//! - [`wav`]: prompt files to 8 kHz samples and 20 ms frames.
//! - [`prompts`]: every prompt of every language, loaded once, encoded per law.
//! - [`pacer`]: one task and one 20 ms clock send the RTP of every call.
//! - [`rtp_session`]: a call's RTP socket and receiver (symmetric RTP, DTMF, media timeout).

pub mod agent_legs;
pub mod bridge;
pub mod dtmf;
pub mod g711;
pub mod leg;
pub mod pacer;
pub mod prompts;
pub mod rtp_out;
pub mod rtp_session;
pub mod trunk_leg;
pub mod wav;
pub mod webrtc_leg;
