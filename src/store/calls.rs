//! Call detail records: the call row written at the first INVITE, and the append-only steps.

use super::{Store, StoreError};

/// A call as it arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCall {
    pub id: String,
    pub sip_call_id: String,
    /// RFC 3339, UTC.
    pub arrived_at: String,
    /// The Tokyo date the call belongs to (YYYY-MM-DD).
    pub service_date: String,
    /// Whether the center was open when the call arrived.
    pub in_hours: bool,
    /// The caller's number: personal data, kept for call-backs and the caller's history.
    pub caller: String,
    pub dialed: String,
    /// `toll-free`, `fallback` or `other` (CC-LINE).
    pub line: String,
    pub trunk_peer: String,
    pub transport: String,
}

/// One step of a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallEvent {
    pub call_id: String,
    /// RFC 3339, UTC.
    pub at: String,
    /// Milliseconds since the call arrived.
    pub offset_ms: i64,
    pub kind: String,
    pub detail: String,
}

/// A call with its steps, as reports read them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    pub id: String,
    pub arrived_at: String,
    pub in_hours: bool,
    pub line: String,
    pub events: Vec<CallEvent>,
}

impl Store {
    pub async fn insert_call(&self, call: &NewCall) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO calls (id, sip_call_id, arrived_at, service_date, in_hours, caller, dialed, line, trunk_peer, transport) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&call.id)
        .bind(&call.sip_call_id)
        .bind(&call.arrived_at)
        .bind(&call.service_date)
        .bind(i64::from(call.in_hours))
        .bind(&call.caller)
        .bind(&call.dialed)
        .bind(&call.line)
        .bind(&call.trunk_peer)
        .bind(&call.transport)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn append_call_event(&self, event: &CallEvent) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO call_events (call_id, at, offset_ms, kind, detail) VALUES ($1, $2, $3, $4, $5)")
            .bind(&event.call_id)
            .bind(&event.at)
            .bind(event.offset_ms)
            .bind(&event.kind)
            .bind(&event.detail)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The calls of one Tokyo date with their steps, in arrival order.
    pub async fn calls_of_day(&self, service_date: &str) -> Result<Vec<CallRecord>, StoreError> {
        let calls: Vec<(String, String, i64, String)> = sqlx::query_as(
            "SELECT id, arrived_at, in_hours, line FROM calls WHERE service_date = $1 ORDER BY arrived_at, id",
        )
        .bind(service_date)
        .fetch_all(self.pool())
        .await?;
        let events: Vec<(String, String, i64, String, String)> = sqlx::query_as(
            "SELECT e.call_id, e.at, e.offset_ms, e.kind, e.detail FROM call_events e JOIN calls c ON c.id = e.call_id \
             WHERE c.service_date = $1 ORDER BY e.id",
        )
        .bind(service_date)
        .fetch_all(self.pool())
        .await?;
        let mut records: Vec<CallRecord> = calls
            .into_iter()
            .map(|(id, arrived_at, in_hours, line)| CallRecord {
                id,
                arrived_at,
                in_hours: in_hours != 0,
                line,
                events: Vec::new(),
            })
            .collect();
        let index: std::collections::HashMap<String, usize> =
            records.iter().enumerate().map(|(i, r)| (r.id.clone(), i)).collect();
        for (call_id, at, offset_ms, kind, detail) in events {
            if let Some(&i) = index.get(&call_id) {
                records[i].events.push(CallEvent {
                    call_id,
                    at,
                    offset_ms,
                    kind,
                    detail,
                });
            }
        }
        Ok(records)
    }
}
