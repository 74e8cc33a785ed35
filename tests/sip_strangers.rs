//! The trunk against the tools attackers use. A host of its own (a network namespace joined by a
//! veth pair, so that its traffic really comes from another address) runs Debian's SIPVicious
//! (svmap, svwar, svcrack) and an INVITE flood (sipp) at the center while the carrier (the trunk
//! peer) places calls: every trunk call is answered and hears its prompt, the stranger gets
//! nothing back and leaves no record, the center's counters say the stranger's traffic arrived,
//! and memory stays bounded. And a trunk connection that sends requests and never reads what
//! it is answered cannot hold up anyone else.

// The test is an edge: it reads the clock.
#![allow(clippy::disallowed_methods)]

mod common;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::Duration;

use common::center::{Center, Options, find_prompt, free_udp_port, phone, prompt_frames, repo, sipp};
use common::netns::{Stranger, enter_loopback_namespace};
use tokio::io::AsyncWriteExt;
use tokio::net::UdpSocket;
use tsunagu::lang::Lang;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// This process's resident memory, in KB.
fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[test]
fn scanners_and_an_invite_flood_from_a_stranger_get_nothing_while_trunk_calls_go_through() {
    enter_loopback_namespace();
    let stranger = Stranger::new();
    runtime().block_on(async {
        let ours = stranger.ours;
        let center = Center::start(Options {
            ip: ours.into(),
            trunk_peers: vec![format!("{ours}/32")],
            ..Options::default()
        })
        .await;
        let target = center.sip().to_string();
        let port = center.sip().port().to_string();
        let memory_before = rss_kb();

        let tools = [
            stranger
                .command("svmap")
                .args([&ours.to_string(), "-p", &port])
                .output(),
            stranger
                .command("svwar")
                .args(["-e100-300", "-m", "INVITE", &ours.to_string(), "-p", &port])
                .output(),
            stranger
                .command("svcrack")
                .args(["-u", "100", "-r", "1000-1300", &ours.to_string(), "-p", &port])
                .output(),
        ];
        // The flood: INVITEs as fast as the budget of a real carrier would allow, for 10 s.
        let flood = stranger
            .command("sipp")
            .args([&target, "-sn", "uac", "-s", "0120380366"])
            .args(["-i", &stranger.theirs.to_string(), "-p", "5070", "-mp", "6000"])
            .args(["-r", "400", "-m", "4000", "-l", "4000", "-nostdin", "-timeout", "20s"])
            .output();
        // Meanwhile the carrier: ten callers, each hearing the greeting and hanging up.
        let mut callers = Vec::new();
        for _ in 0..10 {
            let socket = UdpSocket::bind(SocketAddr::new(ours.into(), 0))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let rtp_port = socket.local_addr().map(|a| a.port()).unwrap_or_else(|e| panic!("{e}"));
            let listening = tokio::spawn(phone(socket, Vec::new(), Duration::from_secs(20)));
            let call = tokio::process::Command::new("sipp")
                .arg(&target)
                .args(["-sf", &repo().join("tests/sipp/caller_hangs_up.xml").to_string_lossy()])
                .args([
                    "-s",
                    "0120380366",
                    "-key",
                    "caller",
                    "0311112222",
                    "-key",
                    "rtp_port",
                    &rtp_port.to_string(),
                ])
                .args([
                    "-i",
                    &ours.to_string(),
                    "-p",
                    &free_udp_port().to_string(),
                    "-mp",
                    &free_udp_port().to_string(),
                ])
                .args(["-m", "1", "-d", "6000", "-nostdin", "-timeout", "60s", "-timeout_error"])
                .kill_on_drop(true)
                .output();
            callers.push((call, listening));
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        let greeting = prompt_frames(Lang::Ja, "greeting");
        for (call, listening) in callers {
            let out = call.await.unwrap_or_else(|e| panic!("{e}"));
            assert!(
                out.status.success(),
                "a trunk call failed during the attack: {}",
                String::from_utf8_lossy(&out.stdout)
            );
            let heard = listening.await.unwrap_or_else(|e| panic!("{e}"));
            assert!(
                find_prompt(&heard, &greeting, 100).is_some(),
                "a trunk caller did not hear the greeting during the attack"
            );
        }
        for tool in tools {
            let out = tool.await.unwrap_or_else(|e| panic!("{e}"));
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                !text.contains("tsunagu") && !text.contains(&format!("{ours}:{port} ")),
                "a scanner found the center:\n{text}"
            );
        }
        let flood = flood.await.unwrap_or_else(|e| panic!("{e}"));
        let flood_out = String::from_utf8_lossy(&flood.stdout);
        let answered = flood_out
            .lines()
            .filter(|l| l.contains("<----------"))
            .filter_map(|l| l.split_whitespace().nth(2).and_then(|n| n.parse::<u64>().ok()))
            .sum::<u64>();
        assert_eq!(answered, 0, "the flood got answers:\n{flood_out}");

        let strangers = center.running.sip.stats.strangers.seen.load(Ordering::Relaxed);
        assert!(
            strangers >= 4000,
            "the stranger's traffic arrived from the stranger's address: {strangers} counted"
        );
        let calls = center.calls_today().await;
        assert_eq!(calls.len(), 10, "the stranger left no record; every trunk call has one");
        assert!(
            calls
                .iter()
                .all(|c| c.labels().iter().any(|s| s.starts_with("ivr_answered")))
        );
        let grown = rss_kb().saturating_sub(memory_before);
        eprintln!("{strangers} stranger datagrams and connections; the process grew by {grown} KB");
        assert!(grown < 64 * 1024, "memory grew by {grown} KB under the attack");
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trunk_connection_that_never_reads_holds_up_nobody() {
    let center = Center::start(Options::default()).await;
    // A peer on the trunk's network (127.0.0.2) that sends OPTIONS over TCP as fast as it can
    // with a 4 KB receive buffer and never reads an answer.
    let socket = tokio::net::TcpSocket::new_v4().unwrap_or_else(|e| panic!("{e}"));
    socket.set_recv_buffer_size(4096).unwrap_or_else(|e| panic!("{e}"));
    socket
        .bind("127.0.0.2:0".parse().unwrap_or_else(|e| panic!("{e}")))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut stream = socket.connect(center.sip()).await.unwrap_or_else(|e| panic!("{e}"));
    let local = stream.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let writer = tokio::spawn(async move {
        for n in 0..60_000u32 {
            let options = format!(
                "OPTIONS sip:0120380366@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP {local};branch=z9hG4bK-slow-{n}\r\n\
                 From: <sip:slow@{local}>;tag=slow\r\nTo: <sip:0120380366@127.0.0.1>\r\nCall-ID: slow-{n}@test\r\n\
                 CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
            );
            if tokio::time::timeout(Duration::from_secs(5), stream.write_all(options.as_bytes()))
                .await
                .map_or(true, |r| r.is_err())
            {
                return (n, stream);
            }
        }
        (60_000, stream)
    });
    // Wait until the slow peer has filled what it can: its writes stall.
    let datagrams_before = center.running.sip.stats.options.load(Ordering::Relaxed);
    for _ in 0..200 {
        if center.running.sip.stats.options.load(Ordering::Relaxed) > datagrams_before + 500 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Meanwhile a UDP OPTIONS and a whole call from the trunk (127.0.0.1) go through.
    let answer = common::center::options_answer(center.sip()).await;
    assert!(answer.starts_with("SIP/2.0 200"), "{answer}");
    let phone_socket = UdpSocket::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
    let port = phone_socket
        .local_addr()
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{e}"));
    let listening = tokio::spawn(phone(phone_socket, Vec::new(), Duration::from_secs(20)));
    let (status, output) = sipp(&center, "caller_hangs_up.xml", port, 3000).await;
    assert_eq!(status, Some(0), "a trunk call while a peer does not read:\n{output}");
    let heard = listening.await.unwrap_or_else(|e| panic!("{e}"));
    assert!(heard.len() > 100, "the caller heard the IVR: {} packets", heard.len());
    let (sent, _stream) = writer.await.unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "the slow peer sent {sent} OPTIONS; {} answered, {} over its budget, {} replies given up",
        center.running.sip.stats.options.load(Ordering::Relaxed),
        center.running.sip.stats.over_budget.load(Ordering::Relaxed),
        center.running.sip.stats.replies_dropped.load(Ordering::Relaxed)
    );
}
