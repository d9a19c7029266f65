//! Web Push: a message encrypted for one browser subscription (RFC 8291,
//! aes128gcm), signed with the server's VAPID key (RFC 8292) and posted
//! through the [`Outbound`] guard to the subscription's push service
//! (RFC 8030). The answer says what to do with the subscription next.

use crate::aes128gcm::SealError;
use crate::guard::{Outbound, Refusal, SendError};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use p256::ecdsa::signature::Signer;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The most plaintext a push carries. Push services must take 4096 bytes
/// of encrypted body (RFC 8030 §7.2); the aes128gcm header and tag take 103.
pub const MAX_PAYLOAD: usize = 3800;

/// How long a VAPID token is valid (RFC 8292 allows up to 24 hours).
const TOKEN_VALID: Duration = Duration::from_secs(12 * 3600);
/// A token is made again once this old, well before it expires.
const TOKEN_REUSE: Duration = Duration::from_secs(3600);

/// The server's VAPID key pair (P-256).
#[derive(Clone)]
pub struct VapidKey {
    secret: p256::SecretKey,
}

impl std::fmt::Debug for VapidKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VapidKey")
            .field("public", &self.public_base64())
            .finish_non_exhaustive()
    }
}

/// Stored key text that is not a P-256 private key.
#[derive(Debug, thiserror::Error)]
#[error("not a VAPID private key")]
pub struct BadKey;

impl VapidKey {
    pub fn generate() -> Self {
        VapidKey {
            secret: p256::SecretKey::random(&mut p256::elliptic_curve::rand_core::OsRng),
        }
    }

    /// From [`VapidKey::private_base64`]'s text.
    pub fn from_private_base64(text: &str) -> Result<Self, BadKey> {
        let bytes = B64.decode(text.trim()).map_err(|_| BadKey)?;
        let secret = p256::SecretKey::from_slice(&bytes).map_err(|_| BadKey)?;
        Ok(VapidKey { secret })
    }

    /// The private scalar, base64url: what the database keeps.
    pub fn private_base64(&self) -> String {
        B64.encode(self.secret.to_bytes())
    }

    /// The public key as browsers take it (`applicationServerKey`): the
    /// uncompressed point, base64url without padding.
    pub fn public_base64(&self) -> String {
        B64.encode(self.secret.public_key().to_encoded_point(false).as_bytes())
    }

    /// A VAPID JWT (ES256) for the push service at `audience`
    /// (`https://host[:port]`), valid until `expires` (Unix seconds).
    pub fn token(&self, audience: &str, contact: &str, expires: u64) -> String {
        let header = B64.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = serde_json::json!({ "aud": audience, "exp": expires, "sub": contact });
        let claims = B64.encode(claims.to_string());
        let signing_input = format!("{header}.{claims}");
        let key = p256::ecdsa::SigningKey::from(&self.secret);
        let signature: p256::ecdsa::Signature = key.sign(signing_input.as_bytes());
        format!("{signing_input}.{}", B64.encode(signature.to_bytes()))
    }
}

/// A browser's `PushSubscription`: where to post, and the keys to encrypt
/// for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscription {
    pub endpoint: String,
    /// The browser's P-256 public key, base64url (`keys.p256dh`).
    pub p256dh: String,
    /// The 16-byte authentication secret, base64url (`keys.auth`).
    pub auth: String,
}

/// Keys that cannot be encrypted for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("keys.p256dh is not a P-256 public key in base64url")]
    P256dh,
    #[error("keys.auth is not 16 bytes in base64url")]
    Auth,
}

impl KeyError {
    pub fn code(&self) -> &'static str {
        match self {
            KeyError::P256dh => "push_key_invalid",
            KeyError::Auth => "push_auth_invalid",
        }
    }
}

/// Decodes base64url with or without padding (browsers send it without;
/// some libraries pad).
fn decode(text: &str) -> Option<Vec<u8>> {
    B64.decode(text.trim().trim_end_matches('=')).ok()
}

impl Subscription {
    /// Decodes and checks the keys: the browser's public key as an
    /// uncompressed point on P-256, and the auth secret.
    pub fn keys(&self) -> Result<(Vec<u8>, [u8; 16]), KeyError> {
        let public = decode(&self.p256dh)
            .and_then(|b| p256::PublicKey::from_sec1_bytes(&b).ok())
            .map(|k| k.to_encoded_point(false).as_bytes().to_vec())
            .ok_or(KeyError::P256dh)?;
        let auth = decode(&self.auth)
            .and_then(|b| <[u8; 16]>::try_from(b.as_slice()).ok())
            .ok_or(KeyError::Auth)?;
        Ok((public, auth))
    }
}

/// How soon the push service should wake the device (RFC 8030 §5.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Urgency {
    Low,
    Normal,
    High,
}

impl Urgency {
    fn as_str(self) -> &'static str {
        match self {
            Urgency::Low => "low",
            Urgency::Normal => "normal",
            Urgency::High => "high",
        }
    }
}

/// One push: what to deliver and how.
#[derive(Clone, Debug)]
pub struct Push {
    /// The plaintext, at most [`MAX_PAYLOAD`] bytes.
    pub payload: Vec<u8>,
    /// How long the push service keeps it for an unreachable device.
    pub ttl: Duration,
    pub urgency: Urgency,
    /// Pushes with the same topic replace one another while undelivered
    /// (at most 32 characters of the base64url alphabet).
    pub topic: Option<String>,
}

/// What came of a push.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The push service took it.
    Delivered,
    /// The subscription is gone (404, 410): forget it.
    Gone,
    /// Try again later (429, 5xx, no answer), after at least this long
    /// when the service said so.
    RetryLater(Option<Duration>),
    /// The service refused this push for good (400, 401, 403, 413…): drop
    /// the push, keep the subscription.
    Rejected(u16),
    /// The endpoint does not pass the guard (any more).
    Refused(Refusal),
    /// The subscription's keys are unusable.
    BadKeys(KeyError),
}

impl Outcome {
    /// The `result` label of `madang_push_sent_total`.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Delivered => "delivered",
            Outcome::Gone => "gone",
            Outcome::RetryLater(_) => "retry",
            Outcome::Rejected(_) => "rejected",
            Outcome::Refused(_) => "refused",
            Outcome::BadKeys(_) => "bad_keys",
        }
    }
}

/// Sends pushes signed with one VAPID key.
pub struct WebPush {
    outbound: Outbound,
    key: VapidKey,
    /// `sub` of the VAPID token: how a push service reaches the operator.
    contact: String,
    /// `Authorization` headers (signed token and key) by audience, reused
    /// for [`TOKEN_REUSE`].
    tokens: Mutex<HashMap<String, (String, Instant)>>,
}

impl WebPush {
    pub fn new(outbound: Outbound, key: VapidKey, contact: String) -> Self {
        WebPush {
            outbound,
            key,
            contact,
            tokens: Mutex::new(HashMap::new()),
        }
    }

    pub fn key(&self) -> &VapidKey {
        &self.key
    }

    pub fn outbound(&self) -> &Outbound {
        &self.outbound
    }

    /// Checks a subscription a client gives: its endpoint against the
    /// guard, its keys by decoding them.
    pub fn check(&self, subscription: &Subscription) -> Result<(), SubscriptionError> {
        self.outbound
            .check(&subscription.endpoint)
            .map_err(SubscriptionError::Refused)?;
        subscription.keys().map_err(SubscriptionError::Keys)?;
        Ok(())
    }

    /// The `Authorization` header for `audience`, kept whole: signing and
    /// even deriving the public key are each a scalar multiplication.
    fn authorization(&self, audience: &str) -> String {
        let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((header, made)) = tokens.get(audience)
            && made.elapsed() < TOKEN_REUSE
        {
            return header.clone();
        }
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        let token = self
            .key
            .token(audience, &self.contact, (now + TOKEN_VALID).as_secs());
        let header = format!("vapid t={token}, k={}", self.key.public_base64());
        tokens.insert(audience.to_owned(), (header.clone(), Instant::now()));
        header
    }

    /// Encrypts `push` for `subscription` and posts it.
    pub async fn send(&self, subscription: &Subscription, push: &Push) -> Outcome {
        let url = match self.outbound.check(&subscription.endpoint) {
            Ok(url) => url,
            Err(refusal) => return Outcome::Refused(refusal),
        };
        let (public, auth) = match subscription.keys() {
            Ok(keys) => keys,
            Err(e) => return Outcome::BadKeys(e),
        };
        let payload = &push.payload[..push.payload.len().min(MAX_PAYLOAD)];
        let body = match crate::aes128gcm::seal(payload, &public, &auth) {
            Ok(body) => body,
            Err(SealError::BadKey) => return Outcome::BadKeys(KeyError::P256dh),
            // MAX_PAYLOAD keeps a message to one record.
            Err(SealError::TooLong) => return Outcome::Rejected(413),
            Err(SealError::Random) => return Outcome::RetryLater(None),
        };
        let audience = url.origin().ascii_serialization();
        let mut request = http::Request::post(url.as_str())
            .header("TTL", push.ttl.as_secs().to_string())
            .header("Urgency", push.urgency.as_str())
            .header(http::header::CONTENT_ENCODING, "aes128gcm")
            .header(http::header::CONTENT_TYPE, "application/octet-stream")
            .header(http::header::AUTHORIZATION, self.authorization(&audience));
        if let Some(topic) = &push.topic {
            request = request.header("Topic", topic.as_str());
        }
        let request = match request.body(body) {
            Ok(r) => r,
            Err(_) => return Outcome::Refused(Refusal::Malformed("endpoint".into())),
        };
        match self.outbound.send(request).await {
            Ok(answer) => match answer.status {
                200..=299 => Outcome::Delivered,
                404 | 410 => Outcome::Gone,
                429 | 500..=599 => Outcome::RetryLater(answer.retry_after),
                other => Outcome::Rejected(other),
            },
            Err(SendError::Refused(r)) => Outcome::Refused(r),
            Err(SendError::Network(why)) => {
                tracing::debug!(%why, "push service gave no answer");
                Outcome::RetryLater(None)
            }
        }
    }
}

/// Why a subscription is not taken.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SubscriptionError {
    #[error(transparent)]
    Refused(Refusal),
    #[error(transparent)]
    Keys(KeyError),
}

impl SubscriptionError {
    pub fn code(&self) -> &'static str {
        match self {
            SubscriptionError::Refused(r) => r.code(),
            SubscriptionError::Keys(k) => k.code(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Verifier;

    #[test]
    fn keys_survive_the_database_and_tokens_verify() {
        let key = VapidKey::generate();
        let again = VapidKey::from_private_base64(&key.private_base64()).unwrap();
        assert_eq!(key.public_base64(), again.public_base64());
        assert!(VapidKey::from_private_base64("not base64!").is_err());

        let token = key.token("https://push.example", "mailto:ops@example.com", 2_000_000_000);
        let (input, signature) = token.rsplit_once('.').unwrap();
        let public = p256::PublicKey::from_sec1_bytes(&B64.decode(key.public_base64()).unwrap()).unwrap();
        let signature = p256::ecdsa::Signature::from_slice(&B64.decode(signature).unwrap()).unwrap();
        p256::ecdsa::VerifyingKey::from(&public)
            .verify(input.as_bytes(), &signature)
            .unwrap();
        let claims: serde_json::Value =
            serde_json::from_slice(&B64.decode(input.split('.').nth(1).unwrap()).unwrap()).unwrap();
        assert_eq!(claims["aud"], "https://push.example");
        assert_eq!(claims["exp"], 2_000_000_000u64);
        assert_eq!(claims["sub"], "mailto:ops@example.com");
    }

    #[test]
    fn subscription_keys_are_checked() {
        let browser = p256::SecretKey::random(&mut p256::elliptic_curve::rand_core::OsRng);
        let p256dh = B64.encode(browser.public_key().to_encoded_point(false).as_bytes());
        let good = Subscription {
            endpoint: "https://fcm.googleapis.com/x".into(),
            p256dh: p256dh.clone(),
            auth: B64.encode([7u8; 16]),
        };
        let (public, auth) = good.keys().unwrap();
        // What we encrypt, the browser's key opens.
        let sealed = crate::aes128gcm::seal(b"hello", &public, &auth).unwrap();
        assert_eq!(
            web_push_native::decrypt(sealed, &browser, &auth.into()).unwrap(),
            b"hello"
        );
        let padded = Subscription {
            auth: format!("{}==", B64.encode([7u8; 16])),
            ..good.clone()
        };
        assert!(padded.keys().is_ok());
        let short = Subscription {
            auth: B64.encode([7u8; 8]),
            ..good.clone()
        };
        assert_eq!(short.keys().unwrap_err(), KeyError::Auth);
        let bad = Subscription {
            p256dh: B64.encode([4u8; 65]),
            ..good
        };
        assert_eq!(bad.keys().unwrap_err(), KeyError::P256dh);
    }
}
