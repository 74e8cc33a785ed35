//! The agent's audio leg: one WebRTC peer connection per logged-in softphone (webrtc-rs), made
//! when the page connects and kept for the whole shift, so that answering a call switches audio
//! and never waits for ICE and DTLS. ICE-lite with host candidates (and a configured public
//! address for NAT), DTLS-SRTP, PCMU only: the trunk's G.711 goes through as it is.
//!
//! It is a [`MediaLeg`]: what the browser says goes to the sink the bridge sets (or nowhere),
//! and `send` sends a 20 ms µ-law frame to the browser.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::configuration::media_engine::MIME_TYPE_PCMU;
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodec, RTCRtpCodecParameters, RTCRtpCodingParameters, RTCRtpEncodingParameters, RtpCodecKind,
};
use tokio::sync::{Mutex, watch};
use tracing::{debug, info, warn};
use webrtc::media_stream::track_local::TrackLocal;
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};
use webrtc::peer_connection::{
    MediaEngine, PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler, RTCConfigurationBuilder,
    RTCIceCandidateType, RTCIceGatheringState, RTCPeerConnectionState, RTCSessionDescription, Registry,
    SettingEngineBuilder, register_default_interceptors,
};

use super::g711::Law;
use super::leg::MediaLeg;
use super::rtp_session::{AudioSink, PortRange};

#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    #[error("the browser's offer is not usable: {0}")]
    Offer(String),
    #[error("WebRTC: {0}")]
    WebRtc(#[from] webrtc::error::Error),
    #[error("ICE gathering did not finish")]
    Gathering,
    #[error("no free media port for the softphone: {0}")]
    NoPort(std::io::Error),
}

/// Where the agents' WebRTC media listens and what it announces.
#[derive(Debug, Clone)]
pub struct WebRtcSettings {
    /// The address the media sockets bind to (one socket per softphone).
    pub ip: IpAddr,
    /// The ports they take (a firewall opens this range to the agents' network).
    pub ports: Arc<PortRange>,
    /// The address announced to browsers when they reach us through NAT (1:1); `None`
    /// announces `ip`.
    pub public_ip: Option<IpAddr>,
}

/// Whether the browser's audio connection is up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    Connecting,
    Connected,
    /// ICE lost the browser for a moment; it may come back.
    Interrupted,
    /// Failed or closed: the browser is gone (or its network is).
    Lost,
}

/// Packets each way, for the floor and the tests.
#[derive(Debug, Default)]
pub struct AudioCounters {
    pub from_browser: AtomicU64,
    pub to_browser: AtomicU64,
}

pub struct WebRtcLeg {
    pc: Box<dyn PeerConnection>,
    track: Arc<TrackLocalStaticRTP>,
    ssrc: u32,
    /// Sequence number and timestamp of what we send (our own: calls come and go on one track).
    out: Mutex<(u16, u32)>,
    inbound: AudioSink,
    pub link: watch::Receiver<Link>,
    counters: Arc<AudioCounters>,
}

#[async_trait::async_trait]
impl MediaLeg for WebRtcLeg {
    fn law(&self) -> Law {
        Law::Ulaw
    }

    fn set_sink(&self, sink: Option<tokio::sync::mpsc::Sender<Bytes>>) {
        self.inbound.set(sink);
    }

    async fn send(&self, frame: Bytes) {
        self.send_frame(frame).await;
    }

    fn is_up(&self) -> bool {
        self.is_connected()
    }
}

struct Handler {
    gathered: watch::Sender<bool>,
    link: watch::Sender<Link>,
    inbound: AudioSink,
    counters: Arc<AudioCounters>,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Handler {
    async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
        if state == RTCIceGatheringState::Complete {
            self.gathered.send_replace(true);
        }
    }

    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        debug!(%state, "softphone audio connection");
        let link = match state {
            RTCPeerConnectionState::Connected => Link::Connected,
            // Disconnected may heal (a late consent check under load); the session decides
            // how long to wait for it.
            RTCPeerConnectionState::Disconnected => Link::Interrupted,
            RTCPeerConnectionState::Failed | RTCPeerConnectionState::Closed => Link::Lost,
            _ => return,
        };
        self.link.send_replace(link);
    }

    async fn on_track(&self, track: Arc<dyn TrackRemote>) {
        // Handlers run on the connection's driver: the reading loop goes to a task of its own.
        let inbound = self.inbound.clone();
        let counters = Arc::clone(&self.counters);
        tokio::spawn(async move {
            while let Some(event) = track.poll().await {
                if let TrackRemoteEvent::OnRtpPacket(packet) = event {
                    // PT 0 is the only codec we offered; anything else is not audio we relay.
                    if packet.header.payload_type == 0 {
                        counters.from_browser.fetch_add(1, Ordering::Relaxed);
                        inbound.push(packet.payload);
                    }
                }
            }
        });
    }
}

impl WebRtcLeg {
    /// Answers the browser's offer (sent after its ICE gathering finished, no trickle).
    pub async fn answer(offer_sdp: String, settings: &WebRtcSettings) -> Result<(Arc<WebRtcLeg>, String), AudioError> {
        let offer = RTCSessionDescription::offer(offer_sdp).map_err(|e| AudioError::Offer(e.to_string()))?;
        let mut media = MediaEngine::default();
        let pcmu = RTCRtpCodec {
            mime_type: MIME_TYPE_PCMU.to_owned(),
            clock_rate: 8000,
            channels: 0,
            sdp_fmtp_line: String::new(),
            rtcp_feedback: vec![],
        };
        media.register_codec(
            RTCRtpCodecParameters {
                rtp_codec: pcmu.clone(),
                payload_type: 0,
            },
            RtpCodecKind::Audio,
        )?;
        let registry = register_default_interceptors(Registry::new(), &mut media)?;
        let mut engine = SettingEngineBuilder::new()
            .with_lite(true)
            .with_multicast_dns_mode(rtc::ice::mdns::MulticastDnsMode::Disabled)
            .with_include_loopback_candidate(settings.ip.is_loopback());
        if let Some(public) = settings.public_ip {
            engine = engine.with_nat_1to1_ips(vec![public.to_string()], RTCIceCandidateType::Host);
        }
        let (gathered_tx, mut gathered) = watch::channel(false);
        let (link_tx, link) = watch::channel(Link::Connecting);
        let inbound = AudioSink::default();
        let counters = Arc::new(AudioCounters::default());
        let handler = Arc::new(Handler {
            gathered: gathered_tx,
            link: link_tx,
            inbound: inbound.clone(),
            counters: Arc::clone(&counters),
        });
        // webrtc-rs binds its own socket from an address (it takes no socket of ours): a free
        // port of the range is found by binding it, then handed over. Another process could
        // take it in between; the connection then fails and the page connects again.
        let port = {
            let probe = settings.ports.bind(settings.ip).await.map_err(AudioError::NoPort)?;
            probe.local_addr().map_err(AudioError::NoPort)?.port()
        };
        let pc = PeerConnectionBuilder::new()
            .with_configuration(RTCConfigurationBuilder::new().build())
            .with_media_engine(media)
            .with_setting_engine(engine.build())
            .with_interceptor_registry(registry)
            .with_handler(handler)
            .with_udp_addrs(vec![std::net::SocketAddr::new(settings.ip, port)])
            .build()
            .await?;
        let ssrc = rand::random::<u32>();
        let track = Arc::new(TrackLocalStaticRTP::new(MediaStreamTrack::new(
            "tsunagu".to_string(),
            "caller".to_string(),
            "caller".to_string(),
            RtpCodecKind::Audio,
            vec![RTCRtpEncodingParameters {
                rtp_coding_parameters: RTCRtpCodingParameters {
                    ssrc: Some(ssrc),
                    ..Default::default()
                },
                codec: pcmu,
                ..Default::default()
            }],
        )));
        pc.add_track(Arc::clone(&track) as Arc<dyn TrackLocal>).await?;
        pc.set_remote_description(offer).await?;
        let answer = pc.create_answer(None).await?;
        pc.set_local_description(answer).await?;
        if tokio::time::timeout(std::time::Duration::from_secs(5), gathered.wait_for(|done| *done))
            .await
            .is_err()
        {
            let _ = pc.close().await;
            return Err(AudioError::Gathering);
        }
        let Some(local) = pc.local_description().await else {
            let _ = pc.close().await;
            return Err(AudioError::Gathering);
        };
        info!("softphone audio answered");
        let audio = WebRtcLeg {
            pc: Box::new(pc),
            track,
            ssrc,
            out: Mutex::new((rand::random::<u16>(), rand::random::<u32>())),
            inbound,
            link,
            counters,
        };
        Ok((Arc::new(audio), local.sdp))
    }

    /// Sends one 20 ms frame of µ-law to the browser.
    async fn send_frame(&self, payload: Bytes) {
        let (sequence_number, timestamp) = {
            let mut out = self.out.lock().await;
            let now = *out;
            *out = (now.0.wrapping_add(1), now.1.wrapping_add(payload.len() as u32));
            now
        };
        let packet = rtc::rtp::Packet {
            header: rtc::rtp::header::Header {
                version: 2,
                payload_type: 0,
                sequence_number,
                timestamp,
                ssrc: self.ssrc,
                ..Default::default()
            },
            payload,
        };
        match self.track.write_rtp(packet).await {
            Ok(()) => {
                self.counters.to_browser.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => debug!(error = %e, "audio to the browser not sent"),
        }
    }

    pub fn is_connected(&self) -> bool {
        *self.link.borrow() == Link::Connected
    }

    /// What the browser has sent and been sent.
    pub fn counters(&self) -> &AudioCounters {
        &self.counters
    }

    pub async fn close(&self) {
        self.inbound.set(None);
        if let Err(e) = self.pc.close().await {
            warn!(error = %e, "closing the softphone audio");
        }
    }
}
