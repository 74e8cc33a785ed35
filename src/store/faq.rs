//! The FAQ book's revisions, and how often agents used each entry.

use super::{Store, StoreError};

/// A revision as the editor and the reviewer see it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FaqRevisionRow {
    pub id: i64,
    pub entry_id: String,
    pub revision: i64,
    pub source: String,
    pub status: String,
    pub written_by: String,
    pub written_at: String,
    pub reviewed_by: String,
    pub reviewed_at: String,
    pub review_note: String,
}

type Columns = (i64, String, i64, String, String, String, String, String, String, String);

const COLUMNS: &str =
    "id, entry_id, revision, source, status, written_by, written_at, reviewed_by, reviewed_at, review_note";

fn row(c: Columns) -> FaqRevisionRow {
    FaqRevisionRow {
        id: c.0,
        entry_id: c.1,
        revision: c.2,
        source: c.3,
        status: c.4,
        written_by: c.5,
        written_at: c.6,
        reviewed_by: c.7,
        reviewed_at: c.8,
        review_note: c.9,
    }
}

impl Store {
    /// Writes a pending revision; its number must be new for the entry (`None`: someone wrote
    /// that number first).
    pub async fn propose_faq_revision(
        &self,
        entry_id: &str,
        revision: i64,
        source: &str,
        written_by: &str,
        at: &str,
    ) -> Result<Option<FaqRevisionRow>, StoreError> {
        let written: Option<Columns> = sqlx::query_as(&format!(
            "INSERT INTO faq_revisions (entry_id, revision, source, status, written_by, written_at) \
             VALUES ($1, $2, $3, 'pending', $4, $5) ON CONFLICT (entry_id, revision) DO NOTHING RETURNING {COLUMNS}"
        ))
        .bind(entry_id)
        .bind(revision)
        .bind(source)
        .bind(written_by)
        .bind(at)
        .fetch_optional(self.pool())
        .await?;
        Ok(written.map(row))
    }

    /// Approves or rejects a pending revision. `None` when it is not pending (any more).
    pub async fn review_faq_revision(
        &self,
        id: i64,
        approve: bool,
        reviewed_by: &str,
        note: &str,
        at: &str,
    ) -> Result<Option<FaqRevisionRow>, StoreError> {
        let reviewed: Option<Columns> = sqlx::query_as(&format!(
            "UPDATE faq_revisions SET status = $1, reviewed_by = $2, reviewed_at = $3, review_note = $4 \
             WHERE id = $5 AND status = 'pending' RETURNING {COLUMNS}"
        ))
        .bind(if approve { "approved" } else { "rejected" })
        .bind(reviewed_by)
        .bind(at)
        .bind(note)
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        Ok(reviewed.map(row))
    }

    /// Revisions with `status` ('' for all), oldest first; of one entry when `entry_id` is given.
    pub async fn faq_revisions(&self, status: &str, entry_id: &str) -> Result<Vec<FaqRevisionRow>, StoreError> {
        let rows: Vec<Columns> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM faq_revisions WHERE ($1 = '' OR status = $1) AND ($2 = '' OR entry_id = $2) \
             ORDER BY id"
        ))
        .bind(status)
        .bind(entry_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(row).collect())
    }

    /// The highest revision number written for an entry (any status), 0 for none.
    pub async fn last_faq_revision(&self, entry_id: &str) -> Result<i64, StoreError> {
        let (last,): (Option<i64>,) = sqlx::query_as("SELECT MAX(revision) FROM faq_revisions WHERE entry_id = $1")
            .bind(entry_id)
            .fetch_one(self.pool())
            .await?;
        Ok(last.unwrap_or(0))
    }

    /// How many calls used each FAQ entry among the wrap-ups of calls that arrived on the
    /// Tokyo dates `from..=to`: (entry id, calls).
    pub async fn faq_use(&self, from: &str, to: &str) -> Result<Vec<(String, i64)>, StoreError> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT w.call_id, w.faq_ids FROM call_wrapups w JOIN calls c ON c.id = w.call_id \
             WHERE c.service_date >= $1 AND c.service_date <= $2 AND w.faq_ids <> ''",
        )
        .bind(from)
        .bind(to)
        .fetch_all(self.pool())
        .await?;
        let mut used: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> = Default::default();
        for (call, ids) in rows {
            for id in ids.split_whitespace() {
                used.entry(id.to_string()).or_default().insert(call.clone());
            }
        }
        Ok(used.into_iter().map(|(id, calls)| (id, calls.len() as i64)).collect())
    }

    /// Entries whose revisions were approved at instants `from..to` (UTC): (entry, revision).
    pub async fn faq_approved_between(&self, from: &str, to: &str) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT entry_id, revision FROM faq_revisions WHERE status = 'approved' AND reviewed_at >= $1 \
             AND reviewed_at < $2 ORDER BY entry_id, revision",
        )
        .bind(from)
        .bind(to)
        .fetch_all(self.pool())
        .await?)
    }
}
