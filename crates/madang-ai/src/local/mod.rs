//! The backends that run on the server's own CPU: GGUF decoders through
//! the built-in runtime ([`gguf`]), BERT-style embedders through candle,
//! and the re-quantization `models pull` applies to the default model.

mod bert;
pub mod gguf;
pub mod requantize;

pub use bert::BertEmbedder;
pub use gguf::{GgufGenerator, GgufOptions};
