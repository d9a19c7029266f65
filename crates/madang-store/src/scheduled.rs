//! Scheduled messages: rows waiting for their time, claimed by one node
//! at a time (a lease in `claimed_until`, taken with `SKIP LOCKED` on
//! PostgreSQL, under SQLite's single writer otherwise) and finished as
//! sent, cancelled or failed. Only a pending row that no node holds may
//! be edited or cancelled.

use crate::rows::{i64_col, json, opt_i64, opt_text, text, to_json};
use crate::{Result, SqlStore, StoreError};
use async_trait::async_trait;
use madang_types::scheduled::ScheduledState;
use madang_types::{DeviceId, MediaId, Millis, RoomId, ScheduledId, Seq, UserId};
use sqlx::any::AnyRow;
use sqlx::{Any, AssertSqlSafe, Transaction};

#[derive(Clone, Debug, PartialEq)]
pub struct ScheduledRow {
    pub id: ScheduledId,
    pub room_id: RoomId,
    pub user_id: UserId,
    /// The device that wrote it: the send goes out as from it.
    pub device_id: DeviceId,
    pub client_id: String,
    pub text: String,
    pub reply_to: Option<Seq>,
    pub mentions: Vec<UserId>,
    pub attachment: Option<MediaId>,
    pub send_at: Millis,
    pub state: ScheduledState,
    pub reason: Option<String>,
    pub sent_seq: Option<Seq>,
    pub created_at: Millis,
}

#[derive(Clone, Debug)]
pub struct NewScheduled {
    pub room_id: RoomId,
    pub user_id: UserId,
    pub device_id: DeviceId,
    /// Unguessable: the send's idempotency key.
    pub client_id: String,
    pub text: String,
    pub reply_to: Option<Seq>,
    pub mentions: Vec<UserId>,
    pub attachment: Option<MediaId>,
    pub send_at: Millis,
    pub at: Millis,
}

#[async_trait]
pub trait ScheduledRepo: Send + Sync {
    /// Stores it pending; `None` when the writer already has
    /// `max_pending` pending.
    async fn schedule(&self, new: NewScheduled, max_pending: i64) -> Result<Option<ScheduledRow>>;
    /// `user`'s pending messages (in `room`, or all), by time, and those
    /// cancelled or failed since `ended_since`.
    async fn scheduled_of(
        &self,
        user: UserId,
        room: Option<RoomId>,
        ended_since: Option<Millis>,
    ) -> Result<Vec<ScheduledRow>>;
    /// Changes a pending one no node holds: `NotFound` when it is not
    /// `user`'s, `Conflict("not_pending")` when it is no longer pending.
    async fn update_scheduled(
        &self,
        user: UserId,
        id: ScheduledId,
        text: Option<&str>,
        send_at: Option<Millis>,
        now: Millis,
    ) -> Result<ScheduledRow>;
    /// Cancels a pending one no node holds; errors as `update_scheduled`.
    async fn cancel_scheduled(
        &self,
        user: UserId,
        id: ScheduledId,
        reason: &str,
        now: Millis,
    ) -> Result<ScheduledRow>;
    /// Cancels every pending one of `user` in `room` (they left it).
    async fn cancel_room_scheduled(
        &self,
        user: UserId,
        room: RoomId,
        reason: &str,
        now: Millis,
    ) -> Result<Vec<ScheduledRow>>;
    /// Claims up to `limit` due ones until `lease_until`.
    async fn claim_due_scheduled(
        &self,
        now: Millis,
        lease_until: Millis,
        limit: i64,
    ) -> Result<Vec<ScheduledRow>>;
    /// Claims one of `user`'s to send now; errors as `update_scheduled`.
    async fn claim_scheduled(
        &self,
        user: UserId,
        id: ScheduledId,
        now: Millis,
        lease_until: Millis,
    ) -> Result<ScheduledRow>;
    /// Ends a claimed one as sent, cancelled or failed.
    async fn finish_scheduled(
        &self,
        id: ScheduledId,
        state: ScheduledState,
        sent_seq: Option<Seq>,
        reason: Option<&str>,
        now: Millis,
    ) -> Result<ScheduledRow>;
    /// Lets a claimed one go, to be tried again from `retry_at`.
    async fn release_scheduled(&self, id: ScheduledId, retry_at: Millis) -> Result<()>;
}

const COLS: &str = "id, room_id, user_id, device_id, client_id, text, reply_to, mentions, attachment, \
     send_at, state, reason, sent_seq, created_at";

fn row(r: &AnyRow) -> Result<ScheduledRow> {
    let state = text(r, "state")?;
    Ok(ScheduledRow {
        id: ScheduledId(i64_col(r, "id")?),
        room_id: RoomId(i64_col(r, "room_id")?),
        user_id: UserId(i64_col(r, "user_id")?),
        device_id: DeviceId(i64_col(r, "device_id")?),
        client_id: text(r, "client_id")?,
        text: text(r, "text")?,
        reply_to: opt_i64(r, "reply_to")?.map(Seq),
        mentions: json(&text(r, "mentions")?)?,
        attachment: opt_text(r, "attachment")?.map(MediaId),
        send_at: Millis(i64_col(r, "send_at")?),
        state: ScheduledState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("scheduled state {state}")))?,
        reason: opt_text(r, "reason")?,
        sent_seq: opt_i64(r, "sent_seq")?.map(Seq),
        created_at: Millis(i64_col(r, "created_at")?),
    })
}

/// The row `id` of `user`, locked for the transaction, if it is pending
/// and no node holds it.
async fn editable(
    store: &SqlStore,
    tx: &mut Transaction<'static, Any>,
    user: UserId,
    id: ScheduledId,
    now: Millis,
) -> Result<ScheduledRow> {
    let sql = format!(
        "SELECT {COLS}, claimed_until FROM scheduled_messages WHERE id = $1 AND user_id = $2{}",
        store.for_update()
    );
    let found = sqlx::query(AssertSqlSafe(sql))
        .bind(id.0)
        .bind(user.0)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::NotFound)?;
    let held = opt_i64(&found, "claimed_until")?.is_some_and(|until| until > now.0);
    let r = row(&found)?;
    if r.state != ScheduledState::Pending || held {
        return Err(StoreError::Conflict("not_pending"));
    }
    Ok(r)
}

async fn reread(tx: &mut Transaction<'static, Any>, id: ScheduledId) -> Result<ScheduledRow> {
    let sql = format!("SELECT {COLS} FROM scheduled_messages WHERE id = $1");
    let found = sqlx::query(AssertSqlSafe(sql))
        .bind(id.0)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::NotFound)?;
    row(&found)
}

#[async_trait]
impl ScheduledRepo for SqlStore {
    async fn schedule(&self, new: NewScheduled, max_pending: i64) -> Result<Option<ScheduledRow>> {
        let mut tx = self.begin_write().await?;
        self.lock_user(&mut tx, new.user_id).await?;
        let pending = sqlx::query(
            "SELECT COUNT(*) AS n FROM scheduled_messages WHERE user_id = $1 AND state = 'pending'",
        )
        .bind(new.user_id.0)
        .fetch_one(&mut *tx)
        .await?;
        if i64_col(&pending, "n")? >= max_pending {
            return Ok(None);
        }
        let sql = format!(
            "INSERT INTO scheduled_messages (room_id, user_id, device_id, client_id, text, reply_to, mentions, \
             attachment, send_at, state, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10, $10) RETURNING {COLS}"
        );
        let made = sqlx::query(AssertSqlSafe(sql))
            .bind(new.room_id.0)
            .bind(new.user_id.0)
            .bind(new.device_id.0)
            .bind(&new.client_id)
            .bind(&new.text)
            .bind(new.reply_to.map(|s| s.0))
            .bind(to_json(&new.mentions)?)
            .bind(new.attachment.map(|m| m.0))
            .bind(new.send_at.0)
            .bind(new.at.0)
            .fetch_one(&mut *tx)
            .await?;
        let made = row(&made)?;
        tx.commit().await?;
        Ok(Some(made))
    }

    async fn scheduled_of(
        &self,
        user: UserId,
        room: Option<RoomId>,
        ended_since: Option<Millis>,
    ) -> Result<Vec<ScheduledRow>> {
        let sql = format!(
            "SELECT {COLS} FROM scheduled_messages WHERE user_id = $1 \
             AND ($2 IS NULL OR room_id = $2) \
             AND (state = 'pending' OR ($3 IS NOT NULL AND state IN ('cancelled', 'failed') AND updated_at >= $3)) \
             ORDER BY send_at, id"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(user.0)
            .bind(room.map(|r| r.0))
            .bind(ended_since.map(|m| m.0))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(row).collect()
    }

    async fn update_scheduled(
        &self,
        user: UserId,
        id: ScheduledId,
        text: Option<&str>,
        send_at: Option<Millis>,
        now: Millis,
    ) -> Result<ScheduledRow> {
        let mut tx = self.begin_write().await?;
        editable(self, &mut tx, user, id, now).await?;
        sqlx::query(
            "UPDATE scheduled_messages SET text = COALESCE($2, text), send_at = COALESCE($3, send_at), \
             updated_at = $4 WHERE id = $1",
        )
        .bind(id.0)
        .bind(text)
        .bind(send_at.map(|m| m.0))
        .bind(now.0)
        .execute(&mut *tx)
        .await?;
        let fresh = reread(&mut tx, id).await?;
        tx.commit().await?;
        Ok(fresh)
    }

    async fn cancel_scheduled(
        &self,
        user: UserId,
        id: ScheduledId,
        reason: &str,
        now: Millis,
    ) -> Result<ScheduledRow> {
        let mut tx = self.begin_write().await?;
        editable(self, &mut tx, user, id, now).await?;
        sqlx::query(
            "UPDATE scheduled_messages SET state = 'cancelled', reason = $2, updated_at = $3 WHERE id = $1",
        )
        .bind(id.0)
        .bind(reason)
        .bind(now.0)
        .execute(&mut *tx)
        .await?;
        let fresh = reread(&mut tx, id).await?;
        tx.commit().await?;
        Ok(fresh)
    }

    async fn cancel_room_scheduled(
        &self,
        user: UserId,
        room: RoomId,
        reason: &str,
        now: Millis,
    ) -> Result<Vec<ScheduledRow>> {
        let sql = format!(
            "UPDATE scheduled_messages SET state = 'cancelled', reason = $3, updated_at = $4 \
             WHERE user_id = $1 AND room_id = $2 AND state = 'pending' RETURNING {COLS}"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(user.0)
            .bind(room.0)
            .bind(reason)
            .bind(now.0)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(row).collect()
    }

    async fn claim_due_scheduled(
        &self,
        now: Millis,
        lease_until: Millis,
        limit: i64,
    ) -> Result<Vec<ScheduledRow>> {
        let mut tx = self.begin_write().await?;
        let sql = format!(
            "SELECT id FROM scheduled_messages WHERE state = 'pending' AND send_at <= $1 \
             AND (claimed_until IS NULL OR claimed_until <= $1) ORDER BY send_at, id LIMIT $2{}",
            self.skip_locked()
        );
        let ids: Vec<i64> = sqlx::query(AssertSqlSafe(sql))
            .bind(now.0)
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| i64_col(r, "id"))
            .collect::<Result<_>>()?;
        let mut claimed = Vec::with_capacity(ids.len());
        for id in ids {
            let sql =
                format!("UPDATE scheduled_messages SET claimed_until = $2 WHERE id = $1 RETURNING {COLS}");
            let r = sqlx::query(AssertSqlSafe(sql))
                .bind(id)
                .bind(lease_until.0)
                .fetch_one(&mut *tx)
                .await?;
            claimed.push(row(&r)?);
        }
        tx.commit().await?;
        Ok(claimed)
    }

    async fn claim_scheduled(
        &self,
        user: UserId,
        id: ScheduledId,
        now: Millis,
        lease_until: Millis,
    ) -> Result<ScheduledRow> {
        let mut tx = self.begin_write().await?;
        editable(self, &mut tx, user, id, now).await?;
        sqlx::query("UPDATE scheduled_messages SET claimed_until = $2 WHERE id = $1")
            .bind(id.0)
            .bind(lease_until.0)
            .execute(&mut *tx)
            .await?;
        let fresh = reread(&mut tx, id).await?;
        tx.commit().await?;
        Ok(fresh)
    }

    async fn finish_scheduled(
        &self,
        id: ScheduledId,
        state: ScheduledState,
        sent_seq: Option<Seq>,
        reason: Option<&str>,
        now: Millis,
    ) -> Result<ScheduledRow> {
        let sql = format!(
            "UPDATE scheduled_messages SET state = $2, sent_seq = $3, reason = $4, claimed_until = NULL, \
             updated_at = $5 WHERE id = $1 RETURNING {COLS}"
        );
        let r = sqlx::query(AssertSqlSafe(sql))
            .bind(id.0)
            .bind(state.as_str())
            .bind(sent_seq.map(|s| s.0))
            .bind(reason)
            .bind(now.0)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        row(&r)
    }

    async fn release_scheduled(&self, id: ScheduledId, retry_at: Millis) -> Result<()> {
        sqlx::query("UPDATE scheduled_messages SET claimed_until = $2 WHERE id = $1")
            .bind(id.0)
            .bind(retry_at.0)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
