//! The access audit (CC-PRIV, BK-AUDIT): a row for every read of personal or booking data by
//! staff, written before the data is answered.

use jiff::Timestamp;

use super::{Store, StoreError};

/// One access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// RFC 3339, UTC.
    pub at: String,
    pub reader: String,
    pub role: String,
    /// `call.read`, `booking.read`, `bookings.list`, `bookings.export`, …
    pub action: String,
    /// What was read: a call id, a booking code, a period and office.
    pub subject: String,
    pub address: String,
}

impl Store {
    /// Records an access. The caller answers the read only when this succeeds.
    pub async fn record_access(&self, access: &Access) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO access_audit (at, reader, role, action, subject, address) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&access.at)
        .bind(&access.reader)
        .bind(&access.role)
        .bind(&access.action)
        .bind(&access.subject)
        .bind(&access.address)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The accesses in `[from, to)`, oldest first.
    pub async fn accesses(&self, from: Timestamp, to: Timestamp) -> Result<Vec<Access>, StoreError> {
        let rows: Vec<(String, String, String, String, String, String)> = sqlx::query_as(
            "SELECT at, reader, role, action, subject, address FROM access_audit \
             WHERE at >= $1 AND at < $2 ORDER BY id",
        )
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(at, reader, role, action, subject, address)| Access {
                at,
                reader,
                role,
                action,
                subject,
                address,
            })
            .collect())
    }
}
