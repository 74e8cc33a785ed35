//! Writing the journal: many rows per transaction, and many rows per statement. One commit per
//! row (what the first writer did) is what made SQLite fall behind a busy center: each commit
//! waits for the disk, while a batch of a few thousand rows costs about one.
//!
//! Within a batch, calls go in before steps and wrap-ups (which refer to them), so that a call
//! and its first steps may share a batch.

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, Transaction};

use super::{Store, StoreError};
use crate::journal::{AgentEvent, FiledWrapUp, NewCall, StepRow};

/// Rows per INSERT statement: well within the bind limits of SQLite (32766) and PostgreSQL
/// (65535) at 10 columns, and few distinct statement sizes for the statement cache.
const ROWS_PER_STATEMENT: usize = 64;

/// What one transaction writes.
#[derive(Debug, Default)]
pub struct Batch<'a> {
    pub calls: Vec<&'a NewCall>,
    pub steps: Vec<&'a StepRow>,
    pub agent_events: Vec<&'a AgentEvent>,
    pub wrap_ups: Vec<&'a FiledWrapUp>,
}

impl Batch<'_> {
    pub fn rows(&self) -> usize {
        self.calls.len() + self.steps.len() + self.agent_events.len() + self.wrap_ups.len()
    }
}

/// `INSERT INTO table (columns) VALUES ($1, …), ($n, …)` for `rows` rows.
fn insert_sql(table: &str, columns: &[&str], rows: usize, tail: &str) -> String {
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    let mut n = 0;
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 0..columns.len() {
            if column > 0 {
                sql.push_str(", ");
            }
            n += 1;
            sql.push_str(&format!("${n}"));
        }
        sql.push(')');
    }
    sql.push_str(tail);
    sql
}

const CALL_COLUMNS: [&str; 10] = [
    "id",
    "sip_call_id",
    "arrived_at",
    "service_date",
    "in_hours",
    "caller",
    "dialed",
    "line",
    "trunk_peer",
    "transport",
];
const STEP_COLUMNS: [&str; 5] = ["call_id", "at", "offset_ms", "kind", "detail"];
const AGENT_COLUMNS: [&str; 5] = ["agent", "at", "state", "reason", "call_id"];
const WRAP_UP_COLUMNS: [&str; 9] = [
    "call_id",
    "agent",
    "saved_at",
    "category",
    "escalation",
    "escalation_note",
    "complaint",
    "notes",
    "faq_ids",
];
/// Filing again replaces the agent's own wrap-up of that call.
const WRAP_UP_UPSERT: &str = " ON CONFLICT (call_id, agent) DO UPDATE SET saved_at = excluded.saved_at, \
    category = excluded.category, escalation = excluded.escalation, escalation_note = excluded.escalation_note, \
    complaint = excluded.complaint, notes = excluded.notes, faq_ids = excluded.faq_ids";

// The binders bind owned copies: a statement's SQL is built per chunk and lives shorter than
// the rows, and the copies cost little next to the commit.
type AnyQuery<'q> = Query<'q, Any, AnyArguments<'q>>;

fn bind_call<'q>(query: AnyQuery<'q>, call: &NewCall) -> AnyQuery<'q> {
    query
        .bind(call.id.clone())
        .bind(call.sip_call_id.clone())
        .bind(call.arrived_at.clone())
        .bind(call.service_date.clone())
        .bind(i64::from(call.in_hours))
        .bind(call.caller.expose().clone())
        .bind(call.dialed.expose().clone())
        .bind(call.line.as_str())
        .bind(call.trunk_peer.clone())
        .bind(call.transport.clone())
}

fn bind_step<'q>(query: AnyQuery<'q>, row: &StepRow) -> AnyQuery<'q> {
    let (kind, detail) = row.step.step.encode();
    query
        .bind(row.call_id.clone())
        .bind(row.step.at.clone())
        .bind(row.step.offset_ms)
        .bind(kind.to_string())
        .bind(detail)
}

fn bind_agent_event<'q>(query: AnyQuery<'q>, event: &AgentEvent) -> AnyQuery<'q> {
    query
        .bind(event.agent.clone())
        .bind(event.at.clone())
        .bind(event.state.as_str())
        .bind(event.reason.map_or("", |r| r.as_str()))
        .bind(event.call.clone().unwrap_or_default())
}

fn bind_wrap_up<'q>(query: AnyQuery<'q>, filed: &FiledWrapUp) -> AnyQuery<'q> {
    let form = &filed.form;
    query
        .bind(filed.call.clone())
        .bind(filed.agent.clone())
        .bind(filed.saved_at.clone())
        .bind(form.category.clone())
        .bind(i64::from(form.escalation))
        .bind(form.escalation_note.clone())
        .bind(i64::from(form.complaint))
        .bind(form.notes.clone())
        .bind(form.faq.join(" "))
}

/// Inserts `rows` in statements of [`ROWS_PER_STATEMENT`] rows.
async fn insert_all<T>(
    tx: &mut Transaction<'_, Any>,
    table: &str,
    columns: &[&str],
    tail: &str,
    rows: &[&T],
    bind: for<'q> fn(AnyQuery<'q>, &T) -> AnyQuery<'q>,
) -> Result<(), sqlx::Error> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let sql = insert_sql(table, columns, chunk.len(), tail);
        let mut query = sqlx::query(&sql);
        for row in chunk {
            query = bind(query, row);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

impl Store {
    /// Writes a batch in one transaction: all of it, or (on an error) none of it.
    pub async fn write_batch(&self, batch: &Batch<'_>) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        insert_all(&mut tx, "calls", &CALL_COLUMNS, "", &batch.calls, bind_call).await?;
        insert_all(&mut tx, "call_events", &STEP_COLUMNS, "", &batch.steps, bind_step).await?;
        insert_all(
            &mut tx,
            "agent_events",
            &AGENT_COLUMNS,
            "",
            &batch.agent_events,
            bind_agent_event,
        )
        .await?;
        // One statement per wrap-up: two filings of the same call by the same agent in one
        // batch must not meet in one upsert (PostgreSQL refuses that).
        for filed in &batch.wrap_ups {
            let sql = insert_sql("call_wrapups", &WRAP_UP_COLUMNS, 1, WRAP_UP_UPSERT);
            bind_wrap_up(sqlx::query(&sql), filed).execute(&mut *tx).await?;
            super::cases::open_from_wrap_up(&mut tx, filed).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::insert_sql;

    #[test]
    fn placeholders_number_every_column_of_every_row() {
        assert_eq!(
            insert_sql("t", &["a", "b"], 2, " ON CONFLICT DO NOTHING"),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4) ON CONFLICT DO NOTHING"
        );
    }
}
