//! Transcripts of voice messages, made when a listener asks, by the
//! operator's speech-to-text endpoint, and kept nowhere: the words go to
//! the one who asked and are forgotten.

use crate::ratelimit::Rate;
use crate::{Core, Error, Result, Session};
use madang_types::api::{MessageKind, Transcript};
use madang_types::{RoomId, Seq};

impl Core {
    pub async fn transcribe(&self, me: &Session, room: RoomId, seq: Seq) -> Result<Transcript> {
        let (_, m) = self.live_message(me, room, seq).await?;
        let audio = match (&m.kind, &m.attachment) {
            (MessageKind::Voice, Some(a)) if m.hidden_at.is_none() => a.clone(),
            _ => {
                return Err(Error::invalid(
                    "not_voice",
                    "only a voice message has a transcript",
                ));
            }
        };
        let transcriber = self
            .models
            .transcriber
            .clone()
            .ok_or(Error::FeatureOff("transcription"))?;
        let rate = Rate {
            capacity: self.limits.transcripts_per_minute,
            per_ms: 60_000,
        };
        self.rate.check(&format!("transcribe:{}", me.user), rate).await?;
        let content = self.media_bytes(me, &audio.media_id).await?;
        let text = transcriber
            .transcribe(content.bytes.to_vec(), &content.content_type)
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "transcription failed");
                Error::Unavailable("the transcription service did not answer".into())
            })?;
        Ok(Transcript { text })
    }
}
