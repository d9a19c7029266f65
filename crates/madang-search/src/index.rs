//! An in-memory index of open chats: titles, hashtags and descriptions,
//! searched in Korean (pairs of syllables, see [`crate::tokenize`]) and
//! English (words and their prefixes), ranked by relevance (BM25 over the
//! three fields, the title weighing most) and by activity (members and
//! recent engagement).
//!
//! Every query term must match (a Korean word's every pair, an English
//! word as a whole word or a prefix). Only when that finds nothing do
//! rooms matching some of the terms come back, best covered first.

use crate::tokenize::{Token, index_tokens, query_tokens};
use std::collections::{BTreeMap, HashMap};

/// What is searchable about an open chat.
#[derive(Clone, Debug, PartialEq)]
pub struct Doc {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub hashtags: Vec<String>,
    pub category: String,
}

/// A search result.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hit {
    pub id: i64,
    pub score: f32,
}

/// Weights of the fields, in the order title, hashtags, description.
const WEIGHTS: [f32; 3] = [3.0, 2.5, 1.0];
const K1: f32 = 1.2;
const B: f32 = 0.75;

#[derive(Clone, Copy, Debug)]
struct Posting {
    slot: u32,
    tf: [u16; 3],
}

#[derive(Clone, Debug)]
struct Stored {
    id: i64,
    category: String,
    /// Weighted length over the fields.
    len: f32,
    tokens: Vec<Token>,
    /// Multiplies relevance: grows with members and recent engagement.
    activity: f32,
}

#[derive(Default)]
pub struct RoomIndex {
    slots: Vec<Option<Stored>>,
    by_id: HashMap<i64, u32>,
    free: Vec<u32>,
    terms: BTreeMap<Token, Vec<Posting>>,
    total_len: f64,
    live: usize,
}

impl RoomIndex {
    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Adds an open chat, or replaces it if indexed already.
    pub fn upsert(&mut self, doc: &Doc) {
        self.remove(doc.id);
        let fields = [
            index_tokens(&doc.title),
            index_tokens(&doc.hashtags.join(" ")),
            index_tokens(&doc.description),
        ];
        let mut tf: BTreeMap<&Token, [u16; 3]> = BTreeMap::new();
        for (f, tokens) in fields.iter().enumerate() {
            for t in tokens {
                let e = tf.entry(t).or_default();
                e[f] = e[f].saturating_add(1);
            }
        }
        let len: f32 = fields
            .iter()
            .zip(WEIGHTS)
            .map(|(tokens, w)| tokens.len() as f32 * w)
            .sum();
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.slots.push(None);
                (self.slots.len() - 1) as u32
            }
        };
        for (&token, &counts) in &tf {
            self.terms
                .entry(token.clone())
                .or_default()
                .push(Posting { slot, tf: counts });
        }
        self.slots[slot as usize] = Some(Stored {
            id: doc.id,
            category: doc.category.clone(),
            len,
            tokens: tf.keys().map(|t| (*t).clone()).collect(),
            activity: 1.0,
        });
        self.by_id.insert(doc.id, slot);
        self.total_len += f64::from(len);
        self.live += 1;
    }

    /// Takes an open chat out (closed, or turned link-only).
    pub fn remove(&mut self, id: i64) {
        let Some(slot) = self.by_id.remove(&id) else {
            return;
        };
        let Some(stored) = self.slots[slot as usize].take() else {
            return;
        };
        for t in &stored.tokens {
            if let Some(list) = self.terms.get_mut(t) {
                list.retain(|p| p.slot != slot);
                if list.is_empty() {
                    self.terms.remove(t);
                }
            }
        }
        self.total_len -= f64::from(stored.len);
        self.live -= 1;
        self.free.push(slot);
    }

    /// Sets how active an open chat is: its member count and its trending
    /// score (0–1, from recent engagement).
    pub fn set_activity(&mut self, id: i64, members: i64, trending: f32) {
        if let Some(&slot) = self.by_id.get(&id)
            && let Some(s) = self.slots[slot as usize].as_mut()
        {
            s.activity =
                (1.0 + 0.15 * (1.0 + members.max(0) as f32).ln()) * (1.0 + 0.5 * trending.clamp(0.0, 1.0));
        }
    }

    /// The posting lists a query term matches: a Korean pair or syllable
    /// exactly; an English word exactly or as the prefix of longer words
    /// (the exact match weighs double).
    fn matches(&self, token: &Token) -> Vec<(&[Posting], f32)> {
        match token {
            Token::Word(w) => {
                let from = Token::Word(w.clone());
                self.terms
                    .range(from..)
                    .take_while(|(t, _)| matches!(t, Token::Word(x) if x.starts_with(w.as_str())))
                    .map(|(t, list)| (list.as_slice(), if *t == *token { 1.0 } else { 0.5 }))
                    .collect()
            }
            other => self
                .terms
                .get(other)
                .map(|list| vec![(list.as_slice(), 1.0)])
                .unwrap_or_default(),
        }
    }

    /// The best `limit` open chats for `query` after skipping `offset`,
    /// in `category` if given.
    pub fn search(&self, query: &str, category: Option<&str>, offset: usize, limit: usize) -> Vec<Hit> {
        let terms = query_tokens(query);
        if terms.is_empty() || self.live == 0 {
            return Vec::new();
        }
        let n = self.live as f32;
        let avg = (self.total_len / self.live as f64) as f32;
        // slot → (score, how many query terms it matched)
        let mut acc: HashMap<u32, (f32, u16)> = HashMap::new();
        for term in &terms {
            let lists = self.matches(term);
            let df: usize = lists.iter().map(|(l, _)| l.len()).sum::<usize>().min(self.live);
            let idf = ((n - df as f32 + 0.5) / (df as f32 + 0.5) + 1.0).ln();
            let mut seen: HashMap<u32, f32> = HashMap::new();
            for (list, weight) in lists {
                for p in list {
                    let Some(Some(stored)) = self.slots.get(p.slot as usize) else {
                        continue;
                    };
                    let tf: f32 =
                        p.tf.iter()
                            .zip(WEIGHTS)
                            .map(|(&c, w)| f32::from(c) * w)
                            .sum::<f32>()
                            * weight;
                    let norm = K1 * (1.0 - B + B * stored.len / avg.max(1.0));
                    let s = idf * tf * (K1 + 1.0) / (tf + norm);
                    let best = seen.entry(p.slot).or_insert(0.0);
                    *best = best.max(s);
                }
            }
            for (slot, s) in seen {
                let e = acc.entry(slot).or_insert((0.0, 0));
                e.0 += s;
                e.1 += 1;
            }
        }
        let all = terms.len() as u16;
        let wanted = |slot: &u32| {
            category.is_none_or(|c| {
                self.slots[*slot as usize]
                    .as_ref()
                    .is_some_and(|s| s.category == c)
            })
        };
        let full: Vec<(u32, f32)> = acc
            .iter()
            .filter(|(slot, (_, hits))| *hits == all && wanted(slot))
            .map(|(&slot, &(score, _))| (slot, score))
            .collect();
        let ranked = if full.is_empty() {
            // Partial matches, those covering more of the query first.
            acc.iter()
                .filter(|(slot, _)| wanted(slot))
                .map(|(&slot, &(score, hits))| (slot, score * f32::from(hits) / f32::from(all)))
                .collect()
        } else {
            full
        };
        let mut hits: Vec<Hit> = ranked
            .into_iter()
            .filter_map(|(slot, score)| {
                let s = self.slots[slot as usize].as_ref()?;
                Some(Hit {
                    id: s.id,
                    score: score * s.activity,
                })
            })
            .collect();
        let keep = offset + limit;
        if hits.len() > keep {
            hits.select_nth_unstable_by(keep, |a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
            hits.truncate(keep);
        }
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
        hits.into_iter().skip(offset).take(limit).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(id: i64, title: &str, tags: &[&str], description: &str, category: &str) -> Doc {
        Doc {
            id,
            title: title.into(),
            description: description.into(),
            hashtags: tags.iter().map(|t| (*t).to_owned()).collect(),
            category: category.into(),
        }
    }

    fn ids(hits: &[Hit]) -> Vec<i64> {
        hits.iter().map(|h| h.id).collect()
    }

    fn world() -> RoomIndex {
        let mut idx = RoomIndex::default();
        for d in [
            doc(
                1,
                "서울맛집탐방",
                &["맛집", "서울"],
                "주말마다 새로운 식당",
                "food",
            ),
            doc(2, "부산 맛집 지도", &["부산"], "돼지국밥부터 밀면까지", "food"),
            doc(
                3,
                "북한산 등산 모임",
                &["등산", "hiking"],
                "토요일 아침 산행",
                "outdoors",
            ),
            doc(
                4,
                "Seoul hiking club",
                &["hiking", "seoul"],
                "Weekend trails around Seoul",
                "outdoors",
            ),
            doc(
                5,
                "Book club",
                &["books"],
                "We read one novel a month; 책 좋아하는 분",
                "books",
            ),
            doc(
                6,
                "재테크 스터디",
                &["주식"],
                "서울에서 모이는 투자 공부",
                "finance",
            ),
        ] {
            idx.upsert(&d);
        }
        idx
    }

    #[test]
    fn korean_without_spaces_partial_english_and_hashtags() {
        let idx = world();
        let mut food = ids(&idx.search("맛집", None, 0, 10));
        food.sort();
        assert_eq!(food, [1, 2], "맛집 finds 서울맛집탐방 and 부산 맛집 지도");
        assert_eq!(ids(&idx.search("서울맛집", None, 0, 10)), [1]);
        assert_eq!(
            ids(&idx.search("서울 맛집", None, 0, 10)),
            [1],
            "spaces in the query do not matter"
        );
        assert_eq!(ids(&idx.search("맛집탐방", None, 0, 10)), [1]);
        assert_eq!(ids(&idx.search("hik", None, 0, 10)).len(), 2, "a partial word");
        assert_eq!(ids(&idx.search("SEOUL hiking", None, 0, 10)), [4]);
        assert_eq!(ids(&idx.search("#등산", None, 0, 10)), [3], "a hashtag");
        assert_eq!(ids(&idx.search("책", None, 0, 10)), [5], "one syllable");
        assert_eq!(ids(&idx.search("hiking", Some("outdoors"), 0, 1)).len(), 1);
        assert!(idx.search("맛집", Some("outdoors"), 0, 10).is_empty());
        assert!(idx.search("zzz", None, 0, 10).is_empty());
        assert!(idx.search("   ", None, 0, 10).is_empty());
    }

    #[test]
    fn a_title_match_outranks_a_description_match_and_activity_breaks_near_ties() {
        let mut idx = world();
        let seoul = ids(&idx.search("서울", None, 0, 10));
        assert_eq!(seoul[0], 1, "title and hashtag beat a description");
        assert!(seoul.contains(&6));
        idx.set_activity(2, 1_500, 1.0);
        assert_eq!(
            ids(&idx.search("맛집", None, 0, 10))[0],
            2,
            "the busy room comes first"
        );
    }

    #[test]
    fn nothing_matching_every_term_falls_back_to_the_best_partial_matches() {
        let idx = world();
        assert_eq!(ids(&idx.search("부산 hiking", None, 0, 10)).len(), 3);
    }

    #[test]
    fn updates_and_removals_are_seen_at_once_and_pages_do_not_overlap() {
        let mut idx = world();
        idx.upsert(&doc(1, "제주 오름", &["제주"], "", "outdoors"));
        assert!(!ids(&idx.search("맛집", None, 0, 10)).contains(&1));
        assert_eq!(ids(&idx.search("오름", None, 0, 10)), [1]);
        idx.remove(3);
        assert!(idx.search("북한산", None, 0, 10).is_empty());
        assert_eq!(idx.len(), 5);
        for i in 10..40 {
            idx.upsert(&doc(i, &format!("독서 모임 {i}"), &[], "", "books"));
        }
        let first = ids(&idx.search("독서", None, 0, 10));
        let second = ids(&idx.search("독서", None, 10, 10));
        assert_eq!((first.len(), second.len()), (10, 10));
        assert!(first.iter().all(|i| !second.contains(i)));
    }
}
