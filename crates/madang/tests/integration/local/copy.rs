//! Personalised campaign copy through the API, with the server's generator
//! an OpenAI-compatible endpoint on 127.0.0.1 that this test scripts: by
//! the reader's coupon it keeps every value, drops the price, runs past
//! the length limit, writes the "(광고)" label itself, or fails. Only the
//! first passes the guardrails; the others' recipients get the template. Equal
//! attribute sets are generated once; the campaign's cap on wordings
//! holds; stats count both; the preview shows either; a server without a
//! model refuses `rewrite`.

use super::campaigns::{add, channel, settle};
use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;
use madang_testkit::{Client, TestServer, test_limits};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

const TEMPLATE: &str = "#{name}님, 이번 주 #{menu} #{price}원! 쿠폰 #{coupon}";

/// Generations asked for, by the reader's coupon.
type Asked = Arc<Mutex<HashMap<String, usize>>>;

/// The endpoint's answer to one rewrite prompt: the items it was told to
/// copy, reworded around, then spoiled as the coupon says.
fn scripted(prompt: &str) -> (String, String) {
    let coupon = prompt
        .split("coupon: ")
        .nth(1)
        .and_then(|rest| rest.split([',', '\n']).next())
        .unwrap_or("")
        .to_string();
    let items: Vec<&str> = prompt.lines().filter_map(|l| l.strip_prefix("- ")).collect();
    let kept = |skip: &str| -> String {
        items
            .iter()
            .filter(|i| **i != skip)
            .copied()
            .collect::<Vec<_>>()
            .join(" · ")
    };
    let text = match coupon.as_str() {
        c if c.starts_with("DROP") => format!("{} 할인 중!", kept("4,500")),
        c if c.starts_with("LONG") => format!("{} {}", kept(""), "정말 ".repeat(400)),
        c if c.starts_with("LABEL") => format!("(광고) {}", kept("")),
        _ => format!("{}: 오직 당신을 위한 혜택", kept("")),
    };
    (coupon, text)
}

/// A chat-completions endpoint answering [`scripted`] as a stream.
async fn endpoint(asked: Asked) -> String {
    let chat = move |axum::Json(body): axum::Json<Value>| {
        let asked = asked.clone();
        async move {
            let prompt = body["messages"][1]["content"].as_str().unwrap_or("").to_string();
            let (coupon, text) = scripted(&prompt);
            *asked.lock().unwrap().entry(coupon.clone()).or_default() += 1;
            if coupon.starts_with("FAIL") {
                return (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "{\"error\":\"boom\"}".to_string(),
                );
            }
            let sse = madang_testkit::stand_in::chat_stream(&text, 16);
            (StatusCode::OK, sse)
        }
    };
    let app = Router::new().route("/v1/chat/completions", post(chat));
    madang_testkit::stand_in::serve(app).await
}

async fn server(asked: Asked) -> TestServer {
    let base = endpoint(asked).await;
    let limits = madang_core::Limits {
        campaign_poll_ms: 20,
        campaign_batch: 2,
        campaign_rewrite_variants: 5,
        ..test_limits()
    };
    TestServer::start_configured(limits, Arc::new(madang_bus::LocalBus::new()), move |c| {
        c.ai.generator = madang::config::AiBackend::Openai;
        c.ai.generator_endpoint = base;
        c.ai.generator_endpoint_model = "scripted".into();
        c.ai.embedder = madang::config::AiBackend::Off;
    })
    .await
}

fn campaign(coupon_attribute: bool) -> Value {
    json!({
        "name": "딸기 라떼", "kind": "advertising", "template": TEMPLATE,
        "variables": {"menu": "딸기 라떼", "price": "4,500"},
        "attributes": if coupon_attribute { json!(["coupon"]) } else { json!([]) },
        "rewrite": true
    })
}

/// The campaign message in `c`'s room with the channel.
async fn received(c: &Client, channel: i64) -> String {
    let room = c.get(&format!("/api/v1/channels/{channel}/room")).await.ok();
    let id = madang_types::RoomId(room["id"].as_i64().unwrap());
    let got: Vec<Value> = c
        .all_messages(id)
        .await
        .into_iter()
        .filter(|m| m["campaign_id"].is_i64())
        .collect();
    assert_eq!(got.len(), 1, "{got:?}");
    got[0]["text"].as_str().unwrap().to_string()
}

fn plain(name: &str, coupon: &str) -> String {
    format!(
        "(광고) 동네카페\n{name}님, 이번 주 딸기 라떼 4,500원! 쿠폰 {coupon}\n\n\
         수신거부: 이 메시지의 [광고 수신거부]를 누르세요"
    )
}

#[tokio::test]
async fn rewritten_copy_keeps_every_value_and_the_cap_or_falls_back_to_the_template() {
    let asked: Asked = Arc::default();
    let srv = server(asked.clone()).await;
    let owner = srv.user("rwo").await;
    assert_eq!(owner.get("/api/v1/ai").await.ok()["campaign_copy"], true);
    let (_, ch) = channel(&owner, "dongne_cafe", "동네카페").await;
    // In user id order, which is the order batches take them.
    let coupons = ["GOLD10", "GOLD10", "DROP1", "LONG1", "FAIL1", "LABEL1", "EXTRA1"];
    let mut people = Vec::new();
    for (i, coupon) in coupons.iter().enumerate() {
        let p = srv.user(&format!("rw{i}")).await;
        add(&p, ch, json!({"marketing": true, "marketing_night": true})).await;
        owner
            .put(
                &format!("/api/v1/channels/{ch}/friends/{}", p.user_id),
                json!({"attributes": {"coupon": coupon}}),
            )
            .await
            .ok();
        people.push(p);
    }

    // The preview runs the model for the sample, and shows a fallback.
    let preview = format!("/api/v1/channels/{ch}/campaigns/preview");
    let mut ask = campaign(true);
    ask["sample"] = json!({"coupon": "PREVIEW1"});
    let p = owner.post(&preview, ask.clone()).await.ok();
    assert_eq!(p["rewritten"], true, "{p}");
    assert!(p["fell_back"].is_null(), "{p}");
    let text = p["text"].as_str().unwrap();
    assert!(text.starts_with("(광고) 동네카페\n"), "{text}");
    assert!(
        text.ends_with("수신거부: 이 메시지의 [광고 수신거부]를 누르세요"),
        "{text}"
    );
    for value in ["딸기 라떼", "4,500", "PREVIEW1", &owner.handle] {
        assert!(text.contains(value), "{value} missing from {text}");
    }
    assert!(text.contains("오직 당신을 위한 혜택"), "{text}");
    ask["sample"] = json!({"coupon": "DROP9"});
    let p = owner.post(&preview, ask).await.ok();
    assert_eq!(p["rewritten"], false, "{p}");
    assert_eq!(p["fell_back"], "dropped_value", "{p}");
    assert_eq!(p["text"], plain(&owner.handle, "DROP9"));

    let created = owner
        .post(&format!("/api/v1/channels/{ch}/campaigns"), campaign(true))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["rewrite"], true);
    let id = created.body["id"].as_i64().unwrap();
    let done = settle(&owner, id, &["done"]).await;
    let stats = &done["stats"];
    assert_eq!(stats["delivered"], 7, "{done}");
    assert_eq!(stats["rewritten"], 2, "{done}");
    assert_eq!(stats["fell_back"], 5, "{done}");
    assert_eq!(
        stats["fell_back_by_reason"],
        json!({"dropped_value": 1, "too_long": 1, "model_error": 1, "forbidden_text": 1, "variant_cap": 1}),
        "{done}"
    );

    // The two with the same attributes share one generation; the one past
    // the cap of five wordings was never asked for.
    {
        let asked = asked.lock().unwrap();
        assert_eq!(asked.get("GOLD10"), Some(&1), "{asked:?}");
        assert_eq!(asked.get("EXTRA1"), None, "{asked:?}");
        assert_eq!(asked.get("DROP1"), Some(&1), "{asked:?}");
    }

    for (p, coupon) in people.iter().zip(coupons) {
        let text = received(p, ch).await;
        if coupon == "GOLD10" {
            assert_ne!(text, plain(&p.handle, coupon));
            assert!(text.starts_with("(광고) 동네카페\n"), "{text}");
            assert!(
                text.ends_with("\n\n수신거부: 이 메시지의 [광고 수신거부]를 누르세요"),
                "{text}"
            );
            for value in ["딸기 라떼", "4,500", coupon, &p.handle] {
                assert!(text.contains(value), "{value} missing from {text}");
            }
            assert_eq!(text.matches("(광고)").count(), 1, "{text}");
        } else {
            assert_eq!(text, plain(&p.handle, coupon), "{coupon}");
        }
    }
}

#[tokio::test]
async fn one_wording_serves_everyone_when_nothing_varies() {
    let asked: Asked = Arc::default();
    let srv = server(asked.clone()).await;
    let owner = srv.user("rwn").await;
    let (_, ch) = channel(&owner, "dongne_cafe2", "동네카페").await;
    let mut people = Vec::new();
    for i in 0..5 {
        let p = srv.user(&format!("rn{i}")).await;
        add(&p, ch, json!({"marketing": true, "marketing_night": true})).await;
        people.push(p);
    }
    let mut body = campaign(false);
    body["template"] = json!("#{name}님, 이번 주 #{menu} #{price}원! 쿠폰 #{coupon}");
    body["variables"]["coupon"] = json!("ALL5");
    let created = owner
        .post(&format!("/api/v1/channels/{ch}/campaigns"), body)
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let done = settle(&owner, created.body["id"].as_i64().unwrap(), &["done"]).await;
    assert_eq!(done["stats"]["rewritten"], 5, "{done}");
    assert_eq!(done["stats"]["fell_back"], 0, "{done}");
    assert_eq!(asked.lock().unwrap().get("").copied(), Some(1));
    for p in &people {
        let text = received(p, ch).await;
        assert!(text.contains(&p.handle), "{text}");
        assert!(text.contains("오직 당신을 위한 혜택"), "{text}");
    }
}

#[tokio::test]
async fn a_server_without_a_model_refuses_rewrite_and_sends_the_template_without_it() {
    let srv = TestServer::start().await;
    let owner = srv.user("rwf").await;
    assert_eq!(owner.get("/api/v1/ai").await.ok()["campaign_copy"], false);
    let (_, ch) = channel(&owner, "dongne_cafe3", "동네카페").await;
    let p = srv.user("rf0").await;
    add(&p, ch, json!({"marketing": true, "marketing_night": true})).await;
    owner
        .put(
            &format!("/api/v1/channels/{ch}/friends/{}", p.user_id),
            json!({"attributes": {"coupon": "GOLD10"}}),
        )
        .await
        .ok();
    let campaigns = format!("/api/v1/channels/{ch}/campaigns");
    owner
        .post(&campaigns, campaign(true))
        .await
        .refused(503, "feature_off");
    let mut preview = campaign(true);
    preview["sample"] = json!({"coupon": "X"});
    owner
        .post(&format!("{campaigns}/preview"), preview)
        .await
        .refused(503, "feature_off");
    let mut body = campaign(true);
    body["rewrite"] = json!(false);
    let created = owner.post(&campaigns, body).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let done = settle(&owner, created.body["id"].as_i64().unwrap(), &["done"]).await;
    assert_eq!(done["stats"]["rewritten"], 0, "{done}");
    assert_eq!(done["stats"]["fell_back"], 0, "{done}");
    assert_eq!(received(&p, ch).await, plain(&p.handle, "GOLD10"));
}

/// A model that fails now may work later: that fallback is not kept with
/// the campaign, so the morning's deferred recipients ask again.
#[tokio::test]
async fn a_failing_model_is_asked_again_on_the_next_run() {
    /// 2026-11-23 22:00 in Seoul.
    const NIGHT_KST: i64 = 1_795_438_800_000;
    let asked: Asked = Arc::default();
    let srv = server(asked.clone()).await;
    srv.clock.set(madang_types::Millis(NIGHT_KST));
    let owner = srv.user("rwm").await;
    let (_, ch) = channel(&owner, "dongne_cafe4", "동네카페").await;
    let night_ok = srv.user("rm0").await;
    let day_only = srv.user("rm1").await;
    add(&night_ok, ch, json!({"marketing": true, "marketing_night": true})).await;
    add(&day_only, ch, json!({"marketing": true})).await;
    for p in [&night_ok, &day_only] {
        owner
            .put(
                &format!("/api/v1/channels/{ch}/friends/{}", p.user_id),
                json!({"attributes": {"coupon": "FAIL1"}}),
            )
            .await
            .ok();
    }
    let created = owner
        .post(&format!("/api/v1/channels/{ch}/campaigns"), campaign(true))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_i64().unwrap();
    let waiting = settle(&owner, id, &["waiting"]).await;
    assert_eq!(waiting["stats"]["fell_back_by_reason"], json!({"model_error": 1}));
    assert_eq!(asked.lock().unwrap().get("FAIL1"), Some(&1));
    // 08:00 the next morning.
    srv.clock.set(madang_types::Millis(NIGHT_KST + 10 * 3_600_000));
    let done = settle(&owner, id, &["done"]).await;
    assert_eq!(done["stats"]["delivered"], 2, "{done}");
    assert_eq!(done["stats"]["fell_back_by_reason"], json!({"model_error": 2}));
    assert_eq!(asked.lock().unwrap().get("FAIL1"), Some(&2));
    assert_eq!(received(&day_only, ch).await, plain(&day_only.handle, "FAIL1"));
}
