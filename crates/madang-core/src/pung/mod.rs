//! Pung (펑): 24-hour moments for chosen friends that truly disappear.
//!
//! Who may see a Pung is decided here, once, in [`Core::visible_pung`] and
//! [`may_see`]: its author, or someone who was in its audience when it was
//! posted and who is, right now, a friend of the author both ways with no
//! block between them. Every read goes through that check, and the store
//! leaves out expired Pungs in every query, so a Pung is invisible from the
//! moment it expires; the purge job ([`purge`]) then deletes it everywhere.

pub mod purge;
pub mod rules;
mod view;

use crate::chat::messages::{check_client_id, check_emoji};
use crate::ratelimit::Rate;
use crate::{Core, Error, Result, Session};
use madang_bus::{Live, Topic};
use madang_store::{MediaPurpose, NewMessage, NewPung, PungForViewer, StoreError};
use madang_types::api::{Message, MessageKind};
use madang_types::pung::{
    CreatePungRequest, Pung, PungFeed, PungKind, PungReplyRequest, PungRing, PungViewer,
};
use madang_types::{ClientMsgId, Millis, PungId, UserId};
use std::collections::{BTreeMap, HashMap};

/// Whether `viewer` may see the Pung now, from the facts the store read
/// in the same query.
pub fn may_see(v: &PungForViewer, viewer: UserId, now: Millis) -> bool {
    v.pung.expires_at > now
        && (v.pung.author_id == viewer
            || (v.in_audience && v.author_lists_viewer && v.viewer_lists_author && !v.blocked))
}

impl Core {
    /// One Pung the caller may see, or `NotFound`: a Pung outside the
    /// caller's reach is indistinguishable from one that never existed.
    pub(crate) async fn visible_pung(&self, me: &Session, id: PungId) -> Result<PungForViewer> {
        let now = self.now();
        self.repos
            .pung_for_viewer(id, me.user, now)
            .await?
            .filter(|v| may_see(v, me.user, now))
            .ok_or(Error::NotFound("pung"))
    }

    /// Tells `users` that which Pungs they may see has changed.
    pub(crate) async fn pungs_changed(&self, users: &[UserId]) {
        for &user in users {
            self.publish(Topic::User(user), Live::PungsChanged).await;
        }
    }

    /// Posts a Pung. Its audience is fixed now from the author's friends;
    /// each tagged friend gets a message about it in the 1:1 chat. A retry
    /// with the same client id returns the Pung already posted.
    pub async fn post_pung(&self, me: &Session, req: CreatePungRequest) -> Result<Pung> {
        check_client_id(&req.client_id)?;
        let now = self.now();
        if let Some(row) = self.repos.pung_by_client_id(me.user, &req.client_id, now).await? {
            // A retry: finish telling the tagged (each message is itself
            // idempotent), then answer with the Pung already posted.
            for (_, user) in self.repos.pung_tags(&[row.id]).await? {
                self.tell_tagged(me, row.id, user).await?;
            }
            return self.pung(me, row.id).await;
        }
        let hours = rules::check_duration(req.duration_hours)?;
        let text = rules::check_text(&req.text, self.limits.max_pung_text_chars)?;
        rules::check_layers(&req.layers, self.limits.max_pung_layers)?;
        let (kind, background) = match &req.photo {
            Some(media) => {
                let row = self.repos.media(media).await?;
                let own = row.filter(|m| m.owner_id == me.user && m.purpose == MediaPurpose::Pung);
                if own.is_none() || self.repos.pung_by_media(media).await?.is_some() {
                    return Err(Error::NotFound("media"));
                }
                if req.background.is_some() {
                    return Err(Error::invalid(
                        "invalid_background",
                        "a photo Pung has no background colour",
                    ));
                }
                (PungKind::Photo, None)
            }
            None => {
                if text.is_empty() {
                    return Err(Error::invalid("empty_pung", "a text Pung needs text"));
                }
                (
                    PungKind::Text,
                    rules::check_background(req.background.as_deref())?,
                )
            }
        };
        let friends = self.repos.mutual_friends(me.user).await?;
        let audience = rules::audience(req.audience.mode, &req.audience.user_ids, &friends)?;
        let tags = rules::check_tags(&req.tags, &audience, self.limits.max_pung_tags)?;
        // Counted once the Pung is known to be valid: a refused attempt
        // costs nothing.
        let rate = Rate {
            capacity: self.limits.pungs_per_hour,
            per_ms: 3_600_000,
        };
        self.rate.check(&format!("pung:{}", me.user), rate).await?;
        let new = NewPung {
            author: me.user,
            client_id: req.client_id.clone(),
            kind,
            text,
            background,
            media: req.photo,
            layers: req.layers,
            audience_mode: req.audience.mode,
            audience: audience.clone(),
            tags: tags.clone(),
            created_at: now,
            expires_at: Millis(now.0 + hours * 3_600_000),
        };
        let row = match self.repos.create_pung(new).await {
            Ok(row) => row,
            // The same post raced itself: there is still one Pung.
            Err(StoreError::Conflict("client_id")) => self
                .repos
                .pung_by_client_id(me.user, &req.client_id, now)
                .await?
                .ok_or(Error::NotFound("pung"))?,
            Err(StoreError::Conflict(_)) => return Err(Error::NotFound("media")),
            Err(e) => return Err(e.into()),
        };
        metrics::counter!("madang_pungs_posted_total").increment(1);
        for &user in &tags {
            self.tell_tagged(me, row.id, user).await?;
        }
        for &user in &audience {
            self.publish(
                Topic::User(user),
                Live::PungPosted {
                    pung_id: row.id,
                    author_id: me.user,
                },
            )
            .await;
        }
        self.publish(
            Topic::User(me.user),
            Live::PungPosted {
                pung_id: row.id,
                author_id: me.user,
            },
        )
        .await;
        self.pung(me, row.id).await
    }

    /// The "tagged you in a Pung" message in the 1:1 chat with `user`.
    /// Nothing is sent to someone who has blocked the author since.
    async fn tell_tagged(&self, me: &Session, pung: PungId, user: UserId) -> Result<()> {
        if self.repos.has_blocked(user, me.user).await? {
            return Ok(());
        }
        let room = self.open_direct(me, user).await?.id;
        let new = NewMessage {
            room_id: room,
            sender_id: me.user,
            shown_as: me.user,
            client_id: ClientMsgId(format!("pung-{pung}-tag-{user}")),
            kind: MessageKind::PungTag,
            text: String::new(),
            reply_to: None,
            mentions: vec![user],
            attachment: None,
            pung_id: Some(pung),
            poll: None,
            thread_root: None,
            by_assistant: false,
            buttons: Vec::new(),
            at: self.now(),
        };
        self.append(me, new).await?;
        Ok(())
    }

    /// One Pung as the caller sees it.
    pub async fn pung(&self, me: &Session, id: PungId) -> Result<Pung> {
        let row = self.visible_pung(me, id).await?;
        self.assemble_pungs(me, vec![row])
            .await?
            .pop()
            .ok_or(Error::NotFound("pung"))
    }

    /// The caller's own Pungs and, per friend, the Pungs the caller may
    /// see: friends with unseen ones first, then by their latest.
    pub async fn pung_feed(&self, me: &Session) -> Result<PungFeed> {
        let now = self.now();
        let rows: Vec<PungForViewer> = self
            .repos
            .pungs_for_viewer(me.user, now)
            .await?
            .into_iter()
            .filter(|v| may_see(v, me.user, now))
            .collect();
        let mut mine = Vec::new();
        let mut by_author: BTreeMap<UserId, Vec<Pung>> = BTreeMap::new();
        for p in self.assemble_pungs(me, rows).await? {
            if p.author.id == me.user {
                mine.push(p);
            } else {
                by_author.entry(p.author.id).or_default().push(p);
            }
        }
        let mut friends: Vec<PungRing> = by_author
            .into_values()
            .filter_map(|pungs| {
                let first = pungs.first()?;
                Some(PungRing {
                    author: first.author.clone(),
                    unseen: pungs.iter().filter(|p| !p.seen).count() as i64,
                    latest_at: pungs
                        .iter()
                        .map(|p| p.created_at)
                        .max()
                        .unwrap_or(first.created_at),
                    pungs,
                })
            })
            .collect();
        friends.sort_by_key(|r| (r.unseen == 0, std::cmp::Reverse(r.latest_at)));
        Ok(PungFeed { mine, friends })
    }

    /// The Pungs of `author` the caller may see, oldest first (empty for
    /// someone whose Pungs the caller may not see).
    pub async fn pungs_of(&self, me: &Session, author: UserId) -> Result<Vec<Pung>> {
        self.repos.user(author).await?.ok_or(Error::NotFound("user"))?;
        let now = self.now();
        let rows = self
            .repos
            .pungs_for_viewer(me.user, now)
            .await?
            .into_iter()
            .filter(|v| v.pung.author_id == author && may_see(v, me.user, now))
            .collect();
        self.assemble_pungs(me, rows).await
    }

    /// Marks a Pung seen by the caller; its author hears of the first view.
    pub async fn view_pung(&self, me: &Session, id: PungId) -> Result<()> {
        let v = self.visible_pung(me, id).await?;
        if v.pung.author_id != me.user && self.repos.record_view(id, me.user, self.now()).await? {
            self.tell_author(&v).await;
        }
        Ok(())
    }

    async fn tell_author(&self, v: &PungForViewer) {
        self.publish(
            Topic::User(v.pung.author_id),
            Live::PungActivity { pung_id: v.pung.id },
        )
        .await;
    }

    /// Who viewed the caller's Pung, with their reactions. Author only.
    pub async fn pung_viewers(&self, me: &Session, id: PungId) -> Result<Vec<PungViewer>> {
        let v = self.visible_pung(me, id).await?;
        if v.pung.author_id != me.user {
            return Err(Error::NotAuthor);
        }
        let views = self.repos.pung_views(id).await?;
        let mut reactions: HashMap<UserId, Vec<String>> = HashMap::new();
        for (user, emoji) in self.repos.pung_reactions(id).await? {
            reactions.entry(user).or_default().push(emoji);
        }
        // Someone may react without a recorded view (another client).
        let mut people: Vec<(UserId, Millis)> = views;
        for &user in reactions.keys() {
            if !people.iter().any(|(u, _)| *u == user) {
                people.push((user, v.pung.created_at));
            }
        }
        let ids: Vec<UserId> = people.iter().map(|(u, _)| *u).collect();
        let profiles = self.profiles_seen_by(me.user, &ids).await?;
        Ok(people
            .into_iter()
            .filter_map(|(user, viewed_at)| {
                Some(PungViewer {
                    profile: profiles.get(&user)?.clone(),
                    viewed_at,
                    reactions: reactions.remove(&user).unwrap_or_default(),
                })
            })
            .collect())
    }

    fn not_own(&self, me: &Session, v: &PungForViewer, what: &str) -> Result<()> {
        if v.pung.author_id == me.user {
            return Err(Error::invalid(
                "own_pung",
                format!("you cannot {what} your own Pung"),
            ));
        }
        Ok(())
    }

    pub async fn react_pung(&self, me: &Session, id: PungId, emoji: &str) -> Result<()> {
        check_emoji(emoji)?;
        let v = self.visible_pung(me, id).await?;
        self.not_own(me, &v, "react to")?;
        if self
            .repos
            .add_pung_reaction(id, me.user, emoji, self.now())
            .await?
        {
            self.tell_author(&v).await;
        }
        Ok(())
    }

    pub async fn unreact_pung(&self, me: &Session, id: PungId, emoji: &str) -> Result<()> {
        check_emoji(emoji)?;
        let v = self.visible_pung(me, id).await?;
        if !self.repos.remove_pung_reaction(id, me.user, emoji).await? {
            return Err(Error::NotFound("reaction"));
        }
        self.tell_author(&v).await;
        Ok(())
    }

    /// Votes (or changes the caller's vote) in the Pung's poll; returns the
    /// Pung with the results.
    pub async fn vote_pung(&self, me: &Session, id: PungId, option: i64) -> Result<Pung> {
        let v = self.visible_pung(me, id).await?;
        let Some(options) = rules::poll_options(&v.pung.layers) else {
            return Err(Error::invalid("no_poll", "this Pung has no poll"));
        };
        if !(0..options as i64).contains(&option) {
            return Err(Error::invalid(
                "invalid_option",
                format!("choose an option from 0 to {}", options - 1),
            ));
        }
        self.repos.vote(id, me.user, option, self.now()).await?;
        if v.pung.author_id != me.user {
            self.tell_author(&v).await;
        }
        self.pung(me, id).await
    }

    /// Replies to a Pung in the 1:1 chat with its author. The message
    /// refers to the Pung and copies nothing of it.
    pub async fn reply_pung(&self, me: &Session, id: PungId, req: PungReplyRequest) -> Result<Message> {
        check_client_id(&req.client_id)?;
        self.check_text(&req.text)?;
        if req.text.trim().is_empty() {
            return Err(Error::invalid("empty_message", "a reply needs text"));
        }
        let v = self.visible_pung(me, id).await?;
        self.not_own(me, &v, "reply to")?;
        self.check_send_rate(me).await?;
        let room = self.open_direct(me, v.pung.author_id).await?.id;
        let new = NewMessage {
            room_id: room,
            sender_id: me.user,
            shown_as: me.user,
            client_id: req.client_id,
            kind: MessageKind::PungReply,
            text: req.text,
            reply_to: None,
            mentions: Vec::new(),
            attachment: None,
            pung_id: Some(id),
            poll: None,
            thread_root: None,
            by_assistant: false,
            buttons: Vec::new(),
            at: self.now(),
        };
        self.append(me, new).await
    }

    /// Deletes the caller's Pung everywhere at once, as expiry would.
    pub async fn delete_pung(&self, me: &Session, id: PungId) -> Result<()> {
        let v = self.visible_pung(me, id).await?;
        if v.pung.author_id != me.user {
            return Err(Error::NotAuthor);
        }
        if let Some(purged) = self.repos.purge_pung(id, self.now()).await? {
            self.after_purge(&[purged]).await?;
        }
        Ok(())
    }
}
