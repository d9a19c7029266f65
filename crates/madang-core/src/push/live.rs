//! This node's live sockets, for push. Each is a row in `push_sockets`
//! while open, so the job on any node can tell that its device has the
//! events on screen. The socket acknowledges the messages it is given
//! (`received`); one left unacknowledged for `push_grace_ms`, or still
//! unacknowledged when the socket closes, is queued for a push to the
//! device. Only messages committed after the socket opened are watched:
//! older ones were expanded while the device had no socket, and pushed
//! then.

use crate::{Core, Session};
use madang_store::PushWish;
use madang_types::events::{EventBody, RoomEvent};
use madang_types::{Millis, RoomId, Seq};
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// One open socket's handle.
#[derive(Debug)]
pub struct PushSocket {
    id: u64,
    name: String,
}

struct Watched {
    session: Session,
    opened_at: Millis,
    /// Messages given and not yet acknowledged: room, seq, when given.
    unacked: Vec<(RoomId, Seq, Millis)>,
}

pub(crate) struct LiveSockets {
    /// This node's name in `push_sockets` and `push_nodes`.
    pub(crate) node: String,
    next: AtomicU64,
    sockets: Mutex<HashMap<u64, Watched>>,
}

impl LiveSockets {
    pub(crate) fn new() -> Self {
        let node = format!("{:016x}", rand::random::<u64>());
        LiveSockets {
            node,
            next: AtomicU64::new(1),
            sockets: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Watched>> {
        self.sockets.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes the watched messages given before `given_before`.
    pub(crate) fn overdue(&self, given_before: Millis) -> Vec<(Session, RoomId, Seq)> {
        let mut out = Vec::new();
        for w in self.lock().values_mut() {
            w.unacked.retain(|&(room, seq, given)| {
                if given < given_before {
                    out.push((w.session, room, seq));
                    false
                } else {
                    true
                }
            });
        }
        out
    }
}

impl Core {
    /// Registers a socket of `me`'s device as live.
    pub async fn push_socket_opened(&self, me: &Session) -> PushSocket {
        let live = &self.push.live;
        let id = live.next.fetch_add(1, Ordering::Relaxed);
        let name = format!("{}-{id}", live.node);
        let opened_at = self.now();
        live.lock().insert(
            id,
            Watched {
                session: *me,
                opened_at,
                unacked: Vec::new(),
            },
        );
        if self.push.sender.is_some()
            && let Err(e) = self
                .repos
                .socket_opened(&name, me.device, &live.node, opened_at)
                .await
        {
            // The device then looks offline and is pushed what it also
            // sees: a duplicate notification, nothing lost.
            tracing::warn!(error = %e, "could not record a live socket");
        }
        PushSocket { id, name }
    }

    /// Notes a room event given to the socket: a message from someone else,
    /// committed after the socket opened, is watched for its acknowledgement.
    pub fn push_given(&self, socket: &PushSocket, event: &RoomEvent) {
        if self.push.sender.is_none() {
            return;
        }
        let EventBody::Message { .. } = &event.body else {
            return;
        };
        let now = self.now();
        // Bounded by the job's sweep, which takes what is overdue.
        if let Some(w) = self.push.live.lock().get_mut(&socket.id)
            && event.at >= w.opened_at
        {
            w.unacked.push((event.room_id, event.seq, now));
        }
    }

    /// The socket's client has everything of `room` up to `seq`.
    pub fn push_received(&self, socket: &PushSocket, room: RoomId, seq: Seq) {
        if let Some(w) = self.push.live.lock().get_mut(&socket.id) {
            w.unacked.retain(|&(r, s, _)| r != room || s > seq);
        }
    }

    /// The socket closed: what it left unacknowledged is pushed.
    pub async fn push_socket_closed(&self, socket: PushSocket) {
        let watched = self.push.live.lock().remove(&socket.id);
        if self.push.sender.is_none() {
            return;
        }
        if let Err(e) = self.repos.socket_closed(&socket.name).await {
            tracing::warn!(error = %e, "could not forget a closed socket");
        }
        if let Some(w) = watched {
            for (room, seq, _) in w.unacked {
                self.push_missed(&w.session, room, seq).await;
            }
        }
    }

    /// Queues a push of `seq` in `room` to a device whose socket missed it.
    pub(crate) async fn push_missed(&self, who: &Session, room: RoomId, seq: Seq) {
        let result: crate::Result<()> = async {
            let Some(member) = self.repos.member(room, who.user).await? else {
                return Ok(());
            };
            let Some(message) = self.pushed_message(room, seq).await? else {
                return Ok(());
            };
            if member.read_seq >= seq {
                return Ok(());
            }
            let Some(urgent) = super::wants(member.shown_id, member.muted, &message.0, message.1) else {
                return Ok(());
            };
            let now = self.now();
            self.repos
                .wish_push(&PushWish {
                    device_id: who.device,
                    user_id: who.user,
                    room_id: room,
                    seq,
                    urgent,
                    at: message.0.created_at,
                    due_at: now,
                })
                .await?;
            self.push.wake.notify_one();
            Ok(())
        }
        .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, "could not queue a missed message's push");
        }
    }
}
