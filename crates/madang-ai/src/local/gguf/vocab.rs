//! The model's vocabulary, built from the GGUF metadata alone (the
//! default model ships no `tokenizer.json`): GPT-2 style byte-level BPE
//! from `tokenizer.ggml.tokens` and `.merges`, with the pre-tokenizer
//! `tokenizer.ggml.pre` names (SmolLM splits digits one by one first).
//! Control tokens are never made from text: a person who types
//! `<|im_end|>` in a chat gets the characters, not the token; the chat
//! template puts the real ones between messages by id.

use crate::{AiError, ChatMessage};
use candle_core::quantized::gguf_file;
use std::collections::HashMap;
use tokenizers::Tokenizer;
use tokenizers::models::bpe::BPE;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;

/// How a model wants a conversation laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Template {
    /// `<|im_start|>role\n…<|im_end|>\n` (SmolLM and many others).
    ChatMl,
}

pub struct Vocab {
    tokenizer: Tokenizer,
    /// Each id's bytes (empty for control tokens).
    pieces: Vec<Vec<u8>>,
    ids: HashMap<String, u32>,
    /// Tokens that end an answer.
    ends: Vec<u32>,
    bos: Option<u32>,
    pub template: Template,
}

fn strings(content: &gguf_file::Content, key: &str) -> Result<Vec<String>, AiError> {
    let values = content
        .metadata
        .get(key)
        .ok_or_else(|| AiError::Load(format!("the GGUF lacks {key}")))?
        .to_vec()
        .map_err(|e| AiError::Load(format!("{key}: {e}")))?;
    values
        .iter()
        .map(|v| {
            v.to_string()
                .cloned()
                .map_err(|e| AiError::Load(format!("{key}: {e}")))
        })
        .collect()
}

/// GPT-2's map from bytes to the printable characters BPE works on, inverted.
fn byte_decoder() -> HashMap<char, u8> {
    let printable = |b: u8| (b'!'..=b'~').contains(&b) || (0xA1..=0xAC).contains(&b) || b >= 0xAE;
    let mut next = 256u32;
    (0..=255u8)
        .map(|b| {
            let c = if printable(b) {
                char::from(b)
            } else {
                let c = char::from_u32(next).unwrap_or('\u{FFFD}');
                next += 1;
                c
            };
            (c, b)
        })
        .collect()
}

impl Vocab {
    /// The vocabulary of the GGUF file at `path` (its metadata only).
    pub fn open(path: &std::path::Path) -> Result<Vocab, AiError> {
        let load = |e: &dyn std::fmt::Display| AiError::Load(format!("{}: {e}", path.display()));
        let mut file = std::io::BufReader::new(std::fs::File::open(path).map_err(|e| load(&e))?);
        let content = gguf_file::Content::read(&mut file).map_err(|e| load(&e))?;
        Vocab::read(&content)
    }

    pub fn read(content: &gguf_file::Content) -> Result<Vocab, AiError> {
        let load = |e: &dyn std::fmt::Display| AiError::Load(format!("tokenizer: {e}"));
        let meta_str = |k: &str| content.metadata.get(k).and_then(|v| v.to_string().ok()).cloned();
        let kind = meta_str("tokenizer.ggml.model").unwrap_or_default();
        if kind != "gpt2" {
            return Err(load(&format!(
                "`{kind}` vocabularies are not read by the built-in runtime (byte-level BPE only)"
            )));
        }
        let tokens = strings(content, "tokenizer.ggml.tokens")?;
        let merges = strings(content, "tokenizer.ggml.merges")?;
        let types: Vec<i32> = content
            .metadata
            .get("tokenizer.ggml.token_type")
            .and_then(|v| v.to_vec().ok())
            .map(|v| v.iter().map(|t| t.to_i32().unwrap_or(1)).collect())
            .unwrap_or_default();
        // Types 3 (control) and 4 (user-defined) are whole tokens, never
        // pieces of text.
        let special = |i: usize| matches!(types.get(i), Some(3 | 4));
        let ids: HashMap<String, u32> = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        let vocab: HashMap<String, u32, ahash::RandomState> = tokens
            .iter()
            .enumerate()
            .filter(|(i, _)| !special(*i))
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        let merges: Vec<(String, String)> = merges
            .iter()
            .filter_map(|m| m.split_once(' ').map(|(a, b)| (a.to_string(), b.to_string())))
            .collect();
        let bpe = BPE::builder()
            .vocab_and_merges(vocab, merges)
            .build()
            .map_err(|e| load(&e))?;
        let mut tokenizer = Tokenizer::new(bpe);
        let byte_level = ByteLevel::new(false, true, true);
        // How text is split before BPE. Others (Llama 3's `llama-bpe`,
        // `qwen2`…) have their own patterns; guessing would change the
        // tokens silently, so they are refused.
        let pre = meta_str("tokenizer.ggml.pre").unwrap_or_default();
        match pre.as_str() {
            "smollm" => {
                tokenizer.with_pre_tokenizer(Some(Sequence::new(vec![
                    Digits::new(true).into(),
                    byte_level.into(),
                ])));
            }
            "gpt2" | "default" | "" => {
                tokenizer.with_pre_tokenizer(Some(byte_level));
            }
            other => {
                return Err(load(&format!(
                    "pre-tokenizer `{other}` is not one the built-in tokenizer reads (smollm, gpt2); \
                     serve this model through an OpenAI-compatible endpoint (`generator = \"openai\"`)"
                )));
            }
        }
        let decoder = byte_decoder();
        let pieces = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| {
                if special(i) {
                    Vec::new()
                } else {
                    t.chars()
                        .map(|c| decoder.get(&c).copied().unwrap_or(b'?'))
                        .collect()
                }
            })
            .collect();
        let id = |k: &str| content.metadata.get(k).and_then(|v| v.to_u32().ok());
        let mut ends: Vec<u32> = ["tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id"]
            .iter()
            .filter_map(|k| id(k))
            .collect();
        ends.extend(
            ["<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|end_of_text|>"]
                .iter()
                .filter_map(|t| ids.get(*t).copied()),
        );
        let template = if ids.contains_key("<|im_start|>") && ids.contains_key("<|im_end|>") {
            Template::ChatMl
        } else {
            return Err(load(&"no chat template the built-in runtime knows (ChatML)"));
        };
        let add_bos = content
            .metadata
            .get("tokenizer.ggml.add_bos_token")
            .and_then(|v| v.to_bool().ok())
            .unwrap_or(false);
        Ok(Vocab {
            tokenizer,
            pieces,
            ends,
            bos: if add_bos {
                id("tokenizer.ggml.bos_token_id")
            } else {
                None
            },
            ids,
            template,
        })
    }

    pub fn len(&self) -> usize {
        self.pieces.len()
    }

    /// Text as tokens; control tokens written in it stay text.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>, AiError> {
        let text = text.replace('\0', "");
        self.tokenizer
            .encode_fast(text.as_str(), false)
            .map(|e| e.get_ids().to_vec())
            .map_err(|e| AiError::Model(format!("tokenizer: {e}")))
    }

    /// The bytes `token` stands for (none for control tokens).
    pub fn piece(&self, token: u32) -> &[u8] {
        self.pieces.get(token as usize).map_or(&[], Vec::as_slice)
    }

    pub fn is_end(&self, token: u32) -> bool {
        self.ends.contains(&token)
    }

    fn special(&self, name: &str) -> Result<u32, AiError> {
        self.ids
            .get(name)
            .copied()
            .ok_or_else(|| AiError::Model(format!("the vocabulary lacks {name}")))
    }

    /// The conversation as the model reads it, with the opening of the
    /// assistant's turn: the tokens, and the same as text (control tokens
    /// written out) for another runtime to be fed alike.
    pub fn render(&self, messages: &[ChatMessage]) -> Result<(Vec<u32>, String), AiError> {
        let mut ids = Vec::new();
        let mut text = String::new();
        if let Some(bos) = self.bos {
            ids.push(bos);
            text.push_str(&String::from_utf8_lossy(self.piece(bos)));
        }
        let special = |name: &str, ids: &mut Vec<u32>, text: &mut String| -> Result<(), AiError> {
            ids.push(self.special(name)?);
            text.push_str(name);
            Ok(())
        };
        let plain = |s: &str, ids: &mut Vec<u32>, text: &mut String| -> Result<(), AiError> {
            ids.extend(self.encode(s)?);
            text.push_str(s);
            Ok(())
        };
        match self.template {
            Template::ChatMl => {
                for m in messages {
                    special("<|im_start|>", &mut ids, &mut text)?;
                    plain(
                        &format!("{}\n{}", m.role.as_str(), m.content),
                        &mut ids,
                        &mut text,
                    )?;
                    special("<|im_end|>", &mut ids, &mut text)?;
                    plain("\n", &mut ids, &mut text)?;
                }
                special("<|im_start|>", &mut ids, &mut text)?;
                plain("assistant\n", &mut ids, &mut text)?;
            }
        }
        Ok((ids, text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::quantized::gguf_file::{Content, Value, VersionedMagic};

    /// A vocabulary of a few byte-level tokens, ChatML's two control
    /// tokens and one merge, with `pre` as its pre-tokenizer.
    fn content(pre: &str) -> Content {
        let tokens = ["<|im_start|>", "<|im_end|>", "h", "i", "hi", "Ġ"];
        let types = [3, 3, 1, 1, 1, 1];
        let metadata = [
            ("tokenizer.ggml.model", Value::String("gpt2".into())),
            ("tokenizer.ggml.pre", Value::String(pre.into())),
            (
                "tokenizer.ggml.tokens",
                Value::Array(tokens.iter().map(|t| Value::String((*t).into())).collect()),
            ),
            (
                "tokenizer.ggml.token_type",
                Value::Array(types.iter().map(|t| Value::I32(*t)).collect()),
            ),
            (
                "tokenizer.ggml.merges",
                Value::Array(vec![Value::String("h i".into())]),
            ),
            ("tokenizer.ggml.eos_token_id", Value::U32(1)),
        ];
        Content {
            magic: VersionedMagic::GgufV3,
            metadata: metadata.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
            tensor_infos: HashMap::new(),
            tensor_data_offset: 0,
        }
    }

    #[test]
    fn a_pre_tokenizer_it_cannot_reproduce_is_refused_by_name() {
        for pre in ["llama-bpe", "qwen2"] {
            let err = Vocab::read(&content(pre))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(err.contains(pre) && err.contains("endpoint"), "{pre}: {err}");
        }
        let vocab = Vocab::read(&content("gpt2")).expect("gpt2 is read");
        assert_eq!(vocab.encode("hi").expect("encode"), vec![4]);
        assert!(vocab.is_end(1));
        let (ids, text) = vocab.render(&[crate::ChatMessage::user("hi")]).expect("render");
        assert_eq!(ids.first(), Some(&0));
        assert!(text.starts_with("<|im_start|>user"));
    }
}
