//! The SIP UDP socket, wrapped so that what the stack would drop silently is counted and, when
//! it is a request from a trunk peer, answered: a datagram that does not parse as SIP never
//! reaches rsipstack (it would drop it with only a debug log), a malformed request line gets
//! its 400/501/505 here (see [`super::raw`]), and the operator sees how many there were.

use std::net::SocketAddr;
use std::sync::Arc;

use super::peers::PeerAllowList;
use super::raw;
use super::strangers::Strangers;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct DatagramStats {
    pub received: AtomicU64,
    /// Not SIP at all, or SIP that rsipstack cannot parse.
    pub unparsable: AtomicU64,
    /// Refused at our edge from the raw bytes (malformed request line, bad framing).
    pub refused: AtomicU64,
}

pub struct GuardedUdpSocket {
    pub socket: tokio::net::UdpSocket,
    pub stats: Arc<DatagramStats>,
    /// Only trunk peers get an answer from here (no answers to be reflected at others).
    pub peers: PeerAllowList,
    /// Strangers' datagrams are dropped before they are parsed, unless they are to be answered.
    pub strangers: Arc<Strangers>,
    pub answer_strangers: bool,
}

impl GuardedUdpSocket {
    async fn answer(&self, datagram: &[u8], source: SocketAddr, code: u16, reason: &str) {
        if !self.peers.allows(source.ip()) {
            return;
        }
        if let Some(response) = raw::response(datagram, code, reason) {
            let _ = self.socket.send_to(&response, source).await;
        }
    }
}

fn has_readable_from_tag(request: &rsipstack::sip::Request) -> bool {
    use rsipstack::sip::prelude::HeadersExt;
    request.method == rsipstack::sip::Method::Ack || matches!(request.from_header().and_then(|f| f.tag()), Ok(Some(_)))
}

/// A keep-alive (RFC 5626 CRLF) or padding: let the stack answer it.
fn is_keepalive(datagram: &[u8]) -> bool {
    datagram.iter().all(|b| b.is_ascii_whitespace())
}

#[async_trait::async_trait]
impl rsipstack::platform::net::UdpSocket for GuardedUdpSocket {
    async fn recv_from(&self, buf: &mut [u8]) -> rsipstack::Result<(usize, SocketAddr)> {
        loop {
            let (len, source) = self.socket.recv_from(buf).await?;
            self.stats.received.fetch_add(1, Ordering::Relaxed);
            if !self.answer_strangers && !self.peers.allows(source.ip()) {
                self.strangers.seen(source, "udp");
                continue;
            }
            let len = raw::unfold_in_place(buf, len);
            let datagram = &buf[..len];
            if is_keepalive(datagram) {
                return Ok((len, source));
            }
            if let raw::Verdict::Reject(code, reason) = raw::check(datagram) {
                self.stats.refused.fetch_add(1, Ordering::Relaxed);
                tracing::info!(%source, code, reason, "refused a malformed request");
                self.answer(datagram, source, code, reason).await;
                continue;
            }
            match rsipstack::sip::SipMessage::try_from(datagram) {
                Ok(rsipstack::sip::SipMessage::Request(request)) if !has_readable_from_tag(&request) => {
                    // rsipstack would drop it on its way to a transaction ("from tags missing"):
                    // answer instead of leaving the sender to retransmit into silence.
                    self.stats.refused.fetch_add(1, Ordering::Relaxed);
                    self.answer(datagram, source, 400, "Bad Request (unreadable From tag)")
                        .await;
                    continue;
                }
                Ok(_) => return Ok((len, source)),
                Err(_) => {}
            }
            self.stats.unparsable.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(%source, len, "dropped a datagram that does not parse as SIP");
            if raw::is_request(datagram) {
                self.answer(datagram, source, 400, "Bad Request (unparsable)").await;
            }
        }
    }

    async fn send_to(&self, buf: &[u8], addr: SocketAddr) -> rsipstack::Result<usize> {
        Ok(self.socket.send_to(buf, addr).await?)
    }

    fn local_addr(&self) -> rsipstack::Result<SocketAddr> {
        Ok(self.socket.local_addr()?)
    }
}
