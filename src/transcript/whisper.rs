//! The whisper model, loaded once and shared by the workers (each transcription has a state of
//! its own). The model file is checked against its sha256 before it is loaded when one is
//! configured: the file was built by our setup (ops/whisper/prepare-model), and a different
//! one must be a city's deliberate choice (a larger model, with its own hash or none).

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};
use whisper_rs::{FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters};

use super::TranscriptError;

/// A segment as whisper gives it, on the window's clock (16 kHz audio).
#[derive(Debug, Clone, PartialEq)]
pub struct RawSegment {
    pub start_ms: i64,
    pub end_ms: i64,
    pub text: String,
    pub no_speech: f32,
}

pub struct Engine {
    context: WhisperContext,
    threads: i32,
}

/// The sha256 of a file, in hex.
pub fn file_sha256(path: &Path) -> Result<String, std::io::Error> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

impl Engine {
    /// Loads the model; `sha256` (when not empty) must match the file.
    pub fn load(path: &Path, sha256: &str, threads: usize) -> Result<Engine, TranscriptError> {
        let shown = path.display().to_string();
        if !path.is_file() {
            return Err(TranscriptError::ModelMissing(shown));
        }
        if !sha256.is_empty() {
            let found = file_sha256(path).map_err(|e| TranscriptError::Model(shown.clone(), e.to_string()))?;
            if !found.eq_ignore_ascii_case(sha256) {
                return Err(TranscriptError::ModelChecksum {
                    path: shown,
                    expected: sha256.to_string(),
                    found,
                });
            }
        }
        // whisper.cpp and ggml print to stderr; their lines go to our log (at debug) instead.
        whisper_rs::install_logging_hooks();
        let context = WhisperContext::new_with_params(&shown, WhisperContextParameters::default())
            .map_err(|e| TranscriptError::Model(shown.clone(), e.to_string()))?;
        Ok(Engine {
            context,
            threads: i32::try_from(threads.max(1)).unwrap_or(1),
        })
    }

    /// Transcribes windows of 16 kHz mono audio in `lang` (a whisper code; None guesses).
    pub fn transcribe(
        &self,
        windows: &[Vec<f32>],
        lang: Option<&str>,
    ) -> Result<Vec<Vec<RawSegment>>, TranscriptError> {
        let mut state = self
            .context
            .create_state()
            .map_err(|e| TranscriptError::Whisper(e.to_string()))?;
        let mut out = Vec::with_capacity(windows.len());
        for audio in windows {
            let mut params = FullParams::new(SamplingStrategy::Greedy { best_of: 1 });
            params.set_n_threads(self.threads);
            params.set_language(Some(lang.unwrap_or("auto")));
            // Each window is utterances from across the call: what came before is no help, and
            // carrying it over is how whisper starts repeating itself.
            params.set_no_context(true);
            params.set_print_special(false);
            params.set_print_progress(false);
            params.set_print_realtime(false);
            params.set_print_timestamps(false);
            params.set_suppress_blank(true);
            state
                .full(params, audio)
                .map_err(|e| TranscriptError::Whisper(e.to_string()))?;
            let mut segments = Vec::new();
            for segment in state.as_iter() {
                let text = segment
                    .to_str_lossy()
                    .map_err(|e| TranscriptError::Whisper(e.to_string()))?
                    .trim()
                    .to_string();
                segments.push(RawSegment {
                    start_ms: segment.start_timestamp() * 10,
                    end_ms: segment.end_timestamp() * 10,
                    text,
                    no_speech: segment.no_speech_probability(),
                });
            }
            out.push(segments);
        }
        Ok(out)
    }
}
