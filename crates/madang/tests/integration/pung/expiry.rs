//! Expiry: a Pung is invisible the moment it expires and then purged from
//! every table, from the media folder and (on SQLite) from the database
//! files themselves; the purge catches up after a restart, finishes file
//! deletions a crash interrupted, and never purges one Pung twice.

use super::{WAIT, id, post, upload};
use madang_core::Limits;
use madang_store::{AccountRepo, NewPung, NewUser, PungRepo, SqlStore};
use madang_testkit::{Client, TestServer, test_limits};
use madang_types::pung::{AudienceMode, PungKind};
use madang_types::{ClientMsgId, Millis, UserId};
use serde_json::json;
use std::collections::BTreeSet;
use std::time::Duration;

const DAY: Duration = Duration::from_secs(24 * 3_600);

/// Whether the SQLite database or its write-ahead log holds `needle`.
pub(crate) fn on_disk(file: &std::path::Path, needle: &str) -> bool {
    [file.to_path_buf(), file.with_extension("db-wal")]
        .iter()
        .any(|path| {
            let bytes = std::fs::read(path).unwrap_or_default();
            bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
        })
}

/// Waits (polling, bounded) until `query` counts zero rows.
async fn until_zero(srv: &TestServer, query: &str) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while srv.db.scalar(query).await != 0 {
        assert!(tokio::time::Instant::now() < deadline, "still there: {query}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn files_in(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| Some(e.ok()?.file_name().to_string_lossy().into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// A photo Pung full of a unique marker, with everything a viewer can add.
async fn busy_pung(a: &Client, b: &Client, marker: &str) -> (i64, String) {
    let media = upload(a).await;
    let p = post(
        a,
        json!({
            "client_id": format!("busy-{marker}"),
            "photo": media,
            "text": format!("{marker} caption"),
            "audience": {"mode": "friends"},
            "tags": [b.user_id],
            "layers": [
                {"type": "text", "text": format!("{marker} layer"), "x": 0.5, "y": 0.5},
                {"type": "poll", "question": format!("{marker}?"), "options": ["a", "b"], "x": 0.5, "y": 0.8}
            ]
        }),
    )
    .await;
    let pid = id(&p);
    let path = format!("/api/v1/pungs/{pid}");
    b.post(&format!("{path}/views"), json!({})).await.ok();
    b.post(&format!("{path}/reactions"), json!({"emoji": "🎉"}))
        .await
        .ok();
    b.post(&format!("{path}/votes"), json!({"option": 1})).await.ok();
    b.post(
        &format!("{path}/replies"),
        json!({"client_id": format!("reply-to-{pid}"), "text": "reply text stays"}),
    )
    .await
    .ok();
    (pid, media)
}

#[tokio::test]
async fn an_expired_pung_is_invisible_at_once_then_gone_from_every_table_and_the_disk() {
    let limits = Limits {
        pung_purge_interval_ms: 100,
        ..test_limits()
    };
    let srv = TestServer::start_with(limits).await;
    let a = srv.user("xa").await;
    let b = srv.user("xb").await;
    a.befriend(&b).await;
    let marker = "ZQXJ7K2MARK";
    let (pid, media) = busy_pung(&a, &b, marker).await;
    let short = post(
        &a,
        json!({"client_id": "short", "text": "half a day", "audience": {"mode": "friends"}, "duration_hours": 12}),
    )
    .await;
    assert!(
        srv.db.dump().await.contains(marker),
        "the marker is stored at first"
    );
    if let Some(file) = srv.db.sqlite_file() {
        assert!(
            on_disk(&file, marker),
            "the marker is in the database files at first"
        );
    }
    assert_eq!(files_in(&srv.media_dir()).len(), 2, "photo and thumbnail");

    // 12 hours on: the short one is gone, the other still there.
    srv.clock.advance(DAY / 2);
    b.get(&format!("/api/v1/pungs/{}", id(&short)))
        .await
        .refused(404, "pung_not_found");
    assert_eq!(b.get(&format!("/api/v1/pungs/{pid}")).await.status, 200);

    // At 24 hours it is invisible at once, whether purged yet or not.
    srv.clock.advance(DAY / 2);
    for c in [&a, &b] {
        c.get(&format!("/api/v1/pungs/{pid}"))
            .await
            .refused(404, "pung_not_found");
        c.get(&format!("/api/v1/media/{media}"))
            .await
            .refused(404, "media_not_found");
        let feed = c.get("/api/v1/pungs/feed").await.ok();
        assert_eq!(
            (feed["mine"].clone(), feed["friends"].clone()),
            (json!([]), json!([]))
        );
    }

    // Then the job purges it: no table holds any of it.
    until_zero(&srv, "SELECT COUNT(*) FROM pungs").await;
    until_zero(&srv, "SELECT COUNT(*) FROM blob_trash").await;
    for table in [
        "pung_audience",
        "pung_tags",
        "pung_views",
        "pung_reactions",
        "pung_votes",
        "media",
    ] {
        assert_eq!(
            srv.db.scalar(&format!("SELECT COUNT(*) FROM {table}")).await,
            0,
            "{table}"
        );
    }
    assert_eq!(
        srv.db
            .scalar("SELECT COUNT(*) FROM messages WHERE pung_id IS NOT NULL")
            .await,
        0
    );
    let dump = srv.db.dump().await;
    assert!(!dump.contains(marker), "marker left in:\n{dump}");
    assert!(
        !dump.contains(&format!("\"pung_id\":{pid}")),
        "an event still refers to it"
    );
    assert!(!dump.contains(&media), "its photo's key is still stored");
    assert!(files_in(&srv.media_dir()).is_empty(), "files left");
    // The reply and the tag stay as the viewer's and author's own words.
    let room = a.direct(&b).await;
    let kinds: Vec<String> = a
        .all_messages(room)
        .await
        .iter()
        .map(|m| format!("{}:{}", m["kind"].as_str().unwrap(), m["text"].as_str().unwrap()))
        .collect();
    assert_eq!(kinds, ["pung_tag:", "pung_reply:reply text stays"]);

    // On SQLite the bytes are gone from the files, not only from the tables.
    if let Some(file) = srv.db.sqlite_file() {
        assert!(
            !on_disk(&file, marker),
            "the database files still hold the marker"
        );
    }
}

#[tokio::test]
async fn a_restart_purges_what_expired_while_the_server_was_down() {
    // The default interval (10 s) is far longer than this test waits: only
    // the pass at start-up can purge in time.
    let mut srv = TestServer::start().await;
    let a = srv.user("ra").await;
    let b = srv.user("rb").await;
    a.befriend(&b).await;
    let (_, media) = busy_pung(&a, &b, "RESTART1").await;
    busy_pung(&b, &a, "RESTART2").await;
    post(
        &a,
        json!({"client_id": "stays", "text": "48 h", "audience": {"mode": "friends"}, "duration_hours": 48}),
    )
    .await;
    // A crash between a purge's commit and its file deletion leaves a key
    // in the trash and the file on disk.
    let orphan = "crashleftover";
    std::fs::write(srv.media_dir().join(orphan), b"bytes").unwrap();
    srv.db
        .execute(&format!(
            "INSERT INTO blob_trash (key, at) VALUES ('{orphan}', 0)"
        ))
        .await;
    srv.stop().await;

    srv.clock.advance(DAY + Duration::from_secs(1));
    srv.start_again().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while srv.db.scalar("SELECT COUNT(*) FROM pungs").await != 1 {
        assert!(tokio::time::Instant::now() < deadline, "not purged at start-up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    until_zero(&srv, "SELECT COUNT(*) FROM blob_trash").await;
    let files = files_in(&srv.media_dir());
    assert!(files.is_empty(), "files left: {files:?}");
    assert!(!std::path::Path::new(&srv.media_dir().join(&media)).exists());
    let a = a.at(&srv.base);
    let mine = a.get("/api/v1/pungs/feed").await.ok()["mine"].clone();
    assert_eq!(mine.as_array().unwrap().len(), 1, "the 48-hour Pung stays");
}

#[tokio::test]
async fn photos_never_posted_are_deleted_after_an_hour() {
    let limits = Limits {
        pung_purge_interval_ms: 100,
        ..test_limits()
    };
    let srv = TestServer::start_with(limits).await;
    let a = srv.user("ua").await;
    let media = upload(&a).await;
    srv.clock.advance(Duration::from_secs(30 * 60));
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        a.get(&format!("/api/v1/media/{media}")).await.status,
        200,
        "kept for an hour"
    );
    srv.clock.advance(Duration::from_secs(31 * 60));
    until_zero(&srv, "SELECT COUNT(*) FROM media").await;
    until_zero(&srv, "SELECT COUNT(*) FROM blob_trash").await;
    assert!(files_in(&srv.media_dir()).is_empty());
    a.post(
        "/api/v1/pungs",
        json!({"client_id": "late", "photo": media, "audience": {"mode": "only_me"}}),
    )
    .await
    .refused(404, "media_not_found");
}

/// Two nodes on one database purge at the same moment: each expired Pung
/// is purged by exactly one of them.
#[tokio::test]
async fn two_nodes_purging_at_once_purge_each_pung_once() {
    let db = madang_testkit::TestDb::create().await;
    let node1 = SqlStore::connect(&db.url, 4).await.unwrap();
    let node2 = SqlStore::connect(&db.url, 4).await.unwrap();
    let author = node1
        .create_user(NewUser {
            handle: "purger".into(),
            password_hash: "x".into(),
            display_name: "p".into(),
            phone_sha256: None,
            email_sha256: None,
            birthday: None,
            created_at: Millis(0),
            bot_owner: None,
        })
        .await
        .unwrap()
        .id;
    let total = 300;
    for i in 0..total {
        node1
            .create_pung(NewPung {
                author,
                client_id: ClientMsgId(format!("c{i}")),
                kind: PungKind::Text,
                text: format!("pung {i}"),
                background: None,
                media: None,
                layers: Vec::new(),
                audience_mode: AudienceMode::OnlyMe,
                audience: Vec::<UserId>::new(),
                tags: Vec::new(),
                created_at: Millis(0),
                expires_at: Millis(1_000 + i),
            })
            .await
            .unwrap();
    }
    let now = Millis(10_000);
    let drain = |store: SqlStore| async move {
        let mut ids = Vec::new();
        loop {
            let batch = store.purge_expired(now, 7).await.unwrap();
            if batch.is_empty() {
                return ids;
            }
            ids.extend(batch.into_iter().map(|p| p.id.0));
        }
    };
    let (one, two) = tokio::join!(drain(node1.clone()), drain(node2.clone()));
    let all: BTreeSet<i64> = one.iter().chain(&two).copied().collect();
    assert_eq!(one.len() + two.len(), total as usize, "each purged once");
    assert_eq!(all.len(), total as usize, "no Pung purged twice");
    assert!(
        node1
            .pungs_for_viewer(author, Millis(0))
            .await
            .unwrap()
            .is_empty()
    );
    node1.close().await;
    node2.close().await;
}
