//! A GGUF decoder (the SmolLM2 family and other Llama-architecture
//! models with a byte-level vocabulary and ChatML) on the server's CPU. The
//! vocabulary and chat template come from the file's metadata
//! ([`vocab`]); the arithmetic is a [`Decoder`]: the built-in one
//! ([`model`], pure Rust) or, in builds with the `llama-cpp` feature,
//! llama.cpp's (crate `madang-llama`), so both read the same tokens.
//!
//! One worker thread owns the decoder and answers one prompt at a time
//! with every configured core (a CPU answers two prompts no faster side
//! by side); prompts wait in a bounded queue, and a full queue is
//! [`AiError::Busy`]. Dropping an answer's stream stops its generation at
//! the next token. The model is read on first use, so a server that never
//! asks costs no memory for it.

pub mod kernels;
pub mod model;
mod sample;
pub mod vocab;

use crate::{AiError, Generator, Prompt, TextStream, Utf8Pieces};
use async_trait::async_trait;
use candle_core::quantized::gguf_file;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use tokio::sync::mpsc;
use vocab::Vocab;

/// Turns tokens into the scores of the next one; owned by one thread.
pub trait Decoder: Send {
    /// Reads `tokens` at positions `pos..` (after those read before) and
    /// returns the scores of the token that follows, one per vocabulary id.
    fn feed(&mut self, tokens: &[u32], pos: usize) -> Result<&[f32], AiError>;
    /// Forgets what was read: the next feed starts at position 0.
    fn reset(&mut self);
}

/// Makes the [`Decoder`] of a GGUF file.
pub trait Runtime: Send + Sync {
    /// For logs and `describe`, e.g. "madang-ai" or "llama.cpp".
    fn name(&self) -> &'static str;
    /// Loads `path` for a context of `context` tokens on `threads` cores.
    /// Runs on the worker thread that will use the decoder.
    fn load(&self, path: &Path, context: usize, threads: usize) -> Result<Box<dyn Decoder>, AiError>;
}

/// Settings of a local generator.
#[derive(Clone, Debug)]
pub struct GgufOptions {
    /// Cores to use; 0 for all of them.
    pub threads: usize,
    /// Context window in tokens; 0 for the model's own, capped at 4,096
    /// (the key/value cache for it is allocated up front: ~190 MB for
    /// SmolLM2-135M at 4,096).
    pub context: usize,
    /// Prompts that may wait for the one being answered.
    pub queue: usize,
}

impl Default for GgufOptions {
    fn default() -> Self {
        GgufOptions {
            threads: 0,
            context: 0,
            queue: 8,
        }
    }
}

/// The built-in runtime: [`model`] on a pool of `threads` cores.
pub struct Builtin;

struct BuiltinDecoder {
    weights: model::Weights,
    state: model::State,
    pool: rayon::ThreadPool,
}

impl Runtime for Builtin {
    fn name(&self) -> &'static str {
        "madang-ai"
    }

    fn load(&self, path: &Path, context: usize, threads: usize) -> Result<Box<dyn Decoder>, AiError> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("madang-gen-{i}"))
            .build()
            .map_err(|e| AiError::Load(format!("threads: {e}")))?;
        let (weights, _) = pool.install(|| model::Weights::read(path))?;
        let state = model::State::new(&weights.shape, context, threads);
        tracing::debug!(bytes = weights.bytes(), "built-in generator weights");
        Ok(Box::new(BuiltinDecoder { weights, state, pool }))
    }
}

impl Decoder for BuiltinDecoder {
    fn feed(&mut self, tokens: &[u32], pos: usize) -> Result<&[f32], AiError> {
        let (weights, state) = (&self.weights, &mut self.state);
        self.pool.install(|| model::forward(weights, state, tokens, pos))
    }

    fn reset(&mut self) {}
}

struct Job {
    tokens: Vec<u32>,
    max_tokens: u32,
    temperature: f32,
    out: mpsc::Sender<Result<String, AiError>>,
}

/// A GGUF file smaller than this is a model too small to write for people.
const SMALL_MODEL_BYTES: u64 = 500_000_000;

pub struct GgufGenerator {
    path: PathBuf,
    options: GgufOptions,
    runtime: Arc<dyn Runtime>,
    loaded: OnceLock<Result<Loaded, String>>,
}

struct Loaded {
    vocab: Arc<Vocab>,
    context: usize,
    jobs: std::sync::mpsc::SyncSender<Job>,
}

/// Cores to give the model when the operator said "all": every core the
/// process may run on.
fn all_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

impl GgufGenerator {
    /// A generator for `path` (a GGUF file) on the built-in runtime, read
    /// on first use.
    pub fn new(path: &Path, options: &GgufOptions) -> Result<GgufGenerator, AiError> {
        GgufGenerator::with_runtime(path, options, Arc::new(Builtin))
    }

    /// The same on another runtime (llama.cpp in `madang-llama`).
    pub fn with_runtime(
        path: &Path,
        options: &GgufOptions,
        runtime: Arc<dyn Runtime>,
    ) -> Result<GgufGenerator, AiError> {
        if !path.is_file() {
            return Err(AiError::Load(format!("{} is not a file", path.display())));
        }
        Ok(GgufGenerator {
            path: path.to_path_buf(),
            options: options.clone(),
            runtime,
            loaded: OnceLock::new(),
        })
    }

    /// Reads the model now rather than on first use.
    pub fn load(&self) -> Result<(), AiError> {
        self.loaded().map(|_| ())
    }

    /// `prompt` as the model reads it (its chat template applied, control
    /// tokens written out), with its length in tokens: what a comparison
    /// with another runtime feeds both.
    pub fn render(&self, prompt: &Prompt) -> Result<(String, usize), AiError> {
        let (tokens, text) = self.loaded()?.vocab.render(&prompt.messages)?;
        Ok((text, tokens.len()))
    }

    fn loaded(&self) -> Result<&Loaded, AiError> {
        self.loaded
            .get_or_init(|| {
                Loaded::read(&self.path, &self.options, self.runtime.clone()).map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| AiError::Load(e.clone()))
    }
}

impl Loaded {
    /// Reads the vocabulary, then starts the worker thread, which loads
    /// the weights; returns once they are loaded (or failed to).
    fn read(path: &Path, options: &GgufOptions, runtime: Arc<dyn Runtime>) -> Result<Loaded, AiError> {
        let load = |e: &dyn std::fmt::Display| AiError::Load(format!("{}: {e}", path.display()));
        let mut file = std::io::BufReader::new(std::fs::File::open(path).map_err(|e| load(&e))?);
        let content = gguf_file::Content::read(&mut file).map_err(|e| load(&e))?;
        let vocab = Arc::new(Vocab::read(&content)?);
        let arch = model::architecture(&content);
        let trained =
            model::meta_u32(&content, &format!("{arch}.context_length")).map_or(2048, |n| n as usize);
        let context = match options.context {
            0 => trained.min(4096),
            n => n.min(trained),
        };
        let threads = match options.threads {
            0 => all_cores(),
            n => n,
        };
        let (jobs, queue) = std::sync::mpsc::sync_channel::<Job>(options.queue);
        let (ready_tx, ready) = std::sync::mpsc::channel();
        let (worker_vocab, worker_path) = (vocab.clone(), path.to_path_buf());
        let worker_runtime = runtime.clone();
        std::thread::Builder::new()
            .name("madang-generator".into())
            .spawn(move || {
                let decoder = worker_runtime.load(&worker_path, context, threads);
                match decoder {
                    Ok(decoder) => {
                        let _ = ready_tx.send(Ok(()));
                        work(decoder, &worker_vocab, context, queue);
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            })
            .map_err(|e| AiError::Load(format!("starting the model thread: {e}")))?;
        ready
            .recv()
            .map_err(|_| AiError::Load("the model thread stopped".into()))??;
        tracing::info!(
            model = %path.display(),
            runtime = runtime.name(),
            context,
            threads,
            "local generator loaded"
        );
        Ok(Loaded { vocab, context, jobs })
    }
}

#[async_trait]
impl Generator for GgufGenerator {
    fn describe(&self) -> String {
        let name = self.path.file_name().map(|n| n.to_string_lossy().into_owned());
        format!("{} {}", self.runtime.name(), name.unwrap_or_default())
    }

    /// Below 500 MB of weights (SmolLM2-135M is 145 MB in Q8_0; a 1.7B
    /// model in 4 bits is about 1 GB).
    fn small(&self) -> bool {
        std::fs::metadata(&self.path).is_ok_and(|m| m.len() < SMALL_MODEL_BYTES)
    }

    fn context_tokens(&self) -> usize {
        self.loaded().map_or(0, |l| l.context)
    }

    fn count_tokens(&self, text: &str) -> usize {
        match self.loaded().and_then(|l| l.vocab.encode(text)) {
            Ok(tokens) => tokens.len(),
            Err(_) => crate::estimate_tokens(text),
        }
    }

    async fn stream(&self, prompt: Prompt) -> Result<TextStream, AiError> {
        let loaded = self.loaded()?;
        let (tokens, _) = loaded.vocab.render(&prompt.messages)?;
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
        let mut rx = rx;
        Ok(Box::pin(futures::stream::poll_fn(move |cx| rx.poll_recv(cx))))
    }
}

/// The worker: one decoder, reset for each prompt.
fn work(mut decoder: Box<dyn Decoder>, vocab: &Vocab, context: usize, queue: std::sync::mpsc::Receiver<Job>) {
    for job in queue {
        if job.out.is_closed() {
            continue;
        }
        decoder.reset();
        if let Err(e) = answer(decoder.as_mut(), vocab, context, &job) {
            let _ = job.out.blocking_send(Err(e));
        }
    }
}

fn answer(decoder: &mut dyn Decoder, vocab: &Vocab, context: usize, job: &Job) -> Result<(), AiError> {
    let mut sampler = sample::Sampler::new(job.temperature);
    let mut pieces = Utf8Pieces::default();
    let mut token = sampler.pick(decoder.feed(&job.tokens, 0)?);
    let start = job.tokens.len();
    let room = context.saturating_sub(start);
    for pos in start..start + (job.max_tokens as usize).min(room) {
        if vocab.is_end(token) {
            break;
        }
        let text = pieces.push(vocab.piece(token));
        if !text.is_empty() && job.out.blocking_send(Ok(text)).is_err() {
            return Ok(()); // the reader went away
        }
        if pos + 1 >= start + (job.max_tokens as usize).min(room) {
            break;
        }
        token = sampler.pick(decoder.feed(&[token], pos)?);
    }
    let rest = pieces.finish();
    if !rest.is_empty() {
        let _ = job.out.blocking_send(Ok(rest));
    }
    Ok(())
}
