//! A person's room with a channel (made when they first add it, kept when
//! they remove it) and its state in the business's shared inbox; what the
//! business keeps about a friend; channel posts; a person's place (time
//! zone and neighbourhood).

use crate::messages::{MESSAGE_COLS, StoredMessage, message_row};
use crate::rows::{flag, i64_col, json, opt_i64, opt_text, text, to_json};
use crate::{Result, SqlStore, StoreError};
use async_trait::async_trait;
use madang_types::channel::{Handover, InboxStatus};
use madang_types::{ChannelId, MediaId, Millis, PostId, RoomId, Seq, UserId};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq)]
pub struct ChannelRoomRow {
    pub room_id: RoomId,
    pub channel_id: ChannelId,
    pub user_id: UserId,
    pub status: InboxStatus,
    pub assignee_id: Option<UserId>,
    /// How far the business has read.
    pub read_seq: Seq,
    pub last_customer_at: Option<Millis>,
    pub updated_at: Millis,
    /// The people have it (a handover, an agent's answer or assignment)
    /// until it is closed; the assistant is quiet meanwhile.
    pub with_agents: bool,
    /// What the assistant had when it handed the room over.
    pub handover: Option<Handover>,
}

/// An inbox entry: the room's state, the person's messages the business
/// has not read, and the newest message.
#[derive(Clone, Debug)]
pub struct InboxRow {
    pub room: ChannelRoomRow,
    pub unread: i64,
    pub last_message: Option<StoredMessage>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PostRow {
    pub id: PostId,
    pub channel_id: ChannelId,
    pub author_id: UserId,
    pub text: String,
    pub photos: Vec<MediaId>,
    pub created_at: Millis,
}

/// A person's time zone (when set) and neighbourhood (when set).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct PlaceRow {
    pub time_zone: Option<String>,
    pub home: Option<(f64, f64)>,
}

#[async_trait]
pub trait ChannelRepo: Send + Sync {
    async fn channel_room(&self, channel: ChannelId, user: UserId) -> Result<Option<ChannelRoomRow>>;
    async fn channel_room_of(&self, room: RoomId) -> Result<Option<ChannelRoomRow>>;
    /// The inbox of a channel, most recently active first: rooms the
    /// person wrote in (never idle ones), of one status and one assignee
    /// when given.
    async fn inbox(
        &self,
        channel: ChannelId,
        status: Option<InboxStatus>,
        assignee: Option<UserId>,
        limit: i64,
    ) -> Result<Vec<InboxRow>>;
    /// The person wrote: the room is open (again) and moves up.
    /// Says whether the people have it (the assistant stays quiet); false
    /// for a room that is not a channel's.
    async fn customer_wrote(&self, room: RoomId, at: Millis) -> Result<bool>;
    /// Closing a conversation hands it back to the assistant (when the
    /// channel has it on) for the person's next message.
    async fn set_inbox_status(&self, room: RoomId, status: InboxStatus, at: Millis) -> Result<()>;
    /// Assigning it to an agent gives it to the people.
    async fn assign(&self, room: RoomId, agent: Option<UserId>, at: Millis) -> Result<()>;
    /// The people have the conversation now (open, the assistant quiet);
    /// with what the assistant had, when it handed it over.
    async fn to_agents(&self, room: RoomId, handover: Option<&Handover>, at: Millis) -> Result<()>;
    /// Moves the business's read cursor forward (never back).
    async fn inbox_read(&self, room: RoomId, seq: Seq) -> Result<()>;

    /// The business's tags and attributes for one friend; `NotFound` when
    /// they are not a friend.
    async fn set_friend_data(
        &self,
        channel: ChannelId,
        user: UserId,
        tags: Option<&[String]>,
        attributes: Option<&BTreeMap<String, String>>,
    ) -> Result<(Vec<String>, BTreeMap<String, String>)>;

    async fn create_post(
        &self,
        channel: ChannelId,
        author: UserId,
        text: &str,
        photos: &[MediaId],
        at: Millis,
    ) -> Result<PostRow>;
    /// Newest first, ids below `before` when given.
    async fn posts(&self, channel: ChannelId, before: Option<PostId>, limit: i64) -> Result<Vec<PostRow>>;

    async fn place(&self, user: UserId) -> Result<PlaceRow>;
    async fn set_place(&self, user: UserId, place: &PlaceRow) -> Result<()>;
}

const ROOM_STATE_COLS: &str = "room_id, channel_id, user_id, status, assignee_id, read_seq, \
     last_customer_at, updated_at, with_agents, handover";

fn channel_room_row(row: &AnyRow) -> Result<ChannelRoomRow> {
    let status = text(row, "status")?;
    Ok(ChannelRoomRow {
        room_id: RoomId(i64_col(row, "room_id")?),
        channel_id: ChannelId(i64_col(row, "channel_id")?),
        user_id: UserId(i64_col(row, "user_id")?),
        status: InboxStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("inbox status {status:?}")))?,
        assignee_id: opt_i64(row, "assignee_id")?.map(UserId),
        read_seq: Seq(i64_col(row, "read_seq")?),
        last_customer_at: opt_i64(row, "last_customer_at")?.map(Millis),
        updated_at: Millis(i64_col(row, "updated_at")?),
        with_agents: flag(row, "with_agents")?,
        handover: opt_text(row, "handover")?.map(|h| json(&h)).transpose()?,
    })
}

fn post_row(row: &AnyRow) -> Result<PostRow> {
    Ok(PostRow {
        id: PostId(i64_col(row, "id")?),
        channel_id: ChannelId(i64_col(row, "channel_id")?),
        author_id: UserId(i64_col(row, "author_id")?),
        text: text(row, "text")?,
        photos: json(&text(row, "photos")?)?,
        created_at: Millis(i64_col(row, "created_at")?),
    })
}

/// The person's room with the channel, made on first use: a room of kind
/// `channel` whose one member is the person (the channel speaks through
/// its agents, who are not members), and its inbox row. Returns the room
/// and whether it was made now.
pub(crate) async fn ensure_channel_room(
    conn: &mut AnyConnection,
    channel: ChannelId,
    user: UserId,
    at: Millis,
) -> Result<(RoomId, bool)> {
    let existing = sqlx::query("SELECT room_id FROM channel_rooms WHERE channel_id = $1 AND user_id = $2")
        .bind(channel.0)
        .bind(user.0)
        .fetch_optional(&mut *conn)
        .await?;
    if let Some(row) = existing {
        return Ok((RoomId(i64_col(&row, "room_id")?), false));
    }
    let row = sqlx::query(
        "INSERT INTO rooms (kind, title, direct_key, channel_id, member_count, created_by, created_at) \
         VALUES ('channel', '', $1, $2, 1, $3, $4) RETURNING id",
    )
    .bind(format!("ch:{channel}:{user}"))
    .bind(channel.0)
    .bind(user.0)
    .bind(at.0)
    .fetch_one(&mut *conn)
    .await?;
    let room = RoomId(i64_col(&row, "id")?);
    sqlx::query(
        "INSERT INTO room_members (room_id, user_id, shown_id, joined_seq, read_seq) VALUES ($1, $2, $2, 1, 0)",
    )
    .bind(room.0)
    .bind(user.0)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO channel_rooms (room_id, channel_id, user_id, status, updated_at) VALUES ($1, $2, $3, 'idle', $4)",
    )
    .bind(room.0)
    .bind(channel.0)
    .bind(user.0)
    .bind(at.0)
    .execute(&mut *conn)
    .await?;
    Ok((room, true))
}

#[async_trait]
impl ChannelRepo for SqlStore {
    async fn channel_room(&self, channel: ChannelId, user: UserId) -> Result<Option<ChannelRoomRow>> {
        let sql =
            format!("SELECT {ROOM_STATE_COLS} FROM channel_rooms WHERE channel_id = $1 AND user_id = $2");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(channel.0)
            .bind(user.0)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(channel_room_row).transpose()
    }

    async fn channel_room_of(&self, room: RoomId) -> Result<Option<ChannelRoomRow>> {
        let sql = format!("SELECT {ROOM_STATE_COLS} FROM channel_rooms WHERE room_id = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(room.0)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(channel_room_row).transpose()
    }

    async fn inbox(
        &self,
        channel: ChannelId,
        status: Option<InboxStatus>,
        assignee: Option<UserId>,
        limit: i64,
    ) -> Result<Vec<InboxRow>> {
        let mut sql = format!(
            "SELECT {ROOM_STATE_COLS}, \
               (SELECT COUNT(*) FROM messages x WHERE x.room_id = c.room_id AND x.seq > c.read_seq \
                  AND x.sender_id = c.user_id AND x.deleted_at IS NULL) AS unread, \
               (SELECT r.last_message_seq FROM rooms r WHERE r.id = c.room_id) AS last_message_seq \
             FROM channel_rooms c WHERE c.channel_id = $1 AND c.status <> 'idle'"
        );
        if status.is_some() {
            sql.push_str(" AND c.status = $3");
        }
        if assignee.is_some() {
            sql.push_str(if status.is_some() {
                " AND c.assignee_id = $4"
            } else {
                " AND c.assignee_id = $3"
            });
        }
        sql.push_str(" ORDER BY c.updated_at DESC, c.room_id DESC LIMIT $2");
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(channel.0).bind(limit);
        if let Some(s) = status {
            q = q.bind(s.as_str());
        }
        if let Some(a) = assignee {
            q = q.bind(a.0);
        }
        let rows = q.fetch_all(self.pool()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let room = channel_room_row(row)?;
            let last_message = match opt_i64(row, "last_message_seq")? {
                Some(seq) => {
                    let sql = format!("SELECT {MESSAGE_COLS} FROM messages WHERE room_id = $1 AND seq = $2");
                    sqlx::query(AssertSqlSafe(sql))
                        .bind(room.room_id.0)
                        .bind(seq)
                        .fetch_optional(self.pool())
                        .await?
                        .as_ref()
                        .map(message_row)
                        .transpose()?
                }
                None => None,
            };
            out.push(InboxRow {
                room,
                unread: i64_col(row, "unread")?,
                last_message,
            });
        }
        Ok(out)
    }

    async fn customer_wrote(&self, room: RoomId, at: Millis) -> Result<bool> {
        let row = sqlx::query(
            "UPDATE channel_rooms SET status = 'open', last_customer_at = $2, updated_at = $2 WHERE room_id = $1 \
             RETURNING with_agents",
        )
        .bind(room.0)
        .bind(at.0)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref()
            .map(|r| flag(r, "with_agents"))
            .transpose()
            .map(|w| w.unwrap_or(false))
    }

    async fn set_inbox_status(&self, room: RoomId, status: InboxStatus, at: Millis) -> Result<()> {
        let sql = if status == InboxStatus::Closed {
            "UPDATE channel_rooms SET status = $2, updated_at = $3, with_agents = 0, handover = NULL \
             WHERE room_id = $1"
        } else {
            "UPDATE channel_rooms SET status = $2, updated_at = $3 WHERE room_id = $1"
        };
        sqlx::query(sql)
            .bind(room.0)
            .bind(status.as_str())
            .bind(at.0)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn to_agents(&self, room: RoomId, handover: Option<&Handover>, at: Millis) -> Result<()> {
        sqlx::query(
            "UPDATE channel_rooms SET status = 'open', with_agents = 1, handover = COALESCE($2, handover), \
             updated_at = $3 WHERE room_id = $1",
        )
        .bind(room.0)
        .bind(handover.map(to_json).transpose()?)
        .bind(at.0)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn assign(&self, room: RoomId, agent: Option<UserId>, at: Millis) -> Result<()> {
        sqlx::query(
            "UPDATE channel_rooms SET assignee_id = $2, updated_at = $3, \
             with_agents = CASE WHEN $2 IS NULL THEN with_agents ELSE 1 END WHERE room_id = $1",
        )
        .bind(room.0)
        .bind(agent.map(|a| a.0))
        .bind(at.0)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn inbox_read(&self, room: RoomId, seq: Seq) -> Result<()> {
        sqlx::query("UPDATE channel_rooms SET read_seq = $2 WHERE room_id = $1 AND read_seq < $2")
            .bind(room.0)
            .bind(seq.0)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn set_friend_data(
        &self,
        channel: ChannelId,
        user: UserId,
        tags: Option<&[String]>,
        attributes: Option<&BTreeMap<String, String>>,
    ) -> Result<(Vec<String>, BTreeMap<String, String>)> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "SELECT tags, attributes FROM channel_friends WHERE channel_id = $1 AND user_id = $2",
        )
        .bind(channel.0)
        .bind(user.0)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let tags = match tags {
            Some(t) => t.to_vec(),
            None => json(&text(&row, "tags")?)?,
        };
        let attributes = match attributes {
            Some(a) => a.clone(),
            None => json(&text(&row, "attributes")?)?,
        };
        sqlx::query(
            "UPDATE channel_friends SET tags = $3, attributes = $4 WHERE channel_id = $1 AND user_id = $2",
        )
        .bind(channel.0)
        .bind(user.0)
        .bind(to_json(&tags)?)
        .bind(to_json(&attributes)?)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((tags, attributes))
    }

    async fn create_post(
        &self,
        channel: ChannelId,
        author: UserId,
        text: &str,
        photos: &[MediaId],
        at: Millis,
    ) -> Result<PostRow> {
        let row = sqlx::query(
            "INSERT INTO channel_posts (channel_id, author_id, text, photos, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id, channel_id, author_id, text, photos, created_at",
        )
        .bind(channel.0)
        .bind(author.0)
        .bind(text)
        .bind(to_json(&photos)?)
        .bind(at.0)
        .fetch_one(self.pool())
        .await?;
        post_row(&row)
    }

    async fn posts(&self, channel: ChannelId, before: Option<PostId>, limit: i64) -> Result<Vec<PostRow>> {
        let rows = sqlx::query(
            "SELECT id, channel_id, author_id, text, photos, created_at FROM channel_posts \
             WHERE channel_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
        )
        .bind(channel.0)
        .bind(before.map_or(i64::MAX, |b| b.0))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(post_row).collect()
    }

    async fn place(&self, user: UserId) -> Result<PlaceRow> {
        let row = sqlx::query("SELECT time_zone, home_lat, home_lon FROM users WHERE id = $1")
            .bind(user.0)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        place_row(&row)
    }

    async fn set_place(&self, user: UserId, place: &PlaceRow) -> Result<()> {
        sqlx::query("UPDATE users SET time_zone = $2, home_lat = $3, home_lon = $4 WHERE id = $1")
            .bind(user.0)
            .bind(&place.time_zone)
            .bind(place.home.map(|h| h.0))
            .bind(place.home.map(|h| h.1))
            .execute(self.pool())
            .await?;
        Ok(())
    }
}

pub(crate) fn place_row(row: &AnyRow) -> Result<PlaceRow> {
    let lat: Option<f64> = row.try_get("home_lat")?;
    let lon: Option<f64> = row.try_get("home_lon")?;
    Ok(PlaceRow {
        time_zone: row.try_get("time_zone")?,
        home: lat.zip(lon),
    })
}
