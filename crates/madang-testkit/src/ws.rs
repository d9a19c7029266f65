//! A WebSocket client for one device.

use futures::{SinkExt, StreamExt};
use madang_types::events::ServerFrame;
use madang_types::{RoomId, Seq};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub struct Ws {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Ws {
    /// Connects without sending anything.
    pub async fn open(base: &str, token: &str) -> Ws {
        let url = format!(
            "{}/api/v1/ws?access_token={token}",
            base.replacen("http", "ws", 1)
        );
        let (stream, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("websocket connects");
        Ws { stream }
    }

    /// Connects, sends `resume` with `cursors` and waits for `ready`,
    /// returning the frames replayed before it.
    pub async fn connect(base: &str, token: &str, cursors: &BTreeMap<RoomId, Seq>) -> (Ws, Vec<ServerFrame>) {
        let mut ws = Ws::open(base, token).await;
        ws.send_json(json!({"type": "resume", "cursors": cursors})).await;
        let mut replayed = Vec::new();
        loop {
            match ws.next_frame(Duration::from_secs(10)).await {
                Some(ServerFrame::Ready { .. }) => return (ws, replayed),
                Some(ServerFrame::Error { error, .. }) => {
                    panic!("resume refused: {}: {}", error.code, error.message)
                }
                Some(f) => replayed.push(f),
                None => panic!("no ready frame"),
            }
        }
    }

    pub async fn send_json(&mut self, v: Value) {
        self.stream
            .send(Message::Text(v.to_string().into()))
            .await
            .expect("ws send");
    }

    pub async fn send_raw(&mut self, m: Message) {
        let _ = self.stream.send(m).await;
    }

    /// The next server frame, or `None` on timeout or close.
    pub async fn next_frame(&mut self, wait: Duration) -> Option<ServerFrame> {
        loop {
            let msg = tokio::time::timeout(wait, self.stream.next()).await.ok()??.ok()?;
            match msg {
                Message::Text(t) => return Some(serde_json::from_str(&t).expect("server frames parse")),
                Message::Close(_) => return None,
                _ => continue,
            }
        }
    }

    /// The close code the server sends next (skipping other frames).
    pub async fn close_code(&mut self, wait: Duration) -> Option<u16> {
        loop {
            let msg = tokio::time::timeout(wait, self.stream.next()).await.ok()??;
            match msg {
                Ok(Message::Close(frame)) => return frame.map(|f| u16::from(f.code)),
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
    }

    /// Frames until `wait` passes with none.
    pub async fn drain(&mut self, wait: Duration) -> Vec<ServerFrame> {
        let mut out = Vec::new();
        while let Some(f) = self.next_frame(wait).await {
            out.push(f);
        }
        out
    }

    /// Frames until one matches `pred` (included), or panics after `wait`.
    pub async fn until(&mut self, wait: Duration, pred: impl Fn(&ServerFrame) -> bool) -> Vec<ServerFrame> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut out = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let f = self
                .next_frame(left)
                .await
                .unwrap_or_else(|| panic!("frame not seen in time; got {out:?}"));
            let done = pred(&f);
            out.push(f);
            if done {
                return out;
            }
        }
    }
}

/// `(room, seq)` of each event frame, in arrival order.
pub fn event_seqs(frames: &[ServerFrame]) -> Vec<(RoomId, Seq)> {
    frames
        .iter()
        .filter_map(|f| match f {
            ServerFrame::Event { event } => Some((event.room_id, event.seq)),
            _ => None,
        })
        .collect()
}
