//! A channel's side of its rooms: each person who adds a channel has one
//! room with it; the person is its only member, and the channel speaks in
//! it through the business's agents, shown as the channel. The agents
//! share an inbox of these rooms: they read them, answer as the channel,
//! assign them to one another and close them; the person writing again
//! opens a room again. Also here: what the business keeps about a friend
//! (tags, attributes), the channel's posts, and a person's place (time
//! zone and neighbourhood) that campaigns and nearby search use.

use super::{geo, hours};
use crate::{Core, Error, Result, Session};
use madang_bus::{Live, Topic};
use madang_store::{ChannelRoomRow, ChannelRow, NewMessage, PlaceRow, RoomRow, StoreError};
use madang_types::api::{Message, MessageKind, MessagePage, Profile, SendMessageRequest};
use madang_types::channel::{
    CreatePostRequest, FriendData, FriendDataRequest, InboxItem, InboxPage, InboxStatus, Place, PlaceRequest,
    Post, PostPage,
};
use madang_types::{ChannelId, PostId, RoomId, Seq, UserId};
use std::collections::HashMap;

const MAX_POST_CHARS: usize = 2_000;
const MAX_TAGS: usize = 50;
const MAX_ATTRIBUTES: usize = 50;
const MAX_DATA_CHARS: usize = 200;

/// How a channel appears in its rooms: a negative id below every open
/// chat persona's (those are above −2⁵²), so it never collides with one,
/// and above −2⁵³, so a JavaScript client reads it exactly.
pub fn channel_shown_id(channel: ChannelId) -> UserId {
    UserId(-(1i64 << 52) - channel.0)
}

pub(crate) fn channel_profile(c: &ChannelRow) -> Profile {
    Profile {
        id: channel_shown_id(c.id),
        handle: c.handle.clone(),
        display_name: c.name.clone(),
        status_message: c.description.lines().next().unwrap_or_default().to_owned(),
        avatar: c.avatar.clone(),
        avatar_seed: None,
        bot: false,
    }
}

fn post_view(p: madang_store::PostRow) -> Post {
    Post {
        id: p.id,
        channel_id: p.channel_id,
        text: p.text,
        photos: p.photos,
        created_at: p.created_at,
    }
}

impl Core {
    /// The channel shown as the other side of a channel room.
    pub(crate) async fn channel_room_peer(&self, room: &RoomRow) -> Result<Option<Profile>> {
        let Some(id) = room.channel_id else {
            return Ok(None);
        };
        Ok(self.repos.channel(id).await?.as_ref().map(channel_profile))
    }

    /// The person wrote in their room with a channel: it opens in the
    /// inbox, and the agents hear of it. A new message (`fresh`) in a room
    /// the people do not have goes to the channel's assistant, if it is on.
    pub(crate) async fn customer_wrote(&self, room: &RoomRow, fresh: Option<Seq>) -> Result<()> {
        let Some(channel) = room.channel_id else {
            return Ok(());
        };
        let with_agents = self.repos.customer_wrote(room.id, self.now()).await?;
        if let Some(seq) = fresh
            && !with_agents
        {
            self.ask_channel_assistant(channel, room.id, seq).await;
        }
        self.tell_agents(channel, room.id).await
    }

    pub(crate) async fn tell_agents(&self, channel: ChannelId, room: RoomId) -> Result<()> {
        let Some(row) = self.repos.channel(channel).await? else {
            return Ok(());
        };
        for a in self.repos.agents(row.business_id).await? {
            self.publish(
                Topic::User(a.user_id),
                Live::InboxChanged {
                    channel_id: channel,
                    room_id: room,
                },
            )
            .await;
        }
        Ok(())
    }

    /// A room of the channel's inbox, for one of its business's agents,
    /// with the channel.
    async fn inbox_room(
        &self,
        me: &Session,
        channel: ChannelId,
        room: RoomId,
    ) -> Result<(ChannelRow, ChannelRoomRow)> {
        let c = self.channel_as_agent(me, channel).await?;
        let state = self
            .repos
            .channel_room_of(room)
            .await?
            .filter(|r| r.channel_id == channel)
            .ok_or(Error::NotFound("room"))?;
        Ok((c, state))
    }

    /// The caller's own room with a channel (they have it once they have
    /// added the channel).
    pub async fn my_channel_room(&self, me: &Session, channel: ChannelId) -> Result<madang_types::api::Room> {
        let row = self
            .repos
            .channel_room(channel, me.user)
            .await?
            .ok_or(Error::NotFound("room"))?;
        self.room(me, row.room_id).await
    }

    /// The channel's inbox: conversations the people started, most
    /// recently active first; of one status, or only the caller's.
    pub async fn inbox(
        &self,
        me: &Session,
        channel: ChannelId,
        status: Option<InboxStatus>,
        mine: bool,
    ) -> Result<InboxPage> {
        self.channel_as_agent(me, channel).await?;
        let rows = self
            .repos
            .inbox(channel, status, mine.then_some(me.user), 200)
            .await?;
        let ids: Vec<UserId> = rows.iter().map(|r| r.room.user_id).collect();
        let people: HashMap<UserId, Profile> = self
            .repos
            .users(&ids)
            .await?
            .iter()
            .map(|u| (u.id, crate::accounts::profile_of(u)))
            .collect();
        let items = rows
            .into_iter()
            .filter_map(|r| {
                let person = people.get(&r.room.user_id)?.clone();
                Some(InboxItem {
                    room_id: r.room.room_id,
                    channel_id: r.room.channel_id,
                    person,
                    status: r.room.status,
                    assignee: r.room.assignee_id,
                    unread: r.unread,
                    last_message: r.last_message.map(|m| m.into_message(Vec::new(), 0)),
                    updated_at: r.room.updated_at,
                    with_agents: r.room.with_agents,
                    handover: r.room.handover,
                })
            })
            .collect();
        Ok(InboxPage { items })
    }

    /// A conversation's history, for the channel's agents.
    pub async fn inbox_history(
        &self,
        me: &Session,
        channel: ChannelId,
        room: RoomId,
        before: Option<Seq>,
        limit: Option<i64>,
    ) -> Result<MessagePage> {
        self.inbox_room(me, channel, room).await?;
        self.history_page(me, room, Seq::ZERO, before, limit).await
    }

    /// An agent answers as the channel.
    pub async fn inbox_reply(
        &self,
        me: &Session,
        channel: ChannelId,
        room: RoomId,
        req: SendMessageRequest,
    ) -> Result<Message> {
        crate::chat::messages::check_client_id(&req.client_id)?;
        self.check_text(&req.text)?;
        let (_, state) = self.inbox_room(me, channel, room).await?;
        // Removing a channel means nothing more from it, answers included.
        if self.repos.channel_friend(channel, state.user_id).await?.is_none() {
            return Err(Error::refused(
                "channel_removed",
                "this person removed the channel; it can no longer write to them",
            ));
        }
        self.check_send_rate(me).await?;
        if !req.mentions.is_empty() || req.reply_to.is_some() {
            return Err(Error::invalid(
                "not_supported",
                "an answer as the channel has no mentions or replies",
            ));
        }
        let (kind, attachment) = match &req.attachment {
            Some(id) => {
                let (k, a) = self.attachment(me, id).await?;
                (k, Some(a))
            }
            None => (MessageKind::Text, None),
        };
        if req.text.trim().is_empty() && attachment.is_none() {
            return Err(Error::invalid(
                "empty_message",
                "a message needs text or an attachment",
            ));
        }
        let new = NewMessage {
            room_id: room,
            sender_id: me.user,
            shown_as: channel_shown_id(channel),
            client_id: req.client_id,
            kind,
            text: req.text,
            reply_to: None,
            mentions: Vec::new(),
            attachment,
            pung_id: None,
            poll: None,
            thread_root: None,
            by_assistant: false,
            buttons: Vec::new(),
            at: self.now(),
        };
        let appended = match self.repos.append_outsider_message(new).await {
            Err(StoreError::Conflict(_)) => {
                return Err(Error::invalid(
                    "client_id_reused",
                    "that client_id was used in another room",
                ));
            }
            other => other?,
        };
        let seq = appended.message.seq;
        let message = appended.message.into_message(Vec::new(), appended.member_count);
        if let Some(event) = appended.event {
            metrics::counter!("madang_messages_sent_total").increment(1);
            self.publish(Topic::Room(room), Live::Event(event)).await;
            self.push_soon();
            if state.assignee_id.is_none() {
                self.repos.assign(room, Some(me.user), self.now()).await?;
            }
            // An agent answered: the people have it, the assistant is quiet.
            self.repos.to_agents(room, None, self.now()).await?;
            self.repos.inbox_read(room, seq).await?;
            self.tell_agents(channel, room).await?;
        }
        Ok(message)
    }

    /// Assigns a conversation to one of the business's agents (or nobody).
    pub async fn inbox_assign(
        &self,
        me: &Session,
        channel: ChannelId,
        room: RoomId,
        agent: Option<UserId>,
    ) -> Result<()> {
        let (c, _) = self.inbox_room(me, channel, room).await?;
        if let Some(a) = agent
            && self.repos.agent_role(c.business_id, a).await?.is_none()
        {
            return Err(Error::invalid(
                "not_an_agent",
                "only the business's agents can be assigned",
            ));
        }
        self.repos.assign(room, agent, self.now()).await?;
        self.tell_agents(channel, room).await
    }

    /// Closes a conversation; the person writing again reopens it.
    pub async fn inbox_close(&self, me: &Session, channel: ChannelId, room: RoomId) -> Result<()> {
        let (_, state) = self.inbox_room(me, channel, room).await?;
        if state.status == InboxStatus::Idle {
            return Err(Error::invalid(
                "nothing_to_close",
                "the person has not written yet",
            ));
        }
        self.repos
            .set_inbox_status(room, InboxStatus::Closed, self.now())
            .await?;
        self.tell_agents(channel, room).await
    }

    /// The business has read the conversation up to `seq`.
    pub async fn inbox_read(&self, me: &Session, channel: ChannelId, room: RoomId, seq: Seq) -> Result<()> {
        self.inbox_room(me, channel, room).await?;
        self.repos.inbox_read(room, seq).await?;
        Ok(())
    }

    /// Sets the tags and attributes the business keeps about a friend
    /// (for segments and template variables).
    pub async fn set_friend_data(
        &self,
        me: &Session,
        channel: ChannelId,
        user: UserId,
        req: FriendDataRequest,
    ) -> Result<FriendData> {
        self.channel_as_agent(me, channel).await?;
        let short = |s: &str| {
            let n = s.chars().count();
            (1..=MAX_DATA_CHARS).contains(&n) && !s.chars().any(char::is_control)
        };
        if let Some(tags) = &req.tags
            && (tags.len() > MAX_TAGS || !tags.iter().all(|t| short(t)))
        {
            return Err(Error::invalid(
                "invalid_tags",
                format!("at most {MAX_TAGS} tags of 1–{MAX_DATA_CHARS} characters"),
            ));
        }
        if let Some(attrs) = &req.attributes
            && (attrs.len() > MAX_ATTRIBUTES
                || !attrs
                    .iter()
                    .all(|(k, v)| short(k) && v.chars().count() <= MAX_DATA_CHARS))
        {
            return Err(Error::invalid(
                "invalid_attributes",
                format!(
                    "at most {MAX_ATTRIBUTES} attributes, names and values up to {MAX_DATA_CHARS} characters"
                ),
            ));
        }
        let (tags, attributes) = match self
            .repos
            .set_friend_data(channel, user, req.tags.as_deref(), req.attributes.as_ref())
            .await
        {
            Err(StoreError::NotFound) => return Err(Error::NotFound("friend")),
            other => other?,
        };
        Ok(FriendData {
            user_id: user,
            tags,
            attributes,
        })
    }

    pub async fn create_post(
        &self,
        me: &Session,
        channel: ChannelId,
        req: CreatePostRequest,
    ) -> Result<Post> {
        self.channel_as_agent(me, channel).await?;
        let text = super::text_up_to(&req.text, MAX_POST_CHARS, "invalid_text")?;
        if text.is_empty() {
            return Err(Error::invalid("invalid_text", "a post needs text"));
        }
        if req.photos.len() > 10 {
            return Err(Error::invalid("too_many_photos", "at most 10 photos"));
        }
        for photo in &req.photos {
            self.check_own_image(me, photo).await?;
        }
        let row = self
            .repos
            .create_post(channel, me.user, &text, &req.photos, self.now())
            .await?;
        Ok(post_view(row))
    }

    /// A channel's posts, newest first; anyone may read them.
    pub async fn posts(&self, channel: ChannelId, before: Option<PostId>) -> Result<PostPage> {
        self.repos
            .channel(channel)
            .await?
            .ok_or(Error::NotFound("channel"))?;
        let limit = 20;
        let rows = self.repos.posts(channel, before, limit).await?;
        let next_before = (rows.len() as i64 == limit)
            .then(|| rows.last().map(|p| p.id))
            .flatten();
        Ok(PostPage {
            posts: rows.into_iter().map(post_view).collect(),
            next_before,
        })
    }

    fn place_view(&self, p: PlaceRow) -> Place {
        Place {
            time_zone: p
                .time_zone
                .unwrap_or_else(|| self.limits.default_time_zone.clone()),
            lat: p.home.map(|h| h.0),
            lon: p.home.map(|h| h.1),
        }
    }

    pub async fn place(&self, me: &Session) -> Result<Place> {
        Ok(self.place_view(self.repos.place(me.user).await?))
    }

    /// Sets the caller's time zone and neighbourhood.
    pub async fn set_place(&self, me: &Session, req: PlaceRequest) -> Result<Place> {
        let mut p = self.repos.place(me.user).await?;
        if let Some(tz) = req.time_zone {
            hours::zone(&tz)?;
            p.time_zone = Some(tz);
        }
        match (req.lat, req.lon) {
            (Some(lat), Some(lon)) => {
                geo::point(lat, lon).ok_or_else(|| {
                    Error::invalid("invalid_point", "latitude is −90…90 and longitude −180…180")
                })?;
                p.home = Some((lat, lon));
            }
            (None, None) => {}
            _ => {
                return Err(Error::invalid(
                    "invalid_point",
                    "a neighbourhood needs both latitude and longitude",
                ));
            }
        }
        if req.clear_neighbourhood {
            p.home = None;
        }
        self.repos.set_place(me.user, &p).await?;
        Ok(self.place_view(p))
    }
}
