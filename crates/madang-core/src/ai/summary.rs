//! "Summarise what I have not read": the caller's unread messages of a
//! room (or its last N) as a transcript, cut into chunks that fit the
//! model, each chunk summarised and the summaries merged (map-reduce), so
//! a backlog of any length works; the last step streams to the caller. The
//! answer follows the conversation's language. Nothing is stored.

use crate::ratelimit::Rate;
use crate::{Core, Error, Result, Session};
use futures::StreamExt;
use futures::stream::BoxStream;
use madang_ai::{ChatMessage, Generator, Prompt};
use madang_store::StoredMessage;
use madang_types::api::MessageKind;
use madang_types::{RoomId, Seq, UserId};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::mpsc;

/// Which messages to summarise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SummaryScope {
    /// Those after the caller's read cursor.
    Unread,
    /// Those after this seq (a read cursor the client saw earlier).
    After(Seq),
    /// The room's last `n` (that the caller can see).
    Last(usize),
}

/// What a summary stream says, in order: `Started`, a `Progress` per
/// chunk read (when there is more than one), `Text` pieces, `Done`.
#[derive(Clone, Debug, PartialEq)]
pub enum SummaryEvent {
    Started {
        messages: usize,
        chunks: usize,
        /// The first message summarised.
        from_seq: Seq,
        /// The last message summarised.
        to_seq: Seq,
    },
    Progress {
        done: usize,
        of: usize,
    },
    Text(String),
    Done,
}

/// The language a conversation is written in, as far as prompts care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    Korean,
    Japanese,
    Chinese,
    /// English or another language written in Latin, Cyrillic… script.
    Other,
}

/// The script most letters of `text` are in.
pub fn language_of(text: &str) -> Language {
    let (mut hangul, mut kana, mut han, mut other) = (0usize, 0usize, 0usize, 0usize);
    for c in text.chars().filter(|c| c.is_alphabetic()) {
        match c as u32 {
            0xAC00..=0xD7A3 | 0x1100..=0x11FF | 0x3130..=0x318F => hangul += 1,
            0x3040..=0x30FF => kana += 1,
            0x4E00..=0x9FFF => han += 1,
            _ => other += 1,
        }
    }
    // A Latin-letter word costs several letters, a Hangul syllable one:
    // weigh letters so a Korean chat with some English words stays Korean.
    let latin_words = other / 4;
    if hangul > 0 && hangul >= latin_words && hangul >= kana {
        Language::Korean
    } else if kana > 0 && kana >= latin_words {
        Language::Japanese
    } else if han > 0 && han >= latin_words {
        Language::Chinese
    } else {
        Language::Other
    }
}

/// The instructions for one language: (system prompt, ask for one part,
/// ask to merge parts).
fn instructions(language: Language) -> (&'static str, &'static str, &'static str) {
    match language {
        Language::Korean => (
            "당신은 단체 채팅을 요약하는 도우미입니다. 반드시 한국어로 답하세요.",
            "다음 대화의 주요 내용을 짧은 항목 3~5개로 요약하세요. 누가 무엇을 정했는지 적으세요.",
            "다음은 한 대화를 차례로 나눈 부분들의 요약입니다. 하나의 요약(짧은 항목 3~5개)으로 합치세요.",
        ),
        Language::Japanese => (
            "あなたはグループチャットを要約するアシスタントです。必ず日本語で答えてください。",
            "次の会話の要点を短い箇条書き3〜5個で要約してください。",
            "次は一つの会話を順に分けた部分の要約です。一つの要約（短い箇条書き3〜5個）にまとめてください。",
        ),
        Language::Chinese => (
            "你是总结群聊的助手。请用中文回答。",
            "请用3到5个简短要点总结以下对话的主要内容。",
            "以下是同一段对话依次分成的几部分的摘要。请合并成一个摘要（3到5个简短要点）。",
        ),
        Language::Other => (
            "You summarise group chats. Answer in the language the conversation is written in.",
            "Summarise the main points of this conversation in 3 to 5 short bullet points. Say who decided what.",
            "These are summaries of consecutive parts of one conversation. Merge them into one summary of 3 to 5 short bullet points.",
        ),
    }
}

/// One line of transcript per message the caller can see; `None` for
/// what says nothing (deleted, hidden).
pub(crate) fn transcript_line(m: &StoredMessage, names: &HashMap<UserId, String>) -> Option<String> {
    if m.deleted_at.is_some() || m.hidden_at.is_some() {
        return None;
    }
    let name = names.get(&m.sender_id).map_or("?", String::as_str);
    let body = match m.kind {
        MessageKind::Text | MessageKind::PungReply | MessageKind::PungTag => m.text.trim().to_string(),
        MessageKind::Image => format!("[photo] {}", m.text.trim()),
        MessageKind::File => format!("[file {}]", m.attachment.as_ref().map_or("", |a| a.name.as_str())),
        MessageKind::Poll => format!("[poll] {}", m.text.trim()),
        MessageKind::Voice => "[voice message]".to_owned(),
    };
    (!body.trim().is_empty()).then(|| format!("{name}: {}", body.trim()))
}

/// Cuts lines into chunks of at most `budget` tokens (a line longer than
/// the budget is cut to it), keeping their order.
pub fn chunk_lines(lines: Vec<String>, budget: usize, count: &dyn Fn(&str) -> usize) -> Vec<String> {
    let mut chunks = Vec::new();
    let mut current = String::new();
    let mut used = 0;
    for line in lines {
        let mut line = line;
        let mut tokens = count(&line) + 1;
        while tokens > budget && line.chars().count() > 1 {
            // Halve until it fits: a line of a whole chunk's size is rare.
            let keep = line.chars().count() / 2;
            line = line.chars().take(keep).collect();
            tokens = count(&line) + 1;
        }
        if used + tokens > budget && !current.is_empty() {
            chunks.push(std::mem::take(&mut current));
            used = 0;
        }
        current.push_str(&line);
        current.push('\n');
        used += tokens;
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    chunks
}

/// Tokens reserved beside a chunk for the instructions and template.
const PROMPT_OVERHEAD: usize = 160;

impl Core {
    /// Starts summarising `room` for the caller. Errors before any model
    /// work (not a member, nothing to summarise, off, over the limit) come
    /// back here; later ones arrive in the stream.
    pub async fn summarise(
        &self,
        me: &Session,
        room: RoomId,
        scope: SummaryScope,
    ) -> Result<BoxStream<'static, Result<SummaryEvent>>> {
        let generator = self
            .models
            .generator_for("summaries", self.models.features.summary)?
            .clone();
        let member = self.membership(me, room).await?;
        let cap = self.limits.max_summary_messages;
        let (min_seq, limit) = match scope {
            SummaryScope::Unread => (member.joined_seq.max(Seq(member.read_seq.0 + 1)), cap),
            SummaryScope::After(seq) => (member.joined_seq.max(Seq(seq.0.saturating_add(1))), cap),
            SummaryScope::Last(0) => {
                return Err(Error::invalid("invalid_count", "ask for at least one message"));
            }
            SummaryScope::Last(n) if n > cap => {
                return Err(Error::invalid(
                    "invalid_count",
                    format!("at most {cap} messages can be summarised at once"),
                ));
            }
            SummaryScope::Last(n) => (member.joined_seq, n),
        };
        let mut rows = self
            .repos
            .history(room, Seq(i64::MAX), min_seq, limit as i64)
            .await?;
        rows.reverse();
        let names: HashMap<UserId, String> = self
            .members(me, room)
            .await?
            .into_iter()
            .map(|m| (m.profile.id, m.profile.display_name))
            .collect();
        let lines: Vec<String> = rows.iter().filter_map(|m| transcript_line(m, &names)).collect();
        let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
            return Err(Error::invalid(
                "nothing_to_summarise",
                "there is nothing to summarise here",
            ));
        };
        if lines.is_empty() {
            return Err(Error::invalid(
                "nothing_to_summarise",
                "there is nothing to summarise here",
            ));
        }
        // Only work for the model counts against the caller's allowance.
        self.rate
            .check(
                &format!("summary:{}", me.user.0),
                Rate {
                    capacity: self.limits.summaries_per_hour,
                    per_ms: 3_600_000,
                },
            )
            .await?;
        let (from_seq, to_seq) = (first.seq, last.seq);
        let language = language_of(&lines.concat());
        let answer = self.limits.summary_max_tokens;
        let budget = generator
            .context_tokens()
            .saturating_sub(answer as usize + PROMPT_OVERHEAD)
            .min(self.limits.summary_chunk_tokens)
            .max(32);
        let count = |s: &str| generator.count_tokens(s);
        let chunks = chunk_lines(lines, budget, &count);
        metrics::counter!("madang_ai_summaries_total").increment(1);
        let started = SummaryEvent::Started {
            messages: rows.len(),
            chunks: chunks.len(),
            from_seq,
            to_seq,
        };
        let (tx, mut rx) = mpsc::channel(32);
        tokio::spawn(async move {
            let _ = tx.send(Ok(started)).await;
            let job = Summariser {
                generator,
                language,
                answer,
                budget,
                tx: tx.clone(),
            };
            if let Err(e) = job.run(chunks).await {
                let _ = tx.send(Err(e)).await;
            }
        });
        Ok(futures::stream::poll_fn(move |cx| rx.poll_recv(cx)).boxed())
    }
}

/// One summary in progress.
struct Summariser {
    generator: Arc<dyn Generator>,
    language: Language,
    answer: u32,
    budget: usize,
    tx: mpsc::Sender<Result<SummaryEvent>>,
}

impl Summariser {
    fn prompt(&self, ask: &str, body: &str) -> Prompt {
        let (system, _, _) = instructions(self.language);
        Prompt::new(
            vec![
                ChatMessage::system(system),
                ChatMessage::user(format!("{ask}\n\n{body}")),
            ],
            self.answer,
        )
    }

    async fn run(&self, chunks: Vec<String>) -> Result<()> {
        let (_, part, merge) = instructions(self.language);
        let of = chunks.len();
        let mut parts = chunks;
        let mut ask = part;
        let mut done = 0;
        // Map, then reduce the summaries until one prompt holds them all.
        while parts.len() > 1 {
            let mut summaries = Vec::with_capacity(parts.len());
            for body in &parts {
                let text = self.generator.complete(self.prompt(ask, body)).await?;
                summaries.push(text.trim().to_string());
                if ask == part {
                    done += 1;
                    let progress = SummaryEvent::Progress { done, of };
                    if self.tx.send(Ok(progress)).await.is_err() {
                        return Ok(()); // the caller went away
                    }
                }
            }
            let count = |s: &str| self.generator.count_tokens(s);
            parts = chunk_lines(summaries, self.budget, &count);
            ask = merge;
        }
        let body = parts.pop().unwrap_or_default();
        let mut stream = self.generator.stream(self.prompt(ask, &body)).await?;
        while let Some(piece) = stream.next().await {
            if self.tx.send(Ok(SummaryEvent::Text(piece?))).await.is_err() {
                return Ok(());
            }
        }
        let _ = self.tx.send(Ok(SummaryEvent::Done)).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_is_the_script_of_most_words() {
        assert_eq!(language_of("내일 등산 갈까요? 7시에 강남역"), Language::Korean);
        assert_eq!(
            language_of("내일 hiking 어때? Gangnam station 7시"),
            Language::Korean
        );
        assert_eq!(language_of("shall we hike tomorrow at seven"), Language::Other);
        assert_eq!(language_of("明日ハイキングに行きましょう"), Language::Japanese);
        assert_eq!(language_of("明天去爬山吧"), Language::Chinese);
        assert_eq!(language_of("ok 👍 ㅋ"), Language::Korean);
    }

    #[test]
    fn chunks_keep_order_and_fit_the_budget() {
        let count = |s: &str| s.split_whitespace().count();
        let lines: Vec<String> = (0..10).map(|i| format!("a: word{i} two three")).collect();
        let chunks = chunk_lines(lines.clone(), 10, &count);
        assert!(chunks.len() > 1);
        for c in &chunks {
            let tokens: usize = c.lines().map(|l| count(l) + 1).sum();
            assert!(tokens <= 10, "{c:?}");
        }
        assert_eq!(
            chunks.concat(),
            lines.iter().map(|l| format!("{l}\n")).collect::<String>()
        );
    }

    #[test]
    fn a_line_longer_than_a_chunk_is_cut_to_fit() {
        let count = |s: &str| s.chars().count();
        let chunks = chunk_lines(vec!["x".repeat(100)], 20, &count);
        assert_eq!(chunks.len(), 1);
        assert!(chunks[0].trim_end().chars().count() < 20);
    }
}
