//! The OpenAI-compatible backend against an endpoint on 127.0.0.1 that
//! answers as vLLM or llama.cpp's server do: a streamed chat completion in
//! server-sent events, embeddings, and refusals.

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use madang_ai::openai::{Endpoint, OpenAiEmbedder, OpenAiGenerator};
use madang_ai::{AiError, ChatMessage, Embedder, Generator, Prompt};
use serde_json::{Value, json};

async fn endpoint(app: Router) -> Endpoint {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}/v1", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    Endpoint {
        base_url: base,
        api_key: "sk-test".into(),
        model: "tiny".into(),
    }
}

async fn chat(headers: HeaderMap, axum::Json(body): axum::Json<Value>) -> (StatusCode, String) {
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer sk-test") {
        return (StatusCode::UNAUTHORIZED, "{\"error\":\"key\"}".into());
    }
    if body["stream"] != json!(true) || body["messages"][1]["content"] != json!("say hi") {
        return (StatusCode::BAD_REQUEST, body.to_string());
    }
    let mut sse = String::from("data: {\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\n\n");
    for piece in ["안녕", "하세요", "!"] {
        sse.push_str(&format!(
            "data: {}\n\n",
            json!({"choices": [{"delta": {"content": piece}}]})
        ));
    }
    sse.push_str("data: [DONE]\n\n");
    (StatusCode::OK, sse)
}

#[tokio::test]
async fn a_streamed_chat_completion_is_read_piece_by_piece() {
    let ep = endpoint(Router::new().route("/v1/chat/completions", post(chat))).await;
    let generator = OpenAiGenerator::new(ep.clone(), 4096);
    let prompt = Prompt::new(
        vec![ChatMessage::system("be brief"), ChatMessage::user("say hi")],
        16,
    );
    assert_eq!(
        generator.complete(prompt.clone()).await.expect("answer"),
        "안녕하세요!"
    );

    let wrong_key = OpenAiGenerator::new(
        Endpoint {
            api_key: "nope".into(),
            ..ep
        },
        4096,
    );
    let err = wrong_key.complete(prompt).await;
    assert!(
        matches!(&err, Err(AiError::Endpoint(m)) if m.starts_with("401")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_busy_endpoint_is_busy() {
    let app = Router::new().route(
        "/v1/chat/completions",
        post(|| async { StatusCode::TOO_MANY_REQUESTS }),
    );
    let generator = OpenAiGenerator::new(endpoint(app).await, 4096);
    let err = generator
        .complete(Prompt::new(vec![ChatMessage::user("x")], 4))
        .await;
    assert!(matches!(err, Err(AiError::Busy)), "{err:?}");
}

#[tokio::test]
async fn embeddings_come_back_in_order_and_unit_length() {
    let app = Router::new().route(
        "/v1/embeddings",
        post(|axum::Json(body): axum::Json<Value>| async move {
            let n = body["input"].as_array().map_or(0, Vec::len);
            // Out of order, not normalised: the client sorts and scales.
            let data: Vec<Value> = (0..n)
                .rev()
                .map(|i| json!({"index": i, "embedding": [i as f32 + 1.0, 0.0, 0.0]}))
                .collect();
            axum::Json(json!({"data": data}))
        }),
    );
    let embedder = OpenAiEmbedder::connect(endpoint(app).await)
        .await
        .expect("connects");
    assert_eq!(embedder.dims(), 3);
    let v = embedder.embed(&["a".into(), "b".into()]).await.expect("vectors");
    assert_eq!(v, vec![vec![1.0, 0.0, 0.0], vec![1.0, 0.0, 0.0]]);
}
