//! What the monthly report reads besides the calls: the wrap-ups' flags, security incidents,
//! and the bookings per office.

use super::{Store, StoreError};
use crate::report::monthly::{Incident, OfficeBookings};

impl Store {
    /// Calls with an escalation and calls with a complaint among the wrap-ups of the calls
    /// that arrived on the Tokyo dates `from..=to`.
    pub async fn wrap_up_flags(&self, from: &str, to: &str) -> Result<(i64, i64), StoreError> {
        let (escalations, complaints): (Option<i64>, Option<i64>) = sqlx::query_as(
            "SELECT COUNT(DISTINCT CASE WHEN w.escalation <> 0 THEN w.call_id END), \
             COUNT(DISTINCT CASE WHEN w.complaint <> 0 THEN w.call_id END) \
             FROM call_wrapups w JOIN calls c ON c.id = w.call_id \
             WHERE c.service_date >= $1 AND c.service_date <= $2",
        )
        .bind(from)
        .bind(to)
        .fetch_one(self.pool())
        .await?;
        Ok((escalations.unwrap_or(0), complaints.unwrap_or(0)))
    }

    pub async fn record_incident(
        &self,
        occurred_on: &str,
        summary: &str,
        recorded_by: &str,
        recorded_at: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO security_incidents (occurred_on, summary, recorded_by, recorded_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(occurred_on)
        .bind(summary)
        .bind(recorded_by)
        .bind(recorded_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Incidents that occurred on the dates `from..=to`, oldest first.
    pub async fn incidents(&self, from: &str, to: &str) -> Result<Vec<Incident>, StoreError> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT occurred_on, summary FROM security_incidents WHERE occurred_on >= $1 AND occurred_on <= $2 \
             ORDER BY occurred_on, id",
        )
        .bind(from)
        .bind(to)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(occurred_on, summary)| Incident { occurred_on, summary })
            .collect())
    }

    /// Bookings per office and service whose appointment falls in `from..to` (slot starts).
    pub async fn booking_counts(&self, from: &str, to: &str) -> Result<Vec<OfficeBookings>, StoreError> {
        type Columns = (String, String, Option<i64>, Option<i64>, Option<i64>);
        let rows: Vec<Columns> = sqlx::query_as(
            "SELECT office, service, \
             SUM(CASE WHEN status = 'booked' THEN 1 ELSE 0 END), \
             SUM(CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END), \
             SUM(CASE WHEN status = 'booked' AND call_id <> '' THEN 1 ELSE 0 END) \
             FROM bookings WHERE slot_start >= $1 AND slot_start < $2 GROUP BY office, service ORDER BY office, service",
        )
        .bind(from)
        .bind(to)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(office, service, booked, cancelled, by_phone)| OfficeBookings {
                office,
                service,
                booked: booked.unwrap_or(0),
                cancelled: cancelled.unwrap_or(0),
                by_phone: by_phone.unwrap_or(0),
            })
            .collect())
    }
}
