//! Health, readiness, the OpenAPI document and the demo seeder.

use madang_testkit::{Client, TestServer};
use serde_json::json;

#[tokio::test]
async fn health_readiness_and_the_openapi_document() {
    let srv = TestServer::start().await;
    let anon = srv.anonymous();
    assert_eq!(anon.get("/healthz").await.status, 200);
    assert_eq!(anon.get("/readyz").await.status, 200);
    let doc = anon.get("/api/v1/openapi.json").await.ok();
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/api/v1/ws",
        "/api/v1/rooms/{room}/messages",
        "/api/v1/accounts",
        "/api/v1/friends/contacts",
        "/api/v1/pungs",
        "/api/v1/pungs/feed",
        "/api/v1/pungs/uploads",
        "/api/v1/pungs/{id}/viewers",
        "/api/v1/users/{id}/pungs",
        "/api/v1/openchats",
        "/api/v1/openchats/{id}/join",
        "/api/v1/openchats/links/{code}/join",
        "/api/v1/rooms/{room}/kicks",
        "/api/v1/reports",
        "/api/v1/admin/suspensions",
        "/api/v1/shops/nearby",
        "/api/v1/coupons/{id}/claims",
        "/api/v1/channels/{id}/friend",
        "/api/v1/search/messages",
        "/api/v1/folders",
        "/api/v1/folders/{folder}",
        "/api/v1/folders/order",
        "/api/v1/rooms/{room}/scheduled",
        "/api/v1/scheduled",
        "/api/v1/scheduled/{id}",
        "/api/v1/scheduled/{id}/send",
        "/api/v1/rooms/{room}/polls",
        "/api/v1/rooms/{room}/polls/{seq}/vote",
        "/api/v1/rooms/{room}/drawer",
        "/api/v1/rooms/{room}/messages/{seq}/transcript",
        "/api/v1/rooms/{room}/messages/{seq}/comments",
        "/api/v1/rooms/{room}/messages/{seq}/comments/read",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is documented");
    }
    for schema in [
        "ServerFrame",
        "Pung",
        "CreatePungRequest",
        "Layer",
        "PungFeed",
        "OpenChat",
        "JoinAs",
        "Report",
        "UpdateOpenChatRequest",
        "Shop",
        "ClaimedCoupon",
        "ThreadPage",
        "ThreadSummary",
    ] {
        assert!(doc["components"]["schemas"].get(schema).is_some(), "{schema}");
    }
}

/// Every `$ref` in a JSON value.
fn refs(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(o) => {
            for (k, v) in o {
                match (k.as_str(), v) {
                    ("$ref", serde_json::Value::String(r)) => out.push(r.clone()),
                    _ => refs(v, out),
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_document_lists_every_error_an_operation_can_answer() {
    let srv = TestServer::start().await;
    let doc = srv.anonymous().get("/api/v1/openapi.json").await.ok();
    let mut ids = std::collections::HashSet::new();
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            let id = op["operationId"].as_str().unwrap_or_default().to_owned();
            assert!(
                ids.insert(id.clone()),
                "{method} {path}: operationId {id} is not unique"
            );
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|s| s.starts_with('2') || s == "101"),
                "{method} {path} lists its success"
            );
            for (status, r) in responses {
                assert!(
                    r["description"].as_str().is_some_and(|d| !d.is_empty()),
                    "{method} {path} {status} has a description"
                );
                let code: u16 = status.parse().expect("a status, not a range");
                if code < 400 {
                    continue;
                }
                assert_eq!(
                    r["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/ErrorBody",
                    "{method} {path} {status}"
                );
                let codes = r["x-error-codes"].as_array().expect("x-error-codes");
                assert!(!codes.is_empty(), "{method} {path} {status} names its codes");
            }
            let codes = |status: &str| -> Vec<String> {
                responses
                    .get(status)
                    .and_then(|r| r["x-error-codes"].as_array())
                    .map(|a| a.iter().map(|c| c.as_str().unwrap().to_owned()).collect())
                    .unwrap_or_default()
            };
            assert!(codes("500").contains(&"internal".to_owned()), "{method} {path}");
            if op
                .get("security")
                .is_some_and(|s| s.to_string().contains("bearer"))
            {
                assert!(
                    codes("401").contains(&"unauthenticated".to_owned()),
                    "{method} {path}"
                );
                assert!(
                    codes("401").contains(&"token_expired".to_owned()),
                    "{method} {path}"
                );
            }
            if op["requestBody"]["content"].get("application/json").is_some() {
                assert!(
                    codes("400").contains(&"malformed_json".to_owned()),
                    "{method} {path}"
                );
                assert!(
                    codes("415").contains(&"expected_json".to_owned()),
                    "{method} {path}"
                );
                assert!(codes("413").contains(&"too_large".to_owned()), "{method} {path}");
            }
        }
    }
    assert!(operations > 180, "{operations} operations");
    // Every reference resolves.
    let mut all = Vec::new();
    refs(&doc["paths"], &mut all);
    refs(&doc["components"], &mut all);
    for r in all {
        let name = r
            .strip_prefix("#/components/schemas/")
            .expect("a schema reference");
        assert!(doc["components"]["schemas"].get(name).is_some(), "{r} resolves");
    }
    // A send lists what its use case refuses, each under its status.
    let send = &doc["paths"]["/api/v1/rooms/{room}/messages"]["post"]["responses"];
    for (status, code) in [
        ("400", "empty_message"),
        ("400", "banned_word"),
        ("403", "not_member"),
        ("403", "blocked"),
        ("429", "rate_limited"),
        ("429", "flooding"),
    ] {
        let codes = send[status]["x-error-codes"].as_array().unwrap();
        assert!(codes.iter().any(|c| c == code), "send lists {status} {code}");
    }
}

#[tokio::test]
async fn the_demo_world_seeds_and_reseeds_without_duplicates() {
    let srv = TestServer::start().await;
    let core = &srv.node().core;
    let logins = madang::demo::seed(core).await.unwrap();
    assert!(logins.len() >= 30);
    // The node's sender delivers the demo's campaigns; wait for it so the
    // rooms compared below are settled.
    for _ in 0..300 {
        let busy = srv
            .db
            .scalar("SELECT COUNT(*) FROM campaigns WHERE status IN ('scheduled', 'sending')")
            .await;
        if busy == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(srv.db.scalar("SELECT COUNT(*) FROM campaigns").await, 3);
    let mut minji = Client::new(&srv.base);
    let session = minji
        .post(
            "/api/v1/sessions",
            json!({"handle": "minji", "password": madang::demo::DEMO_PASSWORD}),
        )
        .await
        .ok();
    minji.token = session["token"].as_str().map(str::to_owned);
    let seqs = |rooms: serde_json::Value| -> Vec<(i64, i64)> {
        let mut all: Vec<(i64, i64)> = rooms
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["id"].as_i64().unwrap(), r["last_seq"].as_i64().unwrap()))
            .collect();
        all.sort_unstable();
        all
    };
    // Whatever the first seeding set going (jobs, coalesced reads) has
    // landed once two looks half a second apart agree (bounded).
    let mut before = seqs(minji.get("/api/v1/rooms").await.ok());
    for _ in 0..20 {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let now = seqs(minji.get("/api/v1/rooms").await.ok());
        if now == before {
            break;
        }
        before = now;
    }
    assert!(before.len() >= 3, "minji is in several chats");
    // 마당 커피's assistant answers a newcomer from its facts.
    let newcomer = srv.user("demo_guest").await;
    let coffee = newcomer.get("/api/v1/channels/handles/madang_coffee").await.ok();
    let ch = coffee["id"].as_i64().unwrap();
    newcomer
        .put(&format!("/api/v1/channels/{ch}/friend"), json!({}))
        .await
        .ok();
    let room = newcomer.get(&format!("/api/v1/channels/{ch}/room")).await.ok()["id"]
        .as_i64()
        .unwrap();
    let room = madang_types::RoomId(room);
    newcomer.send(room, "oat", "오트밀크 있나요?").await;
    let mut answered = None;
    for _ in 0..250 {
        answered = newcomer
            .all_messages(room)
            .await
            .into_iter()
            .find(|m| m["by_assistant"] == true);
        if answered.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        answered.expect("the assistant answers")["text"],
        "네, 모든 라떼를 오트밀크로 바꿔 드려요. 500원 추가예요."
    );
    let pungs = |feed: serde_json::Value| -> Vec<i64> {
        let mut ids: Vec<i64> = feed["mine"]
            .as_array()
            .unwrap()
            .iter()
            .chain(
                feed["friends"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .flat_map(|r| r["pungs"].as_array().unwrap()),
            )
            .map(|p| p["id"].as_i64().unwrap())
            .collect();
        ids.sort();
        ids
    };
    let feed = minji.get("/api/v1/pungs/feed").await.ok();
    assert!(
        !feed["friends"].as_array().unwrap().is_empty(),
        "minji's friends have Pungs"
    );
    assert_eq!(feed["mine"].as_array().unwrap().len(), 1, "and she has one");
    let seen_pungs = pungs(feed);
    let open_chats = core.refresh_discovery().await.unwrap();
    assert!(open_chats.open_chats >= 250, "{open_chats:?}");
    let recs = minji.get("/api/v1/openchats/recommended").await.ok();
    assert_eq!(recs.as_array().unwrap().len(), 20);
    let found = minji
        .get("/api/v1/openchats/search?q=%EB%A7%9B%EC%A7%91")
        .await
        .ok();
    assert!(
        !found["open_chats"].as_array().unwrap().is_empty(),
        "맛집 finds rooms"
    );
    // On the demo world the recommender beats popularity.
    let e = core.evaluate_recommendations(20_261_123).await.unwrap();
    assert!(e.users > 200, "{e:?}");
    assert!(
        e.recall_at_10 > e.baseline_recall_at_10 && e.ndcg_at_10 > e.baseline_ndcg_at_10,
        "{e:?}"
    );
    // Hosts have earned from subscriptions and ads.
    let earned = minji.get("/api/v1/me/earnings").await.ok();
    assert!(earned["balance"].as_i64().unwrap() > 0, "{earned}");
    let kinds: Vec<&str> = earned["months"][0]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"subscription"), "{earned}");
    // Around City Hall: shops within 2 km, nearest first, with coupons;
    // minji has one in her wallet, answers for the coffee shop, and got its
    // notice in her room with the channel.
    let near = minji
        .get("/api/v1/shops/nearby?lat=37.5663&lon=126.9779&radius_m=2000&limit=50")
        .await
        .ok();
    let shops = near["shops"].as_array().unwrap();
    assert_eq!(shops.len(), 13, "{near}");
    let distances: Vec<f64> = shops.iter().filter_map(|s| s["distance_m"].as_f64()).collect();
    assert!(distances.windows(2).all(|w| w[0] <= w[1]), "{distances:?}");
    assert!(
        !minji
            .get("/api/v1/me/coupons")
            .await
            .ok()
            .as_array()
            .unwrap()
            .is_empty()
    );
    let business = minji.get("/api/v1/businesses").await.ok();
    assert_eq!(business[0]["name"], "마당 커피");
    let b = business[0]["id"].as_i64().unwrap();
    let channel = minji.get(&format!("/api/v1/businesses/{b}/channels")).await.ok()[0]["id"]
        .as_i64()
        .unwrap();
    let inbox = minji.get(&format!("/api/v1/channels/{channel}/inbox")).await.ok();
    assert!(inbox["items"].as_array().unwrap().len() >= 3, "{inbox}");
    let room = minji.get(&format!("/api/v1/channels/{channel}/room")).await.ok();
    let history = minji
        .get(&format!("/api/v1/rooms/{}/messages", room["id"]))
        .await
        .ok();
    assert!(
        history["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["campaign_id"].is_i64()),
        "{history}"
    );
    madang::demo::seed(core).await.unwrap();
    assert_eq!(srv.db.scalar("SELECT COUNT(*) FROM shops").await, 13);
    assert_eq!(srv.db.scalar("SELECT COUNT(*) FROM campaigns").await, 3);
    assert_eq!(
        minji.get("/api/v1/me/earnings").await.ok(),
        earned,
        "re-seeding earns nothing twice"
    );
    assert_eq!(srv.db.scalar("SELECT COUNT(*) FROM ads").await, 3);
    assert_eq!(
        core.refresh_discovery().await.unwrap(),
        open_chats,
        "no open chat or membership twice"
    );
    let feed = minji.get("/api/v1/pungs/feed").await.ok();
    assert_eq!(pungs(feed), seen_pungs, "re-seeding posts no Pung twice");
    let after = seqs(minji.get("/api/v1/rooms").await.ok());
    assert_eq!(before, after, "re-seeding adds no rooms and no messages");
    assert!(minji.get("/api/v1/friends").await.ok().as_array().unwrap().len() >= 5);
}

#[tokio::test]
async fn the_web_client_is_served_with_a_strict_policy_and_api_misses_stay_json() {
    let srv = TestServer::start().await;
    let res = reqwest::get(format!("{}/", srv.base)).await.unwrap();
    assert_eq!(res.status(), 200);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(res.text().await.unwrap().contains("/app.js"));
    // Client routes load the app; scripts are served as JavaScript.
    let deep = reqwest::get(format!("{}/chats/12", srv.base)).await.unwrap();
    assert!(deep.text().await.unwrap().contains("<div id=\"app\">"));
    let js = reqwest::get(format!("{}/app.js", srv.base)).await.unwrap();
    assert!(
        js.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    srv.anonymous()
        .get("/api/v1/nothing-here")
        .await
        .refused(404, "not_found");
}

/// The installable app: its manifest, the worker's list of shell files
/// (with a version), and the worker itself under the same strict policy.
#[tokio::test]
async fn the_app_shell_is_listed_for_the_worker_and_the_manifest_is_served() {
    let srv = TestServer::start().await;
    let manifest = reqwest::get(format!("{}/manifest.webmanifest", srv.base))
        .await
        .unwrap();
    assert_eq!(manifest.headers()["content-type"], "application/manifest+json");
    let manifest: serde_json::Value = manifest.json().await.unwrap();
    assert_eq!(manifest["display"], "standalone");
    assert_eq!(manifest["start_url"], "/#/chats");
    let shell: serde_json::Value = reqwest::get(format!("{}/app-shell.json", srv.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let files: Vec<&str> = shell["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f.as_str())
        .collect();
    for wanted in [
        "app.js",
        "index.html",
        "lib/push.js",
        "manifest.webmanifest",
        "icons/icon-192.png",
    ] {
        assert!(files.contains(&wanted), "{wanted} in {files:?}");
    }
    // Type-checker settings are not the client; the worker is never its own shell.
    assert!(
        files
            .iter()
            .all(|f| !f.ends_with("jsconfig.json") && *f != "sw.js"),
        "{files:?}"
    );
    assert_eq!(shell["version"].as_str().unwrap().len(), 16);
    for file in &files {
        let res = reqwest::get(format!("{}/{file}", srv.base)).await.unwrap();
        assert_eq!(res.status(), 200, "{file}");
    }
    let sw = reqwest::get(format!("{}/sw.js", srv.base)).await.unwrap();
    assert!(
        sw.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(
        sw.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("script-src 'self'")
    );
}
