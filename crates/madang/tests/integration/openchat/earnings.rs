//! Earnings: subscription rooms (tiers, payment through the test provider,
//! entry gated, renewal, cancellation and lapse), ads (targeting, one
//! count per impression and click, budgets never overdrawn, expiry), the
//! host's earnings per room and month, and the ledger's balance.

use super::{create, group, id, join, me_in, nickname, room_of};
use madang_core::Limits;
use madang_testkit::{Client, TestServer, test_limits};
use serde_json::{Value, json};
use std::time::Duration;

const DAY: Duration = Duration::from_secs(86_400);
const WAIT: Duration = Duration::from_secs(10);

fn limits() -> Limits {
    Limits {
        subscription_renewal_interval_ms: 50,
        // The clock moves by months; 31 people sign up from one address.
        token_ttl_days: 365,
        signups_per_hour: 100,
        ..test_limits()
    }
}

async fn operator(srv: &TestServer) -> Client {
    let op = srv.user("op").await;
    srv.node()
        .core
        .grant_operator(&op.handle)
        .await
        .expect("operator");
    op
}

/// Polls `probe` until it holds.
async fn eventually<F, Fut>(what: &str, mut probe: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    while !probe().await {
        assert!(tokio::time::Instant::now() < deadline, "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn balance(host: &Client) -> i64 {
    host.get("/api/v1/me/earnings").await.ok()["balance"]
        .as_i64()
        .expect("balance")
}

async fn assert_ledger_clean(op: &Client) {
    let audit = op.get("/api/v1/admin/ledger/audit").await.ok();
    assert_eq!(audit["clean"], json!(true), "{audit}");
    assert!(audit["transactions"].as_i64().unwrap_or(0) > 0);
}

fn subscribe_with(tier: i64, method: &str) -> Value {
    json!({"tier_id": tier, "payment_method": method})
}

#[tokio::test]
async fn subscription_rooms_gate_entry_renew_and_pay_the_host_their_share() {
    let srv = TestServer::start_with(limits()).await;
    let op = operator(&srv).await;
    let h = srv.user("sh").await;
    let early = srv.user("se").await;
    let v = srv.user("sv").await;
    let w = srv.user("sw").await;
    let spammer = srv.user("ss").await;
    let chat = create(&h, group("유료 주식방")).await;
    let cid = id(&chat);
    let room = room_of(&chat);
    let chats = format!("/api/v1/openchats/{cid}");
    let early_id = me_in(&join(&early, cid, "먼저온사람").await);

    // Only the host sets tiers and prices, within the operator's bounds.
    let tier = |name: &str, price: i64, days: i64| json!({"name": name, "price": price, "period_days": days});
    early
        .post(&format!("{chats}/tiers"), tier("월간", 4_900, 30))
        .await
        .refused(403, "not_host");
    h.post(&format!("{chats}/tiers"), tier("월간", 10, 30))
        .await
        .refused(400, "invalid_price");
    h.post(&format!("{chats}/tiers"), tier("월간", 4_900, 10))
        .await
        .refused(400, "invalid_period");
    h.post(&format!("{chats}/tiers"), tier(" ", 4_900, 30))
        .await
        .refused(400, "invalid_tier_name");
    let settings = |on: bool| json!({"subscription_required": on});
    h.raw(
        reqwest::Method::PUT,
        &format!("{chats}/subscription-settings"),
        Some((settings(true).to_string().into_bytes(), "application/json")),
    )
    .await
    .refused(400, "no_tiers");
    let monthly = h.post(&format!("{chats}/tiers"), tier("월간", 4_900, 30)).await;
    assert_eq!(monthly.status, 201, "{}", monthly.body);
    let monthly = monthly.body["id"].as_i64().expect("tier id");
    let put_settings = |c: &Client, on: bool| {
        let c = c.clone();
        let path = format!("{chats}/subscription-settings");
        async move {
            c.raw(
                reqwest::Method::PUT,
                &path,
                Some((settings(on).to_string().into_bytes(), "application/json")),
            )
            .await
        }
    };
    put_settings(&early, true).await.refused(403, "not_host");
    let tiers = put_settings(&h, true).await.ok();
    assert_eq!(tiers["subscription_required"], json!(true));
    assert_eq!(tiers["tiers"][0]["price"], json!(4_900));
    assert_eq!(tiers["tiers"][0]["currency"], json!("KRW"));
    assert_eq!(v.get(&chats).await.ok()["subscription_required"], json!(true));

    // Without a subscription, no entry; a declined or unknown card pays nothing.
    v.post(&format!("{chats}/join"), nickname("구경꾼"))
        .await
        .refused(403, "subscription_required");
    v.post(
        &format!("{chats}/subscription"),
        subscribe_with(monthly, "pm_test_declined"),
    )
    .await
    .refused(402, "payment_declined");
    v.post(
        &format!("{chats}/subscription"),
        subscribe_with(monthly, "4242424242424242"),
    )
    .await
    .refused(400, "unknown_payment_method");
    v.post(&format!("{chats}/join"), nickname("구경꾼"))
        .await
        .refused(403, "subscription_required");
    assert_eq!(balance(&h).await, 0);
    // Another chat's tier, the host's own chat.
    let other = create(&w, group("다른 방")).await;
    let other_tier = w
        .post(
            &format!("/api/v1/openchats/{}/tiers", id(&other)),
            tier("기본", 1_000, 7),
        )
        .await
        .ok()["id"]
        .as_i64()
        .expect("tier");
    v.post(
        &format!("{chats}/subscription"),
        subscribe_with(other_tier, "pm_test_ok"),
    )
    .await
    .refused(404, "tier_not_found");
    h.post(
        &format!("{chats}/subscription"),
        subscribe_with(monthly, "pm_test_ok"),
    )
    .await
    .refused(400, "own_open_chat");

    // Paying lets them in, once; the host is credited 80%.
    let sub = v
        .post(
            &format!("{chats}/subscription"),
            subscribe_with(monthly, "pm_test_ok"),
        )
        .await;
    assert_eq!(sub.status, 201, "{}", sub.body);
    assert_eq!(
        (
            sub.body["active"].clone(),
            sub.body["renews"].clone(),
            sub.body["tier_name"].clone()
        ),
        (json!(true), json!(true), json!("월간"))
    );
    v.post(
        &format!("{chats}/subscription"),
        subscribe_with(monthly, "pm_test_ok"),
    )
    .await
    .refused(409, "already_subscribed");
    join(&v, cid, "구독자").await;
    assert_eq!(balance(&h).await, 3_920);
    let earnings = h.get("/api/v1/me/earnings").await.ok();
    assert_eq!(earnings["currency"], json!("KRW"));
    assert_eq!(earnings["months"][0]["month"], json!("2026-01"));
    assert_eq!(
        earnings["open_chats"][0]["months"][0]["lines"],
        json!([{"kind": "subscription", "count": 1, "amount": 3_920}])
    );
    assert_eq!(earnings["open_chats"][0]["title"], json!("유료 주식방"));
    v.get(&format!("{chats}/earnings")).await.refused(403, "not_host");
    assert_eq!(
        h.get(&format!("{chats}/earnings")).await.ok()["total"],
        json!(3_920)
    );

    // Banned or suspended people cannot buy their way in.
    h.post(
        &format!("/api/v1/rooms/{room}/kicks"),
        json!({"member_id": early_id, "ban": true}),
    )
    .await
    .ok();
    early
        .post(
            &format!("{chats}/subscription"),
            subscribe_with(monthly, "pm_test_ok"),
        )
        .await
        .refused(403, "banned");
    op.post(
        "/api/v1/admin/suspensions",
        json!({"user_id": spammer.user_id, "days": 7, "reason": "spam"}),
    )
    .await
    .ok();
    spammer
        .post(
            &format!("{chats}/subscription"),
            subscribe_with(monthly, "pm_test_ok"),
        )
        .await
        .refused(403, "suspended");

    // A card that expires pays once; its renewal is declined.
    w.post(
        &format!("{chats}/subscription"),
        subscribe_with(monthly, "pm_test_expiring_w"),
    )
    .await
    .ok();
    join(&w, cid, "곧만료").await;
    assert_eq!(balance(&h).await, 7_840);

    // A month later the renewal job charges v again (and only once), and
    // w's renewal is declined.
    srv.clock.advance(30 * DAY + Duration::from_secs(1));
    eventually("v renewed", || async { balance(&h).await == 11_760 }).await;
    let mine = v.get(&format!("{chats}/tiers")).await.ok()["mine"].clone();
    assert_eq!(
        (mine["active"].clone(), mine["renews"].clone()),
        (json!(true), json!(true))
    );
    // w's time ran out with the declined renewal: out of the room.
    eventually("w taken out", || async {
        w.get(&format!("/api/v1/rooms/{room}")).await.status == 403
    })
    .await;
    w.post(&format!("{chats}/join"), nickname("곧만료"))
        .await
        .refused(403, "subscription_required");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(balance(&h).await, 11_760, "charged once per period");

    // Cancelling keeps the paid time; after it, v is out.
    let cancelled = v.delete(&format!("{chats}/subscription")).await.ok();
    assert_eq!(
        (cancelled["renews"].clone(), cancelled["active"].clone()),
        (json!(false), json!(true))
    );
    v.delete(&format!("{chats}/subscription"))
        .await
        .refused(404, "subscription_not_found");
    assert_eq!(v.get(&format!("/api/v1/rooms/{room}")).await.status, 200);
    srv.clock.advance(30 * DAY + Duration::from_secs(1));
    eventually("v taken out", || async {
        v.get(&format!("/api/v1/rooms/{room}")).await.status == 403
    })
    .await;
    assert_eq!(balance(&h).await, 11_760);

    // A retired tier sells no more, but its subscribers keep renewing.
    let x = srv.user("sx").await;
    x.post(
        &format!("{chats}/subscription"),
        subscribe_with(monthly, "pm_test_ok"),
    )
    .await
    .ok();
    assert_eq!(balance(&h).await, 15_680);
    assert_eq!(h.delete(&format!("{chats}/tiers/{monthly}")).await.status, 204);
    v.post(
        &format!("{chats}/subscription"),
        subscribe_with(monthly, "pm_test_ok"),
    )
    .await
    .refused(403, "tier_retired");
    srv.clock.advance(30 * DAY + Duration::from_secs(1));
    eventually("x renewed on the retired tier", || async {
        balance(&h).await == 19_600
    })
    .await;

    // Money is on the books, balanced, and the books cannot be rewritten.
    assert_ledger_clean(&op).await;
    v.get("/api/v1/admin/ledger/audit")
        .await
        .refused(403, "not_operator");
    for sql in [
        "UPDATE ledger_entries SET amount = 0",
        "DELETE FROM ledger_entries",
        "DELETE FROM ledger_txns",
    ] {
        let refused = srv.db.try_execute(sql).await.expect_err(sql);
        assert!(refused.contains("append-only"), "{sql}: {refused}");
    }
}

fn ad(title: &str, categories: &[&str], hashtags: &[&str], price_impression: i64, budget: i64) -> Value {
    json!({
        "advertiser": "등산용품", "format": "banner", "title": title, "body": "겨울 등산화 30% 할인",
        "link": "https://shop.example/winter", "categories": categories, "hashtags": hashtags,
        "price_impression": price_impression, "price_click": 50, "budget": budget
    })
}

async fn place(c: &Client, room: impl std::fmt::Display) -> Option<Value> {
    let r = c.get(&format!("/api/v1/rooms/{room}/ad")).await;
    match r.status {
        200 => Some(r.body),
        204 => None,
        s => panic!("placing an ad: {s} {}", r.body),
    }
}

#[tokio::test]
async fn ads_are_targeted_counted_once_and_pay_the_host_their_share() {
    let srv = TestServer::start_with(limits()).await;
    let op = operator(&srv).await;
    let h = srv.user("ah").await;
    let m = srv.user("am").await;
    let m2 = srv.user("an").await;
    let outsider = srv.user("ao").await;

    // Only operators define ads, and each is checked.
    outsider
        .post("/api/v1/admin/ads", ad("겨울 세일", &[], &["등산"], 2, 100))
        .await
        .refused(403, "not_operator");
    let mut bad = ad("x", &[], &[], 2, 100);
    bad["link"] = json!("javascript:alert(1)");
    op.post("/api/v1/admin/ads", bad)
        .await
        .refused(400, "invalid_link");
    op.post("/api/v1/admin/ads", ad("x", &[], &[], 0, 100))
        .await
        .refused(400, "invalid_price");
    op.post("/api/v1/admin/ads", ad("x", &[], &[], 5, 4))
        .await
        .refused(400, "invalid_budget");
    op.post("/api/v1/admin/ads", ad("x", &["nope"], &[], 2, 100))
        .await
        .refused(400, "invalid_category");
    let hiking = op
        .post("/api/v1/admin/ads", ad("겨울 세일", &[], &["등산"], 2, 100))
        .await;
    assert_eq!(hiking.status, 201, "{}", hiking.body);
    let hiking_id = hiking.body["id"].as_i64().expect("ad id");
    op.post("/api/v1/admin/ads", ad("맛집 쿠폰", &["food"], &["맛집"], 2, 100))
        .await
        .ok();

    let chat = create(&h, group("주말 등산")).await; // #등산, outdoors
    let cid = id(&chat);
    let room = room_of(&chat);
    join(&m, cid, "산사람").await;
    join(&m2, cid, "산사람2").await;

    // The fitting ad, the same one for a while; none for the host in their
    // own chat, nor for someone outside the room.
    let p = place(&m, room).await.expect("an ad");
    assert_eq!(
        (p["title"].clone(), p["format"].clone()),
        (json!("겨울 세일"), json!("banner"))
    );
    assert_eq!(place(&m, room).await.expect("the same ad")["id"], p["id"]);
    assert!(place(&h, room).await.is_none());
    outsider
        .get(&format!("/api/v1/rooms/{room}/ad"))
        .await
        .refused(403, "not_member");
    let pid = p["id"].as_i64().expect("placement id");

    // An impression and a click each count once, and only for the person
    // it was placed before.
    let imp = format!("/api/v1/ads/placements/{pid}/impression");
    outsider
        .post(&imp, json!({}))
        .await
        .refused(404, "placement_not_found");
    assert_eq!(m.post(&imp, json!({})).await.ok()["counted"], json!(true));
    assert_eq!(m.post(&imp, json!({})).await.ok()["counted"], json!(false));
    let click = m
        .post(&format!("/api/v1/ads/placements/{pid}/click"), json!({}))
        .await
        .ok();
    assert_eq!(
        (click["link"].clone(), click["counted"].clone()),
        (json!("https://shop.example/winter"), json!(true))
    );
    let again = m
        .post(&format!("/api/v1/ads/placements/{pid}/click"), json!({}))
        .await
        .ok();
    assert_eq!(again["counted"], json!(false));
    let listed = op.get("/api/v1/admin/ads").await.ok();
    let row = listed
        .as_array()
        .and_then(|a| a.iter().find(|x| x["id"] == json!(hiking_id)))
        .expect("the ad listed")
        .clone();
    assert_eq!(
        (
            row["impressions"].clone(),
            row["clicks"].clone(),
            row["spent"].clone(),
            row["remaining"].clone()
        ),
        (json!(1), json!(1), json!(52), json!(48))
    );
    // The host has half: 1 for the impression, 25 for the click.
    let lines = h.get("/api/v1/me/earnings").await.ok()["open_chats"][0]["months"][0]["lines"].clone();
    assert_eq!(
        lines,
        json!([
            {"kind": "ad_click", "count": 1, "amount": 25},
            {"kind": "ad_impression", "count": 1, "amount": 1}
        ])
    );

    // A paused ad is not placed; a budget is never overdrawn.
    op.post(&format!("/api/v1/admin/ads/{hiking_id}/pause"), json!({}))
        .await
        .ok();
    op.post("/api/v1/admin/ads", ad("한 번만", &["outdoors"], &[], 5, 7))
        .await
        .ok();
    let p1 = place(&m2, room).await.expect("the small ad");
    assert_eq!(p1["title"], json!("한 번만"));
    srv.clock.advance(Duration::from_secs(11 * 60));
    let p2 = place(&m, room).await.expect("the small ad for m too");
    assert_eq!(p2["title"], json!("한 번만"));
    let count = |c: &Client, p: &Value| {
        let c = c.clone();
        let path = format!("/api/v1/ads/placements/{}/impression", p["id"]);
        async move { c.post(&path, json!({})).await.ok()["counted"].clone() }
    };
    assert_eq!(count(&m2, &p1).await, json!(true));
    assert_eq!(
        count(&m, &p2).await,
        json!(false),
        "the budget cannot pay a second"
    );
    let small = op.get("/api/v1/admin/ads").await.ok();
    let small = small
        .as_array()
        .and_then(|a| a.iter().find(|x| x["title"] == json!("한 번만")))
        .expect("listed")
        .clone();
    assert_eq!(
        (small["impressions"].clone(), small["remaining"].clone()),
        (json!(1), json!(2))
    );
    srv.clock.advance(Duration::from_secs(11 * 60));
    assert!(
        place(&m, room).await.is_none(),
        "spent and paused ads are not placed"
    );

    // Counting is only for a while after placing.
    op.post(&format!("/api/v1/admin/ads/{hiking_id}/resume"), json!({}))
        .await
        .ok();
    let late = place(&m2, room).await.expect("the resumed ad");
    srv.clock.advance(Duration::from_secs(61 * 60));
    m2.post(
        &format!("/api/v1/ads/placements/{}/impression", late["id"]),
        json!({}),
    )
    .await
    .refused(403, "placement_expired");
    assert_ledger_clean(&op).await;
}

#[tokio::test]
async fn concurrent_impressions_never_overdraw_an_ads_budget() {
    let srv = TestServer::start_with(limits()).await;
    let op = operator(&srv).await;
    let h = srv.user("ch").await;
    let chat = create(&h, group("동시 노출")).await;
    let cid = id(&chat);
    let room = room_of(&chat);
    // Budget for exactly 10 impressions.
    op.post("/api/v1/admin/ads", ad("열 번", &[], &[], 3, 30))
        .await
        .ok();
    let mut placed = Vec::new();
    for i in 0..30 {
        let c = srv.user("cm").await;
        join(&c, cid, &format!("멤버{i}")).await;
        let p = place(&c, room).await.expect("placed");
        placed.push((c, p["id"].as_i64().expect("id")));
    }
    let counted = futures::future::join_all(placed.iter().map(|(c, pid)| async move {
        c.post(&format!("/api/v1/ads/placements/{pid}/impression"), json!({}))
            .await
            .ok()["counted"]
            == json!(true)
    }))
    .await;
    assert_eq!(counted.iter().filter(|c| **c).count(), 10);
    let ads = op.get("/api/v1/admin/ads").await.ok();
    assert_eq!(
        (ads[0]["impressions"].clone(), ads[0]["remaining"].clone()),
        (json!(10), json!(0))
    );
    // The host's half of 30, rounded down per impression: 10 × 1.
    assert_eq!(balance(&h).await, 10);
    assert_ledger_clean(&op).await;
}
