//! Pungs, who may see them (fixed when posted), and what viewers did with
//! them: views, reactions, poll votes. Every read takes `now` and leaves
//! out what has expired, so an expired Pung is invisible before the purge
//! ([`purge`]) deletes it.

mod activity;
mod purge;

use crate::accounts::placeholders;
use crate::rows::{flag, i64_col, json, opt_text, text, to_json};
use crate::{Result, SqlStore, StoreError, conflict};
use async_trait::async_trait;
use madang_types::pung::{AudienceMode, Layer, PungKind};
use madang_types::{ClientMsgId, MediaId, Millis, PungId, UserId};
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;

pub use activity::{PungActivityRepo, PungStats, VoteCount};
pub use purge::PurgedPung;

#[derive(Clone, Debug)]
pub struct NewPung {
    pub author: UserId,
    pub client_id: ClientMsgId,
    pub kind: PungKind,
    pub text: String,
    pub background: Option<String>,
    pub media: Option<MediaId>,
    pub layers: Vec<Layer>,
    pub audience_mode: AudienceMode,
    /// Everyone but the author who may see it, fixed now.
    pub audience: Vec<UserId>,
    pub tags: Vec<UserId>,
    pub created_at: Millis,
    pub expires_at: Millis,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PungRow {
    pub id: PungId,
    pub author_id: UserId,
    pub client_id: ClientMsgId,
    pub kind: PungKind,
    pub text: String,
    pub background: Option<String>,
    pub media_id: Option<MediaId>,
    pub layers: Vec<Layer>,
    pub audience_mode: AudienceMode,
    pub created_at: Millis,
    pub expires_at: Millis,
}

/// An unexpired Pung with the facts, as of now, that decide whether one
/// viewer may see it. The deciding is done by the caller.
#[derive(Clone, Debug)]
pub struct PungForViewer {
    pub pung: PungRow,
    /// The viewer was in its audience when it was posted.
    pub in_audience: bool,
    /// The author has the viewer on their friend list.
    pub author_lists_viewer: bool,
    /// The viewer has the author on their friend list.
    pub viewer_lists_author: bool,
    /// One of the two has blocked the other.
    pub blocked: bool,
    /// The viewer has viewed it.
    pub seen: bool,
}

#[async_trait]
pub trait PungRepo: Send + Sync {
    /// Stores a Pung with its audience and tags, in one transaction.
    /// `Conflict("client_id")` when the author used that client id before;
    /// `Conflict("media")` when the photo belongs to another Pung.
    async fn create_pung(&self, new: NewPung) -> Result<PungRow>;
    /// The author's unexpired Pung posted with `client_id`.
    async fn pung_by_client_id(
        &self,
        author: UserId,
        client_id: &ClientMsgId,
        now: Millis,
    ) -> Result<Option<PungRow>>;
    /// One unexpired Pung that `viewer` wrote or was in the audience of.
    async fn pung_for_viewer(&self, id: PungId, viewer: UserId, now: Millis)
    -> Result<Option<PungForViewer>>;
    /// Every unexpired Pung that `viewer` wrote or was in the audience of,
    /// oldest first.
    async fn pungs_for_viewer(&self, viewer: UserId, now: Millis) -> Result<Vec<PungForViewer>>;
    /// The Pung whose photo is `media`, expired or not.
    async fn pung_by_media(&self, media: &MediaId) -> Result<Option<PungId>>;
    /// Everyone but the author who was given the Pung.
    async fn pung_audience(&self, id: PungId) -> Result<Vec<UserId>>;
    /// Tagged people of each Pung.
    async fn pung_tags(&self, ids: &[PungId]) -> Result<Vec<(PungId, UserId)>>;

    /// Deletes up to `limit` Pungs that expired by `now`, and everything
    /// about them, each exactly once however many nodes call this at the
    /// same time. Photo keys go to the blob trash.
    async fn purge_expired(&self, now: Millis, limit: i64) -> Result<Vec<PurgedPung>>;
    /// Deletes one Pung the same way (`None` if it is not there).
    async fn purge_pung(&self, id: PungId, now: Millis) -> Result<Option<PurgedPung>>;
    /// Deletes up to `limit` Pung photos uploaded before `before` and never
    /// posted; their keys go to the blob trash. Returns how many.
    async fn purge_unposted_uploads(&self, before: Millis, now: Millis, limit: i64) -> Result<usize>;
    /// Blob keys whose rows are gone and whose files may still exist.
    async fn trashed_blobs(&self, limit: i64) -> Result<Vec<String>>;
    /// The file behind `key` is deleted: forget it.
    async fn forget_trashed_blob(&self, key: &str) -> Result<()>;
    /// Makes deleted rows unrecoverable from the database files where the
    /// engine allows it: SQLite (with `secure_delete` on) checkpoints and
    /// truncates its write-ahead log, which still holds old page images.
    /// PostgreSQL reclaims dead rows with autovacuum.
    async fn flush_deleted(&self) -> Result<()>;
}

// Unqualified, so the list also serves `RETURNING`; in a `SELECT … FROM
// pungs p` they name p's columns (the subqueries of FOR_VIEWER have their own).
const PUNG_COLS: &str = "id, author_id, client_id, kind, text, background, media_id, layers, \
     audience, created_at, expires_at";

fn pung_row(row: &AnyRow) -> Result<PungRow> {
    let kind = text(row, "kind")?;
    let audience = text(row, "audience")?;
    Ok(PungRow {
        id: PungId(i64_col(row, "id")?),
        author_id: UserId(i64_col(row, "author_id")?),
        client_id: ClientMsgId(text(row, "client_id")?),
        kind: PungKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("pung kind {kind:?}")))?,
        text: text(row, "text")?,
        background: opt_text(row, "background")?,
        media_id: opt_text(row, "media_id")?.map(MediaId),
        layers: json(&text(row, "layers")?)?,
        audience_mode: AudienceMode::parse(&audience)
            .ok_or_else(|| StoreError::Corrupt(format!("pung audience {audience:?}")))?,
        created_at: Millis(i64_col(row, "created_at")?),
        expires_at: Millis(i64_col(row, "expires_at")?),
    })
}

/// The Pungs `$1` (the viewer) wrote or was given, unexpired at `$2`, with
/// the relationship facts; callers append a condition and an order.
const FOR_VIEWER: &str = "\
    CAST(CASE WHEN EXISTS (SELECT 1 FROM pung_audience a WHERE a.pung_id = p.id AND a.user_id = $1) \
      THEN 1 ELSE 0 END AS BIGINT) AS in_audience, \
    CAST(CASE WHEN EXISTS (SELECT 1 FROM friends f WHERE f.user_id = p.author_id AND f.friend_id = $1) \
      THEN 1 ELSE 0 END AS BIGINT) AS author_lists_viewer, \
    CAST(CASE WHEN EXISTS (SELECT 1 FROM friends f WHERE f.user_id = $1 AND f.friend_id = p.author_id) \
      THEN 1 ELSE 0 END AS BIGINT) AS viewer_lists_author, \
    CAST(CASE WHEN EXISTS (SELECT 1 FROM blocks b WHERE (b.user_id = p.author_id AND b.blocked_id = $1) \
      OR (b.user_id = $1 AND b.blocked_id = p.author_id)) THEN 1 ELSE 0 END AS BIGINT) AS blocked, \
    CAST(CASE WHEN EXISTS (SELECT 1 FROM pung_views v WHERE v.pung_id = p.id AND v.user_id = $1) \
      THEN 1 ELSE 0 END AS BIGINT) AS seen \
    FROM pungs p WHERE p.expires_at > $2 \
      AND (p.author_id = $1 OR p.id IN (SELECT pung_id FROM pung_audience WHERE user_id = $1))";

fn for_viewer_row(row: &AnyRow) -> Result<PungForViewer> {
    Ok(PungForViewer {
        pung: pung_row(row)?,
        in_audience: flag(row, "in_audience")?,
        author_lists_viewer: flag(row, "author_lists_viewer")?,
        viewer_lists_author: flag(row, "viewer_lists_author")?,
        blocked: flag(row, "blocked")?,
        seen: flag(row, "seen")?,
    })
}

/// Binds a list of Pung ids after the binds already on `q`.
pub(super) fn bind_ids<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    ids: &[PungId],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    for id in ids {
        q = q.bind(id.0);
    }
    q
}

#[async_trait]
impl PungRepo for SqlStore {
    async fn create_pung(&self, new: NewPung) -> Result<PungRow> {
        let mut tx = self.begin_write().await?;
        let sql = format!(
            "INSERT INTO pungs (author_id, client_id, kind, text, background, media_id, layers, \
             audience, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             RETURNING {PUNG_COLS}"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(new.author.0)
            .bind(&new.client_id.0)
            .bind(new.kind.as_str())
            .bind(&new.text)
            .bind(&new.background)
            .bind(new.media.as_ref().map(|m| m.0.clone()))
            .bind(to_json(&new.layers)?)
            .bind(new.audience_mode.as_str())
            .bind(new.created_at.0)
            .bind(new.expires_at.0)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(db) if db.is_unique_violation() => {
                    if db.message().contains("media") {
                        StoreError::Conflict("media")
                    } else {
                        StoreError::Conflict("client_id")
                    }
                }
                _ => StoreError::Db(e),
            })?;
        let pung = pung_row(&row)?;
        for user in &new.audience {
            sqlx::query("INSERT INTO pung_audience (pung_id, user_id) VALUES ($1, $2)")
                .bind(pung.id.0)
                .bind(user.0)
                .execute(&mut *tx)
                .await
                .map_err(conflict("audience member"))?;
        }
        for user in &new.tags {
            sqlx::query("INSERT INTO pung_tags (pung_id, user_id) VALUES ($1, $2)")
                .bind(pung.id.0)
                .bind(user.0)
                .execute(&mut *tx)
                .await
                .map_err(conflict("tag"))?;
        }
        tx.commit().await?;
        Ok(pung)
    }

    async fn pung_by_client_id(
        &self,
        author: UserId,
        client_id: &ClientMsgId,
        now: Millis,
    ) -> Result<Option<PungRow>> {
        let sql = format!(
            "SELECT {PUNG_COLS} FROM pungs WHERE author_id = $1 AND client_id = $2 AND expires_at > $3"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(author.0)
            .bind(&client_id.0)
            .bind(now.0)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(pung_row).transpose()
    }

    async fn pung_for_viewer(
        &self,
        id: PungId,
        viewer: UserId,
        now: Millis,
    ) -> Result<Option<PungForViewer>> {
        let sql = format!("SELECT {PUNG_COLS}, {FOR_VIEWER} AND p.id = $3");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(viewer.0)
            .bind(now.0)
            .bind(id.0)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(for_viewer_row).transpose()
    }

    async fn pungs_for_viewer(&self, viewer: UserId, now: Millis) -> Result<Vec<PungForViewer>> {
        let sql = format!("SELECT {PUNG_COLS}, {FOR_VIEWER} ORDER BY p.created_at, p.id");
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(viewer.0)
            .bind(now.0)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(for_viewer_row).collect()
    }

    async fn pung_by_media(&self, media: &MediaId) -> Result<Option<PungId>> {
        let row = sqlx::query("SELECT id FROM pungs WHERE media_id = $1")
            .bind(&media.0)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| i64_col(&r, "id").map(PungId)).transpose()
    }

    async fn pung_audience(&self, id: PungId) -> Result<Vec<UserId>> {
        let rows = sqlx::query("SELECT user_id FROM pung_audience WHERE pung_id = $1 ORDER BY user_id")
            .bind(id.0)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|r| i64_col(r, "user_id").map(UserId)).collect()
    }

    async fn pung_tags(&self, ids: &[PungId]) -> Result<Vec<(PungId, UserId)>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT pung_id, user_id FROM pung_tags WHERE pung_id IN ({}) ORDER BY pung_id, user_id",
            placeholders(1, ids.len())
        );
        let rows = bind_ids(sqlx::query(AssertSqlSafe(sql)), ids)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| Ok((PungId(i64_col(r, "pung_id")?), UserId(i64_col(r, "user_id")?))))
            .collect()
    }

    async fn purge_expired(&self, now: Millis, limit: i64) -> Result<Vec<PurgedPung>> {
        purge::purge_expired(self, now, limit).await
    }

    async fn purge_pung(&self, id: PungId, now: Millis) -> Result<Option<PurgedPung>> {
        purge::purge_one(self, id, now).await
    }

    async fn purge_unposted_uploads(&self, before: Millis, now: Millis, limit: i64) -> Result<usize> {
        purge::purge_unposted_uploads(self, before, now, limit).await
    }

    async fn trashed_blobs(&self, limit: i64) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT key FROM blob_trash ORDER BY at, key LIMIT $1")
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|r| text(r, "key")).collect()
    }

    async fn forget_trashed_blob(&self, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM blob_trash WHERE key = $1")
            .bind(key)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn flush_deleted(&self) -> Result<()> {
        if self.backend() == crate::Backend::Sqlite {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .fetch_all(self.pool())
                .await?;
        }
        Ok(())
    }
}
