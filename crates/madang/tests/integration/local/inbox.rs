//! A person's room with a channel and the business's shared inbox: the
//! person writes, every agent hears of it live, one answers as the channel
//! (which assigns it to them), another is assigned, they close it, the
//! person writing again reopens it; outsiders see none of it. Channel
//! posts: the business posts, anyone reads.

use super::campaigns::{add, channel};
use madang_testkit::TestServer;
use madang_testkit::Ws;
use madang_types::RoomId;
use madang_types::events::ServerFrame;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn agents_share_the_inbox_and_answer_as_the_channel() {
    let srv = TestServer::start().await;
    let owner = srv.user("ibo").await;
    let agent = srv.user("iba").await;
    let person = srv.user("ibp").await;
    let outsider = srv.user("ibx").await;
    let (b, ch) = channel(&owner, "inbox_shop", "인박스 상점").await;
    super::hire(&owner, b, &agent).await;
    let inbox = format!("/api/v1/channels/{ch}/inbox");

    // Before adding the channel the person has no room with it.
    person
        .get(&format!("/api/v1/channels/{ch}/room"))
        .await
        .refused(404, "room_not_found");
    add(&person, ch, json!({})).await;
    let room = person.get(&format!("/api/v1/channels/{ch}/room")).await.ok();
    let room_id = RoomId(room["id"].as_i64().unwrap());
    assert_eq!(room["kind"], "channel");
    assert_eq!(room["channel"], ch);
    assert_eq!(room["title"], "인박스 상점");
    let channel_id = room["peer"]["id"].as_i64().unwrap();
    assert!(channel_id < 0);
    let members = person.get(&format!("/api/v1/rooms/{room_id}/members")).await.ok();
    let names: Vec<&str> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["profile"]["display_name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"인박스 상점"), "{names:?}");
    // A room nobody wrote in is not in the inbox.
    assert!(
        agent.get(&inbox).await.ok()["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // The person writes; the agents hear of it live.
    let token = agent.token.clone().unwrap();
    let (mut live, _) = Ws::connect(&srv.base, &token, &Default::default()).await;
    person.send(room_id, "q1", "주말에도 여나요?").await;
    live.until(
        Duration::from_secs(5),
        |f| matches!(f, ServerFrame::InboxChanged { room_id: r, .. } if r == &room_id),
    )
    .await;
    let items = agent.get(&inbox).await.ok();
    let item = &items["items"][0];
    assert_eq!(item["room_id"], room_id.0);
    assert_eq!(item["status"], "open");
    assert_eq!(item["unread"], 1);
    assert_eq!(item["person"]["id"], person.user_id.0);
    assert!(item["assignee"].is_null());
    assert_eq!(item["last_message"]["text"], "주말에도 여나요?");

    // An agent answers as the channel: the person sees the channel, not
    // the agent; the answer assigns the conversation to its writer.
    let conv = format!("{inbox}/{room_id}");
    let answer = agent
        .post(
            &format!("{conv}/messages"),
            json!({"client_id": "a1", "text": "네, 토요일 10시부터예요"}),
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    assert_eq!(answer.body["sender_id"], channel_id);
    let seen = person.all_messages(room_id).await;
    assert_eq!(seen.last().unwrap()["sender_id"], channel_id);
    assert_eq!(seen.last().unwrap()["text"], "네, 토요일 10시부터예요");
    let item = agent.get(&inbox).await.ok()["items"][0].clone();
    assert_eq!(item["assignee"], agent.user_id.0);
    assert_eq!(item["unread"], 0);
    let mine = agent.get(&format!("{inbox}?mine=true")).await.ok();
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    assert!(
        owner.get(&format!("{inbox}?mine=true")).await.ok()["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // The history reads the same for the agents.
    let history = owner.get(&format!("{conv}/messages")).await.ok();
    assert_eq!(history["messages"].as_array().unwrap().len(), 2);

    // Reassign to the owner; only agents can be assigned.
    owner
        .post(&format!("{conv}/assign"), json!({"agent_id": person.user_id.0}))
        .await
        .refused(400, "not_an_agent");
    let r = owner
        .post(&format!("{conv}/assign"), json!({"agent_id": owner.user_id.0}))
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(
        owner.get(&format!("{inbox}?mine=true")).await.ok()["items"][0]["room_id"],
        room_id.0
    );

    // Closed, then reopened by the person writing again.
    let r = agent.post(&format!("{conv}/close"), json!({})).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(
        agent.get(&format!("{inbox}?status=closed")).await.ok()["items"][0]["status"],
        "closed"
    );
    assert!(
        agent.get(&format!("{inbox}?status=open")).await.ok()["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    agent
        .get(&format!("{inbox}?status=maybe"))
        .await
        .refused(400, "invalid_status");
    person.send(room_id, "q2", "하나 더요").await;
    let item = agent.get(&inbox).await.ok()["items"][0].clone();
    assert_eq!(item["status"], "open");
    assert_eq!(item["unread"], 1);
    let seq = item["last_message"]["seq"].as_i64().unwrap();
    let r = agent.post(&format!("{conv}/read"), json!({"seq": seq})).await;
    assert_eq!(r.status, 204);
    assert_eq!(agent.get(&inbox).await.ok()["items"][0]["unread"], 0);

    // Outsiders and the person get none of the business's side.
    for c in [&outsider, &person] {
        c.get(&inbox).await.refused(404, "channel_not_found");
        c.get(&format!("{conv}/messages"))
            .await
            .refused(404, "channel_not_found");
        c.post(
            &format!("{conv}/messages"),
            json!({"client_id": "x", "text": "hi"}),
        )
        .await
        .refused(404, "channel_not_found");
        c.post(&format!("{conv}/close"), json!({}))
            .await
            .refused(404, "channel_not_found");
    }
    // A room of another channel is not this inbox's.
    let (_, other) = channel(&outsider, "other_shop", "다른 상점").await;
    add(&person, other, json!({})).await;
    let other_room = person.get(&format!("/api/v1/channels/{other}/room")).await.ok();
    agent
        .get(&format!("{inbox}/{}/messages", other_room["id"]))
        .await
        .refused(404, "room_not_found");
    agent
        .post(
            &format!("{conv}/messages"),
            json!({"client_id": "e", "text": " "}),
        )
        .await
        .refused(400, "empty_message");

    // Once the person removes the channel, it cannot write to them, answers included.
    let r = person.delete(&format!("/api/v1/channels/{ch}/friend")).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let before = person.all_messages(room_id).await.len();
    agent
        .post(
            &format!("{conv}/messages"),
            json!({"client_id": "late", "text": "아직 계세요?"}),
        )
        .await
        .refused(403, "channel_removed");
    assert_eq!(person.all_messages(room_id).await.len(), before);
}

#[tokio::test]
async fn channels_post_and_anyone_reads() {
    let srv = TestServer::start().await;
    let owner = srv.user("cpo").await;
    let reader = srv.user("cpr").await;
    let (_, ch) = channel(&owner, "post_shop", "포스트 상점").await;
    let posts = format!("/api/v1/channels/{ch}/posts");
    reader
        .post(&posts, json!({"text": "가짜 공지"}))
        .await
        .refused(404, "channel_not_found");
    owner
        .post(&posts, json!({"text": "  "}))
        .await
        .refused(400, "invalid_text");
    owner
        .post(&posts, json!({"text": "x".repeat(2001)}))
        .await
        .refused(400, "invalid_text");
    for i in 0..25 {
        let r = owner.post(&posts, json!({"text": format!("소식 {i}")})).await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let page = reader.get(&posts).await.ok();
    assert_eq!(page["posts"].as_array().unwrap().len(), 20);
    assert_eq!(page["posts"][0]["text"], "소식 24");
    let before = page["next_before"].as_i64().unwrap();
    let rest = reader.get(&format!("{posts}?before={before}")).await.ok();
    assert_eq!(rest["posts"].as_array().unwrap().len(), 5);
    assert_eq!(rest["posts"][4]["text"], "소식 0");
    assert!(rest["next_before"].is_null());
    reader
        .get("/api/v1/channels/999999/posts")
        .await
        .refused(404, "channel_not_found");
}
