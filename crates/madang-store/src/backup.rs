//! What a backup needs of the database: a consistent copy of a SQLite
//! database while it is written (`VACUUM INTO`, which reads one snapshot;
//! never a copy of the file), PostgreSQL's server version (for `pg_dump`'s
//! check), how many migrations a database has, and whether a database a
//! restore would write into is empty.

use crate::rows::i64_col;
use crate::{Backend, Result, SqlStore, StoreError};
use sqlx::{Connection, Row};
use std::path::Path;

impl SqlStore {
    /// Writes a consistent copy of this SQLite database to `to` (which must
    /// not exist), while others go on writing.
    pub async fn snapshot_sqlite(&self, to: &Path) -> Result<()> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Corrupt(
                "a SQLite snapshot of a PostgreSQL database".into(),
            ));
        }
        let path = to
            .to_str()
            .ok_or_else(|| StoreError::Corrupt("a path that is not UTF-8".into()))?;
        // A string literal: quotes doubled.
        let sql = format!("VACUUM INTO '{}'", path.replace('\'', "''"));
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(self.pool()).await?;
        Ok(())
    }

    /// PostgreSQL's major version (15 for 15.4).
    pub async fn postgres_major(&self) -> Result<i64> {
        let row = sqlx::query("SELECT CAST(current_setting('server_version_num') AS BIGINT) AS v")
            .fetch_one(self.pool())
            .await?;
        Ok(i64_col(&row, "v")? / 10_000)
    }

    /// The migrations applied to this database.
    pub async fn migrations_applied(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM _sqlx_migrations WHERE success")
            .fetch_one(self.pool())
            .await?;
        i64_col(&row, "n")
    }
}

/// Whether the database at `url` holds no tables (a SQLite file that does
/// not exist or is empty counts as empty). Connects without migrating.
pub async fn database_is_empty(url: &str) -> Result<bool> {
    if url.starts_with("sqlite:") {
        let file = sqlite_file(url);
        if !file.as_ref().is_some_and(|f| f.exists()) {
            return Ok(true);
        }
        let mut c = sqlx::SqliteConnection::connect(url).await?;
        let row = sqlx::query("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table'")
            .fetch_one(&mut c)
            .await?;
        return Ok(row.try_get::<i64, _>("n")? == 0);
    }
    let mut c = sqlx::PgConnection::connect(url).await?;
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = current_schema()",
    )
    .fetch_one(&mut c)
    .await?;
    Ok(row.try_get::<i64, _>("n")? == 0)
}

/// The file of a `sqlite://PATH?…` URL.
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then(|| std::path::PathBuf::from(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sqlite_url_names_its_file() {
        assert_eq!(
            sqlite_file("sqlite:///var/lib/madang/madang.db?mode=rwc"),
            Some("/var/lib/madang/madang.db".into())
        );
        assert_eq!(sqlite_file("sqlite:data/m.db"), Some("data/m.db".into()));
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://x/y"), None);
    }
}
