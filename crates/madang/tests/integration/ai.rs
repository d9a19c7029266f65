//! The AI features through the API, with the real default models on the
//! CPU (SmolLM2-135M-Instruct, all-MiniLM-L6-v2; see `madang models pull`).

use madang_core::Limits;
use madang_testkit::{Client, TestServer, test_limits};
use madang_types::RoomId;
use serde_json::{Value, json};

/// A trip being planned: what a summary must be about.
const HIKE: [(usize, &str); 8] = [
    (0, "Shall we go hiking at Bukhansan this Saturday?"),
    (
        1,
        "Yes! The hiking trail to Baegundae peak is beautiful in autumn.",
    ),
    (0, "Let's meet at Bukhansan entrance at 8 am on Saturday."),
    (1, "I will bring kimbap and water for the hike."),
    (0, "Great. Wear good hiking boots, the rocks are steep."),
    (1, "Should we invite Carol to the hike too?"),
    (
        0,
        "Yes, I added her to this chat. Carol, hiking on Saturday at 8!",
    ),
    (1, "The hike takes about five hours up and down."),
];

/// The events of a summary response: (`event`, `data`).
fn events(body: &Value) -> Vec<(String, Value)> {
    let text = body
        .as_str()
        .unwrap_or_else(|| panic!("not an event stream: {body}"));
    let mut out = Vec::new();
    for block in text.split("\n\n") {
        let mut name = None;
        let mut data = None;
        for line in block.lines() {
            if let Some(v) = line.strip_prefix("event:") {
                name = Some(v.trim().to_string());
            } else if let Some(v) = line.strip_prefix("data:") {
                data = serde_json::from_str::<Value>(v.trim()).ok();
            }
        }
        if let (Some(n), Some(d)) = (name, data) {
            out.push((n, d));
        }
    }
    out
}

fn summary_text(events: &[(String, Value)]) -> String {
    events
        .iter()
        .filter(|(n, _)| n == "text")
        .filter_map(|(_, d)| d["text"].as_str())
        .collect()
}

/// Alice and Bob plan a hike; Carol has read none of it.
async fn planned_hike(srv: &TestServer) -> (Client, Client, Client, RoomId) {
    let alice = srv.user("alice").await;
    let bob = srv.user("bob").await;
    let carol = srv.user("carol").await;
    let room = alice.group("weekend", &[&bob, &carol]).await;
    let people = [&alice, &bob];
    for (i, (who, text)) in HIKE.iter().enumerate() {
        people[*who].send(room, &format!("hike-{i}"), text).await;
    }
    (alice, bob, carol, room)
}

fn summary_path(room: RoomId) -> String {
    format!("/api/v1/rooms/{room}/summary")
}

#[tokio::test]
async fn a_summary_of_unread_messages_streams_and_names_the_topic() {
    let srv = TestServer::start_with_models(test_limits()).await;
    let (_alice, _bob, carol, room) = planned_hike(&srv).await;
    let reply = carol.post(&summary_path(room), json!({})).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(
        reply.headers["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/event-stream"),
        "{:?}",
        reply.headers
    );
    let events = events(&reply.body);
    let (first, start) = &events[0];
    assert_eq!(first, "start");
    assert_eq!(start["messages"], json!(HIKE.len()));
    assert_eq!(start["chunks"], json!(1));
    assert_eq!(events.last().map(|(n, _)| n.as_str()), Some("done"), "{events:?}");
    let text = summary_text(&events).to_lowercase();
    assert!(
        text.contains("hik") || text.contains("bukhansan"),
        "the summary should be about the hike: {text:?}"
    );
    // Nothing was marked read by asking.
    let room_view = carol.room(room).await;
    assert_eq!(room_view["unread"], json!(HIKE.len()), "{room_view}");
}

#[tokio::test]
async fn a_long_backlog_is_summarised_in_parts_then_merged() {
    let limits = Limits {
        summary_chunk_tokens: 120,
        summary_max_tokens: 40,
        ..test_limits()
    };
    let srv = TestServer::start_with_models(limits).await;
    let (alice, bob, carol, room) = planned_hike(&srv).await;
    for i in 0..12 {
        let who = if i % 2 == 0 { &alice } else { &bob };
        who.send(
            room,
            &format!("more-{i}"),
            &format!("Reminder {i}: the Bukhansan hike is on Saturday at 8 am."),
        )
        .await;
    }
    let events = events(&carol.post(&summary_path(room), json!({})).await.ok());
    let chunks = events[0].1["chunks"].as_u64().unwrap_or(0);
    assert!(chunks > 1, "{events:?}");
    let progress: Vec<u64> = events
        .iter()
        .filter(|(n, _)| n == "progress")
        .filter_map(|(_, d)| d["done"].as_u64())
        .collect();
    assert_eq!(
        progress,
        (1..=chunks).collect::<Vec<_>>(),
        "one progress event per part, in order"
    );
    assert_eq!(events.last().map(|(n, _)| n.as_str()), Some("done"), "{events:?}");
    assert!(!summary_text(&events).trim().is_empty());
}

#[tokio::test]
async fn summary_refusals() {
    let limits = Limits {
        summaries_per_hour: 1,
        summary_max_tokens: 8,
        ..test_limits()
    };
    let srv = TestServer::start_with_models(limits).await;
    let (_alice, bob, carol, room) = planned_hike(&srv).await;
    let outsider = srv.user("outsider").await;
    outsider
        .post(&summary_path(room), json!({}))
        .await
        .refused(403, "not_member");
    // Bob wrote the last message: he has read everything.
    bob.post(&summary_path(room), json!({}))
        .await
        .refused(400, "nothing_to_summarise");
    carol
        .post(&summary_path(room), json!({"last": 0}))
        .await
        .refused(400, "invalid_count");
    carol
        .post(&summary_path(room), json!({"last": 3001}))
        .await
        .refused(400, "invalid_count");
    carol
        .post(&summary_path(room), json!({"last": "all"}))
        .await
        .refused(400, "invalid_body");
    // One summary an hour here: the second is refused, and the refusals
    // above did not count.
    let first = carol.post(&summary_path(room), json!({"last": 2})).await;
    assert_eq!(events(&first.ok())[0].1["messages"], json!(2));
    carol
        .post(&summary_path(room), json!({"last": 2}))
        .await
        .refused(429, "rate_limited");
}

#[tokio::test]
async fn without_a_model_or_when_switched_off_summaries_are_off() {
    let srv = TestServer::start().await; // no models in its data folder
    let (_alice, _bob, carol, room) = planned_hike(&srv).await;
    carol
        .post(&summary_path(room), json!({}))
        .await
        .refused(503, "feature_off");

    let models = madang_testkit::models_dir().await;
    let srv = TestServer::start_configured(
        test_limits(),
        std::sync::Arc::new(madang_bus::LocalBus::new()),
        |c| {
            c.ai.models_dir = models.display().to_string();
            c.ai.summary = false;
        },
    )
    .await;
    let (_alice, _bob, carol, room) = planned_hike(&srv).await;
    carol
        .post(&summary_path(room), json!({}))
        .await
        .refused(503, "feature_off");
}

#[tokio::test]
async fn related_room_titles_embed_closer_than_unrelated_ones() {
    use madang_ai::Embedder;
    let dir = madang_testkit::models_dir()
        .await
        .join(madang_ai::pull::MINILM.folder);
    let embedder = madang_ai::local::BertEmbedder::new(&dir).expect("embedder");
    let texts: Vec<String> = [
        "Weekend hiking club: mountain trails and summit trips",
        "Hikers who climb mountains every Saturday",
        "Sourdough bread baking tips and recipes",
        "Stock market investing for beginners",
    ]
    .map(String::from)
    .to_vec();
    let v = embedder.embed(&texts).await.expect("vectors");
    assert_eq!(v.len(), 4);
    assert!(v.iter().all(|x| x.len() == embedder.dims() && x.len() == 384));
    let sim = |a: usize, b: usize| madang_ai::cosine(&v[a], &v[b]);
    assert!((sim(0, 0) - 1.0).abs() < 1e-4, "unit length");
    assert!(
        sim(0, 1) > sim(0, 2) + 0.2,
        "hiking~hiking {} vs hiking~baking {}",
        sim(0, 1),
        sim(0, 2)
    );
    assert!(
        sim(0, 1) > sim(0, 3) + 0.2,
        "hiking~hiking {} vs hiking~stocks {}",
        sim(0, 1),
        sim(0, 3)
    );
}
