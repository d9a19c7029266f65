//! The outbox job, on every node: marks the node alive, expands the
//! outbox into per-device pushes and bots' webhook deliveries (sent by
//! `bots::webhook`), queues what live sockets left unacknowledged, and
//! sends the pushes that are due. Claims take rows with `FOR UPDATE SKIP LOCKED`
//! on PostgreSQL and hold them under a lease, so nodes sharing a database
//! send each push once, and a node that dies mid-send leaves its claims
//! to lapse and be taken again.

use super::payload::Skip;
use crate::Core;
use futures::StreamExt;
use madang_outbound::{Outcome, Push, Subscription, Urgency};
use madang_store::{DuePush, PushMark};
use madang_types::Millis;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How often the job looks at the database when nothing woke it.
const POLL: Duration = Duration::from_millis(500);
/// How often the node marks itself alive.
const ALIVE_EVERY: Duration = Duration::from_secs(5);
/// A node silent this long is dead: its sockets no longer count.
const DEAD_AFTER_MS: i64 = 20_000;
/// How long a claim is held.
const LEASE_MS: i64 = 60_000;
/// Outbox events expanded, and pushes claimed, per round.
const BATCH: i64 = 512;
/// Pushes in flight at once.
const IN_FLIGHT: usize = 64;
/// Tries before a push is given up.
const MAX_ATTEMPTS: i64 = 10;
/// How long a push service keeps a message for an unreachable device.
const TTL: Duration = Duration::from_secs(24 * 3600);

pub(crate) async fn run(core: Arc<Core>, mut stop: watch::Receiver<bool>) {
    // Runs even with push and webhooks off: the outbox is drained. Which
    // nodes and sockets are alive matters to push only.
    let mut last_alive: Option<Instant> = None;
    loop {
        if core.push.sender.is_some() && last_alive.is_none_or(|t| t.elapsed() >= ALIVE_EVERY) {
            let now = core.now();
            match core
                .repos
                .node_alive(&core.push.live.node, now, Millis(now.0 - DEAD_AFTER_MS))
                .await
            {
                Ok(()) => last_alive = Some(Instant::now()),
                Err(e) => tracing::warn!(error = %e, "push: could not mark the node alive"),
            }
            if let Ok(depth) = core.repos.push_queue_depth().await {
                metrics::gauge!("madang_push_queue_depth").set(depth as f64);
            }
        }
        // Pushes queued this round fall due once the coalescing window has
        // passed: look again then rather than at the next poll.
        let next = match round(&core).await {
            Ok(true) => POLL.min(Duration::from_millis(
                core.limits.push_coalesce_ms.max(10) as u64 + 10,
            )),
            Ok(false) => POLL,
            Err(e) => {
                metrics::counter!("madang_job_errors_total", "job" => "push").increment(1);
                tracing::warn!(error = %e, "push round failed; retrying");
                POLL
            }
        };
        tokio::select! {
            _ = core.push.wake.notified() => {}
            _ = tokio::time::sleep(next) => {}
            _ = stop.changed() => return,
        }
    }
}

/// One round: expand, sweep sockets, send, until nothing is left due.
/// Whether it queued pushes that are not yet due.
async fn round(core: &Arc<Core>) -> crate::Result<bool> {
    let mut queued = false;
    loop {
        let now = core.now();
        let events = core
            .repos
            .claim_outbox(now, Millis(now.0 + LEASE_MS), BATCH)
            .await?;
        let alive_since = Millis(now.0 - DEAD_AFTER_MS);
        let mut deliveries_queued = false;
        let pushing = core.push.sender.is_some();
        for event in &events {
            // With push and webhooks both off, the outbox is only drained.
            let message = if pushing || core.webhooks.sender.is_some() {
                core.pushed_message(event.room_id, event.seq).await?
            } else {
                None
            };
            let (wishes, deliveries) = match message {
                Some(message) => {
                    let wishes = if pushing {
                        let candidates = core.repos.push_candidates(event, alive_since).await?;
                        core.wishes(&candidates, &message, now)
                    } else {
                        Vec::new()
                    };
                    (wishes, core.webhook_deliveries(&message.0).await?)
                }
                None => (Vec::new(), Vec::new()),
            };
            queued |= !wishes.is_empty();
            deliveries_queued |= !deliveries.is_empty();
            core.repos.expand_outbox(event.id, &wishes, &deliveries).await?;
        }
        if deliveries_queued {
            core.webhooks.wake.notify_one();
        }
        if !pushing {
            if events.len() < BATCH as usize {
                return Ok(false);
            }
            continue;
        }
        let overdue = core.push.live.overdue(Millis(now.0 - core.limits.push_grace_ms));
        queued |= !overdue.is_empty();
        for (session, room, seq) in &overdue {
            core.push_missed(session, *room, *seq).await;
        }
        let due = core
            .repos
            .claim_pushes(now, Millis(now.0 + LEASE_MS), BATCH)
            .await?;
        let sent = due.len();
        // Outcomes are written as they come, a chunk per transaction: a
        // write per push would make SQLite's single writer the limit. The
        // writer runs beside the sends (never pausing them while it waits
        // for a connection). A crash between a send and its chunk's write
        // sends again once the lease lapses (at least once; the Topic and
        // tag collapse it).
        let (marks_tx, mut marks_rx) = tokio::sync::mpsc::unbounded_channel::<PushMark>();
        // The closure owns the sender: once every send is done, the channel
        // closes and the writer finishes.
        let sending = futures::stream::iter(due).for_each_concurrent(IN_FLIGHT, move |push| {
            let core = core.clone();
            let marks_tx = marks_tx.clone();
            async move {
                match send_one(&core, &push).await {
                    Ok(mark) => {
                        let _ = marks_tx.send(mark);
                    }
                    Err(e) => tracing::warn!(error = %e, "push: could not build a payload"),
                }
            }
        });
        let writing = async {
            let mut chunk = Vec::with_capacity(IN_FLIGHT);
            let mut result = Ok(());
            while marks_rx.recv_many(&mut chunk, IN_FLIGHT).await > 0 {
                if let Err(e) = core.repos.mark_pushes(&chunk).await {
                    result = Err(e);
                }
                chunk.clear();
            }
            result
        };
        let ((), written) = tokio::join!(sending, writing);
        written?;
        if events.len() < BATCH as usize && (sent as i64) < BATCH {
            return Ok(queued);
        }
    }
}

/// Sends one due push; what came of it, to be recorded.
async fn send_one(core: &Core, due: &DuePush) -> crate::Result<PushMark> {
    let next_due = Millis(core.now().0 + core.limits.push_coalesce_ms);
    let done = PushMark::Done {
        device: due.device_id,
        room: due.room_id,
        seq: due.last_seq,
        next_due,
    };
    let Some(sender) = core.push.sender.as_ref() else {
        return Ok(done);
    };
    let payload = match core.push_payload(due).await? {
        Ok(p) => p,
        Err(Skip::Nothing) => {
            metrics::counter!("madang_push_sent_total", "result" => "skipped").increment(1);
            return Ok(done);
        }
    };
    let push = Push {
        payload: serde_json::to_vec(&payload).unwrap_or_default(),
        ttl: TTL,
        urgency: if due.urgent {
            Urgency::High
        } else {
            Urgency::Normal
        },
        topic: Some(format!("r{}", due.room_id.0)),
    };
    let subscription = Subscription {
        endpoint: due.subscription.endpoint.clone(),
        p256dh: due.subscription.p256dh.clone(),
        auth: due.subscription.auth.clone(),
    };
    let outcome = sender.send(&subscription, &push).await;
    metrics::counter!("madang_push_sent_total", "result" => outcome.label()).increment(1);
    Ok(match outcome {
        Outcome::Delivered => {
            let latency = (core.now().0 - due.first_at.0).max(0) as f64 / 1000.0;
            metrics::histogram!("madang_push_latency_seconds").record(latency);
            done
        }
        Outcome::Gone | Outcome::Refused(_) | Outcome::BadKeys(_) => {
            tracing::info!(device = %due.device_id, result = outcome.label(), "push subscription dropped");
            PushMark::Gone {
                device: due.device_id,
                endpoint: due.subscription.endpoint.clone(),
            }
        }
        Outcome::Rejected(status) => {
            tracing::warn!(device = %due.device_id, status, "push service refused a push; dropped");
            done
        }
        Outcome::RetryLater(after) => {
            if due.attempts >= MAX_ATTEMPTS {
                tracing::warn!(device = %due.device_id, "push given up after {MAX_ATTEMPTS} tries");
                done
            } else {
                let wait = madang_outbound::backoff(due.attempts).max(after.unwrap_or_default());
                PushMark::Later {
                    device: due.device_id,
                    room: due.room_id,
                    due_at: Millis(core.now().0 + wait.as_millis() as i64),
                }
            }
        }
    })
}
