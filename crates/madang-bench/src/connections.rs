//! `connections`: N idle WebSocket connections to one server process, the
//! client side spread over worker processes (each process here may open at
//! most 20,000 files) and over 127.0.0.x source addresses; the server's
//! resident memory per connection, read from /proc, and the connect rate.

use crate::client::Api;
use crate::server::{Server, ServerArgs};
use crate::stats::{table, write_json};
use anyhow::{Context, bail};
use futures::StreamExt;
use futures::stream;
use serde::Serialize;
use serde_json::json;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpSocket;
use tokio::process::Command;
use tokio_tungstenite::tungstenite::Message;

#[derive(Clone, Debug, clap::Args)]
pub struct ConnectionsArgs {
    /// Connections in all.
    #[arg(long, default_value_t = 19_000)]
    pub count: usize,
    /// Connections per worker process.
    #[arg(long, default_value_t = 9_500)]
    pub per_process: usize,
    #[arg(long)]
    pub json: Option<PathBuf>,
    #[command(flatten)]
    pub server: ServerArgs,
}

/// One worker: opens `count` sockets from `source`, says how many are
/// ready, then holds them until its standard input closes.
#[derive(Clone, Debug, clap::Args)]
pub struct WorkerArgs {
    #[arg(long)]
    pub url: String,
    #[arg(long)]
    pub token: String,
    #[arg(long)]
    pub count: usize,
    #[arg(long)]
    pub source: Ipv4Addr,
}

#[derive(Debug, Serialize)]
pub struct ConnectionsResult {
    pub connections: usize,
    pub connect_seconds: f64,
    pub connects_per_sec: f64,
    pub server_rss_idle_kib: u64,
    pub server_rss_connected_kib: u64,
    pub bytes_per_connection: f64,
}

pub async fn worker(args: WorkerArgs) -> anyhow::Result<()> {
    let host = args.url.trim_start_matches("http://").to_owned();
    let addr: SocketAddr = host.parse().context("worker needs http://ip:port")?;
    let url = format!("ws://{host}/api/v1/ws?access_token={}", args.token);
    let sockets: Vec<_> = stream::iter(0..args.count)
        .map(|_| {
            let url = url.clone();
            async move {
                let socket = TcpSocket::new_v4()?;
                socket.bind(SocketAddr::from((args.source, 0)))?;
                let tcp = socket.connect(addr).await?;
                tcp.set_nodelay(true)?;
                let (mut ws, _) =
                    tokio_tungstenite::client_async_with_config(url, tcp, Some(crate::client::ws_config()))
                        .await?;
                futures::SinkExt::send(
                    &mut ws,
                    Message::Text(json!({"type": "resume"}).to_string().into()),
                )
                .await?;
                while let Some(msg) = ws.next().await {
                    if let Message::Text(t) = msg?
                        && t.contains(r#""type":"ready""#)
                    {
                        return Ok::<_, anyhow::Error>(ws);
                    }
                }
                bail!("closed before ready")
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    let ok = sockets.iter().filter(|s| s.is_ok()).count();
    if let Some(Err(e)) = sockets.iter().find(|s| s.is_err()) {
        eprintln!("worker {}: {e}", args.source);
    }
    println!("ready {ok}");
    // Hold the sockets (the server's pings are answered by reading) until told to stop.
    let mut live: Vec<_> = sockets.into_iter().flatten().collect();
    let mut stdin = BufReader::new(tokio::io::stdin()).lines();
    loop {
        tokio::select! {
            line = stdin.next_line() => if !matches!(line, Ok(Some(_))) { break },
            _ = tokio::time::sleep(Duration::from_secs(10)) => {
                for ws in live.iter_mut() {
                    while let Some(Some(_)) = futures::FutureExt::now_or_never(ws.next()) {}
                }
            }
        }
    }
    Ok(())
}

pub async fn run(args: ConnectionsArgs) -> anyhow::Result<()> {
    let server = Server::start(&args.server).await?;
    let api = Api::new(&server.base);
    let account = api.accounts("conn", 1).await?.remove(0);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle = server
        .rss_kib()
        .context("the bench must start the server to read its memory")?;
    let me = std::env::current_exe()?;
    let started = Instant::now();
    let mut workers = Vec::new();
    let mut remaining = args.count;
    let mut i = 0u8;
    while remaining > 0 {
        let n = remaining.min(args.per_process);
        remaining -= n;
        i += 1;
        // `--token=…`: a base64url token may begin with '-'.
        let mut child = Command::new(&me)
            .args([
                "connections-worker",
                "--url",
                &server.base,
                &format!("--token={}", account.token),
                "--count",
                &n.to_string(),
            ])
            .args(["--source", &format!("127.0.0.{}", i + 1)])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let stdout = child.stdout.take().context("worker stdout")?;
        workers.push((child, BufReader::new(stdout).lines()));
    }
    let mut connected = 0;
    for (_, lines) in workers.iter_mut() {
        let line = lines.next_line().await?.unwrap_or_default();
        connected += line
            .strip_prefix("ready ")
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(0);
    }
    let connect_seconds = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let loaded = server.rss_kib().unwrap_or(idle);
    for (mut child, _) in workers {
        drop(child.stdin.take());
        let _ = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
        let _ = child.start_kill();
    }
    server.stop().await;
    let result = ConnectionsResult {
        connections: connected,
        connect_seconds,
        connects_per_sec: connected as f64 / connect_seconds,
        server_rss_idle_kib: idle,
        server_rss_connected_kib: loaded,
        bytes_per_connection: (loaded.saturating_sub(idle) * 1024) as f64 / connected.max(1) as f64,
    };
    table(
        &format!("connections: {} idle sockets", result.connections),
        &[
            ("connected", format!("{} of {}", result.connections, args.count)),
            (
                "connect time",
                format!(
                    "{:.1} s ({:.0}/s)",
                    result.connect_seconds, result.connects_per_sec
                ),
            ),
            ("server RSS idle", format!("{:.1} MiB", idle as f64 / 1024.0)),
            (
                "server RSS connected",
                format!("{:.1} MiB", loaded as f64 / 1024.0),
            ),
            (
                "per connection",
                format!("{:.2} KiB", result.bytes_per_connection / 1024.0),
            ),
        ],
    );
    write_json(&args.json, &result)
}
