//! Subscription rooms: the host defines paid tiers; when the host requires
//! it, joining needs an active subscription, and members whose
//! subscription ends leave the room. Payments go through the payment
//! provider and land in the ledger, shared between host and operator.
//!
//! A subscription renews at the end of each paid period until cancelled;
//! the renewal job on every node claims due subscriptions with a lease, and
//! the provider's idempotency key (`sub:{id}:{period}`) makes a charge
//! happen once even if two nodes tried it.

use super::shared_payment;
use crate::{Core, Error, Result, Session};
use madang_store::{NewSubscription, NewTier, OpenChatRow, Posting, StoreError, SubscriptionRow, TierRow};
use madang_types::earnings::{
    CreateTierRequest, SubscribeRequest, Subscription, SubscriptionSettings, Tier, Tiers,
};
use madang_types::openchat::Visibility;
use madang_types::{Millis, OpenChatId, TierId};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

use super::payments::{ChargeRequest, PaymentError};

const DAY_MS: i64 = 86_400_000;
/// How long a node holds a claimed renewal before another may retry it.
const RENEWAL_LEASE_MS: i64 = 5 * 60_000;
const PERIODS: [i64; 3] = [7, 30, 365];

impl From<PaymentError> for Error {
    fn from(e: PaymentError) -> Self {
        match e {
            PaymentError::Declined(why) => Error::PaymentDeclined(why),
            PaymentError::UnknownMethod => Error::invalid(
                "unknown_payment_method",
                "the payment provider does not know this payment method",
            ),
            PaymentError::Unavailable(why) => Error::Unavailable(why),
        }
    }
}

impl Core {
    fn tier_view(&self, t: &TierRow) -> Tier {
        Tier {
            id: t.id,
            open_chat_id: t.open_chat_id,
            name: t.name.clone(),
            description: t.description.clone(),
            price: t.price,
            currency: self.limits.currency.clone(),
            period_days: t.period_days,
            retired: t.retired_at.is_some(),
        }
    }

    fn subscription_view(&self, s: &SubscriptionRow, tier: Option<&TierRow>) -> Subscription {
        Subscription {
            open_chat_id: s.open_chat_id,
            tier_id: s.tier_id,
            tier_name: tier.map(|t| t.name.clone()).unwrap_or_default(),
            price: tier.map_or(0, |t| t.price),
            currency: self.limits.currency.clone(),
            started_at: s.started_at,
            period_end: s.period_end,
            renews: s.renews,
            active: s.period_end > self.now(),
        }
    }

    /// An open chat the caller may see: public, one they are in, or one
    /// whose link code they give.
    async fn visible_chat(&self, me: &Session, id: OpenChatId, link: Option<&str>) -> Result<OpenChatRow> {
        let chat = self
            .repos
            .open_chat(id)
            .await?
            .ok_or(Error::NotFound("open_chat"))?;
        let shown = chat.visibility == Visibility::Public
            || link == Some(chat.link_code.as_str())
            || chat.host_id == me.user
            || self.my_open_membership(me, &chat).await?.is_some();
        if !shown || chat.closed_at.is_some() && chat.host_id != me.user {
            return Err(Error::NotFound("open_chat"));
        }
        Ok(chat)
    }

    /// Whether `user` has paid for now.
    pub(crate) async fn subscribed(&self, chat: OpenChatId, user: madang_types::UserId) -> Result<bool> {
        Ok(self
            .repos
            .subscription(chat, user)
            .await?
            .is_some_and(|s| s.period_end > self.now()))
    }

    /// An open chat's tiers, with the caller's subscription.
    pub async fn tiers(&self, me: &Session, id: OpenChatId, link: Option<&str>) -> Result<Tiers> {
        let chat = self.visible_chat(me, id, link).await?;
        let rows = self.repos.tiers(id).await?;
        let mine = self.repos.subscription(id, me.user).await?;
        let mine = mine.map(|s| {
            let tier = rows.iter().find(|t| t.id == s.tier_id);
            self.subscription_view(&s, tier)
        });
        Ok(Tiers {
            subscription_required: chat.subscription_required,
            tiers: rows
                .iter()
                .filter(|t| t.retired_at.is_none() || mine.as_ref().is_some_and(|m| m.tier_id == t.id))
                .map(|t| self.tier_view(t))
                .collect(),
            mine,
        })
    }

    /// The host adds a paid tier.
    pub async fn create_tier(&self, me: &Session, id: OpenChatId, req: CreateTierRequest) -> Result<Tier> {
        let chat = self.hosted_chat(me, id).await?;
        if chat.closed_at.is_some() {
            return Err(Error::refused("room_closed", "this open chat has closed"));
        }
        let name = req.name.trim();
        if name.is_empty() || name.chars().count() > 30 {
            return Err(Error::invalid(
                "invalid_tier_name",
                "a tier's name is 1–30 characters",
            ));
        }
        let description = req.description.trim();
        if description.chars().count() > 300 {
            return Err(Error::invalid(
                "invalid_description",
                "a tier's description is at most 300 characters",
            ));
        }
        let (min, max) = (self.limits.min_tier_price, self.limits.max_tier_price);
        if !(min..=max).contains(&req.price) {
            return Err(Error::invalid(
                "invalid_price",
                format!("a tier costs {min}–{max} {}", self.limits.currency),
            ));
        }
        if !PERIODS.contains(&req.period_days) {
            return Err(Error::invalid(
                "invalid_period",
                "a tier renews every 7, 30 or 365 days",
            ));
        }
        let live = self
            .repos
            .tiers(id)
            .await?
            .iter()
            .filter(|t| t.retired_at.is_none())
            .count();
        if live >= self.limits.max_tiers {
            return Err(Error::refused(
                "too_many_tiers",
                format!("an open chat offers at most {} tiers", self.limits.max_tiers),
            ));
        }
        let row = self
            .repos
            .create_tier(NewTier {
                open_chat_id: id,
                name: name.to_owned(),
                description: description.to_owned(),
                price: req.price,
                period_days: req.period_days,
                at: self.now(),
            })
            .await?;
        Ok(self.tier_view(&row))
    }

    /// The host stops selling a tier; its subscribers keep it, renewing,
    /// until they cancel.
    pub async fn retire_tier(&self, me: &Session, id: OpenChatId, tier: TierId) -> Result<()> {
        self.hosted_chat(me, id).await?;
        let row = self.repos.tier(tier).await?.filter(|t| t.open_chat_id == id);
        if row.is_none() || !self.repos.retire_tier(tier, self.now()).await? {
            return Err(Error::NotFound("tier"));
        }
        Ok(())
    }

    /// The host makes joining need a subscription, or not.
    pub async fn set_subscription_settings(
        &self,
        me: &Session,
        id: OpenChatId,
        req: SubscriptionSettings,
    ) -> Result<Tiers> {
        let chat = self.hosted_chat(me, id).await?;
        if chat.room_id.is_none() {
            return Err(Error::invalid(
                "not_group",
                "only a group open chat can be a subscription room",
            ));
        }
        if req.subscription_required {
            let any = self.repos.tiers(id).await?.iter().any(|t| t.retired_at.is_none());
            if !any {
                return Err(Error::invalid(
                    "no_tiers",
                    "add a tier before requiring a subscription",
                ));
            }
        }
        self.repos
            .set_subscription_required(id, req.subscription_required)
            .await?;
        self.tiers(me, id, None).await
    }

    /// Refuses joining a subscription room without an active subscription.
    pub(crate) async fn check_subscription_entry(&self, me: &Session, chat: &OpenChatRow) -> Result<()> {
        if chat.subscription_required && !self.subscribed(chat.id, me.user).await? {
            return Err(Error::refused(
                "subscription_required",
                "subscribe to one of this open chat's tiers to join",
            ));
        }
        Ok(())
    }

    /// Pays for a tier and starts a subscription.
    pub async fn subscribe(
        &self,
        me: &Session,
        id: OpenChatId,
        req: SubscribeRequest,
        link: Option<&str>,
    ) -> Result<Subscription> {
        let chat = self.visible_chat(me, id, link).await?;
        if chat.closed_at.is_some() {
            return Err(Error::NotFound("open_chat"));
        }
        if chat.host_id == me.user {
            return Err(Error::invalid("own_open_chat", "this is your own open chat"));
        }
        self.refuse_if_suspended(me).await?;
        if self.repos.is_banned(id, me.user).await? {
            return Err(Error::refused("banned", "you were banned from this open chat"));
        }
        let tier = self
            .repos
            .tier(req.tier_id)
            .await?
            .filter(|t| t.open_chat_id == id)
            .ok_or(Error::NotFound("tier"))?;
        if tier.retired_at.is_some() {
            return Err(Error::refused(
                "tier_retired",
                "this tier takes no new subscribers",
            ));
        }
        if self.subscribed(id, me.user).await? {
            return Err(already_subscribed());
        }
        let now = self.now();
        // One key per attempt: an attempt that is not recorded is refunded,
        // so a key must never be shared with one that was.
        let key = format!("sub:{}:{}:{:016x}", id.0, me.user.0, rand::random::<u64>());
        let charge = self
            .payments
            .charge(ChargeRequest {
                payment_method: req.payment_method.clone(),
                amount: tier.price,
                currency: self.limits.currency.clone(),
                idempotency_key: key.clone(),
                description: format!("{} · {}", chat.title, tier.name),
            })
            .await?;
        let mut payment = self.subscription_payment(&chat, &tier, key, now);
        payment.memo = format!("charge {}", charge.id);
        let started = self
            .repos
            .start_subscription(NewSubscription {
                open_chat_id: id,
                tier_id: tier.id,
                user_id: me.user,
                payment_method: req.payment_method,
                period_end: Millis(now.0 + tier.period_days * DAY_MS),
                payment,
            })
            .await;
        let row = match started {
            Ok(row) => row,
            Err(e) => {
                // Not recorded: give the money back.
                self.refund(&charge.id).await;
                return Err(match e {
                    StoreError::Conflict(_) => already_subscribed(),
                    e => e.into(),
                });
            }
        };
        metrics::counter!("madang_subscriptions_started_total").increment(1);
        Ok(self.subscription_view(&row, Some(&tier)))
    }

    fn subscription_payment(
        &self,
        chat: &OpenChatRow,
        tier: &TierRow,
        key: String,
        at: Millis,
    ) -> madang_store::NewTxn {
        let from = Posting {
            account: format!("provider:{}", self.payments.name()),
            may_go_negative: true,
            amount: -tier.price,
        };
        shared_payment(
            "subscription",
            key,
            chat.id,
            from,
            chat.host_id,
            self.limits.subscription_host_share_percent,
            at,
        )
    }

    /// Gives back a charge that was not recorded. A failure is logged for
    /// the operator: the provider holds money the ledger does not show.
    async fn refund(&self, charge: &str) {
        metrics::counter!("madang_payment_refunds_total").increment(1);
        if let Err(e) = self.payments.refund(charge).await {
            metrics::counter!("madang_payment_refund_errors_total").increment(1);
            tracing::error!(charge, error = %e, "refunding an unrecorded charge failed");
        }
    }

    /// Stops renewing the caller's subscription; paid time stays.
    pub async fn cancel_subscription(&self, me: &Session, id: OpenChatId) -> Result<Subscription> {
        if !self.repos.stop_renewing(id, me.user, "cancelled").await? {
            return Err(Error::NotFound("subscription"));
        }
        let row = self
            .repos
            .subscription(id, me.user)
            .await?
            .ok_or(Error::NotFound("subscription"))?;
        let tier = self.repos.tier(row.tier_id).await?;
        Ok(self.subscription_view(&row, tier.as_ref()))
    }

    /// One pass of the renewal job: charges subscriptions due, stops those
    /// that cannot renew, and takes members whose subscription ended out
    /// of subscription rooms. Returns how many were renewed.
    pub async fn renew_subscriptions(&self) -> Result<usize> {
        let now = self.now();
        let due = self
            .repos
            .claim_due_renewals(now, Millis(now.0 + RENEWAL_LEASE_MS), 100)
            .await?;
        let mut renewed = 0;
        for sub in due {
            let chat = self.repos.open_chat(sub.open_chat_id).await?;
            let tier = self.repos.tier(sub.tier_id).await?;
            let (Some(chat), Some(tier)) = (chat, tier) else {
                self.repos
                    .stop_renewing(sub.open_chat_id, sub.user_id, "gone")
                    .await?;
                continue;
            };
            // A retired tier keeps its subscribers (it only stops selling);
            // a closed chat has nothing left to pay for.
            if chat.closed_at.is_some() {
                self.repos.stop_renewing(chat.id, sub.user_id, "closed").await?;
                continue;
            }
            let key = format!("sub:{}:period:{}", sub.id, sub.periods + 1);
            let charged = self
                .payments
                .charge(ChargeRequest {
                    payment_method: sub.payment_method.clone(),
                    amount: tier.price,
                    currency: self.limits.currency.clone(),
                    idempotency_key: key.clone(),
                    description: format!("{} · {}", chat.title, tier.name),
                })
                .await;
            match charged {
                Ok(charge) => {
                    // Paid time runs on from the end of the last period, or
                    // from now if the server was down past it.
                    let start = sub.period_end.max(now);
                    let mut payment = self.subscription_payment(&chat, &tier, key, now);
                    payment.memo = format!("charge {} (renewal)", charge.id);
                    let recorded = self
                        .repos
                        .renew(&sub, Millis(start.0 + tier.period_days * DAY_MS), payment)
                        .await;
                    match recorded {
                        Ok(true) => {
                            renewed += 1;
                            metrics::counter!("madang_subscriptions_renewed_total").increment(1);
                        }
                        // Cancelled (or renewed elsewhere) since the claim, or
                        // the write failed: the charge is not on the books,
                        // so it goes back.
                        other => {
                            self.refund(&charge.id).await;
                            other?;
                        }
                    }
                }
                Err(PaymentError::Unavailable(why)) => {
                    // The lease runs out and a later pass retries.
                    tracing::warn!(subscription = sub.id, %why, "renewal postponed");
                }
                Err(e) => {
                    tracing::info!(subscription = sub.id, error = %e, "renewal declined; the subscription ends");
                    self.repos.stop_renewing(chat.id, sub.user_id, "declined").await?;
                }
            }
        }
        for (room, user) in self.repos.lapsed_members(now, 100).await? {
            let events = self.repos.leave_open_room(room, user, now).await?;
            self.publish_room_events(&events).await;
            self.removed_from(user, room).await;
        }
        Ok(renewed)
    }
}

fn already_subscribed() -> Error {
    Error::Conflict {
        code: "already_subscribed",
        message: "you already have an active subscription here".into(),
    }
}

/// The renewal job: a pass at start-up, then every
/// `subscription_renewal_interval_ms`.
pub(crate) async fn run(core: Arc<Core>, stop: watch::Receiver<bool>) {
    let every = Duration::from_millis(core.limits.subscription_renewal_interval_ms.max(10));
    crate::jobs::repeat("subscription_renewal", every, stop, || {
        let core = core.clone();
        async move { core.renew_subscriptions().await.map(|_| ()) }
    })
    .await;
}
