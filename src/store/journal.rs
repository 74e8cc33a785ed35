//! The journal writer: calls' records, agents' state changes and wrap-ups go to one task that
//! writes them in batches (many rows per transaction), in the order they were sent. Nothing
//! that sends to it waits on the database, and nothing is dropped to keep up:
//!
//! - The queue is measured in rows. Past [`JournalLimits::behind_rows`] the journal says it is
//!   *behind*, and the call layer turns new calls away with 503 and Retry-After (writing only
//!   that refusal), so that no call runs without its record; the rows of calls in progress are
//!   still taken. A row may be late; it is not dropped.
//! - A batch the database refuses for a passing reason (busy, connection lost, server down) is
//!   retried, with a growing pause, until it is written. Only when the queue then reaches
//!   [`JournalLimits::max_rows`] (the database has been down for long) are new rows lost:
//!   each is counted, logged at most once a second, and shown on the floor and `/metrics`.
//! - A row the database refuses for good (a wrap-up for a call that does not exist) is
//!   written alone to find it, counted as failed, and its sender told.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};
use tracing::{info, warn};

use super::batch::Batch;
use super::{Store, StoreError};
use crate::journal::{AgentEvent, FiledWrapUp, NewCall, StepRow};
use crate::logging::Throttled;

/// Bounds of the queue, in rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JournalLimits {
    /// Above this many rows waiting, new calls are turned away (a few seconds of a busy
    /// center's rows).
    pub behind_rows: u64,
    /// At this many rows waiting (the database has been down for long), new rows are lost and
    /// counted. About 300 bytes a row.
    pub max_rows: u64,
    /// The most rows one transaction writes.
    pub batch_rows: usize,
}

impl Default for JournalLimits {
    fn default() -> JournalLimits {
        JournalLimits {
            behind_rows: 20_000,
            max_rows: 500_000,
            batch_rows: 4_000,
        }
    }
}

/// What the journal counts, for `/metrics` and the floor.
#[derive(Debug, Default)]
pub struct JournalStats {
    pub written: AtomicU64,
    /// Rows waiting to be written.
    pub pending: AtomicU64,
    /// Rows lost because the database was down for so long that the queue filled.
    pub lost: AtomicU64,
    /// Rows the database refused for good.
    pub failed: AtomicU64,
    /// Transactions that failed and were retried.
    pub retries: AtomicU64,
    /// Whether the last attempt to write failed (the database is not answering).
    pub database_down: AtomicBool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JournalError {
    #[error("the database refused it: {0}")]
    Refused(String),
    #[error("the database is not answering; it will be written when it is back")]
    Delayed,
    #[error("the database has been down for too long; nothing more can be kept")]
    Full,
}

/// A row just written, for whoever keeps a running tally of them (the floor's).
#[derive(Debug, Clone, Copy)]
pub enum Written<'a> {
    Call(&'a NewCall),
    Step(&'a StepRow),
}

/// Told of every call row and step once it is committed, in the order written.
pub type Tap = Arc<dyn Fn(Written<'_>) + Send + Sync>;

enum Entry {
    Call(NewCall),
    Step(StepRow),
    Agent(AgentEvent),
    WrapUp(FiledWrapUp, oneshot::Sender<Result<(), JournalError>>),
    Flush(oneshot::Sender<()>),
}

impl Entry {
    fn rows(&self) -> u64 {
        match self {
            Entry::Flush(_) => 0,
            _ => 1,
        }
    }
}

/// A handle to the journal writer; cheap to clone.
#[derive(Clone)]
pub struct Journal {
    // Unbounded on purpose: the bound is the row count (`pending`), which the call layer reads
    // to shed new calls, and past `max_rows` rows are counted as lost instead of queued.
    tx: mpsc::UnboundedSender<Entry>,
    limits: JournalLimits,
    pub stats: Arc<JournalStats>,
    lost_log: Arc<Throttled>,
}

/// How long a wrap-up's sender waits for its commit before being told it is delayed.
const WRAP_UP_WAIT: Duration = Duration::from_secs(10);

impl Journal {
    /// Starts the writer task on `store`.
    pub fn start(store: Store, limits: JournalLimits) -> Journal {
        Journal::start_with_tap(store, limits, None)
    }

    /// Starts the writer task on `store`, telling `tap` of each call row and step it commits.
    pub fn start_with_tap(store: Store, limits: JournalLimits, tap: Option<Tap>) -> Journal {
        let (tx, rx) = mpsc::unbounded_channel();
        let stats = Arc::new(JournalStats::default());
        let writer = Writer {
            store,
            limits,
            stats: Arc::clone(&stats),
            failed_log: Throttled::default(),
            tap,
        };
        tokio::spawn(writer.run(rx));
        Journal {
            tx,
            limits,
            stats,
            lost_log: Arc::default(),
        }
    }

    /// A call's row, written before its steps.
    pub fn call(&self, call: NewCall) {
        self.append(Entry::Call(call));
    }

    pub fn step(&self, row: StepRow) {
        self.append(Entry::Step(row));
    }

    pub fn agent_event(&self, event: AgentEvent) {
        self.append(Entry::Agent(event));
    }

    /// Files a wrap-up and waits for its commit (at most [`WRAP_UP_WAIT`]).
    pub async fn wrap_up(&self, filed: FiledWrapUp) -> Result<(), JournalError> {
        if self.stats.pending.load(Ordering::Relaxed) >= self.limits.max_rows {
            return Err(JournalError::Full);
        }
        let (done, wait) = oneshot::channel();
        self.stats.pending.fetch_add(1, Ordering::Relaxed);
        if self.tx.send(Entry::WrapUp(filed, done)).is_err() {
            self.stats.pending.fetch_sub(1, Ordering::Relaxed);
            return Err(JournalError::Delayed);
        }
        match tokio::time::timeout(WRAP_UP_WAIT, wait).await {
            Ok(Ok(result)) => result,
            _ => Err(JournalError::Delayed),
        }
    }

    /// Whether rows wait beyond [`JournalLimits::behind_rows`]: new calls should be turned away.
    pub fn is_behind(&self) -> bool {
        self.stats.pending.load(Ordering::Relaxed) > self.limits.behind_rows
    }

    pub fn pending(&self) -> u64 {
        self.stats.pending.load(Ordering::Relaxed)
    }

    /// Waits until everything sent before is written (or given up as failed).
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Entry::Flush(done)).is_ok() {
            let _ = wait.await;
        }
    }

    /// Like [`Journal::flush`], for at most `limit` (the service stopping while the database
    /// is away): what is still waiting then is counted as lost, and false returned.
    pub async fn flush_within(&self, limit: Duration) -> bool {
        if tokio::time::timeout(limit, self.flush()).await.is_ok() {
            return true;
        }
        let left = self.stats.pending.load(Ordering::Relaxed);
        self.stats.lost.fetch_add(left, Ordering::Relaxed);
        warn!(
            lost = left,
            "stopping while the database does not answer: journal rows not written"
        );
        false
    }

    fn append(&self, entry: Entry) {
        if self.stats.pending.load(Ordering::Relaxed) >= self.limits.max_rows {
            let lost = self.stats.lost.fetch_add(1, Ordering::Relaxed) + 1;
            if let Some(more) = self.lost_log.tick(now()) {
                warn!(
                    lost,
                    since_last_line = more,
                    "the database has been down too long: journal rows are lost"
                );
            }
            return;
        }
        self.stats.pending.fetch_add(entry.rows(), Ordering::Relaxed);
        if self.tx.send(entry).is_err() {
            // The writer is gone (the runtime is shutting down).
            self.stats.pending.fetch_sub(1, Ordering::Relaxed);
            self.stats.lost.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The journal is an edge: it reads the clock for its pauses and log limits.
#[allow(clippy::disallowed_methods)]
fn now() -> Instant {
    Instant::now()
}

struct Writer {
    store: Store,
    limits: JournalLimits,
    stats: Arc<JournalStats>,
    failed_log: Throttled,
    tap: Option<Tap>,
}

/// Pauses between attempts while the database does not answer.
const FIRST_PAUSE: Duration = Duration::from_millis(100);
const LONGEST_PAUSE: Duration = Duration::from_secs(5);

impl Writer {
    async fn run(self, mut rx: mpsc::UnboundedReceiver<Entry>) {
        let mut entries = Vec::new();
        while let Some(first) = rx.recv().await {
            entries.push(first);
            let mut rows = entries[0].rows() as usize;
            while rows < self.limits.batch_rows {
                match rx.try_recv() {
                    Ok(entry) => {
                        rows += entry.rows() as usize;
                        entries.push(entry);
                    }
                    Err(_) => break,
                }
            }
            self.write(std::mem::take(&mut entries)).await;
        }
    }

    /// Writes the entries (retrying while the database does not answer), then answers the
    /// wrap-ups' and flushes' senders.
    async fn write(&self, entries: Vec<Entry>) {
        let mut wrap_up_results: Vec<Result<(), JournalError>> = Vec::new();
        let rows: u64 = entries.iter().map(Entry::rows).sum();
        {
            let batch = batch_of(entries.iter());
            match self.commit(&batch).await {
                Ok(()) => {
                    self.stats.written.fetch_add(rows, Ordering::Relaxed);
                    wrap_up_results = vec![Ok(()); batch.wrap_ups.len()];
                    entries.iter().for_each(|entry| self.tell(entry));
                }
                Err(e) => {
                    // Refused for good: write the rows one by one to keep all but the bad one.
                    info!(error = %e, rows, "a journal batch was refused: writing its rows one by one");
                    for entry in &entries {
                        if entry.rows() == 0 {
                            continue;
                        }
                        let single = batch_of(std::iter::once(entry));
                        let result = match self.commit(&single).await {
                            Ok(()) => {
                                self.stats.written.fetch_add(1, Ordering::Relaxed);
                                self.tell(entry);
                                Ok(())
                            }
                            Err(e) => {
                                let failed = self.stats.failed.fetch_add(1, Ordering::Relaxed) + 1;
                                if let Some(more) = self.failed_log.tick(now()) {
                                    warn!(error = %e, failed, since_last_line = more, "the database refused a journal row");
                                }
                                Err(JournalError::Refused(e.to_string()))
                            }
                        };
                        if matches!(entry, Entry::WrapUp(..)) {
                            wrap_up_results.push(result);
                        }
                    }
                }
            }
        }
        self.stats.pending.fetch_sub(rows, Ordering::Relaxed);
        let mut results = wrap_up_results.into_iter();
        for entry in entries {
            match entry {
                Entry::WrapUp(_, done) => {
                    let _ = done.send(results.next().unwrap_or(Ok(())));
                }
                Entry::Flush(done) => {
                    let _ = done.send(());
                }
                _ => {}
            }
        }
    }

    /// Tells the tap of a committed row.
    fn tell(&self, entry: &Entry) {
        let Some(tap) = &self.tap else { return };
        match entry {
            Entry::Call(call) => tap(Written::Call(call)),
            Entry::Step(row) => tap(Written::Step(row)),
            _ => {}
        }
    }

    /// Commits a batch, retrying for as long as the failure is a passing one. An error that
    /// would recur (a constraint) is returned.
    async fn commit(&self, batch: &Batch<'_>) -> Result<(), StoreError> {
        let mut pause = FIRST_PAUSE;
        let down_log = Throttled::default();
        loop {
            match self.store.write_batch(batch).await {
                Ok(()) => {
                    if self.stats.database_down.swap(false, Ordering::Relaxed) {
                        info!(
                            pending = self.stats.pending.load(Ordering::Relaxed),
                            "the database answers again: catching up"
                        );
                    }
                    return Ok(());
                }
                Err(e) if e.is_lasting() => return Err(e),
                Err(e) => {
                    self.stats.retries.fetch_add(1, Ordering::Relaxed);
                    self.stats.database_down.store(true, Ordering::Relaxed);
                    if down_log.tick(now()).is_some() {
                        warn!(
                            error = %e,
                            pending = self.stats.pending.load(Ordering::Relaxed),
                            "the journal cannot write: retrying"
                        );
                    }
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(LONGEST_PAUSE);
                }
            }
        }
    }
}

fn batch_of<'a>(entries: impl Iterator<Item = &'a Entry>) -> Batch<'a> {
    let mut batch = Batch::default();
    for entry in entries {
        match entry {
            Entry::Call(call) => batch.calls.push(call),
            Entry::Step(step) => batch.steps.push(step),
            Entry::Agent(event) => batch.agent_events.push(event),
            Entry::WrapUp(filed, _) => batch.wrap_ups.push(filed),
            Entry::Flush(_) => {}
        }
    }
    batch
}
