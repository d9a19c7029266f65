//! The example bot against a real Madang server (the test kit's, on
//! 127.0.0.1 with a fresh SQLite database): made by a person, added to a
//! group, it offers `/roll`, answers it with a button, rolls again when
//! the button is pressed, and echoes a mention.

use madang_testkit::{Client, TestServer, handle};
use serde_json::{Value, json};
use std::time::Duration;

/// Waits for a message in `room` that `check` accepts, as `who` sees it.
async fn message_where(who: &Client, room: madang_types::RoomId, check: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..200 {
        if let Some(m) = who.all_messages(room).await.into_iter().find(|m| check(m)) {
            return m;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "no such message in room {room}: {:?}",
        who.all_messages(room).await
    );
}

#[tokio::test]
async fn the_example_bot_rolls_rolls_again_and_echoes() {
    let srv = TestServer::start().await;
    let minji = srv.user("minji").await;
    let jun = srv.user("jun").await;
    let made = minji
        .post(
            "/api/v1/bots",
            json!({"handle": handle("dice"), "display_name": "주사위봇"}),
        )
        .await
        .ok();
    let token = made["token"].as_str().unwrap();
    let bot = dicebot::Bot::connect(&srv.base, token)
        .await
        .expect("the bot signs in");
    assert_eq!(bot.name, "주사위봇");
    let running = {
        let bot = bot.clone();
        tokio::spawn(async move { bot.run().await })
    };

    let room = minji.group("보드게임", &[&jun]).await;
    minji
        .post(
            &format!("/api/v1/rooms/{room}/members"),
            json!({"user_ids": [bot.id]}),
        )
        .await
        .ok();
    // Its command is offered in the room.
    let offered = jun.get(&format!("/api/v1/rooms/{room}/commands")).await.ok();
    assert_eq!(offered[0]["command"], "roll");
    assert_eq!(offered[0]["bot_name"], "주사위봇");

    // The socket is up once the bot answers; send until it does (its
    // socket may still be connecting when the first one goes).
    let mut asked = madang_types::Seq(0);
    for i in 0..50 {
        asked = jun.send(room, &format!("r{i}"), "/roll 2d6").await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        if jun
            .all_messages(room)
            .await
            .iter()
            .any(|m| m["sender_id"] == bot.id)
        {
            break;
        }
    }
    let answer = message_where(&jun, room, |m| {
        m["reply_to"] == asked.0 && m["sender_id"] == bot.id
    })
    .await;
    let text = answer["text"].as_str().unwrap();
    assert!(text.starts_with("🎲 2d6 → "), "{text}");
    let total: u32 = text.rsplit("= ").next().unwrap().parse().unwrap();
    assert!((2..=12).contains(&total), "{text}");
    assert_eq!(answer["buttons"][0]["label"], "다시 굴리기");
    assert_eq!(answer["buttons"][0]["data"], "roll:2d6");

    // Jun presses it: the bot rolls again, for jun, as a reply.
    jun.post(
        &format!("/api/v1/rooms/{room}/messages/{}/press", answer["seq"]),
        json!({"button": 0}),
    )
    .await
    .ok();
    let me = jun.get("/api/v1/me").await.ok();
    let name = me["display_name"].as_str().unwrap().to_owned();
    let again = message_where(&jun, room, |m| m["reply_to"] == answer["seq"]).await;
    assert!(
        again["text"]
            .as_str()
            .unwrap()
            .starts_with(&format!("🎲 {name}: 2d6 → ")),
        "{again}"
    );

    // A mention is echoed back.
    let mentioned = jun
        .post(
            &format!("/api/v1/rooms/{room}/messages"),
            json!({"client_id": "m1", "text": "@주사위봇 안녕하세요", "mentions": [bot.id]}),
        )
        .await
        .ok();
    let echo = message_where(&jun, room, |m| m["reply_to"] == mentioned["seq"]).await;
    assert_eq!(echo["text"], "안녕하세요");
    running.abort();
}
