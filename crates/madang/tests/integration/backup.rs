//! The operator's backup and restore, on both backends: a backup taken
//! while senders write through the API holds every message acknowledged
//! before it began, exactly once; after the server is stopped and its
//! database and media wiped, a restore brings it back, the server serves,
//! logins work and each room's seq goes on without a gap. A restore over
//! data is refused without `--force`, and a damaged backup fails its check.

use madang::backup::{BackupOptions, backup, restore, verify};
use madang_testkit::Backend;
use madang_testkit::{Client, TestServer};
use madang_types::RoomId;
use reqwest::Method;
use serde_json::json;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// (room, client id, seq) of each acknowledged send, in the order acked.
type Acked = Arc<Mutex<Vec<(RoomId, String, i64)>>>;

/// Sends into `room` as `c` until `stop`, recording each acknowledgement.
fn sender(
    c: Client,
    room: RoomId,
    tag: &'static str,
    acked: Acked,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut i = 0;
        // Bounded whatever happens: at most 2,000 sends.
        while !stop.load(Ordering::SeqCst) && i < 2_000 {
            let id = format!("{tag}-{i}");
            let r = c.try_send(room, &id, &format!("{tag} 메시지 {i}")).await;
            assert!(r.status == 200 || r.status == 201, "{} {}", r.status, r.body);
            let seq = r.body["seq"].as_i64().expect("seq");
            acked.lock().unwrap().push((room, id, seq));
            i += 1;
        }
    })
}

async fn acked_at_least(acked: &Acked, n: usize) {
    for _ in 0..3_000 {
        if acked.lock().unwrap().len() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("the senders did not reach {n} messages");
}

/// What a lost disk leaves: no database, no media.
async fn wipe(srv: &TestServer) {
    match srv.db.backend {
        Backend::Sqlite => {
            let file = srv.db.sqlite_file().expect("file");
            for suffix in ["", "-wal", "-shm"] {
                let side = std::path::PathBuf::from(format!("{}{suffix}", file.display()));
                if side.exists() {
                    std::fs::remove_file(side).unwrap();
                }
            }
        }
        Backend::Postgres => {
            srv.db.execute("DROP SCHEMA public CASCADE").await;
            srv.db.execute("CREATE SCHEMA public").await;
        }
    }
    std::fs::remove_dir_all(srv.media_dir()).unwrap();
}

#[tokio::test]
async fn a_backup_under_load_restores_every_acknowledged_message_once() {
    let mut srv = TestServer::start().await;
    let a = srv.user("bka").await;
    let b = srv.user("bkb").await;
    let c = srv.user("bkc").await;
    let group = a.group("백업 테스트", &[&b, &c]).await;
    let direct = a.direct(&b).await;
    let photo = crate::media::png(64, 48);
    let up = a
        .raw(
            Method::POST,
            "/api/v1/media?name=p.png",
            Some((photo.clone(), "image/png")),
        )
        .await
        .ok();
    let media_id = up["media_id"].as_str().unwrap().to_owned();
    a.post(
        &format!("/api/v1/rooms/{group}/messages"),
        json!({"client_id": "photo", "attachment": media_id}),
    )
    .await
    .ok();

    let acked: Acked = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let senders = vec![
        sender(a.clone(), group, "a", acked.clone(), stop.clone()),
        sender(b.clone(), group, "b", acked.clone(), stop.clone()),
        sender(b.clone(), direct, "d", acked.clone(), stop.clone()),
    ];
    acked_at_least(&acked, 60).await;
    let before: Vec<(RoomId, String, i64)> = acked.lock().unwrap().clone();
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().join("backup-1");
    let manifest = backup(&srv.config, &to, &BackupOptions::default()).await.unwrap();
    // The senders went on writing while it ran, and a little after.
    acked_at_least(&acked, before.len() + 30).await;
    stop.store(true, Ordering::SeqCst);
    for s in senders {
        s.await.unwrap();
    }
    assert!(
        manifest.media_copied >= 2,
        "the photo and its thumbnail: {manifest:?}"
    );
    assert_eq!(verify(&to, false).unwrap(), manifest);

    // Over a database that holds data, a restore is refused.
    let refused = restore(&srv.config, &to, false, false).await.unwrap_err();
    assert!(format!("{refused:#}").contains("--force"), "{refused:#}");

    srv.stop().await;
    wipe(&srv).await;
    restore(&srv.config, &to, false, false).await.unwrap();
    srv.start_again().await;

    // Each message acknowledged before the backup began, once, at its seq.
    let a = a.at(&srv.base);
    let mut seen: HashMap<(RoomId, String), Vec<i64>> = HashMap::new();
    let mut last: HashMap<RoomId, i64> = HashMap::new();
    for room in [group, direct] {
        for m in a.all_messages(room).await {
            let key = (room, m["client_id"].as_str().unwrap().to_owned());
            seen.entry(key).or_default().push(m["seq"].as_i64().unwrap());
        }
        last.insert(room, a.room(room).await["last_seq"].as_i64().unwrap());
    }
    for (room, id, seq) in &before {
        assert_eq!(
            seen.get(&(*room, id.clone())),
            Some(&vec![*seq]),
            "{id} in room {room}"
        );
    }
    // The server serves, a password still logs in, and each room goes on
    // from its last seq.
    let c2 = c.at(&srv.base).another_device().await;
    for (room, who) in [(group, &c2), (direct, &a)] {
        let next = who.send(room, "after-restore", "복원 후 첫 메시지").await;
        assert_eq!(next.0, last[&room] + 1, "room {room} continues without a gap");
    }
    let got = c2
        .raw(Method::GET, &format!("/api/v1/media/{media_id}"), None)
        .await;
    assert_eq!(got.status, 200);

    // A damaged backup fails its check, naming the file.
    let db = to.join(
        &manifest
            .files
            .iter()
            .find(|f| f.path.starts_with("database"))
            .unwrap()
            .path,
    );
    let mut bytes = std::fs::read(&db).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&db, bytes).unwrap();
    let damaged = verify(&to, false).unwrap_err().to_string();
    assert!(damaged.starts_with("database"), "{damaged}");
}

/// `[backup] dir`: a node takes a backup when the newest in the folder is
/// older than `every_minutes`, then keeps the newest `keep`.
#[tokio::test]
async fn scheduled_backups_run_when_due_and_keep_the_newest() {
    let mut srv = TestServer::start().await;
    let a = srv.user("bsa").await;
    let b = srv.user("bsb").await;
    let room = a.direct(&b).await;
    a.send(room, "s1", "예약 백업 전").await;
    let dir = tempfile::tempdir().unwrap();
    // Two backups from days ago (their manifests say so).
    let day = 86_400_000;
    for (name, days) in [("madang-old-3", 3), ("madang-old-2", 2)] {
        let to = dir.path().join(name);
        let m = backup(&srv.config, &to, &BackupOptions::default()).await.unwrap();
        let mut raw: serde_json::Value =
            serde_json::from_slice(&std::fs::read(to.join("manifest.json")).unwrap()).unwrap();
        raw["finished_at"] = json!(m.finished_at - days * day);
        std::fs::write(to.join("manifest.json"), raw.to_string()).unwrap();
    }
    srv.stop().await;
    srv.config.backup.dir = dir.path().display().to_string();
    srv.config.backup.keep = 2;
    srv.start_again().await;
    let mut names = Vec::new();
    for _ in 0..300 {
        names = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect::<Vec<_>>();
        names.sort();
        if names.len() == 2 && !names.contains(&"madang-old-3".to_owned()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(names.len(), 2, "{names:?}");
    assert_eq!(names[1], "madang-old-2", "{names:?}");
    assert!(names[0].starts_with("madang-20"), "{names:?}");
    let taken = verify(&dir.path().join(&names[0]), false).unwrap();
    let kind = match srv.db.backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!(taken.database, kind);
    // Not due again: the node looks and leaves it.
    let store = madang_store::SqlStore::connect(&srv.config.database_url(), 1)
        .await
        .unwrap();
    assert_eq!(
        madang::backup::scheduled_once(&srv.config, &store).await.unwrap(),
        None
    );
    srv.stop().await;
}

/// Two nodes looking at once (two connections to one database): one takes
/// the backup, the other leaves it.
#[tokio::test]
async fn one_node_of_a_cluster_takes_each_scheduled_backup() {
    let srv = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = srv.config.clone();
    config.backup.dir = dir.path().display().to_string();
    let url = config.database_url();
    let (one, two) = (
        madang_store::SqlStore::connect(&url, 2).await.unwrap(),
        madang_store::SqlStore::connect(&url, 2).await.unwrap(),
    );
    let (a, b) = tokio::join!(
        madang::backup::scheduled_once(&config, &one),
        madang::backup::scheduled_once(&config, &two)
    );
    let taken: Vec<_> = [a.unwrap(), b.unwrap()].into_iter().flatten().collect();
    assert_eq!(taken.len(), 1, "{taken:?}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    verify(&taken[0], false).unwrap();
}
