//! Outgoing webhooks, signed as the Standard Webhooks specification
//! (standardwebhooks.com) asks, so that receivers may check them with any
//! of its libraries:
//!
//! - `webhook-id`: the delivery's id, the same on every try;
//! - `webhook-timestamp`: when this try was sent, in Unix seconds;
//! - `webhook-signature`: `v1,` and the base64 HMAC-SHA256, under the
//!   secret's key, of `{id}.{timestamp}.{body}`.
//!
//! A receiver checks the signature with its secret and refuses a
//! timestamp further than [`REPLAY_WINDOW`] from its own clock, and a
//! delivery id it has already handled (delivery is at least once).
//! Every request goes through the guard ([`crate::Outbound`]).

use crate::guard::{Answer, Outbound, SendError};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use std::time::Duration;

/// How far from its own clock a receiver should accept a timestamp.
pub const REPLAY_WINDOW: Duration = Duration::from_secs(5 * 60);
/// What a secret starts with, before its key in base64.
pub const SECRET_PREFIX: &str = "whsec_";

/// A new secret: 32 random bytes, as `whsec_` and base64.
pub fn new_secret() -> String {
    let key: [u8; 32] = rand_bytes();
    format!("{SECRET_PREFIX}{}", B64.encode(key))
}

pub(crate) fn rand_bytes() -> [u8; 32] {
    let mut key = [0u8; 32];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut key)
        .expect("the system's random source");
    key
}

/// The key a secret stands for; `None` when it is not one we made.
fn key_of(secret: &str) -> Option<Vec<u8>> {
    B64.decode(secret.strip_prefix(SECRET_PREFIX)?).ok()
}

/// The `webhook-signature` value for one try.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key_of(secret)?);
    let mut ctx = ring::hmac::Context::with_key(&key);
    ctx.update(id.as_bytes());
    ctx.update(b".");
    ctx.update(timestamp.to_string().as_bytes());
    ctx.update(b".");
    ctx.update(body);
    Some(format!("v1,{}", B64.encode(ctx.sign().as_ref())))
}

/// Posts signed deliveries.
#[derive(Clone, Debug)]
pub struct Webhooks {
    outbound: Outbound,
}

impl Webhooks {
    pub fn new(outbound: Outbound) -> Self {
        Webhooks { outbound }
    }

    /// Checks a webhook's URL before it is stored.
    pub fn check(&self, url: &str) -> Result<(), crate::Refusal> {
        self.outbound.check(url).map(|_| ())
    }

    /// Posts one try of a delivery: JSON `body`, signed with `secret`,
    /// stamped `timestamp` (Unix seconds).
    pub async fn post(
        &self,
        url: &str,
        secret: &str,
        id: &str,
        timestamp: i64,
        body: Vec<u8>,
    ) -> Result<Answer, SendError> {
        let signature = sign(secret, id, timestamp, &body)
            .ok_or_else(|| SendError::Network("the webhook's secret is not one of ours".into()))?;
        let request = http::Request::post(url)
            .header("content-type", "application/json")
            .header("webhook-id", id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .map_err(|e| SendError::Network(e.to_string()))?;
        self.outbound.send(request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_as_the_standard_webhooks_example() {
        // The specification's own example (its README): this secret, id,
        // timestamp and body sign to this value.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
        assert_eq!(sign("no prefix", "id", 1, body), None);
    }

    #[test]
    fn a_new_secret_has_a_32_byte_key() {
        let s = new_secret();
        assert_eq!(key_of(&s).map(|k| k.len()), Some(32));
        assert_ne!(s, new_secret());
    }
}
