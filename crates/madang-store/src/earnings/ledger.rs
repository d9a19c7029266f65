//! The money ledger: double-entry and append-only.
//!
//! A transaction is a set of postings that sum to zero; each posting moves
//! one account's balance and leaves one entry. Entries and transactions are
//! only ever inserted (the schema's triggers refuse updates and deletes).
//! An account's `balance` column caches the sum of its entries and is moved
//! in the same database transaction, under a guard, so an account that may
//! not go negative (an ad's prepaid budget) is never overdrawn, whatever
//! the concurrency.

use crate::rows::{i64_col, text};
use crate::{Result, StoreError};
use madang_types::{Millis, OpenChatId};
use sqlx::AnyConnection;

/// One side of a transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Posting {
    /// The account's key, e.g. `host:42`; created on first use.
    pub account: String,
    /// Whether the account may go below zero (a payment provider's
    /// clearing account may; a prepaid budget may not).
    pub may_go_negative: bool,
    pub amount: i64,
}

/// A transaction to post.
#[derive(Clone, Debug)]
pub struct NewTxn {
    /// `subscription`, `ad_impression`, `ad_click`, `ad_funding`, `refund`.
    pub kind: &'static str,
    /// Posting a transaction with a key already used is a no-op.
    pub idempotency_key: Option<String>,
    pub open_chat_id: Option<OpenChatId>,
    /// `YYYY-MM`, for statements.
    pub month: String,
    pub memo: String,
    pub postings: Vec<Posting>,
    pub at: Millis,
}

/// What posting did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Posted {
    Done,
    /// Its idempotency key was used before: nothing was written.
    Repeated,
}

/// The ledger's self-check: every transaction sums to zero and every
/// cached balance equals the sum of its entries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LedgerAudit {
    pub transactions: i64,
    pub entries: i64,
    /// Transactions whose entries do not sum to zero.
    pub unbalanced: Vec<i64>,
    /// Accounts whose balance differs from the sum of their entries.
    pub mismatched: Vec<String>,
}

impl LedgerAudit {
    pub fn is_clean(&self) -> bool {
        self.unbalanced.is_empty() && self.mismatched.is_empty()
    }
}

/// Posts `txn` inside the caller's transaction. `Overdrawn` when an
/// account that may not go negative would; the caller's transaction must
/// then be dropped (nothing of it is kept).
pub(crate) async fn post(conn: &mut AnyConnection, txn: &NewTxn) -> Result<Posted> {
    let sum: i128 = txn.postings.iter().map(|p| i128::from(p.amount)).sum();
    if sum != 0 || txn.postings.len() < 2 {
        return Err(StoreError::Corrupt(format!(
            "ledger transaction {:?} does not balance ({sum} over {} postings)",
            txn.kind,
            txn.postings.len()
        )));
    }
    let row = sqlx::query(
        "INSERT INTO ledger_txns (kind, idempotency_key, open_chat_id, month, memo, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
    )
    .bind(txn.kind)
    .bind(txn.idempotency_key.as_deref())
    .bind(txn.open_chat_id.map(|c| c.0))
    .bind(&txn.month)
    .bind(&txn.memo)
    .bind(txn.at.0)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(Posted::Repeated);
    };
    let txn_id = i64_col(&row, "id")?;
    for p in &txn.postings {
        let account = account_id(conn, &p.account, p.may_go_negative, txn.at).await?;
        let moved = sqlx::query(
            "UPDATE ledger_accounts SET balance = balance + $2 \
             WHERE id = $1 AND (may_go_negative = 1 OR balance + $2 >= 0)",
        )
        .bind(account)
        .bind(p.amount)
        .execute(&mut *conn)
        .await?;
        if moved.rows_affected() != 1 {
            return Err(StoreError::Overdrawn);
        }
        sqlx::query("INSERT INTO ledger_entries (txn_id, account_id, amount) VALUES ($1, $2, $3)")
            .bind(txn_id)
            .bind(account)
            .bind(p.amount)
            .execute(&mut *conn)
            .await?;
    }
    Ok(Posted::Done)
}

/// The id of the account with `key`, created if new.
pub(crate) async fn account_id(
    conn: &mut AnyConnection,
    key: &str,
    may_go_negative: bool,
    at: Millis,
) -> Result<i64> {
    sqlx::query(
        "INSERT INTO ledger_accounts (key, may_go_negative, balance, created_at) VALUES ($1, $2, 0, $3) \
         ON CONFLICT (key) DO NOTHING",
    )
    .bind(key)
    .bind(i64::from(may_go_negative))
    .bind(at.0)
    .execute(&mut *conn)
    .await?;
    let row = sqlx::query("SELECT id FROM ledger_accounts WHERE key = $1")
        .bind(key)
        .fetch_one(&mut *conn)
        .await?;
    i64_col(&row, "id")
}

pub(crate) async fn balance(conn: &mut AnyConnection, key: &str) -> Result<i64> {
    let row = sqlx::query("SELECT balance FROM ledger_accounts WHERE key = $1")
        .bind(key)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|r| i64_col(&r, "balance")).transpose()?.unwrap_or(0))
}

pub(crate) async fn audit(conn: &mut AnyConnection) -> Result<LedgerAudit> {
    let counts = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM ledger_txns) AS txns, (SELECT COUNT(*) FROM ledger_entries) AS entries",
    )
    .fetch_one(&mut *conn)
    .await?;
    let unbalanced = sqlx::query(
        "SELECT t.id FROM ledger_txns t LEFT JOIN ledger_entries e ON e.txn_id = t.id \
         GROUP BY t.id HAVING COALESCE(SUM(e.amount), 0) <> 0 OR COUNT(e.id) < 2 ORDER BY t.id",
    )
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| i64_col(r, "id"))
    .collect::<Result<_>>()?;
    let mismatched = sqlx::query(
        "SELECT a.key FROM ledger_accounts a LEFT JOIN ledger_entries e ON e.account_id = a.id \
         GROUP BY a.id, a.key, a.balance HAVING a.balance <> COALESCE(SUM(e.amount), 0) ORDER BY a.key",
    )
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| text(r, "key"))
    .collect::<Result<_>>()?;
    Ok(LedgerAudit {
        transactions: i64_col(&counts, "txns")?,
        entries: i64_col(&counts, "entries")?,
        unbalanced,
        mismatched,
    })
}
