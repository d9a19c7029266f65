//! Reports reach the operators' queue; operators suspend from open chats
//! for days or for good; each refusal.

use super::{create, group, id, join, room_of};
use madang_core::safety::Authority;
use madang_testkit::TestServer;
use madang_types::openchat::SuspendRequest;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn reports_reach_operators_who_suspend_from_open_chats() {
    let srv = TestServer::start().await;
    let h = srv.user("sh").await;
    let spammer = srv.user("ss").await;
    let witness = srv.user("sw").await;
    let op = srv.user("so").await;
    let chat = create(&h, group("reported")).await;
    let cid = id(&chat);
    let room = room_of(&chat);
    join(&spammer, cid, "판매왕").await;
    join(&witness, cid, "목격자").await;
    let bad = spammer.send(room, "x1", "cheap pills here").await;
    let report = |seq: i64, reason: &str| json!({"target": {"type": "message", "room_id": room, "seq": seq}, "reason": reason});

    witness
        .post("/api/v1/reports", report(bad.0, "rude"))
        .await
        .refused(400, "invalid_reason");
    spammer
        .post("/api/v1/reports", report(bad.0, "spam"))
        .await
        .refused(400, "own_message");
    op.post("/api/v1/reports", report(bad.0, "spam"))
        .await
        .refused(403, "not_member");
    witness
        .post("/api/v1/reports", report(999, "spam"))
        .await
        .refused(404, "message_not_found");
    assert_eq!(
        witness
            .post("/api/v1/reports", report(bad.0, "spam"))
            .await
            .status,
        204
    );
    let chat_report = json!({"target": {"type": "open_chat", "open_chat_id": cid}, "reason": "other", "details": "scam room"});
    assert_eq!(witness.post("/api/v1/reports", chat_report).await.status, 204);
    // Hiding the message later does not erase the evidence.
    h.raw(
        reqwest::Method::PUT,
        &format!("/api/v1/rooms/{room}/messages/{bad}/hidden"),
        None,
    )
    .await;

    // Only operators see the queue.
    op.get("/api/v1/admin/reports").await.refused(403, "not_operator");
    srv.node().core.grant_operator(&op.handle).await.unwrap();
    let queue = op.get("/api/v1/admin/reports").await.ok();
    let first = &queue[0];
    assert_eq!(
        (
            first["reported_handle"].as_str(),
            first["excerpt"].as_str(),
            first["reporter_handle"].as_str()
        ),
        (
            Some(spammer.handle.as_str()),
            Some("cheap pills here"),
            Some(witness.handle.as_str())
        )
    );
    assert_eq!(
        queue[1]["reported_handle"],
        h.handle.as_str(),
        "an open chat's report names its host"
    );

    // A suspension for 7 days: no joining, no sending in open chats.
    let suspend = |days: Option<i64>| json!({"user_id": spammer.user_id, "days": days, "reason": "spam"});
    op.post("/api/v1/admin/suspensions", suspend(Some(61)))
        .await
        .refused(400, "invalid_days");
    witness
        .post("/api/v1/admin/suspensions", suspend(Some(7)))
        .await
        .refused(403, "not_operator");
    op.post("/api/v1/admin/suspensions", suspend(Some(7))).await.ok();
    spammer
        .try_send(room, "x2", "still here")
        .await
        .refused(403, "suspended");
    let other = create(&h, group("another")).await;
    spammer
        .post(
            &format!("/api/v1/openchats/{}/join", id(&other)),
            super::nickname("새"),
        )
        .await
        .refused(403, "suspended");
    spammer
        .post("/api/v1/openchats", group("mine"))
        .await
        .refused(403, "suspended");
    // Ordinary chats are not affected.
    let dm = spammer.direct(&witness).await;
    spammer.send(dm, "d1", "hi").await;
    // Eight days on it has run out.
    srv.clock.advance(Duration::from_secs(8 * 86_400));
    spammer.send(room, "x3", "sorry").await;

    // For good, until lifted.
    op.post("/api/v1/admin/suspensions", suspend(None)).await.ok();
    srv.clock.advance(Duration::from_secs(20 * 86_400));
    spammer
        .try_send(room, "x4", "hello?")
        .await
        .refused(403, "suspended");
    let listed = op.get("/api/v1/admin/suspensions").await.ok();
    assert_eq!(
        (listed[0]["handle"].as_str(), listed[0]["until"].clone()),
        (Some(spammer.handle.as_str()), json!(null))
    );
    assert_eq!(
        op.delete(&format!("/api/v1/admin/suspensions/{}", spammer.user_id))
            .await
            .status,
        204
    );
    spammer.send(room, "x5", "back").await;

    // Resolving empties the queue.
    for r in queue.as_array().unwrap() {
        let path = format!("/api/v1/admin/reports/{}/resolve", r["id"]);
        assert_eq!(op.post(&path, json!({})).await.status, 204);
    }
    assert_eq!(op.get("/api/v1/admin/reports").await.ok(), json!([]));
}

#[tokio::test]
async fn the_console_acts_as_an_operator() {
    let srv = TestServer::start().await;
    let u = srv.user("cu").await;
    let core = &srv.node().core;
    let s = core
        .suspend(
            &Authority::Console,
            SuspendRequest {
                user_id: u.user_id,
                days: Some(3),
                reason: "console".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(s.handle, u.handle);
    u.post("/api/v1/openchats", group("x"))
        .await
        .refused(403, "suspended");
}

/// `madang admin`, the real binary, against the running server's
/// database. Awaited, not blocked on: a blocked runtime would stall the
/// server's own workers mid-transaction and hold SQLite's write lock.
async fn admin(srv: &TestServer, args: &[&str]) -> String {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_madang"))
        .arg("admin")
        .args(["--database-url", &srv.db.url, "--data-dir"])
        .arg(&srv.config.data_dir)
        .args(args)
        .env("MADANG_LOG", "warn")
        .output()
        .await
        .expect("madang admin runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn the_admin_console_reads_reports_suspends_and_appoints_operators() {
    let srv = TestServer::start().await;
    let h = srv.user("ch").await;
    let bad = srv.user("cbad").await;
    let w = srv.user("cw").await;
    let chat = create(&h, group("console")).await;
    let room = room_of(&chat);
    join(&bad, id(&chat), "악당").await;
    join(&w, id(&chat), "목격").await;
    let seq = bad.send(room, "c1", "scam link").await;
    let report = json!({"target": {"type": "message", "room_id": room, "seq": seq}, "reason": "spam"});
    assert_eq!(w.post("/api/v1/reports", report).await.status, 204);
    let listed = admin(&srv, &["reports"]).await;
    assert!(
        listed.contains(&bad.handle) && listed.contains("scam link"),
        "{listed}"
    );
    assert!(
        admin(&srv, &["suspend", &bad.handle, "--days", "3", "--reason", "scam"])
            .await
            .contains("suspended")
    );
    bad.try_send(room, "c2", "more").await.refused(403, "suspended");
    assert!(admin(&srv, &["suspensions"]).await.contains(&bad.handle));
    admin(&srv, &["unsuspend", &bad.handle]).await;
    bad.send(room, "c3", "sorry").await;
    w.get("/api/v1/admin/reports").await.refused(403, "not_operator");
    admin(&srv, &["operator", &w.handle]).await;
    assert_eq!(
        w.get("/api/v1/admin/reports")
            .await
            .ok()
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
