//! Invariant 2 with the real binary: `kill -9` mid-load loses no
//! acknowledged message, and after a restart every acknowledged message is
//! present exactly once, in seq order.

use madang_testkit::process::{self, free_port};
use madang_testkit::{Client, TestDb};
use std::collections::HashMap;
use std::ffi::OsString;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::process::Child;

async fn start(data: &std::path::Path, db: &TestDb, port: u16) -> Child {
    let data = data.as_os_str().to_owned();
    let args = [
        OsString::from("--data-dir"),
        data,
        "--database-url".into(),
        db.url.clone().into(),
    ];
    process::serve(env!("CARGO_BIN_EXE_madang"), port, &args).await
}

#[tokio::test]
async fn kill_dash_nine_mid_load_loses_no_acknowledged_message() {
    let db = TestDb::create().await;
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = start(data.path(), &db, port).await;
    let base = format!("http://127.0.0.1:{port}");
    let mut clients = Vec::new();
    for i in 0..4 {
        let mut c = Client::new(&base);
        c.sign_up(&format!("crash{i}_{port}")).await;
        clients.push(c);
    }
    let others: Vec<&Client> = clients[1..].iter().collect();
    let room = clients[0].group("crash test", &others).await;
    // Acknowledged sends: client id -> seq, recorded only after a 200.
    let acked: Arc<Mutex<HashMap<String, i64>>> = Arc::default();
    let mut senders = Vec::new();
    for (w, c) in clients.iter().enumerate() {
        let (c, acked) = (c.clone(), acked.clone());
        senders.push(tokio::spawn(async move {
            let path = format!("/api/v1/rooms/{room}/messages");
            for i in 0.. {
                let id = format!("k{w}-{i}");
                let reply = c.raw(
                    reqwest::Method::POST,
                    &path,
                    Some((
                        format!(r#"{{"client_id":"{id}","text":"load {i}"}}"#).into_bytes(),
                        "application/json",
                    )),
                );
                match tokio::time::timeout(Duration::from_secs(5), reply).await {
                    Ok(r) if r.status == 200 => {
                        acked.lock().unwrap().insert(id, r.body["seq"].as_i64().unwrap());
                    }
                    _ => break,
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.start_kill().expect("SIGKILL");
    server.wait().await.expect("reaped");
    for s in senders {
        // Requests in flight fail once the process is gone.
        let _ = tokio::time::timeout(Duration::from_secs(10), s).await;
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() > 20,
        "the load produced {} acknowledged sends",
        acked.len()
    );

    let _restarted = start(data.path(), &db, port).await;
    let all = clients[1].all_messages(room).await;
    let mut by_id: HashMap<String, Vec<i64>> = HashMap::new();
    for m in &all {
        by_id
            .entry(m["client_id"].as_str().unwrap().to_owned())
            .or_default()
            .push(m["seq"].as_i64().unwrap());
    }
    for (id, seq) in &acked {
        assert_eq!(
            by_id.get(id),
            Some(&vec![*seq]),
            "acknowledged {id} must be stored once at seq {seq}"
        );
    }
    let seqs: Vec<i64> = all.iter().map(|m| m["seq"].as_i64().unwrap()).collect();
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "history is gap-free and ordered"
    );
    eprintln!(
        "kill -9 after {} acknowledged sends; {} messages stored",
        acked.len(),
        all.len()
    );
}
