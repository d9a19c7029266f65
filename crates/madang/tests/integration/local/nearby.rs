//! Nearby search against distances computed here, independently of the
//! server (the server uses haversine over H3 cells; this uses the atan2
//! form of the great-circle angle on unit vectors): at both poles, across
//! the antimeridian, at a 0 km radius, in a city; and the category and
//! open-now filters with the clock set to a known local time.

use super::{business, shop, shop_body};
use madang_testkit::{Client, TestServer};
use madang_types::Millis;
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};

/// H3's mean Earth radius, the one the server measures with.
const EARTH_M: f64 = 6_371_007.180_918_475;

fn unit(lat: f64, lon: f64) -> [f64; 3] {
    let (la, lo) = (lat.to_radians(), lon.to_radians());
    [la.cos() * lo.cos(), la.cos() * lo.sin(), la.sin()]
}

/// Great-circle distance: the angle between unit vectors, from the norm
/// of their cross product and their dot product.
fn distance(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (u, v) = (unit(a.0, a.1), unit(b.0, b.1));
    let cross = [
        u[1] * v[2] - u[2] * v[1],
        u[2] * v[0] - u[0] * v[2],
        u[0] * v[1] - u[1] * v[0],
    ];
    let sin = (cross[0].powi(2) + cross[1].powi(2) + cross[2].powi(2)).sqrt();
    let cos = u[0] * v[0] + u[1] * v[1] + u[2] * v[2];
    sin.atan2(cos) * EARTH_M
}

/// A small deterministic spread of points around a centre (up to `span`
/// degrees of latitude, longitudes wrapped into ±180).
fn around(centre: (f64, f64), span: f64, n: usize, seed: &mut u64) -> Vec<(f64, f64)> {
    let mut next = || {
        *seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((*seed >> 11) as f64) / ((1u64 << 53) as f64) * 2.0 - 1.0
    };
    (0..n)
        .map(|_| {
            let lat = (centre.0 + next() * span).clamp(-90.0, 90.0);
            let mut lon = centre.1 + next() * span * 4.0;
            if lon > 180.0 {
                lon -= 360.0;
            }
            if lon < -180.0 {
                lon += 360.0;
            }
            (lat, lon)
        })
        .collect()
}

async fn nearby(c: &Client, lat: f64, lon: f64, radius: f64) -> Vec<Value> {
    let body = c
        .get(&format!(
            "/api/v1/shops/nearby?lat={lat}&lon={lon}&radius_m={radius}&limit=100"
        ))
        .await
        .ok();
    body["shops"].as_array().unwrap().clone()
}

#[tokio::test]
async fn nearby_search_agrees_with_independent_distances_at_poles_antimeridian_and_zero_radius() {
    let srv = TestServer::start().await;
    let owner = srv.user("lno").await;
    let u = srv.user("lnu").await;
    let b = business(&owner, "세계 곳곳").await;
    let mut seed = 7;
    let mut places: Vec<(f64, f64)> = vec![
        (90.0, 0.0),
        (89.9995, 0.0),
        (89.9995, 180.0),
        (89.999, 90.0),
        (89.998, -120.0),
        (-90.0, 0.0),
        (-89.9992, 170.0),
        (-89.998, -10.0),
        (0.0, 179.9995),
        (0.0, -179.9995),
        (0.001, 179.99),
        (0.0, -179.98),
        (65.0, 179.999),
        (65.0, -179.999),
        (37.5665, 126.978),
        // Two shops at the very same spot.
        (37.5665, 126.978),
        (37.5666, 126.978),
    ];
    for centre in [
        (89.99, 0.0),
        (-89.99, 0.0),
        (0.0, 180.0),
        (65.0, 180.0),
        (37.5665, 126.978),
    ] {
        places.extend(around(centre, 0.03, 25, &mut seed));
    }
    let mut ids: HashMap<i64, (f64, f64)> = HashMap::new();
    for (i, &(lat, lon)) in places.iter().enumerate() {
        let id = shop(&owner, shop_body(b, &format!("곳 {i}"), lat, lon)).await;
        ids.insert(id, (lat, lon));
    }

    let queries = [
        (90.0, 0.0, 150.0),
        (90.0, 77.0, 300.0),
        (90.0, 0.0, 2_500.0),
        (-90.0, 0.0, 100.0),
        (-90.0, -45.0, 3_000.0),
        (0.0, 180.0, 60.0),
        (0.0, -180.0, 60.0),
        (0.0, 180.0, 1_200.0),
        (0.0, -179.999, 2_500.0),
        (65.0, 180.0, 100.0),
        (65.0, 179.99, 2_000.0),
        (37.5665, 126.978, 0.0),
        (37.5665, 126.978, 12.0),
        (37.5665, 126.978, 3_000.0),
        (10.0, 10.0, 5_000.0),
    ];
    for (lat, lon, radius) in queries {
        let found = nearby(&u, lat, lon, radius).await;
        let got: BTreeSet<i64> = found.iter().map(|s| s["id"].as_i64().unwrap()).collect();
        let d = |id: &i64| distance((lat, lon), ids[id]);
        // Inside by more than a metre: must be found; outside by more than
        // a metre: must not be (the metre absorbs rounding between the two
        // formulas, and is far below the cells' size).
        for id in ids.keys() {
            let dist = d(id);
            if radius == 0.0 {
                assert_eq!(
                    got.contains(id),
                    dist < 0.001,
                    "0 km at {lat},{lon}: shop {id} at {dist} m"
                );
            } else if dist < radius - 1.0 {
                assert!(
                    got.contains(id),
                    "{lat},{lon} r={radius}: missed shop {id} at {dist:.1} m"
                );
            } else if dist > radius + 1.0 {
                assert!(
                    !got.contains(id),
                    "{lat},{lon} r={radius}: shop {id} at {dist:.1} m is outside"
                );
            }
        }
        // Nearest first, with the distance the server reports.
        let reported: Vec<f64> = found.iter().map(|s| s["distance_m"].as_f64().unwrap()).collect();
        assert!(reported.windows(2).all(|w| w[0] <= w[1]), "sorted by distance");
        for s in &found {
            let id = s["id"].as_i64().unwrap();
            assert!((s["distance_m"].as_f64().unwrap() - d(&id)).abs() < 0.5);
        }
    }
    // The antimeridian from either side, and a pole at any longitude.
    let east: BTreeSet<i64> = nearby(&u, 0.0, 180.0, 60.0)
        .await
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect();
    let west: BTreeSet<i64> = nearby(&u, 0.0, -180.0, 60.0)
        .await
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect();
    assert_eq!(east, west);
    assert!(east.len() >= 2, "both sides of the line are found");
    assert_eq!(
        nearby(&u, 37.5665, 126.978, 0.0).await.len(),
        2,
        "the two shops on the spot"
    );

    // Bad input is refused.
    u.get("/api/v1/shops/nearby?lat=91&lon=0")
        .await
        .refused(400, "invalid_point");
    u.get("/api/v1/shops/nearby?lat=0&lon=0&radius_m=-1")
        .await
        .refused(400, "invalid_radius");
    u.get("/api/v1/shops/nearby?lat=0&lon=0&radius_m=50001")
        .await
        .refused(400, "invalid_radius");
    u.get("/api/v1/shops/nearby?lat=0&lon=0&category=spaceport")
        .await
        .refused(400, "invalid_category");
    u.get("/api/v1/shops/nearby?lat=north&lon=0")
        .await
        .refused(400, "invalid_query");
}

#[tokio::test]
async fn category_and_open_now_follow_local_hours() {
    let srv = TestServer::start().await;
    // Monday 2026-11-23, 10:00 in Seoul (before anyone logs in).
    srv.clock.set(Millis(1_795_395_600_000));
    let owner = srv.user("lho").await;
    let u = srv.user("lhu").await;
    let b = business(&owner, "시간 가게").await;
    let with_hours = |name: &str, category: &str, hours: Value, lat: f64| {
        let mut body = shop_body(b, name, lat, 127.0);
        body["category"] = json!(category);
        body["hours"] = hours;
        body
    };
    let day = shop(
        &owner,
        with_hours(
            "낮 카페",
            "cafe",
            json!([{"day": "mon", "open": "09:00", "close": "22:00"}]),
            37.5,
        ),
    )
    .await;
    let night = shop(
        &owner,
        with_hours(
            "밤 포차",
            "bar",
            json!([{"day": "mon", "open": "18:00", "close": "02:00"}]),
            37.5001,
        ),
    )
    .await;
    let overnight = shop(
        &owner,
        with_hours(
            "밤샘 빵집",
            "bakery",
            json!([{"day": "sun", "open": "18:00", "close": "11:00"}]),
            37.5002,
        ),
    )
    .await;
    let listed = |q: &'static str| {
        let u = &u;
        async move {
            u.get(&format!(
                "/api/v1/shops/nearby?lat=37.5&lon=127.0&radius_m=500{q}"
            ))
            .await
            .ok()["shops"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["id"].as_i64().unwrap())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(listed("").await, vec![day, night, overnight], "nearest first");
    assert_eq!(
        listed("&open_now=true").await,
        vec![day, overnight],
        "Sunday's night runs into Monday"
    );
    assert_eq!(listed("&category=bakery").await, vec![overnight]);
    let seen = u.get(&format!("/api/v1/shops/{night}")).await.ok();
    assert_eq!(seen["open_now"], false);
    // At 23:00 only the bar is open.
    srv.clock.set(Millis(1_795_395_600_000 + 13 * 3_600_000));
    assert_eq!(listed("&open_now=true").await, vec![night]);
}
