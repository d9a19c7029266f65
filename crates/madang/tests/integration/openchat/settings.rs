//! The host's settings: each refusal, a rename members see live, search
//! following new words and visibility, a lowered cap and a new entry code
//! holding for those who join next, covers any member can load.

use super::{create, group, id, join, nickname, room_of};
use crate::pung::png;
use madang_testkit::{TestServer, Ws};
use madang_types::events::{EventBody, ServerFrame};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

async fn search(c: &madang_testkit::Client, q: &str) -> Vec<i64> {
    let body = c
        .get(&format!(
            "/api/v1/openchats/search?q={}",
            q.bytes().map(|b| format!("%{b:02X}")).collect::<String>()
        ))
        .await
        .ok();
    body["open_chats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect()
}

async fn upload(c: &madang_testkit::Client) -> String {
    let up = c
        .raw(
            Method::POST,
            "/api/v1/media?name=cover.png",
            Some((png(640, 320), "image/png")),
        )
        .await
        .ok();
    up["media_id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_host_changes_settings_members_see_them_and_joiners_meet_them() {
    let srv = TestServer::start().await;
    let h = srv.user("seth").await;
    let m = srv.user("setm").await;
    let c = srv.user("setc").await;
    let o = srv.user("seto").await;
    let chat = create(&h, group("주말 등산 모임")).await;
    let cid = id(&chat);
    let room = room_of(&chat);
    let path = format!("/api/v1/openchats/{cid}");
    join(&m, cid, "산악인").await;
    let c_id = join(&c, cid, "부방장").await["mine"]["me"]["id"].clone();
    let appointed = h.raw(Method::PUT, &format!("{path}/cohosts/{c_id}"), None).await;
    assert_eq!(appointed.status, 204, "{}", appointed.body);
    assert_eq!(search(&o, "등산모임").await, vec![cid]);

    // Only the host: not a member, not a co-host, not an outsider.
    m.patch(&path, json!({"title": "mine now"}))
        .await
        .refused(403, "not_host");
    c.patch(&path, json!({"title": "mine now"}))
        .await
        .refused(403, "not_host");
    o.patch(&path, json!({"title": "mine now"}))
        .await
        .refused(404, "open_chat_not_found");
    h.patch("/api/v1/openchats/999999", json!({"title": "x"}))
        .await
        .refused(404, "open_chat_not_found");

    // Each field is checked as on creating, and nothing changes.
    let someone_elses = upload(&m).await;
    let refusals: Vec<(Value, u16, &str)> = vec![
        (json!({"title": "가".repeat(30)}), 400, "invalid_title"),
        (json!({"title": " "}), 400, "invalid_title"),
        (json!({"hashtags": ["two words"]}), 400, "invalid_hashtag"),
        (json!({"category": "nope"}), 400, "invalid_category"),
        (json!({"member_cap": 1}), 400, "invalid_member_cap"),
        (json!({"member_cap": 1501}), 400, "invalid_member_cap"),
        (json!({"member_cap": 2}), 400, "member_cap_below_members"),
        (json!({"entry_code": "1 2"}), 400, "invalid_entry_code"),
        (json!({"cover": "nope"}), 404, "media_not_found"),
        (json!({"cover": someone_elses}), 404, "media_not_found"),
        (json!({"real_profile_only": true}), 403, "real_profile_required"),
        (json!({"visibility": "secret"}), 400, "invalid_body"),
        (json!({"owner": "me"}), 400, "invalid_body"),
    ];
    for (body, status, code) in refusals {
        h.patch(&path, body).await.refused(status, code);
    }
    let unchanged = o.get(&path).await.ok();
    assert_eq!(
        (unchanged["title"].as_str(), unchanged["member_cap"].as_i64()),
        (Some("주말 등산 모임"), Some(1500))
    );

    // A rename reaches members live and retitles their room; search
    // follows the new words at once.
    let (mut ws, _) = Ws::connect(&srv.base, m.token.as_deref().unwrap(), &BTreeMap::new()).await;
    let cover = upload(&h).await;
    let changed = h
        .patch(
            &path,
            json!({"title": "북한산 둘레길", "description": "평일 저녁 산책", "hashtags": ["둘레길"],
                   "category": "health", "cover": cover, "entry_code": "5678", "member_cap": 3}),
        )
        .await
        .ok();
    assert_eq!(
        (
            changed["title"].as_str(),
            changed["category"].as_str(),
            changed["cover"].as_str(),
            changed["has_entry_code"].as_bool(),
            changed["member_cap"].as_i64(),
            changed["hashtags"].clone(),
        ),
        (
            Some("북한산 둘레길"),
            Some("health"),
            Some(cover.as_str()),
            Some(true),
            Some(3),
            json!(["둘레길"])
        )
    );
    let frames = ws
        .until(
            Duration::from_secs(10),
            |f| matches!(f, ServerFrame::Event { event } if matches!(&event.body, EventBody::Renamed { .. })),
        )
        .await;
    let Some(ServerFrame::Event { event }) = frames.last() else {
        panic!("no rename")
    };
    assert_eq!(
        (event.room_id, &event.body, event.actor.0),
        (
            room,
            &EventBody::Renamed {
                title: "북한산 둘레길".into()
            },
            chat["host"]["id"].as_i64().unwrap()
        ),
        "renamed by the host's persona"
    );
    assert_eq!(m.room(room).await["title"], "북한산 둘레길");
    assert_eq!(search(&o, "북한산").await, vec![cid]);
    assert_eq!(search(&o, "둘레길").await, vec![cid]);
    assert!(
        search(&o, "등산모임").await.is_empty(),
        "the old title no longer finds it"
    );
    // Anyone who sees the chat can load its cover.
    let card = o.get(&path).await.ok();
    assert_eq!(card["cover"].as_str(), Some(cover.as_str()));
    let thumb = o
        .raw(Method::GET, &format!("/api/v1/media/{cover}.thumb"), None)
        .await;
    assert_eq!(thumb.status, 200);

    // The new code and the lower cap hold for those who join next.
    let joining = format!("{path}/join");
    o.post(&joining, nickname("새멤버"))
        .await
        .refused(403, "wrong_entry_code");
    o.post(
        &joining,
        json!({"profile": {"as": "nickname", "nickname": "새멤버"}, "entry_code": "5678"}),
    )
    .await
    .refused(409, "room_full");
    h.patch(&path, json!({"member_cap": 4})).await.ok();
    o.post(
        &joining,
        json!({"profile": {"as": "nickname", "nickname": "새멤버"}, "entry_code": "5678"}),
    )
    .await
    .ok();

    // Link-only: search and strangers lose it; the code and cover go.
    let s = srv.user("sets").await;
    let hidden = h
        .patch(
            &path,
            json!({"visibility": "link", "entry_code": "", "cover": ""}),
        )
        .await
        .ok();
    assert_eq!(
        (
            hidden["visibility"].as_str(),
            hidden["has_entry_code"].as_bool(),
            hidden["cover"].clone()
        ),
        (Some("link"), Some(false), Value::Null)
    );
    assert!(search(&s, "북한산").await.is_empty());
    s.get(&path).await.refused(404, "open_chat_not_found");
    assert_eq!(m.get(&path).await.status, 200, "members still find it by id");

    // A closed chat takes no more changes.
    assert_eq!(h.delete(&path).await.status, 204);
    h.patch(&path, json!({"title": "again"}))
        .await
        .refused(403, "room_closed");
}

#[tokio::test]
async fn a_one_on_one_chats_cap_is_not_below_its_open_conversations() {
    let srv = TestServer::start().await;
    let h = srv.user("set1h").await;
    let chat = create(
        &h,
        json!({"kind": "one_on_one", "title": "상담", "category": "career", "visibility": "public",
               "member_cap": 5, "host": {"as": "real_profile"}}),
    )
    .await;
    let cid = id(&chat);
    let path = format!("/api/v1/openchats/{cid}");
    for n in 0..3 {
        let v = srv.user(&format!("set1v{n}")).await;
        join(&v, cid, &format!("방문{n}")).await;
    }
    h.patch(&path, json!({"member_cap": 2}))
        .await
        .refused(400, "member_cap_below_members");
    // A real-profile host may make it real profiles only.
    let done = h
        .patch(&path, json!({"member_cap": 3, "real_profile_only": true}))
        .await
        .ok();
    assert_eq!(
        (done["member_cap"].as_i64(), done["real_profile_only"].as_bool()),
        (Some(3), Some(true))
    );
    let late = srv.user("set1late").await;
    late.post(
        &format!("{path}/join"),
        json!({"profile": {"as": "real_profile"}}),
    )
    .await
    .refused(409, "room_full");
}
