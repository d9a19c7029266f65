//! What a push says. It is encrypted for the device, but the device shows
//! it on a locked screen, so it says no more than the person chose
//! ([`Preview`]), and never what must stay private (invariant 14): an open
//! chat's sender is their nickname there, never their profile; a Pung is
//! never quoted. The service worker words the notification in the
//! person's language from these fields.

use super::Preview;
use crate::{Core, Result, Session};
use madang_store::{DuePush, StoredMessage};
use madang_types::api::{MessageKind, RoomKind};
use madang_types::{RoomId, Seq, UserId};
use serde::Serialize;

/// The push's plaintext (JSON).
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Payload {
    /// 1 while these fields mean what they mean now.
    pub v: u32,
    /// `message`, or `test`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Absent for a test.
    pub room_id: Option<RoomId>,
    pub seq: Option<Seq>,
    /// `full`, `room` or `none`: how much the rest says.
    pub preview: &'static str,
    /// The room as the person sees it (not at `none`).
    pub room_title: Option<String>,
    /// Whether the room is a 1:1 conversation (the title is the sender).
    pub direct: bool,
    /// Who wrote it, as the room shows them (only at `full`).
    pub sender: Option<String>,
    /// `text`, `image`, `file`, `pung_reply`, `pung_tag` (only at `full`).
    pub message_kind: Option<&'static str>,
    /// The text (only at `full`, and never of a Pung).
    pub text: Option<String>,
    /// The person's unread messages in this room, and in all rooms (the
    /// app badge).
    pub count: i64,
    pub unread_total: i64,
    /// A mention of them or a reply to them.
    pub urgent: bool,
    /// Notifications with the same tag replace one another.
    pub tag: String,
}

/// The most characters of a message's text a push carries.
const TEXT_CHARS: usize = 600;

/// Why no push is sent after all.
pub(crate) enum Skip {
    /// The person has read up to it meanwhile, left, or it is gone.
    Nothing,
}

impl Core {
    /// The payload of `due` for its device, or why there is none.
    pub(crate) async fn push_payload(&self, due: &DuePush) -> Result<std::result::Result<Payload, Skip>> {
        let me = Session {
            user: due.user_id,
            device: due.device_id,
            bot: false,
        };
        let preview = Preview::parse(&self.repos.push_preview(me.user).await?).unwrap_or(Preview::Full);
        let rooms = self.repos.rooms_of(me.user).await?;
        let unread_total: i64 = rooms.iter().filter(|r| !r.member.muted).map(|r| r.unread).sum();
        if due.room_id == RoomId(0) {
            return Ok(Ok(Payload {
                v: 1,
                kind: "test",
                room_id: None,
                seq: None,
                preview: preview.as_str(),
                room_title: None,
                direct: false,
                sender: None,
                message_kind: None,
                text: None,
                count: 0,
                unread_total,
                urgent: false,
                tag: "test".into(),
            }));
        }
        let Some(row) = rooms.into_iter().find(|r| r.room.id == due.room_id) else {
            return Ok(Err(Skip::Nothing));
        };
        if row.member.read_seq >= due.last_seq {
            return Ok(Err(Skip::Nothing));
        }
        let Some(message) = self.repos.message(due.room_id, due.last_seq).await? else {
            return Ok(Err(Skip::Nothing));
        };
        let count = row.unread.max(1);
        let kind = row.room.kind;
        let direct = matches!(kind, RoomKind::Direct | RoomKind::OpenDirect | RoomKind::Channel);
        let room_title = match preview {
            Preview::None => None,
            Preview::Full | Preview::Room => Some(self.room_title_seen_by(&me, &row.room).await?),
        };
        let (sender, message_kind, text) = match preview {
            Preview::Full => {
                let sender = self.shown_name(&row.room, message.sender_id).await?;
                (sender, Some(message.kind.as_str()), shown_text(&message))
            }
            Preview::Room | Preview::None => (None, None, None),
        };
        Ok(Ok(Payload {
            v: 1,
            kind: "message",
            room_id: Some(due.room_id),
            seq: Some(due.last_seq),
            preview: preview.as_str(),
            room_title,
            direct,
            sender,
            message_kind,
            text,
            count,
            unread_total: unread_total.max(count),
            urgent: due.urgent,
            tag: format!("room-{}", due.room_id.0),
        }))
    }

    /// The name a room shows for one of its identities.
    pub(crate) async fn shown_name(
        &self,
        room: &madang_store::RoomRow,
        shown: UserId,
    ) -> Result<Option<String>> {
        if room.kind.is_open() {
            let rows = self.repos.open_members(room.id, UserId(shown.0 - 1), 1).await?;
            let rows: Vec<_> = rows.into_iter().filter(|r| r.profile.shown == shown).collect();
            return Ok(self
                .open_member_views(&rows)
                .await?
                .first()
                .map(|m| m.nickname.clone()));
        }
        // A display name reads the same to everyone (a block hides only
        // the status and photo); a channel's room speaks as the channel.
        Ok(match self.repos.users(&[shown]).await?.into_iter().next() {
            Some(user) => Some(user.display_name),
            None => self.channel_room_peer(room).await?.map(|p| p.display_name),
        })
    }
}

/// What of a message's text a notification may show.
fn shown_text(message: &StoredMessage) -> Option<String> {
    if message.deleted_at.is_some() || message.hidden_at.is_some() {
        return None;
    }
    // A tag says only that it happened; the Pung is the author's to show.
    if message.kind == MessageKind::PungTag {
        return None;
    }
    let text = message.text.trim();
    if text.is_empty() {
        return None;
    }
    Some(text.chars().take(TEXT_CHARS).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use madang_types::{ClientMsgId, Millis};

    fn message(kind: MessageKind, text: &str) -> StoredMessage {
        StoredMessage {
            room_id: RoomId(1),
            seq: Seq(1),
            sender_id: UserId(1),
            client_id: ClientMsgId("c".into()),
            kind,
            text: text.into(),
            reply_to: None,
            mentions: vec![],
            attachment: None,
            pung_id: None,
            created_at: Millis(0),
            edited_at: None,
            deleted_at: None,
            hidden_at: None,
            campaign_id: None,
            thread_root: None,
            thread_seq: None,
            comment_count: 0,
            by_assistant: false,
            import_id: None,
            imported_name: None,
            buttons: Vec::new(),
        }
    }

    #[test]
    fn a_notification_never_quotes_a_pung_or_what_is_hidden() {
        assert_eq!(
            shown_text(&message(MessageKind::Text, " hi ")).as_deref(),
            Some("hi")
        );
        assert_eq!(shown_text(&message(MessageKind::PungTag, "look at this")), None);
        let mut hidden = message(MessageKind::Text, "secret");
        hidden.hidden_at = Some(Millis(1));
        assert_eq!(shown_text(&hidden), None);
        let long = "가".repeat(2000);
        assert_eq!(
            shown_text(&message(MessageKind::Text, &long))
                .unwrap()
                .chars()
                .count(),
            TEXT_CHARS
        );
    }
}
