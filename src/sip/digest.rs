//! Optional digest authentication of the trunk peer's INVITEs (RFC 3261 §22, RFC 2617 MD5):
//! when configured, an INVITE without valid credentials gets 401 with a fresh nonce. The digest
//! arithmetic is rsipstack's (`DigestGenerator`); the nonces and the decision are ours.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rsipstack::sip::Method;
use rsipstack::sip::headers::typed::Authorization;
use rsipstack::sip::services::DigestGenerator;

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
/// At most this many outstanding nonces (a flood of unauthenticated INVITEs cannot grow it).
const MAX_NONCES: usize = 4096;

/// The nonces handed out, with when they were issued. Owned by the edge's request loop.
#[derive(Debug, Default)]
pub struct Nonces {
    issued: HashMap<String, Instant>,
}

/// The outcome of checking an INVITE.
#[derive(Debug, PartialEq, Eq)]
pub enum Check {
    Authorized,
    /// Challenge with this `WWW-Authenticate` value.
    Challenge(String),
}

impl Nonces {
    /// Checks the `Authorization` header value of an INVITE (`None` when absent) at `now`.
    pub fn check(&mut self, credentials: &TrunkCredentials, authorization: Option<&str>, now: Instant) -> Check {
        self.issued.retain(|_, at| now.duration_since(*at) < NONCE_LIFETIME);
        if let Some(auth) = authorization.and_then(|value| Authorization::parse(value).ok()) {
            let fresh = self.issued.contains_key(&auth.nonce);
            let method = Method::Invite;
            let valid = fresh
                && auth.username == credentials.username
                && auth.realm == credentials.realm
                && DigestGenerator::from(&auth, &credentials.password, &method).verify(&auth.response);
            if valid {
                return Check::Authorized;
            }
        }
        if self.issued.len() >= MAX_NONCES {
            if let Some(oldest) = self.issued.iter().min_by_key(|(_, at)| **at).map(|(n, _)| n.clone()) {
                self.issued.remove(&oldest);
            }
        }
        let nonce = format!("{:016x}{:016x}", rand::random::<u64>(), rand::random::<u64>());
        self.issued.insert(nonce.clone(), now);
        Check::Challenge(format!(
            "Digest realm=\"{}\", nonce=\"{nonce}\", algorithm=MD5",
            credentials.realm
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credentials() -> TrunkCredentials {
        TrunkCredentials {
            realm: "tsunagu".into(),
            username: "carrier".into(),
            password: "s3cret".into(),
        }
    }

    fn answer(challenge: &str, password: &str) -> String {
        let nonce = challenge
            .split("nonce=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap_or_default();
        let uri: rsipstack::sip::Uri = "sip:0120380366@127.0.0.1"
            .try_into()
            .unwrap_or_else(|e| panic!("{e:?}"));
        let method = Method::Invite;
        let generator = DigestGenerator {
            username: "carrier",
            password,
            nonce,
            uri: &uri,
            realm: "tsunagu",
            method: &method,
            qop: None,
            algorithm: rsipstack::sip::headers::auth::Algorithm::Md5,
        };
        format!(
            "Digest username=\"carrier\", realm=\"tsunagu\", nonce=\"{nonce}\", uri=\"sip:0120380366@127.0.0.1\", response=\"{}\", algorithm=MD5",
            generator.compute()
        )
    }

    #[test]
    #[allow(clippy::disallowed_methods)] // one real instant as the base of simulated time
    fn a_right_answer_to_a_fresh_nonce_passes_and_anything_else_is_challenged() {
        let mut nonces = Nonces::default();
        let t0 = Instant::now();
        let Check::Challenge(challenge) = nonces.check(&credentials(), None, t0) else {
            panic!("no challenge")
        };
        assert!(
            challenge.starts_with("Digest realm=\"tsunagu\", nonce=\""),
            "{challenge}"
        );
        assert_eq!(
            nonces.check(&credentials(), Some(&answer(&challenge, "s3cret")), t0),
            Check::Authorized
        );
        assert!(matches!(
            nonces.check(&credentials(), Some(&answer(&challenge, "wrong")), t0),
            Check::Challenge(_)
        ));
        // A nonce older than its lifetime is not accepted any more.
        let late = t0 + NONCE_LIFETIME + Duration::from_secs(1);
        assert!(matches!(
            nonces.check(&credentials(), Some(&answer(&challenge, "s3cret")), late),
            Check::Challenge(_)
        ));
        assert!(!format!("{:?}", credentials()).contains("s3cret"));
    }
}
