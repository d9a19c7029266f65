//! A stand-in for an OpenAI-compatible endpoint, for tests of what the
//! server does with a generator's answer: the streamed body of a chat
//! completion, and a router served on 127.0.0.1.

use serde_json::json;

/// A chat completion's server-sent events: `answer` in pieces of
/// `piece_chars` characters, then `[DONE]`.
pub fn chat_stream(answer: &str, piece_chars: usize) -> String {
    let mut sse = String::new();
    for piece in answer.chars().collect::<Vec<_>>().chunks(piece_chars.max(1)) {
        let piece: String = piece.iter().collect();
        sse.push_str(&format!(
            "data: {}\n\n",
            json!({"choices": [{"delta": {"content": piece}}]})
        ));
    }
    sse.push_str("data: [DONE]\n\n");
    sse
}

/// Serves `app` on a free port of 127.0.0.1; its base URL with `/v1`.
pub async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port on 127.0.0.1");
    let base = format!("http://{}/v1", listener.local_addr().expect("its address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}
