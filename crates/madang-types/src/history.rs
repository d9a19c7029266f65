//! Bringing a chat from another messenger: what an export holds (the
//! preview), who each of its senders is (the plan), and what an import did.

use crate::{Millis, RoomId, UserId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Which app wrote the export.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// KakaoTalk's PC app (`[name] [오후 3:04] text` under date lines).
    KakaoPc,
    /// KakaoTalk on a phone (`2024. 1. 5. 오후 3:04, name : text`).
    KakaoMobile,
    /// WhatsApp's `.txt` (Android or iOS).
    Whatsapp,
    /// Madang's own JSON export (`chat.json` in its zip).
    Madang,
}

impl ExportFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::KakaoPc => "kakao_pc",
            ExportFormat::KakaoMobile => "kakao_mobile",
            ExportFormat::Whatsapp => "whatsapp",
            ExportFormat::Madang => "madang",
        }
    }
}

/// A name that writes in the export.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ImportSender {
    pub name: String,
    pub messages: i64,
    /// A friend of the caller shown under exactly this name, if one is:
    /// a suggestion for the plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub friend_id: Option<UserId>,
}

/// What an export holds, read and nothing written.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ImportPreview {
    pub format: ExportFormat,
    /// The chat's name, when the export says it.
    pub title: Option<String>,
    /// Messages and notices (invites, leaves) it would write.
    pub messages: i64,
    /// Files of the zip that messages name, to be attached.
    pub media: i64,
    /// The first and last message's time, read in `time_zone`.
    pub first_at: Millis,
    pub last_at: Millis,
    pub time_zone: String,
    /// Those who write in it, most messages first.
    pub senders: Vec<ImportSender>,
    /// The sender shown under the caller's own name, if one is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub me: Option<String>,
    /// The caller imported this chat already: importing it again does
    /// nothing and answers with this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub already: Option<ImportDone>,
}

/// Who is who, sent with the file to `POST /api/v1/imports`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportPlan {
    /// The export's name for the caller.
    pub me: String,
    /// Export names that are Madang friends of the caller. Every other
    /// sender is kept as a name only (their messages are stored under the
    /// caller's account and shown under that name).
    #[serde(default)]
    pub friends: BTreeMap<String, UserId>,
    /// Write before the live messages of this room (a 1:1 or group chat
    /// of the caller's, with every friend above in it). Without one, a new
    /// group chat with the caller and the friends is made.
    #[serde(default)]
    pub room_id: Option<RoomId>,
    /// The new group's title; the export's own, or the first names.
    #[serde(default)]
    pub title: Option<String>,
    /// The zone the exporting phone's clock was in (IANA); the caller's
    /// own by default.
    #[serde(default)]
    pub time_zone: Option<String>,
}

/// What an import wrote.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ImportDone {
    pub import_id: i64,
    pub room_id: RoomId,
    pub messages: i64,
    pub media: i64,
    /// This chat had been imported before: nothing was written now.
    pub already_imported: bool,
}

/// An import on its way, over the WebSocket to whoever runs it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ImportProgress {
    /// `media` (the zip's files being stored) or `messages`.
    pub stage: String,
    pub done: i64,
    pub total: i64,
}

/// What an export of Madang's own holds: a room's history as text, as
/// JSON (with its media, which imports back), as a page to open, or a
/// person's whole account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportKind {
    /// KakaoTalk's PC layout, a `.txt`.
    Txt,
    /// A zip: `chat.json` (a [`ChatArchive`]) and `media/`.
    Json,
    /// A zip: `index.html`, one page that needs nothing else, and `media/`.
    Html,
    /// A zip: `account.json` (an [`AccountArchive`]) and `media/`.
    Account,
}

impl ExportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportKind::Txt => "txt",
            ExportKind::Json => "json",
            ExportKind::Html => "html",
            ExportKind::Account => "account",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "txt" => Some(ExportKind::Txt),
            "json" => Some(ExportKind::Json),
            "html" => Some(ExportKind::Html),
            "account" => Some(ExportKind::Account),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportState {
    /// Waiting for a node to take it.
    Pending,
    Running,
    /// Ready: `download_url` until `expires_at`.
    Done,
    Failed,
    /// Past `expires_at`: the file is gone.
    Expired,
}

impl ExportState {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportState::Pending => "pending",
            ExportState::Running => "running",
            ExportState::Done => "done",
            ExportState::Failed => "failed",
            ExportState::Expired => "expired",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(ExportState::Pending),
            "running" => Some(ExportState::Running),
            "done" => Some(ExportState::Done),
            "failed" => Some(ExportState::Failed),
            "expired" => Some(ExportState::Expired),
            _ => None,
        }
    }
}

/// `POST /api/v1/rooms/{room}/exports`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateExportRequest {
    /// `txt`, `json` or `html`.
    pub format: ExportKind,
}

/// An export on its way or ready, as its owner sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ExportJob {
    pub id: i64,
    pub kind: ExportKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room_id: Option<RoomId>,
    pub state: ExportState,
    /// Messages (or items) written so far, of `total`.
    pub done: i64,
    pub total: i64,
    pub created_at: Millis,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<Millis>,
    /// After this the link answers `410 export_expired`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Millis>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<i64>,
    /// Done: where to fetch it, without signing in (the link is the key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub download_url: Option<String>,
    /// Failed: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A room in an archive.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ArchivedRoom {
    pub id: RoomId,
    pub kind: crate::api::RoomKind,
    pub title: String,
}

/// `chat.json` of a JSON export: the room from the exporter's join on, in
/// the API's own shapes, oldest first. An attachment's file is in the zip
/// at `media/{media_id}/{name}`. `POST /api/v1/imports` reads it back.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ChatArchive {
    /// 1: this layout.
    pub madang_export: u32,
    pub exported_at: Millis,
    pub room: ArchivedRoom,
    /// Who wrote, as the exporter saw them.
    pub people: Vec<crate::api::Profile>,
    pub messages: Vec<crate::api::Message>,
}

/// `account.json` of an account export: what the server holds of one
/// person that is theirs. Attachments are in the zip as in a chat's.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AccountArchive {
    pub madang_export: u32,
    pub exported_at: Millis,
    pub me: crate::api::Me,
    pub friends: Vec<crate::api::Friend>,
    pub rooms: Vec<ArchivedRoom>,
    /// Every message of mine that still exists, oldest first.
    pub messages: Vec<crate::api::Message>,
    /// My Pungs that have not expired.
    pub pungs: Vec<crate::pung::Pung>,
}
