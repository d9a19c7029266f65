//! What hosts (방장) and co-hosts (부방장) may do: hide and restore messages
//! (가리기), kick and ban, lift bans, pin notices, set banned words; and
//! what only the host may do: appoint co-hosts, hand over, close.
//!
//! Rank decides who may act on whom: nobody acts on the host, and a
//! co-host does not act on another co-host.

use super::rules;
use crate::{Core, Error, Result, Session};
use madang_bus::{Live, Topic};
use madang_store::{Kick, OpenChatRow, OpenMemberRow, RoomRow};
use madang_types::openchat::{OpenBan, OpenChatKind, OpenRole};
use madang_types::{BanId, OpenChatId, RoomId, Seq, UserId};

fn not_host() -> Error {
    Error::refused("not_host", "only the host and co-hosts may do this")
}

/// `actor` may act on `target` only from a higher rank.
fn outranks(actor: &OpenMemberRow, target: &OpenMemberRow) -> Result<()> {
    if target.role == OpenRole::Host {
        return Err(Error::refused(
            "cannot_moderate_host",
            "nobody can do this to the host",
        ));
    }
    if actor.role <= target.role {
        return Err(Error::refused(
            "cannot_moderate_cohost",
            "a co-host cannot do this to another co-host",
        ));
    }
    Ok(())
}

impl Core {
    /// The caller as a host or co-host of an open chat's room.
    async fn room_moderator(&self, me: &Session, room: RoomId) -> Result<(OpenMemberRow, RoomRow)> {
        self.membership(me, room).await?;
        let row = self.repos.room(room).await?.ok_or(Error::NotFound("room"))?;
        if !row.kind.is_open() {
            return Err(Error::invalid("not_open_chat", "this is not an open chat"));
        }
        let member = self
            .repos
            .open_member(room, me.user)
            .await?
            .ok_or(Error::NotMember)?;
        if !member.role.moderates() {
            return Err(not_host());
        }
        Ok((member, row))
    }

    /// The caller as a moderator of a whole open chat: a host or co-host
    /// of a group's room, or the host of a 1:1 chat or profile. Returns
    /// the caller's role and room identity there.
    pub(super) async fn chat_moderator(
        &self,
        me: &Session,
        id: OpenChatId,
    ) -> Result<(OpenChatRow, OpenRole, UserId)> {
        let chat = self
            .repos
            .open_chat(id)
            .await?
            .ok_or(Error::NotFound("open_chat"))?;
        match chat.room_id {
            Some(room) => {
                let Some(member) = self.repos.open_member(room, me.user).await? else {
                    return Err(Error::NotFound("open_chat"));
                };
                if !member.role.moderates() {
                    return Err(not_host());
                }
                Ok((chat, member.role, member.profile.shown))
            }
            None if chat.host_id == me.user => {
                let shown = chat.host.shown;
                Ok((chat, OpenRole::Host, shown))
            }
            None => Err(Error::NotFound("open_chat")),
        }
    }

    /// The caller as the host of a group open chat, with its room.
    async fn group_host(&self, me: &Session, id: OpenChatId) -> Result<(OpenChatRow, RoomId, UserId)> {
        let (chat, role, shown) = self.chat_moderator(me, id).await?;
        let Some(room) = chat.room_id.filter(|_| chat.kind == OpenChatKind::Group) else {
            return Err(Error::invalid("not_a_group", "only a group open chat has this"));
        };
        if role != OpenRole::Host {
            return Err(Error::refused("not_host", "only the host may do this"));
        }
        Ok((chat, room, shown))
    }

    /// Hides a message for everyone (가리기). Its text stays stored, so a
    /// host or co-host can restore it.
    pub async fn hide_message(&self, me: &Session, room: RoomId, seq: Seq) -> Result<()> {
        let (moderator, _) = self.room_moderator(me, room).await?;
        let m = self
            .repos
            .message(room, seq)
            .await?
            .filter(|m| m.deleted_at.is_none())
            .ok_or(Error::NotFound("message"))?;
        if m.hidden_at.is_some() {
            return Ok(());
        }
        if let Some(author) = self.repos.open_member_by_shown(room, m.sender_id).await?
            && author.user_id != me.user
        {
            outranks(&moderator, &author)?;
        }
        if let Some(event) = self
            .repos
            .hide_message(room, seq, moderator.profile.shown, self.now())
            .await?
        {
            self.publish(Topic::Room(room), Live::Event(event)).await;
        }
        Ok(())
    }

    /// Shows a hidden message again.
    pub async fn restore_message(&self, me: &Session, room: RoomId, seq: Seq) -> Result<()> {
        let (moderator, _) = self.room_moderator(me, room).await?;
        match self
            .repos
            .restore_message(room, seq, moderator.profile.shown, self.now())
            .await?
        {
            Some(restored) => {
                if restored.flag {
                    metrics::counter!("madang_openchat_flag_reviews_total", "verdict" => "fine").increment(1);
                }
                self.publish(Topic::Room(room), Live::Event(restored.event)).await;
                Ok(())
            }
            None => Err(Error::NotFound("hidden_message")),
        }
    }

    /// Removes a member; with `ban`, they cannot come back under any
    /// nickname (the ban is on the account).
    pub async fn kick(&self, me: &Session, room: RoomId, member: UserId, ban: bool) -> Result<()> {
        let (moderator, _) = self.room_moderator(me, room).await?;
        let target = self
            .repos
            .open_member_by_shown(room, member)
            .await?
            .ok_or(Error::NotFound("member"))?;
        if target.user_id == me.user {
            return Err(Error::invalid("cannot_kick_self", "leave the room instead"));
        }
        outranks(&moderator, &target)?;
        let kick = Kick {
            room,
            user: target.user_id,
            by: moderator.profile.shown,
            ban,
            at: self.now(),
        };
        if let Some(events) = self.repos.kick(kick).await? {
            self.publish(Topic::Room(room), Live::Event(events.kicked)).await;
            if let Some(closed) = events.closed {
                self.publish(Topic::Room(room), Live::Event(closed)).await;
            }
            self.removed_from(target.user_id, room).await;
        }
        Ok(())
    }

    /// Bans of an open chat, by the nickname the banned person had.
    pub async fn open_chat_bans(&self, me: &Session, id: OpenChatId) -> Result<Vec<OpenBan>> {
        let (chat, _, _) = self.chat_moderator(me, id).await?;
        Ok(self
            .repos
            .bans(chat.id)
            .await?
            .into_iter()
            .map(|b| OpenBan {
                id: b.id,
                nickname: b.nickname,
                banned_at: b.at,
            })
            .collect())
    }

    pub async fn unban(&self, me: &Session, id: OpenChatId, ban: BanId) -> Result<()> {
        let (chat, _, _) = self.chat_moderator(me, id).await?;
        if !self.repos.unban(chat.id, ban).await? {
            return Err(Error::NotFound("ban"));
        }
        Ok(())
    }

    async fn group_member(&self, room: RoomId, member: UserId) -> Result<OpenMemberRow> {
        self.repos
            .open_member_by_shown(room, member)
            .await?
            .ok_or(Error::NotFound("member"))
    }

    /// Makes a member a co-host (부방장), up to `open_chat_cohost_cap`.
    pub async fn appoint_cohost(&self, me: &Session, id: OpenChatId, member: UserId) -> Result<()> {
        let (_, room, shown) = self.group_host(me, id).await?;
        let target = self.group_member(room, member).await?;
        if target.role != OpenRole::Member {
            return Ok(());
        }
        let cohosts = self.repos.open_role_count(room, OpenRole::Cohost).await?;
        if cohosts >= self.limits.open_chat_cohost_cap as i64 {
            return Err(Error::invalid(
                "too_many_cohosts",
                format!(
                    "an open chat has at most {} co-hosts",
                    self.limits.open_chat_cohost_cap
                ),
            ));
        }
        let event = self
            .repos
            .set_role(room, target.user_id, OpenRole::Cohost, shown, self.now())
            .await?;
        self.publish(Topic::Room(room), Live::Event(event)).await;
        Ok(())
    }

    pub async fn dismiss_cohost(&self, me: &Session, id: OpenChatId, member: UserId) -> Result<()> {
        let (_, room, shown) = self.group_host(me, id).await?;
        let target = self.group_member(room, member).await?;
        if target.role != OpenRole::Cohost {
            return Err(Error::NotFound("cohost"));
        }
        let event = self
            .repos
            .set_role(room, target.user_id, OpenRole::Member, shown, self.now())
            .await?;
        self.publish(Topic::Room(room), Live::Event(event)).await;
        Ok(())
    }

    /// Hands the host role to another member, who takes over the chat; the
    /// old host stays as a member and may then leave.
    pub async fn hand_over(&self, me: &Session, id: OpenChatId, member: UserId) -> Result<()> {
        let (chat, room, _) = self.group_host(me, id).await?;
        let target = self.group_member(room, member).await?;
        if target.user_id == me.user {
            return Err(Error::invalid("already_host", "you are the host"));
        }
        let events = self
            .repos
            .hand_over(chat.id, room, me.user, target.user_id, self.now())
            .await?;
        self.publish_room_events(&events).await;
        Ok(())
    }

    /// Pins a message as the room's notice (hosts and co-hosts only).
    pub async fn pin_notice(&self, me: &Session, id: OpenChatId, seq: Seq) -> Result<()> {
        let (chat, _, shown) = self.chat_moderator(me, id).await?;
        let room = chat
            .room_id
            .ok_or_else(|| Error::invalid("not_a_group", "only a group open chat has a notice"))?;
        self.repos
            .message(room, seq)
            .await?
            .filter(|m| m.deleted_at.is_none() && m.hidden_at.is_none())
            .ok_or(Error::NotFound("message"))?;
        let event = self
            .repos
            .pin_notice(chat.id, room, seq, shown, self.now())
            .await?;
        self.publish(Topic::Room(room), Live::Event(event)).await;
        Ok(())
    }

    pub async fn unpin_notice(&self, me: &Session, id: OpenChatId) -> Result<()> {
        let (chat, _, shown) = self.chat_moderator(me, id).await?;
        let room = chat
            .room_id
            .ok_or_else(|| Error::invalid("not_a_group", "only a group open chat has a notice"))?;
        if chat.notice_seq.is_none() {
            return Err(Error::NotFound("notice"));
        }
        let event = self.repos.unpin_notice(chat.id, room, shown, self.now()).await?;
        self.publish(Topic::Room(room), Live::Event(event)).await;
        Ok(())
    }

    pub async fn banned_words(&self, me: &Session, id: OpenChatId) -> Result<Vec<String>> {
        let (chat, _, _) = self.chat_moderator(me, id).await?;
        Ok(chat.banned_words)
    }

    /// Replaces the words nobody may send in this open chat.
    pub async fn set_banned_words(
        &self,
        me: &Session,
        id: OpenChatId,
        words: &[String],
    ) -> Result<Vec<String>> {
        let (chat, _, _) = self.chat_moderator(me, id).await?;
        let words = rules::check_banned_words(words, self.limits.max_banned_words)?;
        self.repos.set_banned_words(chat.id, &words).await?;
        Ok(words)
    }

    /// Closes the open chat for good (host only): history stays, nothing
    /// more is sent, nobody joins.
    pub async fn close_open_chat(&self, me: &Session, id: OpenChatId) -> Result<()> {
        let (chat, role, shown) = self.chat_moderator(me, id).await?;
        if role != OpenRole::Host {
            return Err(Error::refused(
                "not_host",
                "only the host may close the open chat",
            ));
        }
        let events = self.repos.close_open_chat(chat.id, shown, self.now()).await?;
        self.unindex_open_chat(chat.id).await;
        self.publish_room_events(&events).await;
        Ok(())
    }
}
