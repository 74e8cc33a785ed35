//! Transcription of recordings with whisper, on our own machine (no cloud).
//!
//! - [`voice`]: where someone speaks (whisper invents text on silence and noise).
//! - [`splice`]: speech packed into whisper's 30 s windows, times mapped back.
//! - [`mask`]: My Numbers and PINs masked before anything is stored or indexed.
//! - [`whisper`]: the model, checked and loaded once.
//! - [`pipeline`]: one channel to masked segments (used by the workers and the CLI).
//! - [`pool`]: the workers over the durable jobs in the database.

pub mod mask;
pub mod pipeline;
pub mod pool;
pub mod splice;
pub mod voice;
pub mod whisper;

#[derive(Debug, thiserror::Error)]
pub enum TranscriptError {
    #[error("the whisper model {0} is missing (ops/whisper/prepare-model builds it; `[transcription] model` names it)")]
    ModelMissing(String),
    #[error(
        "the whisper model {path} is not the expected file: sha256 {found}, expected {expected} (set `[transcription] model_sha256` for another model)"
    )]
    ModelChecksum {
        path: String,
        expected: String,
        found: String,
    },
    #[error("cannot load the whisper model {0}: {1}")]
    Model(String, String),
    #[error("whisper failed: {0}")]
    Whisper(String),
}
