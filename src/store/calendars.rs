//! Calendar revisions: a supervisor's change to a calendar is appended as a new revision; the
//! newest revision of each calendar is the one in force. Nothing is updated in place, so the
//! history of every change (who, when, what) stays.

use jiff::Timestamp;

use super::{Store, StoreError};

/// One saved version of a calendar file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarRevision {
    pub revision: i64,
    pub calendar_id: String,
    pub source: String,
    /// RFC 3339, UTC.
    pub saved_at: String,
    pub saved_by: String,
    pub note: String,
}

type Row = (i64, String, String, String, String, String);

fn from_row((revision, calendar_id, source, saved_at, saved_by, note): Row) -> CalendarRevision {
    CalendarRevision {
        revision,
        calendar_id,
        source,
        saved_at,
        saved_by,
        note,
    }
}

impl Store {
    /// Appends a revision. The caller has validated `source` (see `calendar::parse`): the
    /// database only keeps calendars that load.
    pub async fn save_calendar_revision(
        &self,
        calendar_id: &str,
        source: &str,
        saved_by: &str,
        note: &str,
        saved_at: Timestamp,
    ) -> Result<i64, StoreError> {
        let (revision,): (i64,) = sqlx::query_as(
            "INSERT INTO calendar_revisions (calendar_id, source, saved_at, saved_by, note) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(calendar_id)
        .bind(source)
        .bind(saved_at.to_string())
        .bind(saved_by)
        .bind(note)
        .fetch_one(self.pool())
        .await?;
        Ok(revision)
    }

    /// The revision in force of every calendar that has one, by calendar id.
    pub async fn current_calendar_revisions(&self) -> Result<Vec<CalendarRevision>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, calendar_id, source, saved_at, saved_by, note FROM calendar_revisions r \
             WHERE id = (SELECT MAX(id) FROM calendar_revisions WHERE calendar_id = r.calendar_id) \
             ORDER BY calendar_id",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(from_row).collect())
    }

    /// Every revision of one calendar, newest first.
    pub async fn calendar_history(&self, calendar_id: &str) -> Result<Vec<CalendarRevision>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, calendar_id, source, saved_at, saved_by, note FROM calendar_revisions \
             WHERE calendar_id = $1 ORDER BY id DESC",
        )
        .bind(calendar_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(from_row).collect())
    }
}
