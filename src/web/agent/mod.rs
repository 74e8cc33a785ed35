//! The agents' softphone: the page (plain HTML and JavaScript, no build step) and its
//! WebSocket session.
//!
//! - [`protocol`]: the WebSocket messages, each way.
//! - [`session`]: one session's decisions, sans-IO.
//! - [`socket`]: the loop that carries them out over the WebSocket.

pub mod protocol;
pub mod session;
pub mod socket;

use axum::Router;
use axum::response::Html;
use axum::routing::get;

use super::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Html(include_str!("agent.html")) }))
        .route("/api/agent/ws", get(socket::agent_ws))
}
