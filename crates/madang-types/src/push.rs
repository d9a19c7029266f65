//! Push notifications: a device's browser subscription and a person's
//! notification settings.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A browser's `PushSubscription`, as `JSON.stringify(subscription)` gives
/// it (the only camelCase on the wire: it is the browser's shape).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushSubscriptionRequest {
    /// The push service's URL for this browser: `https`, on a host the
    /// operator allows (`[push] allowed_hosts`).
    pub endpoint: String,
    /// Ignored (browsers send `null`).
    #[serde(default, rename = "expirationTime", alias = "expiration_time")]
    pub expiration_time: Option<f64>,
    pub keys: PushKeys,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushKeys {
    /// The browser's P-256 public key, base64url.
    pub p256dh: String,
    /// Its 16-byte authentication secret, base64url.
    pub auth: String,
}

/// The server's VAPID public key: `applicationServerKey` for
/// `pushManager.subscribe`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PushKeyResponse {
    /// Uncompressed P-256 point, base64url without padding.
    pub public_key: String,
}

/// How much a notification shows on the device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PushPreview {
    /// The room, the sender and the text.
    Full,
    /// The room and "New message".
    Room,
    /// "New message" only.
    None,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct NotificationSettings {
    /// Whether this device is subscribed.
    pub subscribed: bool,
    /// The account's preview level (all its devices).
    pub preview: PushPreview,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateNotificationSettings {
    pub preview: PushPreview,
}

impl PushPreview {
    pub fn as_str(self) -> &'static str {
        match self {
            PushPreview::Full => "full",
            PushPreview::Room => "room",
            PushPreview::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "full" => Some(PushPreview::Full),
            "room" => Some(PushPreview::Room),
            "none" => Some(PushPreview::None),
            _ => None,
        }
    }
}
