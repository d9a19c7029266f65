//! Open Chat (오픈채팅) bodies: interest communities where members are known
//! by a per-room profile. Every member id here is a room identity (see
//! `events::RoomEvent`): a persona's id, negative, unless the member chose
//! their real profile.

use crate::{BanId, MediaId, Millis, OpenChatId, ReportId, RoomId, Seq, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OpenChatKind {
    /// One room for everyone who joins.
    Group,
    /// One link; each visitor gets a private room with the host.
    OneOnOne,
    /// The host's open profile: like `one_on_one`, presented as a person.
    Profile,
}

impl OpenChatKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OpenChatKind::Group => "group",
            OpenChatKind::OneOnOne => "one_on_one",
            OpenChatKind::Profile => "profile",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "group" => Some(OpenChatKind::Group),
            "one_on_one" => Some(OpenChatKind::OneOnOne),
            "profile" => Some(OpenChatKind::Profile),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Found by search and browsing.
    Public,
    /// Only by its link.
    Link,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Link => "link",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "public" => Some(Visibility::Public),
            "link" => Some(Visibility::Link),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OpenRole {
    Member,
    /// 부방장: hides, kicks, bans, restores and pins like the host.
    Cohost,
    /// 방장: all of that, appoints co-hosts, hands the room over.
    Host,
}

impl OpenRole {
    pub fn as_str(self) -> &'static str {
        match self {
            OpenRole::Member => "member",
            OpenRole::Cohost => "cohost",
            OpenRole::Host => "host",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "member" => Some(OpenRole::Member),
            "cohost" => Some(OpenRole::Cohost),
            "host" => Some(OpenRole::Host),
            _ => None,
        }
    }
    /// Hosts and co-hosts moderate.
    pub fn moderates(self) -> bool {
        self >= OpenRole::Cohost
    }
}

/// How someone appears in an open chat.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "as", rename_all = "snake_case", deny_unknown_fields)]
pub enum JoinAs {
    /// A per-room profile: a nickname and a generated avatar. Nothing of
    /// the account is shown to anyone.
    Nickname { nickname: String },
    /// The account's own profile (name and photo).
    RealProfile,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOpenChatRequest {
    pub kind: OpenChatKind,
    /// Under 30 characters.
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Up to 5, without `#`, each up to 20 characters.
    #[serde(default)]
    pub hashtags: Vec<String>,
    /// One of `GET /api/v1/openchats/categories`.
    pub category: String,
    /// An image from `POST /api/v1/media`.
    #[serde(default)]
    pub cover: Option<MediaId>,
    pub visibility: Visibility,
    /// When set, joining asks for it.
    #[serde(default)]
    pub entry_code: Option<String>,
    /// Members must join with their real profile.
    #[serde(default)]
    pub real_profile_only: bool,
    /// For a group: most members (default and ceiling set by the operator);
    /// for a 1:1 chat or profile: most conversations.
    #[serde(default)]
    pub member_cap: Option<i64>,
    /// How the host appears.
    pub host: JoinAs,
}

/// The host's changes to an open chat; fields left out stay as they are.
/// Members already in stay whatever changes (a new cap, real profiles
/// only, a new entry code apply to those who join next).
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOpenChatRequest {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub hashtags: Option<Vec<String>>,
    #[serde(default)]
    pub category: Option<String>,
    /// An image from `POST /api/v1/media`; an empty string removes the cover.
    #[serde(default)]
    pub cover: Option<String>,
    #[serde(default)]
    pub visibility: Option<Visibility>,
    /// A new entry code; an empty string removes it.
    #[serde(default)]
    pub entry_code: Option<String>,
    #[serde(default)]
    pub real_profile_only: Option<bool>,
    /// False keeps bots out: they cannot join (those in stay).
    #[serde(default)]
    pub bots_allowed: Option<bool>,
    /// Not below the members (or conversations) there are now.
    #[serde(default)]
    pub member_cap: Option<i64>,
}

/// A member as others in the open chat see them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OpenMember {
    /// The room identity (negative for a per-room profile).
    pub id: UserId,
    pub nickname: String,
    /// A real profile's photo; per-room profiles have none.
    pub avatar: Option<MediaId>,
    /// A per-room profile's generated avatar: an emoji and a colour,
    /// `"🦊 #f4a261"`.
    pub avatar_seed: Option<String>,
    pub real_profile: bool,
    pub role: OpenRole,
    pub joined_at: Millis,
    /// A bot (shown with 🤖), under whichever profile it joined with.
    #[serde(default)]
    pub bot: bool,
}

/// The caller's own place in an open chat.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MyOpenMembership {
    /// The caller's room in it; absent for the host of a 1:1 chat or
    /// profile, who has one room per visitor (each in the chat list).
    pub room_id: Option<RoomId>,
    pub me: OpenMember,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OpenChat {
    pub id: OpenChatId,
    pub kind: OpenChatKind,
    pub title: String,
    pub description: String,
    pub hashtags: Vec<String>,
    pub category: String,
    pub cover: Option<MediaId>,
    pub visibility: Visibility,
    /// The code of the join link (`/o/{code}`); shown to members, and to
    /// anyone for a public open chat.
    pub link_code: Option<String>,
    pub has_entry_code: bool,
    pub real_profile_only: bool,
    /// Bots may join (the host's choice; true unless they said no).
    pub bots_allowed: bool,
    /// Joining needs an active subscription (see `GET /api/v1/openchats/{id}/tiers`).
    pub subscription_required: bool,
    /// Group: members now; 1:1 chat or profile: conversations now.
    pub member_count: i64,
    pub member_cap: i64,
    pub host: OpenMember,
    pub notice: Option<Seq>,
    pub closed: bool,
    pub created_at: Millis,
    pub last_active_at: Millis,
    /// Present when the caller is in it (for a 1:1 chat: their own room).
    pub mine: Option<MyOpenMembership>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinOpenChatRequest {
    /// How the caller appears in it.
    pub profile: JoinAs,
    #[serde(default)]
    pub entry_code: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct OpenMemberPage {
    pub members: Vec<OpenMember>,
    /// Pass as `after` for the next page.
    pub next_after: Option<UserId>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KickRequest {
    /// The member's room identity.
    pub member_id: UserId,
    /// Also ban: they cannot rejoin under any nickname.
    #[serde(default)]
    pub ban: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberRequest {
    pub member_id: UserId,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeRequest {
    pub seq: Seq,
}

/// A ban, as the room's hosts see it: the nickname they had, never who
/// they are.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct OpenBan {
    pub id: BanId,
    pub nickname: String,
    pub banned_at: Millis,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BannedWords {
    pub words: Vec<String>,
}

/// What screening does in an open chat, beyond banned words and the
/// flood guard (which always apply). The host chooses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Screening {
    /// Nothing more.
    Off,
    /// Hide, pending review, what reads like the spam the operator
    /// labelled (needs the server's embedder).
    #[default]
    Model,
    /// That, and every link from someone who joined less than a day ago.
    Strict,
}

impl Screening {
    pub fn as_str(self) -> &'static str {
        match self {
            Screening::Off => "off",
            Screening::Model => "model",
            Screening::Strict => "strict",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "off" => Some(Screening::Off),
            "model" => Some(Screening::Model),
            "strict" => Some(Screening::Strict),
            _ => None,
        }
    }
}

/// An open chat's screening as its hosts see it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ScreeningSettings {
    pub mode: Screening,
    /// Whether this server compares messages with labelled spam (it runs
    /// an embedder, the operator has labelled some, and the feature is on).
    pub model_signal: bool,
    /// Messages screening hid that wait for review (what `…/flagged`
    /// lists, counted whole).
    pub pending: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetScreening {
    pub mode: Screening,
}

/// Why screening hid a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FlagReason {
    /// Close to a message the operator labelled spam, and not as close to
    /// one labelled fine.
    LikeSpam,
    /// A link from a newcomer, in a strict room.
    NewcomerLink,
}

impl FlagReason {
    pub fn as_str(self) -> &'static str {
        match self {
            FlagReason::LikeSpam => "like_spam",
            FlagReason::NewcomerLink => "newcomer_link",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "like_spam" => Some(FlagReason::LikeSpam),
            "newcomer_link" => Some(FlagReason::NewcomerLink),
            _ => None,
        }
    }
}

/// A message screening hid, waiting for a host or co-host.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct FlaggedMessage {
    pub room_id: RoomId,
    pub seq: Seq,
    /// The sender's room identity and nickname there.
    pub sender_id: UserId,
    pub nickname: String,
    pub text: String,
    pub reason: FlagReason,
    /// Cosine similarity to the closest labelled spam (`like_spam`).
    pub score: Option<f32>,
    pub flagged_at: Millis,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct FlaggedMessages {
    /// Newest first.
    pub messages: Vec<FlaggedMessage>,
}

/// A message the operator labelled for screening: spam, or fine (so that
/// screening learns where the line is).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct SpamLabel {
    pub id: i64,
    pub text: String,
    pub spam: bool,
    pub added_at: Millis,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SpamLabelRequest {
    /// Up to 500 characters.
    pub text: String,
    pub spam: bool,
}

/// A host's decision on a flagged message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FlagVerdict {
    /// It was spam: it stays hidden.
    Spam,
    /// It was fine: everyone sees it again.
    Fine,
}

impl FlagVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            FlagVerdict::Spam => "spam",
            FlagVerdict::Fine => "fine",
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewFlag {
    pub verdict: FlagVerdict,
}

/// What a report is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ReportTarget {
    Message { room_id: RoomId, seq: Seq },
    OpenChat { open_chat_id: OpenChatId },
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    pub target: ReportTarget,
    /// `spam`, `abuse`, `sexual`, `illegal` or `other`.
    pub reason: String,
    #[serde(default)]
    pub details: String,
}

/// A report in the operators' queue, with what operators need to act.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Report {
    pub id: ReportId,
    pub target: ReportTarget,
    pub reason: String,
    pub details: String,
    pub reporter_handle: String,
    /// The account behind the reported message or open chat.
    pub reported_handle: String,
    pub reported_user_id: UserId,
    /// The reported message's text, or the open chat's title.
    pub excerpt: String,
    pub created_at: Millis,
    pub resolved_at: Option<Millis>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuspendRequest {
    pub user_id: UserId,
    /// 1–60; absent for a permanent suspension.
    #[serde(default)]
    pub days: Option<i64>,
    #[serde(default)]
    pub reason: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Suspension {
    pub user_id: UserId,
    pub handle: String,
    /// Absent: permanent.
    pub until: Option<Millis>,
    pub reason: String,
    pub created_at: Millis,
}

/// Why an open chat is recommended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RecommendReason {
    /// "Because you follow #tag".
    Interest { tag: String },
    /// "People in {title} also joined this": one of the caller's own chats.
    SimilarTo { open_chat_id: OpenChatId, title: String },
    /// Its title, description and hashtags mean something close to the
    /// caller's interests and chats (sentence embeddings, where the server
    /// runs an embedder).
    Topic,
    /// Busy and growing.
    Popular,
}

/// An open chat in a list: search, a category, trending, recommended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OpenChatCard {
    pub id: OpenChatId,
    pub kind: OpenChatKind,
    pub title: String,
    pub description: String,
    pub hashtags: Vec<String>,
    pub category: String,
    pub cover: Option<MediaId>,
    pub member_count: i64,
    pub member_cap: i64,
    pub has_entry_code: bool,
    pub real_profile_only: bool,
    /// Joining needs an active subscription (see `GET /api/v1/openchats/{id}/tiers`).
    pub subscription_required: bool,
    pub last_active_at: Millis,
    /// The caller is in it.
    pub joined: bool,
    /// For a recommendation: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<RecommendReason>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct OpenChatPage {
    pub open_chats: Vec<OpenChatCard>,
    /// Pass as `offset` for the next page.
    pub next_offset: Option<i64>,
}

/// Topics a person follows, for recommendations: hashtags or categories.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Interests {
    pub tags: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct TrendingKeywords {
    pub keywords: Vec<String>,
}
