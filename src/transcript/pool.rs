//! The transcription workers: each claims a job from the database (any process may run
//! workers: a claim is a lease, renewed while the work goes on, so a dead worker's job is
//! taken again once its lease lapses), transcribes one channel on a blocking thread, and stores
//! the masked segments with the job's end in one transaction. A failure is retried up to
//! `max_attempts`; then the job is failed for good and shows so on the review screen.
//!
//! Whisper is CPU-bound and its threads spin: the pool's size and each worker's threads are
//! set so that the calls keep a core (`[transcription] workers`, `threads`).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use tokio::sync::Notify;
use tracing::{Instrument, info, warn};

use super::pipeline::{Segment, transcribe_channel};
use super::whisper::Engine;
use crate::recording::file::read_channel;
use crate::store::Store;
use crate::store::recordings::{SegmentRow, TranscriptionJob};

#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub workers: usize,
    pub threads: usize,
    pub model: PathBuf,
    pub model_sha256: String,
    pub max_attempts: i64,
    /// How long a claim holds without renewal.
    pub lease: Duration,
    pub recordings_dir: PathBuf,
    /// Names this process's workers (`host/pid`).
    pub worker_prefix: String,
}

#[derive(Debug, Default)]
pub struct PoolCounters {
    pub model_loaded: AtomicU64,
    pub done: AtomicU64,
    pub failed_attempts: AtomicU64,
    /// Milliseconds of audio transcribed and of work spent on it (their ratio is the speed).
    pub audio_ms: AtomicU64,
    pub work_ms: AtomicU64,
}

/// The workers' clock, read at the edge.
#[allow(clippy::disallowed_methods)]
fn now() -> Timestamp {
    Timestamp::now()
}

#[allow(clippy::disallowed_methods)]
fn instant() -> std::time::Instant {
    std::time::Instant::now()
}

pub struct Pool {
    settings: PoolSettings,
    store: Store,
    pub counters: Arc<PoolCounters>,
    wake: Arc<Notify>,
}

impl Pool {
    /// `wake` is told when new jobs are queued (a recording finished).
    pub fn new(settings: PoolSettings, store: Store, wake: Arc<Notify>) -> Arc<Pool> {
        Arc::new(Pool {
            settings,
            store,
            counters: Arc::default(),
            wake,
        })
    }

    /// Loads the model (off the runtime) and starts the workers; the model missing or wrong is
    /// logged and the jobs wait in the database for a start that has it.
    pub fn start(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let pool = Arc::clone(self);
        tokio::spawn(async move {
            let settings = pool.settings.clone();
            let loaded = tokio::task::spawn_blocking(move || {
                Engine::load(&settings.model, &settings.model_sha256, settings.threads)
            })
            .await;
            let engine = match loaded {
                Ok(Ok(engine)) => Arc::new(engine),
                Ok(Err(e)) => {
                    warn!("transcription is off until the model is there: {e}");
                    return;
                }
                Err(e) => {
                    warn!("loading the transcription model failed: {e}");
                    return;
                }
            };
            pool.counters.model_loaded.store(1, Ordering::Relaxed);
            info!(model = %pool.settings.model.display(), workers = pool.settings.workers, "transcription workers started");
            let mut workers = Vec::new();
            for n in 0..pool.settings.workers.max(1) {
                let worker = format!("{}/{n}", pool.settings.worker_prefix);
                let pool = Arc::clone(&pool);
                let engine = Arc::clone(&engine);
                workers.push(tokio::spawn(async move { pool.work(worker, engine).await }));
            }
            for worker in workers {
                let _ = worker.await;
            }
        })
    }

    fn lease_until(&self) -> String {
        let lease = SignedDuration::try_from(self.settings.lease).unwrap_or(SignedDuration::from_secs(60));
        now().checked_add(lease).unwrap_or(Timestamp::MAX).to_string()
    }

    async fn work(self: Arc<Self>, worker: String, engine: Arc<Engine>) {
        loop {
            let wake = self.wake.notified();
            let claimed = self
                .store
                .claim_transcription(
                    &worker,
                    &now().to_string(),
                    &self.lease_until(),
                    self.settings.max_attempts,
                )
                .await;
            match claimed {
                Ok(Some(job)) => {
                    let span = tracing::info_span!("transcription", call_id = %job.call_id, channel = %job.channel);
                    self.run_job(&worker, &engine, job).instrument(span).await;
                }
                Ok(None) => {
                    // Idle: woken by a new recording, or every few seconds for other
                    // processes' jobs and lapsed leases.
                    let _ = tokio::time::timeout(Duration::from_secs(3), wake).await;
                }
                Err(e) => {
                    warn!("cannot claim a transcription job: {e}");
                    tokio::time::sleep(Duration::from_secs(2)).await;
                }
            }
        }
    }

    async fn run_job(&self, worker: &str, engine: &Arc<Engine>, job: TranscriptionJob) {
        let path = self.settings.recordings_dir.join(&job.path);
        let channel = usize::from(job.channel == "agent");
        let lang = whisper_lang(&job.lang);
        let engine = Arc::clone(engine);
        let started = instant();
        let mut work = tokio::task::spawn_blocking(move || -> Result<(Vec<Segment>, usize), String> {
            let (samples, rate) = read_channel(&path, channel).map_err(|e| e.to_string())?;
            let rate = usize::try_from(rate).unwrap_or(8000);
            let audio_ms = samples.len() * 1000 / rate.max(1);
            let segments = transcribe_channel(&engine, &samples, rate, lang).map_err(|e| e.to_string())?;
            Ok((segments, audio_ms))
        });
        // The lease is renewed while whisper works, so that a long call is not taken away.
        let renew_every = self.settings.lease / 3;
        let outcome = loop {
            tokio::select! {
                done = &mut work => break done.unwrap_or_else(|e| Err(format!("the worker thread failed: {e}"))),
                _ = tokio::time::sleep(renew_every) => {
                    if let Err(e) = self.store.renew_transcription_lease(job.id, worker, &self.lease_until()).await {
                        warn!("cannot renew the job's lease: {e}");
                    }
                }
            }
        };
        let spent = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match outcome {
            Ok((segments, audio_ms)) => {
                let rows: Vec<SegmentRow> = segments
                    .into_iter()
                    .map(|s| SegmentRow {
                        start_ms: s.start_ms,
                        end_ms: s.end_ms,
                        speaker: job.channel.clone(),
                        text: s.text,
                    })
                    .collect();
                match self
                    .store
                    .finish_transcription(&job, worker, &rows, &now().to_string())
                    .await
                {
                    Ok(true) => {
                        self.counters.done.fetch_add(1, Ordering::Relaxed);
                        self.counters.audio_ms.fetch_add(audio_ms as u64, Ordering::Relaxed);
                        self.counters.work_ms.fetch_add(spent, Ordering::Relaxed);
                        info!(segments = rows.len(), audio_ms, work_ms = spent, "transcribed");
                    }
                    Ok(false) => warn!("the job was taken over by another worker: its result is dropped"),
                    Err(e) => {
                        self.failed(worker, &job, &format!("cannot store the transcript: {e}"))
                            .await
                    }
                }
            }
            Err(e) => self.failed(worker, &job, &e).await,
        }
    }

    async fn failed(&self, worker: &str, job: &TranscriptionJob, error: &str) {
        self.counters.failed_attempts.fetch_add(1, Ordering::Relaxed);
        warn!(attempt = job.attempts, "transcription failed: {error}");
        if let Err(e) = self
            .store
            .fail_transcription(job, worker, error, self.settings.max_attempts, &now().to_string())
            .await
        {
            warn!("cannot record the failure (the lease will lapse and the job run again): {e}");
        }
    }
}

/// The whisper code of a caller's language (ours are whisper's); unknown guesses.
pub fn whisper_lang(code: &str) -> Option<&'static str> {
    crate::lang::Lang::from_code(code).map(|l| l.code())
}
