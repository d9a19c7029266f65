//! Web Push through the public API, to a real push service on 127.0.0.1
//! (`madang-push-receiver`: HTTPS with its own CA, checks each VAPID
//! token, decrypts each payload with the subscription's private keys).
//! The node trusts that CA through `[push] ca_file` and may reach
//! 127.0.0.1 through `[push] private_hosts`; nothing else is changed.
//!
//! The job's timing follows the node's clock (manual here): a burst waits
//! `push_coalesce_ms`, a live socket's unacknowledged message
//! `push_grace_ms`. Tests move the clock past them.

use madang::node::Node;
use madang_bus::LocalBus;
use madang_push_receiver::{Delivery, Receiver};
use madang_testkit::{Client, TestServer, Ws, test_limits};
use madang_types::RoomId;
use madang_types::events::{EventBody, ServerFrame};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);
/// How long a test waits to be sure that nothing more arrives: several of
/// the job's 500 ms rounds.
const QUIET: Duration = Duration::from_millis(1500);

struct Pushed {
    srv: TestServer,
    receiver: Receiver,
    _ca: tempfile::TempDir,
}

/// A node that may push to `receiver` (and to the 10.0.0.7 of the refusal
/// test, which is allowed by name but private).
async fn start() -> Pushed {
    let receiver = Receiver::start().await.expect("push receiver");
    let ca = tempfile::tempdir().expect("temp dir");
    let ca_file = ca.path().join("ca.pem");
    std::fs::write(&ca_file, &receiver.ca_pem).expect("CA file");
    let srv = TestServer::start_configured(test_limits(), Arc::new(LocalBus::new()), |c| {
        c.push.private_hosts = vec!["127.0.0.1".into()];
        c.push.allowed_hosts.push("10.0.0.7".into());
        c.push.ca_file = ca_file.display().to_string();
        c.push.contact = "mailto:ops@madang.test".into();
    })
    .await;
    Pushed {
        srv,
        receiver,
        _ca: ca,
    }
}

/// Subscribes `who`'s device; returns the endpoint.
async fn subscribe(p: &Pushed, who: &Client) -> String {
    let sub = p.receiver.subscribe();
    let reply = who.put("/api/v1/devices/current/push", sub.clone()).await;
    assert_eq!(reply.status, 204, "{:?}", reply.body);
    sub["endpoint"].as_str().expect("endpoint").to_owned()
}

/// Waits until the job has expanded every committed event into the queue.
async fn expanded(p: &Pushed) {
    for _ in 0..200 {
        if p.srv.db.scalar("SELECT COUNT(*) FROM push_outbox").await == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the push outbox was not expanded");
}

/// Moves the clock past the coalescing window once the queue holds the
/// burst, so what is pending is sent.
async fn flush(p: &Pushed) {
    expanded(p).await;
    p.srv.clock.advance(Duration::from_secs(1));
}

/// Exactly `n` pushes reach `endpoint` (and nothing more arrives).
async fn pushes(p: &Pushed, endpoint: &str, n: usize) -> Vec<Delivery> {
    let deadline = tokio::time::Instant::now() + WAIT;
    while p.receiver.deliveries_to(endpoint).len() < n && tokio::time::Instant::now() < deadline {
        p.receiver
            .wait_for(p.receiver.delivered() + 1, Duration::from_millis(200))
            .await;
    }
    tokio::time::sleep(QUIET).await;
    let got = p.receiver.deliveries_to(endpoint);
    assert_eq!(
        got.len(),
        n,
        "pushes to {endpoint}: {got:#?}; faults {:?}",
        p.receiver.faults()
    );
    assert!(p.receiver.faults().is_empty(), "{:?}", p.receiver.faults());
    got
}

async fn subscribed(who: &Client) -> bool {
    who.get("/api/v1/me/notifications").await.ok()["subscribed"]
        .as_bool()
        .expect("subscribed")
}

#[tokio::test]
async fn an_offline_device_gets_one_push_per_burst_and_the_writer_none() {
    let p = start().await;
    let a = p.srv.user("pa").await;
    let b = p.srv.user("pb").await;
    let room = a.direct(&b).await;
    let to_b = subscribe(&p, &b).await;
    let to_a = subscribe(&p, &a).await;
    for (i, text) in ["점심 먹었어?", "12시 반에 볼까", "회사 앞 국숫집"]
        .iter()
        .enumerate()
    {
        a.send(room, &format!("b1-{i}"), text).await;
    }
    flush(&p).await;
    let first = pushes(&p, &to_b, 1).await;
    let d = &first[0];
    assert_eq!(d.payload["type"], "message");
    assert_eq!(d.payload["room_id"], room.0);
    assert_eq!(d.payload["count"], 3);
    assert_eq!(d.payload["unread_total"], 3);
    assert_eq!(d.payload["text"], "회사 앞 국숫집");
    assert_eq!(d.payload["direct"], true);
    assert_eq!(d.payload["tag"], format!("room-{}", room.0));
    assert!(d.payload["sender"].as_str().is_some_and(|s| !s.is_empty()));
    assert_eq!(d.topic.as_deref(), Some(format!("r{}", room.0).as_str()));
    assert_eq!(d.urgency.as_deref(), Some("normal"));
    assert_eq!(d.ttl, 24 * 3600);
    assert_eq!(d.contact, "mailto:ops@madang.test");
    let key = p.srv.anonymous().get("/api/v1/push/key").await.ok();
    assert_eq!(key["public_key"].as_str(), Some(d.vapid_key.as_str()));

    // A second burst is a second push, with the count so far; it replaces
    // the first notification (same tag).
    a.send(room, "b2-0", "아니면 김밥?").await;
    a.send(room, "b2-1", "답장 줘").await;
    flush(&p).await;
    let both = pushes(&p, &to_b, 2).await;
    assert_eq!(both[1].payload["count"], 5);
    assert_eq!(both[1].payload["text"], "답장 줘");
    assert_eq!(both[1].payload["tag"], both[0].payload["tag"]);
    // The writer's own devices are never pushed their messages.
    assert!(p.receiver.deliveries_to(&to_a).is_empty());

    // Read meanwhile: what is pending is not pushed.
    let last = a.send(room, "b3", "읽었어?").await;
    expanded(&p).await;
    b.post(&format!("/api/v1/rooms/{room}/read"), json!({"seq": last}))
        .await
        .ok();
    p.srv.clock.advance(Duration::from_secs(1));
    pushes(&p, &to_b, 2).await;
}

#[tokio::test]
async fn an_online_device_that_acknowledges_gets_none_and_one_that_does_not_is_pushed() {
    let p = start().await;
    let a = p.srv.user("oa").await;
    let b = p.srv.user("ob").await;
    let room = a.group("온라인", &[&b]).await;
    let to_b = subscribe(&p, &b).await;
    let (mut ws, _) = Ws::connect(&p.srv.base, b.token.as_deref().expect("token"), &BTreeMap::new()).await;
    let seq = a.send(room, "on1", "보여?").await;
    ws.until(WAIT, |f| is_message(f, room)).await;
    ws.send_json(json!({"type": "received", "room_id": room, "seq": seq}))
        .await;
    expanded(&p).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    p.srv.clock.advance(Duration::from_secs(5));
    pushes(&p, &to_b, 0).await;

    // Given but never acknowledged (a tab in the background): pushed once
    // the grace is over, not before.
    a.send(room, "on2", "자니?").await;
    ws.until(WAIT, |f| is_message(f, room)).await;
    expanded(&p).await;
    p.srv.clock.advance(Duration::from_secs(1));
    pushes(&p, &to_b, 0).await;
    p.srv.clock.advance(Duration::from_secs(3));
    let got = pushes(&p, &to_b, 1).await;
    assert_eq!(got[0].payload["text"], "자니?");
    // Received is not read: both messages are unread.
    assert_eq!(got[0].payload["count"], 2);

    // A socket that closes with a message unacknowledged: pushed at once.
    a.send(room, "on3", "내일 봐").await;
    ws.until(WAIT, |f| is_message(f, room)).await;
    drop(ws);
    tokio::time::sleep(Duration::from_millis(300)).await;
    p.srv.clock.advance(Duration::from_millis(400));
    let got = pushes(&p, &to_b, 2).await;
    assert_eq!(got[1].payload["text"], "내일 봐");
}

fn is_message(f: &ServerFrame, room: RoomId) -> bool {
    matches!(f, ServerFrame::Event { event } if event.room_id == room && matches!(event.body, EventBody::Message { .. }))
}

#[tokio::test]
async fn a_muted_room_pushes_only_mentions_and_replies() {
    let p = start().await;
    let a = p.srv.user("ma").await;
    let b = p.srv.user("mb").await;
    let room = a.group("조용한 방", &[&b]).await;
    let to_b = subscribe(&p, &b).await;
    b.patch(&format!("/api/v1/rooms/{room}/settings"), json!({"muted": true}))
        .await
        .ok();
    a.send(room, "m1", "그냥 하는 말").await;
    flush(&p).await;
    pushes(&p, &to_b, 0).await;
    let mention = json!({"client_id": "m2", "text": "@b 이거 봐", "mentions": [b.user_id]});
    a.post(&format!("/api/v1/rooms/{room}/messages"), mention)
        .await
        .ok();
    flush(&p).await;
    let got = pushes(&p, &to_b, 1).await;
    assert_eq!(got[0].urgency.as_deref(), Some("high"));
    assert_eq!(got[0].payload["urgent"], true);
    assert_eq!(got[0].payload["text"], "@b 이거 봐");
    // Muted rooms are left out of the badge, except for what this very
    // notification says.
    assert_eq!(got[0].payload["count"], 2);
    assert_eq!(got[0].payload["unread_total"], 2);

    // A reply to b's message passes the mute too.
    let mine = b.send(room, "m3", "뭔데").await;
    a.send(room, "m4", "또 그냥 하는 말").await;
    let reply = json!({"client_id": "m5", "text": "이거", "reply_to": mine});
    a.post(&format!("/api/v1/rooms/{room}/messages"), reply)
        .await
        .ok();
    flush(&p).await;
    let got = pushes(&p, &to_b, 2).await;
    assert_eq!(got[1].payload["text"], "이거");
    assert_eq!(got[1].urgency.as_deref(), Some("high"));
}

#[tokio::test]
async fn preview_levels_hide_the_text_and_the_room() {
    let p = start().await;
    let a = p.srv.user("va").await;
    let b = p.srv.user("vb").await;
    let room = a.group("비밀 계획", &[&b]).await;
    let to_b = subscribe(&p, &b).await;
    let settings = b.get("/api/v1/me/notifications").await.ok();
    assert_eq!(
        (settings["subscribed"].as_bool(), settings["preview"].as_str()),
        (Some(true), Some("full"))
    );

    b.put("/api/v1/me/notifications", json!({"preview": "room"}))
        .await
        .ok();
    a.send(room, "v1", "깜짝 파티는 금요일").await;
    flush(&p).await;
    let got = pushes(&p, &to_b, 1).await;
    assert_eq!(got[0].payload["preview"], "room");
    assert_eq!(got[0].payload["room_title"], "비밀 계획");
    for hidden in ["text", "sender", "message_kind"] {
        assert!(got[0].payload[hidden].is_null(), "{hidden}: {}", got[0].payload);
    }

    b.put("/api/v1/me/notifications", json!({"preview": "none"}))
        .await
        .ok();
    a.send(room, "v2", "케이크는 내가").await;
    flush(&p).await;
    let got = pushes(&p, &to_b, 2).await;
    assert_eq!(got[1].payload["preview"], "none");
    for hidden in ["text", "sender", "room_title"] {
        assert!(got[1].payload[hidden].is_null(), "{hidden}: {}", got[1].payload);
    }
    let raw = got[1].payload.to_string();
    assert!(!raw.contains("케이크") && !raw.contains("비밀"), "{raw}");

    b.put("/api/v1/me/notifications", json!({"preview": "everything"}))
        .await
        .refused(400, "invalid_body");
}

#[tokio::test]
async fn a_gone_subscription_is_removed_and_a_revoked_device_loses_its_own() {
    let p = start().await;
    let a = p.srv.user("ga").await;
    let b = p.srv.user("gb").await;
    let room = a.direct(&b).await;
    let to_b = subscribe(&p, &b).await;
    assert!(subscribed(&b).await);
    p.receiver.answer(&to_b, 410);
    a.send(room, "g1", "거기 있어?").await;
    flush(&p).await;
    for _ in 0..100 {
        if !subscribed(&b).await {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!subscribed(&b).await, "a 410 removes the subscription");
    assert_eq!(p.receiver.turned_away(), 1);
    b.delete("/api/v1/devices/current/push")
        .await
        .refused(404, "push_subscription_not_found");

    // Revoking a device removes its subscription with it.
    let phone = b.another_device().await;
    subscribe(&p, &phone).await;
    let subs = |device: i64| format!("SELECT COUNT(*) FROM push_subscriptions WHERE device_id = {device}");
    assert_eq!(p.srv.db.scalar(&subs(phone.device_id.0)).await, 1);
    let revoked = b.delete(&format!("/api/v1/devices/{}", phone.device_id)).await;
    assert_eq!(revoked.status, 204);
    assert_eq!(p.srv.db.scalar(&subs(phone.device_id.0)).await, 0);

    // And a device that unsubscribes is pushed nothing more.
    let to_b = subscribe(&p, &b).await;
    assert_eq!(b.delete("/api/v1/devices/current/push").await.status, 204);
    a.send(room, "g2", "안 받네").await;
    flush(&p).await;
    pushes(&p, &to_b, 0).await;
}

#[tokio::test]
async fn disallowed_endpoints_and_keys_are_refused_with_their_codes() {
    let p = start().await;
    let b = p.srv.user("rb").await;
    let good = p.receiver.subscribe();
    let keys = good["keys"].clone();
    let with = |endpoint: &str, keys: &Value| json!({"endpoint": endpoint, "keys": keys});
    for (body, code) in [
        (
            with("http://fcm.googleapis.com/fcm/send/x", &keys),
            "endpoint_not_https",
        ),
        (
            with("https://push.example.com/x", &keys),
            "endpoint_host_not_allowed",
        ),
        (
            with("https://evil.fcm.googleapis.com.example.com/x", &keys),
            "endpoint_host_not_allowed",
        ),
        (with("https://10.0.0.7/push", &keys), "endpoint_private_address"),
        (
            with("https://user:pw@fcm.googleapis.com/x", &keys),
            "endpoint_malformed",
        ),
        (with("not a url", &keys), "endpoint_malformed"),
        (
            with(
                good["endpoint"].as_str().unwrap_or_default(),
                &json!({"p256dh": "AAAA", "auth": keys["auth"]}),
            ),
            "push_key_invalid",
        ),
        (
            with(
                good["endpoint"].as_str().unwrap_or_default(),
                &json!({"p256dh": keys["p256dh"], "auth": "c2hvcnQ"}),
            ),
            "push_auth_invalid",
        ),
        (
            with(&format!("https://fcm.googleapis.com/{}", "x".repeat(3000)), &keys),
            "push_subscription_too_long",
        ),
    ] {
        b.put("/api/v1/devices/current/push", body)
            .await
            .refused(400, code);
    }
    // A body that is not a subscription at all.
    b.put("/api/v1/devices/current/push", json!({"endpoint": 5}))
        .await
        .refused(400, "invalid_body");
    // Nothing was stored by any of them, and a stranger cannot subscribe.
    assert!(!subscribed(&b).await);
    p.srv
        .anonymous()
        .put("/api/v1/devices/current/push", good)
        .await
        .refused(401, "unauthenticated");
}

#[tokio::test]
async fn a_test_notification_reaches_the_device() {
    let p = start().await;
    let b = p.srv.user("tb").await;
    b.post("/api/v1/devices/current/push/test", json!({}))
        .await
        .refused(404, "push_subscription_not_found");
    let to_b = subscribe(&p, &b).await;
    let queued = b.post("/api/v1/devices/current/push/test", json!({})).await;
    assert_eq!(queued.status, 202);
    let got = pushes(&p, &to_b, 1).await;
    assert_eq!(got[0].payload["type"], "test");
    assert_eq!(got[0].urgency.as_deref(), Some("high"));
}

#[tokio::test]
async fn two_nodes_share_one_queue_and_push_once() {
    let p = start().await;
    let second = Node::start_with_bus(
        &p.srv.config,
        p.srv.clock.clone(),
        None,
        Arc::new(LocalBus::new()),
    )
    .await
    .expect("second node");
    let second_base = format!("http://{}", second.addr);
    let host = p.srv.user("na").await;
    let mut members = Vec::new();
    let mut endpoints = Vec::new();
    for i in 0..24 {
        // Half of them signed up through the other node.
        let m = if i % 2 == 0 {
            p.srv.user("nm").await
        } else {
            let mut c = Client::new(&second_base);
            c.sign_up(&madang_testkit::handle("nm")).await;
            c
        };
        endpoints.push(subscribe(&p, &m).await);
        members.push(m);
    }
    let refs: Vec<&Client> = members.iter().collect();
    let room = host.group("두 노드", &refs).await;
    host.send(room, "n1", "모두 안녕").await;
    host.at(&second_base).send(room, "n2", "한 번씩만").await;
    flush(&p).await;
    p.receiver.wait_for(24, WAIT).await;
    tokio::time::sleep(QUIET).await;
    assert!(p.receiver.faults().is_empty(), "{:?}", p.receiver.faults());
    for endpoint in &endpoints {
        let got = p.receiver.deliveries_to(endpoint);
        assert_eq!(got.len(), 1, "{endpoint}: {got:#?}");
        assert_eq!(got[0].payload["count"], 2);
    }
    assert_eq!(p.receiver.delivered(), 24);
    second.stop().await.expect("second node stops");
}

#[tokio::test]
async fn what_is_queued_survives_a_restart_and_is_pushed_once() {
    let mut p = start().await;
    let a = p.srv.user("ka").await;
    let b = p.srv.user("kb").await;
    let room = a.direct(&b).await;
    let to_b = subscribe(&p, &b).await;
    a.send(room, "k1", "서버 재시작 전").await;
    expanded(&p).await;
    // Not due yet (the burst's window has not passed) when the node stops.
    p.srv.stop().await;
    assert!(p.receiver.deliveries_to(&to_b).is_empty());
    p.srv.start_again().await;
    p.srv.clock.advance(Duration::from_secs(1));
    let got = pushes(&p, &to_b, 1).await;
    assert_eq!(got[0].payload["text"], "서버 재시작 전");
}

#[tokio::test]
async fn an_open_chat_push_names_the_nickname_never_the_profile() {
    use crate::openchat::{create, group, id, join, room_of};
    let p = start().await;
    let host = p.srv.user("oh").await;
    let visitor = p.srv.user("ov").await;
    let chat = create(&host, group("등산 모임")).await;
    let to_host = subscribe(&p, &host).await;
    let joined = join(&visitor, id(&chat), "산토끼").await;
    let room = room_of(&joined);
    visitor.send(room, "o1", "토요일에 북한산 가요?").await;
    flush(&p).await;
    let got = pushes(&p, &to_host, 1).await;
    assert_eq!(got[0].payload["sender"], "산토끼");
    assert_eq!(got[0].payload["room_title"], "등산 모임");
    let raw = got[0].payload.to_string();
    assert!(!raw.contains(&visitor.handle), "{raw}");
}
