//! Comment threads: a comment is a message of its room with a root (see
//! `messages::append`, which numbers it here). Each member who follows a
//! thread has a cursor in it, a `thread_seq`.

use crate::messages::{MESSAGE_COLS, StoredMessage, message_row};
use crate::rows::{i64_col, opt_i64};
use crate::{Result, SqlStore, StoreError};
use async_trait::async_trait;
use madang_types::{RoomId, Seq, UserId};
use sqlx::{Any, AssertSqlSafe, Transaction};
use std::collections::HashMap;

/// One member's view of a thread. They follow it once they wrote its
/// message, commented or read it; only then do comments by others past
/// their cursor count as unread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThreadMark {
    pub following: bool,
    /// A `thread_seq`; 0 before any read.
    pub read_seq: Seq,
    pub unread: i64,
}

#[async_trait]
pub trait ThreadRepo: Send + Sync {
    /// Comments under `root` with `seq < before`, newest first.
    async fn comments(&self, room: RoomId, root: Seq, before: Seq, limit: i64) -> Result<Vec<StoredMessage>>;
    /// Moves `user`'s cursor in the thread under `root` forward to
    /// `thread_seq` (the caller keeps it within the thread); false when
    /// it was there already.
    async fn read_thread(&self, room: RoomId, root: Seq, user: UserId, thread_seq: Seq) -> Result<bool>;
    /// `user`'s marks in the threads under those of `roots` that have
    /// comments.
    async fn thread_marks(
        &self,
        room: RoomId,
        roots: &[Seq],
        user: UserId,
    ) -> Result<HashMap<Seq, ThreadMark>>;
}

/// Numbers a new comment under `root`, raising the root's count, and moves
/// the writer's thread cursor to it (inside its append, under the room's
/// lock). `Conflict("thread_root")` when the root is gone, hidden, or a
/// comment itself.
pub(crate) async fn next_comment(
    tx: &mut Transaction<'static, Any>,
    room: RoomId,
    root: Seq,
    writer: UserId,
) -> Result<Seq> {
    let row = sqlx::query(
        "UPDATE messages SET comment_count = comment_count + 1 WHERE room_id = $1 AND seq = $2 \
         AND thread_root IS NULL AND deleted_at IS NULL AND hidden_at IS NULL RETURNING comment_count",
    )
    .bind(room.0)
    .bind(root.0)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::Conflict("thread_root"))?;
    let n = Seq(i64_col(&row, "comment_count")?);
    move_cursor(&mut **tx, room, root, writer, n).await?;
    Ok(n)
}

async fn move_cursor<'e, E>(conn: E, room: RoomId, root: Seq, user: UserId, to: Seq) -> Result<bool>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    let done = sqlx::query(
        "INSERT INTO thread_reads (room_id, root_seq, user_id, read_seq) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (room_id, root_seq, user_id) DO UPDATE SET read_seq = excluded.read_seq \
         WHERE thread_reads.read_seq < excluded.read_seq",
    )
    .bind(room.0)
    .bind(root.0)
    .bind(user.0)
    .bind(to.0)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Forgets `user`'s thread cursors in a room they leave.
pub(crate) async fn forget(tx: &mut Transaction<'static, Any>, room: RoomId, user: UserId) -> Result<()> {
    sqlx::query("DELETE FROM thread_reads WHERE room_id = $1 AND user_id = $2")
        .bind(room.0)
        .bind(user.0)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[async_trait]
impl ThreadRepo for SqlStore {
    async fn comments(&self, room: RoomId, root: Seq, before: Seq, limit: i64) -> Result<Vec<StoredMessage>> {
        let sql = format!(
            "SELECT {MESSAGE_COLS} FROM messages WHERE room_id = $1 AND thread_root = $2 AND seq < $3 \
             ORDER BY seq DESC LIMIT $4"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(room.0)
            .bind(root.0)
            .bind(before.0)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(message_row).collect()
    }

    async fn read_thread(&self, room: RoomId, root: Seq, user: UserId, thread_seq: Seq) -> Result<bool> {
        move_cursor(self.pool(), room, root, user, thread_seq).await
    }

    async fn thread_marks(
        &self,
        room: RoomId,
        roots: &[Seq],
        user: UserId,
    ) -> Result<HashMap<Seq, ThreadMark>> {
        if roots.is_empty() {
            return Ok(HashMap::new());
        }
        // Per root with comments: the caller's cursor, whether they wrote
        // it (the stored sender is the account), and the comments by
        // others past the cursor. Neither a deleted nor a hidden comment
        // is news.
        let sql = format!(
            "SELECT r.seq, r.sender_id, t.read_seq, \
               (SELECT COUNT(*) FROM messages x WHERE x.room_id = r.room_id AND x.thread_root = r.seq \
                  AND x.sender_id <> $2 AND x.deleted_at IS NULL AND x.hidden_at IS NULL \
                  AND x.thread_seq > COALESCE(t.read_seq, 0)) AS unread \
             FROM messages r LEFT JOIN thread_reads t \
               ON t.room_id = r.room_id AND t.root_seq = r.seq AND t.user_id = $2 \
             WHERE r.room_id = $1 AND r.comment_count > 0 AND r.seq IN ({})",
            crate::accounts::placeholders(3, roots.len())
        );
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(room.0).bind(user.0);
        for r in roots {
            q = q.bind(r.0);
        }
        let mut marks = HashMap::new();
        for row in q.fetch_all(self.pool()).await? {
            let read_seq = opt_i64(&row, "read_seq")?;
            let following = read_seq.is_some() || i64_col(&row, "sender_id")? == user.0;
            marks.insert(
                Seq(i64_col(&row, "seq")?),
                ThreadMark {
                    following,
                    read_seq: Seq(read_seq.unwrap_or(0)),
                    unread: if following { i64_col(&row, "unread")? } else { 0 },
                },
            );
        }
        Ok(marks)
    }
}
