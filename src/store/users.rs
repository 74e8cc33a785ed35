//! Staff accounts and agents' language skills.

use jiff::Timestamp;

use super::{Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredUser {
    pub name: String,
    pub role: String,
    pub password_hash: String,
}

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("a user named '{0}' exists already")]
    Exists(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Store {
    /// Creates a user with its skills, in one transaction; a taken name is `UserError::Exists`.
    pub async fn create_user(
        &self,
        name: &str,
        role: &str,
        password_hash: &str,
        skills: &[(String, u8)],
        now: Timestamp,
    ) -> Result<(), UserError> {
        // The transaction starts with its write: on SQLite a transaction that reads first and
        // writes second cannot wait for another writer (it fails "database is locked" at once).
        let mut tx = self.pool().begin().await.map_err(StoreError::from)?;
        let inserted = sqlx::query("INSERT INTO users (name, role, password_hash, created_at) VALUES ($1, $2, $3, $4)")
            .bind(name)
            .bind(role)
            .bind(password_hash)
            .bind(now.to_string())
            .execute(&mut *tx)
            .await;
        if let Err(e) = inserted {
            // A taken name, or two admins creating it at once: the primary key decides.
            return Err(match e.as_database_error().is_some_and(|d| d.is_unique_violation()) {
                true => UserError::Exists(name.to_string()),
                false => UserError::Store(e.into()),
            });
        }
        for (lang, level) in skills {
            sqlx::query("INSERT INTO agent_skills (user_name, lang, level) VALUES ($1, $2, $3)")
                .bind(name)
                .bind(lang)
                .bind(i64::from(*level))
                .execute(&mut *tx)
                .await
                .map_err(StoreError::from)?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    pub async fn find_user(&self, name: &str) -> Result<Option<StoredUser>, StoreError> {
        let row: Option<(String, String, String)> =
            sqlx::query_as("SELECT name, role, password_hash FROM users WHERE name = $1")
                .bind(name)
                .fetch_optional(self.pool())
                .await?;
        Ok(row.map(|(name, role, password_hash)| StoredUser {
            name,
            role,
            password_hash,
        }))
    }

    /// Every staff member's role, by name (the floor tells agents from supervisors).
    pub async fn staff_roles(&self) -> Result<std::collections::HashMap<String, String>, StoreError> {
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT name, role FROM users")
            .fetch_all(self.pool())
            .await?;
        Ok(rows.into_iter().collect())
    }

    pub async fn user_skills(&self, name: &str) -> Result<Vec<(String, u8)>, StoreError> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT lang, level FROM agent_skills WHERE user_name = $1 ORDER BY lang")
                .bind(name)
                .fetch_all(self.pool())
                .await?;
        Ok(rows
            .into_iter()
            .map(|(lang, level)| (lang, u8::try_from(level).unwrap_or(0)))
            .collect())
    }
}
