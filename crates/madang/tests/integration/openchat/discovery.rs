//! Finding open chats: Korean and English search (no-space Korean, partial
//! words, hashtags), categories, trending and keywords, interests and
//! recommendations with their reasons.

use super::{create, group, id, join, room_of};
use madang_core::Limits;
use madang_testkit::{Client, TestServer, test_limits};
use serde_json::{Value, json};
use std::time::Duration;

fn chat(title: &str, tags: &[&str], category: &str, description: &str) -> Value {
    let mut b = group(title);
    b["hashtags"] = json!(tags);
    b["category"] = json!(category);
    b["description"] = json!(description);
    b
}

async fn titles(c: &Client, path: &str) -> Vec<String> {
    let body = c.get(path).await.ok();
    let list = body.get("open_chats").cloned().unwrap_or(body);
    list.as_array()
        .unwrap()
        .iter()
        .map(|x| x["title"].as_str().unwrap().to_owned())
        .collect()
}

fn q(s: &str) -> String {
    format!("/api/v1/openchats/search?q={}", urlencode(s))
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn search_finds_korean_without_spaces_partial_english_words_and_hashtags() {
    let srv = TestServer::start().await;
    let h = srv.user("dsh").await;
    let u = srv.user("dsu").await;
    create(
        &h,
        chat("서울맛집탐방", &["맛집", "서울"], "food", "주말마다 새로운 식당"),
    )
    .await;
    create(
        &h,
        chat("부산 맛집 지도", &["부산"], "food", "돼지국밥부터 밀면까지"),
    )
    .await;
    create(
        &h,
        chat("Seoul Hiking Club", &["hiking"], "outdoors", "Weekend trails"),
    )
    .await;
    create(&h, chat("북한산 모임", &["등산"], "outdoors", "토요일 아침")).await;
    create(&h, chat("Book lovers", &["books"], "books", "one novel a month")).await;
    let mut secret = chat("비밀 맛집", &["맛집"], "food", "");
    secret["visibility"] = json!("link");
    create(&h, secret).await;
    let closed = create(&h, chat("닫힌 맛집", &["맛집"], "food", "")).await;
    assert_eq!(
        h.delete(&format!("/api/v1/openchats/{}", id(&closed)))
            .await
            .status,
        204
    );

    let mut food = titles(&u, &q("맛집")).await;
    food.sort();
    assert_eq!(
        food,
        ["부산 맛집 지도", "서울맛집탐방"],
        "no link-only or closed chat"
    );
    assert_eq!(titles(&u, &q("서울맛집")).await, ["서울맛집탐방"]);
    assert_eq!(titles(&u, &q("맛집탐방")).await, ["서울맛집탐방"]);
    assert_eq!(
        titles(&u, &q("부산맛집")).await,
        ["부산 맛집 지도"],
        "a query without the title's spaces"
    );
    assert_eq!(
        titles(&u, &q("hik")).await,
        ["Seoul Hiking Club"],
        "a partial word"
    );
    assert_eq!(titles(&u, &q("SEOUL")).await, ["Seoul Hiking Club"]);
    assert_eq!(titles(&u, &q("#등산")).await, ["북한산 모임"], "a hashtag");
    assert_eq!(titles(&u, &q("novel")).await, ["Book lovers"], "the description");
    assert_eq!(
        titles(&u, &format!("{}&category=outdoors", q("서울")))
            .await
            .len(),
        0,
        "서울 is in food only"
    );
    assert!(titles(&u, &q("zzzz")).await.is_empty());
    // One result per page, then the next.
    let first = u.get(&format!("{}&limit=1", q("맛집"))).await.ok();
    assert_eq!(first["open_chats"].as_array().unwrap().len(), 1);
    let next = first["next_offset"].as_i64().unwrap();
    let second = u.get(&format!("{}&limit=1&offset={next}", q("맛집"))).await.ok();
    assert_ne!(first["open_chats"][0]["id"], second["open_chats"][0]["id"]);
    assert_eq!(second["next_offset"], Value::Null);
    // Bad input.
    u.get(&q("   ")).await.refused(400, "invalid_query");
    u.get(&q(&"가".repeat(101))).await.refused(400, "invalid_query");
    u.get(&format!("{}&category=nope", q("맛집")))
        .await
        .refused(400, "invalid_category");
    u.get("/api/v1/openchats/search")
        .await
        .refused(400, "invalid_query");
    u.get(&format!("{}&offset=5000", q("맛집")))
        .await
        .refused(400, "invalid_offset");
    // The host's own chats are marked joined.
    let own = h.get(&q("맛집")).await.ok();
    assert!(
        own["open_chats"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["joined"] == true)
    );
}

#[tokio::test]
async fn categories_trending_keywords_interests_and_recommendations() {
    let srv = TestServer::start().await;
    let h = srv.user("drh").await;
    let a = srv.user("dra").await;
    let b = srv.user("drb").await;
    let c = srv.user("drc").await;
    let seoul = create(&h, chat("서울 맛집", &["맛집"], "food", "")).await;
    let busan = create(&h, chat("부산 맛집", &["부산"], "food", "")).await;
    let hike = create(&h, chat("북한산 등산", &["등산"], "outdoors", "")).await;
    let camp = create(&h, chat("캠핑 모임", &["캠핑"], "outdoors", "")).await;
    let mut tiny = chat("작은 방", &["등산"], "outdoors", "");
    tiny["member_cap"] = json!(2);
    let tiny = create(&h, tiny).await;
    // a and b are in both hiking and camping; c only in hiking.
    for (who, n) in [(&a, "a"), (&b, "b")] {
        join(who, id(&hike), n).await;
        join(who, id(&camp), n).await;
    }
    join(&c, id(&hike), "c").await;
    join(&a, id(&busan), "a").await;
    join(&b, id(&tiny), "b").await;
    // Busan is busy today.
    for i in 0..5 {
        a.send(
            room_of(&join(&a, id(&busan), "a").await),
            &format!("t{i}"),
            &format!("오늘 점심 어디? {i}"),
        )
        .await;
    }
    srv.node().core.refresh_discovery().await.unwrap();

    let food = titles(&c, "/api/v1/openchats/browse?category=food").await;
    assert_eq!(food, ["부산 맛집", "서울 맛집"], "busiest first");
    c.get("/api/v1/openchats/browse?category=nope")
        .await
        .refused(400, "invalid_category");
    assert_eq!(titles(&c, "/api/v1/openchats/trending").await[0], "부산 맛집");
    let keywords = c.get("/api/v1/openchats/keywords").await.ok();
    assert_eq!(keywords["keywords"][0], "부산");

    // c is in the hiking room, where a and b also joined camping.
    let recs = c.get("/api/v1/openchats/recommended").await.ok();
    let first = &recs[0];
    assert_eq!(first["title"], "캠핑 모임");
    assert_eq!(
        first["reason"],
        json!({"type": "similar_to", "open_chat_id": hike["id"], "title": "북한산 등산"})
    );
    let all: Vec<&str> = recs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["title"].as_str().unwrap())
        .collect();
    assert!(!all.contains(&"북한산 등산"), "never one they are in");
    assert!(!all.contains(&"작은 방"), "never a full one");

    // Following a topic.
    c.raw(
        reqwest::Method::PUT,
        "/api/v1/me/interests",
        Some((
            json!({"tags": ["#맛집", "맛집", "food"]})
                .to_string()
                .into_bytes(),
            "application/json",
        )),
    )
    .await
    .ok();
    assert_eq!(
        c.get("/api/v1/me/interests").await.ok()["tags"],
        json!(["food", "맛집"])
    );
    let recs = c.get("/api/v1/openchats/recommended").await.ok();
    let seoul_rec = recs
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == seoul["id"])
        .expect("the followed topic's room");
    assert_eq!(seoul_rec["reason"]["type"], "interest");
    for bad in [
        json!({"tags": ["two words"]}),
        json!({"tags": (0..21).map(|i| format!("t{i}")).collect::<Vec<_>>()}),
    ] {
        let r = c
            .raw(
                reqwest::Method::PUT,
                "/api/v1/me/interests",
                Some((bad.to_string().into_bytes(), "application/json")),
            )
            .await;
        assert_eq!(r.status, 400, "{}", r.body);
    }
    // Banned from a room: never recommended again.
    let ban_room = room_of(&join(&c, id(&camp), "c").await);
    let members = h
        .get(&format!("/api/v1/rooms/{ban_room}/open-members"))
        .await
        .ok();
    let c_member = members["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["nickname"] == "c")
        .unwrap()["id"]
        .clone();
    h.post(
        &format!("/api/v1/rooms/{ban_room}/kicks"),
        json!({"member_id": c_member, "ban": true}),
    )
    .await
    .ok();
    srv.node().core.refresh_discovery().await.unwrap();
    let recs = titles(&c, "/api/v1/openchats/recommended").await;
    assert!(!recs.contains(&"캠핑 모임".to_owned()), "{recs:?}");
}

#[tokio::test]
async fn the_discovery_job_refreshes_by_itself() {
    let limits = Limits {
        discovery_refresh_secs: 1,
        ..test_limits()
    };
    let srv = TestServer::start_with(limits).await;
    let h = srv.user("djh").await;
    let busy = create(&h, chat("바쁜 방", &["수다"], "friends", "")).await;
    h.send(room_of(&busy), "x", "hello").await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while titles(&h, "/api/v1/openchats/trending").await.is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "the job never refreshed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
