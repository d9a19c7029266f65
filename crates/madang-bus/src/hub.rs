//! The node-local routing table: which connections listen to which topic.

use crate::{Envelope, Topic};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use tokio::sync::mpsc;

/// Queue length per connection. A connection that falls this far behind is
/// marked lagged and resynchronises from the database instead.
const QUEUE: usize = 4096;

#[derive(Clone)]
struct Sink {
    tx: mpsc::Sender<Arc<Envelope>>,
    lagged: Arc<AtomicBool>,
}

#[derive(Default)]
pub struct Hub {
    topics: RwLock<HashMap<Topic, HashMap<u64, Sink>>>,
    next_id: AtomicU64,
    /// Told when a topic gets its first local listener and when it loses
    /// its last (a broker bus subscribes and unsubscribes on it), in the
    /// order the changes happened.
    interest: OnceLock<mpsc::UnboundedSender<Interest>>,
}

/// A change in what this node listens to, for a broker bus.
pub(crate) enum Interest {
    /// `true`: the topic's first local listener joined; `false`: its last left.
    Topic(Topic, bool),
    /// Answer once every change told before this one is in effect.
    Settle(tokio::sync::oneshot::Sender<()>),
}

impl Hub {
    pub fn subscribe(hub: &Arc<Hub>) -> Subscription {
        let (tx, rx) = mpsc::channel(QUEUE);
        let lagged = Arc::new(AtomicBool::new(false));
        Subscription {
            id: hub.next_id.fetch_add(1, Ordering::Relaxed),
            hub: hub.clone(),
            sink: Sink {
                tx,
                lagged: lagged.clone(),
            },
            rx,
            lagged,
            topics: HashSet::new(),
        }
    }

    /// Hands one envelope to every connection listening to its topic.
    pub fn dispatch(&self, envelope: Arc<Envelope>) {
        let topics = self.topics.read().unwrap_or_else(|p| p.into_inner());
        let Some(sinks) = topics.get(&envelope.topic) else {
            return;
        };
        for sink in sinks.values() {
            if sink.tx.try_send(envelope.clone()).is_err() {
                sink.lagged.store(true, Ordering::Release);
                metrics::counter!("madang_bus_lagged_total").increment(1);
            }
        }
    }

    /// Number of local connections listening to `topic`.
    pub fn listeners(&self, topic: Topic) -> usize {
        let topics = self.topics.read().unwrap_or_else(|p| p.into_inner());
        topics.get(&topic).map_or(0, HashMap::len)
    }

    /// Where first and last listeners of a topic are reported; set once.
    pub(crate) fn watch_interest(&self, tx: mpsc::UnboundedSender<Interest>) {
        let _ = self.interest.set(tx);
    }

    /// Reports a change of interest; called under the write lock, so the
    /// reports are in the order of the changes.
    fn tell(&self, topic: Topic, wanted: bool) {
        if let Some(tx) = self.interest.get() {
            // The receiver is gone only when the bus is: nothing to tell.
            let _ = tx.send(Interest::Topic(topic, wanted));
        }
    }

    fn add(&self, topic: Topic, id: u64, sink: Sink) {
        let mut topics = self.topics.write().unwrap_or_else(|p| p.into_inner());
        let sinks = topics.entry(topic).or_default();
        let first = sinks.is_empty();
        sinks.insert(id, sink);
        if first {
            self.tell(topic, true);
        }
    }

    fn remove(&self, topic: Topic, id: u64) {
        let mut topics = self.topics.write().unwrap_or_else(|p| p.into_inner());
        if let Some(sinks) = topics.get_mut(&topic) {
            sinks.remove(&id);
            if sinks.is_empty() {
                topics.remove(&topic);
                self.tell(topic, false);
            }
        }
    }
}

/// One connection's view of the bus: the topics it joined and its queue.
/// Dropping it leaves every topic.
pub struct Subscription {
    id: u64,
    hub: Arc<Hub>,
    sink: Sink,
    rx: mpsc::Receiver<Arc<Envelope>>,
    lagged: Arc<AtomicBool>,
    topics: HashSet<Topic>,
}

impl Subscription {
    pub fn join(&mut self, topic: Topic) {
        if self.topics.insert(topic) {
            self.hub.add(topic, self.id, self.sink.clone());
        }
    }

    pub fn leave(&mut self, topic: Topic) {
        if self.topics.remove(&topic) {
            self.hub.remove(topic, self.id);
        }
    }

    pub fn is_joined(&self, topic: Topic) -> bool {
        self.topics.contains(&topic)
    }

    /// The next envelope; `None` only if the hub is gone.
    pub async fn recv(&mut self) -> Option<Arc<Envelope>> {
        self.rx.recv().await
    }

    /// The next envelope if one is already queued.
    pub fn try_recv(&mut self) -> Option<Arc<Envelope>> {
        self.rx.try_recv().ok()
    }

    /// True once if envelopes were dropped since the last call: the
    /// connection must then resynchronise from the database.
    pub fn take_lagged(&self) -> bool {
        self.lagged.swap(false, Ordering::AcqRel)
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        for topic in self.topics.drain() {
            self.hub.remove(topic, self.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Live;
    use madang_types::{RoomId, UserId};

    fn typing(room: i64) -> Arc<Envelope> {
        let room_id = RoomId(room);
        Arc::new(Envelope::new(
            Topic::Room(room_id),
            Live::Typing {
                room_id,
                user_id: UserId(1),
            },
        ))
    }

    #[tokio::test]
    async fn delivers_only_to_joined_topics_and_forgets_dropped_subscriptions() {
        let hub = Arc::new(Hub::default());
        let mut a = Hub::subscribe(&hub);
        let b = Hub::subscribe(&hub);
        a.join(Topic::Room(RoomId(1)));
        hub.dispatch(typing(1));
        hub.dispatch(typing(2));
        assert_eq!(a.recv().await.map(|e| e.topic), Some(Topic::Room(RoomId(1))));
        assert!(a.rx.try_recv().is_err());
        drop(b);
        drop(a);
        assert_eq!(hub.listeners(Topic::Room(RoomId(1))), 0);
    }

    #[tokio::test]
    async fn a_full_queue_marks_the_connection_lagged_instead_of_blocking() {
        let hub = Arc::new(Hub::default());
        let mut a = Hub::subscribe(&hub);
        a.join(Topic::Room(RoomId(1)));
        for _ in 0..QUEUE + 1 {
            hub.dispatch(typing(1));
        }
        assert!(a.take_lagged());
        assert!(!a.take_lagged());
    }
}
