//! Searching one's own messages: in one room or all of one's rooms,
//! Korean without spaces and English words and prefixes, newest first,
//! only from when one joined, never deleted or hidden messages.

use crate::{Core, Error, Result, Session};
use madang_search::snippet::snippet;
use madang_store::{MessageSearch, StoredMessage, query_terms};
use madang_types::RoomId;
use madang_types::api::{MessageSearchHit, MessageSearchPage, SnippetPart};
use std::collections::HashMap;

/// The longest query, in characters.
const MAX_QUERY_CHARS: usize = 100;
/// The most terms a query may have.
const MAX_TERMS: usize = 24;

impl Core {
    pub async fn search_messages(
        &self,
        me: &Session,
        query: &str,
        room: Option<RoomId>,
        before: Option<i64>,
        limit: Option<i64>,
    ) -> Result<MessageSearchPage> {
        let query = query.trim();
        if query.chars().count() > MAX_QUERY_CHARS {
            return Err(Error::Invalid {
                code: "search_query_too_long",
                message: format!("a search is at most {MAX_QUERY_CHARS} characters"),
            });
        }
        let terms = query_terms(query);
        if terms.is_empty() {
            return Err(Error::Invalid {
                code: "search_query_empty",
                message: "type a word to search for".into(),
            });
        }
        if terms.len() > MAX_TERMS {
            return Err(Error::Invalid {
                code: "search_query_too_long",
                message: format!("a search has at most {MAX_TERMS} words or syllable pairs"),
            });
        }
        if let Some(room) = room {
            self.membership(me, room).await?;
        }
        let limit = limit.unwrap_or(20).clamp(1, self.limits.max_page);
        let mut hits = self
            .repos
            .search_messages(&MessageSearch {
                user: me.user,
                terms: &terms,
                room,
                before,
                limit: limit + 1,
            })
            .await?;
        let next_before = if hits.len() as i64 > limit {
            hits.truncate(limit as usize);
            hits.last().map(|h| h.id)
        } else {
            None
        };
        // Each room's messages are decorated together (reactions, unread
        // counts), and its title read once.
        let mut by_room: HashMap<RoomId, Vec<StoredMessage>> = HashMap::new();
        for h in &hits {
            if let Some(m) = self.repos.message(h.room_id, h.seq).await? {
                by_room.entry(h.room_id).or_default().push(m);
            }
        }
        let mut titles = HashMap::new();
        let mut decorated = HashMap::new();
        for (room_id, rows) in by_room {
            let Some(row) = self.repos.room(room_id).await? else {
                continue;
            };
            titles.insert(room_id, self.room_title_seen_by(me, &row).await?);
            for m in self.decorate(me, room_id, rows).await? {
                decorated.insert((room_id, m.seq), m);
            }
        }
        let results = hits
            .iter()
            .filter_map(|h| {
                let message = decorated.remove(&(h.room_id, h.seq))?;
                let snippet = snippet(&message.text, query)
                    .into_iter()
                    .map(|p| SnippetPart {
                        text: p.text,
                        hit: p.hit,
                    })
                    .collect();
                Some(MessageSearchHit {
                    room_id: h.room_id,
                    room_title: titles.get(&h.room_id).cloned().unwrap_or_default(),
                    message,
                    snippet,
                })
            })
            .collect();
        Ok(MessageSearchPage { results, next_before })
    }
}
