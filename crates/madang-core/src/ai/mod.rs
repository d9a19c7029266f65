//! The AI features: what each sends to a model, when, and what it does
//! with the answer. The models themselves are `madang-ai`'s, given in
//! [`Models`]; a feature with no model, or switched off by the operator,
//! answers [`Error::FeatureOff`]. Chat text reaches a model only on a
//! person's request and is not kept beyond the answer.

pub mod assistant;
pub mod summary;

use crate::{Error, Result};
use madang_ai::{AiError, Embedder, Generator};
use std::sync::Arc;

/// Which AI features the operator allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AiFeatures {
    /// "Summarise unread" in rooms.
    pub summary: bool,
    /// The assistant group chats can add.
    pub assistant: bool,
}

impl Default for AiFeatures {
    fn default() -> Self {
        AiFeatures {
            summary: true,
            assistant: true,
        }
    }
}

/// The models a node runs, if any.
#[derive(Clone, Default)]
pub struct Models {
    pub generator: Option<Arc<dyn Generator>>,
    pub embedder: Option<Arc<dyn Embedder>>,
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
}

impl crate::Core {
    /// What this node offers (for clients to show only that).
    pub fn ai_offer(&self) -> madang_types::ai::AiOffer {
        let features = self.models.features;
        let generator = self.models.generator.is_some();
        madang_types::ai::AiOffer {
            summary: generator && features.summary,
            assistant: generator && features.assistant,
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
