//! End to end with a real browser: Debian's Chromium (headless, fake microphone playing a
//! 1 kHz tone), driven by playwright-core (`tests/browser/agent.mjs`) as the agent; sipp and a
//! UDP phone playing a 440 Hz tone as the caller on the trunk. Everything runs in a network
//! namespace of this test's own with only loopback, so every STUN, DTLS, SRTP and RTP packet
//! stays on 127.0.0.1 (`ops/test` installs chromium and the npm package).
//!
//! Each test enters its namespace before its runtime starts: the namespace belongs to the
//! thread that made it and to the threads and processes it starts.
// The test is an edge: it reads the clock.
#![allow(clippy::disallowed_methods)]

mod common;

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::center::{Center, Options, kinds, prompt_frames, repo, rtp_packet, sipp_at};
use common::netns::enter_loopback_namespace;
use common::staff::add_user;
use rtp::packet::Packet;
use tokio::net::UdpSocket;
use tsunagu::journal::{Line, Step};
use tsunagu::lang::Lang;
use tsunagu::media::g711::Law;
use webrtc_util::marshal::Unmarshal;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// A WAV of a sine tone for Chromium's fake microphone.
fn tone_wav(path: &Path, hz: f64, seconds: u32) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 48_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(path, spec).unwrap_or_else(|e| panic!("{e}"));
    for n in 0..48_000 * seconds {
        let t = f64::from(n) / 48_000.0;
        let sample = (0.3 * f64::from(i16::MAX) * (2.0 * std::f64::consts::PI * hz * t).sin()) as i16;
        writer.write_sample(sample).unwrap_or_else(|e| panic!("{e}"));
    }
    writer.finalize().unwrap_or_else(|e| panic!("{e}"));
}

/// The share of a signal's energy at `hz` (Goertzel), 0 to 1.
fn tone_share(samples: &[i16], hz: f64) -> f64 {
    let w = 2.0 * std::f64::consts::PI * hz / 8000.0;
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &x in samples {
        let s = f64::from(x) + 2.0 * w.cos() * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    let power = s1 * s1 + s2 * s2 - 2.0 * w.cos() * s1 * s2;
    let energy: f64 = samples.iter().map(|&x| f64::from(x) * f64::from(x)).sum();
    if energy == 0.0 {
        return 0.0;
    }
    (2.0 * power / samples.len() as f64) / energy
}

/// The fraction of 20 ms frames whose energy is mostly at `hz`: robust to the frames a relay
/// may drop or repeat (a phase jump spoils one long Goertzel window, not a frame).
fn tone_frames(samples: &[i16], hz: f64) -> f64 {
    let frames: Vec<&[i16]> = samples.chunks_exact(160).collect();
    if frames.is_empty() {
        return 0.0;
    }
    let toned = frames.iter().filter(|f| tone_share(f, hz) > 0.5).count();
    toned as f64 / frames.len() as f64
}

/// What the caller's phone heard, each packet with when.
struct Heard {
    packets: Vec<(tokio::time::Instant, Packet)>,
}

/// What a phone has heard so far, while the call goes on (for tests that wait for it).
#[derive(Clone, Default)]
struct Listening(std::sync::Arc<std::sync::Mutex<Vec<(tokio::time::Instant, Packet)>>>);

impl Listening {
    /// The audio frames (PCMU) heard since `from`, in order.
    fn since(&self, from: tokio::time::Instant) -> Vec<common::center::Heard> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|(at, p)| *at >= from && p.header.payload_type == 0)
            .map(|(at, p)| common::center::Heard {
                packet: p.clone(),
                at: *at,
            })
            .collect()
    }
}

/// When the phone first heard `count` frames in a row that `matches`, since `from`.
fn run_since(
    listening: &Listening,
    from: tokio::time::Instant,
    count: usize,
    matches: impl Fn(&[i16]) -> bool,
) -> Option<tokio::time::Instant> {
    let heard = listening.since(from);
    let mut run = 0;
    for (i, h) in heard.iter().enumerate() {
        if matches(&Law::Ulaw.decode(&h.packet.payload)) {
            run += 1;
            if run == count {
                return Some(heard[i + 1 - count].at);
            }
        } else {
            run = 0;
        }
    }
    None
}

/// A phone on the trunk side: presses 2 twice (English) when asked, talks (a 440 Hz tone) and listens
/// until `stop` or 2 s of silence from the center.
async fn talking_phone(socket: UdpSocket, listen_for: Duration, choose_english: bool) -> Heard {
    talking_phone_live(socket, listen_for, choose_english, Listening::default()).await
}

/// [`talking_phone`], sharing what it hears as it hears it.
async fn talking_phone_live(socket: UdpSocket, listen_for: Duration, choose_english: bool, live: Listening) -> Heard {
    let mut packets = Vec::new();
    let mut center: Option<SocketAddr> = None;
    let mut buf = [0u8; 2048];
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let (mut seq, mut ts, ssrc) = (1u16, 0u32, 0x0bad_cafe_u32);
    let mut keys = std::collections::VecDeque::new();
    if choose_english {
        keys.extend([(25usize, 2u8), (60, 2)]);
    }
    let mut phase = 0.0f64;
    let deadline = tokio::time::Instant::now() + listen_for;
    let mut last = tokio::time::Instant::now();
    loop {
        if center.is_some() && last.elapsed() > Duration::from_secs(2) {
            break;
        }
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => break,
            r = socket.recv_from(&mut buf) => {
                let Ok((n, from)) = r else { break };
                last = tokio::time::Instant::now();
                center = Some(from);
                if let Ok(packet) = Packet::unmarshal(&mut &buf[..n]) {
                    live.0.lock().unwrap_or_else(|p| p.into_inner()).push((last, packet.clone()));
                    packets.push((last, packet));
                }
                if keys.front().is_some_and(|(after, _)| packets.len() >= *after) {
                    if let Some((_, digit)) = keys.pop_front() {
                        for (n, end) in [(1u16, false), (2, false), (4, true), (4, true), (4, true)] {
                            let d = (n * 160).to_be_bytes();
                            let flags = if end { 0x80 | 10 } else { 10 };
                            let p = rtp_packet(101, seq, ts, ssrc, false, vec![digit, flags, d[0], d[1]]);
                            seq = seq.wrapping_add(1);
                            let _ = socket.send_to(&p, from).await;
                        }
                        ts = ts.wrapping_add(640);
                    }
                }
            }
            _ = tick.tick() => {
                if let Some(to) = center {
                    let samples: Vec<i16> = (0..160)
                        .map(|_| {
                            phase += 2.0 * std::f64::consts::PI * 440.0 / 8000.0;
                            (0.3 * f64::from(i16::MAX) * phase.sin()) as i16
                        })
                        .collect();
                    let p = rtp_packet(0, seq, ts, ssrc, false, Law::Ulaw.encode(&samples));
                    seq = seq.wrapping_add(1);
                    ts = ts.wrapping_add(160);
                    let _ = socket.send_to(&p, to).await;
                }
            }
        }
    }
    Heard { packets }
}

/// The agent's browser: `agent.mjs` with its JSON lines arriving on a channel.
struct Browser {
    child: std::process::Child,
    steps: tokio::sync::mpsc::UnboundedReceiver<serde_json::Value>,
}

impl Browser {
    fn start(center: &Center, agent: &str, script: &str) -> Browser {
        Browser::start_with(center, agent, script, &[])
    }

    fn start_with(center: &Center, agent: &str, script: &str, env: &[(&str, &str)]) -> Browser {
        let dir = center.dir.path();
        let wav = dir.join("mic-1khz.wav");
        tone_wav(&wav, 1000.0, 30);
        let browser_dir = repo().join("tests/browser");
        assert!(
            browser_dir.join("node_modules/playwright-core").exists(),
            "tests/browser needs `npm ci` (ops/test runs it)"
        );
        let mut child = Command::new("node")
            .arg(browser_dir.join("agent.mjs"))
            .arg(format!("http://{}", center.running.http_addr))
            .args([agent, common::staff::PASSWORD])
            .arg(&wav)
            .arg(script)
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("node is needed: {e}"));
        let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
        let (tx, steps) = tokio::sync::mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
                match serde_json::from_str(&line) {
                    Ok(value) => {
                        let _ = tx.send(value);
                    }
                    Err(_) => eprintln!("[agent.mjs] {line}"),
                }
            }
        });
        Browser { child, steps }
    }

    /// Lets a paced script (`PACED=1`) go on to its next step.
    fn go(&mut self) {
        use std::io::Write;
        if let Some(stdin) = self.child.stdin.as_mut() {
            let _ = stdin.write_all(b"go\n");
            let _ = stdin.flush();
        }
    }

    async fn step(&mut self, name: &str, within: Duration) -> serde_json::Value {
        let step = tokio::time::timeout(within, self.steps.recv())
            .await
            .unwrap_or_else(|_| panic!("the browser did not reach '{name}' within {within:?}"))
            .unwrap_or_else(|| panic!("the browser script ended before '{name}'"));
        assert_eq!(step["step"], name, "{step}");
        step
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn phone_socket() -> (UdpSocket, u16) {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
    let port = socket.local_addr().map(|a| a.port()).unwrap_or_else(|e| panic!("{e}"));
    (socket, port)
}

#[test]
fn an_agent_in_chromium_takes_a_call_from_the_trunk_with_audio_both_ways_and_files_the_wrap_up() {
    enter_loopback_namespace();
    runtime().block_on(async {
        let center = Center::start(Options::default()).await;
        add_user(&center, "watanabe", "agent", &[("ja", 3), ("en", 2)]).await;
        let mut browser = Browser::start_with(&center, "watanabe", "take-call", &[("PACED", "1")]);
        browser.step("ready", Duration::from_secs(60)).await;

        let (socket, port) = phone_socket().await;
        let live = Listening::default();
        let phone = tokio::spawn(talking_phone_live(socket, Duration::from_secs(90), true, live.clone()));
        let caller = {
            let (sip, dir) = (center.sip(), center.dir.path().to_path_buf());
            tokio::spawn(async move { sipp_at(sip, &dir, "caller_waits_for_bye.xml", port, 0, &[]).await })
        };
        let ringing = browser.step("ringing", Duration::from_secs(60)).await;
        assert_eq!(ringing["shown"], "09012345678", "the ringing screen shows the caller");
        assert_eq!(ringing["ringing"]["language"], "en");
        assert_eq!(
            ringing["history"], "なし none",
            "the caller's history follows the ring: a first call has none"
        );
        browser.step("connected", Duration::from_secs(20)).await;
        let connected_at = tokio::time::Instant::now();
        let stats = browser.step("stats", Duration::from_secs(30)).await;
        let (before, after) = (&stats["before"], &stats["after"]);
        let delta = |key: &str| after[key].as_f64().unwrap_or(0.0) - before[key].as_f64().unwrap_or(0.0);
        eprintln!("browser stats over 4 s: {stats}");
        assert!(
            stats["after"]["codecs"].to_string().contains("audio/PCMU"),
            "PCMU end to end: {stats}"
        );
        assert!(
            delta("packetsReceived") >= 150.0,
            "the caller's audio reaches the browser: {stats}"
        );
        assert!(delta("packetsSent") >= 150.0, "the browser sends audio: {stats}");
        assert!(
            after["audioLevel"].as_f64().unwrap_or(0.0) > 0.05,
            "what the browser hears is the caller's tone, not silence: {stats}"
        );
        // Each step of hold and mute waits for what the caller hears (the page goes on when told).
        browser.step("hold_on", Duration::from_secs(10)).await;
        let hold_on = tokio::time::Instant::now();
        let music = prompt_frames(Lang::En, "hold_music");
        let music_heard = common::center::eventually(Duration::from_secs(10), || {
            let found =
                common::center::find_prompt(&live.since(hold_on - Duration::from_secs(1)), &music, 25).is_some();
            async move { found }
        })
        .await;
        assert!(music_heard, "on hold the caller hears the hold music from its start");
        browser.go();
        browser.step("hold_off", Duration::from_secs(10)).await;
        let hold_off = tokio::time::Instant::now();
        let agent_back = common::center::eventually(Duration::from_secs(10), || {
            let back = run_since(&live, hold_off, 25, |f| tone_share(f, 1000.0) > 0.5);
            async move { back.is_some() }
        })
        .await;
        assert!(agent_back, "taken back from hold, the caller hears the agent again");
        browser.go();
        browser.step("mute_on", Duration::from_secs(10)).await;
        let mute_on = tokio::time::Instant::now();
        let silent = |f: &[i16]| f.iter().all(|s| s.abs() <= 16);
        let mut muted_from = None;
        let muted = common::center::eventually(Duration::from_secs(10), || {
            muted_from = run_since(&live, mute_on, 50, silent);
            let found = muted_from.is_some();
            async move { found }
        })
        .await;
        assert!(muted, "muted, the caller hears a second of silence");
        // The muted stretch ends when the browser is let go to unmute, not when it reports it
        // did: by then its first unmuted frames may be on their way.
        let mute_off = tokio::time::Instant::now();
        browser.go();
        browser.step("mute_off", Duration::from_secs(10)).await;
        browser.go();
        let wrap = browser.step("wrap_up", Duration::from_secs(20)).await;
        assert_eq!(wrap["step"], "wrap_up");
        let (status, output) = caller.await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            status,
            Some(0),
            "the agent's hang-up reaches the caller as a BYE:\n{output}"
        );
        let heard = phone.await.unwrap_or_else(|e| panic!("{e}"));

        // What the caller heard while bridged is the browser's microphone (1 kHz), through us.
        let between = |from: tokio::time::Instant, to: tokio::time::Instant| -> Vec<&Packet> {
            heard
                .packets
                .iter()
                .filter(|(at, p)| *at > from && *at < to && p.header.payload_type == 0)
                .map(|(_, p)| p)
                .collect()
        };
        let bridged: Vec<i16> = between(connected_at + Duration::from_millis(500), hold_on)
            .iter()
            .flat_map(|p| Law::Ulaw.decode(&p.payload))
            .collect();
        assert!(
            bridged.len() >= 8000,
            "at least a second of bridged audio: {} samples",
            bridged.len()
        );
        let share = tone_frames(&bridged, 1000.0);
        eprintln!(
            "caller side: {} samples, 1 kHz in {share:.3} of the frames",
            bridged.len()
        );
        assert!(
            share > 0.8,
            "the caller hears the agent's 1 kHz tone: in {share:.3} of the frames"
        );
        // Once silent, the caller heard nothing of the agent until the microphone came back.
        let muted_from = muted_from.unwrap_or(mute_on);
        let muted = between(muted_from - Duration::from_millis(1), mute_off);
        let silence = muted
            .iter()
            .filter(|p| p.payload.iter().all(|&b| b == Law::Ulaw.silence()))
            .count();
        assert!(
            muted.len() >= 50 && silence == muted.len(),
            "muted, the caller hears silence: {silence} of {} frames",
            muted.len()
        );
        // Before the answer, the queue's hold audio played (the IVR did its part).
        let hold = prompt_frames(Lang::En, "hold_music");
        assert!(
            heard
                .packets
                .iter()
                .any(|(_, p)| hold.first().is_some_and(|f| p.payload.as_ref() == f.as_slice())),
            "the caller waited with hold music"
        );

        let done = browser.step("done", Duration::from_secs(20)).await;
        let call_id = done["call"].as_str().unwrap_or_default().to_string();
        center.running.services.journal.flush().await;
        let detail = center
            .running
            .store
            .call_detail(&call_id)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("no record of {call_id}"));
        let steps: Vec<String> = detail.steps.iter().map(|s| s.step.label()).collect();
        assert!(steps.contains(&"agent_answered:watanabe".to_string()), "{steps:?}");
        assert!(steps.contains(&"agent_hung_up:watanabe".to_string()), "{steps:?}");
        assert!(
            steps.contains(&"hold:on".to_string()) && steps.contains(&"hold:off".to_string()),
            "{steps:?}"
        );
        let tap = steps
            .iter()
            .find(|s| s.starts_with("bridged_audio:"))
            .cloned()
            .unwrap_or_default();
        let counts: Vec<u64> = tap
            .split([':', ';', '='])
            .filter_map(|part| part.parse().ok())
            .collect();
        assert!(
            counts.len() == 2 && counts.iter().all(|&n| n >= 150),
            "the tap saw both directions: {tap}"
        );
        assert_eq!(detail.wrap_ups.len(), 1);
        let (agent, form) = (&detail.wrap_ups[0].agent, &detail.wrap_ups[0].form);
        assert_eq!(agent, "watanabe");
        assert_eq!(form.category, "renewal/card");
        assert!(form.escalation && form.escalation_note == "wants a home visit");
        assert_eq!(form.faq, ["certificate-renewal"], "the FAQ entry used on the call");
        let offset = |wanted: fn(&Step) -> bool| detail.steps.iter().find(|s| wanted(&s.step)).map(|s| s.offset_ms);
        let enqueued = offset(|s| matches!(s, Step::Enqueued { .. }));
        let answered = offset(|s| matches!(s, Step::AgentAnswered { .. }));
        assert!(
            matches!((enqueued, answered), (Some(q), Some(a)) if a > q),
            "a waiting time from queue to answer: {steps:?}"
        );
        let report = center.report_today().await;
        assert_eq!((report.offered, report.answered), (1, 1));
        assert_eq!(report.answer_rate, Some(1.0));
        let states: Vec<String> = center
            .running
            .store
            .agent_events("watanabe")
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .map(|e| e.state.to_string())
            .collect();
        assert_eq!(
            states,
            ["not_ready", "ready", "offered", "on_call", "wrap_up", "ready"],
            "the agent's event log"
        );
        let calls = center.calls_today().await;
        assert_eq!(
            kinds(&calls[0]).last().map(String::as_str),
            Some("ended:center-bye;center")
        );

        // A supervisor's floor page shows the day's answer rate and the agent.
        add_user(&center, "suzuki", "supervisor", &[]).await;
        let floor = tokio::process::Command::new("node")
            .arg(repo().join("tests/browser/floor.mjs"))
            .arg(format!("http://{}", center.running.http_addr))
            .args(["suzuki", common::staff::PASSWORD, "1"])
            .output()
            .await
            .unwrap_or_else(|e| panic!("node: {e}"));
        let shown: serde_json::Value = serde_json::from_slice(&floor.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&floor.stdout)));
        assert_eq!(shown["rate"], "100.0 %", "{shown}");
        assert_eq!(shown["target"], "85 %", "{shown}");
        assert!(shown["agents"].to_string().contains("watanabe"), "{shown}");
        // In Japanese, and the supervisor watching is not listed as an agent.
        assert!(shown["agents"].to_string().contains("受付可"), "{shown}");
        assert!(!shown["agents"].to_string().contains("suzuki"), "{shown}");
        assert!(
            shown["updated"].as_str().is_some_and(|t| t.len() == 8 && t.as_bytes()[2] == b':'),
            "{shown}"
        );

        // The conversation was recorded: caller left (440 Hz), agent right (1 kHz), on one
        // clock, hold silent on both sides and mute on the agent's, each marked.
        let store = center.running.store.clone();
        let finished = common::center::eventually(Duration::from_secs(20), || async {
            store
                .recording_of(&call_id)
                .await
                .ok()
                .flatten()
                .is_some_and(|r| r.state == "finished")
        })
        .await;
        let recording = store
            .recording_of(&call_id)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("no recording of {call_id}"));
        assert!(finished, "{recording:?}");
        assert_eq!(recording.dropped_frames, 0);
        assert_eq!(recording.hold_reason.as_deref(), Some("escalation"), "an escalation is held");
        let file = center.dir.path().join("data/recordings").join(&recording.path);
        let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(bytes.len() as i64, recording.bytes);
        let (left, _) = tsunagu::recording::file::read_channel(&file, 0).unwrap_or_else(|e| panic!("{e}"));
        let (right, _) = tsunagu::recording::file::read_channel(&file, 1).unwrap_or_else(|e| panic!("{e}"));
        let slots = |samples: &[i16], hz: f64| -> Vec<bool> {
            samples.chunks(160).map(|f| tone_share(f, hz) > 0.5).collect()
        };
        let (caller_tone, agent_tone) = (slots(&left, 440.0), slots(&right, 1000.0));
        let share = |v: &[bool]| v.iter().filter(|t| **t).count() as f64 / v.len().max(1) as f64;
        eprintln!(
            "recording: {} ms, 440 Hz left in {:.3}, 1 kHz right in {:.3} of the slots",
            recording.duration_ms,
            share(&caller_tone),
            share(&agent_tone)
        );
        assert!(share(&caller_tone) > 0.5 && share(&agent_tone) > 0.4, "the tones in their channels");
        assert!(slots(&left, 1000.0).iter().all(|t| !t) && slots(&right, 440.0).iter().all(|t| !t), "and not in the other");
        // Both sides were talking when the bridge began: on one clock their first toned slots
        // fall within 40 ms (two slots) of each other. (The ends are not compared: the test
        // phone's talk and the browser's may stop at different moments of the hang-up.)
        let first = |v: &[bool]| v.iter().position(|t| *t).unwrap_or(usize::MAX);
        let last = |v: &[bool]| v.iter().rposition(|t| *t).unwrap_or(usize::MAX);
        let (first_caller, first_agent) = (first(&caller_tone), first(&agent_tone));
        let (last_caller, last_agent) = (last(&caller_tone), last(&agent_tone));
        eprintln!("first toned slot: caller {first_caller}, agent {first_agent}; last: caller {last_caller}, agent {last_agent}");
        assert!(first_caller.abs_diff(first_agent) <= 2, "aligned at the start: {first_caller} vs {first_agent}");
        let marks = store.marks_of(&call_id).await.unwrap_or_else(|e| panic!("{e}"));
        let kinds: Vec<&str> = marks.iter().map(|m| m.kind.as_str()).collect();
        assert_eq!(kinds, ["agent", "hold", "unhold", "mute", "unmute", "agent_left"], "{marks:?}");
        let at = |kind: &str| marks.iter().find(|m| m.kind == kind).map_or(0, |m| usize::try_from(m.at_ms / 20).unwrap_or(0));
        let inside = |from: usize, to: usize| (from + 3)..to.saturating_sub(3);
        assert!(inside(at("hold"), at("unhold")).all(|n| left[n * 160..(n + 1) * 160].iter().all(|s| *s == 0) && right[n * 160..(n + 1) * 160].iter().all(|s| *s == 0)), "hold is silence on both sides");
        assert!(inside(at("mute"), at("unmute")).all(|n| right[n * 160..(n + 1) * 160].iter().all(|s| *s == 0)), "mute is silence on the agent's side");
        assert!(inside(at("mute"), at("unmute")).filter(|n| caller_tone[*n]).count() > 10, "while the caller goes on");
    });
}

#[test]
fn a_caller_whose_agent_vanishes_mid_call_goes_back_to_the_queue_and_hears_why() {
    enter_loopback_namespace();
    runtime().block_on(async {
        let center = Center::start(Options::default()).await;
        add_user(&center, "kimura", "agent", &[("en", 3)]).await;
        let mut browser = Browser::start(&center, "kimura", "vanish");
        browser.step("ready", Duration::from_secs(60)).await;
        let (socket, port) = phone_socket().await;
        let phone = tokio::spawn(talking_phone(socket, Duration::from_secs(60), true));
        let caller = {
            let (sip, dir) = (center.sip(), center.dir.path().to_path_buf());
            // The caller hangs up after 25 s, long after the agent is gone.
            tokio::spawn(async move { sipp_at(sip, &dir, "caller_hangs_up.xml", port, 25_000, &[]).await })
        };
        browser.step("ringing", Duration::from_secs(60)).await;
        browser.step("connected", Duration::from_secs(20)).await;
        browser.step("vanishing", Duration::from_secs(20)).await;
        let vanished_at = tokio::time::Instant::now();
        browser.step("vanished", Duration::from_secs(20)).await;
        let (status, output) = caller.await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(status, Some(0), "{output}");
        let heard = phone.await.unwrap_or_else(|e| panic!("{e}"));
        // Back in the queue, the caller is told to hold on, in English, and is not left in silence.
        let after: Vec<common::center::Heard> = heard
            .packets
            .iter()
            .filter(|(at, _)| *at > vanished_at)
            .map(|(at, p)| common::center::Heard {
                packet: p.clone(),
                at: *at,
            })
            .collect();
        let please_hold = prompt_frames(Lang::En, "please_hold");
        assert!(
            common::center::find_prompt(&after, &please_hold, 50).is_some(),
            "after the agent vanished the caller hears 'please hold' ({} packets after)",
            after.len()
        );
        let calls = center.calls_today().await;
        let steps = kinds(&calls[0]);
        let answered = steps.iter().position(|s| s == "agent_answered:kimura");
        let left = steps.iter().position(|s| s == "agent_left:kimura");
        assert!(matches!((answered, left), (Some(a), Some(l)) if l > a), "{steps:?}");
        let events = center
            .running
            .store
            .agent_events("kimura")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let last = events
            .last()
            .map(|e| (e.state.as_str(), e.reason.map_or("", |r| r.as_str())));
        assert_eq!(last, Some(("not_ready", "disconnected")), "{events:?}");
    });
}

/// The resident a call-back reaches: sipp answering (tests/sipp/resident_answers.xml) at the
/// returned trunk address, its audio on a UDP socket of this test that talks (a 440 Hz tone) and
/// listens for `listen_for`.
async fn resident_on_the_trunk(
    listen_for: Duration,
) -> (tokio::process::Child, tokio::task::JoinHandle<Heard>, SocketAddr) {
    let resident_port = common::center::free_udp_port();
    let (socket, media_port) = phone_socket().await;
    let timeout = format!("{}s", listen_for.as_secs());
    let resident = tokio::process::Command::new("sipp")
        .args(["-sf", &repo().join("tests/sipp/resident_answers.xml").to_string_lossy()])
        .args(["-key", "rtp_port", &media_port.to_string()])
        .args(["-i", "127.0.0.1", "-p", &resident_port.to_string()])
        .args(["-mp", &common::center::free_udp_port().to_string()])
        .args(["-m", "1", "-nostdin", "-timeout", &timeout, "-timeout_error"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("sipp: {e}"));
    let phone = tokio::spawn(talking_phone(socket, listen_for, false));
    let trunk: SocketAddr = format!("127.0.0.1:{resident_port}")
        .parse()
        .unwrap_or_else(|e| panic!("{e}"));
    (resident, phone, trunk)
}

#[test]
fn an_agent_calls_a_resident_back_through_the_trunk_and_hears_them() {
    enter_loopback_namespace();
    runtime().block_on(async {
        let (resident, phone, trunk) = resident_on_the_trunk(Duration::from_secs(60)).await;
        let center = Center::start(Options {
            outbound_trunk: Some(trunk),
            ..Options::default()
        })
        .await;
        add_user(&center, "ito", "agent", &[("ja", 3)]).await;
        let mut browser = Browser::start_with(&center, "ito", "call-back", &[("DIAL", "090-1234-5678")]);
        let connected = browser.step("call_back_connected", Duration::from_secs(60)).await;
        let stats = browser.step("call_back_stats", Duration::from_secs(30)).await;
        eprintln!("browser stats over 4 s of the call-back: {stats}");
        let (before, after) = (&stats["before"], &stats["after"]);
        let delta = |key: &str| after[key].as_f64().unwrap_or(0.0) - before[key].as_f64().unwrap_or(0.0);
        assert!(delta("packetsSent") >= 150.0, "{stats}");
        assert!(
            delta("packetsReceived") >= 150.0,
            "the resident's side comes back: {stats}"
        );
        assert!(
            after["audioLevel"].as_f64().unwrap_or(0.0) > 0.05,
            "the browser hears the resident's tone: {stats}"
        );
        let done = browser.step("call_back_done", Duration::from_secs(20)).await;
        let heard = phone.await.unwrap_or_else(|e| panic!("{e}"));
        // The call is recorded: the resident first hears so, in Japanese, then the agent.
        let packets: Vec<common::center::Heard> = heard
            .packets
            .iter()
            .filter(|(_, p)| p.header.payload_type == 0)
            .map(|(at, p)| common::center::Heard {
                packet: p.clone(),
                at: *at,
            })
            .collect();
        let notice = prompt_frames(Lang::Ja, "recording_notice");
        let notice_at = common::center::find_prompt(&packets, &notice, 50)
            .unwrap_or_else(|| panic!("the resident hears the recording notice ({} packets)", packets.len()));
        let samples: Vec<i16> = packets[notice_at + notice.len()..]
            .iter()
            .flat_map(|h| Law::Ulaw.decode(&h.packet.payload))
            .collect();
        let share = tone_frames(&samples, 1000.0);
        eprintln!(
            "resident side: {} samples, 1 kHz in {share:.3} of the frames",
            samples.len()
        );
        assert!(
            samples.len() >= 8000 * 3 && share > 0.5,
            "the resident hears the agent: {share:.3}"
        );
        assert_eq!(done["call"], connected["call"]);
        let out = resident.wait_with_output().await.unwrap_or_else(|e| panic!("{e}"));
        assert!(
            out.status.success(),
            "the resident's phone got the call and our BYE: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let call_id = done["call"].as_str().unwrap_or_default();
        center.running.services.journal.flush().await;
        let detail = center
            .running
            .store
            .call_detail(call_id)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("no record of the call-back"));
        assert_eq!(detail.line, Line::Outbound);
        let steps: Vec<String> = detail.steps.iter().map(|s| s.step.label()).collect();
        assert!(steps.contains(&"dialing:ito".to_string()), "{steps:?}");
        assert!(steps.contains(&"outbound_answered:ito".to_string()), "{steps:?}");
        assert!(steps.contains(&"ended:center-bye;agent".to_string()), "{steps:?}");
        assert_eq!(
            detail.wrap_ups.first().map(|w| w.form.category.as_str()),
            Some("issuance/status")
        );
        let report = center.report_today().await;
        assert_eq!(
            (report.received, report.offered, report.call_backs),
            (0, 0, 1),
            "call-backs are not offered calls"
        );
    });
}

#[test]
fn an_agent_transfers_the_caller_to_a_colleague_who_takes_the_call() {
    enter_loopback_namespace();
    runtime().block_on(async {
        let center = Center::start(Options::default()).await;
        add_user(&center, "first", "agent", &[("en", 3)]).await;
        add_user(&center, "second", "agent", &[("en", 3)]).await;
        // "first" is ready first, so the longest idle: the call rings there.
        let mut first = Browser::start_with(&center, "first", "transfer", &[("TRANSFER_TO", "second")]);
        first.step("ready", Duration::from_secs(60)).await;
        let mut second = Browser::start(&center, "second", "take-call");
        second.step("ready", Duration::from_secs(60)).await;
        let (socket, port) = phone_socket().await;
        let phone = tokio::spawn(talking_phone(socket, Duration::from_secs(90), true));
        let caller = {
            let (sip, dir) = (center.sip(), center.dir.path().to_path_buf());
            tokio::spawn(async move { sipp_at(sip, &dir, "caller_waits_for_bye.xml", port, 0, &[]).await })
        };
        first.step("ringing", Duration::from_secs(60)).await;
        first.step("connected", Duration::from_secs(20)).await;
        first.step("transferred", Duration::from_secs(20)).await;
        second.step("ringing", Duration::from_secs(20)).await;
        second.step("connected", Duration::from_secs(20)).await;
        let stats = second.step("stats", Duration::from_secs(30)).await;
        let (before, after) = (&stats["before"], &stats["after"]);
        let received =
            after["packetsReceived"].as_f64().unwrap_or(0.0) - before["packetsReceived"].as_f64().unwrap_or(0.0);
        assert!(received >= 150.0, "the colleague hears the caller: {stats}");
        for step in ["hold_on", "hold_off", "mute_on", "mute_off", "wrap_up", "done"] {
            second.step(step, Duration::from_secs(20)).await;
        }
        let refused = first.step("refused", Duration::from_secs(20)).await;
        assert!(
            refused["shown"]
                .as_str()
                .is_some_and(|m| m.contains("escalation needs a note")),
            "the page says why the form was refused: {refused}"
        );
        let done = first.step("done", Duration::from_secs(20)).await;
        let (status, output) = caller.await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(status, Some(0), "{output}");
        let _ = phone.await;
        center.running.services.journal.flush().await;
        let detail = center
            .running
            .store
            .call_detail(done["call"].as_str().unwrap_or_default())
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("no record"));
        let steps: Vec<String> = detail.steps.iter().map(|s| s.step.label()).collect();
        let at = |s: &str| {
            steps
                .iter()
                .position(|x| x == s)
                .unwrap_or_else(|| panic!("no {s} in {steps:?}"))
        };
        assert!(at("agent_answered:first") < at("agent_left:first"));
        assert!(at("agent_left:first") < at("offered:second"));
        assert!(at("offered:second") < at("agent_answered:second"));
        let agents: Vec<&str> = detail.wrap_ups.iter().map(|w| w.agent.as_str()).collect();
        assert_eq!(agents.len(), 2, "both agents filed a wrap-up: {agents:?}");
        // One recording across the transfer, each agent change marked on its timeline.
        let call = done["call"].as_str().unwrap_or_default().to_string();
        let store = center.running.store.clone();
        let closed = common::center::eventually(Duration::from_secs(20), || async {
            store
                .recording_of(&call)
                .await
                .ok()
                .flatten()
                .is_some_and(|r| r.state == "finished")
        })
        .await;
        assert!(closed, "the call's recording is closed");
        let marks = store.marks_of(&call).await.unwrap_or_else(|e| panic!("{e}"));
        let changes: Vec<(String, String)> = marks
            .iter()
            .filter(|m| m.kind.starts_with("agent"))
            .map(|m| (m.kind.clone(), m.agent.clone()))
            .collect();
        let expected = [
            ("agent", "first"),
            ("agent_left", "first"),
            ("agent", "second"),
            ("agent_left", "second"),
        ]
        .map(|(k, a)| (k.to_string(), a.to_string()));
        assert_eq!(changes, expected, "{marks:?}");
        assert!(marks.windows(2).all(|w| w[0].at_ms <= w[1].at_ms), "{marks:?}");
    });
}

/// The process's log, kept in memory for a test to read.
#[derive(Clone, Default)]
struct LogBuffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogBuffer {
    type Writer = LogBuffer;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl LogBuffer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}

/// With the log at debug for every crate (`RUST_LOG=debug`, the SIP stack included), a day's
/// work that handles numbers at every turn leaves none of them in the log: a caller's call
/// rings, is answered and transferred to a colleague; then the first agent dials a number the
/// dial plan refuses and calls a resident back. The log is the binary's own (same filter, same
/// output), read in memory.
#[test]
fn at_debug_level_a_call_a_transfer_and_call_backs_leave_no_number_in_the_log() {
    let log = LogBuffer::default();
    tsunagu::logging::init_with(Some("debug"), log.clone());
    enter_loopback_namespace();
    runtime().block_on(async {
        let (resident, resident_phone, trunk) = resident_on_the_trunk(Duration::from_secs(120)).await;
        let center = Center::start(Options {
            outbound_trunk: Some(trunk),
            ..Options::default()
        })
        .await;
        add_user(&center, "first", "agent", &[("en", 3)]).await;
        add_user(&center, "second", "agent", &[("en", 3)]).await;
        let mut first = Browser::start_with(
            &center,
            "first",
            "transfer",
            &[
                ("TRANSFER_TO", "second"),
                ("DIAL_REFUSED", "0570-064-556"),
                ("DIAL", "044-200-1234"),
            ],
        );
        first.step("ready", Duration::from_secs(60)).await;
        let mut second = Browser::start(&center, "second", "take-call");
        second.step("ready", Duration::from_secs(60)).await;
        let (socket, port) = phone_socket().await;
        let phone = tokio::spawn(talking_phone(socket, Duration::from_secs(90), true));
        let caller = {
            let (sip, dir) = (center.sip(), center.dir.path().to_path_buf());
            tokio::spawn(async move { sipp_at(sip, &dir, "caller_waits_for_bye.xml", port, 0, &[]).await })
        };
        let ringing = first.step("ringing", Duration::from_secs(60)).await;
        assert_eq!(
            ringing["shown"], "09012345678",
            "the page shows the number: it is not lost"
        );
        for step in ["connected", "transferred"] {
            first.step(step, Duration::from_secs(20)).await;
        }
        for step in [
            "ringing",
            "connected",
            "stats",
            "hold_on",
            "hold_off",
            "mute_on",
            "mute_off",
            "wrap_up",
            "done",
        ] {
            second.step(step, Duration::from_secs(30)).await;
        }
        for step in ["refused", "done"] {
            first.step(step, Duration::from_secs(20)).await;
        }
        let refused = first.step("dial_refused", Duration::from_secs(20)).await;
        assert!(
            refused["shown"]
                .as_str()
                .is_some_and(|m| m.contains("may not be called")),
            "{refused}"
        );
        for step in ["call_back_connected", "call_back_stats", "call_back_done"] {
            first.step(step, Duration::from_secs(60)).await;
        }
        let (status, output) = caller.await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(status, Some(0), "{output}");
        let _ = phone.await;
        let out = resident.wait_with_output().await.unwrap_or_else(|e| panic!("{e}"));
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let _ = resident_phone.await;
        center.running.services.journal.flush().await;
        let calls = center.calls_today().await;
        assert_eq!(calls.len(), 2, "the call and the call-back have their records");
    });
    let text = log.text();
    let lines = text.lines().count();
    let head: Vec<&str> = text.lines().take(60).collect();
    assert!(
        text.contains(" DEBUG ") && text.contains("rsipstack") && text.contains("call step") && lines > 100,
        "the log is at debug level, the SIP stack's lines and ours in it ({lines} lines):\n{}",
        head.join("\n")
    );
    for number in [
        "09012345678",
        "090-1234-5678",
        "0442001234",
        "044-200-1234",
        "0570064556",
        "0570-064-556",
    ] {
        let found: Vec<&str> = text.lines().filter(|l| l.contains(number)).take(3).collect();
        assert!(found.is_empty(), "{number} is in the log: {found:#?}");
    }
    if std::env::var_os("TSUNAGU_SHOW_LOG").is_some() {
        eprintln!("{text}");
    }
    eprintln!("{lines} log lines at debug level, no number in them");
}

/// CC-BOOK: while a caller from the trunk is on the line, the agent books a card pickup in the
/// softphone's side panel (two clicks after the checklist), reads the code back, then changes
/// and cancels it there. The booking is linked to the call: it is in the call's record and in
/// the caller's history the next time they ring.
#[test]
fn an_agent_books_changes_and_cancels_in_the_side_panel_during_a_call() {
    enter_loopback_namespace();
    runtime().block_on(async {
        let center = Center::start(Options::default()).await;
        add_user(&center, "ito", "agent", &[("ja", 3), ("en", 3)]).await;
        let screenshot = center.dir.path().join("side-panel.png");
        let screenshot_env = screenshot.display().to_string();
        let mut browser = Browser::start_with(
            &center,
            "ito",
            "book",
            &[("OFFICE", "test-office"), ("SCREENSHOT", screenshot_env.as_str())],
        );
        browser.step("ready", Duration::from_secs(60)).await;
        let (socket, port) = phone_socket().await;
        let phone = tokio::spawn(talking_phone(socket, Duration::from_secs(120), true));
        let caller = {
            let (sip, dir) = (center.sip(), center.dir.path().to_path_buf());
            tokio::spawn(async move { sipp_at(sip, &dir, "caller_waits_for_bye.xml", port, 0, &[]).await })
        };
        browser.step("ringing", Duration::from_secs(60)).await;
        let connected = browser.step("connected", Duration::from_secs(20)).await;
        let call = connected["call"].as_str().unwrap_or_default().to_string();
        let booked = browser.step("booked", Duration::from_secs(60)).await;
        assert_eq!(
            booked["clicks"],
            serde_json::json!(["slot", "book"]),
            "two clicks after the checklist"
        );
        assert_eq!(booked["call"], call.as_str());
        let display = booked["code"].as_str().unwrap_or_default().to_string();
        assert!(
            booked["shown"].as_str().unwrap_or_default().contains("読み上げ"),
            "the agent is told to read the code back: {booked}"
        );
        assert!(
            booked["linked"].as_str().unwrap_or_default().contains("通話"),
            "{booked}"
        );
        let changed = browser.step("changed", Duration::from_secs(30)).await;
        let cancelled = browser.step("cancelled", Duration::from_secs(30)).await;
        assert_eq!(
            cancelled["history"].as_array().map(Vec::len),
            Some(3),
            "created, changed, cancelled: {cancelled}"
        );
        browser.step("done", Duration::from_secs(30)).await;
        let (status, output) = caller.await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(status, Some(0), "{output}");
        drop(phone);

        let code = display.replace('-', "");
        let store = &center.running.store;
        let row = store
            .booking(&code)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("booking {code} not stored"));
        assert_eq!((row.call_id.as_str(), row.channel.as_str()), (call.as_str(), "phone"));
        assert_eq!((row.status.as_str(), row.booked_by.as_str()), ("cancelled", "ito"));
        assert_eq!(row.slot_start, changed["to"].as_str().unwrap_or_default());
        assert!(screenshot.exists(), "the side panel was photographed");

        // The call's record shows the booking; the caller's next ring shows it in the history.
        add_user(&center, "suzuki", "supervisor", &[]).await;
        let cookie = common::staff::log_in(&center, "suzuki").await;
        let (status, _, body) = common::staff::http(
            &center,
            "GET",
            &format!("/api/calls/{call}"),
            &[("cookie", &cookie)],
            "",
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let record: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        assert_eq!(record["bookings"][0]["code"], code.as_str(), "{record}");
        let accesses = store
            .accesses(jiff::Timestamp::UNIX_EPOCH, jiff::Timestamp::MAX)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            accesses
                .iter()
                .any(|a| a.reader == "suzuki" && a.action == "call.read" && a.subject == call),
            "the call record's read is audited: {accesses:?}"
        );
        let caller_number = tsunagu::pii::PhoneNumber::from("09012345678");
        let earlier = store
            .earlier_calls(&caller_number, "a-later-call", 5)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(earlier[0].bookings[0].code, code, "{earlier:?}");
        if let Ok(dir) = std::env::var("TSUNAGU_SCREENSHOTS") {
            let _ = std::fs::copy(&screenshot, Path::new(&dir).join("booking-side-panel.png"));
        }
    });
}
