//! Rooms, messages, edits, deletes, reactions, history, unread counts.

use madang_core::Limits;
use madang_testkit::{TestServer, test_limits};
use madang_types::{RoomId, Seq};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn there_is_exactly_one_direct_room_per_pair_even_when_both_open_it_at_once() {
    let srv = TestServer::start().await;
    let a = srv.user("da").await;
    let b = srv.user("db").await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let (x, y) = if i % 2 == 0 {
            (a.clone(), b.clone())
        } else {
            (b.clone(), a.clone())
        };
        tasks.push(tokio::spawn(async move { x.direct(&y).await }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
    let room = a.room(ids[0]).await;
    assert_eq!(
        (room["kind"].as_str(), room["title"].as_str()),
        (Some("direct"), Some(b.handle.as_str()))
    );
    a.post("/api/v1/rooms/direct", json!({"user_id": a.user_id}))
        .await
        .refused(400, "cannot_chat_with_self");
    a.post("/api/v1/rooms/direct", json!({"user_id": 999_999}))
        .await
        .refused(404, "user_not_found");
}

#[tokio::test]
async fn groups_respect_the_member_cap_on_create_and_invite() {
    let srv = TestServer::start_with(Limits {
        group_member_cap: 3,
        ..test_limits()
    })
    .await;
    let a = srv.user("ga").await;
    let (b, c, d) = (srv.user("gb").await, srv.user("gc").await, srv.user("gd").await);
    let too_many = json!({"title": "four", "member_ids": [b.user_id, c.user_id, d.user_id]});
    a.post("/api/v1/rooms/group", too_many)
        .await
        .refused(409, "room_full");
    let room = a.group("three", &[&b, &c]).await;
    a.post(
        &format!("/api/v1/rooms/{room}/members"),
        json!({"user_ids": [d.user_id]}),
    )
    .await
    .refused(409, "room_full");
    a.post("/api/v1/rooms/group", json!({"title": " ", "member_ids": []}))
        .await
        .refused(400, "invalid_title");
}

#[tokio::test]
async fn invite_and_leave_are_for_members_of_groups_only() {
    let srv = TestServer::start().await;
    let a = srv.user("ia").await;
    let b = srv.user("ib").await;
    let c = srv.user("ic").await;
    let room = a.group("friends", &[&b]).await;
    c.post(
        &format!("/api/v1/rooms/{room}/members"),
        json!({"user_ids": [c.user_id]}),
    )
    .await
    .refused(403, "not_member");
    let joined = b
        .post(
            &format!("/api/v1/rooms/{room}/members"),
            json!({"user_ids": [c.user_id]}),
        )
        .await
        .ok();
    assert_eq!(joined["member_count"], 3);
    // c sees history only from when they joined.
    let first = c.get(&format!("/api/v1/rooms/{room}/events?after=0")).await.ok();
    assert!(
        first["events"][0]["body"]["type"] == "joined" && first["events"][0]["body"]["user"] == c.user_id.0
    );
    assert_eq!(
        c.delete(&format!("/api/v1/rooms/{room}/members/me")).await.status,
        204
    );
    c.try_send(room, "gone", "hello").await.refused(403, "not_member");
    c.get(&format!("/api/v1/rooms/{room}/messages"))
        .await
        .refused(403, "not_member");
    let direct = a.direct(&b).await;
    a.delete(&format!("/api/v1/rooms/{direct}/members/me"))
        .await
        .refused(400, "not_a_group");
    a.post(
        &format!("/api/v1/rooms/{direct}/members"),
        json!({"user_ids": [c.user_id]}),
    )
    .await
    .refused(400, "not_a_group");
}

#[tokio::test]
async fn messages_are_checked_for_length_emptiness_and_membership() {
    let srv = TestServer::start_with(Limits {
        max_message_chars: 20,
        ..test_limits()
    })
    .await;
    let a = srv.user("ma").await;
    let b = srv.user("mb").await;
    let stranger = srv.user("mc").await;
    let room = a.direct(&b).await;
    a.try_send(room, "long", &"가".repeat(21))
        .await
        .refused(413, "too_large");
    a.send(room, "exact", &"가".repeat(20)).await;
    a.try_send(room, "empty", "   ")
        .await
        .refused(400, "empty_message");
    stranger
        .try_send(room, "x", "hi")
        .await
        .refused(403, "not_member");
    let path = format!("/api/v1/rooms/{room}/messages");
    a.post(&path, json!({"client_id": "", "text": "hi"}))
        .await
        .refused(400, "invalid_client_id");
    a.post(&path, json!({"client_id": "r1", "text": "hi", "reply_to": 999}))
        .await
        .refused(404, "message_not_found");
    let mention = json!({"client_id": "m1", "text": "hi @x", "mentions": [stranger.user_id]});
    a.post(&path, mention).await.refused(400, "mention_not_member");
    let ok = json!({"client_id": "m2", "text": "hi @b", "mentions": [b.user_id], "reply_to": 1});
    let m = a.post(&path, ok).await;
    // seq 1 is the room's `created` event, not a message.
    m.refused(404, "message_not_found");
}

#[tokio::test]
async fn replies_mentions_edits_and_deletes_for_everyone() {
    let srv = TestServer::start().await;
    let a = srv.user("ea").await;
    let b = srv.user("eb").await;
    let room = a.group("edits", &[&b]).await;
    let first = a.send(room, "e1", "original").await;
    let path = format!("/api/v1/rooms/{room}/messages");
    let reply = b
        .post(
            &path,
            json!({"client_id": "e2", "text": "replying", "reply_to": first, "mentions": [a.user_id]}),
        )
        .await
        .ok();
    assert_eq!(
        (reply["reply_to"].as_i64(), reply["mentions"][0].as_i64()),
        (Some(first.0), Some(a.user_id.0))
    );
    let edit = format!("{path}/{first}");
    b.patch(&edit, json!({"text": "hijack"}))
        .await
        .refused(403, "not_author");
    let edited = a.patch(&edit, json!({"text": "fixed typo"})).await.ok();
    assert_eq!(edited["text"], "fixed typo");
    assert!(edited["edited_at"].is_i64());
    b.delete(&edit).await.refused(403, "not_author");
    assert_eq!(a.delete(&edit).await.status, 204);
    a.delete(&edit).await.refused(404, "message_not_found");
    let all = b.all_messages(room).await;
    let gone = all.iter().find(|m| m["seq"] == first.0).unwrap();
    assert_eq!(
        (gone["deleted"].as_bool(), gone["text"].as_str()),
        (Some(true), Some(""))
    );
    // The catch-up feed no longer holds the text either.
    let events = b
        .get(&format!("/api/v1/rooms/{room}/events?after=0"))
        .await
        .ok()
        .to_string();
    assert!(
        !events.contains("original") && !events.contains("fixed typo"),
        "{events}"
    );
}

#[tokio::test]
async fn edit_and_delete_windows_are_a_day_and_close_as_the_clock_moves() {
    let srv = TestServer::start().await;
    let a = srv.user("wa").await;
    let b = srv.user("wb").await;
    let room = a.direct(&b).await;
    let first = a.send(room, "w1", "hello").await;
    let second = a.send(room, "w2", "typo").await;
    let path = |m| format!("/api/v1/rooms/{room}/messages/{m}");
    // A minute short of a day: both still allowed (KakaoTalk's 24 hours).
    srv.clock.advance(Duration::from_secs(24 * 3600 - 60));
    a.patch(&path(first), json!({"text": "still editable"}))
        .await
        .ok();
    assert_eq!(a.delete(&path(second)).await.status, 204);
    // Past the day: refused, and nothing changes.
    srv.clock.advance(Duration::from_secs(2 * 60));
    a.delete(&path(first)).await.refused(403, "delete_window_passed");
    a.patch(&path(first), json!({"text": "too late"}))
        .await
        .refused(403, "edit_window_passed");
    let page = b.get(&format!("/api/v1/rooms/{room}/messages")).await.ok();
    let texts: Vec<_> = page["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            (
                m["text"].as_str().unwrap_or_default().to_string(),
                m["deleted"].as_bool(),
            )
        })
        .collect();
    assert!(
        texts.contains(&("still editable".to_string(), Some(false))),
        "{texts:?}"
    );
    assert_eq!(
        texts.iter().filter(|(_, d)| *d == Some(true)).count(),
        1,
        "{texts:?}"
    );
}

#[tokio::test]
async fn reactions_are_counted_per_emoji() {
    let srv = TestServer::start().await;
    let a = srv.user("ra").await;
    let b = srv.user("rb").await;
    let c = srv.user("rc").await;
    let room = a.group("reacts", &[&b]).await;
    let m = a.send(room, "r1", "lunch?").await;
    let path = format!("/api/v1/rooms/{room}/messages/{m}/reactions");
    for who in [&a, &b] {
        assert_eq!(who.post(&path, json!({"emoji": "👍"})).await.status, 204);
    }
    assert_eq!(
        b.post(&path, json!({"emoji": "👍"})).await.status,
        204,
        "reacting twice is a no-op"
    );
    b.post(&path, json!({"emoji": "❤️"})).await.ok();
    a.post(&path, json!({"emoji": "lol"}))
        .await
        .refused(400, "invalid_emoji");
    c.post(&path, json!({"emoji": "👍"}))
        .await
        .refused(403, "not_member");
    let msgs = a.all_messages(room).await;
    let reactions = &msgs.last().unwrap()["reactions"];
    assert_eq!(reactions.as_array().unwrap().len(), 2);
    let thumbs = reactions
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["emoji"] == "👍")
        .unwrap();
    assert_eq!(
        (thumbs["count"].as_i64(), thumbs["me"].as_bool()),
        (Some(2), Some(true))
    );
    assert_eq!(b.delete(&format!("{path}/%E2%9D%A4%EF%B8%8F")).await.status, 204);
    b.delete(&format!("{path}/%E2%9D%A4%EF%B8%8F"))
        .await
        .refused(404, "reaction_not_found");
}

#[tokio::test]
async fn history_pages_back_by_seq_from_when_one_joined() {
    let srv = TestServer::start().await;
    let a = srv.user("ha").await;
    let b = srv.user("hb").await;
    let room = a.direct(&b).await;
    for i in 0..130 {
        a.send(room, &format!("h{i}"), &format!("message {i}")).await;
    }
    let page = b
        .get(&format!("/api/v1/rooms/{room}/messages?limit=50"))
        .await
        .ok();
    assert_eq!(page["messages"].as_array().unwrap().len(), 50);
    assert_eq!(page["messages"][0]["text"], "message 129");
    let all = b.all_messages(room).await;
    let texts: Vec<String> = all
        .iter()
        .map(|m| m["text"].as_str().unwrap().to_owned())
        .collect();
    let expected: Vec<String> = (0..130).map(|i| format!("message {i}")).collect();
    assert_eq!(texts, expected);
    let seqs: Vec<i64> = all.iter().map(|m| m["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1));
}

#[tokio::test]
async fn unread_counts_per_room_and_per_message_follow_read_cursors() {
    let srv = TestServer::start().await;
    let a = srv.user("ua").await;
    let b = srv.user("ub").await;
    let c = srv.user("uc").await;
    let room = a.group("unread", &[&b, &c]).await;
    let s1 = a.send(room, "u1", "one").await;
    let s2 = a.send(room, "u2", "two").await;
    let s3 = a.send(room, "u3", "three").await;
    assert_eq!(b.room(room).await["unread"], 3);
    assert_eq!(a.room(room).await["unread"], 0, "one's own messages are read");
    let counts = |msgs: Vec<serde_json::Value>| -> Vec<i64> {
        msgs.iter().map(|m| m["unread_count"].as_i64().unwrap()).collect()
    };
    assert_eq!(counts(a.all_messages(room).await), vec![2, 2, 2]);
    let read = format!("/api/v1/rooms/{room}/read");
    assert_eq!(b.post(&read, json!({"seq": s2})).await.status, 204);
    assert_eq!(b.room(room).await["unread"], 1);
    assert_eq!(counts(a.all_messages(room).await), vec![1, 1, 2]);
    // Cursors never move back, and a cursor past the end is clamped.
    b.post(&read, json!({"seq": s1})).await.ok();
    c.post(&read, json!({"seq": 1_000_000})).await.ok();
    assert_eq!(counts(a.all_messages(room).await), vec![0, 0, 1]);
    assert_eq!(c.room(room).await["read_seq"], s3.0);
    let list = b.get("/api/v1/rooms").await.ok();
    assert_eq!(list[0]["last_message"]["text"], "three");
    let _ = Seq::ZERO;
}

#[tokio::test]
async fn mute_and_pin_are_per_member_and_pinned_rooms_come_first() {
    let srv = TestServer::start().await;
    let a = srv.user("pa").await;
    let b = srv.user("pb").await;
    let c = srv.user("pc").await;
    let older = a.direct(&b).await;
    a.send(older, "p1", "old").await;
    srv.clock.advance(Duration::from_secs(1));
    let newer = a.direct(&c).await;
    a.send(newer, "p2", "new").await;
    let first = |list: serde_json::Value| RoomId(list[0]["id"].as_i64().unwrap());
    assert_eq!(first(a.get("/api/v1/rooms").await.ok()), newer);
    let set = a
        .patch(
            &format!("/api/v1/rooms/{older}/settings"),
            json!({"pinned": true, "muted": true}),
        )
        .await
        .ok();
    assert_eq!(
        (set["pinned"].as_bool(), set["muted"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(first(a.get("/api/v1/rooms").await.ok()), older);
    assert_eq!(b.room(older).await["muted"], false);
    c.patch(&format!("/api/v1/rooms/{older}/settings"), json!({"muted": true}))
        .await
        .refused(403, "not_member");
}

#[tokio::test]
async fn a_stranger_is_refused_by_every_room_use_case() {
    let srv = TestServer::start().await;
    let a = srv.user("sa").await;
    let b = srv.user("sb").await;
    let stranger = srv.user("sx").await;
    let room = a.group("private", &[&b]).await;
    let m = a.send(room, "s1", "members only").await;
    let base = format!("/api/v1/rooms/{room}");
    for r in [
        stranger.get(&base).await,
        stranger.get(&format!("{base}/members")).await,
        stranger.get(&format!("{base}/messages")).await,
        stranger.get(&format!("{base}/events?after=0")).await,
        stranger.post(&format!("{base}/read"), json!({"seq": m})).await,
        stranger.post(&format!("{base}/typing"), json!({})).await,
        stranger.delete(&format!("{base}/members/me")).await,
        stranger
            .patch(&format!("{base}/messages/{m}"), json!({"text": "x"}))
            .await,
        stranger.delete(&format!("{base}/messages/{m}")).await,
        stranger
            .post(&format!("{base}/messages/{m}/reactions"), json!({"emoji": "👍"}))
            .await,
    ] {
        r.refused(403, "not_member");
    }
    // Members see the room and its members.
    assert_eq!(
        b.get(&format!("{base}/members"))
            .await
            .ok()
            .as_array()
            .unwrap()
            .len(),
        2
    );
}
