//! Chat folders: a person's named groups of rooms, in their order. The
//! cap on how many a person has is checked under the lock of the write
//! that would pass it; which rooms they may hold is the caller's rule.

use crate::accounts::placeholders;
use crate::rows::{i64_col, text};
use crate::{Backend, Result, SqlStore};
use async_trait::async_trait;
use madang_types::{FolderId, Millis, RoomId, UserId};
use sqlx::{Any, AssertSqlSafe, Transaction};
use std::collections::HashMap;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderRow {
    pub id: FolderId,
    pub name: String,
    /// Rooms the owner is still a member of, by id.
    pub room_ids: Vec<RoomId>,
}

#[async_trait]
pub trait FolderRepo: Send + Sync {
    /// `user`'s folders in their order.
    async fn folders(&self, user: UserId) -> Result<Vec<FolderRow>>;
    /// Adds a folder after the others; `None` when `user` already has
    /// `max_folders`.
    async fn create_folder(
        &self,
        user: UserId,
        name: &str,
        rooms: &[RoomId],
        at: Millis,
        max_folders: i64,
    ) -> Result<Option<FolderId>>;
    /// Renames the folder and/or replaces its rooms; false when `user`
    /// has no such folder.
    async fn update_folder(
        &self,
        user: UserId,
        folder: FolderId,
        name: Option<&str>,
        rooms: Option<&[RoomId]>,
    ) -> Result<bool>;
    /// False when `user` has no such folder.
    async fn delete_folder(&self, user: UserId, folder: FolderId) -> Result<bool>;
    /// Puts `user`'s folders in the order of `order`; false (and nothing
    /// changed) unless `order` names each of them exactly once.
    async fn order_folders(&self, user: UserId, order: &[FolderId]) -> Result<bool>;
    /// Which of `rooms` `user` is a member of.
    async fn member_rooms(&self, user: UserId, rooms: &[RoomId]) -> Result<Vec<RoomId>>;
}

impl SqlStore {
    /// Holds `user`'s row until the transaction ends, so two writes that
    /// count the same person's things take turns (SQLite's write lock
    /// already does that).
    pub(crate) async fn lock_user(&self, tx: &mut Transaction<'static, Any>, user: UserId) -> Result<()> {
        if self.backend() == Backend::Postgres {
            sqlx::query("SELECT id FROM users WHERE id = $1 FOR UPDATE")
                .bind(user.0)
                .fetch_optional(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// The ids of `user`'s folders, in their order.
    async fn folder_ids(&self, tx: &mut Transaction<'static, Any>, user: UserId) -> Result<Vec<FolderId>> {
        let rows = sqlx::query("SELECT id FROM chat_folders WHERE user_id = $1 ORDER BY position, id")
            .bind(user.0)
            .fetch_all(&mut **tx)
            .await?;
        rows.iter().map(|r| i64_col(r, "id").map(FolderId)).collect()
    }
}

/// Writes `rooms` into `folder` (which holds none).
async fn put_rooms(tx: &mut Transaction<'static, Any>, folder: FolderId, rooms: &[RoomId]) -> Result<()> {
    if rooms.is_empty() {
        return Ok(());
    }
    let values: Vec<String> = (0..rooms.len()).map(|i| format!("($1, ${})", i + 2)).collect();
    let sql = format!(
        "INSERT INTO chat_folder_rooms (folder_id, room_id) VALUES {} ON CONFLICT DO NOTHING",
        values.join(", ")
    );
    let mut q = sqlx::query(AssertSqlSafe(sql)).bind(folder.0);
    for r in rooms {
        q = q.bind(r.0);
    }
    q.execute(&mut **tx).await?;
    Ok(())
}

#[async_trait]
impl FolderRepo for SqlStore {
    async fn folders(&self, user: UserId) -> Result<Vec<FolderRow>> {
        let mut tx = self.begin_snapshot().await?;
        let folders =
            sqlx::query("SELECT id, name FROM chat_folders WHERE user_id = $1 ORDER BY position, id")
                .bind(user.0)
                .fetch_all(&mut *tx)
                .await?;
        let rooms = sqlx::query(
            "SELECT fr.folder_id, fr.room_id FROM chat_folders f \
             JOIN chat_folder_rooms fr ON fr.folder_id = f.id \
             JOIN room_members m ON m.room_id = fr.room_id AND m.user_id = f.user_id \
             WHERE f.user_id = $1 ORDER BY fr.room_id",
        )
        .bind(user.0)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let mut held: HashMap<i64, Vec<RoomId>> = HashMap::new();
        for r in &rooms {
            held.entry(i64_col(r, "folder_id")?)
                .or_default()
                .push(RoomId(i64_col(r, "room_id")?));
        }
        folders
            .iter()
            .map(|r| {
                let id = i64_col(r, "id")?;
                Ok(FolderRow {
                    id: FolderId(id),
                    name: text(r, "name")?,
                    room_ids: held.remove(&id).unwrap_or_default(),
                })
            })
            .collect()
    }

    async fn create_folder(
        &self,
        user: UserId,
        name: &str,
        rooms: &[RoomId],
        at: Millis,
        max_folders: i64,
    ) -> Result<Option<FolderId>> {
        let mut tx = self.begin_write().await?;
        self.lock_user(&mut tx, user).await?;
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, COALESCE(MAX(position), 0) AS last FROM chat_folders WHERE user_id = $1",
        )
        .bind(user.0)
        .fetch_one(&mut *tx)
        .await?;
        if i64_col(&row, "n")? >= max_folders {
            return Ok(None);
        }
        let id = sqlx::query(
            "INSERT INTO chat_folders (user_id, name, position, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(user.0)
        .bind(name)
        .bind(i64_col(&row, "last")? + 1)
        .bind(at.0)
        .fetch_one(&mut *tx)
        .await?;
        let id = FolderId(i64_col(&id, "id")?);
        put_rooms(&mut tx, id, rooms).await?;
        tx.commit().await?;
        Ok(Some(id))
    }

    async fn update_folder(
        &self,
        user: UserId,
        folder: FolderId,
        name: Option<&str>,
        rooms: Option<&[RoomId]>,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let found =
            sqlx::query("UPDATE chat_folders SET name = COALESCE($3, name) WHERE id = $1 AND user_id = $2")
                .bind(folder.0)
                .bind(user.0)
                .bind(name)
                .execute(&mut *tx)
                .await?;
        if found.rows_affected() == 0 {
            return Ok(false);
        }
        if let Some(rooms) = rooms {
            sqlx::query("DELETE FROM chat_folder_rooms WHERE folder_id = $1")
                .bind(folder.0)
                .execute(&mut *tx)
                .await?;
            put_rooms(&mut tx, folder, rooms).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn delete_folder(&self, user: UserId, folder: FolderId) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let owned = sqlx::query("SELECT id FROM chat_folders WHERE id = $1 AND user_id = $2")
            .bind(folder.0)
            .bind(user.0)
            .fetch_optional(&mut *tx)
            .await?;
        if owned.is_none() {
            return Ok(false);
        }
        sqlx::query("DELETE FROM chat_folder_rooms WHERE folder_id = $1")
            .bind(folder.0)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM chat_folders WHERE id = $1")
            .bind(folder.0)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn order_folders(&self, user: UserId, order: &[FolderId]) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        self.lock_user(&mut tx, user).await?;
        let mut have = self.folder_ids(&mut tx, user).await?;
        let mut want = order.to_vec();
        have.sort();
        want.sort();
        if have != want {
            return Ok(false);
        }
        for (position, id) in order.iter().enumerate() {
            sqlx::query("UPDATE chat_folders SET position = $1 WHERE id = $2")
                .bind(position as i64 + 1)
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn member_rooms(&self, user: UserId, rooms: &[RoomId]) -> Result<Vec<RoomId>> {
        if rooms.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT room_id FROM room_members WHERE user_id = $1 AND room_id IN ({})",
            placeholders(2, rooms.len())
        );
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(user.0);
        for r in rooms {
            q = q.bind(r.0);
        }
        let rows = q.fetch_all(self.pool()).await?;
        rows.iter().map(|r| i64_col(r, "room_id").map(RoomId)).collect()
    }
}
