//! Writes call records in the background: a call never waits on the database. Steps go
//! through a bounded channel to one writer task; if the database falls far behind, steps are
//! dropped and counted rather than holding up calls (and the operator sees the counter).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::mpsc;
use tracing::warn;

use crate::store::Store;
use crate::store::agents::AgentEventRow;
use crate::store::calls::{CallEvent, NewCall};

enum Write {
    Call(NewCall),
    Event(CallEvent),
    Agent(AgentEventRow),
    Flush(tokio::sync::oneshot::Sender<()>),
}

#[derive(Debug, Default)]
pub struct RecorderStats {
    pub written: AtomicU64,
    pub dropped: AtomicU64,
    pub failed: AtomicU64,
}

#[derive(Clone)]
pub struct Recorder {
    tx: mpsc::Sender<Write>,
    pub stats: Arc<RecorderStats>,
}

impl Recorder {
    pub fn start(store: Store) -> Recorder {
        let (tx, mut rx) = mpsc::channel::<Write>(10_000);
        let stats = Arc::new(RecorderStats::default());
        let task_stats = Arc::clone(&stats);
        tokio::spawn(async move {
            while let Some(write) = rx.recv().await {
                let result = match write {
                    Write::Call(call) => store.insert_call(&call).await,
                    Write::Event(event) => store.append_call_event(&event).await,
                    Write::Agent(row) => store.append_agent_event(&row).await,
                    Write::Flush(done) => {
                        let _ = done.send(());
                        continue;
                    }
                };
                match result {
                    Ok(()) => task_stats.written.fetch_add(1, Ordering::Relaxed),
                    Err(e) => {
                        warn!(error = %e, "a call record could not be written");
                        task_stats.failed.fetch_add(1, Ordering::Relaxed)
                    }
                };
            }
        });
        Recorder { tx, stats }
    }

    pub fn call(&self, call: NewCall) {
        self.send(Write::Call(call));
    }

    pub fn event(&self, event: CallEvent) {
        self.send(Write::Event(event));
    }

    /// An agent's state change, for the event log.
    pub fn agent_event(&self, row: AgentEventRow) {
        self.send(Write::Agent(row));
    }

    /// Waits until everything sent so far is written (shutdown, tests).
    pub async fn flush(&self) {
        let (done, wait) = tokio::sync::oneshot::channel();
        if self.tx.send(Write::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }

    fn send(&self, write: Write) {
        if self.tx.try_send(write).is_err() {
            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}
