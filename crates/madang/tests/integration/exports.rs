//! Exports through the API: a room as KakaoTalk's text, as JSON that
//! imports back into a fresh server identically, as one HTML page with
//! its media; the whole account; jobs followed live, links that expire,
//! and every refusal.

use crate::drawer::attach;
use crate::imports::{import, preview};
use madang_testkit::{Client, TestServer, Ws, test_limits};
use madang_types::RoomId;
use madang_types::events::ServerFrame;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::Read;
use std::time::Duration;

const KAKAO_PC_KO: &str = include_str!("../../../madang-core/src/history/fixtures/kakao_pc_ko.txt");

/// Asks for an export and waits until it is built; the finished job.
async fn exported(c: &Client, path: &str, body: Value) -> Value {
    let r = c.post(path, body).await;
    assert_eq!(r.status, 202, "{}", r.body);
    let id = r.body["id"].as_i64().unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while tokio::time::Instant::now() < deadline {
        let job = c.get(&format!("/api/v1/exports/{id}")).await.ok();
        match job["state"].as_str() {
            Some("done") => return job,
            Some("failed") => panic!("the export failed: {job}"),
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    panic!("export {id} not built within 60 s");
}

/// The bytes behind a link, fetched by nobody in particular.
async fn fetch(srv: &TestServer, url: &str) -> (u16, Vec<u8>) {
    let res = reqwest::get(format!("{}{url}", srv.base)).await.expect("answers");
    (res.status().as_u16(), res.bytes().await.expect("body").to_vec())
}

fn unzip(bytes: &[u8]) -> HashMap<String, Vec<u8>> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    let mut out = HashMap::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let mut v = Vec::new();
        f.read_to_end(&mut v).unwrap();
        out.insert(f.name().unwrap().to_string(), v);
    }
    out
}

/// A room with imported history (a notice, a name kept as a name, a
/// deleted message) and live messages (a photo, a file, hostile text).
async fn a_room(srv: &TestServer) -> (Client, Client, RoomId) {
    let minji = srv.user("ex_minji").await;
    let junho = srv.user("ex_junho").await;
    minji.befriend(&junho).await;
    minji
        .patch("/api/v1/me", json!({"display_name": "민지"}))
        .await
        .ok();
    junho
        .patch("/api/v1/me", json!({"display_name": "준호"}))
        .await
        .ok();
    let plan = json!({"me": "민지", "friends": {"준호": junho.user_id.0}});
    let done = import(&minji, KAKAO_PC_KO.as_bytes(), "chat.txt", plan)
        .await
        .ok();
    let room = RoomId(done["room_id"].as_i64().unwrap());
    junho
        .send(room, "live-1", "다음엔 제주도 가요\n비행기는 제가 알아볼게요")
        .await;
    attach(
        &minji,
        room,
        "live-2",
        "바다.png",
        crate::media::png(24, 16),
        "image/png",
    )
    .await;
    attach(
        &junho,
        room,
        "live-3",
        "일정표.pdf",
        b"%PDF-1.4 day one".to_vec(),
        "application/pdf",
    )
    .await;
    let gone = minji.send(room, "live-4", "잘못 보냄").await;
    minji
        .delete(&format!("/api/v1/rooms/{room}/messages/{}", gone.0))
        .await
        .ok();
    minji
        .send(room, "live-5", "<script>alert('x')</script> & 끝")
        .await;
    (minji, junho, room)
}

#[tokio::test]
async fn a_rooms_json_export_imports_back_into_a_fresh_server_identically() {
    let srv = TestServer::start().await;
    let (minji, junho, room) = a_room(&srv).await;
    let (mut ws, _) = Ws::connect(&srv.base, minji.token.as_deref().unwrap(), &Default::default()).await;
    let job = exported(
        &minji,
        &format!("/api/v1/rooms/{room}/exports"),
        json!({"format": "json"}),
    )
    .await;
    assert_eq!(
        (job["kind"].as_str(), job["room_id"].as_i64()),
        (Some("json"), Some(room.0))
    );
    assert_eq!(job["done"], job["total"]);
    let frames = ws
        .until(Duration::from_secs(10), |f| {
            matches!(f, ServerFrame::ExportChanged { export } if export.state == madang_types::history::ExportState::Done)
        })
        .await;
    assert!(
        frames
            .iter()
            .any(|f| matches!(f, ServerFrame::ExportChanged { export } if export.done > 0))
    );
    let (status, zipped) = fetch(&srv, job["download_url"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    let files = unzip(&zipped);
    let archive: Value = serde_json::from_slice(&files["chat.json"]).unwrap();
    assert_eq!(archive["room"]["title"], "주말 등산 모임");
    let original = minji.all_messages(room).await;
    assert_eq!(archive["messages"].as_array().unwrap().len(), original.len());
    assert_eq!(files.len(), 3, "chat.json, the photo and the file");

    // A fresh server, where the same two people have other ids.
    let other = TestServer::start().await;
    let minji2 = other.user("ex2_minji").await;
    let junho2 = other.user("ex2_junho").await;
    minji2.befriend(&junho2).await;
    junho2
        .patch("/api/v1/me", json!({"display_name": "준호"}))
        .await
        .ok();
    let p = preview(&minji2, &zipped, "export.zip").await;
    assert_eq!(
        (p["format"].as_str(), p["media"].as_i64()),
        (Some("madang"), Some(2))
    );
    let plan = json!({"me": "민지", "friends": {"준호": junho2.user_id.0}});
    let done = import(&minji2, &zipped, "export.zip", plan).await.ok();
    let room2 = RoomId(done["room_id"].as_i64().unwrap());
    let copy = junho2.all_messages(room2).await;
    assert_eq!(copy.len(), original.len());
    let who = |id: &Value, me: &Client, friend: &Client| {
        if *id == me.user_id.0 {
            "민지"
        } else if *id == friend.user_id.0 {
            "준호"
        } else {
            "?"
        }
    };
    for (a, b) in original.iter().zip(&copy) {
        for field in ["created_at", "kind", "text", "deleted", "imported_name"] {
            assert_eq!(a[field], b[field], "{field} of {a} and {b}");
        }
        assert_eq!(
            who(&a["sender_id"], &minji, &junho),
            who(&b["sender_id"], &minji2, &junho2)
        );
        assert_eq!(a["attachment"]["name"], b["attachment"]["name"]);
        if let Some(media) = a["attachment"]["media_id"].as_str() {
            let copied = b["attachment"]["media_id"].as_str().unwrap();
            let there = minji
                .raw(Method::GET, &format!("/api/v1/media/{media}"), None)
                .await;
            let here = minji2
                .raw(Method::GET, &format!("/api/v1/media/{copied}"), None)
                .await;
            assert_eq!((there.status, here.status), (200, 200));
            assert_eq!(there.body, here.body, "the file's bytes");
        }
    }
    // Its text reads as KakaoTalk's, which the importer reads too.
    let txt = exported(
        &minji,
        &format!("/api/v1/rooms/{room}/exports"),
        json!({"format": "txt"}),
    )
    .await;
    let (_, text) = fetch(&srv, txt["download_url"].as_str().unwrap()).await;
    let text = String::from_utf8(text).unwrap();
    assert!(text.starts_with("주말 등산 모임 님과 카카오톡 대화\n"), "{text}");
    assert!(text.contains("--------------- 2024년 1월 5일 금요일 ---------------\n[민지] [오후 3:04] 이번 주 토요일 북한산 어때요?\n"));
    assert!(text.contains("[준호] [오후 3:05] 좋아요!\n9시 구파발역에서 만나요\n"));
    assert!(text.contains("\n민지님이 서연님을 초대했습니다.\n"));
    let reread = madang_core::history::exports::parse(&text).expect("reads back");
    assert_eq!(reread.entries.len(), original.len());
    let _ = junho;
}

#[tokio::test]
async fn the_html_page_escapes_what_people_wrote_and_links_its_media() {
    let srv = TestServer::start().await;
    let (minji, _junho, room) = a_room(&srv).await;
    let job = exported(
        &minji,
        &format!("/api/v1/rooms/{room}/exports"),
        json!({"format": "html"}),
    )
    .await;
    let (_, zipped) = fetch(&srv, job["download_url"].as_str().unwrap()).await;
    let files = unzip(&zipped);
    let page = String::from_utf8(files["index.html"].clone()).unwrap();
    assert!(!page.contains("<script>"), "no script runs in the page");
    assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; 끝"));
    assert!(page.contains("<h1>주말 등산 모임</h1>"));
    let photo = files
        .keys()
        .find(|k| k.ends_with("/바다.png"))
        .expect("the photo in the zip");
    let link: String = photo
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"/-._".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    assert!(page.contains(&format!("<img src=\"{link}\"")), "{page}");
}

#[tokio::test]
async fn the_account_export_holds_what_is_mine_and_still_exists() {
    let srv = TestServer::start().await;
    let (minji, junho, room) = a_room(&srv).await;
    let pung = crate::pung::post(&minji, json!({"client_id": "ex-pung", "text": "오늘 하늘", "background": "#ff7a59", "audience": {"mode": "friends"}})).await;
    let job = exported(&minji, "/api/v1/me/export", json!({})).await;
    assert_eq!(job["kind"], "account");
    let (_, zipped) = fetch(&srv, job["download_url"].as_str().unwrap()).await;
    let files = unzip(&zipped);
    let account: Value = serde_json::from_slice(&files["account.json"]).unwrap();
    assert_eq!(account["me"]["handle"], minji.handle);
    assert_eq!(account["friends"][0]["profile"]["id"], junho.user_id.0);
    assert!(
        account["rooms"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == room.0)
    );
    let texts: Vec<&str> = account["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    // Mine: the two of the export that were mine, the photo and the last;
    // not the deleted one, not anyone else's, not names kept as names, not
    // the app's notices.
    assert_eq!(
        texts,
        [
            "이번 주 토요일 북한산 어때요?",
            "[사진]",
            "",
            "<script>alert('x')</script> & 끝"
        ]
    );
    assert_eq!(account["pungs"][0]["id"], pung["id"]);
    assert_eq!(files.len(), 2, "account.json and the photo");
}

#[tokio::test]
async fn exports_are_for_members_and_their_links_expire() {
    let mut limits = test_limits();
    limits.export_ttl_secs = 60;
    limits.exports_per_hour = 2;
    let srv = TestServer::start_with(limits).await;
    let minji = srv.user("exr_minji").await;
    let stranger = srv.user("exr_stranger").await;
    let room = minji.group("혼자", &[]).await;
    minji.send(room, "m1", "메모").await;
    stranger
        .post(&format!("/api/v1/rooms/{room}/exports"), json!({"format": "txt"}))
        .await
        .refused(403, "not_member");
    minji
        .post(
            &format!("/api/v1/rooms/{room}/exports"),
            json!({"format": "account"}),
        )
        .await
        .refused(400, "invalid_format");
    let r = minji
        .post(&format!("/api/v1/rooms/{room}/exports"), json!({"format": "pdf"}))
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    srv.anonymous()
        .post("/api/v1/me/export", json!({}))
        .await
        .refused(401, "unauthenticated");

    let job = exported(
        &minji,
        &format!("/api/v1/rooms/{room}/exports"),
        json!({"format": "txt"}),
    )
    .await;
    let id = job["id"].as_i64().unwrap();
    stranger
        .get(&format!("/api/v1/exports/{id}"))
        .await
        .refused(404, "export_not_found");
    assert_eq!(stranger.get("/api/v1/exports").await.ok(), json!([]));
    assert_eq!(minji.get("/api/v1/exports").await.ok()[0]["id"], id);
    let url = job["download_url"].as_str().unwrap();
    assert_eq!(fetch(&srv, url).await.0, 200);
    let forged = format!("/api/v1/exports/{id}/file?token=0000");
    assert_eq!(fetch(&srv, &forged).await.0, 404);

    // Two an hour here: the second is the last.
    exported(&minji, "/api/v1/me/export", json!({})).await;
    minji
        .post(
            &format!("/api/v1/rooms/{room}/exports"),
            json!({"format": "html"}),
        )
        .await
        .refused(429, "rate_limited");

    // Past its time the link is gone, and so is the file.
    srv.clock.advance(Duration::from_secs(61));
    let (status, body) = fetch(&srv, url).await;
    assert_eq!(status, 410, "{}", String::from_utf8_lossy(&body));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let state = minji.get(&format!("/api/v1/exports/{id}")).await.ok()["state"].clone();
        if state == "expired" {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "still {state}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        srv.db
            .scalar("SELECT COUNT(*) FROM exports WHERE blob_key IS NOT NULL")
            .await,
        0
    );
}
