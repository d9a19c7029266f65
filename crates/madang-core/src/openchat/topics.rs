//! The topic signal of recommendations: what each open chat is about
//! (title, description, hashtags) as a sentence embedding, and what a
//! person likes (their interests) as another; the recommender finds rooms
//! near the person's taste in a vector index (`madang_search::vectors`).
//!
//! Rooms' embeddings are kept between rebuilds by the text they were made
//! from, so a rebuild embeds only open chats that are new or changed. No
//! chat message goes to the embedder: only what a room shows in search
//! and the topics a person chose to follow.

use crate::Core;
use madang_search::vectors::VectorIndex;
use madang_store::ListedChat;
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

/// Texts per call to the embedder.
const BATCH: usize = 32;
/// Characters of a description that are embedded (the model reads ~256
/// tokens; the start says what a room is about).
const DESCRIPTION_CHARS: usize = 300;
/// Distinct interest sets whose embeddings are remembered (many people
/// follow the same few topics); past it the memory starts over.
const REMEMBERED_INTERESTS: usize = 10_000;

/// The rooms' embeddings in use (the recommender shares the index), and
/// the hash of the text each was made from.
#[derive(Default)]
pub(crate) struct TopicCache {
    hashes: HashMap<i64, u64>,
    index: Arc<VectorIndex>,
    /// Interests' embeddings by their text.
    interests: HashMap<String, Vec<f32>>,
}

impl TopicCache {
    /// The index in use (empty before the first embedding).
    pub(crate) fn index(&self) -> Arc<VectorIndex> {
        self.index.clone()
    }
}

/// What a room is about, as the embedder reads it.
pub fn room_text(title: &str, description: &str, hashtags: &[String], category: &str) -> String {
    let description: String = description.chars().take(DESCRIPTION_CHARS).collect();
    let tags: Vec<String> = hashtags.iter().map(|t| format!("#{t}")).collect();
    format!("{title}. {} {description} ({category})", tags.join(" "))
}

/// A person's interests as one sentence.
pub fn interests_text(tags: &[String]) -> String {
    tags.iter()
        .map(|t| t.trim_start_matches('#'))
        .collect::<Vec<_>>()
        .join(", ")
}

fn hash(text: &str) -> u64 {
    let mut h = DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

impl Core {
    /// The embedder for recommendations, if it runs here and is on.
    fn topic_embedder(&self) -> Option<&std::sync::Arc<dyn madang_ai::Embedder>> {
        self.models
            .embedder
            .as_ref()
            .filter(|_| self.models.features.recommendations)
    }

    /// The cosine below which the embedder's rooms and tastes share no topic.
    pub(crate) fn topic_floor(&self) -> f32 {
        self.topic_embedder()
            .map_or(madang_search::recommend::TOPIC_FLOOR, |e| e.scale().unrelated)
    }

    /// Each of `chats`' embeddings, from the last rebuild's index or the
    /// embedder, in a new index (the last one when nothing changed); `None`
    /// without an embedder. A failing embedder leaves out the chats it did
    /// not embed (they get no topic signal until a rebuild embeds them).
    pub(crate) async fn room_topics(&self, chats: &[ListedChat]) -> crate::Result<Option<Arc<VectorIndex>>> {
        let Some(embedder) = self.topic_embedder() else {
            return Ok(None);
        };
        let texts: Vec<(i64, u64, String)> = chats
            .iter()
            .map(|l| {
                let c = &l.chat;
                let text = room_text(&c.title, &c.description, &c.hashtags, &c.category);
                (c.id.0, hash(&text), text)
            })
            .collect();
        let (hashes, old) = {
            let cache = self.discovery.topics();
            (cache.hashes.clone(), cache.index.clone())
        };
        let kept = |id: i64, h: u64| hashes.get(&id) == Some(&h) && old.get(id).is_some();
        let missing: Vec<&(i64, u64, String)> = texts.iter().filter(|(id, h, _)| !kept(*id, *h)).collect();
        let mut fresh: HashMap<i64, Vec<f32>> = HashMap::with_capacity(missing.len());
        for batch in missing.chunks(BATCH) {
            let inputs: Vec<String> = batch.iter().map(|(_, _, t)| t.clone()).collect();
            match embedder.embed_passages(&inputs).await {
                Ok(vectors) => fresh.extend(batch.iter().map(|(id, _, _)| *id).zip(vectors)),
                Err(e) => {
                    metrics::counter!("madang_job_errors_total", "job" => "topics").increment(1);
                    tracing::warn!(error = %e, "embedding open chats failed; they have no topic signal for now");
                    break;
                }
            }
        }
        metrics::counter!("madang_ai_embedded_rooms_total").increment(fresh.len() as u64);
        if fresh.is_empty() && texts.len() == old.len() && texts.iter().all(|(id, h, _)| kept(*id, *h)) {
            return Ok(Some(old));
        }
        let mut next_hashes = HashMap::with_capacity(texts.len());
        let mut items = Vec::with_capacity(texts.len());
        for (id, h, _) in &texts {
            let v = match fresh.remove(id) {
                Some(v) => v,
                None if kept(*id, *h) => old.get(*id).map(<[f32]>::to_vec).unwrap_or_default(),
                None => continue,
            };
            next_hashes.insert(*id, *h);
            items.push((*id, v));
        }
        drop(old);
        let dims = embedder.dims();
        // Clustering a big index takes seconds: off the runtime's threads.
        let index = tokio::task::spawn_blocking(move || Arc::new(VectorIndex::new(dims, items)))
            .await
            .map_err(|e| crate::Error::Internal(Box::new(e)))?;
        let mut cache = self.discovery.topics();
        cache.hashes = next_hashes;
        cache.index = index.clone();
        Ok(Some(index))
    }

    /// The embedding of a person's interests (remembered by their text);
    /// `None` without an embedder, without interests, or when it fails
    /// (recommendations go on without it).
    pub(crate) async fn interest_vector(&self, tags: &[String]) -> Option<Vec<f32>> {
        let embedder = self.topic_embedder()?;
        if tags.is_empty() {
            return None;
        }
        let text = interests_text(tags);
        if let Some(v) = self.discovery.topics().interests.get(&text) {
            return Some(v.clone());
        }
        match embedder.embed(std::slice::from_ref(&text)).await {
            Ok(mut v) => {
                let v = v.pop()?;
                let mut cache = self.discovery.topics();
                if cache.interests.len() >= REMEMBERED_INTERESTS {
                    cache.interests.clear();
                }
                cache.interests.insert(text, v.clone());
                Some(v)
            }
            Err(e) => {
                tracing::warn!(error = %e, "embedding interests failed");
                None
            }
        }
    }

    /// Everyone's interests embedded (for the offline evaluation).
    pub(crate) async fn interest_vectors(
        &self,
        by_user: &HashMap<i64, Vec<String>>,
    ) -> crate::Result<HashMap<i64, Vec<f32>>> {
        let Some(embedder) = self.topic_embedder() else {
            return Ok(HashMap::new());
        };
        let people: Vec<(&i64, String)> = by_user
            .iter()
            .filter(|(_, tags)| !tags.is_empty())
            .map(|(u, tags)| (u, interests_text(tags)))
            .collect();
        let mut out = HashMap::with_capacity(people.len());
        for batch in people.chunks(BATCH) {
            let inputs: Vec<String> = batch.iter().map(|(_, t)| t.clone()).collect();
            let vectors = embedder.embed(&inputs).await?;
            out.extend(batch.iter().zip(vectors).map(|((u, _), v)| (**u, v)));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_room_reads_as_its_title_tags_description_and_category() {
        let long = "가".repeat(400);
        let text = room_text(
            "북한산 주말 등산",
            &long,
            &["등산".into(), "hiking".into()],
            "hobby",
        );
        assert!(text.starts_with("북한산 주말 등산. #등산 #hiking 가"));
        assert!(text.ends_with("가 (hobby)"));
        assert_eq!(text.matches('가').count(), DESCRIPTION_CHARS);
        assert_eq!(interests_text(&["#등산".into(), "coffee".into()]), "등산, coffee");
    }
}
