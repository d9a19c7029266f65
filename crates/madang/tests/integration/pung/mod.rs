//! Pung: posting, the feed, viewing, reactions, polls, replies, tags,
//! photos, deletion, and each refusal. The audience matrix is in
//! `audience.rs`; expiry, the purge and restarts in `expiry.rs`.

mod audience;
pub(crate) mod expiry;

use madang_core::Limits;
use madang_testkit::{Client, TestServer, Ws, test_limits};
use madang_types::events::ServerFrame;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

pub(crate) const WAIT: Duration = Duration::from_secs(10);
pub(crate) const QUIET: Duration = Duration::from_millis(600);

pub(crate) fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 160]));
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// Uploads a Pung photo; returns its media id.
pub(crate) async fn upload(c: &Client) -> String {
    let up = c
        .raw(
            Method::POST,
            "/api/v1/pungs/uploads",
            Some((png(64, 48), "image/png")),
        )
        .await
        .ok();
    up["media_id"].as_str().unwrap().to_owned()
}

pub(crate) fn text_pung(client_id: &str, text: &str, audience: Value) -> Value {
    json!({"client_id": client_id, "text": text, "background": "#ff7a59", "audience": audience})
}

pub(crate) async fn post(c: &Client, body: Value) -> Value {
    let reply = c.post("/api/v1/pungs", body).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body
}

pub(crate) fn id(v: &Value) -> i64 {
    v["id"].as_i64().expect("pung id")
}

pub(crate) async fn socket(srv: &TestServer, c: &Client) -> Ws {
    Ws::connect(&srv.base, c.token.as_deref().unwrap(), &BTreeMap::new())
        .await
        .0
}

/// The Pung frames among `frames`, as `(kind, pung id)`.
pub(crate) fn pung_frames(frames: &[ServerFrame]) -> Vec<(&'static str, i64)> {
    frames
        .iter()
        .filter_map(|f| match f {
            ServerFrame::PungPosted { pung_id, .. } => Some(("posted", pung_id.0)),
            ServerFrame::PungRemoved { pung_id } => Some(("removed", pung_id.0)),
            ServerFrame::PungActivity { pung_id } => Some(("activity", pung_id.0)),
            ServerFrame::PungsChanged => Some(("changed", 0)),
            _ => None,
        })
        .collect()
}

fn decorated(client_id: &str) -> Value {
    json!({
        "client_id": client_id,
        "text": "한강 피크닉 🧺",
        "background": "#1E90FF",
        "audience": {"mode": "friends"},
        "layers": [
            {"type": "text", "text": "오늘 날씨 최고", "color": "#ffffff", "x": 0.5, "y": 0.2},
            {"type": "sticker", "emoji": "🌞", "x": 0.8, "y": 0.1, "scale": 1.5, "rotation": 15},
            {"type": "poll", "question": "다음엔 어디?", "options": ["뚝섬", "여의도"], "x": 0.5, "y": 0.7},
            {"type": "link", "url": "https://example.org/hangang", "label": "공원 안내", "x": 0.5, "y": 0.85},
            {"type": "location", "name": "여의도 한강공원", "lat": 37.5284, "lng": 126.9327, "x": 0.2, "y": 0.9}
        ]
    })
}

#[tokio::test]
async fn a_friend_views_reacts_votes_and_replies_and_the_author_sees_it_all() {
    let srv = TestServer::start().await;
    let a = srv.user("pa").await;
    let b = srv.user("pb").await;
    a.befriend(&b).await;
    let mut wb = socket(&srv, &b).await;
    let mut wa = socket(&srv, &a).await;
    let p = post(&a, decorated("p1")).await;
    let pid = id(&p);
    assert_eq!(p["kind"], "text");
    assert_eq!(p["background"], "#1e90ff");
    assert_eq!(
        p["expires_at"].as_i64().unwrap() - p["created_at"].as_i64().unwrap(),
        24 * 3_600_000
    );
    assert_eq!(p["layers"].as_array().unwrap().len(), 5);
    assert_eq!(
        (p["audience"].as_str(), p["shared_with"].clone()),
        (Some("friends"), json!([b.user_id]))
    );
    let frames = wb
        .until(WAIT, |f| matches!(f, ServerFrame::PungPosted { .. }))
        .await;
    assert_eq!(pung_frames(&frames), vec![("posted", pid)]);

    // The friend's ring shows one unseen Pung; results are hidden until they vote.
    let feed = b.get("/api/v1/pungs/feed").await.ok();
    let ring = &feed["friends"][0];
    assert_eq!(
        (ring["author"]["id"].as_i64(), ring["unseen"].as_i64()),
        (Some(a.user_id.0), Some(1))
    );
    let seen_by_b = &ring["pungs"][0];
    assert_eq!(
        (seen_by_b["seen"].as_bool(), seen_by_b["poll"]["votes"].clone()),
        (Some(false), Value::Null)
    );
    assert_eq!(
        seen_by_b["view_count"],
        Value::Null,
        "only the author sees counts"
    );
    assert_eq!(
        seen_by_b["shared_with"],
        Value::Null,
        "only the author sees the audience"
    );

    let path = format!("/api/v1/pungs/{pid}");
    assert_eq!(b.post(&format!("{path}/views"), json!({})).await.status, 204);
    wa.until(
        WAIT,
        |f| matches!(f, ServerFrame::PungActivity { pung_id } if pung_id.0 == pid),
    )
    .await;
    let feed = b.get("/api/v1/pungs/feed").await.ok();
    assert_eq!(feed["friends"][0]["unseen"], 0);
    assert_eq!(
        b.post(&format!("{path}/reactions"), json!({"emoji": "🔥"}))
            .await
            .status,
        204
    );
    let voted = b.post(&format!("{path}/votes"), json!({"option": 1})).await.ok();
    assert_eq!(
        (voted["poll"]["my_vote"].as_i64(), voted["poll"]["votes"].clone()),
        (Some(1), json!([0, 1]))
    );
    let revoted = b.post(&format!("{path}/votes"), json!({"option": 0})).await.ok();
    assert_eq!(revoted["poll"]["votes"], json!([1, 0]));
    assert_eq!(revoted["my_reactions"], json!(["🔥"]));

    let mine = a.get(&path).await.ok();
    assert_eq!(
        (mine["view_count"].as_i64(), mine["reaction_count"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        mine["poll"]["votes"],
        json!([1, 0]),
        "the author sees results without voting"
    );
    let viewers = a.get(&format!("{path}/viewers")).await.ok();
    assert_eq!(viewers[0]["profile"]["id"], b.user_id.0);
    assert_eq!(viewers[0]["reactions"], json!(["🔥"]));

    // A reply lands in the 1:1 chat, referring to the Pung without copying it.
    let m = b
        .post(
            &format!("{path}/replies"),
            json!({"client_id": "r1", "text": "나도 가고 싶다!"}),
        )
        .await
        .ok();
    assert_eq!(
        (m["kind"].as_str(), m["pung_id"].as_i64()),
        (Some("pung_reply"), Some(pid))
    );
    let room = a.direct(&b).await;
    let history = a.all_messages(room).await;
    let last = history.last().unwrap();
    assert_eq!(
        (last["text"].as_str(), last["kind"].as_str()),
        (Some("나도 가고 싶다!"), Some("pung_reply"))
    );
    assert!(
        !last.to_string().contains("한강 피크닉"),
        "the reply copies nothing of the Pung"
    );

    assert_eq!(b.delete(&format!("{path}/reactions/🔥")).await.status, 204);
    b.delete(&format!("{path}/reactions/🔥"))
        .await
        .refused(404, "reaction_not_found");
}

#[tokio::test]
async fn the_author_cannot_react_to_or_reply_to_their_own_pung_and_polls_are_checked() {
    let srv = TestServer::start().await;
    let a = srv.user("oa").await;
    let b = srv.user("ob").await;
    let stranger = srv.user("ox").await;
    a.befriend(&b).await;
    let with_poll = id(&post(&a, decorated("own1")).await);
    let plain = id(&post(&a, text_pung("own2", "no poll here", json!({"mode": "friends"}))).await);
    let path = format!("/api/v1/pungs/{with_poll}");
    a.post(&format!("{path}/reactions"), json!({"emoji": "👍"}))
        .await
        .refused(400, "own_pung");
    a.post(
        &format!("{path}/replies"),
        json!({"client_id": "x", "text": "me"}),
    )
    .await
    .refused(400, "own_pung");
    b.post(&format!("{path}/reactions"), json!({"emoji": "nice"}))
        .await
        .refused(400, "invalid_emoji");
    b.post(&format!("{path}/votes"), json!({"option": 2}))
        .await
        .refused(400, "invalid_option");
    b.post(&format!("{path}/votes"), json!({"option": -1}))
        .await
        .refused(400, "invalid_option");
    b.post(&format!("/api/v1/pungs/{plain}/votes"), json!({"option": 0}))
        .await
        .refused(400, "no_poll");
    b.post(
        &format!("{path}/replies"),
        json!({"client_id": "y", "text": "  "}),
    )
    .await
    .refused(400, "empty_message");
    b.get(&format!("{path}/viewers")).await.refused(403, "not_author");
    stranger
        .get(&format!("{path}/viewers"))
        .await
        .refused(404, "pung_not_found");
    b.delete(&path).await.refused(403, "not_author");
    stranger.delete(&path).await.refused(404, "pung_not_found");
    a.get("/api/v1/pungs/abc").await.refused(400, "invalid_path");
    a.get("/api/v1/pungs/999999").await.refused(404, "pung_not_found");
    a.get("/api/v1/users/999999/pungs")
        .await
        .refused(404, "user_not_found");
}

#[tokio::test]
async fn posting_is_checked_limited_and_idempotent() {
    let limits = Limits {
        pungs_per_hour: 4,
        ..test_limits()
    };
    let srv = TestServer::start_with(limits).await;
    let a = srv.user("ka").await;
    let b = srv.user("kb").await;
    let outsider = srv.user("kx").await;
    a.befriend(&b).await;
    let friends = json!({"mode": "friends"});
    let refusals: Vec<(Value, u16, &str)> = vec![
        (json!({"client_id": "e1", "audience": friends}), 400, "empty_pung"),
        (
            json!({"client_id": "e2", "text": "x", "audience": friends, "duration_hours": 72}),
            400,
            "invalid_duration",
        ),
        (
            json!({"client_id": "e3", "text": "x", "audience": friends, "background": "blue"}),
            400,
            "invalid_background",
        ),
        (
            json!({"client_id": "e4", "text": "x".repeat(501), "audience": friends}),
            400,
            "invalid_pung_text",
        ),
        (
            json!({"client_id": "e5", "text": "x", "audience": friends,
                   "layers": [{"type": "link", "url": "javascript:alert(1)", "x": 0.5, "y": 0.5}]}),
            400,
            "invalid_layer",
        ),
        (
            json!({"client_id": "e6", "text": "x", "audience": friends,
                   "layers": vec![json!({"type": "sticker", "emoji": "⭐", "x": 0.5, "y": 0.5}); 21]}),
            400,
            "too_many_layers",
        ),
        (
            json!({"client_id": "e7", "text": "x", "audience": {"mode": "chosen", "user_ids": [outsider.user_id]}}),
            400,
            "not_a_friend",
        ),
        (
            json!({"client_id": "e8", "text": "x", "audience": {"mode": "friends", "user_ids": [b.user_id]}}),
            400,
            "invalid_audience",
        ),
        (
            json!({"client_id": "e9", "text": "x", "audience": {"mode": "chosen", "user_ids": [b.user_id]},
                   "tags": [outsider.user_id]}),
            400,
            "tag_not_in_audience",
        ),
        (
            json!({"client_id": "e10", "text": "x", "audience": friends, "tags": (1..=11).collect::<Vec<i64>>()}),
            400,
            "too_many_tags",
        ),
        (
            json!({"client_id": "", "text": "x", "audience": friends}),
            400,
            "invalid_client_id",
        ),
        (
            json!({"client_id": "e11", "text": "x", "audience": {"mode": "everyone"}}),
            400,
            "invalid_body",
        ),
        (
            json!({"client_id": "e12", "text": "x", "audience": friends, "colour": "#fff"}),
            400,
            "invalid_body",
        ),
    ];
    for (body, status, code) in refusals {
        a.post("/api/v1/pungs", body).await.refused(status, code);
    }
    // Nothing refused was stored.
    assert_eq!(a.get("/api/v1/pungs/feed").await.ok()["mine"], json!([]));

    // A retry returns the same Pung; only one exists.
    let first = post(&a, text_pung("same", "once", friends.clone())).await;
    let again = post(&a, text_pung("same", "once", friends.clone())).await;
    assert_eq!(id(&first), id(&again));
    assert_eq!(
        a.get("/api/v1/pungs/feed").await.ok()["mine"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // The hourly limit (4): the retry above did not count.
    for i in 0..3 {
        post(&a, text_pung(&format!("n{i}"), "more", friends.clone())).await;
    }
    let over = a
        .post("/api/v1/pungs", text_pung("n9", "too many", friends.clone()))
        .await;
    over.refused(429, "rate_limited");
    assert!(over.headers.contains_key("retry-after"));
    srv.clock.advance(Duration::from_secs(3_600));
    post(&a, text_pung("n10", "an hour later", friends)).await;
}

#[tokio::test]
async fn a_photo_is_readable_only_by_the_audience_and_never_cached() {
    let srv = TestServer::start().await;
    let a = srv.user("fa").await;
    let b = srv.user("fb").await;
    let stranger = srv.user("fx").await;
    a.befriend(&b).await;
    let media = upload(&a).await;
    let url = format!("/api/v1/media/{media}");
    // Before posting: only the uploader.
    assert_eq!(a.get(&url).await.status, 200);
    b.get(&url).await.refused(404, "media_not_found");
    // Another person's upload, a chat attachment and a non-image are refused.
    b.post(
        "/api/v1/pungs",
        json!({"client_id": "s1", "photo": media, "audience": {"mode": "friends"}}),
    )
    .await
    .refused(404, "media_not_found");
    let attachment = a
        .raw(
            Method::POST,
            "/api/v1/media?name=x.png",
            Some((png(8, 8), "image/png")),
        )
        .await
        .ok();
    a.post(
        "/api/v1/pungs",
        json!({"client_id": "s2", "photo": attachment["media_id"], "audience": {"mode": "friends"}}),
    )
    .await
    .refused(404, "media_not_found");
    a.raw(
        Method::POST,
        "/api/v1/pungs/uploads",
        Some((b"%PDF-1.4".to_vec(), "application/pdf")),
    )
    .await
    .refused(415, "unsupported_media");
    a.raw(
        Method::POST,
        "/api/v1/pungs/uploads",
        Some((Vec::new(), "image/png")),
    )
    .await
    .refused(400, "empty_upload");
    a.post(
        "/api/v1/pungs",
        json!({"client_id": "s3", "photo": media, "background": "#000000", "audience": {"mode": "friends"}}),
    )
    .await
    .refused(400, "invalid_background");

    let p = post(
        &a,
        json!({"client_id": "s4", "photo": media, "text": "노을 🌇", "audience": {"mode": "friends"}}),
    )
    .await;
    assert_eq!(
        (p["kind"].as_str(), p["photo"]["width"].as_i64()),
        (Some("photo"), Some(64))
    );
    let thumb = p["photo"]["thumbnail"].as_str().unwrap().to_owned();
    for path in [url.clone(), format!("/api/v1/media/{thumb}")] {
        let got = b.get(&path).await;
        assert_eq!(got.status, 200, "{path}");
        assert_eq!(got.headers["cache-control"], "no-store");
        stranger.get(&path).await.refused(404, "media_not_found");
    }
    // One photo, one Pung; and it cannot be sent on as a chat attachment.
    a.post(
        "/api/v1/pungs",
        json!({"client_id": "s5", "photo": media, "audience": {"mode": "friends"}}),
    )
    .await
    .refused(404, "media_not_found");
    let room = a.direct(&b).await;
    a.post(
        &format!("/api/v1/rooms/{room}/messages"),
        json!({"client_id": "m1", "attachment": media}),
    )
    .await
    .refused(404, "media_not_found");
}

#[tokio::test]
async fn tagged_friends_get_a_message_about_it() {
    let srv = TestServer::start().await;
    let a = srv.user("ta").await;
    let b = srv.user("tb").await;
    let c = srv.user("tc").await;
    a.befriend(&b).await;
    a.befriend(&c).await;
    let body = json!({"client_id": "t1", "text": "with 🐶", "audience": {"mode": "friends"},
                      "tags": [b.user_id, b.user_id]});
    let p = post(&a, body.clone()).await;
    assert_eq!(p["tags"][0]["id"], b.user_id.0);
    assert_eq!(p["tags"].as_array().unwrap().len(), 1);
    let room = b.direct(&a).await;
    let messages = b.all_messages(room).await;
    let tag = messages
        .iter()
        .find(|m| m["kind"] == "pung_tag")
        .expect("a tag message");
    assert_eq!(
        (tag["pung_id"].as_i64(), tag["sender_id"].as_i64()),
        (Some(id(&p)), Some(a.user_id.0))
    );
    // A retry sends no second message.
    post(&a, body).await;
    let tags = b
        .all_messages(room)
        .await
        .iter()
        .filter(|m| m["kind"] == "pung_tag")
        .count();
    assert_eq!(tags, 1);
    // c was not tagged: no room, or no tag message in it.
    let c_room = c.direct(&a).await;
    assert!(
        c.all_messages(c_room)
            .await
            .iter()
            .all(|m| m["kind"] != "pung_tag")
    );
}

#[tokio::test]
async fn deleting_purges_at_once_and_tells_the_audience() {
    let srv = TestServer::start().await;
    let a = srv.user("da").await;
    let b = srv.user("db").await;
    a.befriend(&b).await;
    let media = upload(&a).await;
    let p = post(
        &a,
        json!({"client_id": "d1", "photo": media, "audience": {"mode": "friends"}, "tags": [b.user_id]}),
    )
    .await;
    let pid = id(&p);
    let path = format!("/api/v1/pungs/{pid}");
    b.post(&format!("{path}/views"), json!({})).await.ok();
    b.post(&format!("{path}/reactions"), json!({"emoji": "💯"}))
        .await
        .ok();
    b.post(
        &format!("{path}/replies"),
        json!({"client_id": "dr", "text": "와"}),
    )
    .await
    .ok();
    let mut wb = socket(&srv, &b).await;
    assert_eq!(a.delete(&path).await.status, 204);
    let frames = wb
        .until(WAIT, |f| matches!(f, ServerFrame::PungRemoved { .. }))
        .await;
    assert_eq!(pung_frames(&frames), vec![("removed", pid)]);
    for c in [&a, &b] {
        c.get(&path).await.refused(404, "pung_not_found");
        c.get(&format!("/api/v1/media/{media}"))
            .await
            .refused(404, "media_not_found");
    }
    a.delete(&path).await.refused(404, "pung_not_found");
    for table in [
        "pungs",
        "pung_audience",
        "pung_tags",
        "pung_views",
        "pung_reactions",
        "blob_trash",
    ] {
        assert_eq!(
            srv.db.scalar(&format!("SELECT COUNT(*) FROM {table}")).await,
            0,
            "{table}"
        );
    }
    assert_eq!(srv.db.scalar("SELECT COUNT(*) FROM media").await, 0);
    assert_eq!(
        std::fs::read_dir(srv.media_dir()).unwrap().count(),
        0,
        "no file left"
    );
    // The tag and the reply stay as messages, no longer pointing anywhere.
    let room = a.direct(&b).await;
    let messages = a.all_messages(room).await;
    assert_eq!(messages.len(), 2);
    assert!(messages.iter().all(|m| m["pung_id"].is_null()));
}
