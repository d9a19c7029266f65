//! Host earnings: subscription tiers and subscriptions, the ledger their
//! payments are posted to, and the statements read from it. Ads are in
//! [`ads`]. Each write that moves money posts its ledger transaction in the
//! same database transaction as the row it pays for, so a subscription is
//! never active without its payment on the books, nor the other way round.

mod ads;
mod ledger;

use crate::rows::{flag, i64_col, opt_i64, opt_text, text};
use crate::{Result, SqlStore, StoreError};
use async_trait::async_trait;
use madang_types::{Millis, OpenChatId, TierId, UserId};
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;

pub use ads::{AdRepo, AdRow, ImpressionOutcome, NewAd, PlacementRow};
pub use ledger::{LedgerAudit, NewTxn, Posted, Posting};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TierRow {
    pub id: TierId,
    pub open_chat_id: OpenChatId,
    pub name: String,
    pub description: String,
    pub price: i64,
    pub period_days: i64,
    pub created_at: Millis,
    pub retired_at: Option<Millis>,
}

#[derive(Clone, Debug)]
pub struct NewTier {
    pub open_chat_id: OpenChatId,
    pub name: String,
    pub description: String,
    pub price: i64,
    pub period_days: i64,
    pub at: Millis,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubscriptionRow {
    pub id: i64,
    pub open_chat_id: OpenChatId,
    pub tier_id: TierId,
    pub user_id: UserId,
    pub payment_method: String,
    pub started_at: Millis,
    pub period_end: Millis,
    pub renews: bool,
    pub periods: i64,
    pub ended_reason: Option<String>,
}

/// A first payment: the subscription and the payment's transaction.
#[derive(Clone, Debug)]
pub struct NewSubscription {
    pub open_chat_id: OpenChatId,
    pub tier_id: TierId,
    pub user_id: UserId,
    pub payment_method: String,
    pub period_end: Millis,
    pub payment: NewTxn,
}

/// One line of a statement: an account's entries of one kind, in one open
/// chat and month.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementLine {
    pub open_chat_id: Option<OpenChatId>,
    pub month: String,
    pub kind: String,
    pub count: i64,
    pub amount: i64,
}

#[async_trait]
pub trait SubscriptionRepo: Send + Sync {
    async fn create_tier(&self, new: NewTier) -> Result<TierRow>;
    async fn tier(&self, id: TierId) -> Result<Option<TierRow>>;
    /// An open chat's tiers, cheapest first, retired ones included.
    async fn tiers(&self, chat: OpenChatId) -> Result<Vec<TierRow>>;
    /// True when it was not retired yet.
    async fn retire_tier(&self, id: TierId, at: Millis) -> Result<bool>;
    async fn set_subscription_required(&self, chat: OpenChatId, required: bool) -> Result<()>;
    async fn subscription(&self, chat: OpenChatId, user: UserId) -> Result<Option<SubscriptionRow>>;
    /// Starts (or restarts, after a lapse) `user`'s subscription and posts
    /// its payment. `Conflict("subscription")` when one is active at `at`;
    /// nothing is written then.
    async fn start_subscription(&self, new: NewSubscription) -> Result<SubscriptionRow>;
    /// Stops renewing; paid time stays. True when it was renewing.
    async fn stop_renewing(&self, chat: OpenChatId, user: UserId, reason: &str) -> Result<bool>;
    /// Claims up to `limit` renewing subscriptions due at `now` for this
    /// node until `lease_until`; a node that claims at the same time gets
    /// others.
    async fn claim_due_renewals(
        &self,
        now: Millis,
        lease_until: Millis,
        limit: i64,
    ) -> Result<Vec<SubscriptionRow>>;
    /// Extends a claimed subscription by a paid period and posts its
    /// payment. False (and nothing written) when it changed since the claim.
    async fn renew(&self, sub: &SubscriptionRow, period_end: Millis, payment: NewTxn) -> Result<bool>;
    /// Members of subscription-only open chats whose subscription ended
    /// before `now`, as (room, user); hosts and co-hosts excepted.
    async fn lapsed_members(&self, now: Millis, limit: i64) -> Result<Vec<(madang_types::RoomId, UserId)>>;
    /// Posts a transaction on its own (ad funding, refunds).
    async fn post_txn(&self, txn: NewTxn) -> Result<Posted>;
    async fn balance(&self, account: &str) -> Result<i64>;
    /// An account's entries summed per open chat, month and kind.
    async fn statement(&self, account: &str) -> Result<Vec<StatementLine>>;
    async fn audit_ledger(&self) -> Result<LedgerAudit>;
}

const TIER_COLS: &str = "id, open_chat_id, name, description, price, period_days, created_at, retired_at";
const SUB_COLS: &str = "id, open_chat_id, tier_id, user_id, payment_method, started_at, period_end, renews, \
     periods, ended_reason";

fn tier_row(row: &AnyRow) -> Result<TierRow> {
    Ok(TierRow {
        id: TierId(i64_col(row, "id")?),
        open_chat_id: OpenChatId(i64_col(row, "open_chat_id")?),
        name: text(row, "name")?,
        description: text(row, "description")?,
        price: i64_col(row, "price")?,
        period_days: i64_col(row, "period_days")?,
        created_at: Millis(i64_col(row, "created_at")?),
        retired_at: opt_i64(row, "retired_at")?.map(Millis),
    })
}

fn sub_row(row: &AnyRow) -> Result<SubscriptionRow> {
    Ok(SubscriptionRow {
        id: i64_col(row, "id")?,
        open_chat_id: OpenChatId(i64_col(row, "open_chat_id")?),
        tier_id: TierId(i64_col(row, "tier_id")?),
        user_id: UserId(i64_col(row, "user_id")?),
        payment_method: text(row, "payment_method")?,
        started_at: Millis(i64_col(row, "started_at")?),
        period_end: Millis(i64_col(row, "period_end")?),
        renews: flag(row, "renews")?,
        periods: i64_col(row, "periods")?,
        ended_reason: opt_text(row, "ended_reason")?,
    })
}

#[async_trait]
impl SubscriptionRepo for SqlStore {
    async fn create_tier(&self, t: NewTier) -> Result<TierRow> {
        let sql = format!(
            "INSERT INTO open_tiers (open_chat_id, name, description, price, period_days, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {TIER_COLS}"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(t.open_chat_id.0)
            .bind(&t.name)
            .bind(&t.description)
            .bind(t.price)
            .bind(t.period_days)
            .bind(t.at.0)
            .fetch_one(self.pool())
            .await?;
        tier_row(&row)
    }

    async fn tier(&self, id: TierId) -> Result<Option<TierRow>> {
        let sql = format!("SELECT {TIER_COLS} FROM open_tiers WHERE id = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id.0)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(tier_row).transpose()
    }

    async fn tiers(&self, chat: OpenChatId) -> Result<Vec<TierRow>> {
        let sql = format!("SELECT {TIER_COLS} FROM open_tiers WHERE open_chat_id = $1 ORDER BY price, id");
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(chat.0)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(tier_row).collect()
    }

    async fn retire_tier(&self, id: TierId, at: Millis) -> Result<bool> {
        let done = sqlx::query("UPDATE open_tiers SET retired_at = $2 WHERE id = $1 AND retired_at IS NULL")
            .bind(id.0)
            .bind(at.0)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn set_subscription_required(&self, chat: OpenChatId, required: bool) -> Result<()> {
        sqlx::query("UPDATE open_chats SET subscription_required = $2 WHERE id = $1")
            .bind(chat.0)
            .bind(i64::from(required))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn subscription(&self, chat: OpenChatId, user: UserId) -> Result<Option<SubscriptionRow>> {
        let sql = format!("SELECT {SUB_COLS} FROM subscriptions WHERE open_chat_id = $1 AND user_id = $2");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(chat.0)
            .bind(user.0)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(sub_row).transpose()
    }

    async fn start_subscription(&self, new: NewSubscription) -> Result<SubscriptionRow> {
        let mut tx = self.begin_write().await?;
        let at = new.payment.at;
        // A lapsed row is taken over; an active one refuses.
        let sql = format!(
            "INSERT INTO subscriptions (open_chat_id, tier_id, user_id, payment_method, started_at, period_end, \
             renews, periods) VALUES ($1, $2, $3, $4, $5, $6, 1, 1) \
             ON CONFLICT (open_chat_id, user_id) DO UPDATE SET tier_id = $2, payment_method = $4, \
             started_at = $5, period_end = $6, renews = 1, periods = 1, claimed_until = 0, ended_reason = NULL \
             WHERE subscriptions.period_end <= $5 RETURNING {SUB_COLS}"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(new.open_chat_id.0)
            .bind(new.tier_id.0)
            .bind(new.user_id.0)
            .bind(&new.payment_method)
            .bind(at.0)
            .bind(new.period_end.0)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else {
            return Err(StoreError::Conflict("subscription"));
        };
        if ledger::post(&mut tx, &new.payment).await? == Posted::Repeated {
            return Err(StoreError::Conflict("payment"));
        }
        tx.commit().await?;
        sub_row(&row)
    }

    async fn stop_renewing(&self, chat: OpenChatId, user: UserId, reason: &str) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE subscriptions SET renews = 0, ended_reason = $3 \
             WHERE open_chat_id = $1 AND user_id = $2 AND renews = 1",
        )
        .bind(chat.0)
        .bind(user.0)
        .bind(reason)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn claim_due_renewals(
        &self,
        now: Millis,
        lease_until: Millis,
        limit: i64,
    ) -> Result<Vec<SubscriptionRow>> {
        let lock = self.skip_locked();
        let mut tx = self.begin_write().await?;
        let sql = format!(
            "UPDATE subscriptions SET claimed_until = $2 WHERE id IN (SELECT id FROM subscriptions \
             WHERE renews = 1 AND period_end <= $1 AND claimed_until < $1 ORDER BY period_end LIMIT $3{lock}) \
             RETURNING {SUB_COLS}"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(now.0)
            .bind(lease_until.0)
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        rows.iter().map(sub_row).collect()
    }

    async fn renew(&self, sub: &SubscriptionRow, period_end: Millis, payment: NewTxn) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE subscriptions SET period_end = $3, periods = periods + 1, claimed_until = 0 \
             WHERE id = $1 AND periods = $2 AND renews = 1",
        )
        .bind(sub.id)
        .bind(sub.periods)
        .bind(period_end.0)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        if ledger::post(&mut tx, &payment).await? == Posted::Repeated {
            return Ok(false);
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn lapsed_members(&self, now: Millis, limit: i64) -> Result<Vec<(madang_types::RoomId, UserId)>> {
        let rows = sqlx::query(
            "SELECT m.room_id, m.user_id FROM open_members m \
             JOIN open_chats c ON c.id = m.open_chat_id \
             JOIN subscriptions s ON s.open_chat_id = m.open_chat_id AND s.user_id = m.user_id \
             WHERE c.subscription_required = 1 AND c.closed_at IS NULL AND m.role = 'member' \
             AND s.period_end <= $1 AND s.renews = 0 ORDER BY s.period_end LIMIT $2",
        )
        .bind(now.0)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    madang_types::RoomId(i64_col(r, "room_id")?),
                    UserId(i64_col(r, "user_id")?),
                ))
            })
            .collect()
    }

    async fn post_txn(&self, txn: NewTxn) -> Result<Posted> {
        let mut tx = self.begin_write().await?;
        let posted = ledger::post(&mut tx, &txn).await?;
        tx.commit().await?;
        Ok(posted)
    }

    async fn balance(&self, account: &str) -> Result<i64> {
        let mut conn = self.pool().acquire().await?;
        ledger::balance(&mut conn, account).await
    }

    async fn statement(&self, account: &str) -> Result<Vec<StatementLine>> {
        // SUM of a BIGINT is NUMERIC on PostgreSQL: cast it back.
        let rows = sqlx::query(
            "SELECT t.open_chat_id, t.month, t.kind, COUNT(*) AS n, CAST(SUM(e.amount) AS BIGINT) AS amount \
             FROM ledger_entries e JOIN ledger_txns t ON t.id = e.txn_id \
             JOIN ledger_accounts a ON a.id = e.account_id \
             WHERE a.key = $1 GROUP BY t.open_chat_id, t.month, t.kind \
             ORDER BY t.month DESC, t.open_chat_id, t.kind",
        )
        .bind(account)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StatementLine {
                    open_chat_id: opt_i64(r, "open_chat_id")?.map(OpenChatId),
                    month: text(r, "month")?,
                    kind: text(r, "kind")?,
                    count: i64_col(r, "n")?,
                    amount: i64_col(r, "amount")?,
                })
            })
            .collect()
    }

    async fn audit_ledger(&self) -> Result<LedgerAudit> {
        let mut conn = self.pool().acquire().await?;
        ledger::audit(&mut conn).await
    }
}
