//! Rate limits and flood marks in the database, for nodes that share it
//! (a single node keeps them in memory). The rule's numbers come from the
//! caller; each operation is one atomic statement.

use crate::rows::{flag, i64_col, text};
use crate::{Result, SqlStore};
use async_trait::async_trait;
use madang_types::{Millis, RoomId, UserId};
use sqlx::Row;

/// What a token bucket said to one request.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Taken {
    pub granted: bool,
    /// Tokens left after this request.
    pub tokens: f64,
}

/// One message a member sent in an open chat's room.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FloodMark {
    pub at: Millis,
    pub text_hash: String,
    pub link: bool,
}

#[async_trait]
pub trait LimitRepo: Send + Sync {
    /// Refills `key`'s bucket (`capacity` tokens, one more every
    /// `ms_per_token`) up to `now` and takes a token if there is one. A new
    /// key starts full.
    async fn take_token(&self, key: &str, capacity: f64, ms_per_token: f64, now: Millis) -> Result<Taken>;
    /// What `user` sent in `room` since `since`, oldest first.
    async fn flood_marks(&self, room: RoomId, user: UserId, since: Millis) -> Result<Vec<FloodMark>>;
    async fn add_flood_mark(&self, room: RoomId, user: UserId, mark: &FloodMark) -> Result<()>;
    /// Forgets buckets untouched since `buckets_before` and marks older
    /// than `marks_before`; returns how many rows went.
    async fn forget_limits(&self, buckets_before: Millis, marks_before: Millis) -> Result<u64>;
}

#[async_trait]
impl LimitRepo for SqlStore {
    async fn take_token(&self, key: &str, capacity: f64, ms_per_token: f64, now: Millis) -> Result<Taken> {
        // The refilled count is written out where it is used: SET sees the
        // old row in every expression, on both engines, and neither shares
        // LEAST/GREATEST with the other. A clock that went back refills
        // nothing and keeps the later time.
        const ELAPSED: &str = "(CASE WHEN $3 > rate_buckets.at THEN $3 - rate_buckets.at ELSE 0 END)";
        let grown = format!("rate_buckets.tokens + {ELAPSED} / $4");
        let refilled = format!("(CASE WHEN {grown} > $2 THEN $2 ELSE {grown} END)");
        let sql = format!(
            "INSERT INTO rate_buckets (key, tokens, at, granted) VALUES ($1, $2 - 1.0, $3, 1) \
             ON CONFLICT (key) DO UPDATE SET \
             tokens = CASE WHEN {refilled} >= 1.0 THEN {refilled} - 1.0 ELSE {refilled} END, \
             granted = CASE WHEN {refilled} >= 1.0 THEN 1 ELSE 0 END, \
             at = CASE WHEN $3 > rate_buckets.at THEN $3 ELSE rate_buckets.at END \
             RETURNING tokens, granted"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(key)
            .bind(capacity)
            .bind(now.0)
            .bind(ms_per_token)
            .fetch_one(self.pool())
            .await?;
        Ok(Taken {
            granted: flag(&row, "granted")?,
            tokens: row.try_get::<f64, _>("tokens")?,
        })
    }

    async fn flood_marks(&self, room: RoomId, user: UserId, since: Millis) -> Result<Vec<FloodMark>> {
        let rows = sqlx::query(
            "SELECT at, text_hash, link FROM flood_marks \
             WHERE room_id = $1 AND user_id = $2 AND at > $3 ORDER BY at",
        )
        .bind(room.0)
        .bind(user.0)
        .bind(since.0)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(FloodMark {
                    at: Millis(i64_col(r, "at")?),
                    text_hash: text(r, "text_hash")?,
                    link: flag(r, "link")?,
                })
            })
            .collect()
    }

    async fn add_flood_mark(&self, room: RoomId, user: UserId, mark: &FloodMark) -> Result<()> {
        sqlx::query(
            "INSERT INTO flood_marks (room_id, user_id, at, text_hash, link) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(room.0)
        .bind(user.0)
        .bind(mark.at.0)
        .bind(&mark.text_hash)
        .bind(i64::from(mark.link))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn forget_limits(&self, buckets_before: Millis, marks_before: Millis) -> Result<u64> {
        let buckets = sqlx::query("DELETE FROM rate_buckets WHERE at < $1")
            .bind(buckets_before.0)
            .execute(self.pool())
            .await?;
        let marks = sqlx::query("DELETE FROM flood_marks WHERE at < $1")
            .bind(marks_before.0)
            .execute(self.pool())
            .await?;
        Ok(buckets.rows_affected() + marks.rows_affected())
    }
}
