//! Two legs bridged: the caller's (or the resident's) audio goes to the agent's leg and the
//! agent's to the caller's, both through tsunagu, both handed to a [`MediaTap`]. Frames change
//! law between legs that differ (a trunk in A-law, a softphone in µ-law), frame by frame,
//! G.711 to G.711 with no codec in between.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use tokio::sync::{mpsc, watch};
use tracing::Instrument;

use super::g711::Law;
use super::leg::MediaLeg;

/// Which way a frame went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The caller's voice, towards the agent.
    FromCaller,
    /// The agent's voice, towards the caller.
    FromAgent,
}

/// Where a bridge's audio is handed over, both directions, as 20 ms µ-law frames (the
/// recording's interface). It must not block: it is called on the media path.
pub trait MediaTap: Send + Sync {
    fn frame(&self, direction: Direction, payload: &Bytes);
}

/// A tap that counts the frames each way (the call record says how many went through, so a
/// one-way bridge shows in the records).
#[derive(Debug, Default)]
pub struct CountingTap {
    pub from_caller: AtomicU64,
    pub from_agent: AtomicU64,
}

impl MediaTap for CountingTap {
    fn frame(&self, direction: Direction, _payload: &Bytes) {
        match direction {
            Direction::FromCaller => self.from_caller.fetch_add(1, Ordering::Relaxed),
            Direction::FromAgent => self.from_agent.fetch_add(1, Ordering::Relaxed),
        };
    }
}

impl CountingTap {
    /// The counts so far, set back to zero (one bridge's worth).
    pub fn take(&self) -> (u64, u64) {
        (
            self.from_caller.swap(0, Ordering::Relaxed),
            self.from_agent.swap(0, Ordering::Relaxed),
        )
    }
}

/// What flows while bridged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Talking,
    /// The agent's microphone is cut at our side: the caller hears nothing of the agent.
    Muted,
    /// The caller hears hold audio (played by the caller's side) and neither hears the other.
    Held,
}

pub struct Bridge {
    caller: Arc<dyn MediaLeg>,
    agent: Arc<dyn MediaLeg>,
    mode: watch::Sender<Mode>,
}

impl Bridge {
    pub fn start(caller: Arc<dyn MediaLeg>, agent: Arc<dyn MediaLeg>, tap: Arc<dyn MediaTap>) -> Bridge {
        let (mode, mode_rx) = watch::channel(Mode::Talking);
        let (to_agent_tx, mut to_agent) = mpsc::channel::<Bytes>(16);
        let (to_caller_tx, mut to_caller) = mpsc::channel::<Bytes>(16);
        caller.set_sink(Some(to_agent_tx));
        agent.set_sink(Some(to_caller_tx));
        let (caller_law, agent_law) = (caller.law(), agent.law());
        {
            let agent = Arc::clone(&agent);
            let tap = Arc::clone(&tap);
            let mode = mode_rx.clone();
            tokio::spawn(
                async move {
                    while let Some(payload) = to_agent.recv().await {
                        let ulaw = transcode(caller_law, Law::Ulaw, payload);
                        tap.frame(Direction::FromCaller, &ulaw);
                        if *mode.borrow() != Mode::Held {
                            agent.send(transcode(Law::Ulaw, agent_law, ulaw)).await;
                        }
                    }
                }
                .in_current_span(),
            );
        }
        {
            let caller = Arc::clone(&caller);
            tokio::spawn(
                async move {
                    while let Some(payload) = to_caller.recv().await {
                        let ulaw = transcode(agent_law, Law::Ulaw, payload);
                        tap.frame(Direction::FromAgent, &ulaw);
                        if *mode_rx.borrow() == Mode::Talking {
                            caller.send(transcode(Law::Ulaw, caller_law, ulaw)).await;
                        }
                    }
                }
                .in_current_span(),
            );
        }
        Bridge { caller, agent, mode }
    }

    pub fn set_mode(&self, mode: Mode) {
        self.mode.send_replace(mode);
    }

    pub fn mode(&self) -> Mode {
        *self.mode.borrow()
    }

    /// Ends the bridge: both directions stop (their tasks end with their channels).
    pub fn stop(&self) {
        self.caller.set_sink(None);
        self.agent.set_sink(None);
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A frame of one law in another (the same frame when the laws agree).
fn transcode(from: Law, to: Law, payload: Bytes) -> Bytes {
    if from == to {
        return payload;
    }
    Bytes::from(to.encode(&from.decode(&payload)))
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
        let ulaw = transcode(Law::Alaw, Law::Ulaw, alaw.clone());
        assert_eq!(ulaw.len(), 160);
        // G.711 steps grow with the level: each companding is within about 3 % of the sample.
        let close = |heard: i16, sent: i16, steps: i32| {
            (i32::from(heard) - i32::from(sent)).abs() <= steps * (i32::from(sent).abs() * 3 / 100 + 16)
        };
        for (heard, sent) in Law::Ulaw.decode(&ulaw).iter().zip(&samples) {
            assert!(close(*heard, *sent, 2), "{heard} vs {sent}");
        }
        let back = transcode(Law::Ulaw, Law::Alaw, ulaw);
        for (heard, sent) in Law::Alaw.decode(&back).iter().zip(&samples) {
            assert!(close(*heard, *sent, 3), "{heard} vs {sent}");
        }
        let silence = Bytes::from(vec![Law::Alaw.silence(); 160]);
        assert!(
            Law::Ulaw
                .decode(&transcode(Law::Alaw, Law::Ulaw, silence))
                .iter()
                .all(|s| s.abs() <= 16)
        );
        // A µ-law trunk goes through untouched.
        let same = Bytes::from(vec![0x12u8; 160]);
        assert_eq!(transcode(Law::Ulaw, Law::Ulaw, same.clone()), same);
    }
}
