//! Fan-out of live events. The database is the source of truth; the bus
//! only says "this happened" quickly, so a connection that misses something
//! here (a full queue, a lost node) recovers it from the database by `seq`.
//!
//! [`Hub`] is the node-local routing table from [`Topic`] to the live
//! connections interested in it. [`Bus`] publishes; the in-process
//! [`LocalBus`] hands each publish straight to the hub, and [`NatsBus`]
//! also carries it to the other nodes over NATS, each of which subscribes
//! only to the topics its own connections joined.

mod hub;
mod nats;

pub use hub::{Hub, Subscription};
pub use nats::NatsBus;

use async_trait::async_trait;
use madang_types::events::{ReadMark, RoomEvent};
use madang_types::{ChannelId, DeviceId, OpenChatId, PungId, RoomId, UserId};
use std::any::Any;
use std::sync::{Arc, OnceLock};

/// What a live message is about. Each topic is one subject on a broker:
/// see [`Topic::subject`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Topic {
    /// Everything that happens in one room: events, reads, typing.
    Room(RoomId),
    /// Things about one account: rooms added or removed, devices revoked.
    User(UserId),
    /// What every node keeps in memory and another node changed (an open
    /// chat to re-index). Only the nodes' own jobs listen, never a client.
    Cluster,
}

impl Topic {
    /// The broker subject, e.g. `madang.room.42`.
    pub fn subject(&self, prefix: &str) -> String {
        match self {
            Topic::Room(id) => format!("{prefix}.room.{id}"),
            Topic::User(id) => format!("{prefix}.user.{id}"),
            Topic::Cluster => format!("{prefix}.cluster"),
        }
    }
}

/// A live signal. Serialised as JSON between nodes.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Live {
    /// A committed room event (already durable).
    Event(RoomEvent),
    /// Read cursors that moved in a room, coalesced.
    Reads {
        room_id: RoomId,
        reads: Vec<ReadMark>,
    },
    Typing {
        room_id: RoomId,
        user_id: UserId,
    },
    /// The user became a member of a room.
    RoomAdded {
        room_id: RoomId,
    },
    /// The user is no longer a member of a room.
    RoomRemoved {
        room_id: RoomId,
    },
    /// A device was logged out or revoked: its connections must close.
    DeviceRevoked {
        device_id: DeviceId,
    },
    /// A Pung the user may see was posted. Published only to its audience.
    PungPosted {
        pung_id: PungId,
        author_id: UserId,
    },
    /// A Pung the user could see (or wrote) was deleted or expired.
    PungRemoved {
        pung_id: PungId,
    },
    /// Someone viewed, reacted to or voted on the user's Pung.
    PungActivity {
        pung_id: PungId,
    },
    /// Which Pungs the user may see changed: a friendship ended or a
    /// block was made.
    PungsChanged,
    /// On a room's topic: a poll's votes changed, or it closed.
    PollChanged {
        room_id: RoomId,
        seq: madang_types::Seq,
    },
    /// To a bot: a person pressed a postback button under its message.
    ButtonPressed(madang_types::api::ButtonPress),
    /// The user's chat folders changed.
    FoldersChanged,
    /// The user read a thread (on one of their devices).
    ThreadRead {
        room_id: RoomId,
        root: madang_types::Seq,
        thread_seq: madang_types::Seq,
    },
    /// One of the user's scheduled messages changed.
    ScheduledChanged(Box<madang_types::scheduled::ScheduledMessage>),
    /// For a business's agents: a conversation in a channel's inbox changed.
    InboxChanged {
        channel_id: ChannelId,
        room_id: RoomId,
    },
    /// On a room's topic: history was imported before its first message.
    HistoryImported {
        room_id: RoomId,
    },
    /// One of the user's exports moved on, finished, failed or expired.
    ExportChanged(Box<madang_types::history::ExportJob>),
    /// The user's import moved on.
    ImportProgress(madang_types::history::ImportProgress),
    /// On [`Topic::Cluster`]: an open chat was made, changed or closed;
    /// each node re-reads it for its search index.
    OpenChatChanged {
        open_chat_id: OpenChatId,
    },
}

/// A published signal, shared by every receiving connection. The gateway
/// encodes it for the wire once and caches the encoding here, so a fan-out
/// to N sockets serialises once, not N times.
#[derive(Debug)]
pub struct Envelope {
    pub topic: Topic,
    pub live: Live,
    wire: OnceLock<Box<dyn Any + Send + Sync>>,
}

impl Envelope {
    pub fn new(topic: Topic, live: Live) -> Self {
        Envelope {
            topic,
            live,
            wire: OnceLock::new(),
        }
    }

    /// The cached wire encoding, made by `encode` on first use.
    pub fn wire<T: Clone + Send + Sync + 'static>(&self, encode: impl Fn(&Live) -> T) -> T {
        let cached = self.wire.get_or_init(|| Box::new(encode(&self.live)));
        match cached.downcast_ref::<T>() {
            Some(v) => v.clone(),
            // Another encoding type was cached first; encode without caching.
            None => encode(&self.live),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("bus unavailable: {0}")]
    Unavailable(String),
}

/// Publishes live signals and hands out subscriptions for connections.
#[async_trait]
pub trait Bus: Send + Sync {
    /// Publishes one signal. An error is returned (and counted in
    /// `madang_bus_publish_errors_total`); the caller has already committed,
    /// so receivers will recover from the database.
    async fn publish(&self, topic: Topic, live: Live) -> Result<(), BusError>;
    /// A new, empty subscription for one connection.
    fn subscribe(&self) -> Subscription;
    /// Returns once every topic joined so far receives what any node
    /// publishes from now on. Joining is immediate on one node; across
    /// nodes the broker must have the subscription first. A connection
    /// calls this between joining and reading the database (invariant 4).
    async fn settled(&self) {}
    /// True when other nodes publish on this bus too: what a node keeps in
    /// memory must then be shared (in the database) or kept current from
    /// [`Topic::Cluster`].
    fn spans_nodes(&self) -> bool {
        false
    }
}

/// The single-node bus: publishing is a direct hand-off to the local hub.
#[derive(Clone, Default)]
pub struct LocalBus {
    hub: Arc<Hub>,
}

impl LocalBus {
    pub fn new() -> Self {
        LocalBus {
            hub: Arc::new(Hub::default()),
        }
    }
}

#[async_trait]
impl Bus for LocalBus {
    async fn publish(&self, topic: Topic, live: Live) -> Result<(), BusError> {
        metrics::counter!("madang_bus_published_total").increment(1);
        self.hub.dispatch(Arc::new(Envelope::new(topic, live)));
        Ok(())
    }

    fn subscribe(&self) -> Subscription {
        Hub::subscribe(&self.hub)
    }
}
