//! The SIP UDP socket, wrapped so that what the stack would drop silently is counted: a
//! datagram that does not parse as SIP never reaches rsipstack (it would drop it with only a
//! debug log), and the operator sees how many there were.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct DatagramStats {
    pub received: AtomicU64,
    pub unparsable: AtomicU64,
}

pub struct GuardedUdpSocket {
    pub socket: tokio::net::UdpSocket,
    pub stats: Arc<DatagramStats>,
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
            let datagram = &buf[..len];
            if is_keepalive(datagram) || rsipstack::sip::SipMessage::try_from(datagram).is_ok() {
                return Ok((len, source));
            }
            self.stats.unparsable.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(%source, len, "dropped a datagram that is not SIP");
        }
    }

    async fn send_to(&self, buf: &[u8], addr: SocketAddr) -> rsipstack::Result<usize> {
        Ok(self.socket.send_to(buf, addr).await?)
    }

    fn local_addr(&self) -> rsipstack::Result<SocketAddr> {
        Ok(self.socket.local_addr()?)
    }
}
