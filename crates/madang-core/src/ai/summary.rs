//! "Summarise what I have not read": the caller's unread messages of a
//! room (or its last N) as a transcript, cut into chunks that fit the
//! model, each chunk summarised and the summaries merged (map-reduce), so
//! a backlog of any length works; the last step streams to the caller. The
//! answer follows the conversation's language. Nothing is stored.
//!
//! The caller never sees our instructions or a copy of the transcript: a
//! generator too small to write for people (`Generator::small`) is not
//! asked at all, and a written answer is watched line by line
//! (`extract::EchoGuard`, each line held until it is checked). Either
//! way, what the caller gets instead is an extractive summary: the few
//! most central messages (TextRank over their embeddings, or over their
//! words without an embedder), quoted with who said them. The last event
//! says which kind it was.

use super::extract::{self, EchoGuard};
use crate::ratelimit::Rate;
use crate::{Core, Error, Result, Session};
use futures::StreamExt;
use futures::stream::BoxStream;
use madang_ai::{ChatMessage, Embedder, Generator, Prompt};
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
    /// The extractive summary: it replaces any text sent before.
    Quotes(Vec<Quote>),
    Done(SummaryKind),
}

/// Which summary the caller got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SummaryKind {
    /// Written by the generator (checked: no instructions, no copying).
    Abstractive,
    /// The most central messages, quoted.
    Extractive,
}

/// A message an extractive summary quotes.
#[derive(Clone, Debug, PartialEq)]
pub struct Quote {
    pub seq: Seq,
    /// Who said it, as the room shows them.
    pub sender_id: UserId,
    pub text: String,
}

/// Characters of a message a quote keeps.
const QUOTE_CHARS: usize = 200;

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
    // An imported message of someone kept as a name only shows that name.
    let name = match &m.imported_name {
        Some(n) => n.as_str(),
        None => names.get(&m.sender_id).map_or("?", String::as_str),
    };
    let body = match m.kind {
        MessageKind::Notice => return (!m.text.trim().is_empty()).then(|| format!("({})", m.text.trim())),
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
        let line = fit(line, budget, count);
        let tokens = count(&line) + 1;
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

/// `line` cut (halved until it fits) to at most `budget` tokens with its
/// line break: a line of a whole chunk's size is rare.
fn fit(mut line: String, budget: usize, count: &dyn Fn(&str) -> usize) -> String {
    while count(&line) + 1 > budget && line.chars().count() > 1 {
        let keep = line.chars().count() / 2;
        line = line.chars().take(keep).collect();
    }
    line
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
        // The transcript, and what a quote may show: messages with words,
        // as they were written.
        let (mut lines, mut quotable) = (Vec::with_capacity(rows.len()), Vec::new());
        for m in &rows {
            let Some(line) = transcript_line(m, &names) else {
                continue;
            };
            lines.push(line);
            if !m.text.trim().is_empty() {
                quotable.push(Quote {
                    seq: m.seq,
                    sender_id: m.sender_id,
                    text: m.text.trim().chars().take(QUOTE_CHARS).collect(),
                });
            }
        }
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
        let (system, part, merge) = instructions(language);
        let guard = EchoGuard::new(&[system, part, merge], &lines.join("\n"));
        // A model too small to write is not asked (nor read into memory):
        // it is quoted instead.
        let (budget, chunks) = if generator.small() {
            (0, Vec::new())
        } else {
            let budget = generator
                .context_tokens()
                .saturating_sub(answer as usize + PROMPT_OVERHEAD)
                .min(self.limits.summary_chunk_tokens)
                .max(32);
            let count = |s: &str| generator.count_tokens(s);
            (budget, chunk_lines(lines, budget, &count))
        };
        metrics::counter!("madang_ai_summaries_total").increment(1);
        let started = SummaryEvent::Started {
            messages: rows.len(),
            chunks: chunks.len(),
            from_seq,
            to_seq,
        };
        let embedder = self.models.embedder.clone();
        let (tx, mut rx) = mpsc::channel(32);
        tokio::spawn(async move {
            let _ = tx.send(Ok(started)).await;
            let job = Summariser {
                generator,
                embedder,
                language,
                answer,
                budget,
                guard,
                quotable,
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
    embedder: Option<Arc<dyn Embedder>>,
    language: Language,
    answer: u32,
    budget: usize,
    guard: EchoGuard,
    quotable: Vec<Quote>,
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
        if chunks.is_empty() {
            return self.quote().await;
        }
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
            let before = parts.len();
            parts = chunk_lines(summaries.clone(), self.budget, &count);
            if parts.len() >= before {
                // Answers as long as their parts (a model that ignores the
                // length asked for) would merge forever: each gets its
                // share of one prompt.
                let share = (self.budget / summaries.len()).max(2);
                let cut = summaries.into_iter().map(|s| fit(s, share, &count)).collect();
                parts = chunk_lines(cut, self.budget, &count);
            }
            ask = merge;
        }
        let body = parts.pop().unwrap_or_default();
        let mut stream = self.generator.stream(self.prompt(ask, &body)).await?;
        // Each line is held until it is whole and checked.
        let (mut held, mut answer) = (String::new(), String::new());
        while let Some(piece) = stream.next().await {
            held.push_str(&piece?);
            while let Some(end) = held.find('\n') {
                let line: String = held.drain(..=end).collect();
                if self.guard.echoes_line(&line) {
                    return self.quote().await;
                }
                answer.push_str(&line);
                if self.tx.send(Ok(SummaryEvent::Text(line))).await.is_err() {
                    return Ok(()); // the caller went away
                }
            }
        }
        answer.push_str(&held);
        if self.guard.echoes(&answer) {
            return self.quote().await;
        }
        if !held.is_empty() && self.tx.send(Ok(SummaryEvent::Text(held))).await.is_err() {
            return Ok(());
        }
        let _ = self
            .tx
            .send(Ok(SummaryEvent::Done(SummaryKind::Abstractive)))
            .await;
        Ok(())
    }

    /// Sends the extractive summary: the most central messages, in order.
    async fn quote(&self) -> Result<()> {
        metrics::counter!("madang_ai_summaries_extractive_total").increment(1);
        let n = self.quotable.len();
        let texts: Vec<String> = self.quotable.iter().map(|q| q.text.clone()).collect();
        let vectors = match &self.embedder {
            Some(e) => match e.embed(&texts).await {
                Ok(v) => Some((v, e.scale())),
                Err(err) => {
                    tracing::warn!(error = %err, "summary: embedding failed; choosing by words");
                    None
                }
            },
            None => None,
        };
        let picked = match &vectors {
            Some((v, scale)) => extract::central(n, extract::quotes_for(n), |i, j| {
                madang_ai::cosine(&v[i], &v[j]) - scale.unrelated
            }),
            None => extract::central(n, extract::quotes_for(n), |i, j| {
                extract::lexical_alike(&texts[i], &texts[j])
            }),
        };
        let quotes = picked.into_iter().map(|i| self.quotable[i].clone()).collect();
        if self.tx.send(Ok(SummaryEvent::Quotes(quotes))).await.is_err() {
            return Ok(());
        }
        let _ = self
            .tx
            .send(Ok(SummaryEvent::Done(SummaryKind::Extractive)))
            .await;
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
