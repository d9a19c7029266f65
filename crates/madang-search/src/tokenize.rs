//! Tokens for Korean and English text, for indexing and for queries.
//!
//! Korean is written without spaces between many words ("서울맛집탐방") and
//! with particles glued on, so words are not reliable units: a run of
//! Hangul is indexed as overlapping character pairs (bigrams), with the
//! spaces inside the run removed first, so "맛집" finds "서울맛집탐방" and
//! "서울 맛집". A single Hangul syllable is its own token. Latin letters and
//! digits form lower-cased words; a query's words also match longer words
//! that start with them ("seo" finds "Seoul").

/// What a token is, which decides how a query term matches.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Token {
    /// Two Hangul syllables in a row.
    Pair(String),
    /// A Hangul text of one syllable.
    Single(char),
    /// A lower-cased word of letters and digits.
    Word(String),
}

fn is_hangul(c: char) -> bool {
    matches!(c, '\u{AC00}'..='\u{D7A3}' | '\u{1100}'..='\u{11FF}' | '\u{3130}'..='\u{318F}')
}

/// A piece of text: a run of Hangul (spaces inside it dropped) or a word.
pub(crate) enum Piece {
    Hangul(Vec<char>),
    Word(String),
}

/// Splits text into Hangul runs and words, in order.
pub(crate) fn pieces(text: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut hangul: Vec<char> = Vec::new();
    let mut word = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if is_hangul(c) {
            if !word.is_empty() {
                out.push(Piece::Word(std::mem::take(&mut word)));
            }
            hangul.push(c);
        } else if c.is_alphanumeric() {
            if !hangul.is_empty() {
                out.push(Piece::Hangul(std::mem::take(&mut hangul)));
            }
            word.extend(c.to_lowercase());
        } else {
            if !word.is_empty() {
                out.push(Piece::Word(std::mem::take(&mut word)));
            }
            // A space between Hangul keeps the run going: "서울 맛집" is
            // one run, so its pairs bridge the space.
            let bridges = c == ' ' && !hangul.is_empty() && chars.peek().is_some_and(|n| is_hangul(*n));
            if !bridges && !hangul.is_empty() {
                out.push(Piece::Hangul(std::mem::take(&mut hangul)));
            }
        }
    }
    if !word.is_empty() {
        out.push(Piece::Word(word));
    }
    if !hangul.is_empty() {
        out.push(Piece::Hangul(hangul));
    }
    out
}

fn hangul_tokens(run: &[char], out: &mut Vec<Token>) {
    match run {
        [] => {}
        [one] => out.push(Token::Single(*one)),
        _ => {
            for pair in run.windows(2) {
                out.push(Token::Pair(pair.iter().collect()));
            }
        }
    }
}

/// The tokens of a text to index, with repeats (term frequency counts).
/// Every syllable is also indexed alone, so a one-syllable query matches.
pub fn index_tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    for piece in pieces(text) {
        match piece {
            Piece::Hangul(run) => {
                hangul_tokens(&run, &mut out);
                if run.len() > 1 {
                    out.extend(run.iter().map(|c| Token::Single(*c)));
                }
            }
            Piece::Word(w) => out.push(Token::Word(w)),
        }
    }
    out
}

/// The tokens a query asks for, without repeats.
pub fn query_tokens(query: &str) -> Vec<Token> {
    let mut out = Vec::new();
    for piece in pieces(query) {
        match piece {
            Piece::Hangul(run) => hangul_tokens(&run, &mut out),
            Piece::Word(w) => out.push(Token::Word(w)),
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|t| seen.insert(t.clone()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(tokens: &[Token]) -> Vec<String> {
        tokens
            .iter()
            .filter_map(|t| match t {
                Token::Pair(p) => Some(p.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn hangul_becomes_pairs_that_bridge_spaces() {
        assert_eq!(
            pairs(&index_tokens("서울맛집탐방")),
            ["서울", "울맛", "맛집", "집탐", "탐방"]
        );
        assert_eq!(pairs(&index_tokens("서울 맛집")), ["서울", "울맛", "맛집"]);
        assert_eq!(query_tokens("맛집"), [Token::Pair("맛집".into())]);
        assert_eq!(query_tokens("책"), [Token::Single('책')]);
        assert!(!index_tokens("독서 모임").contains(&Token::Single('책')));
        assert!(index_tokens("책 읽기").contains(&Token::Single('책')));
    }

    #[test]
    fn latin_words_are_lower_cased_and_mixed_text_splits_by_script() {
        assert_eq!(
            query_tokens("Seoul맛집 K-POP 2026!"),
            [
                Token::Word("seoul".into()),
                Token::Pair("맛집".into()),
                Token::Word("k".into()),
                Token::Word("pop".into()),
                Token::Word("2026".into()),
            ]
        );
        assert_eq!(query_tokens("hiking hiking"), [Token::Word("hiking".into())]);
        assert!(query_tokens("  ¿?  ").is_empty());
    }
}
