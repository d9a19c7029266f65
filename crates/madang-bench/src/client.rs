//! Accounts, rooms and sockets through the public API.

use anyhow::{Context, bail};
use futures::stream::{self, StreamExt, TryStreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Read buffer per client socket: a catch-up page arrives in a few reads.
const READ_BUFFER: usize = 4096;

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

#[derive(Clone, Debug)]
pub struct Account {
    pub id: i64,
    pub token: String,
}

pub struct Api {
    http: reqwest::Client,
    pub base: String,
}

impl Api {
    pub fn new(base: &str) -> Api {
        Api {
            http: reqwest::Client::new(),
            base: base.to_owned(),
        }
    }

    pub async fn call(
        &self,
        token: Option<&str>,
        method: reqwest::Method,
        path: &str,
        body: Value,
    ) -> anyhow::Result<Value> {
        let mut req = self
            .http
            .request(method.clone(), format!("{}/api/v1{path}", self.base))
            .json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await?;
        let status = res.status();
        let text = res.text().await?;
        if !status.is_success() {
            bail!("{method} {path}: {status} {text}");
        }
        Ok(if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)?
        })
    }

    /// `n` fresh accounts, signed up `parallel` at a time.
    pub async fn accounts(&self, prefix: &str, n: usize) -> anyhow::Result<Vec<Account>> {
        stream::iter(0..n)
            .map(|i| async move {
                let body = json!({"handle": format!("{prefix}{i}"), "password": "bench password"});
                let s = self.call(None, reqwest::Method::POST, "/accounts", body).await?;
                Ok::<_, anyhow::Error>(Account {
                    id: s["user"]["id"].as_i64().context("user id")?,
                    token: s["token"].as_str().context("token")?.to_owned(),
                })
            })
            .buffered(32)
            .try_collect()
            .await
    }

    /// `n` people, each in a 1:1 room with a partner of their own: the
    /// people and their rooms.
    pub async fn pairs(&self, n: usize) -> anyhow::Result<(Vec<Account>, Vec<i64>)> {
        let people = self.accounts("snd", n).await?;
        let partners = self.accounts("peer", n).await?;
        let mut rooms = Vec::with_capacity(n);
        for (s, p) in people.iter().zip(&partners) {
            let r = self
                .call(
                    Some(&s.token),
                    reqwest::Method::POST,
                    "/rooms/direct",
                    json!({"user_id": p.id}),
                )
                .await?;
            rooms.push(r["id"].as_i64().context("room id")?);
        }
        Ok((people, rooms))
    }

    /// A group of `owner` and `members`, invited in batches.
    pub async fn group(&self, owner: &Account, members: &[Account], title: &str) -> anyhow::Result<i64> {
        let room = self
            .call(
                Some(&owner.token),
                reqwest::Method::POST,
                "/rooms/group",
                json!({"title": title, "member_ids": []}),
            )
            .await?;
        let id = room["id"].as_i64().context("room id")?;
        for chunk in members.chunks(200) {
            let ids: Vec<i64> = chunk.iter().map(|m| m.id).filter(|&m| m != owner.id).collect();
            self.call(
                Some(&owner.token),
                reqwest::Method::POST,
                &format!("/rooms/{id}/members"),
                json!({"user_ids": ids}),
            )
            .await?;
        }
        Ok(id)
    }

    pub async fn last_seq(&self, account: &Account, room: i64) -> anyhow::Result<i64> {
        let r = self
            .call(
                Some(&account.token),
                reqwest::Method::GET,
                &format!("/rooms/{room}"),
                Value::Null,
            )
            .await?;
        r["last_seq"].as_i64().context("last_seq")
    }
}

/// Every bench client's socket settings. The load generator shares the
/// server's cores: tungstenite's default 128 KiB read buffer is zero-filled
/// on every read attempt, which cost over a third of the bench's own CPU
/// under fan-out (bench/RESULTS.md).
pub fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default().read_buffer_size(READ_BUFFER)
}

/// Opens a socket, sends `resume` with `cursors` and waits for `ready`.
/// Returns the socket and the number of `message` events replayed.
pub async fn connect(base: &str, token: &str, cursors: &Value) -> anyhow::Result<(Socket, usize)> {
    let url = format!(
        "{}/api/v1/ws?access_token={token}",
        base.replacen("http", "ws", 1)
    );
    let (mut ws, _) = tokio_tungstenite::connect_async_with_config(url, Some(ws_config()), true).await?;
    ws.send(Message::Text(
        json!({"type": "resume", "cursors": cursors}).to_string().into(),
    ))
    .await?;
    let mut replayed = 0;
    while let Some(msg) = ws.next().await {
        if let Message::Text(t) = msg? {
            if t.contains(r#""type":"ready""#) {
                return Ok((ws, replayed));
            }
            if is_message_event(&t) {
                replayed += 1;
            }
        }
    }
    bail!("socket closed before ready")
}

use futures::SinkExt;

/// Cheap check for a `message` event frame, without parsing the JSON.
pub fn is_message_event(frame: &str) -> bool {
    frame.starts_with(r#"{"type":"event""#) && frame.contains(r#""body":{"type":"message""#)
}

/// The `t=<micros>` stamp a bench message carries in its text.
pub fn stamp(frame: &str) -> Option<u64> {
    let at = frame.find("\"text\":\"t=")? + 10;
    let digits = frame[at..].split(|c: char| !c.is_ascii_digit()).next()?;
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_stamp_in_a_frame() {
        let f = r#"{"type":"event","event":{"room_id":1,"seq":9,"body":{"type":"message","message":{"text":"t=12345|xx"}}}}"#;
        assert!(is_message_event(f));
        assert_eq!(stamp(f), Some(12345));
        assert!(!is_message_event(r#"{"type":"reads"}"#));
    }
}
