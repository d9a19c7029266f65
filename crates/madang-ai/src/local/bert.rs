//! A BERT-style sentence embedder (all-MiniLM-L6-v2 and its kin) on the
//! CPU: a folder with `config.json`, `model.safetensors` and
//! `tokenizer.json`. The encoder is ours (the same f32 products as the
//! generator's prompt path, through `gemm`); candle only reads the
//! safetensors. Each sentence runs at its own length (no padding, so no
//! mask), sentences of a batch side by side on the cores. Vectors are the
//! mean of the last layer over the tokens, scaled to norm 1, as
//! sentence-transformers makes them. The weights are read on first use.

use super::gguf::kernels::{self, Operand};
use crate::{AiError, Embedder, normalise};
use async_trait::async_trait;
use candle_core::{Device, Tensor};
use rayon::prelude::*;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokenizers::{Tokenizer, TruncationParams};

/// Sentences handed to the cores at once.
const BATCH: usize = 32;
/// Longest input in tokens; longer text is cut (the model was trained on 256).
const MAX_TOKENS: usize = 256;

/// What the encoder needs of `config.json`.
#[derive(Clone, Debug, Deserialize)]
pub struct Config {
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    #[serde(default = "default_eps")]
    pub layer_norm_eps: f32,
    #[serde(default = "default_act")]
    pub hidden_act: String,
    #[serde(default)]
    pub position_embedding_type: Option<String>,
}

fn default_eps() -> f32 {
    1e-12
}

fn default_act() -> String {
    "gelu".into()
}

pub struct BertEmbedder {
    dir: PathBuf,
    config: Config,
    inner: tokio::sync::OnceCell<Arc<Inner>>,
}

struct Inner {
    model: Encoder,
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
        if config.hidden_act != "gelu"
            || config
                .position_embedding_type
                .as_deref()
                .is_some_and(|p| p != "absolute")
            || config.num_attention_heads == 0
            || config.hidden_size % config.num_attention_heads != 0
        {
            return Err(load(
                "config.json",
                &"not a BERT this encoder runs (GELU, absolute positions)",
            ));
        }
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
        // The shipped tokenizer pads every input to 128 tokens; each
        // sentence runs at its own length here.
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..TruncationParams::default()
            }))
            .map_err(|e| load("tokenizer.json", &e))?;
        let tensors = candle_core::safetensors::load(dir.join("model.safetensors"), &Device::Cpu)
            .map_err(|e| load("model.safetensors", &e))?;
        let model = Encoder::read(tensors, config).map_err(|e| load("model.safetensors", &e))?;
        tracing::info!(model = %dir.display(), "local embedder loaded");
        Ok(Inner { model, tokenizer })
    }

    fn embed_batch(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, AiError> {
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| AiError::Model(e.to_string()))?;
        encodings
            .par_iter()
            .map(|e| {
                let mut v = self.model.embed(e.get_ids(), e.get_type_ids())?;
                normalise(&mut v);
                Ok(v)
            })
            .collect()
    }
}

pub(super) struct Linear {
    /// out × in, row-major (as PyTorch stores it).
    pub(super) w: Vec<f32>,
    pub(super) b: Vec<f32>,
    pub(super) inputs: usize,
    pub(super) outputs: usize,
}

impl Linear {
    /// `x (n × inputs) · Wᵀ + b` into `out (n × outputs)`.
    fn apply(&self, x: &[f32], n: usize, out: &mut [f32]) {
        let (a, w) = (Operand::rows(x, self.inputs), Operand::rows(&self.w, self.inputs));
        kernels::product(n, self.outputs, self.inputs, a, w, out, self.outputs, 1);
        for row in out.chunks_exact_mut(self.outputs) {
            row.iter_mut().zip(&self.b).for_each(|(o, b)| *o += b);
        }
    }
}

pub(super) struct LayerNorm {
    pub(super) g: Vec<f32>,
    pub(super) b: Vec<f32>,
}

impl LayerNorm {
    fn apply(&self, x: &mut [f32], eps: f32) {
        for row in x.chunks_exact_mut(self.g.len()) {
            let n = row.len() as f32;
            let mean = row.iter().sum::<f32>() / n;
            let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n;
            let scale = 1.0 / (var + eps).sqrt();
            for ((v, g), b) in row.iter_mut().zip(&self.g).zip(&self.b) {
                *v = (*v - mean) * scale * g + b;
            }
        }
    }
}

pub(super) struct Layer {
    pub(super) q: Linear,
    pub(super) k: Linear,
    pub(super) v: Linear,
    pub(super) o: Linear,
    pub(super) attn_norm: LayerNorm,
    pub(super) up: Linear,
    pub(super) down: Linear,
    pub(super) out_norm: LayerNorm,
}

/// The word embeddings: as read, or kept in 4-bit blocks and unpacked a
/// row at a time (a multilingual vocabulary is most of a small model).
pub(super) enum Words {
    F32(Vec<f32>),
    /// Q4_0, row after row: per 32 weights an f16 scale `d` and 16 bytes,
    /// byte `j` holding weight `j` (low nibble) and `j + 16` (high), each
    /// `(q - 8) · d`.
    Q4(Vec<u8>),
}

/// Bytes of one Q4_0 block of 32 weights.
pub(super) const Q4_BLOCK: usize = 18;

/// Unpacks Q4_0 blocks into `out` (32 weights per block).
pub(super) fn unpack_q4(blocks: &[u8], out: &mut [f32]) {
    for (b, o) in blocks.chunks_exact(Q4_BLOCK).zip(out.chunks_exact_mut(32)) {
        let d = half::f16::from_le_bytes([b[0], b[1]]).to_f32();
        for (j, q) in b[2..].iter().enumerate() {
            o[j] = (i32::from(q & 0x0F) - 8) as f32 * d;
            o[j + 16] = (i32::from(q >> 4) - 8) as f32 * d;
        }
    }
}

impl Words {
    /// Row `i` of `d` values, if the vocabulary has it.
    fn row(&self, i: usize, d: usize) -> Option<Vec<f32>> {
        match self {
            Words::F32(table) => table.get(i * d..(i + 1) * d).map(<[f32]>::to_vec),
            Words::Q4(blocks) => {
                let bytes = d / 32 * Q4_BLOCK;
                let packed = blocks.get(i * bytes..(i + 1) * bytes)?;
                let mut row = vec![0f32; d];
                unpack_q4(packed, &mut row);
                Some(row)
            }
        }
    }
}

/// The encoder's weights.
pub(super) struct Encoder {
    pub(super) config: Config,
    pub(super) words: Words,
    pub(super) positions: Vec<f32>,
    pub(super) types: Vec<f32>,
    pub(super) norm: LayerNorm,
    pub(super) layers: Vec<Layer>,
}

type Weights = HashMap<String, Tensor>;

fn take(t: &mut Weights, name: &str) -> Result<Vec<f32>, String> {
    let tensor = t
        .remove(name)
        .or_else(|| t.remove(&format!("bert.{name}")))
        .ok_or_else(|| format!("no tensor {name}"))?;
    tensor
        .to_dtype(candle_core::DType::F32)
        .and_then(|t| t.flatten_all()?.to_vec1::<f32>())
        .map_err(|e| format!("{name}: {e}"))
}

fn linear(t: &mut Weights, name: &str, inputs: usize, outputs: usize) -> Result<Linear, String> {
    let (w, b) = (
        take(t, &format!("{name}.weight"))?,
        take(t, &format!("{name}.bias"))?,
    );
    if w.len() != inputs * outputs || b.len() != outputs {
        return Err(format!("{name}: not {outputs} × {inputs}"));
    }
    Ok(Linear {
        w,
        b,
        inputs,
        outputs,
    })
}

fn layer_norm(t: &mut Weights, name: &str, size: usize) -> Result<LayerNorm, String> {
    let (g, b) = (
        take(t, &format!("{name}.weight"))?,
        take(t, &format!("{name}.bias"))?,
    );
    if g.len() != size || b.len() != size {
        return Err(format!("{name}: not {size} long"));
    }
    Ok(LayerNorm { g, b })
}

/// GELU as BERT defines it: x · Φ(x), with the exact normal CDF.
fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + libm::erff(x / std::f32::consts::SQRT_2))
}

impl Encoder {
    fn read(mut t: Weights, config: &Config) -> Result<Encoder, String> {
        let (d, ff) = (config.hidden_size, config.intermediate_size);
        let words = take(&mut t, "embeddings.word_embeddings.weight")?;
        let positions = take(&mut t, "embeddings.position_embeddings.weight")?;
        let types = take(&mut t, "embeddings.token_type_embeddings.weight")?;
        if words.len() % d != 0 || positions.len() % d != 0 || types.len() % d != 0 {
            return Err("embeddings of another width than hidden_size".into());
        }
        let norm = layer_norm(&mut t, "embeddings.LayerNorm", d)?;
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for i in 0..config.num_hidden_layers {
            let p = format!("encoder.layer.{i}");
            layers.push(Layer {
                q: linear(&mut t, &format!("{p}.attention.self.query"), d, d)?,
                k: linear(&mut t, &format!("{p}.attention.self.key"), d, d)?,
                v: linear(&mut t, &format!("{p}.attention.self.value"), d, d)?,
                o: linear(&mut t, &format!("{p}.attention.output.dense"), d, d)?,
                attn_norm: layer_norm(&mut t, &format!("{p}.attention.output.LayerNorm"), d)?,
                up: linear(&mut t, &format!("{p}.intermediate.dense"), d, ff)?,
                down: linear(&mut t, &format!("{p}.output.dense"), ff, d)?,
                out_norm: layer_norm(&mut t, &format!("{p}.output.LayerNorm"), d)?,
            });
        }
        Ok(Encoder {
            config: config.clone(),
            words: Words::F32(words),
            positions,
            types,
            norm,
            layers,
        })
    }

    /// The mean of the last layer over the sentence's tokens.
    pub(super) fn embed(&self, ids: &[u32], type_ids: &[u32]) -> Result<Vec<f32>, AiError> {
        let c = &self.config;
        let (d, n) = (c.hidden_size, ids.len());
        if n == 0 {
            return Ok(vec![0.0; d]);
        }
        if n * d > self.positions.len() {
            return Err(AiError::Model(format!(
                "{n} tokens, more than the model's positions"
            )));
        }
        let outside = |i: u32| AiError::Model(format!("token {i} outside the vocabulary"));
        let mut x = vec![0f32; n * d];
        for (i, (id, ty)) in ids.iter().zip(type_ids).enumerate() {
            let w = self.words.row(*id as usize, d).ok_or_else(|| outside(*id))?;
            let t = (*ty as usize)
                .checked_mul(d)
                .and_then(|at| self.types.get(at..at + d))
                .ok_or_else(|| outside(*ty))?;
            let p = &self.positions[i * d..(i + 1) * d];
            for (j, o) in x[i * d..(i + 1) * d].iter_mut().enumerate() {
                *o = w[j] + p[j] + t[j];
            }
        }
        self.norm.apply(&mut x, c.layer_norm_eps);
        let heads = c.num_attention_heads;
        let hd = d / heads;
        let scale = 1.0 / (hd as f32).sqrt();
        let (mut q, mut k, mut v) = (vec![0f32; n * d], vec![0f32; n * d], vec![0f32; n * d]);
        let (mut ctx, mut out) = (vec![0f32; n * d], vec![0f32; n * d]);
        let mut scores = vec![0f32; n * n];
        let mut up = vec![0f32; n * c.intermediate_size];
        for layer in &self.layers {
            layer.q.apply(&x, n, &mut q);
            layer.k.apply(&x, n, &mut k);
            layer.v.apply(&x, n, &mut v);
            for h in 0..heads {
                let (qs, ks) = (Operand::rows(&q[h * hd..], d), Operand::rows(&k[h * hd..], d));
                kernels::product(n, n, hd, qs, ks, &mut scores, n, 1);
                for r in scores.chunks_exact_mut(n) {
                    r.iter_mut().for_each(|s| *s *= scale);
                    kernels::softmax(r);
                }
                let (ps, vs) = (Operand::rows(&scores, n), Operand::columns(&v[h * hd..], d));
                kernels::product(n, hd, n, ps, vs, &mut ctx[h * hd..], d, 1);
            }
            layer.o.apply(&ctx, n, &mut out);
            x.iter_mut().zip(&out).for_each(|(a, b)| *a += b);
            layer.attn_norm.apply(&mut x, c.layer_norm_eps);
            layer.up.apply(&x, n, &mut up);
            up.iter_mut().for_each(|u| *u = gelu(*u));
            layer.down.apply(&up, n, &mut out);
            x.iter_mut().zip(&out).for_each(|(a, b)| *a += b);
            layer.out_norm.apply(&mut x, c.layer_norm_eps);
        }
        let mut mean = vec![0f32; d];
        for r in x.chunks_exact(d) {
            mean.iter_mut().zip(r).for_each(|(m, v)| *m += v);
        }
        mean.iter_mut().for_each(|m| *m /= n as f32);
        Ok(mean)
    }
}

#[async_trait]
impl Embedder for BertEmbedder {
    fn describe(&self) -> String {
        let name = self.dir.file_name().map(|n| n.to_string_lossy().into_owned());
        format!("BERT {}", name.unwrap_or_default())
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
