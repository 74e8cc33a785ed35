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

/// What RFC 4475 (its INDEX.tsv column) asks of a UAS for a message: the answers that meet it.
#[derive(Debug)]
enum Verdict {
    /// "respond NNN (or MMM)": one of these statuses.
    Respond(Vec<u16>),
    /// "process normally": read and handled like any request; what it then gets (200, or a
    /// refusal of ours such as 405 for REGISTER or 488 for a media address we do not send to)
    /// is not a syntax error (400), and it gets an answer.
    Process,
    /// "respond NNN, or tolerate (ignore, use another rule) and process".
    RespondOrProcess(Vec<u16>),
    /// A response, or a request nothing can be answered to: silence.
    NoAnswer,
}

fn verdict(text: &str) -> Verdict {
    if text.contains("response") {
        return Verdict::NoAnswer;
    }
    if text.starts_with("process") {
        return Verdict::Process;
    }
    let codes = text
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse::<u16>().ok())
        .filter(|n| (100..700).contains(n))
        .collect();
    if ["or tolerate", "or ignore", "or use"]
        .iter()
        .any(|alternative| text.contains(alternative))
    {
        return Verdict::RespondOrProcess(codes);
    }
    Verdict::Respond(codes)
}

fn meets(verdict: &Verdict, got: Option<u16>) -> bool {
    match verdict {
        Verdict::Respond(codes) => got.is_some_and(|code| codes.contains(&code)),
        Verdict::Process => got.is_some_and(|code| code != 400),
        Verdict::RespondOrProcess(codes) => got.is_some_and(|code| codes.contains(&code) || code != 400),
        Verdict::NoAnswer => got.is_none(),
    }
}

/// Where tsunagu answers otherwise than the RFC asks, what it answers, and why. The center under
/// test sends RTP only to loopback, so the INVITEs whose SDP names the RFC's documentation
/// addresses are parsed, negotiated and refused with 488 (media address not allowed).
const DEVIATIONS: &[(&str, Option<u16>, &str)] = &[
    (
        "wsinv",
        Some(400),
        "rsipstack cannot read its From tag (folded over lines): 400 rather than silence",
    ),
    (
        "inv2543",
        Some(400),
        "no From tag: RFC 2543 peers are not supported (the reason phrase says so)",
    ),
    (
        "badinv01",
        Some(488),
        "rsipstack reads it; the INVITE is refused for its media address",
    ),
    (
        "quotbal",
        Some(488),
        "rsipstack tolerates the unbalanced quote; refused for its media address",
    ),
    (
        "regbadct",
        Some(405),
        "REGISTER is refused as such (a trunk is no registrar) before its Contact is read",
    ),
    ("unksm2", Some(405), "REGISTER: not a registrar"),
    (
        "insuf",
        None,
        "no To, From or Call-ID: nothing a response could be routed with",
    ),
    (
        "sdp01",
        Some(488),
        "no acceptable media: 488 Not Acceptable Here, as RFC 3261 asks of INVITEs",
    ),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_torture_message_gets_what_the_rfc_asks_or_a_listed_deviation() {
    let center = Center::start(Options {
        rtp_peers: vec!["127.0.0.0/8".into()],
        ..Options::default()
    })
    .await;
    let index = std::fs::read_to_string(repo().join("tests/data/rfc4475/INDEX.tsv")).unwrap_or_else(|e| panic!("{e}"));
    let mut wrong = Vec::new();
    let mut deviated = Vec::new();
    for line in index.lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        let (name, dir, asked) = (cols[0], cols[1], cols[4]);
        let path = repo().join("tests/data/rfc4475").join(dir).join(format!("{name}.sip"));
        let message = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let got = answer_to(&center, &message).await;
        // An invalid message is never accepted, deviation or not.
        if dir == "invalid" {
            assert!(got.is_none_or(|code| code >= 300), "{name} was accepted with {got:?}");
        }
        let rfc = verdict(asked);
        match DEVIATIONS.iter().find(|(n, _, _)| *n == name) {
            Some((_, ours, why)) => {
                if got != *ours {
                    wrong.push(format!("{name}: listed as answered {ours:?} ({why}), got {got:?}"));
                }
                if !meets(&rfc, got) {
                    deviated.push(name);
                }
            }
            None if !meets(&rfc, got) => wrong.push(format!("{name} ({dir}): the RFC asks '{asked}', got {got:?}")),
            None => {}
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // The deviations are few, and each one listed deviates indeed (none is stale).
    let mut listed: Vec<&str> = DEVIATIONS.iter().map(|(n, _, _)| *n).collect();
    listed.sort_unstable();
    deviated.sort_unstable();
    assert_eq!(deviated, listed, "the listed deviations are exactly those that deviate");
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
