//! Summaries with a generator behind an OpenAI-compatible endpoint (a
//! stand-in on 127.0.0.1 answering as scripted): a real model's answer is
//! streamed a line at a time, a long backlog in parts then merged; an
//! answer that repeats our instructions or copies the conversation is
//! never shown, and the most central messages are quoted instead.

use crate::ai::{events, quotes, summary_path, summary_text};
use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;
use madang_testkit::{Client, TestServer, test_limits};
use madang_types::RoomId;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

/// How the stand-in answers: from the prompt it was sent (the user turn).
type Script = fn(&str) -> String;

/// A chat-completions endpoint streaming `script`'s answer in pieces of
/// five characters; the prompts it was sent are kept in `asked`.
async fn endpoint(script: Script, asked: Arc<Mutex<Vec<String>>>) -> String {
    let chat = move |axum::Json(body): axum::Json<Value>| {
        let asked = asked.clone();
        async move {
            let prompt = body["messages"][1]["content"].as_str().unwrap_or("").to_string();
            let answer = script(&prompt);
            asked.lock().map(|mut a| a.push(prompt)).ok();
            let sse = madang_testkit::stand_in::chat_stream(&answer, 5);
            (StatusCode::OK, sse)
        }
    };
    let app = Router::new().route("/v1/chat/completions", post(chat));
    madang_testkit::stand_in::serve(app).await
}

async fn server(script: Script, limits: madang_core::Limits) -> (TestServer, Arc<Mutex<Vec<String>>>) {
    let asked = Arc::new(Mutex::new(Vec::new()));
    let base = endpoint(script, asked.clone()).await;
    let srv = TestServer::start_configured(limits, Arc::new(madang_bus::LocalBus::new()), move |c| {
        c.ai.generator = madang::config::AiBackend::Openai;
        c.ai.generator_endpoint = base;
        c.ai.generator_endpoint_model = "stand-in".into();
        c.ai.embedder = madang::config::AiBackend::Off;
    })
    .await;
    (srv, asked)
}

const TALK: [&str; 6] = [
    "이번 주 토요일 북한산 백운대 코스 어때요?",
    "좋아요! 날씨 맑대요",
    "9시 구파발역 2번 출구에서 만나요",
    "저는 물이랑 간식 챙겨갈게요",
    "아이젠 필요할까요?",
    "아직은 괜찮을 것 같아요. 그래도 장갑은 꼭!",
];

/// Two people talk; a third has read none of it.
async fn talk(srv: &TestServer, lines: &[&str]) -> (Client, RoomId) {
    let a = srv.user("sa").await;
    let b = srv.user("sb").await;
    let reader = srv.user("sr").await;
    let room = a.group("산행", &[&b, &reader]).await;
    for (i, line) in lines.iter().enumerate() {
        let who = if i % 2 == 0 { &a } else { &b };
        who.send(room, &format!("t{i}"), line).await;
    }
    (reader, room)
}

const WRITTEN: &str = "- 토요일 북한산 백운대 산행으로 정함\n- 아침 9시, 구파발역 2번 출구 집합\n- 장갑은 필수, 아이젠은 아직 필요 없음";

#[tokio::test]
async fn a_real_models_summary_streams_a_line_at_a_time() {
    let (srv, asked) = server(|_| WRITTEN.to_owned(), test_limits()).await;
    let (reader, room) = talk(&srv, &TALK).await;
    let events = events(&reader.post(&summary_path(room), json!({})).await.ok());
    let texts: Vec<&str> = events
        .iter()
        .filter(|(n, _)| n == "text")
        .filter_map(|(_, d)| d["text"].as_str())
        .collect();
    assert_eq!(texts.len(), 3, "a line at a time: {texts:?}");
    assert_eq!(summary_text(&events), WRITTEN);
    assert!(quotes(&events).is_empty());
    assert_eq!(
        events.last().map(|(_, d)| d.clone()),
        Some(json!({"kind": "abstractive"}))
    );
    let prompts = asked.lock().map(|a| a.clone()).unwrap_or_default();
    assert_eq!(prompts.len(), 1);
    assert!(
        prompts[0].contains("구파발역"),
        "the transcript went to the model"
    );
}

#[tokio::test]
async fn a_long_backlog_is_summarised_in_parts_then_merged() {
    let limits = madang_core::Limits {
        summary_chunk_tokens: 60,
        summary_max_tokens: 40,
        ..test_limits()
    };
    let (srv, asked) = server(|_| WRITTEN.to_owned(), limits).await;
    let mut lines: Vec<String> = TALK.iter().map(|s| (*s).to_owned()).collect();
    for i in 0..12 {
        lines.push(format!("알림 {i}: 토요일 9시 구파발역에서 출발합니다"));
    }
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let (reader, room) = talk(&srv, &refs).await;
    let events = events(&reader.post(&summary_path(room), json!({})).await.ok());
    let chunks = events[0].1["chunks"].as_u64().unwrap_or(0);
    assert!(chunks > 1, "{events:?}");
    let progress: Vec<u64> = events
        .iter()
        .filter(|(n, _)| n == "progress")
        .filter_map(|(_, d)| d["done"].as_u64())
        .collect();
    assert_eq!(
        progress,
        (1..=chunks).collect::<Vec<_>>(),
        "one per part, in order"
    );
    assert_eq!(
        events.last().map(|(_, d)| d["kind"].clone()),
        Some(json!("abstractive"))
    );
    assert_eq!(summary_text(&events), WRITTEN);
    // Each part, then the merge of what they gave.
    let prompts = asked.lock().map(|a| a.clone()).unwrap_or_default();
    assert!(
        prompts.len() as u64 > chunks,
        "{} prompts for {chunks} parts",
        prompts.len()
    );
}

#[tokio::test]
async fn an_answer_that_repeats_our_instructions_is_never_shown() {
    // What SmolLM2-135M did on the demo world: our instruction back, then
    // messages of the transcript.
    let (srv, _) = server(|prompt| prompt.to_owned(), test_limits()).await;
    let (reader, room) = talk(&srv, &TALK).await;
    let reply = reader.post(&summary_path(room), json!({})).await;
    let body = reply.body.as_str().unwrap_or_default().to_owned();
    assert!(!body.contains("요약하세요"), "{body}");
    let events = events(&reply.body);
    assert!(summary_text(&events).is_empty(), "{events:?}");
    let quoted = quotes(&events);
    assert!(!quoted.is_empty(), "{events:?}");
    assert!(
        quoted.iter().all(|(_, q)| TALK.contains(&q.as_str())),
        "{quoted:?}"
    );
    assert_eq!(
        events.last().map(|(_, d)| d["kind"].clone()),
        Some(json!("extractive"))
    );
}

#[tokio::test]
async fn an_answer_that_turns_to_copying_is_withdrawn_for_quotes() {
    // A first line of its own, then a message of the conversation word for word.
    let (srv, _) = server(
        |_| "- 토요일 산행 약속\n- 9시 구파발역 2번 출구에서 만나요\n- 장갑 챙기기".to_owned(),
        test_limits(),
    )
    .await;
    let (reader, room) = talk(&srv, &TALK).await;
    let events = events(&reader.post(&summary_path(room), json!({})).await.ok());
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    let at_quotes = names.iter().position(|n| *n == "quotes").expect("quotes");
    assert!(
        names[..at_quotes].contains(&"text"),
        "the checked first line went out: {names:?}"
    );
    assert!(
        !summary_text(&events).contains("구파발역 2번 출구에서 만나요"),
        "the copied line never did"
    );
    assert_eq!(
        events.last().map(|(_, d)| d["kind"].clone()),
        Some(json!("extractive"))
    );
}
