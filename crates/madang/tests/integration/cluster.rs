//! Three real `madang` processes on one PostgreSQL database and NATS
//! (127.0.0.1:4222, or `MADANG_TEST_NATS_URL`), each under this test's own
//! subject prefix: members connected to different nodes all receive every
//! message of their room live, in seq order, whichever node it was sent on.

use madang_testkit::{Client, TestDb, Ws};
use madang_types::events::{EventBody, ServerFrame};
use madang_types::{RoomId, Seq};
use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn nats_url() -> String {
    std::env::var("MADANG_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned())
}

/// One node of the cluster, ready to serve.
async fn node(db: &TestDb, prefix: &str, data: &std::path::Path) -> (Child, String) {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_madang"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(data)
        .args([
            "--database-url",
            &db.url,
            "--nats-url",
            &nats_url(),
            "--nats-prefix",
            prefix,
        ])
        .env("MADANG_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("the madang binary starts");
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..300 {
        if reqwest::get(format!("{base}/readyz"))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return (child, base);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "node on {port} did not become ready (is NATS running at {}?)",
        nats_url()
    );
}

/// The message seqs of `room` a connection receives, in arrival order,
/// until it has `n` of them.
async fn receive(ws: &mut Ws, room: RoomId, n: usize) -> Vec<Seq> {
    let mut seqs = Vec::new();
    while seqs.len() < n {
        let frame = ws
            .next_frame(Duration::from_secs(15))
            .await
            .unwrap_or_else(|| panic!("only {} of {n} messages arrived: {seqs:?}", seqs.len()));
        if let ServerFrame::Event { event } = frame
            && event.room_id == room
            && matches!(event.body, EventBody::Message { .. })
        {
            seqs.push(event.seq);
        }
    }
    seqs
}

#[tokio::test]
async fn three_nodes_deliver_every_message_to_members_on_every_node_in_order() {
    let db = TestDb::postgres().await;
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let prefix = format!("madangtest{}", free_port());
    let mut nodes = Vec::new();
    for dir in &dirs {
        nodes.push(node(&db, &prefix, dir.path()).await);
    }
    // One member on each node.
    let mut members = Vec::new();
    for (i, (_, base)) in nodes.iter().enumerate() {
        let mut c = Client::new(base);
        c.sign_up(&format!("cl{i}_{prefix}")).await;
        members.push(c);
    }
    members[0].befriend(&members[1]).await;
    members[0].befriend(&members[2]).await;
    let room = members[0]
        .group("across nodes", &[&members[1], &members[2]])
        .await;
    let start = Seq(members[0].room(room).await["last_seq"].as_i64().unwrap());
    let mut sockets = Vec::new();
    for m in &members {
        let cursors = BTreeMap::from([(room, start)]);
        let (ws, _) = Ws::connect(&m.base, m.token.as_deref().unwrap(), &cursors).await;
        sockets.push(ws);
    }
    // Every member sends at once, each on their own node.
    const EACH: usize = 20;
    let mut senders = Vec::new();
    for (i, m) in members.iter().enumerate() {
        let m = m.clone();
        senders.push(tokio::spawn(async move {
            for k in 0..EACH {
                m.send(room, &format!("n{i}-{k}"), &format!("from node {i}, #{k}"))
                    .await;
            }
        }));
    }
    for s in senders {
        s.await.unwrap();
    }
    let total = EACH * members.len();
    let expected: Vec<Seq> = (1..=total as i64).map(|k| Seq(start.0 + k)).collect();
    for (i, ws) in sockets.iter_mut().enumerate() {
        let got = receive(ws, room, total).await;
        assert_eq!(
            got, expected,
            "member on node {i} got every message once, in order"
        );
    }
    // And nothing more arrives: no message was delivered twice.
    for ws in &mut sockets {
        let extra = ws.drain(Duration::from_millis(300)).await;
        assert!(
            !extra
                .iter()
                .any(|f| matches!(f, ServerFrame::Event { event } if matches!(event.body, EventBody::Message { .. }))),
            "{extra:?}"
        );
    }
}
