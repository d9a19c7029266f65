//! The built-in runtime held to llama.cpp on the default model (the Q8_0
//! file `madang models pull` makes; CI pulls it before this stage): the
//! same tokens for the same text, the same next token after a prompt and
//! at each of the following greedy steps, and the same answers through
//! the shared generator.

use madang_ai::local::gguf::vocab::Vocab;
use madang_ai::local::gguf::{Builtin, Runtime};
use madang_ai::local::{GgufGenerator, GgufOptions};
use madang_ai::pull::{SMOLLM2, SMOLLM2_FILE, defaults_present};
use madang_ai::{ChatMessage, Generator, Prompt};
use madang_llama::LlamaCpp;
use std::path::PathBuf;
use std::sync::Arc;

fn model() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models");
    assert!(
        defaults_present(&dir),
        "these tests need the default models in {}: run `cargo run -- models --models-dir models pull` at the root",
        dir.display()
    );
    SMOLLM2.dir(&dir).join(SMOLLM2_FILE)
}

const TEXTS: [&str; 6] = [
    "Hello, world! It's 2026-12-06.",
    "안녕하세요, 마당에서 만나요 🙂",
    "강남맛집 12345 price: ₩9,900",
    "  two  spaces\n\nand\ttab <|im_end|>",
    "日本語とEnglishのmixed text… ½ ©",
    "def f(x):\n    return x**2  # 제곱",
];

#[test]
fn the_builtin_vocabulary_tokenizes_as_llama_cpp() {
    let path = model();
    let vocab = Vocab::open(&path).expect("vocabulary");
    for text in TEXTS {
        let theirs = madang_llama::tokenize(&path, text).expect("llama.cpp");
        assert_eq!(vocab.encode(text).expect("ours"), theirs, "{text:?}");
    }
}

fn top(scores: &[f32], n: usize) -> Vec<usize> {
    let mut ids: Vec<usize> = (0..scores.len()).collect();
    ids.sort_by(|a, b| scores[*b].total_cmp(&scores[*a]));
    ids.truncate(n);
    ids
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (norm(a) * norm(b))
}

#[test]
fn both_runtimes_pick_the_same_tokens() {
    let path = model();
    let vocab = Vocab::open(&path).expect("vocabulary");
    let messages = [
        ChatMessage::system("You summarise group chats in one sentence."),
        ChatMessage::user(
            "Minji: the hike up Bukhansan is on Saturday at 8 am.\nJunho: I'll bring kimbap and water.",
        ),
    ];
    let (tokens, _) = vocab.render(&messages).expect("render");
    let mut ours = Builtin.load(&path, 512, 2).expect("built-in");
    let mut theirs = LlamaCpp.load(&path, 512, 2).expect("llama.cpp");
    let (mut a, mut b) = (
        ours.feed(&tokens, 0).expect("ours").to_vec(),
        theirs.feed(&tokens, 0).expect("theirs").to_vec(),
    );
    for step in 0..12 {
        let (ta, tb) = (top(&a, 5), top(&b, 5));
        // The same choice, or a near tie in llama.cpp's own scores (a
        // different order of sums can flip those).
        let gap = b[tb[0]] - b[ta[0]];
        eprintln!(
            "step {step}: ours {ta:?} theirs {tb:?}, gap {gap:.3}, cos {:.5}",
            cosine(&a, &b)
        );
        assert!(
            ta[0] == tb[0] || gap < 0.25,
            "step {step}: next token {ta:?} vs {tb:?} (gap {gap})"
        );
        let shared = ta.iter().filter(|t| tb.contains(t)).count();
        assert!(shared >= 4, "step {step}: top five {ta:?} vs {tb:?}");
        assert!(
            cosine(&a, &b) > 0.995,
            "step {step}: scores differ: cosine {}",
            cosine(&a, &b)
        );
        let next = ta[0] as u32;
        let pos = tokens.len() + step;
        a = ours.feed(&[next], pos).expect("ours").to_vec();
        b = theirs.feed(&[next], pos).expect("theirs").to_vec();
    }
}

#[tokio::test]
async fn the_generator_answers_alike_on_either_runtime() {
    let path = model();
    let options = GgufOptions {
        threads: 2,
        context: 512,
        queue: 1,
    };
    let prompt = Prompt::new(
        vec![
            ChatMessage::system("You are a helpful assistant."),
            ChatMessage::user("What is the capital of France?"),
        ],
        24,
    );
    let builtin = GgufGenerator::new(&path, &options).expect("built-in");
    let llama = GgufGenerator::with_runtime(&path, &options, Arc::new(LlamaCpp)).expect("llama.cpp");
    assert!(llama.describe().starts_with("llama.cpp"));
    let (a, b) = (
        builtin.complete(prompt.clone()).await.expect("built-in"),
        llama.complete(prompt).await.expect("llama.cpp"),
    );
    assert_eq!(a, b);
    assert!(a.contains("Paris"), "{a}");
}
