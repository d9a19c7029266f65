//! The group-chat assistant. A member adds it to a group; it is not a
//! member, but a message that mentions it is a question: the room's recent
//! messages that the asker can see (as many as fit the model) and the
//! question go to the generator, and the answer comes back as an ordinary message
//! from the assistant's account, replying to the question and mentioning
//! whoever asked. Questions queue on the node that took them and are
//! answered one at a time by [`run`]; each room gets
//! `assistant_answers_per_hour`, beyond which the assistant says once that
//! it is busy. Nothing but the answer is stored.

use super::complete_patiently;
use super::summary::{Language, language_of, transcript_line};
use crate::jobs::WorkQueue;
use crate::ratelimit::Rate;
use crate::{Core, Error, Result, Session};
use madang_ai::{ChatMessage, Prompt};
use madang_bus::{Live, Topic};
use madang_store::{NewMessage, RoomRow, StoreError};
use madang_types::api::{Message, MessageKind, Room, RoomKind};
use madang_types::{ClientMsgId, RoomId, Seq, UserId};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Questions waiting on this node; beyond this many, new ones are dropped
/// (and counted) rather than answered minutes late.
const QUEUE: usize = 64;

/// Tokens kept beside the transcript for the instructions and template.
const PROMPT_OVERHEAD: usize = 200;

/// A question to answer.
#[derive(Clone, Debug)]
pub(crate) struct Question {
    room: RoomId,
    seq: Seq,
    /// Who asked, as shown in the room.
    asker: UserId,
    /// The room's hourly allowance is spent: say so instead.
    over_limit: bool,
}

/// The node's queue of questions and the account the assistant speaks as.
pub(crate) struct Assistant {
    questions: WorkQueue<Question>,
    account: tokio::sync::OnceCell<UserId>,
}

impl Default for Assistant {
    fn default() -> Self {
        Assistant {
            questions: WorkQueue::new(QUEUE),
            account: tokio::sync::OnceCell::new(),
        }
    }
}

/// What the assistant is told, in the question's language: (who it is,
/// how to answer, "when it cannot", "when it is busy").
fn instructions(language: Language) -> [&'static str; 4] {
    match language {
        Language::Korean => [
            "당신은 단체 채팅방의 도우미입니다. 대화 내용을 참고해 질문에 짧고 정확하게 답하세요. 반드시 한국어로 답하세요.",
            "지금까지의 대화:",
            "지금은 답을 드리기 어려워요. 조금 뒤에 다시 물어봐 주세요.",
            "이 채팅방에서 최근 한 시간 동안 질문을 많이 받았어요. 조금 뒤에 다시 물어봐 주세요.",
        ],
        Language::Japanese => [
            "あなたはグループチャットのアシスタントです。会話を参考に、質問に短く正確に答えてください。必ず日本語で答えてください。",
            "これまでの会話:",
            "今はお答えできません。少し後でもう一度聞いてください。",
            "このチャットでは最近1時間に多くの質問を受けました。少し後でもう一度聞いてください。",
        ],
        Language::Chinese => [
            "你是群聊里的助手。参考对话内容，简短准确地回答问题。请用中文回答。",
            "到目前为止的对话：",
            "现在无法回答。请稍后再问我。",
            "这个群聊在过去一小时里问了我很多问题。请稍后再问我。",
        ],
        Language::Other => [
            "You are the assistant in a group chat. Answer the question briefly and accurately, using the conversation when it helps. Answer in the language of the question.",
            "The conversation so far:",
            "I can't answer that right now. Please ask me again in a little while.",
            "I've answered a lot of questions in this chat in the last hour. Please ask me again a little later.",
        ],
    }
}

/// The answer without what small models add in a chat: a first line that
/// repeats the question, a "Name:" before it. Trimmed.
fn without_echo(answer: &str, question: &str, speakers: &[&str]) -> String {
    let mut answer = answer.trim();
    for name in speakers {
        if let Some(rest) = answer.strip_prefix(name).and_then(|r| r.strip_prefix(':')) {
            answer = rest.trim_start();
            break;
        }
    }
    let folded = |s: &str| {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect::<String>()
    };
    let q = folded(question);
    match answer.split_once('\n') {
        Some((first, rest)) if !q.is_empty() && folded(first).contains(&q) => rest.trim().to_string(),
        _ => answer.to_string(),
    }
}

/// The question as the model should read it: the mention of the
/// assistant taken out.
fn question_text(text: &str, name: &str) -> String {
    let cleaned = text.replace(&format!("@{name}"), " ");
    let cleaned = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    if cleaned.is_empty() {
        text.trim().to_string()
    } else {
        cleaned
    }
}

/// The newest lines that fit `budget` tokens, oldest first.
fn newest_that_fit(
    lines_newest_first: Vec<String>,
    budget: usize,
    count: &dyn Fn(&str) -> usize,
) -> Vec<String> {
    let mut used = 0;
    let mut kept = Vec::new();
    for line in lines_newest_first {
        let tokens = count(&line) + 1;
        if used + tokens > budget {
            break;
        }
        used += tokens;
        kept.push(line);
    }
    kept.reverse();
    kept
}

impl Core {
    /// The account the assistant speaks as.
    pub(crate) async fn assistant_account(&self) -> Result<UserId> {
        let id = self
            .assistant
            .account
            .get_or_try_init(|| self.repos.system_account("@assistant"))
            .await?;
        Ok(*id)
    }

    /// Adds the assistant to a group chat (`on`) or removes it. Any member
    /// may; adding needs a model and the feature on.
    pub async fn set_assistant(&self, me: &Session, room: RoomId, on: bool) -> Result<Room> {
        let member = self.membership(me, room).await?;
        let row = self.repos.room(room).await?.ok_or(Error::NotFound("room"))?;
        if row.kind != RoomKind::Group {
            return Err(Error::invalid(
                "not_a_group",
                "the assistant can only be added to a group chat",
            ));
        }
        let assistant = if on {
            self.models
                .generator_for("the assistant", self.models.features.assistant)?;
            Some(self.assistant_account().await?)
        } else {
            None
        };
        let changed = self
            .repos
            .set_assistant(room, assistant, member.shown_id, self.now())
            .await?;
        if let Some(event) = changed {
            self.publish(Topic::Room(room), Live::Event(event)).await;
        }
        self.room(me, room).await
    }

    /// Queues `question` (just sent, mentioning the assistant) for an
    /// answer. Never fails the send: what cannot be queued is counted.
    pub(crate) async fn ask_assistant(&self, room: &RoomRow, question: &Message) {
        let answers = Rate {
            capacity: self.limits.assistant_answers_per_hour,
            per_ms: 3_600_000,
        };
        let over_limit = match self.rate.check(&format!("assistant:{}", room.id), answers).await {
            Ok(()) => false,
            Err(Error::RateLimited { .. }) => {
                // Say so once per hour; stay quiet after that.
                let once = Rate {
                    capacity: 1,
                    per_ms: 3_600_000,
                };
                if self
                    .rate
                    .check(&format!("assistant-busy:{}", room.id), once)
                    .await
                    .is_err()
                {
                    metrics::counter!("madang_ai_assistant_unanswered_total", "reason" => "rate_limited")
                        .increment(1);
                    return;
                }
                true
            }
            Err(e) => {
                tracing::warn!(error = %e, "assistant rate check failed");
                return;
            }
        };
        let ask = Question {
            room: room.id,
            seq: question.seq,
            asker: question.sender_id,
            over_limit,
        };
        if !self.assistant.questions.push(ask) {
            metrics::counter!("madang_ai_assistant_unanswered_total", "reason" => "queue_full").increment(1);
        }
    }

    /// Answers one question, unless the assistant was removed meanwhile.
    async fn answer(&self, q: Question) -> Result<()> {
        let room = self.repos.room(q.room).await?.ok_or(Error::NotFound("room"))?;
        let Some(assistant) = room.assistant_id else {
            return Ok(()); // removed since
        };
        // It reads only what the asker could read (not before they joined).
        let Some(asker) = self.repos.member_by_shown(q.room, q.asker).await? else {
            return Ok(()); // the asker left
        };
        let Some(question) = self.repos.message(q.room, q.seq).await? else {
            return Ok(());
        };
        if question.deleted_at.is_some() {
            return Ok(());
        }
        let language = language_of(&question.text);
        let [system, so_far, cannot, busy] = instructions(language);
        let text = if q.over_limit {
            busy.to_string()
        } else {
            let generator = self
                .models
                .generator_for("the assistant", self.models.features.assistant)?
                .clone();
            let max_tokens = self.limits.assistant_max_tokens;
            let rows = self
                .repos
                .history(
                    q.room,
                    q.seq,
                    asker.joined_seq,
                    self.limits.assistant_context_messages as i64,
                )
                .await?;
            let ids: Vec<UserId> = self
                .repos
                .members(q.room)
                .await?
                .iter()
                .map(|m| m.user_id)
                .chain([assistant])
                .collect();
            let names = self.display_names(&ids).await?;
            let my_name = names.get(&assistant).ok_or(Error::NotFound("user"))?;
            let question = question_text(&question.text, my_name);
            let budget = generator
                .context_tokens()
                .saturating_sub(max_tokens as usize + PROMPT_OVERHEAD + generator.count_tokens(&question));
            let lines = rows.iter().filter_map(|m| transcript_line(m, &names)).collect();
            let count = |s: &str| generator.count_tokens(s);
            let context = newest_that_fit(lines, budget, &count);
            // The chat goes with the instructions and the question is the
            // person's turn: small models answer it rather than carrying on
            // the chat as one of its members.
            let instructions = if context.is_empty() {
                system.to_string()
            } else {
                format!("{system}\n\n{so_far}\n{}", context.join("\n"))
            };
            let prompt = Prompt::new(
                vec![
                    ChatMessage::system(instructions),
                    ChatMessage::user(question.clone()),
                ],
                max_tokens,
            );
            let answer = self
                .while_typing(q.room, assistant, complete_patiently(&*generator, prompt))
                .await;
            metrics::counter!("madang_ai_assistant_answers_total").increment(1);
            let speakers: Vec<&str> = names.values().map(String::as_str).collect();
            match answer.map(|a| without_echo(&a, &question, &speakers)) {
                Ok(text) if !text.is_empty() => text,
                Ok(_) => cannot.to_string(),
                Err(e) => {
                    tracing::warn!(error = %e, "the assistant could not answer");
                    cannot.to_string()
                }
            }
        };
        let text: String = text.chars().take(self.limits.max_message_chars).collect();
        let new = NewMessage {
            room_id: q.room,
            sender_id: assistant,
            shown_as: assistant,
            // One answer per question, whatever retries.
            client_id: ClientMsgId(format!("assistant:{}:{}", q.room, q.seq)),
            kind: MessageKind::Text,
            text,
            reply_to: Some(q.seq),
            mentions: vec![q.asker],
            attachment: None,
            pung_id: None,
            poll: None,
            thread_root: None,
            by_assistant: true,
            buttons: Vec::new(),
            at: self.now(),
        };
        self.say_as_outsider(new).await
    }

    /// Writes a message from outside the room's members (an assistant's),
    /// publishes and pushes it; once per client id whatever retries, and
    /// nothing when the room is gone.
    pub(crate) async fn say_as_outsider(&self, new: NewMessage) -> Result<()> {
        let room = new.room_id;
        let appended = match self.repos.append_outsider_message(new).await {
            Err(StoreError::NotFound) => return Ok(()),
            other => other?,
        };
        if let Some(event) = appended.event {
            metrics::counter!("madang_messages_sent_total").increment(1);
            self.publish(Topic::Room(room), Live::Event(event)).await;
            self.push_soon();
        }
        Ok(())
    }

    /// Runs `work`, telling the room the assistant is typing every few
    /// seconds until it is done.
    pub(crate) async fn while_typing<T>(
        &self,
        room: RoomId,
        assistant: UserId,
        work: impl std::future::Future<Output = T>,
    ) -> T {
        tokio::pin!(work);
        let mut tick = tokio::time::interval(Duration::from_secs(3));
        loop {
            tokio::select! {
                out = &mut work => return out,
                _ = tick.tick() => {
                    let typing = Live::Typing { room_id: room, user_id: assistant };
                    self.publish(Topic::Room(room), typing).await;
                }
            }
        }
    }
}

/// Answers the questions this node took, one at a time, until stopped.
pub(crate) async fn run(core: Arc<Core>, stop: watch::Receiver<bool>) {
    let work = |q| core.answer(q);
    core.assistant.questions.serve("assistant", stop, work).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mention_is_taken_out_of_the_question() {
        assert_eq!(
            question_text("@Assistant when do we meet?", "Assistant"),
            "when do we meet?"
        );
        assert_eq!(question_text("@Assistant", "Assistant"), "@Assistant");
    }

    #[test]
    fn an_echoed_question_is_dropped_from_the_answer() {
        let q = "where do we meet on Saturday?";
        let names = ["Alice", "Bob"];
        assert_eq!(
            without_echo(
                "Alice: where do we meet on Saturday?\n\nAt the entrance at 8.",
                q,
                &names
            ),
            "At the entrance at 8."
        );
        assert_eq!(
            without_echo("Bob: At the entrance at 8.", q, &names),
            "At the entrance at 8."
        );
        assert_eq!(
            without_echo(" At the entrance at 8. \n", q, &names),
            "At the entrance at 8."
        );
        assert_eq!(
            without_echo(q, q, &names),
            q,
            "an answer that is only the echo stays"
        );
    }

    #[test]
    fn the_newest_lines_that_fit_are_kept_in_order() {
        let count = |s: &str| s.split_whitespace().count();
        let newest_first = vec!["c: three".to_string(), "b: two".into(), "a: one one one".into()];
        assert_eq!(
            newest_that_fit(newest_first.clone(), 6, &count),
            vec!["b: two", "c: three"]
        );
        assert!(newest_that_fit(newest_first, 2, &count).is_empty());
    }
}
