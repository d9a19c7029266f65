//! A bot's outgoing webhook (or a channel's, kept as the webhook of an
//! account made for the channel): where its events are posted, signed
//! (`madang_outbound::webhook`), from a durable queue (invariant 12).
//!
//! A message becomes deliveries when the outbox job expands it (the
//! outbox row was written with the message); a button press queues its
//! delivery as it is taken. The job here claims, per bot and room, only
//! the oldest waiting delivery, so a room's events arrive in order; it
//! retries with backoff, the same delivery id each time, and after
//! [`RETRY_WINDOW_MS`] of failures turns the webhook off, drops what
//! waited, and tells the bot's owner in their 1:1 chat with the bot.

use crate::{Core, Error, Result, Session};
use futures::StreamExt;
use madang_outbound::Webhooks;
use madang_store::{DeliveryMark, DueDelivery, NewDelivery, StoreError, StoredMessage, WebhookRow};
use madang_types::api::{BotUpdate, SetWebhookRequest, Webhook};
use madang_types::{ChannelId, ClientMsgId, DeviceId, Millis, UserId};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How long deliveries may keep failing before the webhook is turned off.
pub const RETRY_WINDOW_MS: i64 = 24 * 3600 * 1000;
/// How often the job looks at the queue when nothing woke it.
const POLL: Duration = Duration::from_millis(500);
/// How long a claim is held (longer than a try can take).
const LEASE_MS: i64 = 60_000;
/// Deliveries claimed per round, and in flight at once.
const BATCH: i64 = 256;
const IN_FLIGHT: usize = 32;

/// The node's webhook sender, when webhooks are on.
pub struct WebhookService {
    pub(crate) sender: Option<Webhooks>,
    pub(crate) wake: tokio::sync::Notify,
}

impl WebhookService {
    pub fn new(sender: Option<Webhooks>) -> Self {
        WebhookService {
            sender,
            wake: tokio::sync::Notify::new(),
        }
    }
}

/// A delivery's id: unique, and the same on every try.
pub(crate) fn delivery_id() -> String {
    format!("msg_{:032x}", rand::random::<u128>())
}

fn shown(row: WebhookRow, pending: i64, secret: bool) -> Webhook {
    Webhook {
        url: row.url,
        secret: secret.then_some(row.secret),
        created_at: row.created_at,
        disabled_at: row.disabled_at,
        last_error: row.last_error,
        pending,
    }
}

impl Core {
    fn webhook_sender(&self) -> Result<&Webhooks> {
        self.webhooks.sender.as_ref().ok_or(Error::FeatureOff("webhooks"))
    }

    /// Sets a bot's webhook (its owner, or the bot itself), with a new
    /// secret; one that was turned off is on again.
    pub async fn set_webhook(&self, me: &Session, bot: UserId, req: SetWebhookRequest) -> Result<Webhook> {
        self.webhook_sender()?;
        self.bot_for(me, bot).await?;
        self.put_webhook(bot, req).await
    }

    async fn put_webhook(&self, bot: UserId, req: SetWebhookRequest) -> Result<Webhook> {
        let sender = self.webhook_sender()?;
        let url = req.url.trim().to_owned();
        if url.len() > 2048 {
            return Err(Error::invalid("endpoint_malformed", "the URL is too long"));
        }
        sender
            .check(&url)
            .map_err(|e| Error::invalid(e.code(), e.to_string()))?;
        let row = WebhookRow {
            bot_id: bot,
            url,
            secret: madang_outbound::webhook::new_secret(),
            created_at: self.now(),
            disabled_at: None,
            last_error: None,
        };
        self.repos.set_webhook(&row).await?;
        Ok(shown(row, 0, true))
    }

    /// A bot's webhook, without its secret.
    pub async fn webhook(&self, me: &Session, bot: UserId) -> Result<Webhook> {
        self.bot_for(me, bot).await?;
        self.webhook_of(bot).await
    }

    async fn webhook_of(&self, bot: UserId) -> Result<Webhook> {
        let (row, pending) = self.repos.webhook(bot).await?.ok_or(Error::NotFound("webhook"))?;
        Ok(shown(row, pending, false))
    }

    pub async fn delete_webhook(&self, me: &Session, bot: UserId) -> Result<()> {
        self.bot_for(me, bot).await?;
        self.drop_webhook(bot).await
    }

    async fn drop_webhook(&self, bot: UserId) -> Result<()> {
        if self.repos.delete_webhook(bot).await? {
            Ok(())
        } else {
            Err(Error::NotFound("webhook"))
        }
    }

    /// Sets a channel's webhook (its business's owner): the messages of
    /// every room of the channel, its customers' and its own, are posted
    /// there. It is kept as the webhook of an account made for it.
    pub async fn set_channel_webhook(
        &self,
        me: &Session,
        channel: ChannelId,
        req: SetWebhookRequest,
    ) -> Result<Webhook> {
        self.webhook_sender()?;
        let row = self.channel_as_owner(me, channel).await?;
        let bot = match self.repos.channel_hook(channel).await? {
            Some(bot) => bot,
            None => {
                let name: String = row
                    .name
                    .chars()
                    .take(self.limits.max_display_name_chars)
                    .collect();
                let handle = format!("chan_{:012x}", rand::random::<u64>() >> 16);
                let made = self.create_bot_account(me.user, name, handle).await?;
                match self.repos.set_channel_hook(channel, made.id).await {
                    Ok(()) => made.id,
                    // Set at the same moment by another request: theirs.
                    Err(StoreError::Conflict(_)) => self
                        .repos
                        .channel_hook(channel)
                        .await?
                        .ok_or(Error::NotFound("channel"))?,
                    Err(e) => return Err(e.into()),
                }
            }
        };
        self.put_webhook(bot, req).await
    }

    pub async fn channel_webhook(&self, me: &Session, channel: ChannelId) -> Result<Webhook> {
        let bot = self.channel_hook_for_owner(me, channel).await?;
        self.webhook_of(bot).await
    }

    pub async fn delete_channel_webhook(&self, me: &Session, channel: ChannelId) -> Result<()> {
        let bot = self.channel_hook_for_owner(me, channel).await?;
        self.drop_webhook(bot).await
    }

    /// The account a channel's webhook is kept under, for the channel's
    /// owner; `webhook_not_found` when it has none.
    async fn channel_hook_for_owner(&self, me: &Session, channel: ChannelId) -> Result<UserId> {
        self.channel_as_owner(me, channel).await?;
        self.repos
            .channel_hook(channel)
            .await?
            .ok_or(Error::NotFound("webhook"))
    }

    /// The deliveries of a message to the webhooks of the room's bots.
    pub(crate) async fn webhook_deliveries(&self, message: &StoredMessage) -> Result<Vec<NewDelivery>> {
        if self.webhooks.sender.is_none() {
            return Ok(Vec::new());
        }
        let bots = self.repos.webhook_bots(message.room_id, message.seq).await?;
        if bots.is_empty() {
            return Ok(Vec::new());
        }
        let update = BotUpdate::Event {
            event: message.clone().into_event(0),
        };
        let body = serde_json::to_string(&update).map_err(|e| Error::Internal(Box::new(e)))?;
        let at = self.now();
        Ok(bots
            .into_iter()
            .map(|bot| NewDelivery {
                delivery_id: delivery_id(),
                bot_id: bot,
                room_id: message.room_id,
                body: body.clone(),
                at,
            })
            .collect())
    }

    /// Tells a bot's owner, in their 1:1 chat with it, that its webhook
    /// was turned off.
    async fn tell_owner_webhook_off(&self, bot: UserId, error: &str, at: Millis) -> Result<()> {
        let Some(row) = self.repos.user(bot).await? else {
            return Ok(());
        };
        let Some(owner) = row.bot_owner else {
            return Ok(());
        };
        let url = self
            .repos
            .webhook(bot)
            .await?
            .map(|(w, _)| w.url)
            .unwrap_or_default();
        let me = Session {
            user: bot,
            device: DeviceId(0),
            bot: true,
        };
        let room = self.open_direct(&me, owner).await?;
        let text = format!(
            "웹훅을 껐어요: 24시간 동안 전달하지 못했어요 ({error}). 더 보기 → 봇에서 다시 설정하세요.\n\
             Webhook turned off: deliveries to {url} failed for 24 hours ({error}). Set it again in More → Bots."
        );
        let client_id = ClientMsgId(format!("webhook-off:{}:{}", bot.0, at.0));
        let new = madang_store::NewMessage::text(room.id, bot, bot, client_id, text, at);
        self.append(&me, new).await?;
        Ok(())
    }
}

pub(crate) async fn run(core: Arc<Core>, mut stop: watch::Receiver<bool>) {
    if core.webhooks.sender.is_none() {
        return;
    }
    let mut last_depth: Option<Instant> = None;
    loop {
        if last_depth.is_none_or(|t| t.elapsed() >= Duration::from_secs(5)) {
            if let Ok(depth) = core.repos.delivery_queue_depth().await {
                metrics::gauge!("madang_webhook_queue_depth").set(depth as f64);
            }
            last_depth = Some(Instant::now());
        }
        if let Err(e) = round(&core).await {
            metrics::counter!("madang_job_errors_total", "job" => "webhooks").increment(1);
            tracing::warn!(error = %e, "webhook round failed; retrying");
        }
        tokio::select! {
            _ = core.webhooks.wake.notified() => {}
            _ = tokio::time::sleep(POLL) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Tries what is due until nothing is.
async fn round(core: &Arc<Core>) -> Result<()> {
    loop {
        let now = core.now();
        let due = core
            .repos
            .claim_deliveries(now, Millis(now.0 + LEASE_MS), BATCH)
            .await?;
        if due.is_empty() {
            return Ok(());
        }
        let marks: Vec<DeliveryMark> = futures::stream::iter(due)
            .map(|d| {
                let core = core.clone();
                async move { try_one(&core, d).await }
            })
            .buffer_unordered(IN_FLIGHT)
            .collect()
            .await;
        core.repos.mark_deliveries(&marks).await?;
        for mark in &marks {
            if let DeliveryMark::Disable { bot, at, error } = mark {
                tracing::warn!(bot = %bot, error, "webhook turned off after its retry window");
                metrics::counter!("madang_webhooks_disabled_total").increment(1);
                if let Err(e) = core.tell_owner_webhook_off(*bot, error, *at).await {
                    tracing::warn!(bot = %bot, error = %e, "could not tell the owner their webhook is off");
                }
            }
        }
    }
}

/// Tries one delivery; what came of it.
async fn try_one(core: &Core, d: DueDelivery) -> DeliveryMark {
    let Some(sender) = core.webhooks.sender.as_ref() else {
        return DeliveryMark::Delivered { id: d.id };
    };
    let started = core.now();
    let answer = sender
        .post(
            &d.url,
            &d.secret,
            &d.delivery_id,
            started.0 / 1000,
            d.body.into_bytes(),
        )
        .await;
    let (error, retry_after) = match answer {
        Ok(a) if (200..300).contains(&a.status) => {
            metrics::counter!("madang_webhook_deliveries_total", "result" => "delivered").increment(1);
            return DeliveryMark::Delivered { id: d.id };
        }
        Ok(a) => (format!("HTTP {}", a.status), a.retry_after),
        Err(e) => (e.to_string(), None),
    };
    metrics::counter!("madang_webhook_deliveries_total", "result" => "failed").increment(1);
    // Times count from when the try began, however long it took.
    let first = d.first_failed_at.unwrap_or(started);
    if started.0 - first.0 >= RETRY_WINDOW_MS {
        return DeliveryMark::Disable {
            bot: d.bot_id,
            at: core.now(),
            error,
        };
    }
    // A receiver may ask to wait (Retry-After), up to an hour.
    let asked = retry_after.unwrap_or_default().min(Duration::from_secs(3600));
    let wait = madang_outbound::backoff(d.attempts - 1).max(asked);
    DeliveryMark::Later {
        id: d.id,
        bot: d.bot_id,
        due_at: Millis(started.0 + wait.as_millis() as i64),
        failed_at: started,
        error,
    }
}
