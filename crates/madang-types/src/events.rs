//! Room events (the ordered, durable log of each room) and the WebSocket
//! frames that carry them and the ephemeral signals (typing, reads).

use crate::api::{Message, Room};
use crate::{DeviceId, Millis, PungId, RoomId, Seq, UserId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// One entry of a room's log. `seq` is gap-free per room (invariant 1).
/// Every user id in an event (`actor`, a sender, who joined) is the room
/// identity: in an open chat, a persona's id unless the member chose their
/// real profile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RoomEvent {
    pub room_id: RoomId,
    pub seq: Seq,
    pub actor: UserId,
    pub at: Millis,
    pub body: EventBody,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventBody {
    /// The room was created (first event of every room).
    Created {
        title: String,
    },
    /// A message was posted; its seq is the event's seq.
    Message {
        message: Box<Message>,
    },
    /// The message at `target` now reads `text`.
    Edited {
        target: Seq,
        text: String,
        edited_at: Millis,
    },
    /// The message at `target` was deleted for everyone.
    Deleted {
        target: Seq,
    },
    ReactionAdded {
        target: Seq,
        emoji: String,
    },
    ReactionRemoved {
        target: Seq,
        emoji: String,
    },
    Joined {
        user: UserId,
        invited_by: Option<UserId>,
    },
    Left {
        user: UserId,
    },
    /// Open chat: a host or co-host hid the message at `target` for
    /// everyone (가리기); its text is no longer shown.
    Hidden {
        target: Seq,
    },
    /// Open chat: a hidden message is shown again.
    Restored {
        target: Seq,
    },
    /// Open chat: `user` was removed by a host or co-host; `banned` means
    /// they cannot come back, under any nickname.
    Kicked {
        user: UserId,
        banned: bool,
    },
    /// Open chat: the message at `target` is the room's notice.
    NoticePinned {
        target: Seq,
    },
    NoticeUnpinned,
    /// Open chat: `user` is now `role` (`host`, `cohost` or `member`).
    RoleChanged {
        user: UserId,
        role: crate::openchat::OpenRole,
    },
    /// Open chat: the host gave the room a new title.
    Renamed {
        title: String,
    },
    /// Open chat: the host left without handing over; nothing more can be
    /// sent and nobody can join.
    Closed,
    /// Group chat: `actor` added the server's assistant, which answers
    /// messages that mention `assistant` (it is not a member).
    AssistantAdded {
        assistant: UserId,
    },
    /// Group chat: `actor` removed the assistant.
    AssistantRemoved {
        assistant: UserId,
    },
}

/// One member's read cursor moved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReadMark {
    pub user_id: UserId,
    pub seq: Seq,
}

/// Frames a client sends on `/api/v1/ws`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientFrame {
    /// First frame after connecting: the last seq the device holds per room.
    /// Rooms not named are delivered live from now on (fetch history by REST).
    Resume {
        #[serde(default)]
        cursors: BTreeMap<RoomId, Seq>,
    },
    Ping,
    /// Durable send; answered by `ack` once committed.
    Send {
        room_id: RoomId,
        #[serde(flatten)]
        message: crate::api::SendMessageRequest,
    },
    Typing {
        room_id: RoomId,
    },
    Read {
        room_id: RoomId,
        seq: Seq,
    },
    /// The client has every event of the room up to `seq` on screen, or at
    /// hand to show: its device is not pushed them. A message it leaves
    /// unacknowledged for a few seconds (`push_grace_ms`) is pushed.
    Received {
        room_id: RoomId,
        seq: Seq,
    },
    /// The caller has read a message's comments up to `thread_seq`.
    ThreadRead {
        room_id: RoomId,
        root: Seq,
        thread_seq: Seq,
    },
}

/// Frames the server sends on `/api/v1/ws`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// Sent after the `resume` replay: everything below is live.
    Ready {
        user_id: UserId,
        device_id: DeviceId,
    },
    Pong,
    Event {
        event: RoomEvent,
    },
    Ack {
        room_id: RoomId,
        client_id: crate::ClientMsgId,
        seq: Seq,
    },
    /// Coalesced read-cursor moves in one room.
    Reads {
        room_id: RoomId,
        reads: Vec<ReadMark>,
    },
    Typing {
        room_id: RoomId,
        user_id: UserId,
    },
    /// The user was added to a room (replayed from its `joined_seq`).
    RoomAdded {
        room: Box<Room>,
    },
    /// The user left or was removed from a room.
    RoomRemoved {
        room_id: RoomId,
    },
    /// A friend posted a Pung the caller may see.
    PungPosted {
        pung_id: PungId,
        author_id: UserId,
    },
    /// A Pung the caller could see was deleted or expired.
    PungRemoved {
        pung_id: PungId,
    },
    /// Someone viewed, reacted to or voted on the caller's Pung.
    PungActivity {
        pung_id: PungId,
    },
    /// Which Pungs the caller may see changed (a friendship ended or a
    /// block was made): fetch the feed again.
    PungsChanged,
    /// To a bot: a person pressed a postback button under its message.
    ButtonPressed {
        press: crate::api::ButtonPress,
    },
    /// A poll in one of the caller's rooms was voted on or closed: fetch
    /// `GET /api/v1/rooms/{room_id}/polls/{seq}`.
    PollChanged {
        room_id: RoomId,
        seq: Seq,
    },
    /// The caller's chat folders changed (on any of their devices): fetch
    /// `GET /api/v1/folders` again.
    FoldersChanged,
    /// The caller read a thread on one of their devices: its comments up
    /// to `thread_seq` are read.
    ThreadRead {
        room_id: RoomId,
        root: Seq,
        thread_seq: Seq,
    },
    /// One of the caller's scheduled messages changed: made, edited, sent,
    /// cancelled (also because they left its room) or refused.
    ScheduledChanged {
        scheduled: Box<crate::scheduled::ScheduledMessage>,
    },
    /// For a business's agents: a conversation in a channel's shared inbox
    /// changed (the person wrote, or an agent answered, assigned or
    /// closed it). Fetch the inbox or the room.
    InboxChanged {
        channel_id: crate::ChannelId,
        room_id: RoomId,
    },
    /// History was imported into one of the caller's rooms, before its
    /// first message: page back (`before` the oldest seq held) to read it.
    /// Nothing of it is unread.
    HistoryImported {
        room_id: RoomId,
    },
    /// One of the caller's exports moved on, finished (with its
    /// `download_url`), failed or expired.
    ExportChanged {
        export: Box<crate::history::ExportJob>,
    },
    /// The caller's import (`POST /api/v1/imports`) moved on.
    ImportProgress {
        progress: crate::history::ImportProgress,
    },
    /// A refusal: the same body as an HTTP error's `error`.
    Error {
        #[serde(flatten)]
        error: crate::api::ErrorDetail,
        /// For a failed `send`: the client id it carried.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_id: Option<crate::ClientMsgId>,
    },
}
