//! Reading call records back: a day's calls with their steps (for the reports and the floor),
//! one call with its wrap-ups (for supervisors), and a caller's earlier calls (for the agent
//! whose phone rings). Rows are decoded by [`Step::decode`] only.

use std::collections::HashMap;

use super::{Store, StoreError};
use crate::journal::{CallRecord, FiledWrapUp, Line, Step, TimedStep, WrapUp};
use crate::pii::PhoneNumber;

/// A call with its steps and wrap-ups, for the supervisor's view of one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallDetail {
    pub id: String,
    pub arrived_at: String,
    pub caller: PhoneNumber,
    pub line: Line,
    pub in_hours: bool,
    pub steps: Vec<TimedStep>,
    pub wrap_ups: Vec<FiledWrapUp>,
}

/// An earlier call of the same caller, as the ringing screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EarlierCall {
    pub arrived_at: String,
    pub answered: bool,
    pub category: Option<String>,
    /// The bookings made during that call, so the agent sees them when the caller rings again.
    pub bookings: Vec<EarlierBooking>,
}

/// A booking made during an earlier call.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EarlierBooking {
    pub code: String,
    pub office: String,
    pub service: String,
    pub start: String,
    pub status: String,
}

fn line(text: &str) -> Line {
    Line::parse(text).unwrap_or(Line::Other)
}

type StepColumns = (String, String, i64, String, String);

fn timed((_, at, offset_ms, kind, detail): StepColumns) -> TimedStep {
    TimedStep {
        step: Step::decode(&kind, &detail),
        at,
        offset_ms,
    }
}

/// What a day's metrics are made of: its calls, and the agents' events from a day before it
/// (the state each agent was in at midnight) to a few hours after (the handling of calls that
/// arrived before midnight and ended after).
#[derive(Debug, Clone, Default)]
pub struct DayRows {
    pub calls: Vec<CallRecord>,
    pub events: Vec<crate::journal::AgentEvent>,
}

impl Store {
    /// The rows of a Tokyo date's metrics.
    pub async fn day_rows(&self, date: jiff::civil::Date) -> Result<DayRows, StoreError> {
        let (start, end) = crate::calendar::tokyo_day(date);
        let hours = |h: i64| jiff::SignedDuration::from_hours(h);
        let calls = self.calls_of_day(&date.to_string()).await?;
        let events = self
            .agent_events_between(&(start - hours(24)).to_string(), &(end + hours(6)).to_string())
            .await?;
        Ok(DayRows { calls, events })
    }

    /// Calls per wrap-up category and Tokyo date, `from..=to`: (date, category, calls).
    pub async fn categories_by_day(&self, from: &str, to: &str) -> Result<Vec<(String, String, i64)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT c.service_date, w.category, COUNT(DISTINCT w.call_id) FROM call_wrapups w \
             JOIN calls c ON c.id = w.call_id WHERE c.service_date >= $1 AND c.service_date <= $2 \
             GROUP BY c.service_date, w.category ORDER BY c.service_date, w.category",
        )
        .bind(from)
        .bind(to)
        .fetch_all(self.pool())
        .await?)
    }

    /// The calls of one Tokyo date with their steps, in arrival order.
    pub async fn calls_of_day(&self, service_date: &str) -> Result<Vec<CallRecord>, StoreError> {
        let calls: Vec<(String, String, i64, String)> = sqlx::query_as(
            "SELECT id, arrived_at, in_hours, line FROM calls WHERE service_date = $1 ORDER BY arrived_at, id",
        )
        .bind(service_date)
        .fetch_all(self.pool())
        .await?;
        let steps: Vec<StepColumns> = sqlx::query_as(
            "SELECT e.call_id, e.at, e.offset_ms, e.kind, e.detail FROM call_events e JOIN calls c ON c.id = e.call_id \
             WHERE c.service_date = $1 ORDER BY e.id",
        )
        .bind(service_date)
        .fetch_all(self.pool())
        .await?;
        let mut records: Vec<CallRecord> = calls
            .into_iter()
            .map(|(id, arrived_at, in_hours, line_name)| CallRecord {
                id,
                arrived_at,
                in_hours: in_hours != 0,
                line: line(&line_name),
                steps: Vec::new(),
            })
            .collect();
        let index: HashMap<String, usize> = records.iter().enumerate().map(|(i, r)| (r.id.clone(), i)).collect();
        for columns in steps {
            if let Some(&i) = index.get(&columns.0) {
                records[i].steps.push(timed(columns));
            }
        }
        Ok(records)
    }

    /// One call with its steps and wrap-ups.
    pub async fn call_detail(&self, id: &str) -> Result<Option<CallDetail>, StoreError> {
        let call: Option<(String, String, String, String, i64)> =
            sqlx::query_as("SELECT id, arrived_at, caller, line, in_hours FROM calls WHERE id = $1")
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
        let Some((id, arrived_at, caller, line_name, in_hours)) = call else {
            return Ok(None);
        };
        let steps: Vec<StepColumns> = sqlx::query_as(
            "SELECT call_id, at, offset_ms, kind, detail FROM call_events WHERE call_id = $1 ORDER BY id",
        )
        .bind(&id)
        .fetch_all(self.pool())
        .await?;
        let wrap_ups = self.wrap_ups_of(&id).await?;
        Ok(Some(CallDetail {
            id,
            arrived_at,
            caller: PhoneNumber::from(caller),
            line: line(&line_name),
            in_hours: in_hours != 0,
            steps: steps.into_iter().map(timed).collect(),
            wrap_ups,
        }))
    }

    /// The wrap-ups filed for a call, oldest first.
    pub async fn wrap_ups_of(&self, call: &str) -> Result<Vec<FiledWrapUp>, StoreError> {
        type Columns = (String, String, String, i64, String, i64, String, String);
        let rows: Vec<Columns> = sqlx::query_as(
            "SELECT agent, saved_at, category, escalation, escalation_note, complaint, notes, faq_ids FROM call_wrapups \
             WHERE call_id = $1 ORDER BY saved_at, agent",
        )
        .bind(call)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(agent, saved_at, category, escalation, escalation_note, complaint, notes, faq_ids)| FiledWrapUp {
                    call: call.to_string(),
                    agent,
                    saved_at,
                    form: WrapUp {
                        category,
                        escalation: escalation != 0,
                        escalation_note,
                        complaint: complaint != 0,
                        notes,
                        faq: faq_ids.split_whitespace().map(String::from).collect(),
                    },
                },
            )
            .collect())
    }

    /// The caller's earlier calls, newest first (at most `limit`), without `except` (the call
    /// ringing now). Whether one was answered is read from its steps.
    pub async fn earlier_calls(
        &self,
        caller: &PhoneNumber,
        except: &str,
        limit: i64,
    ) -> Result<Vec<EarlierCall>, StoreError> {
        let calls: Vec<(String, String, Option<String>)> = sqlx::query_as(
            "SELECT c.id, c.arrived_at, (SELECT MIN(w.category) FROM call_wrapups w WHERE w.call_id = c.id) \
             FROM calls c WHERE c.caller = $1 AND c.id <> $2 ORDER BY c.arrived_at DESC LIMIT $3",
        )
        .bind(caller.expose())
        .bind(except)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        let mut earlier = Vec::with_capacity(calls.len());
        for (id, arrived_at, category) in calls {
            let steps: Vec<(String, String)> =
                sqlx::query_as("SELECT kind, detail FROM call_events WHERE call_id = $1 ORDER BY id")
                    .bind(&id)
                    .fetch_all(self.pool())
                    .await?;
            let answered = steps
                .iter()
                .any(|(kind, detail)| matches!(Step::decode(kind, detail), Step::AgentAnswered { .. }));
            let bookings = self
                .bookings_of_call(&id)
                .await?
                .into_iter()
                .map(|b| EarlierBooking {
                    code: b.code,
                    office: b.office,
                    service: b.service,
                    start: b.slot_start,
                    status: b.status,
                })
                .collect();
            earlier.push(EarlierCall {
                arrived_at,
                answered,
                category,
                bookings,
            });
        }
        Ok(earlier)
    }
}
