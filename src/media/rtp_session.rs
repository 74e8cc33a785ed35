//! The receiving side of a call's RTP: one socket from the configured port range, one task
//! that reads it. It latches the caller's address (symmetric RTP), decodes RFC 4733 digits,
//! drops what comes from anyone else, and says when the caller's media stops.

use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use webrtc_util::marshal::Unmarshal;

use super::dtmf::{Digit, TelephoneEventDecoder};

/// RTP ports handed out to calls, even numbers only (RTCP would take the odd one).
#[derive(Debug)]
pub struct PortRange {
    range: RangeInclusive<u16>,
    next: AtomicU16,
}

impl PortRange {
    pub fn new(range: RangeInclusive<u16>) -> PortRange {
        let first = *range.start() + *range.start() % 2;
        PortRange {
            next: AtomicU16::new(first),
            range,
        }
    }

    /// Binds a socket on the next free even port of the range.
    pub async fn bind(&self, ip: IpAddr) -> std::io::Result<UdpSocket> {
        let (start, end) = (*self.range.start(), *self.range.end());
        let slots = (u32::from(end) - u32::from(start)) / 2 + 1;
        for _ in 0..slots {
            let port = self.next.fetch_add(2, Ordering::Relaxed);
            let port = if port < start || port > end {
                // Wrapped around the range: start again from its first even port.
                let first = start + start % 2;
                self.next.store(first + 2, Ordering::Relaxed);
                first
            } else {
                port
            };
            match UdpSocket::bind(SocketAddr::new(ip, port)).await {
                Ok(socket) => return Ok(socket),
                Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => continue,
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::new(
            std::io::ErrorKind::AddrInUse,
            format!("no free RTP port in {start}-{end}"),
        ))
    }
}

/// What the receiver tells its call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaEvent {
    Dtmf(Digit),
    /// No RTP from the caller for the media timeout (sent again after each further timeout).
    Silent,
}

/// Counters across all calls.
#[derive(Debug, Default)]
pub struct ReceiveStats {
    pub packets: AtomicU64,
    pub from_wrong_source: AtomicU64,
    pub malformed: AtomicU64,
}

/// Decides whose RTP is the caller's. Symmetric RTP answers where the caller's packets come
/// from, but a stray sender must not steal the stream (a stale call on a reused port, a flood
/// from elsewhere):
/// - packets from the address the SDP announced are the caller's at once;
/// - from another address, only after [`SourceLatch::LEARN_PACKETS`] packets in a row from it
///   while nothing came from the SDP address (a caller behind a NAT that rewrote the port);
/// - once latched, only that source counts, until a new offer says otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLatch {
    expected: Option<SocketAddr>,
    latched: Option<SocketAddr>,
    candidate: Option<(SocketAddr, u32)>,
}

impl SourceLatch {
    /// One second of 20 ms packets.
    pub const LEARN_PACKETS: u32 = 50;

    pub fn new(expected: Option<SocketAddr>) -> SourceLatch {
        SourceLatch {
            expected,
            latched: None,
            candidate: None,
        }
    }

    /// Whether a packet from `source` is the caller's.
    pub fn accept(&mut self, source: SocketAddr) -> bool {
        match self.latched {
            Some(latched) => return latched == source,
            None if self.expected == Some(source) => {
                self.latched = Some(source);
                return true;
            }
            None => {}
        }
        if self.expected.is_some_and(|e| e.ip() != source.ip()) {
            return false;
        }
        let count = match self.candidate {
            Some((candidate, n)) if candidate == source => n + 1,
            _ => 1,
        };
        self.candidate = Some((source, count));
        if count >= Self::LEARN_PACKETS {
            self.latched = Some(source);
            return true;
        }
        false
    }

    pub fn latched(&self) -> Option<SocketAddr> {
        self.latched
    }
}

/// How a call's receiver is set up.
pub struct Receiver {
    pub socket: Arc<UdpSocket>,
    /// The caller's media address from the SDP (changed by a new offer).
    pub expected: watch::Receiver<Option<SocketAddr>>,
    pub telephone_event: Option<u8>,
    pub media_timeout: Duration,
    /// Where the pacer sends: the SDP address, then the latched source.
    pub remote: watch::Sender<Option<SocketAddr>>,
    pub events: mpsc::Sender<MediaEvent>,
    pub stats: Arc<ReceiveStats>,
    pub cancel: CancellationToken,
    /// The payload type of the caller's audio, and where its payloads go while the call is
    /// bridged to an agent.
    pub audio_pt: u8,
    pub audio: AudioSink,
}

/// Where a leg's audio payloads go, when anywhere: set while a call is bridged. A full
/// channel drops the frame (a late frame is worth nothing to a listener).
#[derive(Debug, Clone, Default)]
pub struct AudioSink(Arc<std::sync::Mutex<Option<mpsc::Sender<Bytes>>>>);

impl AudioSink {
    pub fn set(&self, to: Option<mpsc::Sender<Bytes>>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = to;
    }

    pub fn push(&self, payload: Bytes) {
        if let Some(to) = self.0.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            let _ = to.try_send(payload);
        }
    }
}

impl Receiver {
    /// Reads until cancelled. Ends quietly; the socket closes when the last `Arc` goes.
    pub async fn run(self) {
        let Receiver {
            socket,
            mut expected,
            telephone_event,
            media_timeout,
            remote,
            events,
            stats,
            cancel,
            audio_pt,
            audio,
        } = self;
        let mut decoder = TelephoneEventDecoder::new();
        let mut buf = vec![0u8; 2048];
        let mut latch = SourceLatch::new(*expected.borrow());
        loop {
            let received = tokio::select! {
                _ = cancel.cancelled() => return,
                changed = expected.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    // A new offer (re-INVITE) with another address: learn the source again.
                    let now_expected = *expected.borrow_and_update();
                    latch = SourceLatch::new(now_expected);
                    remote.send_replace(now_expected);
                    continue;
                }
                r = tokio::time::timeout(media_timeout, recv_from_caller(&socket, &stats, &mut buf, &mut latch)) => r,
            };
            let (len, source) = match received {
                Ok(Some(datagram)) => datagram,
                Ok(None) => return, // the socket failed: nothing more will come
                Err(_elapsed) => {
                    if events.send(MediaEvent::Silent).await.is_err() {
                        return;
                    }
                    continue;
                }
            };
            if *remote.borrow() != Some(source) {
                remote.send_replace(Some(source));
            }
            let Ok(packet) = rtp::packet::Packet::unmarshal(&mut &buf[..len]) else {
                stats.malformed.fetch_add(1, Ordering::Relaxed);
                continue;
            };
            if packet.header.payload_type == audio_pt {
                audio.push(packet.payload);
                continue;
            }
            if Some(packet.header.payload_type) == telephone_event {
                if let Some(digit) = decoder.push(packet.header.timestamp, &packet.payload) {
                    if events.send(MediaEvent::Dtmf(digit)).await.is_err() {
                        return;
                    }
                }
            }
        }
    }
}

/// The next datagram from the caller; the rest is counted and dropped (it neither reaches the
/// call nor keeps its media alive).
async fn recv_from_caller(
    socket: &UdpSocket,
    stats: &ReceiveStats,
    buf: &mut [u8],
    latch: &mut SourceLatch,
) -> Option<(usize, SocketAddr)> {
    loop {
        let (len, source) = socket.recv_from(buf).await.ok()?;
        if !latch.accept(source) {
            stats.from_wrong_source.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        stats.packets.fetch_add(1, Ordering::Relaxed);
        return Some((len, source));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(text: &str) -> SocketAddr {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn the_sdp_address_wins_at_once_and_strays_never_steal_the_stream() {
        let mut latch = SourceLatch::new(Some(addr("192.0.2.1:4000")));
        for _ in 0..10 {
            assert!(
                !latch.accept(addr("192.0.2.1:5000")),
                "a stray on the caller's IP is not learned yet"
            );
        }
        assert!(latch.accept(addr("192.0.2.1:4000")));
        for _ in 0..200 {
            assert!(!latch.accept(addr("192.0.2.1:5000")), "latched: the stray is dropped");
        }
        assert!(!latch.accept(addr("198.51.100.9:4000")));
        assert_eq!(latch.latched(), Some(addr("192.0.2.1:4000")));
    }

    #[test]
    fn a_caller_behind_a_nat_is_learned_after_a_second_of_packets() {
        let mut latch = SourceLatch::new(Some(addr("10.0.0.5:4000")));
        assert!(!latch.accept(addr("203.0.113.7:61000")), "another IP is never learned");
        let mut latch = SourceLatch::new(Some(addr("203.0.113.7:4000")));
        let nat = addr("203.0.113.7:61000");
        let accepted = (0..SourceLatch::LEARN_PACKETS).filter(|_| latch.accept(nat)).count();
        assert_eq!(accepted, 1, "only the packet that completes the learning is accepted");
        assert_eq!(latch.latched(), Some(nat));
        // A different stray interrupting the learning starts it again.
        let mut latch = SourceLatch::new(None);
        for n in 0..100 {
            let source = if n % 10 == 9 {
                addr("127.0.0.1:7")
            } else {
                addr("127.0.0.1:8")
            };
            latch.accept(source);
        }
        assert_eq!(latch.latched(), None);
    }
}
