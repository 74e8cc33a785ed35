//! Deleting everything at contract end (BK-OPS: 「一切の情報を確実に処分」): every row of every
//! table but the migrations' own, in one transaction, then the space the rows took is reclaimed
//! (SQLite `VACUUM`, PostgreSQL `VACUUM FULL`) so that nothing stays readable in free pages.
//! The tables are found in the database itself, so a table added later is not forgotten.

use sqlx::Row;

use super::{Backend, Store, StoreError};

impl Store {
    /// Every table of ours with its row count, by name.
    pub async fn table_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let mut counts = Vec::new();
        for table in self.tables().await? {
            let (count,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {}", quoted(&table)))
                .fetch_one(self.pool())
                .await?;
            counts.push((table, count));
        }
        Ok(counts)
    }

    /// Deletes every row of every table of ours; returns the rows each table held.
    pub async fn purge_everything(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let before = self.table_counts().await?;
        let tables: Vec<String> = before.iter().map(|(t, _)| t.clone()).collect();
        let mut tx = self.pool().begin().await?;
        match self.backend() {
            Backend::Postgres => {
                if !tables.is_empty() {
                    let list: Vec<String> = tables.iter().map(|t| quoted(t)).collect();
                    sqlx::query(&format!("TRUNCATE {} RESTART IDENTITY CASCADE", list.join(", ")))
                        .execute(&mut *tx)
                        .await?;
                }
            }
            Backend::Sqlite => {
                // Children and parents go in one transaction; their keys are checked at commit.
                sqlx::query("PRAGMA defer_foreign_keys = ON").execute(&mut *tx).await?;
                for table in &tables {
                    sqlx::query(&format!("DELETE FROM {}", quoted(table)))
                        .execute(&mut *tx)
                        .await?;
                }
                let sequences: Option<(String,)> =
                    sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'")
                        .fetch_optional(&mut *tx)
                        .await?;
                if sequences.is_some() {
                    sqlx::query("DELETE FROM sqlite_sequence").execute(&mut *tx).await?;
                }
            }
        }
        tx.commit().await?;
        match self.backend() {
            Backend::Sqlite => {
                sqlx::query("VACUUM").execute(self.pool()).await?;
                // In WAL mode the rewritten file sits in the log until a checkpoint: write it
                // back now and empty the log, so neither file keeps an old page.
                sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .execute(self.pool())
                    .await?;
            }
            Backend::Postgres => {
                for table in &tables {
                    sqlx::query(&format!("VACUUM FULL {}", quoted(table)))
                        .execute(self.pool())
                        .await?;
                }
            }
        }
        Ok(before)
    }

    async fn tables(&self) -> Result<Vec<String>, StoreError> {
        let sql = match self.backend() {
            Backend::Sqlite => {
                // A full-text index's shadow tables belong to it: emptying the index (a
                // virtual table, listed itself) empties them; writing them directly breaks it.
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations' \
                 AND name NOT IN (SELECT t.name || s.suffix FROM sqlite_master t, \
                   (SELECT '_data' AS suffix UNION ALL SELECT '_idx' UNION ALL SELECT '_content' \
                    UNION ALL SELECT '_docsize' UNION ALL SELECT '_config') s \
                   WHERE t.sql LIKE 'CREATE VIRTUAL TABLE%') ORDER BY name"
            }
            Backend::Postgres => {
                "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() \
                 AND tablename <> '_sqlx_migrations' ORDER BY tablename"
            }
        };
        let rows = sqlx::query(sql).fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| r.try_get::<String, _>(0).map_err(StoreError::from))
            .collect()
    }
}

/// A table name as an SQL identifier (they come from the database's own catalogue).
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
