//! `catchup`: a device misses M messages spread over R rooms, reconnects
//! with its cursors, and the clock runs until it holds all of them.

use crate::client::{Api, connect};
use crate::server::{Server, ServerArgs};
use crate::stats::{table, write_json};
use futures::stream::{self, StreamExt, TryStreamExt};
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Clone, Debug, clap::Args)]
pub struct CatchupArgs {
    #[arg(long, default_value_t = 10_000)]
    pub messages: usize,
    #[arg(long, default_value_t = 100)]
    pub rooms: usize,
    #[arg(long)]
    pub json: Option<PathBuf>,
    #[command(flatten)]
    pub server: ServerArgs,
}

#[derive(Debug, Serialize)]
pub struct CatchupResult {
    pub messages: usize,
    pub rooms: usize,
    pub replayed: usize,
    pub seconds: f64,
    pub messages_per_sec: f64,
}

pub async fn run(args: CatchupArgs) -> anyhow::Result<()> {
    let server = Server::start(&args.server).await?;
    let api = Api::new(&server.base);
    let people = api.accounts("cu", 2).await?;
    let (device, writer) = (&people[0], &people[1]);
    let mut rooms = Vec::new();
    for r in 0..args.rooms {
        rooms.push(
            api.group(writer, std::slice::from_ref(device), &format!("room {r}"))
                .await?,
        );
    }
    let mut cursors = Map::new();
    for &room in &rooms {
        cursors.insert(room.to_string(), json!(api.last_seq(device, room).await?));
    }
    let cursors = Value::Object(cursors);
    eprintln!("writing {} messages while the device is away…", args.messages);
    stream::iter(0..args.messages)
        .map(|i| {
            let api = &api;
            let room = rooms[i % rooms.len()];
            async move {
                let body = json!({"client_id": format!("cu-{i}"), "text": format!("missed {i}")});
                api.call(
                    Some(&writer.token),
                    reqwest::Method::POST,
                    &format!("/rooms/{room}/messages"),
                    body,
                )
                .await
            }
        })
        .buffer_unordered(16)
        .try_collect::<Vec<_>>()
        .await?;
    let started = Instant::now();
    let (_ws, replayed) = connect(&server.base, &device.token, &cursors).await?;
    let seconds = started.elapsed().as_secs_f64();
    server.stop().await;
    let result = CatchupResult {
        messages: args.messages,
        rooms: args.rooms,
        replayed,
        seconds,
        messages_per_sec: replayed as f64 / seconds,
    };
    table(
        &format!("catchup: {} messages over {} rooms", args.messages, args.rooms),
        &[
            ("replayed", result.replayed.to_string()),
            ("time to all", format!("{:.3} s", result.seconds)),
            ("messages/s", format!("{:.0}", result.messages_per_sec)),
        ],
    );
    anyhow::ensure!(
        replayed == args.messages,
        "replayed {replayed} of {} messages",
        args.messages
    );
    write_json(&args.json, &result)
}
