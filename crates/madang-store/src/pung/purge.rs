//! Deleting a Pung and everything about it in one transaction: its row,
//! audience, tags, views, reactions and votes, its photo's row, and the
//! reference to it in reply and tag messages (in the messages table and in
//! their logged events). The photo's files are listed in `blob_trash` in
//! the same transaction and deleted after it, so a crash in between leaves
//! a key to retry, never a forgotten file.
//!
//! Claiming is exclusive: on PostgreSQL the expired rows are locked with
//! `FOR UPDATE SKIP LOCKED`, so nodes purging at the same moment take
//! disjoint Pungs; on SQLite the write lock taken by `BEGIN IMMEDIATE`
//! serialises purges. Either way each Pung is purged exactly once.

use crate::accounts::placeholders;
use crate::messages::rewrite_event;
use crate::rows::{i64_col, json, opt_text, text};
use crate::{Result, SqlStore};
use madang_types::events::EventBody;
use madang_types::{Millis, PungId, RoomId, Seq, UserId};
use sqlx::{AnyConnection, AssertSqlSafe};

use super::bind_ids;

/// A Pung that was purged: who wrote it and who could see it, so that
/// their clients can be told it is gone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PurgedPung {
    pub id: PungId,
    pub author: UserId,
    pub audience: Vec<UserId>,
}

/// A statement over a list of Pung ids bound as `$1…$n`.
fn with_ids(sql: String, ids: &[PungId]) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments> {
    bind_ids(sqlx::query(AssertSqlSafe(sql)), ids)
}

pub(super) async fn purge_expired(store: &SqlStore, now: Millis, limit: i64) -> Result<Vec<PurgedPung>> {
    let mut tx = store.begin_write().await?;
    let sql = format!(
        "SELECT id FROM pungs WHERE expires_at <= $1 ORDER BY expires_at, id LIMIT $2{}",
        store.skip_locked()
    );
    let ids: Vec<PungId> = sqlx::query(AssertSqlSafe(sql))
        .bind(now.0)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| i64_col(r, "id").map(PungId))
        .collect::<Result<_>>()?;
    let purged = purge_in(&mut tx, &ids, now).await?;
    tx.commit().await?;
    Ok(purged)
}

pub(super) async fn purge_one(store: &SqlStore, id: PungId, now: Millis) -> Result<Option<PurgedPung>> {
    let mut tx = store.begin_write().await?;
    let sql = format!("SELECT id FROM pungs WHERE id = $1{}", store.skip_locked());
    let found = sqlx::query(AssertSqlSafe(sql))
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await?
        .is_some();
    if !found {
        return Ok(None);
    }
    let purged = purge_in(&mut tx, &[id], now).await?;
    tx.commit().await?;
    Ok(purged.into_iter().next())
}

pub(super) async fn purge_unposted_uploads(
    store: &SqlStore,
    before: Millis,
    now: Millis,
    limit: i64,
) -> Result<usize> {
    let mut tx = store.begin_write().await?;
    let sql = format!(
        "SELECT id FROM media m WHERE purpose = 'pung' AND created_at < $1 \
         AND NOT EXISTS (SELECT 1 FROM pungs p WHERE p.media_id = m.id) ORDER BY created_at LIMIT $2{}",
        store.skip_locked()
    );
    let keys: Vec<String> = sqlx::query(AssertSqlSafe(sql))
        .bind(before.0)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| text(r, "id"))
        .collect::<Result<_>>()?;
    trash_media(&mut tx, &keys, now).await?;
    tx.commit().await?;
    Ok(keys.len())
}

/// Moves the files of these media rows to the blob trash and deletes the rows.
async fn trash_media(conn: &mut AnyConnection, media: &[String], now: Millis) -> Result<()> {
    if media.is_empty() {
        return Ok(());
    }
    let list = placeholders(1, media.len());
    let mut q = sqlx::query(AssertSqlSafe(format!(
        "SELECT id, thumbnail FROM media WHERE id IN ({list})"
    )));
    for m in media {
        q = q.bind(m);
    }
    let mut keys = Vec::new();
    for row in q.fetch_all(&mut *conn).await? {
        keys.push(text(&row, "id")?);
        keys.extend(opt_text(&row, "thumbnail")?);
    }
    for key in &keys {
        sqlx::query("INSERT INTO blob_trash (key, at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
            .bind(key)
            .bind(now.0)
            .execute(&mut *conn)
            .await?;
    }
    let mut q = sqlx::query(AssertSqlSafe(format!("DELETE FROM media WHERE id IN ({list})")));
    for m in media {
        q = q.bind(m);
    }
    q.execute(&mut *conn).await?;
    Ok(())
}

/// Removes the Pung reference from messages (and their logged events)
/// that point at these Pungs.
async fn unlink_messages(conn: &mut AnyConnection, ids: &[PungId], list: &str) -> Result<()> {
    let refs: Vec<(RoomId, Seq)> = with_ids(
        format!("SELECT room_id, seq FROM messages WHERE pung_id IN ({list})"),
        ids,
    )
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| Ok((RoomId(i64_col(r, "room_id")?), Seq(i64_col(r, "seq")?))))
    .collect::<Result<_>>()?;
    if refs.is_empty() {
        return Ok(());
    }
    with_ids(
        format!("UPDATE messages SET pung_id = NULL WHERE pung_id IN ({list})"),
        ids,
    )
    .execute(&mut *conn)
    .await?;
    for (room, seq) in refs {
        let row = sqlx::query("SELECT body FROM events WHERE room_id = $1 AND seq = $2")
            .bind(room.0)
            .bind(seq.0)
            .fetch_optional(&mut *conn)
            .await?;
        let Some(row) = row else { continue };
        if let EventBody::Message { mut message } = json(&text(&row, "body")?)? {
            message.pung_id = None;
            rewrite_event(conn, room, seq, &EventBody::Message { message }).await?;
        }
    }
    Ok(())
}

/// Deletes the given (claimed) Pungs and everything about them.
async fn purge_in(conn: &mut AnyConnection, ids: &[PungId], now: Millis) -> Result<Vec<PurgedPung>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = placeholders(1, ids.len());
    let rows = with_ids(
        format!("SELECT id, author_id, media_id FROM pungs WHERE id IN ({list}) ORDER BY id"),
        ids,
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut purged = Vec::with_capacity(rows.len());
    let mut media = Vec::new();
    for row in &rows {
        purged.push(PurgedPung {
            id: PungId(i64_col(row, "id")?),
            author: UserId(i64_col(row, "author_id")?),
            audience: Vec::new(),
        });
        media.extend(opt_text(row, "media_id")?);
    }
    for row in with_ids(
        format!("SELECT pung_id, user_id FROM pung_audience WHERE pung_id IN ({list}) ORDER BY user_id"),
        ids,
    )
    .fetch_all(&mut *conn)
    .await?
    {
        let pung = PungId(i64_col(&row, "pung_id")?);
        if let Some(p) = purged.iter_mut().find(|p| p.id == pung) {
            p.audience.push(UserId(i64_col(&row, "user_id")?));
        }
    }
    unlink_messages(conn, ids, &list).await?;
    for table in [
        "pung_views",
        "pung_reactions",
        "pung_votes",
        "pung_tags",
        "pung_audience",
    ] {
        with_ids(format!("DELETE FROM {table} WHERE pung_id IN ({list})"), ids)
            .execute(&mut *conn)
            .await?;
    }
    // The Pung row goes before its photo's row: nothing may point at a
    // media row that is gone.
    with_ids(format!("DELETE FROM pungs WHERE id IN ({list})"), ids)
        .execute(&mut *conn)
        .await?;
    trash_media(conn, &media, now).await?;
    Ok(purged)
}
