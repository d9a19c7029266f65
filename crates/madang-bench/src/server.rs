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
"#;

pub struct Server {
    pub base: String,
    child: Option<Child>,
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
                _data: None,
            });
        }
        let data = tempfile::tempdir()?;
        let config = data.path().join("bench.toml");
        std::fs::write(&config, BENCH_CONFIG)?;
        let mut cmd = Command::new(&args.bin);
        cmd.args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{}", args.port),
            "--config",
        ])
        .arg(&config)
        .arg("--data-dir")
        .arg(data.path())
        .env("MADANG_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
        if let Some(url) = &args.database_url {
            cmd.args(["--database-url", url]);
        }
        let child = cmd
            .spawn()
            .with_context(|| format!("starting {} (build it with cargo build --release)", args.bin))?;
        let base = format!("http://127.0.0.1:{}", args.port);
        for _ in 0..300 {
            if reqwest::get(format!("{base}/readyz"))
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return Ok(Server {
                    base,
                    child: Some(child),
                    _data: Some(data),
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("the server did not become ready on {base}")
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
