//! One task sends the RTP of every call, paced by one 20 ms clock (not a timer per call):
//! at each tick every stream sends its next frame (prompt audio, or silence between prompts,
//! which keeps the carrier's media timers and NAT bindings happy).
//!
//! Calls talk to it by messages; it never waits on a socket (`try_send_to`: a full socket
//! buffer drops the frame and counts it rather than delaying every other call).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, watch};
use webrtc_util::marshal::Marshal;

use super::rtp_out::RtpOut;

pub const FRAME: Duration = Duration::from_millis(20);

/// What the pacer tells a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PacerEvent {
    /// The prompts of play request `token` have all been sent.
    PromptFinished { token: u64 },
}

/// A stream to open: where to send from and to, and how.
pub struct StreamSpec {
    pub socket: Arc<UdpSocket>,
    /// Where the caller's RTP comes from (symmetric RTP), updated by the receiver.
    pub remote: watch::Receiver<Option<SocketAddr>>,
    pub rtp: RtpOut,
    pub silence: Bytes,
    pub events: mpsc::Sender<PacerEvent>,
}

enum Command {
    Open {
        id: u64,
        spec: StreamSpec,
    },
    Play {
        id: u64,
        prompts: Vec<Arc<[Bytes]>>,
        looped: bool,
        token: u64,
    },
    Stop {
        id: u64,
    },
    /// Whether to send at all (a caller on hold with `inactive`, or our recvonly answer).
    Sending {
        id: u64,
        on: bool,
    },
    /// A frame of live audio (an agent's voice) to send in the next free tick.
    Live {
        id: u64,
        frame: Bytes,
    },
    Close {
        id: u64,
    },
}

/// Counters an operator (and the benchmark) reads.
#[derive(Debug, Default)]
pub struct PacerStats {
    pub packets_sent: AtomicU64,
    pub packets_dropped: AtomicU64,
    pub ticks: AtomicU64,
    pub streams: AtomicU64,
}

/// A handle to the pacer task; cheap to clone.
#[derive(Clone)]
pub struct Pacer {
    commands: mpsc::UnboundedSender<Command>,
    pub stats: Arc<PacerStats>,
}

impl Pacer {
    /// Starts the pacer task; it ends when every handle is dropped.
    pub fn start() -> Pacer {
        let (commands, rx) = mpsc::unbounded_channel();
        let stats = Arc::new(PacerStats::default());
        tokio::spawn(run(rx, Arc::clone(&stats)));
        Pacer { commands, stats }
    }

    pub fn open(&self, id: u64, spec: StreamSpec) {
        let _ = self.commands.send(Command::Open { id, spec });
    }

    /// Plays `prompts` one after the other, replacing what plays; `looped` starts again at the end.
    pub fn play(&self, id: u64, prompts: Vec<Arc<[Bytes]>>, looped: bool, token: u64) {
        let _ = self.commands.send(Command::Play {
            id,
            prompts,
            looped,
            token,
        });
    }

    pub fn stop(&self, id: u64) {
        let _ = self.commands.send(Command::Stop { id });
    }

    pub fn set_sending(&self, id: u64, on: bool) {
        let _ = self.commands.send(Command::Sending { id, on });
    }

    /// Queues a frame of live audio (a bridged agent). Prompts go first: while one plays (hold
    /// music), live frames wait and the oldest are dropped beyond [`LIVE_FRAMES_KEPT`].
    pub fn live(&self, id: u64, frame: Bytes) {
        let _ = self.commands.send(Command::Live { id, frame });
    }

    pub fn close(&self, id: u64) {
        let _ = self.commands.send(Command::Close { id });
    }
}

struct Stream {
    spec: StreamSpec,
    playing: Option<Playing>,
    sending: bool,
    live: std::collections::VecDeque<Bytes>,
}

/// Live frames held back at most (60 ms): the agent's voice arrives at the browser's pace,
/// leaves at ours; more would only add delay, so the oldest go.
pub const LIVE_FRAMES_KEPT: usize = 3;

struct Playing {
    prompts: Vec<Arc<[Bytes]>>,
    prompt: usize,
    frame: usize,
    looped: bool,
    token: u64,
}

impl Playing {
    /// The next frame, or `None` when the last prompt has been sent.
    fn next_frame(&mut self) -> Option<Bytes> {
        loop {
            let prompt = self.prompts.get(self.prompt)?;
            if let Some(frame) = prompt.get(self.frame) {
                self.frame += 1;
                return Some(frame.clone());
            }
            self.prompt += 1;
            self.frame = 0;
            if self.prompt >= self.prompts.len() && self.looped && self.prompts.iter().any(|p| !p.is_empty()) {
                self.prompt = 0;
            }
        }
    }
}

async fn run(mut commands: mpsc::UnboundedReceiver<Command>, stats: Arc<PacerStats>) {
    let mut streams: HashMap<u64, Stream> = HashMap::new();
    let mut tick = tokio::time::interval(FRAME);
    // A late tick sends its frames at once (Burst), so the stream keeps its 50 packets a
    // second on average and the receiver's jitter buffer absorbs the gap.
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    loop {
        tokio::select! {
            biased;
            command = commands.recv() => {
                let Some(command) = command else { return };
                apply(&mut streams, command);
                stats.streams.store(streams.len() as u64, Ordering::Relaxed);
            }
            _ = tick.tick() => {
                stats.ticks.fetch_add(1, Ordering::Relaxed);
                for stream in streams.values_mut() {
                    send_frame(stream, &stats);
                }
            }
        }
    }
}

fn apply(streams: &mut HashMap<u64, Stream>, command: Command) {
    match command {
        Command::Open { id, spec } => {
            streams.insert(
                id,
                Stream {
                    spec,
                    playing: None,
                    sending: true,
                    live: Default::default(),
                },
            );
        }
        Command::Play {
            id,
            prompts,
            looped,
            token,
        } => {
            if let Some(stream) = streams.get_mut(&id) {
                stream.spec.rtp.start_talkspurt();
                stream.playing = Some(Playing {
                    prompts,
                    prompt: 0,
                    frame: 0,
                    looped,
                    token,
                });
            }
        }
        Command::Stop { id } => {
            if let Some(stream) = streams.get_mut(&id) {
                stream.playing = None;
            }
        }
        Command::Sending { id, on } => {
            if let Some(stream) = streams.get_mut(&id) {
                stream.sending = on;
            }
        }
        Command::Live { id, frame } => {
            if let Some(stream) = streams.get_mut(&id) {
                if stream.playing.is_some() {
                    return;
                }
                if stream.live.len() >= LIVE_FRAMES_KEPT {
                    stream.live.pop_front();
                }
                stream.live.push_back(frame);
            }
        }
        Command::Close { id } => {
            streams.remove(&id);
        }
    }
}

fn send_frame(stream: &mut Stream, stats: &PacerStats) {
    let frame = match stream.playing.as_mut() {
        Some(playing) => match playing.next_frame() {
            Some(frame) => frame,
            None => {
                let token = playing.token;
                stream.playing = None;
                // The call's channel is bounded and drained by its task; a full one means the
                // call is gone or stuck, and the event is not worth blocking every call for.
                let _ = stream.spec.events.try_send(PacerEvent::PromptFinished { token });
                stream.spec.silence.clone()
            }
        },
        None => stream.live.pop_front().unwrap_or_else(|| stream.spec.silence.clone()),
    };
    let remote = *stream.spec.remote.borrow();
    let (Some(remote), true) = (remote, stream.sending) else {
        // Nowhere to send (hold) or not sending: time still passes for the timestamps.
        stream.spec.rtp.skip_frame();
        return;
    };
    let packet = stream.spec.rtp.next_packet(frame);
    let Ok(bytes) = packet.marshal() else {
        stats.packets_dropped.fetch_add(1, Ordering::Relaxed);
        return;
    };
    match stream.spec.socket.try_send_to(&bytes, remote) {
        Ok(_) => stats.packets_sent.fetch_add(1, Ordering::Relaxed),
        Err(_) => stats.packets_dropped.fetch_add(1, Ordering::Relaxed),
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtp::packet::Packet;
    use webrtc_util::marshal::Unmarshal;

    #[tokio::test]
    async fn plays_prompts_in_order_then_silence_and_reports_the_end() {
        let receiver = UdpSocket::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
        let sender = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}")));
        let (_remote_tx, remote) = watch::channel(Some(receiver.local_addr().unwrap_or_else(|e| panic!("{e}"))));
        let (events, mut events_rx) = mpsc::channel(8);
        let pacer = Pacer::start();
        pacer.open(
            1,
            StreamSpec {
                socket: sender,
                remote,
                rtp: RtpOut::new(42, 100, 1000, 0),
                silence: Bytes::from(vec![0xFF; 160]),
                events,
            },
        );
        let a: Arc<[Bytes]> = vec![Bytes::from(vec![1u8; 160]), Bytes::from(vec![2u8; 160])].into();
        let b: Arc<[Bytes]> = vec![Bytes::from(vec![3u8; 160])].into();
        pacer.play(1, vec![a, b], false, 7);
        let mut payloads = Vec::new();
        let mut buf = [0u8; 1500];
        while payloads.len() < 6 {
            let n = receiver.recv(&mut buf).await.unwrap_or_else(|e| panic!("{e}"));
            let packet = Packet::unmarshal(&mut &buf[..n]).unwrap_or_else(|e| panic!("{e}"));
            payloads.push((packet.header.sequence_number, packet.payload[0], packet.header.marker));
        }
        // Silence may come first (the stream opened before the play); the prompt is in order.
        let start = payloads
            .iter()
            .position(|p| p.1 == 1)
            .unwrap_or_else(|| panic!("{payloads:?}"));
        assert!(payloads[start].2, "the marker starts the prompt");
        assert_eq!(payloads[start + 1].1, 2);
        assert_eq!(payloads[start + 2].1, 3);
        assert!(
            payloads.windows(2).all(|w| w[1].0 == w[0].0.wrapping_add(1)),
            "{payloads:?}"
        );
        assert_eq!(events_rx.recv().await, Some(PacerEvent::PromptFinished { token: 7 }));
        pacer.close(1);
    }
}
