//! Hosts and co-hosts: hiding and restoring, kicks and bans, notices,
//! co-hosts, handing over, a host who leaves, banned words and flooding.

use super::{create, group, id, join, me_in, room_of};
use madang_core::Limits;
use madang_testkit::{TestServer, Ws, test_limits};
use madang_types::events::{EventBody, ServerFrame};
use serde_json::json;
use std::collections::BTreeMap;
use std::time::Duration;

#[tokio::test]
async fn hosts_and_cohosts_hide_kick_and_ban_but_nobody_touches_the_host() {
    let limits = Limits {
        open_chat_cohost_cap: 2,
        ..test_limits()
    };
    let srv = TestServer::start_with(limits).await;
    let h = srv.user("mh").await;
    let c = srv.user("mc").await;
    let c2 = srv.user("md").await;
    let m1 = srv.user("m1").await;
    let m2 = srv.user("m2").await;
    let extra = srv.user("mx").await;
    let chat = create(&h, group("moderated")).await;
    let cid = id(&chat);
    let room = room_of(&chat);
    let host_id = chat["host"]["id"].as_i64().unwrap();
    let c_id = me_in(&join(&c, cid, "부방장").await);
    let c2_id = me_in(&join(&c2, cid, "부방장2").await);
    let m1_id = me_in(&join(&m1, cid, "멤버1").await);
    let m2_id = me_in(&join(&m2, cid, "멤버2").await);
    let extra_id = me_in(&join(&extra, cid, "멤버3").await);
    let rooms = format!("/api/v1/rooms/{room}");
    let chats = format!("/api/v1/openchats/{cid}");

    let spam = m1.send(room, "s1", "buy my stuff").await;
    let from_host = h.send(room, "h1", "welcome all").await;
    // Members may not moderate.
    m2.raw(
        reqwest::Method::PUT,
        &format!("{rooms}/messages/{spam}/hidden"),
        None,
    )
    .await
    .refused(403, "not_host");
    m2.post(&format!("{rooms}/kicks"), json!({"member_id": m1_id}))
        .await
        .refused(403, "not_host");
    m2.raw(reqwest::Method::PUT, &format!("{chats}/cohosts/{m2_id}"), None)
        .await
        .refused(403, "not_host");

    // The host appoints co-hosts, up to the cap.
    for who in [c_id, c2_id] {
        let r = h
            .raw(reqwest::Method::PUT, &format!("{chats}/cohosts/{who}"), None)
            .await;
        assert_eq!(r.status, 204, "{}", r.body);
    }
    h.raw(reqwest::Method::PUT, &format!("{chats}/cohosts/{m2_id}"), None)
        .await
        .refused(400, "too_many_cohosts");
    c.raw(reqwest::Method::PUT, &format!("{chats}/cohosts/{m2_id}"), None)
        .await
        .refused(403, "not_host");

    // A co-host hides a member's message: everyone sees it hidden, in
    // history and in the replayed log; then restores it.
    let (mut ws, _) = Ws::connect(&srv.base, m2.token.as_deref().unwrap(), &BTreeMap::new()).await;
    let r = c
        .raw(
            reqwest::Method::PUT,
            &format!("{rooms}/messages/{spam}/hidden"),
            None,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    ws.until(
        Duration::from_secs(10),
        |f| matches!(f, ServerFrame::Event { event } if matches!(event.body, EventBody::Hidden { .. })),
    )
    .await;
    let shown = m2.all_messages(room).await;
    let hidden = shown.iter().find(|m| m["seq"] == spam.0).unwrap();
    assert_eq!(
        (hidden["hidden"].as_bool(), hidden["text"].as_str()),
        (Some(true), Some(""))
    );
    let log = m2.get(&format!("{rooms}/events?after=0")).await.ok().to_string();
    assert!(
        !log.contains("buy my stuff"),
        "the log no longer carries the text"
    );
    let r = c
        .raw(
            reqwest::Method::DELETE,
            &format!("{rooms}/messages/{spam}/hidden"),
            None,
        )
        .await;
    assert_eq!(r.status, 204);
    let back = m2.all_messages(room).await;
    assert_eq!(
        back.iter().find(|m| m["seq"] == spam.0).unwrap()["text"],
        "buy my stuff"
    );
    c.raw(
        reqwest::Method::DELETE,
        &format!("{rooms}/messages/{spam}/hidden"),
        None,
    )
    .await
    .refused(404, "hidden_message_not_found");

    // Nobody hides or kicks the host; a co-host does not touch another.
    c.raw(
        reqwest::Method::PUT,
        &format!("{rooms}/messages/{from_host}/hidden"),
        None,
    )
    .await
    .refused(403, "cannot_moderate_host");
    c.post(&format!("{rooms}/kicks"), json!({"member_id": host_id}))
        .await
        .refused(403, "cannot_moderate_host");
    c.post(&format!("{rooms}/kicks"), json!({"member_id": c2_id}))
        .await
        .refused(403, "cannot_moderate_cohost");
    c.post(&format!("{rooms}/kicks"), json!({"member_id": c_id}))
        .await
        .refused(400, "cannot_kick_self");

    // Kick with ban: gone, and cannot come back under another nickname.
    let r = c
        .post(
            &format!("{rooms}/kicks"),
            json!({"member_id": m1_id, "ban": true}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    m1.try_send(room, "s2", "again").await.refused(403, "not_member");
    m1.post(&format!("{chats}/join"), super::nickname("새이름"))
        .await
        .refused(403, "banned");
    let bans = c.get(&format!("{chats}/bans")).await.ok();
    assert_eq!(bans[0]["nickname"], "멤버1");
    assert!(
        !bans.to_string().contains(&m1.handle),
        "a ban names the nickname only"
    );
    m2.get(&format!("{chats}/bans")).await.refused(403, "not_host");
    let ban = bans[0]["id"].as_i64().unwrap();
    assert_eq!(h.delete(&format!("{chats}/bans/{ban}")).await.status, 204);
    h.delete(&format!("{chats}/bans/{ban}"))
        .await
        .refused(404, "ban_not_found");
    join(&m1, cid, "돌아옴").await;
    // A kick without a ban lets them back.
    c.post(&format!("{rooms}/kicks"), json!({"member_id": extra_id}))
        .await
        .ok();
    join(&extra, cid, "다시").await;

    // Notices: hosts and co-hosts only.
    m2.raw(
        reqwest::Method::PUT,
        &format!("{chats}/notice"),
        Some((
            json!({"seq": from_host}).to_string().into_bytes(),
            "application/json",
        )),
    )
    .await
    .refused(403, "not_host");
    let r = c
        .raw(
            reqwest::Method::PUT,
            &format!("{chats}/notice"),
            Some((
                json!({"seq": from_host}).to_string().into_bytes(),
                "application/json",
            )),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(m2.get(&chats).await.ok()["notice"], from_host.0);
    assert_eq!(c.delete(&format!("{chats}/notice")).await.status, 204);
    assert_eq!(m2.get(&chats).await.ok()["notice"], json!(null));

    // Handing over: only the host; then the old host is a member.
    c.post(&format!("{chats}/host"), json!({"member_id": m2_id}))
        .await
        .refused(403, "not_host");
    assert_eq!(
        h.post(&format!("{chats}/host"), json!({"member_id": m2_id}))
            .await
            .status,
        204
    );
    let now = m2.get(&chats).await.ok();
    assert_eq!(
        (now["host"]["id"].as_i64(), now["mine"]["me"]["role"].as_str()),
        (Some(m2_id), Some("host"))
    );
    h.post(&format!("{rooms}/kicks"), json!({"member_id": c_id}))
        .await
        .refused(403, "not_host");
    // The old host leaves; the room goes on under its new host.
    assert_eq!(h.delete(&format!("{rooms}/members/me")).await.status, 204);
    m2.send(room, "m2a", "still open").await;
}

#[tokio::test]
async fn a_host_who_leaves_without_handing_over_closes_the_room() {
    let srv = TestServer::start().await;
    let h = srv.user("lh").await;
    let m = srv.user("lm").await;
    let late = srv.user("ll").await;
    let chat = create(&h, group("short lived")).await;
    let cid = id(&chat);
    let room = room_of(&chat);
    join(&m, cid, "멤버").await;
    m.send(room, "b1", "hello").await;
    let (mut ws, _) = Ws::connect(&srv.base, m.token.as_deref().unwrap(), &BTreeMap::new()).await;
    assert_eq!(
        h.delete(&format!("/api/v1/rooms/{room}/members/me")).await.status,
        204
    );
    ws.until(
        Duration::from_secs(10),
        |f| matches!(f, ServerFrame::Event { event } if event.body == EventBody::Closed),
    )
    .await;
    m.try_send(room, "b2", "anyone?")
        .await
        .refused(403, "room_closed");
    assert_eq!(
        m.get(&format!("/api/v1/openchats/{cid}")).await.ok()["closed"],
        true
    );
    assert_eq!(m.all_messages(room).await.len(), 1, "history stays");
    late.post(&format!("/api/v1/openchats/{cid}/join"), super::nickname("늦음"))
        .await
        .refused(404, "open_chat_not_found");
    late.get(&format!("/api/v1/openchats/{cid}"))
        .await
        .refused(404, "open_chat_not_found");
}

#[tokio::test]
async fn banned_words_and_flooding_are_refused() {
    let srv = TestServer::start().await;
    let h = srv.user("fh").await;
    let m = srv.user("fm").await;
    let chat = create(&h, group("clean talk")).await;
    let cid = id(&chat);
    let room = room_of(&chat);
    join(&m, cid, "멤버").await;
    let words = format!("/api/v1/openchats/{cid}/banned-words");
    let body =
        |w: serde_json::Value| Some((json!({ "words": w }).to_string().into_bytes(), "application/json"));
    m.raw(reqwest::Method::PUT, &words, body(json!(["광고"])))
        .await
        .refused(403, "not_host");
    let set = h
        .raw(
            reqwest::Method::PUT,
            &words,
            body(json!(["광고", "Free Coin", "free coin"])),
        )
        .await
        .ok();
    assert_eq!(set["words"], json!(["광고", "Free Coin"]));
    // The refusal names the word, so a client can say it in its language.
    let banned = m.try_send(room, "w1", "무료 광고 받아가세요").await;
    banned.refused(400, "banned_word");
    assert_eq!(banned.body["error"]["word"], "광고");
    let banned = m.try_send(room, "w2", "get FREECOIN now").await;
    banned.refused(400, "banned_word");
    assert_eq!(banned.body["error"]["word"], "Free Coin", "the host's spelling");
    // Over the socket the refusal carries the same detail.
    let (mut ws, _) = Ws::connect(&srv.base, m.token.as_deref().unwrap(), &BTreeMap::new()).await;
    ws.send_json(json!({"type": "send", "room_id": room, "client_id": "w-ws", "text": "광고 있어요"}))
        .await;
    let frames = ws
        .until(Duration::from_secs(10), |f| {
            matches!(f, ServerFrame::Error { .. })
        })
        .await;
    assert!(
        matches!(frames.last(), Some(ServerFrame::Error { error, client_id: Some(c) })
            if error.code == "banned_word" && error.word.as_deref() == Some("광고") && c.0 == "w-ws"),
        "{frames:?}"
    );
    let clean = m.send(room, "w3", "평범한 말").await;
    // An edit is held to the same rules, and a refused one changes nothing.
    let path = format!("/api/v1/rooms/{room}/messages/{}", clean.0);
    m.patch(&path, json!({"text": "평범한 광고"}))
        .await
        .refused(400, "banned_word");
    let history = m.all_messages(room).await;
    let kept = history.iter().find(|x| x["seq"] == clean.0).expect("the message");
    assert_eq!(kept["text"], "평범한 말");
    assert!(kept["edited_at"].is_null());
    // The same text a fourth time in a minute, then link bursts.
    for i in 0..3 {
        m.send(room, &format!("r{i}"), "ㅋㅋㅋ").await;
    }
    let flood = m.try_send(room, "r3", "ㅋㅋㅋ").await;
    flood.refused(429, "flooding");
    assert!(flood.headers.contains_key("retry-after"));
    assert_eq!(flood.body["error"]["reason"], "same_text");
    let wait = flood.body["error"]["retry_after_ms"]
        .as_i64()
        .expect("retry_after_ms");
    assert!((1..=60_000).contains(&wait), "{wait}");
    srv.clock.advance(Duration::from_secs(61));
    m.send(room, "r4", "ㅋㅋㅋ").await;
    for i in 0..3 {
        m.send(room, &format!("l{i}"), &format!("see https://example.org/{i}"))
            .await;
    }
    let links = m.try_send(room, "l3", "and www.example.net").await;
    links.refused(429, "flooding");
    assert_eq!(links.body["error"]["reason"], "links");
    // Nor can a fourth link arrive by editing a message.
    m.patch(&path, json!({"text": "평범한 말 www.example.net"}))
        .await
        .refused(429, "flooding");
    // Ordinary chats have none of these rules.
    let g = h.group("friends", &[&m]).await;
    for i in 0..5 {
        m.send(g, &format!("g{i}"), "ㅋㅋㅋ 광고").await;
    }
}
