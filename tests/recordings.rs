//! Recordings and their transcripts against real parts: the whisper model built by
//! ops/whisper/prepare-model, real SQLite and PostgreSQL, the HTTP API as the review page uses
//! it, and the binary killed in the middle of a transcription.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::center::{Center, Options, eventually, repo};
use common::staff::{add_user, get_bytes, http, log_in, log_in_with_csrf};
use common::{TestDatabase, run_tsunagu, stderr, stdout};
use tsunagu::journal::{FiledWrapUp, Line, NewCall, WrapUp};
use tsunagu::pii::PhoneNumber;
use tsunagu::recording::file::{RecordingFile, read_channel};
use tsunagu::store::Store;
use tsunagu::store::recordings::{FinishedRecording, RecordingState};

fn speech(name: &str) -> PathBuf {
    repo().join("tests/data/speech").join(name)
}

/// A stereo recording of ours made from two mono files (the caller's and the agent's side),
/// the shorter padded with silence.
fn stereo(left: &Path, right: &Path, out: &Path) -> i64 {
    let (l, _) = read_channel(left, 0).unwrap_or_else(|e| panic!("{e}"));
    let (r, _) = read_channel(right, 0).unwrap_or_else(|e| panic!("{e}"));
    let len = l.len().max(r.len());
    let mut samples = Vec::with_capacity(len * 2);
    for n in 0..len {
        samples.push(l.get(n).copied().unwrap_or(0));
        samples.push(r.get(n).copied().unwrap_or(0));
    }
    let mut file = RecordingFile::create(out).unwrap_or_else(|e| panic!("{e}"));
    file.write(&samples).unwrap_or_else(|e| panic!("{e}"));
    file.finish(out).unwrap_or_else(|e| panic!("{e}")).duration_ms
}

/// A finished recording's row with its transcription jobs, as the recorder leaves it.
async fn recorded(store: &Store, call: &str, path: &str, lang: &str, duration_ms: i64) {
    store
        .recording_started(call, path, "2026-12-02T01:00:00Z")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let finished = FinishedRecording {
        state: RecordingState::Finished,
        lang: lang.into(),
        duration_ms,
        bytes: 44 + duration_ms * 32,
        sha256: "0".repeat(64),
        dropped_frames: 0,
        finished_at: "2026-12-02T01:05:00Z".into(),
    };
    for (at_ms, kind) in [(0, "agent"), (4000, "hold"), (5000, "unhold")] {
        store
            .recording_mark(call, at_ms, kind, "sato")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    store
        .recording_finished(call, &finished)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

/// Text with full-width and kanji digits as ASCII, separators between digits dropped (what a
/// leak would look like once read back).
fn as_ascii_digits(text: &str) -> String {
    let mapped: Vec<char> = text
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            '〇' | '零' => '0',
            '一' => '1',
            '二' => '2',
            '三' => '3',
            '四' => '4',
            '五' => '5',
            '六' => '6',
            '七' => '7',
            '八' => '8',
            '九' => '9',
            other => other,
        })
        .collect();
    let mut out = String::new();
    for (n, c) in mapped.iter().enumerate() {
        let between_digits =
            n > 0 && mapped[n - 1].is_ascii_digit() && mapped.get(n + 1).is_some_and(char::is_ascii_digit);
        if between_digits && matches!(c, ' ' | '、' | ',' | '-' | '・' | '，' | '　') {
            continue;
        }
        out.push(*c);
    }
    out
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recordings_are_transcribed_searched_played_packaged_held_and_every_read_audited() {
    for db in TestDatabase::both().await {
        let center = Center::start(Options {
            database_url: Some(db.url.clone()),
            transcription: true,
            ..Options::default()
        })
        .await;
        let store = center.running.store.clone();
        let dir = center.dir.path().join("data/recordings");
        let call = format!("rec-{}", rand::random::<u32>());
        let relative = format!("2026/12/02/{call}.wav");
        let duration = stereo(&speech("ja-call.wav"), &speech("ja-long.wav"), &dir.join(&relative));
        // The call's record and its wrap-up (a complaint), as the journal writes them.
        let journal = &center.running.services.journal;
        journal.call(NewCall {
            id: call.clone(),
            sip_call_id: "sip-1".into(),
            arrived_at: "2026-12-02T01:00:00Z".into(),
            service_date: "2026-12-02".into(),
            in_hours: true,
            caller: PhoneNumber::new("0312345678".into()),
            dialed: PhoneNumber::new("0120380366".into()),
            line: Line::TollFree,
            trunk_peer: "127.0.0.1".into(),
            transport: "udp".into(),
        });
        journal
            .wrap_up(FiledWrapUp {
                call: call.clone(),
                agent: "sato".into(),
                saved_at: "2026-12-02T01:06:00Z".into(),
                form: WrapUp {
                    category: "card_pickup".into(),
                    escalation: false,
                    escalation_note: String::new(),
                    complaint: true,
                    notes: "予約について".into(),
                    faq: Vec::new(),
                },
            })
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        recorded(&store, &call, &relative, "ja", duration).await;

        // The workers take both channels and store masked segments.
        let done = eventually(Duration::from_secs(240), || async {
            let jobs = store.transcription_jobs_of(&call).await.unwrap_or_default();
            jobs.len() == 2 && jobs.iter().all(|(_, state, _, _)| state == "done")
        })
        .await;
        let jobs = store.transcription_jobs_of(&call).await.unwrap_or_default();
        assert!(done, "{}: both channels transcribed: {jobs:?}", db.url);

        add_user(&center, "boss", "supervisor", &[]).await;
        add_user(&center, "aoki", "agent", &[("ja", 3)]).await;
        add_user(&center, "city", "city", &[]).await;
        let (boss, csrf) = log_in_with_csrf(&center, "boss").await;
        let cookie = boss;
        let as_boss = [("Cookie", cookie.as_str())];

        // Japanese substring search (no spaces), through the trigram index.
        let (status, _, body) = http(
            &center,
            "GET",
            "/api/recordings?from=2026-12-02&to=2026-12-02&q=%E4%BA%88%E7%B4%84",
            &as_boss,
            "",
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let found = json(&body);
        let calls = found["calls"].as_array().cloned().unwrap_or_default();
        assert_eq!(calls.len(), 1, "予約 finds the call: {body}");
        assert_eq!(calls[0]["call_id"], call.as_str());
        assert_eq!(calls[0]["complaint"], true);
        assert_eq!(calls[0]["held"], true, "a complaint is held");
        assert!(
            calls[0]["snippet"].as_str().unwrap_or_default().contains("予約"),
            "{body}"
        );
        // 窓口 (two characters, shorter than a trigram) is said on the agent's side only.
        let (_, _, body) = http(&center, "GET", "/api/recordings?q=%E7%AA%93%E5%8F%A3", &as_boss, "").await;
        assert_eq!(
            json(&body)["calls"].as_array().map(Vec::len),
            Some(1),
            "short words too: {body}"
        );
        let (_, _, body) = http(&center, "GET", "/api/recordings?q=%E7%A8%8E%E9%87%91", &as_boss, "").await;
        assert_eq!(
            json(&body)["calls"].as_array().map(Vec::len),
            Some(0),
            "税金 was never said: {body}"
        );
        let (_, _, body) = http(
            &center,
            "GET",
            "/api/recordings?flag=complaint&agent=sato&lang=ja",
            &as_boss,
            "",
        )
        .await;
        assert_eq!(json(&body)["calls"].as_array().map(Vec::len), Some(1), "{body}");
        let (_, _, body) = http(&center, "GET", "/api/recordings?flag=escalation", &as_boss, "").await;
        assert_eq!(json(&body)["calls"].as_array().map(Vec::len), Some(0), "{body}");

        // One call: segments of both speakers in time order, marks, wrap-up.
        let (status, _, body) = http(&center, "GET", &format!("/api/recordings/{call}"), &as_boss, "").await;
        assert_eq!(status, 200, "{body}");
        let detail = json(&body);
        let segments = detail["segments"].as_array().cloned().unwrap_or_default();
        let text_of = |speaker: &str| -> String {
            segments
                .iter()
                .filter(|s| s["speaker"] == speaker)
                .map(|s| s["text"].as_str().unwrap_or_default().to_string())
                .collect()
        };
        let caller = text_of("caller");
        let agent = text_of("agent");
        assert!(
            caller.contains("予約") && caller.contains("お願いします"),
            "the caller's side: {caller}"
        );
        assert!(
            agent.contains("窓口") && agent.contains("マイナンバーカード") && !agent.contains("予約"),
            "the agent's side: {agent}"
        );
        let starts: Vec<i64> = segments.iter().map(|s| s["start_ms"].as_i64().unwrap_or(-1)).collect();
        assert!(
            starts.windows(2).all(|w| w[0] <= w[1]) && starts.iter().all(|s| (0..duration).contains(s)),
            "{starts:?}"
        );
        assert_eq!(detail["marks"].as_array().map(Vec::len), Some(3));
        assert_eq!(detail["hold_reason"], "complaint");
        assert_eq!(detail["wrapups"][0]["complaint"], true);

        // The audio, whole and in a range (the player seeks).
        let (status, head, wav) = get_bytes(&center, &format!("/api/recordings/{call}/audio"), &as_boss).await;
        assert_eq!(status, 200, "{head}");
        assert!(head.to_ascii_lowercase().contains("content-type: audio/wav"), "{head}");
        assert_eq!(&wav[..4], b"RIFF");
        let file = std::fs::read(dir.join(&relative)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(wav, file);
        let (status, head, part) = get_bytes(
            &center,
            &format!("/api/recordings/{call}/audio"),
            &[as_boss[0], ("Range", "bytes=1000-1999")],
        )
        .await;
        assert_eq!(status, 206, "{head}");
        assert_eq!(part, file[1000..2000].to_vec());

        // The complaint package: one zip with the recording, the transcript and the record.
        let (status, head, zipped) = get_bytes(&center, &format!("/api/recordings/{call}/package"), &as_boss).await;
        assert_eq!(status, 200, "{head}");
        assert!(head.contains(&format!("complaint-{call}.zip")), "{head}");
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zipped)).unwrap_or_else(|e| panic!("{e}"));
        let mut names: Vec<String> = archive.file_names().map(str::to_string).collect();
        names.sort();
        assert_eq!(
            names,
            [
                format!("{call}/call.json"),
                format!("{call}/recording.wav"),
                format!("{call}/transcript.txt")
            ]
        );
        let mut transcript = String::new();
        archive
            .by_name(&format!("{call}/transcript.txt"))
            .unwrap_or_else(|e| panic!("{e}"))
            .read_to_string(&mut transcript)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            transcript.starts_with('\u{feff}') && transcript.contains("発信者") && transcript.contains("予約"),
            "{transcript}"
        );
        let mut record = String::new();
        archive
            .by_name(&format!("{call}/call.json"))
            .unwrap_or_else(|e| panic!("{e}"))
            .read_to_string(&mut record)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            !record.contains("0312345678"),
            "the caller's number stays out of the package"
        );
        let mut packaged_wav = Vec::new();
        archive
            .by_name(&format!("{call}/recording.wav"))
            .unwrap_or_else(|e| panic!("{e}"))
            .read_to_end(&mut packaged_wav)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(packaged_wav, file);

        // City staff receive the package of a complaint; agents get nothing here.
        let city = log_in(&center, "city").await;
        let (status, _, _) = get_bytes(
            &center,
            &format!("/api/recordings/{call}/package"),
            &[("Cookie", city.as_str())],
        )
        .await;
        assert_eq!(status, 200);
        let (status, _, _) = http(
            &center,
            "GET",
            &format!("/api/recordings/{call}"),
            &[("Cookie", city.as_str())],
            "",
        )
        .await;
        assert_eq!(status, 403, "city staff do not browse transcripts");
        let agent_cookie = log_in(&center, "aoki").await;
        for path in [
            format!("/api/recordings/{call}"),
            format!("/api/recordings/{call}/audio"),
            "/api/recordings".to_string(),
        ] {
            let (status, _, _) = get_bytes(&center, &path, &[("Cookie", agent_cookie.as_str())]).await;
            assert_eq!(status, 403, "{path}");
        }
        let (status, _, _) = get_bytes(&center, &format!("/api/recordings/{call}/audio"), &[]).await;
        assert_eq!(status, 401);

        // Every read is an audit row: the search, the transcript, the listen (the range that
        // did not start at 0 is the same listen), the downloads.
        let (_, _, body) = http(&center, "GET", "/api/audit?from=2000-01-01&to=2100-01-01", &as_boss, "").await;
        let audit = json(&body);
        let rows = audit.as_array().cloned().unwrap_or_default();
        let count = |action: &str| {
            rows.iter()
                .filter(|r| r["action"] == action && (r["subject"] == call.as_str() || action == "transcript.search"))
                .count()
        };
        assert_eq!(count("transcript.read"), 1, "{body}");
        assert_eq!(count("recording.listen"), 1, "{body}");
        assert_eq!(count("recording.download"), 2, "{body}");
        assert_eq!(count("transcript.search"), 5, "{body}");

        // The review page in Chromium: found by a Japanese word, played, a click on a
        // segment seeks there and it lights up while it plays, the package downloads.
        let script = repo().join("tests/browser/review.mjs");
        let base = format!("http://{}", center.running.http_addr);
        let (call_arg, shots) = (call.clone(), center.dir.path().display().to_string());
        let output = tokio::task::spawn_blocking(move || {
            std::process::Command::new("node")
                .arg(script)
                .args([
                    base.as_str(),
                    "boss",
                    common::staff::PASSWORD,
                    "予約",
                    call_arg.as_str(),
                    "2",
                ])
                .env("FROM", "2026-12-02")
                .env("TO", "2026-12-02")
                .env(
                    "TSUNAGU_SCREENSHOTS",
                    std::env::var("TSUNAGU_SCREENSHOTS").unwrap_or(shots),
                )
                .stderr(std::process::Stdio::inherit())
                .output()
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|e| panic!("node: {e}"));
        let shown = json(&String::from_utf8_lossy(&output.stdout));
        assert!(output.status.success(), "{shown}");
        let rows = shown["rows"].as_array().cloned().unwrap_or_default();
        assert!(
            rows.iter()
                .any(|r| r["call_id"] == call.as_str() && r["flags"].to_string().contains("complaint")),
            "{shown}"
        );
        let played = shown["audio"]["duration"].as_f64().unwrap_or_default();
        assert!(
            (played - duration as f64 / 1000.0).abs() < 0.1,
            "the player has the whole call: {shown}"
        );
        let segment = &shown["segment"];
        let start = segment["start_ms"].as_f64().unwrap_or(-1.0) / 1000.0;
        assert!(
            (segment["seeked_to"].as_f64().unwrap_or(-9.0) - start).abs() < 0.3,
            "a click seeks to its segment: {shown}"
        );
        assert_eq!(
            segment["playing"], true,
            "and it is highlighted while it plays: {shown}"
        );
        assert!(shown["segments"].to_string().contains("予約"), "{shown}");
        assert!(
            shown["wrapups_text"]
                .as_str()
                .unwrap_or_default()
                .contains("予約について"),
            "{shown}"
        );
        assert_eq!(shown["package"]["filename"], format!("complaint-{call}.zip"), "{shown}");
        assert_eq!(shown["package"]["zip"], true, "{shown}");

        // Retention keeps a complaint until a supervisor releases it (with a reason).
        let past = "2027-12-02T00:00:00Z".parse().unwrap_or_else(|e| panic!("{e}"));
        let deleted = tsunagu::recording::retention::sweep(&store, &dir, past, past).await;
        assert_eq!(deleted, Ok(0), "held");
        let with_csrf = [
            ("Cookie", cookie.as_str()),
            ("X-CSRF-Token", csrf.as_str()),
            ("Content-Type", "application/json"),
        ];
        let (status, _, body) = http(
            &center,
            "POST",
            &format!("/api/recordings/{call}/release"),
            &with_csrf,
            "{}",
        )
        .await;
        assert_eq!(status, 400, "a release needs a reason: {body}");
        let (status, _, body) = http(
            &center,
            "POST",
            &format!("/api/recordings/{call}/release"),
            &with_csrf,
            r#"{"reason":"市へ提出済み"}"#,
        )
        .await;
        assert_eq!((status, json(&body)["held"].as_bool()), (200, Some(false)), "{body}");
        center.running.jobs.run_all(past).await;
        assert!(!dir.join(&relative).exists(), "the file is gone after retention");
        let row = store
            .recording_of(&call)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("row kept"));
        assert_eq!(row.state, "deleted");
        assert!(
            store.segments_of(&call).await.unwrap_or_default().is_empty(),
            "the transcript went with it"
        );
        let (_, _, body) = http(&center, "GET", "/api/recordings?q=%E4%BA%88%E7%B4%84", &as_boss, "").await;
        assert_eq!(
            json(&body)["calls"].as_array().map(Vec::len),
            Some(0),
            "nor is it found: {body}"
        );
        let (status, _, _) = get_bytes(&center, &format!("/api/recordings/{call}/audio"), &as_boss).await;
        assert_eq!(status, 404);
        let runs = store.job_runs("recording_retention", 10).await.unwrap_or_default();
        assert!(
            runs.iter().any(|r| r.rows == 1 && r.outcome == "ok"),
            "the run is logged: {runs:?}"
        );
        let (_, _, metrics) = http(&center, "GET", "/metrics", &[], "").await;
        assert!(
            metrics.contains("tsunagu_transcription_model_loaded 1")
                && metrics.contains("tsunagu_transcriptions_done_total 2"),
            "{metrics}"
        );
        center.running.shutdown().await;
    }
}

/// `tsunagu recordings transcribe`: words come back; silence and noise give no segments.
#[test]
fn the_cli_transcribes_japanese_and_english_and_finds_nothing_in_silence_or_noise() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let ja = run_tsunagu(
        dir.path(),
        &[
            "recordings",
            "transcribe",
            &speech("ja-phone.wav").display().to_string(),
            "--lang",
            "ja",
            "--json",
        ],
        &[],
    );
    assert!(ja.status.success(), "{}", stderr(&ja));
    let text: String = json(&stdout(&ja))["segments"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|s| s["text"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        text.contains("予約") && text.contains("火曜日"),
        "through the telephone channel: {text}"
    );
    let en = run_tsunagu(
        dir.path(),
        &[
            "recordings",
            "transcribe",
            &speech("en-call.wav").display().to_string(),
            "--lang",
            "en",
        ],
        &[],
    );
    assert!(en.status.success(), "{}", stderr(&en));
    assert!(stdout(&en).to_lowercase().contains("appointment"), "{}", stdout(&en));

    // A caller reads out a My Number (4-4-4) and a PIN: none of their digits reach the output,
    // in whatever form whisper writes them; the time of the visit does.
    let spoken = run_tsunagu(
        dir.path(),
        &[
            "recordings",
            "transcribe",
            &speech("ja-mynumber.wav").display().to_string(),
            "--lang",
            "ja",
            "--json",
        ],
        &[],
    );
    assert!(spoken.status.success(), "{}", stderr(&spoken));
    let segments = json(&stdout(&spoken))["segments"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let text: String = segments
        .iter()
        .map(|s| s["text"].as_str().unwrap_or_default().to_string())
        .collect();
    let digits = as_ascii_digits(&text);
    for group in ["7316", "2940", "5823", "8052"] {
        assert!(!digits.contains(group), "{group} leaked: {text}");
    }
    assert!(
        text.matches("［番号］").count() >= 2,
        "the number and the PIN are masked: {text}"
    );
    assert!(digits.contains("10時"), "ordinary numbers stay: {text}");
    let rules: Vec<String> = segments
        .iter()
        .flat_map(|s| s["masked"].as_array().cloned().unwrap_or_default())
        .map(|r| r.as_str().unwrap_or_default().to_string())
        .collect();
    assert!(!rules.is_empty(), "each masked segment names its rule: {segments:?}");

    let write = |name: &str, samples: &[i16]| -> String {
        let path = dir.path().join(name);
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 8000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(&path, spec).unwrap_or_else(|e| panic!("{e}"));
        for s in samples {
            w.write_sample(*s).unwrap_or_else(|e| panic!("{e}"));
        }
        w.finalize().unwrap_or_else(|e| panic!("{e}"));
        path.display().to_string()
    };
    let mut x: u32 = 12345;
    let noise: Vec<i16> = (0..8000 * 15)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            ((x % 8001) as i32 - 4000) as i16
        })
        .collect();
    for (name, samples) in [("silence.wav", vec![0i16; 8000 * 15]), ("noise.wav", noise)] {
        let file = write(name, &samples);
        let out = run_tsunagu(
            dir.path(),
            &["recordings", "transcribe", &file, "--lang", "ja", "--json"],
            &[],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(
            json(&stdout(&out))["segments"].as_array().map(Vec::len),
            Some(0),
            "{name}: {}",
            stdout(&out)
        );
    }
    let missing = run_tsunagu(
        dir.path(),
        &[
            "recordings",
            "transcribe",
            &speech("en-call.wav").display().to_string(),
            "--model",
            "/nonexistent.bin",
        ],
        &[],
    );
    assert!(!missing.status.success());
    assert!(stderr(&missing).contains("prepare-model"), "{}", stderr(&missing));
}

/// The binary killed in the middle of a transcription: the next start takes the job again
/// once the dead worker's lease lapses, and finishes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transcription_cut_by_a_crash_is_resumed_by_the_next_start() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().join("data");
    let relative = "2026/12/02/crash-1.wav";
    let duration = stereo(
        &speech("ja-long.wav"),
        &speech("en-call.wav"),
        &data.join("recordings").join(relative),
    );
    let url = format!("sqlite://{}", data.join("tsunagu.db").display());
    let store = Store::connect(&url).await.unwrap_or_else(|e| panic!("{e}"));
    recorded(&store, "crash-1", relative, "ja", duration).await;
    let config = dir.path().join("tsunagu.toml");
    std::fs::write(
        &config,
        format!(
            "[sip]\nlisten = \"127.0.0.1:0\"\n[http]\nlisten = \"127.0.0.1:0\"\n[media]\nrtp_ports = [31000, 31999]\n\
             [softphone]\nports = [32000, 32099]\n[transcription]\nlease_seconds = 3\nworkers = 1\n\
             [paths]\ndata_dir = \"{}\"\nflows = \"{}\"\nprompts = \"{}\"\n",
            data.display(),
            repo().join("ivr-flows").display(),
            repo().join("prompts").display()
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let serve = || {
        std::process::Command::new(common::tsunagu_bin())
            .args(["serve", "--config", &config.display().to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"))
    };
    // A file a crash left before its first row was written (today, Tokyo): registered at start.
    let today = common::center::today_tokyo();
    let orphan = format!(
        "{:04}/{:02}/{:02}/1a23443fa80-0badcafe.wav",
        today.year(),
        today.month(),
        today.day()
    );
    stereo(
        &speech("en-call.wav"),
        &speech("en-call.wav"),
        &data.join("recordings").join(&orphan),
    );
    let mut first = serve();
    let running = eventually(Duration::from_secs(60), || async {
        store
            .transcription_jobs_of("crash-1")
            .await
            .unwrap_or_default()
            .iter()
            .any(|(channel, state, _, _)| channel == "caller" && state == "running")
    })
    .await;
    assert!(running, "the first process took the job");
    first.kill().unwrap_or_else(|e| panic!("{e}"));
    let _ = first.wait();
    let jobs = store.transcription_jobs_of("crash-1").await.unwrap_or_default();
    assert!(
        jobs.iter().any(|(c, s, _, _)| c == "caller" && s == "running"),
        "still claimed by the dead process: {jobs:?}"
    );

    let row = store
        .recording_of("1a23443fa80-0badcafe")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let row = row.unwrap_or_else(|| panic!("the orphan file got a row"));
    assert_eq!(
        (row.state.as_str(), row.path.as_str()),
        ("interrupted", orphan.as_str())
    );
    assert!(row.duration_ms > 10_000 && row.sha256.len() == 64, "{row:?}");
    assert_eq!(row.started_at, "2026-12-02T01:00:00Z", "from the call id");

    let mut second = serve();
    let done = eventually(Duration::from_secs(240), || async {
        let jobs = store.transcription_jobs_of("crash-1").await.unwrap_or_default();
        jobs.len() == 2 && jobs.iter().all(|(_, state, _, _)| state == "done")
    })
    .await;
    let _ = second.kill();
    let _ = second.wait();
    let jobs = store.transcription_jobs_of("crash-1").await.unwrap_or_default();
    assert!(done, "resumed and finished: {jobs:?}");
    let caller = jobs
        .iter()
        .find(|(c, ..)| c == "caller")
        .map(|(_, _, attempts, _)| *attempts);
    assert_eq!(caller, Some(2), "the caller's channel was tried twice: {jobs:?}");
    let text: String = store
        .segments_of("crash-1")
        .await
        .unwrap_or_default()
        .iter()
        .filter(|s| s.speaker == "caller")
        .map(|s| s.text.clone())
        .collect();
    assert!(
        text.contains("住民票") || text.contains("窓口") || text.contains("受付"),
        "{text}"
    );
}

/// Many workers claiming at once (8 here, as several processes would on PostgreSQL) take each
/// job exactly once; a job that keeps failing is retried up to the limit, then failed for good.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_are_claimed_once_by_concurrent_workers_and_failures_stop_at_the_limit() {
    for db in TestDatabase::both().await {
        let store = Store::connect(&db.url).await.unwrap_or_else(|e| panic!("{e}"));
        for n in 0..20 {
            recorded(
                &store,
                &format!("claim-{n}"),
                &format!("2026/12/02/claim-{n}.wav"),
                "ja",
                1000,
            )
            .await;
        }
        let lease = "2999-01-01T00:00:00Z";
        let mut workers = Vec::new();
        for w in 0..8 {
            let store = store.clone();
            workers.push(tokio::spawn(async move {
                let mut taken = Vec::new();
                loop {
                    match store
                        .claim_transcription(&format!("w{w}"), "2026-12-02T02:00:00Z", lease, 3)
                        .await
                    {
                        Ok(Some(job)) => taken.push(job.id),
                        Ok(None) => break,
                        // SQLite answers "busy" to a writer that waited too long: try again.
                        Err(e) if !e.is_lasting() => {}
                        Err(e) => panic!("{e}"),
                    }
                }
                taken
            }));
        }
        let mut all = Vec::new();
        for worker in workers {
            all.extend(worker.await.unwrap_or_else(|e| panic!("{e}")));
        }
        all.sort_unstable();
        let claimed = all.len();
        all.dedup();
        assert_eq!((claimed, all.len()), (40, 40), "{}: 40 jobs, each claimed once", db.url);

        // A job that fails: queued again while attempts remain, then failed.
        recorded(&store, "failing", "2026/12/02/failing.wav", "ja", 1000).await;
        let mut attempts = Vec::new();
        while let Some(job) = store
            .claim_transcription("w", "2026-12-02T02:00:00Z", lease, 3)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
        {
            attempts.push((job.call_id.clone(), job.channel.clone(), job.attempts));
            store
                .fail_transcription(&job, "w", "the file is unreadable", 3, "2026-12-02T02:00:00Z")
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        assert_eq!(attempts.len(), 6, "two channels, three attempts each: {attempts:?}");
        let jobs = store
            .transcription_jobs_of("failing")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            jobs.iter()
                .all(|(_, state, tries, error)| state == "failed" && *tries == 3 && error.contains("unreadable")),
            "{jobs:?}"
        );
        // A lapsed lease (its worker died) makes a running job claimable again.
        recorded(&store, "lapsed", "2026/12/02/lapsed.wav", "ja", 1000).await;
        let first = store
            .claim_transcription("dead", "2026-12-02T02:00:00Z", "2026-12-02T02:00:05Z", 3)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("a job"));
        let taken_over = store
            .claim_transcription("alive", "2026-12-02T02:00:10Z", lease, 3)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("the lapsed job"));
        assert_eq!(
            (taken_over.id, taken_over.attempts),
            (first.id, 2),
            "oldest first, tried again"
        );
        let done = store
            .finish_transcription(&first, "dead", &[], "2026-12-02T02:01:00Z")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!done, "the dead worker's late result is refused");
        store.close().await;
    }
}
