//! Messages: send (idempotent by client id), history, edit, delete for
//! everyone, reactions, the event log for catch-up, reads and typing.

use super::unread::unread_for;
use crate::ratelimit::Rate;
use crate::{Core, Error, Result, Session};
use madang_bus::{Live, Topic};
use madang_store::{Actor, MediaPurpose, MemberRow, NewMessage, StoreError, StoredMessage};
use madang_types::api::{
    Attachment, EventPage, Message, MessageKind, MessagePage, RoomKind, SendMessageRequest, ThreadSummary,
};
use madang_types::events::RoomEvent;
use madang_types::{ClientMsgId, RoomId, Seq, UserId};
use std::collections::HashMap;

/// Most events returned by one catch-up request.
const EVENT_PAGE: i64 = 500;

pub(crate) fn check_emoji(emoji: &str) -> Result<()> {
    let n = emoji.chars().count();
    if n == 0
        || n > 8
        || emoji
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c.is_ascii_alphanumeric())
    {
        return Err(Error::invalid("invalid_emoji", "a reaction is one emoji"));
    }
    Ok(())
}

/// A client id is 1–64 characters without control characters.
pub(crate) fn check_client_id(id: &ClientMsgId) -> Result<()> {
    let cid = &id.0;
    if cid.is_empty() || cid.len() > 64 || cid.chars().any(char::is_control) {
        return Err(Error::invalid(
            "invalid_client_id",
            "client_id is 1–64 characters",
        ));
    }
    Ok(())
}

impl Core {
    /// Takes one of the caller's `messages_per_minute` (a bot's
    /// `bot_messages_per_minute`).
    pub(crate) async fn check_send_rate(&self, me: &Session) -> Result<()> {
        let rate = Rate {
            capacity: if me.bot {
                self.limits.bot_messages_per_minute
            } else {
                self.limits.messages_per_minute
            },
            per_ms: 60_000,
        };
        self.rate.check(&format!("send:{}", me.user), rate).await
    }

    pub(crate) fn check_text(&self, text: &str) -> Result<()> {
        let max = self.limits.max_message_chars;
        if text.chars().count() > max {
            return Err(Error::TooLarge {
                what: "the message",
                limit: max,
            });
        }
        Ok(())
    }

    /// The recording of a voice message, with what the client measured of
    /// it, if it is audio and within the limits.
    fn voice_attachment(&self, mut a: Attachment, voice: madang_types::api::VoiceInfo) -> Result<Attachment> {
        let max_ms = self.limits.max_voice_secs * 1000;
        if !a.content_type.starts_with("audio/") {
            return Err(Error::invalid(
                "invalid_voice",
                "a voice message's recording must be audio",
            ));
        }
        if voice.duration_ms < 1 || voice.duration_ms > max_ms {
            return Err(Error::invalid(
                "invalid_voice",
                format!("a voice message is at most {} s long", self.limits.max_voice_secs),
            ));
        }
        if voice.waveform.is_empty() || voice.waveform.len() > 128 {
            return Err(Error::invalid("invalid_voice", "a waveform has 1–128 steps"));
        }
        a.voice = Some(voice);
        Ok(a)
    }

    pub(crate) async fn attachment(
        &self,
        me: &Session,
        id: &madang_types::MediaId,
    ) -> Result<(MessageKind, Attachment)> {
        let media = self.repos.media(id).await?.ok_or(Error::NotFound("media"))?;
        // A Pung's photo disappears with its Pung; it cannot be sent on.
        if media.owner_id != me.user || media.purpose == MediaPurpose::Pung {
            return Err(Error::NotFound("media"));
        }
        let kind = if media.thumbnail.is_some() {
            MessageKind::Image
        } else {
            MessageKind::File
        };
        Ok((
            kind,
            Attachment {
                media_id: media.id,
                name: media.name,
                content_type: media.content_type,
                size: media.size,
                width: media.width,
                height: media.height,
                thumbnail: media.thumbnail,
                voice: None,
            },
        ))
    }

    /// Sends a message. Acknowledged only once committed (invariant 2); a
    /// retry with the same client id returns the stored message (invariant 3).
    pub async fn send_message(&self, me: &Session, room: RoomId, req: SendMessageRequest) -> Result<Message> {
        check_client_id(&req.client_id)?;
        self.check_text(&req.text)?;
        let buttons = crate::bots::buttons::check_buttons(me, req.buttons)?;
        let plain = buttons.is_empty()
            && req.reply_to.is_none()
            && req.mentions.is_empty()
            && req.attachment.is_none()
            && req.voice.is_none()
            && req.thread_root.is_none()
            && !req.text.trim().is_empty();
        if plain {
            // Most messages: their membership, room and 1:1 block are
            // checked in the batch that writes them, with no read before.
            self.check_send_rate(me).await?;
            let new = NewMessage::text(
                room,
                me.user,
                me.user,
                req.client_id.clone(),
                req.text.clone(),
                self.now(),
            );
            match self.repos.append_plain_message(new).await {
                // An open chat's or a channel's room: the full path, below.
                Err(StoreError::Conflict(madang_store::NOT_PLAIN)) => {}
                appended => return Ok(self.appended(me, room, appended).await?.0),
            }
        }
        // Membership, the room and a 1:1 block in one read; the write
        // checks membership again under the room's lock.
        let context = self
            .repos
            .send_context(room, me.user)
            .await?
            .ok_or(Error::NotMember)?;
        if !plain {
            self.check_send_rate(me).await?;
        }
        if context.blocked {
            return Err(Error::Blocked);
        }
        let (member, row) = (context.member, context.room);
        // Before the flood guard, which counts what it lets through: a
        // comment that cannot be written is no message.
        if let Some(root) = req.thread_root {
            self.check_comment(&member, &row, root, req.reply_to).await?;
        }
        if row.kind.is_open() {
            self.check_open_send(me, member.shown_id, &row, &req.text).await?;
        }
        let (kind, attachment) = match &req.attachment {
            Some(id) => {
                let (k, a) = self.attachment(me, id).await?;
                match req.voice {
                    Some(voice) => (MessageKind::Voice, Some(self.voice_attachment(a, voice)?)),
                    None => (k, Some(a)),
                }
            }
            None if req.voice.is_some() => {
                return Err(Error::invalid(
                    "invalid_voice",
                    "a voice message needs its recording",
                ));
            }
            None => (MessageKind::Text, None),
        };
        if req.text.trim().is_empty() && attachment.is_none() {
            return Err(Error::invalid(
                "empty_message",
                "a message needs text or an attachment",
            ));
        }
        if let (None, Some(target)) = (req.thread_root, req.reply_to) {
            // A reply quotes the timeline, not a thread.
            let found = self.repos.message(room, target).await?;
            if target < member.joined_seq || found.is_none_or(|m| m.thread_root.is_some()) {
                return Err(Error::NotFound("message"));
            }
        }
        let mut mentions: Vec<UserId> = Vec::new();
        for u in req.mentions {
            if !mentions.contains(&u) {
                // The assistant is not a member, but may be mentioned (asked).
                if Some(u) != row.assistant_id && self.repos.member_by_shown(room, u).await?.is_none() {
                    return Err(Error::invalid(
                        "mention_not_member",
                        format!("user {u} is not in this room"),
                    ));
                }
                mentions.push(u);
            }
        }
        let new = NewMessage {
            room_id: room,
            sender_id: me.user,
            shown_as: member.shown_id,
            client_id: req.client_id,
            kind,
            text: req.text,
            reply_to: req.reply_to,
            mentions,
            attachment,
            pung_id: None,
            poll: None,
            thread_root: req.thread_root,
            by_assistant: false,
            buttons,
            at: self.now(),
        };
        let asks_assistant = row.assistant_id.is_some_and(|a| new.mentions.contains(&a));
        let (sent, fresh) = self.append_once(me, new).await?;
        if row.kind == RoomKind::Channel {
            self.customer_wrote(&row, fresh.then_some(sent.seq)).await?;
        }
        if asks_assistant && fresh {
            self.ask_assistant(&row, &sent).await;
        }
        if fresh {
            self.screen_later(&row, me.user, &sent);
        }
        Ok(sent)
    }

    /// Stores a message the caller may send and publishes its event. A
    /// retry (a client id seen before) returns the stored message.
    pub(crate) async fn append(&self, me: &Session, new: NewMessage) -> Result<Message> {
        Ok(self.append_once(me, new).await?.0)
    }

    /// As [`Core::append`], saying whether the message is new (not a retry).
    pub(super) async fn append_once(&self, me: &Session, new: NewMessage) -> Result<(Message, bool)> {
        let room = new.room_id;
        let appended = self.repos.append_message(new).await;
        self.appended(me, room, appended).await
    }

    /// What the store answered to an append: the message and whether it
    /// is new, its event published; or the refusal.
    async fn appended(
        &self,
        me: &Session,
        room: RoomId,
        appended: std::result::Result<madang_store::Appended, StoreError>,
    ) -> Result<(Message, bool)> {
        let appended = match appended {
            Err(StoreError::NotFound) => return Err(Error::NotMember),
            Err(StoreError::Conflict(madang_store::BLOCKED)) => return Err(Error::Blocked),
            // The root was deleted or hidden since it was checked.
            Err(StoreError::Conflict("thread_root")) => return Err(Error::NotFound("message")),
            Err(StoreError::Conflict(_)) => {
                return Err(Error::invalid(
                    "client_id_reused",
                    "that client_id was used in another room",
                ));
            }
            other => other?,
        };
        match appended.event {
            Some(event) => {
                metrics::counter!("madang_messages_sent_total").increment(1);
                // Committed under the room lock with the sender's cursor moved
                // to it: everyone else has yet to read it.
                // A comment keeps no receipts.
                let unread = if appended.message.thread_root.is_some() {
                    0
                } else {
                    appended.member_count - 1
                };
                let message = appended.message.into_message(Vec::new(), unread);
                self.publish(Topic::Room(room), Live::Event(event)).await;
                self.push_soon();
                Ok((message, true))
            }
            // A retry: the message is older, so count from today's cursors.
            None => Ok((
                self.decorate(me, room, vec![appended.message])
                    .await?
                    .pop()
                    .ok_or(Error::NotFound("message"))?,
                false,
            )),
        }
    }

    /// A page of history, newest first, from `before` (exclusive) back to
    /// when the caller joined.
    pub async fn history(
        &self,
        me: &Session,
        room: RoomId,
        before: Option<Seq>,
        limit: Option<i64>,
    ) -> Result<MessagePage> {
        let member = self.membership(me, room).await?;
        self.history_page(me, room, member.joined_seq, before, limit)
            .await
    }

    /// A page of history from `before` back to `from`, for a caller
    /// already allowed to read it.
    pub(crate) async fn history_page(
        &self,
        me: &Session,
        room: RoomId,
        from: Seq,
        before: Option<Seq>,
        limit: Option<i64>,
    ) -> Result<MessagePage> {
        let limit = limit.unwrap_or(50).clamp(1, self.limits.max_page);
        let before = before.unwrap_or(Seq(i64::MAX));
        let rows = self.repos.history(room, before, from, limit).await?;
        let next_before = (rows.len() as i64 == limit)
            .then(|| rows.last().map(|m| m.seq))
            .flatten();
        let messages = self.decorate(me, room, rows).await?;
        Ok(MessagePage {
            messages,
            next_before,
        })
    }

    /// Adds reactions and per-message unread counts to stored messages.
    pub(super) async fn decorate(
        &self,
        me: &Session,
        room: RoomId,
        rows: Vec<StoredMessage>,
    ) -> Result<Vec<Message>> {
        let seqs: Vec<Seq> = rows.iter().map(|m| m.seq).collect();
        let mut reactions: HashMap<Seq, Vec<_>> = HashMap::new();
        for (seq, r) in self.repos.reactions(room, &seqs, me.user).await? {
            reactions.entry(seq).or_default().push(r);
        }
        let cursors = self.repos.read_cursors(room).await?;
        let roots: Vec<Seq> = rows
            .iter()
            .filter(|m| m.comment_count > 0)
            .map(|m| m.seq)
            .collect();
        let marks = self.repos.thread_marks(room, &roots, me.user).await?;
        Ok(rows
            .into_iter()
            .map(|m| {
                // A thread keeps no receipts.
                let unread = if m.thread_root.is_some() {
                    0
                } else {
                    unread_for(&cursors, m.seq)
                };
                let r = reactions.remove(&m.seq).unwrap_or_default();
                let comments = m.comment_count;
                let mark = marks.get(&m.seq).copied();
                let mut shown = m.into_message(r, unread);
                if comments > 0 {
                    shown.thread = Some(ThreadSummary {
                        comments,
                        following: mark.is_some_and(|k| k.following),
                        unread: mark.map_or(0, |k| k.unread),
                        read_seq: mark.map_or(Seq(0), |k| k.read_seq),
                    });
                }
                shown
            })
            .collect())
    }

    /// One message the caller may act on: visible to them and not deleted;
    /// with the caller's membership (whose `shown_id` authored it if it is theirs).
    pub(super) async fn live_message(
        &self,
        me: &Session,
        room: RoomId,
        seq: Seq,
    ) -> Result<(MemberRow, StoredMessage)> {
        let member = self.membership(me, room).await?;
        let m = self
            .repos
            .message(room, seq)
            .await?
            .ok_or(Error::NotFound("message"))?;
        if m.seq < member.joined_seq || m.deleted_at.is_some() {
            return Err(Error::NotFound("message"));
        }
        Ok((member, m))
    }

    fn check_window(&self, m: &StoredMessage, window_secs: i64, action: &'static str) -> Result<()> {
        if self.now().0 - m.created_at.0 > window_secs * 1000 {
            return Err(Error::WindowPassed(action));
        }
        Ok(())
    }

    pub async fn edit_message(&self, me: &Session, room: RoomId, seq: Seq, text: &str) -> Result<Message> {
        let (member, m) = self.live_message(me, room, seq).await?;
        if m.sender_id != member.shown_id {
            return Err(Error::NotAuthor);
        }
        if m.kind == MessageKind::Poll {
            // Its options were voted on as asked.
            return Err(Error::invalid("poll_not_editable", "a poll cannot be edited"));
        }
        self.check_window(&m, self.limits.edit_window_secs, "edit")?;
        self.check_text(text)?;
        if text.trim().is_empty() && m.attachment.is_none() {
            return Err(Error::invalid(
                "empty_message",
                "a message needs text or an attachment",
            ));
        }
        let row = self.repos.room(room).await?.ok_or(Error::NotFound("room"))?;
        if row.kind.is_open() {
            // Held to a send's rules, or a clean message could be edited
            // into a banned word or a burst of links.
            self.check_open_send(me, member.shown_id, &row, text).await?;
        }
        let event = self
            .repos
            .edit_message(room, seq, member.shown_id, text, self.now())
            .await?;
        self.publish(Topic::Room(room), Live::Event(event)).await;
        let fresh = self
            .repos
            .message(room, seq)
            .await?
            .ok_or(Error::NotFound("message"))?;
        let edited = self
            .decorate(me, room, vec![fresh])
            .await?
            .pop()
            .ok_or(Error::NotFound("message"))?;
        // An edit can turn a fine message into spam: screen it again.
        self.screen_later(&row, me.user, &edited);
        Ok(edited)
    }

    /// Deletes a message for everyone: its text and attachment are gone
    /// from history and from the event log.
    pub async fn delete_message(&self, me: &Session, room: RoomId, seq: Seq) -> Result<()> {
        let (member, m) = self.live_message(me, room, seq).await?;
        if m.sender_id != member.shown_id {
            return Err(Error::NotAuthor);
        }
        self.check_window(&m, self.limits.delete_window_secs, "delete")?;
        let event = match self
            .repos
            .delete_message(room, seq, member.shown_id, self.now())
            .await
        {
            Err(StoreError::NotFound) => return Err(Error::NotFound("message")),
            other => other?,
        };
        self.publish(Topic::Room(room), Live::Event(event)).await;
        Ok(())
    }

    pub async fn react(&self, me: &Session, room: RoomId, seq: Seq, emoji: &str) -> Result<()> {
        check_emoji(emoji)?;
        let (member, _) = self.live_message(me, room, seq).await?;
        let who = Actor {
            user: me.user,
            shown: member.shown_id,
        };
        if let Some(event) = self.repos.add_reaction(room, seq, who, emoji, self.now()).await? {
            self.publish(Topic::Room(room), Live::Event(event)).await;
        }
        Ok(())
    }

    pub async fn unreact(&self, me: &Session, room: RoomId, seq: Seq, emoji: &str) -> Result<()> {
        check_emoji(emoji)?;
        let (member, _) = self.live_message(me, room, seq).await?;
        let who = Actor {
            user: me.user,
            shown: member.shown_id,
        };
        match self
            .repos
            .remove_reaction(room, seq, who, emoji, self.now())
            .await?
        {
            Some(event) => {
                self.publish(Topic::Room(room), Live::Event(event)).await;
                Ok(())
            }
            None => Err(Error::NotFound("reaction")),
        }
    }

    /// Room events after `after`, oldest first, never from before the
    /// caller joined: the catch-up feed (invariant 4).
    pub async fn events(
        &self,
        me: &Session,
        room: RoomId,
        after: Seq,
        limit: Option<i64>,
    ) -> Result<EventPage> {
        let member = self.membership(me, room).await?;
        let limit = limit.unwrap_or(EVENT_PAGE).clamp(1, EVENT_PAGE);
        let mut events: Vec<RoomEvent> = self
            .repos
            .events_after(room, after, member.joined_seq, limit + 1)
            .await?;
        let has_more = events.len() as i64 > limit;
        events.truncate(limit as usize);
        Ok(EventPage { events, has_more })
    }

    /// Moves the caller's read cursor forward. The move is stored at once
    /// and broadcast coalesced with others in the same room.
    pub async fn mark_read(&self, me: &Session, room: RoomId, seq: Seq) -> Result<()> {
        let member = self.membership(me, room).await?;
        let row = self.repos.room(room).await?.ok_or(Error::NotFound("room"))?;
        let seq = seq.min(row.last_seq);
        if self.repos.mark_read(&row, me.user, seq).await? {
            self.reads.push(room, member.shown_id, seq);
        }
        Ok(())
    }

    /// Tells the room the caller is typing (not stored).
    pub async fn typing(&self, me: &Session, room: RoomId) -> Result<()> {
        let member = self.membership(me, room).await?;
        self.publish(
            Topic::Room(room),
            Live::Typing {
                room_id: room,
                user_id: member.shown_id,
            },
        )
        .await;
        Ok(())
    }
}
