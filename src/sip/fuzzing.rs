//! The message paths of the SIP edge without sockets, for the fuzz targets and the garbage
//! test: everything our code does with the bytes of a datagram before a call exists, and with an
//! Authorization header. They must never panic, whatever the bytes.

use std::time::Instant;

use super::digest::{Nonces, TrunkCredentials};
use super::raw;
use super::sdp::parse_offer;
use crate::media::dtmf::{TelephoneEventDecoder, digit_from_info};

/// How far a datagram got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Refused from its raw bytes (malformed request line, framing) with this status.
    Refused(u16),
    /// Not SIP rsipstack can read.
    Unparsable,
    /// A request rsipstack reads; whether its body is a usable SDP offer.
    Request { offer: bool },
    /// A response rsipstack reads.
    Response,
}

/// Runs one datagram through the edge's checks, the minimal-response builder, rsipstack's
/// parser, the SDP offer parser (on the body) and the DTMF decoders.
pub fn message_path(data: &[u8]) -> Outcome {
    let mut buf = data.to_vec();
    let len = raw::unfold_in_place(&mut buf, data.len());
    let datagram = &buf[..len];
    let _ = raw::is_request(datagram);
    let _ = parse_offer(data);
    let mut decoder = TelephoneEventDecoder::new();
    for chunk in data.chunks(4) {
        let _ = decoder.push(chunk.len() as u32, chunk);
    }
    if let raw::Verdict::Reject(code, reason) = raw::check(datagram) {
        let _ = raw::response(datagram, code, reason);
        return Outcome::Refused(code);
    }
    match rsipstack::sip::SipMessage::try_from(datagram) {
        Ok(rsipstack::sip::SipMessage::Request(request)) => {
            let offer = parse_offer(&request.body).is_ok();
            let _ = digit_from_info("application/dtmf-relay", &String::from_utf8_lossy(&request.body));
            Outcome::Request { offer }
        }
        Ok(rsipstack::sip::SipMessage::Response(_)) => Outcome::Response,
        Err(_) => Outcome::Unparsable,
    }
}

/// Checks an Authorization header value as the edge would for an INVITE to `request_uri`;
/// true when it would be let in (it never is for fuzzed input: the nonce is not ours).
pub fn authorization_path(header: &str, request_uri: &str) -> bool {
    let credentials = TrunkCredentials {
        realm: "tsunagu".into(),
        username: "carrier".into(),
        password: "fuzz".into(),
    };
    // The edge reads the clock; here the instant is only a base for the nonces' ages.
    #[allow(clippy::disallowed_methods)]
    let now = Instant::now();
    let mut nonces = Nonces::default();
    matches!(
        nonces.check(&credentials, Some(header), request_uri, now),
        super::digest::Check::Authorized
    )
}
