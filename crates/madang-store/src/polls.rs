//! Polls: written with their message (see `messages::append`), votes kept
//! by the voter's room identity. A vote replaces the voter's previous one
//! under the poll row's lock, and is refused once the poll is closed.

use crate::rows::{flag, i64_col, json, opt_i64, to_json};
use crate::{Result, SqlStore, StoreError};
use async_trait::async_trait;
use madang_types::{Millis, RoomId, Seq, UserId};
use sqlx::{Any, AssertSqlSafe, Transaction};

/// A poll to write with its message.
#[derive(Clone, Debug, PartialEq)]
pub struct NewPoll {
    pub options: Vec<String>,
    pub multiple: bool,
    pub anonymous: bool,
    pub closes_at: Option<Millis>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PollRow {
    pub options: Vec<String>,
    pub multiple: bool,
    pub anonymous: bool,
    pub closes_at: Option<Millis>,
    pub closed_at: Option<Millis>,
    /// (voter, option index), by option then voter.
    pub votes: Vec<(UserId, u32)>,
}

impl PollRow {
    pub fn closed(&self, now: Millis) -> bool {
        self.closed_at.is_some() || self.closes_at.is_some_and(|at| at <= now)
    }
}

#[async_trait]
pub trait PollRepo: Send + Sync {
    async fn poll(&self, room: RoomId, seq: Seq) -> Result<Option<PollRow>>;
    /// Replaces `voter`'s vote with `options` (none: takes it back).
    /// `NotFound` for no poll, `Conflict("poll_closed")` once closed.
    async fn vote_poll(
        &self,
        room: RoomId,
        seq: Seq,
        voter: UserId,
        options: &[u32],
        now: Millis,
    ) -> Result<()>;
    /// Closes it now; false when it already was.
    async fn close_poll(&self, room: RoomId, seq: Seq, now: Millis) -> Result<bool>;
}

/// Writes the poll of the message at `seq` (inside its append).
pub(crate) async fn insert(
    tx: &mut Transaction<'static, Any>,
    room: RoomId,
    seq: Seq,
    poll: &NewPoll,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO polls (room_id, seq, options, multiple, anonymous, closes_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(room.0)
    .bind(seq.0)
    .bind(to_json(&poll.options)?)
    .bind(i64::from(poll.multiple))
    .bind(i64::from(poll.anonymous))
    .bind(poll.closes_at.map(|m| m.0))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[async_trait]
impl PollRepo for SqlStore {
    async fn poll(&self, room: RoomId, seq: Seq) -> Result<Option<PollRow>> {
        let mut tx = self.begin_snapshot().await?;
        let found = sqlx::query(
            "SELECT options, multiple, anonymous, closes_at, closed_at FROM polls WHERE room_id = $1 AND seq = $2",
        )
        .bind(room.0)
        .bind(seq.0)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(r) = found else {
            return Ok(None);
        };
        let votes = sqlx::query(
            "SELECT voter_id, option_index FROM poll_votes WHERE room_id = $1 AND seq = $2 \
             ORDER BY option_index, voted_at, voter_id",
        )
        .bind(room.0)
        .bind(seq.0)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let options: Vec<String> = json(&crate::rows::text(&r, "options")?)?;
        Ok(Some(PollRow {
            options,
            multiple: flag(&r, "multiple")?,
            anonymous: flag(&r, "anonymous")?,
            closes_at: opt_i64(&r, "closes_at")?.map(Millis),
            closed_at: opt_i64(&r, "closed_at")?.map(Millis),
            votes: votes
                .iter()
                .map(|v| {
                    let index = u32::try_from(i64_col(v, "option_index")?)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    Ok((UserId(i64_col(v, "voter_id")?), index))
                })
                .collect::<Result<_>>()?,
        }))
    }

    async fn vote_poll(
        &self,
        room: RoomId,
        seq: Seq,
        voter: UserId,
        options: &[u32],
        now: Millis,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let sql = format!(
            "SELECT closes_at, closed_at FROM polls WHERE room_id = $1 AND seq = $2{}",
            self.for_update()
        );
        let poll = sqlx::query(AssertSqlSafe(sql))
            .bind(room.0)
            .bind(seq.0)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let closed = opt_i64(&poll, "closed_at")?.is_some()
            || opt_i64(&poll, "closes_at")?.is_some_and(|at| at <= now.0);
        if closed {
            return Err(StoreError::Conflict("poll_closed"));
        }
        sqlx::query("DELETE FROM poll_votes WHERE room_id = $1 AND seq = $2 AND voter_id = $3")
            .bind(room.0)
            .bind(seq.0)
            .bind(voter.0)
            .execute(&mut *tx)
            .await?;
        for option in options {
            sqlx::query(
                "INSERT INTO poll_votes (room_id, seq, voter_id, option_index, voted_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(room.0)
            .bind(seq.0)
            .bind(voter.0)
            .bind(i64::from(*option))
            .bind(now.0)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn close_poll(&self, room: RoomId, seq: Seq, now: Millis) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE polls SET closed_at = $3 WHERE room_id = $1 AND seq = $2 AND closed_at IS NULL",
        )
        .bind(room.0)
        .bind(seq.0)
        .bind(now.0)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
