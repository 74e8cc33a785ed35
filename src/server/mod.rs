//! `tsunagu serve`: loads and checks everything (calendars, prompts, flows), assembles the
//! center (the journal, the ACD, the calls' shared parts), then runs the SIP edge, the calls
//! and the HTTP side (`web::app`) until told to stop.
//!
//! - [`loading`]: calendars, prompts and flows from their folders (and the database).

pub mod loading;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::task::TaskTracker;
use tracing::{info, warn};

use crate::acd::desk::DeskSettings;
use crate::acd::route::Policy;
use crate::acd::service::Acd;
use crate::auth::sessions::Sessions;
use crate::booking::BookingWindow;
use crate::calendar::time_of_day::TimeOfDay;
use crate::call::capacity::Capacity;
use crate::call::{CallParts, CallServices, CallSettings, accept_calls};
use crate::config::Config;
use crate::lang::Lang;
use crate::media::agent_legs::AgentLegs;
use crate::media::pacer::Pacer;
use crate::media::rtp_session::PortRange;
use crate::media::webrtc_leg::WebRtcSettings;
use crate::notify::Notices;
use crate::notify::jobs::{JobSettings, Jobs};
use crate::notify::postman::{self, SmtpSettings};
use crate::outbound::dialplan::DialPlan;
use crate::recording::{Recorder, RecorderSettings};
use crate::report::live::{LiveDay, LiveTally};
use crate::sip::dialer::{Dialer, DialerSettings};
use crate::sip::{Admission, PeerAllowList, SipEdge, SipSettings, SipStats};
use crate::store::Store;
use crate::store::journal::{Journal, JournalLimits, Written};
use crate::transcript::pool::{Pool, PoolSettings};
use crate::web::booking::BookingSettings;
use crate::web::{self, AppState, HttpSettings, RecordingsAccess, SoftphoneSettings};

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Sip(#[from] crate::sip::SipError),
    #[error("cannot listen for HTTP on {addr}: {source}")]
    Http {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
}

/// A center assembled but not yet listening: its database, journal, ACD and the calls' shared
/// parts. Tests drive its HTTP side with `web::app(center.app_state(..))` and no server.
pub struct Center {
    pub config: Config,
    pub store: Store,
    pub acd: Acd,
    pub services: Arc<CallServices>,
    pub sessions: Arc<Sessions>,
    dial_plan: Arc<DialPlan>,
    webrtc: WebRtcSettings,
    http: HttpSettings,
    busy: Arc<crate::web::agent::socket::BusyAgents>,
    booking: Arc<BookingSettings>,
    notices: Notices,
    pub jobs: Jobs,
    recordings_dir: std::path::PathBuf,
    pool: Option<Arc<Pool>>,
    /// Today's running tally, fed by the journal.
    live: Arc<LiveTally>,
    /// The approved FAQ entries agents see.
    faq: Arc<crate::faq::Book>,
}

/// Loads, checks and assembles everything `config` names.
pub async fn assemble(config: Config) -> Result<Center, ServeError> {
    // Media may go to the configured networks, or else to the trunk peers' own.
    let rtp_peers = match config.media.rtp_peers.is_empty() {
        true => PeerAllowList::parse(&config.sip.trunk_peers)
            .map_err(|e| ServeError::Config(format!("sip.trunk_peers: {e}")))?,
        false => PeerAllowList::parse(&config.media.rtp_peers)
            .map_err(|e| ServeError::Config(format!("media.rtp_peers: {e}")))?,
    };
    let default_lang = Lang::from_code(&config.center.default_language).ok_or_else(|| {
        ServeError::Config(format!(
            "center.default_language: unknown language '{}'",
            config.center.default_language
        ))
    })?;
    let prompt_fallback = Lang::from_code(&config.center.prompt_fallback_language).ok_or_else(|| {
        ServeError::Config(format!(
            "center.prompt_fallback_language: unknown language '{}'",
            config.center.prompt_fallback_language
        ))
    })?;
    let dial_plan = DialPlan::parse(&config.outbound.allowed, &config.outbound.denied)
        .map_err(|e| ServeError::Config(format!("outbound: {e}")))?;
    let [softphone_first, softphone_last] = config.softphone.ports;
    if softphone_first == 0 || softphone_last <= softphone_first {
        return Err(ServeError::Config(format!(
            "softphone.ports: {softphone_first}-{softphone_last} is not a range of ports"
        )));
    }
    let [first_port, last_port] = config.media.rtp_ports;
    if first_port == 0 || last_port <= first_port {
        return Err(ServeError::Config(format!(
            "media.rtp_ports: {first_port}-{last_port} is not a range of ports"
        )));
    }
    let journal_limits = JournalLimits {
        behind_rows: config.journal.behind_rows.max(1),
        max_rows: config.journal.max_rows.max(config.journal.behind_rows.max(1)),
        batch_rows: config.journal.batch_rows.max(1),
    };
    if config.paths.database_url.is_none() {
        std::fs::create_dir_all(&config.paths.data_dir).map_err(|e| {
            ServeError::Config(format!(
                "cannot create the data directory {}: {e}",
                config.paths.data_dir.display()
            ))
        })?;
    }
    let store = Store::connect(&config.database_url()).await?;

    let (calendars, calendar_problems) = loading::calendars(config.paths.calendars.as_deref(), Some(&store))
        .await
        .map_err(ServeError::Invalid)?;
    for problem in &calendar_problems {
        warn!("{problem}; the previous version of that calendar stays in force");
    }
    if calendars.get(&config.center.sla_calendar).is_none() {
        return Err(ServeError::Config(format!(
            "center.sla_calendar: no calendar '{}'",
            config.center.sla_calendar
        )));
    }
    let offices = loading::offices(config.paths.offices.as_deref(), &store, &calendars).await?;
    let (faq, faq_problems) = loading::faq_book(&config.paths.faq, &store).await?;
    for problem in &faq_problems {
        warn!(%problem, "the FAQ book: an entry is left out");
    }
    info!(entries = faq.len(), "the FAQ book");
    let faq = Arc::new(faq);
    let checklists = crate::booking::checklist::parse(crate::booking::checklist::BUILTIN)
        .map_err(|e| ServeError::Invalid(format!("booking checklists: {e}")))?;
    let booking = Arc::new(BookingSettings {
        offices: Arc::new(offices),
        checklists,
        window: BookingWindow {
            horizon_days: config.booking.horizon_days.max(1),
            change_deadline_hours: config.booking.change_deadline_hours.max(0),
        },
        call_center_number: config.booking.call_center_number.clone(),
        record_addresses: config.booking.record_addresses,
    });
    let calendars = Arc::new(calendars);
    let mail = &config.mail;
    let notices = Notices::new(
        store.clone(),
        Arc::clone(&booking.offices),
        booking.call_center_number.clone(),
        !mail.smtp.trim().is_empty(),
    );
    if notices.enabled() {
        let (host, port) = mail
            .smtp
            .trim()
            .rsplit_once(':')
            .and_then(|(host, port)| Some((host.to_string(), port.parse::<u16>().ok()?)))
            .ok_or_else(|| ServeError::Config(format!("mail.smtp: '{}' is not host:port", mail.smtp)))?;
        let settings = SmtpSettings {
            host,
            port,
            starttls: mail.starttls,
            credentials: (!mail.username.is_empty()).then(|| (mail.username.clone(), mail.password.clone())),
        };
        postman::start(store.clone(), &settings, notices.wake()).map_err(|e| ServeError::Config(e.to_string()))?;
    } else {
        info!("mail.smtp is not set: bookers get no e-mail notices");
    }
    let recordings_dir = config
        .recording
        .dir
        .clone()
        .unwrap_or_else(|| config.paths.data_dir.join("recordings"));
    let transcribed = Arc::new(tokio::sync::Notify::new());
    let recorder = config.recording.enabled.then(|| {
        Arc::new(Recorder::new(
            RecorderSettings {
                dir: recordings_dir.clone(),
                buffer_seconds: config.recording.buffer_seconds,
            },
            store.clone(),
            Arc::clone(&transcribed),
        ))
    });
    let transcription = &config.transcription;
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let pool = transcription.enabled.then(|| {
        Pool::new(
            PoolSettings {
                workers: transcription.workers_for(cores),
                threads: transcription.threads.max(1),
                model: transcription.model_path(),
                model_sha256: transcription.model_sha256.trim().to_string(),
                max_attempts: transcription.max_attempts.max(1),
                lease: Duration::from_secs(transcription.lease_seconds.max(3)),
                recordings_dir: recordings_dir.clone(),
                worker_prefix: format!("{}/{}", host_name(), std::process::id()),
            },
            store.clone(),
            Arc::clone(&transcribed),
        )
    });
    let jobs = Jobs::new(
        store.clone(),
        notices.clone(),
        Arc::clone(&booking.offices),
        Arc::clone(&calendars),
        JobSettings {
            every: Duration::from_secs(60 * config.booking.jobs_every_minutes.max(1)),
            reminders_from: TimeOfDay::parse(&mail.reminders_from)
                .map_err(|e| ServeError::Config(format!("mail.reminders_from: {e}")))?,
            history_days: config.booking.history_days.max(1),
            horizon_days: config.booking.horizon_days.max(1),
            handover_at: TimeOfDay::parse(&config.booking.handover_at)
                .map_err(|e| ServeError::Config(format!("booking.handover_at: {e}")))?,
            data_dir: config.paths.data_dir.clone(),
            recordings_dir: recordings_dir.clone(),
            recording_retention_days: config.recording.retention_days.max(1),
            reports: crate::notify::report_files::ReportFiles {
                sla_calendar: config.center.sla_calendar.clone(),
                due_calendar: config.reports.due_calendar.clone(),
                thresholds: config.center.thresholds(),
                faq: Arc::clone(&faq),
                from: TimeOfDay::parse(&config.reports.files_at)
                    .map_err(|e| ServeError::Config(format!("reports.files_at: {e}")))?,
            },
        },
    );
    let prompts = loading::prompts(&config.paths.prompts)?;
    let flows = loading::flows(&config.paths.flows, &prompts, &calendars)?;
    let flow = flows.get(&config.center.flow).cloned().ok_or_else(|| {
        ServeError::Config(format!(
            "center.flow: no flow '{}' in {}",
            config.center.flow,
            config.paths.flows.display()
        ))
    })?;

    let settings = CallSettings {
        media_ip: config.media.ip,
        media_timeout: Duration::from_secs(config.media.timeout_seconds.max(1)),
        rtp_peers,
        sla_calendar: config.center.sla_calendar.clone(),
        default_lang,
        prompt_fallback,
        answer_delay: Duration::from_millis(config.center.answer_delay_ms),
        toll_free_numbers: config.center.toll_free_numbers.clone(),
        fallback_numbers: config.center.fallback_numbers.clone(),
        max_expected_wait: match config.center.max_expected_wait_seconds {
            0 => None,
            seconds => Some(Duration::from_secs(seconds)),
        },
        hold_prompt: config.outbound.hold_prompt.clone(),
    };
    let agents = &config.agents;
    let secs = Duration::from_secs;
    // Today's running tally: the calls written so far, then every row as the journal commits it.
    let today = crate::calendar::tokyo_time(wall_clock()).date();
    let mut day = LiveDay::new(today, config.center.thresholds());
    day.seed(today, store.calls_of_day(&today.to_string()).await?);
    let live = Arc::new(LiveTally::new(day));
    let fed = Arc::clone(&live);
    let tap: crate::store::journal::Tap = Arc::new(move |written| {
        fed.with(|day| match written {
            Written::Call(call) => day.call(call),
            Written::Step(row) => day.step(row),
        })
    });
    let journal = Journal::start_with_tap(store.clone(), journal_limits, Some(tap));
    let acd = Acd::start(
        DeskSettings {
            offer_timeout: secs(agents.offer_timeout_seconds.max(1)),
            wrap_up: secs(agents.wrap_up_seconds),
            disconnect_grace: secs(agents.disconnect_grace_seconds),
            policy: Policy {
                widen_to_basic_after: secs(agents.widen_to_basic_after_seconds),
                widen_to_any_after: secs(agents.widen_to_any_after_seconds),
            },
            initial_handle_time: secs(agents.initial_handle_seconds.max(1)),
        },
        journal.clone(),
    );
    let services = Arc::new(CallServices::new(CallParts {
        settings,
        calendars,
        prompts: Arc::new(prompts),
        flow,
        pacer: Pacer::start(),
        ports: PortRange::new(first_port..=last_port),
        capacity: Capacity::new(config.center.max_lines, config.center.max_queue),
        journal,
        acd: acd.clone(),
        agent_legs: Arc::new(AgentLegs::default()),
        recorder,
    }));
    let webrtc = WebRtcSettings {
        ip: config.softphone.ip,
        public_ip: config.softphone.public_ip,
        ports: Arc::new(PortRange::new(softphone_first..=softphone_last)),
    };
    let list = |key: &str, entries: &[String]| {
        PeerAllowList::parse(entries).map_err(|e| ServeError::Config(format!("http.{key}: {e}")))
    };
    let http = HttpSettings {
        trusted_proxies: list("trusted_proxies", &config.http.trusted_proxies)?,
        public_origin: Some(config.http.public_origin.trim().to_string()).filter(|o| !o.is_empty()),
        metrics_from: list("metrics_from", &config.http.metrics_from)?,
        secure_cookie: config.http.secure_cookie,
    };
    Ok(Center {
        config,
        store,
        acd,
        services,
        sessions: Arc::default(),
        dial_plan: Arc::new(dial_plan),
        webrtc,
        http,
        busy: Arc::default(),
        booking,
        notices,
        jobs,
        recordings_dir,
        pool,
        live,
        faq,
    })
}

/// This machine's name, in the transcription workers' names (which process holds a job).
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_string())
        .ok()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

impl Center {
    /// The HTTP side's state, with the SIP edge's counters and, when call-backs are set up,
    /// the dialer.
    pub fn app_state(&self, sip: Arc<SipStats>, dialer: Option<Dialer>) -> AppState {
        AppState {
            store: self.store.clone(),
            sessions: Arc::clone(&self.sessions),
            throttle: Arc::default(),
            acd: self.acd.clone(),
            calls: Arc::clone(&self.services),
            sip,
            softphone: SoftphoneSettings {
                webrtc: self.webrtc.clone(),
                categories: self.config.agents.categories.clone().into(),
                dial_plan: Arc::clone(&self.dial_plan),
                dialer,
                busy: Arc::clone(&self.busy),
            },
            thresholds: self.config.center.thresholds(),
            live: Arc::clone(&self.live),
            forecasts: Arc::default(),
            faq: Arc::clone(&self.faq),
            reports: self.config.reports.clone(),
            http: self.http.clone(),
            booking: Arc::clone(&self.booking),
            citizen_limits: Arc::default(),
            notices: self.notices.clone(),
            recordings: RecordingsAccess {
                dir: self.recordings_dir.clone(),
                recorder: self.services.recorder.clone(),
                pool: self.pool.clone(),
            },
        }
    }
}

/// The service's start is an edge: it reads the clock.
#[allow(clippy::disallowed_methods)]
fn wall_clock() -> jiff::Timestamp {
    jiff::Timestamp::now()
}

/// How long stopping waits for the journal to write what is left.
const JOURNAL_FLUSH_LIMIT: Duration = Duration::from_secs(30);

/// A running center.
pub struct Running {
    pub sip: SipEdge,
    pub http_addr: std::net::SocketAddr,
    /// The citizen pages' own listener, when `[http] citizen_listen` is set.
    pub citizen_addr: Option<std::net::SocketAddr>,
    /// The booking jobs (tests run them at a chosen time).
    pub jobs: Jobs,
    pub services: Arc<CallServices>,
    pub store: Store,
    calls: TaskTracker,
    grace: Duration,
    config: Config,
}

/// Serves a router on a listener, with the client's address known to the handlers.
fn serve(listener: tokio::net::TcpListener, app: axum::Router, which: &'static str) {
    tokio::spawn(async move {
        let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
        if let Err(e) = axum::serve(listener, app).await {
            warn!(error = %e, listener = which, "an HTTP endpoint stopped");
        }
    });
}

pub async fn start(config: Config) -> Result<Running, ServeError> {
    let peers = PeerAllowList::parse(&config.sip.trunk_peers)
        .map_err(|e| ServeError::Config(format!("sip.trunk_peers: {e}")))?;
    let center = assemble(config).await?;
    let config = &center.config;
    let (calls_tx, calls_rx) = mpsc::channel(256);
    let sip = SipEdge::start(
        SipSettings {
            listen: config.sip.listen,
            peers,
            auth: config.sip.auth.clone(),
            answer_strangers: config.sip.answer_strangers,
            per_source_rate: config.sip.requests_per_second_per_peer,
            overall_rate: config.sip.requests_per_second,
        },
        calls_tx,
        Arc::clone(&center.services) as Arc<dyn Admission>,
    )
    .await?;
    let calls = TaskTracker::new();
    tokio::spawn(accept_calls(Arc::clone(&center.services), calls_rx, calls.clone()));

    let listener = tokio::net::TcpListener::bind(config.http.listen)
        .await
        .map_err(|source| ServeError::Http {
            addr: config.http.listen,
            source,
        })?;
    let http_addr = listener.local_addr().map_err(|source| ServeError::Http {
        addr: config.http.listen,
        source,
    })?;
    let dialer = config.outbound.trunk.map(|trunk| {
        sip.dialer(DialerSettings {
            trunk,
            caller_id: config.outbound.caller_id.clone(),
        })
    });
    let state = center.app_state(Arc::clone(&sip.stats), dialer);
    let citizen_addr = match config.http.citizen_listen {
        Some(addr) => {
            let citizen = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|source| ServeError::Http { addr, source })?;
            let bound = citizen
                .local_addr()
                .map_err(|source| ServeError::Http { addr, source })?;
            serve(citizen, web::citizen::citizen_app(state.clone()), "citizen");
            Some(bound)
        }
        None => None,
    };
    serve(listener, web::app(state), "staff");
    info!(sip = %sip.udp_addr, http = %http_addr, citizen = ?citizen_addr, flow = %config.center.flow, "the center is answering");
    let grace = Duration::from_secs(config.center.shutdown_grace_seconds);
    center.jobs.start();
    if let Some(recorder) = &center.services.recorder {
        match recorder.recover(wall_clock()).await {
            Ok(0) => {}
            Ok(n) => info!(recordings = n, "recordings interrupted by the last stop were repaired"),
            Err(e) => warn!("interrupted recordings could not be looked for: {e}"),
        }
    }
    if let Some(pool) = &center.pool {
        pool.start();
    }
    Ok(Running {
        sip,
        http_addr,
        citizen_addr,
        jobs: center.jobs.clone(),
        services: Arc::clone(&center.services),
        store: center.store.clone(),
        calls,
        grace,
        config: center.config,
    })
}

impl Running {
    /// Reads the calendars (folder and database) and the flows again. What validates replaces
    /// what ran; what does not is logged with its lines, and the last good version keeps
    /// running. Calls in progress keep the flow they started with. Returns the problems.
    pub async fn reload(&self) -> Vec<String> {
        let mut problems = Vec::new();
        match loading::calendar_sources(self.config.paths.calendars.as_deref(), Some(&self.store)).await {
            Ok(sources) => {
                let invalid = self
                    .services
                    .calendars
                    .load_all(sources.iter().map(|s| (s.origin.as_str(), s.text.as_str())));
                problems.extend(invalid.iter().map(ToString::to_string));
            }
            Err(e) => problems.push(e),
        }
        match loading::check_flows(
            &self.config.paths.flows,
            &self.services.prompts,
            &self.services.calendars,
        ) {
            Ok((flows, flow_problems)) => {
                problems.extend(flow_problems);
                match flows.get(&self.config.center.flow) {
                    Some(flow) if problems.is_empty() => {
                        self.services.set_flow(Arc::clone(flow));
                        info!(flow = %self.config.center.flow, "reloaded the flow and the calendars");
                    }
                    Some(_) => {}
                    None => problems.push(format!("center.flow: no valid flow '{}'", self.config.center.flow)),
                }
            }
            Err(e) => problems.push(e.to_string()),
        }
        for problem in &problems {
            warn!("reload: {problem}; the last good version keeps running");
        }
        // A closure just added may fall on bookings: find them and tell their bookers.
        self.jobs.wake();
        problems
    }

    /// Stops taking calls (new INVITEs get 503), lets the calls in progress finish for up to
    /// the grace period, then stops the endpoint and writes what is left of the records.
    pub async fn shutdown(self) {
        self.services.drain();
        self.calls.close();
        let in_progress = self.services.capacity.lines_in_use();
        info!(
            in_progress,
            grace_seconds = self.grace.as_secs(),
            "stopping: no new calls"
        );
        if tokio::time::timeout(self.grace, self.calls.wait()).await.is_err() {
            warn!(
                left = self.services.capacity.lines_in_use(),
                "grace period over: calls still in progress are cut"
            );
        }
        self.sip.shutdown();
        self.services.journal.flush_within(JOURNAL_FLUSH_LIMIT).await;
        self.store.close().await;
    }
}
