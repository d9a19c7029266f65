//! Open chats: the chat itself, its rooms (a group's one; one per visitor
//! of a 1:1 chat or open profile), members' per-room profiles and roles.
//! Moderation (hiding, kicks, bans, notices, closing) is in
//! [`moderation`]. Every event written here names people by their room
//! identity (`shown_id`), never by account.

mod discovery;
mod moderation;
mod screening;

use crate::chat::{ROOM_COLS, RoomRow, room_row};
use crate::events::append_event;
use crate::rows::{flag, i64_col, json, opt_i64, opt_text, text, to_json};
use crate::{Result, SqlStore, StoreError};
use async_trait::async_trait;
use madang_types::api::RoomKind;
use madang_types::events::{EventBody, RoomEvent};
use madang_types::openchat::{OpenChatKind, OpenRole, Screening, Visibility};
use madang_types::{MediaId, Millis, OpenChatId, RoomId, Seq, UserId};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe};

pub use discovery::{DiscoveryRepo, ListedChat};
pub use moderation::{BanRow, Kick, KickEvents, OpenModerationRepo, Restored};
pub use screening::{FlagRow, NewFlag, ScreeningRepo, SpamExample};

/// How someone appears in an open chat.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenProfile {
    /// Their room identity: a persona's id, or the account's own for a
    /// real profile.
    pub shown: UserId,
    pub nickname: String,
    pub avatar_seed: Option<String>,
    pub real_profile: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OpenChatRow {
    pub id: OpenChatId,
    pub kind: OpenChatKind,
    pub host_id: UserId,
    pub host: OpenProfile,
    /// A group's room.
    pub room_id: Option<RoomId>,
    pub title: String,
    pub description: String,
    pub hashtags: Vec<String>,
    pub category: String,
    pub cover: Option<MediaId>,
    pub visibility: Visibility,
    pub link_code: String,
    pub entry_code_hash: Option<String>,
    pub real_profile_only: bool,
    /// Bots may join (the host may keep them out).
    pub bots_allowed: bool,
    pub subscription_required: bool,
    pub member_cap: i64,
    /// 1:1 chats and profiles: rooms open now.
    pub conversations: i64,
    pub notice_seq: Option<Seq>,
    pub banned_words: Vec<String>,
    pub screening: Screening,
    pub closed_at: Option<Millis>,
    pub created_at: Millis,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OpenMemberRow {
    pub room_id: RoomId,
    pub user_id: UserId,
    pub open_chat_id: OpenChatId,
    pub profile: OpenProfile,
    pub role: OpenRole,
    pub joined_at: Millis,
}

#[derive(Clone, Debug)]
pub struct NewOpenChat {
    pub kind: OpenChatKind,
    pub host_id: UserId,
    pub host: OpenProfile,
    pub title: String,
    pub description: String,
    pub hashtags: Vec<String>,
    pub category: String,
    pub cover: Option<MediaId>,
    pub visibility: Visibility,
    pub link_code: String,
    pub entry_code_hash: Option<String>,
    pub real_profile_only: bool,
    pub member_cap: i64,
    pub at: Millis,
}

/// An open chat's settings as the host leaves them (every field written).
#[derive(Clone, Debug)]
pub struct OpenChatSettings {
    pub title: String,
    pub description: String,
    pub hashtags: Vec<String>,
    pub category: String,
    pub cover: Option<MediaId>,
    pub visibility: Visibility,
    pub entry_code_hash: Option<String>,
    pub real_profile_only: bool,
    pub member_cap: i64,
    /// Bots may join.
    pub bots_allowed: bool,
}

/// Someone joining a room of an open chat.
#[derive(Clone, Debug)]
pub struct OpenJoin {
    pub user: UserId,
    pub profile: OpenProfile,
    pub at: Millis,
}

#[async_trait]
pub trait OpenChatRepo: Send + Sync {
    /// Creates an open chat; a group gets its room at once, with the host
    /// in it (`created`, then `joined`). `Conflict("link_code")` if the
    /// code is taken.
    async fn create_open_chat(&self, new: NewOpenChat) -> Result<(OpenChatRow, Vec<RoomEvent>)>;
    async fn open_chat(&self, id: OpenChatId) -> Result<Option<OpenChatRow>>;
    async fn open_chat_by_link(&self, code: &str) -> Result<Option<OpenChatRow>>;
    /// Writes the host's settings. A group's room is locked first (as a
    /// join locks it), so a lower cap and a join cannot both pass: `RoomFull`
    /// when `member_cap` is below the members or conversations there are.
    /// A new title renames the group's room, logging `renamed` by `by`.
    async fn update_open_chat(
        &self,
        chat: OpenChatId,
        settings: OpenChatSettings,
        by: UserId,
        at: Millis,
    ) -> Result<(OpenChatRow, Vec<RoomEvent>)>;
    /// `user`'s membership of a room of an open chat.
    async fn open_member(&self, room: RoomId, user: UserId) -> Result<Option<OpenMemberRow>>;
    async fn open_member_by_shown(&self, room: RoomId, shown: UserId) -> Result<Option<OpenMemberRow>>;
    /// Members of a room by room identity, those after `after`, at most `limit`.
    async fn open_members(&self, room: RoomId, after: UserId, limit: i64) -> Result<Vec<OpenMemberRow>>;
    /// How many members of a room have `role`.
    async fn open_role_count(&self, room: RoomId, role: OpenRole) -> Result<i64>;
    /// Joins a group's room under its lock, logging `joined`. `RoomFull`
    /// past the chat's member cap as it is under that lock; `Conflict("nickname")` when the nickname is
    /// taken there, `Conflict("member")` when already in, `Conflict("shown")`
    /// when the persona id collides.
    async fn join_open_room(&self, room: RoomId, join: OpenJoin) -> Result<RoomEvent>;
    /// The room `user` has with the host of a 1:1 chat or profile.
    async fn open_direct_room(&self, chat: OpenChatId, user: UserId) -> Result<Option<RoomId>>;
    /// Opens a visitor's room with the host under the chat's lock.
    /// `RoomFull` when the chat has `member_cap` rooms open.
    async fn create_open_direct(
        &self,
        chat: OpenChatId,
        visitor: OpenJoin,
    ) -> Result<(RoomRow, Vec<RoomEvent>)>;
    /// Leaves a room, logging `left`. Leaving a 1:1 open chat's room
    /// closes it (`closed`) for the other side too.
    async fn leave_open_room(&self, room: RoomId, user: UserId, at: Millis) -> Result<Vec<RoomEvent>>;
}

const CHAT_COLS: &str = "id, kind, host_id, host_shown, host_nickname, host_avatar_seed, host_real, room_id, \
     title, description, hashtags, category, cover, visibility, link_code, entry_code_hash, \
     real_profile_only, subscription_required, member_cap, conversations, notice_seq, banned_words, screening, closed_at, \
     created_at, bots_allowed";

/// [`CHAT_COLS`] qualified with the alias `c`, for joins with `rooms`.
const CHAT_COLS_P: &str = "c.id, c.kind, c.host_id, c.host_shown, c.host_nickname, c.host_avatar_seed, \
     c.host_real, c.room_id, c.title, c.description, c.hashtags, c.category, c.cover, c.visibility, \
     c.link_code, c.entry_code_hash, c.real_profile_only, c.subscription_required, c.member_cap, c.conversations, c.notice_seq, \
     c.banned_words, c.screening, c.closed_at, c.created_at, c.bots_allowed";

fn chat_row(row: &AnyRow) -> Result<OpenChatRow> {
    let kind = text(row, "kind")?;
    let visibility = text(row, "visibility")?;
    Ok(OpenChatRow {
        id: OpenChatId(i64_col(row, "id")?),
        kind: OpenChatKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("open chat kind {kind:?}")))?,
        host_id: UserId(i64_col(row, "host_id")?),
        host: OpenProfile {
            shown: UserId(i64_col(row, "host_shown")?),
            nickname: text(row, "host_nickname")?,
            avatar_seed: opt_text(row, "host_avatar_seed")?,
            real_profile: flag(row, "host_real")?,
        },
        room_id: opt_i64(row, "room_id")?.map(RoomId),
        title: text(row, "title")?,
        description: text(row, "description")?,
        hashtags: json(&text(row, "hashtags")?)?,
        category: text(row, "category")?,
        cover: opt_text(row, "cover")?.map(MediaId),
        visibility: Visibility::parse(&visibility)
            .ok_or_else(|| StoreError::Corrupt(format!("visibility {visibility:?}")))?,
        link_code: text(row, "link_code")?,
        entry_code_hash: opt_text(row, "entry_code_hash")?,
        real_profile_only: flag(row, "real_profile_only")?,
        bots_allowed: flag(row, "bots_allowed")?,
        subscription_required: flag(row, "subscription_required")?,
        member_cap: i64_col(row, "member_cap")?,
        conversations: i64_col(row, "conversations")?,
        notice_seq: opt_i64(row, "notice_seq")?.map(Seq),
        banned_words: json(&text(row, "banned_words")?)?,
        screening: {
            let mode = text(row, "screening")?;
            Screening::parse(&mode).ok_or_else(|| StoreError::Corrupt(format!("screening {mode:?}")))?
        },
        closed_at: opt_i64(row, "closed_at")?.map(Millis),
        created_at: Millis(i64_col(row, "created_at")?),
    })
}

pub(crate) const OPEN_MEMBER_COLS: &str = "o.room_id, o.user_id, m.shown_id, o.open_chat_id, o.nickname, o.avatar_seed, \
     o.real_profile, o.role, o.joined_at";

pub(crate) fn open_member_row(row: &AnyRow) -> Result<OpenMemberRow> {
    let role = text(row, "role")?;
    Ok(OpenMemberRow {
        room_id: RoomId(i64_col(row, "room_id")?),
        user_id: UserId(i64_col(row, "user_id")?),
        open_chat_id: OpenChatId(i64_col(row, "open_chat_id")?),
        profile: OpenProfile {
            shown: UserId(i64_col(row, "shown_id")?),
            nickname: text(row, "nickname")?,
            avatar_seed: opt_text(row, "avatar_seed")?,
            real_profile: flag(row, "real_profile")?,
        },
        role: OpenRole::parse(&role).ok_or_else(|| StoreError::Corrupt(format!("open role {role:?}")))?,
        joined_at: Millis(i64_col(row, "joined_at")?),
    })
}

/// Maps a unique violation on joining to which rule it broke.
fn join_conflict(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            let m = db.message();
            if m.contains("nickname") {
                StoreError::Conflict("nickname")
            } else if m.contains("shown") {
                StoreError::Conflict("shown")
            } else {
                StoreError::Conflict("member")
            }
        }
        _ => StoreError::Db(e),
    }
}

/// Adds one member to a room of an open chat (the room already locked),
/// logging `joined` under their room identity.
async fn add_open_member(
    conn: &mut AnyConnection,
    room: RoomId,
    chat: OpenChatId,
    join: &OpenJoin,
    role: OpenRole,
) -> Result<RoomEvent> {
    let shown = join.profile.shown;
    let body = EventBody::Joined {
        user: shown,
        invited_by: None,
    };
    let event = append_event(conn, room, shown, join.at, body).await?;
    sqlx::query(
        "INSERT INTO room_members (room_id, user_id, shown_id, joined_seq, read_seq) VALUES ($1, $2, $3, $4, $4)",
    )
    .bind(room.0)
    .bind(join.user.0)
    .bind(shown.0)
    .bind(event.seq.0)
    .execute(&mut *conn)
    .await
    .map_err(join_conflict)?;
    sqlx::query(
        "INSERT INTO open_members (room_id, user_id, open_chat_id, nickname, avatar_seed, real_profile, role, \
         joined_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(room.0)
    .bind(join.user.0)
    .bind(chat.0)
    .bind(&join.profile.nickname)
    .bind(&join.profile.avatar_seed)
    .bind(i64::from(join.profile.real_profile))
    .bind(role.as_str())
    .bind(join.at.0)
    .execute(&mut *conn)
    .await
    .map_err(join_conflict)?;
    sqlx::query("UPDATE rooms SET member_count = member_count + 1 WHERE id = $1")
        .bind(room.0)
        .execute(&mut *conn)
        .await?;
    Ok(event)
}

/// Creates a room of an open chat with its `created` event.
async fn new_open_room(
    conn: &mut AnyConnection,
    kind: RoomKind,
    chat: OpenChatId,
    title: &str,
    creator: UserId,
    actor: UserId,
    at: Millis,
) -> Result<(RoomRow, RoomEvent)> {
    let sql = format!(
        "INSERT INTO rooms (kind, open_chat_id, title, member_count, created_by, created_at) \
         VALUES ($1, $2, $3, 0, $4, $5) RETURNING {ROOM_COLS}"
    );
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(kind.as_str())
        .bind(chat.0)
        .bind(title)
        .bind(creator.0)
        .bind(at.0)
        .fetch_one(&mut *conn)
        .await?;
    let room = room_row(&row)?;
    let created = EventBody::Created {
        title: title.to_owned(),
    };
    let event = append_event(conn, room.id, actor, at, created).await?;
    Ok((room, event))
}

#[async_trait]
impl OpenChatRepo for SqlStore {
    async fn create_open_chat(&self, new: NewOpenChat) -> Result<(OpenChatRow, Vec<RoomEvent>)> {
        let mut tx = self.begin_write().await?;
        let sql = format!(
            "INSERT INTO open_chats (kind, host_id, host_shown, host_nickname, host_avatar_seed, host_real, \
             title, description, hashtags, category, cover, visibility, link_code, entry_code_hash, \
             real_profile_only, member_cap, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
             RETURNING {CHAT_COLS}"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(new.kind.as_str())
            .bind(new.host_id.0)
            .bind(new.host.shown.0)
            .bind(&new.host.nickname)
            .bind(&new.host.avatar_seed)
            .bind(i64::from(new.host.real_profile))
            .bind(&new.title)
            .bind(&new.description)
            .bind(to_json(&new.hashtags)?)
            .bind(&new.category)
            .bind(new.cover.as_ref().map(|c| c.0.clone()))
            .bind(new.visibility.as_str())
            .bind(&new.link_code)
            .bind(&new.entry_code_hash)
            .bind(i64::from(new.real_profile_only))
            .bind(new.member_cap)
            .bind(new.at.0)
            .fetch_one(&mut *tx)
            .await
            .map_err(crate::conflict("link_code"))?;
        let mut chat = chat_row(&row)?;
        let mut events = Vec::new();
        if chat.kind == OpenChatKind::Group {
            let (room, created) = new_open_room(
                &mut tx,
                RoomKind::Open,
                chat.id,
                &chat.title,
                new.host_id,
                new.host.shown,
                new.at,
            )
            .await?;
            events.push(created);
            let host = OpenJoin {
                user: new.host_id,
                profile: new.host.clone(),
                at: new.at,
            };
            events.push(add_open_member(&mut tx, room.id, chat.id, &host, OpenRole::Host).await?);
            sqlx::query("UPDATE open_chats SET room_id = $2 WHERE id = $1")
                .bind(chat.id.0)
                .bind(room.id.0)
                .execute(&mut *tx)
                .await?;
            chat.room_id = Some(room.id);
        }
        tx.commit().await?;
        Ok((chat, events))
    }

    async fn update_open_chat(
        &self,
        chat: OpenChatId,
        settings: OpenChatSettings,
        by: UserId,
        at: Millis,
    ) -> Result<(OpenChatRow, Vec<RoomEvent>)> {
        let mut tx = self.begin_write().await?;
        let sql = format!("SELECT {CHAT_COLS} FROM open_chats WHERE id = $1");
        let before = chat_row(
            &sqlx::query(AssertSqlSafe(sql))
                .bind(chat.0)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?,
        )?;
        // Taken in the order a join takes them: the room, then the chat.
        let in_use = match before.room_id {
            Some(room) => {
                let row = sqlx::query(
                    "UPDATE rooms SET member_count = member_count WHERE id = $1 RETURNING member_count",
                )
                .bind(room.0)
                .fetch_one(&mut *tx)
                .await?;
                i64_col(&row, "member_count")?
            }
            None => {
                let row = sqlx::query(
                    "UPDATE open_chats SET conversations = conversations WHERE id = $1 RETURNING conversations",
                )
                .bind(chat.0)
                .fetch_one(&mut *tx)
                .await?;
                i64_col(&row, "conversations")?
            }
        };
        if settings.member_cap < in_use {
            return Err(StoreError::RoomFull);
        }
        let sql = format!(
            "UPDATE open_chats SET title = $2, description = $3, hashtags = $4, category = $5, cover = $6, \
             visibility = $7, entry_code_hash = $8, real_profile_only = $9, member_cap = $10, \
             bots_allowed = $11 WHERE id = $1 RETURNING {CHAT_COLS}"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(chat.0)
            .bind(&settings.title)
            .bind(&settings.description)
            .bind(to_json(&settings.hashtags)?)
            .bind(&settings.category)
            .bind(settings.cover.as_ref().map(|c| c.0.clone()))
            .bind(settings.visibility.as_str())
            .bind(&settings.entry_code_hash)
            .bind(i64::from(settings.real_profile_only))
            .bind(settings.member_cap)
            .bind(i64::from(settings.bots_allowed))
            .fetch_one(&mut *tx)
            .await?;
        let after = chat_row(&row)?;
        let mut events = Vec::new();
        if let Some(room) = after.room_id.filter(|_| after.title != before.title) {
            sqlx::query("UPDATE rooms SET title = $2 WHERE id = $1")
                .bind(room.0)
                .bind(&after.title)
                .execute(&mut *tx)
                .await?;
            let renamed = EventBody::Renamed {
                title: after.title.clone(),
            };
            events.push(append_event(&mut tx, room, by, at, renamed).await?);
        }
        tx.commit().await?;
        Ok((after, events))
    }

    async fn open_chat(&self, id: OpenChatId) -> Result<Option<OpenChatRow>> {
        let sql = format!("SELECT {CHAT_COLS} FROM open_chats WHERE id = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id.0)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(chat_row).transpose()
    }

    async fn open_chat_by_link(&self, code: &str) -> Result<Option<OpenChatRow>> {
        let sql = format!("SELECT {CHAT_COLS} FROM open_chats WHERE link_code = $1");
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(code)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(chat_row).transpose()
    }

    async fn open_member(&self, room: RoomId, user: UserId) -> Result<Option<OpenMemberRow>> {
        let sql = format!(
            "SELECT {OPEN_MEMBER_COLS} FROM open_members o JOIN room_members m \
               ON m.room_id = o.room_id AND m.user_id = o.user_id \
             WHERE o.room_id = $1 AND o.user_id = $2"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(room.0)
            .bind(user.0)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(open_member_row).transpose()
    }

    async fn open_member_by_shown(&self, room: RoomId, shown: UserId) -> Result<Option<OpenMemberRow>> {
        let sql = format!(
            "SELECT {OPEN_MEMBER_COLS} FROM open_members o JOIN room_members m \
               ON m.room_id = o.room_id AND m.user_id = o.user_id \
             WHERE m.room_id = $1 AND m.shown_id = $2"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(room.0)
            .bind(shown.0)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(open_member_row).transpose()
    }

    async fn open_members(&self, room: RoomId, after: UserId, limit: i64) -> Result<Vec<OpenMemberRow>> {
        let sql = format!(
            "SELECT {OPEN_MEMBER_COLS} FROM open_members o JOIN room_members m \
               ON m.room_id = o.room_id AND m.user_id = o.user_id \
             WHERE m.room_id = $1 AND m.shown_id > $2 ORDER BY m.shown_id LIMIT $3"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(room.0)
            .bind(after.0)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(open_member_row).collect()
    }

    async fn open_role_count(&self, room: RoomId, role: OpenRole) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM open_members WHERE room_id = $1 AND role = $2")
            .bind(room.0)
            .bind(role.as_str())
            .fetch_one(self.pool())
            .await?;
        i64_col(&row, "n")
    }

    async fn join_open_room(&self, room: RoomId, join: OpenJoin) -> Result<RoomEvent> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "UPDATE rooms SET member_count = member_count WHERE id = $1 RETURNING member_count, open_chat_id",
        )
        .bind(room.0)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let chat = OpenChatId(opt_i64(&row, "open_chat_id")?.ok_or(StoreError::NotFound)?);
        // Read under the room's lock: a cap lowered by the host holds.
        let cap = sqlx::query("SELECT member_cap FROM open_chats WHERE id = $1")
            .bind(chat.0)
            .fetch_one(&mut *tx)
            .await?;
        if i64_col(&row, "member_count")? + 1 > i64_col(&cap, "member_cap")? {
            return Err(StoreError::RoomFull);
        }
        let event = add_open_member(&mut tx, room, chat, &join, OpenRole::Member).await?;
        tx.commit().await?;
        Ok(event)
    }

    async fn open_direct_room(&self, chat: OpenChatId, user: UserId) -> Result<Option<RoomId>> {
        let row = sqlx::query(
            "SELECT o.room_id FROM open_members o JOIN rooms r ON r.id = o.room_id \
             WHERE o.open_chat_id = $1 AND o.user_id = $2 AND r.closed_at IS NULL",
        )
        .bind(chat.0)
        .bind(user.0)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| i64_col(&r, "room_id").map(RoomId)).transpose()
    }

    async fn create_open_direct(
        &self,
        chat: OpenChatId,
        visitor: OpenJoin,
    ) -> Result<(RoomRow, Vec<RoomEvent>)> {
        let mut tx = self.begin_write().await?;
        // The chat's row lock serialises openings, so the cap holds.
        let sql = format!(
            "UPDATE open_chats SET conversations = conversations WHERE id = $1 RETURNING {CHAT_COLS}"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(chat.0)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let chat = chat_row(&row)?;
        if chat.conversations >= chat.member_cap {
            return Err(StoreError::RoomFull);
        }
        let (room, created) = new_open_room(
            &mut tx,
            RoomKind::OpenDirect,
            chat.id,
            "",
            chat.host_id,
            chat.host.shown,
            visitor.at,
        )
        .await?;
        let host = OpenJoin {
            user: chat.host_id,
            profile: chat.host.clone(),
            at: visitor.at,
        };
        let mut events = vec![created];
        events.push(add_open_member(&mut tx, room.id, chat.id, &host, OpenRole::Host).await?);
        events.push(add_open_member(&mut tx, room.id, chat.id, &visitor, OpenRole::Member).await?);
        sqlx::query("UPDATE open_chats SET conversations = conversations + 1 WHERE id = $1")
            .bind(chat.id.0)
            .execute(&mut *tx)
            .await?;
        let sql = format!("SELECT {ROOM_COLS} FROM rooms WHERE id = $1");
        let room = room_row(
            &sqlx::query(AssertSqlSafe(sql))
                .bind(room.id.0)
                .fetch_one(&mut *tx)
                .await?,
        )?;
        tx.commit().await?;
        Ok((room, events))
    }

    async fn leave_open_room(&self, room: RoomId, user: UserId, at: Millis) -> Result<Vec<RoomEvent>> {
        let mut tx = self.begin_write().await?;
        let mut events = Vec::new();
        let Some(left) = moderation::remove_open_member(&mut tx, room, user).await? else {
            return Ok(events);
        };
        let shown = left.profile.shown;
        events.push(append_event(&mut tx, room, shown, at, EventBody::Left { user: shown }).await?);
        let sql = format!("SELECT {ROOM_COLS} FROM rooms WHERE id = $1");
        let row = room_row(
            &sqlx::query(AssertSqlSafe(sql))
                .bind(room.0)
                .fetch_one(&mut *tx)
                .await?,
        )?;
        if row.kind == RoomKind::OpenDirect && row.closed_at.is_none() {
            events.push(moderation::close_room(&mut tx, room, shown, at).await?);
            sqlx::query("UPDATE open_chats SET conversations = conversations - 1 WHERE id = $1")
                .bind(left.open_chat_id.0)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(events)
    }
}
