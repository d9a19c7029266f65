//! Spam screening without a model: the host's setting, strict rooms
//! holding newcomers' links for review, the review itself, the
//! operator's labelled examples, and each refusal. With the real
//! embedder, `ai::spam_like_messages_are_hidden_until_a_host_reviews_them`.

use super::{create, group, id, join, room_of};
use madang_testkit::{Client, TestServer};
use madang_types::RoomId;
use serde_json::{Value, json};
use std::time::Duration;

/// The flagged messages of an open chat once there are `n` (screening runs
/// after the send, in the background); fails after 30 s.
pub(crate) async fn flagged(host: &Client, chat: i64, n: usize) -> Vec<Value> {
    let path = format!("/api/v1/openchats/{chat}/flagged");
    for _ in 0..600 {
        let got = host.get(&path).await.ok();
        let messages = got["messages"].as_array().cloned().unwrap_or_default();
        if messages.len() >= n {
            return messages;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{n} flagged messages never came in open chat {chat}");
}

/// The message at `seq` as `who` sees it.
pub(crate) async fn message(who: &Client, room: RoomId, seq: i64) -> Value {
    let page = who
        .get(&format!(
            "/api/v1/rooms/{room}/messages?before={}&limit=1",
            seq + 1
        ))
        .await
        .ok();
    page["messages"][0].clone()
}

#[tokio::test]
async fn strict_rooms_hold_newcomers_links_until_a_host_reviews_them() {
    let srv = TestServer::start().await; // no models: the host's rules alone
    let host = srv.user("sh").await;
    let strict = create(&host, group("strict room")).await;
    let lenient = create(&host, group("lenient room")).await;
    let (sid, lid) = (id(&strict), id(&lenient));
    let (sroom, lroom) = (room_of(&strict), room_of(&lenient));
    let newcomer = srv.user("sn").await;
    join(&newcomer, sid, "새내기").await;
    join(&newcomer, lid, "새내기").await;

    // Every group starts on `model`; without an embedder that signal is off.
    let settings = host.get(&format!("/api/v1/openchats/{sid}/screening")).await.ok();
    assert_eq!(
        settings,
        json!({"mode": "model", "model_signal": false, "pending": 0})
    );
    newcomer
        .put(
            &format!("/api/v1/openchats/{sid}/screening"),
            json!({"mode": "off"}),
        )
        .await
        .refused(403, "not_host");
    newcomer
        .get(&format!("/api/v1/openchats/{sid}/screening"))
        .await
        .refused(403, "not_host");
    host.put(
        &format!("/api/v1/openchats/{sid}/screening"),
        json!({"mode": "lenient"}),
    )
    .await
    .refused(400, "invalid_body");
    let set = |chat: i64, mode: &'static str| {
        let host = &host;
        async move {
            host.put(
                &format!("/api/v1/openchats/{chat}/screening"),
                json!({"mode": mode}),
            )
            .await
            .ok()
        }
    };
    assert_eq!(set(sid, "strict").await["mode"], "strict");
    assert_eq!(set(lid, "off").await["mode"], "off");

    // Screening is one queue per node: once the strict room's link is
    // flagged, everything sent before it has been looked at.
    let off_link = newcomer
        .send(lroom, "l1", "my shop https://deals.example/x")
        .await;
    let hosts_link = host.send(sroom, "h1", "rules: https://rules.example").await;
    let plain = newcomer
        .send(sroom, "s1", "hello everyone, glad to be here")
        .await;
    let link = newcomer
        .send(sroom, "s2", "cheap stuff at https://deals.example/y")
        .await;
    let held = flagged(&host, sid, 1).await;
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0]["seq"], link.0);
    assert_eq!(held[0]["room_id"], sroom.0);
    assert_eq!(held[0]["reason"], "newcomer_link");
    assert_eq!(held[0]["nickname"], "새내기");
    assert_eq!(held[0]["text"], "cheap stuff at https://deals.example/y");
    assert!(held[0]["score"].is_null());
    let pending = |chat: i64| {
        let host = &host;
        async move {
            host.get(&format!("/api/v1/openchats/{chat}/screening"))
                .await
                .ok()["pending"]
                .clone()
        }
    };
    assert_eq!(pending(sid).await, 1, "the toolbar's count");
    assert!(flagged(&host, lid, 0).await.is_empty(), "screening is off there");
    assert_eq!(pending(lid).await, 0);
    for seq in [hosts_link.0, plain.0] {
        assert_eq!(message(&newcomer, sroom, seq).await["hidden"], false);
    }
    assert_eq!(message(&newcomer, lroom, off_link.0).await["hidden"], false);
    let hidden = message(&newcomer, sroom, link.0).await;
    assert_eq!(hidden["hidden"], true);
    assert_eq!(hidden["text"], "");

    // Only hosts and co-hosts see and review what was held.
    let review = format!("/api/v1/openchats/{sid}/flagged/{}", link.0);
    newcomer
        .get(&format!("/api/v1/openchats/{sid}/flagged"))
        .await
        .refused(403, "not_host");
    newcomer
        .post(&review, json!({"verdict": "fine"}))
        .await
        .refused(403, "not_host");
    host.post(&review, json!({"verdict": "maybe"}))
        .await
        .refused(400, "invalid_body");
    host.post(
        &format!("/api/v1/openchats/{sid}/flagged/{}", plain.0),
        json!({"verdict": "spam"}),
    )
    .await
    .refused(404, "flag_not_found");

    // Fine: shown again, and the flag is settled.
    let r = host.post(&review, json!({"verdict": "fine"})).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let shown = message(&newcomer, sroom, link.0).await;
    assert_eq!(shown["hidden"], false);
    assert_eq!(shown["text"], "cheap stuff at https://deals.example/y");
    assert!(flagged(&host, sid, 0).await.is_empty());
    assert_eq!(pending(sid).await, 0);
    host.post(&review, json!({"verdict": "fine"}))
        .await
        .refused(404, "hidden_message_not_found");

    // Spam: it stays hidden; restoring it later by hand settles nothing more.
    let again = newcomer.send(sroom, "s3", "more at www.deals.example").await;
    let held = flagged(&host, sid, 1).await;
    assert_eq!(held[0]["seq"], again.0);
    let review = format!("/api/v1/openchats/{sid}/flagged/{}", again.0);
    let r = host.post(&review, json!({"verdict": "spam"})).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert!(flagged(&host, sid, 0).await.is_empty());
    assert_eq!(message(&newcomer, sroom, again.0).await["hidden"], true);
    host.post(&review, json!({"verdict": "spam"}))
        .await
        .refused(404, "flag_not_found");

    // Restoring a held message from the room (↺) settles its flag too.
    let third = newcomer
        .send(sroom, "s4", "last one https://deals.example/z")
        .await;
    flagged(&host, sid, 1).await;
    let r = host
        .delete(&format!("/api/v1/rooms/{sroom}/messages/{}/hidden", third.0))
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert!(flagged(&host, sid, 0).await.is_empty());

    // An edit is screened again (a minute on, so that the flood guard,
    // which edits also answer to, has forgotten the links above).
    srv.clock.advance(Duration::from_secs(61));
    let edited = newcomer.send(sroom, "s5", "nice weather today").await;
    let r = newcomer
        .patch(
            &format!("/api/v1/rooms/{sroom}/messages/{}", edited.0),
            json!({"text": "nice deals at https://deals.example/w"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let held = flagged(&host, sid, 1).await;
    assert_eq!(held[0]["seq"], edited.0);
}

#[tokio::test]
async fn operators_label_the_examples_screening_compares_with() {
    let srv = TestServer::start().await;
    let op = srv.user("sop").await;
    let path = "/api/v1/admin/spam-examples";
    op.get(path).await.refused(403, "not_operator");
    op.post(path, json!({"text": "free coins", "spam": true}))
        .await
        .refused(403, "not_operator");
    srv.node().core.grant_operator(&op.handle).await.unwrap();
    assert_eq!(op.get(path).await.ok(), json!([]));
    op.post(path, json!({"text": "  ", "spam": true}))
        .await
        .refused(400, "empty_text");
    op.post(path, json!({"text": "x".repeat(501), "spam": true}))
        .await
        .refused(413, "too_large");
    op.post(path, json!({"text": "free coins"}))
        .await
        .refused(400, "invalid_body");
    let spam = op
        .post(path, json!({"text": " free coins, DM me ", "spam": true}))
        .await
        .ok();
    assert_eq!(spam["text"], "free coins, DM me");
    assert_eq!(spam["spam"], true);
    let fine = op
        .post(path, json!({"text": "see you at the meetup", "spam": false}))
        .await
        .ok();
    // Labelling the same text again changes its label, not the count.
    let relabelled = op
        .post(path, json!({"text": "free coins, DM me", "spam": false}))
        .await
        .ok();
    assert_eq!(relabelled["id"], spam["id"]);
    let all = op.get(path).await.ok();
    let labels: Vec<(Value, Value)> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["id"].clone(), l["spam"].clone()))
        .collect();
    assert_eq!(
        labels,
        vec![
            (spam["id"].clone(), json!(false)),
            (fine["id"].clone(), json!(false))
        ]
    );
    let one = format!("{path}/{}", fine["id"]);
    assert_eq!(op.delete(&one).await.status, 204);
    op.delete(&one).await.refused(404, "example_not_found");
    assert_eq!(op.get(path).await.ok().as_array().unwrap().len(), 1);
}
