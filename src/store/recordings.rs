//! Recordings: their rows (state, length, checksum, holds), their timeline marks, the
//! transcription jobs of their two channels, the masked transcript segments and the search
//! over them (FTS5 trigrams on SQLite, pg_trgm on PostgreSQL), and the retention sweep's SQL.

use sqlx::Row;

use super::{Backend, Store, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordingState {
    Recording,
    Finished,
    /// Closed by a repair after a crash or a write error.
    Interrupted,
    /// Past retention: the file is gone, the row says when.
    Deleted,
}

impl RecordingState {
    pub fn name(self) -> &'static str {
        match self {
            RecordingState::Recording => "recording",
            RecordingState::Finished => "finished",
            RecordingState::Interrupted => "interrupted",
            RecordingState::Deleted => "deleted",
        }
    }
}

/// What a closed recording is.
#[derive(Debug, Clone)]
pub struct FinishedRecording {
    pub state: RecordingState,
    pub lang: String,
    pub duration_ms: i64,
    pub bytes: i64,
    pub sha256: String,
    pub dropped_frames: i64,
    pub finished_at: String,
}

/// The speakers, one per channel: the caller left, the agent right.
pub const CHANNELS: [&str; 2] = ["caller", "agent"];

/// A recording as the review screen shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RecordingRow {
    pub call_id: String,
    pub path: String,
    pub started_at: String,
    pub state: String,
    pub lang: String,
    pub duration_ms: i64,
    pub bytes: i64,
    pub sha256: String,
    pub dropped_frames: i64,
    /// Why it is kept past retention: "supervisor", "complaint", "escalation", or none.
    pub hold_reason: Option<String>,
    pub transcript: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MarkRow {
    pub at_ms: i64,
    pub kind: String,
    pub agent: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SegmentRow {
    pub start_ms: i64,
    pub end_ms: i64,
    pub speaker: String,
    pub text: String,
}

/// A job a worker claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranscriptionJob {
    pub id: i64,
    pub call_id: String,
    pub channel: String,
    pub lang: String,
    pub attempts: i64,
    /// The recording's file, relative to the recordings directory.
    pub path: String,
}

/// What the review list is filtered by; all optional.
#[derive(Debug, Clone, Default)]
pub struct RecordingFilter {
    /// Tokyo dates, inclusive.
    pub from: Option<String>,
    pub to: Option<String>,
    pub agent: Option<String>,
    pub lang: Option<String>,
    pub category: Option<String>,
    pub complaint: bool,
    pub escalation: bool,
    /// Words in the masked transcripts.
    pub text: Option<String>,
    pub limit: i64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct FoundRecording {
    pub call_id: String,
    pub started_at: String,
    pub lang: String,
    pub duration_ms: i64,
    pub state: String,
    pub agents: Vec<String>,
    pub category: String,
    pub complaint: bool,
    pub escalation: bool,
    pub held: bool,
    pub transcript: String,
    pub snippet: String,
}

/// The SQL that says why a recording is held (NULL when it is not).
const HOLD_REASON: &str = "CASE WHEN r.held <> 0 THEN 'supervisor' \
     WHEN r.released_at IS NULL AND EXISTS (SELECT 1 FROM call_wrapups w WHERE w.call_id = r.call_id AND w.complaint <> 0) THEN 'complaint' \
     WHEN r.released_at IS NULL AND EXISTS (SELECT 1 FROM call_wrapups w WHERE w.call_id = r.call_id AND w.escalation <> 0) THEN 'escalation' \
     ELSE NULL END";

/// The SQL for a recording's transcription state over its jobs.
const TRANSCRIPT_STATE: &str = "COALESCE((SELECT CASE \
     WHEN SUM(CASE WHEN j.state = 'failed' THEN 1 ELSE 0 END) > 0 THEN 'failed' \
     WHEN SUM(CASE WHEN j.state = 'running' THEN 1 ELSE 0 END) > 0 THEN 'running' \
     WHEN SUM(CASE WHEN j.state = 'queued' THEN 1 ELSE 0 END) > 0 THEN 'queued' \
     ELSE 'done' END FROM transcription_jobs j WHERE j.call_id = r.call_id), 'none')";

/// `text` for a LIKE pattern that matches it literally.
fn like_pattern(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

impl Store {
    pub async fn recording_started(&self, call: &str, path: &str, started_at: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO recordings (call_id, path, started_at, state) VALUES ($1, $2, $3, 'recording') \
             ON CONFLICT (call_id) DO NOTHING",
        )
        .bind(call)
        .bind(path)
        .bind(started_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// A mark on a recording's timeline (an agent joining or leaving, hold, mute), stored as
    /// it happens.
    pub async fn recording_mark(&self, call: &str, at_ms: i64, kind: &str, agent: &str) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO recording_marks (call_id, at_ms, kind, agent) VALUES ($1, $2, $3, $4)")
            .bind(call)
            .bind(at_ms)
            .bind(kind)
            .bind(agent)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Closes a recording's row (still 'recording') and queues its channels for transcription,
    /// in one transaction; a second call changes nothing (a retry after a lost answer).
    pub async fn recording_finished(&self, call: &str, finished: &FinishedRecording) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let updated = sqlx::query(
            "UPDATE recordings SET state = $2, lang = CASE WHEN $3 = '' THEN lang ELSE $3 END, duration_ms = $4, \
             bytes = $5, sha256 = $6, dropped_frames = $7, finished_at = $8 WHERE call_id = $1 AND state = 'recording'",
        )
        .bind(call)
        .bind(finished.state.name())
        .bind(&finished.lang)
        .bind(finished.duration_ms)
        .bind(finished.bytes)
        .bind(&finished.sha256)
        .bind(finished.dropped_frames)
        .bind(&finished.finished_at)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            // Already closed (a retry after a commit whose answer was lost).
            tx.rollback().await?;
            return Ok(());
        }
        if finished.bytes > 0 {
            for channel in CHANNELS {
                sqlx::query(
                    "INSERT INTO transcription_jobs (call_id, channel, lang, state, queued_at) \
                     SELECT $1, $2, r.lang, 'queued', $3 FROM recordings r WHERE r.call_id = $1 \
                     ON CONFLICT (call_id, channel) DO NOTHING",
                )
                .bind(call)
                .bind(channel)
                .bind(&finished.finished_at)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Recordings still marked as being written (none after a clean stop).
    pub async fn open_recordings(&self) -> Result<Vec<(String, String)>, StoreError> {
        Ok(
            sqlx::query_as("SELECT call_id, path FROM recordings WHERE state = 'recording' ORDER BY started_at")
                .fetch_all(self.pool())
                .await?,
        )
    }

    /// Takes the oldest claimable job: queued, or running under a lapsed lease (its worker
    /// died), tried fewer than `max_attempts` times. Safe with many workers and processes:
    /// PostgreSQL skips rows another transaction holds; SQLite has one writer at a time.
    pub async fn claim_transcription(
        &self,
        worker: &str,
        now: &str,
        lease_until: &str,
        max_attempts: i64,
    ) -> Result<Option<TranscriptionJob>, StoreError> {
        let lock = match self.backend() {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE transcription_jobs SET state = 'running', attempts = attempts + 1, claimed_by = $1, lease_until = $2 \
             WHERE id = (SELECT id FROM transcription_jobs \
                 WHERE (state = 'queued' OR (state = 'running' AND lease_until < $3)) AND attempts < $4 \
                 ORDER BY id LIMIT 1{lock}) \
             AND (state = 'queued' OR (state = 'running' AND lease_until < $3)) \
             RETURNING id, call_id, channel, lang, attempts"
        );
        let claimed: Option<(i64, String, String, String, i64)> = sqlx::query_as(&sql)
            .bind(worker)
            .bind(lease_until)
            .bind(now)
            .bind(max_attempts)
            .fetch_optional(self.pool())
            .await?;
        let Some((id, call_id, channel, lang, attempts)) = claimed else {
            return Ok(None);
        };
        let path: Option<(String,)> = sqlx::query_as("SELECT path FROM recordings WHERE call_id = $1")
            .bind(&call_id)
            .fetch_optional(self.pool())
            .await?;
        Ok(Some(TranscriptionJob {
            id,
            call_id,
            channel,
            lang,
            attempts,
            path: path.map(|(p,)| p).unwrap_or_default(),
        }))
    }

    /// A job's segments (already masked), replacing any an earlier attempt wrote, and the job
    /// done, in one transaction; false when the job was no longer this worker's (its lease
    /// lapsed and another took it).
    pub async fn finish_transcription(
        &self,
        job: &TranscriptionJob,
        worker: &str,
        segments: &[SegmentRow],
        now: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query(
            "UPDATE transcription_jobs SET state = 'done', finished_at = $3, last_error = '' \
             WHERE id = $1 AND claimed_by = $2 AND state = 'running'",
        )
        .bind(job.id)
        .bind(worker)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query("DELETE FROM transcript_segments WHERE call_id = $1 AND speaker = $2")
            .bind(&job.call_id)
            .bind(&job.channel)
            .execute(&mut *tx)
            .await?;
        if self.backend() == Backend::Sqlite {
            // The search index holds one row per channel's text.
            sqlx::query("DELETE FROM transcript_search WHERE call_id = $1 AND text LIKE $2")
                .bind(&job.call_id)
                .bind(format!("[{}]%", job.channel))
                .execute(&mut *tx)
                .await?;
        }
        for segment in segments {
            sqlx::query(
                "INSERT INTO transcript_segments (call_id, speaker, start_ms, end_ms, text) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&job.call_id)
            .bind(&job.channel)
            .bind(segment.start_ms)
            .bind(segment.end_ms)
            .bind(&segment.text)
            .execute(&mut *tx)
            .await?;
        }
        if self.backend() == Backend::Sqlite && !segments.is_empty() {
            let text: Vec<&str> = segments.iter().map(|s| s.text.as_str()).collect();
            sqlx::query("INSERT INTO transcript_search (text, call_id) VALUES ($1, $2)")
                .bind(format!("[{}] {}", job.channel, text.join(" ")))
                .bind(&job.call_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Keeps a running job this worker's a while longer.
    pub async fn renew_transcription_lease(&self, job: i64, worker: &str, lease_until: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE transcription_jobs SET lease_until = $3 WHERE id = $1 AND claimed_by = $2 AND state = 'running'",
        )
        .bind(job)
        .bind(worker)
        .bind(lease_until)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// A failed attempt: queued again while attempts remain, failed for good after.
    pub async fn fail_transcription(
        &self,
        job: &TranscriptionJob,
        worker: &str,
        error: &str,
        max_attempts: i64,
        now: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE transcription_jobs SET state = CASE WHEN attempts >= $3 THEN 'failed' ELSE 'queued' END, \
             last_error = $4, finished_at = CASE WHEN attempts >= $3 THEN $5 ELSE NULL END, lease_until = '' \
             WHERE id = $1 AND claimed_by = $2 AND state = 'running'",
        )
        .bind(job.id)
        .bind(worker)
        .bind(max_attempts)
        .bind(error)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Jobs by state, for `/metrics` and the tests.
    pub async fn transcription_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(
            sqlx::query_as("SELECT state, COUNT(*) FROM transcription_jobs GROUP BY state ORDER BY state")
                .fetch_all(self.pool())
                .await?,
        )
    }

    pub async fn transcription_jobs_of(&self, call: &str) -> Result<Vec<(String, String, i64, String)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT channel, state, attempts, last_error FROM transcription_jobs WHERE call_id = $1 ORDER BY channel",
        )
        .bind(call)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn recording_of(&self, call: &str) -> Result<Option<RecordingRow>, StoreError> {
        let sql = format!(
            "SELECT r.call_id, r.path, r.started_at, r.state, r.lang, r.duration_ms, r.bytes, r.sha256, \
             r.dropped_frames, {HOLD_REASON}, {TRANSCRIPT_STATE} FROM recordings r WHERE r.call_id = $1"
        );
        let row = sqlx::query(&sql).bind(call).fetch_optional(self.pool()).await?;
        row.map(|row| -> Result<RecordingRow, StoreError> {
            Ok(RecordingRow {
                call_id: row.try_get(0)?,
                path: row.try_get(1)?,
                started_at: row.try_get(2)?,
                state: row.try_get(3)?,
                lang: row.try_get(4)?,
                duration_ms: row.try_get(5)?,
                bytes: row.try_get(6)?,
                sha256: row.try_get(7)?,
                dropped_frames: row.try_get(8)?,
                hold_reason: row.try_get(9)?,
                transcript: row.try_get(10)?,
            })
        })
        .transpose()
    }

    pub async fn marks_of(&self, call: &str) -> Result<Vec<MarkRow>, StoreError> {
        let rows: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT at_ms, kind, agent FROM recording_marks WHERE call_id = $1 ORDER BY at_ms, id")
                .bind(call)
                .fetch_all(self.pool())
                .await?;
        Ok(rows
            .into_iter()
            .map(|(at_ms, kind, agent)| MarkRow { at_ms, kind, agent })
            .collect())
    }

    pub async fn segments_of(&self, call: &str) -> Result<Vec<SegmentRow>, StoreError> {
        let rows: Vec<(i64, i64, String, String)> = sqlx::query_as(
            "SELECT start_ms, end_ms, speaker, text FROM transcript_segments WHERE call_id = $1 ORDER BY start_ms, id",
        )
        .bind(call)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(start_ms, end_ms, speaker, text)| SegmentRow {
                start_ms,
                end_ms,
                speaker,
                text,
            })
            .collect())
    }

    /// Recordings matching a filter, newest first.
    pub async fn find_recordings(&self, filter: &RecordingFilter) -> Result<Vec<FoundRecording>, StoreError> {
        let mut conditions = vec!["r.state <> 'deleted'".to_string()];
        let mut binds: Vec<String> = Vec::new();
        let bind = |value: String, binds: &mut Vec<String>| {
            binds.push(value);
            format!("${}", binds.len())
        };
        let day = "COALESCE(c.service_date, substr(r.started_at, 1, 10))";
        if let Some(from) = &filter.from {
            conditions.push(format!("{day} >= {}", bind(from.clone(), &mut binds)));
        }
        if let Some(to) = &filter.to {
            conditions.push(format!("{day} <= {}", bind(to.clone(), &mut binds)));
        }
        if let Some(lang) = &filter.lang {
            conditions.push(format!("r.lang = {}", bind(lang.clone(), &mut binds)));
        }
        if let Some(agent) = &filter.agent {
            let p = bind(agent.clone(), &mut binds);
            conditions.push(format!(
                "(EXISTS (SELECT 1 FROM recording_marks m WHERE m.call_id = r.call_id AND m.agent = {p}) \
                 OR EXISTS (SELECT 1 FROM call_wrapups w WHERE w.call_id = r.call_id AND w.agent = {p}))"
            ));
        }
        if let Some(category) = &filter.category {
            let p = bind(category.clone(), &mut binds);
            conditions.push(format!(
                "EXISTS (SELECT 1 FROM call_wrapups w WHERE w.call_id = r.call_id AND w.category = {p})"
            ));
        }
        if filter.complaint {
            conditions
                .push("EXISTS (SELECT 1 FROM call_wrapups w WHERE w.call_id = r.call_id AND w.complaint <> 0)".into());
        }
        if filter.escalation {
            conditions
                .push("EXISTS (SELECT 1 FROM call_wrapups w WHERE w.call_id = r.call_id AND w.escalation <> 0)".into());
        }
        let mut snippet = "''".to_string();
        if let Some(text) = filter.text.as_ref().filter(|t| !t.trim().is_empty()) {
            let p = bind(like_pattern(text.trim()), &mut binds);
            // Trigram indexes serve LIKE for three characters or more; shorter words scan.
            let matching = match self.backend() {
                Backend::Sqlite => {
                    format!("SELECT s.call_id FROM transcript_search s WHERE s.text LIKE {p} ESCAPE '\\'")
                }
                Backend::Postgres => {
                    format!("SELECT s.call_id FROM transcript_segments s WHERE s.text LIKE {p} ESCAPE '\\'")
                }
            };
            conditions.push(format!("r.call_id IN ({matching})"));
            snippet = format!(
                "COALESCE((SELECT s.text FROM transcript_segments s WHERE s.call_id = r.call_id AND s.text LIKE {p} ESCAPE '\\' ORDER BY s.start_ms LIMIT 1), '')"
            );
        }
        let limit = bind(filter.limit.clamp(1, 1000).to_string(), &mut binds);
        let sql = format!(
            "SELECT r.call_id, r.started_at, r.lang, r.duration_ms, r.state, \
             COALESCE((SELECT MAX(w.category) FROM call_wrapups w WHERE w.call_id = r.call_id), ''), \
             COALESCE((SELECT MAX(w.complaint) FROM call_wrapups w WHERE w.call_id = r.call_id), 0), \
             COALESCE((SELECT MAX(w.escalation) FROM call_wrapups w WHERE w.call_id = r.call_id), 0), \
             {HOLD_REASON}, {TRANSCRIPT_STATE}, {snippet} \
             FROM recordings r LEFT JOIN calls c ON c.id = r.call_id \
             WHERE {} ORDER BY r.started_at DESC LIMIT CAST({limit} AS BIGINT)",
            conditions.join(" AND ")
        );
        let mut query = sqlx::query(&sql);
        for value in &binds {
            query = query.bind(value);
        }
        let rows = query.fetch_all(self.pool()).await?;
        let mut found = Vec::with_capacity(rows.len());
        for row in rows {
            let call_id: String = row.try_get(0)?;
            let agents: Vec<(String,)> = sqlx::query_as(
                "SELECT agent FROM recording_marks WHERE call_id = $1 AND kind = 'agent' GROUP BY agent ORDER BY MIN(at_ms)",
            )
            .bind(&call_id)
            .fetch_all(self.pool())
            .await?;
            found.push(FoundRecording {
                call_id,
                started_at: row.try_get(1)?,
                lang: row.try_get(2)?,
                duration_ms: row.try_get(3)?,
                state: row.try_get(4)?,
                category: row.try_get(5)?,
                complaint: row.try_get::<i64, _>(6)? != 0,
                escalation: row.try_get::<i64, _>(7)? != 0,
                held: row.try_get::<Option<String>, _>(8)?.is_some(),
                transcript: row.try_get(9)?,
                snippet: row.try_get(10)?,
                agents: agents.into_iter().map(|(a,)| a).collect(),
            });
        }
        Ok(found)
    }

    /// A supervisor holds a recording past retention, or releases it (complaint and
    /// escalation holds included); false when there is no such recording.
    pub async fn set_recording_hold(
        &self,
        call: &str,
        hold: bool,
        by: &str,
        reason: &str,
        now: &str,
    ) -> Result<bool, StoreError> {
        let done = if hold {
            sqlx::query("UPDATE recordings SET held = 1, held_by = $2, released_at = NULL WHERE call_id = $1")
                .bind(call)
                .bind(by)
                .execute(self.pool())
                .await?
        } else {
            sqlx::query(
                "UPDATE recordings SET held = 0, released_at = $3, released_by = $2, release_reason = $4 WHERE call_id = $1",
            )
            .bind(call)
            .bind(by)
            .bind(now)
            .bind(reason)
            .execute(self.pool())
            .await?
        };
        Ok(done.rows_affected() == 1)
    }

    /// Recordings started before `before` and not held: (call, path), oldest first.
    pub async fn expired_recordings(&self, before: &str, limit: i64) -> Result<Vec<(String, String)>, StoreError> {
        let sql = format!(
            "SELECT r.call_id, r.path FROM recordings r WHERE r.state IN ('finished', 'interrupted') \
             AND r.started_at < $1 AND ({HOLD_REASON}) IS NULL ORDER BY r.started_at LIMIT $2"
        );
        Ok(sqlx::query_as(&sql)
            .bind(before)
            .bind(limit)
            .fetch_all(self.pool())
            .await?)
    }

    /// After its file is gone: the transcript and its index entries deleted, the row kept as
    /// 'deleted' (the call record still says it was recorded, and when it was deleted).
    pub async fn recording_deleted(&self, call: &str, now: &str) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("UPDATE recordings SET state = 'deleted', deleted_at = $2 WHERE call_id = $1")
            .bind(call)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM transcript_segments WHERE call_id = $1")
            .bind(call)
            .execute(&mut *tx)
            .await?;
        if self.backend() == Backend::Sqlite {
            sqlx::query("DELETE FROM transcript_search WHERE call_id = $1")
                .bind(call)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("DELETE FROM transcription_jobs WHERE call_id = $1")
            .bind(call)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_words_are_matched_literally() {
        assert_eq!(like_pattern("100%_off\\"), "%100\\%\\_off\\\\%");
        assert_eq!(like_pattern("住所"), "%住所%");
    }
}
