//! Identifier newtypes. A bare `i64` never crosses a function boundary.

use serde::{Deserialize, Serialize};

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn ids_read_from_numbers_and_from_object_keys() {
        let id: RoomId = serde_json::from_str("42").unwrap();
        assert_eq!(id, RoomId(42));
        let m: BTreeMap<RoomId, Seq> = serde_json::from_str(r#"{"7": 3}"#).unwrap();
        assert_eq!(m[&RoomId(7)], Seq(3));
        assert!(serde_json::from_str::<RoomId>("\"x\"").is_err());
        assert!(serde_json::from_str::<RoomId>("1.5").is_err());
    }
}
use std::fmt;

/// Declares an `i64`-backed identifier that serialises as a plain number.
macro_rules! int_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema,
        )]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_any(IntIdVisitor).map($name)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map(Self)
            }
        }
    };
}

/// Reads an id from a JSON number, or from a string holding one: JSON
/// object keys are strings, and serde hands buffered map keys (as in the
/// tagged `resume` frame) to ids as strings.
struct IntIdVisitor;

impl serde::de::Visitor<'_> for IntIdVisitor {
    type Value = i64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer id")
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v).map_err(|_| E::custom("id out of range"))
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<i64, E> {
        v.parse()
            .map_err(|_| E::custom(format!("{v:?} is not an integer id")))
    }
}

int_id!(
    /// An account.
    UserId
);
int_id!(
    /// One logged-in device (one bearer token) of an account.
    DeviceId
);
int_id!(
    /// A chat room (1:1 or group).
    RoomId
);
int_id!(
    /// Position of an event in its room: 1, 2, 3… with no gaps (invariant 1).
    Seq
);

int_id!(
    /// A Pung (a 24-hour moment). Never reused, so a stale reference can
    /// never point at a newer Pung.
    PungId
);

int_id!(
    /// An open chat: a group room, a 1:1 open chat or an open profile.
    OpenChatId
);
int_id!(
    /// A report to the operators.
    ReportId
);
int_id!(
    /// A ban from an open chat.
    BanId
);

int_id!(
    /// A paid subscription tier of an open chat.
    TierId
);
int_id!(
    /// A sponsored message or banner defined by an operator.
    AdId
);
int_id!(
    /// One ad placed before one person in one room.
    PlacementId
);
int_id!(
    /// A business: it owns channels and shops, and has agents.
    BusinessId
);
int_id!(
    /// A business channel people add as a friend.
    ChannelId
);
int_id!(
    /// A shop with a place.
    ShopId
);
int_id!(
    /// A coupon a shop issues.
    CouponId
);
int_id!(
    /// One person's claimed copy of a coupon.
    ClaimId
);
int_id!(
    /// A channel's broadcast to its friends.
    CampaignId
);
int_id!(
    /// A post on a channel's page.
    PostId
);
int_id!(
    /// One person's folder of chat rooms.
    FolderId
);
int_id!(
    /// A question and answer a business wrote for its channel's assistant.
    FactId
);
int_id!(
    /// A message written now to be sent later.
    ScheduledId
);

impl Seq {
    pub const ZERO: Seq = Seq(0);
    pub fn next(self) -> Seq {
        Seq(self.0 + 1)
    }
}

/// Key of a stored media object (avatar, image, file): random, URL-safe.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct MediaId(pub String);

impl fmt::Display for MediaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Id a client gives each send so that a retry is recognised (invariant 3).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct ClientMsgId(pub String);

/// Milliseconds since the Unix epoch, UTC.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(transparent)]
pub struct Millis(pub i64);
