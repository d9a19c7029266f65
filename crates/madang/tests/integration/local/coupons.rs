//! Coupons: 1,000 concurrent claims on a 100-coupon issue give exactly
//! 100 (and nobody more than their share), each refusal, redeeming once.

use super::{business, days_after, shop, shop_body};
use futures::future::join_all;
use madang_core::{Clock, Limits};
use madang_testkit::{TestServer, test_limits};
use serde_json::json;
use std::collections::HashMap;
use std::time::Duration;

#[tokio::test]
async fn a_thousand_concurrent_claims_on_a_hundred_coupons_give_exactly_a_hundred() {
    let limits = Limits {
        signups_per_hour: 100,
        ..test_limits()
    };
    let srv = TestServer::start_with(limits).await;
    let owner = srv.user("lco").await;
    let b = business(&owner, "선착순 가게").await;
    let s = shop(&owner, shop_body(b, "선착순 가게", 37.5, 127.0)).await;
    let now = srv.clock.now();
    let coupon = owner
        .post(
            &format!("/api/v1/shops/{s}/coupons"),
            json!({"title": "아메리카노 1+1", "quantity": 100, "per_person": 3, "ends_at": days_after(now, 7)}),
        )
        .await;
    assert_eq!(coupon.status, 201, "{}", coupon.body);
    let cid = coupon.body["id"].as_i64().unwrap();
    // 50 people, 20 claims each, all at once: more than there are, and
    // more than each may hold.
    let mut people = Vec::new();
    for i in 0..50 {
        people.push(srv.user(&format!("lcc{i}")).await);
    }
    let path = format!("/api/v1/coupons/{cid}/claims");
    let claims = people
        .iter()
        .enumerate()
        .flat_map(|(i, p)| (0..20).map(move |_| (i, p)))
        .map(|(i, p)| {
            let path = path.clone();
            async move { (i, p.post(&path, json!({})).await) }
        });
    let results = join_all(claims).await;
    assert_eq!(results.len(), 1000);
    let mut won: HashMap<usize, usize> = HashMap::new();
    let mut codes = std::collections::HashSet::new();
    for (i, r) in &results {
        match r.status {
            201 => {
                *won.entry(*i).or_default() += 1;
                assert!(
                    codes.insert(r.body["code"].as_str().unwrap().to_owned()),
                    "codes are unique"
                );
            }
            409 => assert!(
                ["coupon_exhausted", "claim_limit"].contains(&r.code()),
                "{}",
                r.body
            ),
            other => panic!("unexpected {other}: {}", r.body),
        }
    }
    assert_eq!(
        won.values().sum::<usize>(),
        100,
        "exactly the quantity, never more"
    );
    assert!(
        won.values().all(|&n| n <= 3),
        "nobody holds more than their share"
    );
    let listed = owner.get(&format!("/api/v1/shops/{s}/coupons")).await.ok();
    assert_eq!(listed[0]["remaining"], 0);
    let in_wallets: usize = join_all(people.iter().map(|p| p.get("/api/v1/me/coupons")))
        .await
        .into_iter()
        .map(|r| r.ok().as_array().unwrap().len())
        .sum();
    assert_eq!(in_wallets, 100);
}

#[tokio::test]
async fn claiming_and_redeeming_with_every_refusal() {
    let srv = TestServer::start().await;
    let owner = srv.user("lro").await;
    let customer = srv.user("lrc").await;
    let stranger = srv.user("lrs").await;
    let b = business(&owner, "단골 식당").await;
    let s = shop(&owner, shop_body(b, "단골 식당", 37.5, 127.0)).await;
    let other_shop = shop(&owner, shop_body(b, "옆 가게", 37.51, 127.01)).await;
    let coupons = format!("/api/v1/shops/{s}/coupons");
    let now = srv.clock.now();
    let week = days_after(now, 7);

    // Issuing: the shop's business only, each field checked.
    stranger
        .post(&coupons, json!({"title": "x", "quantity": 1, "ends_at": week}))
        .await
        .refused(403, "not_agent");
    for (body, code) in [
        (
            json!({"title": "", "quantity": 1, "ends_at": week}),
            "invalid_title",
        ),
        (
            json!({"title": "x", "quantity": 0, "ends_at": week}),
            "invalid_quantity",
        ),
        (
            json!({"title": "x", "quantity": 2, "per_person": 3, "ends_at": week}),
            "invalid_per_person",
        ),
        (
            json!({"title": "x", "quantity": 1, "ends_at": now.0 - 1}),
            "invalid_window",
        ),
        (
            json!({"title": "x", "quantity": 1, "starts_at": week, "ends_at": week}),
            "invalid_window",
        ),
        (
            json!({"title": "x", "description": "x".repeat(501), "quantity": 1, "ends_at": week}),
            "invalid_description",
        ),
        (
            json!({"title": "x", "description": "bell\u{7}", "quantity": 1, "ends_at": week}),
            "invalid_description",
        ),
    ] {
        owner.post(&coupons, body).await.refused(400, code);
    }
    let issue = |body: serde_json::Value| {
        let owner = &owner;
        let coupons = coupons.clone();
        async move { owner.post(&coupons, body).await.ok()["id"].as_i64().unwrap() }
    };
    let later = issue(
        json!({"title": "다음 주부터", "quantity": 5, "starts_at": days_after(now, 1), "ends_at": week}),
    )
    .await;
    let regulars =
        issue(json!({"title": "단골 전용", "quantity": 5, "regulars_only": true, "ends_at": week})).await;
    let open = issue(json!({"title": "오늘의 할인", "quantity": 5, "ends_at": days_after(now, 2)})).await;
    let claim = |id: i64| {
        let customer = &customer;
        async move {
            customer
                .post(&format!("/api/v1/coupons/{id}/claims"), json!({}))
                .await
        }
    };
    claim(999_999).await.refused(404, "coupon_not_found");
    claim(later).await.refused(403, "coupon_not_started");
    claim(regulars).await.refused(403, "regulars_only");
    customer
        .raw(reqwest::Method::PUT, &format!("/api/v1/shops/{s}/regular"), None)
        .await
        .ok();
    let first = claim(regulars).await;
    assert_eq!(first.status, 201, "{}", first.body);
    claim(regulars).await.refused(409, "claim_limit");
    let held = claim(open).await.ok();
    let code = held["code"].as_str().unwrap().to_owned();
    assert_eq!(
        (held["shop_name"].as_str(), held["redeemed_at"].clone()),
        (Some("단골 식당"), serde_json::Value::Null)
    );

    // Redeeming: only the shop, only its own codes, once.
    let redeem = format!("/api/v1/shops/{s}/redemptions");
    stranger
        .post(&redeem, json!({"code": code}))
        .await
        .refused(403, "not_agent");
    owner
        .post(
            &format!("/api/v1/shops/{other_shop}/redemptions"),
            json!({"code": code}),
        )
        .await
        .refused(404, "coupon_code_not_found");
    owner
        .post(&redeem, json!({"code": "ZZZZZZZZ"}))
        .await
        .refused(404, "coupon_code_not_found");
    // Typed the way a person reads it out.
    let typed = format!("{}-{}", code[..4].to_lowercase(), &code[4..]);
    let done = owner.post(&redeem, json!({"code": typed})).await.ok();
    assert_eq!(done["title"], "오늘의 할인");
    owner
        .post(&redeem, json!({"code": code}))
        .await
        .refused(409, "already_redeemed");
    let wallet = customer.get("/api/v1/me/coupons").await.ok();
    let used = wallet
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == code.as_str())
        .unwrap();
    assert!(used["redeemed_at"].is_i64());

    // After the window: neither claimed nor redeemed.
    let regular_code = first.body["code"].as_str().unwrap().to_owned();
    srv.clock.advance(Duration::from_secs(3 * 86_400));
    claim(open).await.refused(403, "coupon_expired");
    let public: Vec<i64> = stranger
        .get(&coupons)
        .await
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert!(!public.contains(&open), "ended coupons are not offered");
    srv.clock.advance(Duration::from_secs(5 * 86_400));
    owner
        .post(&redeem, json!({"code": regular_code}))
        .await
        .refused(403, "coupon_expired");
}
