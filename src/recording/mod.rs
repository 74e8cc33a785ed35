//! Call recording (CC-COMPLAINT): every conversation with an agent, from the answer to the end
//! of the call and across transfers, in one stereo file per call (caller left, agent right),
//! written as the call goes.
//!
//! - [`mixer`]: the two sides on one 20 ms clock (sans-IO), hold and mute as silence.
//! - [`file`]: the WAV on disk, playable at every moment, repaired after a crash.
//! - [`recorder`]: one call's tap and writing thread; the audio path never waits on the disk.
//! - [`service`]: the center's recorder: rows, marks, the transcription jobs, recovery.
//! - [`retention`]: deleting recordings and transcripts past their time, holds kept.

pub mod file;
pub mod mixer;
pub mod recorder;
pub mod retention;
pub mod service;

pub use recorder::MarkKind;
pub use service::{CallRecording, Recorder, RecorderSettings};
