//! Polls through HTTP and the WebSocket: posted as a message in a group
//! chat or an open chat, voted on, changed, counted live, anonymous or
//! not, closed by time or by the author; in an open chat a voter is a
//! nickname only; each refusal storing nothing.

use crate::openchat::{create, group as open_group, id as chat_id, join, me_in, room_of};
use madang_testkit::{Client, TestServer, Ws};
use madang_types::events::ServerFrame;
use madang_types::{RoomId, Seq};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

async fn post_poll(c: &Client, room: RoomId, body: Value) -> i64 {
    let made = c.post(&format!("/api/v1/rooms/{room}/polls"), body).await;
    assert_eq!(made.status, 201, "{}", made.body);
    assert_eq!(made.body["kind"], "poll");
    made.body["seq"].as_i64().unwrap_or_default()
}

fn counts(poll: &Value) -> Vec<i64> {
    poll["options"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["votes"].as_i64())
        .collect()
}

async fn changed(ws: &mut Ws, room: RoomId, seq: i64) {
    ws.until(
        WAIT,
        |f| matches!(f, ServerFrame::PollChanged { room_id, seq: s } if *room_id == room && *s == Seq(seq)),
    )
    .await;
}

#[tokio::test]
async fn a_group_votes_changes_its_mind_and_everyone_sees_the_counts_live_until_it_closes() {
    let srv = TestServer::start().await;
    let a = srv.user("pa").await;
    let b = srv.user("pb").await;
    let c = srv.user("pc").await;
    let room = a.group("저녁", &[&b, &c]).await;
    let (mut wa, _) = Ws::connect(
        &srv.base,
        a.token.as_deref().unwrap_or_default(),
        &BTreeMap::new(),
    )
    .await;
    let closes = madang_testkit::EPOCH.0 + 3_600_000;
    let seq = post_poll(
        &a,
        room,
        json!({"client_id": "p1", "question": "저녁 뭐 먹을까?", "options": ["김치찌개", "파스타", " 초밥 "], "closes_at": closes}),
    )
    .await;
    let path = format!("/api/v1/rooms/{room}/polls/{seq}");
    let poll = b.get(&path).await.ok();
    assert_eq!(poll["question"], "저녁 뭐 먹을까?");
    assert_eq!(poll["options"][2]["text"], "초밥");
    assert_eq!(
        (
            poll["multiple"].as_bool(),
            poll["anonymous"].as_bool(),
            poll["closed"].as_bool()
        ),
        (Some(false), Some(false), Some(false))
    );
    assert_eq!(poll["author_id"], a.user_id.0);
    // A retry of the same post is the same poll.
    let again = a
        .post(
            &format!("/api/v1/rooms/{room}/polls"),
            json!({"client_id": "p1", "question": "저녁 뭐 먹을까?", "options": ["x", "y"]}),
        )
        .await;
    assert_eq!(again.body["seq"].as_i64(), Some(seq), "{}", again.body);

    let voted = b.put(&format!("{path}/vote"), json!({"options": [0]})).await.ok();
    assert_eq!(voted["my_votes"], json!([0]));
    changed(&mut wa, room, seq).await;
    c.put(&format!("{path}/vote"), json!({"options": [1]})).await.ok();
    changed(&mut wa, room, seq).await;
    let seen = a.get(&path).await.ok();
    assert_eq!(counts(&seen), [1, 1, 0]);
    assert_eq!(seen["voters"], 2);
    assert_eq!(seen["options"][0]["voters"], json!([b.user_id.0]));
    // Ben changes his mind; then takes his vote back.
    b.put(&format!("{path}/vote"), json!({"options": [1]})).await.ok();
    changed(&mut wa, room, seq).await;
    assert_eq!(counts(&a.get(&path).await.ok()), [0, 2, 0]);
    b.put(&format!("{path}/vote"), json!({"options": []})).await.ok();
    assert_eq!(counts(&a.get(&path).await.ok()), [0, 1, 0]);

    // Its time comes: closed for everyone, no vote changes.
    srv.clock.advance(Duration::from_secs(3600));
    let closed = a.get(&path).await.ok();
    assert_eq!(closed["closed"], true);
    c.put(&format!("{path}/vote"), json!({"options": [0]}))
        .await
        .refused(409, "poll_closed");
    assert_eq!(counts(&a.get(&path).await.ok()), [0, 1, 0]);
    // The list and search read the question like a message.
    let page = b.get(&format!("/api/v1/rooms/{room}/messages")).await.ok();
    assert_eq!(page["messages"][0]["text"], "저녁 뭐 먹을까?");
    let found = b.get("/api/v1/search/messages?q=저녁").await.ok();
    assert_eq!(found["results"][0]["message"]["seq"].as_i64(), Some(seq));
}

#[tokio::test]
async fn multiple_choice_anonymous_and_closed_by_its_author() {
    let srv = TestServer::start().await;
    let a = srv.user("ma").await;
    let b = srv.user("mb").await;
    let room = a.group("여행", &[&b]).await;
    let seq = post_poll(
        &a,
        room,
        json!({"client_id": "m1", "question": "Where to?", "options": ["Busan", "Jeju", "Gangneung"], "multiple": true, "anonymous": true}),
    )
    .await;
    let path = format!("/api/v1/rooms/{room}/polls/{seq}");
    let mine = b
        .put(&format!("{path}/vote"), json!({"options": [2, 0, 2]}))
        .await
        .ok();
    assert_eq!(mine["my_votes"], json!([0, 2]));
    a.put(&format!("{path}/vote"), json!({"options": [0]})).await.ok();
    let seen = a.get(&path).await.ok();
    assert_eq!(counts(&seen), [2, 0, 1]);
    assert_eq!(seen["voters"], 2);
    assert!(
        seen["options"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|o| o["voters"] == json!([])),
        "anonymous: {seen}"
    );
    b.post(&format!("{path}/close"), json!({}))
        .await
        .refused(403, "not_author");
    let closed = a.post(&format!("{path}/close"), json!({})).await.ok();
    assert_eq!(closed["closed"], true);
    a.post(&format!("{path}/close"), json!({}))
        .await
        .refused(409, "poll_closed");
    b.put(&format!("{path}/vote"), json!({"options": [1]}))
        .await
        .refused(409, "poll_closed");
    assert_eq!(counts(&a.get(&path).await.ok()), [2, 0, 1]);
}

#[tokio::test]
async fn in_an_open_chat_a_voter_is_a_nickname_and_the_rooms_rules_hold() {
    let srv = TestServer::start().await;
    let host = srv.user("oh").await;
    let guest = srv.user("og").await;
    let chat = create(&host, open_group("투표방")).await;
    let room = room_of(&chat);
    let joined = join(&guest, chat_id(&chat), "손님").await;
    let persona = me_in(&joined);
    assert_ne!(persona, guest.user_id.0);
    let seq = post_poll(
        &host,
        room,
        json!({"client_id": "o1", "question": "다음 모임은?", "options": ["토요일", "일요일"]}),
    )
    .await;
    let path = format!("/api/v1/rooms/{room}/polls/{seq}");
    guest
        .put(&format!("{path}/vote"), json!({"options": [1]}))
        .await
        .ok();
    let seen = host.get(&path).await.ok();
    assert_eq!(
        seen["options"][1]["voters"],
        json!([persona]),
        "by nickname, never the account"
    );
    assert_ne!(seen["author_id"], host.user_id.0, "the host is a nickname too");

    // A banned word is as banned in a poll as in a message.
    host.put(
        &format!("/api/v1/openchats/{}/banned-words", chat_id(&chat)),
        json!({"words": ["광고"]}),
    )
    .await
    .ok();
    guest
        .post(
            &format!("/api/v1/rooms/{room}/polls"),
            json!({"client_id": "o2", "question": "질문", "options": ["좋아요", "광고 보기"]}),
        )
        .await
        .refused(400, "banned_word");
}

#[tokio::test]
async fn poll_refusals_store_nothing() {
    let srv = TestServer::start().await;
    let a = srv.user("ra").await;
    let b = srv.user("rb").await;
    let c = srv.user("rc").await;
    let room = a.group("규칙", &[&b]).await;
    let direct = a.direct(&b).await;
    let theirs = b.group("남의 방", &[&c]).await;
    let polls = format!("/api/v1/rooms/{room}/polls");
    let base = |q: &str, options: Value| json!({"client_id": q, "question": q, "options": options});

    a.post(
        &format!("/api/v1/rooms/{direct}/polls"),
        base("d", json!(["a", "b"])),
    )
    .await
    .refused(400, "not_a_group");
    a.post(
        &format!("/api/v1/rooms/{theirs}/polls"),
        base("t", json!(["a", "b"])),
    )
    .await
    .refused(403, "not_member");
    a.post(&polls, base("one", json!(["only"])))
        .await
        .refused(400, "invalid_poll");
    a.post(
        &polls,
        base(
            "eleven",
            json!((0..11).map(|i| i.to_string()).collect::<Vec<_>>()),
        ),
    )
    .await
    .refused(400, "invalid_poll");
    a.post(&polls, base("dup", json!(["same", " same"])))
        .await
        .refused(400, "invalid_poll");
    a.post(&polls, base("blank", json!(["a", "  "])))
        .await
        .refused(400, "invalid_poll");
    a.post(
        &polls,
        json!({"client_id": "q", "question": " ", "options": ["a", "b"]}),
    )
    .await
    .refused(400, "invalid_poll");
    a.post(
        &polls,
        json!({"client_id": "past", "question": "q", "options": ["a", "b"], "closes_at": 1}),
    )
    .await
    .refused(400, "invalid_poll_close");
    a.post(
        &polls,
        json!({"client_id": "x", "question": "q", "options": "a,b"}),
    )
    .await
    .refused(400, "invalid_body");
    assert!(
        a.all_messages(room).await.iter().all(|m| m["kind"] != "poll"),
        "nothing posted"
    );

    let seq = post_poll(&a, room, base("ok", json!(["yes", "no"]))).await;
    let path = format!("/api/v1/rooms/{room}/polls/{seq}");
    b.put(&format!("{path}/vote"), json!({"options": [2]}))
        .await
        .refused(400, "invalid_poll_option");
    b.put(&format!("{path}/vote"), json!({"options": [0, 1]}))
        .await
        .refused(400, "single_choice");
    b.put(&format!("{path}/vote"), json!({"options": [-1]}))
        .await
        .refused(400, "invalid_body");
    c.put(&format!("{path}/vote"), json!({"options": [0]}))
        .await
        .refused(403, "not_member");
    c.get(&path).await.refused(403, "not_member");
    assert_eq!(counts(&a.get(&path).await.ok()), [0, 0]);
    let text = a.send(room, "plain", "just text").await;
    a.get(&format!("/api/v1/rooms/{room}/polls/{text}"))
        .await
        .refused(404, "poll_not_found");
    a.patch(
        &format!("/api/v1/rooms/{room}/messages/{seq}"),
        json!({"text": "changed"}),
    )
    .await
    .refused(400, "poll_not_editable");
    // Deleted: gone with its message.
    assert_eq!(
        a.delete(&format!("/api/v1/rooms/{room}/messages/{seq}"))
            .await
            .status,
        204
    );
    a.get(&path).await.refused(404, "message_not_found");
}
