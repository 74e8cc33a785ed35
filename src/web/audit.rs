//! Recording staff reads (CC-PRIV, BK-AUDIT) and showing them to supervisors:
//! `GET /api/audit?from=YYYY-MM-DD&to=YYYY-MM-DD` (Tokyo dates, both included).
//! A read is answered only once its row is written: a database that cannot take the row gets
//! the reader a 503 to retry, never an unrecorded answer.

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use jiff::ToSpan;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::error::ApiError;
use super::extract::{StaffSession, Supervisor};
use crate::store::audit::Access;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/audit", get(accesses))
}

/// The clock, read at the edge.
#[allow(clippy::disallowed_methods)]
pub(crate) fn now() -> jiff::Timestamp {
    jiff::Timestamp::now()
}

/// Records that `staff` read `subject` (`action` names what kind of thing).
pub async fn record(
    state: &AppState,
    staff: &StaffSession,
    action: &str,
    subject: &str,
    address: std::net::IpAddr,
) -> Result<(), ApiError> {
    let access = Access {
        at: now().to_string(),
        reader: staff.name().to_string(),
        role: staff.session.role.to_string(),
        action: action.to_string(),
        subject: subject.to_string(),
        address: state.booking.recorded_address(address),
    };
    state.store.record_access(&access).await.map_err(|e| {
        tracing::warn!(error = %e, action, "an access could not be recorded: the read is refused");
        ApiError::Unavailable {
            message: "記録ができないため表示できません。しばらくしてからもう一度お試しください (the access cannot be recorded now)".into(),
            retry_after: 5,
        }
    })
}

#[derive(Debug, Deserialize)]
struct Period {
    from: String,
    to: Option<String>,
}

#[derive(Debug, Serialize)]
struct AccessView {
    at: String,
    reader: String,
    role: String,
    action: String,
    subject: String,
    address: String,
}

async fn accesses(
    State(state): State<AppState>,
    _supervisor: Supervisor,
    Query(period): Query<Period>,
) -> Result<Json<Vec<AccessView>>, ApiError> {
    let date = |text: &str| -> Result<jiff::civil::Date, ApiError> {
        text.parse()
            .map_err(|_| ApiError::BadRequest(format!("'{text}' is not a date (YYYY-MM-DD)")))
    };
    let from = date(&period.from)?;
    let to = match &period.to {
        Some(text) => date(text)?,
        None => from,
    };
    let tz = crate::calendar::tokyo();
    let instant = |day: jiff::civil::Date| -> Result<jiff::Timestamp, ApiError> {
        day.to_zoned(tz.clone())
            .map(|z| z.timestamp())
            .map_err(ApiError::internal)
    };
    let end = to.checked_add(1.day()).map_err(ApiError::internal)?;
    let rows = state.store.accesses(instant(from)?, instant(end)?).await?;
    Ok(Json(
        rows.into_iter()
            .map(|a| AccessView {
                at: a.at,
                reader: a.reader,
                role: a.role,
                action: a.action,
                subject: a.subject,
                address: a.address,
            })
            .collect(),
    ))
}
