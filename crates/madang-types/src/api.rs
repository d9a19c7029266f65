//! REST request and response bodies (snake_case JSON). Requests reject
//! unknown fields so that a typo is a clear 400, not a silently ignored value.

use crate::{ClientMsgId, DeviceId, MediaId, Millis, PungId, RoomId, Seq, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

// ---------- accounts ----------

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignUpRequest {
    /// 3–20 characters: lowercase letters, digits, `_` and `.`.
    pub handle: String,
    /// 8–128 characters.
    pub password: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub birthday: Option<String>,
    /// Shown in the device list, e.g. "Chrome on Linux".
    #[serde(default)]
    pub device_name: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub handle: String,
    pub password: String,
    #[serde(default)]
    pub device_name: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct SessionResponse {
    /// Bearer token for `Authorization: Bearer …`; shown once.
    pub token: String,
    pub device_id: DeviceId,
    pub expires_at: Millis,
    pub user: Me,
}

/// The caller's own account, with private fields.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Me {
    pub id: UserId,
    pub handle: String,
    pub display_name: String,
    pub status_message: String,
    pub avatar: Option<MediaId>,
    pub birthday: Option<String>,
    pub has_phone: bool,
    pub has_email: bool,
    pub created_at: Millis,
    /// A bot's owner (the account is a bot, signed in by its token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot_owner: Option<UserId>,
}

/// What other people see of an account; in an open chat, of a member's
/// per-room profile (then `id` is negative, `handle` empty, and
/// `avatar_seed` gives the generated avatar).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Profile {
    pub id: UserId,
    pub handle: String,
    pub display_name: String,
    pub status_message: String,
    pub avatar: Option<MediaId>,
    /// An open-chat persona's generated avatar, `"🦊 #f4a261"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_seed: Option<String>,
    /// A bot (shown with 🤖), not a person.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub bot: bool,
}

/// `POST /api/v1/bots`: a bot the caller will own.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBotRequest {
    /// 3–20 characters: lowercase letters, digits, `_` and `.`.
    pub handle: String,
    #[serde(default)]
    pub display_name: Option<String>,
}

/// A bot and a token that signs it in (`Authorization: Bearer`). Shown
/// once: keep it; rotating makes a new one and ends the old.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct BotToken {
    pub bot: Profile,
    pub token: String,
}

/// A button under a bot's message (only bots send them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Button {
    /// Pressing it (`POST /api/v1/rooms/{room}/messages/{seq}/press`)
    /// tells the bot, with `data`, by a `button_pressed` frame and webhook.
    Postback {
        /// 1–40 characters.
        label: String,
        /// 1–64 bytes the bot chose; what the press hands back.
        data: String,
    },
    /// Opens `url` (`https` or `http`) in a new tab.
    Link { label: String, url: String },
}

impl Button {
    pub fn label(&self) -> &str {
        match self {
            Button::Postback { label, .. } | Button::Link { label, .. } => label,
        }
    }
}

/// `POST /api/v1/rooms/{room}/messages/{seq}/press`: which of the
/// message's buttons, counted from 0.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PressRequest {
    pub button: u32,
}

/// A person pressed a postback button under a bot's message. The bot
/// answers in the room as it likes, e.g. with a reply to `seq`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ButtonPress {
    /// Unique per press; also the webhook delivery's id.
    pub id: String,
    pub room_id: RoomId,
    /// The message whose button it was.
    pub seq: Seq,
    /// Which button, counted from 0, and its data.
    pub button: u32,
    pub data: String,
    /// Who pressed it, as the room shows them (an open chat persona there).
    pub user_id: UserId,
    pub display_name: String,
    pub at: Millis,
}

/// A command a bot offers (`/roll`), shown when `/` is typed in a room
/// the bot is in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BotCommand {
    /// 1–32 characters: lowercase letters, digits and `_`; without the `/`.
    pub command: String,
    /// At most 100 characters.
    #[serde(default)]
    pub description: String,
}

/// `PUT /api/v1/bots/{id}/commands`: the bot's commands, replacing those
/// it had (at most 20; an empty list removes them).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BotCommands {
    pub commands: Vec<BotCommand>,
}

/// The commands of the bots in a room, for the `/` menu.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RoomCommand {
    /// The bot, as the room shows it.
    pub bot_id: UserId,
    pub bot_name: String,
    pub command: String,
    pub description: String,
}

/// `PUT /api/v1/bots/{id}/webhook`: where the bot's events are posted.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetWebhookRequest {
    /// `https`, on a host the operator allows (`[webhooks]`), never a
    /// private address unless the operator named it.
    pub url: String,
}

/// A bot's webhook.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Webhook {
    pub url: String,
    /// Signs every delivery (`webhook-signature`); given only when the
    /// webhook is set. `whsec_` and the key in base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    pub created_at: Millis,
    /// Set when deliveries failed for the whole retry window: nothing is
    /// posted until the webhook is set again.
    pub disabled_at: Option<Millis>,
    /// Why the last try failed, if it did.
    pub last_error: Option<String>,
    /// Deliveries waiting.
    pub pending: i64,
}

/// `POST /api/v1/rooms/{room}/integrations`: an incoming webhook that
/// posts into the room under this name.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateIntegrationRequest {
    /// 1–30 characters: the name its messages are shown under.
    pub name: String,
}

/// A room's incoming webhook: a bot in the room, shown under its name.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Integration {
    /// The bot its messages come from.
    pub id: UserId,
    pub name: String,
    pub created_by: UserId,
    pub created_at: Millis,
}

/// A new incoming webhook and where to post (shown once): `POST` JSON
/// `{"text": "…"}` to `path` on this server. Anyone with the path can
/// post into the room as the integration, and do nothing else.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct IntegrationCreated {
    pub integration: Integration,
    /// `/api/v1/hooks/{token}`.
    pub path: String,
}

/// `POST /api/v1/hooks/{token}`: a message from an integration.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HookMessage {
    pub text: String,
    /// Makes a retry safe: the same id returns the stored message.
    #[serde(default)]
    pub client_id: Option<ClientMsgId>,
    /// Buttons under it (at most 10).
    #[serde(default)]
    pub buttons: Vec<Button>,
}

/// What is posted to a bot's webhook: the same objects the WebSocket
/// sends it (`type` `event` or `button_pressed`).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BotUpdate {
    /// A message in a room the bot is in.
    Event {
        event: crate::events::RoomEvent,
    },
    ButtonPressed {
        press: ButtonPress,
    },
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProfileRequest {
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub status_message: Option<String>,
    /// `YYYY-MM-DD`; an empty string clears it.
    #[serde(default)]
    pub birthday: Option<String>,
    /// An empty string clears it.
    #[serde(default)]
    pub phone: Option<String>,
    /// An empty string clears it.
    #[serde(default)]
    pub email: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Device {
    pub id: DeviceId,
    pub name: String,
    pub created_at: Millis,
    pub last_seen_at: Millis,
    pub expires_at: Millis,
    /// True for the device that made this request.
    pub current: bool,
}

// ---------- friends ----------

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddFriendRequest {
    pub handle: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Friend {
    pub profile: Profile,
    pub favourite: bool,
    pub hidden: bool,
    /// They have the caller on their friend list too. Pungs are shared
    /// with mutual friends only.
    pub mutual: bool,
    pub since: Millis,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateFriendRequest {
    #[serde(default)]
    pub favourite: Option<bool>,
    #[serde(default)]
    pub hidden: Option<bool>,
}

/// Lower-case hex SHA-256 of normalised contacts: phone numbers as digits
/// only with country code (`821012345678`), e-mail addresses trimmed and
/// lower-cased.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactMatchRequest {
    #[serde(default)]
    pub phone_sha256: Vec<String>,
    #[serde(default)]
    pub email_sha256: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BlockRequest {
    pub user_id: UserId,
}

// ---------- chats ----------

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoomKind {
    Direct,
    Group,
    /// A group open chat.
    Open,
    /// One visitor's private room with the host of a 1:1 open chat or an
    /// open profile.
    OpenDirect,
    /// A person's room with a business channel: the channel's messages
    /// and campaigns arrive here, and its agents answer as the channel.
    Channel,
}

impl RoomKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RoomKind::Direct => "direct",
            RoomKind::Group => "group",
            RoomKind::Open => "open",
            RoomKind::OpenDirect => "open_direct",
            RoomKind::Channel => "channel",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "direct" => Some(RoomKind::Direct),
            "group" => Some(RoomKind::Group),
            "open" => Some(RoomKind::Open),
            "open_direct" => Some(RoomKind::OpenDirect),
            "channel" => Some(RoomKind::Channel),
            _ => None,
        }
    }
    /// Members are known by their open-chat profiles here.
    pub fn is_open(self) -> bool {
        matches!(self, RoomKind::Open | RoomKind::OpenDirect)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenDirectRequest {
    pub user_id: UserId,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGroupRequest {
    pub title: String,
    pub member_ids: Vec<UserId>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    pub user_ids: Vec<UserId>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRoomSettingsRequest {
    #[serde(default)]
    pub muted: Option<bool>,
    #[serde(default)]
    pub pinned: Option<bool>,
}

/// A room as one member sees it in the chat list.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Room {
    pub id: RoomId,
    pub kind: RoomKind,
    /// For an open chat's rooms: the open chat.
    #[serde(default)]
    pub open_chat: Option<crate::OpenChatId>,
    /// For a channel room: the channel.
    #[serde(default)]
    pub channel: Option<crate::ChannelId>,
    /// The caller's identity in this room: their own id, except in an
    /// open chat joined with a nickname (their persona's id). Messages,
    /// reads and typing name the caller by this id.
    pub my_id: UserId,
    /// Group title; for a 1:1 room, the other person's display name.
    pub title: String,
    pub member_count: i64,
    /// Seq of the newest event in the room.
    pub last_seq: Seq,
    /// The caller's read cursor.
    pub read_seq: Seq,
    /// First seq the caller may see (events before they joined are hidden).
    pub joined_seq: Seq,
    /// Messages by others after the caller's read cursor.
    pub unread: i64,
    pub last_message: Option<Message>,
    pub muted: bool,
    pub pinned: bool,
    /// For a 1:1 room: the other person.
    pub peer: Option<Profile>,
    /// For a group chat with the assistant added: the account it speaks
    /// as. Mention it to ask it something; it is not a member.
    #[serde(default)]
    pub assistant: Option<Profile>,
    pub created_at: Millis,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Member {
    pub profile: Profile,
    pub read_seq: Seq,
    pub joined_seq: Seq,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    Text,
    Image,
    File,
    /// A reply to a Pung (`pung_id`), sent to its author's 1:1 chat.
    PungReply,
    /// The sender tagged the recipient in a Pung (`pung_id`).
    PungTag,
    /// A poll; its text is the question. Read it, with the votes, from
    /// `GET /api/v1/rooms/{room}/polls/{seq}`.
    Poll,
    /// A voice recording: the attachment, with its `voice` measures.
    Voice,
    /// A line of imported history with no sender: an invite, a leave, an
    /// app's notice. Shown in the middle of the timeline.
    Notice,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Text => "text",
            MessageKind::Image => "image",
            MessageKind::File => "file",
            MessageKind::PungReply => "pung_reply",
            MessageKind::PungTag => "pung_tag",
            MessageKind::Poll => "poll",
            MessageKind::Voice => "voice",
            MessageKind::Notice => "notice",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "text" => Some(MessageKind::Text),
            "image" => Some(MessageKind::Image),
            "file" => Some(MessageKind::File),
            "pung_reply" => Some(MessageKind::PungReply),
            "pung_tag" => Some(MessageKind::PungTag),
            "poll" => Some(MessageKind::Poll),
            "voice" => Some(MessageKind::Voice),
            "notice" => Some(MessageKind::Notice),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Attachment {
    pub media_id: MediaId,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub width: Option<i64>,
    pub height: Option<i64>,
    /// Present for images: a small JPEG preview.
    pub thumbnail: Option<MediaId>,
    /// A voice message's length and loudness.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<VoiceInfo>,
}

/// What a client measured of a voice recording: its length, and its
/// loudness in up to 128 steps (0 silent, 255 loudest) for the waveform.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoiceInfo {
    pub duration_ms: i64,
    pub waveform: Vec<u8>,
}

/// A voice message's words, made when asked and kept nowhere.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Transcript {
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReactionCount {
    pub emoji: String,
    pub count: i64,
    /// Whether the caller is one of them (false in live events).
    pub me: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Message {
    pub room_id: RoomId,
    pub seq: Seq,
    pub sender_id: UserId,
    pub client_id: ClientMsgId,
    pub kind: MessageKind,
    /// Empty once deleted for everyone.
    pub text: String,
    pub reply_to: Option<Seq>,
    pub mentions: Vec<UserId>,
    pub attachment: Option<Attachment>,
    /// The Pung a `pung_reply` or `pung_tag` message is about. The message
    /// quotes nothing of it: fetch `/api/v1/pungs/{id}`, which answers 404
    /// once it is gone (and this field is cleared when it is purged).
    #[serde(default)]
    pub pung_id: Option<PungId>,
    pub reactions: Vec<ReactionCount>,
    pub created_at: Millis,
    pub edited_at: Option<Millis>,
    pub deleted: bool,
    /// Open chat: hidden for everyone by a host or co-host (가리기); the
    /// text and attachment are not shown.
    #[serde(default)]
    pub hidden: bool,
    /// A channel room: the campaign that sent it (an advertising one
    /// carries a one-tap opt-out, `POST /api/v1/campaigns/{id}/opt-out`).
    #[serde(default)]
    pub campaign_id: Option<crate::CampaignId>,
    /// Members whose read cursor is below this message (KakaoTalk's "1");
    /// 0 for a comment (a thread keeps no receipts).
    pub unread_count: i64,
    /// A comment: the seq of the message it is under. Comments are not
    /// part of the room's timeline; they have their own order,
    /// `thread_seq` (1, 2, … under each message).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_root: Option<Seq>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_seq: Option<Seq>,
    /// A message others commented under, or one the caller follows the
    /// thread of: its comments as the caller sees them. Absent in live
    /// events: a client adds each comment it is sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<ThreadSummary>,
    /// Written by an assistant (a group's, or a channel's answering its
    /// customers), not by a person.
    #[serde(default)]
    pub by_assistant: bool,
    /// Brought from another messenger's export (`POST /api/v1/imports`):
    /// written before the room's live messages, at its original time.
    #[serde(default)]
    pub imported: bool,
    /// An imported message whose sender was kept as a name only: the name
    /// the export gave (`sender_id` is then whoever imported it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imported_name: Option<String>,
    /// A bot's buttons under the message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buttons: Vec<Button>,
}

/// A message's comment thread, as one member sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ThreadSummary {
    /// Comments ever written under it (a deleted one still counts, shown
    /// as deleted).
    pub comments: i64,
    /// The caller follows it: they wrote the message, commented, or read
    /// the thread. Only a followed thread counts unread comments.
    pub following: bool,
    /// Comments by others past the caller's thread cursor.
    pub unread: i64,
    /// The caller's thread cursor (a `thread_seq`), 0 before any read.
    pub read_seq: Seq,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendMessageRequest {
    /// Unique per sender; a retry with the same id returns the stored message.
    pub client_id: ClientMsgId,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub reply_to: Option<Seq>,
    #[serde(default)]
    pub mentions: Vec<UserId>,
    /// A media id from `POST /api/v1/media`.
    #[serde(default)]
    pub attachment: Option<MediaId>,
    /// Makes it a voice message: the attachment is the recording (audio:
    /// WebM or Ogg Opus, or MP4), at most `max_voice_secs` long.
    #[serde(default)]
    pub voice: Option<VoiceInfo>,
    /// Makes it a comment under that message (open chats only): it joins
    /// the message's thread, not the room's timeline.
    #[serde(default)]
    pub thread_root: Option<Seq>,
    /// Buttons under the message: bots only, at most 10.
    #[serde(default)]
    pub buttons: Vec<Button>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditMessageRequest {
    pub text: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReactionRequest {
    pub emoji: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadRequest {
    pub seq: Seq,
}

/// A message and a page of its comments.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ThreadPage {
    /// The message the thread is under, with its `thread` summary.
    pub root: Message,
    /// Newest first.
    pub comments: Vec<Message>,
    /// Pass as `before` to get the next (older) page; absent at the start.
    pub next_before: Option<Seq>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct MessagePage {
    /// Newest first.
    pub messages: Vec<Message>,
    /// Pass as `before` to get the next (older) page; absent at the start.
    pub next_before: Option<Seq>,
}

/// What a room's drawer shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DrawerKind {
    /// Photos, and files that are videos.
    Media,
    /// Every other file.
    Files,
    /// Web addresses written in messages.
    Links,
}

/// One thing in a room's drawer; open its message at `seq`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct DrawerItem {
    pub seq: Seq,
    pub sender_id: UserId,
    pub created_at: Millis,
    /// A photo, video or file.
    pub attachment: Option<Attachment>,
    /// A link (`links`): the address as written, `https://` added to a
    /// bare `www.` one.
    pub url: Option<String>,
    /// The message's text, cut to 200 characters.
    pub text: String,
}

/// A page of a drawer, newest first.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct DrawerPage {
    pub items: Vec<DrawerItem>,
    /// Pass as `before` for the next (older) page; absent at the start.
    pub next_before: Option<Seq>,
}

/// A piece of a search hit's snippet: `hit` where the query matched.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct SnippetPart {
    pub text: String,
    pub hit: bool,
}

/// One message a search found.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct MessageSearchHit {
    pub room_id: RoomId,
    /// The room's title as the searcher sees it.
    pub room_title: String,
    pub message: Message,
    /// The message around the first match (cut with "…"), in pieces; no
    /// markup, so a client shows it as text.
    pub snippet: Vec<SnippetPart>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct MessageSearchPage {
    /// Newest first.
    pub results: Vec<MessageSearchHit>,
    /// Pass as `before` for the next (older) page; absent at the end.
    pub next_before: Option<i64>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct EventPage {
    /// Oldest first.
    pub events: Vec<crate::events::RoomEvent>,
    /// True when more events follow; ask again with `after` = last seq.
    pub has_more: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct MediaUploaded {
    pub media_id: MediaId,
    pub content_type: String,
    pub size: i64,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub thumbnail: Option<MediaId>,
}

// ---------- errors ----------

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable code such as `not_member`.
    pub code: String,
    /// Human-readable explanation; may change between releases.
    pub message: String,
    /// `flooding`: which limit was hit, `same_text` or `links`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `banned_word`: the host's word that the text contains.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub word: Option<String>,
    /// `rate_limited`, `flooding`: when a retry can succeed (also the
    /// `Retry-After` header, in whole seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<i64>,
    /// `malformed_export`: the export's line where reading stopped, from 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<i64>,
}
