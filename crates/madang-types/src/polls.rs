//! Polls in group chats and open chats: single or multiple choice,
//! optionally anonymous, optionally closing at a time; a vote can be
//! changed until the poll closes.

use crate::{ClientMsgId, Millis, RoomId, Seq, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /api/v1/rooms/{room}/polls`: posts a poll as a message.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePollRequest {
    /// As for a message: a retry with the same id returns the same poll.
    pub client_id: ClientMsgId,
    /// 1 to 200 characters.
    pub question: String,
    /// 2 to 10 different options of 1 to 80 characters.
    pub options: Vec<String>,
    /// Several options may be chosen.
    #[serde(default)]
    pub multiple: bool,
    /// Nobody is shown who voted for what.
    #[serde(default)]
    pub anonymous: bool,
    /// When it closes by itself: in the future, at most 30 days ahead.
    #[serde(default)]
    pub closes_at: Option<Millis>,
}

/// `PUT /api/v1/rooms/{room}/polls/{seq}/vote`: my whole vote, replacing
/// the one before; empty takes it back.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoteRequest {
    /// Indexes into the poll's options (one, unless it is `multiple`).
    pub options: Vec<u32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PollOption {
    pub text: String,
    pub votes: i64,
    /// Who chose it, by their identity in the room (a nickname's persona
    /// in an open chat); always empty in an anonymous poll.
    pub voters: Vec<UserId>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Poll {
    pub room_id: RoomId,
    /// The poll's message.
    pub seq: Seq,
    pub question: String,
    pub options: Vec<PollOption>,
    pub multiple: bool,
    pub anonymous: bool,
    pub closes_at: Option<Millis>,
    /// Closed by its author or by its time: no more votes.
    pub closed: bool,
    /// How many people voted.
    pub voters: i64,
    /// The options I chose.
    pub my_votes: Vec<u32>,
    /// Its author (room identity), who may close it.
    pub author_id: UserId,
}
