//! The service's configuration: a TOML file (see `ops/config/tsunagu.example.toml`) whose every
//! key has a built-in default, so that `tsunagu serve` with no file runs a complete center.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub sip: SipConfig,
    pub media: MediaConfig,
    pub http: HttpConfig,
    pub center: CenterConfig,
    pub agents: AgentsConfig,
    pub softphone: SoftphoneConfig,
    pub outbound: OutboundConfig,
    pub journal: JournalConfig,
    pub booking: BookingConfig,
    pub mail: MailConfig,
    pub recording: RecordingConfig,
    pub transcription: TranscriptionConfig,
    pub reports: ReportsConfig,
    pub paths: PathsConfig,
}

/// The reports the city receives (`reports`), CC-REPORT.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ReportsConfig {
    /// The calendar whose open days count the monthly report's due date (the city's offices).
    pub due_calendar: String,
    /// The Chromium that prints the PDF reports (a name looked up in PATH, or a path).
    pub chromium: PathBuf,
    /// From this time (Tokyo), yesterday's daily report and last month's monthly report are
    /// written under `DATA_DIR/reports/`.
    pub files_at: String,
}

impl Default for ReportsConfig {
    fn default() -> ReportsConfig {
        ReportsConfig {
            due_calendar: "kawasaki-ward-office".into(),
            chromium: PathBuf::from("chromium"),
            files_at: "06:00".into(),
        }
    }
}

/// Call recordings (`recording`), CC-COMPLAINT.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RecordingConfig {
    /// Record every conversation with an agent (the greeting says so).
    pub enabled: bool,
    /// Where the files go (default `DATA_DIR/recordings`).
    pub dir: Option<PathBuf>,
    /// Seconds of audio a call's buffer holds while the disk is slow; beyond, frames are
    /// dropped and counted.
    pub buffer_seconds: u32,
    /// Days recordings and transcripts are kept; held ones (complaints, escalations, a
    /// supervisor's hold) stay until released.
    pub retention_days: i64,
}

impl Default for RecordingConfig {
    fn default() -> RecordingConfig {
        RecordingConfig {
            enabled: true,
            dir: None,
            buffer_seconds: 5,
            retention_days: 90,
        }
    }
}

/// The expected sha256 of the model `ops/whisper/prepare-model` builds (whisper base,
/// multilingual, q8_0).
pub const WHISPER_BASE_Q8_SHA256: &str = "81cfccb75eb8eb4eecf9829be7448c60e3d4abcb5bdb0f00e2c8a726f7ae2f25";

/// Transcription of recordings (`transcription`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct TranscriptionConfig {
    pub enabled: bool,
    /// The ggml model file (`~` is the home directory). A city's larger model goes here, with
    /// its own `model_sha256` (or an empty one).
    pub model: String,
    pub model_sha256: String,
    /// Workers transcribing at once; 0 is one fewer than the cores (at least one), so that
    /// the calls keep a core.
    pub workers: usize,
    /// Threads each worker gives whisper.
    pub threads: usize,
    /// Attempts before a job is failed for good.
    pub max_attempts: i64,
    /// Seconds a worker's claim holds without renewal (a dead worker's job is taken again
    /// after this).
    pub lease_seconds: u64,
}

impl Default for TranscriptionConfig {
    fn default() -> TranscriptionConfig {
        TranscriptionConfig {
            enabled: true,
            model: "~/.cache/tsunagu/models/ggml-base-q8_0.bin".into(),
            model_sha256: WHISPER_BASE_Q8_SHA256.into(),
            workers: 0,
            threads: 1,
            max_attempts: 3,
            lease_seconds: 60,
        }
    }
}

impl TranscriptionConfig {
    /// The model's path with `~` expanded.
    pub fn model_path(&self) -> PathBuf {
        match self.model.strip_prefix("~/") {
            Some(rest) => std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_default()
                .join(rest),
            None => PathBuf::from(&self.model),
        }
    }

    /// Workers to run on a machine of `cores`.
    pub fn workers_for(&self, cores: usize) -> usize {
        if self.workers > 0 {
            self.workers
        } else {
            cores.saturating_sub(1).max(1)
        }
    }
}

/// E-mail notices to bookers (`mail`), BK-NOTIFY.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct MailConfig {
    /// The SMTP server notices go through, `host:port`; empty: no notices are written or sent.
    pub smtp: String,
    /// Require STARTTLS (set it for any server beyond the site's own network).
    pub starttls: bool,
    pub username: String,
    pub password: String,
    /// The time of day (Tokyo) from which the day-before reminders go out.
    pub reminders_from: String,
}

impl Default for MailConfig {
    fn default() -> MailConfig {
        MailConfig {
            smtp: String::new(),
            starttls: false,
            username: String::new(),
            password: String::new(),
            reminders_from: "10:00".to_string(),
        }
    }
}

/// Bookings (`booking`): how far ahead, and the booker's deadline for changes (BK-CHANGE).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct BookingConfig {
    /// Days ahead a slot may be booked.
    pub horizon_days: i64,
    /// Hours before the slot from which the booker can no longer change or cancel (staff
    /// still can, with a reason).
    pub change_deadline_hours: i64,
    /// The call center's number as the citizen pages show it.
    pub call_center_number: String,
    /// Days the bookings' history (BK-AUDIT) is kept; older events are purged by a job.
    pub history_days: i64,
    /// How often the booking jobs run (reminders, closure notices, erasing addresses, purging
    /// history); they also run after every calendar reload.
    pub jobs_every_minutes: u64,
    /// From this time of day (Tokyo) each office's list of its next open day is made and sent
    /// to its mailbox (the counters prepare the cards from it).
    pub handover_at: String,
    /// Keep the client's IP address in each booking event (optional under BK-AUDIT).
    pub record_addresses: bool,
}

impl Default for BookingConfig {
    fn default() -> BookingConfig {
        let window = crate::booking::BookingWindow::default();
        BookingConfig {
            horizon_days: window.horizon_days,
            change_deadline_hours: window.change_deadline_hours,
            call_center_number: "0120-380-366".to_string(),
            history_days: 400,
            jobs_every_minutes: 60,
            handover_at: "17:00".to_string(),
            record_addresses: true,
        }
    }
}

/// The journal of call records, agent events and wrap-ups (`store::journal`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct JournalConfig {
    /// Rows waiting to be written beyond which new calls are turned away with 503.
    pub behind_rows: u64,
    /// Rows kept waiting at most while the database is down; beyond, rows are lost (counted).
    pub max_rows: u64,
    /// The most rows one transaction writes.
    pub batch_rows: usize,
}

impl Default for JournalConfig {
    fn default() -> JournalConfig {
        let limits = crate::store::journal::JournalLimits::default();
        JournalConfig {
            behind_rows: limits.behind_rows,
            max_rows: limits.max_rows,
            batch_rows: limits.batch_rows,
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SipConfig {
    pub listen: SocketAddr,
    pub trunk_peers: Vec<String>,
    /// Digest credentials the trunk must present on INVITE (none: the allow-list only).
    pub auth: Option<crate::sip::digest::TrunkCredentials>,
    /// Answer hosts that are not trunk peers 403 (by default they get nothing back).
    pub answer_strangers: bool,
    /// Out-of-dialog requests (INVITE, OPTIONS, …) a second taken from one trunk peer; past
    /// it INVITEs get 503 with Retry-After and the rest is dropped.
    pub requests_per_second_per_peer: u32,
    /// ... and from all trunk peers together.
    pub requests_per_second: u32,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct MediaConfig {
    pub ip: IpAddr,
    pub rtp_ports: [u16; 2],
    pub timeout_seconds: u64,
    /// Where RTP may be sent (addresses or CIDR); empty: the trunk peers' addresses and networks.
    pub rtp_peers: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    pub listen: SocketAddr,
    /// Mark the session cookie `Secure`: set it when browsers reach tsunagu over HTTPS (a TLS
    /// proxy in front), so the cookie never travels in clear.
    pub secure_cookie: bool,
    /// The TLS proxies in front (addresses or CIDR): from them, the client's address is taken
    /// from `X-Forwarded-For` / `Forwarded` (for the login throttle, the logs, `/metrics`).
    pub trusted_proxies: Vec<String>,
    /// The origin browsers see (`https://cc.example.jp`), when a proxy may rewrite `Host`:
    /// WebSockets are accepted from pages of this origin. Empty: the request's own `Host`.
    pub public_origin: String,
    /// Who may read `/metrics` (addresses or CIDR); anyone else gets 404.
    pub metrics_from: Vec<String>,
    /// A second listener serving only the citizen booking pages, so that the staff pages need
    /// not be reachable from the internet (unset: none; the main listener serves them too).
    pub citizen_listen: Option<SocketAddr>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CenterConfig {
    pub flow: String,
    pub max_lines: usize,
    pub max_queue: usize,
    /// A new caller whose expected wait would exceed this hears the all-lines-busy message
    /// instead of queueing; 0 turns the check off.
    pub max_expected_wait_seconds: u64,
    pub sla_calendar: String,
    pub default_language: String,
    /// A prompt missing in the caller's language is played in this one (and reported).
    pub prompt_fallback_language: String,
    pub short_abandon_seconds: u32,
    /// The service level counts calls answered within this many seconds of their wait.
    pub service_level_seconds: u32,
    pub toll_free_numbers: Vec<String>,
    pub fallback_numbers: Vec<String>,
    pub shutdown_grace_seconds: u64,
    pub answer_delay_ms: u64,
}

impl CenterConfig {
    /// The thresholds every report's figures depend on.
    pub fn thresholds(&self) -> crate::report::metrics::Thresholds {
        crate::report::metrics::Thresholds {
            short_abandon_seconds: self.short_abandon_seconds,
            service_level_seconds: self.service_level_seconds,
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PathsConfig {
    pub data_dir: PathBuf,
    pub flows: PathBuf,
    pub prompts: PathBuf,
    /// The FAQ book as shipped (`faq/`): one file per entry.
    pub faq: PathBuf,
    pub calendars: Option<PathBuf>,
    /// A folder of office files (`*.toml`) that replace or add to the shipped ones.
    pub offices: Option<PathBuf>,
    pub database_url: Option<String>,
}

impl Default for SipConfig {
    fn default() -> SipConfig {
        SipConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 5060)),
            trunk_peers: vec!["127.0.0.0/8".into(), "::1".into()],
            auth: None,
            answer_strangers: false,
            requests_per_second_per_peer: 1000,
            requests_per_second: 2000,
        }
    }
}

impl Default for MediaConfig {
    fn default() -> MediaConfig {
        MediaConfig {
            ip: IpAddr::from([127, 0, 0, 1]),
            rtp_ports: [20000, 29999],
            timeout_seconds: 30,
            rtp_peers: Vec::new(),
        }
    }
}

impl Default for HttpConfig {
    fn default() -> HttpConfig {
        HttpConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            secure_cookie: false,
            trusted_proxies: Vec::new(),
            public_origin: String::new(),
            metrics_from: vec!["127.0.0.0/8".into(), "::1".into()],
            citizen_listen: None,
        }
    }
}

impl Default for CenterConfig {
    fn default() -> CenterConfig {
        CenterConfig {
            flow: "my-number".into(),
            max_lines: 30,
            max_queue: 50,
            max_expected_wait_seconds: 0,
            sla_calendar: "call-center".into(),
            default_language: "ja".into(),
            prompt_fallback_language: "en".into(),
            short_abandon_seconds: 5,
            service_level_seconds: 20,
            toll_free_numbers: vec!["0120380366".into(), "+81120380366".into()],
            fallback_numbers: vec!["05033105907".into(), "+815033105907".into()],
            shutdown_grace_seconds: 30,
            answer_delay_ms: 0,
        }
    }
}

/// The floor: how calls are offered to agents.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AgentsConfig {
    pub offer_timeout_seconds: u64,
    pub wrap_up_seconds: u64,
    pub disconnect_grace_seconds: u64,
    pub widen_to_basic_after_seconds: u64,
    pub widen_to_any_after_seconds: u64,
    pub initial_handle_seconds: u64,
    /// The wrap-up form's inquiry categories: `group/item` paths (a tree of two levels).
    pub categories: Vec<String>,
}

impl Default for AgentsConfig {
    fn default() -> AgentsConfig {
        AgentsConfig {
            offer_timeout_seconds: 15,
            wrap_up_seconds: 60,
            disconnect_grace_seconds: 10,
            widen_to_basic_after_seconds: 30,
            widen_to_any_after_seconds: 90,
            initial_handle_seconds: 180,
            categories: [
                "issuance/application",
                "issuance/pickup-booking",
                "issuance/status",
                "renewal/card",
                "renewal/certificate",
                "certificates/electronic-certificate",
                "certificates/password-reset",
                "convenience-store",
                "visiting-application",
                "reissue-of-forms",
                "complaint",
                "other",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

/// The agents' browser audio (WebRTC).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SoftphoneConfig {
    /// The address the WebRTC media sockets bind to and announce.
    pub ip: IpAddr,
    /// The address to announce instead, when browsers reach the center through 1:1 NAT.
    pub public_ip: Option<IpAddr>,
    /// The UDP ports of the softphones' audio (one per logged-in softphone).
    pub ports: [u16; 2],
}

impl Default for SoftphoneConfig {
    fn default() -> SoftphoneConfig {
        SoftphoneConfig {
            ip: IpAddr::from([127, 0, 0, 1]),
            public_ip: None,
            ports: [40000, 40999],
        }
    }
}

/// Call-backs: agents calling residents through the trunk.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct OutboundConfig {
    /// The carrier's SIP address for outgoing calls; none: agents cannot call out.
    pub trunk: Option<SocketAddr>,
    /// The number residents see.
    pub caller_id: String,
    /// Dial-plan patterns of the numbers agents may call (`X` digit, `Z` 1-9, `N` 2-9,
    /// `[1-5]`, a trailing `.` for more digits).
    pub allowed: Vec<String>,
    /// Patterns never called, even when allowed (denied wins).
    pub denied: Vec<String>,
    /// What a resident on hold hears (a prompt id, in the resident's language).
    pub hold_prompt: String,
}

impl Default for OutboundConfig {
    fn default() -> OutboundConfig {
        OutboundConfig {
            trunk: None,
            caller_id: "0120380366".into(),
            allowed: vec!["0[1-9]XXXXXXXX".into(), "0[789]0XXXXXXXX".into()],
            denied: ["00.", "010.", "0570.", "0990.", "0180.", "0067."]
                .map(String::from)
                .to_vec(),
            hold_prompt: "hold_music".into(),
        }
    }
}

impl Default for PathsConfig {
    fn default() -> PathsConfig {
        PathsConfig {
            data_dir: PathBuf::from("data"),
            flows: PathBuf::from("ivr-flows"),
            faq: PathBuf::from("faq"),
            prompts: PathBuf::from("prompts"),
            calendars: None,
            offices: None,
            database_url: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path}: line {line}: {message}")]
    Invalid { path: String, line: usize, message: String },
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: name.clone(),
            source,
        })?;
        Config::parse(&name, &text)
    }

    pub fn parse(name: &str, text: &str) -> Result<Config, ConfigError> {
        toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(1, |s| crate::text_lines::line_of(text, s.start));
            ConfigError::Invalid {
                path: name.to_string(),
                line,
                message: e.message().trim().to_string(),
            }
        })
    }

    /// The database URL: the one configured, or SQLite under the data directory.
    pub fn database_url(&self) -> String {
        match &self.paths.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.paths.data_dir.join("tsunagu.db").display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_file_is_the_defaults() {
        let example = include_str!("../ops/config/tsunagu.example.toml");
        let parsed = Config::parse("example", example).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(parsed, Config::default());
    }

    #[test]
    fn a_typo_names_its_line() {
        let err = Config::parse("tsunagu.toml", "[sip]\nlisten = \"127.0.0.1:5060\"\ntrunk_peer = []\n")
            .map(|_| ())
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("tsunagu.toml: line 3: unknown field `trunk_peer`"),
            "{err}"
        );
    }
}
