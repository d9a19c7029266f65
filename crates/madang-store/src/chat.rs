//! Rooms, their members and read cursors.

use crate::events::append_event;
use crate::messages::{MESSAGE_COLS, StoredMessage, message_row};
use crate::rows::{i64_col, opt_i64, text};
use crate::{Result, SqlStore, StoreError, conflict};
use async_trait::async_trait;
use madang_types::api::RoomKind;
use madang_types::events::{EventBody, RoomEvent};
use madang_types::{ChannelId, Millis, OpenChatId, RoomId, Seq, UserId};
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;

#[derive(Clone, Debug)]
pub struct RoomRow {
    pub id: RoomId,
    pub kind: RoomKind,
    /// For the rooms of an open chat.
    pub open_chat_id: Option<OpenChatId>,
    /// For a person's room with a channel.
    pub channel_id: Option<ChannelId>,
    /// An open chat's room that was closed.
    pub closed_at: Option<Millis>,
    pub title: String,
    pub last_seq: Seq,
    pub last_message_seq: Option<Seq>,
    pub member_count: i64,
    pub created_by: UserId,
    pub created_at: Millis,
    /// A group chat's assistant, when one was added: the account it
    /// speaks as (not a member).
    pub assistant_id: Option<UserId>,
}

#[derive(Clone, Debug)]
pub struct MemberRow {
    pub room_id: RoomId,
    pub user_id: UserId,
    /// The id the member is recorded and shown under in this room: the
    /// account's own, or (in an open chat) a persona's.
    pub shown_id: UserId,
    pub joined_seq: Seq,
    pub read_seq: Seq,
    pub muted: bool,
    pub pinned_at: Option<Millis>,
}

/// A room as one member sees it in the chat list.
#[derive(Clone, Debug)]
pub struct RoomSummaryRow {
    pub room: RoomRow,
    pub member: MemberRow,
    pub unread: i64,
    pub last_message: Option<StoredMessage>,
}

#[derive(Clone, Debug)]
pub struct NewRoom {
    pub kind: RoomKind,
    pub title: String,
    /// For 1:1 rooms: `"{smaller id}:{larger id}"`, unique.
    pub direct_key: Option<String>,
    pub creator: UserId,
    /// Everyone in the room, the creator included.
    pub members: Vec<UserId>,
    pub at: Millis,
}

#[async_trait]
pub trait ChatRepo: Send + Sync {
    /// Creates a room with its members, logging `created` and one `joined`
    /// per member. `Conflict("direct_key")` when that 1:1 room exists.
    async fn create_room(&self, room: NewRoom) -> Result<(RoomRow, Vec<RoomEvent>)>;
    async fn room(&self, id: RoomId) -> Result<Option<RoomRow>>;
    async fn direct_room(&self, direct_key: &str) -> Result<Option<RoomId>>;
    async fn member(&self, room: RoomId, user: UserId) -> Result<Option<MemberRow>>;
    /// What a send checks, in one read: the sender's membership, the room,
    /// and in a 1:1 room whether the other person blocked the sender.
    /// `None` when `user` is not a member.
    async fn send_context(&self, room: RoomId, user: UserId) -> Result<Option<SendContext>>;
    /// The member shown in `room` as `shown`.
    async fn member_by_shown(&self, room: RoomId, shown: UserId) -> Result<Option<MemberRow>>;
    async fn members(&self, room: RoomId) -> Result<Vec<MemberRow>>;
    /// Rooms of `user` with unread counts and last messages, newest first.
    async fn rooms_of(&self, user: UserId) -> Result<Vec<RoomSummaryRow>>;
    /// For each room of `user`: its id, the user's `joined_seq` and the
    /// room's `last_seq`, for live subscriptions.
    async fn heads_of(&self, user: UserId) -> Result<Vec<(RoomId, Seq, Seq)>>;
    /// Adds those not yet members, logging `joined` for each; `RoomFull`
    /// when the room would exceed `cap` members.
    async fn add_members(
        &self,
        room: RoomId,
        users: &[UserId],
        by: UserId,
        at: Millis,
        cap: i64,
    ) -> Result<Vec<RoomEvent>>;
    /// Removes a member, logging `left` under their room identity; `None`
    /// when not a member.
    async fn remove_member(&self, room: RoomId, user: UserId, at: Millis) -> Result<Option<RoomEvent>>;
    async fn set_muted(&self, room: RoomId, user: UserId, muted: bool) -> Result<()>;
    async fn set_pinned(&self, room: RoomId, user: UserId, pinned_at: Option<Millis>) -> Result<()>;
    /// Moves the read cursor forward to `seq` (never back); true if it moved.
    /// In a channel's room (`room.channel_id`) the campaign messages it
    /// passes are counted as read.
    async fn mark_read(&self, room: &RoomRow, user: UserId, seq: Seq) -> Result<bool>;
    /// Every member's read cursor, ascending.
    async fn read_cursors(&self, room: RoomId) -> Result<Vec<Seq>>;
    /// An account the server itself acts as (`@assistant`, `@screening`):
    /// nobody can sign up with or log in as one.
    async fn system_account(&self, handle: &str) -> Result<UserId>;
    /// Adds (`Some`) or removes (`None`) the room's assistant, logging
    /// `assistant_added` or `assistant_removed` by `by`; `None` when that
    /// was already so.
    async fn set_assistant(
        &self,
        room: RoomId,
        assistant: Option<UserId>,
        by: UserId,
        at: Millis,
    ) -> Result<Option<RoomEvent>>;
}

/// What [`ChatRepo::send_context`] reads.
#[derive(Clone, Debug)]
pub struct SendContext {
    pub member: MemberRow,
    pub room: RoomRow,
    /// A 1:1 room whose other member blocked the sender.
    pub blocked: bool,
}

// Column names of `rooms` and `room_members` do not overlap, so both lists
// work unqualified in a join and in `RETURNING`.
pub(crate) const ROOM_COLS: &str = "id, kind, open_chat_id, channel_id, closed_at, title, last_seq, last_message_seq, member_count, created_by, created_at, assistant_id";
pub(crate) const MEMBER_COLS: &str = "room_id, user_id, shown_id, joined_seq, read_seq, muted, pinned_at";

pub(crate) fn room_row(row: &AnyRow) -> Result<RoomRow> {
    let kind = text(row, "kind")?;
    let kind = RoomKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("room kind {kind:?}")))?;
    Ok(RoomRow {
        id: RoomId(i64_col(row, "id")?),
        kind,
        open_chat_id: opt_i64(row, "open_chat_id")?.map(OpenChatId),
        channel_id: opt_i64(row, "channel_id")?.map(ChannelId),
        closed_at: opt_i64(row, "closed_at")?.map(Millis),
        title: text(row, "title")?,
        last_seq: Seq(i64_col(row, "last_seq")?),
        last_message_seq: opt_i64(row, "last_message_seq")?.map(Seq),
        member_count: i64_col(row, "member_count")?,
        created_by: UserId(i64_col(row, "created_by")?),
        created_at: Millis(i64_col(row, "created_at")?),
        assistant_id: opt_i64(row, "assistant_id")?.map(UserId),
    })
}

pub(crate) fn member_row(row: &AnyRow) -> Result<MemberRow> {
    Ok(MemberRow {
        room_id: RoomId(i64_col(row, "room_id")?),
        user_id: UserId(i64_col(row, "user_id")?),
        shown_id: UserId(i64_col(row, "shown_id")?),
        joined_seq: Seq(i64_col(row, "joined_seq")?),
        read_seq: Seq(i64_col(row, "read_seq")?),
        muted: i64_col(row, "muted")? != 0,
        pinned_at: opt_i64(row, "pinned_at")?.map(Millis),
    })
}

#[async_trait]
impl ChatRepo for SqlStore {
    async fn create_room(&self, new: NewRoom) -> Result<(RoomRow, Vec<RoomEvent>)> {
        let mut tx = self.begin_write().await?;
        let sql = format!(
            "INSERT INTO rooms (kind, title, direct_key, member_count, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {ROOM_COLS}"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(new.kind.as_str())
            .bind(&new.title)
            .bind(&new.direct_key)
            .bind(new.members.len() as i64)
            .bind(new.creator.0)
            .bind(new.at.0)
            .fetch_one(&mut *tx)
            .await
            .map_err(conflict("direct_key"))?;
        let room = room_row(&row)?;
        let mut events = Vec::with_capacity(new.members.len() + 1);
        let created = EventBody::Created {
            title: new.title.clone(),
        };
        events.push(append_event(&mut tx, room.id, new.creator, new.at, created).await?);
        for &user in &new.members {
            let invited_by = (user != new.creator).then_some(new.creator);
            let body = EventBody::Joined { user, invited_by };
            events.push(append_event(&mut tx, room.id, new.creator, new.at, body).await?);
        }
        let last = events.last().map(|e| e.seq).unwrap_or(Seq::ZERO);
        for &user in &new.members {
            sqlx::query(
                "INSERT INTO room_members (room_id, user_id, shown_id, joined_seq, read_seq) \
                 VALUES ($1, $2, $2, 1, $3)",
            )
            .bind(room.id.0)
            .bind(user.0)
            .bind(last.0)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok((
            RoomRow {
                last_seq: last,
                ..room
            },
            events,
        ))
    }

    async fn room(&self, id: RoomId) -> Result<Option<RoomRow>> {
        let sql = format!("SELECT {ROOM_COLS} FROM rooms WHERE id = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id.0)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(room_row).transpose()
    }

    async fn direct_room(&self, direct_key: &str) -> Result<Option<RoomId>> {
        let row = sqlx::query("SELECT id FROM rooms WHERE direct_key = $1")
            .bind(direct_key)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| i64_col(&r, "id").map(RoomId)).transpose()
    }

    async fn member(&self, room: RoomId, user: UserId) -> Result<Option<MemberRow>> {
        let sql = format!("SELECT {MEMBER_COLS} FROM room_members m WHERE room_id = $1 AND user_id = $2");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(room.0)
            .bind(user.0)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(member_row).transpose()
    }

    async fn send_context(&self, room: RoomId, user: UserId) -> Result<Option<SendContext>> {
        let sql = format!(
            "SELECT {MEMBER_COLS}, {ROOM_COLS}, \
               CAST(CASE WHEN kind = 'direct' AND EXISTS (SELECT 1 FROM room_members o \
                 JOIN blocks b ON b.user_id = o.user_id AND b.blocked_id = $2 \
                 WHERE o.room_id = $1 AND o.user_id <> $2) THEN 1 ELSE 0 END AS BIGINT) AS blocked \
             FROM room_members JOIN rooms ON rooms.id = room_members.room_id \
             WHERE room_id = $1 AND user_id = $2"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(room.0)
            .bind(user.0)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref()
            .map(|r| {
                Ok(SendContext {
                    member: member_row(r)?,
                    room: room_row(r)?,
                    blocked: i64_col(r, "blocked")? == 1,
                })
            })
            .transpose()
    }

    async fn member_by_shown(&self, room: RoomId, shown: UserId) -> Result<Option<MemberRow>> {
        let sql = format!("SELECT {MEMBER_COLS} FROM room_members WHERE room_id = $1 AND shown_id = $2");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(room.0)
            .bind(shown.0)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(member_row).transpose()
    }

    async fn members(&self, room: RoomId) -> Result<Vec<MemberRow>> {
        let sql = format!("SELECT {MEMBER_COLS} FROM room_members WHERE room_id = $1 ORDER BY user_id");
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(room.0)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(member_row).collect()
    }

    async fn rooms_of(&self, user: UserId) -> Result<Vec<RoomSummaryRow>> {
        let sql = format!(
            "SELECT {ROOM_COLS}, {MEMBER_COLS}, \
               (SELECT COUNT(*) FROM messages x WHERE x.room_id = r.id AND x.seq > m.read_seq \
                  AND x.sender_id <> m.user_id AND x.deleted_at IS NULL AND x.thread_root IS NULL) AS unread \
             FROM room_members m JOIN rooms r ON r.id = m.room_id WHERE m.user_id = $1"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(user.0)
            .fetch_all(self.pool())
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.push(RoomSummaryRow {
                room: room_row(row)?,
                member: member_row(row)?,
                unread: i64_col(row, "unread")?,
                last_message: None,
            });
        }
        // Last messages in one query: (room_id, seq) pairs.
        let wanted: Vec<(RoomId, Seq)> = out
            .iter()
            .filter_map(|s| s.room.last_message_seq.map(|q| (s.room.id, q)))
            .collect();
        if !wanted.is_empty() {
            let cond = (0..wanted.len())
                .map(|i| format!("(room_id = ${} AND seq = ${})", 2 * i + 1, 2 * i + 2))
                .collect::<Vec<_>>()
                .join(" OR ");
            let sql = format!("SELECT {MESSAGE_COLS} FROM messages WHERE {cond}");
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for (room, seq) in &wanted {
                q = q.bind(room.0).bind(seq.0);
            }
            let mut last: std::collections::HashMap<RoomId, StoredMessage> = q
                .fetch_all(self.pool())
                .await?
                .iter()
                .map(|r| message_row(r).map(|m| (m.room_id, m)))
                .collect::<Result<_>>()?;
            for s in &mut out {
                s.last_message = last.remove(&s.room.id);
            }
        }
        Ok(out)
    }

    async fn heads_of(&self, user: UserId) -> Result<Vec<(RoomId, Seq, Seq)>> {
        let rows = sqlx::query(
            "SELECT m.room_id, m.joined_seq, r.last_seq FROM room_members m \
             JOIN rooms r ON r.id = m.room_id WHERE m.user_id = $1",
        )
        .bind(user.0)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    RoomId(i64_col(r, "room_id")?),
                    Seq(i64_col(r, "joined_seq")?),
                    Seq(i64_col(r, "last_seq")?),
                ))
            })
            .collect()
    }

    async fn add_members(
        &self,
        room: RoomId,
        users: &[UserId],
        by: UserId,
        at: Millis,
        cap: i64,
    ) -> Result<Vec<RoomEvent>> {
        let mut tx = self.begin_write().await?;
        // Lock the room first so the count and the inserts are atomic.
        let row =
            sqlx::query("UPDATE rooms SET member_count = member_count WHERE id = $1 RETURNING member_count")
                .bind(room.0)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
        let count = i64_col(&row, "member_count")?;
        let mut fresh = Vec::new();
        for &user in users {
            let exists = sqlx::query("SELECT 1 AS x FROM room_members WHERE room_id = $1 AND user_id = $2")
                .bind(room.0)
                .bind(user.0)
                .fetch_optional(&mut *tx)
                .await?
                .is_some();
            if !exists && !fresh.contains(&user) {
                fresh.push(user);
            }
        }
        if count + fresh.len() as i64 > cap {
            return Err(StoreError::RoomFull);
        }
        let mut events = Vec::with_capacity(fresh.len());
        for &user in &fresh {
            let body = EventBody::Joined {
                user,
                invited_by: Some(by),
            };
            let event = append_event(&mut tx, room, by, at, body).await?;
            sqlx::query(
                "INSERT INTO room_members (room_id, user_id, shown_id, joined_seq, read_seq) \
                 VALUES ($1, $2, $2, $3, $3)",
            )
            .bind(room.0)
            .bind(user.0)
            .bind(event.seq.0)
            .execute(&mut *tx)
            .await?;
            events.push(event);
        }
        sqlx::query("UPDATE rooms SET member_count = member_count + $2 WHERE id = $1")
            .bind(room.0)
            .bind(fresh.len() as i64)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(events)
    }

    async fn remove_member(&self, room: RoomId, user: UserId, at: Millis) -> Result<Option<RoomEvent>> {
        let mut tx = self.begin_write().await?;
        let gone =
            sqlx::query("DELETE FROM room_members WHERE room_id = $1 AND user_id = $2 RETURNING shown_id")
                .bind(room.0)
                .bind(user.0)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(gone) = gone else {
            return Ok(None);
        };
        let shown = UserId(i64_col(&gone, "shown_id")?);
        crate::threads::forget(&mut tx, room, user).await?;
        let event = append_event(&mut tx, room, shown, at, EventBody::Left { user: shown }).await?;
        sqlx::query("UPDATE rooms SET member_count = member_count - 1 WHERE id = $1")
            .bind(room.0)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(event))
    }

    async fn set_muted(&self, room: RoomId, user: UserId, muted: bool) -> Result<()> {
        sqlx::query("UPDATE room_members SET muted = $3 WHERE room_id = $1 AND user_id = $2")
            .bind(room.0)
            .bind(user.0)
            .bind(i64::from(muted))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn set_pinned(&self, room: RoomId, user: UserId, pinned_at: Option<Millis>) -> Result<()> {
        sqlx::query("UPDATE room_members SET pinned_at = $3 WHERE room_id = $1 AND user_id = $2")
            .bind(room.0)
            .bind(user.0)
            .bind(pinned_at.map(|m| m.0))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn mark_read(&self, room: &RoomRow, user: UserId, seq: Seq) -> Result<bool> {
        if room.channel_id.is_some() {
            let mut tx = self.begin_write().await?;
            let moved = crate::local::read_channel_room(&mut tx, room.id, user, seq).await?;
            tx.commit().await?;
            return Ok(moved);
        }
        let room = room.id;
        let done = sqlx::query(
            "UPDATE room_members SET read_seq = $3 WHERE room_id = $1 AND user_id = $2 AND read_seq < $3",
        )
        .bind(room.0)
        .bind(user.0)
        .bind(seq.0)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn read_cursors(&self, room: RoomId) -> Result<Vec<Seq>> {
        let rows = sqlx::query("SELECT read_seq FROM room_members WHERE room_id = $1 ORDER BY read_seq")
            .bind(room.0)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|r| i64_col(r, "read_seq").map(Seq)).collect()
    }

    async fn system_account(&self, handle: &str) -> Result<UserId> {
        let row = sqlx::query("SELECT id FROM users WHERE handle = $1")
            .bind(handle)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(UserId(i64_col(&row, "id")?))
    }

    async fn set_assistant(
        &self,
        room: RoomId,
        assistant: Option<UserId>,
        by: UserId,
        at: Millis,
    ) -> Result<Option<RoomEvent>> {
        let mut tx = self.begin_write().await?;
        // Lock the room: two members switching it at once log one change.
        let row = sqlx::query("UPDATE rooms SET last_seq = last_seq WHERE id = $1 RETURNING assistant_id")
            .bind(room.0)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let current = opt_i64(&row, "assistant_id")?.map(UserId);
        if current == assistant {
            return Ok(None);
        }
        let body = match (assistant, current) {
            (Some(assistant), _) => EventBody::AssistantAdded { assistant },
            (None, Some(assistant)) => EventBody::AssistantRemoved { assistant },
            (None, None) => return Ok(None),
        };
        let event = append_event(&mut tx, room, by, at, body).await?;
        sqlx::query("UPDATE rooms SET assistant_id = $2 WHERE id = $1")
            .bind(room.0)
            .bind(assistant.map(|a| a.0))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(event))
    }
}
