//! The agents' side of the records: their state changes (the event log the ACD appends), the
//! wrap-up each agent files for a call, and what an agent may see of a caller's earlier calls.

use super::{Store, StoreError};

/// One state change of an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentEventRow {
    pub agent: String,
    /// RFC 3339, UTC.
    pub at: String,
    pub state: String,
    pub reason: String,
    pub call_id: String,
}

/// What the agent filed after a call.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WrapUp {
    pub category: String,
    #[serde(default)]
    pub escalation: bool,
    #[serde(default)]
    pub escalation_note: String,
    #[serde(default)]
    pub complaint: bool,
    #[serde(default)]
    pub notes: String,
}

/// An earlier call of the same caller, as the ringing screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EarlierCall {
    pub arrived_at: String,
    pub answered: bool,
    pub category: Option<String>,
}

/// A call with its steps and wrap-ups, for the supervisor's view of one call.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CallDetail {
    pub id: String,
    pub arrived_at: String,
    pub caller: String,
    pub line: String,
    pub in_hours: bool,
    pub events: Vec<(String, i64, String, String)>,
    pub wrap_ups: Vec<(String, WrapUp)>,
}

impl Store {
    pub async fn append_agent_event(&self, row: &AgentEventRow) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO agent_events (agent, at, state, reason, call_id) VALUES ($1, $2, $3, $4, $5)")
            .bind(&row.agent)
            .bind(&row.at)
            .bind(&row.state)
            .bind(&row.reason)
            .bind(&row.call_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn agent_events(&self, agent: &str) -> Result<Vec<AgentEventRow>, StoreError> {
        let rows: Vec<(String, String, String, String, String)> =
            sqlx::query_as("SELECT agent, at, state, reason, call_id FROM agent_events WHERE agent = $1 ORDER BY id")
                .bind(agent)
                .fetch_all(self.pool())
                .await?;
        Ok(rows
            .into_iter()
            .map(|(agent, at, state, reason, call_id)| AgentEventRow {
                agent,
                at,
                state,
                reason,
                call_id,
            })
            .collect())
    }

    /// Saves the agent's wrap-up of a call; filing again replaces the agent's earlier one.
    pub async fn save_wrap_up(&self, call_id: &str, agent: &str, at: &str, w: &WrapUp) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("DELETE FROM call_wrapups WHERE call_id = $1 AND agent = $2")
            .bind(call_id)
            .bind(agent)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO call_wrapups (call_id, agent, saved_at, category, escalation, escalation_note, complaint, notes) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(call_id)
        .bind(agent)
        .bind(at)
        .bind(&w.category)
        .bind(i64::from(w.escalation))
        .bind(&w.escalation_note)
        .bind(i64::from(w.complaint))
        .bind(&w.notes)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The caller's earlier calls, newest first (at most `limit`), without `except` (the call
    /// ringing now).
    pub async fn earlier_calls(&self, caller: &str, except: &str, limit: i64) -> Result<Vec<EarlierCall>, StoreError> {
        let rows: Vec<(String, String, i64, Option<String>)> = sqlx::query_as(
            "SELECT c.id, c.arrived_at, \
               (SELECT COUNT(*) FROM call_events e WHERE e.call_id = c.id AND e.kind = 'agent_answered'), \
               (SELECT MIN(w.category) FROM call_wrapups w WHERE w.call_id = c.id) \
             FROM calls c WHERE c.caller = $1 AND c.id <> $2 ORDER BY c.arrived_at DESC LIMIT $3",
        )
        .bind(caller)
        .bind(except)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(_, arrived_at, answered, category)| EarlierCall {
                arrived_at,
                answered: answered > 0,
                category,
            })
            .collect())
    }

    pub async fn call_detail(&self, id: &str) -> Result<Option<CallDetail>, StoreError> {
        let call: Option<(String, String, String, String, i64)> =
            sqlx::query_as("SELECT id, arrived_at, caller, line, in_hours FROM calls WHERE id = $1")
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
        let Some((id, arrived_at, caller, line, in_hours)) = call else {
            return Ok(None);
        };
        let events: Vec<(String, i64, String, String)> =
            sqlx::query_as("SELECT at, offset_ms, kind, detail FROM call_events WHERE call_id = $1 ORDER BY id")
                .bind(&id)
                .fetch_all(self.pool())
                .await?;
        let wraps: Vec<(String, String, i64, String, i64, String)> = sqlx::query_as(
            "SELECT agent, category, escalation, escalation_note, complaint, notes FROM call_wrapups WHERE call_id = $1 ORDER BY saved_at",
        )
        .bind(&id)
        .fetch_all(self.pool())
        .await?;
        Ok(Some(CallDetail {
            id,
            arrived_at,
            caller,
            line,
            in_hours: in_hours != 0,
            events,
            wrap_ups: wraps
                .into_iter()
                .map(|(agent, category, escalation, escalation_note, complaint, notes)| {
                    (
                        agent,
                        WrapUp {
                            category,
                            escalation: escalation != 0,
                            escalation_note,
                            complaint: complaint != 0,
                            notes,
                        },
                    )
                })
                .collect(),
        }))
    }
}
