//! `tsunagu recordings transcribe FILE --lang ja`: the workers' pipeline (voice activity,
//! whisper, masking) on any WAV file, printed as text or JSON. A stereo file is a recording of
//! ours (left the caller, right the agent); a mono file is one speaker.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use tsunagu::recording::file::read_channel;
use tsunagu::transcript::pipeline::{Segment, transcribe_channel};
use tsunagu::transcript::pool::whisper_lang;
use tsunagu::transcript::whisper::Engine;

use super::serve::ServeArgs;

#[derive(Debug, clap::Subcommand)]
pub enum RecordingsCommand {
    /// Transcribe a WAV file as the workers do (masked), and print the segments.
    Transcribe {
        file: PathBuf,
        /// The language spoken (ja, en, zh, ko, tl, es, pt, vi); without it whisper guesses.
        #[arg(long)]
        lang: Option<String>,
        /// The model file (default: `[transcription] model` of the configuration).
        #[arg(long)]
        model: Option<PathBuf>,
        /// Threads whisper uses (default: `[transcription] threads`).
        #[arg(long)]
        threads: Option<usize>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        serve: ServeArgs,
    },
}

#[derive(serde::Serialize)]
struct Spoken<'a> {
    speaker: &'static str,
    #[serde(flatten)]
    segment: &'a Segment,
}

/// Wall time for the real-time factor printed at the end (an edge).
#[allow(clippy::disallowed_methods)]
fn instant() -> std::time::Instant {
    std::time::Instant::now()
}

fn clock(ms: i64) -> String {
    format!("{:02}:{:04.1}", ms / 60_000, (ms % 60_000) as f64 / 1000.0)
}

pub async fn run(command: RecordingsCommand) -> anyhow::Result<ExitCode> {
    let RecordingsCommand::Transcribe {
        file,
        lang,
        model,
        threads,
        json,
        serve,
    } = command;
    let config = serve.config()?;
    let lang = match lang.as_deref() {
        Some(code) => {
            Some(whisper_lang(code).with_context(|| format!("--lang: '{code}' is none of ja en zh ko tl es pt vi"))?)
        }
        None => None,
    };
    let transcription = &config.transcription;
    let (model, sha256) = match model {
        // A model named on the command line is the caller's choice: no hash to check.
        Some(path) => (path, String::new()),
        None => (transcription.model_path(), transcription.model_sha256.clone()),
    };
    let threads = threads.unwrap_or(transcription.threads).max(1);
    let channels = hound::WavReader::open(&file)
        .with_context(|| format!("{}: not a WAV file", file.display()))?
        .spec()
        .channels;
    if channels == 0 || channels > 2 {
        bail!(
            "{}: {channels} channels (a recording has 2, a speaker 1)",
            file.display()
        );
    }
    let started = instant();
    let (spoken, audio_ms) =
        tokio::task::spawn_blocking(move || -> anyhow::Result<(Vec<(&'static str, Segment)>, u64)> {
            let engine = Engine::load(&model, &sha256, threads)?;
            let speakers: &[&'static str] = if channels == 2 {
                &["caller", "agent"]
            } else {
                &["speaker"]
            };
            let mut spoken = Vec::new();
            let mut audio_ms = 0;
            for (channel, speaker) in speakers.iter().enumerate() {
                let (samples, rate) = read_channel(&file, channel)?;
                let rate = usize::try_from(rate).unwrap_or(8000).max(1);
                audio_ms = (samples.len() * 1000 / rate) as u64;
                for segment in transcribe_channel(&engine, &samples, rate, lang)? {
                    spoken.push((*speaker, segment));
                }
            }
            spoken.sort_by_key(|(_, s)| s.start_ms);
            Ok((spoken, audio_ms))
        })
        .await??;
    let spent = started.elapsed().as_secs_f64();
    if json {
        let segments: Vec<Spoken> = spoken
            .iter()
            .map(|(speaker, segment)| Spoken { speaker, segment })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "segments": segments }))?
        );
    } else {
        for (speaker, segment) in &spoken {
            println!(
                "[{}-{}] {speaker}: {}",
                clock(segment.start_ms),
                clock(segment.end_ms),
                segment.text
            );
        }
    }
    eprintln!(
        "{} segments; {:.1} s of audio in {spent:.1} s (real-time factor {:.1})",
        spoken.len(),
        audio_ms as f64 / 1000.0,
        audio_ms as f64 / 1000.0 / spent.max(0.001)
    );
    Ok(ExitCode::SUCCESS)
}
