//! Where a query matched a message, for showing it: the message cut down
//! to the part around the first match, in pieces marked as matching or
//! not. A Korean query matches across the spaces the index bridges
//! ("등산모임" marks "등산 모임"), and falls back to its syllable pairs where
//! the whole run is not there; a word marks the words it begins.

use crate::tokenize::{Piece, pieces};

/// One piece of a snippet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    pub text: String,
    pub hit: bool,
}

/// Characters kept before the first match.
const BEFORE: usize = 30;
/// Characters kept in all.
const WIDTH: usize = 120;

/// The ranges of `text` (in chars) that `query` matched, merged, in order.
pub fn matches(text: &str, query: &str) -> Vec<(usize, usize)> {
    let chars: Vec<char> = text.chars().collect();
    let lower: Vec<char> = chars
        .iter()
        .map(|c| c.to_lowercase().next().unwrap_or(*c))
        .collect();
    let mut found = Vec::new();
    for piece in pieces(query) {
        match piece {
            Piece::Hangul(run) => {
                let whole = hangul_runs(&chars, &run);
                if whole.is_empty() && run.len() > 2 {
                    for pair in run.windows(2) {
                        found.extend(hangul_runs(&chars, pair));
                    }
                } else {
                    found.extend(whole);
                }
            }
            Piece::Word(word) => {
                let word: Vec<char> = word.chars().collect();
                for i in 0..lower.len() {
                    let starts_word = i == 0 || !lower[i - 1].is_alphanumeric();
                    if starts_word && lower[i..].starts_with(&word) {
                        found.push((i, i + word.len()));
                    }
                }
            }
        }
    }
    found.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(found.len());
    for (s, e) in found {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    merged
}

/// Where `run` occurs in `chars`, spaces between its syllables allowed.
fn hangul_runs(chars: &[char], run: &[char]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    if run.is_empty() {
        return out;
    }
    let mut i = 0;
    while i < chars.len() {
        let (mut j, mut k) = (i, 0);
        while j < chars.len() && k < run.len() {
            if chars[j] == run[k] {
                j += 1;
                k += 1;
            } else if k > 0 && chars[j] == ' ' {
                j += 1;
            } else {
                break;
            }
        }
        if k == run.len() {
            out.push((i, j));
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

/// `text` around its first match, in parts; the whole text unmarked
/// (cut to the width) when nothing matched.
pub fn snippet(text: &str, query: &str) -> Vec<Part> {
    let chars: Vec<char> = text.chars().collect();
    let found = matches(text, query);
    let first = found.first().map_or(0, |m| m.0);
    let mut start = first.saturating_sub(BEFORE);
    // Start at a space where one is near, rather than inside a word.
    if start > 0
        && let Some(space) = chars[start..first].iter().position(|c| c.is_whitespace())
    {
        start += space + 1;
    }
    let end = (start + WIDTH).min(chars.len());
    let mut parts = Vec::new();
    let mut push = |from: usize, to: usize, hit: bool| {
        if from < to {
            parts.push(Part {
                text: chars[from..to].iter().collect(),
                hit,
            });
        }
    };
    let mut at = start;
    for &(s, e) in &found {
        let (s, e) = (s.max(start), e.min(end));
        if s >= e {
            continue;
        }
        push(at, s, false);
        push(s, e, true);
        at = e;
    }
    push(at, end, false);
    let cut = || Part {
        text: "…".into(),
        hit: false,
    };
    if start > 0 {
        match parts.first_mut() {
            Some(p) if !p.hit => p.text.insert(0, '…'),
            _ => parts.insert(0, cut()),
        }
    }
    if end < chars.len() {
        match parts.last_mut() {
            Some(p) if !p.hit => p.text.push('…'),
            _ => parts.push(cut()),
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(text: &str, query: &str) -> String {
        snippet(text, query)
            .into_iter()
            .map(|p| if p.hit { format!("[{}]", p.text) } else { p.text })
            .collect()
    }

    #[test]
    fn korean_matches_across_spaces_and_inside_words() {
        assert_eq!(
            marked("이번 주 등산 모임 어때요", "등산모임"),
            "이번 주 [등산 모임] 어때요"
        );
        assert_eq!(marked("서울맛집탐방 가요", "맛집"), "서울[맛집]탐방 가요");
        // Not found whole: its pairs are marked where they are.
        assert_eq!(
            marked("서울 가서 맛집 가요", "서울맛집"),
            "[서울] 가서 [맛집] 가요"
        );
        assert_eq!(marked("책 읽기", "책"), "[책] 읽기");
    }

    #[test]
    fn words_match_where_they_begin_in_any_case() {
        assert_eq!(
            marked("Seoul hiking, seoulite", "seo"),
            "[Seo]ul hiking, [seo]ulite"
        );
        assert_eq!(marked("unseen", "seen"), "unseen");
        assert_eq!(marked("K-pop 콘서트", "pop 콘서트"), "K-[pop] [콘서트]");
    }

    #[test]
    fn a_long_message_is_cut_around_the_first_match() {
        let text = format!("{} 등산 {}", "가".repeat(200), "나".repeat(200));
        let parts = snippet(&text, "등산");
        let shown: String = parts.iter().map(|p| p.text.as_str()).collect();
        assert!(shown.starts_with('…') && shown.ends_with('…'), "{shown}");
        assert!(shown.chars().count() <= WIDTH + 2);
        assert_eq!(parts.iter().filter(|p| p.hit).count(), 1);
        assert_eq!(parts[1].text, "등산");
        // Nothing matched: the start of the text, unmarked.
        let none = snippet(&"다".repeat(300), "등산");
        assert_eq!(none.len(), 1);
        assert!(!none[0].hit);
    }
}
