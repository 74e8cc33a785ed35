//! The HTTP side: one router for the agents' softphone, the supervisors' floor, staff login
//! and the operator's endpoints. [`app`] builds it from an [`AppState`], so tests call it
//! without a server. One error type ([`error::ApiError`]), extractors for the roles and a CSRF
//! guard on every state-changing request ([`extract`]), a body limit on every route.
//!
//! - [`error`]: `ApiError` (JSON `{error, message}`) and the JSON body extractor.
//! - [`extract`]: sessions and roles, same-origin WebSockets, the CSRF guard.
//! - [`login`]: `/api/login`, `/api/me`, `/api/logout`.
//! - [`agent`]: the softphone page and its WebSocket session.
//! - [`floor`]: the supervisors' live floor.
//! - [`dashboard`]: the supervisors' dashboard, live and history, with CSV.
//! - [`today`]: today's figures, forecast, staffing and warnings (the floor, the dashboard).
//! - [`calls`]: one call's record for supervisors.
//! - [`reports`]: the daily and monthly reports for city staff and supervisors.
//! - [`faq`]: the FAQ book: search, revisions, the city's approval, the export.
//! - [`cases`]: escalations and complaints through their lifecycle, by role.
//! - [`citizen`]: the citizen booking page and its public API (also alone on its own listener).
//! - [`audit`]: recording staff reads, and showing them to supervisors.
//! - [`booking`]: bookings for staff: offices, the slot grid, book/move/cancel, lists and CSV.
//! - [`ops`]: `/healthz` and `/metrics`.

pub mod agent;
pub mod audit;
pub mod booking;
pub mod calls;
pub mod cases;
pub mod citizen;
pub mod dashboard;
pub mod error;
pub mod extract;
pub mod faq;
pub mod floor;
pub mod login;
pub mod ops;
pub mod recordings;
pub mod reports;
pub mod today;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;

use crate::acd::service::Acd;
use crate::auth::sessions::Sessions;
use crate::auth::throttle::LoginThrottle;
use crate::call::CallServices;
use crate::media::webrtc_leg::WebRtcSettings;
use crate::outbound::dialplan::DialPlan;
use crate::sip::dialer::Dialer;
use crate::sip::{PeerAllowList, SipStats};
use crate::store::Store;

/// No route takes a body larger than this (the largest is a wrap-up's notes).
const BODY_LIMIT: usize = 64 * 1024;

/// What the softphone sessions need besides the floor.
#[derive(Clone)]
pub struct SoftphoneSettings {
    pub webrtc: WebRtcSettings,
    /// The wrap-up's inquiry categories.
    pub categories: Arc<[String]>,
    pub dial_plan: Arc<DialPlan>,
    /// Where call-backs go; `None` when `[outbound] trunk` is not set.
    pub dialer: Option<Dialer>,
    /// Agents with a call-back up (a second softphone is refused meanwhile).
    pub busy: Arc<agent::socket::BusyAgents>,
}

/// Who the HTTP side trusts, and what it shows to whom.
#[derive(Clone, Debug)]
pub struct HttpSettings {
    /// The TLS proxies in front: their requests carry the client's address.
    pub trusted_proxies: PeerAllowList,
    /// The origin browsers see, when a proxy may rewrite `Host`.
    pub public_origin: Option<String>,
    /// Who may read `/metrics`.
    pub metrics_from: PeerAllowList,
    /// Mark the cookie `Secure` (served over HTTPS, e.g. behind a TLS proxy).
    pub secure_cookie: bool,
}

pub use recordings::RecordingsAccess;

/// Everything the handlers share; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub sessions: Arc<Sessions>,
    pub throttle: Arc<LoginThrottle>,
    pub acd: Acd,
    pub calls: Arc<CallServices>,
    pub sip: Arc<SipStats>,
    pub softphone: SoftphoneSettings,
    /// The thresholds of the figures (short abandons, service level).
    pub thresholds: crate::report::metrics::Thresholds,
    /// Today's running tally (the floor and the dashboard read it; the journal feeds it).
    pub live: Arc<crate::report::live::LiveTally>,
    /// Today's forecast, made once a day.
    pub forecasts: Arc<today::ForecastCache>,
    /// The approved FAQ entries (an approval swaps in the new revision).
    pub faq: Arc<crate::faq::Book>,
    /// Where the reports' due date comes from, and the Chromium that prints PDFs.
    pub reports: crate::config::ReportsConfig,
    pub http: HttpSettings,
    pub booking: Arc<booking::BookingSettings>,
    pub citizen_limits: Arc<citizen::limits::CitizenLimits>,
    /// E-mail notices to bookers.
    pub notices: crate::notify::Notices,
    /// Recordings, their files and their transcription.
    pub recordings: RecordingsAccess,
}

/// The whole HTTP side.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(login::routes())
        .merge(agent::routes())
        .merge(floor::routes())
        .merge(dashboard::routes())
        .merge(calls::routes())
        .merge(cases::routes())
        .merge(faq::routes())
        .merge(reports::routes())
        .merge(booking::routes())
        .merge(audit::routes())
        .merge(recordings::routes())
        .merge(citizen::routes())
        .merge(ops::routes())
        .layer(axum::middleware::from_fn_with_state(state.clone(), extract::csrf_guard))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}
