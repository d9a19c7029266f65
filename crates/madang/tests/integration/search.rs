//! Message search through the API: Korean without spaces and English
//! prefixes, newest first with the room and a marked snippet, one room or
//! all of mine, pages; only my rooms and from when I joined; edits found
//! as edited, deleted and hidden messages never; each refusal.

use crate::openchat::{create, group, id, join, room_of};
use crate::pung::expiry::on_disk;
use madang_testkit::{Client, TestServer};
use madang_types::RoomId;
use serde_json::{Value, json};

/// Percent-encoded for a query string.
fn q(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn search(c: &Client, query: &str, extra: &str) -> Value {
    c.get(&format!("/api/v1/search/messages?q={}{extra}", q(query)))
        .await
        .ok()
}

/// The texts of the results, in order.
fn texts(page: &Value) -> Vec<String> {
    page["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["message"]["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// The marked parts of the first result's snippet.
fn marked(page: &Value) -> Vec<String> {
    page["results"][0]["snippet"]
        .as_array()
        .expect("snippet")
        .iter()
        .filter(|p| p["hit"] == true)
        .map(|p| p["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn korean_without_spaces_and_english_prefixes_newest_first_in_my_rooms_only() {
    let srv = TestServer::start().await;
    let (a, b, c) = (srv.user("sa").await, srv.user("sb").await, srv.user("sc").await);
    let hikers = a.group("산악회", &[&b]).await;
    let direct = a.direct(&c).await;
    let others = b.group("비밀", &[&c]).await;
    b.send(hikers, "h1", "이번 주 등산 모임 어때요").await;
    a.send(hikers, "h2", "서울맛집탐방 어디가 좋을까").await;
    c.send(direct, "d1", "Seoul hiking trip next week").await;
    b.send(others, "o1", "등산 모임 몰래 해요").await;
    a.send(hikers, "h3", "맛집 말고 등산 먼저").await;

    let found = search(&a, "등산모임", "").await;
    assert_eq!(texts(&found), ["이번 주 등산 모임 어때요"]);
    assert_eq!(marked(&found), ["등산 모임"]);
    assert_eq!(found["results"][0]["room_id"], hikers.0);
    assert_eq!(found["results"][0]["room_title"], "산악회");
    // Newest first.
    assert_eq!(
        texts(&search(&a, "맛집", "").await),
        ["맛집 말고 등산 먼저", "서울맛집탐방 어디가 좋을까"]
    );
    let seo = search(&a, "seo", "").await;
    assert_eq!(texts(&seo), ["Seoul hiking trip next week"]);
    assert_eq!(marked(&seo), ["Seo"]);
    assert_eq!(seo["results"][0]["room_id"], direct.0);
    assert_eq!(texts(&search(&a, "HIKING Trip", "").await).len(), 1);
    // One room.
    assert!(texts(&search(&a, "seo", &format!("&room={hikers}")).await).is_empty());
    assert_eq!(
        texts(&search(&a, "등산", &format!("&room={hikers}")).await).len(),
        2
    );
    // The room Ana is not in is never searched, and a one-syllable query
    // matches the syllable.
    assert_eq!(texts(&search(&c, "몰래", "").await), ["등산 모임 몰래 해요"]);
    assert!(texts(&search(&a, "몰래", "").await).is_empty());
    assert_eq!(texts(&search(&a, "좋", "").await).len(), 1);

    // Pages.
    let first = search(&a, "등산", "&limit=1").await;
    assert_eq!(texts(&first), ["맛집 말고 등산 먼저"]);
    let before = first["next_before"].as_i64().expect("a next page");
    let second = search(&a, "등산", &format!("&limit=1&before={before}")).await;
    assert_eq!(texts(&second), ["이번 주 등산 모임 어때요"]);
    assert!(search(&a, "등산", &format!("&limit=5&before={before}")).await["next_before"].is_null());
}

#[tokio::test]
async fn edits_are_found_as_edited_deleted_messages_never_and_history_from_joining() {
    let srv = TestServer::start().await;
    let (a, b, d) = (srv.user("ea").await, srv.user("eb").await, srv.user("ed").await);
    let room = a.group("여행", &[&b]).await;
    let seq = a.send(room, "e1", "제주도 맛집 리스트").await;
    let gone = a.send(room, "e2", "비밀번호는 1234").await;
    a.patch(
        &format!("/api/v1/rooms/{room}/messages/{seq}"),
        json!({"text": "부산 여행 일정"}),
    )
    .await
    .ok();
    assert!(texts(&search(&b, "제주도", "").await).is_empty());
    assert_eq!(texts(&search(&b, "부산여행", "").await), ["부산 여행 일정"]);
    assert!(search(&b, "부산", "").await["results"][0]["message"]["edited_at"].is_i64());
    assert_eq!(
        a.delete(&format!("/api/v1/rooms/{room}/messages/{gone}"))
            .await
            .status,
        204
    );
    assert!(texts(&search(&b, "1234", "").await).is_empty());
    assert!(texts(&search(&b, "비밀번호", "").await).is_empty());

    // Dana joins later: what was said before she came is not hers to find.
    a.post(
        &format!("/api/v1/rooms/{room}/members"),
        json!({"user_ids": [d.user_id]}),
    )
    .await
    .ok();
    a.send(room, "e3", "부산 숙소 예약했어요").await;
    assert_eq!(texts(&search(&d, "부산", "").await), ["부산 숙소 예약했어요"]);
    assert_eq!(texts(&search(&b, "부산", "").await).len(), 2);
}

#[tokio::test]
async fn an_open_chat_hides_what_the_host_hid_and_shows_nicknames() {
    let srv = TestServer::start().await;
    let (h, m) = (srv.user("oh").await, srv.user("om").await);
    let chat = create(&h, group("등산 동호회")).await;
    let room: RoomId = room_of(&chat);
    let early = h.send(room, "x0", "오늘 등산 코스 공지").await;
    join(&m, id(&chat), "산토끼").await;
    let spam = m.send(room, "x1", "등산화 싸게 팔아요").await;
    h.send(room, "x2", "주말 등산 같이 가요").await;
    let _ = early;
    // The member joined after the notice: two of the three are theirs.
    let page = search(&m, "등산", "").await;
    assert_eq!(texts(&page), ["주말 등산 같이 가요", "등산화 싸게 팔아요"]);
    // Shown under the room's names, never the account's.
    let host_name = &page["results"][0]["message"]["sender_id"];
    assert_ne!(host_name, &json!(h.user_id));
    h.raw(
        reqwest::Method::PUT,
        &format!("/api/v1/rooms/{room}/messages/{spam}/hidden"),
        None,
    )
    .await
    .ok();
    assert_eq!(texts(&search(&m, "등산", "").await), ["주말 등산 같이 가요"]);
    assert_eq!(texts(&search(&h, "등산", "").await).len(), 2);
}

#[tokio::test]
async fn refusals() {
    let srv = TestServer::start().await;
    let (a, b) = (srv.user("ra").await, srv.user("rb").await);
    let theirs = b.group("theirs", &[]).await;
    a.get("/api/v1/search/messages?q=%20%3F%21")
        .await
        .refused(400, "search_query_empty");
    a.get("/api/v1/search/messages?q=")
        .await
        .refused(400, "search_query_empty");
    a.get(&format!("/api/v1/search/messages?q={}", "가".repeat(101)))
        .await
        .refused(400, "search_query_too_long");
    let words: Vec<String> = (0..30).map(|i| format!("w{i}")).collect();
    a.get(&format!("/api/v1/search/messages?q={}", q(&words.join(" "))))
        .await
        .refused(400, "search_query_too_long");
    a.get(&format!("/api/v1/search/messages?q=x&room={theirs}"))
        .await
        .refused(403, "not_member");
    assert_eq!(a.get("/api/v1/search/messages").await.status, 400);
    assert_eq!(a.get("/api/v1/search/messages?q=x&room=abc").await.status, 400);
    assert_eq!(a.get("/api/v1/search/messages?q=x&sort=old").await.status, 400);
    assert_eq!(
        srv.anonymous().get("/api/v1/search/messages?q=x").await.status,
        401
    );
    // Quotes and operators are words to find, not query syntax.
    for odd in [
        "\"",
        "a\" OR \"b",
        "'x' | 'y'",
        "NEAR(a b)",
        "*",
        "body : x",
        "#12",
    ] {
        let r = a.get(&format!("/api/v1/search/messages?q={}", q(odd))).await;
        assert!(
            r.status == 200 || r.code() == "search_query_empty",
            "{odd}: {r:?}"
        );
    }
}

#[tokio::test]
async fn messages_written_before_the_index_are_indexed_at_the_next_start() {
    let mut srv = TestServer::start().await;
    let (a, b) = (srv.user("ba").await, srv.user("bb").await);
    let room = a.group("예전 방", &[&b]).await;
    a.send(room, "b1", "옛날 등산 사진").await;
    b.send(room, "b2", "older hiking 사진").await;
    srv.stop().await;
    // As a database from before the upgrade: no index, no backfill mark.
    match srv.db.sqlite_file() {
        Some(_) => {
            srv.db
                .execute("INSERT INTO message_search (message_search) VALUES ('delete-all')")
                .await;
            srv.db.execute("DELETE FROM message_search_rows").await;
        }
        None => srv.db.execute("DELETE FROM message_search").await,
    }
    srv.db.execute("DELETE FROM search_backfill").await;
    srv.start_again().await;
    let a = a.at(&srv.base);
    assert_eq!(texts(&search(&a, "등산", "").await), ["옛날 등산 사진"]);
    assert_eq!(texts(&search(&a, "hik", "").await), ["older hiking 사진"]);
    // Oldest first, so the order is the order they were written.
    assert_eq!(
        texts(&search(&a, "사진", "").await),
        ["older hiking 사진", "옛날 등산 사진"]
    );
    assert_eq!(srv.db.scalar("SELECT COUNT(*) FROM search_backfill").await, 1);
}

#[tokio::test]
async fn a_deleted_message_leaves_no_tokens_in_the_index() {
    let srv = TestServer::start().await;
    let (a, b) = (srv.user("da").await, srv.user("db").await);
    let room = a.group("기록", &[&b]).await;
    let marker = "qjxzvmarkerword";
    let seq = a.send(room, "d1", &format!("my {marker} here")).await;
    assert_eq!(texts(&search(&b, marker, "").await).len(), 1);
    assert_eq!(
        a.delete(&format!("/api/v1/rooms/{room}/messages/{seq}"))
            .await
            .status,
        204
    );
    assert!(texts(&search(&b, marker, "").await).is_empty());
    assert!(texts(&search(&b, "qjxzv", "").await).is_empty());
    match srv.db.sqlite_file() {
        Some(file) => {
            srv.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").await;
            assert!(
                !on_disk(&file, marker),
                "the word is gone from the database files"
            );
        }
        None => {
            let left = srv
                .db
                .scalar(&format!(
                    "SELECT COUNT(*) FROM message_search WHERE doc @@ '{marker}'::tsquery"
                ))
                .await;
            assert_eq!(left, 0);
        }
    }
}
