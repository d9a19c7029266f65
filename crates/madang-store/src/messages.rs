//! Messages, reactions and the room event log they write to.

use crate::events::{append_event, claim_seq, insert_event};
use crate::rows::{flag, i64_col, json, opt_i64, opt_text, text, to_json};
use crate::{Result, SqlStore, StoreError, conflict};
use async_trait::async_trait;
use madang_types::api::{Attachment, Button, Message, MessageKind, ReactionCount};
use madang_types::events::{EventBody, RoomEvent};
use madang_types::{CampaignId, ClientMsgId, Millis, PungId, RoomId, Seq, UserId};
use sqlx::AnyConnection;
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;

/// A message as stored: current text, attachment and state.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredMessage {
    pub room_id: RoomId,
    pub seq: Seq,
    pub sender_id: UserId,
    pub client_id: ClientMsgId,
    pub kind: MessageKind,
    pub text: String,
    pub reply_to: Option<Seq>,
    pub mentions: Vec<UserId>,
    pub attachment: Option<Attachment>,
    pub pung_id: Option<PungId>,
    pub created_at: Millis,
    pub edited_at: Option<Millis>,
    pub deleted_at: Option<Millis>,
    /// Open chat: hidden by a host or co-host. The text stays stored (a
    /// host may restore it) but is never shown.
    pub hidden_at: Option<Millis>,
    /// Sent by a channel's campaign.
    pub campaign_id: Option<CampaignId>,
    /// A comment: the message it is under, and its place in that thread.
    pub thread_root: Option<Seq>,
    pub thread_seq: Option<Seq>,
    /// Comments written under it.
    pub comment_count: i64,
    /// Written by an assistant.
    pub by_assistant: bool,
    /// Brought by this import (`imports.id`), and the name the export gave
    /// a sender kept as a name only.
    pub import_id: Option<i64>,
    pub imported_name: Option<String>,
    /// A bot's buttons under it.
    pub buttons: Vec<Button>,
}

impl StoredMessage {
    /// The wire shape, with reactions and unread count filled in by the
    /// caller. A hidden message shows neither text, mentions nor attachment.
    pub fn into_message(self, reactions: Vec<ReactionCount>, unread_count: i64) -> Message {
        if self.hidden_at.is_some() {
            let mut shown = StoredMessage {
                text: String::new(),
                mentions: Vec::new(),
                attachment: None,
                hidden_at: None,
                buttons: Vec::new(),
                ..self
            }
            .into_message(reactions, unread_count);
            shown.hidden = true;
            return shown;
        }
        Message {
            room_id: self.room_id,
            seq: self.seq,
            sender_id: self.sender_id,
            client_id: self.client_id,
            kind: self.kind,
            text: self.text,
            reply_to: self.reply_to,
            mentions: self.mentions,
            attachment: self.attachment,
            pung_id: self.pung_id,
            reactions,
            created_at: self.created_at,
            edited_at: self.edited_at,
            deleted: self.deleted_at.is_some(),
            hidden: false,
            campaign_id: self.campaign_id,
            unread_count,
            thread_root: self.thread_root,
            thread_seq: self.thread_seq,
            thread: None,
            by_assistant: self.by_assistant,
            imported: self.import_id.is_some(),
            imported_name: self.imported_name,
            buttons: if self.deleted_at.is_some() {
                Vec::new()
            } else {
                self.buttons
            },
        }
    }
}

impl StoredMessage {
    /// The `message` event it stands for, as the message is now (an edit,
    /// a delete or a hide shows as it would in a rewritten event): a
    /// campaign's message, whose events are not logged, or a message
    /// posted to a bot's webhook.
    pub fn into_event(self, unread_count: i64) -> RoomEvent {
        RoomEvent {
            room_id: self.room_id,
            seq: self.seq,
            actor: self.sender_id,
            at: self.created_at,
            body: EventBody::Message {
                message: Box::new(self.into_message(Vec::new(), unread_count)),
            },
        }
    }
}

#[derive(Clone, Debug)]
pub struct NewMessage {
    pub room_id: RoomId,
    /// The account that sends it (its read cursor moves; its client ids
    /// are unique).
    pub sender_id: UserId,
    /// Who it is shown as: the sender's room identity.
    pub shown_as: UserId,
    pub client_id: ClientMsgId,
    pub kind: MessageKind,
    pub text: String,
    pub reply_to: Option<Seq>,
    pub mentions: Vec<UserId>,
    pub attachment: Option<Attachment>,
    /// The Pung a `pung_reply` or `pung_tag` message is about.
    pub pung_id: Option<PungId>,
    /// A `poll` message's poll, written in the same transaction.
    pub poll: Option<crate::polls::NewPoll>,
    /// A comment under this message of the room: it joins that thread
    /// (the sender's thread cursor moves, not their room cursor).
    pub thread_root: Option<Seq>,
    /// Written by an assistant, not a person.
    pub by_assistant: bool,
    /// A bot's buttons.
    pub buttons: Vec<Button>,
    pub at: Millis,
}

impl NewMessage {
    /// The message as it is stored at `seq` (a comment: `thread_seq` in
    /// its thread).
    pub(crate) fn stored_at(&self, seq: Seq, thread_seq: Option<Seq>) -> StoredMessage {
        StoredMessage {
            room_id: self.room_id,
            seq,
            sender_id: self.shown_as,
            client_id: self.client_id.clone(),
            kind: self.kind,
            text: self.text.clone(),
            reply_to: self.reply_to,
            mentions: self.mentions.clone(),
            attachment: self.attachment.clone(),
            pung_id: self.pung_id,
            created_at: self.at,
            edited_at: None,
            deleted_at: None,
            hidden_at: None,
            campaign_id: None,
            thread_root: self.thread_root,
            thread_seq,
            comment_count: 0,
            by_assistant: self.by_assistant,
            import_id: None,
            imported_name: None,
            buttons: self.buttons.clone(),
        }
    }

    /// A plain text message: no reply, mention, attachment or buttons.
    pub fn text(
        room: RoomId,
        sender: UserId,
        shown_as: UserId,
        client_id: ClientMsgId,
        text: String,
        at: Millis,
    ) -> Self {
        NewMessage {
            room_id: room,
            sender_id: sender,
            shown_as,
            client_id,
            kind: MessageKind::Text,
            text,
            reply_to: None,
            mentions: Vec::new(),
            attachment: None,
            pung_id: None,
            poll: None,
            thread_root: None,
            by_assistant: false,
            buttons: Vec::new(),
            at,
        }
    }
}

/// Someone acting in a room: the account, and the room identity the act
/// is recorded and shown under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Actor {
    pub user: UserId,
    pub shown: UserId,
}

/// Outcome of an append: the stored message and, unless the client id had
/// been seen before (a retry), the event that was logged.
#[derive(Clone, Debug)]
pub struct Appended {
    pub message: StoredMessage,
    pub event: Option<RoomEvent>,
    pub member_count: i64,
}

#[async_trait]
pub trait MessageRepo: Send + Sync {
    /// Appends a message at the room's next seq and moves the sender's read
    /// cursor to it, in one transaction. A client id already used by the
    /// sender returns the stored message instead (`event: None`).
    /// `NotFound` when the sender is not a member.
    async fn append_message(&self, new: NewMessage) -> Result<Appended>;
    /// Like [`append_message`](Self::append_message), but from a sender who
    /// is not a member: a channel's agent writing as the channel into a
    /// person's channel room, or a group chat's assistant.
    async fn append_outsider_message(&self, new: NewMessage) -> Result<Appended>;
    /// Like [`append_message`](Self::append_message) for a plain message
    /// (text only: no reply, mention, attachment, thread, poll or buttons)
    /// whose checks are made with the write, under the room's lock:
    /// `NotFound` when the sender is not a member (or no such room),
    /// `Conflict("blocked")` in a 1:1 room whose other member blocked the
    /// sender, `Conflict("not_plain")` when the room is neither a group nor
    /// a 1:1 room (the caller then checks and sends as usual). `shown_as`
    /// is set from the membership.
    async fn append_plain_message(&self, new: NewMessage) -> Result<Appended>;
    async fn message(&self, room: RoomId, seq: Seq) -> Result<Option<StoredMessage>>;
    /// Messages of the timeline (no comments) with `min_seq <= seq < before`, newest first.
    async fn history(
        &self,
        room: RoomId,
        before: Seq,
        min_seq: Seq,
        limit: i64,
    ) -> Result<Vec<StoredMessage>>;
    /// For a room's drawer: messages with `min_seq <= seq < before`,
    /// neither deleted nor hidden, that hold a photo or a video (`Media`),
    /// another file (`Files`) or a web address (`Links`), newest first.
    async fn drawer(
        &self,
        room: RoomId,
        kind: madang_types::api::DrawerKind,
        before: Seq,
        min_seq: Seq,
        limit: i64,
    ) -> Result<Vec<StoredMessage>>;
    /// Reaction counts for the given messages, as seen by `viewer`.
    async fn reactions(
        &self,
        room: RoomId,
        seqs: &[Seq],
        viewer: UserId,
    ) -> Result<Vec<(Seq, ReactionCount)>>;
    /// Replaces the text of a message and logs `edited`.
    async fn edit_message(
        &self,
        room: RoomId,
        seq: Seq,
        actor: UserId,
        text: &str,
        at: Millis,
    ) -> Result<RoomEvent>;
    /// Blanks a message everywhere (its row and its original event) and logs `deleted`.
    async fn delete_message(&self, room: RoomId, seq: Seq, actor: UserId, at: Millis) -> Result<RoomEvent>;
    /// Logs `reaction_added` unless that reaction exists (`None`).
    async fn add_reaction(
        &self,
        room: RoomId,
        seq: Seq,
        who: Actor,
        emoji: &str,
        at: Millis,
    ) -> Result<Option<RoomEvent>>;
    /// Logs `reaction_removed` unless there was no such reaction (`None`).
    async fn remove_reaction(
        &self,
        room: RoomId,
        seq: Seq,
        who: Actor,
        emoji: &str,
        at: Millis,
    ) -> Result<Option<RoomEvent>>;
    /// Events with `seq > after` (and `>= min_seq`), oldest first.
    async fn events_after(
        &self,
        room: RoomId,
        after: Seq,
        min_seq: Seq,
        limit: i64,
    ) -> Result<Vec<RoomEvent>>;
}

/// The sender is read as the room identity it was shown under; the real
/// sender stays in the table for unread counts, retries and moderation.
pub(crate) const MESSAGE_COLS: &str = "room_id, seq, COALESCE(shown_id, sender_id) AS sender_id, client_id, \
     kind, text, reply_to, mentions, attachment, pung_id, created_at, edited_at, deleted_at, hidden_at, \
     campaign_id, thread_root, thread_seq, comment_count, by_assistant, import_id, imported_name, buttons";

pub(crate) fn message_row(row: &AnyRow) -> Result<StoredMessage> {
    let kind = text(row, "kind")?;
    Ok(StoredMessage {
        room_id: RoomId(i64_col(row, "room_id")?),
        seq: Seq(i64_col(row, "seq")?),
        sender_id: UserId(i64_col(row, "sender_id")?),
        client_id: ClientMsgId(text(row, "client_id")?),
        kind: MessageKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("message kind {kind:?}")))?,
        text: text(row, "text")?,
        reply_to: opt_i64(row, "reply_to")?.map(Seq),
        mentions: json(&text(row, "mentions")?)?,
        attachment: opt_text(row, "attachment")?.map(|a| json(&a)).transpose()?,
        pung_id: opt_i64(row, "pung_id")?.map(PungId),
        created_at: Millis(i64_col(row, "created_at")?),
        edited_at: opt_i64(row, "edited_at")?.map(Millis),
        deleted_at: opt_i64(row, "deleted_at")?.map(Millis),
        hidden_at: opt_i64(row, "hidden_at")?.map(Millis),
        campaign_id: opt_i64(row, "campaign_id")?.map(CampaignId),
        thread_root: opt_i64(row, "thread_root")?.map(Seq),
        thread_seq: opt_i64(row, "thread_seq")?.map(Seq),
        comment_count: i64_col(row, "comment_count")?,
        by_assistant: flag(row, "by_assistant")?,
        import_id: opt_i64(row, "import_id")?,
        imported_name: opt_text(row, "imported_name")?,
        buttons: opt_text(row, "buttons")?
            .map(|b| json(&b))
            .transpose()?
            .unwrap_or_default(),
    })
}

fn event_row(row: &AnyRow) -> Result<RoomEvent> {
    Ok(RoomEvent {
        room_id: RoomId(i64_col(row, "room_id")?),
        seq: Seq(i64_col(row, "seq")?),
        actor: UserId(i64_col(row, "actor_id")?),
        at: Millis(i64_col(row, "at")?),
        body: json(&text(row, "body")?)?,
    })
}

pub(crate) async fn message_in(
    conn: &mut AnyConnection,
    room: RoomId,
    seq: Seq,
) -> Result<Option<StoredMessage>> {
    let sql = format!("SELECT {MESSAGE_COLS} FROM messages WHERE room_id = $1 AND seq = $2");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(room.0)
        .bind(seq.0)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(message_row).transpose()
}

pub(crate) async fn rewrite_event(
    conn: &mut AnyConnection,
    room: RoomId,
    seq: Seq,
    body: &EventBody,
) -> Result<()> {
    sqlx::query("UPDATE events SET body = $3 WHERE room_id = $1 AND seq = $2")
        .bind(room.0)
        .bind(seq.0)
        .bind(to_json(body)?)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

#[derive(Clone, Copy)]
enum ReactionChange {
    Add,
    Remove,
}

impl SqlStore {
    /// Adds or removes one reaction and logs it, in one transaction; rolls
    /// back and returns `None` when nothing changed (the reaction was
    /// already there, or was not).
    async fn change_reaction(
        &self,
        change: ReactionChange,
        room: RoomId,
        seq: Seq,
        who: Actor,
        emoji: &str,
        at: Millis,
    ) -> Result<Option<RoomEvent>> {
        let mut tx = self.begin_write().await?;
        let (body, query) = match change {
            ReactionChange::Add => (
                EventBody::ReactionAdded {
                    target: seq,
                    emoji: emoji.to_owned(),
                },
                sqlx::query(
                    "INSERT INTO reactions (room_id, seq, user_id, emoji, created_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (room_id, seq, user_id, emoji) DO NOTHING",
                ),
            ),
            ReactionChange::Remove => (
                EventBody::ReactionRemoved {
                    target: seq,
                    emoji: emoji.to_owned(),
                },
                sqlx::query(
                    "DELETE FROM reactions WHERE room_id = $1 AND seq = $2 AND user_id = $3 AND emoji = $4",
                ),
            ),
        };
        let event = append_event(&mut tx, room, who.shown, at, body).await?;
        let query = query.bind(room.0).bind(seq.0).bind(who.user.0).bind(emoji);
        let query = match change {
            ReactionChange::Add => query.bind(at.0),
            ReactionChange::Remove => query,
        };
        if query.execute(&mut *tx).await?.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(None);
        }
        tx.commit().await?;
        Ok(Some(event))
    }
}

impl SqlStore {
    /// Appends `new`: a member's plain message through the group commit of
    /// [`crate::sends`], anything else alone.
    async fn append(&self, new: NewMessage, as_member: bool) -> Result<Appended> {
        if as_member && crate::sends::SendQueues::batches(&new) {
            return self.send_queues().send(new, false).await;
        }
        self.append_alone(new, as_member).await
    }

    /// Appends `new` at the room's next seq in a transaction of its own. A
    /// member sender's read cursor moves to it; a channel's agent
    /// (`as_member: false`) is not a member and every member has the
    /// message to read.
    pub(crate) async fn append_alone(&self, new: NewMessage, as_member: bool) -> Result<Appended> {
        let mut tx = self.begin_write().await?;
        let claimed = claim_seq(&mut tx, new.room_id).await?;
        let (seq, member_count) = (claimed.seq, claimed.member_count);
        // Under the room lock: a retry that raced us has committed by now.
        let sql = format!(
            "SELECT {MESSAGE_COLS} FROM messages m WHERE m.sender_id = $1 AND m.client_id = $2 AND m.campaign_id IS NULL"
        );
        let existing = sqlx::query(AssertSqlSafe(sql))
            .bind(new.sender_id.0)
            .bind(&new.client_id.0)
            .fetch_optional(&mut *tx)
            .await?;
        if as_member {
            // In a channel's room the person's reply reads the campaign
            // messages before it. A member's cursor is short of the seq just
            // taken, so it moves unless the sender is no member. A comment
            // moves no room cursor: the timeline above it may be unread.
            let is_member = if new.thread_root.is_some() {
                is_member(&mut tx, new.room_id, new.sender_id).await?
            } else if claimed.channel {
                crate::local::read_channel_room(&mut tx, new.room_id, new.sender_id, seq).await?
            } else {
                sqlx::query("UPDATE room_members SET read_seq = $3 WHERE room_id = $1 AND user_id = $2")
                    .bind(new.room_id.0)
                    .bind(new.sender_id.0)
                    .bind(seq.0)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                    == 1
            };
            if !is_member {
                return Err(StoreError::NotFound);
            }
        }
        if let Some(row) = existing {
            tx.rollback().await?;
            let message = message_row(&row)?;
            if message.room_id != new.room_id {
                return Err(StoreError::Conflict("client_id"));
            }
            return Ok(Appended {
                message,
                event: None,
                member_count,
            });
        }
        let thread_seq = match new.thread_root {
            Some(root) => {
                Some(crate::threads::next_comment(&mut tx, new.room_id, root, new.sender_id).await?)
            }
            None => None,
        };
        let message = new.stored_at(seq, thread_seq);
        sqlx::query(
            "INSERT INTO messages (room_id, seq, sender_id, shown_id, client_id, kind, text, reply_to, \
             mentions, attachment, pung_id, created_at, thread_root, thread_seq, by_assistant, buttons) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        )
        .bind(message.room_id.0)
        .bind(seq.0)
        .bind(new.sender_id.0)
        .bind(new.shown_as.0)
        .bind(&message.client_id.0)
        .bind(message.kind.as_str())
        .bind(&message.text)
        .bind(message.reply_to.map(|s| s.0))
        .bind(to_json(&message.mentions)?)
        .bind(message.attachment.as_ref().map(to_json).transpose()?)
        .bind(message.pung_id.map(|p| p.0))
        .bind(message.created_at.0)
        .bind(message.thread_root.map(|s| s.0))
        .bind(thread_seq.map(|s| s.0))
        .bind(i64::from(new.by_assistant))
        .bind(if message.buttons.is_empty() {
            None
        } else {
            Some(to_json(&message.buttons)?)
        })
        .execute(&mut *tx)
        .await
        .map_err(conflict("client_id"))?;
        let unread = if message.thread_root.is_some() {
            0
        } else if as_member {
            member_count - 1
        } else {
            member_count
        };
        let snapshot = message.clone().into_message(Vec::new(), unread);
        let event = RoomEvent {
            room_id: message.room_id,
            seq,
            actor: message.sender_id,
            at: message.created_at,
            body: EventBody::Message {
                message: Box::new(snapshot),
            },
        };
        insert_event(&mut tx, &event).await?;
        if let Some(poll) = &new.poll {
            crate::polls::insert(&mut tx, message.room_id, seq, poll).await?;
        }
        crate::search::index(&mut tx, message.room_id, seq, &message.text).await?;
        crate::push::outbox(&mut tx, message.room_id, seq, message.created_at).await?;
        if message.thread_root.is_none() {
            sqlx::query("UPDATE rooms SET last_message_seq = $2 WHERE id = $1")
                .bind(message.room_id.0)
                .bind(seq.0)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(Appended {
            message,
            event: Some(event),
            member_count,
        })
    }
}

#[async_trait]
impl MessageRepo for SqlStore {
    async fn append_message(&self, new: NewMessage) -> Result<Appended> {
        self.append(new, true).await
    }

    async fn append_outsider_message(&self, new: NewMessage) -> Result<Appended> {
        self.append(new, false).await
    }

    async fn append_plain_message(&self, new: NewMessage) -> Result<Appended> {
        self.send_queues().send(new, true).await
    }

    async fn message(&self, room: RoomId, seq: Seq) -> Result<Option<StoredMessage>> {
        let mut conn = self.pool().acquire().await?;
        message_in(&mut conn, room, seq).await
    }

    async fn history(
        &self,
        room: RoomId,
        before: Seq,
        min_seq: Seq,
        limit: i64,
    ) -> Result<Vec<StoredMessage>> {
        let sql = format!(
            "SELECT {MESSAGE_COLS} FROM messages WHERE room_id = $1 AND seq < $2 AND seq >= $3 \
             AND thread_root IS NULL ORDER BY seq DESC LIMIT $4"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(room.0)
            .bind(before.0)
            .bind(min_seq.0)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(message_row).collect()
    }

    async fn drawer(
        &self,
        room: RoomId,
        kind: madang_types::api::DrawerKind,
        before: Seq,
        min_seq: Seq,
        limit: i64,
    ) -> Result<Vec<StoredMessage>> {
        use madang_types::api::DrawerKind;
        // The attachment is JSON written by serde_json, so its content type
        // reads `"content_type":"video/…"` exactly.
        const VIDEO: &str = r#"attachment LIKE '%"content_type":"video/%'"#;
        let what = match kind {
            DrawerKind::Media => format!("(kind = 'image' OR (kind = 'file' AND {VIDEO}))"),
            DrawerKind::Files => format!("(kind = 'file' AND NOT {VIDEO})"),
            DrawerKind::Links => {
                "(LOWER(text) LIKE '%http://%' OR LOWER(text) LIKE '%https://%' OR LOWER(text) LIKE '%www.%')"
                    .to_owned()
            }
        };
        let sql = format!(
            "SELECT {MESSAGE_COLS} FROM messages WHERE room_id = $1 AND seq < $2 AND seq >= $3 \
             AND deleted_at IS NULL AND hidden_at IS NULL AND thread_root IS NULL AND {what} \
             ORDER BY seq DESC LIMIT $4"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(room.0)
            .bind(before.0)
            .bind(min_seq.0)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(message_row).collect()
    }

    async fn reactions(
        &self,
        room: RoomId,
        seqs: &[Seq],
        viewer: UserId,
    ) -> Result<Vec<(Seq, ReactionCount)>> {
        if seqs.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT seq, emoji, COUNT(*) AS n, \
               CAST(SUM(CASE WHEN user_id = $2 THEN 1 ELSE 0 END) AS BIGINT) AS mine \
             FROM reactions WHERE room_id = $1 AND seq IN ({}) GROUP BY seq, emoji ORDER BY seq, emoji",
            crate::accounts::placeholders(3, seqs.len())
        );
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(room.0).bind(viewer.0);
        for s in seqs {
            q = q.bind(s.0);
        }
        let rows = q.fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| {
                Ok((
                    Seq(i64_col(r, "seq")?),
                    ReactionCount {
                        emoji: text(r, "emoji")?,
                        count: i64_col(r, "n")?,
                        me: i64_col(r, "mine")? > 0,
                    },
                ))
            })
            .collect()
    }

    async fn edit_message(
        &self,
        room: RoomId,
        seq: Seq,
        actor: UserId,
        text: &str,
        at: Millis,
    ) -> Result<RoomEvent> {
        let mut tx = self.begin_write().await?;
        let body = EventBody::Edited {
            target: seq,
            text: text.to_owned(),
            edited_at: at,
        };
        let event = append_event(&mut tx, room, actor, at, body).await?;
        let before = live_text(&mut tx, room, seq).await?;
        let done = sqlx::query(
            "UPDATE messages SET text = $3, edited_at = $4 WHERE room_id = $1 AND seq = $2 AND deleted_at IS NULL",
        )
        .bind(room.0)
        .bind(seq.0)
        .bind(text)
        .bind(at.0)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        crate::search::reindex(&mut tx, room, seq, &before.unwrap_or_default(), text).await?;
        tx.commit().await?;
        Ok(event)
    }

    async fn delete_message(&self, room: RoomId, seq: Seq, actor: UserId, at: Millis) -> Result<RoomEvent> {
        let mut tx = self.begin_write().await?;
        let event = append_event(&mut tx, room, actor, at, EventBody::Deleted { target: seq }).await?;
        let before = live_text(&mut tx, room, seq).await?;
        let done = sqlx::query(
            "UPDATE messages SET text = '', mentions = '[]', attachment = NULL, deleted_at = $3 \
             WHERE room_id = $1 AND seq = $2 AND deleted_at IS NULL",
        )
        .bind(room.0)
        .bind(seq.0)
        .bind(at.0)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        crate::search::unindex(&mut tx, room, seq, &before.unwrap_or_default()).await?;
        // Neither the original `message` event nor any `edited` event may
        // keep the text for catch-up.
        if let Some(gone) = message_in(&mut tx, room, seq).await? {
            let body = EventBody::Message {
                message: Box::new(gone.into_message(Vec::new(), 0)),
            };
            rewrite_event(&mut tx, room, seq, &body).await?;
        }
        let edits = sqlx::query("SELECT seq, body FROM events WHERE room_id = $1 AND target = $2")
            .bind(room.0)
            .bind(seq.0)
            .fetch_all(&mut *tx)
            .await?;
        for row in &edits {
            if let EventBody::Edited {
                target, edited_at, ..
            } = json(&text(row, "body")?)?
            {
                let blank = EventBody::Edited {
                    target,
                    text: String::new(),
                    edited_at,
                };
                rewrite_event(&mut tx, room, Seq(i64_col(row, "seq")?), &blank).await?;
            }
        }
        tx.commit().await?;
        Ok(event)
    }

    async fn add_reaction(
        &self,
        room: RoomId,
        seq: Seq,
        who: Actor,
        emoji: &str,
        at: Millis,
    ) -> Result<Option<RoomEvent>> {
        self.change_reaction(ReactionChange::Add, room, seq, who, emoji, at)
            .await
    }

    async fn remove_reaction(
        &self,
        room: RoomId,
        seq: Seq,
        who: Actor,
        emoji: &str,
        at: Millis,
    ) -> Result<Option<RoomEvent>> {
        self.change_reaction(ReactionChange::Remove, room, seq, who, emoji, at)
            .await
    }

    async fn events_after(
        &self,
        room: RoomId,
        after: Seq,
        min_seq: Seq,
        limit: i64,
    ) -> Result<Vec<RoomEvent>> {
        // One statement: the room's kind with its logged events. A
        // campaign's messages keep no event row (each message is its own
        // record), so a channel's room is read again in one snapshot with
        // its campaign messages: two separate reads could see a commit
        // between them and skip a seq.
        let rows = sqlx::query(
            "SELECT r.channel_id, r.member_count, e.room_id, e.seq, e.actor_id, e.at, e.body \
             FROM rooms r LEFT JOIN (SELECT room_id, seq, actor_id, at, body FROM events \
               WHERE room_id = $1 AND seq > $2 AND seq >= $3 ORDER BY seq LIMIT $4) e ON e.room_id = r.id \
             WHERE r.id = $1",
        )
        .bind(room.0)
        .bind(after.0)
        .bind(min_seq.0)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        let Some(first) = rows.first() else {
            return Ok(Vec::new());
        };
        if opt_i64(first, "channel_id")?.is_none() {
            let mut events = Vec::with_capacity(rows.len());
            for row in &rows {
                if opt_i64(row, "seq")?.is_some() {
                    events.push(event_row(row)?);
                }
            }
            events.sort_by_key(|e| e.seq);
            return Ok(events);
        }

        let mut tx = self.begin_snapshot().await?;
        let logged = sqlx::query(
            "SELECT room_id, seq, actor_id, at, body FROM events \
             WHERE room_id = $1 AND seq > $2 AND seq >= $3 ORDER BY seq LIMIT $4",
        )
        .bind(room.0)
        .bind(after.0)
        .bind(min_seq.0)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        let sql = format!(
            "SELECT {MESSAGE_COLS} FROM messages \
             WHERE room_id = $1 AND seq > $2 AND seq >= $3 AND campaign_id IS NOT NULL ORDER BY seq LIMIT $4"
        );
        let sent = sqlx::query(AssertSqlSafe(sql))
            .bind(room.0)
            .bind(after.0)
            .bind(min_seq.0)
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        let members = i64_col(first, "member_count")?;
        let mut events = logged.iter().map(event_row).collect::<Result<Vec<_>>>()?;
        for row in &sent {
            // A campaign's message is not logged: the event stands for it,
            // unread by the room's members.
            events.push(message_row(row)?.into_event(members));
        }
        events.sort_by_key(|e| e.seq);
        events.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(events)
    }
}

/// The text of a message not deleted, read before an edit or deletion
/// changes it (the search index takes its tokens out by it).
async fn live_text(conn: &mut AnyConnection, room: RoomId, seq: Seq) -> Result<Option<String>> {
    let row = sqlx::query("SELECT text FROM messages WHERE room_id = $1 AND seq = $2 AND deleted_at IS NULL")
        .bind(room.0)
        .bind(seq.0)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| crate::rows::text(&r, "text")).transpose()
}

/// Whether `user` is a member of `room` (read inside a write).
async fn is_member(conn: &mut sqlx::AnyConnection, room: RoomId, user: UserId) -> Result<bool> {
    let row = sqlx::query("SELECT 1 AS one FROM room_members WHERE room_id = $1 AND user_id = $2")
        .bind(room.0)
        .bind(user.0)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.is_some())
}
