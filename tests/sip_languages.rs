//! The language menu end to end: for each of the 8 languages a caller presses its key and hears
//! the closed message, or the all-lines-busy message, in that language (the RTP payload is
//! compared with that language's prompt audio).

mod common;

use std::time::Duration;

use common::center::{Center, Hours, Options, find_prompt, kinds, phone, prompt_frames, sipp_at};
use tokio::net::UdpSocket;
use tsunagu::lang::Lang;

/// Eight callers at once, one per language: each presses a key to skip the greeting, then the
/// language's key, and listens until the center hangs up. Returns what each one heard.
async fn one_call_per_language(center: &Center) -> Vec<(Lang, Vec<common::center::Heard>)> {
    let mut calls = Vec::new();
    for (n, lang) in Lang::ALL.into_iter().enumerate() {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
        let port = socket.local_addr().unwrap_or_else(|e| panic!("{e}")).port();
        let key = char::from(b'1' + n as u8);
        let listening = tokio::spawn(phone(socket, vec![(20, '9'), (45, key)], Duration::from_secs(60)));
        let (sip, dir) = (center.sip(), center.dir.path().to_path_buf());
        let caller = tokio::spawn(async move { sipp_at(sip, &dir, "caller_waits_for_bye.xml", port, 0, &[]).await });
        calls.push((lang, listening, caller));
    }
    let mut heard = Vec::new();
    for (lang, listening, caller) in calls {
        let (status, output) = caller.await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            status,
            Some(0),
            "{lang}: the center must hang up after its message:\n{output}"
        );
        heard.push((lang, listening.await.unwrap_or_else(|e| panic!("{e}"))));
    }
    heard
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_language_hears_the_closed_message_in_its_own_language() {
    let center = Center::start(Options {
        hours: Hours::ClosedNow,
        ..Options::default()
    })
    .await;
    for (lang, heard) in one_call_per_language(&center).await {
        for id in ["closed_temporary", "loss_theft"] {
            let frames = prompt_frames(lang, id);
            assert!(
                find_prompt(&heard, &frames, frames.len()).is_some(),
                "{lang}: '{id}' was not heard in full"
            );
        }
        // The next opening, composed in the caller's language: tomorrow at 0:00 here.
        let tomorrow = prompt_frames(lang, "frag.day.tomorrow");
        assert!(
            find_prompt(&heard, &tomorrow, tomorrow.len()).is_some(),
            "{lang}: 'tomorrow' was not heard"
        );
    }
    let languages: Vec<String> = center
        .calls_today()
        .await
        .iter()
        .flat_map(kinds)
        .filter(|k| k.starts_with("language:"))
        .collect();
    assert_eq!(languages.len(), 8, "{languages:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_language_hears_the_busy_message_in_its_own_language() {
    // No line for anyone: every caller is turned away with the busy message.
    let center = Center::start(Options {
        max_lines: 0,
        ..Options::default()
    })
    .await;
    for (lang, heard) in one_call_per_language(&center).await {
        let frames = prompt_frames(lang, "all_lines_busy");
        assert!(
            find_prompt(&heard, &frames, frames.len()).is_some(),
            "{lang}: the busy message was not heard in full"
        );
    }
    let report = center.report_today().await;
    assert_eq!((report.offered, report.busy), (8, 8));
}
