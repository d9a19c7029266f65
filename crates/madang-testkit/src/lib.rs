//! Test harness: a real node on a fresh database per test, on SQLite or
//! PostgreSQL, with a manual clock, plus HTTP and WebSocket clients that
//! speak the public API exactly as an app would.
//!
//! Backend: SQLite by default. With `MADANG_TEST_DATABASE=postgres` every
//! test gets its own PostgreSQL database (created and dropped here) on
//! `MADANG_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`);
//! if that server cannot be reached the test fails, it is never skipped.

mod db;
mod http;
mod lossy;
mod models;
pub mod process;
pub mod stand_in;
mod ws;

pub use db::{Backend, TestDb};
pub use http::{Client, Reply};
pub use lossy::LossyBus;
pub use models::models_dir;
pub use ws::{Ws, event_seqs};

use madang::config::Config;
use madang::node::Node;
use madang_bus::{Bus, LocalBus};
use madang_core::{Limits, ManualClock};
use madang_types::Millis;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// 2026-01-01T00:00:00Z: tests start here and move the clock themselves.
pub const EPOCH: Millis = Millis(1_767_225_600_000);

/// Limits for tests: cheap password hashing, otherwise the defaults.
pub fn test_limits() -> Limits {
    Limits {
        password_memory_kib: 256,
        ..Limits::default()
    }
}

/// A unique, valid handle for this process.
pub fn handle(prefix: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    format!("{prefix}{}", N.fetch_add(1, Ordering::Relaxed))
}

pub struct TestServer {
    node: Option<Node>,
    pub base: String,
    pub clock: Arc<ManualClock>,
    pub config: Config,
    pub db: TestDb,
    _data: tempfile::TempDir,
    /// What the nodes answered outside the API document, checked on drop.
    undocumented: Vec<Arc<madang_api::Undocumented>>,
}

impl Drop for TestServer {
    /// Every answer a test met must be one the API document lists: a
    /// refusal a handler gives but does not declare fails the test.
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let seen: Vec<String> = self.undocumented.iter().flat_map(|u| u.take()).collect();
        // For a person writing declarations: collect instead of failing.
        if let Ok(dump) = std::env::var("MADANG_UNDOCUMENTED_DUMP") {
            use std::io::Write;
            if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(dump) {
                for line in &seen {
                    let _ = writeln!(f, "{line}");
                }
            }
            return;
        }
        assert!(
            seen.is_empty(),
            "answers the API document does not list (declare them in the route's refusals):\n{}",
            seen.join("\n")
        );
    }
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(test_limits()).await
    }

    pub async fn start_with(limits: Limits) -> TestServer {
        Self::start_full(limits, Arc::new(LocalBus::new())).await
    }

    pub async fn start_full(limits: Limits, bus: Arc<dyn Bus>) -> TestServer {
        Self::start_configured(limits, bus, |_| {}).await
    }

    /// A node with the default models of [`models_dir`] (pulled if missing).
    pub async fn start_with_models(limits: Limits) -> TestServer {
        let models = models_dir().await;
        Self::start_configured(limits, Arc::new(LocalBus::new()), move |c| {
            c.ai.models_dir = models.display().to_string();
        })
        .await
    }

    /// As [`TestServer::start_full`], with the configuration changed by `tweak`.
    pub async fn start_configured(
        limits: Limits,
        bus: Arc<dyn Bus>,
        tweak: impl FnOnce(&mut Config),
    ) -> TestServer {
        let db = TestDb::create().await;
        let data = tempfile::tempdir().expect("temp dir");
        let mut config = Config {
            listen: "127.0.0.1:0".parse().expect("address"),
            data_dir: data.path().to_path_buf(),
            database_url: db.url.clone(),
            limits,
            ..Config::default()
        };
        tweak(&mut config);
        let clock = Arc::new(ManualClock::new(EPOCH));
        let node = Node::start_with_bus(&config, clock.clone(), None, bus)
            .await
            .expect("node starts");
        TestServer {
            base: format!("http://{}", node.addr),
            undocumented: vec![node.undocumented.clone()],
            node: Some(node),
            clock,
            config,
            db,
            _data: data,
        }
    }

    pub fn node(&self) -> &Node {
        self.node.as_ref().expect("node running")
    }

    /// A client with no account yet.
    pub fn anonymous(&self) -> Client {
        Client::new(&self.base)
    }

    /// Signs up a fresh account and returns its logged-in client.
    pub async fn user(&self, prefix: &str) -> Client {
        let mut c = self.anonymous();
        c.sign_up(&handle(prefix)).await;
        c
    }

    /// Stops the node gracefully (the database stays until drop).
    pub async fn stop(&mut self) {
        if let Some(node) = self.node.take() {
            node.stop().await.expect("clean stop");
        }
    }

    /// Starts a node again on the same database, data folder and clock
    /// (after [`TestServer::stop`]), on a new port: `base` changes.
    pub async fn start_again(&mut self) {
        assert!(self.node.is_none(), "stop the node first");
        let node = Node::start_with_bus(&self.config, self.clock.clone(), None, Arc::new(LocalBus::new()))
            .await
            .expect("node starts again");
        self.base = format!("http://{}", node.addr);
        self.undocumented.push(node.undocumented.clone());
        self.node = Some(node);
    }

    /// Where the node keeps media files.
    pub fn media_dir(&self) -> std::path::PathBuf {
        self.config.data_dir.join("media")
    }
}
