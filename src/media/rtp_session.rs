//! The receiving side of a call's RTP: one socket from the configured port range, one task
//! that reads it. It latches the caller's address (symmetric RTP), decodes RFC 4733 digits,
//! drops what comes from anyone else, and says when the caller's media stops.

use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use webrtc_util::marshal::Unmarshal;

use super::dtmf::{Digit, TelephoneEventDecoder};

/// RTP ports handed out to calls, even numbers only (RTCP would take the odd one).
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

/// How a call's receiver is set up.
pub struct Receiver {
    pub socket: Arc<UdpSocket>,
    /// The caller's media address from the SDP; packets from another IP address are dropped.
    pub expected: Option<SocketAddr>,
    pub telephone_event: Option<u8>,
    pub media_timeout: Duration,
    pub remote: watch::Sender<Option<SocketAddr>>,
    pub events: mpsc::Sender<MediaEvent>,
    pub stats: Arc<ReceiveStats>,
    pub cancel: CancellationToken,
}

impl Receiver {
    /// Reads until cancelled. Ends quietly; the socket closes when the last `Arc` goes.
    pub async fn run(self) {
        let mut decoder = TelephoneEventDecoder::new();
        let mut buf = vec![0u8; 2048];
        let expected_ip = self.expected.map(|a| a.ip());
        loop {
            let received = tokio::select! {
                _ = self.cancel.cancelled() => return,
                r = tokio::time::timeout(self.media_timeout, self.recv_valid(&mut buf, expected_ip)) => r,
            };
            let (len, source) = match received {
                Ok(Some(datagram)) => datagram,
                Ok(None) => return, // the socket failed: nothing more will come
                Err(_elapsed) => {
                    if self.events.send(MediaEvent::Silent).await.is_err() {
                        return;
                    }
                    continue;
                }
            };
            if *self.remote.borrow() != Some(source) {
                // Symmetric RTP: answer where the caller's packets really come from (a NAT may
                // change the port the SDP announced).
                self.remote.send_replace(Some(source));
            }
            let Ok(packet) = rtp::packet::Packet::unmarshal(&mut &buf[..len]) else {
                self.stats.malformed.fetch_add(1, Ordering::Relaxed);
                continue;
            };
            if Some(packet.header.payload_type) == self.telephone_event {
                if let Some(digit) = decoder.push(packet.header.timestamp, &packet.payload) {
                    if self.events.send(MediaEvent::Dtmf(digit)).await.is_err() {
                        return;
                    }
                }
            }
        }
    }

    /// The next datagram from the caller's IP address; the rest is counted and dropped (a
    /// flood from a wrong source neither reaches the call nor keeps its media alive).
    async fn recv_valid(&self, buf: &mut [u8], expected_ip: Option<IpAddr>) -> Option<(usize, SocketAddr)> {
        loop {
            let (len, source) = self.socket.recv_from(buf).await.ok()?;
            if expected_ip.is_some_and(|ip| ip != source.ip()) {
                self.stats.from_wrong_source.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            self.stats.packets.fetch_add(1, Ordering::Relaxed);
            return Some((len, source));
        }
    }
}
