//! The channel's assistant through the API, on both backends: it answers a
//! customer from the business's facts (quoted, with no generator), marked
//! as the assistant's and shown as the channel; a request for a person or
//! a question nothing matches hands the room to the agents, with what it
//! had, and outside the shop's hours says when they are back; once the
//! people have the room it is quiet until an agent closes it. With a real
//! model behind an OpenAI-compatible endpoint (a scripted stand-in), an
//! answer with a figure not in the facts is withheld and handed over, and
//! one that keeps them is sent. Only the owner changes what it knows.

use super::campaigns::{add, channel};
use super::shop;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;
use madang_testkit::{Client, TestServer, Ws, test_limits};
use madang_types::events::ServerFrame;
use madang_types::{Millis, RoomId};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// 2026-11-23 (a Monday) 12:00 in Seoul.
pub(crate) const MON_NOON_KST: i64 = 1_795_402_800_000;
const HOUR: i64 = 3_600_000;

pub(crate) const HOURS_ANSWER: &str = "영업시간: 월–금 10:00–20:00, 토 11:00–18:00, 일 휴무";
pub(crate) const PARKING: &str = "건물 뒤 공영주차장을 이용해 주세요. 2시간 무료예요.";
pub(crate) const PETS: &str = "네, 테라스석에서 반려견과 함께하실 수 있어요.";

/// A business with a channel and a shop of that channel open Monday to
/// Saturday, two questions and answers, and the assistant on. Returns
/// (business, channel).
pub(crate) async fn set_up(owner: &Client, handle: &str) -> (i64, i64) {
    let (b, ch) = channel(owner, handle, "마당 카페").await;
    let mut body = super::shop_body(b, "마당 카페", 37.5665, 126.978);
    body["channel_id"] = json!(ch);
    body["phone"] = json!("02-123-4567");
    let weekdays =
        ["mon", "tue", "wed", "thu", "fri"].map(|d| json!({"day": d, "open": "10:00", "close": "20:00"}));
    let mut hours: Vec<Value> = weekdays.to_vec();
    hours.push(json!({"day": "sat", "open": "11:00", "close": "18:00"}));
    body["hours"] = json!(hours);
    shop(owner, body).await;
    let facts = format!("/api/v1/channels/{ch}/assistant/facts");
    for (q, a) in [("주차 되나요?", PARKING), ("반려견 동반 가능한가요?", PETS)] {
        let r = owner.post(&facts, json!({"question": q, "answer": a})).await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let on = owner
        .put(
            &format!("/api/v1/channels/{ch}/assistant"),
            json!({"enabled": true}),
        )
        .await
        .ok();
    assert_eq!(on["enabled"], true);
    (b, ch)
}

/// A customer who added the channel, and their room with it.
pub(crate) async fn customer(srv: &TestServer, prefix: &str, ch: i64) -> (Client, RoomId) {
    let c = srv.user(prefix).await;
    add(&c, ch, json!({})).await;
    let room = c.get(&format!("/api/v1/channels/{ch}/room")).await.ok();
    (c, RoomId(room["id"].as_i64().unwrap()))
}

/// The assistant's messages in the room, oldest first.
async fn said(c: &Client, room: RoomId) -> Vec<Value> {
    c.all_messages(room)
        .await
        .into_iter()
        .filter(|m| m["by_assistant"] == true)
        .collect()
}

/// Waits until the assistant has said `n` things in the room; the last.
/// The wait is long: a project CI run (the whole suite in parallel, the
/// real embedder) once gave up at ten seconds on one question.
pub(crate) async fn answer(c: &Client, room: RoomId, n: usize) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    while tokio::time::Instant::now() < deadline {
        let mine = said(c, room).await;
        if mine.len() >= n {
            assert_eq!(mine.len(), n, "{mine:?}");
            return mine[n - 1].clone();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the assistant did not answer {n} times in room {room} within 90 s");
}

/// The channel's inbox entry for `room`.
pub(crate) async fn entry(agent: &Client, ch: i64, room: RoomId) -> Value {
    let page = agent.get(&format!("/api/v1/channels/{ch}/inbox")).await.ok();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["room_id"] == room.0)
        .cloned()
        .expect("in the inbox")
}

/// The assistant handles one message at a time, in order: once a message
/// sent after `room`'s last is answered elsewhere, `room` got nothing more.
async fn quiet_since(srv: &TestServer, ch: i64, c: &Client, room: RoomId, before: usize) {
    let (probe, probe_room) = customer(srv, "asprobe", ch).await;
    probe.send(probe_room, "probe", "주차 되나요?").await;
    assert_eq!(answer(&probe, probe_room, 1).await["text"], PARKING);
    assert_eq!(said(c, room).await.len(), before, "the assistant spoke");
}

#[tokio::test]
async fn the_assistant_answers_from_the_facts_and_hands_over_to_the_agents() {
    let srv = TestServer::start().await;
    srv.clock.set(Millis(MON_NOON_KST));
    let owner = srv.user("aso").await;
    let agent = srv.user("asa").await;
    let (b, ch) = set_up(&owner, "assist_cafe").await;
    super::hire(&owner, b, &agent).await;
    let console = agent.get(&format!("/api/v1/channels/{ch}/assistant")).await.ok();
    assert_eq!(console["facts"].as_array().unwrap().len(), 2);
    let known: Vec<&str> = console["known"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["text"].as_str().unwrap())
        .collect();
    assert!(known.contains(&HOURS_ANSWER), "{known:?}");
    assert!(known.contains(&"전화번호: 02-123-4567"), "{known:?}");
    assert!(known.contains(&"주소: 서울 중구 세종대로 110"), "{known:?}");

    let (person, room) = customer(&srv, "asp", ch).await;
    let shown = person.room(room).await["peer"]["id"].clone();
    // The channel says an assistant answers first.
    let page = format!("/api/v1/channels/{ch}");
    assert_eq!(person.get(&page).await.ok()["assistant"], true);

    // Hours, then a question and answer the business wrote: quoted.
    person.send(room, "q1", "몇 시에 문 열어요?").await;
    let a = answer(&person, room, 1).await;
    assert_eq!(a["text"], HOURS_ANSWER);
    assert_eq!(a["sender_id"], shown, "shown as the channel");
    person.send(room, "q2", "주차 돼요?").await;
    assert_eq!(answer(&person, room, 2).await["text"], PARKING);
    person.send(room, "q3", "What's your phone number?").await;
    assert_eq!(answer(&person, room, 3).await["text"], "Phone: 02-123-4567");
    let it = entry(&agent, ch, room).await;
    assert_eq!(it["with_agents"], false);
    assert!(it["handover"].is_null());

    // A person, please: handed over, with the agents told live.
    let token = agent.token.clone().unwrap();
    let (mut live, _) = Ws::connect(&srv.base, &token, &Default::default()).await;
    person.send(room, "q4", "상담원 연결해 주세요").await;
    let a = answer(&person, room, 4).await;
    assert_eq!(a["text"], "상담원에게 연결해 드릴게요. 잠시만 기다려 주세요.");
    live.until(
        Duration::from_secs(5),
        |f| matches!(f, ServerFrame::InboxChanged { room_id: r, .. } if r == &room),
    )
    .await;
    let it = entry(&agent, ch, room).await;
    assert_eq!(it["status"], "open");
    assert_eq!(it["with_agents"], true);
    assert_eq!(it["handover"]["reason"], "requested");
    assert_eq!(it["handover"]["question"], "상담원 연결해 주세요");
    // The agents see everything the assistant said, marked.
    let conv = format!("/api/v1/channels/{ch}/inbox/{room}");
    let history = agent.get(&format!("{conv}/messages")).await.ok();
    let marked = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["by_assistant"] == true)
        .count();
    assert_eq!(marked, 4);

    // The people have the room: the assistant is quiet, even for a
    // question it could answer.
    person.send(room, "q5", "반려견 데려가도 되나요?").await;
    quiet_since(&srv, ch, &person, room, 4).await;
    let r = agent
        .post(
            &format!("{conv}/messages"),
            json!({"client_id": "ag1", "text": "안녕하세요, 무엇을 도와드릴까요?"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        person.all_messages(room).await.last().unwrap()["text"],
        "안녕하세요, 무엇을 도와드릴까요?"
    );

    // Closed, the assistant answers again; a question nothing matches
    // goes to the agents with the closest fact.
    agent.post(&format!("{conv}/close"), json!({})).await;
    person.send(room, "q6", "반려견 데려가도 되나요?").await;
    assert_eq!(answer(&person, room, 5).await["text"], PETS);
    person.send(room, "q7", "환불 규정이 어떻게 되나요?").await;
    let a = answer(&person, room, 6).await;
    assert_eq!(
        a["text"],
        "정확한 답을 드리기 위해 상담원에게 연결해 드릴게요. 잠시만 기다려 주세요."
    );
    let it = entry(&agent, ch, room).await;
    assert_eq!(it["handover"]["reason"], "low_score");
    assert!(it["handover"]["score"].as_f64().unwrap() < 0.2);

    // Saturday 20:00, closed: it says when the people are back.
    agent.post(&format!("{conv}/close"), json!({})).await;
    srv.clock.set(Millis(MON_NOON_KST - 40 * HOUR));
    person
        .send(room, "q8", "직원이랑 얘기하고 싶어요, 상담사 연결")
        .await;
    let a = answer(&person, room, 7).await;
    assert_eq!(
        a["text"],
        "상담원에게 연결해 드릴게요. 지금은 영업시간이 아니에요. 상담원이 월요일 10:00부터 답해 드릴게요."
    );

    // An agent who takes a closed room first: no answer.
    agent.post(&format!("{conv}/close"), json!({})).await;
    srv.clock.set(Millis(MON_NOON_KST));
    let r = agent
        .post(&format!("{conv}/assign"), json!({"agent_id": agent.user_id.0}))
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    person.send(room, "q9", "몇 시에 문 열어요?").await;
    quiet_since(&srv, ch, &person, room, 7).await;

    // Switched off: no answer either.
    agent.post(&format!("{conv}/close"), json!({})).await;
    owner
        .put(
            &format!("/api/v1/channels/{ch}/assistant"),
            json!({"enabled": false}),
        )
        .await
        .ok();
    assert_eq!(person.get(&page).await.ok()["assistant"], false);
    person.send(room, "q10", "주차 되나요?").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(said(&person, room).await.len(), 7);

    // Answered 4 here and 2 for the probes; handed over 3; none withheld.
    let stats = owner.get(&format!("/api/v1/channels/{ch}/assistant")).await.ok()["stats"].clone();
    assert_eq!(stats, json!({"answered": 6, "handed_over": 3, "withheld": 0}));
}

/// A greeting or a thanks alone is answered in kind, and the room stays
/// with the assistant.
#[tokio::test]
async fn a_greeting_or_a_thanks_is_answered_in_kind() {
    let srv = TestServer::start().await;
    srv.clock.set(Millis(MON_NOON_KST));
    let owner = srv.user("ago").await;
    let (_, ch) = set_up(&owner, "assist_hello").await;
    let (person, room) = customer(&srv, "agp", ch).await;
    person.send(room, "g1", "안녕하세요!").await;
    assert_eq!(
        answer(&person, room, 1).await["text"],
        "안녕하세요, 마당 카페입니다. 궁금한 점을 물어봐 주세요. 사람과 이야기하려면 \"상담원 연결\"이라고 보내 주세요."
    );
    person.send(room, "g2", "주차 돼요?").await;
    assert_eq!(answer(&person, room, 2).await["text"], PARKING);
    person.send(room, "g3", "감사합니다~").await;
    assert_eq!(
        answer(&person, room, 3).await["text"],
        "감사합니다! 더 궁금한 점이 있으면 언제든 물어봐 주세요."
    );
    let it = entry(&owner, ch, room).await;
    assert_eq!(it["with_agents"], false);
    let stats = owner.get(&format!("/api/v1/channels/{ch}/assistant")).await.ok()["stats"].clone();
    assert_eq!(stats, json!({"answered": 3, "handed_over": 0, "withheld": 0}));
}

#[tokio::test]
async fn only_the_owner_changes_what_the_assistant_knows() {
    let srv = TestServer::start().await;
    let owner = srv.user("aro").await;
    let agent = srv.user("ara").await;
    let outsider = srv.user("arx").await;
    let (b, ch) = set_up(&owner, "assist_rules").await;
    super::hire(&owner, b, &agent).await;
    let base = format!("/api/v1/channels/{ch}/assistant");
    let facts = format!("{base}/facts");
    let first = owner.get(&base).await.ok()["facts"][0]["id"].as_i64().unwrap();
    let one = format!("{facts}/{first}");
    let body = json!({"question": "와이파이 있어요?", "answer": "네, 비밀번호는 MADANG2026이에요."});

    // Someone outside the business finds no channel.
    outsider.get(&base).await.refused(404, "channel_not_found");
    outsider
        .put(&base, json!({"enabled": false}))
        .await
        .refused(404, "channel_not_found");
    outsider
        .post(&facts, body.clone())
        .await
        .refused(404, "channel_not_found");
    outsider.delete(&one).await.refused(404, "channel_not_found");
    // An agent reads, but does not change.
    agent.get(&base).await.ok();
    agent
        .put(&base, json!({"enabled": false}))
        .await
        .refused(403, "not_owner");
    agent.post(&facts, body.clone()).await.refused(403, "not_owner");
    agent.put(&one, body.clone()).await.refused(403, "not_owner");
    agent.delete(&one).await.refused(403, "not_owner");
    // Bad facts, and a fact of another channel.
    owner
        .post(&facts, json!({"question": "  ", "answer": "x"}))
        .await
        .refused(400, "invalid_question");
    owner
        .post(&facts, json!({"question": "q", "answer": "가".repeat(1_001)}))
        .await
        .refused(400, "invalid_answer");
    let (_, other) = channel(&owner, "assist_other", "다른 가게").await;
    owner
        .put(
            &format!("/api/v1/channels/{other}/assistant/facts/{first}"),
            body.clone(),
        )
        .await
        .refused(404, "fact_not_found");
    owner
        .delete(&format!("/api/v1/channels/{other}/assistant/facts/{first}"))
        .await
        .refused(404, "fact_not_found");
    let after = owner.get(&base).await.ok();
    assert_eq!(after["enabled"], true);
    assert_eq!(after["facts"].as_array().unwrap().len(), 2, "nothing changed");

    // The owner edits and removes; at most 200.
    let edited = owner.put(&one, body.clone()).await.ok();
    assert_eq!(edited["answer"], "네, 비밀번호는 MADANG2026이에요.");
    assert_eq!(owner.delete(&one).await.status, 204);
    owner.delete(&one).await.refused(404, "fact_not_found");
    for i in 1..200 {
        let r = owner
            .post(&facts, json!({"question": format!("질문 {i}"), "answer": "답"}))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    owner
        .post(&facts, json!({"question": "하나 더", "answer": "답"}))
        .await
        .refused(403, "too_many_facts");
    assert_eq!(
        owner.get(&base).await.ok()["facts"].as_array().unwrap().len(),
        200
    );
}

/// What the stand-in model was sent: (system, user) per request.
type Asked = Arc<Mutex<Vec<(String, String)>>>;

/// A chat-completions endpoint that answers about Saturday with a time
/// not in the facts, and otherwise with one copied from them.
async fn endpoint(asked: Asked) -> String {
    let chat = move |axum::Json(body): axum::Json<Value>| {
        let asked = asked.clone();
        async move {
            let system = body["messages"][0]["content"].as_str().unwrap_or("").to_string();
            let user = body["messages"][1]["content"].as_str().unwrap_or("").to_string();
            let answer = if user.contains("토요일") {
                "토요일은 11시에 열어요!"
            } else {
                "평일에는 20:00까지 열어요."
            };
            asked.lock().map(|mut a| a.push((system, user))).ok();
            (StatusCode::OK, madang_testkit::stand_in::chat_stream(answer, 5))
        }
    };
    let app = Router::new().route("/v1/chat/completions", post(chat));
    madang_testkit::stand_in::serve(app).await
}

#[tokio::test]
async fn a_models_answer_with_a_figure_not_in_the_facts_is_withheld() {
    let asked: Asked = Arc::default();
    let base = endpoint(asked.clone()).await;
    let srv = TestServer::start_configured(test_limits(), Arc::new(madang_bus::LocalBus::new()), move |c| {
        c.ai.generator = madang::config::AiBackend::Openai;
        c.ai.generator_endpoint = base;
        c.ai.generator_endpoint_model = "stand-in".into();
        c.ai.embedder = madang::config::AiBackend::Off;
    })
    .await;
    srv.clock.set(Millis(MON_NOON_KST));
    let owner = srv.user("awo").await;
    let (_, ch) = set_up(&owner, "assist_model").await;
    let (person, room) = customer(&srv, "awp", ch).await;

    person.send(room, "m1", "토요일에는 몇 시에 문 열어요?").await;
    let a = answer(&person, room, 1).await;
    assert_eq!(
        a["text"],
        "정확한 답을 드리기 위해 상담원에게 연결해 드릴게요. 잠시만 기다려 주세요."
    );
    let it = entry(&owner, ch, room).await;
    assert_eq!(it["handover"]["reason"], "withheld");
    assert_eq!(it["handover"]["withheld"], "토요일은 11시에 열어요!");
    assert_eq!(it["handover"]["unsupported"], json!(["11"]));
    assert!(
        person
            .all_messages(room)
            .await
            .iter()
            .all(|m| !m["text"].as_str().unwrap().contains("11시")),
        "the customer never sees a withheld answer"
    );
    // The model was given the facts that matched, hours among them.
    let (system, user) = asked.lock().unwrap()[0].clone();
    assert!(system.contains(HOURS_ANSWER), "{system}");
    assert_eq!(user, "토요일에는 몇 시에 문 열어요?");

    // Closed, asked again: an answer whose figures are the facts' is sent.
    owner
        .post(&format!("/api/v1/channels/{ch}/inbox/{room}/close"), json!({}))
        .await;
    person.send(room, "m2", "평일에는 몇 시까지 열어요?").await;
    let a = answer(&person, room, 2).await;
    assert_eq!(a["text"], "평일에는 20:00까지 열어요.");
    let stats = owner.get(&format!("/api/v1/channels/{ch}/assistant")).await.ok()["stats"].clone();
    assert_eq!(stats, json!({"answered": 1, "handed_over": 1, "withheld": 1}));
}
