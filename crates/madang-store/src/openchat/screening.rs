//! Spam screening's rows: the operator's labelled examples, each open
//! chat's setting, and the messages screening hid until a host decides.

use super::moderation::hide_in;
use crate::rows::{i64_col, opt_i64, opt_text, text};
use crate::{Result, SqlStore, StoreError};
use async_trait::async_trait;
use madang_types::events::RoomEvent;
use madang_types::openchat::{FlagReason, FlagVerdict, Screening};
use madang_types::{Millis, OpenChatId, RoomId, Seq, UserId};
use sqlx::{AnyConnection, AssertSqlSafe, Row};

/// A message the operator labelled: spam, or fine (so that screening
/// learns where the line is).
#[derive(Clone, Debug, PartialEq)]
pub struct SpamExample {
    pub id: i64,
    pub text: String,
    pub spam: bool,
    pub added_at: Millis,
}

/// Screening's decision to hide a message.
#[derive(Clone, Debug)]
pub struct NewFlag {
    pub room: RoomId,
    pub seq: Seq,
    pub chat: OpenChatId,
    pub reason: FlagReason,
    pub score: Option<f32>,
    /// The screening account, as the `hidden` event's actor.
    pub by: UserId,
    pub at: Millis,
}

/// A flagged message waiting for review, with what the host needs to see.
#[derive(Clone, Debug, PartialEq)]
pub struct FlagRow {
    pub room: RoomId,
    pub seq: Seq,
    pub sender_shown: UserId,
    /// Their nickname in the room; empty once they left.
    pub nickname: String,
    pub text: String,
    pub reason: FlagReason,
    pub score: Option<f32>,
    pub flagged_at: Millis,
}

#[async_trait]
pub trait ScreeningRepo: Send + Sync {
    /// Labels a text (again, if it was labelled before); returns its id.
    async fn label_example(&self, text: &str, spam: bool, at: Millis) -> Result<i64>;
    /// True when there was such an example.
    async fn remove_example(&self, id: i64) -> Result<bool>;
    /// Every example, oldest first.
    async fn examples(&self) -> Result<Vec<SpamExample>>;
    async fn set_screening(&self, chat: OpenChatId, mode: Screening) -> Result<()>;
    /// Hides the message as the screening account and records why, in one
    /// transaction; `None` (and nothing recorded) when it is already hidden
    /// or deleted.
    async fn flag_message(&self, flag: NewFlag) -> Result<Option<RoomEvent>>;
    /// Flags of an open chat still waiting for a host, newest first.
    async fn pending_flags(&self, chat: OpenChatId, limit: i64) -> Result<Vec<FlagRow>>;
    /// How many flags in an open chat wait for review (those
    /// `pending_flags` lists, without the limit).
    async fn pending_flag_count(&self, chat: OpenChatId) -> Result<i64>;
    /// Settles a pending flag as spam (the message stays hidden); false
    /// when there is none.
    async fn confirm_flag(&self, room: RoomId, seq: Seq, at: Millis) -> Result<bool>;
}

/// Settles the pending flag on a message, if there is one.
pub(super) async fn settle_flag(
    conn: &mut AnyConnection,
    room: RoomId,
    seq: Seq,
    verdict: FlagVerdict,
    at: Millis,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE flagged_messages SET verdict = $3, reviewed_at = $4 \
         WHERE room_id = $1 AND seq = $2 AND verdict IS NULL",
    )
    .bind(room.0)
    .bind(seq.0)
    .bind(verdict.as_str())
    .bind(at.0)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// The flags of open chat `$1` that wait for review, with their messages
/// (and the sender's nickname): what `pending_flags` lists and
/// `pending_flag_count` counts.
const PENDING: &str = "FROM flagged_messages f \
     JOIN messages m ON m.room_id = f.room_id AND m.seq = f.seq \
     LEFT JOIN open_members o ON o.room_id = m.room_id AND o.user_id = m.sender_id \
     WHERE f.open_chat_id = $1 AND f.verdict IS NULL AND m.deleted_at IS NULL";

#[async_trait]
impl ScreeningRepo for SqlStore {
    async fn label_example(&self, text: &str, spam: bool, at: Millis) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO spam_examples (text, spam, added_at) VALUES ($1, $2, $3) \
             ON CONFLICT (text) DO UPDATE SET spam = excluded.spam, added_at = excluded.added_at RETURNING id",
        )
        .bind(text)
        .bind(i64::from(spam))
        .bind(at.0)
        .fetch_one(self.pool())
        .await?;
        i64_col(&row, "id")
    }

    async fn remove_example(&self, id: i64) -> Result<bool> {
        let done = sqlx::query("DELETE FROM spam_examples WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn examples(&self) -> Result<Vec<SpamExample>> {
        let rows = sqlx::query("SELECT id, text, spam, added_at FROM spam_examples ORDER BY id")
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(SpamExample {
                    id: i64_col(r, "id")?,
                    text: text(r, "text")?,
                    spam: i64_col(r, "spam")? != 0,
                    added_at: Millis(i64_col(r, "added_at")?),
                })
            })
            .collect()
    }

    async fn set_screening(&self, chat: OpenChatId, mode: Screening) -> Result<()> {
        sqlx::query("UPDATE open_chats SET screening = $2 WHERE id = $1")
            .bind(chat.0)
            .bind(mode.as_str())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn flag_message(&self, flag: NewFlag) -> Result<Option<RoomEvent>> {
        let mut tx = self.begin_write().await?;
        let Some(event) = hide_in(&mut tx, flag.room, flag.seq, flag.by, flag.at).await? else {
            return Ok(None);
        };
        sqlx::query(
            "INSERT INTO flagged_messages (room_id, seq, open_chat_id, reason, score, flagged_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (room_id, seq) DO UPDATE SET reason = excluded.reason, score = excluded.score, \
             flagged_at = excluded.flagged_at, verdict = NULL, reviewed_at = NULL",
        )
        .bind(flag.room.0)
        .bind(flag.seq.0)
        .bind(flag.chat.0)
        .bind(flag.reason.as_str())
        .bind(flag.score.map(f64::from))
        .bind(flag.at.0)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(event))
    }

    async fn pending_flag_count(&self, chat: OpenChatId) -> Result<i64> {
        let row = sqlx::query(AssertSqlSafe(format!("SELECT COUNT(*) AS n {PENDING}")))
            .bind(chat.0)
            .fetch_one(self.pool())
            .await?;
        i64_col(&row, "n")
    }

    async fn pending_flags(&self, chat: OpenChatId, limit: i64) -> Result<Vec<FlagRow>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT f.room_id, f.seq, f.reason, f.score, f.flagged_at, m.shown_id, m.text, o.nickname \
             {PENDING} ORDER BY f.flagged_at DESC, f.seq DESC LIMIT $2"
        )))
        .bind(chat.0)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let reason = text(r, "reason")?;
                Ok(FlagRow {
                    room: RoomId(i64_col(r, "room_id")?),
                    seq: Seq(i64_col(r, "seq")?),
                    sender_shown: UserId(opt_i64(r, "shown_id")?.unwrap_or_default()),
                    nickname: opt_text(r, "nickname")?.unwrap_or_default(),
                    text: text(r, "text")?,
                    reason: FlagReason::parse(&reason)
                        .ok_or_else(|| StoreError::Corrupt(format!("flag reason {reason:?}")))?,
                    score: r.try_get::<Option<f64>, _>("score")?.map(|s| s as f32),
                    flagged_at: Millis(i64_col(r, "flagged_at")?),
                })
            })
            .collect()
    }

    async fn confirm_flag(&self, room: RoomId, seq: Seq, at: Millis) -> Result<bool> {
        let mut conn = self.pool().acquire().await?;
        settle_flag(&mut conn, room, seq, FlagVerdict::Spam, at).await
    }
}
