//! One interface for the two kinds of audio leg a call has: the trunk's RTP leg (the caller or
//! the resident a call-back reaches) and an agent's WebRTC leg. The bridge joins two legs
//! through it and never knows which kind it holds.

use bytes::Bytes;
use tokio::sync::mpsc;

use super::g711::Law;

/// An audio leg: 20 ms G.711 frames in and out.
#[async_trait::async_trait]
pub trait MediaLeg: Send + Sync {
    /// The law of the frames this leg sends and takes.
    fn law(&self) -> Law;

    /// Where the frames this leg receives go: a channel while bridged, nowhere otherwise. A
    /// full channel drops the frame (a late frame is worth nothing to a listener).
    fn set_sink(&self, sink: Option<mpsc::Sender<Bytes>>);

    /// Sends one frame to the far end of this leg. Never waits for long: the trunk leg hands
    /// it to the pacer, the WebRTC leg to its transport.
    async fn send(&self, frame: Bytes);

    /// Whether audio flows on this leg now (an agent's browser connection is up).
    fn is_up(&self) -> bool;
}
