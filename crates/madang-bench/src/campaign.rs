//! `campaign`: a channel with a generated audience of N people (seeded by
//! `madang admin audience`) sends one advertisement to all of them. Mid-way
//! the server is killed with `kill -9` and started again on the same data;
//! the campaign resumes from its last committed batch. At the end the
//! operators' audit (`madang admin campaign`) must find every recipient
//! with exactly one message. Reports the send rate (messages a second
//! while the server was up), the restart gap, and how long a look at the
//! finished campaign's stats takes (the business console's read).

use crate::client::Api;
use crate::server::{Server, ServerArgs};
use crate::stats::{Latencies, table, write_json};
use anyhow::{Context, ensure};
use serde::Serialize;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Clone, Debug, clap::Args)]
pub struct CampaignArgs {
    /// People in the audience.
    #[arg(long, default_value_t = 1_000_000)]
    pub recipients: u64,
    /// Kill the server once this share has been delivered (0: never).
    #[arg(long, default_value_t = 0.5)]
    pub kill_at: f64,
    /// Every n-th person refused advertising (they are skipped, counted).
    #[arg(long, default_value_t = 10)]
    pub no_marketing_every: u64,
    #[arg(long)]
    pub json: Option<PathBuf>,
    #[command(flatten)]
    pub server: ServerArgs,
}

#[derive(Debug, Serialize)]
pub struct CampaignResult {
    pub recipients: u64,
    pub delivered: i64,
    pub skipped: i64,
    pub killed_at_delivered: Option<i64>,
    pub restart_seconds: Option<f64>,
    /// Sending time with the server up: started to finished, less the gap.
    pub send_seconds: f64,
    pub messages_per_sec: f64,
    pub exactly_once: bool,
    pub seed_seconds: f64,
    /// Median of [`STATS_LOOKS`] reads of the finished campaign.
    pub stats_read_ms: f64,
}

/// Reads of the finished campaign's stats timed at the end.
const STATS_LOOKS: usize = 21;

async fn stats(api: &Api, token: &str, id: i64) -> anyhow::Result<Value> {
    api.call(
        Some(token),
        reqwest::Method::GET,
        &format!("/campaigns/{id}"),
        Value::Null,
    )
    .await
}

pub async fn run(args: CampaignArgs) -> anyhow::Result<()> {
    let mut server = Server::start(&args.server).await?;
    let api = Api::new(&server.base);
    let owner = api.accounts("cb", 1).await?.remove(0);
    let token = owner.token.as_str();
    let b = api
        .call(
            Some(token),
            reqwest::Method::POST,
            "/businesses",
            json!({"name": "벤치 상점"}),
        )
        .await?;
    let b = b["id"].as_i64().context("business id")?;
    let ch = api
        .call(
            Some(token),
            reqwest::Method::POST,
            &format!("/businesses/{b}/channels"),
            json!({"handle": "bench_shop", "name": "벤치 상점"}),
        )
        .await?;
    let ch = ch["id"].as_i64().context("channel id")?;

    eprintln!("seeding {} people who added the channel…", args.recipients);
    let seeding = Instant::now();
    server
        .admin(&[
            "audience",
            "bench_shop",
            "--people",
            &args.recipients.to_string(),
            "--prefix",
            "bench_",
            "--no-marketing-every",
            &args.no_marketing_every.to_string(),
        ])
        .await?;
    let seed_seconds = seeding.elapsed().as_secs_f64();

    let created = api
        .call(
            Some(token),
            reqwest::Method::POST,
            &format!("/channels/{ch}/campaigns"),
            json!({"name": "bench", "kind": "advertising",
                   "template": "#{name}님, 오늘만 아메리카노 #{price}원", "variables": {"price": "2,000"}}),
        )
        .await?;
    let id = created["id"].as_i64().context("campaign id")?;
    let expected = args.recipients - args.recipients.checked_div(args.no_marketing_every).unwrap_or(0);
    let kill_after = (args.kill_at > 0.0).then_some((expected as f64 * args.kill_at) as i64);
    let mut killed_at = None;
    let mut restart_seconds = None;
    let mut last_print = Instant::now();
    let last = loop {
        let v = stats(&api, token, id).await?;
        let delivered = v["stats"]["delivered"].as_i64().unwrap_or(0);
        if last_print.elapsed() >= Duration::from_secs(2) {
            eprintln!(
                "  {} / {expected} delivered, {} passed of {}",
                delivered, v["stats"]["passed"], v["stats"]["audience"]
            );
            last_print = Instant::now();
        }
        if v["status"] == "done" {
            break v;
        }
        if let Some(k) = kill_after
            && killed_at.is_none()
            && delivered >= k
        {
            eprintln!("  kill -9 at {delivered} delivered; restarting…");
            let down = Instant::now();
            server.kill_and_restart().await?;
            restart_seconds = Some(down.elapsed().as_secs_f64());
            killed_at = Some(delivered);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let mut looks = Latencies::default();
    for _ in 0..STATS_LOOKS {
        let t = Instant::now();
        stats(&api, token, id).await?;
        looks.record(t.elapsed());
    }
    let audit_line = server.admin(&["campaign", &id.to_string()]).await?;
    let audit: Value = serde_json::from_str(audit_line.lines().last().unwrap_or_default())?;
    server.stop().await;

    let s = &last["stats"];
    let wall = (last["finished_at"].as_i64().unwrap_or(0) - last["started_at"].as_i64().unwrap_or(0)) as f64
        / 1000.0;
    let send_seconds = (wall - restart_seconds.unwrap_or(0.0)).max(1e-3);
    let delivered = s["delivered"].as_i64().unwrap_or(0);
    let result = CampaignResult {
        recipients: args.recipients,
        delivered,
        skipped: s["skipped"].as_i64().unwrap_or(0),
        killed_at_delivered: killed_at,
        restart_seconds,
        send_seconds,
        messages_per_sec: delivered as f64 / send_seconds,
        exactly_once: audit["exactly_once"] == true,
        seed_seconds,
        stats_read_ms: looks.percentile(50.0),
    };
    table(
        &format!(
            "campaign: {} recipients, kill -9 at {:.0}%",
            args.recipients,
            args.kill_at * 100.0
        ),
        &[
            ("delivered", result.delivered.to_string()),
            ("skipped (no consent)", result.skipped.to_string()),
            (
                "killed at",
                killed_at.map_or("-".into(), |k| format!("{k} delivered")),
            ),
            (
                "restart gap",
                restart_seconds.map_or("-".into(), |r| format!("{r:.1} s")),
            ),
            ("send time (up)", format!("{:.1} s", result.send_seconds)),
            ("messages/s", format!("{:.0}", result.messages_per_sec)),
            ("exactly once", result.exactly_once.to_string()),
            ("audience seeding", format!("{:.1} s", result.seed_seconds)),
            ("stats read (median)", format!("{:.2} ms", result.stats_read_ms)),
        ],
    );
    ensure!(
        result.exactly_once,
        "the audit found recipients without exactly one message: {audit}"
    );
    ensure!(
        delivered == expected as i64,
        "delivered {delivered}, expected {expected}"
    );
    write_json(&args.json, &result)
}
