//! `madang-bench`: load scenarios against a real madang server, each
//! printing a table and optionally writing JSON. See bench/RESULTS.md.

mod ai;
mod campaign;
mod catchup;
mod client;
mod connections;
mod discovery;
mod fanout;
mod import;
mod nats;
mod push;
mod search;
mod sends;
mod server;
mod stats;

use clap::{Parser, Subcommand};
use std::sync::OnceLock;
use std::time::Instant;

#[derive(Parser)]
#[command(
    name = "madang-bench",
    about = "Measure madang: fan-out, sends, catch-up, connections, discovery, message search, campaigns, push, history imports, on-box AI"
)]
struct Cli {
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Subcommand)]
enum Scenario {
    /// Rooms of connected members and senders; deliveries/s and latency (and NATS's, with --nats).
    Fanout(fanout::FanoutArgs),
    /// Durable sends per second with K concurrent clients.
    Sends(sends::SendsArgs),
    /// Time for a reconnecting device to receive everything it missed.
    Catchup(catchup::CatchupArgs),
    /// Idle connections: server memory per connection and connect rate.
    Connections(connections::ConnectionsArgs),
    /// A channel's campaign to N generated people, killed and restarted mid-send.
    Campaign(campaign::CampaignArgs),
    /// Open chat search and recommendations at scale, in process.
    Discovery(discovery::DiscoveryArgs),
    /// A chat of N messages imported while others send: import time, and their ack latency before and during.
    Import(import::ImportArgs),
    /// Message search over M messages in R rooms, in process, on SQLite or PostgreSQL.
    Search(search::SearchArgs),
    /// One message to a big group whose members are all offline, each
    /// device subscribed to a local push service; commit to last push.
    Push(push::PushArgs),
    /// The local generator against llama.cpp's Python bindings; time to summarise.
    Ai(ai::AiArgs),
    /// (Used by `connections`.) Holds idle sockets from one source address.
    #[command(hide = true)]
    ConnectionsWorker(connections::WorkerArgs),
}

/// Microseconds since this process began: the stamp senders put in messages.
pub(crate) fn now_micros() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_micros() as u64
}

/// Paces a sender at `rate` messages a second on a fixed schedule (a late
/// tick is made up, so the rate sent is the rate asked); `rate` 0 means no
/// pacing, and [`Pace::tick`] returns at once.
pub(crate) struct Pace(Option<tokio::time::Interval>);

impl Pace {
    pub(crate) fn new(rate: f64) -> Pace {
        Pace((rate > 0.0).then(|| tokio::time::interval(std::time::Duration::from_secs_f64(1.0 / rate))))
    }

    pub(crate) fn is_paced(&self) -> bool {
        self.0.is_some()
    }

    pub(crate) async fn tick(&mut self) {
        if let Some(i) = self.0.as_mut() {
            i.tick().await;
        }
    }
}

/// A message text of `len` bytes that starts with the send stamp.
pub(crate) fn padded(len: usize) -> String {
    let mut s = format!("t={}|", now_micros());
    while s.len() < len {
        s.push('x');
    }
    s
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    now_micros();
    match Cli::parse().scenario {
        Scenario::Fanout(a) => fanout::run(a).await,
        Scenario::Sends(a) => sends::run(a).await,
        Scenario::Import(a) => import::run(a).await,
        Scenario::Catchup(a) => catchup::run(a).await,
        Scenario::Connections(a) => connections::run(a).await,
        Scenario::ConnectionsWorker(a) => connections::worker(a).await,
        Scenario::Discovery(a) => discovery::run(a).await,
        Scenario::Campaign(a) => campaign::run(a).await,
        Scenario::Ai(a) => ai::run(a).await,
        Scenario::Push(a) => push::run(a).await,
        Scenario::Search(a) => search::run(a).await,
    }
}
