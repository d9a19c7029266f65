//! A room's drawer: its photos and videos, its files, and the links
//! written in it, newest first, each pointing at its message. Only what
//! the caller may read: from when they joined, never deleted or hidden.

use crate::{Core, Result, Session};
use madang_types::api::{DrawerItem, DrawerKind, DrawerPage};
use madang_types::{RoomId, Seq};

/// Longest text shown with an item.
const SNIPPET: usize = 200;

/// The web addresses in `text`, in order: `http://` and `https://` ones,
/// and bare `www.` ones (given `https://`), each ending at a space or at
/// punctuation that closes a sentence rather than the address.
pub(crate) fn links_in(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for word in text.split(|c: char| c.is_whitespace() || c == '<' || c == '>' || c == '"') {
        let lower = word.to_ascii_lowercase();
        let start = ["https://", "http://", "www."]
            .iter()
            .filter_map(|p| lower.find(p))
            .min();
        let Some(start) = start else { continue };
        let mut link = &word[start..];
        // A sentence's full stop, a closing bracket that opened before
        // the address, and the like, are not part of it.
        while let Some(last) = link.chars().last() {
            let dangling = matches!(last, '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '…' | '。' | '、')
                || (last == ')' && link.matches('(').count() < link.matches(')').count())
                || (last == ']' && link.matches('[').count() < link.matches(']').count());
            if !dangling {
                break;
            }
            link = &link[..link.len() - last.len_utf8()];
        }
        let bare = ["https://", "http://", "www."]
            .iter()
            .any(|p| link.eq_ignore_ascii_case(p));
        if bare || link.len() < 5 {
            continue;
        }
        let full = if link.to_ascii_lowercase().starts_with("www.") {
            format!("https://{link}")
        } else {
            link.to_owned()
        };
        if !out.contains(&full) {
            out.push(full);
        }
    }
    out
}

fn snippet(text: &str) -> String {
    text.chars().take(SNIPPET).collect()
}

impl Core {
    pub async fn drawer(
        &self,
        me: &Session,
        room: RoomId,
        kind: DrawerKind,
        before: Option<Seq>,
        limit: Option<i64>,
    ) -> Result<DrawerPage> {
        let member = self.membership(me, room).await?;
        let limit = limit.unwrap_or(30).clamp(1, self.limits.max_page);
        let rows = self
            .repos
            .drawer(
                room,
                kind,
                before.unwrap_or(Seq(i64::MAX)),
                member.joined_seq,
                limit,
            )
            .await?;
        let next_before = (rows.len() as i64 == limit)
            .then(|| rows.last().map(|m| m.seq))
            .flatten();
        let mut items = Vec::new();
        for m in rows {
            match kind {
                DrawerKind::Links => {
                    // Newest first within a message too: the last written on top.
                    for url in links_in(&m.text).into_iter().rev() {
                        items.push(DrawerItem {
                            seq: m.seq,
                            sender_id: m.sender_id,
                            created_at: m.created_at,
                            attachment: None,
                            url: Some(url),
                            text: snippet(&m.text),
                        });
                    }
                }
                DrawerKind::Media | DrawerKind::Files => items.push(DrawerItem {
                    seq: m.seq,
                    sender_id: m.sender_id,
                    created_at: m.created_at,
                    attachment: m.attachment.clone(),
                    url: None,
                    text: snippet(&m.text),
                }),
            }
        }
        Ok(DrawerPage { items, next_before })
    }
}

#[cfg(test)]
mod tests {
    use super::links_in;

    #[test]
    fn links_end_where_the_sentence_goes_on() {
        assert_eq!(
            links_in("see https://example.org/a?b=1. And (www.naver.com), also http://x.kr/p_(1)!"),
            [
                "https://example.org/a?b=1",
                "https://www.naver.com",
                "http://x.kr/p_(1)"
            ]
        );
    }

    #[test]
    fn korean_around_a_link_and_repeats_and_bare_schemes() {
        assert_eq!(
            links_in("여기요:https://map.kakao.com/abc 맛집! https://map.kakao.com/abc 그리고 https:// 끝"),
            ["https://map.kakao.com/abc"]
        );
        assert!(links_in("no links here, just www").is_empty());
        assert_eq!(links_in("<https://a.example/b>"), ["https://a.example/b"]);
    }
}
