//! The channel's assistant: a business writes its facts (questions and
//! answers; its shops' hours, address and phone, current coupons and posts
//! are read as they are) and switches it on per channel. A customer's
//! message in their room with the channel is then answered from those
//! facts, shown as the channel and marked as the assistant's:
//! - the facts most like the question are found (the embedder's cosine,
//!   or the words they share when the server has none);
//! - with the small default generator, or none, the best match's answer
//!   is quoted as the business wrote it;
//! - with a real model, it writes the answer from the best few, and every
//!   number, price, date, time, phone and code in it must be in those
//!   facts as written, or the answer is withheld.
//!
//! A request for a person, a question no fact matches well enough, or a
//! withheld answer hands the room to the agents, with what the assistant
//! had; outside the shop's hours it says when they are back. Once the
//! people have the room (a handover, an agent's answer or assignment) the
//! assistant is quiet until an agent closes it.

use super::hours;
use super::inbox::channel_shown_id;
use crate::ai::complete_patiently;
use crate::ai::summary::{Language, language_of};
use crate::jobs::WorkQueue;
use crate::{Core, Error, Result, Session};
use madang_ai::{ChatMessage, Embedder, Prompt, cosine};
use madang_store::{AssistantOutcome, ChannelRow, FactRow, NewMessage, ShopRow, StoreError};
use madang_types::channel::{
    AssistantStats, ChannelAssistant, Fact, FactRequest, Handover, HandoverReason, KnownFact,
};
use madang_types::local::AgentRole;
use madang_types::{ChannelId, ClientMsgId, FactId, RoomId, Seq};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

const MAX_FACTS: i64 = 200;
const MAX_QUESTION: usize = 300;
const MAX_ANSWER: usize = 1_000;
/// Messages waiting on this node; beyond this, new ones go to the agents
/// unanswered (and are counted).
const QUEUE: usize = 64;
/// Facts a model is given to answer from.
const TOP: usize = 3;
/// Posts the assistant reads, newest first.
const POSTS: i64 = 5;
/// Fact vectors kept between questions (a model change is a restart,
/// which empties it).
const CACHED_VECTORS: usize = 4_096;

/// How well a fact must match, on the retrieval's own 0–1 scale, to be
/// answered from: with an embedder, [`madang_ai::Scale::topic`] of the
/// cosine; without, the weighed share of the question's words in the fact
/// ([`lexical_scores`]).
const EMBEDDED_FLOOR: f32 = 0.18;
const LEXICAL_FLOOR: f32 = 0.2;

/// A message the assistant is to answer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CustomerMessage {
    room: RoomId,
    seq: Seq,
}

/// The node's queue of customers' messages and the fact vectors it keeps.
pub(crate) struct ChannelAssistants {
    messages: WorkQueue<CustomerMessage>,
    vectors: Vectors,
}

impl Default for ChannelAssistants {
    fn default() -> Self {
        ChannelAssistants {
            messages: WorkQueue::new(QUEUE),
            vectors: Vectors::default(),
        }
    }
}

/// One thing the assistant knows: what it is searched by, and what is
/// said (quoted, or given to the model) when it matches.
#[derive(Clone, Debug, PartialEq)]
pub struct Known {
    pub kind: &'static str,
    pub topic: String,
    /// Questions it answers, as a customer would ask them.
    pub asked: Vec<String>,
    pub answer: String,
}

/// What Madang knows of a shop and its channel, by kind: the words a
/// question about it tends to use (searched with the fact's text), and how
/// customers ask for it in Korean and English (matched question to
/// question).
const BUILTIN: [(&str, &str, [&str; 3]); 5] = [
    (
        "hours",
        "영업시간 운영시간 몇 시에 문 열어요 몇 시까지 해요 언제 여나요 닫아요 오픈 마감 \
         평일 주말 휴무 쉬는 날 opening hours when open close today weekend",
        [
            "몇 시에 문 열어요?",
            "영업시간이 어떻게 되나요?",
            "What are your opening hours?",
        ],
    ),
    (
        "address",
        "주소 위치 어디에 있어요 가는 길 찾아가는 방법 address where location directions",
        [
            "가게 위치가 어디예요?",
            "어떻게 찾아가요?",
            "Where are you located?",
        ],
    ),
    (
        "phone",
        "전화번호 연락처 전화 phone number call contact",
        [
            "전화번호가 뭐예요?",
            "연락처 알려주세요",
            "What's your phone number?",
        ],
    ),
    (
        "coupon",
        "쿠폰 할인 이벤트 혜택 coupon discount offer deal",
        [
            "쿠폰 있어요?",
            "할인 행사 하나요?",
            "Do you have any coupons or discounts?",
        ],
    ),
    (
        "post",
        "소식 공지 새로운 news announcement",
        ["새로운 소식 있어요?", "요즘 이벤트 있나요?", "What's new?"],
    ),
];

/// The kind of built-in fact named `name`, if there is one.
pub fn builtin_kind(name: &str) -> Option<&'static str> {
    BUILTIN.iter().map(|(k, ..)| *k).find(|k| *k == name)
}

impl Known {
    /// A question and answer the business wrote.
    pub fn written(question: String, answer: String) -> Known {
        Known {
            kind: "qa",
            topic: format!("{question}\n{answer}"),
            asked: vec![question],
            answer,
        }
    }

    /// What Madang knows of a shop or channel (`hours`, `address`, `phone`,
    /// `coupon`, `post`), said as `answer`.
    pub fn builtin(kind: &'static str, answer: String) -> Known {
        let (words, asked) = BUILTIN
            .iter()
            .find(|(k, ..)| *k == kind)
            .map(|(_, w, a)| (*w, a.iter().map(|q| (*q).to_owned()).collect()))
            .unwrap_or(("", Vec::new()));
        Known {
            kind,
            topic: format!("{words}\n{answer}"),
            asked,
            answer,
        }
    }
}

/// What the assistant does with a message.
#[derive(Clone, Debug, PartialEq)]
pub enum Turn {
    Answer(String),
    HandOver {
        reason: HandoverReason,
        best: Option<(usize, f32)>,
        withheld: Option<String>,
        unsupported: Vec<String>,
    },
}

/// Whether the person asks for a person rather than an answer.
pub fn wants_person(text: &str) -> bool {
    let folded: String = text
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let squeezed: String = folded.chars().filter(|c| !c.is_whitespace()).collect();
    const KOREAN: [&str; 8] = [
        "상담원",
        "상담사",
        "상담직원",
        "직원연결",
        "사람이랑",
        "사람과",
        "사람한테",
        "담당자",
    ];
    const ENGLISH: [&str; 9] = [
        "talk to a person",
        "speak to a person",
        "talk to someone",
        "speak to someone",
        "a real person",
        "a human",
        "talk to a human",
        "an agent",
        "representative",
    ];
    KOREAN.iter().any(|k| squeezed.contains(k)) || ENGLISH.iter().any(|e| folded.contains(e))
}

/// A greeting or a thanks alone, which a person at a counter answers in
/// kind rather than looking anything up or calling someone over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmallTalk {
    Greeting,
    Thanks,
}

/// The message is only a greeting or only a thanks.
pub fn small_talk(text: &str) -> Option<SmallTalk> {
    let folded: String = text
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ')
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    const GREETINGS: [&str; 12] = [
        "안녕하세요",
        "안녕하세여",
        "안녕",
        "하이",
        "여보세요",
        "저기요",
        "hello",
        "hi",
        "hey",
        "hi there",
        "good morning",
        "good evening",
    ];
    const THANKS: [&str; 10] = [
        "감사합니다",
        "고맙습니다",
        "감사해요",
        "고마워요",
        "감사",
        "ㄳ",
        "thanks",
        "thank you",
        "thank you so much",
        "thx",
    ];
    if GREETINGS.contains(&folded.as_str()) {
        Some(SmallTalk::Greeting)
    } else if THANKS.contains(&folded.as_str()) {
        Some(SmallTalk::Thanks)
    } else {
        None
    }
}

fn small_talk_answer(talk: SmallTalk, channel: &str, korean: bool) -> String {
    match (talk, korean) {
        (SmallTalk::Greeting, true) => format!(
            "안녕하세요, {channel}입니다. 궁금한 점을 물어봐 주세요. 사람과 이야기하려면 \"상담원 연결\"이라고 보내 주세요."
        ),
        (SmallTalk::Greeting, false) => format!(
            "Hello, this is {channel}. Ask me anything; to talk to a person, send \"talk to a person\"."
        ),
        (SmallTalk::Thanks, true) => "감사합니다! 더 궁금한 점이 있으면 언제든 물어봐 주세요.".to_owned(),
        (SmallTalk::Thanks, false) => "Thank you! Ask any time if there's anything else.".to_owned(),
    }
}

/// The figures in `text`: each run of letters and digits (with `.`, `,`,
/// `:`, `/`, `-` between them) that holds a digit (a number, price, date,
/// time, phone), or of four or more capitals (a code). `3시` gives `3`;
/// `12,900원` gives `12,900`; `02-123-4567`, `10:30` and `COFFEE10` stay
/// whole.
pub fn figures(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let word = |c: char| c.is_ascii_alphanumeric();
    let joiner = |c: char| matches!(c, '.' | ',' | ':' | '/' | '-');
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !word(chars[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len()
            && (word(chars[i])
                || (joiner(chars[i]) && i + 1 < chars.len() && word(chars[i + 1]) && i > start))
        {
            i += 1;
        }
        let run: String = chars[start..i].iter().collect();
        let digits = run.chars().any(|c| c.is_ascii_digit());
        let code = run.chars().filter(char::is_ascii_uppercase).count() >= 4
            && run.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        if (digits || code) && !out.contains(&run) {
            out.push(run);
        }
    }
    out
}

/// The figures of `answer` that are not figures of `facts` as written.
pub fn unsupported(answer: &str, facts: &[&str]) -> Vec<String> {
    let known: HashSet<String> = facts.iter().flat_map(|f| figures(f)).collect();
    figures(answer)
        .into_iter()
        .filter(|f| !known.contains(f))
        .collect()
}

/// The words of `text` a question is matched by, without an embedder:
/// Latin words whole, Korean as pairs of syllables (particles and endings
/// stick to Korean words, so whole words rarely match).
fn grams(text: &str) -> HashSet<String> {
    let mut out = HashSet::new();
    for word in text.to_lowercase().split(|c: char| !c.is_alphanumeric()) {
        let chars: Vec<char> = word.chars().collect();
        if chars.is_empty() {
            continue;
        }
        if chars.iter().all(char::is_ascii) {
            if chars.len() > 1 || chars[0].is_ascii_digit() {
                out.insert(word.to_owned());
            }
        } else if chars.len() == 1 {
            out.insert(word.to_owned());
        } else {
            for pair in chars.windows(2) {
                out.insert(pair.iter().collect());
            }
        }
    }
    out
}

/// How well each topic matches the question, 0–1: the share of the
/// question's words in it, each word weighed by how rare it is among the
/// topics (an ending most facts share, `나요`, counts for little).
pub fn lexical_scores(question: &str, topics: &[&str]) -> Vec<f32> {
    let q = grams(question);
    let sets: Vec<HashSet<String>> = topics.iter().map(|t| grams(t)).collect();
    let n = sets.len() as f32;
    let weight = |g: &String| {
        let df = sets.iter().filter(|s| s.contains(g)).count() as f32;
        ((n + 1.0) / (df + 1.0)).ln()
    };
    let weights: Vec<(&String, f32)> = q.iter().map(|g| (g, weight(g))).collect();
    let total: f32 = weights.iter().map(|(_, w)| w).sum();
    sets.iter()
        .map(|s| {
            if total <= 0.0 {
                return 0.0;
            }
            weights
                .iter()
                .filter(|(g, _)| s.contains(*g))
                .map(|(_, w)| w)
                .sum::<f32>()
                / total
        })
        .collect()
}

/// The facts in order of how well they match, with their scores (ties:
/// the earlier fact first). The first answers when it clears the floor.
pub fn ranked(scores: Vec<f32>) -> Vec<(usize, f32)> {
    let mut order: Vec<(usize, f32)> = scores.into_iter().enumerate().collect();
    order.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    order
}

/// What the model is asked, in the customer's language.
fn prompt(channel: &str, facts: &[&str], question: &str, korean: bool) -> Prompt {
    let system = if korean {
        format!(
            "당신은 '{channel}'의 고객 상담 도우미입니다. 아래 사실만으로 고객의 질문에 한국어로 짧게 답하세요. \
             숫자, 가격, 날짜, 시간, 전화번호, 코드는 사실에 적힌 그대로 옮기세요. 사실에 없는 내용은 지어내지 마세요."
        )
    } else {
        format!(
            "You answer customers of '{channel}'. Answer the customer's question briefly, using only the facts below, \
             in the customer's language. Copy numbers, prices, dates, times, phone numbers and codes exactly as the facts \
             write them. Do not make anything up."
        )
    };
    let list: Vec<String> = facts.iter().map(|f| format!("- {f}")).collect();
    let label = if korean { "사실:" } else { "Facts:" };
    Prompt::new(
        vec![
            ChatMessage::system(format!("{system}\n\n{label}\n{}", list.join("\n"))),
            ChatMessage::user(question.to_owned()),
        ],
        256,
    )
}

/// What the customer is told when the room goes to the agents, and when
/// they are back if the shop is closed now.
fn handover_text(reason: HandoverReason, korean: bool, back: Option<String>) -> String {
    let first = match (reason, korean) {
        (HandoverReason::Requested, true) => "상담원에게 연결해 드릴게요.",
        (HandoverReason::Requested, false) => "I'll pass you to a person.",
        (_, true) => "정확한 답을 드리기 위해 상담원에게 연결해 드릴게요.",
        (_, false) => "To get you the right answer, I'll pass you to a person.",
    };
    let then = match (back, korean) {
        (Some(when), true) => format!("지금은 영업시간이 아니에요. 상담원이 {when}부터 답해 드릴게요."),
        (Some(when), false) => format!("We're closed right now; a person will answer from {when}."),
        (None, true) => "잠시만 기다려 주세요.".to_owned(),
        (None, false) => "Someone will answer shortly.".to_owned(),
    };
    format!("{first} {then}")
}

/// "오늘 17:00", "내일 10:00", "월요일 10:00"; "today at 17:00", ….
fn when_back(ahead: i32, day: jiff::civil::Weekday, at: &str, korean: bool) -> String {
    match (ahead, korean) {
        (0, true) => format!("오늘 {at}"),
        (1, true) => format!("내일 {at}"),
        (_, true) => format!("{} {at}", hours::day_name(day, true, false)),
        (0, false) => format!("today at {at}"),
        (1, false) => format!("tomorrow at {at}"),
        (_, false) => format!("{} at {at}", hours::day_name(day, false, false)),
    }
}

fn fact_view(f: FactRow) -> Fact {
    Fact {
        id: f.id,
        question: f.question,
        answer: f.answer,
        updated_at: f.updated_at,
    }
}

/// A question and answer as stored: trimmed, neither empty nor too long.
fn checked(req: &FactRequest) -> Result<(String, String)> {
    let text = |raw: &str, max: usize, code: &'static str| {
        let t = super::text_up_to(raw, max, code)?;
        if t.is_empty() {
            return Err(Error::invalid(code, format!("1–{max} characters")));
        }
        Ok(t)
    };
    Ok((
        text(&req.question, MAX_QUESTION, "invalid_question")?,
        text(&req.answer, MAX_ANSWER, "invalid_answer")?,
    ))
}

impl Core {
    /// The channel, for its business's owner (the one who may change what
    /// the assistant says); another agent is refused, anyone else finds no
    /// channel.
    pub(crate) async fn channel_as_owner(&self, me: &Session, channel: ChannelId) -> Result<ChannelRow> {
        let row = self.channel_as_agent(me, channel).await?;
        if self.agent_of(me, row.business_id).await? != AgentRole::Owner {
            return Err(Error::refused(
                "not_owner",
                "only the business's owner changes what the assistant knows and does",
            ));
        }
        Ok(row)
    }

    /// The channel's shops, as the assistant reads them.
    async fn channel_shops(&self, c: &ChannelRow) -> Result<Vec<ShopRow>> {
        Ok(self
            .repos
            .shops_of(c.business_id)
            .await?
            .into_iter()
            .filter(|s| s.channel_id == Some(c.id))
            .collect())
    }

    /// Everything the assistant knows of a channel, in `korean` or English
    /// where Madang writes it (hours, address, phone, coupons): the
    /// business's questions and answers, then its shops', then current
    /// coupons and the newest posts.
    pub(crate) async fn knowledge(&self, c: &ChannelRow, korean: bool) -> Result<Vec<Known>> {
        let mut out: Vec<Known> = self
            .repos
            .facts(c.id)
            .await?
            .into_iter()
            .map(|f| Known::written(f.question, f.answer))
            .collect();
        let now = self.now();
        let shops = self.channel_shops(c).await?;
        let named = |shop: &ShopRow, what: String| {
            if shops.len() > 1 {
                format!("{} · {what}", shop.name)
            } else {
                what
            }
        };
        for shop in &shops {
            if !shop.hours.is_empty() {
                let week = hours::describe(&shop.hours, korean);
                let answer = named(
                    shop,
                    if korean {
                        format!("영업시간: {week}")
                    } else {
                        format!("Opening hours: {week}")
                    },
                );
                out.push(Known::builtin("hours", answer));
            }
            let address = named(
                shop,
                if korean {
                    format!("주소: {}", shop.address)
                } else {
                    format!("Address: {}", shop.address)
                },
            );
            out.push(Known::builtin("address", address));
            if !shop.phone.is_empty() {
                let phone = named(
                    shop,
                    if korean {
                        format!("전화번호: {}", shop.phone)
                    } else {
                        format!("Phone: {}", shop.phone)
                    },
                );
                out.push(Known::builtin("phone", phone));
            }
            let tz = hours::zone(&shop.time_zone)?;
            for coupon in self.repos.coupons_of_shop(shop.id).await? {
                if coupon.starts_at > now || coupon.ends_at <= now || coupon.claimed >= coupon.quantity {
                    continue;
                }
                let until = jiff::Timestamp::from_millisecond(coupon.ends_at.0 - 1)
                    .map(|t| tz.to_datetime(t).date().to_string())
                    .unwrap_or_default();
                let text = if korean {
                    format!("쿠폰 '{}': {} ({until}까지)", coupon.title, coupon.description)
                } else {
                    format!(
                        "Coupon '{}': {} (until {until})",
                        coupon.title, coupon.description
                    )
                };
                out.push(Known::builtin("coupon", named(shop, text)));
            }
        }
        for post in self.repos.posts(c.id, None, POSTS).await? {
            out.push(Known::builtin("post", post.text));
        }
        Ok(out)
    }

    /// Whether the channel's assistant answers now (switched on, and the
    /// operator allows the feature).
    pub(crate) async fn assistant_answers(&self, channel: ChannelId) -> Result<bool> {
        Ok(self.models.features.channel_assistant && self.repos.channel_assistant(channel).await?.enabled)
    }

    pub async fn channel_assistant(&self, me: &Session, channel: ChannelId) -> Result<ChannelAssistant> {
        let c = self.channel_as_agent(me, channel).await?;
        let row = self.repos.channel_assistant(channel).await?;
        let facts = self.repos.facts(channel).await?;
        // What it reads beyond the business's answers, in Korean: the
        // console shows it as customers asking in Korean get it.
        let known = self
            .knowledge(&c, true)
            .await?
            .into_iter()
            .filter(|k| k.kind != "qa")
            .map(|k| KnownFact {
                kind: k.kind.to_owned(),
                text: k.answer,
            })
            .collect();
        Ok(ChannelAssistant {
            channel_id: channel,
            enabled: row.enabled,
            facts: facts.into_iter().map(fact_view).collect(),
            known,
            stats: AssistantStats {
                answered: row.answered,
                handed_over: row.handed_over,
                withheld: row.withheld,
            },
        })
    }

    /// Switches the channel's assistant on or off (the owner).
    pub async fn set_channel_assistant(
        &self,
        me: &Session,
        channel: ChannelId,
        enabled: bool,
    ) -> Result<ChannelAssistant> {
        self.channel_as_owner(me, channel).await?;
        if enabled && !self.models.features.channel_assistant {
            return Err(Error::FeatureOff("the channel assistant"));
        }
        self.repos
            .set_channel_assistant(channel, enabled, self.now())
            .await?;
        self.channel_assistant(me, channel).await
    }

    pub async fn add_fact(&self, me: &Session, channel: ChannelId, req: FactRequest) -> Result<Fact> {
        self.channel_as_owner(me, channel).await?;
        let (question, answer) = checked(&req)?;
        match self
            .repos
            .add_fact(channel, &question, &answer, MAX_FACTS, self.now())
            .await
        {
            Err(StoreError::Conflict(_)) => Err(Error::refused(
                "too_many_facts",
                format!("a channel's assistant knows at most {MAX_FACTS} questions and answers"),
            )),
            other => Ok(fact_view(other?)),
        }
    }

    pub async fn update_fact(
        &self,
        me: &Session,
        channel: ChannelId,
        id: FactId,
        req: FactRequest,
    ) -> Result<Fact> {
        self.channel_as_owner(me, channel).await?;
        let (question, answer) = checked(&req)?;
        match self
            .repos
            .update_fact(channel, id, &question, &answer, self.now())
            .await
        {
            Err(StoreError::NotFound) => Err(Error::NotFound("fact")),
            other => Ok(fact_view(other?)),
        }
    }

    pub async fn delete_fact(&self, me: &Session, channel: ChannelId, id: FactId) -> Result<()> {
        self.channel_as_owner(me, channel).await?;
        match self.repos.delete_fact(channel, id).await {
            Err(StoreError::NotFound) => Err(Error::NotFound("fact")),
            other => Ok(other?),
        }
    }

    /// A customer wrote `seq` in their room with `channel`, the room not
    /// with the people: queue it for the assistant if the channel has it
    /// on. Never fails the send.
    pub(crate) async fn ask_channel_assistant(&self, channel: ChannelId, room: RoomId, seq: Seq) {
        let on = match self.assistant_answers(channel).await {
            Ok(on) => on,
            Err(e) => {
                tracing::warn!(error = %e, "channel assistant: could not read its switch");
                return;
            }
        };
        if on
            && !self
                .channel_assistants
                .messages
                .push(CustomerMessage { room, seq })
        {
            metrics::counter!("madang_channel_assistant_total", "result" => "queue_full").increment(1);
        }
    }

    /// How well each fact matches `question`, 0–1, and the floor.
    async fn match_facts(&self, question: &str, facts: &[Known]) -> Result<(Vec<f32>, f32)> {
        let embedder = self.models.embedder.as_deref();
        match_scores(embedder, &self.channel_assistants.vectors, question, facts).await
    }

    /// What to do with `question`, given what the channel knows.
    async fn turn(
        &self,
        channel: &ChannelRow,
        question: &str,
        facts: &[Known],
        room: RoomId,
    ) -> Result<Turn> {
        if wants_person(question) {
            return Ok(Turn::HandOver {
                reason: HandoverReason::Requested,
                best: None,
                withheld: None,
                unsupported: Vec::new(),
            });
        }
        if let Some(talk) = small_talk(question) {
            let korean = language_of(question) == Language::Korean;
            return Ok(Turn::Answer(small_talk_answer(talk, &channel.name, korean)));
        }
        if question.trim().is_empty() || facts.is_empty() {
            return Ok(Turn::HandOver {
                reason: HandoverReason::LowScore,
                best: None,
                withheld: None,
                unsupported: Vec::new(),
            });
        }
        let (scores, floor) = self.match_facts(question, facts).await?;
        let order = ranked(scores);
        let best = order.first().copied();
        // Never the customer's words in the log: what matched, and how well.
        tracing::debug!(
            best = ?best.map(|(i, s)| (facts[i].kind, s)),
            floor,
            "channel assistant: the closest fact"
        );
        let good: Vec<usize> = order
            .iter()
            .take(TOP)
            .filter(|(_, s)| *s >= floor)
            .map(|(i, _)| *i)
            .collect();
        let Some(&first) = good.first() else {
            return Ok(Turn::HandOver {
                reason: HandoverReason::LowScore,
                best,
                withheld: None,
                unsupported: Vec::new(),
            });
        };
        let generator = match self
            .models
            .generator_for("the channel assistant", self.models.features.channel_assistant)
        {
            Ok(g) if !g.small() => g.clone(),
            // A small model would echo or invent: the business's own words.
            _ => return Ok(Turn::Answer(facts[first].answer.clone())),
        };
        let used: Vec<&str> = good.iter().map(|&i| facts[i].answer.as_str()).collect();
        let korean = language_of(question) == Language::Korean;
        let prompt = prompt(&channel.name, &used, question, korean);
        let shown = channel_shown_id(channel.id);
        let out = self
            .while_typing(room, shown, complete_patiently(&*generator, prompt))
            .await;
        let text = match out {
            Ok(t) => t.trim().to_owned(),
            Err(e) => {
                tracing::warn!(error = %e, "channel assistant: the model failed; its best fact is quoted");
                return Ok(Turn::Answer(facts[first].answer.clone()));
            }
        };
        let echoed = ["사실:", "Facts:"].iter().any(|l| text.contains(l));
        let missing = unsupported(&text, &used);
        if text.is_empty() || echoed || !missing.is_empty() {
            return Ok(Turn::HandOver {
                reason: HandoverReason::Withheld,
                best,
                withheld: Some(text),
                unsupported: missing,
            });
        }
        let text: String = text.chars().take(self.limits.max_message_chars).collect();
        Ok(Turn::Answer(text))
    }

    /// Answers one customer's message, unless the people took the room or
    /// the assistant was switched off meanwhile.
    async fn answer_customer(&self, m: CustomerMessage) -> Result<()> {
        let Some(state) = self.repos.channel_room_of(m.room).await? else {
            return Ok(());
        };
        if state.with_agents || !self.assistant_answers(state.channel_id).await? {
            return Ok(());
        }
        let Some(message) = self.repos.message(m.room, m.seq).await? else {
            return Ok(());
        };
        if message.deleted_at.is_some() {
            return Ok(());
        }
        let Some(channel) = self.repos.channel(state.channel_id).await? else {
            return Ok(());
        };
        let korean = language_of(&message.text) == Language::Korean;
        let facts = self.knowledge(&channel, korean).await?;
        let turn = self.turn(&channel, &message.text, &facts, m.room).await?;
        // An agent may have taken the room while the model wrote.
        let now_state = self.repos.channel_room_of(m.room).await?;
        if now_state.is_none_or(|s| s.with_agents) {
            return Ok(());
        }
        let (text, outcome, handover) = match turn {
            Turn::Answer(text) => (text, AssistantOutcome::Answered, None),
            Turn::HandOver {
                reason,
                best,
                withheld,
                unsupported,
            } => {
                let back = self.back_at(&channel, korean).await?;
                let outcome = if reason == HandoverReason::Withheld {
                    AssistantOutcome::Withheld
                } else {
                    AssistantOutcome::HandedOver
                };
                let handover = Handover {
                    reason,
                    question: message.text.clone(),
                    best_fact: best.map(|(i, _)| facts[i].answer.clone()),
                    score: best.map(|(_, s)| s),
                    withheld,
                    unsupported,
                    at: self.now(),
                };
                (handover_text(reason, korean, back), outcome, Some(handover))
            }
        };
        self.say_as_assistant(&channel, m, text).await?;
        if let Some(h) = &handover {
            self.repos.to_agents(m.room, Some(h), self.now()).await?;
        }
        self.repos.count_assistant(channel.id, outcome).await?;
        let result = match outcome {
            AssistantOutcome::Answered => "answered",
            AssistantOutcome::HandedOver => "handed_over",
            AssistantOutcome::Withheld => "withheld",
        };
        metrics::counter!("madang_channel_assistant_total", "result" => result).increment(1);
        self.tell_agents(channel.id, m.room).await
    }

    /// When the people are back, if every shop of the channel with hours
    /// is closed now: the soonest opening.
    async fn back_at(&self, channel: &ChannelRow, korean: bool) -> Result<Option<String>> {
        let now = self.now();
        let mut soonest: Option<(i32, String, String)> = None;
        for shop in self.channel_shops(channel).await? {
            if shop.hours.is_empty() {
                continue;
            }
            let tz = hours::zone(&shop.time_zone)?;
            if hours::open_at(&shop.hours, &tz, now) {
                return Ok(None);
            }
            if let Some((ahead, day, at)) = hours::next_open(&shop.hours, &tz, now) {
                let key = (ahead, at.clone());
                if soonest.as_ref().is_none_or(|(a, t, _)| key < (*a, t.clone())) {
                    soonest = Some((ahead, at.clone(), when_back(ahead, day, &at, korean)));
                }
            }
        }
        Ok(soonest.map(|(_, _, when)| when))
    }

    /// Writes `text` in the room as the channel, marked as the assistant's;
    /// once per customer message, whatever retries.
    async fn say_as_assistant(&self, channel: &ChannelRow, m: CustomerMessage, text: String) -> Result<()> {
        let new = NewMessage {
            by_assistant: true,
            ..NewMessage::text(
                m.room,
                self.assistant_account().await?,
                channel_shown_id(channel.id),
                ClientMsgId(format!("channel-assistant:{}:{}", m.room, m.seq)),
                text,
                self.now(),
            )
        };
        self.say_as_outsider(new).await
    }
}

/// Fact vectors kept between questions, by text.
pub type Vectors = Mutex<HashMap<String, Arc<Vec<f32>>>>;

/// How well each fact matches `question`, 0–1, and the floor an answer
/// needs: with an embedder, half the question against the fact's text and
/// half against the closest question it answers; without, the words they
/// share, weighed by rarity.
pub async fn match_scores(
    embedder: Option<&dyn Embedder>,
    vectors: &Vectors,
    question: &str,
    facts: &[Known],
) -> Result<(Vec<f32>, f32)> {
    let Some(embedder) = embedder else {
        let topics: Vec<&str> = facts.iter().map(|f| f.topic.as_str()).collect();
        return Ok((lexical_scores(question, &topics), LEXICAL_FLOOR));
    };
    // Each fact's text as a passage, and the questions it answers as
    // queries (e5 reads the two differently), embedded once.
    let key = |passage: bool, text: &str| format!("{}\n{text}", if passage { 'p' } else { 'q' });
    let (passages, queries): (Vec<String>, Vec<String>) = {
        let cache = vectors.lock().unwrap_or_else(|p| p.into_inner());
        let mut p: Vec<String> = facts.iter().map(|f| f.topic.clone()).collect();
        let mut q: Vec<String> = facts.iter().flat_map(|f| f.asked.iter().cloned()).collect();
        p.retain(|t| !cache.contains_key(&key(true, t)));
        q.retain(|t| !cache.contains_key(&key(false, t)));
        p.sort_unstable();
        p.dedup();
        q.push(question.to_owned());
        q.sort_unstable();
        q.dedup();
        (p, q)
    };
    let passage_vectors = if passages.is_empty() {
        Vec::new()
    } else {
        embedder.embed_passages(&passages).await?
    };
    let query_vectors = embedder.embed(&queries).await?;
    let mut cache = vectors.lock().unwrap_or_else(|p| p.into_inner());
    if cache.len() + passages.len() + queries.len() > CACHED_VECTORS {
        cache.clear();
    }
    for (t, v) in passages.iter().zip(passage_vectors) {
        cache.insert(key(true, t), Arc::new(v));
    }
    let mut asked_vector = None;
    for (t, v) in queries.iter().zip(query_vectors) {
        if t == question {
            asked_vector = Some(v.clone());
        }
        cache.insert(key(false, t), Arc::new(v));
    }
    let asked_vector = asked_vector.ok_or_else(|| Error::Internal("the embedder gave no vector".into()))?;
    let scale = embedder.scale();
    let near = |k: String| {
        cache
            .get(&k)
            .map_or(0.0, |v| scale.topic(cosine(&asked_vector, v)))
    };
    // Half from the fact's text, half from the closest question it
    // answers: e5-small alone puts a refund question as near a
    // booking answer as a dog question is to a pets answer; the two
    // together part them.
    let scores = facts
        .iter()
        .map(|f| {
            let text = near(key(true, &f.topic));
            let question = f.asked.iter().map(|a| near(key(false, a))).fold(0.0f32, f32::max);
            (text + question) / 2.0
        })
        .collect();
    Ok((scores, EMBEDDED_FLOOR))
}

/// Answers the customers' messages this node took, one at a time, until
/// stopped.
pub(crate) async fn run(core: Arc<Core>, stop: watch::Receiver<bool>) {
    let work = |m| core.answer_customer(m);
    core.channel_assistants
        .messages
        .serve("channel_assistant", stop, work)
        .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_for_a_person_is_seen_in_korean_and_english() {
        for yes in [
            "상담원 연결해 주세요",
            "상담원연결",
            "사람이랑 얘기하고 싶어요",
            "담당자 바꿔주세요",
            "Can I talk to a person?",
            "I want a human please",
            "get me a representative",
        ] {
            assert!(wants_person(yes), "{yes}");
        }
        for no in [
            "몇 시에 문 열어요?",
            "주차 되나요?",
            "Are you open on Sunday?",
            "사람 많아요?",
        ] {
            assert!(!wants_person(no), "{no}");
        }
    }

    #[test]
    fn a_greeting_or_a_thanks_alone_is_small_talk() {
        assert_eq!(small_talk("안녕하세요!"), Some(SmallTalk::Greeting));
        assert_eq!(small_talk("  Hi there "), Some(SmallTalk::Greeting));
        assert_eq!(small_talk("감사합니다~"), Some(SmallTalk::Thanks));
        assert_eq!(small_talk("Thank you!"), Some(SmallTalk::Thanks));
        assert_eq!(
            small_talk("안녕하세요 주차 되나요?"),
            None,
            "a question with it is a question"
        );
        assert_eq!(small_talk("감사합니다 환불은요?"), None);
        assert!(small_talk_answer(SmallTalk::Greeting, "마당 카페", true).contains("상담원 연결"));
    }

    #[test]
    fn figures_are_numbers_prices_dates_times_phones_and_codes() {
        assert_eq!(
            figures(
                "평일 10:00–20:00, 라떼 4,500원. 02-123-4567로 전화, 코드 COFFEE10 또는 WELCOME, 2026-12-31까지 3시"
            ),
            [
                "10:00",
                "20:00",
                "4,500",
                "02-123-4567",
                "COFFEE10",
                "WELCOME",
                "2026-12-31",
                "3"
            ]
        );
        assert!(figures("Open today, see you. OK?").is_empty());
        assert_eq!(figures("ends 12/25."), ["12/25"]);
    }

    #[test]
    fn an_answer_may_only_use_figures_written_in_its_facts() {
        let facts = [
            "영업시간: 월–금 10:00–20:00, 토 11:00–18:00, 일 휴무",
            "라떼는 4,500원이에요",
        ];
        assert!(unsupported("평일은 10:00부터 20:00까지 열어요", &facts).is_empty());
        assert_eq!(unsupported("토요일은 11시에 열어요", &facts), ["11"]);
        assert_eq!(unsupported("라떼 4500원", &facts), ["4500"]);
        assert_eq!(unsupported("코드 SAVE20 쓰세요", &facts), ["SAVE20"]);
        assert_eq!(unsupported("전화는 010-1234-5678", &facts), ["010-1234-5678"]);
    }

    #[test]
    fn without_an_embedder_the_question_is_matched_by_its_rarer_words() {
        let topics = [
            "영업시간 운영시간 몇 시에 문 열어요 몇 시까지 해요 언제 여나요 opening hours when open close",
            "주차 되나요?\n건물 뒤 공영주차장을 이용해 주세요",
            "반려견 동반 가능한가요?\n네, 테라스석에서 반려견과 함께하실 수 있어요.",
            "전화번호 연락처 phone number call\nPhone: 02-123-4567",
        ];
        let best = |q: &str| {
            let scores = lexical_scores(q, &topics);
            let (i, s) = ranked(scores)[0];
            (s >= LEXICAL_FLOOR).then_some(i)
        };
        assert_eq!(best("몇 시에 문 열어요?"), Some(0));
        assert_eq!(best("주차 돼요?"), Some(1));
        // "되나요" is in the parking question too; "반려견" is rarer.
        assert_eq!(best("반려견 데려가도 되나요?"), Some(2));
        assert_eq!(best("What's your phone number?"), Some(3));
        assert_eq!(best("When do you open?"), Some(0));
        assert_eq!(best("환불 규정이 어떻게 되나요?"), None);
        assert_eq!(best("강아지 간식 팔아요?"), None);
        assert_eq!(lexical_scores("", &topics), vec![0.0; 4]);
    }

    #[test]
    fn the_customer_is_told_who_answers_and_when() {
        let day = jiff::civil::Weekday::Monday;
        let back = Some(when_back(2, day, "10:00", true));
        assert_eq!(
            handover_text(HandoverReason::Requested, true, back),
            "상담원에게 연결해 드릴게요. 지금은 영업시간이 아니에요. 상담원이 월요일 10:00부터 답해 드릴게요."
        );
        assert_eq!(
            handover_text(
                HandoverReason::LowScore,
                false,
                Some(when_back(1, day, "10:00", false))
            ),
            "To get you the right answer, I'll pass you to a person. We're closed right now; a person will answer from tomorrow at 10:00."
        );
        assert!(handover_text(HandoverReason::Withheld, true, None).ends_with("잠시만 기다려 주세요."));
    }
}
