//! SDP offer/answer for the trunk leg (RFC 3264): G.711 (PCMU, PCMA) and RFC 4733
//! telephone-events, nothing else. Pure: the offer's text in, our answer's text out.
//! Parsing uses the webrtc-rs `sdp` crate; the negotiation and the answer are ours.

use std::io::Cursor;
use std::net::{IpAddr, SocketAddr};

use crate::media::g711::Law;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdpError {
    #[error("the SDP does not parse: {0}")]
    Unparsable(String),
    #[error("the SDP has no audio stream")]
    NoAudio,
    #[error("no common codec: the offer has none of PCMU/8000, PCMA/8000")]
    NoCommonCodec,
    #[error("the audio stream has no usable connection address")]
    NoAddress,
}

/// Which way media flows, from the offerer's point of view (RFC 3264 §6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    /// The direction we answer with.
    pub fn answer(self) -> Direction {
        match self {
            Direction::SendRecv => Direction::SendRecv,
            Direction::SendOnly => Direction::RecvOnly,
            Direction::RecvOnly => Direction::SendOnly,
            Direction::Inactive => Direction::Inactive,
        }
    }

    fn attribute(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }
}

/// What the caller offered, reduced to what we can use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// Where the caller wants RTP; `None` for the hold address 0.0.0.0.
    pub remote: Option<SocketAddr>,
    /// The G.711 laws offered with their payload types, in the caller's order of preference.
    pub codecs: Vec<(Law, u8)>,
    /// The payload type of telephone-event/8000, if offered.
    pub telephone_event: Option<u8>,
    pub direction: Direction,
}

impl Offer {
    /// A hold: the caller will not listen (sendonly or inactive, or the old 0.0.0.0 form).
    pub fn is_hold(&self) -> bool {
        self.remote.is_none() || matches!(self.direction, Direction::SendOnly | Direction::Inactive)
    }
}

/// The outcome of the negotiation: what both sides use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Negotiated {
    pub law: Law,
    pub payload_type: u8,
    pub telephone_event: Option<u8>,
    /// Our direction in the answer.
    pub direction: Direction,
}

pub fn parse_offer(body: &[u8]) -> Result<Offer, SdpError> {
    let text = String::from_utf8_lossy(body);
    // The crate wants CRLF or LF lines and no trailing garbage; normalise what carriers send.
    let normalised: String = text.lines().map(|l| format!("{}\r\n", l.trim_end())).collect();
    let session = sdp::SessionDescription::unmarshal(&mut Cursor::new(normalised.as_bytes()))
        .map_err(|e| SdpError::Unparsable(e.to_string()))?;
    let audio = session
        .media_descriptions
        .iter()
        .find(|m| m.media_name.media == "audio" && m.media_name.port.value > 0)
        .ok_or(SdpError::NoAudio)?;
    let connection = audio
        .connection_information
        .as_ref()
        .or(session.connection_information.as_ref());
    let ip: IpAddr = connection
        .and_then(|c| c.address.as_ref())
        .and_then(|a| a.address.split('/').next().and_then(|ip| ip.parse().ok()))
        .ok_or(SdpError::NoAddress)?;
    let port = u16::try_from(audio.media_name.port.value).map_err(|_| SdpError::NoAddress)?;
    let remote = (!ip.is_unspecified()).then_some(SocketAddr::new(ip, port));

    let rtpmap = |pt: u8| -> Option<String> {
        audio.attributes.iter().filter(|a| a.key == "rtpmap").find_map(|a| {
            let value = a.value.as_deref()?;
            let (num, encoding) = value.split_once(' ')?;
            (num.trim().parse::<u8>().ok()? == pt).then(|| encoding.trim().to_ascii_lowercase())
        })
    };
    let mut codecs = Vec::new();
    let mut telephone_event = None;
    for format in &audio.media_name.formats {
        let Ok(pt) = format.parse::<u8>() else {
            continue;
        };
        let encoding = rtpmap(pt);
        let law = match (pt, encoding.as_deref()) {
            (_, Some("pcmu/8000" | "pcmu/8000/1")) | (0, None) => Some(Law::Ulaw),
            (_, Some("pcma/8000" | "pcma/8000/1")) | (8, None) => Some(Law::Alaw),
            (_, Some("telephone-event/8000" | "telephone-event/8000/1")) => {
                telephone_event.get_or_insert(pt);
                None
            }
            _ => None,
        };
        if let Some(law) = law {
            if !codecs.iter().any(|(l, _)| *l == law) {
                codecs.push((law, pt));
            }
        }
    }
    let has =
        |key: &str| audio.attributes.iter().any(|a| a.key == key) || session.attributes.iter().any(|a| a.key == key);
    let direction = if has("inactive") {
        Direction::Inactive
    } else if has("sendonly") {
        Direction::SendOnly
    } else if has("recvonly") {
        Direction::RecvOnly
    } else {
        Direction::SendRecv
    };
    Ok(Offer {
        remote,
        codecs,
        telephone_event,
        direction,
    })
}

/// Picks the caller's most preferred law among ours.
pub fn negotiate(offer: &Offer, supported: &[Law]) -> Result<Negotiated, SdpError> {
    let (law, payload_type) = offer
        .codecs
        .iter()
        .copied()
        .find(|(law, _)| supported.contains(law))
        .ok_or(SdpError::NoCommonCodec)?;
    Ok(Negotiated {
        law,
        payload_type,
        telephone_event: offer.telephone_event,
        direction: offer.direction.answer(),
    })
}

/// Our answer's SDP text. `version` goes up by one with each new answer in the dialog.
pub fn render_answer(negotiated: &Negotiated, local: SocketAddr, session_id: u64, version: u64) -> String {
    let ip_kind = if local.is_ipv6() { "IP6" } else { "IP4" };
    let ip = local.ip();
    let encoding = match negotiated.law {
        Law::Ulaw => "PCMU",
        Law::Alaw => "PCMA",
    };
    let mut formats = negotiated.payload_type.to_string();
    let mut lines = vec![format!("a=rtpmap:{} {encoding}/8000", negotiated.payload_type)];
    if let Some(te) = negotiated.telephone_event {
        formats.push_str(&format!(" {te}"));
        lines.push(format!("a=rtpmap:{te} telephone-event/8000"));
        lines.push(format!("a=fmtp:{te} 0-16"));
    }
    lines.push("a=ptime:20".to_string());
    lines.push(format!("a={}", negotiated.direction.attribute()));
    format!(
        "v=0\r\no=tsunagu {session_id} {version} IN {ip_kind} {ip}\r\ns=tsunagu\r\nc=IN {ip_kind} {ip}\r\nt=0 0\r\nm=audio {} RTP/AVP {formats}\r\n{}\r\n",
        local.port(),
        lines.join("\r\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const CARRIER_OFFER: &str = "v=0\r\no=- 123 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n\
m=audio 40000 RTP/AVP 18 8 0 101\r\na=rtpmap:18 G729/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:20\r\na=sendrecv\r\n";

    #[test]
    fn answers_with_the_callers_preferred_g711_and_telephone_events() {
        let offer = parse_offer(CARRIER_OFFER.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            offer.remote,
            Some("192.0.2.10:40000".parse().unwrap_or_else(|e| panic!("{e}")))
        );
        assert_eq!(offer.codecs, vec![(Law::Alaw, 8), (Law::Ulaw, 0)]);
        let negotiated = negotiate(&offer, &[Law::Ulaw, Law::Alaw]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (negotiated.law, negotiated.payload_type, negotiated.telephone_event),
            (Law::Alaw, 8, Some(101))
        );
        let answer = render_answer(
            &negotiated,
            "127.0.0.1:20000".parse().unwrap_or_else(|e| panic!("{e}")),
            7,
            1,
        );
        assert!(answer.contains("m=audio 20000 RTP/AVP 8 101\r\n"), "{answer}");
        assert!(answer.contains("a=rtpmap:101 telephone-event/8000\r\n"), "{answer}");
        assert!(answer.contains("a=sendrecv"), "{answer}");
        // Our answer parses as an offer would: it is valid SDP.
        assert!(parse_offer(answer.as_bytes()).is_ok());
    }

    #[test]
    fn no_common_codec_is_refused() {
        let offer = CARRIER_OFFER.replace("18 8 0 101", "18 101");
        let offer = parse_offer(offer.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(negotiate(&offer, &[Law::Ulaw, Law::Alaw]), Err(SdpError::NoCommonCodec));
    }

    #[test]
    fn hold_offers_are_recognised() {
        for (from, to) in [
            ("a=sendrecv", "a=sendonly"),
            ("a=sendrecv", "a=inactive"),
            ("c=IN IP4 192.0.2.10", "c=IN IP4 0.0.0.0"),
        ] {
            let offer = parse_offer(CARRIER_OFFER.replace(from, to).as_bytes()).unwrap_or_else(|e| panic!("{e}"));
            assert!(offer.is_hold(), "{to}");
        }
        let offer =
            parse_offer(CARRIER_OFFER.replace("a=sendrecv", "a=sendonly").as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        let negotiated = negotiate(&offer, &[Law::Ulaw]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(negotiated.direction, Direction::RecvOnly);
    }

    #[test]
    fn static_payload_types_without_rtpmap_and_garbage() {
        let bare = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 5004 RTP/AVP 0\r\n";
        let offer = parse_offer(bare.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(offer.codecs, vec![(Law::Ulaw, 0)]);
        assert!(matches!(parse_offer(b"hello"), Err(SdpError::Unparsable(_))));
        let video_only = bare.replace("m=audio", "m=video");
        assert_eq!(parse_offer(video_only.as_bytes()), Err(SdpError::NoAudio));
        let no_c = bare.replace("c=IN IP4 10.0.0.1\r\n", "");
        assert_eq!(parse_offer(no_c.as_bytes()), Err(SdpError::NoAddress));
    }
}
