//! A real center for SIP tests: `tsunagu::server::start` on free loopback ports, with the
//! shipped flows and prompts, a calendar that is open (or closed) right now, a fresh database;
//! sipp as the caller's SIP side and a UDP socket of the test as the caller's phone.
// The phone lives in real time: it is an edge, and reads the clock.
#![allow(clippy::disallowed_methods)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::Timestamp;
use jiff::civil::Date;
use rtp::packet::Packet;
use tokio::net::UdpSocket;
use tsunagu::calendar;
use tsunagu::config::Config;
use tsunagu::journal::CallRecord;
use tsunagu::report::daily::{DailyReport, daily_report};
use tsunagu::server::Running;
use webrtc_util::marshal::{Marshal, Unmarshal};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn today_tokyo() -> Date {
    calendar::tokyo_time(Timestamp::now()).date()
}

/// Whether the call center's calendar says open or closed right now.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Hours {
    OpenNow,
    ClosedNow,
}

/// A call-center calendar open all day from yesterday to tomorrow, or the same closed today
/// by a one-off closure (so the test does not depend on when it runs).
fn calendar_file(hours: Hours) -> String {
    let today = today_tokyo();
    let from = today.yesterday().unwrap_or(today);
    let until = today.tomorrow().unwrap_or(today);
    let mut text = format!(
        "id = \"call-center\"\nname = \"test\"\nclosed_on_national_holidays = false\n\n[[period]]\nname = \"test\"\nfrom = {from}\nuntil = {until}\n"
    );
    for day in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] {
        text.push_str(&format!("weekly.{day} = [\"00:00-24:00\"]\n"));
    }
    if hours == Hours::ClosedNow {
        text.push_str(&format!(
            "\n[[closure]]\nreason = \"system maintenance\"\ncategory = \"maintenance\"\ndate = {today}\n"
        ));
    }
    text
}

/// The booking office of the tests: open 09:00–17:00 every day from yesterday for 120 days
/// (whatever the date the tests run on), closed three days from today ([`closed_day`]).
pub const TEST_OFFICE: &str = r#"
id = "test-office"
name = "テスト窓口"
name_en = "Test counter"
address = "川崎市中原区小杉町3丁目245番地"
mailbox = "test-office@yoyaku.example.jp"
calendar = "test-counter"

[services.card_pickup]
slot_minutes = 30
capacity = 5

[services.certificate_renewal]
slot_minutes = 60
capacity = 2
"#;

/// The day the test counter is closed by a one-off closure.
pub fn closed_day() -> Date {
    today_tokyo()
        .checked_add(jiff::ToSpan::days(3))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// A slot key of the test counter, `days` from today at `time` (`HH:MM`).
pub fn slot(days: i64, time: &str) -> String {
    let date = today_tokyo()
        .checked_add(jiff::ToSpan::days(days))
        .unwrap_or_else(|e| panic!("{e}"));
    format!("{date}T{time}")
}

pub fn counter_calendar_file() -> String {
    let today = today_tokyo();
    let from = today.yesterday().unwrap_or(today);
    let until = today.checked_add(jiff::ToSpan::days(120)).unwrap_or(today);
    let mut text = format!(
        "id = \"test-counter\"\nname = \"テスト窓口\"\nclosed_on_national_holidays = false\n\n[[period]]\nname = \"test\"\nfrom = {from}\nuntil = {until}\n"
    );
    for day in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] {
        text.push_str(&format!("weekly.{day} = [\"09:00-17:00\"]\n"));
    }
    text.push_str(&format!(
        "\n[[closure]]\nreason = \"臨時休業（システム保守）\"\ncategory = \"maintenance\"\ndate = {}\n",
        closed_day()
    ));
    text
}

pub struct Options {
    pub hours: Hours,
    pub max_lines: usize,
    pub answer_delay_ms: u64,
    /// `[center] max_expected_wait_seconds` (0: off).
    pub max_expected_wait_seconds: u64,
    pub trunk_peers: Vec<String>,
    /// PostgreSQL instead of the default SQLite file.
    pub database_url: Option<String>,
    /// Where RTP may go (empty: the trunk peers).
    pub rtp_peers: Vec<String>,
    pub media_timeout_seconds: u64,
    /// Digest credentials the trunk must present (realm, username, password).
    pub trunk_auth: Option<(String, String, String)>,
    /// The floor's settings (`[agents]`).
    pub agents: tsunagu::config::AgentsConfig,
    /// Where call-backs go (`[outbound] trunk`).
    pub outbound_trunk: Option<SocketAddr>,
    pub secure_cookie: bool,
    /// `[journal]`: when new calls are shed, how many rows wait at most.
    pub journal: tsunagu::config::JournalConfig,
    /// `[sip] answer_strangers`.
    pub answer_strangers: bool,
    /// Where SIP listens and RTP binds (default 127.0.0.1, a free port).
    pub ip: std::net::IpAddr,
    /// `[sip] requests_per_second_per_peer`.
    pub requests_per_second_per_peer: u32,
    /// `[booking]`: the horizon and the booker's change deadline.
    pub booking: tsunagu::config::BookingConfig,
    /// `[http] citizen_listen`: the citizen pages on a listener of their own.
    pub citizen_listen: bool,
    /// `[mail] smtp`: where notices go (reminders from midnight, so a test at any hour sees them).
    pub smtp: Option<SocketAddr>,
    /// Transcription workers (off unless a test is about them: whisper takes the cores).
    pub transcription: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            hours: Hours::OpenNow,
            max_lines: 30,
            answer_delay_ms: 0,
            max_expected_wait_seconds: 0,
            trunk_peers: vec!["127.0.0.0/8".into()],
            database_url: None,
            rtp_peers: Vec::new(),
            media_timeout_seconds: 10,
            trunk_auth: None,
            agents: Default::default(),
            outbound_trunk: None,
            secure_cookie: false,
            journal: Default::default(),
            answer_strangers: false,
            ip: std::net::IpAddr::from([127, 0, 0, 1]),
            requests_per_second_per_peer: tsunagu::config::Config::default().sip.requests_per_second_per_peer,
            booking: Default::default(),
            citizen_listen: false,
            smtp: None,
            transcription: false,
        }
    }
}

pub struct Center {
    pub running: Running,
    pub dir: tempfile::TempDir,
    /// The Tokyo date the center started on: a test that runs across midnight has calls on
    /// two dates.
    pub started_on: Date,
}

/// The configuration of a test center in `dir`: free loopback ports, the shipped flows and
/// prompts, a calendar open (or closed) now, its own database.
pub fn test_config(options: Options, dir: &Path) -> Config {
    let calendars = dir.join("calendars");
    std::fs::create_dir_all(&calendars).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(calendars.join("call-center.toml"), calendar_file(options.hours)).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(calendars.join("test-counter.toml"), counter_calendar_file()).unwrap_or_else(|e| panic!("{e}"));
    let offices = dir.join("offices");
    std::fs::create_dir_all(&offices).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(offices.join("test-office.toml"), TEST_OFFICE).unwrap_or_else(|e| panic!("{e}"));
    let mut config = Config::default();
    config.sip.listen = SocketAddr::new(options.ip, 0);
    config.media.ip = options.ip;
    config.sip.trunk_peers = options.trunk_peers;
    config.http.listen = "127.0.0.1:0".parse().unwrap_or_else(|e| panic!("{e}"));
    config.media.rtp_ports = [30000, 39999];
    config.media.timeout_seconds = options.media_timeout_seconds;
    config.sip.auth = options
        .trunk_auth
        .map(|(realm, username, password)| tsunagu::sip::digest::TrunkCredentials {
            realm,
            username,
            password,
        });
    config.center.max_lines = options.max_lines;
    config.center.answer_delay_ms = options.answer_delay_ms;
    config.center.max_expected_wait_seconds = options.max_expected_wait_seconds;
    config.center.shutdown_grace_seconds = 2;
    config.paths.data_dir = dir.join("data");
    config.paths.flows = repo().join("ivr-flows");
    config.paths.prompts = repo().join("prompts");
    config.paths.faq = repo().join("faq");
    config.paths.calendars = Some(calendars);
    config.paths.offices = Some(offices);
    config.booking = options.booking;
    if let Some(smtp) = options.smtp {
        config.mail.smtp = smtp.to_string();
        config.mail.reminders_from = "00:00".to_string();
        config.booking.handover_at = "00:00".to_string();
    }
    if options.citizen_listen {
        config.http.citizen_listen = Some(SocketAddr::from(([127, 0, 0, 1], 0)));
    }
    config.transcription.enabled = options.transcription;
    // A worker that dies loses its job for a few seconds only.
    config.transcription.lease_seconds = 3;
    config.paths.database_url = options.database_url;
    config.media.rtp_peers = options.rtp_peers;
    config.agents = options.agents;
    config.outbound.trunk = options.outbound_trunk;
    config.http.secure_cookie = options.secure_cookie;
    config.journal = options.journal;
    config.sip.answer_strangers = options.answer_strangers;
    config.sip.requests_per_second_per_peer = options.requests_per_second_per_peer;
    // Centers of tests running side by side take their softphone ports from different
    // stretches, so that two never hand the same free port to WebRTC at once.
    let base = 40_000 + 100 * (rand::random::<u16>() % 200);
    config.softphone.ports = [base, base + 99];
    config
}

impl Center {
    pub async fn start(options: Options) -> Center {
        // TSUNAGU_TEST_LOG=debug shows the center's log in a failing test's output.
        if let Ok(directives) = std::env::var("TSUNAGU_TEST_LOG") {
            tsunagu::logging::init_with(Some(&directives), std::io::stderr);
        }
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let config = test_config(options, dir.path());
        let running = tsunagu::server::start(config)
            .await
            .unwrap_or_else(|e| panic!("the center does not start: {e}"));
        Center {
            running,
            dir,
            started_on: today_tokyo(),
        }
    }

    pub fn sip(&self) -> SocketAddr {
        self.running.sip.udp_addr
    }

    /// The calls of this test (since the center started: one Tokyo date, or two when the test
    /// runs across midnight), once the journal has written everything.
    pub async fn calls_today(&self) -> Vec<CallRecord> {
        self.running.services.journal.flush().await;
        let mut dates = vec![self.started_on];
        let today = today_tokyo();
        if today != self.started_on {
            dates.push(today);
        }
        let mut calls = Vec::new();
        for date in dates {
            calls.extend(
                self.running
                    .store
                    .calls_of_day(&date.to_string())
                    .await
                    .unwrap_or_else(|e| panic!("{e}")),
            );
        }
        calls
    }

    /// The daily report over the calls of this test.
    pub async fn report_today(&self) -> DailyReport {
        let calls = self.calls_today().await;
        daily_report(&self.started_on.to_string(), &calls, 5)
    }

    /// Waits (a few seconds at most) until no call holds a line or an RTP stream any more.
    pub async fn settle(&self) -> (usize, u64) {
        let services = &self.running.services;
        for _ in 0..100 {
            let streams = services.pacer.stats.streams.load(std::sync::atomic::Ordering::Relaxed);
            if services.capacity.lines_in_use() == 0 && streams == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        (
            services.capacity.lines_in_use(),
            services.pacer.stats.streams.load(std::sync::atomic::Ordering::Relaxed),
        )
    }
}

/// Whether `condition` holds within `limit`, asked every 50 ms: tests wait for what they
/// expect, not for a fixed time.
pub async fn eventually<F, Fut>(limit: Duration, mut condition: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if condition().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The first final answer to a bare INVITE from `caller` sent over UDP from a socket of the
/// test's own (no dialog follows it: for the answers given at the door).
pub async fn invite_answer(sip: SocketAddr, caller: &str) -> String {
    invite_answer_as(sip, caller, &format!("{}@test", rand::random::<u32>())).await
}

/// [`invite_answer`] with a Call-ID of the test's choosing (each time a new branch: a new
/// transaction, as a retransmission looks once the first transaction is gone).
pub async fn invite_answer_as(sip: SocketAddr, caller: &str, call_id: &str) -> String {
    let probe = UdpSocket::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
    let local = probe.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
    let tag = rand::random::<u32>();
    let invite = format!(
        "INVITE sip:0120380366@{sip} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bK-{tag}\r\nFrom: <sip:{caller}@{local}>;tag={tag}\r\n\
         To: <sip:0120380366@{sip}>\r\nCall-ID: {call_id}\r\nCSeq: 1 INVITE\r\nContact: <sip:c@{local}>\r\nMax-Forwards: 70\r\n\
         Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    );
    probe
        .send_to(invite.as_bytes(), sip)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut buf = [0u8; 4096];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(10), probe.recv(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("no answer to the INVITE"))
            .unwrap_or_else(|e| panic!("{e}"));
        let answer = String::from_utf8_lossy(&buf[..n]).into_owned();
        if !answer.starts_with("SIP/2.0 1") {
            return answer;
        }
    }
}

/// The answer to an OPTIONS ping over UDP.
pub async fn options_answer(sip: SocketAddr) -> String {
    let probe = UdpSocket::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
    let local = probe.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let tag = rand::random::<u32>();
    let options = format!(
        "OPTIONS sip:0120380366@{sip} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bK-{tag}\r\nFrom: <sip:ping@{local}>;tag={tag}\r\n\
         To: <sip:0120380366@{sip}>\r\nCall-ID: {tag}@ping\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    );
    probe
        .send_to(options.as_bytes(), sip)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut buf = [0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), probe.recv(&mut buf))
        .await
        .unwrap_or_else(|_| panic!("no answer to OPTIONS"))
        .unwrap_or_else(|e| panic!("{e}"));
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

/// The steps of a call, in order, as `kind` or `kind:detail`.
pub fn kinds(call: &CallRecord) -> Vec<String> {
    call.labels()
}

pub fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// A loopback port free for both UDP and TCP at the moment (sipp binds its SIP port for the
/// transport it speaks: a port free for UDP may be some connection's end over TCP).
pub fn free_sip_port() -> u16 {
    for _ in 0..50 {
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        let port = udp.local_addr().map(|a| a.port()).unwrap_or_else(|e| panic!("{e}"));
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no loopback port free for both UDP and TCP");
}

/// Runs one sipp call with a scenario of tests/sipp. Returns sipp's exit status and output.
pub async fn sipp(center: &Center, scenario: &str, phone_port: u16, pause_ms: u64) -> (Option<i32>, String) {
    sipp_at(center.sip(), center.dir.path(), scenario, phone_port, pause_ms, &[]).await
}

/// The same over TCP.
pub async fn sipp_tcp(center: &Center, scenario: &str, phone_port: u16, pause_ms: u64) -> (Option<i32>, String) {
    sipp_at(
        center.sip(),
        center.dir.path(),
        scenario,
        phone_port,
        pause_ms,
        &["-t", "t1"],
    )
    .await
}

/// The same, for a task that cannot borrow the center, with extra sipp arguments.
pub async fn sipp_at(
    sip: SocketAddr,
    dir: &Path,
    scenario: &str,
    phone_port: u16,
    pause_ms: u64,
    extra: &[&str],
) -> (Option<i32>, String) {
    let scenario = repo().join("tests/sipp").join(scenario);
    let err_file = dir.join(format!("sipp-{phone_port}-errors.log"));
    let out = tokio::process::Command::new("sipp")
        .arg(sip.to_string())
        .args(["-sf", &scenario.to_string_lossy()])
        .args([
            "-s",
            "0120380366",
            "-key",
            "caller",
            "09012345678",
            "-key",
            "rtp_port",
            &phone_port.to_string(),
        ])
        .args([
            "-i",
            "127.0.0.1",
            "-p",
            &free_sip_port().to_string(),
            "-mp",
            &free_udp_port().to_string(),
        ])
        .args([
            "-m",
            "1",
            "-d",
            &pause_ms.to_string(),
            "-nostdin",
            "-timeout",
            "120s",
            "-timeout_error",
        ])
        .args(["-trace_err", "-error_file", &err_file.to_string_lossy()])
        .args(extra)
        .current_dir(dir)
        .kill_on_drop(true)
        .output()
        .await
        .unwrap_or_else(|e| panic!("sipp must be installed (Debian sip-tester; ops/test installs it): {e}"));
    let errors = std::fs::read_to_string(&err_file).unwrap_or_default();
    let text = format!(
        "{}{}\n{errors}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

/// One RTP packet the phone received.
#[derive(Debug, Clone)]
pub struct Heard {
    pub packet: Packet,
    pub at: tokio::time::Instant,
}

/// The caller's phone: receives the center's RTP, sends 20 ms of silence back every 20 ms
/// once it knows where from, and presses keys (RFC 4733) after given numbers of packets.
/// It stops after `listen_for`, or 2 s after the center's audio stopped.
pub async fn phone(socket: UdpSocket, keys: Vec<(usize, char)>, listen_for: Duration) -> Vec<Heard> {
    let mut heard = Vec::new();
    let mut center_media: Option<SocketAddr> = None;
    let mut buf = [0u8; 2048];
    let mut keys = std::collections::VecDeque::from(keys);
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let (mut seq, mut ts, ssrc) = (1000u16, 8000u32, 0x1234_5678u32);
    let deadline = tokio::time::sleep(listen_for);
    tokio::pin!(deadline);
    let mut last_heard = tokio::time::Instant::now();
    loop {
        if center_media.is_some() && last_heard.elapsed() > Duration::from_secs(2) {
            return heard;
        }
        tokio::select! {
            _ = &mut deadline => return heard,
            r = socket.recv_from(&mut buf) => {
                last_heard = tokio::time::Instant::now();
                let Ok((n, from)) = r else { return heard };
                center_media = Some(from);
                if let Ok(packet) = Packet::unmarshal(&mut &buf[..n]) {
                    heard.push(Heard { packet, at: tokio::time::Instant::now() });
                }
                if let Some(&(after, key)) = keys.front() {
                    if heard.len() >= after {
                        keys.pop_front();
                        ts = ts.wrapping_add(160);
                        press(&socket, from, key, &mut seq, ts, ssrc).await;
                    }
                }
            }
            _ = tick.tick() => {
                if let Some(to) = center_media {
                    ts = ts.wrapping_add(160);
                    let packet = rtp_packet(0, seq, ts, ssrc, false, vec![0xFF; 160]);
                    seq = seq.wrapping_add(1);
                    let _ = socket.send_to(&packet, to).await;
                }
            }
        }
    }
}

pub fn rtp_packet(payload_type: u8, seq: u16, ts: u32, ssrc: u32, marker: bool, payload: Vec<u8>) -> Vec<u8> {
    let packet = Packet {
        header: rtp::header::Header {
            version: 2,
            marker,
            payload_type,
            sequence_number: seq,
            timestamp: ts,
            ssrc,
            ..Default::default()
        },
        payload: payload.into(),
    };
    packet.marshal().map(|b| b.to_vec()).unwrap_or_default()
}

/// One key press as a carrier sends it: updates, then the end packet three times, all with
/// the timestamp of the start of the event.
async fn press(socket: &UdpSocket, to: SocketAddr, key: char, seq: &mut u16, ts: u32, ssrc: u32) {
    let event = match key {
        '*' => 10,
        '#' => 11,
        d => d.to_digit(10).unwrap_or(0) as u8,
    };
    for (n, end) in [(1u16, false), (2, false), (3, false), (4, true), (4, true), (4, true)] {
        let duration = (n * 160).to_be_bytes();
        let flags = if end { 0x80 | 10 } else { 10 };
        let packet = rtp_packet(
            101,
            *seq,
            ts,
            ssrc,
            n == 1 && !end,
            vec![event, flags, duration[0], duration[1]],
        );
        *seq = seq.wrapping_add(1);
        let _ = socket.send_to(&packet, to).await;
    }
}

/// The frames a prompt is sent as (PCMU), from the same files the center plays.
pub fn prompt_frames(lang: tsunagu::lang::Lang, id: &str) -> Vec<Vec<u8>> {
    let path: &Path = &repo().join("prompts").join(lang.code()).join(format!("{id}.wav"));
    assert!(path.exists(), "no audio {}", path.display());
    let samples = tsunagu::media::wav::load_8k(path).unwrap_or_else(|e| panic!("{e}"));
    tsunagu::media::wav::frames(&samples, tsunagu::media::g711::Law::Ulaw)
        .into_iter()
        .map(|b| b.to_vec())
        .collect()
}

/// Where `frames` (at least `count` of them) stand, in order and back to back, in what was heard.
pub fn find_prompt(heard: &[Heard], frames: &[Vec<u8>], count: usize) -> Option<usize> {
    let count = count.min(frames.len());
    (0..heard.len()).find(|&start| {
        heard.len() >= start + count
            && (0..count).all(|k| heard[start + k].packet.payload.as_ref() == frames[k].as_slice())
    })
}
