//! Open chat recommendations from four signals:
//!
//! - *co-membership*: rooms whose members are also in the user's rooms
//!   (item-to-item cosine over shared members, the top few per room,
//!   computed when the recommender is built);
//! - *interests*: rooms tagged with (or filed under) what the user said
//!   they like;
//! - *topic*, when rooms have embeddings ([`Recommender::with_topics`]):
//!   rooms whose title, description and hashtags mean something close to
//!   the user's taste (the direction of their interests' embedding and
//!   their rooms' embeddings together), found in a [`VectorIndex`]; this
//!   reaches rooms no tag or co-member links to ("#hiking" finds
//!   "Weekend mountain trails");
//! - *popularity*: members and recent engagement, a small prior.
//!
//! Each recommendation says why ("because you follow #등산", "people in
//! your room also joined this", "close to what you like", "popular now").
//! [`evaluate`] measures it offline against a popularity-only baseline by
//! hiding one room per user, with and without the topic signal.

use crate::vectors::{VectorIndex, mean_direction};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// What the recommender knows of an open chat.
#[derive(Clone, Debug, PartialEq)]
pub struct RoomInfo {
    pub id: i64,
    /// Hashtags and the category, any case.
    pub tags: Vec<String>,
    pub members: i64,
    /// Recent engagement, 0–1.
    pub trending: f32,
    /// Public, open and not full: may be recommended.
    pub joinable: bool,
}

/// Why a room is recommended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// It carries a tag the user follows.
    Interest(String),
    /// People in this room of the user's also joined it.
    SimilarTo(i64),
    /// Its topic is close to the user's taste.
    Topic,
    Popular,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Recommendation {
    pub room: i64,
    pub score: f32,
    pub reason: Reason,
}

/// Related rooms kept per room.
const RELATED: usize = 30;
/// Members of one room looked at when relating rooms (a 1,500-member room
/// is related through a sample, so building stays linear).
const SAMPLE_MEMBERS: usize = 300;
/// Rooms of one member looked at.
const SAMPLE_ROOMS: usize = 60;
/// Rooms kept per tag, most popular first.
const PER_TAG: usize = 300;

/// Rooms taken from the vector index per request.
const NEAREST: usize = 50;
/// A person's rooms whose embeddings stand for their taste.
const TASTE_ROOMS: usize = 20;

const W_SIMILAR: f32 = 1.0;
const W_INTEREST: f32 = 0.6;
const W_TOPIC: f32 = 0.3;
const W_POPULAR: f32 = 0.15;
/// Cosine below which two sentence embeddings share no topic to speak of,
/// unless told the embedder's own (all-MiniLM-L6-v2 puts unrelated short
/// texts at about 0–0.2; multilingual-e5-small at about 0.8).
pub const TOPIC_FLOOR: f32 = 0.25;

/// How much of a topic two embeddings share, 0–1, above `floor`.
fn topic(cosine: f32, floor: f32) -> f32 {
    ((cosine - floor) / (1.0 - floor)).clamp(0.0, 1.0)
}

fn fold(tag: &str) -> String {
    tag.trim().trim_start_matches('#').to_lowercase()
}

pub struct Recommender {
    related: HashMap<i64, Vec<(i64, f32)>>,
    by_tag: HashMap<String, Vec<i64>>,
    popularity: HashMap<i64, f32>,
    /// Joinable rooms, most popular first.
    popular: Vec<i64>,
    joinable: HashSet<i64>,
    /// Rooms' embeddings (empty: no topic signal), shared with whoever
    /// built them.
    topics: Arc<VectorIndex>,
    /// Cosine below which rooms and tastes share no topic.
    topic_floor: f32,
}

impl Default for Recommender {
    /// Knows no rooms yet.
    fn default() -> Self {
        Recommender::build(&[], &[])
    }
}

impl Recommender {
    /// Builds from every membership `(user, room)` and every room.
    pub fn build(memberships: &[(i64, i64)], rooms: &[RoomInfo]) -> Recommender {
        let joinable: HashSet<i64> = rooms.iter().filter(|r| r.joinable).map(|r| r.id).collect();
        let mut members_of: HashMap<i64, Vec<i64>> = HashMap::new();
        let mut rooms_of: HashMap<i64, Vec<i64>> = HashMap::new();
        for &(user, room) in memberships {
            members_of.entry(room).or_default().push(user);
            rooms_of.entry(user).or_default().push(room);
        }
        let size = |room: i64| members_of.get(&room).map_or(0, Vec::len).max(1) as f32;
        let mut related = HashMap::with_capacity(members_of.len());
        for (&room, members) in &members_of {
            let mut shared: HashMap<i64, f32> = HashMap::new();
            for user in members.iter().take(SAMPLE_MEMBERS) {
                for &other in rooms_of.get(user).into_iter().flatten().take(SAMPLE_ROOMS) {
                    if other != room && joinable.contains(&other) {
                        *shared.entry(other).or_default() += 1.0;
                    }
                }
            }
            // Scale a sampled count back up before normalising.
            let scale = members.len().max(1) as f32 / members.len().clamp(1, SAMPLE_MEMBERS) as f32;
            let mut list: Vec<(i64, f32)> = shared
                .into_iter()
                .map(|(other, n)| (other, n * scale / (size(room) * size(other)).sqrt()))
                .collect();
            list.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            list.truncate(RELATED);
            related.insert(room, list);
        }
        let max_members = rooms.iter().map(|r| r.members).max().unwrap_or(1).max(1) as f32;
        let popularity: HashMap<i64, f32> = rooms
            .iter()
            .map(|r| {
                let p =
                    0.5 * (1.0 + r.members.max(0) as f32).ln() / (1.0 + max_members).ln() + 0.5 * r.trending;
                (r.id, p.clamp(0.0, 1.0))
            })
            .collect();
        let mut popular: Vec<i64> = joinable.iter().copied().collect();
        // Room ids are known to `popularity` (every room is in it).
        popular.sort_by(|a, b| popularity[b].total_cmp(&popularity[a]).then(a.cmp(b)));
        let mut by_tag: HashMap<String, Vec<i64>> = HashMap::new();
        for r in rooms.iter().filter(|r| r.joinable) {
            for t in &r.tags {
                by_tag.entry(fold(t)).or_default().push(r.id);
            }
        }
        for list in by_tag.values_mut() {
            list.sort_by(|a, b| popularity[b].total_cmp(&popularity[a]).then(a.cmp(b)));
            list.dedup();
            list.truncate(PER_TAG);
        }
        Recommender {
            related,
            by_tag,
            popularity,
            popular,
            joinable,
            topics: Arc::default(),
            topic_floor: TOPIC_FLOOR,
        }
    }

    /// The same, with each room's embedding for the topic signal, and the
    /// cosine below which the embedder's vectors share no topic.
    pub fn with_topics(mut self, topics: Arc<VectorIndex>, floor: f32) -> Recommender {
        self.set_topics(topics, floor);
        self
    }

    /// Replaces the rooms' embeddings.
    pub fn set_topics(&mut self, topics: Arc<VectorIndex>, floor: f32) {
        self.topics = topics;
        self.topic_floor = floor;
    }

    /// Whether rooms have embeddings.
    pub fn has_topics(&self) -> bool {
        !self.topics.is_empty()
    }

    /// The dimensions of the rooms' embeddings (0 without).
    pub fn topic_dims(&self) -> usize {
        self.topics.dims()
    }

    /// Where someone in `mine` whose interests embed as `interests` points:
    /// the direction of their interests and their rooms together. One
    /// query keeps a request to one pass over the index.
    fn taste(&self, mine: &[i64], interests: Option<&[f32]>) -> Option<Vec<f32>> {
        let rooms = mine.iter().take(TASTE_ROOMS).filter_map(|r| self.topics.get(*r));
        mean_direction(self.topics.dims(), interests.into_iter().chain(rooms))
    }

    /// The best `limit` rooms for someone in `mine` who follows
    /// `interests` (embedded together as `interest_vector`, for the topic
    /// signal), never one in `exclude` (theirs, banned from, full).
    pub fn recommend(
        &self,
        mine: &[i64],
        interests: &[String],
        interest_vector: Option<&[f32]>,
        exclude: &HashSet<i64>,
        limit: usize,
    ) -> Vec<Recommendation> {
        #[derive(Default)]
        struct Acc {
            similar: f32,
            strongest: f32,
            source: i64,
            interest: f32,
            tag: String,
            topic: f32,
        }
        let mut acc: HashMap<i64, Acc> = HashMap::new();
        for &room in mine {
            for &(other, w) in self.related.get(&room).into_iter().flatten() {
                let e = acc.entry(other).or_default();
                e.similar += w;
                if w > e.strongest {
                    e.strongest = w;
                    e.source = room;
                }
            }
        }
        for tag in interests {
            for &room in self.by_tag.get(&fold(tag)).into_iter().flatten() {
                let e = acc.entry(room).or_default();
                if e.tag.is_empty() {
                    e.tag = tag.trim().trim_start_matches('#').to_owned();
                }
                e.interest += 1.0;
            }
        }
        let allowed =
            |room: &i64| !exclude.contains(room) && !mine.contains(room) && self.joinable.contains(room);
        if let Some(taste) = self.taste(mine, interest_vector) {
            for (room, cosine) in self.topics.nearest(&taste, NEAREST, |r| allowed(&r)) {
                let t = topic(cosine, self.topic_floor);
                if t > 0.0 {
                    acc.entry(room).or_default().topic = t;
                }
            }
        }
        let mut out: Vec<Recommendation> = acc
            .into_iter()
            .filter(|(room, _)| allowed(room))
            .map(|(room, a)| {
                let (s, i, t) = (
                    W_SIMILAR * a.similar,
                    W_INTEREST * a.interest.min(3.0),
                    W_TOPIC * a.topic,
                );
                let reason = if s > 0.0 && s >= i && s >= t {
                    Reason::SimilarTo(a.source)
                } else if i > 0.0 && i >= t {
                    Reason::Interest(a.tag)
                } else if t > 0.0 {
                    Reason::Topic
                } else {
                    Reason::Popular
                };
                let pop = self.popularity.get(&room).copied().unwrap_or(0.0);
                Recommendation {
                    room,
                    score: s + i + t + W_POPULAR * pop,
                    reason,
                }
            })
            .collect();
        out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.room.cmp(&b.room)));
        out.truncate(limit);
        // Not enough signal: fill with what is popular.
        for &room in &self.popular {
            if out.len() >= limit {
                break;
            }
            if allowed(&room) && !out.iter().any(|r| r.room == room) {
                out.push(Recommendation {
                    room,
                    score: W_POPULAR * self.popularity.get(&room).copied().unwrap_or(0.0),
                    reason: Reason::Popular,
                });
            }
        }
        out
    }

    /// The most popular joinable rooms, for the baseline and cold starts.
    pub fn popular(&self, mine: &[i64], exclude: &HashSet<i64>, limit: usize) -> Vec<i64> {
        self.popular
            .iter()
            .copied()
            .filter(|r| !mine.contains(r) && !exclude.contains(r))
            .take(limit)
            .collect()
    }
}

/// Offline quality of recommendations against a popularity baseline.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evaluation {
    /// Users with a room hidden (those in at least two rooms).
    pub users: usize,
    pub recall_at_10: f64,
    pub ndcg_at_10: f64,
    pub baseline_recall_at_10: f64,
    pub baseline_ndcg_at_10: f64,
    /// With the topic signal (rooms' and interests' embeddings), when
    /// there were embeddings to evaluate.
    pub topic_recall_at_10: Option<f64>,
    pub topic_ndcg_at_10: Option<f64>,
}

/// Embeddings for [`evaluate`]: each room's, and each user's interests'.
#[derive(Clone, Debug, Default)]
pub struct Embeddings {
    pub rooms: Arc<VectorIndex>,
    pub interests: HashMap<i64, Vec<f32>>,
    /// The embedder's cosine for "no topic in common".
    pub floor: f32,
}

/// Hides one room of each user in two or more (chosen by `seed`), builds
/// the recommender without those memberships, and asks it for each user's
/// top 10: recall@10 is how often the hidden room is among them, NDCG@10
/// rewards it near the top. The same for popularity alone, and, given
/// `embeddings`, for the recommender with the topic signal.
pub fn evaluate(
    memberships: &[(i64, i64)],
    rooms: &[RoomInfo],
    interests: &HashMap<i64, Vec<String>>,
    embeddings: Option<&Embeddings>,
    seed: u64,
) -> Evaluation {
    let mut rooms_of: HashMap<i64, Vec<i64>> = HashMap::new();
    for &(user, room) in memberships {
        rooms_of.entry(user).or_default().push(room);
    }
    let mut state = seed | 1;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    let mut users: Vec<i64> = rooms_of
        .keys()
        .copied()
        .filter(|u| rooms_of[u].len() >= 2)
        .collect();
    users.sort();
    let hidden: HashMap<i64, i64> = users
        .iter()
        .map(|u| {
            let list = &rooms_of[u];
            (*u, list[next(list.len())])
        })
        .collect();
    let kept: Vec<(i64, i64)> = memberships
        .iter()
        .copied()
        .filter(|(u, r)| hidden.get(u) != Some(r))
        .collect();
    let rec = Recommender::build(&kept, rooms);
    let with_topics = embeddings.filter(|e| !e.rooms.is_empty()).map(|e| {
        (
            Recommender::build(&kept, rooms).with_topics(e.rooms.clone(), e.floor),
            &e.interests,
        )
    });
    let gain = |ranked: &[i64], target: i64| -> (f64, f64) {
        match ranked.iter().take(10).position(|&r| r == target) {
            Some(i) => (1.0, 1.0 / ((i as f64) + 2.0).log2()),
            None => (0.0, 0.0),
        }
    };
    let (mut hit, mut ndcg, mut base_hit, mut base_ndcg) = (0.0, 0.0, 0.0, 0.0);
    let (mut topic_hit, mut topic_ndcg) = (0.0, 0.0);
    let none = HashSet::new();
    for u in &users {
        let target = hidden[u];
        let mine: Vec<i64> = rooms_of[u].iter().copied().filter(|r| *r != target).collect();
        let wanted = interests.get(u).cloned().unwrap_or_default();
        let ranked: Vec<i64> = rec
            .recommend(&mine, &wanted, None, &none, 10)
            .iter()
            .map(|r| r.room)
            .collect();
        let (h, n) = gain(&ranked, target);
        hit += h;
        ndcg += n;
        if let Some((topical, vectors)) = &with_topics {
            let v = vectors.get(u).map(Vec::as_slice);
            let ranked: Vec<i64> = topical
                .recommend(&mine, &wanted, v, &none, 10)
                .iter()
                .map(|r| r.room)
                .collect();
            let (h, n) = gain(&ranked, target);
            topic_hit += h;
            topic_ndcg += n;
        }
        let (h, n) = gain(&rec.popular(&mine, &none, 10), target);
        base_hit += h;
        base_ndcg += n;
    }
    let count = users.len().max(1) as f64;
    Evaluation {
        users: users.len(),
        recall_at_10: hit / count,
        ndcg_at_10: ndcg / count,
        baseline_recall_at_10: base_hit / count,
        baseline_ndcg_at_10: base_ndcg / count,
        topic_recall_at_10: with_topics.as_ref().map(|_| topic_hit / count),
        topic_ndcg_at_10: with_topics.as_ref().map(|_| topic_ndcg / count),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room(id: i64, tags: &[&str], members: i64) -> RoomInfo {
        RoomInfo {
            id,
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            members,
            trending: 0.0,
            joinable: true,
        }
    }

    #[test]
    fn co_members_interests_and_popularity_each_give_their_reason() {
        // Users 1–5 are in hiking rooms 10 and 11; 6–9 in food rooms 20, 21.
        let mut m = Vec::new();
        for u in 1..=5 {
            m.extend([(u, 10), (u, 11)]);
        }
        for u in 6..=9 {
            m.extend([(u, 20), (u, 21)]);
        }
        m.push((100, 10));
        let rooms = [
            room(10, &["등산"], 6),
            room(11, &["hiking"], 5),
            room(20, &["맛집"], 4),
            room(21, &["food"], 4),
            room(30, &["books"], 900),
        ];
        let rec = Recommender::build(&m, &rooms);
        let got = rec.recommend(&[10], &[], None, &HashSet::new(), 3);
        assert_eq!((got[0].room, &got[0].reason), (11, &Reason::SimilarTo(10)));
        let got = rec.recommend(&[], &["#맛집".into()], None, &HashSet::new(), 2);
        assert_eq!(
            (got[0].room, &got[0].reason),
            (20, &Reason::Interest("맛집".into()))
        );
        let cold = rec.recommend(&[], &[], None, &HashSet::new(), 1);
        assert_eq!((cold[0].room, &cold[0].reason), (30, &Reason::Popular));
        // Never a room of theirs, nor an excluded one.
        let got = rec.recommend(&[10], &[], None, &HashSet::from([11]), 5);
        assert!(got.iter().all(|r| r.room != 10 && r.room != 11));
    }

    #[test]
    fn rooms_that_cannot_be_joined_are_never_recommended() {
        let m = vec![(1, 1), (1, 2), (2, 1), (2, 2)];
        let mut full = room(2, &["x"], 2);
        full.joinable = false;
        let rec = Recommender::build(&m, &[room(1, &["x"], 2), full]);
        assert!(
            rec.recommend(&[1], &["x".into()], None, &HashSet::new(), 5)
                .iter()
                .all(|r| r.room != 2)
        );
    }

    #[test]
    fn on_interest_clusters_the_recommender_beats_popularity() {
        // 8 interests × 10 rooms; each user joins 4 rooms of their interest
        // and one popular room of another.
        let mut rooms = Vec::new();
        for i in 0..80 {
            rooms.push(room(i, &[&format!("t{}", i / 10)], 5 + (79 - i)));
        }
        let mut m = Vec::new();
        let mut interests = HashMap::new();
        let mut x: u64 = 7;
        for u in 1000..1400 {
            let topic = u % 8;
            interests.insert(u, vec![format!("t{topic}")]);
            for _ in 0..4 {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                m.push((u, topic * 10 + ((x >> 33) % 10) as i64));
            }
            m.push((u, ((topic + 1) % 8) * 10));
        }
        m.sort();
        m.dedup();
        let e = evaluate(&m, &rooms, &interests, None, 42);
        assert_eq!(e.topic_recall_at_10, None);
        assert!(e.users > 300);
        assert!(e.recall_at_10 > e.baseline_recall_at_10, "{e:?}");
        assert!(e.ndcg_at_10 > e.baseline_ndcg_at_10, "{e:?}");
    }

    /// A unit vector mostly along axis `axis` of 8, nudged by `jitter`.
    fn along(axis: usize, jitter: f32) -> Vec<f32> {
        let mut v = vec![jitter.abs() * 0.3; 8];
        v[axis] = 1.0;
        v[(axis + 1) % 8] += jitter;
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.into_iter().map(|x| x / n).collect()
    }

    #[test]
    fn a_room_close_in_topic_is_found_without_a_tag_or_a_co_member() {
        // Room 40 shares nothing with the user but its meaning.
        let rooms = [
            room(10, &["등산"], 3),
            room(40, &[], 2),
            room(50, &[], 2),
            room(30, &["books"], 900),
        ];
        let m = vec![(1, 10), (2, 10), (3, 40), (4, 50)];
        let topics = Arc::new(VectorIndex::new(
            8,
            [
                (10, along(0, 0.1)),
                (40, along(0, 0.2)),
                (50, along(4, 0.0)),
                (30, along(6, 0.0)),
            ],
        ));
        let rec = Recommender::build(&m, &rooms).with_topics(topics, TOPIC_FLOOR);
        let interest = along(0, 0.0);
        let got = rec.recommend(&[10], &[], Some(&interest), &HashSet::new(), 2);
        assert_eq!((got[0].room, &got[0].reason), (40, &Reason::Topic));
        // Unrelated rooms get no topic score, only popularity.
        assert!(got.iter().all(|r| r.room != 50), "{got:?}");
        // Without embeddings nothing leads to it.
        let plain = Recommender::build(&m, &rooms);
        let got = plain.recommend(&[10], &[], Some(&interest), &HashSet::new(), 2);
        assert!(got.iter().all(|r| r.reason != Reason::Topic));
    }

    #[test]
    fn where_tags_say_little_the_topic_signal_lifts_recall() {
        // 8 topics × 10 untagged rooms; each user joins 3 rooms of their
        // topic and says what they like in words (their interest vector).
        let mut rooms = Vec::new();
        let mut vectors = Vec::new();
        for i in 0..80i64 {
            rooms.push(room(i, &[], 5 + (79 - i)));
            vectors.push((i, along((i / 10) as usize, ((i % 10) as f32 - 5.0) / 20.0)));
        }
        let mut m = Vec::new();
        let mut interests = HashMap::new();
        let mut x: u64 = 11;
        for u in 1000..1400i64 {
            let t = u % 8;
            interests.insert(u, along(t as usize, 0.05));
            for _ in 0..3 {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                m.push((u, t * 10 + ((x >> 33) % 10) as i64));
            }
        }
        m.sort();
        m.dedup();
        let embeddings = Embeddings {
            rooms: Arc::new(VectorIndex::new(8, vectors)),
            interests,
            floor: TOPIC_FLOOR,
        };
        let e = evaluate(&m, &rooms, &HashMap::new(), Some(&embeddings), 42);
        let (r, n) = (e.topic_recall_at_10.unwrap(), e.topic_ndcg_at_10.unwrap());
        assert!(r > e.recall_at_10 && r > e.baseline_recall_at_10, "{e:?}");
        assert!(n > e.ndcg_at_10, "{e:?}");
    }
}
