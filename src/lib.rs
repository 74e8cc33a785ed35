//! tsunagu (つなぐ, "to put a call through"): the backend of a municipal My Number card
//! contact center — SIP trunk, IVR, queues and agents, recordings, bookings and reports.
//!
//! # Layout
//! From the bottom up; no module imports one above it.
//!
//! Vocabulary and pure cores (no I/O, no clock):
//! - [`lang`]: the eight languages callers are served in.
//! - [`pii`]: personal data as a type that logs cannot print.
//! - [`text_lines`]: line numbers for messages about data files.
//! - [`calendar`]: opening calendars, Japanese holidays, "are we open now, and if not, why".
//! - [`catalogue`]: the prompt texts in 8 languages (rust-i18n data) and composed messages.
//! - [`journal`]: what a call's record and the agents' event log hold, typed ([`journal::Step`]).
//! - [`booking`]: offices, slots from their calendars, booking rules, codes, checklists.
//! - [`ivr`]: IVR flows as data and the sans-IO runner that walks a caller through them.
//! - [`acd`]: the desk (agent states, routing by language skill) and the ACD task.
//! - [`report`]: figures folded over the journal (one outcome per call, tallies by day, half
//!   hour, language, line and agent; forecast and Erlang C; the reports as HTML and CSV).
//! - [`case`]: escalations and complaints as cases, and who may take which step.
//! - [`faq`]: the FAQ book: entry files, search by bigrams, the approved book.
//! - [`outbound`]: the dial plan of call-backs.
//! - [`auth`]: staff accounts: roles, password hashes, sessions, the login throttle.
//! - [`config`]: the service's configuration file and its defaults.
//!
//! Shells that own I/O:
//! - [`store`]: the database (SQLite by default, PostgreSQL for production), the journal
//!   writer; the only module that names sqlx.
//! - [`media`]: G.711, RTP, DTMF, prompts, the trunk's and the agents' audio legs and the bridge.
//! - [`sip`]: the SIP trunk edge (rsipstack behind our own types) and SDP.
//! - [`recording`]: call recordings (both sides, one clock, written as the call goes).
//! - [`transcript`]: transcription with whisper (voice activity, masking of My Numbers, the
//!   worker pool over durable jobs).
//! - [`reporting`]: a report's rows gathered from the store and calendars.
//! - [`print`]: printable HTML to PDF with the machine's Chromium.
//!
//! Tasks that drive them, and the edges:
//! - [`notify`]: e-mail notices to bookers (the outbox's postman) and the booking jobs.
//! - [`call`]: one task per call (inbound, and call-backs), with their shared plumbing.
//! - [`web`]: the HTTP side: softphone, live floor, login, metrics; one router, one error type.
//! - [`server`]: `tsunagu serve`: loading, checking, assembling and running everything.
//! - [`logging`]: the log's filter and output (other crates' lines scrubbed of numbers).
//!
//! The binary (`src/main.rs`) is glue: command-line parsing and the edges (clock, files,
//! database URL, logging) around these modules.

// The prompt catalogue, compiled in from prompts/catalogue/*.yml. No fallback language: a
// missing text must be found by the tests, not hidden by another language.
rust_i18n::i18n!("prompts/catalogue");

pub mod acd;
pub mod auth;
pub mod booking;
pub mod calendar;
pub mod call;
pub mod case;
pub mod catalogue;
pub mod config;
pub mod faq;
pub mod ivr;
pub mod journal;
pub mod lang;
pub mod logging;
pub mod media;
pub mod notify;
pub mod outbound;
pub mod pii;
pub mod print;
pub mod recording;
pub mod report;
pub mod reporting;
pub mod server;
pub mod sip;
pub mod store;
pub mod text_lines;
pub mod transcript;
pub mod web;
