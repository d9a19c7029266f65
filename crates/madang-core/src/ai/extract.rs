//! What keeps a summary honest: a guard that sees a generator repeat its
//! instructions or copy the transcript, and the extractive summary given
//! instead (the few most central messages, quoted as they were written).

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};

/// Characters per shingle: two or three words of English, a word and a
/// half of Korean.
const SHINGLE: usize = 4;

/// The shingles of `text`: lowercased, spaces collapsed, bullets and
/// numbering at line starts dropped.
fn shingles(text: &str) -> HashSet<u64> {
    let mut out = HashSet::new();
    for line in text.lines() {
        let line = line
            .trim()
            .trim_start_matches(|c: char| {
                matches!(c, '-' | '*' | '•' | '·') || c.is_ascii_digit() || c == '.' || c == ')'
            })
            .trim();
        let chars: Vec<char> = line
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
            .chars()
            .collect();
        for w in chars.windows(SHINGLE) {
            let mut h = DefaultHasher::new();
            w.hash(&mut h);
            out.insert(h.finish());
        }
    }
    out
}

/// Share of `text`'s shingles that are in `source` (0 for a text too short
/// to have any).
fn contained(text: &str, source: &HashSet<u64>) -> f32 {
    let own = shingles(text);
    if own.is_empty() {
        return 0.0;
    }
    own.iter().filter(|s| source.contains(s)).count() as f32 / own.len() as f32
}

/// Watches a generator's answer against what it was given.
pub struct EchoGuard {
    instructions: HashSet<u64>,
    transcript: HashSet<u64>,
}

/// A line at least this much made of the instructions repeats them.
const FROM_INSTRUCTIONS: f32 = 0.5;
/// A line at least this much made of the transcript copies it.
const FROM_TRANSCRIPT: f32 = 0.8;
/// A whole answer at least this much made of what it was given echoes.
const WHOLE: f32 = 0.6;
/// Lines shorter than this (in characters) are not judged alone ("요약:").
const SHORT_LINE: usize = 12;

impl EchoGuard {
    pub fn new(instructions: &[&str], transcript: &str) -> EchoGuard {
        EchoGuard {
            instructions: instructions.iter().flat_map(|i| shingles(i)).collect(),
            transcript: shingles(transcript),
        }
    }

    /// Whether one line of an answer repeats the instructions or copies a
    /// message of the transcript.
    pub fn echoes_line(&self, line: &str) -> bool {
        if line.trim().chars().count() < SHORT_LINE {
            return false;
        }
        contained(line, &self.instructions) >= FROM_INSTRUCTIONS
            || contained(line, &self.transcript) >= FROM_TRANSCRIPT
    }

    /// Whether a whole answer is no summary: empty, or mostly what the
    /// generator was given.
    pub fn echoes(&self, answer: &str) -> bool {
        if answer.trim().is_empty() {
            return true;
        }
        let own = shingles(answer);
        if own.is_empty() {
            return false;
        }
        let given = own
            .iter()
            .filter(|s| self.transcript.contains(s) || self.instructions.contains(s))
            .count();
        given as f32 / own.len() as f32 >= WHOLE || answer.lines().any(|l| self.echoes_line(l))
    }
}

/// How many messages an extractive summary of `n` quotes: about the
/// square root, from one to five.
pub fn quotes_for(n: usize) -> usize {
    ((n as f64).sqrt().ceil() as usize).clamp(1, 5).min(n)
}

/// The `k` most central of `n` messages (TextRank: PageRank over how
/// alike they are, `alike(i, j)` ≥ 0), in their original order. Ties go to
/// the later message (what the room ended on).
pub fn central(n: usize, k: usize, alike: impl Fn(usize, usize) -> f32) -> Vec<usize> {
    if n == 0 || k == 0 {
        return Vec::new();
    }
    let mut w = vec![0f32; n * n];
    for i in 0..n {
        for j in 0..n {
            if i != j {
                w[i * n + j] = alike(i, j).max(0.0);
            }
        }
    }
    let out_sum: Vec<f32> = (0..n).map(|i| w[i * n..(i + 1) * n].iter().sum()).collect();
    let damping = 0.85f32;
    let mut rank = vec![1.0 / n as f32; n];
    for _ in 0..40 {
        let mut next = vec![(1.0 - damping) / n as f32; n];
        for i in 0..n {
            if out_sum[i] > 0.0 {
                for j in 0..n {
                    next[j] += damping * rank[i] * w[i * n + j] / out_sum[i];
                }
            } else {
                // A message like no other passes its weight to all.
                for x in next.iter_mut() {
                    *x += damping * rank[i] / n as f32;
                }
            }
        }
        rank = next;
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| rank[b].total_cmp(&rank[a]).then(b.cmp(&a)));
    let mut picked: Vec<usize> = order.into_iter().take(k).collect();
    picked.sort_unstable();
    picked
}

/// How alike two texts are without an embedder: the overlap of their
/// shingles (Jaccard).
pub fn lexical_alike(a: &str, b: &str) -> f32 {
    let (a, b) = (shingles(a), shingles(b));
    let union = a.union(&b).count();
    if union == 0 {
        return 0.0;
    }
    a.intersection(&b).count() as f32 / union as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    const ASK: &str = "다음 대화의 주요 내용을 짧은 항목 3~5개로 요약하세요. 누가 무엇을 정했는지 적으세요.";
    const TRANSCRIPT: &str = "민지: 이번 주말 등산 어디로 갈까요?\n준호: 북한산 어때요? 백운대까지 가요\n민지: 좋아요 토요일 8시에 입구에서 만나요\n";

    #[test]
    fn a_repeated_instruction_or_a_copied_message_is_an_echo() {
        let guard = EchoGuard::new(&[ASK], TRANSCRIPT);
        assert!(guard.echoes_line("다음 대화의 주요 내용을 짧은 항목 3~5개로 요약하세요."));
        assert!(guard.echoes_line("- 민지: 이번 주말 등산 어디로 갈까요?"));
        assert!(guard.echoes("1. 민지: 좋아요 토요일 8시에 입구에서 만나요"));
        assert!(guard.echoes("   "));
    }

    #[test]
    fn a_summary_in_its_own_words_is_not() {
        let guard = EchoGuard::new(&[ASK], TRANSCRIPT);
        let summary =
            "- 주말 산행지는 북한산으로 정함\n- 토요일 아침 8시, 입구 집합 (민지 제안)\n- 목적지는 백운대";
        assert!(!guard.echoes(summary), "{summary}");
        assert!(!guard.echoes_line("요약:"));
        let english = EchoGuard::new(
            &["Summarise the main points of this conversation."],
            "a: shall we hike on Saturday at 8?\n",
        );
        assert!(!english.echoes("- They agreed to go hiking at Bukhansan on Saturday morning."));
        assert!(english.echoes("Summarise the main points of this conversation in short bullets."));
    }

    #[test]
    fn the_central_messages_are_those_most_like_the_rest() {
        let texts = [
            "토요일 북한산 등산 가요",
            "ㅋㅋㅋ",
            "북한산 등산 토요일 8시",
            "점심 뭐 먹지",
            "등산 토요일 북한산 입구",
        ];
        let picked = central(texts.len(), 2, |i, j| lexical_alike(texts[i], texts[j]));
        assert_eq!(picked.len(), 2);
        assert!(picked.iter().all(|&i| [0, 2, 4].contains(&i)), "{picked:?}");
        assert!(picked.windows(2).all(|w| w[0] < w[1]), "in their order");
        assert_eq!(central(0, 3, |_, _| 1.0), Vec::<usize>::new());
        assert_eq!(central(2, 5, |_, _| 0.0).len(), 2);
    }

    #[test]
    fn a_summary_quotes_about_the_square_root_of_the_messages() {
        assert_eq!(quotes_for(1), 1);
        assert_eq!(quotes_for(3), 2);
        assert_eq!(quotes_for(10), 4);
        assert_eq!(quotes_for(500), 5);
    }
}
