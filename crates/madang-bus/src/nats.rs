//! The fan-out bus across nodes, over NATS core pub/sub. Each node hands a
//! publish to its own connections at once and sends it to NATS once; it
//! subscribes only to the subjects of topics its own connections joined
//! (the hub reports a topic's first and last local listener), and drops
//! what comes back from itself. NATS keeps nothing: a node that misses a
//! message (not subscribed yet, NATS restarting) is no worse off than a
//! connection whose queue overflowed, and recovers from the database by
//! `seq`.

use crate::hub::Interest;
use crate::{Bus, BusError, Envelope, Hub, Live, Subscription, Topic};
use async_nats::HeaderMap;
use async_trait::async_trait;
use futures::StreamExt;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// The header naming the node a message came from.
const ORIGIN: &str = "Madang-Origin";
/// How long a publish may wait for the client's buffer.
const PUBLISH_WAIT: std::time::Duration = std::time::Duration::from_millis(500);

pub struct NatsBus {
    client: async_nats::Client,
    prefix: String,
    origin: String,
    hub: Arc<Hub>,
    router: JoinHandle<()>,
    interest: mpsc::UnboundedSender<Interest>,
}

impl NatsBus {
    /// Connects to NATS at `url`; subjects are `{prefix}.room.{id}` and
    /// `{prefix}.user.{id}`.
    pub async fn connect(url: &str, prefix: &str) -> Result<NatsBus, BusError> {
        let client = async_nats::ConnectOptions::new()
            .name("madang")
            .connect(url)
            .await
            .map_err(|e| BusError::Unavailable(format!("connecting to NATS at {url}: {e}")))?;
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let origin = format!("{:x}-{nanos:x}", std::process::id());
        let hub = Arc::new(Hub::default());
        let (tx, rx) = mpsc::unbounded_channel();
        hub.watch_interest(tx.clone());
        let router = tokio::spawn(route(
            client.clone(),
            prefix.to_owned(),
            origin.clone(),
            hub.clone(),
            rx,
        ));
        Ok(NatsBus {
            client,
            prefix: prefix.to_owned(),
            origin,
            hub,
            router,
            interest: tx,
        })
    }
}

impl Drop for NatsBus {
    fn drop(&mut self) {
        self.router.abort();
    }
}

#[async_trait]
impl Bus for NatsBus {
    async fn publish(&self, topic: Topic, live: Live) -> Result<(), BusError> {
        metrics::counter!("madang_bus_published_total").increment(1);
        let payload = serde_json::to_vec(&live).map_err(|e| BusError::Unavailable(e.to_string()))?;
        self.hub.dispatch(Arc::new(Envelope::new(topic, live)));
        let mut headers = HeaderMap::new();
        headers.insert(ORIGIN, self.origin.as_str());
        let send = self
            .client
            .publish_with_headers(topic.subject(&self.prefix), headers, payload.into());
        // While NATS is away the client buffers, then pushes back; a
        // committed write is not held up for it (others catch up by seq).
        let outcome = match tokio::time::timeout(PUBLISH_WAIT, send).await {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(e)) => e.to_string(),
            Err(_) => "NATS did not take the message in time".to_owned(),
        };
        metrics::counter!("madang_bus_publish_errors_total").increment(1);
        Err(BusError::Unavailable(outcome))
    }

    fn subscribe(&self) -> Subscription {
        Hub::subscribe(&self.hub)
    }

    fn spans_nodes(&self) -> bool {
        true
    }

    async fn settled(&self) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        if self.interest.send(Interest::Settle(tx)).is_ok() {
            // The router gone means no NATS: nothing more to wait for.
            let _ = rx.await;
        }
    }
}

/// Returns once the server has handled every command this client sent
/// before: it answers a message to ourselves only after the subscriptions
/// ahead of it. (`flush` only empties the client's buffer.)
async fn round_trip(client: &async_nats::Client) {
    let inbox = client.new_inbox();
    let echo = async {
        let mut sub = client.subscribe(inbox.clone()).await.ok()?;
        client.publish(inbox, bytes::Bytes::new()).await.ok()?;
        sub.next().await
    };
    if tokio::time::timeout(PUBLISH_WAIT * 4, echo)
        .await
        .ok()
        .flatten()
        .is_none()
    {
        metrics::counter!("madang_bus_settle_timeouts_total").increment(1);
        tracing::warn!("NATS did not answer a round trip; live events may come late");
    }
}

/// The forwarding task of each subscribed topic. Dropped with the router
/// (when the bus is), it stops them: a dropped `JoinHandle` alone would
/// leave them running.
#[derive(Default)]
struct TopicTasks(HashMap<Topic, JoinHandle<()>>);

impl Drop for TopicTasks {
    fn drop(&mut self) {
        for task in self.0.values() {
            task.abort();
        }
    }
}

/// Keeps one NATS subscription per topic with local listeners, each
/// forwarding what other nodes publish to the hub.
async fn route(
    client: async_nats::Client,
    prefix: String,
    origin: String,
    hub: Arc<Hub>,
    mut interest: mpsc::UnboundedReceiver<Interest>,
) {
    let mut subscribed = TopicTasks::default();
    while let Some(change) = interest.recv().await {
        let (topic, wanted) = match change {
            Interest::Topic(topic, wanted) => (topic, wanted),
            Interest::Settle(done) => {
                round_trip(&client).await;
                let _ = done.send(());
                continue;
            }
        };
        if !wanted {
            if let Some(task) = subscribed.0.remove(&topic) {
                // Dropping the subscriber unsubscribes.
                task.abort();
            }
            continue;
        }
        if subscribed.0.contains_key(&topic) {
            continue;
        }
        let mut sub = match client.subscribe(topic.subject(&prefix)).await {
            Ok(sub) => sub,
            Err(e) => {
                metrics::counter!("madang_bus_subscribe_errors_total").increment(1);
                tracing::warn!(error = %e, ?topic, "subscribing on NATS failed; its connections recover from the database");
                continue;
            }
        };
        let hub = hub.clone();
        let origin = origin.clone();
        subscribed.0.insert(
            topic,
            tokio::spawn(async move {
                while let Some(msg) = sub.next().await {
                    let mine = msg
                        .headers
                        .as_ref()
                        .and_then(|h| h.get(ORIGIN))
                        .is_some_and(|v| v.as_str() == origin);
                    if mine {
                        continue;
                    }
                    match serde_json::from_slice::<Live>(&msg.payload) {
                        Ok(live) => {
                            metrics::counter!("madang_bus_received_total").increment(1);
                            hub.dispatch(Arc::new(Envelope::new(topic, live)));
                        }
                        Err(e) => {
                            metrics::counter!("madang_bus_decode_errors_total").increment(1);
                            tracing::warn!(error = %e, ?topic, "a message on NATS did not decode");
                        }
                    }
                }
            }),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use madang_types::{RoomId, UserId};
    use std::time::Duration;

    fn url() -> String {
        std::env::var("MADANG_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned())
    }

    fn typing(room: i64, user: i64) -> Live {
        Live::Typing {
            room_id: RoomId(room),
            user_id: UserId(user),
        }
    }

    #[tokio::test]
    async fn another_node_receives_what_its_connections_joined_and_nobody_gets_an_echo() {
        let prefix = format!("madangbustest{}", std::process::id());
        let a = NatsBus::connect(&url(), &prefix).await.expect("NATS is running");
        let b = NatsBus::connect(&url(), &prefix).await.expect("NATS is running");
        let mut on_a = a.subscribe();
        let mut on_b = b.subscribe();
        on_a.join(Topic::Room(RoomId(1)));
        on_b.join(Topic::Room(RoomId(1)));
        a.settled().await;
        b.settled().await;
        a.publish(Topic::Room(RoomId(1)), typing(1, 7)).await.unwrap();
        // Room 2 has no listener on b: b never subscribed to it.
        a.publish(Topic::Room(RoomId(2)), typing(2, 7)).await.unwrap();
        let wait = Duration::from_secs(5);
        let got = tokio::time::timeout(wait, on_b.recv()).await.unwrap().unwrap();
        assert_eq!((got.topic, &got.live), (Topic::Room(RoomId(1)), &typing(1, 7)));
        let mine = tokio::time::timeout(wait, on_a.recv()).await.unwrap().unwrap();
        assert_eq!(mine.live, typing(1, 7));
        // Neither the publisher's own echo nor room 2 arrives.
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(on_a.try_recv().is_none());
        assert!(on_b.try_recv().is_none());
        // Listeners come and go: a topic joined later is subscribed too.
        drop(on_b);
        b.settled().await;
        let mut again = b.subscribe();
        again.join(Topic::Room(RoomId(3)));
        b.settled().await;
        a.publish(Topic::Room(RoomId(1)), typing(1, 8)).await.unwrap();
        a.publish(Topic::Room(RoomId(3)), typing(3, 8)).await.unwrap();
        let next = tokio::time::timeout(wait, again.recv()).await.unwrap().unwrap();
        assert_eq!(next.live, typing(3, 8));
    }
}
