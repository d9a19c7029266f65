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
}

impl ExportFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::KakaoPc => "kakao_pc",
            ExportFormat::KakaoMobile => "kakao_mobile",
            ExportFormat::Whatsapp => "whatsapp",
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
