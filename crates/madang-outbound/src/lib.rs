//! What Madang sends to the outside world. Every request to a URL that a
//! client gave goes through [`guard::Outbound`] (invariant 13); Web Push
//! is built on it in [`webpush`], signed webhooks in [`webhook`]. Nothing
//! here knows rooms, users or storage: `madang-core` decides what is sent,
//! to whom, and keeps the durable queue (invariant 12).

pub mod aes128gcm;
pub mod guard;
pub mod webhook;
pub mod webpush;

pub use guard::{Answer, Outbound, Policy, Refusal, SendError};
pub use webhook::Webhooks;
pub use webpush::{KeyError, Outcome, Push, Subscription, SubscriptionError, Urgency, VapidKey, WebPush};

use std::time::Duration;

/// Wait before try `attempts + 1`: 2 s doubling to an hour, with up to a
/// quarter more at random so that retries do not come back in step. Push
/// and webhooks both back off by it.
pub fn backoff(attempts: i64) -> Duration {
    let base = 2_000u64.saturating_mul(1 << attempts.clamp(0, 12)).min(3_600_000);
    let jitter = u64::from(webhook::rand_bytes()[0]) * (base / 4) / 255;
    Duration::from_millis(base + jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(backoff(0) >= Duration::from_secs(2) && backoff(0) <= Duration::from_millis(2_500));
        assert!(backoff(3) >= Duration::from_secs(16));
        assert!(backoff(40) <= Duration::from_millis(4_500_000));
    }
}
