//! Office revisions: a supervisor's change to an office (slot length, capacity) is appended as a
//! new revision; the newest revision of each office is the one in force, over the shipped and
//! folder files. Nothing is updated in place, so every change (who, when, what) stays.

use jiff::Timestamp;

use super::{Store, StoreError};

type Row = (i64, String, String, String, String, String);

fn from_row((revision, office_id, source, saved_at, saved_by, note): Row) -> OfficeRevision {
    OfficeRevision {
        revision,
        office_id,
        source,
        saved_at,
        saved_by,
        note,
    }
}

/// One saved version of an office file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeRevision {
    pub revision: i64,
    pub office_id: String,
    pub source: String,
    /// RFC 3339, UTC.
    pub saved_at: String,
    pub saved_by: String,
    pub note: String,
}

impl Store {
    /// Appends a revision. The caller has validated `source` (`booking::office::parse`).
    pub async fn save_office_revision(
        &self,
        office_id: &str,
        source: &str,
        saved_by: &str,
        note: &str,
        saved_at: Timestamp,
    ) -> Result<i64, StoreError> {
        let (revision,): (i64,) = sqlx::query_as(
            "INSERT INTO office_revisions (office_id, source, saved_at, saved_by, note) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(office_id)
        .bind(source)
        .bind(saved_at.to_string())
        .bind(saved_by)
        .bind(note)
        .fetch_one(self.pool())
        .await?;
        Ok(revision)
    }

    /// The revision in force of every office that has one.
    pub async fn current_office_revisions(&self) -> Result<Vec<OfficeRevision>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT r.id, r.office_id, r.source, r.saved_at, r.saved_by, r.note FROM office_revisions r \
             WHERE r.id = (SELECT MAX(n.id) FROM office_revisions n WHERE n.office_id = r.office_id) \
             ORDER BY r.office_id",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(from_row).collect())
    }

    /// Every revision of one office, newest first.
    pub async fn office_revisions(&self, office_id: &str) -> Result<Vec<OfficeRevision>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, office_id, source, saved_at, saved_by, note FROM office_revisions \
             WHERE office_id = $1 ORDER BY id DESC",
        )
        .bind(office_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(from_row).collect())
    }
}
