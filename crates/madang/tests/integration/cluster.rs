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

/// The first node still alive, starting from `home`: what a load balancer
/// does once a node stops answering.
fn alive_from(home: usize, dead: &[std::sync::atomic::AtomicBool]) -> usize {
    (0..dead.len())
        .map(|k| (home + k) % dead.len())
        .find(|&i| !dead[i].load(std::sync::atomic::Ordering::SeqCst))
        .expect("a node is alive")
}

#[tokio::test]
async fn a_node_killed_under_load_loses_nothing_and_its_clients_catch_up_elsewhere() {
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::Instant;
    const EACH: usize = 40;
    let db = TestDb::postgres().await;
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let prefix = format!("madangfail{}", free_port());
    let mut children = Vec::new();
    let mut bases = Vec::new();
    for d in &dirs {
        let (child, base) = node(&db, &prefix, d.path(), &[]).await;
        children.push(child);
        bases.push(base);
    }
    let bases = Arc::new(bases);
    let dead: Arc<Vec<AtomicBool>> = Arc::new((0..3).map(|_| AtomicBool::new(false)).collect());
    let mut members = Vec::new();
    for (i, base) in bases.iter().enumerate() {
        let mut c = Client::new(base);
        c.sign_up(&format!("fo{i}_{prefix}")).await;
        members.push(c);
    }
    members[0].befriend(&members[1]).await;
    members[0].befriend(&members[2]).await;
    let room = members[0].group("failover", &[&members[1], &members[2]]).await;
    let start = members[0].room(room).await["last_seq"].as_i64().unwrap();
    let total = (EACH * 3) as i64;

    // Each member's device follows the room live, from its own node or, once
    // that is gone, another; it resumes from the last seq it saw.
    let mut devices = Vec::new();
    for (home, m) in members.iter().enumerate() {
        let (token, bases, dead) = (m.token.clone().unwrap(), bases.clone(), dead.clone());
        devices.push(tokio::spawn(async move {
            let mut seqs: Vec<i64> = Vec::new();
            let mut last = start;
            while last < start + total {
                let node = alive_from(home, &dead);
                let cursors = BTreeMap::from([(room, Seq(last))]);
                let (mut ws, replayed) = Ws::connect(&bases[node], &token, &cursors).await;
                let mut frames = replayed;
                loop {
                    for f in frames.drain(..) {
                        if let ServerFrame::Event { event } = f
                            && event.room_id == room
                            && matches!(event.body, EventBody::Message { .. })
                        {
                            seqs.push(event.seq.0);
                            last = last.max(event.seq.0);
                        }
                    }
                    if last >= start + total {
                        break;
                    }
                    match ws.next_frame(Duration::from_secs(2)).await {
                        Some(f) => frames.push(f),
                        // Closed (its node died) or quiet: connect again.
                        None => break,
                    }
                }
            }
            seqs
        }));
    }

    // Senders: each member sends on its node; a failed send is retried with
    // the same client id on the next live node. The longest time a sender
    // went without an answer is the outage it saw.
    let acked: Arc<Mutex<HashMap<String, i64>>> = Arc::default();
    let worst_gap_ms = Arc::new(AtomicI64::new(0));
    let mut senders = Vec::new();
    for (home, m) in members.iter().enumerate() {
        let token = m.token.clone().unwrap();
        let (bases, dead, acked, worst) = (bases.clone(), dead.clone(), acked.clone(), worst_gap_ms.clone());
        senders.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            for k in 0..EACH {
                let id = format!("f{home}-{k}");
                let began = Instant::now();
                loop {
                    let node = alive_from(home, &dead);
                    let sent = http
                        .post(format!("{}/api/v1/rooms/{room}/messages", bases[node]))
                        .bearer_auth(&token)
                        .json(&serde_json::json!({"client_id": id, "text": format!("{id} via node {node}")}))
                        .timeout(Duration::from_secs(3))
                        .send()
                        .await;
                    if let Ok(res) = sent
                        && res.status().is_success()
                        && let Ok(body) = res.json::<serde_json::Value>().await
                    {
                        acked
                            .lock()
                            .unwrap()
                            .insert(id.clone(), body["seq"].as_i64().unwrap());
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                worst.fetch_max(began.elapsed().as_millis() as i64, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }));
    }
    // Kill the third node once load is under way.
    while acked.lock().unwrap().len() < 30 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Marked first, so nothing is sent to it after it is gone (as a load
    // balancer's health check would, a moment later).
    dead[2].store(true, Ordering::SeqCst);
    children[2].start_kill().expect("SIGKILL");
    children[2].wait().await.expect("reaped");
    for s in senders {
        tokio::time::timeout(Duration::from_secs(60), s)
            .await
            .unwrap()
            .unwrap();
    }

    // Every acknowledged message is stored once at its seq, with no gaps.
    let acked = acked.lock().unwrap().clone();
    assert_eq!(acked.len(), EACH * 3);
    let all = members[0].all_messages(room).await;
    let mut by_id: HashMap<String, Vec<i64>> = HashMap::new();
    for m in &all {
        by_id
            .entry(m["client_id"].as_str().unwrap().to_owned())
            .or_default()
            .push(m["seq"].as_i64().unwrap());
    }
    for (id, seq) in &acked {
        assert_eq!(by_id.get(id), Some(&vec![*seq]), "{id} stored once at {seq}");
    }
    // Every member, the one on the dead node included, has every message
    // once, in order.
    let expected: Vec<i64> = (start + 1..=start + total).collect();
    for (i, d) in devices.into_iter().enumerate() {
        let seqs = tokio::time::timeout(Duration::from_secs(60), d)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(seqs, expected, "member {i}");
    }
    println!(
        "node 3 killed after 30 acknowledged sends; the longest a sender waited for an answer: {} ms",
        worst_gap_ms.load(Ordering::SeqCst)
    );
}
