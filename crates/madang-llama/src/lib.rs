//! llama.cpp as a [`Runtime`] of Madang's local generator, for operators
//! who build `madang` with `--features llama-cpp` (it needs cmake and
//! libclang, and ten minutes of C++). The vocabulary, chat template,
//! sampling and queue stay `madang-ai`'s, so both runtimes read the same
//! tokens and answer the same way; only the arithmetic is llama.cpp's
//! (every GGUF architecture it knows, as far as the built-in vocabulary
//! reads the file's tokenizer).

use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::token::LlamaToken;
use madang_ai::AiError;
use madang_ai::local::gguf::{Decoder, Runtime};
use std::num::NonZeroU32;
use std::path::Path;
use std::sync::OnceLock;

/// Tokens decoded per call while reading the prompt.
const BATCH: usize = 512;

/// llama.cpp through `llama-cpp-2`.
pub struct LlamaCpp;

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

/// llama.cpp's own tokens for `text` (control tokens not parsed), from
/// the vocabulary of the GGUF at `path`: what the built-in tokenizer is
/// held to.
pub fn tokenize(path: &Path, text: &str) -> Result<Vec<u32>, AiError> {
    let backend = backend()?;
    let params = LlamaModelParams::default().with_vocab_only(true);
    let model = LlamaModel::load_from_file(backend, path, &params)
        .map_err(|e| AiError::Load(format!("{}: {e}", path.display())))?;
    let tokens = model.vocab().tokenize(text.as_bytes(), false, false);
    Ok(tokens.iter().map(|t| t.0 as u32).collect())
}

/// The model and a context made from it. The context borrows the model,
/// so the model is leaked: a runtime loads one per generator, which lives
/// as long as the server.
struct LlamaDecoder {
    ctx: LlamaContext<'static>,
    batch: LlamaBatch<'static>,
    vocab: usize,
    logits: Vec<f32>,
}

impl Runtime for LlamaCpp {
    fn name(&self) -> &'static str {
        "llama.cpp"
    }

    fn load(&self, path: &Path, context: usize, threads: usize) -> Result<Box<dyn Decoder>, AiError> {
        let backend = backend()?;
        let model = LlamaModel::load_from_file(backend, path, &LlamaModelParams::default())
            .map_err(|e| AiError::Load(format!("{}: {e}", path.display())))?;
        let model: &'static LlamaModel = Box::leak(Box::new(model));
        let threads = i32::try_from(threads).unwrap_or(1);
        let params = LlamaContextParams::default()
            .with_n_ctx(NonZeroU32::new(u32::try_from(context).unwrap_or(u32::MAX)))
            .with_n_batch(BATCH as u32)
            .with_n_threads(threads)
            .with_n_threads_batch(threads);
        let ctx = model
            .new_context(backend, params)
            .map_err(|e| AiError::Load(format!("context: {e}")))?;
        let vocab = usize::try_from(model.n_vocab()).unwrap_or(0);
        Ok(Box::new(LlamaDecoder {
            ctx,
            batch: LlamaBatch::new(BATCH, 1),
            vocab,
            logits: vec![0.0; vocab],
        }))
    }
}

impl Decoder for LlamaDecoder {
    fn feed(&mut self, tokens: &[u32], pos: usize) -> Result<&[f32], AiError> {
        let failed = |e: &dyn std::fmt::Display| AiError::Model(e.to_string());
        let last = tokens.len().saturating_sub(1);
        for (start, chunk) in tokens.chunks(BATCH).enumerate().map(|(i, c)| (i * BATCH, c)) {
            self.batch.clear();
            for (i, token) in chunk.iter().enumerate() {
                let at = i32::try_from(pos + start + i).map_err(|e| failed(&e))?;
                let id = i32::try_from(*token).map_err(|e| failed(&e))?;
                self.batch
                    .add(LlamaToken::new(id), at, &[0], start + i == last)
                    .map_err(|e| failed(&e))?;
            }
            self.ctx.decode(&mut self.batch).map_err(|e| failed(&e))?;
        }
        let scores = self.ctx.get_logits_ith(self.batch.n_tokens() - 1);
        let n = self.vocab.min(scores.len());
        self.logits[..n].copy_from_slice(&scores[..n]);
        Ok(&self.logits)
    }

    fn reset(&mut self) {
        self.ctx.clear_kv_cache();
    }
}
