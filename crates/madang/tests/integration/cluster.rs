//! Real `madang` processes on one PostgreSQL database and NATS
//! (127.0.0.1:4222, or `MADANG_TEST_NATS_URL`), each test under its own
//! subject prefix: members connected to different nodes all receive every
//! message of their room live, in seq order, whichever node it was sent on;
//! two nodes share a campaign's sending and each recipient gets it once.

use madang_testkit::process::{self, free_port};
use madang_testkit::{Client, TestDb, Ws};
use madang_types::events::{EventBody, ServerFrame};
use madang_types::{RoomId, Seq};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::Path;
use std::time::Duration;
use tokio::process::Child;

fn nats_url() -> String {
    std::env::var("MADANG_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned())
}

/// One node of the cluster, ready to serve, and its base URL.
async fn node(db: &TestDb, prefix: &str, data: &Path, extra: &[&str]) -> (Child, String) {
    let port = free_port();
    let mut args: Vec<OsString> = vec!["--data-dir".into(), data.into()];
    for a in [
        "--database-url",
        &db.url,
        "--nats-url",
        &nats_url(),
        "--nats-prefix",
        prefix,
    ]
    .iter()
    .chain(extra)
    {
        args.push((*a).into());
    }
    let child = process::serve(env!("CARGO_BIN_EXE_madang"), port, &args).await;
    (child, format!("http://127.0.0.1:{port}"))
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
        nodes.push(node(&db, &prefix, dir.path(), &[]).await);
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

/// A counter's value in a node's Prometheus metrics (0 when absent).
async fn counter(base: &str, name: &str) -> f64 {
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|l| l.starts_with(name) && !l.starts_with('#'))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test]
async fn two_nodes_share_a_campaign_and_everyone_gets_it_once() {
    use crate::local::resume::{CONFIG, admin, audit};
    const PEOPLE: i64 = 6_000;
    let db = TestDb::postgres().await;
    let dirs: Vec<tempfile::TempDir> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
    for d in &dirs {
        // Small batches polled often, so both nodes find work.
        std::fs::write(d.path().join("madang.toml"), CONFIG).unwrap();
    }
    let prefix = format!("madangjobs{}", free_port());
    let mut nodes = Vec::new();
    for d in &dirs {
        let config = d.path().join("madang.toml");
        let config = config.to_str().unwrap();
        nodes.push(node(&db, &prefix, d.path(), &["--config", config]).await);
    }
    let mut owner = Client::new(&nodes[0].1);
    owner.sign_up(&format!("jobs_{prefix}")).await;
    let (_, ch) = crate::local::campaigns::channel(&owner, &format!("jobs_{prefix}"), "두 노드 상점").await;
    let (out, ok) = admin(
        dirs[0].path(),
        &db,
        &[
            "audience",
            &format!("jobs_{prefix}"),
            "--people",
            &PEOPLE.to_string(),
            "--prefix",
            &format!("j{prefix}_"),
        ],
    )
    .await;
    assert!(ok, "{out}");
    // Made on the second node; both send.
    let other = owner.at(&nodes[1].1);
    let c = other
        .post(
            &format!("/api/v1/channels/{ch}/campaigns"),
            serde_json::json!({"name": "both", "kind": "informational", "template": "#{name}님, 내일 휴무예요"}),
        )
        .await;
    assert_eq!(c.status, 201, "{}", c.body);
    let id = c.body["id"].as_i64().unwrap();
    for _ in 0..3_000 {
        let v = owner.get(&format!("/api/v1/campaigns/{id}")).await.ok();
        if v["status"] == "done" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (end, ok) = audit(dirs[0].path(), &db, id).await;
    assert!(ok, "{end}");
    assert_eq!(end["campaign"]["status"], "done", "{end}");
    assert_eq!(end["exactly_once"], true);
    assert_eq!(end["campaign"]["stats"]["delivered"], PEOPLE);
    assert_eq!(end["audit"]["messages"], PEOPLE);
    // Each node counts what it sent; together, each message once.
    let mut split = Vec::new();
    for (_, base) in &nodes {
        split.push(counter(base, "madang_campaign_messages_total").await);
    }
    assert_eq!(split.iter().sum::<f64>(), PEOPLE as f64, "{split:?}");
    println!("messages sent per node: {split:?}");
}
