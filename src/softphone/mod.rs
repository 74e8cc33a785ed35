//! The agents' softphone: the page (served by axum, plain HTML and JavaScript, no build step),
//! its WebSocket session and its WebRTC audio leg.
//!
//! - [`audio`]: the WebRTC leg (webrtc-rs), PCMU relayed as it is.
//! - [`protocol`]: the WebSocket messages.
//! - [`ws`]: one agent's session: floor, audio and wrap-up.
//! - [`floor`]: the supervisors' live floor and the view of one call.

pub mod audio;
pub mod floor;
pub mod protocol;
pub mod ws;

use std::sync::Arc;

use axum::Router;
use axum::response::Html;
use axum::routing::get;

use crate::acd::service::Acd;
use crate::auth::sessions::Sessions;
use crate::call::CallServices;
use crate::outbound::dialplan::DialPlan;
use crate::sip::dialer::Dialer;
use crate::store::Store;
use audio::WebRtcSettings;

#[derive(Clone)]
pub struct SoftphoneState {
    pub sessions: Arc<Sessions>,
    pub store: Store,
    pub acd: Acd,
    pub webrtc: WebRtcSettings,
    pub categories: Arc<[String]>,
    pub short_abandon_seconds: u32,
    pub calls: Arc<CallServices>,
    /// Where call-backs go; `None` when `[outbound] trunk` is not set.
    pub dialer: Option<Dialer>,
    pub dial_plan: Arc<DialPlan>,
}

pub fn routes(state: SoftphoneState) -> Router {
    Router::new()
        .route("/", get(|| async { Html(include_str!("assets/agent.html")) }))
        .route("/floor", get(|| async { Html(include_str!("assets/floor.html")) }))
        .route("/api/agent/ws", get(ws::agent_ws))
        .route("/api/floor/ws", get(floor::floor_ws))
        .route("/api/calls/{id}", get(floor::call_detail))
        .with_state(state)
}
