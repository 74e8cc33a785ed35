//! The center's recorder: starts a call's recording at the agent's answer, and once the file
//! is closed stores what it is (duration, size, checksum, drops, marks) with the call and
//! queues both channels for transcription, in one transaction. A recording's row exists from
//! its first second, so that a crash leaves a row that says "recording" beside a playable file:
//! at the next start [`Recorder::recover`] repairs such files and finishes their rows. Marks
//! (agents, hold, mute) are stored as they happen, so a crash keeps them too.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use jiff::Timestamp;
use tracing::{Instrument, info, warn};

use super::file;
use super::recorder::{MarkKind, Outcome, Recording, RecordingSpec, RecordingTap};
use crate::lang::Lang;
use crate::media::bridge::Mode;
use crate::store::recordings::{FinishedRecording, RecordingState};
use crate::store::{Store, StoreError};

/// Settings of the recorder (`[recording]`).
#[derive(Debug, Clone)]
pub struct RecorderSettings {
    pub dir: PathBuf,
    /// Seconds of audio (both sides) a call's buffer holds before frames are dropped.
    pub buffer_seconds: u32,
}

/// Counters for `/metrics`.
#[derive(Debug, Default)]
pub struct RecorderCounters {
    pub started: AtomicU64,
    pub active: AtomicU64,
    pub finished: AtomicU64,
    pub failed: AtomicU64,
    pub dropped_frames: Arc<AtomicU64>,
    pub bytes: AtomicU64,
}

pub struct Recorder {
    settings: RecorderSettings,
    store: Store,
    pub counters: Arc<RecorderCounters>,
    /// Told when a recording's transcription jobs are queued (the workers wake).
    queued: Arc<tokio::sync::Notify>,
}

/// Where a call's file goes: by its Tokyo start date, named by the call id.
pub fn relative_path(call_id: &str, started: Timestamp) -> PathBuf {
    let date = crate::calendar::tokyo_time(started).date();
    PathBuf::from(format!(
        "{:04}/{:02}/{:02}/{call_id}.wav",
        date.year(),
        date.month(),
        date.day()
    ))
}

impl Recorder {
    pub fn new(settings: RecorderSettings, store: Store, queued: Arc<tokio::sync::Notify>) -> Recorder {
        Recorder {
            settings,
            store,
            counters: Arc::default(),
            queued,
        }
    }

    pub fn dir(&self) -> &Path {
        &self.settings.dir
    }

    /// Starts recording a call (at its agent's answer); None when the file cannot be made:
    /// the call goes on unrecorded and the failure is counted and logged.
    pub fn start(self: &Arc<Self>, call_id: &str, started: Timestamp) -> Option<CallRecording> {
        let relative = relative_path(call_id, started);
        let spec = RecordingSpec {
            path: self.settings.dir.join(&relative),
            buffer_frames: usize::try_from(self.settings.buffer_seconds.max(1) * 100).unwrap_or(500),
            dropped_total: Arc::clone(&self.counters.dropped_frames),
            call_id: call_id.to_string(),
        };
        let recording = match Recording::start(spec) {
            Ok(recording) => recording,
            Err(e) => {
                self.counters.failed.fetch_add(1, Ordering::Relaxed);
                warn!("the call cannot be recorded: {e}");
                return None;
            }
        };
        self.counters.started.fetch_add(1, Ordering::Relaxed);
        self.counters.active.fetch_add(1, Ordering::Relaxed);
        let (lang_tx, lang_rx) = tokio::sync::oneshot::channel();
        let (outcome_tx, outcome_rx) = tokio::sync::oneshot::channel();
        let (marks_tx, marks_rx) = tokio::sync::mpsc::unbounded_channel();
        let keeper = Arc::clone(self);
        let call = call_id.to_string();
        let path = relative.display().to_string();
        tokio::spawn(
            async move {
                keeper.keep(call, path, started, (marks_rx, lang_rx), outcome_rx).await;
            }
            .in_current_span(),
        );
        Some(CallRecording {
            recording: Some(recording),
            marks: marks_tx,
            lang: Some(lang_tx),
            outcome: Some(outcome_tx),
        })
    }

    /// The row from the start, each mark as it comes, then the outcome once the file is closed.
    async fn keep(
        &self,
        call: String,
        path: String,
        started: Timestamp,
        (mut marks, lang): (MarkReceiver, tokio::sync::oneshot::Receiver<Option<Lang>>),
        outcome: tokio::sync::oneshot::Receiver<tokio::sync::oneshot::Receiver<Outcome>>,
    ) {
        let started_at = started.to_string();
        persist("recording row", || {
            self.store.recording_started(&call, &path, &started_at)
        })
        .await;
        let closed = async {
            match outcome.await {
                Ok(done) => done.await.ok(),
                Err(_) => None,
            }
        };
        tokio::pin!(closed);
        let outcome = loop {
            tokio::select! {
                outcome = &mut closed => break outcome,
                Some((at_ms, kind, agent)) = marks.recv() => {
                    persist("recording mark", || self.store.recording_mark(&call, at_ms, kind.name(), &agent)).await;
                }
            }
        };
        // Marks sent just before the end (the agent leaving).
        while let Ok((at_ms, kind, agent)) = marks.try_recv() {
            persist("recording mark", || {
                self.store.recording_mark(&call, at_ms, kind.name(), &agent)
            })
            .await;
        }
        self.counters.active.fetch_sub(1, Ordering::Relaxed);
        let lang = lang.await.ok().flatten();
        let Some(outcome) = outcome else {
            // The thread died without a word: the next start repairs the file.
            self.counters.failed.fetch_add(1, Ordering::Relaxed);
            return;
        };
        let (state, described) = match outcome.file {
            Ok(finished) => (RecordingState::Finished, finished),
            Err(e) => {
                self.counters.failed.fetch_add(1, Ordering::Relaxed);
                warn!("the recording ended with an error: {e}");
                match file::repair(&self.settings.dir.join(&path)) {
                    Ok(finished) => (RecordingState::Interrupted, finished),
                    Err(_) => (
                        RecordingState::Interrupted,
                        file::Finished {
                            duration_ms: 0,
                            bytes: 0,
                            sha256: String::new(),
                        },
                    ),
                }
            }
        };
        self.counters.finished.fetch_add(1, Ordering::Relaxed);
        // The center's count of frames left out holds the surplus too, not only the buffer's.
        self.counters
            .dropped_frames
            .fetch_add(outcome.surplus_frames, Ordering::Relaxed);
        self.counters
            .bytes
            .fetch_add(u64::try_from(described.bytes).unwrap_or(0), Ordering::Relaxed);
        info!(
            duration_ms = described.duration_ms,
            bytes = described.bytes,
            dropped = outcome.dropped_frames,
            "recording finished"
        );
        let finished = FinishedRecording {
            state,
            lang: lang.map(|l| l.code().to_string()).unwrap_or_default(),
            duration_ms: described.duration_ms,
            bytes: described.bytes,
            sha256: described.sha256,
            dropped_frames: i64::try_from(outcome.dropped_frames).unwrap_or(i64::MAX),
            finished_at: wall_clock().to_string(),
        };
        persist("finished recording", || self.store.recording_finished(&call, &finished)).await;
        self.queued.notify_waiters();
    }

    /// Recordings a crash left open: their files repaired (cut to the last whole 20 ms), their
    /// rows finished as interrupted and queued for transcription. A file of today or yesterday
    /// (Tokyo) without any row (the crash came before its first row was written) gets one.
    /// Returns how many were recovered.
    pub async fn recover(&self, now: Timestamp) -> Result<usize, StoreError> {
        let today = crate::calendar::tokyo_time(now).date();
        for day in [today.yesterday().unwrap_or(today), today] {
            let folder = format!("{:04}/{:02}/{:02}", day.year(), day.month(), day.day());
            let Ok(entries) = std::fs::read_dir(self.settings.dir.join(&folder)) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let Some(call) = name.strip_suffix(".wav") else {
                    continue;
                };
                if self.store.recording_of(call).await?.is_none() {
                    warn!(call_id = %call, "a recording without its row: registered as interrupted");
                    // A call id begins with its start in hexadecimal milliseconds.
                    let started = call
                        .split('-')
                        .next()
                        .and_then(|hex| i64::from_str_radix(hex, 16).ok())
                        .and_then(|ms| Timestamp::from_millisecond(ms).ok())
                        .unwrap_or(now)
                        .to_string();
                    self.store
                        .recording_started(call, &format!("{folder}/{name}"), &started)
                        .await?;
                }
            }
        }
        let open = self.store.open_recordings().await?;
        for (call, path) in &open {
            let described = match file::repair(&self.settings.dir.join(path)) {
                Ok(described) => described,
                Err(e) => {
                    warn!(call_id = %call, "an interrupted recording cannot be repaired: {e}");
                    file::Finished {
                        duration_ms: 0,
                        bytes: 0,
                        sha256: String::new(),
                    }
                }
            };
            let finished = FinishedRecording {
                state: RecordingState::Interrupted,
                lang: String::new(),
                duration_ms: described.duration_ms,
                bytes: described.bytes,
                sha256: described.sha256,
                dropped_frames: 0,
                finished_at: now.to_string(),
            };
            self.store.recording_finished(call, &finished).await?;
            self.queued.notify_waiters();
            info!(call_id = %call, duration_ms = finished.duration_ms, "an interrupted recording was repaired");
        }
        Ok(open.len())
    }
}

/// The recorder is an edge: it stamps when a recording was closed.
#[allow(clippy::disallowed_methods)]
fn wall_clock() -> Timestamp {
    Timestamp::now()
}

/// Writes until the database takes it: a passing failure is retried with a growing pause (the
/// file is safe on disk meanwhile, and a restart finds the row); a lasting one is logged.
async fn persist<F, Fut>(what: &str, mut write: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), StoreError>>,
{
    let mut pause = Duration::from_millis(200);
    loop {
        match write().await {
            Ok(()) => return,
            Err(e) if e.is_lasting() => {
                warn!("the {what} cannot be stored: {e}");
                return;
            }
            Err(e) => {
                warn!("the {what} waits for the database: {e}");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(30));
            }
        }
    }
}

type MarkReceiver = tokio::sync::mpsc::UnboundedReceiver<(i64, MarkKind, String)>;

/// A call's recording, held by its agent link.
pub struct CallRecording {
    recording: Option<Recording>,
    /// Marks to the keeper, which stores each at once (a handful per call: never full).
    marks: tokio::sync::mpsc::UnboundedSender<(i64, MarkKind, String)>,
    lang: Option<tokio::sync::oneshot::Sender<Option<Lang>>>,
    outcome: Option<tokio::sync::oneshot::Sender<tokio::sync::oneshot::Receiver<Outcome>>>,
}

impl CallRecording {
    pub fn tap(&self) -> Option<Arc<RecordingTap>> {
        self.recording.as_ref().map(Recording::tap)
    }

    pub fn mark(&self, kind: MarkKind, agent: &str) {
        if let Some(recording) = &self.recording {
            let _ = self.marks.send((recording.elapsed_ms(), kind, agent.to_string()));
        }
    }

    pub fn mode(&self, mode: Mode) {
        if let Some(recording) = &self.recording {
            recording.mode(mode);
        }
    }

    /// The call is over; `lang` is the caller's language, for the transcription.
    pub fn finish(mut self, lang: Option<Lang>) {
        self.close(lang);
    }

    fn close(&mut self, lang: Option<Lang>) {
        if let (Some(recording), Some(outcome)) = (self.recording.take(), self.outcome.take()) {
            let _ = outcome.send(recording.finish());
        }
        if let Some(tx) = self.lang.take() {
            let _ = tx.send(lang);
        }
    }
}

impl Drop for CallRecording {
    fn drop(&mut self) {
        self.close(None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_go_under_the_tokyo_date_the_call_began() {
        // 2026-12-01 15:30 UTC is already 2 December in Tokyo.
        let at: Timestamp = "2026-12-01T15:30:00Z".parse().expect("time");
        assert_eq!(relative_path("abc-1", at), PathBuf::from("2026/12/02/abc-1.wav"));
    }
}
