//! The rules of open chats that need no database: what a title, hashtag,
//! category, nickname and entry code may be; personas (random room
//! identities and generated avatars); banned words; and the flood guard.

use crate::{Error, Result};
use madang_store::{FloodMark, LimitRepo};
use madang_types::{Millis, RoomId, UserId};
use rand::Rng;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};
use std::fmt::Write;
use std::sync::{Arc, Mutex};

/// Categories an open chat is filed under.
pub const CATEGORIES: &[&str] = &[
    "friends",
    "hobby",
    "travel",
    "food",
    "sports",
    "outdoors",
    "study",
    "career",
    "tech",
    "games",
    "music",
    "movies",
    "books",
    "art",
    "pets",
    "parenting",
    "fashion",
    "beauty",
    "finance",
    "health",
    "local",
    "fandom",
];

const MAX_TITLE: usize = 29;
const MAX_DESCRIPTION: usize = 500;
const MAX_HASHTAGS: usize = 5;
const MAX_HASHTAG: usize = 20;
const MAX_NICKNAME: usize = 20;

/// Trimmed text of 1–`max` characters without control characters.
pub(crate) fn line(raw: &str, max: usize) -> Option<String> {
    let t = raw.trim();
    let n = t.chars().count();
    (n >= 1 && n <= max && !t.chars().any(char::is_control)).then(|| t.to_owned())
}

pub fn check_title(raw: &str) -> Result<String> {
    line(raw, MAX_TITLE).ok_or_else(|| {
        Error::invalid(
            "invalid_title",
            format!("an open chat's title is 1–{MAX_TITLE} characters"),
        )
    })
}

pub fn check_description(raw: &str) -> Result<String> {
    let t = raw.trim();
    if t.chars().count() > MAX_DESCRIPTION || t.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Error::invalid(
            "invalid_description",
            format!("a description is at most {MAX_DESCRIPTION} characters"),
        ));
    }
    Ok(t.to_owned())
}

/// Up to five hashtags of letters, digits and `_` (a leading `#` is
/// dropped); duplicates (ignoring case) are dropped.
pub fn check_hashtags(raw: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for tag in raw {
        let t = tag.trim().trim_start_matches('#');
        let ok = (1..=MAX_HASHTAG).contains(&t.chars().count())
            && t.chars().all(|c| c.is_alphanumeric() || c == '_');
        if !ok {
            return Err(Error::invalid(
                "invalid_hashtag",
                format!("a hashtag is 1–{MAX_HASHTAG} letters, digits or _"),
            ));
        }
        if !out.iter().any(|o| o.to_lowercase() == t.to_lowercase()) {
            out.push(t.to_owned());
        }
    }
    if out.len() > MAX_HASHTAGS {
        return Err(Error::invalid(
            "invalid_hashtag",
            format!("at most {MAX_HASHTAGS} hashtags"),
        ));
    }
    Ok(out)
}

pub fn check_category(raw: &str) -> Result<String> {
    one_of(CATEGORIES, raw, "invalid_category")
}

/// `raw` if it is one of `list`, else `code` (categories of open chats
/// and of shops).
pub(crate) fn one_of(list: &[&str], raw: &str, code: &'static str) -> Result<String> {
    list.iter()
        .find(|c| **c == raw)
        .map(|c| (*c).to_owned())
        .ok_or_else(|| Error::invalid(code, format!("{raw:?} is not one of the listed choices")))
}

pub fn check_nickname(raw: &str) -> Result<String> {
    line(raw, MAX_NICKNAME).ok_or_else(|| {
        Error::invalid(
            "invalid_nickname",
            format!("a nickname is 1–{MAX_NICKNAME} characters"),
        )
    })
}

pub fn check_entry_code(raw: &str) -> Result<String> {
    let t = raw.trim();
    if !(4..=20).contains(&t.chars().count()) || t.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::invalid(
            "invalid_entry_code",
            "an entry code is 4–20 characters without spaces",
        ));
    }
    Ok(t.to_owned())
}

/// The stored form of an entry code, bound to its open chat.
pub fn entry_code_hash(link_code: &str, code: &str) -> String {
    let digest = Sha256::digest(format!("{link_code}:{}", code.trim()).as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A persona's room identity: random and negative, so it can never be an
/// account's id, and nothing links two personas of one account. Within
/// JavaScript's safe integers.
pub fn new_persona_id() -> UserId {
    UserId(-rand::rng().random_range(1..(1i64 << 52)))
}

const ANIMALS: &[&str] = &[
    "🦊", "🐻", "🐼", "🐨", "🐯", "🦁", "🐮", "🐷", "🐸", "🐵", "🐧", "🐦", "🦉", "🦄", "🐝", "🐢", "🐙",
    "🦀", "🐳", "🦔", "🦦", "🦥", "🐿️", "🦩",
];
const COLOURS: &[&str] = &[
    "#f4a261", "#e76f51", "#2a9d8f", "#8ab17d", "#e9c46a", "#6d597a", "#b56576", "#4d908e", "#577590",
    "#f28482", "#84a59d", "#9b5de5",
];

/// A generated avatar: an animal and a colour, `"🦊 #f4a261"`.
pub fn new_avatar_seed() -> String {
    let mut rng = rand::rng();
    format!(
        "{} {}",
        ANIMALS[rng.random_range(0..ANIMALS.len())],
        COLOURS[rng.random_range(0..COLOURS.len())]
    )
}

/// The code of an open chat's join link: 10 letters and digits.
pub fn new_link_code() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..10)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Lower-cased, without white space: "Spam  Link" and "spamlink" match.
fn folded(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Banned words, cleaned: 1–30 characters each, at most `max`, no duplicates.
pub fn check_banned_words(words: &[String], max: usize) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for w in words {
        let w = line(w, 30)
            .ok_or_else(|| Error::invalid("invalid_banned_word", "a banned word is 1–30 characters"))?;
        if !out.iter().any(|o| folded(o) == folded(&w)) {
            out.push(w);
        }
    }
    if out.len() > max {
        return Err(Error::invalid(
            "invalid_banned_word",
            format!("at most {max} banned words"),
        ));
    }
    Ok(out)
}

/// The first banned word `text` contains, ignoring case and spacing.
pub fn banned_word_in<'a>(text: &str, words: &'a [String]) -> Option<&'a str> {
    let t = folded(text);
    words
        .iter()
        .find(|w| {
            let w = folded(w);
            !w.is_empty() && t.contains(&w)
        })
        .map(String::as_str)
}

pub(crate) fn has_link(text: &str) -> bool {
    let t = text.to_lowercase();
    t.contains("http://") || t.contains("https://") || t.contains("www.")
}

pub(crate) const FLOOD_WINDOW_MS: i64 = 60_000;

/// Per member of an open chat's room, what they sent in the last minute:
/// refuses the same text more than `same_text` times and more than
/// `links` messages with links. In process memory on a single node; in
/// the database when nodes share it, so sending through several nodes
/// gets no more (two sends in the same instant on two nodes may both pass:
/// the marks are read, then written; one more message, never a lost one).
pub struct FloodGuard {
    recent: Recent,
}

enum Recent {
    Local(Mutex<HashMap<(RoomId, UserId), VecDeque<FloodMark>>>),
    Shared(Arc<dyn LimitRepo>),
}

/// The flood limits in force.
#[derive(Clone, Copy, Debug)]
pub struct FloodLimits {
    pub same_text: usize,
    pub links: usize,
}

/// Whether `new` may follow `recent` (the sender's marks of the last
/// minute, oldest first), or how long to wait.
fn judge(recent: &[FloodMark], new: &FloodMark, empty: bool, limits: FloodLimits) -> Result<()> {
    let wait =
        |first: Option<&FloodMark>| first.map_or(1_000, |s| (s.at.0 + FLOOD_WINDOW_MS - new.at.0).max(1));
    let same: Vec<&FloodMark> = recent.iter().filter(|s| s.text_hash == new.text_hash).collect();
    if !empty && same.len() >= limits.same_text {
        return Err(Error::Flooding {
            reason: "same_text",
            message: "the same message was just sent several times".into(),
            retry_after_ms: wait(same.first().copied()),
        });
    }
    let links: Vec<&FloodMark> = recent.iter().filter(|s| s.link).collect();
    if new.link && links.len() >= limits.links {
        return Err(Error::Flooding {
            reason: "links",
            message: "too many links in a minute".into(),
            retry_after_ms: wait(links.first().copied()),
        });
    }
    Ok(())
}

impl FloodGuard {
    pub fn local() -> Self {
        FloodGuard {
            recent: Recent::Local(Mutex::new(HashMap::new())),
        }
    }

    pub fn shared(repo: Arc<dyn LimitRepo>) -> Self {
        FloodGuard {
            recent: Recent::Shared(repo),
        }
    }

    /// Records the message if it may be sent, or says how long to wait.
    pub async fn check(
        &self,
        room: RoomId,
        who: UserId,
        text: &str,
        now: Millis,
        limits: FloodLimits,
    ) -> Result<()> {
        let digest = Sha256::digest(folded(text).as_bytes());
        let mut text_hash = String::with_capacity(32);
        for b in &digest[..16] {
            let _ = write!(text_hash, "{b:02x}");
        }
        let mark = FloodMark {
            at: now,
            text_hash,
            link: has_link(text),
        };
        let empty = text.trim().is_empty();
        let map = match &self.recent {
            Recent::Shared(repo) => {
                let since = Millis(now.0 - FLOOD_WINDOW_MS);
                judge(&repo.flood_marks(room, who, since).await?, &mark, empty, limits)?;
                return Ok(repo.add_flood_mark(room, who, &mark).await?);
            }
            Recent::Local(map) => map,
        };
        let mut recent = map.lock().unwrap_or_else(|p| p.into_inner());
        if recent.len() > 100_000 {
            recent.retain(|_, q| q.back().is_some_and(|s| now.0 - s.at.0 < FLOOD_WINDOW_MS));
        }
        let q = recent.entry((room, who)).or_default();
        while q.front().is_some_and(|s| now.0 - s.at.0 >= FLOOD_WINDOW_MS) {
            q.pop_front();
        }
        judge(q.make_contiguous(), &mark, empty, limits)?;
        q.push_back(mark);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code<T: std::fmt::Debug>(r: Result<T>) -> &'static str {
        match r {
            Err(Error::Invalid { code, .. }) => code,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn titles_hashtags_categories_and_nicknames() {
        assert_eq!(check_title(" 서울 맛집 탐방 ").unwrap(), "서울 맛집 탐방");
        assert_eq!(code(check_title(&"가".repeat(30))), "invalid_title");
        assert_eq!(code(check_title("")), "invalid_title");
        assert_eq!(
            check_hashtags(&["#등산".into(), "hiking".into(), "Hiking".into()]).unwrap(),
            vec!["등산", "hiking"]
        );
        assert_eq!(code(check_hashtags(&["two words".into()])), "invalid_hashtag");
        let six: Vec<String> = (0..6).map(|i| format!("t{i}")).collect();
        assert_eq!(code(check_hashtags(&six)), "invalid_hashtag");
        assert!(check_category("food").is_ok());
        assert_eq!(code(check_category("nope")), "invalid_category");
        assert_eq!(code(check_nickname(&"n".repeat(21))), "invalid_nickname");
        assert_eq!(code(check_entry_code("12 34")), "invalid_entry_code");
    }

    #[test]
    fn personas_are_negative_safe_integers_and_differ() {
        let a = new_persona_id();
        let b = new_persona_id();
        assert!(a.0 < 0 && a.0 > -(1i64 << 53));
        assert_ne!(a, b);
        assert!(new_avatar_seed().contains(" #"));
        assert_eq!(new_link_code().len(), 10);
    }

    #[test]
    fn banned_words_match_across_case_and_spacing() {
        let words = check_banned_words(&["Free Coin".into(), "freecoin".into(), "욕설".into()], 50).unwrap();
        assert_eq!(words.len(), 2);
        assert_eq!(banned_word_in("get FREECOIN now", &words), Some("Free Coin"));
        assert_eq!(banned_word_in("욕 설은 안돼", &words), Some("욕설"));
        assert_eq!(banned_word_in("hello", &words), None);
    }

    #[tokio::test]
    async fn the_same_text_and_link_bursts_are_throttled_for_a_minute_in_memory() {
        the_same_text_and_link_bursts_are_throttled_for_a_minute(FloodGuard::local()).await;
    }

    #[tokio::test]
    async fn the_same_text_and_link_bursts_are_throttled_for_a_minute_in_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let store = madang_store::SqlStore::connect(&url, 2).await.unwrap();
        the_same_text_and_link_bursts_are_throttled_for_a_minute(FloodGuard::shared(Arc::new(store))).await;
    }

    async fn the_same_text_and_link_bursts_are_throttled_for_a_minute(guard: FloodGuard) {
        let limits = FloodLimits {
            same_text: 2,
            links: 3,
        };
        let (room, who) = (RoomId(1), UserId(-5));
        guard.check(room, who, "hello", Millis(0), limits).await.unwrap();
        guard.check(room, who, "Hello ", Millis(1), limits).await.unwrap();
        let Err(Error::Flooding {
            reason,
            retry_after_ms,
            ..
        }) = guard.check(room, who, "hello", Millis(2), limits).await
        else {
            panic!("a third identical message is refused");
        };
        assert_eq!(reason, "same_text");
        assert_eq!(retry_after_ms, 59_998, "until the first of them is a minute old");
        guard
            .check(room, UserId(-6), "hello", Millis(3), limits)
            .await
            .unwrap();
        guard
            .check(room, who, "hello", Millis(60_001), limits)
            .await
            .unwrap();
        for i in 0..3 {
            guard
                .check(
                    room,
                    who,
                    &format!("see https://x.example/{i}"),
                    Millis(70_000),
                    limits,
                )
                .await
                .unwrap();
        }
        let Err(Error::Flooding {
            reason,
            retry_after_ms,
            ..
        }) = guard
            .check(room, who, "and www.y.example", Millis(70_001), limits)
            .await
        else {
            panic!("a fourth link in a minute is refused");
        };
        assert_eq!(reason, "links");
        assert_eq!(retry_after_ms, 59_999);
    }
}
