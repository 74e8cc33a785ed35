//! A real SMTP server for the tests: Python's aiosmtpd (installed by `ops/test`) writing what
//! it receives into a Maildir, read back with Python's own e-mail parser.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A message as the sink received it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Mail {
    pub from: String,
    pub to: String,
    pub subject: String,
    pub body: String,
}

pub struct SmtpSink {
    child: Option<Child>,
    pub addr: SocketAddr,
    dir: tempfile::TempDir,
}

const READ_MAILDIR: &str = r#"
import email, json, mailbox, sys
from email import policy
box = mailbox.Maildir(sys.argv[1], create=False)
for key in sorted(box.keys()):
    m = email.message_from_bytes(box.get_bytes(key), policy=policy.default)
    print(json.dumps({"from": str(m["from"]), "to": str(m["to"]), "subject": str(m["subject"]), "body": m.get_content()}, ensure_ascii=False))
"#;

impl SmtpSink {
    /// Starts the sink on a free loopback port and waits until it takes connections.
    pub fn start() -> SmtpSink {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("{e}"));
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut sink = SmtpSink {
            child: None,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            dir,
        };
        sink.restart();
        sink
    }

    /// Starts the server again on the same port (after [`SmtpSink::stop`]).
    pub fn restart(&mut self) {
        let child = Command::new("python3")
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &self.addr.to_string(),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(self.dir.path().join("maildir"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("python3 with aiosmtpd is needed (ops/test installs it): {e}"));
        self.child = Some(child);
        for _ in 0..200 {
            if std::net::TcpStream::connect(self.addr).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the SMTP sink did not start on {}", self.addr);
    }

    /// Stops the server (the mail it received stays readable).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Every message received so far, in the order received.
    pub fn messages(&self) -> Vec<Mail> {
        let maildir = self.dir.path().join("maildir");
        if !maildir.join("new").exists() {
            return Vec::new();
        }
        let out = Command::new("python3")
            .args(["-c", READ_MAILDIR])
            .arg(&maildir)
            .output()
            .unwrap_or_else(|e| panic!("python3: {e}"));
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}
