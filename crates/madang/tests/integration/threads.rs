//! Comment threads in open chats through HTTP and the WebSocket: comments
//! under a message in their own order, kept out of the timeline and its
//! unread count, the count on the message live, each follower's unread;
//! the open chat's moderation holding for comments; each refusal storing
//! nothing.

use crate::openchat::screening::flagged;
use crate::openchat::{create, group as open_group, id as chat_id, join, me_in, room_of};
use madang_testkit::{Client, Reply, TestServer, Ws};
use madang_types::events::{EventBody, ServerFrame};
use madang_types::{RoomId, Seq};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

fn comments_path(room: RoomId, root: Seq) -> String {
    format!("/api/v1/rooms/{room}/messages/{root}/comments")
}

async fn try_comment(c: &Client, room: RoomId, root: Seq, client_id: &str, text: &str) -> Reply {
    c.post(
        &comments_path(room, root),
        json!({"client_id": client_id, "text": text}),
    )
    .await
}

async fn comment(c: &Client, room: RoomId, root: Seq, client_id: &str, text: &str) -> Value {
    try_comment(c, room, root, client_id, text).await.ok()
}

/// The thread under `root` as `who` sees it.
async fn thread(who: &Client, room: RoomId, root: Seq) -> Value {
    who.get(&comments_path(room, root)).await.ok()
}

/// The timeline message at `seq` as `who` sees it.
async fn in_timeline(who: &Client, room: RoomId, seq: Seq) -> Value {
    let all = who.all_messages(room).await;
    all.into_iter().find(|m| m["seq"] == seq.0).unwrap_or(Value::Null)
}

fn texts(page: &Value) -> Vec<String> {
    page["comments"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| m["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn connect(c: &Client) -> Ws {
    Ws::connect(&c.base, c.token.as_deref().unwrap_or_default(), &BTreeMap::new())
        .await
        .0
}

#[tokio::test]
async fn members_comment_under_a_message_in_their_own_order_and_followers_see_unread_live() {
    let srv = TestServer::start().await;
    let host = srv.user("th").await;
    let guest = srv.user("tg").await;
    let other = srv.user("to").await;
    let quiet = srv.user("tq").await;
    let chat = create(&host, open_group("스레드방")).await;
    let room = room_of(&chat);
    let guest_id = me_in(&join(&guest, chat_id(&chat), "손님").await);
    join(&other, chat_id(&chat), "다른이").await;
    join(&quiet, chat_id(&chat), "조용").await;
    let root = host.send(room, "r1", "이번 주말 어디로 갈까요?").await;
    let later = host.send(room, "r2", "의견 주세요").await;
    let mut host_ws = connect(&host).await;
    let host_phone = host.another_device().await;
    let mut phone_ws = connect(&host_phone).await;

    // A comment through HTTP: its own place in the thread, no receipts,
    // shown under the guest's nickname.
    let first = comment(&guest, room, root, "c1", "북한산 어때요").await;
    assert_eq!(
        (first["thread_root"].as_i64(), first["thread_seq"].as_i64()),
        (Some(root.0), Some(1))
    );
    assert_eq!(first["unread_count"], 0);
    assert_eq!(first["sender_id"], guest_id);
    assert!(
        first["seq"].as_i64() > Some(later.0),
        "it takes the room's next seq"
    );
    // It reaches the room live, marked as a comment.
    host_ws
        .until(WAIT, |f| {
            matches!(f, ServerFrame::Event { event } if matches!(&event.body,
                EventBody::Message { message } if message.thread_root == Some(root) && message.thread_seq == Some(Seq(1))))
        })
        .await;
    // A retry is the same comment; the count does not move.
    let again = comment(&guest, room, root, "c1", "북한산 어때요").await;
    assert_eq!(again["seq"], first["seq"]);

    // A comment over the socket, with the same rules and an ack.
    let mut other_ws = connect(&other).await;
    other_ws
        .send_json(json!({"type": "send", "room_id": room, "client_id": "c2", "text": "관악산도 좋아요", "thread_root": root}))
        .await;
    other_ws
        .until(
            WAIT,
            |f| matches!(f, ServerFrame::Ack { client_id, .. } if client_id.0 == "c2"),
        )
        .await;

    // Comments are not in the timeline; the message counts them, and its
    // author follows the thread with both unread.
    let timeline = host.all_messages(room).await;
    assert_eq!(timeline.len(), 2, "{timeline:?}");
    let summary = in_timeline(&host, room, root).await["thread"].clone();
    assert_eq!(
        summary,
        json!({"comments": 2, "following": true, "unread": 2, "read_seq": 0})
    );
    // Someone who never opened it sees the count, and nothing unread.
    assert_eq!(
        in_timeline(&quiet, room, root).await["thread"],
        json!({"comments": 2, "following": false, "unread": 0, "read_seq": 0})
    );
    assert!(in_timeline(&host, room, later).await["thread"].is_null());

    // The room's own unread count and last message ignore comments, and
    // commenting moved no one's room cursor.
    let guest_room = guest.room(room).await;
    assert_eq!(guest_room["unread"], 2, "{guest_room}");
    assert_eq!(guest_room["last_message"]["seq"], later.0);
    assert_eq!(host.room(room).await["unread"], 0);

    // The thread: newest first, in pages, with the root and its summary.
    let page = thread(&host, room, root).await;
    assert_eq!(texts(&page), ["관악산도 좋아요", "북한산 어때요"]);
    assert_eq!(page["root"]["seq"], root.0);
    assert_eq!(page["root"]["thread"]["comments"], 2);
    assert!(page["next_before"].is_null());
    let first_page = host
        .get(&format!("{}?limit=1", comments_path(room, root)))
        .await
        .ok();
    assert_eq!(texts(&first_page), ["관악산도 좋아요"]);
    let before = first_page["next_before"].as_i64().unwrap_or_default();
    let older = host
        .get(&format!("{}?limit=1&before={before}", comments_path(room, root)))
        .await
        .ok();
    assert_eq!(texts(&older), ["북한산 어때요"]);

    // Reading the thread on one device clears it on the other, live.
    let read = host
        .post(&format!("{}/read", comments_path(room, root)), json!({"seq": 2}))
        .await;
    assert_eq!(read.status, 204, "{}", read.body);
    phone_ws
        .until(
            WAIT,
            |f| matches!(f, ServerFrame::ThreadRead { room_id, root: r, thread_seq } if *room_id == room && *r == root && *thread_seq == Seq(2)),
        )
        .await;
    assert_eq!(
        in_timeline(&host_phone, room, root).await["thread"],
        json!({"comments": 2, "following": true, "unread": 0, "read_seq": 2})
    );

    // A commenter follows: the next comment by someone else is unread for
    // them, until they read over the socket.
    comment(&guest, room, root, "c3", "그럼 북한산으로!").await;
    let theirs = in_timeline(&other, room, root).await["thread"].clone();
    assert_eq!(
        (
            theirs["comments"].as_i64(),
            theirs["following"].as_bool(),
            theirs["unread"].as_i64()
        ),
        (Some(3), Some(true), Some(1))
    );
    other_ws
        .send_json(json!({"type": "thread_read", "room_id": room, "root": root, "thread_seq": 3}))
        .await;
    let mut cleared = false;
    for _ in 0..200 {
        if in_timeline(&other, room, root).await["thread"]["unread"] == 0 {
            cleared = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(cleared, "the socket's thread_read moved the cursor");
    // A cursor never passes the thread's end.
    other
        .post(&format!("{}/read", comments_path(room, root)), json!({"seq": 99}))
        .await;
    assert_eq!(in_timeline(&other, room, root).await["thread"]["read_seq"], 3);

    // A comment is edited, reacted to, found by search and deleted like
    // any message; a deleted one still counts, shown as deleted.
    let seq = first["seq"].as_i64().unwrap_or_default();
    let edited = guest
        .patch(
            &format!("/api/v1/rooms/{room}/messages/{seq}"),
            json!({"text": "북한산 백운대 어때요"}),
        )
        .await
        .ok();
    assert_eq!(edited["thread_root"], root.0);
    let r = host
        .post(
            &format!("/api/v1/rooms/{room}/messages/{seq}/reactions"),
            json!({"emoji": "👍"}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let found = quiet.get("/api/v1/search/messages?q=백운대").await.ok();
    assert_eq!(found["results"][0]["message"]["seq"], seq);
    assert_eq!(found["results"][0]["message"]["thread_root"], root.0);
    let gone = guest
        .delete(&format!("/api/v1/rooms/{room}/messages/{seq}"))
        .await;
    assert_eq!(gone.status, 204, "{}", gone.body);
    let page = thread(&quiet, room, root).await;
    assert_eq!(page["root"]["thread"]["comments"], 3);
    let deleted = page["comments"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["seq"] == seq)
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(
        (deleted["deleted"].as_bool(), deleted["text"].as_str()),
        (Some(true), Some(""))
    );
}

#[tokio::test]
async fn each_refusal_stores_nothing() {
    let srv = TestServer::start().await;
    let host = srv.user("rh").await;
    let member = srv.user("rm").await;
    let outsider = srv.user("ro").await;
    let late = srv.user("rl").await;
    let chat = create(&host, open_group("규칙방")).await;
    let room = room_of(&chat);
    join(&member, chat_id(&chat), "멤버").await;
    let early = host.send(room, "e1", "예전 이야기").await;
    join(&late, chat_id(&chat), "늦게온이").await;
    let root = host.send(room, "r1", "공지").await;
    let a_comment = comment(&member, room, root, "c1", "확인했어요").await;
    let comment_seq = Seq(a_comment["seq"].as_i64().unwrap_or_default());

    // Not in an open chat.
    let friends = host.group("친구들", &[&member]).await;
    let plain = host.send(friends, "g1", "안녕").await;
    try_comment(&member, friends, plain, "g-c", "hi")
        .await
        .refused(400, "threads_open_chat_only");
    // Not a member; not before I joined; not a message that is not there.
    try_comment(&outsider, room, root, "o-c", "hi")
        .await
        .refused(403, "not_member");
    outsider
        .get(&comments_path(room, root))
        .await
        .refused(403, "not_member");
    outsider
        .post(&format!("{}/read", comments_path(room, root)), json!({"seq": 1}))
        .await
        .refused(403, "not_member");
    try_comment(&late, room, early, "l-c", "hi")
        .await
        .refused(404, "message_not_found");
    late.get(&comments_path(room, early))
        .await
        .refused(404, "message_not_found");
    try_comment(&member, room, Seq(9_999), "x-c", "hi")
        .await
        .refused(404, "message_not_found");
    // Not under a comment, and no thread of a comment.
    try_comment(&member, room, comment_seq, "cc", "hi")
        .await
        .refused(400, "not_a_thread_root");
    member
        .get(&comments_path(room, comment_seq))
        .await
        .refused(400, "not_a_thread_root");
    // A body naming another root; an empty comment; a reply outside it; a
    // timeline reply quoting a comment.
    member
        .post(
            &comments_path(room, root),
            json!({"client_id": "mm", "text": "hi", "thread_root": early}),
        )
        .await
        .refused(400, "thread_root_mismatch");
    try_comment(&member, room, root, "empty", "  ")
        .await
        .refused(400, "empty_message");
    member
        .post(
            &comments_path(room, root),
            json!({"client_id": "rp", "text": "hi", "reply_to": early}),
        )
        .await
        .refused(404, "message_not_found");
    member
        .post(
            &format!("/api/v1/rooms/{room}/messages"),
            json!({"client_id": "tr", "text": "hi", "reply_to": comment_seq}),
        )
        .await
        .refused(404, "message_not_found");
    // Bad input is a clear 4xx.
    let bad = member
        .post(
            &comments_path(room, root),
            json!({"client_id": "b", "text": "hi", "thread_root": "x"}),
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    // A deleted message takes no more comments.
    let doomed = host.send(room, "d1", "곧 지울 글").await;
    let r = host
        .delete(&format!("/api/v1/rooms/{room}/messages/{doomed}"))
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    try_comment(&member, room, doomed, "d-c", "hi")
        .await
        .refused(404, "message_not_found");

    // Nothing of the above was stored: one comment under the root, none
    // anywhere else.
    let page = thread(&host, room, root).await;
    assert_eq!(texts(&page), ["확인했어요"]);
    assert_eq!(page["root"]["thread"]["comments"], 1);
    assert_eq!(thread(&host, room, doomed).await["comments"], json!([]));
    assert_eq!(host.all_messages(friends).await.len(), 1);
}

#[tokio::test]
async fn the_open_chats_moderation_holds_for_comments() {
    let srv = TestServer::start().await;
    let host = srv.user("mh").await;
    let member = srv.user("mm").await;
    let newcomer = srv.user("mn").await;
    let chat = create(&host, open_group("관리방")).await;
    let cid = chat_id(&chat);
    let room = room_of(&chat);
    let member_id = me_in(&join(&member, cid, "멤버").await);
    join(&newcomer, cid, "새내기").await;
    let root = host.send(room, "r1", "자유롭게 댓글 달아주세요").await;

    // Banned words, as in a message; the refusal names the word.
    let set = host
        .put(
            &format!("/api/v1/openchats/{cid}/banned-words"),
            json!({"words": ["광고"]}),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.body);
    let banned = try_comment(&member, room, root, "b1", "광고 보세요").await;
    banned.refused(400, "banned_word");
    assert_eq!(banned.body["error"]["word"], "광고");
    // Flooding: the same text a fourth time in a minute.
    for i in 0..3 {
        comment(&member, room, root, &format!("f{i}"), "ㅋㅋㅋ").await;
    }
    try_comment(&member, room, root, "f3", "ㅋㅋㅋ")
        .await
        .refused(429, "flooding");

    // The host hides a comment: hidden for everyone, and no longer news.
    let page = thread(&newcomer, room, root).await;
    let target = page["comments"][0]["seq"].as_i64().unwrap_or_default();
    let r = host
        .raw(
            reqwest::Method::PUT,
            &format!("/api/v1/rooms/{room}/messages/{target}/hidden"),
            None,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let seen = thread(&newcomer, room, root).await;
    assert_eq!(
        (
            seen["comments"][0]["hidden"].as_bool(),
            seen["comments"][0]["text"].as_str()
        ),
        (Some(true), Some(""))
    );
    assert_eq!(
        in_timeline(&host, room, root).await["thread"]["unread"],
        2,
        "the hidden comment is not unread"
    );
    // A hidden message takes no comments.
    let spam = member.send(room, "s1", "내 가게 오세요").await;
    let r = host
        .raw(
            reqwest::Method::PUT,
            &format!("/api/v1/rooms/{room}/messages/{spam}/hidden"),
            None,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    try_comment(&newcomer, room, spam, "h1", "어디요?")
        .await
        .refused(404, "message_not_found");

    // Screening: in a strict room a newcomer's link in a comment is held.
    let mode = host
        .put(
            &format!("/api/v1/openchats/{cid}/screening"),
            json!({"mode": "strict"}),
        )
        .await;
    assert_eq!(mode.status, 200, "{}", mode.body);
    let link = comment(&newcomer, room, root, "l1", "싸게 팔아요 https://deals.example/z").await;
    let held = flagged(&host, cid, 1).await;
    assert_eq!(held[0]["seq"], link["seq"]);
    let after = thread(&member, room, root).await;
    assert_eq!(after["comments"][0]["seq"], link["seq"]);
    assert_eq!(after["comments"][0]["hidden"], true);

    // Kicked with a ban: no more comments.
    let r = host
        .post(
            &format!("/api/v1/rooms/{room}/kicks"),
            json!({"member_id": member_id, "ban": true}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    try_comment(&member, room, root, "k1", "돌아왔어요")
        .await
        .refused(403, "not_member");
}
