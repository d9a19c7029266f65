//! Scheduled messages through HTTP and the WebSocket: sent at their time
//! as an ordinary message with the seq of that moment, once, across a
//! restart; listed, edited, cancelled and sent now by their writer only;
//! cancelled when the writer leaves and refused (failed) when the send is,
//! the writer told each time; every refusal storing nothing.

use madang_core::Clock;
use madang_testkit::{Client, TestServer, Ws, test_limits};
use madang_types::RoomId;
use madang_types::events::{EventBody, ServerFrame};
use madang_types::scheduled::{ScheduledMessage, ScheduledState};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);
const MINUTE: i64 = 60_000;

fn at(srv: &TestServer, ms_ahead: i64) -> i64 {
    srv.clock.now().0 + ms_ahead
}

async fn socket(srv: &TestServer, c: &Client) -> Ws {
    Ws::connect(
        &srv.base,
        c.token.as_deref().unwrap_or_default(),
        &BTreeMap::new(),
    )
    .await
    .0
}

async fn schedule(c: &Client, room: RoomId, text: &str, send_at: i64) -> Value {
    let made = c
        .post(
            &format!("/api/v1/rooms/{room}/scheduled"),
            json!({"text": text, "send_at": send_at}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    made.body
}

/// Waits for the message `text` in `room` on a socket; its seq.
async fn arrives(ws: &mut Ws, room: RoomId, text: &str) -> i64 {
    let frames = ws
        .until(WAIT, |f| matches!(f, ServerFrame::Event { event } if event.room_id == room && matches!(&event.body, EventBody::Message { message } if message.text == text)))
        .await;
    match frames.last() {
        Some(ServerFrame::Event { event }) => event.seq.0,
        _ => unreachable!(),
    }
}

/// Waits for a `scheduled_changed` frame in `state`.
async fn told(ws: &mut Ws, state: ScheduledState) -> ScheduledMessage {
    let frames = ws
        .until(
            WAIT,
            |f| matches!(f, ServerFrame::ScheduledChanged { scheduled } if scheduled.state == state),
        )
        .await;
    match frames.last() {
        Some(ServerFrame::ScheduledChanged { scheduled }) => (**scheduled).clone(),
        _ => unreachable!(),
    }
}

async fn texts(c: &Client, room: RoomId) -> Vec<String> {
    c.all_messages(room)
        .await
        .iter()
        .filter(|m| m["kind"] == "text")
        .map(|m| m["text"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn a_scheduled_message_goes_out_at_its_time_once_with_the_seq_of_that_moment() {
    let srv = TestServer::start().await;
    let a = srv.user("sa").await;
    let b = srv.user("sb").await;
    let room = a.group("일정", &[&b]).await;
    let mut wa = socket(&srv, &a).await;
    let mut wb = socket(&srv, &b).await;
    let made = schedule(&a, room, "생일 축하해! 🎂", at(&srv, 10 * MINUTE)).await;
    assert_eq!(made["state"], "pending");
    told(&mut wa, ScheduledState::Pending).await;
    let listed = a.get(&format!("/api/v1/rooms/{room}/scheduled")).await.ok();
    assert_eq!(listed["scheduled"][0]["text"], "생일 축하해! 🎂");
    assert_eq!(
        (listed["min_lead_secs"].as_i64(), listed["max_lead_secs"].as_i64()),
        (Some(60), Some(2_592_000))
    );
    // Nobody else sees it, not even in the room.
    assert_eq!(
        b.get(&format!("/api/v1/rooms/{room}/scheduled")).await.ok()["scheduled"],
        json!([])
    );
    assert!(!texts(&b, room).await.contains(&"생일 축하해! 🎂".to_string()));

    let between = b.send(room, "s-b", "곧 자정이다").await;
    srv.clock.advance(Duration::from_secs(9 * 60));
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(texts(&b, room).await, ["곧 자정이다"], "not before its time");
    srv.clock.advance(Duration::from_secs(60));
    let seq = arrives(&mut wb, room, "생일 축하해! 🎂").await;
    assert!(seq > between.0, "it takes its seq when it goes out");
    let sent = told(&mut wa, ScheduledState::Sent).await;
    assert_eq!(sent.sent_seq.map(|s| s.0), Some(seq));
    // Once, and the list is empty.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(texts(&b, room).await, ["곧 자정이다", "생일 축하해! 🎂"]);
    assert_eq!(a.get("/api/v1/scheduled").await.ok()["scheduled"], json!([]));
    // Sent as from Ana: her own cursor is on it, Ben's "1" is on it.
    let page = b.get(&format!("/api/v1/rooms/{room}/messages")).await.ok();
    assert_eq!(page["messages"][0]["sender_id"], a.user_id.0);
    assert_eq!(page["messages"][0]["unread_count"], 1);
}

#[tokio::test]
async fn what_is_due_while_the_server_is_down_goes_out_when_it_is_back() {
    let mut srv = TestServer::start().await;
    let a = srv.user("ra").await;
    let b = srv.user("rb").await;
    let room = a.direct(&b).await;
    schedule(&a, room, "restart-proof", at(&srv, 2 * MINUTE)).await;
    srv.stop().await;
    srv.clock.advance(Duration::from_secs(5 * 60));
    srv.start_again().await;
    let (a, b) = (a.at(&srv.base), b.at(&srv.base));
    let mut wb = socket(&srv, &b).await;
    if !texts(&b, room).await.contains(&"restart-proof".to_string()) {
        arrives(&mut wb, room, "restart-proof").await;
    }
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(texts(&b, room).await, ["restart-proof"]);
    assert_eq!(a.get("/api/v1/scheduled").await.ok()["scheduled"], json!([]));
}

#[tokio::test]
async fn the_writer_edits_cancels_and_sends_now_and_only_the_writer() {
    let srv = TestServer::start().await;
    let a = srv.user("ea").await;
    let b = srv.user("eb").await;
    let room = a.group("edit", &[&b]).await;
    let mut wb = socket(&srv, &b).await;
    let one = schedule(&a, room, "draft", at(&srv, 30 * MINUTE)).await;
    let two = schedule(&a, room, "later", at(&srv, 20 * MINUTE)).await;
    let (one, two) = (
        one["id"].as_i64().unwrap_or_default(),
        two["id"].as_i64().unwrap_or_default(),
    );
    let listed = a.get(&format!("/api/v1/rooms/{room}/scheduled")).await.ok();
    let order: Vec<_> = listed["scheduled"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| s["id"].as_i64())
        .collect();
    assert_eq!(order, [Some(two), Some(one)], "by time");

    let edited = a
        .patch(
            &format!("/api/v1/scheduled/{one}"),
            json!({"text": "final", "send_at": at(&srv, 5 * MINUTE)}),
        )
        .await
        .ok();
    assert_eq!(
        (edited["text"].as_str(), edited["send_at"].as_i64()),
        (Some("final"), Some(at(&srv, 5 * MINUTE)))
    );
    // Someone else's: as if it did not exist.
    b.patch(&format!("/api/v1/scheduled/{one}"), json!({"text": "mine"}))
        .await
        .refused(404, "scheduled_not_found");
    b.delete(&format!("/api/v1/scheduled/{one}"))
        .await
        .refused(404, "scheduled_not_found");
    b.post(&format!("/api/v1/scheduled/{one}/send"), json!({}))
        .await
        .refused(404, "scheduled_not_found");

    let sent = a
        .post(&format!("/api/v1/scheduled/{one}/send"), json!({}))
        .await
        .ok();
    assert_eq!(sent["text"], "final");
    assert_eq!(
        arrives(&mut wb, room, "final").await,
        sent["seq"].as_i64().unwrap_or_default()
    );
    a.patch(&format!("/api/v1/scheduled/{one}"), json!({"text": "again"}))
        .await
        .refused(409, "scheduled_not_pending");
    a.post(&format!("/api/v1/scheduled/{one}/send"), json!({}))
        .await
        .refused(409, "scheduled_not_pending");

    assert_eq!(a.delete(&format!("/api/v1/scheduled/{two}")).await.status, 204);
    a.delete(&format!("/api/v1/scheduled/{two}"))
        .await
        .refused(409, "scheduled_not_pending");
    srv.clock.advance(Duration::from_secs(40 * 60));
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(
        texts(&b, room).await,
        ["final"],
        "the cancelled one never goes out"
    );
    let all = a.get("/api/v1/scheduled").await.ok();
    assert_eq!(all["scheduled"][0]["state"], "cancelled");
    assert_eq!(all["scheduled"][0]["reason"], "cancelled");
}

#[tokio::test]
async fn leaving_the_room_cancels_them_and_a_refused_send_fails_and_the_writer_is_told() {
    let srv = TestServer::start().await;
    let a = srv.user("la").await;
    let b = srv.user("lb").await;
    let group = b.group("떠날 방", &[&a]).await;
    let direct = a.direct(&b).await;
    let mut wa = socket(&srv, &a).await;
    schedule(&a, group, "내일 봐요", at(&srv, 10 * MINUTE)).await;
    schedule(&a, direct, "are you there?", at(&srv, 10 * MINUTE)).await;

    assert_eq!(
        a.delete(&format!("/api/v1/rooms/{group}/members/me"))
            .await
            .status,
        204
    );
    let cancelled = told(&mut wa, ScheduledState::Cancelled).await;
    assert_eq!(
        (cancelled.room_id, cancelled.reason.as_deref()),
        (group, Some("left"))
    );

    // Ben blocks Ana: her 1:1 message is refused when its time comes.
    b.post("/api/v1/blocks", json!({"user_id": a.user_id})).await.ok();
    srv.clock.advance(Duration::from_secs(11 * 60));
    let failed = told(&mut wa, ScheduledState::Failed).await;
    assert_eq!(
        (failed.room_id, failed.reason.as_deref()),
        (direct, Some("blocked"))
    );
    let all = a.get("/api/v1/scheduled").await.ok();
    let states: Vec<_> = all["scheduled"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            (
                s["state"].as_str().unwrap_or_default().to_string(),
                s["reason"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert!(
        states.contains(&("cancelled".into(), "left".into())),
        "{states:?}"
    );
    assert!(
        states.contains(&("failed".into(), "blocked".into())),
        "{states:?}"
    );
    assert!(texts(&b, group).await.is_empty());
    assert!(texts(&b, direct).await.is_empty());
}

#[tokio::test]
async fn scheduling_refusals_store_nothing() {
    let mut limits = test_limits();
    limits.max_scheduled_pending = 2;
    let srv = TestServer::start_with(limits).await;
    let a = srv.user("fa").await;
    let b = srv.user("fb").await;
    let c = srv.user("fc").await;
    let room = a.direct(&b).await;
    let theirs = b.direct(&c).await;
    let path = format!("/api/v1/rooms/{room}/scheduled");
    let send_at = at(&srv, 10 * MINUTE);

    a.post(&path, json!({"text": "soon", "send_at": at(&srv, 59_000)}))
        .await
        .refused(400, "schedule_too_soon");
    a.post(&path, json!({"text": "past", "send_at": at(&srv, -MINUTE)}))
        .await
        .refused(400, "schedule_too_soon");
    a.post(
        &path,
        json!({"text": "far", "send_at": at(&srv, 31 * 24 * 60 * MINUTE)}),
    )
    .await
    .refused(400, "schedule_too_far");
    a.post(&path, json!({"text": "  ", "send_at": send_at}))
        .await
        .refused(400, "empty_message");
    a.post(&path, json!({"text": "x".repeat(10_001), "send_at": send_at}))
        .await
        .refused(413, "too_large");
    a.post(
        &path,
        json!({"text": "file", "send_at": send_at, "attachment": "nope"}),
    )
    .await
    .refused(404, "media_not_found");
    a.post(
        &path,
        json!({"text": "reply", "send_at": send_at, "reply_to": 999}),
    )
    .await
    .refused(404, "message_not_found");
    a.post(
        &format!("/api/v1/rooms/{theirs}/scheduled"),
        json!({"text": "spy", "send_at": send_at}),
    )
    .await
    .refused(403, "not_member");
    a.get(&format!("/api/v1/rooms/{theirs}/scheduled"))
        .await
        .refused(403, "not_member");
    a.post(&path, json!({"text": "t", "send_at": "tomorrow"}))
        .await
        .refused(400, "invalid_body");
    a.post(&path, json!({"text": "t"}))
        .await
        .refused(400, "invalid_body");
    a.patch("/api/v1/scheduled/12345", json!({"text": "x"}))
        .await
        .refused(404, "scheduled_not_found");
    assert_eq!(
        a.get("/api/v1/scheduled").await.ok()["scheduled"],
        json!([]),
        "nothing stored"
    );

    let first = schedule(&a, room, "one", send_at).await;
    let id = first["id"].as_i64().unwrap_or_default();
    schedule(&a, room, "two", send_at).await;
    a.post(&path, json!({"text": "three", "send_at": send_at}))
        .await
        .refused(409, "scheduled_limit");
    let one = format!("/api/v1/scheduled/{id}");
    a.patch(&one, json!({"send_at": at(&srv, 1_000)}))
        .await
        .refused(400, "schedule_too_soon");
    a.patch(&one, json!({"text": ""}))
        .await
        .refused(400, "empty_message");
    a.patch(&one, json!({"colour": "red"}))
        .await
        .refused(400, "invalid_body");
    let kept = a.get(&path).await.ok();
    assert_eq!(kept["scheduled"][0]["text"], "one");
    assert_eq!(kept["scheduled"][0]["send_at"].as_i64(), Some(send_at));
    srv.anonymous()
        .get("/api/v1/scheduled")
        .await
        .refused(401, "unauthenticated");
}

#[tokio::test]
async fn in_an_open_chat_a_banned_word_is_refused_when_scheduling_and_when_editing() {
    use crate::openchat::{create, group, id, join, room_of};
    let srv = TestServer::start().await;
    let host = srv.user("bh").await;
    let guest = srv.user("bg").await;
    let chat = create(&host, group("예약 규칙")).await;
    let room = room_of(&chat);
    join(&guest, id(&chat), "손님").await;
    host.put(
        &format!("/api/v1/openchats/{}/banned-words", id(&chat)),
        json!({"words": ["광고"]}),
    )
    .await
    .ok();
    let path = format!("/api/v1/rooms/{room}/scheduled");
    guest
        .post(
            &path,
            json!({"text": "광고 보세요", "send_at": at(&srv, 10 * MINUTE)}),
        )
        .await
        .refused(400, "banned_word");
    let fine = schedule(&guest, room, "내일 봐요", at(&srv, 10 * MINUTE)).await;
    guest
        .patch(
            &format!("/api/v1/scheduled/{}", fine["id"]),
            json!({"text": "무료 광고"}),
        )
        .await
        .refused(400, "banned_word");
    let kept = guest.get(&path).await.ok();
    let texts: Vec<_> = kept["scheduled"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| s["text"].clone())
        .collect();
    assert_eq!(texts, [json!("내일 봐요")]);
}
