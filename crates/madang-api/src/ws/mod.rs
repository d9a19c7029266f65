//! The WebSocket gateway: one socket per device at `/api/v1/ws`.
//!
//! On connect the socket subscribes to the user's topic and every room,
//! *then* waits for `resume` (the device's cursors), replays from the
//! database what the device missed, sends `ready`, and goes live. Each room
//! event passes [`Cursors::admit`], so replay and live overlap without a
//! gap or a duplicate (invariant 4). A lost bus message shows up as a gap
//! and is filled from the database (invariant 9).

pub mod protocol;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::Auth;
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use futures::SinkExt;
use madang_bus::{Envelope, Live, Subscription, Topic};
use madang_core::chat::live::{Admit, Cursors};
use madang_core::push::live::PushSocket;
use madang_core::{Core, Error, Session};
use madang_types::events::{ClientFrame, ReadMark, RoomEvent, ServerFrame};
use madang_types::{RoomId, Seq};
use protocol::{decode_client_frame, encode};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::{Instant, interval, timeout};

/// Interval of server pings.
const PING_EVERY: Duration = Duration::from_secs(25);
/// A socket silent for this long is closed.
const IDLE_LIMIT: Duration = Duration::from_secs(70);
/// How long the server waits for `resume` before going live without cursors.
const RESUME_WAIT: Duration = Duration::from_secs(10);
/// Bad frames tolerated before the socket is closed (policy violation).
const MAX_BAD_FRAMES: u32 = 20;
/// Read buffer per socket. tungstenite zero-fills the free part of this
/// buffer on every read attempt, and client frames are small: its default of
/// 128 KiB cost over a quarter of the server's CPU under fan-out and 128 KiB
/// of resident memory per connection; 1 KiB keeps an idle socket near 8 KiB
/// (see bench/RESULTS.md). Larger frames are read in several pieces.
const READ_BUFFER: usize = 1024;
/// Queued envelopes written per wake-up before one flush.
const BATCH: usize = 256;

/// Close codes beyond the standard ones.
pub mod close {
    /// The device was logged out or revoked.
    pub const REVOKED: u16 = 4001;
    /// The server is going away; reconnect (possibly to another node).
    pub const RECONNECT: u16 = 4002;
}

/// A plain HTTP request to the socket's address.
const NOT_A_WEBSOCKET: madang_core::Refusal = madang_core::Refusal::invalid("not_a_websocket");

/// What the socket's address refuses beyond its extractors.
pub(crate) fn refusals() -> crate::openapi::Declared {
    vec![(axum::http::Method::GET, "/api/v1/ws", vec![NOT_A_WEBSOCKET])]
}

/// Open the live socket. Authenticate with `Authorization: Bearer` or
/// `?access_token=`; then send `resume` with the device's cursors.
#[utoipa::path(get, path = "/api/v1/ws", tag = "live", security(("bearer" = [])),
    responses((status = 101, description = "Switching to the WebSocket protocol; frames are ClientFrame and ServerFrame")))]
pub async fn connect(
    State(st): State<AppState>,
    Auth(me): Auth,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let ws = ws.map_err(|r| ApiError::refusal(NOT_A_WEBSOCKET, r.body_text()))?;
    let max = st.core.limits().max_ws_frame_bytes;
    Ok(ws
        .read_buffer_size(READ_BUFFER)
        .max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |socket| async move {
            metrics::gauge!("madang_ws_connections").increment(1.0);
            let push = st.core.push_socket_opened(&me).await;
            let mut conn = Connection {
                core: st.core.clone(),
                me,
                socket,
                cursors: Cursors::default(),
                bad_frames: 0,
                push,
            };
            let reason = conn.run(st).await;
            conn.core.clone().push_socket_closed(conn.push).await;
            tracing::debug!(user = %me.user, device = %me.device, ?reason, "socket closed");
            metrics::gauge!("madang_ws_connections").decrement(1.0);
        }))
}

#[derive(Debug)]
#[expect(dead_code, reason = "the close code is read through Debug in the close log")]
enum End {
    ClientClosed,
    Closed(u16),
    SocketError,
}

#[derive(Serialize)]
#[serde(tag = "type", rename = "event")]
struct EventFrame<'a> {
    event: &'a RoomEvent,
}

#[derive(Serialize)]
#[serde(tag = "type", rename = "reads")]
struct ReadsFrame<'a> {
    room_id: RoomId,
    reads: &'a [ReadMark],
}

/// The answer to a frame that could not be decoded.
fn bad_frame(message: String) -> ServerFrame {
    ServerFrame::Error {
        error: ApiError::new(axum::http::StatusCode::BAD_REQUEST, "bad_frame", message).detail,
        client_id: None,
    }
}

/// The wire form of one room event (live or replayed).
fn event_frame(event: &RoomEvent) -> Utf8Bytes {
    Utf8Bytes::from(serde_json::to_string(&EventFrame { event }).unwrap_or_default())
}

/// The wire form of a live signal, encoded once per publish and shared.
fn wire(live: &Live) -> Utf8Bytes {
    let text = match live {
        Live::Event(event) => return event_frame(event),
        Live::Reads { room_id, reads } => serde_json::to_string(&ReadsFrame {
            room_id: *room_id,
            reads,
        }),
        Live::Typing { room_id, user_id } => Ok(encode(&ServerFrame::Typing {
            room_id: *room_id,
            user_id: *user_id,
        })),
        Live::PollChanged { room_id, seq } => Ok(encode(&ServerFrame::PollChanged {
            room_id: *room_id,
            seq: *seq,
        })),
        _ => Ok(String::new()),
    };
    Utf8Bytes::from(text.unwrap_or_default())
}

/// Resolves once the node starts shutting down.
async fn stopping(mut shutdown: tokio::sync::watch::Receiver<bool>) {
    if shutdown.wait_for(|&s| s).await.is_err() {
        // The sender is gone: the node is stopping.
    }
}

struct Connection {
    core: Arc<Core>,
    me: Session,
    socket: WebSocket,
    cursors: Cursors,
    bad_frames: u32,
    /// What this socket was given and has not acknowledged, for push.
    push: PushSocket,
}

impl Connection {
    async fn send_frame(&mut self, frame: &ServerFrame) -> Result<(), End> {
        self.send_text(Utf8Bytes::from(encode(frame))).await
    }

    /// Queues a frame; [`Connection::flush`] writes what is queued (the
    /// socket also writes by itself once its buffer fills).
    async fn send_text(&mut self, text: Utf8Bytes) -> Result<(), End> {
        self.socket
            .feed(Message::Text(text))
            .await
            .map_err(|_| End::SocketError)
    }

    async fn flush(&mut self) -> Result<(), End> {
        self.socket.flush().await.map_err(|_| End::SocketError)
    }

    async fn close(&mut self, code: u16, reason: &'static str) -> End {
        let frame = CloseFrame {
            code,
            reason: Utf8Bytes::from_static(reason),
        };
        let _ = self.socket.send(Message::Close(Some(frame))).await;
        End::Closed(code)
    }

    async fn send_error(
        &mut self,
        e: &Error,
        client_id: Option<madang_types::ClientMsgId>,
    ) -> Result<(), End> {
        let (_, error) = crate::error::detail(e);
        self.send_frame(&ServerFrame::Error { error, client_id }).await
    }

    async fn run(&mut self, st: AppState) -> End {
        let mut sub = self.core.bus().subscribe();
        sub.join(Topic::User(self.me.user));
        // Subscribe before reading anything from the database (invariant 4);
        // across nodes, the subscription must be in effect at the broker.
        self.core.bus().settled().await;
        let heads = match self.core.room_heads(&self.me).await {
            Ok(h) => h,
            Err(_) => return self.close(1011, "try again").await,
        };
        for &(room, _, _) in &heads {
            sub.join(Topic::Room(room));
        }
        self.core.bus().settled().await;
        let mut pending: Option<ClientFrame> = None;
        let cursors = match timeout(RESUME_WAIT, self.socket.recv()).await {
            Ok(Some(Ok(Message::Text(t)))) => match decode_client_frame(&t) {
                Ok(ClientFrame::Resume { cursors }) => cursors,
                Ok(other) => {
                    pending = Some(other);
                    BTreeMap::new()
                }
                Err(e) => {
                    self.bad_frames += 1;
                    let _ = self.send_frame(&bad_frame(e.0)).await;
                    BTreeMap::new()
                }
            },
            Ok(Some(Ok(Message::Binary(_)))) => {
                return self.close(1003, "binary frames are not supported").await;
            }
            Ok(Some(Ok(Message::Close(_)))) | Ok(None) => return End::ClientClosed,
            Ok(Some(Err(_))) => return End::SocketError,
            Ok(Some(Ok(_))) | Err(_) => BTreeMap::new(),
        };
        for &(room, joined, last) in &heads {
            let from = match cursors.get(&room) {
                Some(&c) => c.max(Seq(joined.0 - 1)),
                None => last,
            };
            self.cursors.follow(room, from);
        }
        for (&room, _) in cursors.iter() {
            if self.cursors.get(room).is_none()
                && let Err(end) = self.send_frame(&ServerFrame::RoomRemoved { room_id: room }).await
            {
                return end;
            }
        }
        if let Err(end) = self.backfill_all().await {
            return end;
        }
        let ready = ServerFrame::Ready {
            user_id: self.me.user,
            device_id: self.me.device,
        };
        if let Err(end) = self.send_frame(&ready).await {
            return end;
        }
        if let Err(end) = self.flush().await {
            return end;
        }
        if let Some(frame) = pending.take() {
            if let Err(end) = self.on_client_frame(frame).await {
                return end;
            }
            if let Err(end) = self.flush().await {
                return end;
            }
        }
        self.live(st, sub).await
    }

    async fn live(&mut self, st: AppState, mut sub: Subscription) -> End {
        let mut ping = interval(PING_EVERY);
        ping.tick().await;
        let mut last_heard = Instant::now();
        let shutdown = stopping(st.shutdown.clone());
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => {
                    return self.close(close::RECONNECT, "server going away; reconnect").await;
                }
                envelope = sub.recv() => {
                    let Some(envelope) = envelope else { return self.close(1011, "bus closed").await };
                    if let Err(end) = self.on_envelope(&mut sub, &envelope).await {
                        return end;
                    }
                    // Write everything already waiting, then flush once: one
                    // write per wake-up, not one per message, under fan-out.
                    for _ in 0..BATCH {
                        let Some(next) = sub.try_recv() else { break };
                        if let Err(end) = self.on_envelope(&mut sub, &next).await {
                            return end;
                        }
                    }
                    if sub.take_lagged()
                        && let Err(end) = self.backfill_all().await {
                            return end;
                        }
                    if let Err(end) = self.flush().await {
                        return end;
                    }
                }
                msg = self.socket.recv() => {
                    last_heard = Instant::now();
                    let result = match msg {
                        None | Some(Ok(Message::Close(_))) => return End::ClientClosed,
                        // Invalid UTF-8, oversized or malformed frames end here.
                        Some(Err(_)) => return self.close(1007, "invalid frame").await,
                        Some(Ok(Message::Binary(_))) => return self.close(1003, "binary frames are not supported").await,
                        Some(Ok(Message::Text(text))) => match decode_client_frame(&text) {
                            Ok(frame) => self.on_client_frame(frame).await,
                            Err(e) => {
                                self.bad_frames += 1;
                                if self.bad_frames > MAX_BAD_FRAMES {
                                    return self.close(1008, "too many bad frames").await;
                                }
                                self.send_frame(&bad_frame(e.0)).await
                            }
                        },
                        Some(Ok(_)) => Ok(()),
                    };
                    if let Err(end) = result {
                        return end;
                    }
                    if let Err(end) = self.flush().await {
                        return end;
                    }
                }
                _ = ping.tick() => {
                    if last_heard.elapsed() > IDLE_LIMIT {
                        return self.close(1001, "heartbeat timeout").await;
                    }
                    if self.socket.send(Message::Ping(Default::default())).await.is_err() {
                        return End::SocketError;
                    }
                }
            }
        }
    }

    async fn on_envelope(&mut self, sub: &mut Subscription, envelope: &Envelope) -> Result<(), End> {
        match &envelope.live {
            Live::Event(event) => match self.cursors.admit(event.room_id, event.seq) {
                Admit::Deliver => {
                    self.send_text(envelope.wire(wire)).await?;
                    self.cursors.delivered(event.room_id, event.seq);
                    self.core.push_given(&self.push, event);
                }
                Admit::Gap { after } => self.backfill(event.room_id, after).await?,
                Admit::Duplicate | Admit::Unknown => {}
            },
            // Room signals that take no seq: only for a room this socket follows.
            Live::Reads { room_id, .. } | Live::PollChanged { room_id, .. } => {
                if self.cursors.get(*room_id).is_some() {
                    self.send_text(envelope.wire(wire)).await?;
                }
            }
            Live::Typing { room_id, user_id } => {
                if *user_id != self.me.user && self.cursors.get(*room_id).is_some() {
                    self.send_text(envelope.wire(wire)).await?;
                }
            }
            Live::RoomAdded { room_id } => {
                if self.cursors.get(*room_id).is_none() {
                    sub.join(Topic::Room(*room_id));
                    self.core.bus().settled().await;
                    if let Ok(room) = self.core.room(&self.me, *room_id).await {
                        let before = Seq(room.joined_seq.0 - 1);
                        self.cursors.follow(*room_id, before);
                        self.send_frame(&ServerFrame::RoomAdded { room: Box::new(room) })
                            .await?;
                        self.backfill(*room_id, before).await?;
                    }
                }
            }
            Live::RoomRemoved { room_id } => {
                sub.leave(Topic::Room(*room_id));
                self.cursors.unfollow(*room_id);
                self.send_frame(&ServerFrame::RoomRemoved { room_id: *room_id })
                    .await?;
            }
            Live::DeviceRevoked { device_id } => {
                if *device_id == self.me.device {
                    return Err(self.close(close::REVOKED, "logged out").await);
                }
            }
            // Published only to the user topics of those allowed to know.
            Live::PungPosted { pung_id, author_id } => {
                self.send_frame(&ServerFrame::PungPosted {
                    pung_id: *pung_id,
                    author_id: *author_id,
                })
                .await?;
            }
            Live::PungRemoved { pung_id } => {
                self.send_frame(&ServerFrame::PungRemoved { pung_id: *pung_id })
                    .await?;
            }
            Live::PungActivity { pung_id } => {
                self.send_frame(&ServerFrame::PungActivity { pung_id: *pung_id })
                    .await?;
            }
            Live::PungsChanged => self.send_frame(&ServerFrame::PungsChanged).await?,
            Live::FoldersChanged => self.send_frame(&ServerFrame::FoldersChanged).await?,
            Live::ButtonPressed(press) => {
                self.send_frame(&ServerFrame::ButtonPressed { press: press.clone() })
                    .await?
            }
            Live::ThreadRead {
                room_id,
                root,
                thread_seq,
            } => {
                self.send_frame(&ServerFrame::ThreadRead {
                    room_id: *room_id,
                    root: *root,
                    thread_seq: *thread_seq,
                })
                .await?
            }
            Live::ScheduledChanged(scheduled) => {
                self.send_frame(&ServerFrame::ScheduledChanged {
                    scheduled: scheduled.clone(),
                })
                .await?
            }
            Live::InboxChanged { channel_id, room_id } => {
                self.send_frame(&ServerFrame::InboxChanged {
                    channel_id: *channel_id,
                    room_id: *room_id,
                })
                .await?
            }
            Live::HistoryImported { room_id } => {
                self.send_frame(&ServerFrame::HistoryImported { room_id: *room_id })
                    .await?
            }
            Live::ExportChanged(export) => {
                self.send_frame(&ServerFrame::ExportChanged {
                    export: export.clone(),
                })
                .await?
            }
            Live::ImportProgress(progress) => {
                self.send_frame(&ServerFrame::ImportProgress {
                    progress: progress.clone(),
                })
                .await?
            }
            // On the cluster topic, which no connection joins.
            Live::OpenChatChanged { .. } => {}
        }
        Ok(())
    }

    /// Sends every stored event of `room` after `after`, in order.
    async fn backfill(&mut self, room: RoomId, after: Seq) -> Result<(), End> {
        let mut after = after;
        loop {
            let page = match self.core.events(&self.me, room, after, None).await {
                Ok(p) => p,
                // No longer a member: the removal arrives on the user topic.
                Err(Error::NotMember) => return Ok(()),
                Err(_) => return Err(self.close(1011, "try again").await),
            };
            for event in &page.events {
                if self.cursors.admit(room, event.seq) == Admit::Duplicate {
                    continue;
                }
                self.send_text(event_frame(event)).await?;
                self.cursors.delivered(room, event.seq);
                self.core.push_given(&self.push, event);
                after = event.seq;
            }
            if !page.has_more {
                return Ok(());
            }
        }
    }

    async fn backfill_all(&mut self) -> Result<(), End> {
        for (room, after) in self.cursors.rooms() {
            self.backfill(room, after).await?;
        }
        Ok(())
    }

    async fn on_client_frame(&mut self, frame: ClientFrame) -> Result<(), End> {
        let outcome = match frame {
            ClientFrame::Ping => return self.send_frame(&ServerFrame::Pong).await,
            ClientFrame::Resume { .. } => Err(Error::invalid(
                "already_resumed",
                "resume is only the first frame",
            )),
            ClientFrame::Send { room_id, message } => {
                let client_id = message.client_id.clone();
                match self.core.send_message(&self.me, room_id, message).await {
                    Ok(m) => {
                        return self
                            .send_frame(&ServerFrame::Ack {
                                room_id,
                                client_id: m.client_id,
                                seq: m.seq,
                            })
                            .await;
                    }
                    Err(e) => return self.send_error(&e, Some(client_id)).await,
                }
            }
            ClientFrame::Typing { room_id } => self.core.typing(&self.me, room_id).await,
            ClientFrame::Read { room_id, seq } => {
                // What is read has been received.
                self.core.push_received(&self.push, room_id, seq);
                self.core.mark_read(&self.me, room_id, seq).await
            }
            ClientFrame::Received { room_id, seq } => {
                self.core.push_received(&self.push, room_id, seq);
                Ok(())
            }
            ClientFrame::ThreadRead {
                room_id,
                root,
                thread_seq,
            } => self.core.read_thread(&self.me, room_id, root, thread_seq).await,
        };
        match outcome {
            Ok(()) => Ok(()),
            Err(e) => self.send_error(&e, None).await,
        }
    }
}
