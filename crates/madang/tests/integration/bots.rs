//! Bots: a person makes one, adds it to a group; it hears the room over
//! the WebSocket and at its webhook (to a receiver on 127.0.0.1 that
//! checks every signature), answers with its token and with buttons,
//! hears presses, offers slash commands; and each of its refusals.

use madang_bus::LocalBus;
use madang_core::{Clock, Limits};
use madang_push_receiver::WebhookReceiver;
use madang_testkit::{Client, TestServer, Ws, handle, test_limits};
use madang_types::events::{EventBody, ServerFrame};
use madang_types::{DeviceId, RoomId, UserId};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
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
    // Members see which of them is a bot, persona or not.
    let room = mine["mine"]["room_id"].as_i64().unwrap();
    let page = person
        .get(&format!("/api/v1/rooms/{room}/open-members"))
        .await
        .ok();
    let bots: Vec<(&str, bool)> = page["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["nickname"].as_str().unwrap(), m["bot"].as_bool().unwrap()))
        .filter(|(n, _)| *n == "먼저봇" || *n == "사람")
        .collect();
    assert_eq!(bots.len(), 2, "{page}");
    assert!(bots.contains(&("먼저봇", true)) && bots.contains(&("사람", false)));
}

/// A node whose webhooks may reach `receiver` on 127.0.0.1 (trusting its
/// CA); nothing else is changed. The receiver judges timestamps by the
/// node's clock.
async fn with_webhooks(receiver: &WebhookReceiver) -> (TestServer, tempfile::TempDir) {
    let ca = tempfile::tempdir().expect("temp dir");
    let ca_file = ca.path().join("ca.pem");
    std::fs::write(&ca_file, &receiver.ca_pem).expect("CA file");
    let srv = TestServer::start_configured(test_limits(), Arc::new(LocalBus::new()), |c| {
        c.webhooks.private_hosts = vec!["127.0.0.1".into()];
        c.webhooks.ca_file = ca_file.display().to_string();
    })
    .await;
    let clock = srv.clock.clone();
    receiver.use_clock(move || clock.now().0 / 1000);
    (srv, ca)
}

/// Sets `bot`'s webhook to the receiver, which then expects its secret.
async fn set_webhook(bot: &Client, receiver: &WebhookReceiver) -> Value {
    let hook = bot
        .put(
            &format!("/api/v1/bots/{}/webhook", bot.user_id),
            json!({"url": receiver.url}),
        )
        .await
        .ok();
    receiver.expect_secret(hook["secret"].as_str().expect("the secret, once"));
    hook
}

async fn add(owner: &Client, room: RoomId, who: &Client) {
    owner
        .post(
            &format!("/api/v1/rooms/{room}/members"),
            json!({"user_ids": [who.user_id]}),
        )
        .await
        .ok();
}

#[tokio::test]
async fn a_bot_hears_by_socket_and_webhook_answers_with_buttons_and_hears_the_press() {
    let receiver = WebhookReceiver::start().await.expect("webhook receiver");
    let (srv, _ca) = with_webhooks(&receiver).await;
    let minji = srv.user("minji").await;
    let jun = srv.user("jun").await;
    let stranger = srv.user("stranger").await;
    let (dice, _) = bot(&srv, &minji, "dice").await;
    let hook = set_webhook(&dice, &receiver).await;
    assert_eq!(hook["url"], receiver.url);
    assert!(hook["disabled_at"].is_null());
    let room = minji.group("보드게임", &[&jun]).await;
    add(&minji, room, &dice).await;
    let (mut ws, _) = Ws::connect(&srv.base, dice.token.as_deref().unwrap(), &BTreeMap::new()).await;

    // A message reaches it on its socket and at its webhook, signed (the
    // receiver checks) and as the socket says it.
    let asked = jun.send(room, "j1", "/roll 2d6").await;
    ws.until(WAIT, |f| {
        matches!(f, ServerFrame::Event { event }
            if matches!(&event.body, EventBody::Message { message } if message.text == "/roll 2d6"))
    })
    .await;
    assert_eq!(receiver.wait_for(1, WAIT).await, 1, "{:?}", receiver.faults());
    let first = &receiver.arrivals()[0];
    assert_eq!(first.body["type"], "event");
    assert_eq!(first.body["event"]["seq"], asked.0);
    assert_eq!(first.body["event"]["body"]["message"]["text"], "/roll 2d6");
    assert_eq!(first.body["event"]["body"]["message"]["sender_id"], jun.user_id.0);
    assert!(first.id.starts_with("msg_"), "{}", first.id);

    // It answers with buttons: a postback and a link.
    let buttons = json!([
        {"kind": "postback", "label": "다시 굴리기", "data": "again:2d6"},
        {"kind": "link", "label": "규칙", "url": "https://example.org/dice"}
    ]);
    let answer = dice
        .post(
            &format!("/api/v1/rooms/{room}/messages"),
            json!({"client_id": "d1", "text": "🎲 4 + 3 = 7", "reply_to": asked.0, "buttons": buttons}),
        )
        .await
        .ok();
    let seen = jun.all_messages(room).await;
    let shown = seen
        .iter()
        .find(|m| m["seq"] == answer["seq"])
        .expect("the answer");
    assert_eq!(shown["buttons"], buttons);
    // A person's message carries no buttons.
    jun.post(
        &format!("/api/v1/rooms/{room}/messages"),
        json!({"client_id": "j2", "text": "나도", "buttons": buttons}),
    )
    .await
    .refused(403, "buttons_for_bots");

    // jun presses the postback: the bot hears who pressed what, on its
    // socket and at its webhook (the press's id is the delivery's).
    let press = jun
        .post(
            &format!("/api/v1/rooms/{room}/messages/{}/press", answer["seq"]),
            json!({"button": 0}),
        )
        .await
        .ok();
    assert_eq!(press["data"], "again:2d6");
    assert_eq!(press["user_id"], jun.user_id.0);
    let frames = ws
        .until(WAIT, |f| matches!(f, ServerFrame::ButtonPressed { .. }))
        .await;
    let Some(ServerFrame::ButtonPressed { press: heard }) = frames.last() else {
        unreachable!()
    };
    assert_eq!(heard.data, "again:2d6");
    assert_eq!(heard.user_id, jun.user_id);
    let me = jun.get("/api/v1/me").await.ok();
    assert_eq!(heard.display_name, me["display_name"].as_str().unwrap());
    assert_eq!(receiver.wait_for(2, WAIT).await, 2, "{:?}", receiver.faults());
    let pressed = &receiver.arrivals()[1];
    assert_eq!(pressed.body["type"], "button_pressed");
    assert_eq!(pressed.id, press["id"].as_str().unwrap());
    assert_eq!(pressed.body["press"]["seq"], answer["seq"]);

    // It replies to the press in the room.
    dice.post(
        &format!("/api/v1/rooms/{room}/messages"),
        json!({"client_id": "d2", "text": "🎲 2 + 6 = 8", "reply_to": answer["seq"]}),
    )
    .await
    .ok();
    // Its own messages are not posted back to it.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.arrivals().len(), 2);

    // A link is no postback; a message without buttons has none; someone
    // outside the room may not press.
    let path = format!("/api/v1/rooms/{room}/messages/{}/press", answer["seq"]);
    jun.post(&path, json!({"button": 1}))
        .await
        .refused(404, "button_not_found");
    jun.post(
        &format!("/api/v1/rooms/{room}/messages/{}/press", asked.0),
        json!({"button": 0}),
    )
    .await
    .refused(404, "button_not_found");
    stranger
        .post(&path, json!({"button": 0}))
        .await
        .refused(403, "not_member");
    assert!(receiver.faults().is_empty(), "{:?}", receiver.faults());
}

#[tokio::test]
async fn a_failed_delivery_is_retried_with_backoff_under_the_same_id() {
    let receiver = WebhookReceiver::start().await.expect("webhook receiver");
    let (srv, _ca) = with_webhooks(&receiver).await;
    let owner = srv.user("owner").await;
    let (echo, _) = bot(&srv, &owner, "echo").await;
    set_webhook(&echo, &receiver).await;
    let room = owner.group("메아리", &[]).await;
    add(&owner, room, &echo).await;

    receiver.answer_next(&[500, 503]);
    owner.send(room, "o1", "하나").await;
    owner.send(room, "o2", "둘").await;
    assert_eq!(receiver.wait_for(1, WAIT).await, 1);
    // Not tried again before its backoff (2 s on the node's clock), and
    // the room's next event waits behind it.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.arrivals().len(), 1);
    let hook = echo
        .get(&format!("/api/v1/bots/{}/webhook", echo.user_id))
        .await
        .ok();
    assert_eq!(hook["last_error"], "HTTP 500");
    assert_eq!(hook["pending"], 2);
    assert!(hook.get("secret").is_none(), "the secret is shown once");
    // Setting it again (a new secret) keeps what waits: it goes out signed
    // with the new one (the receiver now expects only that).
    set_webhook(&echo, &receiver).await;
    srv.clock.advance(Duration::from_secs(3));
    assert_eq!(receiver.wait_for(2, WAIT).await, 2);
    srv.clock.advance(Duration::from_secs(6));
    assert_eq!(
        receiver.wait_for(4, WAIT).await,
        4,
        "{:?} {:?}",
        receiver.faults(),
        receiver.arrivals()
    );
    let arrivals = receiver.arrivals();
    let answered: Vec<u16> = arrivals.iter().map(|a| a.answered).collect();
    assert_eq!(answered, vec![500, 503, 200, 200]);
    // The same delivery, the same id, each time; then the next, in order.
    assert_eq!(arrivals[0].id, arrivals[1].id);
    assert_eq!(arrivals[1].id, arrivals[2].id);
    assert_ne!(arrivals[2].id, arrivals[3].id);
    let texts: Vec<&str> = arrivals
        .iter()
        .map(|a| a.body["event"]["body"]["message"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, vec!["하나", "하나", "하나", "둘"]);
    // Each try is stamped when it was sent.
    assert!(arrivals[2].timestamp >= arrivals[0].timestamp + 3);
    // Delivered, nothing waits (the mark follows the answer closely).
    let mut pending = Value::Null;
    for _ in 0..100 {
        pending = echo
            .get(&format!("/api/v1/bots/{}/webhook", echo.user_id))
            .await
            .ok()["pending"]
            .clone();
        if pending == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(pending, 0);
    assert!(receiver.faults().is_empty(), "{:?}", receiver.faults());
}

#[tokio::test]
async fn a_webhook_failing_for_a_day_is_turned_off_and_its_owner_told() {
    let receiver = WebhookReceiver::start().await.expect("webhook receiver");
    let (srv, _ca) = with_webhooks(&receiver).await;
    let owner = srv.user("owner").await;
    let (echo, _) = bot(&srv, &owner, "down").await;
    set_webhook(&echo, &receiver).await;
    let room = owner.group("고장", &[]).await;
    add(&owner, room, &echo).await;
    receiver.answer_always(500);
    owner.send(room, "o1", "들려요?").await;
    assert_eq!(receiver.wait_for(1, WAIT).await, 1);
    // Still within the window: retried, still on.
    srv.clock.advance(Duration::from_secs(12 * 3600));
    let got = receiver.wait_for(2, WAIT).await;
    let state = echo
        .get(&format!("/api/v1/bots/{}/webhook", echo.user_id))
        .await
        .ok();
    assert_eq!(got, 2, "{:?} {state}", receiver.faults());
    let hook = echo
        .get(&format!("/api/v1/bots/{}/webhook", echo.user_id))
        .await
        .ok();
    assert!(hook["disabled_at"].is_null());
    // A day after the first failure: one more try, then off.
    srv.clock.advance(Duration::from_secs(12 * 3600 + 60));
    assert_eq!(receiver.wait_for(3, WAIT).await, 3);
    let mut off = Value::Null;
    for _ in 0..100 {
        off = echo
            .get(&format!("/api/v1/bots/{}/webhook", echo.user_id))
            .await
            .ok();
        if !off["disabled_at"].is_null() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!off["disabled_at"].is_null(), "{off}");
    assert_eq!(off["pending"], 0);
    // The owner is told, by the bot, in their 1:1 chat.
    let mut told = Vec::new();
    for _ in 0..100 {
        let rooms = owner.get("/api/v1/rooms").await.ok();
        let direct = rooms
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["kind"] == "direct")
            .map(|r| RoomId(r["id"].as_i64().unwrap()));
        if let Some(direct) = direct {
            told = owner.all_messages(direct).await;
            if !told.is_empty() {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let last = told.last().expect("a message");
    assert_eq!(last["sender_id"], echo.user_id.0);
    assert!(last["text"].as_str().unwrap().contains(&receiver.url), "{last}");
    // Nothing more is posted while it is off.
    owner.send(room, "o2", "여보세요").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    srv.clock.advance(Duration::from_secs(3600));
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(receiver.arrivals().len(), 3);
    // Setting it again turns it on, with a new secret.
    receiver.answer_always(200);
    let again = set_webhook(&echo, &receiver).await;
    assert!(again["disabled_at"].is_null());
    owner.send(room, "o3", "다시 됐나요").await;
    assert_eq!(receiver.wait_for(4, WAIT).await, 4);
    assert_eq!(
        receiver.arrivals()[3].body["event"]["body"]["message"]["text"],
        "다시 됐나요"
    );
}

#[tokio::test]
async fn webhook_and_command_refusals() {
    let receiver = WebhookReceiver::start().await.expect("webhook receiver");
    let (srv, _ca) = with_webhooks(&receiver).await;
    let owner = srv.user("owner").await;
    let other = srv.user("other").await;
    let (b, _) = bot(&srv, &owner, "ref").await;
    let path = format!("/api/v1/bots/{}/webhook", b.user_id);
    for (url, code) in [
        ("http://example.org/hook", "endpoint_not_https"),
        ("https://10.0.0.7/hook", "endpoint_private_address"),
        ("not a url", "endpoint_malformed"),
    ] {
        b.put(&path, json!({"url": url})).await.refused(400, code);
    }
    // Only its owner and the bot itself.
    other
        .put(&path, json!({"url": receiver.url}))
        .await
        .refused(404, "bot_not_found");
    other.get(&path).await.refused(404, "bot_not_found");
    owner.get(&path).await.refused(404, "webhook_not_found");
    owner.put(&path, json!({"url": receiver.url})).await.ok();
    owner.get(&path).await.ok();
    owner.delete(&path).await.ok();
    owner.get(&path).await.refused(404, "webhook_not_found");

    let commands = format!("/api/v1/bots/{}/commands", b.user_id);
    b.put(&commands, json!({"commands": [{"command": "Roll"}]}))
        .await
        .refused(400, "invalid_commands");
    other
        .put(&commands, json!({"commands": []}))
        .await
        .refused(404, "bot_not_found");
    // A bot outside a room may not write there.
    let room = owner.group("봇 없는 방", &[]).await;
    b.try_send(room, "x1", "hi").await.refused(403, "not_member");
    other
        .get(&format!("/api/v1/rooms/{room}/commands"))
        .await
        .refused(403, "not_member");
}

#[tokio::test]
async fn a_rooms_bots_offer_their_commands() {
    let srv = TestServer::start().await;
    let owner = srv.user("owner").await;
    let jun = srv.user("jun").await;
    let (dice, _) = bot(&srv, &owner, "dice").await;
    let (mute, _) = bot(&srv, &owner, "mute").await;
    let declared = dice
        .put(
            &format!("/api/v1/bots/{}/commands", dice.user_id),
            json!({"commands": [
                {"command": "/roll", "description": "주사위를 굴려요 (2d6)"},
                {"command": "flip", "description": "동전 던지기"}
            ]}),
        )
        .await
        .ok();
    assert_eq!(declared["commands"][0]["command"], "roll");
    let room = owner.group("게임방", &[&jun]).await;
    let path = format!("/api/v1/rooms/{room}/commands");
    assert_eq!(jun.get(&path).await.ok(), json!([]));
    add(&owner, room, &dice).await;
    add(&owner, room, &mute).await;
    let offered = jun.get(&path).await.ok();
    let names: Vec<(&str, &str)> = offered
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["command"].as_str().unwrap(), c["bot_name"].as_str().unwrap()))
        .collect();
    assert_eq!(names, vec![("roll", "날씨봇"), ("flip", "날씨봇")]);
    assert_eq!(offered[0]["bot_id"], dice.user_id.0);
    // The owner reads them; an empty list takes them away.
    let read = owner
        .get(&format!("/api/v1/bots/{}/commands", dice.user_id))
        .await
        .ok();
    assert_eq!(read["commands"].as_array().unwrap().len(), 2);
    owner
        .put(
            &format!("/api/v1/bots/{}/commands", dice.user_id),
            json!({"commands": []}),
        )
        .await
        .ok();
    assert_eq!(jun.get(&path).await.ok(), json!([]));
}

#[tokio::test]
async fn an_incoming_webhook_posts_as_its_integration_until_it_is_ended() {
    let srv = TestServer::start_with(Limits {
        bot_messages_per_minute: 3,
        ..test_limits()
    })
    .await;
    let minji = srv.user("minji").await;
    let jun = srv.user("jun").await;
    let outsider = srv.user("outsider").await;
    let room = minji.group("배포 알림", &[&jun]).await;
    let made = minji
        .post(
            &format!("/api/v1/rooms/{room}/integrations"),
            json!({"name": "CI"}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let path = made.body["path"].as_str().unwrap().to_owned();
    let id = made.body["integration"]["id"].as_i64().unwrap();
    assert!(path.starts_with("/api/v1/hooks/"), "{path}");

    // Whoever has the URL posts, with no session; members see it from the
    // integration, a bot in the room.
    let hook = srv.anonymous();
    let posted = hook
        .post(
            &path,
            json!({"text": "빌드 #42 통과 ✅", "client_id": "build-42"}),
        )
        .await
        .ok();
    assert_eq!(posted["sender_id"], id);
    let again = hook
        .post(
            &path,
            json!({"text": "빌드 #42 통과 ✅", "client_id": "build-42"}),
        )
        .await
        .ok();
    assert_eq!(again["seq"], posted["seq"], "a retry is the same message");
    let seen = jun.all_messages(room).await;
    assert!(
        seen.iter()
            .any(|m| m["text"] == "빌드 #42 통과 ✅" && m["sender_id"] == id)
    );
    let profile = jun.get(&format!("/api/v1/users/{id}")).await.ok();
    assert_eq!(profile["bot"], true);
    assert_eq!(profile["display_name"], "CI");
    // Listed in the room, for members; not among minji's bots.
    let listed = jun.get(&format!("/api/v1/rooms/{room}/integrations")).await.ok();
    assert_eq!(listed[0]["name"], "CI");
    assert_eq!(listed[0]["created_by"], minji.user_id.0);
    assert_eq!(minji.get("/api/v1/bots").await.ok(), json!([]));
    // Its maker cannot take a token, a webhook or commands for it: they
    // could read the room through it after leaving.
    minji
        .post(&format!("/api/v1/bots/{id}/token"), json!({}))
        .await
        .refused(404, "bot_not_found");
    minji
        .put(
            &format!("/api/v1/bots/{id}/webhook"),
            json!({"url": "https://example.org/hook"}),
        )
        .await
        .refused(404, "bot_not_found");
    minji
        .get(&format!("/api/v1/bots/{id}/commands"))
        .await
        .refused(404, "bot_not_found");

    // The URL's token is no session.
    let mut as_token = srv.anonymous();
    as_token.token = Some(path.rsplit('/').next().unwrap().to_owned());
    as_token
        .get(&format!("/api/v1/rooms/{room}/messages"))
        .await
        .refused(401, "unauthenticated");
    hook.post(&path, json!({"text": "  "}))
        .await
        .refused(400, "empty_message");
    // Rate-limited as a bot: 3 a minute here, and each try above counted.
    hook.post(&path, json!({"text": "2"}))
        .await
        .refused(429, "rate_limited");

    // Refusals: outside the room, a 1:1 chat, no name.
    outsider
        .post(
            &format!("/api/v1/rooms/{room}/integrations"),
            json!({"name": "x"}),
        )
        .await
        .refused(403, "not_member");
    outsider
        .get(&format!("/api/v1/rooms/{room}/integrations"))
        .await
        .refused(403, "not_member");
    let direct = minji.direct(&jun).await;
    minji
        .post(
            &format!("/api/v1/rooms/{direct}/integrations"),
            json!({"name": "x"}),
        )
        .await
        .refused(400, "not_a_group");
    minji
        .post(
            &format!("/api/v1/rooms/{room}/integrations"),
            json!({"name": " "}),
        )
        .await
        .refused(400, "invalid_display_name");

    // Any member may end it: the URL stops, the integration leaves.
    outsider
        .delete(&format!("/api/v1/rooms/{room}/integrations/{id}"))
        .await
        .refused(403, "not_member");
    jun.delete(&format!("/api/v1/rooms/{room}/integrations/{id}"))
        .await
        .ok();
    hook.post(&path, json!({"text": "아직?"}))
        .await
        .refused(404, "hook_not_found");
    jun.delete(&format!("/api/v1/rooms/{room}/integrations/{id}"))
        .await
        .refused(404, "integration_not_found");
    let members = jun.get(&format!("/api/v1/rooms/{room}/members")).await.ok();
    assert!(
        !members
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["profile"]["id"] == id)
    );
    assert_eq!(
        jun.get(&format!("/api/v1/rooms/{room}/integrations")).await.ok(),
        json!([])
    );
}

#[tokio::test]
async fn a_channels_webhook_hears_its_rooms_and_only_its_owner_sets_it() {
    let receiver = WebhookReceiver::start().await.expect("webhook receiver");
    let (srv, _ca) = with_webhooks(&receiver).await;
    let owner = srv.user("shop").await;
    let agent = srv.user("agent").await;
    let person = srv.user("customer").await;
    let (business, channel) = crate::local::campaigns::channel(&owner, &handle("hook_shop"), "빵집").await;
    crate::local::hire(&owner, business, &agent).await;
    let path = format!("/api/v1/channels/{channel}/webhook");
    // Its owner only: an agent is refused, anyone else finds no channel.
    agent
        .put(&path, json!({"url": receiver.url}))
        .await
        .refused(403, "not_owner");
    person
        .put(&path, json!({"url": receiver.url}))
        .await
        .refused(404, "channel_not_found");
    owner.get(&path).await.refused(404, "webhook_not_found");
    let hook = owner.put(&path, json!({"url": receiver.url})).await.ok();
    receiver.expect_secret(hook["secret"].as_str().unwrap());
    // The account it is kept under is no one's bot to drive.
    assert_eq!(owner.get("/api/v1/bots").await.ok(), json!([]));

    // A customer writes in their room with the channel: it is posted.
    crate::local::campaigns::add(&person, channel, json!({})).await;
    let room = person.get(&format!("/api/v1/channels/{channel}/room")).await.ok();
    let room = RoomId(room["id"].as_i64().unwrap());
    person.send(room, "q1", "내일 소금빵 있나요?").await;
    assert_eq!(receiver.wait_for(1, WAIT).await, 1, "{:?}", receiver.faults());
    let first = &receiver.arrivals()[0];
    assert_eq!(first.body["event"]["room_id"], room.0);
    assert_eq!(
        first.body["event"]["body"]["message"]["text"],
        "내일 소금빵 있나요?"
    );
    assert_eq!(
        first.body["event"]["body"]["message"]["sender_id"],
        person.user_id.0
    );
    let state = owner.get(&path).await.ok();
    assert!(state["disabled_at"].is_null());
    owner.delete(&path).await.ok();
    person.send(room, "q2", "있으면 두 개요").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.arrivals().len(), 1, "nothing after it is removed");
}
