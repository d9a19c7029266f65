//! A room's drawer through HTTP: photos and videos, files and links,
//! newest first, paged, each naming its message; only from when the
//! caller joined, never deleted or hidden; refusals.

use crate::pung::png;
use madang_testkit::{Client, TestServer};
use madang_types::RoomId;
use reqwest::Method;
use serde_json::{Value, json};

/// Uploads a file and sends it into the room; its seq.
pub(crate) async fn attach(
    c: &Client,
    room: RoomId,
    client_id: &str,
    name: &str,
    body: Vec<u8>,
    ty: &str,
) -> i64 {
    let up = c
        .raw(
            Method::POST,
            &format!("/api/v1/media?name={name}"),
            Some((body, ty)),
        )
        .await
        .ok();
    let sent = c
        .post(
            &format!("/api/v1/rooms/{room}/messages"),
            json!({"client_id": client_id, "attachment": up["media_id"]}),
        )
        .await
        .ok();
    sent["seq"].as_i64().unwrap_or_default()
}

fn seqs(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["seq"].as_i64())
        .collect()
}

#[tokio::test]
async fn photos_videos_files_and_links_each_in_their_drawer_newest_first() {
    let srv = TestServer::start().await;
    let a = srv.user("da").await;
    let b = srv.user("db").await;
    let room = a.group("서랍", &[&b]).await;
    let photo = attach(&a, room, "p", "sea.png", png(64, 48), "image/png").await;
    let video = attach(
        &b,
        room,
        "v",
        "clip.mp4",
        b"\0\0\0 ftypisom fake video".to_vec(),
        "video/mp4",
    )
    .await;
    let file = attach(
        &a,
        room,
        "f",
        "plan.pdf",
        b"%PDF-1.4 plan".to_vec(),
        "application/pdf",
    )
    .await;
    let link = a
        .send(room, "l1", "지도: https://map.example/abc, 그리고 www.naver.com.")
        .await;
    a.send(room, "t", "just text").await;
    let gone = a.send(room, "l2", "https://deleted.example/x").await;
    assert_eq!(
        a.delete(&format!("/api/v1/rooms/{room}/messages/{gone}"))
            .await
            .status,
        204
    );

    let drawer = |kind: &str| format!("/api/v1/rooms/{room}/drawer?kind={kind}");
    let media = b.get(&drawer("media")).await.ok();
    assert_eq!(seqs(&media), [video, photo]);
    assert_eq!(media["items"][0]["attachment"]["content_type"], "video/mp4");
    assert!(media["items"][1]["attachment"]["thumbnail"].is_string());
    let files = b.get(&drawer("files")).await.ok();
    assert_eq!(seqs(&files), [file]);
    assert_eq!(files["items"][0]["attachment"]["name"], "plan.pdf");
    let links = b.get(&drawer("links")).await.ok();
    let urls: Vec<_> = links["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| i["url"].clone())
        .collect();
    assert_eq!(
        urls,
        [json!("https://www.naver.com"), json!("https://map.example/abc")]
    );
    assert_eq!(seqs(&links), [link.0, link.0]);
    assert_eq!(links["items"][0]["sender_id"], a.user_id.0);

    // Paged: one message at a time, back to the start.
    let first = b.get(&format!("{}&limit=1", drawer("media"))).await.ok();
    assert_eq!(seqs(&first), [video]);
    let before = first["next_before"].as_i64().unwrap_or_default();
    let second = b
        .get(&format!("{}&limit=1&before={before}", drawer("media")))
        .await
        .ok();
    assert_eq!(seqs(&second), [photo]);
    let third = b
        .get(&format!(
            "{}&limit=1&before={}",
            drawer("media"),
            second["next_before"]
        ))
        .await
        .ok();
    assert_eq!((seqs(&third), &third["next_before"]), (vec![], &Value::Null));
}

#[tokio::test]
async fn a_drawer_shows_only_what_its_reader_may_read() {
    let srv = TestServer::start().await;
    let a = srv.user("ra").await;
    let b = srv.user("rb").await;
    let c = srv.user("rc").await;
    let room = a.group("나중에 온 사람", &[&b]).await;
    a.send(room, "old", "before you came: https://old.example").await;
    a.post(
        &format!("/api/v1/rooms/{room}/members"),
        json!({"user_ids": [c.user_id]}),
    )
    .await
    .ok();
    let new = a.send(room, "new", "after: https://new.example").await;
    let seen = c
        .get(&format!("/api/v1/rooms/{room}/drawer?kind=links"))
        .await
        .ok();
    assert_eq!(seqs(&seen), [new.0]);

    let outsider = srv.user("ro").await;
    outsider
        .get(&format!("/api/v1/rooms/{room}/drawer?kind=links"))
        .await
        .refused(403, "not_member");
    a.get(&format!("/api/v1/rooms/{room}/drawer?kind=videos"))
        .await
        .refused(400, "invalid_query");
    a.get(&format!("/api/v1/rooms/{room}/drawer"))
        .await
        .refused(400, "invalid_query");
    a.get(&format!("/api/v1/rooms/{room}/drawer?kind=links&limit=x"))
        .await
        .refused(400, "invalid_query");
}
