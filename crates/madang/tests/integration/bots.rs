//! Bots: a person makes one, adds it to a group; it hears the room over
//! the WebSocket and answers with its token; and each of its refusals.

use madang_core::Limits;
use madang_testkit::{Client, TestServer, Ws, handle, test_limits};
use madang_types::events::{EventBody, ServerFrame};
use madang_types::{DeviceId, UserId};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

/// Makes a bot owned by `owner`; its client, signed in by its token.
async fn bot(srv: &TestServer, owner: &Client, name: &str) -> (Client, Value) {
    let made = owner
        .post(
            "/api/v1/bots",
            json!({"handle": handle(name), "display_name": "날씨봇"}),
        )
        .await;
    assert_eq!(made.status, 201, "{:?}", made.body);
    let made = made.body;
    let mut client = srv.anonymous();
    client.token = Some(made["token"].as_str().unwrap().to_owned());
    client.user_id = UserId(made["bot"]["id"].as_i64().unwrap());
    client.device_id = DeviceId(0);
    (client, made)
}

#[tokio::test]
async fn a_bot_added_to_a_group_hears_it_live_and_answers() {
    let srv = TestServer::start().await;
    let minji = srv.user("minji").await;
    let jun = srv.user("jun").await;
    let (weather, made) = bot(&srv, &minji, "weather").await;
    assert_eq!(made["bot"]["bot"], true);
    assert_eq!(made["bot"]["display_name"], "날씨봇");

    // It signs in with its token: it is itself, owned by minji.
    let me = weather.get("/api/v1/me").await.ok();
    assert_eq!(me["bot_owner"], minji.user_id.0);
    let listed = minji.get("/api/v1/bots").await.ok();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["id"], made["bot"]["id"]);
    // Its profile says it is a bot, to everyone.
    let seen = jun.get(&format!("/api/v1/users/{}", weather.user_id)).await.ok();
    assert_eq!(seen["bot"], true);
    let person = jun.get(&format!("/api/v1/users/{}", minji.user_id)).await.ok();
    assert!(person.get("bot").is_none(), "a person carries no bot mark");

    // A member adds it to a group, as they would a person.
    let room = minji.group("주말 등산", &[&jun]).await;
    minji
        .post(
            &format!("/api/v1/rooms/{room}/members"),
            json!({"user_ids": [weather.user_id]}),
        )
        .await
        .ok();
    let members = jun.get(&format!("/api/v1/rooms/{room}/members")).await.ok();
    let as_member = members
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["profile"]["id"] == weather.user_id.0)
        .expect("the bot is a member");
    assert_eq!(as_member["profile"]["bot"], true);

    // It hears the room on the same WebSocket a person's client uses.
    let (mut ws, _) = Ws::connect(&srv.base, weather.token.as_deref().unwrap(), &BTreeMap::new()).await;
    jun.send(room, "b1", "/weather 서울").await;
    ws.until(WAIT, |f| {
        matches!(f, ServerFrame::Event { event }
            if matches!(&event.body, EventBody::Message { message } if message.text == "/weather 서울"))
    })
    .await;
    // And answers with its token; the people see it from the bot.
    weather.send(room, "w1", "서울: 맑음, 3°C").await;
    let messages = jun.all_messages(room).await;
    let answer = messages.iter().find(|m| m["text"] == "서울: 맑음, 3°C").unwrap();
    assert_eq!(answer["sender_id"], weather.user_id.0);
}

#[tokio::test]
async fn a_bot_answers_people_who_come_to_it_but_starts_no_chat() {
    let srv = TestServer::start().await;
    let owner = srv.user("owner").await;
    let stranger = srv.user("stranger").await;
    let visitor = srv.user("visitor").await;
    let (helper, _) = bot(&srv, &owner, "helper").await;

    // A DM to someone who never came to it is refused, and makes no room.
    helper
        .post("/api/v1/rooms/direct", json!({"user_id": stranger.user_id}))
        .await
        .refused(403, "bot_cannot_start_chat");
    assert!(
        stranger
            .get("/api/v1/rooms")
            .await
            .ok()
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Someone who opens a chat with it gets answers there.
    let room = visitor.direct(&helper).await;
    visitor.send(room, "v1", "안녕하세요").await;
    let again = helper
        .post("/api/v1/rooms/direct", json!({"user_id": visitor.user_id}))
        .await
        .ok();
    assert_eq!(again["id"], room.0);
    helper.send(room, "h1", "무엇을 도와드릴까요?").await;

    // It sees only rooms it was added to.
    let other = owner.group("비밀 모임", &[&stranger]).await;
    helper
        .get(&format!("/api/v1/rooms/{other}/messages"))
        .await
        .refused(403, "not_member");
    helper
        .try_send(other, "h2", "끼어들기")
        .await
        .refused(403, "not_member");

    // A bot has no password to log in with.
    let me = helper.get("/api/v1/me").await.ok();
    srv.anonymous()
        .post(
            "/api/v1/sessions",
            json!({"handle": me["handle"], "password": ""}),
        )
        .await
        .refused(401, "bad_credentials");
}

#[tokio::test]
async fn rotating_a_token_ends_the_old_one_and_only_the_owner_may() {
    let srv = TestServer::start().await;
    let owner = srv.user("owner").await;
    let other = srv.user("other").await;
    let (old, made) = bot(&srv, &owner, "rotor").await;
    let id = made["bot"]["id"].as_i64().unwrap();
    let (mut ws, _) = Ws::connect(&srv.base, old.token.as_deref().unwrap(), &BTreeMap::new()).await;

    other
        .post(&format!("/api/v1/bots/{id}/token"), json!({}))
        .await
        .refused(404, "bot_not_found");
    // A person's own id is not a bot to rotate either.
    owner
        .post(&format!("/api/v1/bots/{}/token", other.user_id), json!({}))
        .await
        .refused(404, "bot_not_found");
    old.get("/api/v1/me").await.ok();

    let fresh = owner
        .post(&format!("/api/v1/bots/{id}/token"), json!({}))
        .await
        .ok();
    let new_token = fresh["token"].as_str().unwrap();
    assert_ne!(new_token, made["token"].as_str().unwrap());
    old.get("/api/v1/me").await.refused(401, "unauthenticated");
    // Its open socket is closed as a revoked device's.
    assert_eq!(ws.close_code(WAIT).await, Some(4001));
    let mut new = old.clone();
    new.token = Some(new_token.to_owned());
    assert_eq!(new.get("/api/v1/me").await.ok()["id"], id);
    // A token that is never used for a long time still works: it does not
    // expire by itself.
    srv.clock.advance(Duration::from_secs(400 * 86_400));
    assert_eq!(new.get("/api/v1/me").await.ok()["id"], id);
}

#[tokio::test]
async fn a_bots_refusals() {
    let srv = TestServer::start_with(Limits {
        max_bots_per_person: 2,
        bot_messages_per_minute: 3,
        ..test_limits()
    })
    .await;
    let owner = srv.user("owner").await;
    let (first, made) = bot(&srv, &owner, "one").await;
    owner
        .post("/api/v1/bots", json!({"handle": "No Spaces!"}))
        .await
        .refused(400, "invalid_handle");
    owner
        .post("/api/v1/bots", json!({"handle": made["bot"]["handle"]}))
        .await
        .refused(409, "handle_taken");
    bot(&srv, &owner, "two").await;
    owner
        .post("/api/v1/bots", json!({"handle": handle("three")}))
        .await
        .refused(409, "bot_limit");
    first
        .post("/api/v1/bots", json!({"handle": handle("child")}))
        .await
        .refused(403, "bots_cannot_own_bots");
    assert_eq!(owner.get("/api/v1/bots").await.ok().as_array().unwrap().len(), 2);

    // A bot sends under its own, lower rate; the person does not share it.
    let room = owner.group("봇 시험", &[]).await;
    owner
        .post(
            &format!("/api/v1/rooms/{room}/members"),
            json!({"user_ids": [first.user_id]}),
        )
        .await
        .ok();
    for i in 0..3 {
        first.send(room, &format!("r{i}"), "tick").await;
    }
    let limited = first.try_send(room, "r3", "tick").await;
    limited.refused(429, "rate_limited");
    for i in 0..5 {
        owner.send(room, &format!("o{i}"), "사람은 계속").await;
    }
    // A revoked token is refused.
    owner
        .post(&format!("/api/v1/bots/{}/token", first.user_id), json!({}))
        .await
        .ok();
    first
        .try_send(room, "r4", "tick")
        .await
        .refused(401, "unauthenticated");
}

#[tokio::test]
async fn an_open_chat_host_can_keep_bots_out() {
    let srv = TestServer::start().await;
    let host = srv.user("host").await;
    let owner = srv.user("owner").await;
    let person = srv.user("person").await;
    let (first, _) = bot(&srv, &owner, "first").await;
    let (second, _) = bot(&srv, &owner, "second").await;
    let made = host
        .post(
            "/api/v1/openchats",
            json!({
                "kind": "group", "title": "봇 환영", "description": "", "hashtags": [],
                "category": "outdoors", "visibility": "public",
                "host": {"as": "nickname", "nickname": "방장"}
            }),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let chat = made.body["id"].as_i64().unwrap();
    assert_eq!(made.body["bots_allowed"], true);
    let join = |n: &str| json!({"profile": {"as": "nickname", "nickname": n}});
    // Open by default: a bot joins as anyone does.
    first
        .post(&format!("/api/v1/openchats/{chat}/join"), join("먼저봇"))
        .await
        .ok();
    // The host says no more bots; only the host may.
    first
        .patch(
            &format!("/api/v1/openchats/{chat}"),
            json!({"bots_allowed": false}),
        )
        .await
        .refused(403, "not_host");
    let changed = host
        .patch(
            &format!("/api/v1/openchats/{chat}"),
            json!({"bots_allowed": false}),
        )
        .await
        .ok();
    assert_eq!(changed["bots_allowed"], false);
    let link = changed["link_code"].as_str().unwrap().to_owned();
    second
        .post(&format!("/api/v1/openchats/{chat}/join"), join("둘째봇"))
        .await
        .refused(403, "bots_not_allowed");
    second
        .post(&format!("/api/v1/openchats/links/{link}/join"), join("둘째봇"))
        .await
        .refused(403, "bots_not_allowed");
    // People still join; the bot already in stays.
    person
        .post(&format!("/api/v1/openchats/{chat}/join"), join("사람"))
        .await
        .ok();
    let mine = first.get(&format!("/api/v1/openchats/{chat}")).await.ok();
    assert!(mine["mine"].is_object(), "the bot that joined before stays");
}
