//! History carried in and out. Imported from another messenger's export:
//! written in one transaction below the room's first live seq, so nothing
//! about it is new to anyone (no event, no push, no unread), and found
//! again by the chat's hash so the same chat is never written twice.
//! Exported: jobs any node claims, with their progress and their file's
//! place until it expires.

use crate::messages::{MESSAGE_COLS, StoredMessage, message_row};
use crate::rows::{Params, i64_col, opt_i64, opt_text, text, to_json};
use crate::{Result, SqlStore, StoreError, conflict};
use async_trait::async_trait;
use madang_types::api::{Attachment, MessageKind};
use madang_types::history::{ExportKind, ExportState};
use madang_types::{Millis, RoomId, Seq, UserId};
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;

/// Messages written by one statement.
const CHUNK: usize = 200;

#[derive(Clone, Debug, PartialEq)]
pub struct ImportRow {
    pub id: i64,
    pub user_id: UserId,
    pub sha256: String,
    pub room_id: RoomId,
    pub format: String,
    pub messages: i64,
    pub media: i64,
    /// The seqs the history took, oldest first.
    pub first_seq: Seq,
    pub last_seq: Seq,
    /// Its messages are still going in (or a node stopped while they did).
    pub writing: bool,
    pub created_at: Millis,
}

/// What the import is, before its messages.
#[derive(Clone, Debug)]
pub struct NewImport {
    pub user_id: UserId,
    pub sha256: String,
    pub room_id: RoomId,
    pub format: String,
    /// Files of the export's zip attached to its messages.
    pub media: i64,
    pub at: Millis,
}

/// One message of the history, oldest first.
#[derive(Clone, Debug)]
pub struct ImportedMessage {
    /// The member it is from; whoever imports for a name kept as a name.
    pub sender_id: UserId,
    pub imported_name: Option<String>,
    pub kind: MessageKind,
    pub text: String,
    pub attachment: Option<Attachment>,
    /// Its original time.
    pub at: Millis,
    /// Deleted before the export (its text is gone).
    pub deleted: bool,
}

#[async_trait]
pub trait ImportRepo: Send + Sync {
    /// The import of the chat with this hash by `user`, if there was one.
    async fn import_of_file(&self, user: UserId, sha256: &str) -> Result<Option<ImportRow>>;
    /// Writes the history before everything in the room, all of it or
    /// nothing: the members who have seen the room from its start (and the
    /// importer) see it. The messages go in a transaction per thousand, so
    /// other writers wait no longer than one; nobody sees them until the
    /// last makes them visible. `progress` hears how many are written.
    /// `Conflict("import")` if the same chat is imported meanwhile.
    async fn write_import(
        &self,
        new: NewImport,
        messages: &[ImportedMessage],
        progress: &(dyn Fn(usize) + Send + Sync),
    ) -> Result<ImportRow>;
    /// Removes an import left half-written (its node stopped): its
    /// messages, their search entries and its row.
    async fn abandon_import(&self, id: i64) -> Result<()>;
}

const IMPORT_COLS: &str =
    "id, user_id, sha256, room_id, format, messages, media, first_seq, last_seq, state, created_at";

fn import_row(row: &AnyRow) -> Result<ImportRow> {
    Ok(ImportRow {
        id: i64_col(row, "id")?,
        user_id: UserId(i64_col(row, "user_id")?),
        sha256: text(row, "sha256")?,
        room_id: RoomId(i64_col(row, "room_id")?),
        format: text(row, "format")?,
        messages: i64_col(row, "messages")?,
        media: i64_col(row, "media")?,
        first_seq: Seq(i64_col(row, "first_seq")?),
        last_seq: Seq(i64_col(row, "last_seq")?),
        writing: text(row, "state")? == "writing",
        created_at: Millis(i64_col(row, "created_at")?),
    })
}

#[async_trait]
impl ImportRepo for SqlStore {
    async fn import_of_file(&self, user: UserId, sha256: &str) -> Result<Option<ImportRow>> {
        let sql = format!("SELECT {IMPORT_COLS} FROM imports WHERE user_id = $1 AND sha256 = $2");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(user.0)
            .bind(sha256)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(import_row).transpose()
    }

    async fn write_import(
        &self,
        new: NewImport,
        messages: &[ImportedMessage],
        progress: &(dyn Fn(usize) + Send + Sync),
    ) -> Result<ImportRow> {
        let n = messages.len() as i64;
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "INSERT INTO imports (user_id, sha256, room_id, format, messages, media, first_seq, last_seq, state, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 0, 0, 'writing', $7) RETURNING id",
        )
        .bind(new.user_id.0)
        .bind(&new.sha256)
        .bind(new.room_id.0)
        .bind(&new.format)
        .bind(n)
        .bind(new.media)
        .bind(new.at.0)
        .fetch_one(&mut *tx)
        .await
        .map_err(conflict("import"))?;
        let id = i64_col(&row, "id")?;
        // Below everything the room has: its live seqs start at 1, and each
        // import takes the block under the one before.
        let taken = sqlx::query(
            "UPDATE rooms SET imported_from = imported_from - $2 WHERE id = $1 RETURNING imported_from",
        )
        .bind(new.room_id.0)
        .bind(n)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let first = i64_col(&taken, "imported_from")?;
        sqlx::query("UPDATE imports SET first_seq = $2, last_seq = $3 WHERE id = $1")
            .bind(id)
            .bind(first)
            .bind(first + n - 1)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        match self.write_messages(id, &new, first, messages, progress).await {
            Ok(row) => Ok(row),
            Err(e) => {
                // Unseen so far; gone now, or at the next try of the file.
                if let Err(clean) = self.abandon_import(id).await {
                    tracing::warn!(error = %clean, import = id, "a failed import could not be removed yet");
                }
                Err(e)
            }
        }
    }

    async fn abandon_import(&self, id: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query("SELECT room_id, seq, text FROM messages WHERE import_id = $1")
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
        for r in &rows {
            let (room, seq) = (RoomId(i64_col(r, "room_id")?), Seq(i64_col(r, "seq")?));
            crate::search::unindex(&mut tx, room, seq, &text(r, "text")?).await?;
        }
        sqlx::query("DELETE FROM messages WHERE import_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM imports WHERE id = $1 AND state = 'writing'")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Messages written per transaction: other writers wait for one at most.
const PER_TRANSACTION: usize = 500;
/// On SQLite, the pause after each transaction in which others write.
const SQLITE_WRITERS_TURN: std::time::Duration = std::time::Duration::from_millis(110);

impl SqlStore {
    /// The import's messages, a thousand per transaction, then the one
    /// that shows them: members' `joined_seq`, the room's last message,
    /// the import done.
    async fn write_messages(
        &self,
        id: i64,
        new: &NewImport,
        first: i64,
        messages: &[ImportedMessage],
        progress: &(dyn Fn(usize) + Send + Sync),
    ) -> Result<ImportRow> {
        let backend = self.backend;
        for (t, batch) in messages.chunks(PER_TRANSACTION).enumerate() {
            let mut tx = self.begin_write().await?;
            for (c, chunk) in batch.chunks(CHUNK).enumerate() {
                let base = t * PER_TRANSACTION + c * CHUNK;
                let sql = format!(
                    "INSERT INTO messages (room_id, seq, sender_id, shown_id, client_id, kind, text, mentions, \
                     attachment, created_at, deleted_at, import_id, imported_name) VALUES {}",
                    Params::new(backend).tuples(chunk.len(), 13)
                );
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for (i, m) in chunk.iter().enumerate() {
                    let k = (base + i) as i64;
                    q = q
                        .bind(new.room_id.0)
                        .bind(first + k)
                        .bind(m.sender_id.0)
                        .bind(m.sender_id.0)
                        .bind(format!("import:{id}:{k}"))
                        .bind(m.kind.as_str())
                        .bind(&m.text)
                        .bind("[]")
                        .bind(m.attachment.as_ref().map(to_json).transpose()?)
                        .bind(m.at.0)
                        .bind(m.deleted.then_some(m.at.0))
                        .bind(id)
                        .bind(m.imported_name.as_deref());
                }
                q.execute(&mut *tx).await?;
                for (i, m) in chunk.iter().enumerate() {
                    if !m.deleted && !m.text.trim().is_empty() {
                        let seq = Seq(first + (base + i) as i64);
                        crate::search::index(&mut tx, new.room_id, seq, &m.text).await?;
                    }
                }
            }
            tx.commit().await?;
            progress((t * PER_TRANSACTION + batch.len()).min(messages.len()));
            if backend == crate::Backend::Sqlite {
                // SQLite's busy handler lets a waiting writer sleep up to
                // 100 ms between tries: without a pause the import takes
                // the lock again first, every time, and a send waits for
                // the whole import.
                tokio::time::sleep(SQLITE_WRITERS_TURN).await;
            }
        }
        let last = first + messages.len() as i64 - 1;
        let mut tx = self.begin_write().await?;
        // Those who have seen the room from its start see what came before
        // it; anyone who joined later sees from their join, as ever.
        sqlx::query(
            "UPDATE room_members SET joined_seq = $2 WHERE room_id = $1 AND (user_id = $3 OR joined_seq <= \
             (SELECT MIN(o.joined_seq) FROM room_members o WHERE o.room_id = $1))",
        )
        .bind(new.room_id.0)
        .bind(first)
        .bind(new.user_id.0)
        .execute(&mut *tx)
        .await?;
        // A room with no message yet shows the history's last in the list.
        sqlx::query("UPDATE rooms SET last_message_seq = $2 WHERE id = $1 AND last_message_seq IS NULL")
            .bind(new.room_id.0)
            .bind(last)
            .execute(&mut *tx)
            .await?;
        let sql = format!("UPDATE imports SET state = 'done' WHERE id = $1 RETURNING {IMPORT_COLS}");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let done = import_row(&row)?;
        tx.commit().await?;
        Ok(done)
    }
}

/// An export, as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportRow {
    pub id: i64,
    pub user_id: UserId,
    pub room_id: Option<RoomId>,
    pub kind: ExportKind,
    pub state: ExportState,
    pub done: i64,
    pub total: i64,
    pub token: String,
    pub blob_key: Option<String>,
    pub file_name: Option<String>,
    pub size: Option<i64>,
    pub error: Option<String>,
    pub created_at: Millis,
    pub finished_at: Option<Millis>,
    pub expires_at: Option<Millis>,
}

/// A finished export's file.
#[derive(Clone, Debug)]
pub struct ExportFile {
    pub blob_key: String,
    pub file_name: String,
    pub size: i64,
    pub at: Millis,
    pub expires_at: Millis,
}

#[async_trait]
pub trait ExportRepo: Send + Sync {
    async fn create_export(
        &self,
        user: UserId,
        room: Option<RoomId>,
        kind: ExportKind,
        token: &str,
        at: Millis,
    ) -> Result<ExportRow>;
    async fn export(&self, id: i64) -> Result<Option<ExportRow>>;
    /// The person's newest exports, newest first.
    async fn exports_of(&self, user: UserId, limit: i64) -> Result<Vec<ExportRow>>;
    /// Those not finished yet (pending or running), for a person's limit.
    async fn unfinished_exports(&self, user: UserId) -> Result<i64>;
    /// Takes the oldest export waiting, or one whose node stopped holding
    /// it, until `until`; one node gets each.
    async fn claim_export(&self, now: Millis, until: Millis) -> Result<Option<ExportRow>>;
    async fn export_progress(&self, id: i64, done: i64, total: i64, until: Millis) -> Result<()>;
    async fn finish_export(&self, id: i64, file: &ExportFile) -> Result<()>;
    async fn fail_export(&self, id: i64, error: &str, at: Millis) -> Result<()>;
    /// Finished exports past their time, whose files are to go.
    async fn expired_exports(&self, now: Millis, limit: i64) -> Result<Vec<ExportRow>>;
    async fn mark_export_expired(&self, id: i64) -> Result<()>;
    /// Messages of a room's timeline from `from` on (for a progress total).
    async fn count_history(&self, room: RoomId, from: Seq) -> Result<i64>;
    /// The messages `user` wrote that still exist (not deleted, not an
    /// import's notice or name kept as a name, not of an import still being
    /// written), by room and seq, after the `(room, seq)` given.
    async fn messages_by(&self, user: UserId, after: (RoomId, Seq), limit: i64)
    -> Result<Vec<StoredMessage>>;
}

const EXPORT_COLS: &str = "id, user_id, room_id, format, state, done, total, token, blob_key, file_name, size, \
     error, created_at, finished_at, expires_at";

fn export_row(row: &AnyRow) -> Result<ExportRow> {
    let kind = text(row, "format")?;
    let state = text(row, "state")?;
    Ok(ExportRow {
        id: i64_col(row, "id")?,
        user_id: UserId(i64_col(row, "user_id")?),
        room_id: opt_i64(row, "room_id")?.map(RoomId),
        kind: ExportKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("export kind {kind:?}")))?,
        state: ExportState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("export state {state:?}")))?,
        done: i64_col(row, "done")?,
        total: i64_col(row, "total")?,
        token: text(row, "token")?,
        blob_key: opt_text(row, "blob_key")?,
        file_name: opt_text(row, "file_name")?,
        size: opt_i64(row, "size")?,
        error: opt_text(row, "error")?,
        created_at: Millis(i64_col(row, "created_at")?),
        finished_at: opt_i64(row, "finished_at")?.map(Millis),
        expires_at: opt_i64(row, "expires_at")?.map(Millis),
    })
}

#[async_trait]
impl ExportRepo for SqlStore {
    async fn create_export(
        &self,
        user: UserId,
        room: Option<RoomId>,
        kind: ExportKind,
        token: &str,
        at: Millis,
    ) -> Result<ExportRow> {
        let sql = format!(
            "INSERT INTO exports (user_id, room_id, format, state, token, created_at) \
             VALUES ($1, $2, $3, 'pending', $4, $5) RETURNING {EXPORT_COLS}"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(user.0)
            .bind(room.map(|r| r.0))
            .bind(kind.as_str())
            .bind(token)
            .bind(at.0)
            .fetch_one(self.pool())
            .await?;
        export_row(&row)
    }

    async fn export(&self, id: i64) -> Result<Option<ExportRow>> {
        let sql = format!("SELECT {EXPORT_COLS} FROM exports WHERE id = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(export_row).transpose()
    }

    async fn exports_of(&self, user: UserId, limit: i64) -> Result<Vec<ExportRow>> {
        let sql = format!("SELECT {EXPORT_COLS} FROM exports WHERE user_id = $1 ORDER BY id DESC LIMIT $2");
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(user.0)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(export_row).collect()
    }

    async fn unfinished_exports(&self, user: UserId) -> Result<i64> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM exports WHERE user_id = $1 AND state IN ('pending', 'running')",
        )
        .bind(user.0)
        .fetch_one(self.pool())
        .await?;
        i64_col(&row, "n")
    }

    async fn claim_export(&self, now: Millis, until: Millis) -> Result<Option<ExportRow>> {
        // The outer condition is checked again on the locked row, so two
        // nodes picking the same id at once cannot both take it.
        let sql = format!(
            "UPDATE exports SET state = 'running', claimed_until = $2 \
             WHERE id = (SELECT id FROM exports WHERE state = 'pending' OR (state = 'running' AND claimed_until < $1) \
                         ORDER BY id LIMIT 1) \
               AND (state = 'pending' OR (state = 'running' AND claimed_until < $1)) \
             RETURNING {EXPORT_COLS}"
        );
        // Most looks find nothing: a read says so without taking SQLite's
        // write lock.
        let waiting = sqlx::query(
            "SELECT id FROM exports WHERE state = 'pending' OR (state = 'running' AND claimed_until < $1) LIMIT 1",
        )
        .bind(now.0)
        .fetch_optional(self.pool())
        .await?;
        if waiting.is_none() {
            return Ok(None);
        }
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(now.0)
            .bind(until.0)
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        row.as_ref().map(export_row).transpose()
    }

    async fn export_progress(&self, id: i64, done: i64, total: i64, until: Millis) -> Result<()> {
        sqlx::query("UPDATE exports SET done = $2, total = $3, claimed_until = $4 WHERE id = $1")
            .bind(id)
            .bind(done)
            .bind(total)
            .bind(until.0)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn finish_export(&self, id: i64, file: &ExportFile) -> Result<()> {
        sqlx::query(
            "UPDATE exports SET state = 'done', done = total, blob_key = $2, file_name = $3, size = $4, \
             finished_at = $5, expires_at = $6 WHERE id = $1",
        )
        .bind(id)
        .bind(&file.blob_key)
        .bind(&file.file_name)
        .bind(file.size)
        .bind(file.at.0)
        .bind(file.expires_at.0)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn fail_export(&self, id: i64, error: &str, at: Millis) -> Result<()> {
        sqlx::query("UPDATE exports SET state = 'failed', error = $2, finished_at = $3 WHERE id = $1")
            .bind(id)
            .bind(error)
            .bind(at.0)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn expired_exports(&self, now: Millis, limit: i64) -> Result<Vec<ExportRow>> {
        let sql = format!(
            "SELECT {EXPORT_COLS} FROM exports WHERE state = 'done' AND expires_at < $1 ORDER BY id LIMIT $2"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(now.0)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(export_row).collect()
    }

    async fn mark_export_expired(&self, id: i64) -> Result<()> {
        sqlx::query("UPDATE exports SET state = 'expired', blob_key = NULL WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn count_history(&self, room: RoomId, from: Seq) -> Result<i64> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM messages WHERE room_id = $1 AND seq >= $2 AND thread_root IS NULL",
        )
        .bind(room.0)
        .bind(from.0)
        .fetch_one(self.pool())
        .await?;
        i64_col(&row, "n")
    }

    async fn messages_by(
        &self,
        user: UserId,
        after: (RoomId, Seq),
        limit: i64,
    ) -> Result<Vec<StoredMessage>> {
        let sql = format!(
            "SELECT {MESSAGE_COLS} FROM messages WHERE sender_id = $1 AND deleted_at IS NULL \
               AND imported_name IS NULL AND kind <> 'notice' AND (room_id > $2 OR (room_id = $2 AND seq > $3)) \
               AND NOT EXISTS (SELECT 1 FROM imports i WHERE i.id = messages.import_id AND i.state = 'writing') \
             ORDER BY room_id, seq LIMIT $4"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(user.0)
            .bind(after.0.0)
            .bind(after.1.0)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(message_row).collect()
    }
}
