//! tsunagu (つなぐ, "to put a call through"): the backend of a municipal My Number card
//! contact center — SIP trunk, IVR, queues and agents, recordings, bookings and reports.
//!
//! # Layout
//! - [`catalogue`]: the prompt texts in 8 languages (rust-i18n data) and composed messages.
//! - [`acd`]: the floor: agent states, routing by language skill, the ACD task.
//! - [`auth`]: staff accounts: roles and password hashes.
//! - [`call`]: one task per call, driving the IVR over the SIP leg and the media.
//! - [`calendar`]: opening calendars, Japanese holidays, "are we open now, and if not, why".
//! - [`cdr`]: the kinds of steps a call detail record holds.
//! - [`config`]: the service's configuration file and its defaults.
//! - [`ivr`]: IVR flows as data and the sans-IO runner that walks a caller through them.
//! - [`lang`]: the eight languages callers are served in.
//! - [`media`]: G.711, RTP, DTMF and prompt audio for the trunk leg.
//! - [`outbound`]: call-backs from agents through the trunk, limited by a dial plan.
//! - [`report`]: reports from call records (the daily answer rate).
//! - [`server`]: `tsunagu serve`: loading, checking and running everything.
//! - [`softphone`]: the agents' browser softphone (page, WebSocket, WebRTC audio) and the
//!   supervisors' live floor.
//! - [`sip`]: the SIP trunk edge (rsipstack behind our own types) and SDP.
//! - [`text_lines`]: line numbers for messages about data files.
//! - [`store`]: the database (SQLite by default, PostgreSQL for production); the only module
//!   that names sqlx.
//!
//! The binary (`src/main.rs`) is glue: command-line parsing and the edges (clock, files,
//! database URL) around these modules.

// The prompt catalogue, compiled in from prompts/catalogue/*.yml. No fallback language: a
// missing text must be found by the tests, not hidden by another language.
rust_i18n::i18n!("prompts/catalogue");

pub mod acd;
pub mod auth;
pub mod calendar;
pub mod call;
pub mod catalogue;
pub mod cdr;
pub mod config;
pub mod ivr;
pub mod lang;
pub mod media;
pub mod outbound;
pub mod report;
pub mod server;
pub mod sip;
pub mod softphone;
pub mod store;
pub mod text_lines;
