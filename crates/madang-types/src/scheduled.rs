//! Scheduled messages: written now, sent into a room at a chosen time as
//! an ordinary message (with its own seq then), by whichever node claims
//! it first.

use crate::{MediaId, Millis, RoomId, ScheduledId, Seq, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScheduledState {
    /// Waiting for its time.
    Pending,
    /// Sent: `sent_seq` is the message.
    Sent,
    /// Cancelled by its writer (`reason` `cancelled`), or because they
    /// left the room (`left`).
    Cancelled,
    /// Refused when its time came; `reason` is the refusal's code
    /// (`blocked`, `banned_word`, `media_not_found`, …).
    Failed,
}

impl ScheduledState {
    pub fn as_str(self) -> &'static str {
        match self {
            ScheduledState::Pending => "pending",
            ScheduledState::Sent => "sent",
            ScheduledState::Cancelled => "cancelled",
            ScheduledState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => ScheduledState::Pending,
            "sent" => ScheduledState::Sent,
            "cancelled" => ScheduledState::Cancelled,
            "failed" => ScheduledState::Failed,
            _ => return None,
        })
    }
}

/// A scheduled message, as only its writer sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ScheduledMessage {
    pub id: ScheduledId,
    pub room_id: RoomId,
    pub text: String,
    pub reply_to: Option<Seq>,
    pub mentions: Vec<UserId>,
    pub attachment: Option<MediaId>,
    /// When it goes out (ms since the epoch).
    pub send_at: Millis,
    pub state: ScheduledState,
    /// Why it was cancelled or failed.
    pub reason: Option<String>,
    /// The message it became.
    pub sent_seq: Option<Seq>,
    pub created_at: Millis,
}

/// `POST /api/v1/rooms/{room}/scheduled`: a message as for a send, and
/// when to send it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleRequest {
    #[serde(default)]
    pub text: String,
    /// At least `min_lead_secs` and at most `max_lead_secs` from now.
    pub send_at: Millis,
    #[serde(default)]
    pub reply_to: Option<Seq>,
    #[serde(default)]
    pub mentions: Vec<UserId>,
    #[serde(default)]
    pub attachment: Option<MediaId>,
}

/// `PATCH /api/v1/scheduled/{id}`: a new text and/or time.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduledUpdate {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub send_at: Option<Millis>,
}

/// The caller's scheduled messages, with how far ahead they may be set.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ScheduledList {
    /// Pending ones by time; for the list of all rooms, also those
    /// cancelled or refused in the last week, so the writer learns of it.
    pub scheduled: Vec<ScheduledMessage>,
    pub min_lead_secs: i64,
    pub max_lead_secs: i64,
}
