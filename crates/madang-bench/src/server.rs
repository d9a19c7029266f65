//! The server under test: a `madang` process this bench starts (on a fresh
//! SQLite file, or a PostgreSQL URL) with limits lifted for load, or one
//! already running at a given URL.

use anyhow::{Context, bail};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

/// Limits a load test must not trip over; everything else is the default.
const BENCH_CONFIG: &str = r#"
[limits]
password_memory_kib = 64
signups_per_hour = 100000000
logins_per_minute = 100000000
messages_per_minute = 100000000
group_member_cap = 100000
max_page = 500
campaign_poll_ms = 100
"#;

pub struct Server {
    pub base: String,
    child: Option<Child>,
    args: ServerArgs,
    /// More `serve` flags (a cluster node's NATS settings).
    serve_flags: Vec<String>,
    _data: Option<tempfile::TempDir>,
}

#[derive(Clone, Debug, clap::Args)]
pub struct ServerArgs {
    /// Use a server already running here instead of starting one.
    #[arg(long)]
    pub url: Option<String>,
    /// The madang binary to start.
    #[arg(long, default_value = "target/release/madang")]
    pub bin: String,
    /// `postgres://…` for the started server; SQLite when absent.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Port for the started server.
    #[arg(long, default_value_t = 18400)]
    pub port: u16,
}

impl Server {
    pub async fn start(args: &ServerArgs) -> anyhow::Result<Server> {
        if let Some(url) = &args.url {
            return Ok(Server {
                base: url.trim_end_matches('/').to_owned(),
                child: None,
                args: args.clone(),
                serve_flags: Vec::new(),
                _data: None,
            });
        }
        Self::start_node(args, Vec::new()).await
    }

    /// A started server with more `serve` flags (e.g. `--models-dir`).
    pub async fn start_with_flags(args: &ServerArgs, flags: Vec<String>) -> anyhow::Result<Server> {
        if args.url.is_some() {
            bail!("this scenario starts its own server: leave out --url");
        }
        Self::start_node(args, flags).await
    }

    /// A started server with more configuration (TOML tables other than
    /// `[limits]`, which the bench sets).
    pub async fn start_with_config(args: &ServerArgs, extra: &str) -> anyhow::Result<Server> {
        if args.url.is_some() {
            bail!("this scenario starts its own server: leave out --url");
        }
        Self::start_node_with(args, Vec::new(), extra).await
    }

    /// `nodes` servers on one PostgreSQL database and NATS (ports `port`,
    /// `port + 1`, …), under a subject prefix of their own.
    pub async fn start_cluster(
        args: &ServerArgs,
        nodes: usize,
        nats_url: &str,
    ) -> anyhow::Result<Vec<Server>> {
        if args.url.is_some() || args.database_url.is_none() {
            bail!("a cluster needs --database-url postgres://… and no --url");
        }
        let prefix = format!("madangbench{}", std::process::id());
        let mut started = Vec::new();
        for n in 0..nodes {
            let args = ServerArgs {
                port: args.port + n as u16,
                ..args.clone()
            };
            let flags = ["--nats-url", nats_url, "--nats-prefix", &prefix];
            started.push(Self::start_node(&args, flags.map(str::to_owned).to_vec()).await?);
        }
        Ok(started)
    }

    async fn start_node(args: &ServerArgs, serve_flags: Vec<String>) -> anyhow::Result<Server> {
        Self::start_node_with(args, serve_flags, "").await
    }

    async fn start_node_with(
        args: &ServerArgs,
        serve_flags: Vec<String>,
        extra: &str,
    ) -> anyhow::Result<Server> {
        let data = tempfile::tempdir()?;
        std::fs::write(data.path().join("bench.toml"), format!("{BENCH_CONFIG}\n{extra}"))?;
        let mut server = Server {
            base: format!("http://127.0.0.1:{}", args.port),
            child: None,
            args: args.clone(),
            serve_flags,
            _data: Some(data),
        };
        server.spawn().await?;
        Ok(server)
    }

    /// `--config`, `--data-dir` and `--database-url` of the started server.
    fn common(&self, cmd: &mut Command) -> anyhow::Result<()> {
        let data = self
            ._data
            .as_ref()
            .context("only a server this bench started can be restarted or administered")?;
        cmd.arg("--config")
            .arg(data.path().join("bench.toml"))
            .arg("--data-dir")
            .arg(data.path());
        if let Some(url) = &self.args.database_url {
            cmd.args(["--database-url", url]);
        }
        Ok(())
    }

    async fn spawn(&mut self) -> anyhow::Result<()> {
        let mut cmd = Command::new(&self.args.bin);
        cmd.args(["serve", "--listen", &format!("127.0.0.1:{}", self.args.port)]);
        cmd.args(&self.serve_flags);
        self.common(&mut cmd)?;
        cmd.env("MADANG_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        let child = cmd
            .spawn()
            .with_context(|| format!("starting {} (build it with cargo build --release)", self.args.bin))?;
        self.child = Some(child);
        for _ in 0..600 {
            if reqwest::get(format!("{}/readyz", self.base))
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("the server did not become ready on {}", self.base)
    }

    /// `kill -9`, then the same server again on the same data.
    pub async fn kill_and_restart(&mut self) -> anyhow::Result<()> {
        if let Some(child) = self.child.as_mut() {
            child.start_kill()?;
            child.wait().await?;
        }
        self.spawn().await
    }

    /// `madang admin <args>` on the started server's data; its stdout.
    pub async fn admin(&self, args: &[&str]) -> anyhow::Result<String> {
        let mut cmd = Command::new(&self.args.bin);
        cmd.arg("admin");
        self.common(&mut cmd)?;
        let out = cmd
            .args(args)
            .env("MADANG_LOG", "warn")
            .stderr(Stdio::inherit())
            .output()
            .await?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        if !out.status.success() {
            bail!("madang admin {args:?} failed: {stdout}");
        }
        Ok(stdout)
    }

    /// Resident memory of the started server, in KiB, from /proc.
    pub fn rss_kib(&self) -> Option<u64> {
        let pid = self.child.as_ref()?.id()?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    pub async fn stop(mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
    }
}
