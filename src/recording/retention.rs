//! Retention: recordings (and their transcripts) whose call began before the cut-off are
//! deleted, except those held, by a supervisor or because a wrap-up marked the call as a
//! complaint or an escalation and no supervisor has released it. The row stays, marked
//! 'deleted' with the time, so the call record still says it was recorded and when that ended.

use std::path::Path;

use jiff::Timestamp;
use tracing::{info, warn};

use crate::store::Store;

/// How many recordings one run deletes at most (the next run goes on).
const BATCH: i64 = 500;

/// Deletes what is past `cutoff`; returns how many recordings went.
pub async fn sweep(store: &Store, dir: &Path, cutoff: Timestamp, now: Timestamp) -> Result<u64, String> {
    let expired = store
        .expired_recordings(&cutoff.to_string(), BATCH)
        .await
        .map_err(|e| e.to_string())?;
    let mut deleted = 0;
    for (call, path) in expired {
        let file = dir.join(&path);
        match std::fs::remove_file(&file) {
            Ok(()) => {}
            // Already gone (a run that stopped between the file and the row).
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                warn!(call_id = %call, "a recording past retention cannot be deleted: {e}");
                continue;
            }
        }
        store
            .recording_deleted(&call, &now.to_string())
            .await
            .map_err(|e| e.to_string())?;
        deleted += 1;
    }
    if deleted > 0 {
        info!(deleted, "recordings past retention deleted");
    }
    Ok(deleted)
}
