//! Web Push: a device's subscription, a person's preview level, and who is
//! pushed for what. A device is pushed an event it would otherwise miss:
//! it has no live socket when the event is expanded (`job.rs`), or its
//! socket did not acknowledge the event within `push_grace_ms`
//! (`live.rs`). What a notification may show is decided in `payload.rs`.
//!
//! The database is the truth (invariant 12): a pushable event leaves a row
//! in `push_outbox` in its own transaction; the job turns it into one
//! pending push per device and room (`push_queue`), where further events
//! join it until it is sent, so a burst is one notification.

pub(crate) mod job;
pub mod live;
pub(crate) mod payload;

use crate::{Core, Error, Result, Session};
use madang_outbound::{Subscription, SubscriptionError, WebPush};
use madang_store::{PushCandidate, PushSubscriptionRow, PushWish, StoredMessage};
pub use madang_types::push::PushPreview as Preview;
use madang_types::{Millis, RoomId, Seq, UserId};
use std::sync::Arc;

/// A browser subscription as a client gives it.
#[derive(Clone, Debug)]
pub struct NewSubscription {
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
}

/// The node's push machinery: the signer and sender, when push is on, and
/// the live sockets of this node.
pub struct PushService {
    pub(crate) sender: Option<Arc<WebPush>>,
    pub(crate) live: live::LiveSockets,
    /// Wakes the push job when this node commits a pushable event.
    pub(crate) wake: tokio::sync::Notify,
}

impl PushService {
    pub fn new(sender: Option<Arc<WebPush>>) -> Self {
        PushService {
            sender,
            live: live::LiveSockets::new(),
            wake: tokio::sync::Notify::new(),
        }
    }
}

/// Whether a member is pushed for a message, and how urgently: a mention
/// of them, or a reply to what they wrote (a comment under it is one), is
/// urgent and passes a mute; anything else passes only an unmuted room,
/// and a comment reaches no one else. `None`: not pushed.
pub(crate) fn wants(
    member_shown: UserId,
    muted: bool,
    message: &StoredMessage,
    replied_to: Option<UserId>,
) -> Option<bool> {
    let urgent = message.mentions.contains(&member_shown) || replied_to == Some(member_shown);
    if (muted || message.thread_root.is_some()) && !urgent {
        return None;
    }
    Some(urgent)
}

impl Core {
    fn push_sender(&self) -> Result<&Arc<WebPush>> {
        self.push
            .sender
            .as_ref()
            .ok_or(Error::FeatureOff("push notifications"))
    }

    /// The public VAPID key browsers subscribe with (`applicationServerKey`).
    pub fn push_public_key(&self) -> Result<String> {
        Ok(self.push_sender()?.key().public_base64())
    }

    /// Subscribes the caller's device, replacing its subscription.
    pub async fn put_push_subscription(&self, me: &Session, new: NewSubscription) -> Result<()> {
        let sender = self.push_sender()?;
        let subscription = Subscription {
            endpoint: new.endpoint.trim().to_owned(),
            p256dh: new.p256dh.trim().to_owned(),
            auth: new.auth.trim().to_owned(),
        };
        if subscription.endpoint.len() > 2048
            || subscription.p256dh.len() > 200
            || subscription.auth.len() > 100
        {
            return Err(Error::invalid(
                "push_subscription_too_long",
                "the subscription is too long",
            ));
        }
        sender.check(&subscription).map_err(|e| match &e {
            SubscriptionError::Refused(_) => Error::invalid(e.code(), e.to_string()),
            SubscriptionError::Keys(_) => Error::invalid(e.code(), e.to_string()),
        })?;
        self.repos
            .put_push_subscription(&PushSubscriptionRow {
                device_id: me.device,
                user_id: me.user,
                endpoint: subscription.endpoint,
                p256dh: subscription.p256dh,
                auth: subscription.auth,
                created_at: self.now(),
            })
            .await?;
        Ok(())
    }

    /// Unsubscribes the caller's device; `NotFound` when it had none.
    pub async fn delete_push_subscription(&self, me: &Session) -> Result<()> {
        if self.repos.delete_push_subscription(me.device).await? {
            Ok(())
        } else {
            Err(Error::NotFound("push_subscription"))
        }
    }

    /// Whether the caller's device is subscribed, and the account's
    /// preview level.
    pub async fn push_settings(&self, me: &Session) -> Result<(bool, Preview)> {
        let subscribed = self.repos.push_subscription(me.device).await?.is_some();
        let preview = self.repos.push_preview(me.user).await?;
        Ok((subscribed, Preview::parse(&preview).unwrap_or(Preview::Full)))
    }

    pub async fn set_push_preview(&self, me: &Session, preview: Preview) -> Result<()> {
        self.repos.set_push_preview(me.user, preview.as_str()).await?;
        Ok(())
    }

    /// Queues a test notification to the caller's device.
    pub async fn test_push(&self, me: &Session) -> Result<()> {
        self.push_sender()?;
        if self.repos.push_subscription(me.device).await?.is_none() {
            return Err(Error::NotFound("push_subscription"));
        }
        let now = self.now();
        // Room 0 is no room: the test. Its "seq" is the time, so each test
        // is a new one.
        self.repos
            .wish_push(&PushWish {
                device_id: me.device,
                user_id: me.user,
                room_id: RoomId(0),
                seq: Seq(now.0),
                urgent: true,
                at: now,
                due_at: now,
            })
            .await?;
        self.push.wake.notify_one();
        Ok(())
    }

    /// Called after this node commits a pushable event: the outbox job
    /// expands it into pushes and webhook deliveries.
    pub(crate) fn push_soon(&self) {
        if self.push.sender.is_some() || self.webhooks.sender.is_some() {
            self.push.wake.notify_one();
        }
    }

    /// The message an event is, and whose message it replied to (or, for a
    /// comment without a reply, commented under).
    pub(crate) async fn pushed_message(
        &self,
        room: RoomId,
        seq: Seq,
    ) -> Result<Option<(StoredMessage, Option<UserId>)>> {
        let Some(message) = self.repos.message(room, seq).await? else {
            return Ok(None);
        };
        let replied_to = match message.reply_to.or(message.thread_root) {
            Some(target) => self.repos.message(room, target).await?.map(|m| m.sender_id),
            None => None,
        };
        Ok(Some((message, replied_to)))
    }

    /// The wishes for `candidates` to be pushed `message`.
    pub(crate) fn wishes(
        &self,
        candidates: &[PushCandidate],
        message: &(StoredMessage, Option<UserId>),
        now: Millis,
    ) -> Vec<PushWish> {
        let (message, replied_to) = message;
        candidates
            .iter()
            .filter_map(|c| {
                let urgent = wants(c.shown_id, c.muted, message, *replied_to)?;
                Some(PushWish {
                    device_id: c.device_id,
                    user_id: c.user_id,
                    room_id: message.room_id,
                    seq: message.seq,
                    urgent,
                    at: message.created_at,
                    due_at: Millis(now.0 + self.limits.push_coalesce_ms),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use madang_types::ClientMsgId;
    use madang_types::api::MessageKind;

    fn message(mentions: Vec<UserId>) -> StoredMessage {
        StoredMessage {
            room_id: RoomId(1),
            seq: Seq(5),
            sender_id: UserId(9),
            client_id: ClientMsgId("c".into()),
            kind: MessageKind::Text,
            text: "hi".into(),
            reply_to: None,
            mentions,
            attachment: None,
            pung_id: None,
            created_at: Millis(0),
            edited_at: None,
            deleted_at: None,
            hidden_at: None,
            campaign_id: None,
            thread_root: None,
            thread_seq: None,
            comment_count: 0,
            by_assistant: false,
            import_id: None,
            imported_name: None,
            buttons: Vec::new(),
        }
    }

    #[test]
    fn a_mute_lets_only_mentions_and_replies_through() {
        let me = UserId(2);
        assert_eq!(wants(me, false, &message(vec![]), None), Some(false));
        assert_eq!(wants(me, true, &message(vec![]), None), None);
        assert_eq!(wants(me, true, &message(vec![me]), None), Some(true));
        assert_eq!(wants(me, true, &message(vec![UserId(3)]), None), None);
        assert_eq!(wants(me, true, &message(vec![]), Some(me)), Some(true));
        assert_eq!(wants(me, false, &message(vec![]), Some(me)), Some(true));
    }

    #[test]
    fn a_comment_reaches_only_the_root_author_and_those_mentioned() {
        let me = UserId(2);
        let comment = |mentions| StoredMessage {
            thread_root: Some(Seq(3)),
            thread_seq: Some(Seq(1)),
            ..message(mentions)
        };
        assert_eq!(wants(me, false, &comment(vec![]), None), None);
        assert_eq!(wants(me, false, &comment(vec![]), Some(UserId(3))), None);
        assert_eq!(wants(me, false, &comment(vec![]), Some(me)), Some(true));
        assert_eq!(wants(me, true, &comment(vec![]), Some(me)), Some(true));
        assert_eq!(wants(me, false, &comment(vec![me]), None), Some(true));
    }
}
