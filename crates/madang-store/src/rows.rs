//! Small helpers for reading `Any` rows: flags stored as 0/1 integers and
//! JSON columns.

use crate::{Backend, Result, StoreError};
use serde::de::DeserializeOwned;
use sqlx::Row;
use sqlx::any::AnyRow;

pub(crate) fn i64_col(row: &AnyRow, col: &str) -> Result<i64> {
    Ok(row.try_get::<i64, _>(col)?)
}

pub(crate) fn opt_i64(row: &AnyRow, col: &str) -> Result<Option<i64>> {
    Ok(row.try_get::<Option<i64>, _>(col)?)
}

pub(crate) fn text(row: &AnyRow, col: &str) -> Result<String> {
    Ok(row.try_get::<String, _>(col)?)
}

pub(crate) fn opt_text(row: &AnyRow, col: &str) -> Result<Option<String>> {
    Ok(row.try_get::<Option<String>, _>(col)?)
}

pub(crate) fn flag(row: &AnyRow, col: &str) -> Result<bool> {
    Ok(i64_col(row, col)? != 0)
}

pub(crate) fn json<T: DeserializeOwned>(raw: &str) -> Result<T> {
    serde_json::from_str(raw).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Placeholders for the big multi-row statements, numbered in the order
/// they appear: `?` on SQLite, `$n` on PostgreSQL. SQLite looks a `$n`
/// name up by scanning every parameter's name, once per bound value, which
/// is quadratic in a statement of thousands of values; anonymous `?`s are
/// bound by position.
pub(crate) struct Params {
    sqlite: bool,
    next: usize,
}

impl Params {
    pub(crate) fn new(backend: Backend) -> Params {
        Params {
            sqlite: backend == Backend::Sqlite,
            next: 0,
        }
    }

    pub(crate) fn one(&mut self) -> String {
        self.next += 1;
        if self.sqlite {
            "?".to_owned()
        } else {
            format!("${}", self.next)
        }
    }

    /// `(a, b, …)`: `n` of them, for `IN`.
    pub(crate) fn list(&mut self, n: usize) -> String {
        let all: Vec<String> = (0..n).map(|_| self.one()).collect();
        format!("({})", all.join(", "))
    }

    /// `(a, b), (c, d), …`: `rows` tuples of `cols`, for `VALUES`.
    pub(crate) fn tuples(&mut self, rows: usize, cols: usize) -> String {
        (0..rows).map(|_| self.list(cols)).collect::<Vec<_>>().join(", ")
    }
}
