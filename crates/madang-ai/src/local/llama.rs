//! A GGUF decoder (Llama, Qwen, SmolLM, Kanana…) on the server's CPU
//! through llama.cpp. One worker thread owns the context and answers one
//! prompt at a time with every configured core (a CPU answers two prompts
//! no faster side by side); prompts wait in a bounded queue, and a full
//! queue is [`AiError::Busy`]. Dropping an answer's stream stops its
//! generation at the next token. The model is read on first use, so a
//! server that never asks costs no memory for it.

use crate::{AiError, Generator, Prompt, TextStream, Utf8Pieces};
use async_trait::async_trait;
use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::{LlamaChatMessage, LlamaChatTemplate, LlamaModel};
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use tokio::sync::mpsc;

/// Settings of a local generator.
#[derive(Clone, Debug)]
pub struct LlamaOptions {
    /// Cores to use; 0 for all of them.
    pub threads: usize,
    /// Context window in tokens; 0 for the model's own, capped at 4,096
    /// (the cache for it is allocated up front: ~94 MB for SmolLM2-135M).
    pub context: usize,
    /// Prompts that may wait for the one being answered.
    pub queue: usize,
}

impl Default for LlamaOptions {
    fn default() -> Self {
        LlamaOptions {
            threads: 0,
            context: 0,
            queue: 8,
        }
    }
}

/// Tokens decoded per call while reading the prompt.
const BATCH: usize = 512;

struct Job {
    tokens: Vec<LlamaToken>,
    max_tokens: u32,
    temperature: f32,
    out: mpsc::Sender<Result<String, AiError>>,
}

pub struct LlamaGenerator {
    path: PathBuf,
    options: LlamaOptions,
    loaded: OnceLock<Result<Loaded, String>>,
}

struct Loaded {
    model: Arc<LlamaModel>,
    template: LlamaChatTemplate,
    context: usize,
    jobs: std::sync::mpsc::SyncSender<Job>,
}

/// llama.cpp's process-wide state; it may be started once only.
fn backend() -> Result<&'static LlamaBackend, AiError> {
    static BACKEND: OnceLock<Result<LlamaBackend, String>> = OnceLock::new();
    BACKEND
        .get_or_init(|| {
            LlamaBackend::init()
                .map(|mut b| {
                    b.void_logs();
                    b
                })
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| AiError::Load(e.clone()))
}

/// Cores to give the model when the operator said "all": every core the
/// process may run on.
fn all_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

impl LlamaGenerator {
    /// A generator for `path` (a GGUF file), read on first use.
    pub fn new(path: &Path, options: &LlamaOptions) -> Result<LlamaGenerator, AiError> {
        if !path.is_file() {
            return Err(AiError::Load(format!("{} is not a file", path.display())));
        }
        Ok(LlamaGenerator {
            path: path.to_path_buf(),
            options: options.clone(),
            loaded: OnceLock::new(),
        })
    }

    /// Reads the model now rather than on first use.
    pub fn load(&self) -> Result<(), AiError> {
        self.loaded().map(|_| ())
    }

    /// `prompt` as the model reads it (its chat template applied), with
    /// its length in tokens: what a comparison with another runtime feeds
    /// both.
    pub fn render(&self, prompt: &Prompt) -> Result<(String, usize), AiError> {
        let loaded = self.loaded()?;
        let text = loaded.render(prompt)?;
        let tokens = loaded.model.vocab().tokenize(text.as_bytes(), false, true).len();
        Ok((text, tokens))
    }

    fn loaded(&self) -> Result<&Loaded, AiError> {
        self.loaded
            .get_or_init(|| Loaded::read(&self.path, &self.options).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| AiError::Load(e.clone()))
    }
}

impl Loaded {
    /// Reads the model and starts the worker thread.
    fn read(path: &Path, options: &LlamaOptions) -> Result<Loaded, AiError> {
        let backend = backend()?;
        let model = LlamaModel::load_from_file(backend, path, &LlamaModelParams::default())
            .map_err(|e| AiError::Load(format!("{}: {e}", path.display())))?;
        // Models without a template in their metadata get ChatML, which
        // most small instruction-tuned models were trained on.
        let template = model
            .chat_template(None)
            .or_else(|_| LlamaChatTemplate::new("chatml"))
            .map_err(|e| AiError::Load(format!("chat template: {e}")))?;
        let trained = model.n_ctx_train() as usize;
        let context = match options.context {
            0 => trained.min(4096),
            n => n.min(trained),
        };
        let threads = match options.threads {
            0 => all_cores(),
            n => n,
        };
        let model = Arc::new(model);
        let (jobs, queue) = std::sync::mpsc::sync_channel::<Job>(options.queue);
        let worker_model = model.clone();
        std::thread::Builder::new()
            .name("madang-llama".into())
            .spawn(move || work(backend, &worker_model, context, threads, queue))
            .map_err(|e| AiError::Load(format!("starting the model thread: {e}")))?;
        tracing::info!(model = %path.display(), context, threads, "local generator loaded");
        Ok(Loaded {
            model,
            template,
            context,
            jobs,
        })
    }

    fn render(&self, prompt: &Prompt) -> Result<String, AiError> {
        let chat = prompt
            .messages
            .iter()
            .map(|m| LlamaChatMessage::new(m.role.as_str().to_string(), m.content.replace('\0', "")))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| AiError::Model(e.to_string()))?;
        self.model
            .apply_chat_template(&self.template, &chat, true)
            .map_err(|e| AiError::Model(format!("chat template: {e}")))
    }
}

#[async_trait]
impl Generator for LlamaGenerator {
    fn describe(&self) -> String {
        let name = self.path.file_name().map(|n| n.to_string_lossy().into_owned());
        format!("llama.cpp {}", name.unwrap_or_default())
    }

    fn context_tokens(&self) -> usize {
        self.loaded().map_or(0, |l| l.context)
    }

    fn count_tokens(&self, text: &str) -> usize {
        match self.loaded() {
            Ok(l) => l.model.vocab().tokenize(text.as_bytes(), false, false).len(),
            Err(_) => crate::estimate_tokens(text),
        }
    }

    async fn stream(&self, prompt: Prompt) -> Result<TextStream, AiError> {
        let loaded = self.loaded()?;
        let text = loaded.render(&prompt)?;
        let tokens = loaded.model.vocab().tokenize(text.as_bytes(), false, true);
        // Room for at least a few tokens of answer.
        if tokens.len() + 8 > loaded.context {
            return Err(AiError::TooLong {
                tokens: tokens.len(),
                limit: loaded.context,
            });
        }
        let (out, rx) = mpsc::channel(64);
        let job = Job {
            tokens,
            max_tokens: prompt.max_tokens,
            temperature: prompt.temperature,
            out,
        };
        loaded.jobs.try_send(job).map_err(|e| match e {
            std::sync::mpsc::TrySendError::Full(_) => AiError::Busy,
            std::sync::mpsc::TrySendError::Disconnected(_) => {
                AiError::Model("the model thread stopped".into())
            }
        })?;
        Ok(Box::pin(tokio_stream(rx)))
    }
}

fn tokio_stream(
    mut rx: mpsc::Receiver<Result<String, AiError>>,
) -> impl futures::Stream<Item = Result<String, AiError>> {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

/// The worker: one context, reused (cleared) for each prompt.
fn work(
    backend: &LlamaBackend,
    model: &LlamaModel,
    context: usize,
    threads: usize,
    queue: std::sync::mpsc::Receiver<Job>,
) {
    let threads = i32::try_from(threads).unwrap_or(1);
    let params = LlamaContextParams::default()
        .with_n_ctx(NonZeroU32::new(u32::try_from(context).unwrap_or(u32::MAX)))
        .with_n_batch(BATCH as u32)
        .with_n_threads(threads)
        .with_n_threads_batch(threads);
    let mut ctx = match model.new_context(backend, params) {
        Ok(ctx) => ctx,
        Err(e) => {
            tracing::error!(error = %e, "the local model's context could not be made");
            for job in queue {
                let _ = job
                    .out
                    .blocking_send(Err(AiError::Model(format!("context: {e}"))));
            }
            return;
        }
    };
    let mut batch = LlamaBatch::new(BATCH, 1);
    for job in queue {
        if job.out.is_closed() {
            continue;
        }
        ctx.clear_kv_cache();
        if let Err(e) = answer(model, &mut ctx, &mut batch, context, &job) {
            let _ = job.out.blocking_send(Err(e));
        }
    }
}

fn sampler(temperature: f32) -> LlamaSampler {
    if temperature <= 0.0 {
        return LlamaSampler::greedy();
    }
    LlamaSampler::chain_simple([
        LlamaSampler::top_k(40),
        LlamaSampler::top_p(0.95, 1),
        LlamaSampler::temp(temperature),
        LlamaSampler::dist(rand_seed()),
    ])
}

fn rand_seed() -> u32 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    nanos ^ std::process::id()
}

fn answer(
    model: &LlamaModel,
    ctx: &mut llama_cpp_2::context::LlamaContext<'_>,
    batch: &mut LlamaBatch<'_>,
    context: usize,
    job: &Job,
) -> Result<(), AiError> {
    let failed = |e: &dyn std::fmt::Display| AiError::Model(e.to_string());
    // Read the prompt in batches; only its last token's logits are needed.
    let last = job.tokens.len().saturating_sub(1);
    for (start, chunk) in job.tokens.chunks(BATCH).enumerate().map(|(i, c)| (i * BATCH, c)) {
        batch.clear();
        for (i, token) in chunk.iter().enumerate() {
            let pos = start + i;
            batch
                .add(*token, pos as i32, &[0], pos == last)
                .map_err(|e| failed(&e))?;
        }
        ctx.decode(batch).map_err(|e| failed(&e))?;
    }
    let vocab = model.vocab();
    let mut sampler = sampler(job.temperature);
    let mut pieces = Utf8Pieces::default();
    let mut bytes = Vec::with_capacity(16);
    let start = job.tokens.len();
    let room = context.saturating_sub(start);
    for pos in start..start + (job.max_tokens as usize).min(room) {
        let token = sampler.sample(ctx, batch.n_tokens() - 1);
        sampler.accept(token);
        if vocab.is_eog(token) {
            break;
        }
        bytes.clear();
        vocab.token_to_piece_into(token, &mut bytes, false, None);
        let text = pieces.push(&bytes);
        if !text.is_empty() && job.out.blocking_send(Ok(text)).is_err() {
            return Ok(()); // the reader went away
        }
        batch.clear();
        batch.add(token, pos as i32, &[0], true).map_err(|e| failed(&e))?;
        ctx.decode(batch).map_err(|e| failed(&e))?;
    }
    let rest = pieces.finish();
    if !rest.is_empty() {
        let _ = job.out.blocking_send(Ok(rest));
    }
    Ok(())
}
