//! Local shops and business channels: businesses and their agents,
//! channels with per-person consents, shops with a place and opening
//! hours, regulars (단골), coupons and their claims.

use crate::{BusinessId, ChannelId, ClaimId, CouponId, MediaId, Millis, ShopId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBusinessRequest {
    /// 1–50 characters.
    pub name: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AgentRole {
    Owner,
    Agent,
}

impl AgentRole {
    pub fn as_str(self) -> &'static str {
        match self {
            AgentRole::Owner => "owner",
            AgentRole::Agent => "agent",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "owner" => Some(AgentRole::Owner),
            "agent" => Some(AgentRole::Agent),
            _ => None,
        }
    }
}

/// A business the caller works for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Business {
    pub id: BusinessId,
    pub name: String,
    /// The caller's role in it.
    pub role: AgentRole,
    pub created_at: Millis,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddAgentRequest {
    /// The handle of the account to add as an agent.
    pub handle: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Agent {
    pub user_id: UserId,
    pub handle: String,
    pub display_name: String,
    pub role: AgentRole,
    pub added_at: Millis,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateChannelRequest {
    /// 3–30 of a–z, 0–9, `_`; unique on the server.
    pub handle: String,
    /// 1–50 characters.
    pub name: String,
    #[serde(default)]
    pub description: String,
}

/// What a person agreed to receive from a channel, each set separately.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Consents {
    /// Informational messages (orders, reservations, notices).
    pub informational: bool,
    /// Advertising messages.
    pub marketing: bool,
    /// Advertising between 21:00 and 08:00 in the person's time zone.
    pub marketing_night: bool,
    pub added_at: Millis,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Channel {
    pub id: ChannelId,
    pub business_id: BusinessId,
    pub handle: String,
    pub name: String,
    pub description: String,
    pub avatar: Option<MediaId>,
    pub friend_count: i64,
    /// The caller's consents when they have added it as a friend.
    pub mine: Option<Consents>,
    /// Its assistant answers people's messages first (and hands them to a
    /// person when asked or unsure).
    #[serde(default)]
    pub assistant: bool,
}

/// Adding a channel as a friend: informational messages are on unless
/// refused; advertising, and advertising at night, only when asked for.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentsRequest {
    #[serde(default)]
    pub informational: Option<bool>,
    #[serde(default)]
    pub marketing: Option<bool>,
    /// Needs `marketing`.
    #[serde(default)]
    pub marketing_night: Option<bool>,
}

/// One day's opening hours, local to the shop. A closing time at or before
/// the opening time runs past midnight (`"18:00"`–`"02:00"`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpeningHours {
    /// `mon` … `sun`.
    pub day: String,
    /// `HH:MM`, 24-hour.
    pub open: String,
    pub close: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateShopRequest {
    pub business_id: BusinessId,
    /// One of the business's channels.
    #[serde(default)]
    pub channel_id: Option<ChannelId>,
    /// 1–50 characters.
    pub name: String,
    /// One of `GET /api/v1/shops/categories`.
    pub category: String,
    #[serde(default)]
    pub description: String,
    pub address: String,
    /// Degrees, −90…90.
    pub lat: f64,
    /// Degrees, −180…180.
    pub lon: f64,
    /// IANA time zone of the place, e.g. `Asia/Seoul`.
    pub time_zone: String,
    #[serde(default)]
    pub hours: Vec<OpeningHours>,
    /// Images from `POST /api/v1/media`.
    #[serde(default)]
    pub photos: Vec<MediaId>,
    #[serde(default)]
    pub phone: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Shop {
    pub id: ShopId,
    pub business_id: BusinessId,
    pub channel_id: Option<ChannelId>,
    pub name: String,
    pub category: String,
    pub description: String,
    pub address: String,
    pub lat: f64,
    pub lon: f64,
    pub time_zone: String,
    pub hours: Vec<OpeningHours>,
    pub photos: Vec<MediaId>,
    pub phone: String,
    pub regular_count: i64,
    /// Open at the time of the request, by its hours in its time zone.
    pub open_now: bool,
    /// The caller is a regular (단골).
    pub regular: bool,
    /// From the searched point, in metres (nearby search only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<f64>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ShopPage {
    /// Nearest first.
    pub shops: Vec<Shop>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCouponRequest {
    /// 1–50 characters.
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// How many can ever be claimed.
    pub quantity: i64,
    /// How many one person may claim (default 1).
    #[serde(default)]
    pub per_person: Option<i64>,
    /// Only the shop's regulars may claim it.
    #[serde(default)]
    pub regulars_only: bool,
    /// From when it can be claimed (default now).
    #[serde(default)]
    pub starts_at: Option<Millis>,
    /// Until when it can be claimed and redeemed.
    pub ends_at: Millis,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Coupon {
    pub id: CouponId,
    pub shop_id: ShopId,
    pub title: String,
    pub description: String,
    pub quantity: i64,
    /// How many are left to claim.
    pub remaining: i64,
    pub per_person: i64,
    pub regulars_only: bool,
    pub starts_at: Millis,
    pub ends_at: Millis,
    /// How many the caller has claimed.
    pub claimed_by_me: i64,
}

/// A coupon in the caller's wallet.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ClaimedCoupon {
    pub id: ClaimId,
    pub coupon: Coupon,
    pub shop_name: String,
    /// Shown at the shop, which checks it to redeem.
    pub code: String,
    pub claimed_at: Millis,
    pub redeemed_at: Option<Millis>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedeemRequest {
    /// The code the customer shows.
    pub code: String,
}

/// A redemption the shop made.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Redemption {
    pub claim_id: ClaimId,
    pub coupon_id: CouponId,
    pub title: String,
    pub redeemed_at: Millis,
}
