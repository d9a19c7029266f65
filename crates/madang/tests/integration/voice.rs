//! Voice messages through HTTP: a browser's Opus recording uploaded and
//! sent with its length and waveform, played back from the media store as
//! audio; each refusal; and a transcript made when asked by an
//! OpenAI-compatible speech-to-text endpoint (here one on 127.0.0.1 that
//! checks what it is sent), kept nowhere.

use madang_testkit::{Client, TestServer, test_limits};
use madang_types::RoomId;
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

/// The first bytes of a WebM (EBML) file, then some "audio".
fn webm() -> Vec<u8> {
    let mut bytes = vec![0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86, 0x81, 0x01];
    bytes.extend(std::iter::repeat_n(0x55, 2_000));
    bytes
}

async fn upload(c: &Client, name: &str, bytes: Vec<u8>, ty: &str) -> Value {
    c.raw(
        Method::POST,
        &format!("/api/v1/media?name={name}"),
        Some((bytes, ty)),
    )
    .await
    .ok()
}

async fn send_voice(
    c: &Client,
    room: RoomId,
    client_id: &str,
    media: &Value,
    voice: Value,
) -> madang_testkit::Reply {
    c.post(
        &format!("/api/v1/rooms/{room}/messages"),
        json!({"client_id": client_id, "attachment": media["media_id"], "voice": voice}),
    )
    .await
}

#[tokio::test]
async fn a_recording_is_sent_with_its_length_and_waveform_and_plays_back_as_audio() {
    let srv = TestServer::start().await;
    let a = srv.user("va").await;
    let b = srv.user("vb").await;
    let room = a.direct(&b).await;
    let up = upload(&a, "voice.webm", webm(), "audio/webm;codecs=opus").await;
    assert_eq!(up["content_type"], "audio/webm");
    let waveform: Vec<u8> = (0..48).map(|i| (i * 5) as u8).collect();
    let sent = send_voice(
        &a,
        room,
        "v1",
        &up,
        json!({"duration_ms": 4_200, "waveform": waveform}),
    )
    .await
    .ok();
    assert_eq!(sent["kind"], "voice");
    let got = b.get(&format!("/api/v1/rooms/{room}/messages")).await.ok();
    let m = &got["messages"][0];
    assert_eq!(m["kind"], "voice");
    assert_eq!(m["attachment"]["voice"]["duration_ms"], 4_200);
    assert_eq!(m["attachment"]["voice"]["waveform"], json!(waveform));
    let played = b
        .raw(
            Method::GET,
            &format!("/api/v1/media/{}", up["media_id"].as_str().unwrap_or_default()),
            None,
        )
        .await;
    assert_eq!(played.status, 200);
    assert_eq!(played.headers["content-type"], "audio/webm");
    // The chat list and a summary know it for what it is.
    assert_eq!(b.room(room).await["last_message"]["kind"], "voice");
}

#[tokio::test]
async fn voice_refusals_store_nothing() {
    let srv = TestServer::start().await;
    let a = srv.user("ra").await;
    let b = srv.user("rb").await;
    let room = a.direct(&b).await;
    let audio = upload(&a, "v.webm", webm(), "audio/webm").await;
    let pdf = upload(&a, "x.pdf", b"%PDF-1.4".to_vec(), "application/pdf").await;
    // Said to be audio but is not: stored as a plain file.
    let fake = upload(&a, "fake.webm", b"<html>not audio</html>".to_vec(), "audio/webm").await;
    assert_eq!(fake["content_type"], "application/octet-stream");
    let ok = json!({"duration_ms": 1000, "waveform": [1, 2, 3]});
    send_voice(&a, room, "r1", &pdf, ok.clone())
        .await
        .refused(400, "invalid_voice");
    send_voice(&a, room, "r2", &fake, ok.clone())
        .await
        .refused(400, "invalid_voice");
    send_voice(
        &a,
        room,
        "r3",
        &audio,
        json!({"duration_ms": 300_001, "waveform": [1]}),
    )
    .await
    .refused(400, "invalid_voice");
    send_voice(&a, room, "r4", &audio, json!({"duration_ms": 0, "waveform": [1]}))
        .await
        .refused(400, "invalid_voice");
    send_voice(
        &a,
        room,
        "r5",
        &audio,
        json!({"duration_ms": 1000, "waveform": []}),
    )
    .await
    .refused(400, "invalid_voice");
    send_voice(
        &a,
        room,
        "r6",
        &audio,
        json!({"duration_ms": 1000, "waveform": vec![1; 129]}),
    )
    .await
    .refused(400, "invalid_voice");
    send_voice(
        &a,
        room,
        "r7",
        &audio,
        json!({"duration_ms": 1000, "waveform": [256]}),
    )
    .await
    .refused(400, "invalid_body");
    a.post(
        &format!("/api/v1/rooms/{room}/messages"),
        json!({"client_id": "r8", "voice": {"duration_ms": 1000, "waveform": [1]}}),
    )
    .await
    .refused(400, "invalid_voice");
    assert!(
        a.all_messages(room).await.iter().all(|m| m["kind"] != "voice"),
        "nothing sent"
    );
    // No endpoint configured: no transcripts.
    let sent = send_voice(&a, room, "r9", &audio, ok).await.ok();
    b.post(
        &format!("/api/v1/rooms/{room}/messages/{}/transcript", sent["seq"]),
        json!({}),
    )
    .await
    .refused(503, "feature_off");
}

/// What the speech-to-text endpoint was sent: (content type, body).
type Seen = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// An OpenAI-compatible `POST /v1/audio/transcriptions` on 127.0.0.1 that
/// keeps what it is sent and answers `text`, or fails with 500.
async fn speech_to_text(text: &'static str, fail: bool) -> (String, Seen) {
    use axum::routing::post;
    let seen: Seen = Arc::default();
    let kept = seen.clone();
    let app = axum::Router::new().route(
        "/v1/audio/transcriptions",
        post(move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
            let kept = kept.clone();
            async move {
                let ty = headers
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                if let Ok(mut k) = kept.lock() {
                    k.push((ty, body.to_vec()));
                }
                if fail {
                    (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "model crashed").into_response()
                } else {
                    axum::Json(json!({ "text": format!(" {text} ") })).into_response()
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/v1"), seen)
}

use axum::response::IntoResponse;

#[tokio::test]
async fn a_listener_asks_for_the_words_and_they_are_kept_nowhere() {
    let (endpoint, seen) = speech_to_text("내일 세 시에 만나요", false).await;
    let srv = TestServer::start_configured(test_limits(), Arc::new(madang_bus::LocalBus::new()), |c| {
        c.ai.transcription_endpoint = endpoint.clone();
        c.ai.transcription_model = "whisper-small".into();
    })
    .await;
    let a = srv.user("ta").await;
    let b = srv.user("tb").await;
    let c = srv.user("tc").await;
    let room = a.direct(&b).await;
    assert_eq!(b.get("/api/v1/ai").await.ok()["transcription"], true);
    let audio = upload(&a, "v.webm", webm(), "audio/webm;codecs=opus").await;
    let sent = send_voice(
        &a,
        room,
        "t1",
        &audio,
        json!({"duration_ms": 2500, "waveform": [9, 200, 40]}),
    )
    .await
    .ok();
    let path = format!("/api/v1/rooms/{room}/messages/{}/transcript", sent["seq"]);
    let words = b.post(&path, json!({})).await.ok();
    assert_eq!(words["text"], "내일 세 시에 만나요");

    // What the endpoint got: the model asked for, and the recording as a file.
    let (ty, body) = seen.lock().map(|s| s[0].clone()).unwrap_or_default();
    assert!(ty.starts_with("multipart/form-data; boundary="), "{ty}");
    let body_text = String::from_utf8_lossy(&body);
    assert!(
        body_text.contains("name=\"model\"\r\n\r\nwhisper-small\r\n"),
        "{body_text}"
    );
    assert!(
        body_text.contains("name=\"file\"; filename=\"voice.webm\""),
        "{body_text}"
    );
    assert!(
        body.windows(webm().len()).any(|w| w == webm().as_slice()),
        "the recording, whole"
    );

    // Nowhere in the database.
    assert!(!srv.db.dump().await.contains("세 시에 만나요"));
    // Not for someone outside the room, nor for a message that is no voice.
    c.post(&path, json!({})).await.refused(403, "not_member");
    let text = a.send(room, "plain", "hello").await;
    b.post(
        &format!("/api/v1/rooms/{room}/messages/{text}/transcript"),
        json!({}),
    )
    .await
    .refused(400, "not_voice");
}

#[tokio::test]
async fn an_endpoint_that_fails_is_said_to_be_unavailable_and_asking_is_rate_limited() {
    let (endpoint, _) = speech_to_text("", true).await;
    let mut limits = test_limits();
    limits.transcripts_per_minute = 2;
    let srv = TestServer::start_configured(limits, Arc::new(madang_bus::LocalBus::new()), |c| {
        c.ai.transcription_endpoint = endpoint.clone();
    })
    .await;
    let a = srv.user("fa").await;
    let b = srv.user("fb").await;
    let room = a.direct(&b).await;
    let audio = upload(&a, "v.webm", webm(), "audio/webm").await;
    let sent = send_voice(
        &a,
        room,
        "f1",
        &audio,
        json!({"duration_ms": 900, "waveform": [1]}),
    )
    .await
    .ok();
    let path = format!("/api/v1/rooms/{room}/messages/{}/transcript", sent["seq"]);
    b.post(&path, json!({})).await.refused(503, "unavailable");
    b.post(&path, json!({})).await.refused(503, "unavailable");
    b.post(&path, json!({})).await.refused(429, "rate_limited");
}
