//! The built-in text generator (pure Rust, the default build's) on the
//! default model, held to llama.cpp's own results on the same file: its
//! tokens for the same text, and its greedy answers word for word (or,
//! on a long answer, but for a near tie). The
//! expected values were taken from llama-cpp-python 0.3.36 (llama.cpp)
//! on SmolLM2-135M-Instruct, the Q4_1 file as shipped for the tokens and
//! the Q8_0 file `models pull` makes for the answers.

use futures::StreamExt;
use madang_ai::local::gguf::vocab::Vocab;
use madang_ai::local::gguf::{Builtin, Runtime};
use madang_ai::local::{GgufGenerator, GgufOptions};
use madang_ai::pull::{SMOLLM2, SMOLLM2_FILE, SMOLLM2_SHIPPED};
use madang_ai::{AiError, ChatMessage, Generator, Prompt};

#[tokio::test]
async fn the_vocabulary_tokenizes_text_as_llama_cpp_does() {
    let dir = SMOLLM2.dir(&madang_testkit::models_dir().await);
    #[rustfmt::skip]
    let expected: [(&str, &[u32]); 4] = [
        ("Hello, world! It's 2026-12-06.",
         &[19556, 28, 905, 17, 657, 506, 216, 34, 32, 34, 38, 29, 33, 34, 29, 32, 38, 30]),
        ("안녕하세요, 마당에서 만나요 🙂",
         &[183, 239, 226, 182, 223, 239, 33085, 242, 183, 222, 133, 183, 244, 238, 28, 25947, 117, 226,
           41259, 134, 183, 241, 234, 183, 222, 246, 25947, 117, 230, 182, 220, 242, 183, 244, 238, 47526]),
        ("강남맛집 12345 price: ₩9,900",
         &[181, 125, 239, 182, 220, 118, 182, 117, 245, 183, 117, 235, 216, 33, 34, 35, 36, 37, 4319, 42,
           4636, 220, 119, 41, 28, 41, 32, 32]),
        // A control token typed as text stays text (llama.cpp with
        // parse_special off does the same).
        ("  two  spaces\n\nand\ttab <|im_end|>",
         &[216, 827, 216, 5600, 198, 198, 397, 197, 15999, 2067, 108, 306, 79, 486, 108, 46]),
    ];
    for file in [SMOLLM2_SHIPPED, SMOLLM2_FILE] {
        let vocab = Vocab::open(&dir.join(file)).expect("vocabulary");
        for (text, ids) in expected {
            assert_eq!(vocab.encode(text).expect("encode"), ids, "{file}: {text:?}");
            let bytes: Vec<u8> = ids.iter().flat_map(|t| vocab.piece(*t).to_vec()).collect();
            assert_eq!(String::from_utf8(bytes).as_deref(), Ok(text), "{file}: decoding");
        }
    }
}

fn question(q: &str) -> Prompt {
    Prompt::new(
        vec![
            ChatMessage::system("You are a helpful assistant."),
            ChatMessage::user(q),
        ],
        24,
    )
}

#[tokio::test]
async fn greedy_answers_are_word_for_word_llama_cpps() {
    let dir = SMOLLM2.dir(&madang_testkit::models_dir().await);
    let generator = GgufGenerator::new(
        &dir.join(SMOLLM2_FILE),
        &GgufOptions {
            threads: 2,
            context: 512,
            queue: 2,
        },
    )
    .expect("generator");
    let (rendered, tokens) = generator
        .render(&question("What is the capital of France?"))
        .expect("render");
    assert_eq!(
        rendered,
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n\
         What is the capital of France?<|im_end|>\n<|im_start|>assistant\n"
    );
    assert_eq!(tokens, 27, "llama.cpp reads the rendered prompt as 27 tokens");
    // Short answers, word for word.
    let got = generator
        .complete(question("What is the capital of France?"))
        .await
        .expect("answer");
    assert_eq!(got, "The capital of France is Paris.");
    // A longer answer, token by token with llama.cpp's answer fed in: each
    // of its tokens is ours too, or a near tie in our scores. The order of
    // sums in a matrix product follows the CPU's vector width (AVX2 or
    // AVX-512), and that can flip a near tie, after which greedy answers
    // part ways for good.
    let q = "Write one sentence about Seoul in spring.";
    let theirs = "Seoul, the vibrant capital of South Korea, is a city that embodies the essence of spring. The vibrant colors of";
    let path = dir.join(SMOLLM2_FILE);
    let vocab = Vocab::open(&path).expect("vocabulary");
    let (prompt, _) = vocab.render(&question(q).messages).expect("render");
    let answer = vocab.encode(theirs).expect("encode");
    let mut ours = Builtin.load(&path, 512, 2).expect("built-in");
    let mut scores = ours.feed(&prompt, 0).expect("feed").to_vec();
    let mut flips = 0;
    for (step, &token) in answer.iter().enumerate() {
        let best = (0..scores.len())
            .max_by(|a, b| scores[*a].total_cmp(&scores[*b]))
            .expect("scores");
        let gap = scores[best] - scores[token as usize];
        if best != token as usize {
            flips += 1;
            assert!(
                gap < 0.25,
                "step {step}: ours {best}, llama.cpp's {token}, gap {gap}"
            );
        }
        scores = ours.feed(&[token], prompt.len() + step).expect("feed").to_vec();
    }
    assert!(flips <= 1, "{flips} near ties flipped in {} tokens", answer.len());
}

#[tokio::test]
async fn a_prompt_longer_than_the_context_is_refused_and_a_dropped_answer_stops() {
    let dir = SMOLLM2.dir(&madang_testkit::models_dir().await);
    let options = GgufOptions {
        threads: 2,
        context: 64,
        queue: 1,
    };
    let generator = GgufGenerator::new(&dir.join(SMOLLM2_FILE), &options).expect("generator");
    let long = "word ".repeat(200);
    match generator.stream(question(&long)).await {
        Err(AiError::TooLong { tokens, limit }) => assert!(tokens > limit && limit == 64),
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("a prompt over the context was taken"),
    }
    // A reader that stops after one piece frees the worker for the next.
    let mut first = generator
        .stream(question("Count to twenty."))
        .await
        .expect("stream");
    assert!(first.next().await.is_some());
    drop(first);
    let answer = generator
        .complete(question("What is the capital of France?"))
        .await;
    assert!(answer.expect("answer").contains("Paris"));
}

#[tokio::test]
async fn a_file_that_is_not_a_model_is_refused_with_its_name() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("not-a-model.gguf");
    std::fs::write(&path, b"GGUF but not really").expect("write");
    let generator = GgufGenerator::new(&path, &GgufOptions::default()).expect("exists");
    let err = generator.load().expect_err("refused");
    assert!(
        matches!(err, AiError::Load(_)) && err.to_string().contains("not-a-model.gguf"),
        "{err}"
    );
}
