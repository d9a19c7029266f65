//! Bad input gets a clear 4xx with a stable code, never a 500 (invariant 8).

use madang_testkit::{TestServer, Ws};
use reqwest::Method;
use serde_json::json;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::{Frame, FrameHeader};

#[tokio::test]
async fn malformed_json_unknown_fields_wrong_types_and_oversized_bodies() {
    let srv = TestServer::start().await;
    let a = srv.user("bi").await;
    let anon = srv.anonymous();
    let post = |body: Vec<u8>, ct: &'static str| {
        let anon = anon.clone();
        async move { anon.raw(Method::POST, "/api/v1/accounts", Some((body, ct))).await }
    };
    post(b"{".to_vec(), "application/json")
        .await
        .refused(400, "malformed_json");
    post(
        br#"{"handle":"abc","password":"long enough pw","admin":true}"#.to_vec(),
        "application/json",
    )
    .await
    .refused(400, "invalid_body");
    post(
        br#"{"handle":5,"password":"long enough pw"}"#.to_vec(),
        "application/json",
    )
    .await
    .refused(400, "invalid_body");
    post(
        br#"{"handle":"abc","password":"long enough pw"}"#.to_vec(),
        "text/plain",
    )
    .await
    .refused(415, "expected_json");
    post(
        b"{\"handle\":\"\xff\xfe\",\"password\":\"x\"}".to_vec(),
        "application/json",
    )
    .await
    .refused(400, "malformed_json");
    let huge = json!({"handle": "abc", "password": "x".repeat(100_000)})
        .to_string()
        .into_bytes();
    post(huge, "application/json").await.refused(413, "too_large");
    a.get("/api/v1/rooms/not-a-number")
        .await
        .refused(400, "invalid_path");
    a.get("/api/v1/rooms/1/messages?before=soon")
        .await
        .refused(400, "invalid_query");
    a.get("/api/v1/rooms/1/messages?sort=asc")
        .await
        .refused(400, "invalid_query");
    a.get("/api/v1/rooms/999999").await.refused(403, "not_member");
    a.raw(
        Method::PATCH,
        "/api/v1/me",
        Some((b"null".to_vec(), "application/json")),
    )
    .await
    .refused(400, "invalid_body");
}

#[tokio::test]
async fn garbage_websocket_frames_get_errors_then_a_close_code() {
    let srv = TestServer::start().await;
    let a = srv.user("gw").await;
    let token = a.token.clone().unwrap();
    let (mut ws, _) = Ws::connect(&srv.base, &token, &BTreeMap::new()).await;
    for bad in [
        "not json",
        "{}",
        r#"{"type":"send"}"#,
        r#"{"type":"read","room_id":"x","seq":1}"#,
    ] {
        ws.send_raw(Message::Text(bad.into())).await;
        let f = ws.next_frame(Duration::from_secs(5)).await;
        assert!(
            matches!(f, Some(madang_types::events::ServerFrame::Error { ref error, .. }) if error.code == "bad_frame"),
            "{f:?}"
        );
    }
    ws.send_raw(Message::Binary(vec![0, 1, 2].into())).await;
    assert_eq!(ws.close_code(Duration::from_secs(5)).await, Some(1003));

    // Invalid UTF-8 in a text frame.
    let (mut ws, _) = Ws::connect(&srv.base, &token, &BTreeMap::new()).await;
    let header = FrameHeader {
        opcode: OpCode::Data(Data::Text),
        ..FrameHeader::default()
    };
    ws.send_raw(Message::Frame(Frame::from_payload(
        header,
        vec![0xff, 0xfe, 0xfd].into(),
    )))
    .await;
    assert_eq!(ws.close_code(Duration::from_secs(5)).await, Some(1007));

    // An oversized frame.
    let (mut ws, _) = Ws::connect(&srv.base, &token, &BTreeMap::new()).await;
    ws.send_raw(Message::Text("x".repeat(200_000).into())).await;
    assert!(matches!(
        ws.close_code(Duration::from_secs(5)).await,
        Some(1007) | Some(1009) | None
    ));

    // Too many bad frames in a row.
    let (mut ws, _) = Ws::connect(&srv.base, &token, &BTreeMap::new()).await;
    for _ in 0..25 {
        ws.send_raw(Message::Text("garbage".into())).await;
    }
    assert_eq!(ws.close_code(Duration::from_secs(5)).await, Some(1008));
    // The server is still fine.
    a.get("/api/v1/me").await.ok();
}
