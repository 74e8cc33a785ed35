//! The RFC 4475 torture messages against a running center, over UDP: what each one gets.

mod common;

use std::time::Duration;

use common::center::{Center, Options, repo};
use tokio::net::UdpSocket;

/// The status code of the first final response, or `None` when nothing came back.
async fn answer_to(center: &Center, message: &[u8]) -> Option<u16> {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
    socket
        .send_to(message, center.sip())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut buf = vec![0u8; 65536];
    loop {
        let n = tokio::time::timeout(Duration::from_millis(1500), socket.recv(&mut buf))
            .await
            .ok()?
            .ok()?;
        let text = String::from_utf8_lossy(&buf[..n]);
        let code = text
            .strip_prefix("SIP/2.0 ")
            .and_then(|rest| rest.get(..3))
            .and_then(|c| c.parse::<u16>().ok());
        match code {
            Some(code) if code >= 200 => return Some(code),
            Some(_) => continue,
            None => return None,
        }
    }
}

/// What each RFC 4475 message gets from tsunagu, and why where it differs from a plain UAS.
/// The center under test only allows RTP to loopback, so the INVITEs whose SDP points at the
/// RFC's documentation addresses are parsed, negotiated and refused with 488 (media address not
/// allowed): they are handled, and no RTP leaves the machine.
const EXPECTED: &[(&str, Option<u16>)] = &[
    // 3.1.1 valid messages
    ("wsinv", Some(400)), // rsipstack cannot read its From tag ("tag = …" folded over lines): 400, not silence
    ("intmeth", Some(501)),
    ("esc01", Some(488)),
    ("escnull", Some(405)), // REGISTER: not a registrar
    ("esc02", Some(501)),
    ("lwsdisp", Some(200)),
    ("longreq", Some(488)),
    ("dblreq", Some(405)),
    ("semiuri", Some(200)),
    ("transports", Some(200)),
    ("mpart01", Some(405)), // MESSAGE: not taken on a trunk
    ("unreason", None),     // responses are never answered
    ("noreason", None),
    // 3.1.2 invalid messages
    ("badinv01", Some(488)),
    ("clerr", Some(400)),
    ("ncl", Some(400)),
    ("scalar02", Some(400)),
    ("scalarlg", None),
    ("quotbal", Some(488)),
    ("ltgtruri", Some(400)),
    ("lwsruri", Some(400)),
    ("lwsstart", Some(400)),
    ("trws", Some(400)),
    ("escruri", Some(488)),
    ("baddate", Some(488)),
    ("regbadct", Some(405)),
    ("badaspec", Some(400)),
    ("baddn", Some(400)),
    ("badvers", Some(505)),
    ("mismatch01", Some(400)),
    ("mismatch02", Some(501)),
    ("bigcode", None),
    // 3.2-3.4 semantics
    ("badbranch", Some(200)), // RFC 4475 allows RFC 2543 transaction matching
    ("insuf", None),          // no To, From, Call-ID: nothing a response could be routed with
    ("unkscm", Some(416)),
    ("novelsc", Some(416)),
    ("unksm2", Some(405)),
    ("bext01", Some(420)),
    ("invut", Some(415)),
    ("regaut01", Some(405)),
    ("multi01", Some(400)),
    ("mcl01", Some(400)),
    ("bcast", None),
    ("zeromf", Some(200)),
    ("cparam01", Some(405)),
    ("cparam02", Some(405)),
    ("regescrt", Some(405)),
    ("sdp01", Some(488)),
    ("inv2543", Some(400)), // no From tag: RFC 2543 peers are not supported (said in the reason phrase)
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_torture_message_gets_a_clear_answer_and_the_service_stays_up() {
    let center = Center::start(Options {
        rtp_peers: vec!["127.0.0.0/8".into()],
        ..Options::default()
    })
    .await;
    let index = std::fs::read_to_string(repo().join("tests/data/rfc4475/INDEX.tsv")).unwrap_or_else(|e| panic!("{e}"));
    let mut checked = 0;
    let mut wrong = Vec::new();
    for line in index.lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        let (name, dir) = (cols[0], cols[1]);
        let path = repo().join("tests/data/rfc4475").join(dir).join(format!("{name}.sip"));
        let message = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let expected = EXPECTED
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, e)| *e)
            .unwrap_or_else(|| panic!("no expectation for {name}"));
        let got = answer_to(&center, &message).await;
        if got != expected {
            wrong.push(format!("{name} ({dir}): expected {expected:?}, got {got:?}"));
        }
        // An invalid message is never accepted.
        if dir == "invalid" {
            assert!(got.is_none_or(|code| code >= 300), "{name} was accepted with {got:?}");
        }
        checked += 1;
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(checked, EXPECTED.len());
    // Still serving, and none of it became a call.
    let options = std::fs::read(repo().join("tests/data/rfc4475/valid/lwsdisp.sip")).unwrap_or_default();
    assert_eq!(answer_to(&center, &options).await, Some(200));
    assert_eq!(
        center
            .calls_today()
            .await
            .iter()
            .filter(|c| c.labels().iter().any(|s| s.starts_with("ivr_answered")))
            .count(),
        0
    );
    assert_eq!(center.settle().await, (0, 0));
}
