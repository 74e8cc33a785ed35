//! Optional digest authentication of the trunk peer's INVITEs (RFC 3261 §22, RFC 2617 MD5 with
//! `qop=auth`): an INVITE without valid credentials gets 401 with a fresh nonce. A captured
//! Authorization header cannot be replayed: with `qop=auth` the nonce count must grow, without
//! it a nonce is good for one INVITE; the digest's `uri` must be the Request-URI; a nonce older
//! than its lifetime is answered `stale=true` so that the carrier retries at once. Responses are
//! compared in constant time.
//!
//! The header is parsed and the digest computed here rather than by rsipstack: its parser keeps
//! the nonce count as a decimal `u8` (RFC 2617 spells it as 8 hex digits, and counts past 255)
//! and re-renders the `uri`, which must be compared as the client sent it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use md5::{Digest, Md5};
use subtle::ConstantTimeEq;

/// The credentials the trunk peer must present (`[sip.auth]` in the configuration).
#[derive(Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrunkCredentials {
    pub realm: String,
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for TrunkCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The password never reaches a log.
        f.debug_struct("TrunkCredentials")
            .field("realm", &self.realm)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// How long a nonce may be answered.
const NONCE_LIFETIME: Duration = Duration::from_secs(300);
/// How long an expired nonce is remembered (to answer `stale=true` rather than a plain 401).
const NONCE_MEMORY: Duration = Duration::from_secs(900);
/// At most this many outstanding nonces (a flood of unauthenticated INVITEs cannot grow it).
const MAX_NONCES: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct Issued {
    at: Instant,
    /// The highest nonce count accepted with it (`qop=auth`), or 0 once used without qop.
    used: Option<u32>,
}

/// The nonces handed out. Owned by the edge's request loop.
#[derive(Debug, Default)]
pub struct Nonces {
    issued: HashMap<String, Issued>,
}

/// The outcome of checking an INVITE.
#[derive(Debug, PartialEq, Eq)]
pub enum Check {
    Authorized,
    /// Challenge with this `WWW-Authenticate` value.
    Challenge(String),
}

/// The parameters of a `Digest` Authorization header, as sent.
#[derive(Debug, Default, PartialEq, Eq)]
struct DigestParams {
    username: String,
    realm: String,
    nonce: String,
    uri: String,
    response: String,
    qop: Option<String>,
    nc: Option<String>,
    cnonce: Option<String>,
    algorithm: Option<String>,
}

/// `Digest a="b", c=d, …`; `None` for anything else.
fn parse(value: &str) -> Option<DigestParams> {
    let rest = value.trim().strip_prefix("Digest")?;
    if !rest.starts_with(char::is_whitespace) {
        return None;
    }
    let mut params = DigestParams::default();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        let name: String = chars
            .by_ref()
            .take_while(|c| *c != '=')
            .collect::<String>()
            .trim()
            .to_ascii_lowercase();
        if name.is_empty() {
            break;
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let value = if chars.peek() == Some(&'"') {
            chars.next();
            let mut value = String::new();
            loop {
                match chars.next()? {
                    '\\' => value.push(chars.next()?),
                    '"' => break,
                    c => value.push(c),
                }
            }
            value
        } else {
            chars
                .by_ref()
                .take_while(|c| *c != ',')
                .collect::<String>()
                .trim()
                .to_string()
        };
        match name.as_str() {
            "username" => params.username = value,
            "realm" => params.realm = value,
            "nonce" => params.nonce = value,
            "uri" => params.uri = value,
            "response" => params.response = value.to_ascii_lowercase(),
            "qop" => params.qop = Some(value.to_ascii_lowercase()),
            "nc" => params.nc = Some(value),
            "cnonce" => params.cnonce = Some(value),
            "algorithm" => params.algorithm = Some(value.to_ascii_lowercase()),
            _ => {}
        }
    }
    Some(params)
}

/// Whether the digest's `uri` names the Request-URI's resource (RFC 2617 §3.2.2.5): the same
/// scheme, host and port, and the same user when the digest names one. Some clients (sipp among
/// them) leave the user part out of the digest's uri; the response still binds the host and port,
/// and a replay is stopped by the nonce count either way.
fn same_resource(digest_uri: &str, request_uri: &str) -> bool {
    if digest_uri == request_uri {
        return true;
    }
    let (Ok(digest), Ok(request)) = (
        rsipstack::sip::Uri::try_from(digest_uri),
        rsipstack::sip::Uri::try_from(request_uri),
    ) else {
        return false;
    };
    digest.scheme == request.scheme
        && digest.host_with_port == request.host_with_port
        && digest.user().is_none_or(|user| request.user() == Some(user))
}

fn md5_hex(text: &str) -> String {
    let digest = Md5::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The response the client should have sent (RFC 2617 §3.2.2, MD5).
fn expected_response(params: &DigestParams, password: &str, method: &str) -> String {
    let ha1 = md5_hex(&format!("{}:{}:{password}", params.username, params.realm));
    let ha2 = md5_hex(&format!("{method}:{}", params.uri));
    match (&params.qop, &params.nc, &params.cnonce) {
        (Some(qop), Some(nc), Some(cnonce)) => md5_hex(&format!("{ha1}:{}:{nc}:{cnonce}:{qop}:{ha2}", params.nonce)),
        _ => md5_hex(&format!("{ha1}:{}:{ha2}", params.nonce)),
    }
}

impl Nonces {
    /// Checks the `Authorization` header value of an INVITE (`None` when absent) whose
    /// Request-URI is `request_uri`, at `now`.
    pub fn check(
        &mut self,
        credentials: &TrunkCredentials,
        authorization: Option<&str>,
        request_uri: &str,
        now: Instant,
    ) -> Check {
        self.issued
            .retain(|_, issued| now.saturating_duration_since(issued.at) < NONCE_MEMORY);
        let mut stale = false;
        if let Some(params) = authorization.and_then(parse) {
            let algorithm_ok = params.algorithm.as_deref().is_none_or(|a| a == "md5");
            let qop_ok = params.qop.as_deref().is_none_or(|q| q == "auth");
            let right = algorithm_ok
                && qop_ok
                && params.username == credentials.username
                && params.realm == credentials.realm
                && same_resource(&params.uri, request_uri)
                && bool::from(
                    expected_response(&params, &credentials.password, "INVITE")
                        .as_bytes()
                        .ct_eq(params.response.as_bytes()),
                );
            if let (true, Some(issued)) = (right, self.issued.get_mut(&params.nonce)) {
                if now.saturating_duration_since(issued.at) >= NONCE_LIFETIME {
                    stale = true;
                } else {
                    let count = params.nc.as_deref().map(|nc| u32::from_str_radix(nc, 16).ok());
                    let fresh = match (count, issued.used) {
                        // qop=auth: the count must grow (a replay repeats it).
                        (Some(Some(nc)), used) => used.is_none_or(|last| nc > last),
                        (Some(None), _) => false,
                        // No qop: one INVITE per nonce.
                        (None, used) => used.is_none(),
                    };
                    if fresh {
                        issued.used = Some(count.flatten().unwrap_or(0));
                        return Check::Authorized;
                    }
                }
            }
        }
        if self.issued.len() >= MAX_NONCES {
            if let Some(oldest) = self.issued.iter().min_by_key(|(_, i)| i.at).map(|(n, _)| n.clone()) {
                self.issued.remove(&oldest);
            }
        }
        let nonce = format!("{:016x}{:016x}", rand::random::<u64>(), rand::random::<u64>());
        self.issued.insert(nonce.clone(), Issued { at: now, used: None });
        let stale = if stale { ", stale=true" } else { "" };
        Check::Challenge(format!(
            "Digest realm=\"{}\", nonce=\"{nonce}\", algorithm=MD5, qop=\"auth\"{stale}",
            credentials.realm
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const URI: &str = "sip:0120380366@127.0.0.1:5060";

    fn credentials() -> TrunkCredentials {
        TrunkCredentials {
            realm: "tsunagu".into(),
            username: "carrier".into(),
            password: "s3cret".into(),
        }
    }

    fn nonce_of(challenge: &str) -> String {
        challenge
            .split("nonce=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap_or_default()
            .to_string()
    }

    /// An Authorization header as a carrier computes it, with `qop=auth` and count `nc` when
    /// given, for `uri`.
    fn answer(challenge: &str, password: &str, nc: Option<u32>, uri: &str) -> String {
        let mut params = DigestParams {
            username: "carrier".into(),
            realm: "tsunagu".into(),
            nonce: nonce_of(challenge),
            uri: uri.into(),
            ..DigestParams::default()
        };
        if let Some(nc) = nc {
            params.qop = Some("auth".into());
            params.nc = Some(format!("{nc:08x}"));
            params.cnonce = Some("0a4f113b".into());
        }
        let response = expected_response(&params, password, "INVITE");
        let qop = match &params.nc {
            Some(nc) => format!(", qop=auth, nc={nc}, cnonce=\"0a4f113b\""),
            None => String::new(),
        };
        format!(
            "Digest username=\"carrier\", realm=\"tsunagu\", nonce=\"{}\", uri=\"{uri}\", response=\"{response}\", algorithm=MD5{qop}",
            params.nonce
        )
    }

    fn challenge(nonces: &mut Nonces, now: Instant) -> String {
        match nonces.check(&credentials(), None, URI, now) {
            Check::Challenge(c) => c,
            Check::Authorized => panic!("authorized without credentials"),
        }
    }

    /// RFC 2617 §3.5's example, to check the arithmetic against the standard.
    #[test]
    fn the_digest_is_the_rfcs() {
        let params = DigestParams {
            username: "Mufasa".into(),
            realm: "testrealm@host.com".into(),
            nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093".into(),
            uri: "/dir/index.html".into(),
            qop: Some("auth".into()),
            nc: Some("00000001".into()),
            cnonce: Some("0a4f113b".into()),
            ..DigestParams::default()
        };
        assert_eq!(
            expected_response(&params, "Circle Of Life", "GET"),
            "6629fae49393a05397450978507c4ef1"
        );
        let parsed = parse(
            r#"Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41""#,
        )
        .unwrap_or_else(|| panic!("parses"));
        assert_eq!(parsed.response, "6629fae49393a05397450978507c4ef1");
        assert_eq!(parsed.nc.as_deref(), Some("00000001"));
        assert!(parse("Basic dXNlcjpwYXNz").is_none());
    }

    #[test]
    #[allow(clippy::disallowed_methods)] // one real instant as the base of simulated time
    fn a_right_answer_passes_once_per_count_and_a_captured_header_cannot_be_replayed() {
        let mut nonces = Nonces::default();
        let t0 = Instant::now();
        let c = challenge(&mut nonces, t0);
        assert!(c.contains("qop=\"auth\"") && !c.contains("stale"), "{c}");
        let first = answer(&c, "s3cret", Some(1), URI);
        assert_eq!(nonces.check(&credentials(), Some(&first), URI, t0), Check::Authorized);
        // The captured header again: refused.
        assert!(matches!(
            nonces.check(&credentials(), Some(&first), URI, t0),
            Check::Challenge(_)
        ));
        // The carrier's next INVITE on the same nonce counts on (past 255 too, in hex).
        for nc in [2, 10, 300] {
            let next = answer(&c, "s3cret", Some(nc), URI);
            assert_eq!(
                nonces.check(&credentials(), Some(&next), URI, t0),
                Check::Authorized,
                "nc {nc}"
            );
        }
        // A client that leaves the user out of the digest's uri names the same host and port.
        let hostonly = answer(&c, "s3cret", Some(301), "sip:127.0.0.1:5060");
        assert_eq!(
            nonces.check(&credentials(), Some(&hostonly), URI, t0),
            Check::Authorized
        );
        let back = answer(&c, "s3cret", Some(299), URI);
        assert!(matches!(
            nonces.check(&credentials(), Some(&back), URI, t0),
            Check::Challenge(_)
        ));
        // Without qop a nonce is good for one INVITE.
        let c = challenge(&mut nonces, t0);
        let plain = answer(&c, "s3cret", None, URI);
        assert_eq!(nonces.check(&credentials(), Some(&plain), URI, t0), Check::Authorized);
        assert!(matches!(
            nonces.check(&credentials(), Some(&plain), URI, t0),
            Check::Challenge(_)
        ));
    }

    #[test]
    #[allow(clippy::disallowed_methods)]
    fn a_wrong_password_another_uri_and_an_old_nonce_are_challenged() {
        let mut nonces = Nonces::default();
        let t0 = Instant::now();
        let c = challenge(&mut nonces, t0);
        for wrong in [
            answer(&c, "wrong", Some(1), URI),
            // Computed for another Request-URI than the INVITE's.
            answer(&c, "s3cret", Some(1), "sip:0570000000@127.0.0.1:5060"),
            answer(&c, "s3cret", Some(1), "sip:127.0.0.1:5070"),
        ] {
            match nonces.check(&credentials(), Some(&wrong), URI, t0) {
                Check::Challenge(c) => assert!(!c.contains("stale"), "{c}"),
                Check::Authorized => panic!("{wrong}"),
            }
        }
        // Right, but the nonce is too old: stale, so the carrier retries at once.
        let late = t0 + NONCE_LIFETIME + Duration::from_secs(1);
        match nonces.check(&credentials(), Some(&answer(&c, "s3cret", Some(1), URI)), URI, late) {
            Check::Challenge(c) => assert!(c.ends_with("stale=true"), "{c}"),
            Check::Authorized => panic!("an old nonce passed"),
        }
        // A nonce we never issued is not stale, just refused.
        let forged = answer("nonce=\"0123\"", "s3cret", Some(1), URI);
        match nonces.check(&credentials(), Some(&forged), URI, t0) {
            Check::Challenge(c) => assert!(!c.contains("stale"), "{c}"),
            Check::Authorized => panic!("a forged nonce passed"),
        }
        assert!(!format!("{:?}", credentials()).contains("s3cret"));
    }
}
