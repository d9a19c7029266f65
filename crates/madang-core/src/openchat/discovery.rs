//! Finding open chats: search (Korean without spaces, partial English
//! words, hashtags), categories, trending today, trending keywords and
//! personal recommendations with a reason each.
//!
//! The search index, trending scores and the recommender live in memory
//! (`madang-search`) and are rebuilt from the database at start and every
//! `discovery_refresh_secs` by the job in [`run`]; an open chat created,
//! closed or made link-only on this node enters or leaves the index at
//! once, and on the other nodes of a cluster as soon as the bus tells them
//! (they re-read it from the database). Every node rebuilds trending and
//! recommendations from the same database, so all agree after a refresh.
//! Where an embedder runs, recommendations also weigh how close a room's
//! topic is to the person's ([`super::topics`]).

use super::rules;
use super::topics::TopicCache;
use crate::{Core, Error, Result, Session};
use madang_bus::{Live, Topic};
use madang_search::index::{Doc, RoomIndex};
use madang_search::recommend::{Embeddings, Evaluation, Reason, Recommender, RoomInfo, evaluate};
use madang_search::trending;
use madang_store::{ListedChat, OpenChatRow};
use madang_types::openchat::{OpenChatCard, OpenChatPage, RecommendReason, Visibility};
use madang_types::{Millis, OpenChatId};

/// The open chats as an evaluation of embedders sees them
/// ([`Core::topic_world`]).
pub struct TopicWorld {
    /// (open chat, its text for the topic signal, its category).
    pub texts: Vec<(i64, String, String)>,
    /// (person, open chat).
    pub memberships: Vec<(i64, i64)>,
    pub rooms: Vec<RoomInfo>,
}
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::sync::watch;

const MAX_QUERY: usize = 100;
const MAX_PAGE: i64 = 50;
const MAX_OFFSET: i64 = 1_000;
const MAX_INTERESTS: usize = 20;

/// A change to the index made between rebuilds.
#[derive(Clone, Debug)]
enum IndexChange {
    Upsert(Doc),
    Remove(i64),
}

/// The in-memory picture discovery answers from.
#[derive(Default)]
pub struct Discovery {
    index: RwLock<RoomIndex>,
    /// Changes made while a rebuild reads the database, to replay onto
    /// the rebuilt index (else a chat created meanwhile would vanish from
    /// search until the next rebuild). Locked before `index`.
    replay: Mutex<Option<Vec<IndexChange>>>,
    /// One rebuild at a time.
    rebuilding: tokio::sync::Mutex<()>,
    recommender: RwLock<Recommender>,
    /// Open chats by how much they trend, most first.
    trending: RwLock<Vec<(OpenChatId, f32)>>,
    keywords: RwLock<Vec<String>>,
    /// Open chats' embeddings, kept between rebuilds (`topics`).
    topics: Mutex<TopicCache>,
}

/// What a rebuild found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiscoveryStats {
    pub open_chats: usize,
    pub memberships: usize,
    pub trending: usize,
}

fn doc(chat: &OpenChatRow) -> Doc {
    Doc {
        id: chat.id.0,
        title: chat.title.clone(),
        description: chat.description.clone(),
        hashtags: chat.hashtags.clone(),
        category: chat.category.clone(),
    }
}

fn page_args(offset: Option<i64>, limit: Option<i64>) -> Result<(i64, i64)> {
    let offset = offset.unwrap_or(0);
    if !(0..=MAX_OFFSET).contains(&offset) {
        return Err(Error::invalid(
            "invalid_offset",
            format!("offset is 0–{MAX_OFFSET}"),
        ));
    }
    Ok((offset, limit.unwrap_or(20).clamp(1, MAX_PAGE)))
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|p| p.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|p| p.into_inner())
}

fn apply(index: &mut RoomIndex, change: &IndexChange) {
    match change {
        IndexChange::Upsert(d) => index.upsert(d),
        IndexChange::Remove(id) => index.remove(*id),
    }
}

impl Discovery {
    pub(crate) fn topics(&self) -> std::sync::MutexGuard<'_, TopicCache> {
        self.topics.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn change(&self, change: IndexChange) {
        let mut replay = self.replay.lock().unwrap_or_else(|p| p.into_inner());
        apply(&mut write(&self.index), &change);
        if let Some(log) = replay.as_mut() {
            log.push(change);
        }
    }
}

fn index_change(chat: &OpenChatRow) -> IndexChange {
    if chat.visibility == Visibility::Public && chat.closed_at.is_none() {
        IndexChange::Upsert(doc(chat))
    } else {
        IndexChange::Remove(chat.id.0)
    }
}

impl Core {
    /// Puts a public, open chat in the search index (or takes it out), and
    /// tells the other nodes to re-read it.
    pub(crate) async fn index_open_chat(&self, chat: &OpenChatRow) {
        self.discovery.change(index_change(chat));
        self.tell_nodes(chat.id).await;
    }

    pub(crate) async fn unindex_open_chat(&self, id: OpenChatId) {
        self.discovery.change(IndexChange::Remove(id.0));
        self.tell_nodes(id).await;
    }

    async fn tell_nodes(&self, id: OpenChatId) {
        if self.bus.spans_nodes() {
            self.publish(Topic::Cluster, Live::OpenChatChanged { open_chat_id: id })
                .await;
        }
    }

    /// Another node changed an open chat: re-read it from the database.
    async fn reindex_open_chat(&self, id: OpenChatId) -> Result<()> {
        let change = match self.repos.open_chat(id).await? {
            Some(chat) => index_change(&chat),
            None => IndexChange::Remove(id.0),
        };
        self.discovery.change(change);
        Ok(())
    }

    async fn recommendation_inputs(
        &self,
    ) -> Result<(Vec<ListedChat>, Vec<(i64, i64)>, Vec<RoomInfo>, HashMap<i64, f32>)> {
        let chats = self.repos.discoverable_open_chats().await?;
        let memberships: Vec<(i64, i64)> = self
            .repos
            .open_memberships()
            .await?
            .into_iter()
            .map(|(u, c)| (u.0, c.0))
            .collect();
        let now = self.now();
        let engagement: Vec<(i64, i64)> = self
            .repos
            .open_engagement(Millis(now.0 - trending::WINDOW_MS))
            .await?
            .into_iter()
            .map(|(c, at)| (c.0, at.0))
            .collect();
        let scores = trending::scores(&engagement, now.0);
        let rooms = chats
            .iter()
            .map(|l| {
                let mut tags = l.chat.hashtags.clone();
                tags.push(l.chat.category.clone());
                RoomInfo {
                    id: l.chat.id.0,
                    tags,
                    members: l.members,
                    trending: scores.get(&l.chat.id.0).copied().unwrap_or(0.0),
                    joinable: l.members < l.chat.member_cap,
                }
            })
            .collect();
        Ok((chats, memberships, rooms, scores))
    }

    /// Rebuilds the index, trending and the recommender from the database.
    pub async fn refresh_discovery(&self) -> Result<DiscoveryStats> {
        let _one_at_a_time = self.discovery.rebuilding.lock().await;
        *self.discovery.replay.lock().unwrap_or_else(|p| p.into_inner()) = Some(Vec::new());
        let built = self.rebuild_discovery().await;
        let rest = {
            let mut replay = self.discovery.replay.lock().unwrap_or_else(|p| p.into_inner());
            let changes = replay.take().unwrap_or_default();
            let (mut index, rest) = built?;
            for c in &changes {
                apply(&mut index, c);
            }
            *write(&self.discovery.index) = index;
            rest
        };
        let (stats, recommender, trending_list, keywords, chats) = rest;
        *write(&self.discovery.recommender) = recommender;
        *write(&self.discovery.trending) = trending_list;
        *write(&self.discovery.keywords) = keywords;
        // Embedding new rooms can take a while (all of them, at a first
        // start): search and recommendations are already up to date, and
        // the topic signal follows when it is done.
        if let Some(topics) = self.room_topics(&chats).await? {
            write(&self.discovery.recommender).set_topics(topics, self.topic_floor());
        }
        Ok(stats)
    }

    /// Reads the database and builds a new picture (not yet in use).
    #[allow(clippy::type_complexity)]
    async fn rebuild_discovery(
        &self,
    ) -> Result<(
        RoomIndex,
        (
            DiscoveryStats,
            Recommender,
            Vec<(OpenChatId, f32)>,
            Vec<String>,
            Vec<ListedChat>,
        ),
    )> {
        let (chats, memberships, rooms, scores) = self.recommendation_inputs().await?;
        let membership_count = memberships.len();
        let mut index = RoomIndex::default();
        for l in &chats {
            index.upsert(&doc(&l.chat));
            index.set_activity(
                l.chat.id.0,
                l.members,
                scores.get(&l.chat.id.0).copied().unwrap_or(0.0),
            );
        }
        let recommender = tokio::task::spawn_blocking(move || Recommender::build(&memberships, &rooms))
            .await
            .map_err(|e| Error::Internal(Box::new(e)))?;
        // The rooms' embeddings so far; new ones are added after the swap.
        let recommender = recommender.with_topics(self.discovery.topics().index(), self.topic_floor());
        let mut trending_list: Vec<(OpenChatId, f32)> =
            scores.iter().map(|(&c, &s)| (OpenChatId(c), s)).collect();
        trending_list.retain(|(c, _)| chats.iter().any(|l| l.chat.id == *c));
        trending_list.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let tags: HashMap<i64, Vec<String>> = chats
            .iter()
            .map(|l| (l.chat.id.0, l.chat.hashtags.clone()))
            .collect();
        let keywords = trending::keywords(&scores, &tags, 10);
        let stats = DiscoveryStats {
            open_chats: chats.len(),
            memberships: membership_count,
            trending: trending_list.len(),
        };
        Ok((index, (stats, recommender, trending_list, keywords, chats)))
    }

    /// Cards for open chats in the given order, leaving out those the
    /// caller may not find (link-only or closed, unless they are in them).
    async fn cards(&self, me: &Session, ids: &[OpenChatId]) -> Result<Vec<OpenChatCard>> {
        let mine: HashSet<OpenChatId> = self.repos.my_open_chats(me.user).await?.into_iter().collect();
        let mut listed: HashMap<OpenChatId, ListedChat> = self
            .repos
            .listed_open_chats(ids)
            .await?
            .into_iter()
            .map(|l| (l.chat.id, l))
            .collect();
        Ok(ids
            .iter()
            .filter_map(|id| {
                let l = listed.remove(id)?;
                let joined = mine.contains(id) || l.chat.host_id == me.user;
                let findable = l.chat.visibility == Visibility::Public && l.chat.closed_at.is_none();
                (findable || joined).then(|| card(l, joined))
            })
            .collect())
    }

    /// Searches open chats by title, hashtags and description.
    pub async fn search_open_chats(
        &self,
        me: &Session,
        query: &str,
        category: Option<&str>,
        offset: Option<i64>,
        limit: Option<i64>,
    ) -> Result<OpenChatPage> {
        let q = query.trim();
        if q.is_empty() || q.chars().count() > MAX_QUERY {
            return Err(Error::invalid(
                "invalid_query",
                format!("a search is 1–{MAX_QUERY} characters"),
            ));
        }
        let category = category.map(rules::check_category).transpose()?;
        let (offset, limit) = page_args(offset, limit)?;
        let hits =
            read(&self.discovery.index).search(q, category.as_deref(), offset as usize, limit as usize + 1);
        let more = hits.len() as i64 > limit;
        let ids: Vec<OpenChatId> = hits
            .iter()
            .take(limit as usize)
            .map(|h| OpenChatId(h.id))
            .collect();
        Ok(OpenChatPage {
            open_chats: self.cards(me, &ids).await?,
            next_offset: more.then_some(offset + limit),
        })
    }

    /// Public open chats of a category, busiest first.
    pub async fn browse_open_chats(
        &self,
        me: &Session,
        category: &str,
        offset: Option<i64>,
        limit: Option<i64>,
    ) -> Result<OpenChatPage> {
        let category = rules::check_category(category)?;
        let (offset, limit) = page_args(offset, limit)?;
        let rows = self
            .repos
            .open_chats_in_category(&category, offset, limit + 1)
            .await?;
        let more = rows.len() as i64 > limit;
        let ids: Vec<OpenChatId> = rows.iter().take(limit as usize).map(|l| l.chat.id).collect();
        Ok(OpenChatPage {
            open_chats: self.cards(me, &ids).await?,
            next_offset: more.then_some(offset + limit),
        })
    }

    /// "Trending today": the open chats with the most engagement of the
    /// last day, recent counting more.
    pub async fn trending_open_chats(&self, me: &Session, limit: Option<i64>) -> Result<Vec<OpenChatCard>> {
        let (_, limit) = page_args(None, limit)?;
        let ids: Vec<OpenChatId> = read(&self.discovery.trending)
            .iter()
            .take(limit as usize)
            .map(|(c, _)| *c)
            .collect();
        self.cards(me, &ids).await
    }

    /// Hashtags that trend today.
    pub fn trending_keywords(&self) -> Vec<String> {
        read(&self.discovery.keywords).clone()
    }

    /// Open chats for the caller, each with why: from their interests, the
    /// rooms they are in (people there joined these too) and what is
    /// popular; never one they are in, banned from, or that is full.
    pub async fn recommended_open_chats(
        &self,
        me: &Session,
        limit: Option<i64>,
    ) -> Result<Vec<OpenChatCard>> {
        let (_, limit) = page_args(None, limit)?;
        let mine: Vec<i64> = self
            .repos
            .my_open_chats(me.user)
            .await?
            .iter()
            .map(|c| c.0)
            .collect();
        let exclude: HashSet<i64> = self
            .repos
            .my_open_bans(me.user)
            .await?
            .iter()
            .map(|c| c.0)
            .collect();
        let interests = self.repos.interests(me.user).await?;
        let topical = read(&self.discovery.recommender).has_topics();
        let vector = if topical {
            self.interest_vector(&interests).await
        } else {
            None
        };
        let recs = read(&self.discovery.recommender).recommend(
            &mine,
            &interests,
            vector.as_deref(),
            &exclude,
            limit as usize,
        );
        let ids: Vec<OpenChatId> = recs.iter().map(|r| OpenChatId(r.room)).collect();
        let sources: Vec<OpenChatId> = recs
            .iter()
            .filter_map(|r| match r.reason {
                Reason::SimilarTo(c) => Some(OpenChatId(c)),
                _ => None,
            })
            .collect();
        let titles: HashMap<OpenChatId, String> = self
            .repos
            .listed_open_chats(&sources)
            .await?
            .into_iter()
            .map(|l| (l.chat.id, l.chat.title))
            .collect();
        let mut cards: HashMap<OpenChatId, OpenChatCard> = self
            .cards(me, &ids)
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
        Ok(recs
            .into_iter()
            .filter_map(|r| {
                let mut card = cards.remove(&OpenChatId(r.room))?;
                if card.joined {
                    return None;
                }
                card.reason = Some(match r.reason {
                    Reason::Interest(tag) => RecommendReason::Interest { tag },
                    Reason::SimilarTo(c) => RecommendReason::SimilarTo {
                        open_chat_id: OpenChatId(c),
                        title: titles.get(&OpenChatId(c)).cloned().unwrap_or_default(),
                    },
                    Reason::Topic => RecommendReason::Topic,
                    Reason::Popular => RecommendReason::Popular,
                });
                Some(card)
            })
            .collect())
    }

    pub async fn interests(&self, me: &Session) -> Result<Vec<String>> {
        Ok(self.repos.interests(me.user).await?)
    }

    /// Replaces the topics the caller follows (hashtags or categories).
    pub async fn set_interests(&self, me: &Session, tags: &[String]) -> Result<Vec<String>> {
        let mut clean: Vec<String> = Vec::new();
        for t in tags {
            let t = rules::check_hashtags(std::slice::from_ref(t))?
                .pop()
                .ok_or_else(|| Error::invalid("invalid_hashtag", "an interest is a hashtag or a category"))?;
            if !clean.iter().any(|c| c.to_lowercase() == t.to_lowercase()) {
                clean.push(t);
            }
        }
        if clean.len() > MAX_INTERESTS {
            return Err(Error::invalid(
                "too_many_interests",
                format!("follow at most {MAX_INTERESTS} topics"),
            ));
        }
        self.repos.set_interests(me.user, &clean).await?;
        Ok(clean)
    }

    /// What an evaluation of embedders reads of the open chats now: each
    /// room's text as the topic signal embeds it with its category, and
    /// the memberships and rooms the recommender is built from.
    pub async fn topic_world(&self) -> Result<TopicWorld> {
        let (chats, memberships, rooms, _) = self.recommendation_inputs().await?;
        let texts = chats
            .iter()
            .map(|l| {
                let c = &l.chat;
                let text = super::topics::room_text(&c.title, &c.description, &c.hashtags, &c.category);
                (c.id.0, text, c.category.clone())
            })
            .collect();
        Ok(TopicWorld {
            texts,
            memberships,
            rooms,
        })
    }

    /// Offline quality of recommendations on what is in the database now
    /// (one room hidden per person), beside a popularity baseline.
    pub async fn evaluate_recommendations(&self, seed: u64) -> Result<Evaluation> {
        let (chats, memberships, rooms, _) = self.recommendation_inputs().await?;
        let mut interests: HashMap<i64, Vec<String>> = HashMap::new();
        for (user, tag) in self.repos.all_interests().await? {
            interests.entry(user.0).or_default().push(tag);
        }
        let embeddings = match self.room_topics(&chats).await? {
            Some(rooms) => Some(Embeddings {
                rooms,
                interests: self.interest_vectors(&interests).await?,
                floor: self.topic_floor(),
            }),
            None => None,
        };
        tokio::task::spawn_blocking(move || {
            evaluate(&memberships, &rooms, &interests, embeddings.as_ref(), seed)
        })
        .await
        .map_err(|e| Error::Internal(Box::new(e)))
    }
}

fn card(l: ListedChat, joined: bool) -> OpenChatCard {
    let c = l.chat;
    OpenChatCard {
        id: c.id,
        kind: c.kind,
        title: c.title,
        description: c.description.chars().take(200).collect(),
        hashtags: c.hashtags,
        category: c.category,
        cover: c.cover,
        member_count: l.members,
        member_cap: c.member_cap,
        has_entry_code: c.entry_code_hash.is_some(),
        real_profile_only: c.real_profile_only,
        subscription_required: c.subscription_required,
        last_active_at: l.last_active_at,
        joined,
        reason: None,
    }
}

/// The job: a rebuild at start, then one per `discovery_refresh_secs`;
/// in a cluster, also the open chats other nodes changed, as they say so.
pub(crate) async fn run(core: Arc<Core>, stop: watch::Receiver<bool>) {
    let every = Duration::from_secs(core.limits.discovery_refresh_secs.max(1));
    let listen = core.bus.spans_nodes().then(|| {
        let mut sub = core.bus.subscribe();
        sub.join(Topic::Cluster);
        tokio::spawn(follow_other_nodes(core.clone(), sub, stop.clone()))
    });
    crate::jobs::repeat("discovery", every, stop, || async {
        let stats = core.refresh_discovery().await?;
        tracing::debug!(?stats, "discovery refreshed");
        Ok(())
    })
    .await;
    if let Some(task) = listen {
        let _ = task.await;
    }
}

/// Applies what other nodes changed. A change lost on the way (NATS away,
/// the queue overflowed) is caught by the next rebuild; one lost to an
/// overflow here starts a rebuild at once.
async fn follow_other_nodes(
    core: Arc<Core>,
    mut sub: madang_bus::Subscription,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let envelope = tokio::select! {
            e = sub.recv() => e,
            _ = stop.changed() => return,
        };
        let Some(envelope) = envelope else { return };
        let outcome = if sub.take_lagged() {
            core.refresh_discovery().await.map(drop)
        } else if let Live::OpenChatChanged { open_chat_id } = envelope.live {
            core.reindex_open_chat(open_chat_id).await
        } else {
            Ok(())
        };
        if let Err(e) = outcome {
            metrics::counter!("madang_job_errors_total", "job" => "discovery").increment(1);
            tracing::warn!(error = %e, "re-indexing an open chat another node changed failed");
        }
    }
}
