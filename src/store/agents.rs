//! Reading the agents' event log back (the ACD appends it through the journal).

use tracing::warn;

use super::{Store, StoreError};
use crate::journal::{AgentEvent, AgentStateName, NotReadyReason};

impl Store {
    /// Every agent's state changes with `from <= at < to` (RFC 3339 UTC), in the order written.
    pub async fn agent_events_between(&self, from: &str, to: &str) -> Result<Vec<AgentEvent>, StoreError> {
        let rows: Vec<EventColumns> = sqlx::query_as(
            "SELECT agent, at, state, reason, call_id FROM agent_events WHERE at >= $1 AND at < $2 ORDER BY id",
        )
        .bind(from)
        .bind(to)
        .fetch_all(self.pool())
        .await?;
        Ok(decode(rows))
    }

    /// An agent's state changes, oldest first.
    pub async fn agent_events(&self, agent: &str) -> Result<Vec<AgentEvent>, StoreError> {
        let rows: Vec<EventColumns> =
            sqlx::query_as("SELECT agent, at, state, reason, call_id FROM agent_events WHERE agent = $1 ORDER BY id")
                .bind(agent)
                .fetch_all(self.pool())
                .await?;
        Ok(decode(rows))
    }
}

type EventColumns = (String, String, String, String, String);

fn decode(rows: Vec<EventColumns>) -> Vec<AgentEvent> {
    rows.into_iter()
        .filter_map(|(agent, at, state, reason, call)| {
            let Some(state) = AgentStateName::parse(&state) else {
                warn!(%state, "an agent event with a state this version does not know: skipped");
                return None;
            };
            Some(AgentEvent {
                agent,
                at,
                state,
                reason: NotReadyReason::parse(&reason),
                call: (!call.is_empty()).then_some(call),
            })
        })
        .collect()
}
