//! Friends, contact matching, favourites, hiding, birthdays, blocking.

use madang_testkit::TestServer;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::time::Duration;

fn sha(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn add_by_handle_favourite_hide_and_remove() {
    let srv = TestServer::start().await;
    let a = srv.user("ka").await;
    let b = srv.user("kb").await;
    let f = a.add_friend(&b).await;
    assert_eq!(f["profile"]["id"], b.user_id.0);
    assert_eq!(f["mutual"], false, "b has not added a");
    b.add_friend(&a).await;
    assert_eq!(a.get("/api/v1/friends").await.ok()[0]["mutual"], true);
    let back = format!("/api/v1/friends/{}", a.user_id);
    assert_eq!(b.delete(&back).await.status, 204);
    a.post("/api/v1/friends", json!({"handle": a.handle}))
        .await
        .refused(400, "cannot_add_self");
    a.post("/api/v1/friends", json!({"handle": "nobody_here"}))
        .await
        .refused(404, "user_not_found");
    let path = format!("/api/v1/friends/{}", b.user_id);
    let f = a
        .patch(&path, json!({"favourite": true, "hidden": true}))
        .await
        .ok();
    assert_eq!(
        (f["favourite"].as_bool(), f["hidden"].as_bool()),
        (Some(true), Some(true))
    );
    // b never added a, so b has nothing to change.
    b.patch(
        &format!("/api/v1/friends/{}", a.user_id),
        json!({"favourite": true}),
    )
    .await
    .refused(404, "friend_not_found");
    assert_eq!(a.delete(&path).await.status, 204);
    assert_eq!(a.get("/api/v1/friends").await.ok().as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn contacts_match_hashed_phone_numbers_and_emails() {
    let srv = TestServer::start().await;
    let a = srv.user("ca").await;
    let b = srv.user("cb").await;
    let c = srv.user("cc").await;
    a.patch("/api/v1/me", json!({"phone": "+82 10-1111-2222"}))
        .await
        .ok();
    b.patch("/api/v1/me", json!({"email": " Bee@Example.com "}))
        .await
        .ok();
    let req =
        json!({"phone_sha256": [sha("821011112222"), sha("999")], "email_sha256": [sha("bee@example.com")]});
    let added = c.post("/api/v1/friends/contacts", req.clone()).await.ok();
    let mut ids: Vec<i64> = added
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    ids.sort();
    assert_eq!(ids, vec![a.user_id.0, b.user_id.0]);
    // Matching again adds nobody new.
    assert_eq!(
        c.post("/api/v1/friends/contacts", req)
            .await
            .ok()
            .as_array()
            .unwrap()
            .len(),
        0
    );
    let bad = json!({"phone_sha256": ["01012345678"]});
    c.post("/api/v1/friends/contacts", bad)
        .await
        .refused(400, "invalid_contact_hash");
}

#[tokio::test]
async fn birthdays_today_follow_the_clock() {
    let srv = TestServer::start().await;
    let a = srv.user("ba").await;
    let b = srv.user("bb").await;
    // The test clock starts on 2026-01-01 (UTC+9 by default).
    b.patch("/api/v1/me", json!({"birthday": "1990-01-01"}))
        .await
        .ok();
    a.add_friend(&b).await;
    let today = a.get("/api/v1/friends/birthdays").await.ok();
    assert_eq!(today[0]["id"], b.user_id.0);
    srv.clock.advance(Duration::from_secs(86_400));
    assert_eq!(
        a.get("/api/v1/friends/birthdays")
            .await
            .ok()
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

#[tokio::test]
async fn a_blocked_user_cannot_message_add_or_see_updates() {
    let srv = TestServer::start().await;
    let a = srv.user("bla").await;
    let b = srv.user("blb").await;
    a.add_friend(&b).await;
    b.patch("/api/v1/me", json!({"status_message": "secret plans"}))
        .await
        .ok();
    let room = a.direct(&b).await;
    a.send(room, "before", "hi").await;
    assert_eq!(
        b.post("/api/v1/blocks", json!({"user_id": a.user_id}))
            .await
            .status,
        204
    );
    a.try_send(room, "after", "hello?").await.refused(403, "blocked");
    a.post("/api/v1/friends", json!({"handle": b.handle}))
        .await
        .refused(404, "user_not_found");
    let seen = a.get(&format!("/api/v1/users/{}", b.user_id)).await.ok();
    assert_eq!(seen["status_message"], "");
    let listed = a.get("/api/v1/friends").await.ok();
    assert_eq!(listed[0]["profile"]["status_message"], "");
    // The blocker still writes; unblocking restores everything.
    b.send(room, "b1", "still here").await;
    assert_eq!(b.get("/api/v1/blocks").await.ok()[0]["id"], a.user_id.0);
    assert_eq!(
        b.delete(&format!("/api/v1/blocks/{}", a.user_id)).await.status,
        204
    );
    a.send(room, "after2", "hello again").await;
    b.delete(&format!("/api/v1/blocks/{}", a.user_id))
        .await
        .refused(404, "block_not_found");
    b.post("/api/v1/blocks", json!({"user_id": b.user_id}))
        .await
        .refused(400, "cannot_block_self");
}

#[tokio::test]
async fn a_blocked_user_cannot_open_a_chat_or_add_the_blocker_to_a_group() {
    let srv = TestServer::start().await;
    let a = srv.user("bga").await;
    let b = srv.user("bgb").await;
    b.post("/api/v1/blocks", json!({"user_id": a.user_id})).await.ok();
    a.post("/api/v1/rooms/direct", json!({"user_id": b.user_id}))
        .await
        .refused(403, "blocked");
    let body = json!({"title": "sneaky", "member_ids": [b.user_id]});
    a.post("/api/v1/rooms/group", body).await.refused(403, "blocked");
}

#[tokio::test]
async fn friend_refusals_for_unknown_people_and_oversized_contact_lists() {
    let srv = TestServer::start_with(madang_core::Limits {
        max_contacts: 2,
        ..madang_testkit::test_limits()
    })
    .await;
    let a = srv.user("fa").await;
    let b = srv.user("fb").await;
    a.get("/api/v1/users/999999").await.refused(404, "user_not_found");
    a.delete(&format!("/api/v1/friends/{}", b.user_id))
        .await
        .refused(404, "friend_not_found");
    a.post("/api/v1/blocks", json!({"user_id": 999_999}))
        .await
        .refused(404, "user_not_found");
    a.post("/api/v1/blocks", json!({"user_id": b.user_id})).await.ok();
    a.post("/api/v1/friends", json!({"handle": b.handle}))
        .await
        .refused(400, "unblock_first");
    let three = json!({"phone_sha256": [sha("1"), sha("2"), sha("3")]});
    a.post("/api/v1/friends/contacts", three)
        .await
        .refused(413, "too_large");
}
