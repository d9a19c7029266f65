//! The WebSocket: live delivery, catch-up, gap filling, reads, typing,
//! revocation, sends with acks.

use madang_core::Limits;
use madang_testkit::{LossyBus, TestServer, Ws, event_seqs, test_limits};
use madang_types::events::{EventBody, ServerFrame};
use madang_types::{RoomId, Seq};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);
const QUIET: Duration = Duration::from_millis(700);

fn is_message(f: &ServerFrame, text: &str) -> bool {
    matches!(f, ServerFrame::Event { event } if matches!(&event.body, EventBody::Message { message } if message.text == text))
}

#[tokio::test]
async fn messages_typing_and_reads_arrive_live() {
    let srv = TestServer::start().await;
    let a = srv.user("la").await;
    let b = srv.user("lb").await;
    let room = a.direct(&b).await;
    let (mut wb, _) = Ws::connect(&srv.base, b.token.as_deref().unwrap(), &BTreeMap::new()).await;
    let (mut wa, _) = Ws::connect(&srv.base, a.token.as_deref().unwrap(), &BTreeMap::new()).await;
    let seq = a.send(room, "l1", "안녕 👋").await;
    wb.until(WAIT, |f| is_message(f, "안녕 👋")).await;
    wb.send_json(json!({"type": "typing", "room_id": room})).await;
    wa.until(
        WAIT,
        |f| matches!(f, ServerFrame::Typing { user_id, .. } if *user_id == b.user_id),
    )
    .await;
    wb.send_json(json!({"type": "read", "room_id": room, "seq": seq}))
        .await;
    let frames = wa.until(WAIT, |f| matches!(f, ServerFrame::Reads { .. })).await;
    let Some(ServerFrame::Reads { reads, .. }) = frames.last() else {
        unreachable!()
    };
    assert_eq!((reads[0].user_id, reads[0].seq), (b.user_id, seq));
}

/// Reading without a receipt (the web client's peek) rests on this: only
/// a `read` moves a cursor. Catching up over the socket, acknowledging
/// delivery, and reading the room, its history, its members and search
/// leave everyone's "1" where it was. (The unread summary leaves it too:
/// `ai::a_summary_of_unread_messages_streams_and_names_the_topic`.)
#[tokio::test]
async fn only_a_read_moves_a_cursor_so_a_room_can_be_read_without_a_receipt() {
    let srv = TestServer::start().await;
    let a = srv.user("pa").await;
    let b = srv.user("pb").await;
    let c = srv.user("pc").await;
    let room = b.group("peek", &[&a, &c]).await;
    let (mut wb, _) = Ws::connect(
        &srv.base,
        b.token.as_deref().unwrap_or_default(),
        &BTreeMap::new(),
    )
    .await;
    b.send(room, "p1", "회의 10시로 바뀌었어요").await;
    let last = b.send(room, "p2", "meeting moved to ten").await;

    // The socket's catch-up brings both messages.
    let from_start = BTreeMap::from([(room, Seq::ZERO)]);
    let (mut wa, replay) = Ws::connect(&srv.base, a.token.as_deref().unwrap_or_default(), &from_start).await;
    assert!(event_seqs(&replay).contains(&(room, last)), "{replay:?}");
    wa.send_json(json!({"type": "received", "room_id": room, "seq": last}))
        .await;
    a.get(&format!("/api/v1/rooms/{room}/messages")).await.ok();
    a.get(&format!("/api/v1/rooms/{room}")).await.ok();
    a.get(&format!("/api/v1/rooms/{room}/members")).await.ok();
    a.get("/api/v1/search/messages?q=meeting").await.ok();
    a.get("/api/v1/rooms").await.ok();

    let frames = wb.drain(QUIET).await;
    assert!(
        !frames.iter().any(|f| matches!(f, ServerFrame::Reads { .. })),
        "no read went out: {frames:?}"
    );
    let page = b.get(&format!("/api/v1/rooms/{room}/messages")).await.ok();
    let unread: Vec<_> = page["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["kind"] == "text")
        .map(|m| m["unread_count"].as_i64())
        .collect();
    assert_eq!(unread, [Some(2), Some(2)], "{page}");
    assert_eq!(a.room(room).await["unread"], json!(2));

    // Marked read: the others see it at once.
    wa.send_json(json!({"type": "read", "room_id": room, "seq": last}))
        .await;
    let frames = wb.until(WAIT, |f| matches!(f, ServerFrame::Reads { .. })).await;
    let Some(ServerFrame::Reads { reads, .. }) = frames.last() else {
        unreachable!()
    };
    assert_eq!((reads[0].user_id, reads[0].seq), (a.user_id, last));
    let page = b.get(&format!("/api/v1/rooms/{room}/messages")).await.ok();
    assert_eq!(page["messages"][0]["unread_count"], json!(1), "{page}");
    assert_eq!(a.room(room).await["unread"], json!(0));
}

#[tokio::test]
async fn a_burst_of_reads_is_coalesced_into_few_events() {
    let srv = TestServer::start().await;
    let a = srv.user("ca").await;
    let b = srv.user("cb").await;
    let room = a.group("reads", &[&b]).await;
    let mut last = Seq::ZERO;
    for i in 0..40 {
        last = a.send(room, &format!("c{i}"), "msg").await;
    }
    let (mut wa, _) = Ws::connect(&srv.base, a.token.as_deref().unwrap(), &BTreeMap::new()).await;
    let read = format!("/api/v1/rooms/{room}/read");
    for s in (last.0 - 39)..=last.0 {
        b.post(&read, json!({"seq": s})).await.ok();
    }
    let frames = wa.drain(QUIET).await;
    let reads: Vec<_> = frames
        .iter()
        .filter(|f| matches!(f, ServerFrame::Reads { .. }))
        .collect();
    assert!(
        !reads.is_empty() && reads.len() < 10,
        "40 reads became {} events",
        reads.len()
    );
    let Some(ServerFrame::Reads { reads: marks, .. }) = reads.last() else {
        unreachable!()
    };
    assert_eq!(marks.last().map(|m| m.seq), Some(last));
}

/// The acceptance scenario: one user on two devices and a second user; a
/// device offline for N messages across several rooms catches up with
/// exactly those, then continues live, with no gap and no duplicate.
#[tokio::test]
async fn an_offline_device_catches_up_exactly_then_continues_live() {
    let srv = TestServer::start().await;
    let u = srv.user("cu").await;
    let v = srv.user("cv").await;
    let w = srv.user("cw").await;
    let r1 = u.direct(&v).await;
    let r2 = u.group("trio", &[&v, &w]).await;
    let r3 = v.group("pair", &[&u]).await;
    let phone = u.another_device().await;
    // The phone is live, then goes offline holding these cursors.
    let mut cursors = BTreeMap::new();
    for r in [r1, r2, r3] {
        cursors.insert(r, Seq(phone.room(r).await["last_seq"].as_i64().unwrap()));
    }
    let (ws, _) = Ws::connect(&srv.base, phone.token.as_deref().unwrap(), &cursors).await;
    drop(ws);
    // 30 messages while it is away, from the other user and its twin device.
    let mut expected: BTreeMap<RoomId, Vec<Seq>> = BTreeMap::new();
    for i in 0..30 {
        let room = [r1, r2, r3][i % 3];
        let sender = if i % 4 == 0 { &u } else { &v };
        let seq = sender
            .send(room, &format!("away-{i}"), &format!("while away {i}"))
            .await;
        expected.entry(room).or_default().push(seq);
    }
    // A writer keeps sending while the phone reconnects: the overlap of
    // replay and live must not duplicate or drop anything.
    let writer = {
        let v = v.clone();
        tokio::spawn(async move {
            let mut sent = Vec::new();
            for i in 0..20 {
                sent.push(v.send(r2, &format!("during-{i}"), "during reconnect").await);
            }
            sent
        })
    };
    let (mut ws, replayed) = Ws::connect(&srv.base, phone.token.as_deref().unwrap(), &cursors).await;
    let during = writer.await.unwrap();
    let after = v.send(r1, "after", "back online").await;
    let mut frames = replayed;
    frames.extend(ws.until(WAIT, |f| is_message(f, "back online")).await);
    frames.extend(ws.drain(QUIET).await);
    let mut got: BTreeMap<RoomId, Vec<Seq>> = BTreeMap::new();
    for (room, seq) in event_seqs(&frames) {
        got.entry(room).or_default().push(seq);
    }
    expected.get_mut(&r2).unwrap().extend(during);
    expected.get_mut(&r1).unwrap().push(after);
    // Exactly the events after each cursor, in order, each once.
    for r in [r1, r2, r3] {
        let want: Vec<Seq> = ((cursors[&r].0 + 1)..=expected[&r].last().unwrap().0)
            .map(Seq)
            .collect();
        assert_eq!(got[&r], want, "room {r}");
        assert!(expected[&r].iter().all(|s| got[&r].contains(s)));
    }
}

#[tokio::test]
async fn a_lost_bus_message_is_recovered_from_the_database() {
    let bus = Arc::new(LossyBus::new(4));
    let srv = TestServer::start_full(test_limits(), bus.clone()).await;
    let a = srv.user("ga").await;
    let b = srv.user("gb").await;
    let room = a.direct(&b).await;
    let start = Seq(b.room(room).await["last_seq"].as_i64().unwrap());
    let (mut wb, _) = Ws::connect(
        &srv.base,
        b.token.as_deref().unwrap(),
        &BTreeMap::from([(room, start)]),
    )
    .await;
    let mut last = start;
    for i in 0..21 {
        last = a.send(room, &format!("g{i}"), &format!("n{i}")).await;
    }
    let seqs: Vec<Seq> = event_seqs(&wb.drain(QUIET).await)
        .into_iter()
        .map(|(_, s)| s)
        .collect();
    assert!(bus.dropped.load(std::sync::atomic::Ordering::Relaxed) >= 4);
    // Contiguous from the cursor: every lost event was filled in from the
    // database as soon as a later one arrived.
    let want: Vec<Seq> = ((start.0 + 1)..=seqs.last().unwrap().0).map(Seq).collect();
    assert_eq!(seqs, want);
    assert!(
        seqs.last().unwrap().0 >= last.0 - 1,
        "only a lost final event may wait for the next one"
    );
}

#[tokio::test]
async fn a_room_one_is_added_to_arrives_with_its_history_from_joining() {
    let srv = TestServer::start().await;
    let a = srv.user("na").await;
    let b = srv.user("nb").await;
    let (mut wb, _) = Ws::connect(&srv.base, b.token.as_deref().unwrap(), &BTreeMap::new()).await;
    let room = a.group("new room", &[&b]).await;
    a.send(room, "n1", "welcome").await;
    let frames = wb.until(WAIT, |f| is_message(f, "welcome")).await;
    assert!(matches!(&frames[0], ServerFrame::RoomAdded { room: r } if r.id == room));
    let seqs: Vec<i64> = event_seqs(&frames).iter().map(|(_, s)| s.0).collect();
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>());
}

#[tokio::test]
async fn sends_over_the_socket_are_acknowledged_once_committed_and_idempotent() {
    let srv = TestServer::start().await;
    let a = srv.user("sa").await;
    let b = srv.user("sb").await;
    let room = a.direct(&b).await;
    let (mut wa, _) = Ws::connect(&srv.base, a.token.as_deref().unwrap(), &BTreeMap::new()).await;
    let send = json!({"type": "send", "room_id": room, "client_id": "ws-1", "text": "over the socket"});
    wa.send_json(send.clone()).await;
    let acked = |frames: &[ServerFrame]| {
        frames.iter().find_map(|f| match f {
            ServerFrame::Ack { seq, .. } => Some(*seq),
            _ => None,
        })
    };
    let first = acked(&wa.until(WAIT, |f| matches!(f, ServerFrame::Ack { .. })).await).unwrap();
    wa.send_json(send).await;
    let second = acked(&wa.until(WAIT, |f| matches!(f, ServerFrame::Ack { .. })).await).unwrap();
    assert_eq!(first, second);
    assert_eq!(b.all_messages(room).await.len(), 1);
    let bad = json!({"type": "send", "room_id": 999_999, "client_id": "ws-2", "text": "nowhere"});
    wa.send_json(bad).await;
    let frames = wa.until(WAIT, |f| matches!(f, ServerFrame::Error { .. })).await;
    assert!(
        matches!(frames.last(), Some(ServerFrame::Error { error, client_id: Some(c) }) if error.code == "not_member" && c.0 == "ws-2")
    );
}

#[tokio::test]
async fn revoking_a_device_closes_its_socket() {
    let srv = TestServer::start().await;
    let a = srv.user("va").await;
    let phone = a.another_device().await;
    let (mut ws, _) = Ws::connect(&srv.base, phone.token.as_deref().unwrap(), &BTreeMap::new()).await;
    a.delete(&format!("/api/v1/devices/{}", phone.device_id)).await;
    assert_eq!(ws.close_code(WAIT).await, Some(4001));
}

#[tokio::test]
async fn stopping_the_node_tells_sockets_to_reconnect_elsewhere() {
    let mut srv = TestServer::start().await;
    let a = srv.user("sd").await;
    let (mut ws, _) = Ws::connect(&srv.base, a.token.as_deref().unwrap(), &BTreeMap::new()).await;
    let stopping = tokio::spawn(async move {
        srv.stop().await;
        srv
    });
    assert_eq!(ws.close_code(WAIT).await, Some(4002));
    drop(stopping.await.unwrap());
}

#[tokio::test]
async fn a_bad_token_is_refused_before_the_upgrade() {
    let srv = TestServer::start().await;
    let url = format!(
        "{}/api/v1/ws?access_token=nope",
        srv.base.replacen("http", "ws", 1)
    );
    let err = tokio_tungstenite::connect_async(url).await.expect_err("refused");
    assert!(err.to_string().contains("401"), "{err}");
}

#[tokio::test]
async fn sending_is_rate_limited_per_account() {
    let srv = TestServer::start_with(Limits {
        messages_per_minute: 5,
        ..test_limits()
    })
    .await;
    let a = srv.user("rl").await;
    let b = srv.user("rm").await;
    let room = a.direct(&b).await;
    for i in 0..5 {
        a.send(room, &format!("r{i}"), "hi").await;
    }
    a.try_send(room, "r5", "hi").await.refused(429, "rate_limited");
    srv.clock.advance(Duration::from_secs(12));
    a.send(room, "r6", "hi").await;
}
