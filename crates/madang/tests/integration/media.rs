//! Avatars and attachments.

use madang_core::Limits;
use madang_testkit::{TestServer, test_limits};
use reqwest::Method;
use serde_json::json;

pub(crate) fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb([20, 120, 220]));
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

#[tokio::test]
async fn an_image_attachment_gets_a_thumbnail_and_reaches_the_room() {
    let srv = TestServer::start().await;
    let a = srv.user("ma").await;
    let b = srv.user("mb").await;
    let room = a.direct(&b).await;
    let up = a
        .raw(
            Method::POST,
            "/api/v1/media?name=sunset.png",
            Some((png(1200, 800), "image/png")),
        )
        .await
        .ok();
    assert_eq!(
        (up["width"].as_i64(), up["height"].as_i64()),
        (Some(1200), Some(800))
    );
    let media_id = up["media_id"].as_str().unwrap().to_owned();
    let thumb = up["thumbnail"].as_str().unwrap().to_owned();
    let m = a
        .post(
            &format!("/api/v1/rooms/{room}/messages"),
            json!({"client_id": "img", "attachment": media_id}),
        )
        .await
        .ok();
    assert_eq!(
        (m["kind"].as_str(), m["attachment"]["name"].as_str()),
        (Some("image"), Some("sunset.png"))
    );
    assert_eq!(thumb, format!("{media_id}.thumb"));
    for id in [&thumb, &media_id] {
        assert_eq!(
            b.raw(Method::GET, &format!("/api/v1/media/{id}"), None)
                .await
                .status,
            200
        );
    }
    // Someone else's upload cannot be attached.
    let stolen = json!({"client_id": "steal", "attachment": media_id});
    b.post(&format!("/api/v1/rooms/{room}/messages"), stolen)
        .await
        .refused(404, "media_not_found");
}

#[tokio::test]
async fn a_file_attachment_keeps_a_safe_type_and_uploads_are_size_checked() {
    let srv = TestServer::start_with(Limits {
        max_upload_bytes: 1024,
        ..test_limits()
    })
    .await;
    let a = srv.user("fa").await;
    let up = a
        .raw(
            Method::POST,
            "/api/v1/media?name=notes.html",
            Some((b"<script>x</script>".to_vec(), "text/html")),
        )
        .await
        .ok();
    assert_eq!(up["content_type"], "application/octet-stream");
    assert!(up["thumbnail"].is_null());
    let big = a
        .raw(
            Method::POST,
            "/api/v1/media?name=big.bin",
            Some((vec![0u8; 2048], "application/octet-stream")),
        )
        .await;
    big.refused(413, "too_large");
    a.raw(Method::GET, "/api/v1/media/not-a-real-id", None)
        .await
        .refused(404, "media_not_found");
}

#[tokio::test]
async fn an_avatar_must_be_an_image_and_gets_a_thumbnail() {
    let srv = TestServer::start().await;
    let a = srv.user("av").await;
    let me = a
        .raw(Method::PUT, "/api/v1/me/avatar", Some((png(64, 64), "image/png")))
        .await
        .ok();
    assert!(me["avatar"].is_string());
    let not_image = a
        .raw(
            Method::PUT,
            "/api/v1/me/avatar",
            Some((b"hello".to_vec(), "image/png")),
        )
        .await;
    not_image.refused(415, "unsupported_media");
}
