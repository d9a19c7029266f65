//! The backends that run on the server's own CPU: GGUF decoders through
//! the built-in runtime ([`gguf`]), BERT-style embedders (safetensors read
//! through candle, or multilingual-e5-small's 4-bit file, [`e5`]),
//! and the re-quantization `models pull` applies to the default model.

mod bert;
pub mod e5;
pub mod gguf;
pub mod requantize;

pub use bert::BertEmbedder;
pub use e5::E5Embedder;

use crate::{AiError, Embedder};
use std::path::Path;
use std::sync::Arc;

/// The local embedder in `path`: multilingual-e5-small's 4-bit file (or a
/// folder holding it), else a BERT folder (`config.json`,
/// `model.safetensors`, `tokenizer.json`).
pub fn open_embedder(path: &Path) -> Result<Arc<dyn Embedder>, AiError> {
    if E5Embedder::recognises(path) {
        return Ok(Arc::new(E5Embedder::new(path)?));
    }
    Ok(Arc::new(BertEmbedder::new(path)?))
}
pub use gguf::{GgufGenerator, GgufOptions};
