//! What viewers do with a Pung: views, reactions and poll votes, and the
//! counts its author sees. These rows go with their Pung in the purge.

use super::bind_ids;
use crate::accounts::placeholders;
use crate::rows::{i64_col, text};
use crate::{Result, SqlStore};
use async_trait::async_trait;
use madang_types::{Millis, PungId, UserId};
use sqlx::AssertSqlSafe;

/// Poll votes on one Pung: per choice, how many, and whether the viewer
/// is one of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VoteCount {
    pub pung: PungId,
    pub choice: i64,
    pub count: i64,
    pub mine: bool,
}

/// Views and reactions of a Pung, for its author.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PungStats {
    pub pung: PungId,
    pub views: i64,
    pub reactions: i64,
}

#[async_trait]
pub trait PungActivityRepo: Send + Sync {
    /// Records that `viewer` viewed the Pung; true the first time.
    async fn record_view(&self, id: PungId, viewer: UserId, at: Millis) -> Result<bool>;
    /// Who viewed the Pung and when, earliest first.
    async fn pung_views(&self, id: PungId) -> Result<Vec<(UserId, Millis)>>;
    /// True when the reaction is new.
    async fn add_pung_reaction(&self, id: PungId, user: UserId, emoji: &str, at: Millis) -> Result<bool>;
    /// True when there was such a reaction.
    async fn remove_pung_reaction(&self, id: PungId, user: UserId, emoji: &str) -> Result<bool>;
    /// Every reaction `(user, emoji)` to the Pung, oldest first.
    async fn pung_reactions(&self, id: PungId) -> Result<Vec<(UserId, String)>>;
    /// The emoji `viewer` reacted with, per Pung.
    async fn my_pung_reactions(&self, ids: &[PungId], viewer: UserId) -> Result<Vec<(PungId, String)>>;
    /// Sets (or changes) `user`'s vote in the Pung's poll.
    async fn vote(&self, id: PungId, user: UserId, choice: i64, at: Millis) -> Result<()>;
    /// Vote counts per Pung and choice, as `viewer` sees them.
    async fn vote_counts(&self, ids: &[PungId], viewer: UserId) -> Result<Vec<VoteCount>>;
    /// Views and reactions per Pung.
    async fn pung_stats(&self, ids: &[PungId]) -> Result<Vec<PungStats>>;
}

#[async_trait]
impl PungActivityRepo for SqlStore {
    async fn record_view(&self, id: PungId, viewer: UserId, at: Millis) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO pung_views (pung_id, user_id, at) VALUES ($1, $2, $3) \
             ON CONFLICT (pung_id, user_id) DO NOTHING",
        )
        .bind(id.0)
        .bind(viewer.0)
        .bind(at.0)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn pung_views(&self, id: PungId) -> Result<Vec<(UserId, Millis)>> {
        let rows = sqlx::query("SELECT user_id, at FROM pung_views WHERE pung_id = $1 ORDER BY at, user_id")
            .bind(id.0)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| Ok((UserId(i64_col(r, "user_id")?), Millis(i64_col(r, "at")?))))
            .collect()
    }

    async fn add_pung_reaction(&self, id: PungId, user: UserId, emoji: &str, at: Millis) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO pung_reactions (pung_id, user_id, emoji, at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (pung_id, user_id, emoji) DO NOTHING",
        )
        .bind(id.0)
        .bind(user.0)
        .bind(emoji)
        .bind(at.0)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn remove_pung_reaction(&self, id: PungId, user: UserId, emoji: &str) -> Result<bool> {
        let done =
            sqlx::query("DELETE FROM pung_reactions WHERE pung_id = $1 AND user_id = $2 AND emoji = $3")
                .bind(id.0)
                .bind(user.0)
                .bind(emoji)
                .execute(self.pool())
                .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn pung_reactions(&self, id: PungId) -> Result<Vec<(UserId, String)>> {
        let rows =
            sqlx::query("SELECT user_id, emoji FROM pung_reactions WHERE pung_id = $1 ORDER BY at, emoji")
                .bind(id.0)
                .fetch_all(self.pool())
                .await?;
        rows.iter()
            .map(|r| Ok((UserId(i64_col(r, "user_id")?), text(r, "emoji")?)))
            .collect()
    }

    async fn my_pung_reactions(&self, ids: &[PungId], viewer: UserId) -> Result<Vec<(PungId, String)>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT pung_id, emoji FROM pung_reactions WHERE user_id = $1 AND pung_id IN ({}) \
             ORDER BY pung_id, at, emoji",
            placeholders(2, ids.len())
        );
        let rows = bind_ids(sqlx::query(AssertSqlSafe(sql)).bind(viewer.0), ids)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| Ok((PungId(i64_col(r, "pung_id")?), text(r, "emoji")?)))
            .collect()
    }

    async fn vote(&self, id: PungId, user: UserId, choice: i64, at: Millis) -> Result<()> {
        sqlx::query(
            "INSERT INTO pung_votes (pung_id, user_id, choice, at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (pung_id, user_id) DO UPDATE SET choice = $3, at = $4",
        )
        .bind(id.0)
        .bind(user.0)
        .bind(choice)
        .bind(at.0)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn vote_counts(&self, ids: &[PungId], viewer: UserId) -> Result<Vec<VoteCount>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT pung_id, choice, COUNT(*) AS n, \
               CAST(SUM(CASE WHEN user_id = $1 THEN 1 ELSE 0 END) AS BIGINT) AS mine \
             FROM pung_votes WHERE pung_id IN ({}) GROUP BY pung_id, choice ORDER BY pung_id, choice",
            placeholders(2, ids.len())
        );
        let rows = bind_ids(sqlx::query(AssertSqlSafe(sql)).bind(viewer.0), ids)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(VoteCount {
                    pung: PungId(i64_col(r, "pung_id")?),
                    choice: i64_col(r, "choice")?,
                    count: i64_col(r, "n")?,
                    mine: i64_col(r, "mine")? > 0,
                })
            })
            .collect()
    }

    async fn pung_stats(&self, ids: &[PungId]) -> Result<Vec<PungStats>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let list = placeholders(1, ids.len());
        let sql = format!(
            "SELECT p.id, \
               (SELECT COUNT(*) FROM pung_views v WHERE v.pung_id = p.id) AS views, \
               (SELECT COUNT(*) FROM pung_reactions r WHERE r.pung_id = p.id) AS reactions \
             FROM pungs p WHERE p.id IN ({list}) ORDER BY p.id"
        );
        let rows = bind_ids(sqlx::query(AssertSqlSafe(sql)), ids)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(PungStats {
                    pung: PungId(i64_col(r, "id")?),
                    views: i64_col(r, "views")?,
                    reactions: i64_col(r, "reactions")?,
                })
            })
            .collect()
    }
}
