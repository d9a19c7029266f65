//! The friend list (one-directional, like an address book) and blocks.

use crate::accounts::{AccountRepo, UserRow};
use crate::rows::{flag, i64_col};
use crate::{Result, SqlStore, StoreError};
use async_trait::async_trait;
use madang_types::{Millis, UserId};

#[derive(Clone, Debug)]
pub struct FriendRow {
    pub user: UserRow,
    pub favourite: bool,
    pub hidden: bool,
    /// They have `user` on their list too.
    pub mutual: bool,
    pub since: Millis,
}

/// Flags to change on a friend entry; `None` leaves a flag as it is.
#[derive(Clone, Copy, Debug, Default)]
pub struct FriendFlags {
    pub favourite: Option<bool>,
    pub hidden: Option<bool>,
}

#[async_trait]
pub trait FriendRepo: Send + Sync {
    /// Adds `friend` to `user`'s list; true when it was not there before.
    async fn add_friend(&self, user: UserId, friend: UserId, at: Millis) -> Result<bool>;
    /// `user`'s friends, with their accounts, by display name.
    async fn friends(&self, user: UserId) -> Result<Vec<FriendRow>>;
    async fn is_friend(&self, user: UserId, friend: UserId) -> Result<bool>;
    /// People on `user`'s list who also have `user` on theirs, by id.
    async fn mutual_friends(&self, user: UserId) -> Result<Vec<UserId>>;
    /// Friends of `user` whose birthday falls on `month_day` (`MM-DD`).
    async fn friends_with_birthday(&self, user: UserId, month_day: &str) -> Result<Vec<UserRow>>;
    /// `NotFound` when `friend` is not on the list.
    async fn update_friend(&self, user: UserId, friend: UserId, flags: FriendFlags) -> Result<()>;
    async fn remove_friend(&self, user: UserId, friend: UserId) -> Result<bool>;

    /// `user` blocks `blocked`; also removes `blocked` from `user`'s list.
    async fn block(&self, user: UserId, blocked: UserId, at: Millis) -> Result<()>;
    async fn unblock(&self, user: UserId, blocked: UserId) -> Result<bool>;
    async fn blocked_by(&self, user: UserId) -> Result<Vec<UserRow>>;
    /// True when `a` has blocked `b`.
    async fn has_blocked(&self, a: UserId, b: UserId) -> Result<bool>;
}

#[async_trait]
impl FriendRepo for SqlStore {
    async fn add_friend(&self, user: UserId, friend: UserId, at: Millis) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO friends (user_id, friend_id, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id, friend_id) DO NOTHING",
        )
        .bind(user.0)
        .bind(friend.0)
        .bind(at.0)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn friends(&self, user: UserId) -> Result<Vec<FriendRow>> {
        let rows = sqlx::query(
            "SELECT friend_id, favourite, hidden, created_at, \
                   CAST(CASE WHEN EXISTS (SELECT 1 FROM friends g WHERE g.user_id = f.friend_id \
                     AND g.friend_id = f.user_id) THEN 1 ELSE 0 END AS BIGINT) AS mutual \
                 FROM friends f WHERE user_id = $1",
        )
        .bind(user.0)
        .fetch_all(self.pool())
        .await?;
        let ids: Vec<UserId> = rows
            .iter()
            .map(|r| i64_col(r, "friend_id").map(UserId))
            .collect::<Result<_>>()?;
        let mut users: std::collections::HashMap<UserId, UserRow> =
            self.users(&ids).await?.into_iter().map(|u| (u.id, u)).collect();
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let id = UserId(i64_col(r, "friend_id")?);
            let Some(user) = users.remove(&id) else { continue };
            out.push(FriendRow {
                user,
                favourite: flag(r, "favourite")?,
                hidden: flag(r, "hidden")?,
                mutual: flag(r, "mutual")?,
                since: Millis(i64_col(r, "created_at")?),
            });
        }
        out.sort_by(|a, b| a.user.display_name.cmp(&b.user.display_name));
        Ok(out)
    }

    async fn is_friend(&self, user: UserId, friend: UserId) -> Result<bool> {
        let row = sqlx::query("SELECT 1 AS x FROM friends WHERE user_id = $1 AND friend_id = $2")
            .bind(user.0)
            .bind(friend.0)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.is_some())
    }

    async fn mutual_friends(&self, user: UserId) -> Result<Vec<UserId>> {
        let rows = sqlx::query(
            "SELECT f.friend_id FROM friends f JOIN friends g \
               ON g.user_id = f.friend_id AND g.friend_id = f.user_id \
             WHERE f.user_id = $1 ORDER BY f.friend_id",
        )
        .bind(user.0)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|r| i64_col(r, "friend_id").map(UserId)).collect()
    }

    async fn friends_with_birthday(&self, user: UserId, month_day: &str) -> Result<Vec<UserRow>> {
        let rows = sqlx::query(
            "SELECT u.id FROM friends f JOIN users u ON u.id = f.friend_id \
             WHERE f.user_id = $1 AND f.hidden = 0 AND u.birthday_md = $2",
        )
        .bind(user.0)
        .bind(month_day)
        .fetch_all(self.pool())
        .await?;
        let ids: Vec<UserId> = rows
            .iter()
            .map(|r| i64_col(r, "id").map(UserId))
            .collect::<Result<_>>()?;
        self.users(&ids).await
    }

    async fn update_friend(&self, user: UserId, friend: UserId, flags: FriendFlags) -> Result<()> {
        let done = sqlx::query(
            "UPDATE friends SET favourite = COALESCE($3, favourite), hidden = COALESCE($4, hidden) \
             WHERE user_id = $1 AND friend_id = $2",
        )
        .bind(user.0)
        .bind(friend.0)
        .bind(flags.favourite.map(i64::from))
        .bind(flags.hidden.map(i64::from))
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn remove_friend(&self, user: UserId, friend: UserId) -> Result<bool> {
        let done = sqlx::query("DELETE FROM friends WHERE user_id = $1 AND friend_id = $2")
            .bind(user.0)
            .bind(friend.0)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn block(&self, user: UserId, blocked: UserId, at: Millis) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO blocks (user_id, blocked_id, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id, blocked_id) DO NOTHING",
        )
        .bind(user.0)
        .bind(blocked.0)
        .bind(at.0)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM friends WHERE user_id = $1 AND friend_id = $2")
            .bind(user.0)
            .bind(blocked.0)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn unblock(&self, user: UserId, blocked: UserId) -> Result<bool> {
        let done = sqlx::query("DELETE FROM blocks WHERE user_id = $1 AND blocked_id = $2")
            .bind(user.0)
            .bind(blocked.0)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn blocked_by(&self, user: UserId) -> Result<Vec<UserRow>> {
        let rows = sqlx::query("SELECT blocked_id FROM blocks WHERE user_id = $1")
            .bind(user.0)
            .fetch_all(self.pool())
            .await?;
        let ids: Vec<UserId> = rows
            .iter()
            .map(|r| i64_col(r, "blocked_id").map(UserId))
            .collect::<Result<_>>()?;
        self.users(&ids).await
    }

    async fn has_blocked(&self, a: UserId, b: UserId) -> Result<bool> {
        let row = sqlx::query("SELECT 1 AS x FROM blocks WHERE user_id = $1 AND blocked_id = $2")
            .bind(a.0)
            .bind(b.0)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.is_some())
    }
}
