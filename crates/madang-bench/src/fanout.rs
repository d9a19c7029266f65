//! `fanout`: R rooms of M members, every member connected, S senders per
//! room sending at a given rate or as fast as acks come back; deliveries per
//! second and send-to-receive latency. With `--nats`, the same shape over
//! plain NATS core pub/sub first, and madang's rate as a ratio of it.

use crate::client::{Api, connect, is_message_event, stamp};
use crate::server::{Server, ServerArgs};
use crate::stats::{Latencies, LatencySummary, table, write_json};
use crate::{Pace, now_micros, padded};
use futures::{SinkExt, StreamExt};
use serde::Serialize;
use serde_json::json;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, Semaphore};
use tokio_tungstenite::tungstenite::Message;

#[derive(Clone, Debug, clap::Args)]
pub struct FanoutArgs {
    #[arg(long, default_value_t = 1)]
    pub rooms: usize,
    #[arg(long, default_value_t = 1000)]
    pub members: usize,
    /// Senders per room.
    #[arg(long, default_value_t = 1)]
    pub senders: usize,
    /// Messages per second per sender; 0 sends as fast as acks return.
    #[arg(long, default_value_t = 0.0)]
    pub rate: f64,
    /// Unacknowledged sends each sender may have in flight at maximum rate.
    #[arg(long, default_value_t = 16)]
    pub window: usize,
    /// Measured seconds (after one second of warm-up).
    #[arg(long, default_value_t = 10)]
    pub secs: u64,
    /// Message text length in bytes.
    #[arg(long, default_value_t = 64)]
    pub payload: usize,
    /// Also run the same shape on plain NATS first.
    #[arg(long)]
    pub nats: bool,
    /// Start this many madang nodes on one PostgreSQL database
    /// (`--database-url`) and NATS (`--nats-url`), members connected to
    /// them in turn.
    #[arg(long, default_value_t = 1)]
    pub nodes: usize,
    #[arg(long, default_value = "nats://127.0.0.1:4222")]
    pub nats_url: String,
    #[arg(long)]
    pub json: Option<PathBuf>,
    #[command(flatten)]
    pub server: ServerArgs,
}

#[derive(Debug, Serialize)]
pub struct FanoutResult {
    pub system: &'static str,
    /// madang nodes the members were spread over (1 for NATS itself).
    pub nodes: usize,
    pub rooms: usize,
    pub members: usize,
    pub senders: usize,
    pub rate_per_sender: f64,
    pub secs: u64,
    pub sends_per_sec: f64,
    pub deliveries_per_sec: f64,
    pub latency: LatencySummary,
    pub server_rss_kib: Option<u64>,
}

/// Counters shared by the receiving tasks.
#[derive(Default)]
pub(crate) struct Tally {
    pub measuring: AtomicBool,
    pub deliveries: AtomicU64,
    pub sends: AtomicU64,
    /// One latency log per receiving task, merged at the end (a task may be
    /// aborted mid-wait, so it never merges its own).
    pub latencies: Mutex<Vec<Arc<std::sync::Mutex<Latencies>>>>,
}

impl Tally {
    /// One second of warm-up, then `secs` measured; returns the seconds measured.
    pub(crate) async fn measure(&self, secs: u64) -> f64 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        self.measuring.store(true, Ordering::Relaxed);
        let started = Instant::now();
        tokio::time::sleep(Duration::from_secs(secs)).await;
        self.measuring.store(false, Ordering::Relaxed);
        started.elapsed().as_secs_f64()
    }

    /// The record of a finished run, the same for madang and for NATS.
    pub(crate) async fn result(
        &self,
        system: &'static str,
        args: &FanoutArgs,
        elapsed: f64,
        server_rss_kib: Option<u64>,
    ) -> FanoutResult {
        FanoutResult {
            system,
            nodes: if system == "madang" { args.nodes } else { 1 },
            rooms: args.rooms,
            members: args.members,
            senders: args.senders,
            rate_per_sender: args.rate,
            secs: args.secs,
            sends_per_sec: self.sends.load(Ordering::Relaxed) as f64 / elapsed,
            deliveries_per_sec: self.deliveries.load(Ordering::Relaxed) as f64 / elapsed,
            latency: merged(self).await.summary(),
            server_rss_kib,
        }
    }

    /// Records one delivery stamped `sent_at` (micros since the bench began).
    pub(crate) fn delivered(&self, sent_at: u64, local: &mut Latencies) {
        if self.measuring.load(Ordering::Relaxed) {
            self.deliveries.fetch_add(1, Ordering::Relaxed);
            local.record(Duration::from_micros(now_micros().saturating_sub(sent_at)));
        }
    }
}

pub async fn run(args: FanoutArgs) -> anyhow::Result<()> {
    let mut results = Vec::new();
    let nats = if args.nats {
        Some(crate::nats::fanout(&args).await?)
    } else {
        None
    };
    if let Some(n) = &nats {
        print(n);
    }
    let madang = madang(&args).await?;
    print(&madang);
    if let Some(n) = &nats {
        let ratio = madang.deliveries_per_sec / n.deliveries_per_sec.max(1.0);
        println!("\nmadang / NATS deliveries per second: {ratio:.3}");
    }
    results.extend(nats);
    results.push(madang);
    write_json(&args.json, &results)
}

fn print(r: &FanoutResult) {
    let lat = &r.latency;
    table(
        &format!(
            "fanout on {}{}: {} room(s) × {} members, {} sender(s)/room",
            r.system,
            if r.nodes > 1 {
                format!(" ({} nodes)", r.nodes)
            } else {
                String::new()
            },
            r.rooms,
            r.members,
            r.senders
        ),
        &[
            (
                "rate per sender",
                if r.rate_per_sender > 0.0 {
                    format!("{}/s", r.rate_per_sender)
                } else {
                    "max".into()
                },
            ),
            ("sends/s", format!("{:.0}", r.sends_per_sec)),
            ("deliveries/s", format!("{:.0}", r.deliveries_per_sec)),
            ("latency p50", format!("{:.2} ms", lat.p50_ms)),
            ("latency p99", format!("{:.2} ms", lat.p99_ms)),
            ("latency p99.9", format!("{:.2} ms", lat.p999_ms)),
            (
                if r.nodes > 1 {
                    "servers' RSS, together"
                } else {
                    "server RSS"
                },
                r.server_rss_kib
                    .map_or("-".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0)),
            ),
        ],
    );
}

async fn madang(args: &FanoutArgs) -> anyhow::Result<FanoutResult> {
    let servers = if args.nodes > 1 {
        Server::start_cluster(&args.server, args.nodes, &args.nats_url).await?
    } else {
        vec![Server::start(&args.server).await?]
    };
    let api = Api::new(&servers[0].base);
    eprintln!("setting up {} room(s) of {} members…", args.rooms, args.members);
    let accounts = api.accounts("fan", args.rooms * args.members).await?;
    let mut rooms = Vec::new();
    for (r, members) in accounts.chunks(args.members).enumerate() {
        rooms.push((
            api.group(&members[0], members, &format!("bench {r}")).await?,
            members.to_vec(),
        ));
    }
    let tally = Arc::new(Tally::default());
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    eprintln!(
        "connecting {} sockets to {} node(s)…",
        accounts.len(),
        servers.len()
    );
    let mut sockets = Vec::new();
    for (room, members) in &rooms {
        let connected: Vec<_> = futures::stream::iter(members.iter().cloned().enumerate())
            .map(|(i, m)| {
                let base = servers[i % servers.len()].base.clone();
                async move { connect(&base, &m.token, &json!({})).await.map(|(ws, _)| (m, ws)) }
            })
            .buffered(64)
            .collect()
            .await;
        for c in connected {
            sockets.push((*room, c?));
        }
    }
    for (i, (room, (_, ws))) in sockets.into_iter().enumerate() {
        let (mut sink, mut stream) = ws.split();
        let sender = i % args.members < args.senders;
        let window = Arc::new(Semaphore::new(if args.rate > 0.0 { 0 } else { args.window }));
        let (tally, done, w) = (tally.clone(), stop.clone(), window.clone());
        let local = Arc::new(std::sync::Mutex::new(Latencies::default()));
        tally.latencies.lock().await.push(local.clone());
        tasks.push(tokio::spawn(async move {
            while let Some(Ok(msg)) = stream.next().await {
                if let Message::Text(t) = msg {
                    if is_message_event(&t) {
                        if let Some(at) = stamp(&t) {
                            let mut local = local.lock().unwrap_or_else(|p| p.into_inner());
                            tally.delivered(at, &mut local);
                        }
                    } else if t.starts_with(r#"{"type":"ack""#) {
                        tally.sends.fetch_add(
                            u64::from(tally.measuring.load(Ordering::Relaxed)),
                            Ordering::Relaxed,
                        );
                        w.add_permits(1);
                    }
                }
                if done.load(Ordering::Relaxed) {
                    break;
                }
            }
        }));
        if sender {
            let (stop, payload, rate) = (stop.clone(), args.payload, args.rate);
            tokio::spawn(async move {
                let mut pace = Pace::new(rate);
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    if pace.is_paced() {
                        pace.tick().await;
                    } else {
                        match window.acquire().await {
                            Ok(p) => p.forget(),
                            Err(_) => break,
                        }
                    }
                    n += 1;
                    let frame = json!({"type": "send", "room_id": room, "client_id": format!("s{i}-{n}"),
                        "text": padded(payload)});
                    if sink.send(Message::Text(frame.to_string().into())).await.is_err() {
                        break;
                    }
                }
                let _ = sink.close().await;
            });
        }
    }
    let elapsed = tally.measure(args.secs).await;
    let rss = servers.iter().map(Server::rss_kib).sum::<Option<u64>>();
    stop.store(true, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(500)).await;
    for t in &tasks {
        t.abort();
    }
    for server in servers {
        server.stop().await;
    }
    Ok(tally.result("madang", args, elapsed, rss).await)
}

/// Every task's latencies in one log.
pub(crate) async fn merged(tally: &Tally) -> Latencies {
    let mut all = Latencies::default();
    for l in tally.latencies.lock().await.iter() {
        all.merge(std::mem::take(&mut *l.lock().unwrap_or_else(|p| p.into_inner())));
    }
    all
}
