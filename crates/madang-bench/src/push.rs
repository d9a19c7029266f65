//! `push`: a group of N members, none of them connected, each with one
//! device subscribed to a push service on 127.0.0.1 (the test push service
//! of `madang-push-receiver`: HTTPS, checks each VAPID token on arrival,
//! as a real push service does, and decrypts every payload once the
//! clock has stopped, since a real one never does and the browser's work
//! would otherwise share the server's two cores). One member writes one
//! message; every other member's device must get exactly one push, and
//! each must decrypt. Reports the time from the send's commit to
//! the first and the last push, and pushes a second over that span.

use crate::client::{Account, Api};
use crate::server::{Server, ServerArgs};
use crate::stats::{table, write_json};
use anyhow::{Context, ensure};
use futures::{StreamExt, TryStreamExt, stream};
use madang_push_receiver::Receiver;
use serde::Serialize;
use serde_json::json;
use std::collections::HashSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Clone, Debug, clap::Args)]
pub struct PushArgs {
    /// Members of the group, the writer included.
    #[arg(long, default_value_t = 3000)]
    pub members: usize,
    /// How long to wait for the last push.
    #[arg(long, default_value_t = 120)]
    pub timeout_secs: u64,
    #[arg(long)]
    pub json: Option<PathBuf>,
    #[command(flatten)]
    pub server: ServerArgs,
}

#[derive(Debug, Serialize)]
pub struct PushResult {
    pub members: usize,
    pub expected: usize,
    pub delivered: usize,
    pub exactly_once: bool,
    pub first_push_ms: f64,
    pub last_push_ms: f64,
    pub pushes_per_sec: f64,
    pub setup_seconds: f64,
}

async fn subscribe_all(api: &Api, receiver: &Receiver, people: &[Account]) -> anyhow::Result<Vec<String>> {
    stream::iter(people)
        .map(|p| async move {
            let sub = receiver.subscribe();
            let endpoint = sub["endpoint"].as_str().context("endpoint")?.to_owned();
            api.call(Some(&p.token), reqwest::Method::PUT, "/devices/current/push", sub)
                .await?;
            Ok::<_, anyhow::Error>(endpoint)
        })
        .buffered(32)
        .try_collect()
        .await
}

pub async fn run(args: PushArgs) -> anyhow::Result<()> {
    ensure!(args.members >= 2, "a group needs at least two members");
    let receiver = Receiver::start_opaque().await?;
    let ca = tempfile::tempdir()?;
    let ca_file = ca.path().join("push-ca.pem");
    std::fs::write(&ca_file, &receiver.ca_pem)?;
    let server = Server::start_with_config(
        &args.server,
        &format!(
            "[push]\nprivate_hosts = [\"127.0.0.1\"]\nca_file = {:?}\n",
            ca_file.display().to_string()
        ),
    )
    .await?;
    let api = Api::new(&server.base);

    let setup = Instant::now();
    eprintln!("signing up {} people…", args.members);
    let people = api.accounts("pb", args.members).await?;
    eprintln!("subscribing {} devices…", args.members - 1);
    let endpoints = subscribe_all(&api, &receiver, &people[1..]).await?;
    eprintln!("making the group…");
    let writer = &people[0];
    let room = api.group(writer, &people, "푸시 벤치").await?;
    let setup_seconds = setup.elapsed().as_secs_f64();
    let before = receiver.delivered();

    eprintln!("one message to {} offline devices…", endpoints.len());
    api.call(
        Some(&writer.token),
        reqwest::Method::POST,
        &format!("/rooms/{room}/messages"),
        json!({"client_id": "push-bench", "text": "오늘 저녁 7시에 봬요"}),
    )
    .await?;
    let committed = Instant::now();
    let expected = endpoints.len();
    let deadline = committed + Duration::from_secs(args.timeout_secs);
    let mut last_print = Instant::now();
    while receiver.delivered() - before < expected && Instant::now() < deadline {
        if last_print.elapsed() >= Duration::from_secs(1) {
            eprintln!("  {} / {expected} pushed", receiver.delivered() - before);
            last_print = Instant::now();
        }
        receiver
            .wait_for(before + expected, Duration::from_millis(200))
            .await;
    }
    // Anything sent twice would arrive within moments.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let pushes: Vec<_> = receiver
        .deliveries()
        .into_iter()
        .filter(|d| d.payload["room_id"] == room)
        .collect();
    let reached: HashSet<&str> = pushes.iter().map(|d| d.endpoint.as_str()).collect();
    let exactly_once = pushes.len() == expected && reached.len() == expected;
    let since = |at: Instant| at.saturating_duration_since(committed).as_secs_f64() * 1000.0;
    let first = pushes.iter().map(|d| d.at).min().map(since).unwrap_or(f64::NAN);
    let last = pushes.iter().map(|d| d.at).max().map(since).unwrap_or(f64::NAN);
    let faults = receiver.faults();
    let result = PushResult {
        members: args.members,
        expected,
        delivered: pushes.len(),
        exactly_once,
        first_push_ms: first,
        last_push_ms: last,
        pushes_per_sec: pushes.len() as f64 / (last / 1000.0).max(1e-3),
        setup_seconds,
    };
    table(
        "push: one message, every member offline and subscribed",
        &[
            ("members", result.members.to_string()),
            ("pushes expected", result.expected.to_string()),
            ("pushes received", result.delivered.to_string()),
            ("exactly once", result.exactly_once.to_string()),
            ("commit → first push", format!("{first:.0} ms")),
            ("commit → last push", format!("{last:.0} ms")),
            ("pushes/s", format!("{:.0}", result.pushes_per_sec)),
            ("setup", format!("{setup_seconds:.1} s")),
        ],
    );
    write_json(&args.json, &result)?;
    server.stop().await;
    ensure!(faults.is_empty(), "the push service found faults: {faults:?}");
    ensure!(
        exactly_once,
        "{} pushes to {} devices, {} expected",
        pushes.len(),
        reached.len(),
        expected
    );
    Ok(())
}
