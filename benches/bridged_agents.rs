//! The agents' side of `ops/bench/bridged`: N synthetic softphones in one process, each a real
//! WebRTC peer (the `webrtc` crate, as the center's own leg: ICE, DTLS-SRTP, PCMU) driven over
//! the softphone's WebSocket exactly as the page drives it: log in, offer audio, go ready,
//! answer the call that rings, talk (1 kHz pulses, 50 packets a second) for TALK seconds, hang up
//! and file the wrap-up. Browsers cannot reach hundreds of agents on two cores; this can.
//! Prints a line `ready N` once every agent is ready, then one JSON object per agent and a
//! summary.
//! Usage: bridged_agents HTTP_ADDR AGENTS TALK_SECONDS PASSWORD_PREFIX

// A benchmark is an edge: it reads the clock.
#![allow(clippy::disallowed_methods)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::configuration::media_engine::MIME_TYPE_PCMU;
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodec, RTCRtpCodecParameters, RTCRtpCodingParameters, RTCRtpEncodingParameters, RtpCodecKind,
};
use std::sync::atomic::AtomicUsize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tsunagu::media::g711::Law;
use webrtc::media_stream::track_local::TrackLocal;
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};
use webrtc::peer_connection::{
    MediaEngine, PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler, RTCConfigurationBuilder,
    RTCIceGatheringState, RTCPeerConnectionState, RTCSessionDescription, Registry, SettingEngineBuilder,
    register_default_interceptors,
};

type Failure = Box<dyn std::error::Error + Send + Sync>;

struct Handler {
    gathered: watch::Sender<bool>,
    connected: watch::Sender<bool>,
    received: Arc<AtomicU64>,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Handler {
    async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
        if state == RTCIceGatheringState::Complete {
            self.gathered.send_replace(true);
        }
    }

    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        if state == RTCPeerConnectionState::Connected {
            self.connected.send_replace(true);
        }
    }

    async fn on_track(&self, track: Arc<dyn TrackRemote>) {
        let received = Arc::clone(&self.received);
        tokio::spawn(async move {
            while let Some(event) = track.poll().await {
                if let TrackRemoteEvent::OnRtpPacket(_) = event {
                    received.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
}

/// Logs in over plain HTTP/1.1; returns the session cookie.
async fn log_in(http: SocketAddr, name: &str, password: &str) -> Result<String, Failure> {
    let body = serde_json::json!({ "name": name, "password": password }).to_string();
    let mut stream = tokio::net::TcpStream::connect(http).await?;
    let request = format!(
        "POST /api/login HTTP/1.1\r\nHost: {http}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    let cookie = response
        .lines()
        .find_map(|l| {
            let lower = l.to_ascii_lowercase();
            lower
                .starts_with("set-cookie:")
                .then(|| l["set-cookie:".len()..].trim().to_string())
        })
        .ok_or_else(|| {
            format!(
                "login of {name} refused: {}",
                response.lines().next().unwrap_or_default()
            )
        })?;
    Ok(cookie.split(';').next().unwrap_or_default().to_string())
}

/// The peer connection, its audio track and that track's SSRC (packets must carry it).
async fn peer(
    received: Arc<AtomicU64>,
) -> Result<
    (
        impl PeerConnection,
        Arc<TrackLocalStaticRTP>,
        u32,
        watch::Receiver<bool>,
        watch::Receiver<bool>,
    ),
    Failure,
> {
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
    let engine = SettingEngineBuilder::new()
        .with_multicast_dns_mode(rtc::ice::mdns::MulticastDnsMode::Disabled)
        .with_include_loopback_candidate(true);
    let (gathered_tx, gathered) = watch::channel(false);
    let (connected_tx, connected) = watch::channel(false);
    let port = tokio::net::UdpSocket::bind("127.0.0.1:0").await?.local_addr()?.port();
    let pc = PeerConnectionBuilder::new()
        .with_configuration(RTCConfigurationBuilder::new().build())
        .with_media_engine(media)
        .with_setting_engine(engine.build())
        .with_interceptor_registry(registry)
        .with_handler(Arc::new(Handler {
            gathered: gathered_tx,
            connected: connected_tx,
            received,
        }))
        .with_udp_addrs(vec![SocketAddr::from(([127, 0, 0, 1], port))])
        .build()
        .await?;
    let ssrc = rand::random::<u32>();
    let track = Arc::new(TrackLocalStaticRTP::new(MediaStreamTrack::new(
        "agent".to_string(),
        "mic".to_string(),
        "mic".to_string(),
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
    Ok((pc, track, ssrc, gathered, connected))
}

#[derive(Default, serde::Serialize)]
struct Outcome {
    agent: usize,
    answered: bool,
    sent: u64,
    received: u64,
    audio_up_ms: u64,
    error: Option<String>,
}

async fn agent(n: usize, http: SocketAddr, talk: Duration, prefix: String, ready: Arc<AtomicUsize>) -> Outcome {
    let mut outcome = Outcome {
        agent: n,
        ..Outcome::default()
    };
    if let Err(e) = run_agent(n, http, talk, &prefix, &ready, &mut outcome).await {
        outcome.error = Some(e.to_string());
    }
    outcome
}

async fn run_agent(
    n: usize,
    http: SocketAddr,
    talk: Duration,
    prefix: &str,
    ready: &AtomicUsize,
    outcome: &mut Outcome,
) -> Result<(), Failure> {
    let started = Instant::now();
    let name = format!("agent{n}");
    let cookie = log_in(http, &name, &format!("{prefix}{n}")).await?;
    let mut request = format!("ws://{http}/api/agent/ws").into_client_request()?;
    request.headers_mut().insert("Cookie", cookie.parse()?);
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await?;
    let received = Arc::new(AtomicU64::new(0));
    let (pc, track, ssrc, mut gathered, mut connected) = peer(Arc::clone(&received)).await?;
    let offer = pc.create_offer(None).await?;
    pc.set_local_description(offer).await?;
    tokio::time::timeout(Duration::from_secs(10), gathered.wait_for(|g| *g)).await??;
    let local = pc.local_description().await.ok_or("no local description")?;
    ws.send(Message::text(
        serde_json::json!({ "type": "offer", "sdp": local.sdp }).to_string(),
    ))
    .await?;
    let mut category = String::from("other");
    // Messages until the answer.
    loop {
        let message = read(&mut ws).await?;
        match message["type"].as_str() {
            Some("hello") => {
                if let Some(first) = message["categories"].get(0).and_then(|c| c.as_str()) {
                    category = first.to_string();
                }
            }
            Some("answer") => {
                let sdp = message["sdp"].as_str().unwrap_or_default().to_string();
                pc.set_remote_description(RTCSessionDescription::answer(sdp)?).await?;
                break;
            }
            Some("error") => return Err(format!("{message}").into()),
            _ => {}
        }
    }
    tokio::time::timeout(Duration::from_secs(30), connected.wait_for(|c| *c)).await??;
    outcome.audio_up_ms = started.elapsed().as_millis() as u64;
    // The tone runs for the whole session (a microphone does); the center forwards it only
    // while bridged.
    let sent = Arc::new(AtomicU64::new(0));
    let sender = {
        let (track, sent) = (Arc::clone(&track), Arc::clone(&sent));
        tokio::spawn(async move {
            let tone: Vec<i16> = (0..160)
                .map(|k| (8000.0 * (2.0 * std::f64::consts::PI * 1000.0 * f64::from(k) / 8000.0).sin()) as i16)
                .collect();
            let toned = Bytes::from(Law::Ulaw.encode(&tone));
            let silent = Bytes::from(vec![Law::Ulaw.silence(); 160]);
            let (mut seq, mut ts) = (rand::random::<u16>(), rand::random::<u32>());
            let mut tick = tokio::time::interval(Duration::from_millis(20));
            for frame in 0u64.. {
                tick.tick().await;
                // Pulses, 100 ms of tone every 500 ms: the caller echoes them back, and the
                // bench finds each pulse in both channels of the recording to measure how well
                // the two sides are aligned.
                let payload = if frame % 25 < 5 { toned.clone() } else { silent.clone() };
                let packet = rtc::rtp::Packet {
                    header: rtc::rtp::header::Header {
                        version: 2,
                        payload_type: 0,
                        sequence_number: seq,
                        timestamp: ts,
                        ssrc,
                        ..Default::default()
                    },
                    payload,
                };
                if track.write_rtp(packet).await.is_ok() {
                    sent.fetch_add(1, Ordering::Relaxed);
                }
                seq = seq.wrapping_add(1);
                ts = ts.wrapping_add(160);
            }
        })
    };
    ws.send(Message::text(r#"{"type":"ready"}"#)).await?;
    loop {
        if read(&mut ws).await?["state"] == "ready" {
            break;
        }
    }
    ready.fetch_add(1, Ordering::Relaxed);
    let call = loop {
        let message = read(&mut ws).await?;
        if message["type"] == "ringing" {
            ws.send(Message::text(r#"{"type":"answer_call"}"#)).await?;
        }
        if message["type"] == "connected" {
            break message["call"].as_str().unwrap_or_default().to_string();
        }
    };
    outcome.answered = true;
    let before = (sent.load(Ordering::Relaxed), received.load(Ordering::Relaxed));
    tokio::time::sleep(talk).await;
    outcome.sent = sent.load(Ordering::Relaxed) - before.0;
    outcome.received = received.load(Ordering::Relaxed) - before.1;
    ws.send(Message::text(r#"{"type":"hang_up"}"#)).await?;
    loop {
        let message = read(&mut ws).await?;
        if message["type"] == "state" && message["state"] == "wrap_up" {
            break;
        }
    }
    let wrap = serde_json::json!({ "type": "wrap_up", "call": call, "category": category });
    ws.send(Message::text(wrap.to_string())).await?;
    loop {
        if read(&mut ws).await?["type"] == "wrap_up_saved" {
            break;
        }
    }
    sender.abort();
    let _ = pc.close().await;
    Ok(())
}

async fn read<S>(ws: &mut S) -> Result<serde_json::Value, Failure>
where
    S: StreamExt<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(text))) => return Ok(serde_json::from_str(&text)?),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(e.into()),
            None => return Err("the softphone socket closed".into()),
        }
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let (Some(http), Some(agents), Some(talk), Some(prefix)) = (
        args.first().and_then(|a| a.parse::<SocketAddr>().ok()),
        args.get(1).and_then(|a| a.parse::<usize>().ok()),
        args.get(2).and_then(|a| a.parse::<u64>().ok()),
        args.get(3).cloned(),
    ) else {
        eprintln!("usage: bridged_agents HTTP_ADDR AGENTS TALK_SECONDS PASSWORD_PREFIX");
        std::process::exit(2);
    };
    let ready = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for n in 1..=agents {
        let (ready, prefix) = (Arc::clone(&ready), prefix.clone());
        tasks.push(tokio::spawn(agent(n, http, Duration::from_secs(talk), prefix, ready)));
        // Logging in hundreds at once is what a shift start looks like, but argon2 and the
        // login throttle are not what this measures: a steady stream instead.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Agents that fail before ready never count: stop waiting after a while.
    let deadline = Instant::now() + Duration::from_secs(60 + agents as u64);
    while ready.load(Ordering::Relaxed) < agents && Instant::now() < deadline && !tasks.iter().all(|t| t.is_finished())
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!("ready {}", ready.load(Ordering::Relaxed));
    let mut outcomes = Vec::new();
    for task in tasks {
        if let Ok(outcome) = task.await {
            println!("{}", serde_json::to_string(&outcome).unwrap_or_default());
            outcomes.push(outcome);
        }
    }
    let answered = outcomes.iter().filter(|o| o.answered && o.error.is_none()).count();
    println!(
        "{}",
        serde_json::json!({
            "summary": true,
            "agents": agents,
            "answered_and_wrapped_up": answered,
            "sent": outcomes.iter().map(|o| o.sent).sum::<u64>(),
            "received": outcomes.iter().map(|o| o.received).sum::<u64>(),
        })
    );
}
