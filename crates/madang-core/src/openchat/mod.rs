//! Open Chat (오픈채팅): interest communities where members are known by a
//! per-room profile.
//!
//! Anonymity is kept at write time: a member who joins with a nickname
//! gets a persona, a random negative room identity, and everything the
//! room records about them (events, messages, reads, typing) carries that
//! id; their account id never enters the room's log. Reads need no
//! filtering, so no read path can leak (see `chat/` and the store).
//! Hosts and co-hosts moderate (`moderation.rs`); operators act on reports
//! (`safety.rs` at the crate root).

pub mod discovery;
pub mod moderation;
pub mod rules;
pub mod screening;
pub mod topics;

use crate::{Core, Error, Result, Session};
use madang_bus::{Live, Topic};
use madang_store::{
    NewOpenChat, OpenChatRow, OpenChatSettings, OpenJoin, OpenMemberRow, OpenProfile, RoomRow, StoreError,
};
use madang_types::api::{Member, Profile, RoomKind};
use madang_types::events::RoomEvent;
use madang_types::openchat::{
    CreateOpenChatRequest, JoinAs, JoinOpenChatRequest, MyOpenMembership, OpenChat, OpenChatKind, OpenMember,
    OpenMemberPage, OpenRole, UpdateOpenChatRequest, Visibility,
};
use madang_types::{MediaId, OpenChatId, RoomId, UserId};
use std::collections::HashMap;

/// Most members in one page of an open chat's member list.
const MEMBER_PAGE: i64 = 200;

/// A persona as a `Profile`, for the screens shared with ordinary chats.
pub(crate) fn persona_profile(m: &OpenMember) -> Profile {
    Profile {
        id: m.id,
        handle: String::new(),
        display_name: m.nickname.clone(),
        status_message: String::new(),
        avatar: m.avatar.clone(),
        avatar_seed: m.avatar_seed.clone(),
        bot: false,
    }
}

impl Core {
    pub fn open_chat_categories(&self) -> Vec<String> {
        rules::CATEGORIES.iter().map(|c| (*c).to_owned()).collect()
    }

    /// Refuses someone suspended from open chats by an operator.
    pub(crate) async fn refuse_if_suspended(&self, me: &Session) -> Result<()> {
        if let Some(s) = self.repos.suspension(me.user).await?
            && s.until.is_none_or(|u| u > self.now())
        {
            let until = s
                .until
                .map_or_else(|| "for good".to_owned(), |u| format!("until {}", u.0));
            return Err(Error::refused(
                "suspended",
                format!("you are suspended from open chats {until}"),
            ));
        }
        Ok(())
    }

    /// How members appear to others: a persona as it is, a real profile
    /// with the account's name and photo as they are now; a bot marked as
    /// one either way (nothing else of a persona's account is read out).
    pub(crate) async fn open_member_views(&self, rows: &[OpenMemberRow]) -> Result<Vec<OpenMember>> {
        let ids: Vec<UserId> = rows.iter().map(|r| r.user_id).collect();
        let accounts: HashMap<UserId, _> = self
            .repos
            .users(&ids)
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
        Ok(rows
            .iter()
            .map(|r| {
                let bot = accounts.get(&r.user_id).is_some_and(|a| a.bot_owner.is_some());
                let account = r.profile.real_profile.then(|| accounts.get(&r.user_id)).flatten();
                OpenMember {
                    id: r.profile.shown,
                    nickname: account.map_or_else(|| r.profile.nickname.clone(), |a| a.display_name.clone()),
                    avatar: account.and_then(|a| a.avatar.clone()),
                    avatar_seed: r.profile.avatar_seed.clone(),
                    real_profile: r.profile.real_profile,
                    role: r.role,
                    joined_at: r.joined_at,
                    bot,
                }
            })
            .collect())
    }

    async fn open_member_view(&self, row: &OpenMemberRow) -> Result<OpenMember> {
        self.open_member_views(std::slice::from_ref(row))
            .await?
            .pop()
            .ok_or(Error::NotFound("member"))
    }

    /// The caller's membership of the open chat: the group's room, or
    /// their own room with the host of a 1:1 chat.
    pub(crate) async fn my_open_membership(
        &self,
        me: &Session,
        chat: &OpenChatRow,
    ) -> Result<Option<OpenMemberRow>> {
        let room = match chat.room_id {
            Some(room) => Some(room),
            // The host of a 1:1 chat is in every one of its rooms: none of
            // them is "theirs" (see `open_chat_view`).
            None if chat.host_id == me.user => None,
            None => self.repos.open_direct_room(chat.id, me.user).await?,
        };
        match room {
            Some(room) => Ok(self.repos.open_member(room, me.user).await?),
            None => Ok(None),
        }
    }

    /// How the caller sees an open chat.
    async fn open_chat_view(&self, me: &Session, chat: &OpenChatRow) -> Result<OpenChat> {
        let mine = self.my_open_membership(me, chat).await?;
        let is_host = chat.host_id == me.user;
        let (member_count, last_active_at) = match chat.room_id.map(|r| self.repos.room(r)) {
            Some(room) => {
                let room = room.await?.ok_or(Error::NotFound("open_chat"))?;
                let last = match room.last_message_seq {
                    Some(seq) => self.repos.message(room.id, seq).await?.map(|m| m.created_at),
                    None => None,
                };
                (room.member_count, last.unwrap_or(room.created_at))
            }
            None => (chat.conversations, chat.created_at),
        };
        let host_row = OpenMemberRow {
            room_id: chat.room_id.unwrap_or(RoomId(0)),
            user_id: chat.host_id,
            open_chat_id: chat.id,
            profile: chat.host.clone(),
            role: OpenRole::Host,
            joined_at: chat.created_at,
        };
        let host = self.open_member_view(&host_row).await?;
        let mine = match mine {
            Some(row) => Some(MyOpenMembership {
                room_id: Some(row.room_id),
                me: self.open_member_view(&row).await?,
            }),
            // The host of a 1:1 chat has a room per visitor, not one.
            None if is_host => Some(MyOpenMembership {
                room_id: None,
                me: host.clone(),
            }),
            None => None,
        };
        let member = mine.is_some();
        Ok(OpenChat {
            id: chat.id,
            kind: chat.kind,
            title: chat.title.clone(),
            description: chat.description.clone(),
            hashtags: chat.hashtags.clone(),
            category: chat.category.clone(),
            cover: chat.cover.clone(),
            visibility: chat.visibility,
            link_code: (member || chat.visibility == Visibility::Public).then(|| chat.link_code.clone()),
            has_entry_code: chat.entry_code_hash.is_some(),
            real_profile_only: chat.real_profile_only,
            bots_allowed: chat.bots_allowed,
            subscription_required: chat.subscription_required,
            member_count,
            member_cap: chat.member_cap,
            host,
            notice: chat.notice_seq,
            closed: chat.closed_at.is_some(),
            created_at: chat.created_at,
            last_active_at,
            mine,
        })
    }

    /// How the caller will appear: a checked nickname with a new persona,
    /// or their real profile.
    async fn profile_for(&self, me: &Session, join: &JoinAs) -> Result<OpenProfile> {
        match join {
            JoinAs::Nickname { nickname } => Ok(OpenProfile {
                shown: rules::new_persona_id(),
                nickname: rules::check_nickname(nickname)?,
                avatar_seed: Some(rules::new_avatar_seed()),
                real_profile: false,
            }),
            JoinAs::RealProfile => {
                let account = self.repos.user(me.user).await?.ok_or(Error::NotFound("user"))?;
                Ok(OpenProfile {
                    shown: me.user,
                    nickname: account.display_name,
                    avatar_seed: None,
                    real_profile: true,
                })
            }
        }
    }

    pub(crate) async fn publish_room_events(&self, events: &[RoomEvent]) {
        for e in events {
            self.publish(Topic::Room(e.room_id), Live::Event(e.clone())).await;
        }
    }

    /// A member cap within the operator's ceiling for the kind (the
    /// ceiling when none is asked for).
    fn check_member_cap(&self, kind: OpenChatKind, asked: Option<i64>) -> Result<i64> {
        let ceiling = match kind {
            OpenChatKind::Group => self.limits.open_chat_member_cap,
            OpenChatKind::OneOnOne | OpenChatKind::Profile => self.limits.open_chat_conversation_cap,
        };
        let cap = asked.unwrap_or(ceiling);
        if !(2..=ceiling).contains(&cap) {
            return Err(Error::invalid(
                "invalid_member_cap",
                format!("the cap is 2–{ceiling}"),
            ));
        }
        Ok(cap)
    }

    /// Creates an open chat with the caller as host (방장).
    pub async fn create_open_chat(&self, me: &Session, req: CreateOpenChatRequest) -> Result<OpenChat> {
        self.refuse_if_suspended(me).await?;
        let title = rules::check_title(&req.title)?;
        let description = rules::check_description(&req.description)?;
        let hashtags = rules::check_hashtags(&req.hashtags)?;
        let category = rules::check_category(&req.category)?;
        let member_cap = self.check_member_cap(req.kind, req.member_cap)?;
        if let Some(cover) = &req.cover {
            self.check_own_image(me, cover).await?;
        }
        let entry_code = req
            .entry_code
            .as_deref()
            .map(rules::check_entry_code)
            .transpose()?;
        if req.real_profile_only && matches!(req.host, JoinAs::Nickname { .. }) {
            return Err(Error::refused(
                "real_profile_required",
                "this open chat is for real profiles; join with yours",
            ));
        }
        let host = self.profile_for(me, &req.host).await?;
        let mut attempt = 0;
        let (chat, events) = loop {
            let link_code = rules::new_link_code();
            let new = NewOpenChat {
                kind: req.kind,
                host_id: me.user,
                host: host.clone(),
                title: title.clone(),
                description: description.clone(),
                hashtags: hashtags.clone(),
                category: category.clone(),
                cover: req.cover.clone(),
                visibility: req.visibility,
                entry_code_hash: entry_code
                    .as_deref()
                    .map(|c| rules::entry_code_hash(&link_code, c)),
                link_code,
                real_profile_only: req.real_profile_only,
                member_cap,
                at: self.now(),
            };
            match self.repos.create_open_chat(new).await {
                Err(StoreError::Conflict(_)) if attempt < 3 => attempt += 1,
                other => break other?,
            }
        };
        metrics::counter!("madang_open_chats_created_total").increment(1);
        self.index_open_chat(&chat).await;
        self.publish_room_events(&events).await;
        if let Some(room) = chat.room_id {
            self.publish(Topic::User(me.user), Live::RoomAdded { room_id: room })
                .await;
        }
        self.open_chat_view(me, &chat).await
    }

    /// The host changes the open chat's settings. Those already in stay
    /// whatever changes; search and the room's title follow at once.
    pub async fn update_open_chat(
        &self,
        me: &Session,
        id: OpenChatId,
        req: UpdateOpenChatRequest,
    ) -> Result<OpenChat> {
        let (chat, role, shown) = self.chat_moderator(me, id).await?;
        if role != OpenRole::Host {
            return Err(Error::refused(
                "not_host",
                "only the host may change the open chat's settings",
            ));
        }
        if chat.closed_at.is_some() {
            return Err(Error::refused("room_closed", "this open chat has closed"));
        }
        let cover = match req.cover.as_deref() {
            None => chat.cover.clone(),
            Some("") => None,
            Some(id) => {
                let id = MediaId(id.to_owned());
                if chat.cover.as_ref() != Some(&id) {
                    self.check_own_image(me, &id).await?;
                }
                Some(id)
            }
        };
        let entry_code_hash = match req.entry_code.as_deref() {
            None => chat.entry_code_hash.clone(),
            Some("") => None,
            Some(code) => Some(rules::entry_code_hash(
                &chat.link_code,
                &rules::check_entry_code(code)?,
            )),
        };
        let real_profile_only = req.real_profile_only.unwrap_or(chat.real_profile_only);
        if real_profile_only && !chat.host.real_profile {
            return Err(Error::refused(
                "real_profile_required",
                "the host of a real-profile open chat appears with their real profile",
            ));
        }
        let settings = OpenChatSettings {
            title: req
                .title
                .as_deref()
                .map_or(Ok(chat.title.clone()), rules::check_title)?,
            description: req
                .description
                .as_deref()
                .map_or(Ok(chat.description.clone()), rules::check_description)?,
            hashtags: req
                .hashtags
                .as_deref()
                .map_or(Ok(chat.hashtags.clone()), rules::check_hashtags)?,
            category: req
                .category
                .as_deref()
                .map_or(Ok(chat.category.clone()), rules::check_category)?,
            cover,
            visibility: req.visibility.unwrap_or(chat.visibility),
            entry_code_hash,
            real_profile_only,
            bots_allowed: req.bots_allowed.unwrap_or(chat.bots_allowed),
            member_cap: match req.member_cap {
                Some(cap) => self.check_member_cap(chat.kind, Some(cap))?,
                None => chat.member_cap,
            },
        };
        let (updated, events) = match self
            .repos
            .update_open_chat(chat.id, settings, shown, self.now())
            .await
        {
            Err(StoreError::RoomFull) => {
                return Err(Error::invalid(
                    "member_cap_below_members",
                    "the cap cannot be below the members there are now",
                ));
            }
            other => other?,
        };
        self.index_open_chat(&updated).await;
        self.publish_room_events(&events).await;
        self.open_chat_view(me, &updated).await
    }

    /// An open chat by id. One that is link-only, or closed, is found this
    /// way only by its members.
    pub async fn open_chat(&self, me: &Session, id: OpenChatId) -> Result<OpenChat> {
        let chat = self
            .repos
            .open_chat(id)
            .await?
            .ok_or(Error::NotFound("open_chat"))?;
        let view = self.open_chat_view(me, &chat).await?;
        if view.mine.is_none() && (chat.visibility == Visibility::Link || chat.closed_at.is_some()) {
            return Err(Error::NotFound("open_chat"));
        }
        Ok(view)
    }

    /// An open chat by the code of its link.
    pub async fn open_chat_by_link(&self, me: &Session, code: &str) -> Result<OpenChat> {
        let chat = self
            .repos
            .open_chat_by_link(code)
            .await?
            .ok_or(Error::NotFound("open_chat"))?;
        let view = self.open_chat_view(me, &chat).await?;
        if view.mine.is_none() && chat.closed_at.is_some() {
            return Err(Error::NotFound("open_chat"));
        }
        Ok(view)
    }

    /// Joins a public open chat found by search or browsing.
    pub async fn join_open_chat(
        &self,
        me: &Session,
        id: OpenChatId,
        req: JoinOpenChatRequest,
    ) -> Result<OpenChat> {
        let chat = self
            .repos
            .open_chat(id)
            .await?
            .ok_or(Error::NotFound("open_chat"))?;
        if chat.visibility == Visibility::Link && self.my_open_membership(me, &chat).await?.is_none() {
            return Err(Error::NotFound("open_chat"));
        }
        self.join(me, chat, req).await
    }

    /// Joins an open chat by its link.
    pub async fn join_open_chat_by_link(
        &self,
        me: &Session,
        code: &str,
        req: JoinOpenChatRequest,
    ) -> Result<OpenChat> {
        let chat = self
            .repos
            .open_chat_by_link(code)
            .await?
            .ok_or(Error::NotFound("open_chat"))?;
        self.join(me, chat, req).await
    }

    async fn join(&self, me: &Session, chat: OpenChatRow, req: JoinOpenChatRequest) -> Result<OpenChat> {
        if self.my_open_membership(me, &chat).await?.is_some() {
            return self.open_chat_view(me, &chat).await;
        }
        if chat.closed_at.is_some() {
            return Err(Error::NotFound("open_chat"));
        }
        if chat.host_id == me.user {
            return Err(Error::invalid("own_open_chat", "this is your own open chat"));
        }
        self.refuse_if_suspended(me).await?;
        if self.repos.is_banned(chat.id, me.user).await? {
            return Err(Error::refused("banned", "you were banned from this open chat"));
        }
        if chat.real_profile_only && matches!(req.profile, JoinAs::Nickname { .. }) {
            return Err(Error::refused(
                "real_profile_required",
                "this open chat is for real profiles only",
            ));
        }
        if me.bot && !chat.bots_allowed {
            return Err(Error::refused(
                "bots_not_allowed",
                "the host keeps bots out of this open chat",
            ));
        }
        self.check_subscription_entry(me, &chat).await?;
        if let Some(hash) = &chat.entry_code_hash {
            let rate = crate::ratelimit::Rate {
                capacity: self.limits.entry_code_attempts_per_minute,
                per_ms: 60_000,
            };
            self.rate.check(&format!("entry:{}", me.user), rate).await?;
            let given = req.entry_code.as_deref().unwrap_or("");
            if &rules::entry_code_hash(&chat.link_code, given) != hash {
                return Err(Error::refused("wrong_entry_code", "the entry code is not right"));
            }
        }
        let mut attempt = 0;
        let events = loop {
            let join = OpenJoin {
                user: me.user,
                profile: self.profile_for(me, &req.profile).await?,
                at: self.now(),
            };
            let outcome = match chat.room_id {
                Some(room) => self.repos.join_open_room(room, join).await.map(|e| vec![e]),
                None => self
                    .repos
                    .create_open_direct(chat.id, join)
                    .await
                    .map(|(_, events)| events),
            };
            match outcome {
                Ok(events) => break events,
                Err(StoreError::RoomFull) => return Err(Error::RoomFull(chat.member_cap)),
                Err(StoreError::Conflict("nickname")) => {
                    return Err(Error::invalid(
                        "nickname_taken",
                        "someone in this open chat has that nickname",
                    ));
                }
                // Joined at the same moment from another device.
                Err(StoreError::Conflict("member")) => return self.open_chat_view(me, &chat).await,
                // A persona id collided: draw another.
                Err(StoreError::Conflict(_)) if attempt < 3 => attempt += 1,
                Err(e) => return Err(e.into()),
            }
        };
        metrics::counter!("madang_open_chat_joins_total").increment(1);
        self.publish_room_events(&events).await;
        if let Some(room) = events.first().map(|e| e.room_id) {
            self.publish(Topic::User(me.user), Live::RoomAdded { room_id: room })
                .await;
            // A 1:1 chat's new room is the host's too.
            if chat.room_id.is_none() {
                self.publish(Topic::User(chat.host_id), Live::RoomAdded { room_id: room })
                    .await;
            }
        }
        self.open_chat_view(me, &chat).await
    }

    /// The members of an open chat's room, as they appear there, a page at
    /// a time. Members only.
    pub async fn open_chat_members(
        &self,
        me: &Session,
        room: RoomId,
        after: Option<UserId>,
        limit: Option<i64>,
    ) -> Result<OpenMemberPage> {
        self.membership(me, room).await?;
        let limit = limit.unwrap_or(100).clamp(1, MEMBER_PAGE);
        let rows = self
            .repos
            .open_members(room, after.unwrap_or(UserId(i64::MIN)), limit)
            .await?;
        let next_after = (rows.len() as i64 == limit)
            .then(|| rows.last().map(|r| r.profile.shown))
            .flatten();
        Ok(OpenMemberPage {
            members: self.open_member_views(&rows).await?,
            next_after,
        })
    }

    /// The members of an open chat's room as `Member`s (for the screens
    /// shared with ordinary chats): their personas, never their accounts.
    pub(crate) async fn open_room_members(&self, room: RoomId) -> Result<Vec<Member>> {
        let cursors: HashMap<UserId, _> = self
            .repos
            .members(room)
            .await?
            .into_iter()
            .map(|m| (m.shown_id, (m.read_seq, m.joined_seq)))
            .collect();
        let mut out = Vec::with_capacity(cursors.len());
        let mut after = UserId(i64::MIN);
        loop {
            let rows = self.repos.open_members(room, after, MEMBER_PAGE).await?;
            let Some(last) = rows.last() else { break };
            after = last.profile.shown;
            for m in self.open_member_views(&rows).await? {
                if let Some(&(read_seq, joined_seq)) = cursors.get(&m.id) {
                    out.push(Member {
                        profile: persona_profile(&m),
                        read_seq,
                        joined_seq,
                    });
                }
            }
        }
        Ok(out)
    }

    /// The other side of a 1:1 open chat's room, as the caller sees them.
    pub(crate) async fn open_direct_peer(&self, me: &Session, room: RoomId) -> Result<Option<Profile>> {
        let rows = self.repos.open_members(room, UserId(i64::MIN), 3).await?;
        let others: Vec<OpenMemberRow> = rows.into_iter().filter(|r| r.user_id != me.user).collect();
        Ok(self
            .open_member_views(&others)
            .await?
            .first()
            .map(persona_profile))
    }

    /// Leaves an open chat's room. A host who leaves a group without
    /// handing over closes it; leaving a 1:1 open chat ends that
    /// conversation.
    pub(crate) async fn leave_open(&self, me: &Session, room: &RoomRow) -> Result<()> {
        let member = self
            .repos
            .open_member(room.id, me.user)
            .await?
            .ok_or(Error::NotMember)?;
        if room.kind == RoomKind::Open && member.role == OpenRole::Host {
            let closed = self
                .repos
                .close_open_chat(member.open_chat_id, member.profile.shown, self.now())
                .await?;
            self.unindex_open_chat(member.open_chat_id).await;
            self.publish_room_events(&closed).await;
        }
        let events = self.repos.leave_open_room(room.id, me.user, self.now()).await?;
        self.publish_room_events(&events).await;
        self.removed_from(me.user, room.id).await;
        Ok(())
    }

    /// Rules for sending in an open chat's room: open, the sender not
    /// suspended, no banned word, no flooding.
    pub(crate) async fn check_open_send(
        &self,
        me: &Session,
        shown: UserId,
        room: &RoomRow,
        text: &str,
    ) -> Result<()> {
        self.check_open_text(me, room, text).await?;
        let limits = rules::FloodLimits {
            same_text: self.limits.flood_same_text,
            links: self.limits.flood_links,
        };
        self.flood.check(room.id, shown, text, self.now(), limits).await
    }

    /// What of the sending rules holds for a text whenever it is sent (a
    /// scheduled message is checked now and again when it goes out):
    /// open, the sender not suspended, no banned word. Flooding is only
    /// judged at the moment of sending.
    pub(crate) async fn check_open_text(&self, me: &Session, room: &RoomRow, text: &str) -> Result<()> {
        if room.closed_at.is_some() {
            return Err(Error::refused("room_closed", "this open chat has closed"));
        }
        self.refuse_if_suspended(me).await?;
        if let Some(chat) = room.open_chat_id {
            let chat = self
                .repos
                .open_chat(chat)
                .await?
                .ok_or(Error::NotFound("open_chat"))?;
            if let Some(word) = rules::banned_word_in(text, &chat.banned_words) {
                return Err(Error::BannedWord(word.to_owned()));
            }
        }
        Ok(())
    }
}
