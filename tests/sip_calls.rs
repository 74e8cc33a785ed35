//! Calls over real SIP (sipp) and real RTP (a UDP socket as the caller's phone) against a
//! running center on loopback. Each test checks what the caller hears, the call records, and
//! the day's report.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::center::{Center, Hours, Options, find_prompt, kinds, phone, prompt_frames, sipp, sipp_tcp};
use tokio::net::UdpSocket;
use tsunagu::lang::Lang;

async fn phone_socket() -> (UdpSocket, u16) {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
    let port = socket.local_addr().unwrap_or_else(|e| panic!("{e}")).port();
    (socket, port)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_hours_a_caller_hears_the_greeting_chooses_english_and_waits_in_the_queue() {
    let center = Center::start(Options::default()).await;
    let (socket, port) = phone_socket().await;
    // Press 2 during the greeting (barge-in to the language menu), then 2 for English.
    let listening = tokio::spawn(phone(socket, vec![(40, '2'), (80, '2')], Duration::from_secs(20)));
    let (status, output) = sipp(&center, "caller_hangs_up.xml", port, 7000).await;
    assert_eq!(status, Some(0), "sipp failed:\n{output}");
    let heard = listening.await.unwrap_or_else(|e| panic!("{e}"));

    // RTP as a phone expects it: one SSRC, consecutive sequence numbers, 160 samples a packet.
    assert!(heard.len() >= 250, "only {} packets in a 7 s call", heard.len());
    let ssrcs: HashSet<u32> = heard.iter().map(|h| h.packet.header.ssrc).collect();
    assert_eq!(
        ssrcs.len(),
        1,
        "streams from {} call records: {:?}",
        center.calls_today().await.len(),
        center.calls_today().await.iter().map(kinds).collect::<Vec<_>>()
    );
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
    let start = find_prompt(&heard, &greeting, 30).unwrap_or_else(|| panic!("the greeting was not heard"));
    assert!(heard[start].packet.header.marker, "the prompt starts a talkspurt");
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
    assert_eq!(calls[0].line.as_str(), "toll-free");
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
    let listening = tokio::spawn(phone(socket, vec![(25, '2'), (60, '2')], Duration::from_secs(90)));
    let (status, output) = sipp(&center, "caller_waits_for_bye.xml", port, 0).await;
    assert_eq!(status, Some(0), "the center must end the call with a BYE:\n{output}");
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
    assert!(steps.contains(&"ended:center-bye;center".to_string()), "{steps:?}");
    let report = center.report_today().await;
    assert_eq!((report.received, report.out_of_hours, report.offered), (1, 1, 0));
    assert_eq!(report.answer_rate, None, "no call was offered: no rate, not 0 %");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_one_line_a_second_concurrent_call_hears_all_lines_busy() {
    let center = Center::start(Options {
        max_lines: 1,
        ..Options::default()
    })
    .await;
    // The first caller chooses Japanese at once and waits in the queue for 25 s.
    let (first_socket, first_port) = phone_socket().await;
    let first_phone = tokio::spawn(phone(first_socket, vec![(10, '1'), (30, '1')], Duration::from_secs(27)));
    let (sip, dir) = (center.sip(), center.dir.path().to_path_buf());
    let first = tokio::spawn(async move {
        common::center::sipp_at(sip, &dir, "caller_hangs_up.xml", first_port, 25_000, &[]).await
    });
    let queued = common::center::eventually(Duration::from_secs(20), || async {
        center.running.services.capacity.queued() == 1
    })
    .await;
    assert!(queued, "the first caller never reached the queue");
    // The second caller: the only line is taken, so the busy message and a BYE.
    let (second_socket, second_port) = phone_socket().await;
    let second_phone = tokio::spawn(phone(
        second_socket,
        vec![(10, '2'), (30, '2')],
        Duration::from_secs(30),
    ));
    let (status, output) = sipp(&center, "caller_waits_for_bye.xml", second_port, 0).await;
    assert_eq!(
        status,
        Some(0),
        "the second caller must get the busy message and a BYE:\n{output}"
    );
    let heard = second_phone.await.unwrap_or_else(|e| panic!("{e}"));
    let busy = prompt_frames(Lang::En, "all_lines_busy");
    assert!(
        find_prompt(&heard, &busy, busy.len()).is_some(),
        "the busy message was not heard in English"
    );
    let (status, output) = first.await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status, Some(0), "{output}");
    let _ = first_phone.await;

    let report = center.report_today().await;
    assert_eq!(
        (
            report.received,
            report.offered,
            report.busy,
            report.abandoned_in_queue,
            report.answered
        ),
        (2, 2, 1, 1, 0)
    );
    assert_eq!(
        report.answer_rate,
        Some(0.0),
        "busy callers count as offered and not answered"
    );
    assert_eq!(center.settle().await, (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_who_cancels_while_it_rings_is_a_lost_call() {
    let center = Center::start(Options {
        answer_delay_ms: 4000,
        ..Options::default()
    })
    .await;
    let (_socket, port) = phone_socket().await;
    let (status, output) = sipp(&center, "caller_cancels.xml", port, 500).await;
    assert_eq!(status, Some(0), "CANCEL must get 200 and the INVITE 487:\n{output}");
    let calls = center.calls_today().await;
    assert_eq!(calls.len(), 1);
    let steps = kinds(&calls[0]);
    assert_eq!(
        steps,
        ["arrived", "abandoned:ringing", "ended:caller-cancel;caller"],
        "{steps:?}"
    );
    let report = center.report_today().await;
    assert_eq!(
        (report.offered, report.abandoned_in_ivr, report.short_abandons),
        (1, 1, 1)
    );
    assert_eq!(
        center.settle().await,
        (0, 0),
        "no RTP port or line is taken by a call never answered"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_who_hangs_up_mid_prompt_leaves_nothing_behind() {
    let center = Center::start(Options::default()).await;
    let (socket, port) = phone_socket().await;
    let listening = tokio::spawn(phone(socket, vec![], Duration::from_secs(3)));
    let (status, output) = sipp(&center, "caller_hangs_up.xml", port, 1500).await;
    assert_eq!(status, Some(0), "{output}");
    let heard = listening.await.unwrap_or_else(|e| panic!("{e}"));
    assert!(heard.len() >= 40, "the greeting had started: {} packets", heard.len());
    assert!(
        heard.len() < 120,
        "the center must stop sending after the BYE: {} packets",
        heard.len()
    );
    let steps = kinds(&center.calls_today().await[0]);
    assert!(
        steps.ends_with(&["abandoned:ivr".to_string(), "ended:caller-bye;caller".to_string()]),
        "{steps:?}"
    );
    assert_eq!(center.settle().await, (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_datagrams_are_dropped_and_counted_and_the_next_call_works() {
    let center = Center::start(Options::default()).await;
    let junk = UdpSocket::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
    let mut garbage: Vec<Vec<u8>> = vec![
        b"hello".to_vec(),
        vec![0u8; 1],
        vec![0xFF; 1400],
        b"INVITE sip:x SIP/2.0\r\nVia: nonsense\r\n".to_vec(),
        b"SIP/2.0 200 OK\r\n\r\n".to_vec(),
        b"\x80\x00\x00\x01garbage that looks like RTP".to_vec(),
        "INVITE sip:0120380366@127.0.0.1 SIP/2.0\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:x@y>\r\nCall-ID: 1\r\nCSeq: x INVITE\r\nContent-Length: 99999\r\n\r\n".as_bytes().to_vec(),
    ];
    for n in 0..13u8 {
        garbage.push((0..200).map(|i| i as u8 ^ n.wrapping_mul(37)).collect());
    }
    for datagram in &garbage {
        junk.send_to(datagram, center.sip())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let (socket, port) = phone_socket().await;
    let listening = tokio::spawn(phone(socket, vec![], Duration::from_secs(3)));
    let (status, output) = sipp(&center, "caller_hangs_up.xml", port, 2000).await;
    assert_eq!(status, Some(0), "a normal call after the garbage:\n{output}");
    assert!(listening.await.unwrap_or_default().len() > 50);
    let stats = &center.running.sip.stats;
    let unparsable = stats.datagrams.unparsable.load(std::sync::atomic::Ordering::Relaxed);
    let refused = stats.datagrams.refused.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        unparsable + refused >= 18,
        "garbage counted: {unparsable} unparsable, {refused} refused"
    );
    assert_eq!(center.calls_today().await.len(), 1, "garbage makes no call record");
}

/// Raw SIP over UDP, for what sipp's scenarios are not made for.
async fn exchange(center: &Center, request: String) -> String {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
    let local = socket.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let request = request
        .replace("LOCAL", &local.to_string())
        .replace("CENTER", &center.sip().to_string());
    socket
        .send_to(request.as_bytes(), center.sip())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut buf = vec![0u8; 8192];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(5), socket.recv(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("no answer to:\n{request}"))
            .unwrap_or_else(|e| panic!("{e}"));
        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
        if !text.starts_with("SIP/2.0 100") {
            return text;
        }
    }
}

fn request(method: &str, cseq_method: &str, version: &str) -> String {
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
    let body = if method == "INVITE" { sdp } else { "" };
    format!(
        "{method} sip:0120380366@CENTER {version}\r\nVia: SIP/2.0/UDP LOCAL;branch=z9hG4bK-{}\r\nFrom: <sip:09011112222@LOCAL>;tag=t1\r\nTo: <sip:0120380366@CENTER>\r\nCall-ID: raw-{}@test\r\nCSeq: 1 {cseq_method}\r\nContact: <sip:caller@LOCAL>\r\nMax-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{body}",
        rand::random::<u32>(),
        rand::random::<u32>(),
        body.len()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_pings_bad_requests_and_strangers_get_clear_answers() {
    let center = Center::start(Options::default()).await;
    let options = exchange(&center, request("OPTIONS", "OPTIONS", "SIP/2.0")).await;
    assert!(options.starts_with("SIP/2.0 200"), "{options}");
    assert!(
        options.contains("Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE"),
        "{options}"
    );
    let mismatch = exchange(&center, request("INVITE", "BYE", "SIP/2.0")).await;
    assert!(
        mismatch.starts_with("SIP/2.0 400"),
        "CSeq method that differs from the request line:\n{mismatch}"
    );
    let register = exchange(&center, request("REGISTER", "REGISTER", "SIP/2.0")).await;
    assert!(register.starts_with("SIP/2.0 405"), "{register}");
    assert_eq!(center.calls_today().await.len(), 0, "none of these is a call");

    // A center that only takes calls from one carrier address: loopback is a stranger, and by
    // default gets nothing back at all (an answer could be reflected at a forged address).
    let strict = Center::start(Options {
        trunk_peers: vec!["192.0.2.10".into()],
        ..Options::default()
    })
    .await;
    let stranger = UdpSocket::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
    let invite = request("INVITE", "INVITE", "SIP/2.0")
        .replace(
            "LOCAL",
            &stranger.local_addr().unwrap_or_else(|e| panic!("{e}")).to_string(),
        )
        .replace("CENTER", &strict.sip().to_string());
    stranger
        .send_to(invite.as_bytes(), strict.sip())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let strangers = &strict.running.sip.stats.strangers.seen;
    common::center::eventually(Duration::from_secs(5), || async {
        strangers.load(std::sync::atomic::Ordering::Relaxed) > 0
    })
    .await;
    assert_eq!(strangers.load(std::sync::atomic::Ordering::Relaxed), 1, "counted");
    // Dropped before it was parsed: there is no path on which an answer could come.
    let mut buf = [0u8; 2048];
    assert!(stranger.try_recv(&mut buf).is_err(), "a stranger gets no answer");
    assert_eq!(
        strict.calls_today().await.len(),
        0,
        "a stranger's INVITE leaves no record"
    );
    assert_eq!(strict.settle().await, (0, 0), "and takes no RTP port");
    // Configured to answer them, the center says 403.
    let answering = Center::start(Options {
        trunk_peers: vec!["192.0.2.10".into()],
        answer_strangers: true,
        ..Options::default()
    })
    .await;
    let forbidden = exchange(&answering, request("INVITE", "INVITE", "SIP/2.0")).await;
    assert!(forbidden.starts_with("SIP/2.0 403"), "{forbidden}");
    assert_eq!(strict.settle().await, (0, 0), "and takes no RTP port");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_records_and_the_report_work_on_postgresql_too() {
    let db = common::TestDatabase::postgres().await;
    let center = Center::start(Options {
        database_url: Some(db.url.clone()),
        ..Options::default()
    })
    .await;
    let (socket, port) = phone_socket().await;
    let listening = tokio::spawn(phone(socket, vec![(20, '5')], Duration::from_secs(10)));
    let (status, output) = sipp(&center, "caller_hangs_up.xml", port, 3000).await;
    assert_eq!(status, Some(0), "{output}");
    let _ = listening.await;
    let calls = center.calls_today().await;
    assert_eq!(calls.len(), 1);
    let steps = kinds(&calls[0]);
    assert!(
        steps.contains(&"ivr_answered:Ulaw".to_string()) && steps.contains(&"abandoned:ivr".to_string()),
        "{steps:?}"
    );
    let report = center.report_today().await;
    assert_eq!((report.received, report.offered, report.abandoned_in_ivr), (1, 1, 1));
    center.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_over_tcp_works_like_one_over_udp() {
    let center = Center::start(Options::default()).await;
    let (socket, port) = phone_socket().await;
    let listening = tokio::spawn(phone(socket, vec![], Duration::from_secs(10)));
    let (status, output) = sipp_tcp(&center, "caller_hangs_up.xml", port, 2500).await;
    assert_eq!(status, Some(0), "a call over TCP:\n{output}");
    let heard = listening.await.unwrap_or_else(|e| panic!("{e}"));
    assert!(
        find_prompt(&heard, &prompt_frames(Lang::Ja, "greeting"), 30).is_some(),
        "the greeting over a TCP-signalled call"
    );
    let calls = center.calls_today().await;
    assert_eq!(calls.len(), 1);
    assert!(
        kinds(&calls[0]).contains(&"ended:caller-bye;caller".to_string()),
        "{:?}",
        kinds(&calls[0])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sip_info_digits_choose_the_language_and_a_reinvite_holds_and_resumes_the_call() {
    let center = Center::start(Options::default()).await;
    let (socket, port) = phone_socket().await;
    let listening = tokio::spawn(phone(socket, vec![], Duration::from_secs(15)));
    let (status, output) = sipp(&center, "caller_info_hold.xml", port, 0).await;
    assert_eq!(
        status,
        Some(0),
        "INFO answered 200, hold answered recvonly, resume answered sendrecv:\n{output}"
    );
    let heard = listening.await.unwrap_or_else(|e| panic!("{e}"));
    let steps = kinds(&center.calls_today().await[0]);
    assert!(
        steps.contains(&"language:en".to_string()),
        "INFO digits chose English: {steps:?}"
    );
    // On hold (sendonly from the caller) the center stops sending; on resume it goes on with
    // the next sequence number and a timestamp that kept following the clock.
    let gap = heard
        .windows(2)
        .map(|w| {
            (
                w[1].at - w[0].at,
                w[0].packet.header.clone(),
                w[1].packet.header.clone(),
            )
        })
        .max_by_key(|(gap, _, _)| *gap)
        .unwrap_or_else(|| panic!("nothing heard"));
    assert!(
        gap.0 >= Duration::from_millis(1000),
        "no pause while on hold: longest gap {:?}",
        gap.0
    );
    assert_eq!(gap.2.sequence_number, gap.1.sequence_number.wrapping_add(1));
    let samples = gap.2.timestamp.wrapping_sub(gap.1.timestamp);
    assert!(
        samples >= 8000,
        "the timestamp jumped only {samples} samples over a hold of {:?}",
        gap.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_whose_media_stops_is_hung_up_after_the_media_timeout() {
    let center = Center::start(Options {
        media_timeout_seconds: 2,
        ..Options::default()
    })
    .await;
    // A phone that never sends RTP (its socket stays open, so nothing bounces).
    let (_silent_phone, port) = phone_socket().await;
    let (status, output) = sipp(&center, "caller_waits_for_bye.xml", port, 0).await;
    assert_eq!(
        status,
        Some(0),
        "the center must send BYE when the media stops:\n{output}"
    );
    let steps = kinds(&center.calls_today().await[0]);
    assert!(
        steps.ends_with(&["abandoned:ivr".to_string(), "ended:center-bye;center".to_string()]),
        "{steps:?}"
    );
    assert_eq!(center.settle().await, (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_asking_for_session_timers_gets_them_with_itself_as_refresher() {
    let center = Center::start(Options::default()).await;
    let invite = request("INVITE", "INVITE", "SIP/2.0").replace(
        "Max-Forwards: 70\r\n",
        "Max-Forwards: 70\r\nSupported: timer\r\nSession-Expires: 1800\r\n",
    );
    let answer = exchange(&center, invite).await;
    assert!(answer.starts_with("SIP/2.0 200"), "{answer}");
    assert!(answer.contains("Session-Expires: 1800;refresher=uac"), "{answer}");
    assert!(answer.contains("Require: timer"), "{answer}");
    let plain = exchange(&center, request("INVITE", "INVITE", "SIP/2.0")).await;
    assert!(
        plain.starts_with("SIP/2.0 200") && !plain.contains("Session-Expires"),
        "no timer unless asked:\n{plain}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_carrier_with_the_right_digest_credentials_gets_in_and_a_wrong_password_does_not() {
    let auth = Some(("tsunagu".to_string(), "carrier".to_string(), "s3cret".to_string()));
    let center = Center::start(Options {
        trunk_auth: auth,
        ..Options::default()
    })
    .await;
    let (socket, port) = phone_socket().await;
    let listening = tokio::spawn(phone(socket, vec![], Duration::from_secs(10)));
    let (sip, dir) = (center.sip(), center.dir.path().to_path_buf());
    let right = ["-au", "carrier", "-ap", "s3cret"];
    let (status, output) = common::center::sipp_at(sip, &dir, "caller_authenticates.xml", port, 2000, &right).await;
    assert_eq!(status, Some(0), "challenged once, then in:\n{output}");
    assert!(
        listening.await.unwrap_or_default().len() > 50,
        "the authenticated call hears the greeting"
    );

    let (_socket, port) = phone_socket().await;
    let wrong = ["-au", "carrier", "-ap", "guess"];
    let (status, output) = common::center::sipp_at(sip, &dir, "caller_wrong_password.xml", port, 2000, &wrong).await;
    assert_eq!(status, Some(0), "a wrong password gets 401 again:\n{output}");
    assert_eq!(
        center
            .running
            .sip
            .stats
            .auth_failures
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
    let calls = center.calls_today().await;
    assert_eq!(calls.len(), 1, "a challenged INVITE makes no call record");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reinvite_that_moves_the_media_to_a_stranger_is_refused_and_the_call_goes_on() {
    // The default: media only to the trunk peers (here loopback); 198.51.100.7 is elsewhere.
    let center = Center::start(Options::default()).await;
    let (socket, port) = phone_socket().await;
    let listening = tokio::spawn(phone(socket, Vec::new(), Duration::from_secs(30)));
    let (status, output) = sipp(&center, "caller_moves_media.xml", port, 0).await;
    assert_eq!(status, Some(0), "the re-INVITE got 488, the call went on:\n{output}");
    let heard = listening.await.unwrap_or_else(|e| panic!("{e}"));
    let last = heard.last().map(|h| h.at).unwrap_or_else(|| panic!("nothing heard"));
    let first = heard[0].at;
    assert!(
        last - first >= Duration::from_secs(3),
        "the caller kept hearing the IVR after the refused re-INVITE: {:?}",
        last - first
    );
    let steps = kinds(&center.calls_today().await[0]);
    assert!(
        steps.ends_with(&["abandoned:ivr".to_string(), "ended:caller-bye;caller".to_string()]),
        "{steps:?}"
    );
}
