//! A Llama-architecture decoder (SmolLM, Llama, Mistral…) read
//! from a GGUF file and run on the CPU: every weight matrix held as 8-bit
//! blocks (a Q8_0 file is taken as it is; any other type candle can read
//! is widened and re-quantized once at load), a key/value cache allocated
//! once per context, and two paths through the layers: the prompt's
//! tokens together (weights widened to f32 a matrix at a time, products
//! through `gemm`) and one token at a time (8-bit dot products).

use super::kernels::{self, BlockQ8, Operand, QK, QMatrix};
use crate::AiError;
use candle_core::quantized::{GgmlDType, QTensor, gguf_file};
use candle_core::{Device, Tensor};
use rayon::prelude::*;
use std::path::Path;

/// The shape of the network, from the GGUF metadata.
#[derive(Clone, Debug)]
pub struct Shape {
    pub layers: usize,
    pub embd: usize,
    pub heads: usize,
    pub kv_heads: usize,
    pub head_dim: usize,
    pub vocab: usize,
    pub rope_base: f32,
    /// Rotary pairs (i, i + d/2) rather than (2i, 2i + 1).
    pub rope_neox: bool,
    pub eps: f32,
    /// The context it was trained for.
    pub trained_context: usize,
}

struct Layer {
    attn_norm: Vec<f32>,
    wq: QMatrix,
    wk: QMatrix,
    wv: QMatrix,
    wo: QMatrix,
    ffn_norm: Vec<f32>,
    gate: QMatrix,
    up: QMatrix,
    down: QMatrix,
}

/// The weights of a loaded model; shared read-only by its worker.
pub struct Weights {
    pub shape: Shape,
    embed: QMatrix,
    layers: Vec<Layer>,
    out_norm: Vec<f32>,
    /// `None`: the output shares the embedding's matrix.
    output: Option<QMatrix>,
}

/// Reads a metadata value as an integer.
pub(super) fn meta_u32(content: &gguf_file::Content, key: &str) -> Result<u32, AiError> {
    content
        .metadata
        .get(key)
        .ok_or_else(|| AiError::Load(format!("the GGUF lacks {key}")))?
        .to_u32()
        .map_err(|e| AiError::Load(format!("{key}: {e}")))
}

fn meta_f32(content: &gguf_file::Content, key: &str) -> Option<f32> {
    content.metadata.get(key).and_then(|v| v.to_f32().ok())
}

/// Architectures whose tensors and rotary layout this decoder reads.
const ARCHITECTURES: [&str; 2] = ["llama", "mistral"];

/// `general.architecture`, e.g. `llama`.
pub(super) fn architecture(content: &gguf_file::Content) -> String {
    content
        .metadata
        .get("general.architecture")
        .and_then(|v| v.to_string().ok())
        .cloned()
        .unwrap_or_default()
}

impl Weights {
    /// Reads and converts every tensor of `path`.
    pub fn read(path: &Path) -> Result<(Weights, gguf_file::Content), AiError> {
        let load = |e: &dyn std::fmt::Display| AiError::Load(format!("{}: {e}", path.display()));
        let mut file = std::io::BufReader::new(std::fs::File::open(path).map_err(|e| load(&e))?);
        let content = gguf_file::Content::read(&mut file).map_err(|e| load(&e))?;
        let arch = architecture(&content);
        if !ARCHITECTURES.contains(&arch.as_str()) {
            return Err(load(&format!(
                "architecture `{arch}` is not one the built-in runtime reads ({}); \
                 build with the `llama-cpp` feature or serve it through `generator = \"openai\"`",
                ARCHITECTURES.join(", ")
            )));
        }
        let key = |k: &str| format!("{arch}.{k}");
        let heads = meta_u32(&content, &key("attention.head_count"))? as usize;
        let embd = meta_u32(&content, &key("embedding_length"))? as usize;
        let shape = Shape {
            layers: meta_u32(&content, &key("block_count"))? as usize,
            embd,
            heads,
            kv_heads: meta_u32(&content, &key("attention.head_count_kv")).map_or(heads, |n| n as usize),
            head_dim: embd / heads.max(1),
            vocab: 0,
            rope_base: meta_f32(&content, &key("rope.freq_base")).unwrap_or(10_000.0),
            rope_neox: false,
            eps: meta_f32(&content, &key("attention.layer_norm_rms_epsilon")).unwrap_or(1e-5),
            trained_context: meta_u32(&content, &key("context_length")).map_or(2048, |n| n as usize),
        };
        if heads == 0 || embd % heads != 0 || shape.kv_heads == 0 || heads % shape.kv_heads != 0 {
            return Err(load(&"inconsistent head counts"));
        }
        let mut tensor = |name: &str| -> Result<QTensor, AiError> {
            content
                .tensor(&mut file, name, &Device::Cpu)
                .map_err(|e| load(&format!("{name}: {e}")))
        };
        let embed = matrix(tensor("token_embd.weight")?, path)?;
        let out_norm = vector(&tensor("output_norm.weight")?, path)?;
        let output = match content.tensor_infos.contains_key("output.weight") {
            true => Some(matrix(tensor("output.weight")?, path)?),
            false => None,
        };
        let mut layers = Vec::with_capacity(shape.layers);
        for i in 0..shape.layers {
            let mut t = |part: &str| tensor(&format!("blk.{i}.{part}.weight"));
            layers.push(Layer {
                attn_norm: vector(&t("attn_norm")?, path)?,
                wq: matrix(t("attn_q")?, path)?,
                wk: matrix(t("attn_k")?, path)?,
                wv: matrix(t("attn_v")?, path)?,
                wo: matrix(t("attn_output")?, path)?,
                ffn_norm: vector(&t("ffn_norm")?, path)?,
                gate: matrix(t("ffn_gate")?, path)?,
                up: matrix(t("ffn_up")?, path)?,
                down: matrix(t("ffn_down")?, path)?,
            });
        }
        let vocab = embed.rows;
        let weights = Weights {
            shape: Shape { vocab, ..shape },
            embed,
            layers,
            out_norm,
            output,
        };
        weights.check().map_err(|e| load(&e))?;
        Ok((weights, content))
    }

    fn check(&self) -> Result<(), String> {
        let s = &self.shape;
        let (q, kv) = (s.heads * s.head_dim, s.kv_heads * s.head_dim);
        for (i, l) in self.layers.iter().enumerate() {
            let ok = l.wq.rows == q
                && l.wq.cols == s.embd
                && l.wk.rows == kv
                && l.wv.rows == kv
                && l.wo.cols == q
                && l.wo.rows == s.embd
                && l.gate.cols == s.embd
                && l.up.rows == l.gate.rows
                && l.down.cols == l.gate.rows
                && l.down.rows == s.embd
                && l.attn_norm.len() == s.embd
                && l.ffn_norm.len() == s.embd;
            if !ok {
                return Err(format!("layer {i} has shapes that do not fit together"));
            }
        }
        if self.embed.cols != s.embd || self.out_norm.len() != s.embd {
            return Err("the embedding does not fit the layers".into());
        }
        Ok(())
    }

    /// Bytes of weights held.
    pub fn bytes(&self) -> usize {
        let layers: usize = self
            .layers
            .iter()
            .map(|l| {
                [&l.wq, &l.wk, &l.wv, &l.wo, &l.gate, &l.up, &l.down]
                    .iter()
                    .map(|m| m.bytes())
                    .sum::<usize>()
            })
            .sum();
        layers + self.embed.bytes() + self.output.as_ref().map_or(0, QMatrix::bytes)
    }

    fn output(&self) -> &QMatrix {
        self.output.as_ref().unwrap_or(&self.embed)
    }
}

/// A Q8_0 tensor's blocks as stored: an f16 scale, then 32 signed bytes.
fn q8_0_blocks(bytes: &[u8]) -> Vec<BlockQ8> {
    bytes
        .chunks_exact(2 + QK)
        .map(|b| {
            let mut block = BlockQ8 {
                d: half::f16::from_le_bytes([b[0], b[1]]).to_f32(),
                qs: [0; QK],
            };
            for (q, v) in block.qs.iter_mut().zip(&b[2..]) {
                *q = *v as i8;
            }
            block
        })
        .collect()
}

fn matrix(t: QTensor, path: &Path) -> Result<QMatrix, AiError> {
    let load = |e: &dyn std::fmt::Display| AiError::Load(format!("{}: {e}", path.display()));
    let dims = t.shape().dims().to_vec();
    let [rows, cols] = dims[..] else {
        return Err(load(&format!("a weight of shape {dims:?}, not a matrix")));
    };
    if cols % QK != 0 {
        return Err(load(&format!("rows of {cols} values, not a multiple of {QK}")));
    }
    if t.dtype() == GgmlDType::Q8_0 {
        let data = t.data().map_err(|e| load(&e))?;
        return Ok(QMatrix::from_blocks(q8_0_blocks(&data), rows, cols));
    }
    let values = floats(&t, path)?;
    Ok(QMatrix::quantize(&values, rows, cols))
}

fn floats(t: &QTensor, path: &Path) -> Result<Vec<f32>, AiError> {
    let load = |e: &dyn std::fmt::Display| AiError::Load(format!("{}: {e}", path.display()));
    t.dequantize(&Device::Cpu)
        .and_then(|t: Tensor| t.flatten_all()?.to_vec1::<f32>())
        .map_err(|e| load(&e))
}

fn vector(t: &QTensor, path: &Path) -> Result<Vec<f32>, AiError> {
    floats(t, path)
}

/// Tokens read together at most, and the fewest for which the prompt path
/// (f32 products) beats one-at-a-time 8-bit ones.
pub const CHUNK: usize = 512;
const GEMM_FROM: usize = 4;

/// What one answer needs besides the weights: the cache of keys and
/// values, rotary tables and scratch space, sized for `context` tokens.
pub struct State {
    context: usize,
    threads: usize,
    /// [layer][kv head][position][head_dim].
    keys: Vec<f32>,
    values: Vec<f32>,
    cos: Vec<f32>,
    sin: Vec<f32>,
    logits: Vec<f32>,
    /// A weight matrix widened to f32 for the prompt path.
    wide: Vec<f32>,
}

impl State {
    pub fn new(shape: &Shape, context: usize, threads: usize) -> State {
        let cache = shape.layers * shape.kv_heads * context * shape.head_dim;
        let half = shape.head_dim / 2;
        let mut cos = vec![0.0; context * half];
        let mut sin = vec![0.0; context * half];
        for pos in 0..context {
            for i in 0..half {
                let freq = shape.rope_base.powf(-((2 * i) as f32) / shape.head_dim as f32);
                let angle = pos as f32 * freq;
                cos[pos * half + i] = angle.cos();
                sin[pos * half + i] = angle.sin();
            }
        }
        State {
            context,
            threads,
            keys: vec![0.0; cache],
            values: vec![0.0; cache],
            cos,
            sin,
            logits: vec![0.0; shape.vocab],
            wide: Vec::new(),
        }
    }

    pub fn context(&self) -> usize {
        self.context
    }
}

/// Runs `tokens` at positions `pos..`, filling the cache; the logits after
/// the last token. The caller keeps `pos + tokens.len() <= context`.
pub fn forward<'s>(
    w: &Weights,
    state: &'s mut State,
    tokens: &[u32],
    pos: usize,
) -> Result<&'s [f32], AiError> {
    let mut at = pos;
    for chunk in tokens.chunks(CHUNK) {
        forward_chunk(w, state, chunk, at)?;
        at += chunk.len();
    }
    Ok(&state.logits)
}

fn forward_chunk(w: &Weights, st: &mut State, tokens: &[u32], pos: usize) -> Result<(), AiError> {
    let s = &w.shape;
    let m = tokens.len();
    if m == 0 || pos + m > st.context {
        return Err(AiError::Model(format!(
            "positions {pos}..{} past the context of {}",
            pos + m,
            st.context
        )));
    }
    let (d, hd) = (s.embd, s.head_dim);
    let (qd, kvd) = (s.heads * hd, s.kv_heads * hd);
    let ff = w.layers.first().map_or(0, |l| l.gate.rows);
    let mut x = vec![0f32; m * d];
    for (row, &t) in x.chunks_exact_mut(d).zip(tokens) {
        let t = t as usize;
        if t >= w.embed.rows {
            return Err(AiError::Model(format!("token {t} is outside the vocabulary")));
        }
        kernels::dequantize_row(w.embed.row(t), row);
    }
    let mut xn = vec![0f32; m * d];
    let mut q = vec![0f32; m * qd];
    let mut k = vec![0f32; m * kvd];
    let mut v = vec![0f32; m * kvd];
    let mut att = vec![0f32; m * qd];
    let mut gate = vec![0f32; m * ff];
    let mut up = vec![0f32; m * ff];
    let mut out = vec![0f32; m * d];
    for (li, layer) in w.layers.iter().enumerate() {
        norm_rows(&x, &layer.attn_norm, s.eps, d, &mut xn);
        linear(st, &layer.wq, &xn, m, &mut q);
        linear(st, &layer.wk, &xn, m, &mut k);
        linear(st, &layer.wv, &xn, m, &mut v);
        for i in 0..m {
            rope(st, s, &mut q[i * qd..(i + 1) * qd], pos + i);
            rope(st, s, &mut k[i * kvd..(i + 1) * kvd], pos + i);
        }
        store_kv(st, s, li, pos, &k, &v);
        attention(st, s, li, &q, pos, m, &mut att);
        linear(st, &layer.wo, &att, m, &mut out);
        x.iter_mut().zip(&out).for_each(|(a, b)| *a += b);

        norm_rows(&x, &layer.ffn_norm, s.eps, d, &mut xn);
        linear(st, &layer.gate, &xn, m, &mut gate);
        linear(st, &layer.up, &xn, m, &mut up);
        gate.par_chunks_mut(ff)
            .zip(up.par_chunks(ff))
            .for_each(|(g, u)| kernels::swiglu(g, u));
        linear(st, &layer.down, &gate, m, &mut out);
        x.iter_mut().zip(&out).for_each(|(a, b)| *a += b);
    }
    let last = &x[(m - 1) * d..];
    let mut normed = vec![0f32; d];
    kernels::rms_norm(last, &w.out_norm, s.eps, &mut normed);
    let mut qx = vec![BlockQ8::ZERO; d / QK];
    kernels::quantize_row(&normed, &mut qx);
    w.output().matvec(&qx, &mut st.logits);
    Ok(())
}

fn norm_rows(x: &[f32], g: &[f32], eps: f32, d: usize, out: &mut [f32]) {
    out.par_chunks_mut(d)
        .zip(x.par_chunks(d))
        .for_each(|(o, row)| kernels::rms_norm(row, g, eps, o));
}

/// `out (m × rows) = x (m × cols) · Wᵀ`.
fn linear(st: &mut State, w: &QMatrix, x: &[f32], m: usize, out: &mut [f32]) {
    if m >= GEMM_FROM {
        st.wide.resize(w.rows * w.cols, 0.0);
        w.dequantize_rows(0, &mut st.wide);
        let (x, wide) = (Operand::rows(x, w.cols), Operand::rows(&st.wide, w.cols));
        kernels::product(m, w.rows, w.cols, x, wide, out, w.rows, st.threads);
        return;
    }
    let mut qx = vec![BlockQ8::ZERO; w.cols / QK];
    for (row, o) in x.chunks_exact(w.cols).zip(out.chunks_exact_mut(w.rows)) {
        kernels::quantize_row(row, &mut qx);
        w.matvec(&qx, o);
    }
}

/// Rotates each head of `v` (heads × head_dim) for position `pos`.
fn rope(st: &State, s: &Shape, v: &mut [f32], pos: usize) {
    let half = s.head_dim / 2;
    let (cos, sin) = (
        &st.cos[pos * half..(pos + 1) * half],
        &st.sin[pos * half..(pos + 1) * half],
    );
    for head in v.chunks_exact_mut(s.head_dim) {
        for i in 0..half {
            let (a, b) = if s.rope_neox {
                (i, i + half)
            } else {
                (2 * i, 2 * i + 1)
            };
            let (x0, x1) = (head[a], head[b]);
            head[a] = x0 * cos[i] - x1 * sin[i];
            head[b] = x0 * sin[i] + x1 * cos[i];
        }
    }
}

/// Offset of (layer, kv head, position) in the cache.
fn cache_at(st: &State, s: &Shape, layer: usize, head: usize, pos: usize) -> usize {
    ((layer * s.kv_heads + head) * st.context + pos) * s.head_dim
}

fn store_kv(st: &mut State, s: &Shape, layer: usize, pos: usize, k: &[f32], v: &[f32]) {
    let (hd, kvd) = (s.head_dim, s.kv_heads * s.head_dim);
    for (i, (kr, vr)) in k.chunks_exact(kvd).zip(v.chunks_exact(kvd)).enumerate() {
        for h in 0..s.kv_heads {
            let at = cache_at(st, s, layer, h, pos + i);
            st.keys[at..at + hd].copy_from_slice(&kr[h * hd..(h + 1) * hd]);
            st.values[at..at + hd].copy_from_slice(&vr[h * hd..(h + 1) * hd]);
        }
    }
}

/// Causal attention of the `m` queries at `pos..` over the cache up to
/// each one's own position, every query head against its group's key and
/// value head; into `out` (m × heads·head_dim).
fn attention(st: &State, s: &Shape, layer: usize, q: &[f32], pos: usize, m: usize, out: &mut [f32]) {
    let (hd, qd) = (s.head_dim, s.heads * s.head_dim);
    let heads: Vec<Vec<f32>> = (0..s.heads)
        .into_par_iter()
        .map(|h| attend_head(st, s, layer, h, q, pos, m))
        .collect();
    for (h, head_out) in heads.iter().enumerate() {
        for i in 0..m {
            out[i * qd + h * hd..i * qd + (h + 1) * hd].copy_from_slice(&head_out[i * hd..(i + 1) * hd]);
        }
    }
}

/// One query head's part of [`attention`]: its output, m × head_dim.
#[inline(never)]
fn attend_head(st: &State, s: &Shape, layer: usize, h: usize, q: &[f32], pos: usize, m: usize) -> Vec<f32> {
    let (hd, qd) = (s.head_dim, s.heads * s.head_dim);
    let len = pos + m;
    let scale = 1.0 / (hd as f32).sqrt();
    let base = cache_at(st, s, layer, h / (s.heads / s.kv_heads), 0);
    let keys = &st.keys[base..base + len * hd];
    let values = &st.values[base..base + len * hd];
    let mut head_out = vec![0f32; m * hd];
    if m >= GEMM_FROM {
        let mut scores = vec![0f32; m * len];
        let (queries, keys) = (Operand::rows(&q[h * hd..], qd), Operand::rows(keys, hd));
        kernels::product(m, len, hd, queries, keys, &mut scores, len, 1);
        for (i, row) in scores.chunks_exact_mut(len).enumerate() {
            let visible = pos + i + 1;
            row[..visible].iter_mut().for_each(|v| *v *= scale);
            kernels::softmax(&mut row[..visible]);
            row[visible..].iter_mut().for_each(|v| *v = 0.0);
        }
        let (weights, values) = (Operand::rows(&scores, len), Operand::columns(values, hd));
        kernels::product(m, hd, len, weights, values, &mut head_out, hd, 1);
        return head_out;
    }
    let mut scores = vec![0f32; len];
    for i in 0..m {
        let visible = pos + i + 1;
        let query = &q[i * qd + h * hd..i * qd + (h + 1) * hd];
        for (sc, key) in scores[..visible].iter_mut().zip(keys.chunks_exact(hd)) {
            *sc = kernels::dot(query, key) * scale;
        }
        kernels::softmax(&mut scores[..visible]);
        let o = &mut head_out[i * hd..(i + 1) * hd];
        for (p, value) in scores[..visible].iter().zip(values.chunks_exact(hd)) {
            kernels::axpy(*p, value, o);
        }
    }
    head_out
}
