//! Open Chat: creating, finding and joining (by search, link and entry
//! code, with a nickname or the real profile) and each refusal; 1:1 open
//! chats. Moderation, safety and anonymity have their own modules.

mod anonymity;
mod discovery;
mod earnings;
mod moderation;
mod safety;
pub(crate) mod screening;
mod settings;

use madang_core::Limits;
use madang_testkit::{Client, TestServer, test_limits};
use madang_types::RoomId;
use serde_json::{Value, json};

pub(crate) fn group(title: &str) -> Value {
    json!({
        "kind": "group", "title": title, "description": "같이 이야기해요", "hashtags": ["등산", "hiking"],
        "category": "outdoors", "visibility": "public", "host": {"as": "nickname", "nickname": "방장"}
    })
}

pub(crate) async fn create(c: &Client, body: Value) -> Value {
    let r = c.post("/api/v1/openchats", body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

pub(crate) fn id(chat: &Value) -> i64 {
    chat["id"].as_i64().expect("open chat id")
}

pub(crate) fn room_of(chat: &Value) -> RoomId {
    RoomId(chat["mine"]["room_id"].as_i64().expect("a room of mine"))
}

pub(crate) fn nickname(n: &str) -> Value {
    json!({"profile": {"as": "nickname", "nickname": n}})
}

/// Joins with a nickname; returns the open chat as the joiner sees it.
pub(crate) async fn join(c: &Client, chat: i64, n: &str) -> Value {
    c.post(&format!("/api/v1/openchats/{chat}/join"), nickname(n))
        .await
        .ok()
}

/// The joiner's room identity.
pub(crate) fn me_in(chat: &Value) -> i64 {
    chat["mine"]["me"]["id"].as_i64().expect("my member id")
}

#[tokio::test]
async fn creating_an_open_chat_is_checked() {
    let srv = TestServer::start().await;
    let h = srv.user("och").await;
    let with = |f: &dyn Fn(&mut Value)| {
        let mut b = group("ok");
        f(&mut b);
        b
    };
    let refusals: Vec<(Value, u16, &str)> = vec![
        (
            with(&|b| b["title"] = json!("가".repeat(30))),
            400,
            "invalid_title",
        ),
        (with(&|b| b["title"] = json!("  ")), 400, "invalid_title"),
        (
            with(&|b| b["hashtags"] = json!(["two words"])),
            400,
            "invalid_hashtag",
        ),
        (
            with(&|b| b["hashtags"] = json!(["a", "b", "c", "d", "e", "f"])),
            400,
            "invalid_hashtag",
        ),
        (with(&|b| b["category"] = json!("nope")), 400, "invalid_category"),
        (with(&|b| b["member_cap"] = json!(1)), 400, "invalid_member_cap"),
        (
            with(&|b| b["member_cap"] = json!(1501)),
            400,
            "invalid_member_cap",
        ),
        (
            with(&|b| b["entry_code"] = json!("1 2")),
            400,
            "invalid_entry_code",
        ),
        (with(&|b| b["cover"] = json!("nope")), 404, "media_not_found"),
        (
            with(&|b| b["host"] = json!({"as": "nickname", "nickname": ""})),
            400,
            "invalid_nickname",
        ),
        (
            with(&|b| b["real_profile_only"] = json!(true)),
            403,
            "real_profile_required",
        ),
        (with(&|b| b["kind"] = json!("party")), 400, "invalid_body"),
    ];
    for (body, status, code) in refusals {
        h.post("/api/v1/openchats", body).await.refused(status, code);
    }
    let chat = create(&h, group("서울 맛집 탐방")).await;
    assert_eq!(chat["member_count"], 1);
    assert_eq!(chat["member_cap"], 1500, "the operator's default");
    assert_eq!(chat["host"]["nickname"], "방장");
    assert!(
        chat["host"]["id"].as_i64().unwrap() < 0,
        "the host appears as a persona"
    );
    assert_eq!(chat["mine"]["me"]["role"], "host");
    assert_eq!(chat["link_code"].as_str().unwrap().len(), 10);
    let categories = h.get("/api/v1/openchats/categories").await.ok();
    assert!(categories.as_array().unwrap().iter().any(|c| c == "food"));
    // The room is in the host's chat list, titled after the open chat.
    let room = room_of(&chat);
    let listed = h.room(room).await;
    assert_eq!(
        (listed["kind"].as_str(), listed["title"].as_str()),
        (Some("open"), Some("서울 맛집 탐방"))
    );
    assert_eq!(listed["open_chat"], chat["id"]);
}

#[tokio::test]
async fn joining_by_search_link_and_entry_code_with_every_refusal() {
    let srv = TestServer::start().await;
    let h = srv.user("ojh").await;
    let a = srv.user("oja").await;
    let b = srv.user("ojb").await;
    let c = srv.user("ojc").await;
    let mut body = group("coded");
    body["entry_code"] = json!("1234");
    body["member_cap"] = json!(3);
    let chat = create(&h, body).await;
    let cid = id(&chat);
    let path = format!("/api/v1/openchats/{cid}/join");
    assert_eq!(
        a.get(&format!("/api/v1/openchats/{cid}")).await.ok()["has_entry_code"],
        true
    );
    a.post(
        &path,
        json!({"profile": {"as": "nickname", "nickname": "등산러"}, "entry_code": "0000"}),
    )
    .await
    .refused(403, "wrong_entry_code");
    a.post(
        &path,
        json!({"profile": {"as": "nickname", "nickname": "등산러"}}),
    )
    .await
    .refused(403, "wrong_entry_code");
    let joined = a
        .post(
            &path,
            json!({"profile": {"as": "nickname", "nickname": "등산러"}, "entry_code": "1234"}),
        )
        .await
        .ok();
    assert_eq!(joined["mine"]["me"]["nickname"], "등산러");
    assert_eq!(joined["member_count"], 2);
    // Joining again changes nothing.
    let again = a
        .post(
            &path,
            json!({"profile": {"as": "nickname", "nickname": "other"}, "entry_code": "1234"}),
        )
        .await
        .ok();
    assert_eq!(again["mine"]["me"]["id"], joined["mine"]["me"]["id"]);
    b.post(
        &path,
        json!({"profile": {"as": "nickname", "nickname": "등산러"}, "entry_code": "1234"}),
    )
    .await
    .refused(400, "nickname_taken");
    b.post(
        &path,
        json!({"profile": {"as": "nickname", "nickname": "b"}, "entry_code": "1234"}),
    )
    .await
    .ok();
    c.post(
        &path,
        json!({"profile": {"as": "nickname", "nickname": "c"}, "entry_code": "1234"}),
    )
    .await
    .refused(409, "room_full");
    // The host is in already: joining again changes nothing.
    assert_eq!(
        h.post(&path, nickname("me")).await.ok()["mine"]["me"]["role"],
        "host"
    );
    a.post("/api/v1/openchats/999999/join", nickname("x"))
        .await
        .refused(404, "open_chat_not_found");

    // Link-only: invisible by id to outsiders, open by link.
    let mut hidden = group("link only");
    hidden["visibility"] = json!("link");
    let hidden = create(&h, hidden).await;
    let hid = id(&hidden);
    let code = hidden["link_code"].as_str().unwrap().to_owned();
    c.get(&format!("/api/v1/openchats/{hid}"))
        .await
        .refused(404, "open_chat_not_found");
    c.post(&format!("/api/v1/openchats/{hid}/join"), nickname("c"))
        .await
        .refused(404, "open_chat_not_found");
    let seen = c.get(&format!("/api/v1/openchats/links/{code}")).await.ok();
    assert_eq!(
        seen["link_code"],
        Value::Null,
        "outsiders do not get the link back"
    );
    let joined = c
        .post(&format!("/api/v1/openchats/links/{code}/join"), nickname("c"))
        .await
        .ok();
    assert_eq!(joined["link_code"].as_str(), Some(code.as_str()));
    assert_eq!(
        c.get(&format!("/api/v1/openchats/{hid}")).await.status,
        200,
        "a member finds it by id"
    );
    c.get("/api/v1/openchats/links/nosuchcode")
        .await
        .refused(404, "open_chat_not_found");

    // Real profiles only.
    let mut real = group("real names");
    real["real_profile_only"] = json!(true);
    real["host"] = json!({"as": "real_profile"});
    let real = create(&h, real).await;
    let rid = id(&real);
    assert_eq!(
        real["host"]["id"], h.user_id.0,
        "a real-profile host shows who they are"
    );
    c.post(&format!("/api/v1/openchats/{rid}/join"), nickname("anon"))
        .await
        .refused(403, "real_profile_required");
    let joined = c
        .post(
            &format!("/api/v1/openchats/{rid}/join"),
            json!({"profile": {"as": "real_profile"}}),
        )
        .await
        .ok();
    assert_eq!(
        (
            joined["mine"]["me"]["id"].as_i64(),
            joined["mine"]["me"]["real_profile"].as_bool()
        ),
        (Some(c.user_id.0), Some(true))
    );
}

#[tokio::test]
async fn entry_code_guesses_are_limited() {
    let limits = Limits {
        entry_code_attempts_per_minute: 3,
        ..test_limits()
    };
    let srv = TestServer::start_with(limits).await;
    let h = srv.user("egh").await;
    let g = srv.user("egg").await;
    let mut body = group("guarded");
    body["entry_code"] = json!("secret");
    let cid = id(&create(&h, body).await);
    let path = format!("/api/v1/openchats/{cid}/join");
    for guess in ["aaaa", "bbbb", "cccc"] {
        g.post(
            &path,
            json!({"profile": {"as": "nickname", "nickname": "g"}, "entry_code": guess}),
        )
        .await
        .refused(403, "wrong_entry_code");
    }
    g.post(
        &path,
        json!({"profile": {"as": "nickname", "nickname": "g"}, "entry_code": "secret"}),
    )
    .await
    .refused(429, "rate_limited");
}

#[tokio::test]
async fn a_one_on_one_open_chat_opens_a_private_room_per_visitor() {
    let srv = TestServer::start().await;
    let h = srv.user("o1h").await;
    let v1 = srv.user("o1a").await;
    let v2 = srv.user("o1b").await;
    let v3 = srv.user("o1c").await;
    let chat = create(
        &h,
        json!({"kind": "one_on_one", "title": "진로 상담", "category": "career", "visibility": "public",
               "member_cap": 2, "host": {"as": "nickname", "nickname": "상담사"}}),
    )
    .await;
    let cid = id(&chat);
    assert_eq!(
        chat["mine"]["room_id"],
        Value::Null,
        "the host has a room per visitor"
    );
    h.post(&format!("/api/v1/openchats/{cid}/join"), nickname("me"))
        .await
        .refused(400, "own_open_chat");
    let first = join(&v1, cid, "학생1").await;
    let room1 = room_of(&first);
    assert_eq!(
        room_of(&join(&v1, cid, "학생1").await),
        room1,
        "one room per visitor"
    );
    let room2 = room_of(&join(&v2, cid, "학생2").await);
    assert_ne!(room1, room2);
    v3.post(&format!("/api/v1/openchats/{cid}/join"), nickname("학생3"))
        .await
        .refused(409, "room_full");
    // The host is in both rooms, and neither is "the host's room".
    let seen_by_host = h.get(&format!("/api/v1/openchats/{cid}")).await.ok();
    assert_eq!(
        (
            seen_by_host["mine"]["room_id"].clone(),
            seen_by_host["mine"]["me"]["role"].as_str()
        ),
        (Value::Null, Some("host"))
    );
    h.post(&format!("/api/v1/openchats/{cid}/join"), nickname("me"))
        .await
        .refused(400, "own_open_chat");
    // The host sees both rooms, each titled with the visitor's nickname.
    let titles: Vec<String> = h
        .get("/api/v1/rooms")
        .await
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "open_direct")
        .map(|r| r["title"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(titles.len(), 2);
    assert!(titles.contains(&"학생1".to_owned()) && titles.contains(&"학생2".to_owned()));
    // The visitor sees the host's open profile, not the account.
    let seen = v1.room(room1).await;
    assert_eq!(seen["title"], "상담사");
    assert!(seen["peer"]["id"].as_i64().unwrap() < 0);
    v1.send(room1, "q1", "안녕하세요").await;
    h.send(room1, "a1", "네 반가워요").await;
    // Leaving ends the conversation and frees a place.
    assert_eq!(
        v1.delete(&format!("/api/v1/rooms/{room1}/members/me"))
            .await
            .status,
        204
    );
    h.try_send(room1, "a2", "still there?")
        .await
        .refused(403, "room_closed");
    join(&v3, cid, "학생3").await;
    // A visitor the host kicks (and bans) ends that conversation too, and
    // cannot open another.
    let room2_member = v2.room(room2).await["my_id"].clone();
    h.post(
        &format!("/api/v1/rooms/{room2}/kicks"),
        json!({"member_id": room2_member, "ban": true}),
    )
    .await
    .ok();
    h.try_send(room2, "a3", "bye").await.refused(403, "room_closed");
    v2.post(&format!("/api/v1/openchats/{cid}/join"), nickname("다시"))
        .await
        .refused(403, "banned");
    let after = h.get(&format!("/api/v1/openchats/{cid}")).await.ok();
    assert_eq!(after["member_count"], 1, "one conversation left open");
}
