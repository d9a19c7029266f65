//! What Madang sends to the outside world. Every request to a URL that a
//! client gave goes through [`guard::Outbound`] (invariant 13); Web Push
//! is built on it in [`webpush`]. Nothing here knows rooms, users or
//! storage: `madang-core` decides what is sent, to whom, and keeps the
//! durable queue (invariant 12).

pub mod aes128gcm;
pub mod guard;
pub mod webpush;

pub use guard::{Answer, Outbound, Policy, Refusal, SendError};
pub use webpush::{KeyError, Outcome, Push, Subscription, SubscriptionError, Urgency, VapidKey, WebPush};
