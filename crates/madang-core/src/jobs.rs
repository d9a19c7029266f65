//! Background jobs of the core. Each has a start, a work loop and a
//! graceful stop; [`Jobs::stop`] ends them all and waits. The read flusher
//! lives here; the Pung purge in `pung/purge.rs`; the discovery refresh in
//! `openchat/discovery.rs`; subscription renewals in
//! `earnings/subscriptions.rs`; the campaign sender in `local/campaigns.rs`; the
//! assistant's answers in `ai/assistant.rs`, the channel assistant's in
//! `local/assistant.rs`; Web Push in `push/job.rs`;
//! scheduled messages in `chat/scheduled.rs`; exports in
//! `history/export.rs`.

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
            tokio::spawn(crate::local::assistant::run(core.clone(), rx.clone())),
            tokio::spawn(crate::openchat::screening::run(core.clone(), rx.clone())),
            tokio::spawn(crate::push::job::run(core.clone(), rx.clone())),
            tokio::spawn(crate::bots::webhook::run(core.clone(), rx.clone())),
            tokio::spawn(crate::chat::scheduled::run(core.clone(), rx.clone())),
            tokio::spawn(crate::history::export::run(core.clone(), rx.clone())),
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

/// Work a node took on and does in the background, one item at a time
/// (the assistant's questions, messages to screen). Bounded: when full,
/// [`WorkQueue::push`] refuses rather than have the work done minutes
/// late.
pub(crate) struct WorkQueue<T> {
    tx: tokio::sync::mpsc::Sender<T>,
    rx: std::sync::Mutex<Option<tokio::sync::mpsc::Receiver<T>>>,
}

impl<T: Send + 'static> WorkQueue<T> {
    pub(crate) fn new(capacity: usize) -> Self {
        let (tx, rx) = tokio::sync::mpsc::channel(capacity);
        WorkQueue {
            tx,
            rx: std::sync::Mutex::new(Some(rx)),
        }
    }

    /// Queues `item`; false when the queue is full.
    pub(crate) fn push(&self, item: T) -> bool {
        self.tx.try_send(item).is_ok()
    }

    /// Does each queued item with `work` until stopped. Only the first
    /// call gets the items; a second returns at once.
    pub(crate) async fn serve<F, Fut>(&self, job: &'static str, mut stop: watch::Receiver<bool>, mut work: F)
    where
        F: FnMut(T) -> Fut,
        Fut: std::future::Future<Output = crate::Result<()>>,
    {
        let taken = self.rx.lock().ok().and_then(|mut rx| rx.take());
        let Some(mut items) = taken else {
            return;
        };
        loop {
            let item = tokio::select! {
                item = items.recv() => match item {
                    Some(item) => item,
                    None => return,
                },
                _ = stop.changed() => return,
            };
            if let Err(e) = work(item).await {
                metrics::counter!("madang_job_errors_total", "job" => job).increment(1);
                tracing::warn!(error = %e, job, "background work failed");
            }
        }
    }
}
