//! Background jobs of the core. Each has a start, a work loop and a
//! graceful stop; [`Jobs::stop`] ends them all and waits. The read flusher
//! lives here; the Pung purge in `pung/purge.rs`; the discovery refresh in
//! `openchat/discovery.rs`; subscription renewals in
//! `earnings/subscriptions.rs`; the campaign sender in `local/campaigns.rs`; the
//! assistant's answers in `ai/assistant.rs`.

use crate::Core;
use madang_bus::{Live, Topic};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub struct Jobs {
    stop: watch::Sender<bool>,
    handles: Vec<JoinHandle<()>>,
}

impl Jobs {
    pub fn start(core: Arc<Core>) -> Jobs {
        let (stop, rx) = watch::channel(false);
        let handles = vec![
            tokio::spawn(read_flusher(core.clone(), rx.clone())),
            tokio::spawn(crate::pung::purge::run(core.clone(), rx.clone())),
            tokio::spawn(crate::openchat::discovery::run(core.clone(), rx.clone())),
            tokio::spawn(crate::earnings::subscriptions::run(core.clone(), rx.clone())),
            tokio::spawn(crate::ratelimit::run(core.clone(), rx.clone())),
            tokio::spawn(crate::ai::assistant::run(core.clone(), rx.clone())),
            tokio::spawn(crate::local::campaigns::run(core, rx)),
        ];
        Jobs { stop, handles }
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for h in self.handles {
            let _ = h.await;
        }
    }
}

/// Runs `pass` at once and then every `every`, until the stop signal.
/// A pass that fails is counted under `job` and logged; the next runs on
/// time.
pub(crate) async fn repeat<F, Fut>(
    job: &'static str,
    every: Duration,
    mut stop: watch::Receiver<bool>,
    mut pass: F,
) where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = crate::Result<()>>,
{
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        if let Err(e) = pass().await {
            metrics::counter!("madang_job_errors_total", "job" => job).increment(1);
            tracing::warn!(error = %e, job, "job failed; retrying next round");
        }
    }
}

/// Sends the coalesced read-cursor moves every `read_coalesce_ms`.
async fn read_flusher(core: Arc<Core>, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_millis(core.limits.read_coalesce_ms.max(10)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let stopping = tokio::select! {
            _ = tick.tick() => false,
            _ = stop.changed() => true,
        };
        for (room_id, reads) in core.reads.drain() {
            core.publish(Topic::Room(room_id), Live::Reads { room_id, reads })
                .await;
        }
        if stopping {
            break;
        }
    }
}
