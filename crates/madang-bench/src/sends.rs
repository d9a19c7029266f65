//! `sends`: K clients each sending as soon as its previous send is
//! acknowledged (so each ack is a durable commit), into 1:1 rooms or one
//! group; sends per second and ack latency.

use crate::client::{Api, connect};
use crate::padded;
use crate::server::{Server, ServerArgs};
use crate::stats::{Latencies, LatencySummary, table, write_json};
use futures::{SinkExt, StreamExt};
use serde::Serialize;
use serde_json::json;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// Each client in its own 1:1 room.
    Direct,
    /// All clients in one group.
    Group,
}

#[derive(Clone, Debug, clap::Args)]
pub struct SendsArgs {
    #[arg(long, default_value_t = 32)]
    pub clients: usize,
    #[arg(long, value_enum, default_value_t = Shape::Direct)]
    pub shape: Shape,
    #[arg(long, default_value_t = 10)]
    pub secs: u64,
    #[arg(long, default_value_t = 64)]
    pub payload: usize,
    #[arg(long)]
    pub json: Option<PathBuf>,
    #[command(flatten)]
    pub server: ServerArgs,
}

#[derive(Debug, Serialize)]
pub struct SendsResult {
    pub clients: usize,
    pub shape: Shape,
    pub secs: u64,
    pub sends_per_sec: f64,
    pub ack_latency: LatencySummary,
}

pub async fn run(args: SendsArgs) -> anyhow::Result<()> {
    let server = Server::start(&args.server).await?;
    let api = Api::new(&server.base);
    let (senders, rooms) = match args.shape {
        Shape::Direct => api.pairs(args.clients).await?,
        Shape::Group => {
            let senders = api.accounts("snd", args.clients).await?;
            let room = api.group(&senders[0], &senders, "sends").await?;
            (senders, vec![room; args.clients])
        }
    };
    // Every client is connected before any sends: connecting while others
    // send would leave the last ones out of the measured window.
    let mut sockets = Vec::with_capacity(senders.len());
    for s in &senders {
        sockets.push(connect(&server.base, &s.token, &json!({})).await?.0);
    }
    let deadline = Instant::now() + Duration::from_secs(args.secs + 1);
    let measure_from = Instant::now() + Duration::from_secs(1);
    let mut tasks = Vec::new();
    for (i, (mut ws, room)) in sockets.into_iter().zip(rooms).enumerate() {
        let payload = args.payload;
        let label = format!("k{i}");
        tasks.push(tokio::spawn(async move {
            send_until(&mut ws, room, label, payload, measure_from, deadline).await
        }));
    }
    let mut all = Latencies::default();
    for t in tasks {
        all.merge(t.await?);
    }
    server.stop().await;
    let result = SendsResult {
        clients: args.clients,
        shape: args.shape,
        secs: args.secs,
        sends_per_sec: all.len() as f64 / args.secs as f64,
        ack_latency: all.summary(),
    };
    table(
        &format!("sends: {} clients, {:?} rooms", result.clients, result.shape),
        &[
            ("durable sends/s", format!("{:.0}", result.sends_per_sec)),
            ("ack p50", format!("{:.2} ms", result.ack_latency.p50_ms)),
            ("ack p99", format!("{:.2} ms", result.ack_latency.p99_ms)),
            ("ack p99.9", format!("{:.2} ms", result.ack_latency.p999_ms)),
        ],
    );
    write_json(&args.json, &result)
}

/// Sends into `room` as soon as the previous send is acknowledged (each
/// ack a durable commit), until `deadline`; the ack latencies of sends
/// made from `measure_from` on.
pub(crate) async fn send_until(
    ws: &mut crate::client::Socket,
    room: i64,
    label: String,
    payload: usize,
    measure_from: Instant,
    deadline: Instant,
) -> Latencies {
    let mut lat = Latencies::default();
    let mut n = 0u64;
    while Instant::now() < deadline {
        n += 1;
        let sent = Instant::now();
        let frame = json!({"type": "send", "room_id": room, "client_id": format!("{label}-{n}"), "text": padded(payload)});
        if ws.send(Message::Text(frame.to_string().into())).await.is_err() {
            break;
        }
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(t))) if t.starts_with(r#"{"type":"ack""#) => break,
                Some(Ok(_)) => continue,
                _ => return lat,
            }
        }
        if sent >= measure_from {
            lat.record(sent.elapsed());
        }
    }
    lat
}
