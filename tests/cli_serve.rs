//! `tsunagu serve` and `tsunagu flows check` as an operator runs them: refusing to start on a
//! broken flow, and SIGTERM letting the call in progress finish while new calls get 503.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::center::{free_udp_port, repo, today_tokyo};
use common::{run_tsunagu, stderr, stdout};

/// A config file for a center whose calendar is open now, its data under `dir`.
fn write_config(dir: &Path, flows: &Path, sip_port: u16, http_port: u16) -> std::path::PathBuf {
    let today = today_tokyo();
    let calendars = dir.join("calendars");
    std::fs::create_dir_all(&calendars).unwrap_or_else(|e| panic!("{e}"));
    let mut calendar = format!(
        "id = \"call-center\"\nname = \"t\"\nclosed_on_national_holidays = false\n[[period]]\nname = \"t\"\nfrom = {}\nuntil = {}\n",
        today.yesterday().unwrap_or(today),
        today.tomorrow().unwrap_or(today)
    );
    for day in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] {
        calendar.push_str(&format!("weekly.{day} = [\"00:00-24:00\"]\n"));
    }
    std::fs::write(calendars.join("call-center.toml"), calendar).unwrap_or_else(|e| panic!("{e}"));
    let config = format!(
        "[sip]\nlisten = \"127.0.0.1:{sip_port}\"\n[http]\nlisten = \"127.0.0.1:{http_port}\"\n[media]\nrtp_ports = [40000, 40999]\n\
         [center]\nshutdown_grace_seconds = 20\n[paths]\ndata_dir = \"{}\"\nflows = \"{}\"\nprompts = \"{}\"\ncalendars = \"{}\"\n",
        dir.join("data").display(),
        flows.display(),
        repo().join("prompts").display(),
        calendars.display()
    );
    let path = dir.join("tsunagu.toml");
    std::fs::write(&path, config).unwrap_or_else(|e| panic!("{e}"));
    path
}

#[test]
fn flows_check_passes_the_shipped_flow_and_names_the_line_of_a_broken_one() {
    let out = run_tsunagu(&repo(), &["flows", "check"], &[]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("my-number: ok"), "{}", stdout(&out));

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let flows = dir.path().join("flows");
    std::fs::create_dir_all(&flows).unwrap_or_else(|e| panic!("{e}"));
    let shipped = std::fs::read_to_string(repo().join("ivr-flows/my-number.toml")).unwrap_or_else(|e| panic!("{e}"));
    let broken = shipped.replace("hold_prompt = \"hold_music\"", "hold_prompt = \"hold_musik\"");
    let line = broken
        .lines()
        .position(|l| l.contains("hold_musik"))
        .map(|i| i + 1)
        .unwrap_or(0);
    std::fs::write(flows.join("my-number.toml"), broken).unwrap_or_else(|e| panic!("{e}"));
    let config = write_config(dir.path(), &flows, free_udp_port(), free_udp_port());
    let config_arg = config.to_string_lossy().into_owned();

    let out = run_tsunagu(&repo(), &["flows", "check", "--config", &config_arg], &[]);
    assert_eq!(out.status.code(), Some(1));
    let expected = format!("my-number.toml: line {line}: unknown prompt 'hold_musik'");
    assert!(
        stdout(&out).contains(&expected),
        "expected {expected} in {}",
        stdout(&out)
    );

    // The service refuses to start on it, with the same message.
    let out = run_tsunagu(&repo(), &["serve", "--config", &config_arg], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains(&expected), "{}", stderr(&out));
}

#[test]
fn sigterm_refuses_new_calls_and_lets_the_call_in_progress_finish() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let sip_port = free_udp_port();
    let config = write_config(dir.path(), &repo().join("ivr-flows"), sip_port, free_udp_port());
    let (mut server, lines) = start_server(&config);

    // A call that lasts 6 s.
    let phone = std::net::UdpSocket::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let phone_port = phone.local_addr().unwrap_or_else(|e| panic!("{e}")).port();
    let scenario = repo().join("tests/sipp/caller_hangs_up.xml");
    let mut sipp = Command::new("sipp")
        .arg(format!("127.0.0.1:{sip_port}"))
        .args([
            "-sf",
            &scenario.to_string_lossy(),
            "-s",
            "0120380366",
            "-key",
            "caller",
            "0311112222",
        ])
        .args(["-key", "rtp_port", &phone_port.to_string(), "-i", "127.0.0.1"])
        .args(["-p", &free_udp_port().to_string(), "-mp", &free_udp_port().to_string()])
        .args(["-m", "1", "-d", "6000", "-nostdin", "-timeout", "60s", "-timeout_error"])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("sipp: {e}"));
    // Once the call is in progress, the service is told to stop.
    let mut seen = vec![wait_for_log(&lines, "call arrived")];
    let term = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(term.success());
    seen.push(wait_for_log(&lines, "stopping: no new calls"));

    // A new call now gets 503.
    let probe = std::net::UdpSocket::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    probe
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap_or_else(|e| panic!("{e}"));
    let local = probe.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
    let invite = format!(
        "INVITE sip:0120380366@127.0.0.1:{sip_port} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bK-late\r\nFrom: <sip:0311113333@{local}>;tag=late\r\n\
         To: <sip:0120380366@127.0.0.1>\r\nCall-ID: late@test\r\nCSeq: 1 INVITE\r\nContact: <sip:c@{local}>\r\nMax-Forwards: 70\r\n\
         Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    );
    probe
        .send_to(invite.as_bytes(), ("127.0.0.1", sip_port))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut buf = [0u8; 4096];
    let n = probe
        .recv(&mut buf)
        .unwrap_or_else(|e| panic!("no answer to an INVITE during shutdown: {e}"));
    let answer = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(answer.starts_with("SIP/2.0 503"), "{answer}");

    // The call in progress ends normally, then the server exits by itself.
    let sipp_status = sipp.wait().unwrap_or_else(|e| panic!("{e}"));
    assert!(sipp_status.success(), "the call in progress was cut");
    let server_status = server.wait().unwrap_or_else(|e| panic!("{e}"));
    assert!(server_status.success(), "{server_status:?}");
    seen.extend(lines.iter());
    let log = seen.join("\n");
    assert!(log.contains("stopping: no new calls"), "{log}");
    assert!(log.contains("call ended") && log.contains("caller-bye"), "{log}");
    assert!(
        !log.contains("0311112222") && !log.contains("0311113333"),
        "callers' numbers must not be logged:\n{log}"
    );
}

/// Starts `tsunagu serve` with a config file; returns once it answers, with its log lines.
fn start_server(config: &Path) -> (std::process::Child, std::sync::mpsc::Receiver<String>) {
    let mut server = Command::new(common::tsunagu_bin())
        .args(["serve", "--config", &config.to_string_lossy()])
        .current_dir(repo())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let log = BufReader::new(server.stderr.take().unwrap_or_else(|| panic!("stderr")));
    let (tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in log.lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    wait_for_log(&lines, "answering SIP on");
    (server, lines)
}

/// Waits for a log line containing `needle` (at most 20 s).
#[allow(clippy::disallowed_methods)] // waits in real time for a real process
fn wait_for_log(lines: &std::sync::mpsc::Receiver<String>, needle: &str) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
        match lines.recv_timeout(left) {
            Ok(line) if line.contains(needle) => return line,
            Ok(_) => continue,
            Err(_) => break,
        }
    }
    panic!("no log line with '{needle}'");
}

#[test]
fn sighup_reloads_a_good_flow_and_keeps_the_last_good_one_when_the_new_one_is_broken() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let flows = dir.path().join("flows");
    std::fs::create_dir_all(&flows).unwrap_or_else(|e| panic!("{e}"));
    let shipped = std::fs::read_to_string(repo().join("ivr-flows/my-number.toml")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(flows.join("my-number.toml"), &shipped).unwrap_or_else(|e| panic!("{e}"));
    let sip_port = free_udp_port();
    let config = write_config(dir.path(), &flows, sip_port, free_udp_port());
    let (mut server, lines) = start_server(&config);

    let hup = || {
        let status = Command::new("kill")
            .args(["-HUP", &server.id().to_string()])
            .status()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(status.success());
    };

    // A broken flow: refused with its line, the last good one keeps answering.
    std::fs::write(
        flows.join("my-number.toml"),
        shipped.replace("\"all_lines_busy\"", "\"all_lines_bsy\""),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    hup();
    let refused = wait_for_log(&lines, "reload:");
    assert!(
        refused.contains("unknown prompt 'all_lines_bsy'") && refused.contains("last good version keeps running"),
        "{refused}"
    );
    let call = |pause: &str| {
        let phone = std::net::UdpSocket::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        let phone_port = phone.local_addr().unwrap_or_else(|e| panic!("{e}")).port().to_string();
        Command::new("sipp")
            .arg(format!("127.0.0.1:{sip_port}"))
            .args([
                "-sf",
                &repo().join("tests/sipp/caller_hangs_up.xml").to_string_lossy(),
                "-s",
                "0120380366",
            ])
            .args([
                "-key",
                "caller",
                "0311110000",
                "-key",
                "rtp_port",
                &phone_port,
                "-i",
                "127.0.0.1",
            ])
            .args(["-p", &free_udp_port().to_string(), "-mp", &free_udp_port().to_string()])
            .args(["-m", "1", "-d", pause, "-nostdin", "-timeout", "30s", "-timeout_error"])
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .status()
            .unwrap_or_else(|e| panic!("sipp: {e}"))
    };
    assert!(call("1000").success(), "a call after the refused reload");

    // A good flow: taken.
    std::fs::write(
        flows.join("my-number.toml"),
        shipped.replace("periodic_seconds = 30", "periodic_seconds = 45"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    hup();
    wait_for_log(&lines, "reloaded the flow and the calendars");
    assert!(call("1000").success(), "a call after the reload");

    let term = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(term.success());
    assert!(server.wait().unwrap_or_else(|e| panic!("{e}")).success());
}
