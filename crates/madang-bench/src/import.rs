//! `import`: a person imports a generated WhatsApp chat of N messages
//! while K others keep sending in their 1:1 rooms. How long the import
//! takes, and what it does to everyone else's sends: their ack latency in
//! the seconds before it and while it runs (an import holds the write
//! lock a thousand messages at a time, never for the whole chat).

use crate::client::{Api, connect};
use crate::server::{Server, ServerArgs};
use crate::stats::{Latencies, LatencySummary, table, write_json};
use serde::Serialize;
use serde_json::json;
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Clone, Debug, clap::Args)]
pub struct ImportArgs {
    /// Messages in the generated chat.
    #[arg(long, default_value_t = 50_000)]
    pub messages: usize,
    /// People sending meanwhile, each in their own 1:1 room.
    #[arg(long, default_value_t = 4)]
    pub senders: usize,
    /// Seconds of sends measured before the import starts.
    #[arg(long, default_value_t = 3)]
    pub before_secs: u64,
    #[arg(long)]
    pub json: Option<PathBuf>,
    #[command(flatten)]
    pub server: ServerArgs,
}

#[derive(Debug, Serialize)]
pub struct ImportResult {
    pub messages: usize,
    pub senders: usize,
    pub import_secs: f64,
    pub imported_per_sec: f64,
    /// Acks of the others' sends before the import began.
    pub sends_before: LatencySummary,
    /// Acks of sends made while the import ran.
    pub sends_during: LatencySummary,
    pub sends_during_max_ms: f64,
}

/// A WhatsApp (Android) export of `n` messages between two people, a
/// minute apart, Korean and English mixed.
fn chat(n: usize) -> String {
    let mut out = String::with_capacity(n * 80);
    for i in 0..n {
        let minutes = i as u64;
        let (day, hour, minute) = (1 + (minutes / 1440) % 28, (minutes / 60) % 24, minutes % 60);
        let month = 1 + (minutes / (1440 * 28)) % 12;
        let who = if i % 2 == 0 { "Minji" } else { "Junho" };
        out.push_str(&format!(
            "{day:02}/{month:02}/2024, {hour:02}:{minute:02} - {who}: 메시지 {i}: 오늘 저녁에 뭐 먹을까요? see you at 7\n"
        ));
    }
    out
}

pub async fn run(args: ImportArgs) -> anyhow::Result<()> {
    let server = Server::start(&args.server).await?;
    let api = Api::new(&server.base);
    let importer = api.accounts("imp", 1).await?.remove(0);
    let (senders, rooms) = api.pairs(args.senders).await?;
    let text = chat(args.messages);
    eprintln!(
        "import: a chat of {} messages ({} KiB)",
        args.messages,
        text.len() / 1024
    );

    // Everyone sends from now until the import is over (bounded: at most
    // ten minutes).
    let start = Instant::now();
    let end = start + Duration::from_secs(600);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut tasks = Vec::new();
    for (i, (s, room)) in senders.iter().zip(rooms).enumerate() {
        let mut ws = connect(&server.base, &s.token, &json!({})).await?.0;
        let mut stop = stop_rx.clone();
        tasks.push(tokio::spawn(async move {
            // Stamped by when each send was made: before or during.
            let mut all: Vec<(Instant, Latencies)> = Vec::new();
            let mut round = 0;
            loop {
                round += 1;
                let from = Instant::now();
                let slice_end = (from + Duration::from_millis(250)).min(end);
                let lat =
                    crate::sends::send_until(&mut ws, room, format!("i{i}-{round}"), 64, from, slice_end)
                        .await;
                all.push((from, lat));
                if *stop.borrow_and_update() || Instant::now() >= end {
                    return all;
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(args.before_secs)).await;
    let began = Instant::now();
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(text.into_bytes()).file_name("WhatsApp Chat.txt"),
        )
        .text("plan", json!({"me": "Minji"}).to_string());
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/imports", server.base))
        .bearer_auth(&importer.token)
        .multipart(form)
        .timeout(Duration::from_secs(600))
        .send()
        .await?;
    let status = res.status();
    let body = res.text().await?;
    let import_secs = began.elapsed().as_secs_f64();
    anyhow::ensure!(status.is_success(), "the import answered {status}: {body}");
    let _ = stop_tx.send(true);
    let (mut before, mut during) = (Latencies::default(), Latencies::default());
    for t in tasks {
        for (from, lat) in t.await? {
            if from < began {
                before.merge(lat);
            } else {
                during.merge(lat);
            }
        }
    }
    server.stop().await;
    let result = ImportResult {
        messages: args.messages,
        senders: args.senders,
        import_secs,
        imported_per_sec: args.messages as f64 / import_secs,
        sends_before: before.summary(),
        sends_during_max_ms: during.percentile(100.0),
        sends_during: during.summary(),
    };
    table(
        &format!(
            "import: {} messages while {} people send",
            result.messages, result.senders
        ),
        &[
            ("import", format!("{:.2} s", result.import_secs)),
            ("imported messages/s", format!("{:.0}", result.imported_per_sec)),
            (
                "sends before: ack p50",
                format!("{:.2} ms", result.sends_before.p50_ms),
            ),
            (
                "sends before: ack p99",
                format!("{:.2} ms", result.sends_before.p99_ms),
            ),
            (
                "sends during: ack p50",
                format!("{:.2} ms", result.sends_during.p50_ms),
            ),
            (
                "sends during: ack p99",
                format!("{:.2} ms", result.sends_during.p99_ms),
            ),
            (
                "sends during: ack max",
                format!("{:.2} ms", result.sends_during_max_ms),
            ),
        ],
    );
    write_json(&args.json, &result)
}
