//! Spam screening in open chats. Banned words and the flood guard refuse
//! a message before it is sent; screening looks at what got through,
//! after the send, on the node that took it: the host's setting (off,
//! model, strict) and a model signal — how close the message's sentence
//! embedding is to the messages the operator labelled spam, against how
//! close it is to ones labelled fine — decide whether to hide it pending
//! review. Hidden, not deleted: the server's screening account hides it
//! (the room sees an ordinary `hidden` event) and records why; a host or
//! co-host then shows it again (fine) or keeps it hidden (spam). The
//! embedding is used for the comparison and not kept.
//!
//! Hosts' and co-hosts' own messages are not screened, and nothing is in a
//! 1:1 open chat (the host reads and moderates it directly).

use crate::jobs::WorkQueue;
use crate::safety::Authority;
use crate::{Core, Error, Result, Session};
use madang_bus::{Live, Topic};
use madang_search::vectors::VectorIndex;
use madang_store::{NewFlag, RoomRow, SpamExample};
use madang_types::api::{Message, RoomKind};
use madang_types::openchat::{
    FlagReason, FlagVerdict, FlaggedMessage, Screening, ScreeningSettings, SpamLabel, SpamLabelRequest,
};
use madang_types::{OpenChatId, RoomId, Seq, UserId};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Messages waiting to be screened on this node; past it, sends are not
/// screened (and counted) rather than screened late.
const QUEUE: usize = 1024;
/// How long labelled examples are used before they are read again (an
/// operator labelling on another node shows here after this).
const EXAMPLES_FRESH: Duration = Duration::from_secs(60);
/// Characters of an example (the embedder reads ~256 tokens).
const EXAMPLE_CHARS: usize = 500;
/// Flagged messages a host sees at once.
const FLAGGED_PAGE: i64 = 100;
/// Who joined less than this long ago is a newcomer.
const NEWCOMER_MS: i64 = 24 * 3_600_000;

/// A message just sent in an open chat.
#[derive(Clone, Debug)]
pub(crate) struct Sent {
    room: RoomId,
    seq: Seq,
    chat: OpenChatId,
    /// The sender's account.
    sender: UserId,
    text: String,
}

/// The operator's examples as vectors: spam and fine, each in an index.
#[derive(Default)]
struct Examples {
    read_at: Option<Instant>,
    /// Embeddings by text, so a refresh embeds only new examples.
    vectors: HashMap<String, Vec<f32>>,
    spam: Arc<VectorIndex>,
    fine: Arc<VectorIndex>,
}

/// The node's screening: its queue, the examples, the account it hides as.
pub(crate) struct Screener {
    queue: WorkQueue<Sent>,
    examples: tokio::sync::Mutex<Examples>,
    account: tokio::sync::OnceCell<UserId>,
}

impl Default for Screener {
    fn default() -> Self {
        Screener {
            queue: WorkQueue::new(QUEUE),
            examples: tokio::sync::Mutex::new(Examples::default()),
            account: tokio::sync::OnceCell::new(),
        }
    }
}

/// What screening sees of one message.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Signals {
    /// Highest cosine to an example labelled spam (none: -1).
    pub spam: f32,
    /// Highest cosine to an example labelled fine (none: -1).
    pub fine: f32,
    pub has_link: bool,
    /// The sender joined the room less than a day ago.
    pub newcomer: bool,
    /// The embedder's scale: a message is held from its "much the same"
    /// to labelled spam, and only when that much closer to spam than to
    /// anything fine (`Scale::margin`).
    pub scale: madang_ai::Scale,
}

/// Whether to hold a message, and why.
pub fn judge(host: Screening, s: Signals) -> Option<FlagReason> {
    if host == Screening::Off {
        return None;
    }
    if s.spam >= s.scale.similar && s.spam >= s.fine + s.scale.margin() {
        return Some(FlagReason::LikeSpam);
    }
    if host == Screening::Strict && s.has_link && s.newcomer {
        return Some(FlagReason::NewcomerLink);
    }
    None
}

impl Core {
    /// The account screening hides messages as.
    async fn screening_account(&self) -> Result<UserId> {
        let id = self
            .screening
            .account
            .get_or_try_init(|| self.repos.system_account("@screening"))
            .await?;
        Ok(*id)
    }

    /// The embedder for screening, if it runs here and is on.
    fn screening_embedder(&self) -> Option<&Arc<dyn madang_ai::Embedder>> {
        self.models
            .embedder
            .as_ref()
            .filter(|_| self.models.features.screening)
    }

    /// Queues a message just sent in a group open chat for screening.
    /// Never fails the send: what cannot be queued is counted.
    pub(crate) fn screen_later(&self, room: &RoomRow, sender: UserId, message: &Message) {
        let Some(chat) = room.open_chat_id.filter(|_| room.kind == RoomKind::Open) else {
            return;
        };
        if message.text.trim().is_empty() {
            return;
        }
        let sent = Sent {
            room: room.id,
            seq: message.seq,
            chat,
            sender,
            text: message.text.clone(),
        };
        if !self.screening.queue.push(sent) {
            metrics::counter!("madang_openchat_screening_skipped_total", "reason" => "queue_full")
                .increment(1);
        }
    }

    /// Screens one message: hides it when the host's setting and the
    /// signals say so.
    async fn screen(&self, sent: Sent) -> Result<()> {
        // Without the model's signal only a strict room's newcomer link can
        // be held, so a message without a link needs no reads at all.
        let has_link = super::rules::has_link(&sent.text);
        if !has_link && !self.model_signal().await {
            return Ok(());
        }
        let Some(chat) = self.repos.open_chat(sent.chat).await? else {
            return Ok(());
        };
        if chat.screening == Screening::Off || chat.closed_at.is_some() {
            return Ok(());
        }
        let Some(member) = self.repos.open_member(sent.room, sent.sender).await? else {
            return Ok(()); // they left (or were removed) meanwhile
        };
        if member.role.moderates() {
            return Ok(());
        }
        let (spam, fine) = self.similarity(&sent.text).await;
        let signals = Signals {
            spam,
            fine,
            has_link,
            newcomer: self.now().0 - member.joined_at.0 < NEWCOMER_MS,
            // Without an embedder `spam` is -1 and nothing reaches it.
            scale: self
                .screening_embedder()
                .map_or(madang_ai::Scale::MINILM, |e| e.scale()),
        };
        metrics::counter!("madang_openchat_screened_total").increment(1);
        let Some(reason) = judge(chat.screening, signals) else {
            return Ok(());
        };
        let flag = NewFlag {
            room: sent.room,
            seq: sent.seq,
            chat: chat.id,
            reason,
            score: (reason == FlagReason::LikeSpam).then_some(spam),
            by: self.screening_account().await?,
            at: self.now(),
        };
        if let Some(event) = self.repos.flag_message(flag).await? {
            metrics::counter!("madang_openchat_flagged_total", "reason" => reason.as_str()).increment(1);
            self.publish(Topic::Room(sent.room), Live::Event(event)).await;
        }
        Ok(())
    }

    /// The highest cosine of `text` to a message labelled spam and to one
    /// labelled fine; -1 for a side with no examples, and both without an
    /// embedder (or when it fails: screening then goes by the host's
    /// rules alone).
    async fn similarity(&self, text: &str) -> (f32, f32) {
        let none = (-1.0, -1.0);
        let Some(embedder) = self.screening_embedder() else {
            return none;
        };
        let (spam, fine) = match self.examples(embedder).await {
            Ok(indexes) => indexes,
            Err(e) => {
                tracing::warn!(error = %e, "could not embed the spam examples");
                return none;
            }
        };
        if spam.is_empty() {
            return none;
        }
        let vector = match embedder.embed(&[text.to_string()]).await {
            Ok(mut v) if v.len() == 1 => v.remove(0),
            Ok(_) => return none,
            Err(e) => {
                metrics::counter!("madang_openchat_screening_skipped_total", "reason" => "model_error")
                    .increment(1);
                tracing::warn!(error = %e, "screening could not embed a message");
                return none;
            }
        };
        let best = |index: &VectorIndex| {
            index
                .nearest(&vector, 1, |_| true)
                .first()
                .map_or(-1.0, |&(_, cosine)| cosine)
        };
        (best(&spam), best(&fine))
    }

    /// The labelled examples' indexes (spam, fine), read again when stale;
    /// only examples not seen before are embedded.
    async fn examples(
        &self,
        embedder: &Arc<dyn madang_ai::Embedder>,
    ) -> Result<(Arc<VectorIndex>, Arc<VectorIndex>)> {
        let mut ex = self.screening.examples.lock().await;
        if ex.read_at.is_some_and(|at| at.elapsed() < EXAMPLES_FRESH) {
            return Ok((ex.spam.clone(), ex.fine.clone()));
        }
        let rows = self.repos.examples().await?;
        let missing: Vec<String> = rows
            .iter()
            .filter(|r| !ex.vectors.contains_key(&r.text))
            .map(|r| r.text.clone())
            .collect();
        for batch in missing.chunks(32) {
            let vectors = embedder.embed(batch).await?;
            ex.vectors.extend(batch.iter().cloned().zip(vectors));
        }
        let dims = embedder.dims();
        let side = |spam: bool| {
            let items = rows
                .iter()
                .filter(|r| r.spam == spam)
                .filter_map(|r| Some((r.id, ex.vectors.get(&r.text)?.clone())));
            Arc::new(VectorIndex::new(dims, items))
        };
        let (spam, fine) = (side(true), side(false));
        let kept: std::collections::HashSet<&str> = rows.iter().map(|r| r.text.as_str()).collect();
        ex.vectors.retain(|text, _| kept.contains(text.as_str()));
        ex.spam = spam.clone();
        ex.fine = fine.clone();
        ex.read_at = Some(Instant::now());
        Ok((spam, fine))
    }

    /// Whether messages here are compared with labelled spam.
    async fn model_signal(&self) -> bool {
        let Some(embedder) = self.screening_embedder() else {
            return false;
        };
        self.examples(embedder)
            .await
            .is_ok_and(|(spam, _)| !spam.is_empty())
    }

    /// A group open chat's screening (hosts and co-hosts).
    pub async fn screening(&self, me: &Session, id: OpenChatId) -> Result<ScreeningSettings> {
        let (chat, _, _) = self.chat_moderator(me, id).await?;
        self.screening_settings(chat.id, chat.screening).await
    }

    async fn screening_settings(&self, chat: OpenChatId, mode: Screening) -> Result<ScreeningSettings> {
        Ok(ScreeningSettings {
            mode,
            model_signal: self.model_signal().await,
            pending: self.repos.pending_flag_count(chat).await?,
        })
    }

    /// Sets how much screening does in a group open chat (hosts and
    /// co-hosts, like banned words).
    pub async fn set_screening(
        &self,
        me: &Session,
        id: OpenChatId,
        mode: Screening,
    ) -> Result<ScreeningSettings> {
        let (chat, _, _) = self.chat_moderator(me, id).await?;
        if chat.room_id.is_none() {
            return Err(Error::invalid(
                "not_a_group",
                "only a group open chat is screened",
            ));
        }
        self.repos.set_screening(chat.id, mode).await?;
        self.screening_settings(chat.id, mode).await
    }

    /// Messages screening hid that wait for review, newest first (hosts
    /// and co-hosts).
    pub async fn flagged_messages(&self, me: &Session, id: OpenChatId) -> Result<Vec<FlaggedMessage>> {
        let (chat, _, _) = self.chat_moderator(me, id).await?;
        let rows = self.repos.pending_flags(chat.id, FLAGGED_PAGE).await?;
        Ok(rows
            .into_iter()
            .map(|f| FlaggedMessage {
                room_id: f.room,
                seq: f.seq,
                sender_id: f.sender_shown,
                nickname: f.nickname,
                text: f.text,
                reason: f.reason,
                score: f.score,
                flagged_at: f.flagged_at,
            })
            .collect())
    }

    /// A host's or co-host's decision on a flagged message: spam keeps it
    /// hidden, fine shows it again (as restoring it does).
    pub async fn review_flag(
        &self,
        me: &Session,
        id: OpenChatId,
        seq: Seq,
        verdict: FlagVerdict,
    ) -> Result<()> {
        let (chat, _, _) = self.chat_moderator(me, id).await?;
        let room = chat.room_id.ok_or(Error::NotFound("flag"))?;
        match verdict {
            FlagVerdict::Fine => self.restore_message(me, room, seq).await,
            FlagVerdict::Spam => {
                if !self.repos.confirm_flag(room, seq, self.now()).await? {
                    return Err(Error::NotFound("flag"));
                }
                metrics::counter!("madang_openchat_flag_reviews_total", "verdict" => "spam").increment(1);
                Ok(())
            }
        }
    }

    /// The operator's labelled examples, oldest first.
    pub async fn spam_labels(&self, who: &Authority) -> Result<Vec<SpamLabel>> {
        self.operator(who).await?;
        Ok(self.repos.examples().await?.into_iter().map(spam_label).collect())
    }

    /// Labels a message as spam or fine for screening (operators).
    pub async fn label_spam(&self, who: &Authority, req: SpamLabelRequest) -> Result<SpamLabel> {
        self.operator(who).await?;
        let text = req.text.trim();
        if text.is_empty() {
            return Err(Error::invalid("empty_text", "label a message with some text"));
        }
        if text.chars().count() > EXAMPLE_CHARS {
            return Err(Error::TooLarge {
                what: "an example",
                limit: EXAMPLE_CHARS,
            });
        }
        let at = self.now();
        let id = self.repos.label_example(text, req.spam, at).await?;
        self.screening.examples.lock().await.read_at = None;
        Ok(spam_label(SpamExample {
            id,
            text: text.to_string(),
            spam: req.spam,
            added_at: at,
        }))
    }

    /// Takes a labelled example away (operators).
    pub async fn remove_spam_label(&self, who: &Authority, id: i64) -> Result<()> {
        self.operator(who).await?;
        if !self.repos.remove_example(id).await? {
            return Err(Error::NotFound("example"));
        }
        self.screening.examples.lock().await.read_at = None;
        Ok(())
    }
}

fn spam_label(e: SpamExample) -> SpamLabel {
    SpamLabel {
        id: e.id,
        text: e.text,
        spam: e.spam,
        added_at: e.added_at,
    }
}

/// Screens the messages this node took, one at a time, until stopped.
pub(crate) async fn run(core: Arc<Core>, stop: watch::Receiver<bool>) {
    let work = |sent| core.screen(sent);
    core.screening.queue.serve("screening", stop, work).await;
}
#[cfg(test)]
mod tests {
    use super::*;

    fn signals(spam: f32, fine: f32) -> Signals {
        Signals {
            spam,
            fine,
            has_link: false,
            newcomer: false,
            scale: madang_ai::Scale::MINILM,
        }
    }

    #[test]
    fn close_to_spam_and_not_to_anything_fine_is_held() {
        assert_eq!(
            judge(Screening::Model, signals(0.9, 0.3)),
            Some(FlagReason::LikeSpam)
        );
        assert_eq!(judge(Screening::Model, signals(0.9, 0.88)), None);
        assert_eq!(judge(Screening::Model, signals(0.6, -1.0)), None);
        assert_eq!(judge(Screening::Off, signals(0.99, -1.0)), None);
    }

    #[test]
    fn a_strict_room_holds_newcomers_links() {
        let link = Signals {
            has_link: true,
            newcomer: true,
            ..signals(-1.0, -1.0)
        };
        assert_eq!(judge(Screening::Strict, link), Some(FlagReason::NewcomerLink));
        assert_eq!(judge(Screening::Model, link), None);
        let regular = Signals {
            newcomer: false,
            ..link
        };
        assert_eq!(judge(Screening::Strict, regular), None);
    }
}
