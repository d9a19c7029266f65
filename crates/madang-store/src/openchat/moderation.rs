//! What hosts and co-hosts do to an open chat: hide and restore messages,
//! kick and ban, change roles, hand over, pin notices, close; plus the
//! room's banned words. Each act is one transaction with its event.

use super::{OPEN_MEMBER_COLS, OpenMemberRow, open_member_row};
use crate::events::append_event;
use crate::messages::{message_in, rewrite_event};
use crate::rows::{i64_col, text};
use crate::{Result, SqlStore, StoreError};
use async_trait::async_trait;
use madang_types::events::{EventBody, RoomEvent};
use madang_types::openchat::{FlagVerdict, OpenRole};
use madang_types::{BanId, Millis, OpenChatId, RoomId, Seq, UserId};
use sqlx::{AnyConnection, AssertSqlSafe};

/// A ban: who (the account, never shown), and the nickname they had.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BanRow {
    pub id: BanId,
    pub open_chat_id: OpenChatId,
    pub user_id: UserId,
    pub nickname: String,
    pub at: Millis,
}

/// What a kick logged.
#[derive(Clone, Debug)]
pub struct KickEvents {
    pub kicked: RoomEvent,
    /// A 1:1 open chat's room closes with its visitor.
    pub closed: Option<RoomEvent>,
}

/// What showing a hidden message again did.
#[derive(Clone, Debug)]
pub struct Restored {
    pub event: RoomEvent,
    /// Screening had flagged it, and that flag is now settled as fine.
    pub flag: bool,
}

/// A removal by a host or co-host.
#[derive(Clone, Copy, Debug)]
pub struct Kick {
    pub room: RoomId,
    pub user: UserId,
    /// The remover's room identity.
    pub by: UserId,
    /// Also ban from the open chat.
    pub ban: bool,
    pub at: Millis,
}

#[async_trait]
pub trait OpenModerationRepo: Send + Sync {
    /// Removes a member, logging `kicked`; bans them from the open chat if
    /// asked; a 1:1 open chat's room is closed too. `None` when they are
    /// not in the room.
    async fn kick(&self, kick: Kick) -> Result<Option<KickEvents>>;
    async fn is_banned(&self, chat: OpenChatId, user: UserId) -> Result<bool>;
    async fn bans(&self, chat: OpenChatId) -> Result<Vec<BanRow>>;
    /// True when there was such a ban.
    async fn unban(&self, chat: OpenChatId, ban: BanId) -> Result<bool>;
    /// Sets a member's role, logging `role_changed`.
    async fn set_role(
        &self,
        room: RoomId,
        user: UserId,
        role: OpenRole,
        by: UserId,
        at: Millis,
    ) -> Result<RoomEvent>;
    /// Makes `to` the host and `from` a member, in the room and the chat.
    async fn hand_over(
        &self,
        chat: OpenChatId,
        room: RoomId,
        from: UserId,
        to: UserId,
        at: Millis,
    ) -> Result<Vec<RoomEvent>>;
    /// Hides a message for everyone (its logged event too), logging
    /// `hidden`; `None` if it is already hidden, deleted or missing.
    async fn hide_message(&self, room: RoomId, seq: Seq, by: UserId, at: Millis)
    -> Result<Option<RoomEvent>>;
    /// Shows a hidden message again, logging `restored`, and settles a
    /// flag screening raised on it as fine; `None` if it is not hidden.
    async fn restore_message(
        &self,
        room: RoomId,
        seq: Seq,
        by: UserId,
        at: Millis,
    ) -> Result<Option<Restored>>;
    async fn pin_notice(
        &self,
        chat: OpenChatId,
        room: RoomId,
        seq: Seq,
        by: UserId,
        at: Millis,
    ) -> Result<RoomEvent>;
    async fn unpin_notice(&self, chat: OpenChatId, room: RoomId, by: UserId, at: Millis)
    -> Result<RoomEvent>;
    /// Closes the chat and every open room of it, logging `closed` in each.
    async fn close_open_chat(&self, chat: OpenChatId, by: UserId, at: Millis) -> Result<Vec<RoomEvent>>;
    async fn set_banned_words(&self, chat: OpenChatId, words: &[String]) -> Result<()>;
    /// The account that sent a message and its text as stored (hidden or
    /// not), for a report.
    async fn message_origin(&self, room: RoomId, seq: Seq) -> Result<Option<(UserId, String)>>;
}

/// Removes a member's rows from a room; returns who they were.
pub(super) async fn remove_open_member(
    conn: &mut AnyConnection,
    room: RoomId,
    user: UserId,
) -> Result<Option<OpenMemberRow>> {
    let sql = format!(
        "SELECT {OPEN_MEMBER_COLS} FROM open_members o JOIN room_members m \
           ON m.room_id = o.room_id AND m.user_id = o.user_id WHERE o.room_id = $1 AND o.user_id = $2"
    );
    let Some(row) = sqlx::query(AssertSqlSafe(sql))
        .bind(room.0)
        .bind(user.0)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let member = open_member_row(&row)?;
    for table in ["open_members", "room_members"] {
        sqlx::query(AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE room_id = $1 AND user_id = $2"
        )))
        .bind(room.0)
        .bind(user.0)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query("UPDATE rooms SET member_count = member_count - 1 WHERE id = $1")
        .bind(room.0)
        .execute(&mut *conn)
        .await?;
    Ok(Some(member))
}

/// Closes one room, logging `closed`.
pub(super) async fn close_room(
    conn: &mut AnyConnection,
    room: RoomId,
    by: UserId,
    at: Millis,
) -> Result<RoomEvent> {
    sqlx::query("UPDATE rooms SET closed_at = $2 WHERE id = $1")
        .bind(room.0)
        .bind(at.0)
        .execute(&mut *conn)
        .await?;
    append_event(conn, room, by, at, EventBody::Closed).await
}

/// Hides a message, logging `hidden` by `by`; `None` when it is already
/// hidden or deleted.
pub(super) async fn hide_in(
    conn: &mut AnyConnection,
    room: RoomId,
    seq: Seq,
    by: UserId,
    at: Millis,
) -> Result<Option<RoomEvent>> {
    let done = sqlx::query(
        "UPDATE messages SET hidden_at = $3 WHERE room_id = $1 AND seq = $2 \
         AND hidden_at IS NULL AND deleted_at IS NULL",
    )
    .bind(room.0)
    .bind(seq.0)
    .bind(at.0)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    // Catch-up must not replay the text from the original event.
    refresh_message_event(conn, room, seq).await?;
    Ok(Some(
        append_event(conn, room, by, at, EventBody::Hidden { target: seq }).await?,
    ))
}

/// Rewrites a message's logged event from its row as it now is.
async fn refresh_message_event(conn: &mut AnyConnection, room: RoomId, seq: Seq) -> Result<()> {
    if let Some(m) = message_in(conn, room, seq).await? {
        let body = EventBody::Message {
            message: Box::new(m.into_message(Vec::new(), 0)),
        };
        rewrite_event(conn, room, seq, &body).await?;
    }
    Ok(())
}

/// The room identity of `user` in `room`.
async fn shown_in(conn: &mut AnyConnection, room: RoomId, user: UserId) -> Result<UserId> {
    let row = sqlx::query("SELECT shown_id FROM room_members WHERE room_id = $1 AND user_id = $2")
        .bind(room.0)
        .bind(user.0)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(UserId(i64_col(&row, "shown_id")?))
}

async fn set_role_in(
    conn: &mut AnyConnection,
    room: RoomId,
    user: UserId,
    role: OpenRole,
    by: UserId,
    at: Millis,
) -> Result<RoomEvent> {
    let done = sqlx::query("UPDATE open_members SET role = $3 WHERE room_id = $1 AND user_id = $2")
        .bind(room.0)
        .bind(user.0)
        .bind(role.as_str())
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    let shown = shown_in(conn, room, user).await?;
    append_event(conn, room, by, at, EventBody::RoleChanged { user: shown, role }).await
}

#[async_trait]
impl OpenModerationRepo for SqlStore {
    async fn kick(&self, kick: Kick) -> Result<Option<KickEvents>> {
        let mut tx = self.begin_write().await?;
        let Some(gone) = remove_open_member(&mut tx, kick.room, kick.user).await? else {
            return Ok(None);
        };
        let body = EventBody::Kicked {
            user: gone.profile.shown,
            banned: kick.ban,
        };
        let event = append_event(&mut tx, kick.room, kick.by, kick.at, body).await?;
        // A 1:1 open chat's room ends with its visitor, as when they leave.
        let kind = sqlx::query("SELECT kind FROM rooms WHERE id = $1")
            .bind(kick.room.0)
            .fetch_one(&mut *tx)
            .await?;
        let mut closed = None;
        if text(&kind, "kind")? == madang_types::api::RoomKind::OpenDirect.as_str() {
            closed = Some(close_room(&mut tx, kick.room, kick.by, kick.at).await?);
            sqlx::query("UPDATE open_chats SET conversations = conversations - 1 WHERE id = $1")
                .bind(gone.open_chat_id.0)
                .execute(&mut *tx)
                .await?;
        }
        if kick.ban {
            sqlx::query(
                "INSERT INTO open_bans (open_chat_id, user_id, nickname, banned_by, at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (open_chat_id, user_id) DO NOTHING",
            )
            .bind(gone.open_chat_id.0)
            .bind(kick.user.0)
            .bind(&gone.profile.nickname)
            .bind(kick.by.0)
            .bind(kick.at.0)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Some(KickEvents {
            kicked: event,
            closed,
        }))
    }

    async fn is_banned(&self, chat: OpenChatId, user: UserId) -> Result<bool> {
        let row = sqlx::query("SELECT 1 AS x FROM open_bans WHERE open_chat_id = $1 AND user_id = $2")
            .bind(chat.0)
            .bind(user.0)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.is_some())
    }

    async fn bans(&self, chat: OpenChatId) -> Result<Vec<BanRow>> {
        let rows = sqlx::query(
            "SELECT id, open_chat_id, user_id, nickname, at FROM open_bans WHERE open_chat_id = $1 ORDER BY at DESC",
        )
        .bind(chat.0)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(BanRow {
                    id: BanId(i64_col(r, "id")?),
                    open_chat_id: OpenChatId(i64_col(r, "open_chat_id")?),
                    user_id: UserId(i64_col(r, "user_id")?),
                    nickname: text(r, "nickname")?,
                    at: Millis(i64_col(r, "at")?),
                })
            })
            .collect()
    }

    async fn unban(&self, chat: OpenChatId, ban: BanId) -> Result<bool> {
        let done = sqlx::query("DELETE FROM open_bans WHERE open_chat_id = $1 AND id = $2")
            .bind(chat.0)
            .bind(ban.0)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn set_role(
        &self,
        room: RoomId,
        user: UserId,
        role: OpenRole,
        by: UserId,
        at: Millis,
    ) -> Result<RoomEvent> {
        let mut tx = self.begin_write().await?;
        let event = set_role_in(&mut tx, room, user, role, by, at).await?;
        tx.commit().await?;
        Ok(event)
    }

    async fn hand_over(
        &self,
        chat: OpenChatId,
        room: RoomId,
        from: UserId,
        to: UserId,
        at: Millis,
    ) -> Result<Vec<RoomEvent>> {
        let mut tx = self.begin_write().await?;
        let by = shown_in(&mut tx, room, from).await?;
        let promoted = set_role_in(&mut tx, room, to, OpenRole::Host, by, at).await?;
        let stepped_down = set_role_in(&mut tx, room, from, OpenRole::Member, by, at).await?;
        let sql = format!(
            "SELECT {OPEN_MEMBER_COLS} FROM open_members o JOIN room_members m \
               ON m.room_id = o.room_id AND m.user_id = o.user_id WHERE o.room_id = $1 AND o.user_id = $2"
        );
        let host = open_member_row(
            &sqlx::query(AssertSqlSafe(sql))
                .bind(room.0)
                .bind(to.0)
                .fetch_one(&mut *tx)
                .await?,
        )?;
        sqlx::query(
            "UPDATE open_chats SET host_id = $2, host_shown = $3, host_nickname = $4, host_avatar_seed = $5, \
             host_real = $6 WHERE id = $1",
        )
        .bind(chat.0)
        .bind(to.0)
        .bind(host.profile.shown.0)
        .bind(&host.profile.nickname)
        .bind(&host.profile.avatar_seed)
        .bind(i64::from(host.profile.real_profile))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(vec![promoted, stepped_down])
    }

    async fn hide_message(
        &self,
        room: RoomId,
        seq: Seq,
        by: UserId,
        at: Millis,
    ) -> Result<Option<RoomEvent>> {
        let mut tx = self.begin_write().await?;
        let event = hide_in(&mut tx, room, seq, by, at).await?;
        tx.commit().await?;
        Ok(event)
    }

    async fn restore_message(
        &self,
        room: RoomId,
        seq: Seq,
        by: UserId,
        at: Millis,
    ) -> Result<Option<Restored>> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE messages SET hidden_at = NULL WHERE room_id = $1 AND seq = $2 AND hidden_at IS NOT NULL \
             AND deleted_at IS NULL",
        )
        .bind(room.0)
        .bind(seq.0)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        refresh_message_event(&mut tx, room, seq).await?;
        let event = append_event(&mut tx, room, by, at, EventBody::Restored { target: seq }).await?;
        let flag = super::screening::settle_flag(&mut tx, room, seq, FlagVerdict::Fine, at).await?;
        tx.commit().await?;
        Ok(Some(Restored { event, flag }))
    }

    async fn pin_notice(
        &self,
        chat: OpenChatId,
        room: RoomId,
        seq: Seq,
        by: UserId,
        at: Millis,
    ) -> Result<RoomEvent> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE open_chats SET notice_seq = $2 WHERE id = $1")
            .bind(chat.0)
            .bind(seq.0)
            .execute(&mut *tx)
            .await?;
        let event = append_event(&mut tx, room, by, at, EventBody::NoticePinned { target: seq }).await?;
        tx.commit().await?;
        Ok(event)
    }

    async fn unpin_notice(
        &self,
        chat: OpenChatId,
        room: RoomId,
        by: UserId,
        at: Millis,
    ) -> Result<RoomEvent> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE open_chats SET notice_seq = NULL WHERE id = $1")
            .bind(chat.0)
            .execute(&mut *tx)
            .await?;
        let event = append_event(&mut tx, room, by, at, EventBody::NoticeUnpinned).await?;
        tx.commit().await?;
        Ok(event)
    }

    async fn close_open_chat(&self, chat: OpenChatId, by: UserId, at: Millis) -> Result<Vec<RoomEvent>> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE open_chats SET closed_at = $2 WHERE id = $1 AND closed_at IS NULL")
            .bind(chat.0)
            .bind(at.0)
            .execute(&mut *tx)
            .await?;
        let rooms: Vec<RoomId> =
            sqlx::query("SELECT id FROM rooms WHERE open_chat_id = $1 AND closed_at IS NULL ORDER BY id")
                .bind(chat.0)
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| i64_col(r, "id").map(RoomId))
                .collect::<Result<_>>()?;
        let mut events = Vec::with_capacity(rooms.len());
        // `by` is the host's identity, the same in every room of the chat.
        for room in rooms {
            events.push(close_room(&mut tx, room, by, at).await?);
        }
        tx.commit().await?;
        Ok(events)
    }

    async fn set_banned_words(&self, chat: OpenChatId, words: &[String]) -> Result<()> {
        sqlx::query("UPDATE open_chats SET banned_words = $2 WHERE id = $1")
            .bind(chat.0)
            .bind(crate::rows::to_json(&words)?)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn message_origin(&self, room: RoomId, seq: Seq) -> Result<Option<(UserId, String)>> {
        let row = sqlx::query("SELECT sender_id, text FROM messages WHERE room_id = $1 AND seq = $2")
            .bind(room.0)
            .bind(seq.0)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| Ok((UserId(i64_col(&r, "sender_id")?), text(&r, "text")?)))
            .transpose()
    }
}
