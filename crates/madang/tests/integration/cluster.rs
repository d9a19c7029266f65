//! Real `madang` processes on one PostgreSQL database and NATS
//! (127.0.0.1:4222, or `MADANG_TEST_NATS_URL`), each test under its own
//! subject prefix: members connected to different nodes all receive every
//! message of their room live, in seq order, whichever node it was sent on;
//! two nodes share a campaign's sending and each recipient gets it once.

use madang_testkit::process::{self, free_port};
use madang_testkit::{Client, TestDb, Ws};
use madang_types::events::{EventBody, ServerFrame};
use madang_types::{RoomId, Seq};
use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

fn nats_url() -> String {
    std::env::var("MADANG_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned())
}

/// One node of the cluster, ready to serve, and its base URL.
async fn node(db: &TestDb, prefix: &str, data: &Path, extra: &[&str]) -> (Child, String) {
    let port = free_port();
    let mut args: Vec<OsString> = vec!["--data-dir".into(), data.into()];
    let nats = nats_url();
    let mut base = vec!["--database-url", &db.url, "--nats-prefix", prefix];
    if !extra.contains(&"--nats-url") {
        base.extend(["--nats-url", &nats]);
    }
    for a in base.iter().chain(extra) {
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
    let prefix = format!("madangjobs{}", free_port());
    // Small batches polled often, so both nodes find work.
    let (dirs, nodes) = two_nodes(&db, &prefix, CONFIG).await;
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

/// A room under steady load from one member per node, as the failover
/// tests drive it: where the nodes are, which of them are down, and what
/// was acknowledged.
#[derive(Clone)]
struct Load {
    bases: Arc<Vec<String>>,
    down: Arc<Vec<AtomicBool>>,
    room: RoomId,
    start: i64,
    total: i64,
    acked: Arc<Mutex<HashMap<String, i64>>>,
    worst_wait_ms: Arc<AtomicI64>,
}

impl Load {
    /// The first node up, starting from `home`: what a load balancer does
    /// once a node stops answering.
    fn up_from(&self, home: usize) -> usize {
        (0..self.down.len())
            .map(|k| (home + k) % self.down.len())
            .find(|&i| !self.down[i].load(Ordering::SeqCst))
            .expect("a node is up")
    }

    /// A member's device following the room live, from its node or, once
    /// that is down, another; each time it resumes from the last seq it
    /// saw. Returns the message seqs it received, in order.
    fn device(&self, home: usize, token: String) -> JoinHandle<Vec<i64>> {
        let load = self.clone();
        tokio::spawn(async move {
            let end = load.start + load.total;
            let (mut seqs, mut last) = (Vec::new(), load.start);
            while last < end {
                let node = load.up_from(home);
                let cursors = BTreeMap::from([(load.room, Seq(last))]);
                let (mut ws, mut frames) = Ws::connect(&load.bases[node], &token, &cursors).await;
                loop {
                    for f in frames.drain(..) {
                        if let ServerFrame::Event { event } = f
                            && event.room_id == load.room
                            && matches!(event.body, EventBody::Message { .. })
                        {
                            seqs.push(event.seq.0);
                            last = last.max(event.seq.0);
                        }
                    }
                    if last >= end {
                        break;
                    }
                    match ws.next_frame(Duration::from_secs(2)).await {
                        Some(f) => frames.push(f),
                        // Closed (its node died) or quiet (a live event
                        // was lost): connect again and catch up.
                        None => break,
                    }
                }
            }
            seqs
        })
    }

    /// A member sending `each` messages on its node; a failed send is
    /// retried with the same client id on the next node up.
    fn sender(&self, home: usize, token: String, each: usize) -> JoinHandle<()> {
        let load = self.clone();
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            for k in 0..each {
                let id = format!("f{home}-{k}");
                let began = Instant::now();
                loop {
                    let node = load.up_from(home);
                    let sent = http
                        .post(format!(
                            "{}/api/v1/rooms/{}/messages",
                            load.bases[node], load.room
                        ))
                        .bearer_auth(&token)
                        .json(&serde_json::json!({"client_id": id, "text": format!("{id} via node {node}")}))
                        .timeout(Duration::from_secs(3))
                        .send()
                        .await;
                    if let Ok(res) = sent
                        && res.status().is_success()
                        && let Ok(body) = res.json::<serde_json::Value>().await
                    {
                        load.acked
                            .lock()
                            .unwrap()
                            .insert(id.clone(), body["seq"].as_i64().unwrap());
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                load.worst_wait_ms
                    .fetch_max(began.elapsed().as_millis() as i64, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    }

    async fn until_acked(&self, n: usize) {
        while self.acked.lock().unwrap().len() < n {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Every acknowledged message is stored once at its seq, and every
    /// device has every message once, in order.
    async fn check(&self, reader: &Client, senders: Vec<JoinHandle<()>>, devices: Vec<JoinHandle<Vec<i64>>>) {
        for s in senders {
            tokio::time::timeout(Duration::from_secs(60), s)
                .await
                .unwrap()
                .unwrap();
        }
        let acked = self.acked.lock().unwrap().clone();
        assert_eq!(acked.len() as i64, self.total);
        let mut by_id: HashMap<String, Vec<i64>> = HashMap::new();
        for m in reader.all_messages(self.room).await {
            by_id
                .entry(m["client_id"].as_str().unwrap().to_owned())
                .or_default()
                .push(m["seq"].as_i64().unwrap());
        }
        for (id, seq) in &acked {
            assert_eq!(by_id.get(id), Some(&vec![*seq]), "{id} stored once at {seq}");
        }
        let expected: Vec<i64> = (self.start + 1..=self.start + self.total).collect();
        for (i, d) in devices.into_iter().enumerate() {
            let seqs = tokio::time::timeout(Duration::from_secs(60), d)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(seqs, expected, "member {i}");
        }
    }
}

/// Nodes (one per folder, on NATS at `nats`), one member signed up on
/// each, all in one group room, each to send `each` messages: the load to
/// drive, the members and the node processes.
async fn loaded_cluster(
    db: &TestDb,
    dirs: &[tempfile::TempDir],
    nats: &str,
    each: usize,
) -> (Load, Vec<Client>, Vec<Child>) {
    let prefix = format!("madangload{}", free_port());
    let (mut children, mut bases) = (Vec::new(), Vec::new());
    for d in dirs {
        let (child, base) = node(db, &prefix, d.path(), &["--nats-url", nats]).await;
        children.push(child);
        bases.push(base);
    }
    let mut members = Vec::new();
    for (i, base) in bases.iter().enumerate() {
        let mut c = Client::new(base);
        c.sign_up(&format!("ld{i}_{prefix}")).await;
        members.push(c);
    }
    for m in &members[1..] {
        members[0].befriend(m).await;
    }
    let others: Vec<&Client> = members[1..].iter().collect();
    let room = members[0].group("under load", &others).await;
    let start = members[0].room(room).await["last_seq"].as_i64().unwrap();
    let load = Load {
        down: Arc::new(bases.iter().map(|_| AtomicBool::new(false)).collect()),
        bases: Arc::new(bases),
        room,
        start,
        total: (each * members.len()) as i64,
        acked: Arc::default(),
        worst_wait_ms: Arc::default(),
    };
    (load, members, children)
}

/// Every member's device follows the room and every member sends.
fn drive(load: &Load, members: &[Client], each: usize) -> (Vec<JoinHandle<()>>, Vec<JoinHandle<Vec<i64>>>) {
    let mut senders = Vec::new();
    let mut devices = Vec::new();
    for (home, m) in members.iter().enumerate() {
        let token = m.token.clone().expect("signed up");
        devices.push(load.device(home, token.clone()));
        senders.push(load.sender(home, token, each));
    }
    (senders, devices)
}

#[tokio::test]
async fn a_node_killed_under_load_loses_nothing_and_its_clients_catch_up_elsewhere() {
    const EACH: usize = 40;
    let db = TestDb::postgres().await;
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let (load, members, mut children) = loaded_cluster(&db, &dirs, &nats_url(), EACH).await;
    let (senders, devices) = drive(&load, &members, EACH);
    load.until_acked(30).await;
    // Marked down first, so nothing new goes to it once it is gone (as a
    // load balancer's health check would, a moment later).
    load.down[2].store(true, Ordering::SeqCst);
    children[2].start_kill().expect("SIGKILL");
    children[2].wait().await.expect("reaped");
    load.check(&members[0], senders, devices).await;
    println!(
        "node 3 killed after 30 acknowledged sends; the longest a sender waited for an answer: {} ms",
        load.worst_wait_ms.load(Ordering::SeqCst)
    );
}

/// A NATS server of the test's own, on `port`.
async fn private_nats(port: u16) -> Child {
    let child = Command::new("nats-server")
        .args(["-a", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("nats-server is installed (Debian package nats-server)");
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("nats-server did not start on {port}");
}

#[tokio::test]
async fn a_nats_restart_under_load_loses_no_acknowledged_message() {
    const EACH: usize = 40;
    let port = free_port();
    let mut nats = private_nats(port).await;
    let db = TestDb::postgres().await;
    let dirs: Vec<tempfile::TempDir> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
    let url = format!("nats://127.0.0.1:{port}");
    let (load, members, _nodes) = loaded_cluster(&db, &dirs, &url, EACH).await;
    let (senders, devices) = drive(&load, &members, EACH);
    load.until_acked(20).await;
    nats.start_kill().expect("SIGKILL");
    nats.wait().await.expect("reaped");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _nats = private_nats(port).await;
    load.check(&members[0], senders, devices).await;
    println!(
        "NATS killed after 20 acknowledged sends, back 0.5 s later; the longest a sender waited: {} ms",
        load.worst_wait_ms.load(Ordering::SeqCst)
    );
}

/// Two nodes, each with `config` and the loopback as its trusted proxy.
async fn two_nodes(
    db: &TestDb,
    prefix: &str,
    config: &str,
) -> (Vec<tempfile::TempDir>, Vec<(Child, String)>) {
    let dirs: Vec<tempfile::TempDir> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
    let mut nodes = Vec::new();
    for d in &dirs {
        let file = d.path().join("madang.toml");
        std::fs::write(&file, config).unwrap();
        let args = [
            "--config",
            file.to_str().unwrap(),
            "--trusted-proxies",
            "127.0.0.1",
        ];
        nodes.push(node(db, prefix, d.path(), &args).await);
    }
    (dirs, nodes)
}

async fn sign_up_from(base: &str, client_addr: &str, handle: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("{base}/api/v1/accounts"))
        .header("x-forwarded-for", client_addr)
        .json(&serde_json::json!({"handle": handle, "password": "correct horse battery", "display_name": handle}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Polls `check` until it holds or five seconds pass.
async fn within_seconds(what: &str, mut check: impl AsyncFnMut() -> bool) {
    for _ in 0..100 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what}: not within 5 s");
}

#[tokio::test]
async fn what_nodes_keep_in_memory_holds_across_the_cluster() {
    let db = TestDb::postgres().await;
    let port = free_port();
    let prefix = format!("madangstate{port}");
    // Search is rebuilt only every 300 s: anything sooner came over the bus.
    let config = "[limits]\npassword_memory_kib = 64\nsignups_per_hour = 4\nflood_same_text = 2\n\
                  discovery_refresh_secs = 300\n";
    let (_dirs, nodes) = two_nodes(&db, &prefix, config).await;
    let (a, b) = (&nodes[0].1, &nodes[1].1);

    // Per-address limits count the client behind the proxy, on all nodes
    // together: four sign-ups an hour from one address, wherever they land.
    let from = "198.51.100.7";
    for (i, base) in [a, b, a, b].into_iter().enumerate() {
        assert_eq!(sign_up_from(base, from, &format!("xff{i}_{port}")).await, 201);
    }
    assert_eq!(sign_up_from(b, from, &format!("xff4_{port}")).await, 429);
    assert_eq!(sign_up_from(a, from, &format!("xff5_{port}")).await, 429);
    // Another client behind the same proxy is not held back. (A header
    // from a peer that is not a trusted proxy is ignored: unit-tested in
    // madang-api, since every peer here is the loopback.)
    assert_eq!(
        sign_up_from(a, "198.51.100.8", &format!("xff6_{port}")).await,
        201
    );

    // An open chat made on one node is found on the other at once; closed,
    // it is gone from both.
    let mut host = Client::new(a);
    host.sign_up(&format!("host_{port}")).await;
    let mut guest = Client::new(b);
    guest.sign_up(&format!("guest_{port}")).await;
    let title = format!("클러스터 방 q{port}");
    let chat = crate::openchat::create(&host, crate::openchat::group(&title)).await;
    let chat_id = crate::openchat::id(&chat);
    let search = format!("/api/v1/openchats/search?q=q{port}");
    let found = async || -> Vec<i64> {
        let page = guest.get(&search).await.ok();
        page["open_chats"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["id"].as_i64())
            .collect()
    };
    within_seconds("found on the other node", async || {
        found().await.contains(&chat_id)
    })
    .await;

    // The flood rules count what a member sent through either node.
    let joined = crate::openchat::join(&guest, chat_id, "손님").await;
    let room = crate::openchat::room_of(&joined);
    guest.send(room, "f1", "안녕하세요!").await;
    guest.at(a).send(room, "f2", "안녕하세요!").await;
    guest
        .try_send(room, "f3", "안녕하세요!")
        .await
        .refused(429, "flooding");
    guest
        .at(a)
        .try_send(room, "f4", "안녕하세요!")
        .await
        .refused(429, "flooding");
    guest.send(room, "f5", "다른 말").await;

    assert_eq!(
        host.delete(&format!("/api/v1/openchats/{chat_id}")).await.status,
        204
    );
    within_seconds("gone from the other node", async || {
        !found().await.contains(&chat_id)
    })
    .await;
}

#[tokio::test]
async fn two_nodes_purge_each_expired_pung_once() {
    const PUNGS: usize = 600;
    let db = TestDb::postgres().await;
    let port = free_port();
    let prefix = format!("madangpurge{port}");
    let config = "[limits]\npassword_memory_kib = 64\npungs_per_hour = 1000\npung_purge_interval_ms = 50\n";
    let (_dirs, nodes) = two_nodes(&db, &prefix, config).await;
    let mut author = Client::new(&nodes[0].1);
    author.sign_up(&format!("author_{port}")).await;
    // The author's phone is on the second node: half the news crosses NATS.
    let mut ws = Ws::open(&nodes[1].1, author.token.as_deref().unwrap()).await;
    let mut posted = Vec::new();
    for chunk in (0..PUNGS).collect::<Vec<_>>().chunks(25) {
        let posts = chunk.iter().map(|&i| {
            let c = author.at(&nodes[i % 2].1);
            async move {
                let body = serde_json::json!({"client_id": format!("p{i}"), "text": format!("펑 {i}"),
                    "background": "#ff7a59", "audience": {"mode": "friends"}});
                let r = c.post("/api/v1/pungs", body).await;
                assert_eq!(r.status, 201, "{}", r.body);
                r.body["id"].as_i64().unwrap()
            }
        });
        posted.extend(futures::future::join_all(posts).await);
    }
    // All expire at once, while both nodes' purge jobs run every 50 ms.
    db.execute("UPDATE pungs SET expires_at = 1").await;
    let mut removed: HashMap<i64, usize> = HashMap::new();
    while removed.len() < PUNGS {
        match ws.next_frame(Duration::from_secs(15)).await {
            Some(ServerFrame::PungRemoved { pung_id }) => *removed.entry(pung_id.0).or_default() += 1,
            Some(_) => {}
            None => panic!("only {} of {PUNGS} Pungs were reported gone", removed.len()),
        }
    }
    // Nothing is told twice.
    for frame in ws.drain(Duration::from_millis(500)).await {
        if let ServerFrame::PungRemoved { pung_id } = frame {
            *removed.entry(pung_id.0).or_default() += 1;
        }
    }
    assert!(removed.values().all(|&n| n == 1), "a Pung was purged twice");
    posted.sort_unstable();
    let mut gone: Vec<i64> = removed.into_keys().collect();
    gone.sort_unstable();
    assert_eq!(gone, posted);
    assert_eq!(db.scalar("SELECT count(*) FROM pungs").await, 0);
    // Each node counts what it purged; together, each Pung once.
    let mut split = Vec::new();
    for (_, base) in &nodes {
        split.push(counter(base, "madang_pungs_purged_total").await);
    }
    assert_eq!(split.iter().sum::<f64>(), PUNGS as f64, "{split:?}");
    println!("Pungs purged per node: {split:?}");
}

/// A member kicked on one node is refused on the other at once, though
/// that node has just carried their sends (whatever it keeps is warm): a
/// send's membership is the database's, read with the send.
#[tokio::test]
async fn a_member_kicked_on_one_node_is_refused_on_the_other_at_once() {
    let db = TestDb::postgres().await;
    let port = free_port();
    let prefix = format!("madangkick{port}");
    let config = "[limits]\npassword_memory_kib = 64\n";
    let (_dirs, nodes) = two_nodes(&db, &prefix, config).await;
    let (a, b) = (&nodes[0].1, &nodes[1].1);
    let mut host = Client::new(a);
    host.sign_up(&format!("khost_{port}")).await;
    let mut guest = Client::new(b);
    guest.sign_up(&format!("kguest_{port}")).await;
    let chat = crate::openchat::create(&host, crate::openchat::group(&format!("킥 방 {port}"))).await;
    let joined = crate::openchat::join(&guest, crate::openchat::id(&chat), "손님").await;
    let room = crate::openchat::room_of(&joined);
    let member = crate::openchat::me_in(&joined);
    // Node B has carried this member's sends, over HTTP and its socket.
    let (mut ws, _) = Ws::connect(b, guest.token.as_deref().unwrap(), &BTreeMap::new()).await;
    for i in 0..20 {
        guest
            .send(room, &format!("warm{i}"), &format!("안녕하세요 {i}번"))
            .await;
    }
    host.post(
        &format!("/api/v1/rooms/{room}/kicks"),
        serde_json::json!({"member_id": member, "ban": false}),
    )
    .await
    .ok();
    guest
        .try_send(room, "after-kick", "아직 있나요?")
        .await
        .refused(403, "not_member");
    ws.send_json(
        serde_json::json!({"type": "send", "room_id": room, "client_id": "after-kick-ws", "text": "?"}),
    )
    .await;
    let frames = ws
        .until(Duration::from_secs(10), |f| {
            matches!(f, ServerFrame::Error { .. })
        })
        .await;
    match frames.last() {
        Some(ServerFrame::Error { error, .. }) => assert_eq!(error.code, "not_member"),
        other => panic!("the socket's send was not refused: {other:?}"),
    }
    let texts: Vec<String> = host
        .all_messages(room)
        .await
        .iter()
        .filter_map(|m| m["text"].as_str().map(str::to_owned))
        .collect();
    assert!(!texts.iter().any(|t| t.contains('?')), "{texts:?}");
}
