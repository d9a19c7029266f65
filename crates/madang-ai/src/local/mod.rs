//! The backends that run on the server's own CPU.

mod bert;
mod llama;

pub use bert::BertEmbedder;
pub use llama::{LlamaGenerator, LlamaOptions};
