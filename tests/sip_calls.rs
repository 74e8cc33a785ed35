//! Calls over real SIP (sipp) and real RTP (a UDP socket as the caller's phone) against a
//! running center on loopback. Each test checks what the caller hears, the call records, and
//! the day's report.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::center::{Center, Hours, Options, find_prompt, kinds, phone, prompt_frames, sipp};
use tokio::net::UdpSocket;
use tsunagu::lang::Lang;

async fn phone_socket() -> (UdpSocket, u16) {
    let socket = UdpSocket::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let port = socket.local_addr().unwrap_or_else(|e| panic!("{e}")).port();
    (socket, port)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_hours_a_caller_hears_the_greeting_chooses_english_and_waits_in_the_queue() {
    let center = Center::start(Options::default()).await;
    let (socket, port) = phone_socket().await;
    // Press 2 during the greeting (barge-in to the language menu), then 2 for English.
    let listening = tokio::spawn(phone(
        socket,
        vec![(40, '2'), (80, '2')],
        Duration::from_secs(8),
    ));
    let (status, output) = sipp(&center, "caller_hangs_up.xml", port, 7000).await;
    assert_eq!(status, Some(0), "sipp failed:\n{output}");
    let heard = listening.await.unwrap_or_else(|e| panic!("{e}"));

    // RTP as a phone expects it: one SSRC, consecutive sequence numbers, 160 samples a packet.
    assert!(heard.len() >= 300, "only {} packets in 7 s", heard.len());
    let ssrcs: HashSet<u32> = heard.iter().map(|h| h.packet.header.ssrc).collect();
    assert_eq!(ssrcs.len(), 1);
    for pair in heard.windows(2) {
        let (a, b) = (&pair[0].packet.header, &pair[1].packet.header);
        assert_eq!(
            b.sequence_number,
            a.sequence_number.wrapping_add(1),
            "a gap in the sequence"
        );
        assert_eq!(
            b.timestamp,
            a.timestamp.wrapping_add(160),
            "timestamps must follow the 8 kHz clock"
        );
        assert_eq!(b.payload_type, 0);
    }
    // The greeting's audio, byte for byte, starting with the marker bit.
    let greeting = prompt_frames(Lang::Ja, "greeting");
    let start =
        find_prompt(&heard, &greeting, 30).unwrap_or_else(|| panic!("the greeting was not heard"));
    assert!(
        heard[start].packet.header.marker,
        "the prompt starts a talkspurt"
    );
    // After the first key, the language menu (its English option is the second segment).
    let menu = prompt_frames(Lang::Ja, "language_option");
    assert!(
        find_prompt(&heard[start..], &menu, 20).is_some(),
        "the language menu was not heard"
    );
    // After choosing English: the hold music of the queue.
    let hold = prompt_frames(Lang::En, "hold_music");
    assert!(
        find_prompt(&heard, &hold, 20).is_some(),
        "the queue's hold music was not heard"
    );

    let calls = center.calls_today().await;
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].line, "toll-free");
    let steps = kinds(&calls[0]);
    for expected in [
        "arrived",
        "ivr_answered:Ulaw",
        "language:en",
        "in_hours",
        "enqueued:general",
        "abandoned:queue",
        "ended:caller-bye;caller",
    ] {
        assert!(
            steps.contains(&expected.to_string()),
            "{expected} missing from {steps:?}"
        );
    }
    let report = center.report_today().await;
    assert_eq!(
        (
            report.received,
            report.offered,
            report.answered,
            report.abandoned_in_queue
        ),
        (1, 1, 0, 1)
    );
    assert_eq!(report.answer_rate, Some(0.0));
    assert_eq!(
        center.settle().await,
        (0, 0),
        "the call left a line or an RTP stream behind"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_hours_a_caller_hears_why_in_english_and_gets_a_bye() {
    let center = Center::start(Options {
        hours: Hours::ClosedNow,
        ..Options::default()
    })
    .await;
    let (socket, port) = phone_socket().await;
    let listening = tokio::spawn(phone(
        socket,
        vec![(25, '2'), (60, '2')],
        Duration::from_secs(40),
    ));
    let (status, output) = sipp(&center, "caller_waits_for_bye.xml", port, 0).await;
    assert_eq!(
        status,
        Some(0),
        "the center must end the call with a BYE:\n{output}"
    );
    let heard = listening.await.unwrap_or_else(|e| panic!("{e}"));
    // The reason in the caller's language, then the hours, the card-suspension line, goodbye.
    for id in ["closed_temporary", "opening_hours", "loss_theft", "goodbye"] {
        let frames = prompt_frames(Lang::En, id);
        assert!(
            find_prompt(&heard, &frames, frames.len()).is_some(),
            "'{id}' was not heard in full"
        );
    }

    let calls = center.calls_today().await;
    assert_eq!(calls.len(), 1);
    let steps = kinds(&calls[0]);
    assert!(
        steps
            .iter()
            .any(|s| s.starts_with("closed:temporary closure: system maintenance")),
        "{steps:?}"
    );
    assert!(steps.contains(&"language:en".to_string()), "{steps:?}");
    assert!(
        steps.contains(&"ended:center-bye;center".to_string()),
        "{steps:?}"
    );
    let report = center.report_today().await;
    assert_eq!(
        (report.received, report.out_of_hours, report.offered),
        (1, 1, 0)
    );
    assert_eq!(
        report.answer_rate, None,
        "no call was offered: no rate, not 0 %"
    );
}
