//! The citizen pages (BK-WEB): residents book, look up, change and cancel around the clock,
//! with the same steps and words as the agent's side panel (one script draws both,
//! `assets/booking.js`). No login: a booking is reached by its code and secret. Rate limits
//! per address and per slot keep scripts from emptying the calendar ([`limits`]); an outage
//! banner set by a supervisor (BK-STATUS) and a note in eight languages pointing to the call
//! center (BK-LANG) head the page.
//!
//! These routes may also be served alone on `[http] citizen_listen` ([`citizen_app`]), so that
//! the staff pages need not be reachable from the internet.
//!
//! - [`api`]: the public API under `/api/public/`.
//! - [`limits`]: counts per key over a window.

pub mod api;
pub mod limits;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;

use super::AppState;

/// The citizen page and the shared booking script, with the public API.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/yoyaku", get(|| async { Html(include_str!("../assets/yoyaku.html")) }))
        .route("/assets/booking.js", get(booking_script))
        .merge(api::routes())
}

/// The shared script of the booking steps (citizen page and agent side panel).
pub async fn booking_script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../assets/booking.js"),
    )
}

/// The citizen side alone, for its own listener.
pub fn citizen_app(state: AppState) -> Router {
    Router::new()
        .merge(routes())
        .route("/", get(|| async { axum::response::Redirect::to("/yoyaku") }))
        .layer(DefaultBodyLimit::max(16 * 1024))
        .with_state(state)
}
