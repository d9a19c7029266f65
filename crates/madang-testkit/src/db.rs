//! A fresh database per test.

use rand::Rng;
use sqlx::{Connection, Executor, Row};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_env() -> Backend {
        match std::env::var("MADANG_TEST_DATABASE").as_deref() {
            Ok("postgres") => Backend::Postgres,
            Ok("sqlite") | Err(_) => Backend::Sqlite,
            Ok(other) => panic!("MADANG_TEST_DATABASE={other:?}: use sqlite or postgres"),
        }
    }
}

fn admin_url() -> String {
    std::env::var("MADANG_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A database that exists for one test: a SQLite file in a temp folder, or
/// a PostgreSQL database dropped when this value is dropped.
pub struct TestDb {
    pub url: String,
    pub backend: Backend,
    pg_name: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub async fn create() -> TestDb {
        match Backend::from_env() {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
                TestDb {
                    url,
                    backend: Backend::Sqlite,
                    pg_name: None,
                    _dir: Some(dir),
                }
            }
            Backend::Postgres => TestDb::postgres().await,
        }
    }

    /// A PostgreSQL database whatever `MADANG_TEST_DATABASE` says: for
    /// tests of several nodes sharing one database.
    pub async fn postgres() -> TestDb {
        let admin = admin_url();
        let name = format!("madang_t_{:016x}", rand::rng().random::<u64>());
        let mut conn = sqlx::PgConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {admin} is required for this suite: {e}"));
        conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await
            .expect("create test database");
        let url = match admin.rsplit_once('/') {
            Some((server, _)) => format!("{server}/{name}"),
            None => panic!("MADANG_TEST_POSTGRES_URL must end in /database"),
        };
        TestDb {
            url,
            backend: Backend::Postgres,
            pg_name: Some(name),
            _dir: None,
        }
    }
}

impl TestDb {
    /// The SQLite database file (its WAL is beside it), if on SQLite.
    pub fn sqlite_file(&self) -> Option<std::path::PathBuf> {
        self._dir.as_ref().map(|d| d.path().join("test.db"))
    }

    /// The one integer a query returns.
    pub async fn scalar(&self, sql: &str) -> i64 {
        match self.backend {
            Backend::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&self.url).await.expect("connect");
                let row = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
                    .fetch_one(&mut c)
                    .await
                    .expect("query");
                row.try_get::<i64, _>(0).expect("integer")
            }
            Backend::Postgres => {
                let mut c = sqlx::PgConnection::connect(&self.url).await.expect("connect");
                let row = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
                    .fetch_one(&mut c)
                    .await
                    .expect("query");
                row.try_get::<i64, _>(0).expect("integer")
            }
        }
    }

    /// Runs a statement (for tests that set up what a crash would leave).
    pub async fn execute(&self, sql: &str) {
        self.try_execute(sql).await.expect("statement");
    }

    /// Runs a statement that the database may refuse; the refusal's text.
    pub async fn try_execute(&self, sql: &str) -> Result<(), String> {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        let done = match self.backend {
            Backend::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&self.url).await.expect("connect");
                c.execute(sql).await.map(|_| ())
            }
            Backend::Postgres => {
                let mut c = sqlx::PgConnection::connect(&self.url).await.expect("connect");
                c.execute(sql).await.map(|_| ())
            }
        };
        done.map_err(|e| e.to_string())
    }

    /// Every row of every table as text, one line per row prefixed with
    /// its table: for proving that something is gone from all of them.
    pub async fn dump(&self) -> String {
        let mut out = String::new();
        match self.backend {
            Backend::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&self.url).await.expect("connect");
                let tables: Vec<String> =
                    sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
                        .fetch_all(&mut c)
                        .await
                        .expect("tables");
                for table in tables {
                    let cols: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                        "SELECT name FROM pragma_table_info('{table}')"
                    )))
                    .fetch_all(&mut c)
                    .await
                    .expect("columns");
                    let row_text = cols
                        .iter()
                        .map(|col| format!("quote(\"{col}\")"))
                        .collect::<Vec<_>>()
                        .join(" || '|' || ");
                    let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                        "SELECT {row_text} FROM \"{table}\""
                    )))
                    .fetch_all(&mut c)
                    .await
                    .expect("rows");
                    for r in rows {
                        out.push_str(&format!("{table}: {r}\n"));
                    }
                }
            }
            Backend::Postgres => {
                let mut c = sqlx::PgConnection::connect(&self.url).await.expect("connect");
                let tables: Vec<String> = sqlx::query_scalar(
                    "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
                )
                .fetch_all(&mut c)
                .await
                .expect("tables");
                for table in tables {
                    let rows: Vec<String> =
                        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT t::text FROM \"{table}\" t")))
                            .fetch_all(&mut c)
                            .await
                            .expect("rows");
                    for r in rows {
                        out.push_str(&format!("{table}: {r}\n"));
                    }
                }
            }
        }
        out
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else { return };
        // Drop runs outside async: use a short-lived runtime on its own thread.
        let admin = admin_url();
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let mut conn = sqlx::PgConnection::connect(&admin).await.ok()?;
                conn.execute(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .await
                .ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(_))) {
            eprintln!("warning: could not drop a test database");
        }
    }
}
