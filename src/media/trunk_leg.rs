//! A call's RTP leg on the trunk (an inbound caller, or the resident a call-back reaches): its
//! stream in the pacer (prompts, hold audio, live audio from a bridge) and its receiver (the
//! caller's audio, digits, silence). It is a [`MediaLeg`], so the bridge joins it to an
//! agent's leg like any other.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::g711::Law;
use super::leg::MediaLeg;
use super::pacer::{Pacer, PacerEvent, StreamSpec};
use super::rtp_out::RtpOut;
use super::rtp_session::{AudioSink, MediaEvent, ReceiveStats, Receiver};

static NEXT_STREAM: AtomicU64 = AtomicU64::new(1);

/// What the offer and answer agreed on, and where the far end is.
#[derive(Debug, Clone)]
pub struct TrunkSpec {
    pub socket: Arc<UdpSocket>,
    /// The far end's media address from its SDP.
    pub remote: Option<SocketAddr>,
    pub law: Law,
    pub payload_type: u8,
    pub telephone_event: Option<u8>,
    /// False when the offer put the call on hold (nothing is sent until it resumes).
    pub sending: bool,
    pub media_timeout: Duration,
}

/// What the leg tells its call.
pub struct TrunkEvents {
    /// Digits and silence from the receiver.
    pub media: mpsc::Receiver<MediaEvent>,
    /// Prompts that finished playing.
    pub pacer: mpsc::Receiver<PacerEvent>,
}

pub struct TrunkLeg {
    stream: u64,
    pacer: Pacer,
    cancel: CancellationToken,
    law: Law,
    /// The far end's media address from the latest offer.
    expected: watch::Sender<Option<SocketAddr>>,
    /// Where the far end's audio goes while bridged.
    audio: AudioSink,
    play_token: AtomicU64,
}

impl TrunkLeg {
    /// Opens the stream in the pacer and starts the receiver.
    pub fn start(pacer: &Pacer, spec: TrunkSpec, stats: Arc<ReceiveStats>) -> (Arc<TrunkLeg>, TrunkEvents) {
        let stream = NEXT_STREAM.fetch_add(1, Ordering::Relaxed);
        let (remote_tx, remote_rx) = watch::channel(spec.remote);
        let (expected_tx, expected) = watch::channel(spec.remote);
        let (events_tx, media) = mpsc::channel(64);
        let (pacer_tx, pacer_events) = mpsc::channel(16);
        let cancel = CancellationToken::new();
        let rtp = RtpOut::new(
            rand::random::<u32>(),
            rand::random::<u16>(),
            rand::random::<u32>(),
            spec.payload_type,
        );
        pacer.open(
            stream,
            StreamSpec {
                socket: Arc::clone(&spec.socket),
                remote: remote_rx,
                rtp,
                silence: Bytes::from(vec![spec.law.silence(); 160]),
                events: pacer_tx,
            },
        );
        if !spec.sending {
            pacer.set_sending(stream, false);
        }
        let audio = AudioSink::default();
        let receiver = Receiver {
            socket: spec.socket,
            expected,
            telephone_event: spec.telephone_event,
            media_timeout: spec.media_timeout,
            remote: remote_tx,
            events: events_tx,
            stats,
            cancel: cancel.clone(),
            audio_pt: spec.payload_type,
            audio: audio.clone(),
        };
        tokio::spawn(receiver.run().in_current_span());
        let leg = TrunkLeg {
            stream,
            pacer: pacer.clone(),
            cancel,
            law: spec.law,
            expected: expected_tx,
            audio,
            play_token: AtomicU64::new(0),
        };
        (
            Arc::new(leg),
            TrunkEvents {
                media,
                pacer: pacer_events,
            },
        )
    }

    /// Plays prompts (replacing what plays); returns the token its `PromptFinished` will carry.
    pub fn play(&self, frames: Vec<Arc<[Bytes]>>, looped: bool) -> u64 {
        let token = self.play_token.fetch_add(1, Ordering::Relaxed) + 1;
        self.pacer.play(self.stream, frames, looped, token);
        token
    }

    /// Stops what plays (its `PromptFinished` will not come).
    pub fn stop_playback(&self) {
        self.play_token.fetch_add(1, Ordering::Relaxed);
        self.pacer.stop(self.stream);
    }

    /// Sends nothing while the far end holds the call.
    pub fn set_sending(&self, on: bool) {
        self.pacer.set_sending(self.stream, on);
    }

    /// A new offer named another media address: send there and learn the source again.
    pub fn set_remote(&self, remote: Option<SocketAddr>) -> bool {
        if remote.is_none() || *self.expected.borrow() == remote {
            return false;
        }
        self.expected.send_replace(remote);
        true
    }

    /// Closes the stream and stops the receiver.
    pub fn close(&self) {
        self.pacer.close(self.stream);
        self.cancel.cancel();
    }
}

#[async_trait::async_trait]
impl MediaLeg for TrunkLeg {
    fn law(&self) -> Law {
        self.law
    }

    fn set_sink(&self, sink: Option<mpsc::Sender<Bytes>>) {
        self.audio.set(sink);
    }

    async fn send(&self, frame: Bytes) {
        self.pacer.live(self.stream, frame);
    }

    fn is_up(&self) -> bool {
        !self.cancel.is_cancelled()
    }
}
