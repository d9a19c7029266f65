//! Wiring: one running node (store, blob store, bus, core, jobs, HTTP
//! server, scheduled backups) and its graceful stop.

use crate::config::Config;
use anyhow::Context;
use axum::serve::ListenerExt;
use madang_api::AppState;
use madang_bus::{Bus, LocalBus, NatsBus};
use madang_core::earnings::payments::TestPaymentProvider;
use madang_core::jobs::Jobs;
use madang_core::{Clock, Core, Deps};
use madang_outbound::{Outbound, Policy, VapidKey, WebPush, Webhooks};
use madang_store::{BlobStore, PushRepo, SearchRepo, SqlStore};
use metrics_exporter_prometheus::PrometheusHandle;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub struct Node {
    pub addr: SocketAddr,
    pub core: Arc<Core>,
    shutdown: watch::Sender<bool>,
    server: JoinHandle<std::io::Result<()>>,
    jobs: Jobs,
    /// Scheduled backups (`[backup] dir`), when on.
    backups: Option<JoinHandle<()>>,
    store: SqlStore,
    /// Answers outside the API document (tests fail on any).
    pub undocumented: Arc<madang_api::Undocumented>,
}

impl Node {
    /// Connects to the database (running migrations), binds the listener
    /// and starts serving and the background jobs.
    pub async fn start(
        config: &Config,
        clock: Arc<dyn Clock>,
        metrics: Option<PrometheusHandle>,
    ) -> anyhow::Result<Node> {
        let bus: Arc<dyn Bus> = if config.nats_url.is_empty() {
            Arc::new(LocalBus::new())
        } else {
            let bus = NatsBus::connect(&config.nats_url, &config.nats_prefix).await?;
            tracing::info!(prefix = %config.nats_prefix, "fanning out over NATS");
            Arc::new(bus)
        };
        Self::start_with_bus(config, clock, metrics, bus).await
    }

    /// As [`Node::start`], with a given bus (tests use one that loses messages).
    pub async fn start_with_bus(
        config: &Config,
        clock: Arc<dyn Clock>,
        metrics: Option<PrometheusHandle>,
        bus: Arc<dyn Bus>,
    ) -> anyhow::Result<Node> {
        let trusted_proxies = madang_api::TrustedProxies::parse(&config.trusted_proxies)
            .map_err(|e| anyhow::anyhow!("trusted_proxies: {e}"))?;
        let (core, store) = open_core(config, clock, bus).await?;
        index_backlog(&store).await?;
        let (shutdown, shutdown_rx) = watch::channel(false);
        let backups = (!config.backup.dir.is_empty()).then(|| {
            tokio::spawn(crate::backup::run_schedule(
                config.clone(),
                store.clone(),
                shutdown_rx.clone(),
            ))
        });
        let ping_store = store.clone();
        let undocumented = Arc::new(madang_api::Undocumented::default());
        let state = AppState {
            core: core.clone(),
            metrics,
            shutdown: shutdown_rx.clone(),
            ping_db: Arc::new(move || {
                let s = ping_store.clone();
                Box::pin(async move { s.ping().await.is_ok() })
            }),
            trusted_proxies: Arc::new(trusted_proxies),
            undocumented: undocumented.clone(),
        };
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("listening on {}", config.listen))?;
        let addr = listener.local_addr()?;
        // Live events are small writes: without TCP_NODELAY, Nagle holds
        // one back until the client acknowledges the previous one, which a
        // client delaying its ACKs does up to 40 ms later.
        let listener = listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "could not set TCP_NODELAY");
            }
        });
        let app = madang_api::app(state).into_make_service_with_connect_info::<SocketAddr>();
        let mut stop = shutdown_rx;
        let server = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stop.wait_for(|&s| s).await;
                })
                .await
        });
        let jobs = Jobs::start(core.clone());
        Ok(Node {
            addr,
            core,
            shutdown,
            server,
            jobs,
            backups,
            store,
            undocumented,
        })
    }

    /// Stops taking requests, tells sockets to reconnect elsewhere, lets
    /// in-flight requests finish (each acknowledged send is already
    /// committed), stops the jobs and closes the database.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.shutdown.send(true);
        match tokio::time::timeout(Duration::from_secs(20), self.server).await {
            Ok(joined) => joined??,
            Err(_) => tracing::warn!("connections still open after 20 s; stopping anyway"),
        }
        self.jobs.stop().await;
        if let Some(backups) = self.backups {
            // A backup under way finishes first (it reads one snapshot).
            let _ = backups.await;
        }
        self.store.close().await;
        Ok(())
    }
}

/// Indexes for search the messages written before the index existed
/// (once, at the first start after the upgrade), before serving, so
/// search ids follow the order messages were written.
async fn index_backlog(store: &SqlStore) -> anyhow::Result<()> {
    let last_tenth = std::sync::atomic::AtomicU64::new(0);
    let indexed = store
        .index_backlog(&|done, total| {
            let tenth = done * 10 / total.max(1);
            if tenth > last_tenth.swap(tenth, std::sync::atomic::Ordering::Relaxed) {
                tracing::info!("indexing messages for search: {done} of {total}");
            }
        })
        .await
        .context("indexing messages for search")?;
    if indexed > 0 {
        tracing::info!(indexed, "messages indexed for search");
    }
    Ok(())
}

/// The database, media store and use cases of a node, without serving
/// (the node's own wiring, and `madang admin`'s).
pub async fn open_core(
    config: &Config,
    clock: Arc<dyn Clock>,
    bus: Arc<dyn Bus>,
) -> anyhow::Result<(Arc<Core>, SqlStore)> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating data folder {}", config.data_dir.display()))?;
    let store = SqlStore::connect(&config.database_url(), config.database_max_connections)
        .await
        .context("opening the database")?;
    let blobs = BlobStore::open(&config.blob_store()).context("opening the media store")?;
    let clock_now = clock.now();
    let core = Arc::new(Core::new(Deps {
        repos: Arc::new(store.clone()),
        blobs,
        bus,
        clock,
        limits: config.limits.clone(),
        payments: Arc::new(TestPaymentProvider::default()),
        models: crate::ai::models(config).await?,
        push: push_sender(config, &store, clock_now).await?,
        webhooks: webhook_sender(config)?,
    }));
    Ok((core, store))
}

/// Web Push's signer and sender: the VAPID key from the database (made
/// there by the first node to start), and the outbound guard from
/// `[push]`. None when push is off.
async fn push_sender(
    config: &Config,
    store: &SqlStore,
    now: madang_types::Millis,
) -> anyhow::Result<Option<Arc<WebPush>>> {
    let push = &config.push;
    if !push.enabled {
        return Ok(None);
    }
    let fresh = VapidKey::generate();
    let stored = store
        .vapid_key(&fresh.private_base64(), &fresh.public_base64(), now)
        .await
        .context("reading the VAPID key")?;
    let key = VapidKey::from_private_base64(&stored).context("the stored VAPID key")?;
    let outbound = outbound(
        "push",
        &push.allowed_hosts,
        &push.private_hosts,
        &push.ca_file,
        push.timeout_secs,
    )?;
    Ok(Some(Arc::new(WebPush::new(outbound, key, push.contact.clone()))))
}

/// Bots' webhook sender, from `[webhooks]`. None when webhooks are off.
fn webhook_sender(config: &Config) -> anyhow::Result<Option<Webhooks>> {
    let w = &config.webhooks;
    if !w.enabled {
        return Ok(None);
    }
    let outbound = outbound(
        "webhooks",
        &w.allowed_hosts,
        &w.private_hosts,
        &w.ca_file,
        w.timeout_secs,
    )?;
    Ok(Some(Webhooks::new(outbound)))
}

/// The outbound guard of one section (`push`, `webhooks`).
fn outbound(
    section: &str,
    allowed_hosts: &[String],
    private_hosts: &[String],
    ca_file: &str,
    timeout_secs: u64,
) -> anyhow::Result<Outbound> {
    let extra_roots_pem = match ca_file {
        "" => None,
        path => Some(std::fs::read(path).with_context(|| format!("reading {section}.ca_file {path}"))?),
    };
    Outbound::new(Policy {
        allowed_hosts: allowed_hosts.to_vec(),
        private_hosts: private_hosts.to_vec(),
        timeout: Duration::from_secs(timeout_secs.max(1)),
        extra_roots_pem,
    })
    .with_context(|| format!("{section}'s HTTP client"))
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => futures::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = futures::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
