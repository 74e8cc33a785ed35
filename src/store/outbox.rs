//! The e-mail outbox (BK-NOTIFY) and the log of scheduled jobs' runs. A notice is a row before
//! it is a message: written once (its `once` key refuses a second), sent by the postman, tried
//! again with growing pauses while the server refuses, its address emptied once it is sent or
//! given up.

use jiff::Timestamp;

use super::{Store, StoreError};
use crate::pii::EmailAddress;

/// A notice to write.
#[derive(Debug, Clone)]
pub struct NewMail {
    /// What makes this notice one of a kind (`booked:12345678`).
    pub once: String,
    pub kind: String,
    pub booking_code: String,
    pub from: String,
    pub to: EmailAddress,
    pub subject: String,
    pub body: String,
}

/// A notice waiting to be sent.
#[derive(Debug, Clone)]
pub struct QueuedMail {
    pub id: i64,
    pub kind: String,
    pub from: String,
    pub to: EmailAddress,
    pub subject: String,
    pub body: String,
    pub attempts: i64,
}

/// A job's run, as logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRun {
    pub job: String,
    pub started_at: String,
    pub finished_at: String,
    pub rows: i64,
    pub outcome: String,
}

impl Store {
    /// Writes a notice unless one with the same `once` exists; whether it was written.
    pub async fn enqueue_mail(&self, mail: &NewMail, at: Timestamp) -> Result<bool, StoreError> {
        let stamp = at.to_string();
        let done = sqlx::query(
            "INSERT INTO mail_outbox (once, kind, booking_code, mail_from, mail_to, subject, body, created_at, due_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) ON CONFLICT (once) DO NOTHING",
        )
        .bind(&mail.once)
        .bind(&mail.kind)
        .bind(&mail.booking_code)
        .bind(&mail.from)
        .bind(mail.to.expose())
        .bind(&mail.subject)
        .bind(&mail.body)
        .bind(&stamp)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Notices due at `at`, oldest first, at most `limit`, tried fewer than `max_attempts` times.
    pub async fn due_mail(&self, at: Timestamp, max_attempts: i64, limit: i64) -> Result<Vec<QueuedMail>, StoreError> {
        let rows: Vec<(i64, String, String, String, String, String, i64)> = sqlx::query_as(
            "SELECT id, kind, mail_from, mail_to, subject, body, attempts FROM mail_outbox \
             WHERE sent_at IS NULL AND attempts < $1 AND due_at <= $2 AND mail_to <> '' ORDER BY id LIMIT $3",
        )
        .bind(max_attempts)
        .bind(at.to_string())
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, kind, from, to, subject, body, attempts)| QueuedMail {
                id,
                kind,
                from,
                to: EmailAddress::new(to),
                subject,
                body,
                attempts,
            })
            .collect())
    }

    /// A notice the server took: its address goes.
    pub async fn mail_sent(&self, id: i64, at: Timestamp) -> Result<(), StoreError> {
        sqlx::query("UPDATE mail_outbox SET sent_at = $1, mail_to = '', attempts = attempts + 1 WHERE id = $2")
            .bind(at.to_string())
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// A notice the server refused: tried again at `retry_at`, or given up (its address goes).
    pub async fn mail_failed(&self, id: i64, error: &str, retry_at: Option<Timestamp>) -> Result<(), StoreError> {
        match retry_at {
            Some(at) => {
                sqlx::query(
                    "UPDATE mail_outbox SET attempts = attempts + 1, last_error = $1, due_at = $2 WHERE id = $3",
                )
                .bind(error)
                .bind(at.to_string())
                .bind(id)
                .execute(self.pool())
                .await?;
            }
            None => {
                sqlx::query(
                    "UPDATE mail_outbox SET attempts = attempts + 1, last_error = $1, mail_to = '' WHERE id = $2",
                )
                .bind(format!("given up: {error}"))
                .bind(id)
                .execute(self.pool())
                .await?;
            }
        }
        Ok(())
    }

    /// How many notices are sent, waiting, and given up.
    pub async fn mail_counts(&self) -> Result<(i64, i64, i64), StoreError> {
        let (sent, waiting, given_up): (i64, i64, i64) = sqlx::query_as(
            "SELECT \
               COALESCE(SUM(CASE WHEN sent_at IS NOT NULL THEN 1 ELSE 0 END), 0), \
               COALESCE(SUM(CASE WHEN sent_at IS NULL AND mail_to <> '' THEN 1 ELSE 0 END), 0), \
               COALESCE(SUM(CASE WHEN sent_at IS NULL AND mail_to = '' THEN 1 ELSE 0 END), 0) \
             FROM mail_outbox",
        )
        .fetch_one(self.pool())
        .await?;
        Ok((sent, waiting, given_up))
    }

    /// Logs a job's run.
    pub async fn log_job_run(&self, run: &JobRun) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO job_runs (job, started_at, finished_at, rows_affected, outcome) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&run.job)
        .bind(&run.started_at)
        .bind(&run.finished_at)
        .bind(run.rows)
        .bind(&run.outcome)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// A job's runs, newest first (at most `limit`).
    pub async fn job_runs(&self, job: &str, limit: i64) -> Result<Vec<JobRun>, StoreError> {
        let rows: Vec<(String, String, String, i64, String)> = sqlx::query_as(
            "SELECT job, started_at, finished_at, rows_affected, outcome FROM job_runs WHERE job = $1 \
             ORDER BY id DESC LIMIT $2",
        )
        .bind(job)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(job, started_at, finished_at, rows, outcome)| JobRun {
                job,
                started_at,
                finished_at,
                rows,
                outcome,
            })
            .collect())
    }

    /// Standing bookings with an e-mail address whose slot starts in `[from, to)`.
    pub async fn bookings_with_email_between(
        &self,
        from: &str,
        to: &str,
    ) -> Result<Vec<super::bookings::BookingRow>, StoreError> {
        Ok(self
            .bookings_between(from, to, None)
            .await?
            .into_iter()
            .filter(|b| b.is_booked() && b.email.is_some())
            .collect())
    }

    /// Forgets the e-mail addresses of bookings whose slot started before `before` (a slot
    /// key): they served notices, and the appointment is past. Returns how many.
    pub async fn erase_past_emails(&self, before: &str) -> Result<u64, StoreError> {
        let done = sqlx::query("UPDATE bookings SET email = NULL WHERE email IS NOT NULL AND slot_start < $1")
            .bind(before)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }

    /// Deletes booking events older than `before` (an instant). Returns how many.
    pub async fn purge_booking_events(&self, before: Timestamp) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM booking_events WHERE at < $1")
            .bind(before.to_string())
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }
}
