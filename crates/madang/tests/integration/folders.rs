//! Chat folders through HTTP and the WebSocket: made, renamed, filled,
//! ordered and deleted, told live to every device of the owner, and each
//! refusal (too many folders or rooms, a room not mine, a folder not
//! mine, a bad name or order) storing nothing.

use madang_testkit::{Client, TestServer, Ws, test_limits};
use madang_types::events::ServerFrame;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(5);

async fn folders(c: &Client) -> Value {
    c.get("/api/v1/folders").await.ok()
}

fn names(list: &Value) -> Vec<String> {
    list["folders"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| f["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn rooms_of(list: &Value, name: &str) -> Vec<i64> {
    list["folders"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["name"] == name)
        .map(|f| {
            f["room_ids"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_i64)
                .collect()
        })
        .unwrap_or_default()
}

async fn changed(ws: &mut Ws) {
    ws.until(WAIT, |f| matches!(f, ServerFrame::FoldersChanged)).await;
}

#[tokio::test]
async fn folders_are_made_filled_renamed_ordered_and_deleted_and_every_device_hears() {
    let srv = TestServer::start().await;
    let a = srv.user("fa").await;
    let b = srv.user("fb").await;
    let c = srv.user("fc").await;
    let direct = a.direct(&b).await;
    let family = a.group("family", &[&b, &c]).await;
    let work = a.group("work", &[&c]).await;
    let phone = a.another_device().await;
    let (mut on_phone, _) = Ws::connect(
        &srv.base,
        phone.token.as_deref().unwrap_or_default(),
        &BTreeMap::new(),
    )
    .await;

    let empty = folders(&a).await;
    assert_eq!(empty["folders"], json!([]));
    assert_eq!(
        (empty["max_folders"].as_i64(), empty["max_rooms"].as_i64()),
        (Some(10), Some(100))
    );

    let made = a
        .post(
            "/api/v1/folders",
            json!({"name": "  가족 ", "room_ids": [family, direct, family]}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let fam = made.body["id"].as_i64().unwrap_or_default();
    assert_eq!(made.body["name"], "가족");
    assert_eq!(
        made.body["room_ids"],
        json!([direct.0.min(family.0), direct.0.max(family.0)])
    );
    changed(&mut on_phone).await;
    let second = a.post("/api/v1/folders", json!({"name": "Work"})).await.ok();
    let job = second["id"].as_i64().unwrap_or_default();
    changed(&mut on_phone).await;
    assert_eq!(names(&folders(&phone).await), ["가족", "Work"]);

    let renamed = a
        .patch(
            &format!("/api/v1/folders/{job}"),
            json!({"name": "회사", "room_ids": [work]}),
        )
        .await
        .ok();
    assert_eq!(
        (renamed["name"].as_str(), &renamed["room_ids"]),
        (Some("회사"), &json!([work]))
    );
    changed(&mut on_phone).await;
    // Only the rooms, the name stays.
    a.patch(&format!("/api/v1/folders/{fam}"), json!({"room_ids": [family]}))
        .await
        .ok();
    changed(&mut on_phone).await;
    let now = folders(&phone).await;
    assert_eq!(rooms_of(&now, "가족"), [family.0]);
    assert_eq!(rooms_of(&now, "회사"), [work.0]);

    let ordered = a
        .put("/api/v1/folders/order", json!({"folder_ids": [job, fam]}))
        .await
        .ok();
    assert_eq!(names(&ordered), ["회사", "가족"]);
    changed(&mut on_phone).await;
    assert_eq!(names(&folders(&phone).await), ["회사", "가족"]);

    // Leaving a room takes it out of the folder's list.
    assert_eq!(
        a.delete(&format!("/api/v1/rooms/{work}/members/me")).await.status,
        204
    );
    assert_eq!(rooms_of(&folders(&a).await, "회사"), Vec::<i64>::new());

    assert_eq!(a.delete(&format!("/api/v1/folders/{job}")).await.status, 204);
    changed(&mut on_phone).await;
    assert_eq!(names(&folders(&a).await), ["가족"]);
    // Someone else's folders are their own.
    assert_eq!(folders(&b).await["folders"], json!([]));
}

#[tokio::test]
async fn folder_refusals_store_nothing() {
    let mut limits = test_limits();
    limits.max_folders = 2;
    limits.max_folder_rooms = 2;
    let srv = TestServer::start_with(limits).await;
    let a = srv.user("ra").await;
    let b = srv.user("rb").await;
    let c = srv.user("rc").await;
    let ab = a.direct(&b).await;
    let ac = a.direct(&c).await;
    let g = a.group("three", &[&b, &c]).await;
    let theirs = b.direct(&c).await;

    a.post("/api/v1/folders", json!({"name": ""}))
        .await
        .refused(400, "invalid_folder_name");
    a.post(
        "/api/v1/folders",
        json!({"name": "이름이 스무 글자를 넘는 아주 긴 폴더 이름"}),
    )
    .await
    .refused(400, "invalid_folder_name");
    a.post("/api/v1/folders", json!({"name": "tab\there"}))
        .await
        .refused(400, "invalid_folder_name");
    a.post(
        "/api/v1/folders",
        json!({"name": "many", "room_ids": [ab, ac, g]}),
    )
    .await
    .refused(400, "folder_rooms_limit");
    a.post(
        "/api/v1/folders",
        json!({"name": "spy", "room_ids": [ab, theirs]}),
    )
    .await
    .refused(403, "not_member");
    a.post("/api/v1/folders", json!({"name": "ghost", "room_ids": [987654]}))
        .await
        .refused(403, "not_member");
    a.post("/api/v1/folders", json!({"name": "x", "room_ids": "all"}))
        .await
        .refused(400, "invalid_body");
    a.post("/api/v1/folders", json!({"name": "x", "colour": "red"}))
        .await
        .refused(400, "invalid_body");
    assert_eq!(folders(&a).await["folders"], json!([]), "nothing was stored");

    let one = a
        .post("/api/v1/folders", json!({"name": "one", "room_ids": [ab]}))
        .await
        .ok();
    let one = one["id"].as_i64().unwrap_or_default();
    a.post("/api/v1/folders", json!({"name": "two"})).await.ok();
    a.post("/api/v1/folders", json!({"name": "three"}))
        .await
        .refused(409, "folder_limit");

    let path = format!("/api/v1/folders/{one}");
    a.patch(&path, json!({"room_ids": [ab, ac, g]}))
        .await
        .refused(400, "folder_rooms_limit");
    a.patch(&path, json!({"room_ids": [theirs]}))
        .await
        .refused(403, "not_member");
    a.patch(&path, json!({"name": " "}))
        .await
        .refused(400, "invalid_folder_name");
    b.patch(&path, json!({"name": "mine now"}))
        .await
        .refused(404, "folder_not_found");
    b.delete(&path).await.refused(404, "folder_not_found");
    a.patch("/api/v1/folders/abc", json!({"name": "x"}))
        .await
        .refused(400, "invalid_path");
    let list = folders(&a).await;
    assert_eq!(names(&list), ["one", "two"]);
    assert_eq!(rooms_of(&list, "one"), [ab.0]);

    let ids: Vec<i64> = list["folders"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["id"].as_i64())
        .collect();
    for bad in [
        json!([ids[0]]),
        json!([ids[0], ids[0]]),
        json!([ids[0], ids[1], 987654]),
        json!([]),
    ] {
        a.put("/api/v1/folders/order", json!({"folder_ids": bad}))
            .await
            .refused(400, "folder_order_mismatch");
    }
    b.put("/api/v1/folders/order", json!({"folder_ids": ids}))
        .await
        .refused(400, "folder_order_mismatch");
    assert_eq!(names(&folders(&a).await), ["one", "two"]);
    srv.anonymous()
        .get("/api/v1/folders")
        .await
        .refused(401, "unauthenticated");
}
