//! Anonymity: a member who joined with a nickname is looked up through
//! every endpoint and every WebSocket frame another member can reach, and
//! nothing of their account (id, handle, name, status, photo) appears.

use super::{create, group, id, join, me_in, room_of};
use madang_testkit::{Client, TestServer, Ws};
use madang_types::events::ServerFrame;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

const QUIET: Duration = Duration::from_millis(700);

/// Every integer that names someone: fields that carry people's ids, and
/// the `id` of person-shaped objects (those with a name).
fn people_in(v: &Value, out: &mut Vec<i64>) {
    const KEYS: &[&str] = &[
        "user",
        "user_id",
        "sender_id",
        "actor",
        "author_id",
        "invited_by",
        "member_id",
    ];
    match v {
        Value::Object(map) => {
            let person = map.contains_key("nickname") || map.contains_key("display_name");
            for (k, x) in map {
                if KEYS.contains(&k.as_str()) || (person && k == "id") {
                    out.extend(x.as_i64());
                }
                if k == "mentions" {
                    out.extend(x.as_array().into_iter().flatten().filter_map(Value::as_i64));
                }
                people_in(x, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|x| people_in(x, out)),
        _ => {}
    }
}

/// What a member of the room can reach about it, as JSON.
async fn everything_seen_by(y: &Client, chat: i64, code: &str, room: i64) -> Vec<(String, Value)> {
    let mut seen = Vec::new();
    for path in [
        format!("/api/v1/openchats/{chat}"),
        format!("/api/v1/openchats/links/{code}"),
        "/api/v1/rooms".to_owned(),
        format!("/api/v1/rooms/{room}"),
        format!("/api/v1/rooms/{room}/members"),
        format!("/api/v1/rooms/{room}/open-members"),
        format!("/api/v1/rooms/{room}/messages"),
        format!("/api/v1/rooms/{room}/events?after=0"),
    ] {
        let body = y.get(&path).await.ok();
        seen.push((path, body));
    }
    seen
}

fn frames_json(frames: &[ServerFrame]) -> Value {
    Value::Array(frames.iter().map(|f| serde_json::to_value(f).unwrap()).collect())
}

#[tokio::test]
async fn a_member_with_a_nickname_is_never_revealed_to_other_members() {
    let srv = TestServer::start().await;
    let h = srv.user("anonhost").await;
    let y = srv.user("anonwatcher").await;
    let z = srv.user("anonreal").await;
    let mut x = srv.anonymous();
    x.sign_up("xsecret9").await;
    x.patch(
        "/api/v1/me",
        json!({"display_name": "김진짜", "phone": "+82 10-9999-8888", "email": "x@secret.example"}),
    )
    .await
    .ok();
    x.patch("/api/v1/me", json!({"status_message": "my secret status"}))
        .await
        .ok();
    let avatar = {
        let img = image::RgbImage::from_pixel(16, 16, image::Rgb([1, 2, 3]));
        let mut png = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        x.raw(
            reqwest::Method::PUT,
            "/api/v1/me/avatar",
            Some((png, "image/png")),
        )
        .await
        .ok()["avatar"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    // x and y are even friends outside: the open chat still must not tell.
    x.befriend(&y).await;

    let chat = create(&h, group("비밀 모임")).await;
    let cid = id(&chat);
    let code = chat["link_code"].as_str().unwrap().to_owned();
    let room = room_of(&chat);
    let y_id = me_in(&join(&y, cid, "관찰자").await);
    let (mut wy, _) = Ws::connect(&srv.base, y.token.as_deref().unwrap(), &BTreeMap::new()).await;
    let xs = join(&x, cid, "익명고양이").await;
    let persona = me_in(&xs);
    assert!(persona < 0 && persona != x.user_id.0);
    assert_eq!(
        x.room(room).await["my_id"],
        persona,
        "the room tells x who x is there"
    );
    let z_id = me_in(
        &z.post(
            &format!("/api/v1/openchats/{cid}/join"),
            json!({"profile": {"as": "real_profile"}}),
        )
        .await
        .ok(),
    );

    // x does everything a member does.
    let y_msg = y.send(room, "y1", "안녕하세요").await;
    let m = x
        .post(
            &format!("/api/v1/rooms/{room}/messages"),
            json!({"client_id": "x1", "text": "@관찰자 반가워요", "mentions": [y_id], "reply_to": y_msg}),
        )
        .await
        .ok();
    assert_eq!(m["sender_id"], persona, "x's own view shows the persona too");
    let x_msg = x.send(room, "x2", "두 번째").await;
    x.patch(
        &format!("/api/v1/rooms/{room}/messages/{x_msg}"),
        json!({"text": "고침"}),
    )
    .await
    .ok();
    x.post(
        &format!("/api/v1/rooms/{room}/messages/{y_msg}/reactions"),
        json!({"emoji": "👍"}),
    )
    .await;
    let (mut wx, _) = Ws::connect(&srv.base, x.token.as_deref().unwrap(), &BTreeMap::new()).await;
    wx.send_json(json!({"type": "typing", "room_id": room})).await;
    let mentions_x = y
        .post(
            &format!("/api/v1/rooms/{room}/messages"),
            json!({"client_id": "y2", "text": "@익명고양이 hi", "mentions": [persona]}),
        )
        .await
        .ok();
    assert_eq!(mentions_x["mentions"], json!([persona]));
    wx.send_json(json!({"type": "read", "room_id": room, "seq": mentions_x["seq"]}))
        .await;
    // Mentioning x by account id is refused: that id is not in the room.
    y.post(
        &format!("/api/v1/rooms/{room}/messages"),
        json!({"client_id": "y3", "text": "hi", "mentions": [x.user_id]}),
    )
    .await
    .refused(400, "mention_not_member");

    let mut live = wy.drain(QUIET).await;
    let (_, replayed) = Ws::connect(
        &srv.base,
        y.token.as_deref().unwrap(),
        &BTreeMap::from([(room, madang_types::Seq(0))]),
    )
    .await;
    live.extend(replayed);
    let mut seen = everything_seen_by(&y, cid, &code, room.0).await;
    seen.push(("websocket frames".into(), frames_json(&live)));
    seen.push((
        format!("/api/v1/users/{persona}"),
        y.get(&format!("/api/v1/users/{persona}")).await.body,
    ));

    let secrets = [
        x.handle.as_str(),
        "김진짜",
        "my secret status",
        avatar.as_str(),
        "xsecret9",
    ];
    let mut everyone = Vec::new();
    for (what, body) in &seen {
        let text = body.to_string();
        for s in secrets {
            assert!(!text.contains(s), "{what} reveals {s:?}: {text}");
        }
        let mut ids = Vec::new();
        people_in(body, &mut ids);
        assert!(!ids.contains(&x.user_id.0), "{what} names x's account: {text}");
        assert!(
            !ids.contains(&h.user_id.0),
            "{what} names the host's account: {text}"
        );
        everyone.extend(ids);
    }
    // The checks can see: the persona is everywhere, and a real profile is shown as itself.
    assert!(everyone.contains(&persona));
    assert!(everyone.contains(&z_id) && z_id == z.user_id.0);
    let members = y.get(&format!("/api/v1/rooms/{room}/open-members")).await.ok();
    let cat = members["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == persona)
        .unwrap();
    assert_eq!(
        (cat["nickname"].as_str(), cat["avatar"].clone()),
        (Some("익명고양이"), json!(null))
    );
    assert!(cat["avatar_seed"].as_str().unwrap().contains('#'));
    assert!(
        live.iter()
            .any(|f| matches!(f, ServerFrame::Typing { user_id, .. } if user_id.0 == persona))
    );
    assert!(live.iter().any(
        |f| matches!(f, ServerFrame::Reads { reads, .. } if reads.iter().any(|r| r.user_id.0 == persona))
    ));
    // Leaving is announced under the persona too.
    assert_eq!(
        x.delete(&format!("/api/v1/rooms/{room}/members/me")).await.status,
        204
    );
    let after = frames_json(&wy.drain(QUIET).await);
    let mut ids = Vec::new();
    people_in(&after, &mut ids);
    assert!(ids.contains(&persona) && !ids.contains(&x.user_id.0), "{after}");
}
