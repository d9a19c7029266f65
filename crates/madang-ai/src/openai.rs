//! Any OpenAI-compatible endpoint (vLLM, llama.cpp's server, Ollama, a
//! hosted API): `POST {base}/chat/completions` with `stream: true`, read as
//! server-sent events, `POST {base}/embeddings`, and
//! `POST {base}/audio/transcriptions` (multipart, as Whisper servers take it).

use crate::{AiError, Embedder, Generator, Prompt, TextStream, Transcriber, estimate_tokens, normalise};
use async_trait::async_trait;
use futures::StreamExt;
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;

/// Where an endpoint is and which of its models to ask.
#[derive(Clone)]
pub struct Endpoint {
    /// Base URL up to and including the version, e.g. `http://127.0.0.1:8000/v1`.
    pub base_url: String,
    /// Sent as `Authorization: Bearer …` when not empty.
    pub api_key: String,
    pub model: String,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("base_url", &self.base_url)
            .field("api_key", &if self.api_key.is_empty() { "" } else { "***" })
            .field("model", &self.model)
            .finish()
    }
}

impl Endpoint {
    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.base_url.trim_end_matches('/'))
    }

    fn post(&self, client: &reqwest::Client, path: &str, body: serde_json::Value) -> reqwest::RequestBuilder {
        let request = client.post(self.url(path)).json(&body);
        if self.api_key.is_empty() {
            request
        } else {
            request.bearer_auth(&self.api_key)
        }
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .build()
        .unwrap_or_default()
}

async fn refused(response: reqwest::Response) -> AiError {
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    let body: String = body.chars().take(300).collect();
    AiError::Endpoint(format!("{status}: {body}"))
}

pub struct OpenAiGenerator {
    endpoint: Endpoint,
    context: usize,
    client: reqwest::Client,
}

impl OpenAiGenerator {
    /// `context` is the model's window in tokens, as the operator knows it
    /// (the API does not say).
    pub fn new(endpoint: Endpoint, context: usize) -> Self {
        OpenAiGenerator {
            endpoint,
            context,
            client: client(),
        }
    }
}

#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<ChunkChoice>,
}

#[derive(Deserialize)]
struct ChunkChoice {
    #[serde(default)]
    delta: Delta,
}

#[derive(Default, Deserialize)]
struct Delta {
    #[serde(default)]
    content: Option<String>,
}

/// Splits a byte stream of server-sent events into the `data:` payloads.
#[derive(Default)]
struct SseLines {
    buffer: Vec<u8>,
}

impl SseLines {
    fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        self.buffer.extend_from_slice(bytes);
        let mut out = Vec::new();
        while let Some(end) = self.buffer.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.buffer.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line);
            let line = line.trim_end_matches(['\r', '\n']);
            if let Some(data) = line.strip_prefix("data:") {
                out.push(data.trim_start().to_string());
            }
        }
        out
    }
}

/// What one `data:` payload of a chat completion stream adds.
fn delta_of(data: &str) -> Result<Option<String>, AiError> {
    if data == "[DONE]" {
        return Ok(None);
    }
    let chunk: Chunk =
        serde_json::from_str(data).map_err(|e| AiError::Endpoint(format!("unreadable stream chunk: {e}")))?;
    Ok(Some(
        chunk
            .choices
            .into_iter()
            .filter_map(|c| c.delta.content)
            .collect(),
    ))
}

#[async_trait]
impl Generator for OpenAiGenerator {
    fn describe(&self) -> String {
        format!("{} at {}", self.endpoint.model, self.endpoint.base_url)
    }

    fn context_tokens(&self) -> usize {
        self.context
    }

    fn count_tokens(&self, text: &str) -> usize {
        estimate_tokens(text)
    }

    async fn stream(&self, prompt: Prompt) -> Result<TextStream, AiError> {
        let messages: Vec<_> = prompt
            .messages
            .iter()
            .map(|m| json!({"role": m.role.as_str(), "content": m.content}))
            .collect();
        let body = json!({
            "model": self.endpoint.model,
            "messages": messages,
            "max_tokens": prompt.max_tokens,
            "temperature": prompt.temperature,
            "stream": true,
        });
        let response = self
            .endpoint
            .post(&self.client, "chat/completions", body)
            .send()
            .await
            .map_err(|e| AiError::Endpoint(e.to_string()))?;
        match response.status() {
            s if s.is_success() => {}
            reqwest::StatusCode::TOO_MANY_REQUESTS | reqwest::StatusCode::SERVICE_UNAVAILABLE => {
                return Err(AiError::Busy);
            }
            _ => return Err(refused(response).await),
        }
        let mut lines = SseLines::default();
        let mut done = false;
        let stream = response
            .bytes_stream()
            .map(move |bytes| -> Vec<Result<String, AiError>> {
                if done {
                    return Vec::new();
                }
                let bytes = match bytes {
                    Ok(b) => b,
                    Err(e) => return vec![Err(AiError::Endpoint(e.to_string()))],
                };
                let mut out = Vec::new();
                for data in lines.push(&bytes) {
                    match delta_of(&data) {
                        Ok(Some(text)) if !text.is_empty() => out.push(Ok(text)),
                        Ok(Some(_)) => {}
                        Ok(None) => {
                            done = true;
                            break;
                        }
                        Err(e) => out.push(Err(e)),
                    }
                }
                out
            })
            .flat_map(futures::stream::iter);
        Ok(Box::pin(stream))
    }
}

pub struct OpenAiEmbedder {
    endpoint: Endpoint,
    dims: usize,
    client: reqwest::Client,
}

#[derive(Deserialize)]
struct Embeddings {
    data: Vec<EmbeddingRow>,
}

#[derive(Deserialize)]
struct EmbeddingRow {
    #[serde(default)]
    index: usize,
    embedding: Vec<f32>,
}

impl OpenAiEmbedder {
    /// Asks the endpoint once to learn the vectors' length.
    pub async fn connect(endpoint: Endpoint) -> Result<OpenAiEmbedder, AiError> {
        let mut embedder = OpenAiEmbedder {
            endpoint,
            dims: 0,
            client: client(),
        };
        let probe = embedder.embed(&["madang".to_string()]).await?;
        embedder.dims = probe.first().map_or(0, Vec::len);
        if embedder.dims == 0 {
            return Err(AiError::Endpoint("the endpoint returned an empty vector".into()));
        }
        Ok(embedder)
    }
}

#[async_trait]
impl Embedder for OpenAiEmbedder {
    fn describe(&self) -> String {
        format!("{} at {}", self.endpoint.model, self.endpoint.base_url)
    }

    fn dims(&self) -> usize {
        self.dims
    }

    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, AiError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let body = json!({"model": self.endpoint.model, "input": texts});
        let response = self
            .endpoint
            .post(&self.client, "embeddings", body)
            .timeout(Duration::from_secs(120))
            .send()
            .await
            .map_err(|e| AiError::Endpoint(e.to_string()))?;
        if !response.status().is_success() {
            return Err(refused(response).await);
        }
        let mut rows = response
            .json::<Embeddings>()
            .await
            .map_err(|e| AiError::Endpoint(format!("unreadable embeddings: {e}")))?
            .data;
        if rows.len() != texts.len() {
            return Err(AiError::Endpoint(format!(
                "{} vectors for {} texts",
                rows.len(),
                texts.len()
            )));
        }
        rows.sort_by_key(|r| r.index);
        Ok(rows
            .into_iter()
            .map(|mut r| {
                normalise(&mut r.embedding);
                r.embedding
            })
            .collect())
    }
}

/// Speech to text through `POST {base}/audio/transcriptions` (OpenAI's
/// API, which whisper.cpp's server, faster-whisper servers and vLLM speak).
pub struct OpenAiTranscriber {
    endpoint: Endpoint,
    client: reqwest::Client,
}

impl OpenAiTranscriber {
    pub fn new(endpoint: Endpoint) -> Self {
        OpenAiTranscriber {
            endpoint,
            client: reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(10))
                .timeout(Duration::from_secs(120))
                .build()
                .unwrap_or_default(),
        }
    }
}

/// A `multipart/form-data` body of text fields and one file, and its
/// content type. The boundary is the first of a numbered series that the
/// file does not contain (RFC 2046 asks only that it not occur inside).
fn multipart(fields: &[(&str, &str)], file: (&str, &str, &[u8])) -> (Vec<u8>, String) {
    let boundary = (0u64..)
        .map(|n| format!("madang-form-boundary-{n}"))
        .find(|b| !file.2.windows(b.len()).any(|w| w == b.as_bytes()))
        .unwrap_or_default();
    let mut body = Vec::with_capacity(file.2.len() + 512);
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    let (name, filename, bytes) = file;
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (body, format!("multipart/form-data; boundary={boundary}"))
}

#[async_trait]
impl Transcriber for OpenAiTranscriber {
    fn describe(&self) -> String {
        format!("{} at {}", self.endpoint.model, self.endpoint.base_url)
    }

    async fn transcribe(&self, audio: Vec<u8>, content_type: &str) -> Result<String, AiError> {
        let extension = match content_type {
            "audio/ogg" => "ogg",
            "audio/mp4" => "m4a",
            _ => "webm",
        };
        let (body, form_type) = multipart(
            &[("model", &self.endpoint.model), ("response_format", "json")],
            ("file", &format!("voice.{extension}"), &audio),
        );
        let mut request = self
            .client
            .post(self.endpoint.url("audio/transcriptions"))
            .header(reqwest::header::CONTENT_TYPE, form_type)
            .body(body);
        if !self.endpoint.api_key.is_empty() {
            request = request.bearer_auth(&self.endpoint.api_key);
        }
        let response = request
            .send()
            .await
            .map_err(|e| AiError::Endpoint(e.to_string()))?;
        if !response.status().is_success() {
            return Err(refused(response).await);
        }
        #[derive(Deserialize)]
        struct Answer {
            text: String,
        }
        let answer: Answer = response
            .json()
            .await
            .map_err(|e| AiError::Endpoint(e.to_string()))?;
        Ok(answer.text.trim().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_across_reads_are_joined() {
        let mut lines = SseLines::default();
        assert!(lines.push(b"data: {\"cho").is_empty());
        let got = lines.push(b"ices\":[]}\r\n\r\ndata: [DONE]\n\n");
        assert_eq!(got, vec!["{\"choices\":[]}".to_string(), "[DONE]".to_string()]);
    }

    #[test]
    fn a_delta_without_content_adds_nothing() {
        assert_eq!(
            delta_of(r#"{"choices":[{"delta":{"role":"assistant"}}]}"#).ok(),
            Some(Some(String::new()))
        );
        assert_eq!(delta_of("[DONE]").ok(), Some(None));
        assert!(delta_of("{not json").is_err());
    }
}
