//! Local shops and business channels through the API: businesses and
//! agents, channels and consents, shops found nearby (checked against an
//! independent great-circle distance at the poles, across the antimeridian
//! and at a 0 km radius), open now by local hours, regulars, and coupons
//! (1,000 concurrent claims on 100, each refusal, redeeming once);
//! campaigns, and their copy reworded by a scripted model (`copy`); the
//! channel's assistant (`assistant`).

pub(crate) mod assistant;
pub(crate) mod campaigns;
mod copy;
mod coupons;
mod inbox;
mod nearby;
pub(crate) mod resume;

use madang_testkit::Client;
use madang_types::Millis;
use serde_json::{Value, json};

/// A business owned by `c`; returns its id.
pub(crate) async fn business(c: &Client, name: &str) -> i64 {
    let r = c.post("/api/v1/businesses", json!({"name": name})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["id"].as_i64().unwrap()
}

/// `owner` adds `agent` to their business.
pub(crate) async fn hire(owner: &Client, business: i64, agent: &Client) {
    owner
        .post(
            &format!("/api/v1/businesses/{business}/agents"),
            json!({"handle": agent.handle}),
        )
        .await
        .ok();
}

pub(crate) fn shop_body(business: i64, name: &str, lat: f64, lon: f64) -> Value {
    json!({
        "business_id": business, "name": name, "category": "cafe", "address": "서울 중구 세종대로 110",
        "lat": lat, "lon": lon, "time_zone": "Asia/Seoul",
        "hours": [{"day": "mon", "open": "09:00", "close": "22:00"}]
    })
}

pub(crate) async fn shop(c: &Client, body: Value) -> i64 {
    let r = c.post("/api/v1/shops", body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["id"].as_i64().unwrap()
}

/// `now` plus some days, as the API takes times.
pub(crate) fn days_after(now: Millis, days: i64) -> i64 {
    now.0 + days * 86_400_000
}

#[tokio::test]
async fn businesses_agents_and_channel_consents() {
    let srv = madang_testkit::TestServer::start().await;
    let owner = srv.user("lbo").await;
    let agent = srv.user("lba").await;
    let fan = srv.user("lbf").await;
    let b = business(&owner, "마당 커피").await;
    owner
        .post("/api/v1/businesses", json!({"name": ""}))
        .await
        .refused(400, "invalid_name");
    let agents = format!("/api/v1/businesses/{b}/agents");

    // Only the owner adds agents; an outsider does not even see it.
    let handle = agent.get("/api/v1/me").await.ok()["handle"].clone();
    agent
        .post(&agents, json!({"handle": handle}))
        .await
        .refused(404, "business_not_found");
    owner
        .post(&agents, json!({"handle": "nobody_here"}))
        .await
        .refused(404, "user_not_found");
    // Nor can the server's assistant work for a business.
    owner
        .post(&agents, json!({"handle": "@assistant"}))
        .await
        .refused(404, "user_not_found");
    let added = owner.post(&agents, json!({"handle": handle})).await;
    assert_eq!(added.status, 201, "{}", added.body);
    owner
        .post(&agents, json!({"handle": handle}))
        .await
        .refused(409, "already_agent");
    let other = srv.user("lbx").await;
    let other_handle = other.get("/api/v1/me").await.ok()["handle"].clone();
    agent
        .post(&agents, json!({"handle": other_handle}))
        .await
        .refused(403, "not_owner");
    let listed = agent.get(&agents).await.ok();
    let roles: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["owner", "agent"]);
    assert_eq!(agent.get("/api/v1/businesses").await.ok()[0]["role"], "agent");

    // An agent opens a channel; handles are checked and unique.
    let channels = format!("/api/v1/businesses/{b}/channels");
    fan.post(&channels, json!({"handle": "madang_coffee", "name": "마당 커피"}))
        .await
        .refused(404, "business_not_found");
    agent
        .post(&channels, json!({"handle": "No Spaces!", "name": "x"}))
        .await
        .refused(400, "invalid_handle");
    let ch = agent
        .post(
            &channels,
            json!({"handle": "Madang_Coffee", "name": "마당 커피", "description": "동네 커피"}),
        )
        .await;
    assert_eq!(ch.status, 201, "{}", ch.body);
    let cid = ch.body["id"].as_i64().unwrap();
    assert_eq!(ch.body["handle"], "madang_coffee");
    owner
        .post(&channels, json!({"handle": "madang_coffee", "name": "again"}))
        .await
        .refused(409, "handle_taken");

    // A person adds it: informational on, advertising only when asked;
    // night advertising needs advertising; each consent keeps its time.
    let friend = format!("/api/v1/channels/{cid}/friend");
    fan.raw(
        reqwest::Method::PUT,
        "/api/v1/channels/999999/friend",
        Some((b"{}".to_vec(), "application/json")),
    )
    .await
    .refused(404, "channel_not_found");
    let put = |body: Value| {
        let fan = &fan;
        let friend = friend.clone();
        async move {
            fan.raw(
                reqwest::Method::PUT,
                &friend,
                Some((body.to_string().into_bytes(), "application/json")),
            )
            .await
        }
    };
    put(json!({"marketing_night": true}))
        .await
        .refused(400, "night_needs_marketing");
    let added = put(json!({})).await.ok();
    let mine = &added["mine"];
    assert_eq!(
        (
            mine["informational"].as_bool(),
            mine["marketing"].as_bool(),
            mine["marketing_night"].as_bool()
        ),
        (Some(true), Some(false), Some(false))
    );
    assert_eq!(added["friend_count"], 1);
    srv.clock.advance(std::time::Duration::from_secs(60));
    let both = put(json!({"marketing": true, "marketing_night": true}))
        .await
        .ok();
    assert_eq!(
        (
            both["mine"]["marketing"].as_bool(),
            both["mine"]["marketing_night"].as_bool(),
            both["friend_count"].as_i64()
        ),
        (Some(true), Some(true), Some(1)),
        "changing consents does not count the friend twice"
    );
    // Withdrawing advertising withdraws the night consent with it.
    let withdrawn = put(json!({"marketing": false})).await.ok();
    assert_eq!(
        (
            withdrawn["mine"]["marketing"].as_bool(),
            withdrawn["mine"]["marketing_night"].as_bool()
        ),
        (Some(false), Some(false))
    );
    assert_eq!(
        fan.get("/api/v1/channels/handles/MADANG_COFFEE").await.ok()["id"].as_i64(),
        Some(cid)
    );
    assert_eq!(fan.delete(&friend).await.status, 204);
    let gone = fan.get(&format!("/api/v1/channels/{cid}")).await.ok();
    assert_eq!(
        (gone["mine"].clone(), gone["friend_count"].as_i64()),
        (Value::Null, Some(0))
    );
}

#[tokio::test]
async fn shops_are_checked_and_regulars_counted() {
    let srv = madang_testkit::TestServer::start().await;
    let owner = srv.user("lso").await;
    let stranger = srv.user("lss").await;
    let b = business(&owner, "골목 빵집").await;
    let ok = shop_body(b, "골목 빵집", 37.5665, 126.978);
    let with = |f: &dyn Fn(&mut Value)| {
        let mut body = ok.clone();
        f(&mut body);
        body
    };
    stranger
        .post("/api/v1/shops", ok.clone())
        .await
        .refused(404, "business_not_found");
    let refusals: Vec<(Value, u16, &str)> = vec![
        (with(&|b| b["lat"] = json!(91.0)), 400, "invalid_point"),
        (with(&|b| b["lon"] = json!(-180.5)), 400, "invalid_point"),
        (
            with(&|b| b["category"] = json!("spaceport")),
            400,
            "invalid_category",
        ),
        (
            with(&|b| b["time_zone"] = json!("Mars/Olympus")),
            400,
            "invalid_time_zone",
        ),
        (
            with(&|b| b["hours"] = json!([{"day": "mon", "open": "9am", "close": "5pm"}])),
            400,
            "invalid_hours",
        ),
        (with(&|b| b["name"] = json!("")), 400, "invalid_name"),
        (with(&|b| b["photos"] = json!(["nope"])), 404, "media_not_found"),
        (
            with(&|b| b["channel_id"] = json!(999999)),
            404,
            "channel_not_found",
        ),
        (with(&|b| b["lat"] = json!("north")), 400, "invalid_body"),
    ];
    for (body, status, code) in refusals {
        owner.post("/api/v1/shops", body).await.refused(status, code);
    }
    let id = shop(&owner, ok).await;
    // The console lists the business's shops to its agents only.
    let listed = owner.get(&format!("/api/v1/businesses/{b}/shops")).await.ok();
    assert_eq!(listed[0]["id"].as_i64(), Some(id));
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    stranger
        .get(&format!("/api/v1/businesses/{b}/shops"))
        .await
        .refused(404, "business_not_found");
    let path = format!("/api/v1/shops/{id}");
    stranger
        .get("/api/v1/shops/999999")
        .await
        .refused(404, "shop_not_found");
    let seen = stranger.get(&path).await.ok();
    assert_eq!(
        (seen["regular"].as_bool(), seen["regular_count"].as_i64()),
        (Some(false), Some(0))
    );
    let regular = format!("{path}/regular");
    for _ in 0..2 {
        let r = stranger.raw(reqwest::Method::PUT, &regular, None).await.ok();
        assert_eq!(
            (r["regular"].as_bool(), r["regular_count"].as_i64()),
            (Some(true), Some(1)),
            "counted once"
        );
    }
    let left = stranger.delete(&regular).await.ok();
    assert_eq!(
        (left["regular"].as_bool(), left["regular_count"].as_i64()),
        (Some(false), Some(0))
    );
    stranger
        .raw(reqwest::Method::PUT, "/api/v1/shops/999999/regular", None)
        .await
        .refused(404, "shop_not_found");
}
