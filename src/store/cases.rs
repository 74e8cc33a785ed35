//! Cases and their events. A case is opened in the transaction of the wrap-up that flagged it
//! (so a filed escalation is never without its case); a step changes the status only from the
//! status the person saw (two supervisors at once: one wins, the other is told).

use sqlx::{Any, Transaction};

use super::{Store, StoreError};
use crate::journal::FiledWrapUp;

/// A case as lists and the detail show it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CaseRow {
    pub id: i64,
    pub call_id: String,
    pub kind: String,
    pub status: String,
    pub category: String,
    pub opened_at: String,
    pub opened_by: String,
    pub assignee: String,
    pub outcome: String,
    pub faq_id: String,
    pub updated_at: String,
    /// Whether it was ever sent to the city (city staff see only those).
    pub sent_to_city: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CaseEventRow {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub detail: String,
}

/// Which cases a list holds.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub status: Option<String>,
    /// Only those assigned to this agent for a call-back.
    pub assignee: Option<String>,
    /// Only those ever sent to the city.
    pub sent_to_city: bool,
}

/// A step to write: the status it was taken from and the one it leads to.
#[derive(Debug, Clone)]
pub struct CaseStepRow<'a> {
    pub id: i64,
    pub from: &'a str,
    pub to: &'a str,
    pub action: &'a str,
    pub actor: &'a str,
    pub detail: &'a str,
    pub at: &'a str,
    pub assignee: Option<&'a str>,
    pub outcome: Option<&'a str>,
    pub faq_id: Option<&'a str>,
}

const COLUMNS: &str = "c.id, c.call_id, c.kind, c.status, c.category, c.opened_at, c.opened_by, c.assignee, \
     c.outcome, c.faq_id, c.updated_at, \
     (SELECT COUNT(*) FROM case_events e WHERE e.case_id = c.id AND e.action = 'send_to_city')";

type Columns = (
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
);

fn case_row(c: Columns) -> CaseRow {
    CaseRow {
        id: c.0,
        call_id: c.1,
        kind: c.2,
        status: c.3,
        category: c.4,
        opened_at: c.5,
        opened_by: c.6,
        assignee: c.7,
        outcome: c.8,
        faq_id: c.9,
        updated_at: c.10,
        sent_to_city: c.11 > 0,
    }
}

/// Opens the cases a wrap-up flags (escalation, complaint), or, when the call has them
/// already (the wrap-up filed again), adds the new note to them as an event.
pub(super) async fn open_from_wrap_up(tx: &mut Transaction<'_, Any>, filed: &FiledWrapUp) -> Result<(), sqlx::Error> {
    let form = &filed.form;
    for (flagged, kind) in [(form.escalation, "escalation"), (form.complaint, "complaint")] {
        if !flagged {
            continue;
        }
        let opened: Option<(i64,)> = sqlx::query_as(
            "INSERT INTO cases (call_id, kind, status, category, opened_at, opened_by, updated_at) \
             VALUES ($1, $2, 'open', $3, $4, $5, $4) ON CONFLICT (call_id, kind) DO NOTHING RETURNING id",
        )
        .bind(filed.call.clone())
        .bind(kind)
        .bind(form.category.clone())
        .bind(filed.saved_at.clone())
        .bind(filed.agent.clone())
        .fetch_optional(&mut **tx)
        .await?;
        let (id, action) = match opened {
            Some((id,)) => (id, "opened"),
            None => {
                let (id,): (i64,) = sqlx::query_as("SELECT id FROM cases WHERE call_id = $1 AND kind = $2")
                    .bind(filed.call.clone())
                    .bind(kind)
                    .fetch_one(&mut **tx)
                    .await?;
                if form.escalation_note.trim().is_empty() {
                    continue;
                }
                (id, "wrap_up_again")
            }
        };
        sqlx::query("INSERT INTO case_events (case_id, at, actor, action, detail) VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(filed.saved_at.clone())
            .bind(filed.agent.clone())
            .bind(action)
            .bind(form.escalation_note.clone())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

impl Store {
    /// Cases, newest first (at most 500).
    pub async fn cases(&self, filter: &CaseFilter) -> Result<Vec<CaseRow>, StoreError> {
        let rows: Vec<Columns> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM cases c WHERE ($1 = '' OR c.status = $1) AND ($2 = '' OR c.assignee = $2) \
             AND ($3 = 0 OR EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.action = 'send_to_city')) \
             ORDER BY c.id DESC LIMIT 500"
        ))
        .bind(filter.status.clone().unwrap_or_default())
        .bind(filter.assignee.clone().unwrap_or_default())
        .bind(i64::from(filter.sent_to_city))
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(case_row).collect())
    }

    /// One case with its events, oldest first.
    pub async fn case(&self, id: i64) -> Result<Option<(CaseRow, Vec<CaseEventRow>)>, StoreError> {
        let row: Option<Columns> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM cases c WHERE c.id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        let Some(row) = row else { return Ok(None) };
        let events: Vec<(String, String, String, String)> =
            sqlx::query_as("SELECT at, actor, action, detail FROM case_events WHERE case_id = $1 ORDER BY id")
                .bind(id)
                .fetch_all(self.pool())
                .await?;
        Ok(Some((
            case_row(row),
            events
                .into_iter()
                .map(|(at, actor, action, detail)| CaseEventRow {
                    at,
                    actor,
                    action,
                    detail,
                })
                .collect(),
        )))
    }

    /// Takes a step: the status moves from `from` to `to` (with the assignee, outcome or FAQ
    /// entry it sets) and the event is written, together. False when the case is no longer at
    /// `from` (someone else took a step first): nothing is written.
    pub async fn take_case_step(&self, step: &CaseStepRow<'_>) -> Result<bool, StoreError> {
        let mut tx = self.pool().begin().await?;
        // Only the fields the step sets are written.
        let mut sets = vec!["status = $1".to_string(), "updated_at = $2".to_string()];
        let mut values = Vec::new();
        for (column, value) in [
            ("assignee", step.assignee),
            ("outcome", step.outcome),
            ("faq_id", step.faq_id),
        ] {
            if let Some(value) = value {
                values.push(value);
                sets.push(format!("{column} = ${}", 2 + values.len()));
            }
        }
        let sql = format!(
            "UPDATE cases SET {} WHERE id = ${} AND status = ${}",
            sets.join(", "),
            3 + values.len(),
            4 + values.len()
        );
        let mut query = sqlx::query(&sql).bind(step.to).bind(step.at);
        for value in values {
            query = query.bind(value);
        }
        let changed = query
            .bind(step.id)
            .bind(step.from)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if changed != 1 {
            return Ok(false);
        }
        sqlx::query("INSERT INTO case_events (case_id, at, actor, action, detail) VALUES ($1, $2, $3, $4, $5)")
            .bind(step.id)
            .bind(step.at)
            .bind(step.actor)
            .bind(step.action)
            .bind(step.detail)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Cases opened on the Tokyo dates `from..=to` (their `opened_at` is UTC: the caller gives
    /// the instants), by kind, status and outcome: (kind, status, outcome, cases).
    pub async fn case_tally(&self, from: &str, to: &str) -> Result<Vec<(String, String, String, i64)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT kind, status, outcome, COUNT(*) FROM cases WHERE opened_at >= $1 AND opened_at < $2 \
             GROUP BY kind, status, outcome ORDER BY kind, status, outcome",
        )
        .bind(from)
        .bind(to)
        .fetch_all(self.pool())
        .await?)
    }
}
