//! The message path of the SIP edge without sockets, for fuzzing: everything our code does with
//! the bytes of a datagram before a call exists. It must never panic, whatever the bytes.

use super::raw;
use super::sdp::parse_offer;
use crate::media::dtmf::{TelephoneEventDecoder, digit_from_info};

/// Runs one datagram through the edge's checks, the minimal-response builder, rsipstack's
/// parser, the SDP offer parser (on the body) and the DTMF decoders.
pub fn message_path(data: &[u8]) {
    let mut buf = data.to_vec();
    let len = raw::unfold_in_place(&mut buf, data.len());
    let datagram = &buf[..len];
    let verdict = raw::check(datagram);
    if let raw::Verdict::Reject(code, reason) = verdict {
        let _ = raw::response(datagram, code, reason);
    }
    let _ = raw::is_request(datagram);
    if let Ok(rsipstack::sip::SipMessage::Request(request)) = rsipstack::sip::SipMessage::try_from(datagram) {
        let _ = parse_offer(&request.body);
        let _ = digit_from_info("application/dtmf-relay", &String::from_utf8_lossy(&request.body));
    }
    let _ = parse_offer(data);
    let mut decoder = TelephoneEventDecoder::new();
    for chunk in data.chunks(4) {
        let _ = decoder.push(chunk.len() as u32, chunk);
    }
}
