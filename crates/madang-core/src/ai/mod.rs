//! The AI features: what each sends to a model, when, and what it does
//! with the answer. The models themselves are `madang-ai`'s, given in
//! [`Models`]; a feature with no model, or switched off by the operator,
//! answers [`Error::FeatureOff`]. Chat text reaches a model only on a
//! person's request and is not kept beyond the answer.

pub mod assistant;
pub mod extract;
pub mod summary;

use crate::{Error, Result};
use madang_ai::{AiError, Embedder, Generator, Prompt};
use std::sync::Arc;
use std::time::Duration;

/// Which AI features the operator allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AiFeatures {
    /// "Summarise unread" in rooms.
    pub summary: bool,
    /// The assistant group chats can add.
    pub assistant: bool,
    /// Campaigns reworded per recipient attributes.
    pub campaign_copy: bool,
    /// Channels' assistants answering their customers from the business's
    /// facts (quoting them without a generator, or with the small default).
    pub channel_assistant: bool,
    /// Open chat recommendations weigh sentence embeddings of rooms and
    /// interests (needs the embedder).
    pub recommendations: bool,
    /// Open chat messages are compared with the operator's labelled spam
    /// (needs the embedder).
    pub screening: bool,
}

impl Default for AiFeatures {
    fn default() -> Self {
        AiFeatures {
            summary: true,
            assistant: true,
            campaign_copy: true,
            channel_assistant: true,
            recommendations: true,
            screening: true,
        }
    }
}

/// The models a node runs, if any.
#[derive(Clone, Default)]
pub struct Models {
    pub generator: Option<Arc<dyn Generator>>,
    pub embedder: Option<Arc<dyn Embedder>>,
    /// Speech to text for voice messages' transcripts (none: off).
    pub transcriber: Option<Arc<dyn madang_ai::Transcriber>>,
    pub features: AiFeatures,
}

impl Models {
    /// The generator for `feature`, if it is on and there is one.
    pub(crate) fn generator_for(&self, feature: &'static str, on: bool) -> Result<&Arc<dyn Generator>> {
        match &self.generator {
            Some(g) if on => Ok(g),
            _ => Err(Error::FeatureOff(feature)),
        }
    }

    /// Whether a feature switched `on` has a generator to run it.
    fn offers(&self, on: bool) -> bool {
        on && self.generator.is_some()
    }
}

/// Completes `prompt`, waiting a little for a model that is busy with
/// others (the features share it).
pub(crate) async fn complete_patiently(generator: &dyn Generator, prompt: Prompt) -> Result<String> {
    let mut wait = Duration::from_millis(500);
    for _ in 0..6 {
        match generator.complete(prompt.clone()).await {
            Err(AiError::Busy) => {
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
            other => return Ok(other?),
        }
    }
    Err(Error::AiBusy)
}

impl crate::Core {
    /// What this node offers (for clients to show only that).
    pub fn ai_offer(&self) -> madang_types::ai::AiOffer {
        let (m, f) = (&self.models, self.models.features);
        madang_types::ai::AiOffer {
            summary: m.offers(f.summary),
            assistant: m.offers(f.assistant),
            campaign_copy: m.offers(f.campaign_copy),
            transcription: m.transcriber.is_some(),
        }
    }
}

impl From<AiError> for Error {
    fn from(e: AiError) -> Self {
        match e {
            AiError::Busy => Error::AiBusy,
            other => Error::Internal(Box::new(other)),
        }
    }
}
