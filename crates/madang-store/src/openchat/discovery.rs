//! What discovery reads: the open chats anyone may find, with their member
//! counts; who is in which; recent messages per open chat; what people
//! say they like.

use super::{CHAT_COLS_P, OpenChatRow, chat_row};
use crate::accounts::placeholders;
use crate::rows::{i64_col, text};
use crate::{Result, SqlStore};
use async_trait::async_trait;
use madang_types::{Millis, OpenChatId, UserId};
use sqlx::AssertSqlSafe;

/// An open chat with how many are in it now (members of a group, open
/// conversations of a 1:1 chat or profile).
#[derive(Clone, Debug, PartialEq)]
pub struct ListedChat {
    pub chat: OpenChatRow,
    pub members: i64,
    pub last_active_at: Millis,
}

#[async_trait]
pub trait DiscoveryRepo: Send + Sync {
    /// Every public open chat that is not closed.
    async fn discoverable_open_chats(&self) -> Result<Vec<ListedChat>>;
    /// The given open chats (any visibility), in no particular order.
    async fn listed_open_chats(&self, ids: &[OpenChatId]) -> Result<Vec<ListedChat>>;
    /// Public open chats of a category, busiest first, a page at a time.
    async fn open_chats_in_category(
        &self,
        category: &str,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<ListedChat>>;
    /// Every `(account, open chat)` membership.
    async fn open_memberships(&self) -> Result<Vec<(UserId, OpenChatId)>>;
    /// The open chats `user` is in.
    async fn my_open_chats(&self, user: UserId) -> Result<Vec<OpenChatId>>;
    /// The open chats `user` is banned from.
    async fn my_open_bans(&self, user: UserId) -> Result<Vec<OpenChatId>>;
    /// `(open chat, sent at)` of every message in an open chat since `since`.
    async fn open_engagement(&self, since: Millis) -> Result<Vec<(OpenChatId, Millis)>>;
    async fn interests(&self, user: UserId) -> Result<Vec<String>>;
    /// Replaces what `user` says they like.
    async fn set_interests(&self, user: UserId, tags: &[String]) -> Result<()>;
    /// Everyone's interests, for building and evaluating recommendations.
    async fn all_interests(&self) -> Result<Vec<(UserId, String)>>;
}

/// Members now and the time of the last message, beside the chat's columns.
const LISTED: &str = "COALESCE(r.member_count, c.conversations) AS members, \
     COALESCE((SELECT m.created_at FROM messages m WHERE m.room_id = r.id AND m.seq = r.last_message_seq), \
       c.created_at) AS last_active_at \
     FROM open_chats c LEFT JOIN rooms r ON r.id = c.room_id";

fn listed(row: &sqlx::any::AnyRow) -> Result<ListedChat> {
    Ok(ListedChat {
        chat: chat_row(row)?,
        members: i64_col(row, "members")?,
        last_active_at: Millis(i64_col(row, "last_active_at")?),
    })
}

#[async_trait]
impl DiscoveryRepo for SqlStore {
    async fn discoverable_open_chats(&self) -> Result<Vec<ListedChat>> {
        let sql = format!(
            "SELECT {CHAT_COLS_P}, {LISTED} WHERE c.visibility = 'public' AND c.closed_at IS NULL ORDER BY c.id"
        );
        let rows = sqlx::query(AssertSqlSafe(sql)).fetch_all(self.pool()).await?;
        rows.iter().map(listed).collect()
    }

    async fn listed_open_chats(&self, ids: &[OpenChatId]) -> Result<Vec<ListedChat>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {CHAT_COLS_P}, {LISTED} WHERE c.id IN ({})",
            placeholders(1, ids.len())
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for id in ids {
            q = q.bind(id.0);
        }
        q.fetch_all(self.pool()).await?.iter().map(listed).collect()
    }

    async fn open_chats_in_category(
        &self,
        category: &str,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<ListedChat>> {
        let sql = format!(
            "SELECT {CHAT_COLS_P}, {LISTED} WHERE c.category = $1 AND c.visibility = 'public' \
             AND c.closed_at IS NULL ORDER BY members DESC, c.id LIMIT $2 OFFSET $3"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(category)
            .bind(limit)
            .bind(offset)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(listed).collect()
    }

    async fn open_memberships(&self) -> Result<Vec<(UserId, OpenChatId)>> {
        let rows = sqlx::query("SELECT DISTINCT user_id, open_chat_id FROM open_members")
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    UserId(i64_col(r, "user_id")?),
                    OpenChatId(i64_col(r, "open_chat_id")?),
                ))
            })
            .collect()
    }

    async fn my_open_chats(&self, user: UserId) -> Result<Vec<OpenChatId>> {
        let rows = sqlx::query("SELECT DISTINCT open_chat_id FROM open_members WHERE user_id = $1")
            .bind(user.0)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| i64_col(r, "open_chat_id").map(OpenChatId))
            .collect()
    }

    async fn my_open_bans(&self, user: UserId) -> Result<Vec<OpenChatId>> {
        let rows = sqlx::query("SELECT open_chat_id FROM open_bans WHERE user_id = $1")
            .bind(user.0)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| i64_col(r, "open_chat_id").map(OpenChatId))
            .collect()
    }

    async fn open_engagement(&self, since: Millis) -> Result<Vec<(OpenChatId, Millis)>> {
        let rows = sqlx::query(
            "SELECT r.open_chat_id, m.created_at FROM rooms r \
             JOIN messages m ON m.room_id = r.id AND m.created_at > $1 \
             WHERE r.open_chat_id IS NOT NULL",
        )
        .bind(since.0)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    OpenChatId(i64_col(r, "open_chat_id")?),
                    Millis(i64_col(r, "created_at")?),
                ))
            })
            .collect()
    }

    async fn interests(&self, user: UserId) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT tag FROM user_interests WHERE user_id = $1 ORDER BY tag")
            .bind(user.0)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|r| text(r, "tag")).collect()
    }

    async fn set_interests(&self, user: UserId, tags: &[String]) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM user_interests WHERE user_id = $1")
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
        for tag in tags {
            sqlx::query("INSERT INTO user_interests (user_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(user.0)
                .bind(tag)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn all_interests(&self) -> Result<Vec<(UserId, String)>> {
        let rows = sqlx::query("SELECT user_id, tag FROM user_interests")
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| Ok((UserId(i64_col(r, "user_id")?), text(r, "tag")?)))
            .collect()
    }
}
