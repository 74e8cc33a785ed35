//! Bookings, the slot counters and the booking events (BK-EXCL, BK-AUDIT).
//!
//! Exclusive control is one statement: the slot's counter is incremented only while it is
//! below the capacity (`INSERT … ON CONFLICT DO UPDATE … WHERE used < capacity RETURNING`),
//! so the check and the write cannot be separated by another booking, on SQLite (one writer
//! at a time) as on PostgreSQL (the row is locked by the update). The booking row and its
//! event are written in the same transaction: a booking is counted if and only if it exists.
//!
//! A busy database (SQLite's lock held past the busy timeout, the pool exhausted, PostgreSQL
//! restarting) is retried here a few times before the caller sees an error.

use std::time::Duration;

use jiff::Timestamp;
use sqlx::{Any, Transaction};

use super::{Store, StoreError};
use crate::pii::EmailAddress;

/// A booking as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingRow {
    pub code: String,
    pub secret_hash: String,
    pub office: String,
    pub service: String,
    /// `YYYY-MM-DDTHH:MM`, Tokyo local time.
    pub slot_start: String,
    pub slot_minutes: i64,
    /// `booked` or `cancelled`.
    pub status: String,
    pub channel: String,
    pub booked_by: String,
    pub call_id: String,
    pub visitor: String,
    /// JSON list of the checklist items confirmed.
    pub confirmations: String,
    pub email: Option<EmailAddress>,
    pub created_at: String,
    pub updated_at: String,
}

impl BookingRow {
    pub fn is_booked(&self) -> bool {
        self.status == "booked"
    }
}

/// What a booking's event records (BK-AUDIT).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingEvent {
    /// `created`, `changed`, `cancelled`, `imported`, …
    pub kind: String,
    /// The staff member, or `booker` (the web), or `import`.
    pub actor: String,
    pub channel: String,
    pub at: Timestamp,
    /// JSON of the booking before and after ('' when there is none).
    pub before: String,
    pub after: String,
    /// A staff override's reason.
    pub reason: String,
    /// The client's address, when known.
    pub address: String,
}

/// An event as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingEventRow {
    pub id: i64,
    pub code: String,
    pub at: String,
    pub kind: String,
    pub actor: String,
    pub channel: String,
    pub before: String,
    pub after: String,
    pub reason: String,
    pub address: String,
}

/// The outcome of taking a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    /// Written; the slot now holds this many bookings.
    Booked { used: i64 },
    /// The slot is at its capacity: nothing written.
    Full,
    /// Another booking has this code (draw a new one): nothing written.
    CodeInUse,
}

/// The outcome of a change or a cancellation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Changed {
    Done(Box<BookingRow>),
    /// No booking with that code.
    NotFound,
    /// It was cancelled already.
    Cancelled,
    /// The new slot is full: nothing changed.
    Full,
}

/// Where a booking moves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSlot {
    pub slot_start: String,
    pub slot_minutes: i64,
    pub capacity: i64,
}

/// How often a transient failure (busy, pool exhausted) is tried again, and the first pause.
const ATTEMPTS: u32 = 8;
const FIRST_PAUSE: Duration = Duration::from_millis(20);

const COLUMNS: &str = "code, secret_hash, office, service, slot_start, slot_minutes, status, channel, \
                       booked_by, call_id, visitor, confirmations, email, created_at, updated_at";

type Row = (
    String,
    String,
    String,
    String,
    String,
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    String,
);

fn from_row(r: Row) -> BookingRow {
    BookingRow {
        code: r.0,
        secret_hash: r.1,
        office: r.2,
        service: r.3,
        slot_start: r.4,
        slot_minutes: r.5,
        status: r.6,
        channel: r.7,
        booked_by: r.8,
        call_id: r.9,
        visitor: r.10,
        confirmations: r.11,
        email: r.12.map(EmailAddress::new),
        created_at: r.13,
        updated_at: r.14,
    }
}

type EventRow = (
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
);

fn event_from_row(r: EventRow) -> BookingEventRow {
    BookingEventRow {
        id: r.0,
        code: r.1,
        at: r.2,
        kind: r.3,
        actor: r.4,
        channel: r.5,
        before: r.6,
        after: r.7,
        reason: r.8,
        address: r.9,
    }
}

/// Takes one place in a slot if it has room: the check and the increment in one statement.
/// `None`: the slot is full.
async fn take_place(
    tx: &mut Transaction<'_, Any>,
    office: &str,
    service: &str,
    slot_start: &str,
    capacity: i64,
) -> Result<Option<i64>, StoreError> {
    if capacity < 1 {
        return Ok(None);
    }
    let used: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO slot_usage (office, service, slot_start, used) VALUES ($1, $2, $3, 1) \
         ON CONFLICT (office, service, slot_start) \
         DO UPDATE SET used = slot_usage.used + 1 WHERE slot_usage.used < $4 \
         RETURNING used",
    )
    .bind(office)
    .bind(service)
    .bind(slot_start)
    .bind(capacity)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(used.map(|(n,)| n))
}

async fn give_place_back(
    tx: &mut Transaction<'_, Any>,
    office: &str,
    service: &str,
    slot_start: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE slot_usage SET used = used - 1 \
         WHERE office = $1 AND service = $2 AND slot_start = $3 AND used > 0",
    )
    .bind(office)
    .bind(service)
    .bind(slot_start)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn append_event(tx: &mut Transaction<'_, Any>, code: &str, event: &BookingEvent) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO booking_events \
         (code, at, kind, actor, channel, state_before, state_after, reason, address) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(code)
    .bind(event.at.to_string())
    .bind(&event.kind)
    .bind(&event.actor)
    .bind(&event.channel)
    .bind(&event.before)
    .bind(&event.after)
    .bind(&event.reason)
    .bind(&event.address)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn locked_booking(
    tx: &mut Transaction<'_, Any>,
    code: &str,
    postgres: bool,
) -> Result<Option<BookingRow>, StoreError> {
    // On PostgreSQL the row is locked until the transaction ends, so two changes of one booking
    // queue up; SQLite has one writer at a time, and a read in a write transaction is stable.
    let lock = if postgres { " FOR UPDATE" } else { "" };
    let row: Option<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM bookings WHERE code = $1{lock}"))
        .bind(code)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row.map(from_row))
}

fn is_unique_violation(e: &StoreError) -> bool {
    matches!(e, StoreError::Query(sqlx::Error::Database(db)) if matches!(db.kind(), sqlx::error::ErrorKind::UniqueViolation))
}

impl Store {
    /// Runs `attempt` until it succeeds, fails for good, or has been tried [`ATTEMPTS`] times
    /// with growing pauses (a busy database passes).
    async fn retrying<T, F, Fut>(&self, mut attempt: F) -> Result<T, StoreError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, StoreError>>,
    {
        let mut pause = FIRST_PAUSE;
        let mut tries = 1;
        loop {
            match attempt().await {
                Err(e) if !e.is_lasting() && tries < ATTEMPTS => {
                    tracing::debug!(error = %e, tries, "booking write: the database is busy, trying again");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_millis(500));
                    tries += 1;
                }
                other => return other,
            }
        }
    }

    /// Writes a new booking if its slot has room (`capacity`), with its `created` event.
    pub async fn book(&self, booking: &BookingRow, capacity: i64, event: &BookingEvent) -> Result<Taken, StoreError> {
        self.retrying(|| self.book_once(booking, capacity, event)).await
    }

    async fn book_once(&self, b: &BookingRow, capacity: i64, event: &BookingEvent) -> Result<Taken, StoreError> {
        let mut tx = self.pool().begin().await?;
        let Some(used) = take_place(&mut tx, &b.office, &b.service, &b.slot_start, capacity).await? else {
            tx.rollback().await?;
            return Ok(Taken::Full);
        };
        let inserted = sqlx::query(&format!(
            "INSERT INTO bookings ({COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
        ))
        .bind(&b.code)
        .bind(&b.secret_hash)
        .bind(&b.office)
        .bind(&b.service)
        .bind(&b.slot_start)
        .bind(b.slot_minutes)
        .bind(&b.status)
        .bind(&b.channel)
        .bind(&b.booked_by)
        .bind(&b.call_id)
        .bind(&b.visitor)
        .bind(&b.confirmations)
        .bind(b.email.as_ref().map(|e| e.expose().clone()))
        .bind(&b.created_at)
        .bind(&b.updated_at)
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from);
        if let Err(e) = inserted {
            tx.rollback().await?;
            return if is_unique_violation(&e) {
                Ok(Taken::CodeInUse)
            } else {
                Err(e)
            };
        }
        append_event(&mut tx, &b.code, event).await?;
        tx.commit().await?;
        Ok(Taken::Booked { used })
    }

    /// Moves a booking to another slot (of the same office and service) if that slot has room,
    /// giving its place in the old slot back; `event` gets the states before and after filled
    /// in by `describe`.
    pub async fn move_booking(
        &self,
        code: &str,
        to: &NewSlot,
        event: &BookingEvent,
        describe: fn(&BookingRow) -> String,
    ) -> Result<Changed, StoreError> {
        self.retrying(|| self.move_once(code, to, event, describe)).await
    }

    async fn move_once(
        &self,
        code: &str,
        to: &NewSlot,
        event: &BookingEvent,
        describe: fn(&BookingRow) -> String,
    ) -> Result<Changed, StoreError> {
        let mut tx = self.pool().begin().await?;
        let postgres = self.backend() == super::Backend::Postgres;
        // SQLite: take the write lock first (a harmless write), so that the read below and the
        // writes after it see one state. PostgreSQL locks the row instead.
        if !postgres {
            sqlx::query("UPDATE bookings SET code = code WHERE code = $1")
                .bind(code)
                .execute(&mut *tx)
                .await?;
        }
        let Some(before) = locked_booking(&mut tx, code, postgres).await? else {
            tx.rollback().await?;
            return Ok(Changed::NotFound);
        };
        if !before.is_booked() {
            tx.rollback().await?;
            return Ok(Changed::Cancelled);
        }
        if before.slot_start == to.slot_start {
            tx.rollback().await?;
            return Ok(Changed::Done(Box::new(before)));
        }
        if take_place(&mut tx, &before.office, &before.service, &to.slot_start, to.capacity)
            .await?
            .is_none()
        {
            tx.rollback().await?;
            return Ok(Changed::Full);
        }
        give_place_back(&mut tx, &before.office, &before.service, &before.slot_start).await?;
        let at = event.at.to_string();
        sqlx::query("UPDATE bookings SET slot_start = $1, slot_minutes = $2, updated_at = $3 WHERE code = $4")
            .bind(&to.slot_start)
            .bind(to.slot_minutes)
            .bind(&at)
            .bind(code)
            .execute(&mut *tx)
            .await?;
        let after = BookingRow {
            slot_start: to.slot_start.clone(),
            slot_minutes: to.slot_minutes,
            updated_at: at,
            ..before.clone()
        };
        let event = BookingEvent {
            before: describe(&before),
            after: describe(&after),
            ..event.clone()
        };
        append_event(&mut tx, code, &event).await?;
        tx.commit().await?;
        Ok(Changed::Done(Box::new(after)))
    }

    /// Cancels a booking and gives its place back.
    pub async fn cancel_booking(
        &self,
        code: &str,
        event: &BookingEvent,
        describe: fn(&BookingRow) -> String,
    ) -> Result<Changed, StoreError> {
        self.retrying(|| self.cancel_once(code, event, describe)).await
    }

    async fn cancel_once(
        &self,
        code: &str,
        event: &BookingEvent,
        describe: fn(&BookingRow) -> String,
    ) -> Result<Changed, StoreError> {
        let mut tx = self.pool().begin().await?;
        let at = event.at.to_string();
        // The status change is the conditional write: of two cancellations at once, one
        // changes the row and gives the place back, the other finds it cancelled.
        let changed = sqlx::query(
            "UPDATE bookings SET status = 'cancelled', updated_at = $1 WHERE code = $2 AND status = 'booked'",
        )
        .bind(&at)
        .bind(code)
        .execute(&mut *tx)
        .await?;
        let postgres = self.backend() == super::Backend::Postgres;
        let Some(after) = locked_booking(&mut tx, code, postgres).await? else {
            tx.rollback().await?;
            return Ok(Changed::NotFound);
        };
        if changed.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(Changed::Cancelled);
        }
        give_place_back(&mut tx, &after.office, &after.service, &after.slot_start).await?;
        let before = BookingRow {
            status: "booked".into(),
            ..after.clone()
        };
        let event = BookingEvent {
            before: describe(&before),
            after: describe(&after),
            ..event.clone()
        };
        append_event(&mut tx, code, &event).await?;
        tx.commit().await?;
        Ok(Changed::Done(Box::new(after)))
    }

    /// One booking by code.
    pub async fn booking(&self, code: &str) -> Result<Option<BookingRow>, StoreError> {
        let row: Option<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM bookings WHERE code = $1"))
            .bind(code)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(from_row))
    }

    /// The bookings whose slot starts in `[from, to)` (slot keys), cancelled ones included,
    /// by start, office and code; of one office when given.
    pub async fn bookings_between(
        &self,
        from: &str,
        to: &str,
        office: Option<&str>,
    ) -> Result<Vec<BookingRow>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM bookings WHERE slot_start >= $1 AND slot_start < $2 \
             AND ($3 = '' OR office = $3) ORDER BY slot_start, office, code"
        ))
        .bind(from)
        .bind(to)
        .bind(office.unwrap_or(""))
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(from_row).collect())
    }

    /// The bookings made during a call.
    pub async fn bookings_of_call(&self, call_id: &str) -> Result<Vec<BookingRow>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM bookings WHERE call_id = $1 AND call_id <> '' ORDER BY created_at, code"
        ))
        .bind(call_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(from_row).collect())
    }

    /// Places taken per slot of an office's service, for slots starting in `[from, to)`.
    pub async fn slot_usage(
        &self,
        office: &str,
        service: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT slot_start, used FROM slot_usage \
             WHERE office = $1 AND service = $2 AND slot_start >= $3 AND slot_start < $4 ORDER BY slot_start",
        )
        .bind(office)
        .bind(service)
        .bind(from)
        .bind(to)
        .fetch_all(self.pool())
        .await?;
        Ok(rows)
    }

    /// A booking's events, oldest first.
    pub async fn booking_events(&self, code: &str) -> Result<Vec<BookingEventRow>, StoreError> {
        let rows: Vec<EventRow> = sqlx::query_as(
            "SELECT id, code, at, kind, actor, channel, state_before, state_after, reason, address \
             FROM booking_events WHERE code = $1 ORDER BY id",
        )
        .bind(code)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(event_from_row).collect())
    }
}

/// The outage banner in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingStatus {
    pub message: String,
    pub set_by: String,
    pub set_at: String,
}

impl Store {
    /// Sets (or, with an empty message, takes down) the citizen pages' banner.
    pub async fn set_booking_status(&self, message: &str, set_by: &str, at: Timestamp) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO booking_status (message, set_by, set_at) VALUES ($1, $2, $3)")
            .bind(message)
            .bind(set_by)
            .bind(at.to_string())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The banner in force, if any.
    pub async fn booking_status(&self) -> Result<Option<BookingStatus>, StoreError> {
        let row: Option<(String, String, String)> =
            sqlx::query_as("SELECT message, set_by, set_at FROM booking_status ORDER BY id DESC LIMIT 1")
                .fetch_optional(self.pool())
                .await?;
        Ok(row
            .filter(|(message, _, _)| !message.trim().is_empty())
            .map(|(message, set_by, set_at)| BookingStatus {
                message,
                set_by,
                set_at,
            }))
    }
}

impl Store {
    /// Every booking, by slot and code (for `booking export`).
    pub async fn all_bookings(&self) -> Result<Vec<BookingRow>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM bookings ORDER BY slot_start, code"))
            .fetch_all(self.pool())
            .await?;
        Ok(rows.into_iter().map(from_row).collect())
    }

    /// Every booking event, oldest first (for `booking export --events`).
    pub async fn all_booking_events(&self) -> Result<Vec<BookingEventRow>, StoreError> {
        let rows: Vec<EventRow> = sqlx::query_as(
            "SELECT id, code, at, kind, actor, channel, state_before, state_after, reason, address \
             FROM booking_events ORDER BY id",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(event_from_row).collect())
    }

    /// Places taken per slot of every office and service, for slots starting at or after
    /// `from` (an import's dry run counts against them).
    pub async fn all_slot_usage(&self, from: &str) -> Result<Vec<(String, String, String, i64)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT office, service, slot_start, used FROM slot_usage WHERE slot_start >= $1 AND used > 0",
        )
        .bind(from)
        .fetch_all(self.pool())
        .await?)
    }
}
