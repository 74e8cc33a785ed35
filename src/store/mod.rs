//! The database: SQLite (a file under the data directory, WAL) by default, PostgreSQL for
//! production. One schema, kept twice as append-only migrations in `migrations/sqlite` and
//! `migrations/postgres`. This is the only module that names sqlx.
//!
//! The queries are plain SQL over sqlx's `Any` driver with `$N` placeholders, which both
//! SQLite and PostgreSQL accept, so each query is written once.
//!
//! - [`journal`]: the journal writer: calls' records, agents' events and wrap-ups, batched.
//! - [`batch`]: the SQL that writes one batch of the journal in one transaction.
//! - [`calls`]: reading call records back (a day's calls, one call, a caller's history).
//! - [`agents`]: reading the agents' event log.
//! - [`calendars`]: calendar revisions saved at run time.
//! - [`users`]: staff accounts and agents' language skills.
//! - [`purge`]: deleting every row at contract end.
//! - [`outbox`]: e-mail notices waiting and sent, the scheduled jobs' runs, the jobs' SQL.
//! - [`offices`]: office revisions saved at run time (slot length, capacity).
//! - [`audit`]: who read what (call records, bookings, lists, exports).
//! - [`bookings`]: bookings, the slot counters (exclusive control) and booking events.
//! - [`recordings`]: recordings, their marks, transcription jobs, transcripts and their search.

pub mod agents;
pub mod audit;
pub mod batch;
pub mod bookings;
pub mod calendars;
pub mod calls;
pub mod cases;
pub mod faq;
pub mod journal;
pub mod offices;
pub mod outbox;
pub mod purge;
pub mod recordings;
pub mod reports;
pub mod users;

use std::str::FromStr;

use sqlx::AnyPool;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};

/// Errors of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL '{0}' (use sqlite://PATH or postgres://...)")]
    UnsupportedUrl(String),
    #[error("cannot connect to the database: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("cannot apply the database migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Query(#[from] sqlx::Error),
}

impl StoreError {
    /// Whether the same write would fail again, as opposed to a passing failure worth retrying.
    /// Lasting: what the rows themselves break (a constraint, a value out of range) and what
    /// our SQL breaks (a bug): retrying would hold up every row behind it. Everything else
    /// (the database busy, restarting, unreachable, refusing connections, full) passes.
    pub fn is_lasting(&self) -> bool {
        let StoreError::Query(e) = self else {
            return true;
        };
        match e {
            sqlx::Error::Database(db) => {
                if !matches!(db.kind(), sqlx::error::ErrorKind::Other) {
                    return true;
                }
                let code = db.code().unwrap_or_default();
                match code.parse::<i64>() {
                    // SQLite (extended result codes): SQL error, constraint, type mismatch, range.
                    Ok(sqlite) => matches!(sqlite & 0xff, 1 | 19 | 20 | 25),
                    // PostgreSQL classes: data exception, integrity constraint, syntax or access
                    // rule (a bug in our SQL, or a column missing).
                    Err(_) => ["22", "23", "42"].iter().any(|class| code.starts_with(class)),
                }
            }
            sqlx::Error::PoolClosed
            | sqlx::Error::ColumnDecode { .. }
            | sqlx::Error::ColumnNotFound(_)
            | sqlx::Error::ColumnIndexOutOfBounds { .. }
            | sqlx::Error::TypeNotFound { .. }
            | sqlx::Error::Decode(_)
            | sqlx::Error::Encode(_)
            | sqlx::Error::Configuration(_) => true,
            _ => false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A connection pool with the schema migrated.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

impl Store {
    /// Connects and applies the migrations. A `sqlite://` file is created when missing.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(redact_url(url)));
        };
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_string(),
        };
        let options = AnyConnectOptions::from_str(&url).map_err(StoreError::Connect)?;
        // A database that does not answer is an error within seconds, not a hang: the pool
        // otherwise retries a refused connection for its whole 30 s default.
        let mut pool_options = AnyPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(std::time::Duration::from_secs(5));
        if backend == Backend::Sqlite {
            pool_options = pool_options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    // WAL lets readers go on while one writer writes; the busy timeout makes a
                    // second writer wait for the first instead of failing at once.
                    sqlx::query("PRAGMA journal_mode = WAL").execute(&mut *conn).await?;
                    sqlx::query("PRAGMA busy_timeout = 5000").execute(&mut *conn).await?;
                    sqlx::query("PRAGMA foreign_keys = ON").execute(&mut *conn).await?;
                    Ok(())
                })
            });
        }
        let pool = pool_options.connect_with(options).await.map_err(StoreError::Connect)?;
        match backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite").run(&pool).await?,
            Backend::Postgres => sqlx::migrate!("migrations/postgres").run(&pool).await?,
        }
        Ok(Store { pool, backend })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A database URL with any password masked, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _password)) => {
                    format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..])
                }
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_never_reach_a_message() {
        assert_eq!(
            redact_url("postgres://tsunagu:s3cret@db:5432/cc"),
            "postgres://tsunagu:***@db:5432/cc"
        );
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1/test"),
            "postgres://postgres@127.0.0.1/test"
        );
        assert_eq!(redact_url("sqlite://data/tsunagu.db"), "sqlite://data/tsunagu.db");
    }
}
