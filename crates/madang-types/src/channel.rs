//! What a business does through its channels: posts on the channel's page,
//! the shared 1:1 inbox its agents answer, and campaigns (broadcasts with
//! a template, a segment and the advertising rules).

use crate::api::{Message, Profile};
use crate::{CampaignId, ChannelId, FactId, MediaId, Millis, PostId, RoomId, ShopId, UserId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Where a person set their neighbourhood, and their time zone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Place {
    /// IANA zone; advertising hours are judged in it.
    pub time_zone: String,
    /// The neighbourhood's point, when set.
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceRequest {
    /// IANA zone, e.g. `Asia/Seoul`.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Both or neither; `null` for both clears the neighbourhood.
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lon: Option<f64>,
    /// Clears the neighbourhood.
    #[serde(default)]
    pub clear_neighbourhood: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePostRequest {
    /// 1–2,000 characters.
    pub text: String,
    #[serde(default)]
    pub photos: Vec<MediaId>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Post {
    pub id: PostId,
    pub channel_id: ChannelId,
    pub text: String,
    pub photos: Vec<MediaId>,
    pub created_at: Millis,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PostPage {
    /// Newest first.
    pub posts: Vec<Post>,
    /// Pass as `before` for older posts.
    pub next_before: Option<PostId>,
}

/// A room's state in the shared inbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InboxStatus {
    /// The person has not written yet.
    Idle,
    /// Waiting for an answer, or being answered.
    Open,
    Closed,
}

impl InboxStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            InboxStatus::Idle => "idle",
            InboxStatus::Open => "open",
            InboxStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "idle" => Some(InboxStatus::Idle),
            "open" => Some(InboxStatus::Open),
            "closed" => Some(InboxStatus::Closed),
            _ => None,
        }
    }
}

/// One conversation in a channel's inbox, as its agents see it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct InboxItem {
    pub room_id: RoomId,
    pub channel_id: ChannelId,
    /// The person on the other side.
    pub person: Profile,
    pub status: InboxStatus,
    pub assignee: Option<UserId>,
    /// The person's messages the business has not read.
    pub unread: i64,
    pub last_message: Option<Message>,
    pub updated_at: Millis,
    /// The people have the conversation: the assistant handed it over, or
    /// an agent answered or was assigned it. The assistant stays quiet
    /// until it is closed.
    #[serde(default)]
    pub with_agents: bool,
    /// Why and with what the assistant handed it over, when it did.
    #[serde(default)]
    pub handover: Option<Handover>,
}

/// Why the channel's assistant handed a conversation to the agents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HandoverReason {
    /// The person asked for a person ("상담원 연결", "talk to a person").
    Requested,
    /// No fact matched the question well enough.
    LowScore,
    /// The model's answer had a number, price, date, time, phone or code
    /// that is not in the facts it was given; it was not sent.
    Withheld,
}

/// What the agents are shown of the assistant's turn when it handed over.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Handover {
    pub reason: HandoverReason,
    /// The person's message it could not answer.
    pub question: String,
    /// The fact that matched best, and how well (0–1, the retrieval's own
    /// scale), when there were facts.
    pub best_fact: Option<String>,
    pub score: Option<f32>,
    /// A withheld answer, for the agents only, with what in it was not
    /// in the facts.
    pub withheld: Option<String>,
    pub unsupported: Vec<String>,
    pub at: Millis,
}

/// A question and answer the business gave its channel's assistant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Fact {
    pub id: FactId,
    pub question: String,
    pub answer: String,
    pub updated_at: Millis,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FactRequest {
    /// 1–300 characters: how a customer might ask.
    pub question: String,
    /// 1–1,000 characters: the answer, sent as written.
    pub answer: String,
}

/// What the assistant knows beyond the questions and answers, read from
/// the channel's shops, coupons and posts when a customer asks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct KnownFact {
    /// `hours`, `address`, `phone`, `coupon` or `post`.
    pub kind: String,
    pub text: String,
}

/// How often the assistant answered, handed over and withheld an answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AssistantStats {
    pub answered: i64,
    pub handed_over: i64,
    pub withheld: i64,
}

/// A channel's assistant, for the business's console.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ChannelAssistant {
    pub channel_id: ChannelId,
    /// It answers customers in their rooms with the channel.
    pub enabled: bool,
    /// Oldest first.
    pub facts: Vec<Fact>,
    /// From the channel's shops, current coupons and newest posts.
    pub known: Vec<KnownFact>,
    pub stats: AssistantStats,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssistantSwitch {
    pub enabled: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct InboxPage {
    /// Most recently active first.
    pub items: Vec<InboxItem>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    /// An agent of the business; `null` unassigns.
    pub agent_id: Option<UserId>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InboxReadRequest {
    pub seq: crate::Seq,
}

/// What the business keeps about one friend of the channel.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FriendDataRequest {
    /// Replaces the tags when given.
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    /// Replaces the attributes when given.
    #[serde(default)]
    pub attributes: Option<BTreeMap<String, String>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FriendData {
    pub user_id: UserId,
    pub tags: Vec<String>,
    pub attributes: BTreeMap<String, String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CampaignKind {
    /// Orders, reservations, notices: needs the person's informational
    /// consent, not bound by the advertising rules.
    Informational,
    /// Labelled "(광고)", needs marketing consent, one a day, none at
    /// night without night consent.
    Advertising,
}

impl CampaignKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignKind::Informational => "informational",
            CampaignKind::Advertising => "advertising",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "informational" => Some(CampaignKind::Informational),
            "advertising" => Some(CampaignKind::Advertising),
            _ => None,
        }
    }
}

/// A circle around a point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Area {
    pub lat: f64,
    pub lon: f64,
    pub radius_m: f64,
}

/// Who among the channel's friends receives a campaign. Every filter that
/// is set must hold; none set means every friend.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Segment {
    /// Regulars (단골) of this shop of the business.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regulars_of: Option<ShopId>,
    /// People whose neighbourhood is in this circle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub near: Option<Area>,
    /// People with every one of these tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// People whose attributes have exactly these values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCampaignRequest {
    /// For the business's own list, 1–50 characters.
    pub name: String,
    pub kind: CampaignKind,
    /// The body, with `#{variable}` placeholders: `#{name}` (the person's
    /// display name), `#{channel}`, a key of `variables`, or one of
    /// `attributes`.
    pub template: String,
    /// Values the same for every recipient.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// Per-recipient attributes the template uses (set by
    /// `PUT /channels/{id}/friends/{user}`); a person without one is
    /// skipped (`missing_variable`).
    #[serde(default)]
    pub attributes: Vec<String>,
    #[serde(default)]
    pub segment: Segment,
    /// When to send; now when left out.
    #[serde(default)]
    pub send_at: Option<Millis>,
    /// Have the server's model reword the message for each set of
    /// `attributes` (`GET /ai` says whether it can). Every value the
    /// template substitutes must come through verbatim and the length
    /// limit must hold, else that recipient gets the template as written;
    /// the label and opt-out line are added after, never by the model.
    #[serde(default)]
    pub rewrite: bool,
}

/// A preview of one recipient's message.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    #[serde(flatten)]
    pub campaign: CreateCampaignRequest,
    /// The sample recipient's attributes.
    #[serde(default)]
    pub sample: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Preview {
    /// Exactly what the sample recipient would receive.
    pub text: String,
    pub chars: usize,
    pub max_chars: usize,
    /// With `rewrite`: whether `text` is the model's wording.
    pub rewritten: bool,
    /// With `rewrite`, when the sample would get the template: why
    /// (`dropped_value`, `too_long`, `forbidden_text`, `echoed_prompt`,
    /// `unchanged`, `empty`, `model_off`, `model_error`).
    pub fell_back: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CampaignStatus {
    Scheduled,
    Sending,
    /// Sent to everyone it could be; deferred ones wait for morning.
    Waiting,
    Done,
    Cancelled,
}

impl CampaignStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignStatus::Scheduled => "scheduled",
            CampaignStatus::Sending => "sending",
            CampaignStatus::Waiting => "waiting",
            CampaignStatus::Done => "done",
            CampaignStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "scheduled" => Some(CampaignStatus::Scheduled),
            "sending" => Some(CampaignStatus::Sending),
            "waiting" => Some(CampaignStatus::Waiting),
            "done" => Some(CampaignStatus::Done),
            "cancelled" => Some(CampaignStatus::Cancelled),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CampaignStats {
    /// Friends of the channel when sending began.
    pub audience: i64,
    /// Friends looked at so far (progress of the first pass).
    pub passed: i64,
    /// In the segment.
    pub targeted: i64,
    pub delivered: i64,
    /// Deferred to 08:00 at some point (most are delivered later).
    pub deferred: i64,
    /// Waiting for morning now.
    pub waiting: i64,
    /// Delivered and read (a reply reads what came before it); counted
    /// as people read, while sending too.
    pub read: i64,
    pub opted_out: i64,
    pub skipped: i64,
    /// Skips by reason: `no_consent`, `informational_refused`,
    /// `daily_limit`, `missing_variable`, `too_long`, `unsubscribed`.
    pub skipped_by_reason: BTreeMap<String, i64>,
    /// With `rewrite`: delivered in the model's wording.
    pub rewritten: i64,
    /// With `rewrite`: delivered as the template instead.
    pub fell_back: i64,
    /// The fallbacks by reason: `dropped_value`, `too_long`,
    /// `forbidden_text`, `empty`, `model_error`, `model_off`,
    /// `variant_cap`, `not_ready`.
    pub fell_back_by_reason: BTreeMap<String, i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Campaign {
    pub id: CampaignId,
    pub channel_id: ChannelId,
    pub name: String,
    pub kind: CampaignKind,
    pub template: String,
    pub variables: BTreeMap<String, String>,
    pub attributes: Vec<String>,
    pub segment: Segment,
    pub send_at: Millis,
    /// Reworded per attribute set by the server's model.
    pub rewrite: bool,
    pub status: CampaignStatus,
    pub stats: CampaignStats,
    pub created_by: UserId,
    pub created_at: Millis,
    pub started_at: Option<Millis>,
    pub finished_at: Option<Millis>,
}
