//! Earnings of open chat hosts: paid subscription tiers, sponsored
//! messages and banners placed in open chats, and the host's earnings
//! statement. Money is always an integer number of minor units of the
//! server's one currency (`currency`, ISO 4217), never a float.

use crate::{AdId, Millis, OpenChatId, PlacementId, TierId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTierRequest {
    /// Up to 30 characters.
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Minor units per period; at least the server's minimum price.
    pub price: i64,
    /// 7, 30 or 365.
    #[serde(default = "default_period_days")]
    pub period_days: i64,
}

fn default_period_days() -> i64 {
    30
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Tier {
    pub id: TierId,
    pub open_chat_id: OpenChatId,
    pub name: String,
    pub description: String,
    pub price: i64,
    pub currency: String,
    pub period_days: i64,
    /// Takes no new subscribers.
    pub retired: bool,
}

/// An open chat's tiers and whether joining needs a subscription, with
/// the caller's own subscription if any.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Tiers {
    pub subscription_required: bool,
    pub tiers: Vec<Tier>,
    pub mine: Option<Subscription>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionSettings {
    /// Joining needs an active subscription to one of the tiers (members
    /// already in stay).
    pub subscription_required: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscribeRequest {
    pub tier_id: TierId,
    /// A payment method token from the payment provider. The built-in test
    /// provider takes `pm_test_ok` (always succeeds), `pm_test_declined`
    /// (always declined) and `pm_test_expiring_{anything}` (succeeds once,
    /// then declined, as a card that expires before the renewal).
    pub payment_method: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Subscription {
    pub open_chat_id: OpenChatId,
    pub tier_id: TierId,
    pub tier_name: String,
    pub price: i64,
    pub currency: String,
    pub started_at: Millis,
    /// Paid until; access ends then unless it renews.
    pub period_end: Millis,
    /// Charged again at `period_end`.
    pub renews: bool,
    /// Paid up now.
    pub active: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AdFormat {
    /// A strip above the messages of a room.
    Banner,
    /// A card among the messages, marked as sponsored.
    Message,
}

impl AdFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            AdFormat::Banner => "banner",
            AdFormat::Message => "message",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "banner" => Some(AdFormat::Banner),
            "message" => Some(AdFormat::Message),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAdRequest {
    pub advertiser: String,
    pub format: AdFormat,
    /// Up to 40 characters.
    pub title: String,
    /// Up to 200 characters.
    #[serde(default)]
    pub body: String,
    /// An `https://` or `http://` address the ad opens.
    pub link: String,
    /// Shown in open chats of these categories or with these hashtags;
    /// both empty: anywhere.
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub hashtags: Vec<String>,
    /// Paid per counted impression, in minor units.
    pub price_impression: i64,
    /// Paid per counted click, in minor units.
    pub price_click: i64,
    /// Prepaid; the ad stops when it is spent.
    pub budget: i64,
    /// Starts now when absent.
    #[serde(default)]
    pub starts_at: Option<Millis>,
    #[serde(default)]
    pub ends_at: Option<Millis>,
}

/// An ad with its counts, as operators see it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Ad {
    pub id: AdId,
    pub advertiser: String,
    pub format: AdFormat,
    pub title: String,
    pub body: String,
    pub link: String,
    pub categories: Vec<String>,
    pub hashtags: Vec<String>,
    pub price_impression: i64,
    pub price_click: i64,
    pub currency: String,
    /// Budget left.
    pub remaining: i64,
    pub spent: i64,
    pub impressions: i64,
    pub clicks: i64,
    pub starts_at: Millis,
    pub ends_at: Option<Millis>,
    pub paused: bool,
}

/// An ad placed before the caller in a room. Report an impression when it
/// is on screen, and a click when it is opened; each counts once.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AdPlacement {
    pub id: PlacementId,
    pub format: AdFormat,
    pub advertiser: String,
    pub title: String,
    pub body: String,
    pub link: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AdCount {
    /// Counted now; false when counted before or the ad's budget is spent.
    pub counted: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AdClick {
    /// Where to send the person.
    pub link: String,
    /// Counted now; false when counted before or the ad's budget is spent.
    pub counted: bool,
}

/// One source of a host's earnings in one month.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EarningsLine {
    /// `subscription`, `ad_impression` or `ad_click`.
    pub kind: String,
    /// How many payments, impressions or clicks.
    pub count: i64,
    pub amount: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EarningsMonth {
    /// `YYYY-MM`, UTC.
    pub month: String,
    pub total: i64,
    pub lines: Vec<EarningsLine>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RoomEarnings {
    pub open_chat_id: OpenChatId,
    pub title: String,
    pub total: i64,
    /// Newest month first.
    pub months: Vec<EarningsMonth>,
}

/// What a host has earned, per open chat and per month.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Earnings {
    pub currency: String,
    /// Everything credited so far.
    pub balance: i64,
    /// Per month over all open chats, newest first.
    pub months: Vec<EarningsMonth>,
    pub open_chats: Vec<RoomEarnings>,
}

/// The ledger's self-check: every transaction sums to zero and every
/// account's balance equals the sum of its entries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LedgerAudit {
    pub transactions: i64,
    pub entries: i64,
    /// Ids of transactions that do not balance.
    pub unbalanced: Vec<i64>,
    /// Accounts whose balance differs from their entries.
    pub mismatched: Vec<String>,
    pub clean: bool,
}
