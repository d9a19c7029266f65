//! A BERT-style sentence embedder (all-MiniLM-L6-v2 and its kin) on the
//! CPU through candle: a folder with `config.json`, `model.safetensors`
//! and `tokenizer.json`. Vectors are the attention-masked mean of the last
//! layer, scaled to norm 1, as sentence-transformers makes them. The
//! weights are read on first use.

use crate::{AiError, Embedder, normalise};
use async_trait::async_trait;
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

/// Sentences per forward pass.
const BATCH: usize = 32;
/// Longest input in tokens; longer text is cut (the model was trained on 256).
const MAX_TOKENS: usize = 256;

pub struct BertEmbedder {
    dir: PathBuf,
    config: Config,
    inner: tokio::sync::OnceCell<Arc<Inner>>,
}

struct Inner {
    model: BertModel,
    tokenizer: Tokenizer,
}

fn load_error(dir: &Path, what: &str, e: &dyn std::fmt::Display) -> AiError {
    AiError::Load(format!("{}/{what}: {e}", dir.display()))
}

impl BertEmbedder {
    /// The model in `dir`: its configuration is read now, the weights on
    /// first use.
    pub fn new(dir: &Path) -> Result<BertEmbedder, AiError> {
        let load = |what: &str, e: &dyn std::fmt::Display| load_error(dir, what, e);
        let config = std::fs::read_to_string(dir.join("config.json")).map_err(|e| load("config.json", &e))?;
        let config: Config = serde_json::from_str(&config).map_err(|e| load("config.json", &e))?;
        for file in ["tokenizer.json", "model.safetensors"] {
            if !dir.join(file).is_file() {
                return Err(load(file, &"missing"));
            }
        }
        Ok(BertEmbedder {
            dir: dir.to_path_buf(),
            config,
            inner: tokio::sync::OnceCell::new(),
        })
    }

    async fn inner(&self) -> Result<Arc<Inner>, AiError> {
        self.inner
            .get_or_try_init(|| async {
                let (dir, config) = (self.dir.clone(), self.config.clone());
                tokio::task::spawn_blocking(move || Inner::load(&dir, &config).map(Arc::new))
                    .await
                    .map_err(|e| AiError::Load(e.to_string()))?
            })
            .await
            .cloned()
    }
}

impl Inner {
    fn load(dir: &Path, config: &Config) -> Result<Inner, AiError> {
        let load = |what: &str, e: &dyn std::fmt::Display| load_error(dir, what, e);
        let mut tokenizer =
            Tokenizer::from_file(dir.join("tokenizer.json")).map_err(|e| load("tokenizer.json", &e))?;
        // The shipped tokenizer pads every input to 128 tokens: pad each
        // batch to its longest instead (faster, and mean pooling is masked).
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            ..PaddingParams::default()
        }));
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..TruncationParams::default()
            }))
            .map_err(|e| load("tokenizer.json", &e))?;
        let weights = dir.join("model.safetensors");
        // Safety: the file is mapped read-only and not changed while loaded
        // (the model folder is the operator's, written once by `models pull`).
        let vb = unsafe { VarBuilder::from_mmaped_safetensors(&[&weights], DType::F32, &Device::Cpu) }
            .map_err(|e| load("model.safetensors", &e))?;
        let model = BertModel::load(vb, config).map_err(|e| load("model.safetensors", &e))?;
        tracing::info!(model = %dir.display(), "local embedder loaded");
        Ok(Inner { model, tokenizer })
    }

    fn embed_batch(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, AiError> {
        let failed = |e: &dyn std::fmt::Display| AiError::Model(e.to_string());
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| failed(&e))?;
        let rows = encodings.len();
        let cols = encodings.first().map_or(0, |e| e.get_ids().len());
        let flat = |f: &dyn Fn(&tokenizers::Encoding) -> &[u32]| -> Vec<u32> {
            encodings.iter().flat_map(|e| f(e).iter().copied()).collect()
        };
        let ids =
            Tensor::from_vec(flat(&|e| e.get_ids()), (rows, cols), &Device::Cpu).map_err(|e| failed(&e))?;
        let types = Tensor::from_vec(flat(&|e| e.get_type_ids()), (rows, cols), &Device::Cpu)
            .map_err(|e| failed(&e))?;
        let mask = Tensor::from_vec(flat(&|e| e.get_attention_mask()), (rows, cols), &Device::Cpu)
            .map_err(|e| failed(&e))?;
        let hidden = self
            .model
            .forward(&ids, &types, Some(&mask))
            .map_err(|e| failed(&e))?;
        // Mean over the real tokens of each row.
        let pooled = (|| {
            let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
            let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
            let counts = mask.sum(1)?.clamp(1e-9, f64::MAX)?;
            summed.broadcast_div(&counts)?.to_vec2::<f32>()
        })()
        .map_err(|e| failed(&e))?;
        Ok(pooled
            .into_iter()
            .map(|mut v| {
                normalise(&mut v);
                v
            })
            .collect())
    }
}

#[async_trait]
impl Embedder for BertEmbedder {
    fn describe(&self) -> String {
        let name = self.dir.file_name().map(|n| n.to_string_lossy().into_owned());
        format!("candle BERT {}", name.unwrap_or_default())
    }

    fn dims(&self) -> usize {
        self.config.hidden_size
    }

    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, AiError> {
        let inner = self.inner().await?;
        let texts = texts.to_vec();
        tokio::task::spawn_blocking(move || {
            let mut out = Vec::with_capacity(texts.len());
            for chunk in texts.chunks(BATCH) {
                out.extend(inner.embed_batch(chunk)?);
            }
            Ok(out)
        })
        .await
        .map_err(|e| AiError::Model(e.to_string()))?
    }
}
