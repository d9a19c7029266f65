//! Pung (펑) bodies: 24-hour moments shared with chosen friends. A Pung is
//! a photo or a text card; its decorations are stored as structure
//! ([`Layer`]), never baked into the image.

use crate::api::Profile;
use crate::{ClientMsgId, MediaId, Millis, PungId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PungKind {
    Photo,
    Text,
}

impl PungKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PungKind::Photo => "photo",
            PungKind::Text => "text",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "photo" => Some(PungKind::Photo),
            "text" => Some(PungKind::Text),
            _ => None,
        }
    }
}

/// Who a Pung is for. The audience is fixed when it is posted: a friend
/// added later does not see it, and one removed or blocked since stops
/// seeing it at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AudienceMode {
    /// Every friend at the time of posting.
    Friends,
    /// Only the friends named in `user_ids`.
    Chosen,
    /// Every friend at the time of posting except those in `user_ids`.
    Except,
    /// Nobody but the author.
    OnlyMe,
}

impl AudienceMode {
    pub fn as_str(self) -> &'static str {
        match self {
            AudienceMode::Friends => "friends",
            AudienceMode::Chosen => "chosen",
            AudienceMode::Except => "except",
            AudienceMode::OnlyMe => "only_me",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "friends" => Some(AudienceMode::Friends),
            "chosen" => Some(AudienceMode::Chosen),
            "except" => Some(AudienceMode::Except),
            "only_me" => Some(AudienceMode::OnlyMe),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Audience {
    pub mode: AudienceMode,
    /// For `chosen`: the friends who may see it; for `except`: the friends
    /// who may not. Empty for the other modes.
    #[serde(default)]
    pub user_ids: Vec<UserId>,
}

fn one() -> f64 {
    1.0
}

/// One decoration on a Pung. `x` and `y` place its centre as fractions of
/// the card's width and height (0–1, from the top left); `scale` is 0.25–4
/// and `rotation` is in degrees.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Layer {
    Text {
        text: String,
        /// `#rrggbb`; white when absent.
        #[serde(default)]
        color: Option<String>,
        x: f64,
        y: f64,
        #[serde(default = "one")]
        scale: f64,
        #[serde(default)]
        rotation: f64,
    },
    Sticker {
        /// One emoji.
        emoji: String,
        x: f64,
        y: f64,
        #[serde(default = "one")]
        scale: f64,
        #[serde(default)]
        rotation: f64,
    },
    /// At most one per Pung; viewers vote once and may change their vote.
    Poll {
        question: String,
        /// Two to four choices.
        options: Vec<String>,
        x: f64,
        y: f64,
    },
    Link {
        /// `http` or `https` only.
        url: String,
        #[serde(default)]
        label: Option<String>,
        x: f64,
        y: f64,
    },
    Location {
        name: String,
        lat: f64,
        lng: f64,
        x: f64,
        y: f64,
    },
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePungRequest {
    /// Unique per author; a retry with the same id returns the stored Pung.
    pub client_id: ClientMsgId,
    /// The text card's text, or a photo's caption.
    #[serde(default)]
    pub text: String,
    /// A text card's background, `#rrggbb`.
    #[serde(default)]
    pub background: Option<String>,
    /// A media id from `POST /api/v1/pungs/uploads`; makes this a photo Pung.
    #[serde(default)]
    pub photo: Option<MediaId>,
    #[serde(default)]
    pub layers: Vec<Layer>,
    pub audience: Audience,
    /// 12, 24 (the default) or 48.
    #[serde(default)]
    pub duration_hours: Option<i64>,
    /// Friends to tag (at most 10, each in the audience); each gets a
    /// message about it in the 1:1 chat.
    #[serde(default)]
    pub tags: Vec<UserId>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PungPhoto {
    pub media_id: MediaId,
    pub thumbnail: Option<MediaId>,
    pub width: Option<i64>,
    pub height: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PollState {
    /// Index of the caller's choice.
    pub my_vote: Option<i64>,
    /// Votes per option, in option order: shown to the author, and to a
    /// viewer once they have voted.
    pub votes: Option<Vec<i64>>,
}

/// A Pung as one person may see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Pung {
    pub id: PungId,
    pub author: Profile,
    pub kind: PungKind,
    pub text: String,
    pub background: Option<String>,
    pub photo: Option<PungPhoto>,
    pub layers: Vec<Layer>,
    pub tags: Vec<Profile>,
    pub created_at: Millis,
    /// It is gone from this moment on.
    pub expires_at: Millis,
    /// The caller has viewed it (always true for the author).
    pub seen: bool,
    pub my_reactions: Vec<String>,
    /// Present when a layer is a poll.
    pub poll: Option<PollState>,
    /// Author only: the audience mode.
    pub audience: Option<AudienceMode>,
    /// Author only: everyone it was shared with when posted.
    pub shared_with: Option<Vec<UserId>>,
    /// Author only.
    pub view_count: Option<i64>,
    /// Author only.
    pub reaction_count: Option<i64>,
}

/// One friend's Pungs that the caller may see, oldest first.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PungRing {
    pub author: Profile,
    pub pungs: Vec<Pung>,
    /// How many of them the caller has not viewed.
    pub unseen: i64,
    pub latest_at: Millis,
}

/// The row at the top of the Friends tab: friends with unseen Pungs first,
/// then by their latest Pung; and the caller's own.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PungFeed {
    pub mine: Vec<Pung>,
    pub friends: Vec<PungRing>,
}

/// Someone who viewed the author's Pung, with their reactions.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PungViewer {
    pub profile: Profile,
    pub viewed_at: Millis,
    pub reactions: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoteRequest {
    /// Index of the chosen option.
    pub option: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PungReplyRequest {
    pub client_id: ClientMsgId,
    pub text: String,
}
