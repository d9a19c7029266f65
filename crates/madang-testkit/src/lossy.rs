//! A bus that loses messages, to prove that receivers recover from the
//! database (invariant 9).

use async_trait::async_trait;
use madang_bus::{Bus, BusError, Live, LocalBus, Subscription, Topic};
use std::sync::atomic::{AtomicU64, Ordering};

/// Drops every `nth` room event it is asked to publish.
pub struct LossyBus {
    inner: LocalBus,
    nth: u64,
    seen: AtomicU64,
    pub dropped: AtomicU64,
}

impl LossyBus {
    pub fn new(nth: u64) -> Self {
        LossyBus {
            inner: LocalBus::new(),
            nth,
            seen: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
        }
    }
}

#[async_trait]
impl Bus for LossyBus {
    async fn publish(&self, topic: Topic, live: Live) -> Result<(), BusError> {
        if matches!(live, Live::Event(_))
            && (self.seen.fetch_add(1, Ordering::Relaxed) + 1).is_multiple_of(self.nth)
        {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return Err(BusError::Unavailable("dropped on purpose".into()));
        }
        self.inner.publish(topic, live).await
    }

    fn subscribe(&self) -> Subscription {
        self.inner.subscribe()
    }
}
