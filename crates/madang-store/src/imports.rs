//! History imported from another messenger's export: written in one
//! transaction below the room's first live seq, so nothing about it is new
//! to anyone (no event, no push, no unread), and found again by the chat's
//! hash so the same chat is never written twice.

use crate::rows::{Params, i64_col, text, to_json};
use crate::{Result, SqlStore, StoreError, conflict};
use async_trait::async_trait;
use madang_types::api::{Attachment, MessageKind};
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
    /// importer) see it. `progress` hears how many messages are written.
    /// `Conflict("import")` if the same chat was imported meanwhile.
    async fn write_import(
        &self,
        new: NewImport,
        messages: &[ImportedMessage],
        progress: &(dyn Fn(usize) + Send + Sync),
    ) -> Result<ImportRow>;
}

const IMPORT_COLS: &str =
    "id, user_id, sha256, room_id, format, messages, media, first_seq, last_seq, created_at";

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
            "INSERT INTO imports (user_id, sha256, room_id, format, messages, media, first_seq, last_seq, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 0, 0, $7) RETURNING id",
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
        let backend = self.backend;
        for (c, chunk) in messages.chunks(CHUNK).enumerate() {
            let sql = format!(
                "INSERT INTO messages (room_id, seq, sender_id, shown_id, client_id, kind, text, mentions, \
                 attachment, created_at, deleted_at, import_id, imported_name) VALUES {}",
                Params::new(backend).tuples(chunk.len(), 13)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for (i, m) in chunk.iter().enumerate() {
                let k = (c * CHUNK + i) as i64;
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
                    let seq = Seq(first + (c * CHUNK + i) as i64);
                    crate::search::index(&mut tx, new.room_id, seq, &m.text).await?;
                }
            }
            progress((c * CHUNK + chunk.len()).min(messages.len()));
        }
        let last = first + n - 1;
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
        let sql =
            format!("UPDATE imports SET first_seq = $2, last_seq = $3 WHERE id = $1 RETURNING {IMPORT_COLS}");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id)
            .bind(first)
            .bind(last)
            .fetch_one(&mut *tx)
            .await?;
        let done = import_row(&row)?;
        tx.commit().await?;
        Ok(done)
    }
}
