//! A call bridged to an agent: the caller's RTP payloads go to the agent's WebRTC leg and the
//! agent's go into the caller's RTP stream (through the pacer, which keeps the stream's
//! sequence and timestamps), both through tsunagu, both handed to the call's [`CallTap`].
//! The softphone leg is PCMU only; a trunk call in A-law is converted frame by frame (G.711 to
//! G.711, no codec in between).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use tokio::sync::{mpsc, watch};
use tracing::Instrument;

use crate::media::g711::Law;
use crate::media::pacer::Pacer;
use crate::media::rtp_session::AudioSink;
use crate::softphone::audio::AgentAudio;

/// Which way a frame went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The caller's voice, towards the agent.
    FromCaller,
    /// The agent's voice, towards the caller.
    FromAgent,
}

/// Where a bridged call's audio is handed over, both directions, as 20 ms µ-law frames: the
/// recorder's interface (recording itself is its own issue). It must not block: it is called
/// on the media path.
pub trait CallTap: Send + Sync {
    fn frame(&self, direction: Direction, payload: &Bytes);
}

/// The tap used until recording lands: it counts the frames each way, and the call's record
/// says how many went through (so a one-way bridge shows in the records).
#[derive(Debug, Default)]
pub struct CountingTap {
    pub from_caller: AtomicU64,
    pub from_agent: AtomicU64,
}

impl CallTap for CountingTap {
    fn frame(&self, direction: Direction, _payload: &Bytes) {
        match direction {
            Direction::FromCaller => self.from_caller.fetch_add(1, Ordering::Relaxed),
            Direction::FromAgent => self.from_agent.fetch_add(1, Ordering::Relaxed),
        };
    }
}

/// What flows while bridged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Talking,
    /// The agent's microphone is cut at our side: the caller hears nothing of the agent.
    Muted,
    /// The caller hears hold audio (played by the IVR side) and neither hears the other.
    Held,
}

pub struct Bridge {
    caller_sink: AudioSink,
    audio: Arc<AgentAudio>,
    mode: watch::Sender<Mode>,
}

impl Bridge {
    pub fn start(
        caller_sink: AudioSink,
        audio: Arc<AgentAudio>,
        pacer: Pacer,
        stream: u64,
        law: Law,
        tap: Arc<dyn CallTap>,
    ) -> Bridge {
        let (mode, mode_rx) = watch::channel(Mode::Talking);
        let (to_agent_tx, mut to_agent) = mpsc::channel::<Bytes>(16);
        let (to_caller_tx, mut to_caller) = mpsc::channel::<Bytes>(16);
        caller_sink.set(Some(to_agent_tx));
        audio.inbound.set(Some(to_caller_tx));
        {
            let audio = Arc::clone(&audio);
            let tap = Arc::clone(&tap);
            let mode = mode_rx.clone();
            tokio::spawn(
                async move {
                    while let Some(payload) = to_agent.recv().await {
                        let payload = to_ulaw(law, payload);
                        tap.frame(Direction::FromCaller, &payload);
                        if *mode.borrow() != Mode::Held {
                            audio.send(payload).await;
                        }
                    }
                }
                .in_current_span(),
            );
        }
        tokio::spawn(
            async move {
                while let Some(payload) = to_caller.recv().await {
                    tap.frame(Direction::FromAgent, &payload);
                    if *mode_rx.borrow() == Mode::Talking {
                        pacer.live(stream, from_ulaw(law, payload));
                    }
                }
            }
            .in_current_span(),
        );
        Bridge {
            caller_sink,
            audio,
            mode,
        }
    }

    pub fn set_mode(&self, mode: Mode) {
        self.mode.send_replace(mode);
    }

    pub fn mode(&self) -> Mode {
        *self.mode.borrow()
    }

    /// Ends the bridge: both directions stop (their tasks end with their channels).
    pub fn stop(&self) {
        self.caller_sink.set(None);
        self.audio.inbound.set(None);
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        self.stop();
    }
}

fn to_ulaw(law: Law, payload: Bytes) -> Bytes {
    match law {
        Law::Ulaw => payload,
        Law::Alaw => Bytes::from(Law::Ulaw.encode(&Law::Alaw.decode(&payload))),
    }
}

fn from_ulaw(law: Law, payload: Bytes) -> Bytes {
    match law {
        Law::Ulaw => payload,
        Law::Alaw => Bytes::from(Law::Alaw.encode(&Law::Ulaw.decode(&payload))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_a_law_trunk_is_converted_to_the_softphones_mu_law_and_back() {
        let samples: Vec<i16> = (0..160)
            .map(|n| (8000.0 * (2.0 * std::f64::consts::PI * f64::from(n) / 8.0).sin()) as i16)
            .collect();
        let alaw = Bytes::from(Law::Alaw.encode(&samples));
        let ulaw = to_ulaw(Law::Alaw, alaw.clone());
        assert_eq!(ulaw.len(), 160);
        // G.711 steps grow with the level: each companding is within about 3 % of the sample.
        let close = |heard: i16, sent: i16, steps: i32| {
            (i32::from(heard) - i32::from(sent)).abs() <= steps * (i32::from(sent).abs() * 3 / 100 + 16)
        };
        for (heard, sent) in Law::Ulaw.decode(&ulaw).iter().zip(&samples) {
            assert!(close(*heard, *sent, 2), "{heard} vs {sent}");
        }
        let back = from_ulaw(Law::Alaw, ulaw);
        for (heard, sent) in Law::Alaw.decode(&back).iter().zip(&samples) {
            assert!(close(*heard, *sent, 3), "{heard} vs {sent}");
        }
        let silence = Bytes::from(vec![Law::Alaw.silence(); 160]);
        assert!(
            Law::Ulaw
                .decode(&to_ulaw(Law::Alaw, silence))
                .iter()
                .all(|s| s.abs() <= 16)
        );
        // A µ-law trunk goes through untouched.
        let same = Bytes::from(vec![0x12u8; 160]);
        assert_eq!(to_ulaw(Law::Ulaw, same.clone()), same);
    }
}
