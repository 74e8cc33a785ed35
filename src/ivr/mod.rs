//! The IVR: flows as data and the runner that walks a caller through one.
//!
//! - [`flow`]: `ivr-flows/*.toml` parsed and validated (unknown prompts or nodes, prompts
//!   missing in a language, unreachable nodes, loops with no exit, bad DTMF keys).
//! - [`runner`]: the sans-IO runner (events in, commands out, no clock, no I/O).

pub mod flow;
pub mod runner;

pub use flow::{Flow, FlowContext, InvalidFlow};
pub use runner::{HangupCause, IvrCommand, IvrEvent, PromptPlay, Runner};
