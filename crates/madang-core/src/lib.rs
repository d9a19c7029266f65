//! The rules of Madang: every use case, its authorization and its limits,
//! plus the background jobs. Handlers authenticate and call one method here;
//! everything they may or may not do is decided in this crate (invariant 7).
//!
//! Deliberately absent: HTTP, JSON shapes of the wire, SQL dialects. Time
//! comes from the injected [`Clock`], never from the system directly.

pub mod accounts;
pub mod ai;
pub mod bots;
pub mod chat;
pub mod clock;
pub mod earnings;
pub mod error;
pub mod friends;
pub mod history;
pub mod jobs;
pub mod limits;
pub mod local;
pub mod media;
pub mod openchat;
pub mod pung;
pub mod push;
pub mod ratelimit;
pub mod safety;

use madang_bus::{Bus, Live, Topic};
use madang_store::{BlobStore, Repos};
use std::sync::Arc;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{Error, Kind, Refusal, Result, refusals};
pub use limits::Limits;

/// Who is calling: an authenticated device of an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Session {
    pub user: madang_types::UserId,
    pub device: madang_types::DeviceId,
    /// The account is a bot (signed in by its token).
    pub bot: bool,
}

/// Everything the use cases need, built once at start-up.
pub struct Deps {
    pub repos: Arc<dyn Repos>,
    pub blobs: BlobStore,
    pub bus: Arc<dyn Bus>,
    pub clock: Arc<dyn Clock>,
    pub limits: Limits,
    /// Takes subscription payments.
    pub payments: Arc<dyn earnings::payments::PaymentProvider>,
    /// The models of the AI features (none: the features answer `feature_off`).
    pub models: ai::Models,
    /// Signs and sends Web Push (none: push is off).
    pub push: Option<Arc<madang_outbound::WebPush>>,
    /// Posts to bots' webhooks (none: webhooks are off).
    pub webhooks: Option<madang_outbound::Webhooks>,
}

/// The use cases. Cheap to share: hold it in an `Arc`.
pub struct Core {
    repos: Arc<dyn Repos>,
    blobs: BlobStore,
    bus: Arc<dyn Bus>,
    clock: Arc<dyn Clock>,
    limits: Limits,
    payments: Arc<dyn earnings::payments::PaymentProvider>,
    models: ai::Models,
    assistant: ai::assistant::Assistant,
    channel_assistants: local::assistant::ChannelAssistants,
    screening: openchat::screening::Screener,
    rate: ratelimit::RateLimiter,
    reads: chat::reads::ReadCoalescer,
    flood: openchat::rules::FloodGuard,
    discovery: openchat::discovery::Discovery,
    /// Wakes the campaign sender when a campaign is made on this node.
    campaign_wake: tokio::sync::Notify,
    push: push::PushService,
    webhooks: bots::webhook::WebhookService,
}

impl Core {
    pub fn new(deps: Deps) -> Self {
        // Nodes sharing a database share the limits there.
        let shared = deps.bus.spans_nodes().then(|| deps.repos.clone());
        Core {
            rate: match &shared {
                Some(repos) => ratelimit::RateLimiter::shared(deps.clock.clone(), repos.clone()),
                None => ratelimit::RateLimiter::local(deps.clock.clone()),
            },
            flood: match shared {
                Some(repos) => openchat::rules::FloodGuard::shared(repos),
                None => openchat::rules::FloodGuard::local(),
            },
            reads: chat::reads::ReadCoalescer::default(),
            discovery: openchat::discovery::Discovery::default(),
            campaign_wake: tokio::sync::Notify::new(),
            push: push::PushService::new(deps.push),
            webhooks: bots::webhook::WebhookService::new(deps.webhooks),
            repos: deps.repos,
            blobs: deps.blobs,
            bus: deps.bus,
            clock: deps.clock,
            limits: deps.limits,
            payments: deps.payments,
            models: deps.models,
            assistant: ai::assistant::Assistant::default(),
            channel_assistants: local::assistant::ChannelAssistants::default(),
            screening: openchat::screening::Screener::default(),
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    pub fn bus(&self) -> &Arc<dyn Bus> {
        &self.bus
    }

    fn now(&self) -> madang_types::Millis {
        self.clock.now()
    }

    /// Publishes after a commit. A failure is logged and counted, never
    /// returned: the write is durable and receivers recover by seq.
    async fn publish(&self, topic: Topic, live: Live) {
        if let Err(e) = self.bus.publish(topic, live).await {
            metrics::counter!("madang_bus_publish_errors_total").increment(1);
            tracing::warn!(error = %e, ?topic, "publish failed; receivers will catch up from the database");
        }
    }
}
