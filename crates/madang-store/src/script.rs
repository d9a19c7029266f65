//! Several statements written as one: on SQLite a single script sent to
//! the connection's worker in one round trip; on PostgreSQL one statement
//! after another.
//!
//! A value is bound where its placeholder is written, in the order of the
//! text ([`Params`]: anonymous on SQLite, bound in order across the
//! script; numbered from `$1` in each statement on PostgreSQL).

use crate::rows::Params;
use crate::{Backend, Result, StoreError};
use sqlx::any::AnyArguments;
use sqlx::{Any, AnyConnection, Arguments, AssertSqlSafe, Encode, Type};

pub(crate) struct Script {
    backend: Backend,
    /// Finished statements, with their arguments on PostgreSQL.
    done: Vec<(String, AnyArguments)>,
    /// The arguments being gathered (on SQLite: the whole script's).
    args: AnyArguments,
    /// The placeholders of the statement being written.
    params: Params,
}

impl Script {
    pub(crate) fn new(backend: Backend) -> Script {
        Script {
            backend,
            done: Vec::new(),
            args: AnyArguments::default(),
            params: Params::new(backend),
        }
    }

    /// Builds statements with `build` and runs them on `conn`.
    pub(crate) async fn run_on(
        conn: &mut AnyConnection,
        build: impl FnOnce(&mut Script) -> Result<()>,
    ) -> Result<()> {
        let mut script = Script::new(crate::search::backend_of(conn));
        build(&mut script)?;
        script.run(conn).await
    }

    pub(crate) fn backend(&self) -> Backend {
        self.backend
    }

    /// Binds `value` for the statement being written; the placeholder to
    /// write next in its text.
    pub(crate) fn bind<'t, T>(&mut self, value: T) -> Result<String>
    where
        T: Encode<'t, Any> + Type<Any>,
    {
        self.args
            .add(value)
            .map_err(|e| StoreError::Db(sqlx::Error::Encode(e)))?;
        Ok(self.params.one())
    }

    /// Ends a statement whose placeholders came from [`Script::bind`].
    pub(crate) fn push(&mut self, sql: String) {
        self.params = Params::new(self.backend);
        let args = match self.backend {
            Backend::Postgres => std::mem::take(&mut self.args),
            Backend::Sqlite => AnyArguments::default(),
        };
        self.done.push((sql, args));
    }

    /// Runs every statement, in order, in the caller's transaction.
    pub(crate) async fn run(self, conn: &mut AnyConnection) -> Result<()> {
        match self.backend {
            Backend::Sqlite => {
                if self.done.is_empty() {
                    return Ok(());
                }
                let sql = self
                    .done
                    .into_iter()
                    .map(|(sql, _)| sql)
                    .collect::<Vec<_>>()
                    .join(";\n");
                sqlx::query_with(AssertSqlSafe(sql), self.args)
                    .execute(&mut *conn)
                    .await?;
            }
            Backend::Postgres => {
                for (sql, args) in self.done {
                    sqlx::query_with(AssertSqlSafe(sql), args)
                        .execute(&mut *conn)
                        .await?;
                }
            }
        }
        Ok(())
    }
}
