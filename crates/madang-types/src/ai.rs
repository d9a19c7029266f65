//! Wire types of the AI features.

use crate::Seq;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What to summarise: without `last` or `after`, the caller's unread
/// messages (after their read cursor).
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SummaryRequest {
    /// Summarise the room's last this many messages instead (1 to the
    /// server's `max_summary_messages`).
    #[serde(default)]
    pub last: Option<usize>,
    /// Summarise the messages after this seq instead: the read cursor a
    /// client had when it opened the room (opening marks them read).
    #[serde(default)]
    pub after: Option<Seq>,
}

/// One server-sent event of a summary (`event:` is the variant's name,
/// `data:` the JSON of its fields): `start`, then `progress` per part of a
/// long backlog, `text` pieces of the summary as they are written (a line
/// at a time), or `quotes` (the extractive summary, replacing any text),
/// and `done` with the `kind` the caller got; or `error` at any point
/// after `start`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum SummaryEvent {
    Start {
        messages: usize,
        /// Parts the backlog was cut into (1 when it fits the model at once).
        chunks: usize,
        from_seq: Seq,
        to_seq: Seq,
    },
    Progress {
        done: usize,
        of: usize,
    },
    Text {
        text: String,
    },
    /// The extractive summary: the most central messages, quoted, each
    /// with its seq to jump to. It replaces any `text` sent before (a
    /// written answer found repeating the instructions or copying the
    /// conversation is withdrawn).
    Quotes {
        items: Vec<SummaryQuote>,
    },
    Done {
        kind: SummaryKind,
    },
    Error {
        code: String,
        message: String,
    },
}

/// A message an extractive summary quotes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SummaryQuote {
    pub seq: Seq,
    /// As the room shows them (a nickname's id in an open chat).
    pub sender_id: crate::UserId,
    /// The message's words (at most 200 characters).
    pub text: String,
}

/// Which summary the caller got.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SummaryKind {
    /// Written by the generator, checked line by line.
    Abstractive,
    /// The most central messages, quoted (`quotes`): the generator is too
    /// small to write, or what it wrote repeated its instructions or the
    /// conversation.
    Extractive,
}

/// The AI features this server offers: switched on, with a model to run
/// them. A client shows only these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AiOffer {
    /// `POST /rooms/{id}/summary`.
    pub summary: bool,
    /// `PUT /rooms/{id}/assistant` and mentions of it.
    pub assistant: bool,
    /// `rewrite` on campaigns.
    pub campaign_copy: bool,
    /// `POST /rooms/{id}/messages/{seq}/transcript` for voice messages.
    #[serde(default)]
    pub transcription: bool,
}
