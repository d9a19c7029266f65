//! Sign-up, log-in, tokens, devices, profile.

use madang_core::Limits;
use madang_testkit::{TestServer, handle, test_limits};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn sign_up_log_in_and_see_devices() {
    let srv = TestServer::start().await;
    let a = srv.user("ann").await;
    let me = a.get("/api/v1/me").await.ok();
    assert_eq!(me["handle"], a.handle.as_str());
    let phone = a.another_device().await;
    let devices = phone.get("/api/v1/devices").await.ok();
    let list = devices.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list.iter().filter(|d| d["current"] == true).count(), 1);
}

#[tokio::test]
async fn a_taken_handle_and_bad_fields_are_refused() {
    let srv = TestServer::start().await;
    let a = srv.user("bob").await;
    let anon = srv.anonymous();
    let taken = json!({"handle": a.handle, "password": "long enough pw"});
    anon.post("/api/v1/accounts", taken)
        .await
        .refused(409, "handle_taken");
    let weak = json!({"handle": handle("weak"), "password": "short"});
    anon.post("/api/v1/accounts", weak)
        .await
        .refused(400, "weak_password");
    let bad = json!({"handle": "no spaces allowed", "password": "long enough pw"});
    anon.post("/api/v1/accounts", bad)
        .await
        .refused(400, "invalid_handle");
    let bday = json!({"handle": handle("bd"), "password": "long enough pw", "birthday": "1990-02-31"});
    anon.post("/api/v1/accounts", bday)
        .await
        .refused(400, "invalid_birthday");
}

#[tokio::test]
async fn wrong_password_bad_token_and_missing_token_are_refused() {
    let srv = TestServer::start().await;
    let a = srv.user("cat").await;
    let wrong = json!({"handle": a.handle, "password": "not the password"});
    srv.anonymous()
        .post("/api/v1/sessions", wrong)
        .await
        .refused(401, "bad_credentials");
    srv.anonymous()
        .get("/api/v1/me")
        .await
        .refused(401, "unauthenticated");
    let mut forged = srv.anonymous();
    forged.token = Some("forged-token".into());
    forged.get("/api/v1/me").await.refused(401, "unauthenticated");
}

#[tokio::test]
async fn a_token_expires_when_unused_for_its_lifetime() {
    let srv = TestServer::start().await;
    let a = srv.user("dan").await;
    srv.clock.advance(Duration::from_secs(29 * 86_400));
    a.get("/api/v1/me").await.ok();
    // Use slid the expiry forward: 29 more days are fine, 31 are not.
    srv.clock.advance(Duration::from_secs(29 * 86_400));
    a.get("/api/v1/me").await.ok();
    srv.clock.advance(Duration::from_secs(31 * 86_400));
    a.get("/api/v1/me").await.refused(401, "token_expired");
}

#[tokio::test]
async fn logging_out_or_revoking_a_device_ends_its_token() {
    let srv = TestServer::start().await;
    let a = srv.user("eve").await;
    let b = a.another_device().await;
    let c = a.another_device().await;
    assert_eq!(b.delete("/api/v1/sessions/current").await.status, 204);
    b.get("/api/v1/me").await.refused(401, "unauthenticated");
    assert_eq!(
        a.delete(&format!("/api/v1/devices/{}", c.device_id)).await.status,
        204
    );
    c.get("/api/v1/me").await.refused(401, "unauthenticated");
    // Someone else's device is not the caller's to revoke.
    let other = srv.user("fay").await;
    other
        .delete(&format!("/api/v1/devices/{}", a.device_id))
        .await
        .refused(404, "device_not_found");
    a.get("/api/v1/me").await.ok();
}

#[tokio::test]
async fn log_in_is_rate_limited_per_address_until_the_clock_moves() {
    let srv = TestServer::start_with(Limits {
        logins_per_minute: 3,
        ..test_limits()
    })
    .await;
    let a = srv.user("gus").await;
    let wrong = json!({"handle": a.handle, "password": "nope nope nope"});
    for _ in 0..3 {
        srv.anonymous()
            .post("/api/v1/sessions", wrong.clone())
            .await
            .refused(401, "bad_credentials");
    }
    let limited = srv.anonymous().post("/api/v1/sessions", wrong.clone()).await;
    limited.refused(429, "rate_limited");
    srv.clock.advance(Duration::from_secs(60));
    srv.anonymous()
        .post("/api/v1/sessions", wrong)
        .await
        .refused(401, "bad_credentials");
}

#[tokio::test]
async fn sign_up_is_rate_limited_per_address() {
    let srv = TestServer::start_with(Limits {
        signups_per_hour: 2,
        ..test_limits()
    })
    .await;
    srv.user("hh").await;
    srv.user("hh").await;
    let body = json!({"handle": handle("hh"), "password": "long enough pw"});
    srv.anonymous()
        .post("/api/v1/accounts", body)
        .await
        .refused(429, "rate_limited");
}

#[tokio::test]
async fn profile_edits_are_checked_and_visible_to_others() {
    let srv = TestServer::start().await;
    let a = srv.user("ivy").await;
    let b = srv.user("jay").await;
    let me = a
        .patch(
            "/api/v1/me",
            json!({"display_name": "아이비", "status_message": "안녕하세요", "birthday": "1995-03-04"}),
        )
        .await
        .ok();
    assert_eq!(me["display_name"], "아이비");
    let seen = b.get(&format!("/api/v1/users/{}", a.user_id)).await.ok();
    assert_eq!(
        (seen["display_name"].as_str(), seen["status_message"].as_str()),
        (Some("아이비"), Some("안녕하세요"))
    );
    assert!(seen.get("birthday").is_none(), "a birthday is private");
    a.patch("/api/v1/me", json!({"status_message": "x".repeat(61)}))
        .await
        .refused(400, "invalid_status_message");
    a.patch("/api/v1/me", json!({"display_name": ""}))
        .await
        .refused(400, "invalid_display_name");
    a.patch("/api/v1/me", json!({"phone": "call me"}))
        .await
        .refused(400, "invalid_phone");
}
