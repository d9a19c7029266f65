//! Chats: 1:1 rooms (exactly one per pair) and groups; membership, the chat
//! list with unread counts, per-member settings.

mod drawer;
mod folders;
pub mod live;
pub(crate) mod messages;
mod polls;
pub mod reads;
pub(crate) mod scheduled;
mod search;
mod threads;
pub mod unread;
mod voice;

use crate::{Core, Error, Result, Session};
use madang_bus::{Live, Topic};
use madang_store::{MemberRow, NewRoom, RoomRow, RoomSummaryRow, StoreError};
use madang_types::api::{CreateGroupRequest, Member, Profile, Room, RoomKind, UpdateRoomSettingsRequest};
use madang_types::events::RoomEvent;
use madang_types::{RoomId, Seq, UserId};
use std::collections::HashMap;

fn direct_key(a: UserId, b: UserId) -> String {
    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
    format!("{lo}:{hi}")
}

/// A room's title as one member sees it: the other side's name in a 1:1,
/// an open 1:1 or a channel's room, else the room's own.
fn shown_title(room: &RoomRow, peer: Option<&Profile>) -> String {
    match (peer, room.kind) {
        (Some(p), RoomKind::Direct | RoomKind::OpenDirect | RoomKind::Channel) => p.display_name.clone(),
        _ => room.title.clone(),
    }
}

/// The other member of a 1:1 room, from its creator and title-free key.
fn peer_of(room: &RoomRow, members: &[UserId], me: UserId) -> Option<UserId> {
    (room.kind == RoomKind::Direct)
        .then(|| members.iter().copied().find(|&u| u != me))
        .flatten()
}

impl Core {
    /// The caller's membership of `room`, or `NotMember`. A room the caller
    /// is not in is indistinguishable from one that does not exist.
    pub(crate) async fn membership(&self, me: &Session, room: RoomId) -> Result<MemberRow> {
        self.repos.member(room, me.user).await?.ok_or(Error::NotMember)
    }

    async fn publish_events(&self, events: &[RoomEvent]) {
        for e in events {
            self.publish(Topic::Room(e.room_id), Live::Event(e.clone())).await;
        }
    }

    async fn announce_room(&self, room: RoomId, users: &[UserId]) {
        for &user in users {
            self.publish(Topic::User(user), Live::RoomAdded { room_id: room })
                .await;
        }
    }

    /// Opens (or returns) the one 1:1 room between the caller and `peer`.
    pub async fn open_direct(&self, me: &Session, peer: UserId) -> Result<Room> {
        if peer == me.user {
            return Err(Error::invalid(
                "cannot_chat_with_self",
                "a 1:1 chat needs another person",
            ));
        }
        let peer_row = self.repos.user(peer).await?.ok_or(Error::NotFound("user"))?;
        if peer == self.assistant_account().await? {
            return Err(Error::NotFound("user"));
        }
        let key = direct_key(me.user, peer);
        if let Some(id) = self.repos.direct_room(&key).await? {
            return self.room(me, id).await;
        }
        // A bot answers people who came to it; it does not start chats,
        // but with other bots and its owner.
        if me.bot && peer_row.bot_owner.is_none() && !self.owns(peer, me.user).await? {
            return Err(Error::refused(
                "bot_cannot_start_chat",
                "a bot may write 1:1 only to someone who opened a chat with it",
            ));
        }
        if self.repos.has_blocked(peer, me.user).await? {
            return Err(Error::Blocked);
        }
        let new = NewRoom {
            kind: RoomKind::Direct,
            title: String::new(),
            direct_key: Some(key.clone()),
            creator: me.user,
            members: vec![me.user, peer],
            at: self.now(),
        };
        match self.repos.create_room(new).await {
            Ok((room, events)) => {
                self.publish_events(&events).await;
                self.announce_room(room.id, &[me.user, peer]).await;
                self.room(me, room.id).await
            }
            // Someone opened it at the same moment: there is still one room.
            Err(StoreError::Conflict(_)) => {
                let id = self
                    .repos
                    .direct_room(&key)
                    .await?
                    .ok_or(Error::NotFound("room"))?;
                self.room(me, id).await
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn check_invitees(&self, me: &Session, users: &[UserId]) -> Result<Vec<UserId>> {
        let mut unique: Vec<UserId> = Vec::with_capacity(users.len());
        for &u in users {
            if u != me.user && !unique.contains(&u) {
                unique.push(u);
            }
        }
        let found = self.repos.users(&unique).await?;
        // The assistant is added with `set_assistant`, never as a member.
        let assistant = self.assistant_account().await?;
        if found.len() != unique.len() || unique.contains(&assistant) {
            return Err(Error::NotFound("user"));
        }
        for &u in &unique {
            if self.repos.has_blocked(u, me.user).await? {
                return Err(Error::Blocked);
            }
        }
        Ok(unique)
    }

    fn check_title(&self, title: &str) -> Result<String> {
        let t = title.trim();
        if t.is_empty() || t.chars().count() > self.limits.max_title_chars || t.chars().any(char::is_control)
        {
            return Err(Error::invalid(
                "invalid_title",
                format!("a group title is 1–{} characters", self.limits.max_title_chars),
            ));
        }
        Ok(t.to_owned())
    }

    pub async fn create_group(&self, me: &Session, req: CreateGroupRequest) -> Result<Room> {
        let title = self.check_title(&req.title)?;
        let mut members = vec![me.user];
        members.extend(self.check_invitees(me, &req.member_ids).await?);
        let cap = self.limits.group_member_cap;
        if members.len() as i64 > cap {
            return Err(Error::RoomFull(cap));
        }
        let new = NewRoom {
            kind: RoomKind::Group,
            title,
            direct_key: None,
            creator: me.user,
            members: members.clone(),
            at: self.now(),
        };
        let (room, events) = self.repos.create_room(new).await?;
        self.publish_events(&events).await;
        self.announce_room(room.id, &members).await;
        self.room(me, room.id).await
    }

    pub async fn invite(&self, me: &Session, room: RoomId, users: &[UserId]) -> Result<Room> {
        self.membership(me, room).await?;
        let row = self.repos.room(room).await?.ok_or(Error::NotFound("room"))?;
        if row.kind != RoomKind::Group {
            return Err(Error::invalid(
                "not_a_group",
                "people can only be invited to a group chat",
            ));
        }
        let invitees = self.check_invitees(me, users).await?;
        let cap = self.limits.group_member_cap;
        let events = match self
            .repos
            .add_members(room, &invitees, me.user, self.now(), cap)
            .await
        {
            Err(StoreError::RoomFull) => return Err(Error::RoomFull(cap)),
            other => other?,
        };
        self.publish_events(&events).await;
        let joined: Vec<UserId> = events
            .iter()
            .filter_map(|e| match e.body {
                madang_types::events::EventBody::Joined { user, .. } => Some(user),
                _ => None,
            })
            .collect();
        self.announce_room(room, &joined).await;
        self.room(me, room).await
    }

    /// Leaves a group or an open chat's room. 1:1 rooms cannot be left
    /// (there is exactly one per pair).
    pub async fn leave(&self, me: &Session, room: RoomId) -> Result<()> {
        self.membership(me, room).await?;
        let row = self.repos.room(room).await?.ok_or(Error::NotFound("room"))?;
        if row.kind.is_open() {
            return self.leave_open(me, &row).await;
        }
        if row.kind != RoomKind::Group {
            return Err(Error::invalid("not_a_group", "a 1:1 chat cannot be left"));
        }
        let Some(event) = self.repos.remove_member(room, me.user, self.now()).await? else {
            return Err(Error::NotMember);
        };
        self.publish_events(&[event]).await;
        self.removed_from(me.user, room).await;
        Ok(())
    }

    /// `user` is no longer in `room` (left, kicked, banned, or their
    /// subscription ended): their devices drop it, and what they
    /// scheduled for it is cancelled. Failures are logged: the removal
    /// itself is committed.
    pub(crate) async fn removed_from(&self, user: UserId, room: RoomId) {
        self.publish(Topic::User(user), Live::RoomRemoved { room_id: room })
            .await;
        if let Err(e) = self.cancel_scheduled_in(user, room).await {
            tracing::warn!(error = %e, %room, "scheduled messages of a member who left not cancelled now; the send will refuse them");
        }
    }

    /// The caller's chat list: pinned first, then by latest activity.
    pub async fn rooms(&self, me: &Session) -> Result<Vec<Room>> {
        let rows = self.repos.rooms_of(me.user).await?;
        let mut rooms = self.assemble_rooms(me, rows).await?;
        rooms.sort_by_key(|r| {
            let activity = r.last_message.as_ref().map_or(r.created_at, |m| m.created_at);
            (std::cmp::Reverse(r.pinned), std::cmp::Reverse(activity))
        });
        Ok(rooms)
    }

    pub async fn room(&self, me: &Session, room: RoomId) -> Result<Room> {
        self.membership(me, room).await?;
        let rows = self.repos.rooms_of(me.user).await?;
        let row = rows
            .into_iter()
            .find(|r| r.room.id == room)
            .ok_or(Error::NotMember)?;
        self.assemble_rooms(me, vec![row])
            .await?
            .pop()
            .ok_or(Error::NotMember)
    }

    pub(crate) async fn assemble_rooms(&self, me: &Session, rows: Vec<RoomSummaryRow>) -> Result<Vec<Room>> {
        // Peers of 1:1 rooms, fetched together.
        let mut peers_of: HashMap<RoomId, UserId> = HashMap::new();
        for r in rows.iter().filter(|r| r.room.kind == RoomKind::Direct) {
            let members: Vec<UserId> = self
                .repos
                .members(r.room.id)
                .await?
                .iter()
                .map(|m| m.user_id)
                .collect();
            if let Some(p) = peer_of(&r.room, &members, me.user) {
                peers_of.insert(r.room.id, p);
            }
        }
        let mut ids: Vec<UserId> = peers_of.values().copied().collect();
        // One account is every room's assistant.
        ids.extend(rows.iter().find_map(|r| r.room.assistant_id));
        let profiles = self.profiles_seen_by(me.user, &ids).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let peer = match r.room.kind {
                RoomKind::OpenDirect => self.open_direct_peer(me, r.room.id).await?,
                RoomKind::Channel => self.channel_room_peer(&r.room).await?,
                _ => peers_of.get(&r.room.id).and_then(|p| profiles.get(p)).cloned(),
            };
            let last_message = match r.last_message {
                Some(m) if m.seq >= r.member.joined_seq => {
                    let cursors = self.repos.read_cursors(r.room.id).await?;
                    let unread = unread::unread_for(&cursors, m.seq);
                    Some(m.into_message(Vec::new(), unread))
                }
                _ => None,
            };
            out.push(Room {
                id: r.room.id,
                kind: r.room.kind,
                open_chat: r.room.open_chat_id,
                channel: r.room.channel_id,
                my_id: r.member.shown_id,
                title: shown_title(&r.room, peer.as_ref()),
                member_count: r.room.member_count,
                last_seq: r.room.last_seq,
                read_seq: r.member.read_seq,
                joined_seq: r.member.joined_seq,
                unread: r.unread,
                last_message,
                muted: r.member.muted,
                pinned: r.member.pinned_at.is_some(),
                peer,
                assistant: r.room.assistant_id.and_then(|a| profiles.get(&a)).cloned(),
                created_at: r.room.created_at,
            });
        }
        Ok(out)
    }

    /// One room's title as `me` sees it, reading only what the title needs
    /// (a push's payload; `assemble_rooms` does the same for a list).
    pub(crate) async fn room_title_seen_by(&self, me: &Session, room: &RoomRow) -> Result<String> {
        let peer = match room.kind {
            RoomKind::OpenDirect => self.open_direct_peer(me, room.id).await?,
            RoomKind::Channel => self.channel_room_peer(room).await?,
            RoomKind::Direct => {
                let members: Vec<UserId> = self
                    .repos
                    .members(room.id)
                    .await?
                    .iter()
                    .map(|m| m.user_id)
                    .collect();
                match peer_of(room, &members, me.user) {
                    Some(p) => self.profiles_seen_by(me.user, &[p]).await?.remove(&p),
                    None => None,
                }
            }
            _ => None,
        };
        Ok(shown_title(room, peer.as_ref()))
    }

    pub async fn members(&self, me: &Session, room: RoomId) -> Result<Vec<Member>> {
        self.membership(me, room).await?;
        let row = self.repos.room(room).await?.ok_or(Error::NotFound("room"))?;
        if row.kind.is_open() {
            return self.open_room_members(room).await;
        }
        let rows = self.repos.members(room).await?;
        let ids: Vec<UserId> = rows.iter().map(|m| m.user_id).collect();
        let mut profiles = self.profiles_seen_by(me.user, &ids).await?;
        // A channel room: the channel is the other side, though not a member.
        let channel = match self.channel_room_peer(&row).await? {
            Some(profile) => vec![Member {
                profile,
                read_seq: Seq::ZERO,
                joined_seq: Seq::ZERO,
            }],
            None => Vec::new(),
        };
        let out = channel
            .into_iter()
            .chain(rows.into_iter().filter_map(|m| {
                let profile = profiles.remove(&m.user_id)?;
                Some(Member {
                    profile,
                    read_seq: m.read_seq,
                    joined_seq: m.joined_seq,
                })
            }))
            .collect();
        Ok(out)
    }

    pub async fn update_room_settings(
        &self,
        me: &Session,
        room: RoomId,
        req: UpdateRoomSettingsRequest,
    ) -> Result<Room> {
        self.membership(me, room).await?;
        if let Some(muted) = req.muted {
            self.repos.set_muted(room, me.user, muted).await?;
        }
        if let Some(pinned) = req.pinned {
            self.repos
                .set_pinned(room, me.user, pinned.then(|| self.now()))
                .await?;
        }
        self.room(me, room).await
    }

    /// Every room the caller is in, with the caller's `joined_seq` and the
    /// room's `last_seq` (for live subscriptions).
    pub async fn room_heads(&self, me: &Session) -> Result<Vec<(RoomId, Seq, Seq)>> {
        Ok(self.repos.heads_of(me.user).await?)
    }
}
