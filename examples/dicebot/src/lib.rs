//! A Madang bot, as someone outside the project would write one: only the
//! public API (HTTP under `/api/v1` and the WebSocket at `/api/v1/ws`),
//! reading JSON as JSON.
//!
//! - `/roll` (or `/roll 2d6`, up to 20 dice of up to 1000 sides) answers
//!   with the dice and a "다시 굴리기" (roll again) button; pressing it
//!   rolls again for whoever pressed.
//! - A message that mentions the bot is echoed back, as a reply.
//!
//! It declares `/roll` as its command when it starts, so a room's members
//! are offered it when they type `/`; and it reconnects with backoff when
//! its socket drops.

use anyhow::{Context, bail};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message as Frame;

/// Who the bot is, from `GET /api/v1/me`.
#[derive(Clone, Debug)]
pub struct Bot {
    api: String,
    ws: String,
    token: String,
    http: reqwest::Client,
    pub id: i64,
    pub name: String,
}

impl Bot {
    /// Signs in with the bot's token at `base` (`http://127.0.0.1:8080`)
    /// and declares its command.
    pub async fn connect(base: &str, token: &str) -> anyhow::Result<Bot> {
        let base = base.trim_end_matches('/');
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()?;
        let mut bot = Bot {
            api: format!("{base}/api/v1"),
            ws: format!("{}/api/v1/ws", base.replacen("http", "ws", 1)),
            token: token.to_owned(),
            http,
            id: 0,
            name: String::new(),
        };
        let me = bot.call(reqwest::Method::GET, "/me", None).await?;
        bot.id = me["id"].as_i64().context("the token signs in no one")?;
        bot.name = me["display_name"].as_str().unwrap_or_default().to_owned();
        bot.call(
            reqwest::Method::PUT,
            &format!("/bots/{}/commands", bot.id),
            Some(json!({"commands": [
                {"command": "roll", "description": "주사위를 굴려요 (/roll 2d6)"}
            ]})),
        )
        .await?;
        Ok(bot)
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.api))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            bail!("{path}: {status} {text}");
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Runs until the process ends: listens on the socket, answers, and
    /// reconnects (1 s doubling to a minute) when the socket drops.
    pub async fn run(&self) -> anyhow::Result<()> {
        let mut wait = Duration::from_secs(1);
        loop {
            match self.listen().await {
                Ok(()) => wait = Duration::from_secs(1),
                Err(e) => eprintln!("dicebot: {e:#}; reconnecting in {wait:?}"),
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_secs(60));
        }
    }

    /// One connection: resume with no cursors (live events from now on),
    /// then handle frames until it closes.
    async fn listen(&self) -> anyhow::Result<()> {
        let url = format!("{}?access_token={}", self.ws, self.token);
        let (mut socket, _) = tokio_tungstenite::connect_async(url.as_str()).await?;
        socket
            .send(Frame::text(json!({"type": "resume", "cursors": {}}).to_string()))
            .await?;
        let mut ping = tokio::time::interval(Duration::from_secs(20));
        loop {
            tokio::select! {
                frame = socket.next() => {
                    let Some(frame) = frame else { return Ok(()) };
                    match frame? {
                        Frame::Text(text) => {
                            let frame: Value = serde_json::from_str(text.as_str()).unwrap_or(Value::Null);
                            if let Err(e) = self.handle(&frame).await {
                                eprintln!("dicebot: {e:#}");
                            }
                        }
                        Frame::Close(_) => return Ok(()),
                        _ => {}
                    }
                }
                _ = ping.tick() => socket.send(Frame::text(r#"{"type":"ping"}"#)).await?,
            }
        }
    }

    /// What the bot does with one server frame.
    pub async fn handle(&self, frame: &Value) -> anyhow::Result<()> {
        match frame["type"].as_str() {
            Some("event") if frame["event"]["body"]["type"] == "message" => {
                let message = &frame["event"]["body"]["message"];
                if message["sender_id"].as_i64() == Some(self.id) {
                    return Ok(());
                }
                self.on_message(message).await
            }
            Some("button_pressed") => self.on_press(&frame["press"]).await,
            _ => Ok(()),
        }
    }

    async fn on_message(&self, message: &Value) -> anyhow::Result<()> {
        let room = message["room_id"].as_i64().unwrap_or_default();
        let seq = message["seq"].as_i64().unwrap_or_default();
        let text = message["text"].as_str().unwrap_or_default().trim();
        if let Some(args) = command_args(text, "roll") {
            let spec = Dice::parse(args).unwrap_or_default();
            return self
                .say(
                    room,
                    &format!("roll-{room}-{seq}"),
                    &spec.roll_text(None),
                    seq,
                    Some(spec),
                )
                .await;
        }
        let mentioned = message["mentions"]
            .as_array()
            .is_some_and(|m| m.iter().any(|id| id.as_i64() == Some(self.id)));
        if mentioned {
            let echoed = text.replace(&format!("@{}", self.name), "").trim().to_owned();
            let echoed = if echoed.is_empty() {
                "👋".to_owned()
            } else {
                echoed
            };
            return self
                .say(room, &format!("echo-{room}-{seq}"), &echoed, seq, None)
                .await;
        }
        Ok(())
    }

    async fn on_press(&self, press: &Value) -> anyhow::Result<()> {
        let data = press["data"].as_str().unwrap_or_default();
        let Some(spec) = data.strip_prefix("roll:").and_then(Dice::parse) else {
            return Ok(());
        };
        let room = press["room_id"].as_i64().unwrap_or_default();
        let seq = press["seq"].as_i64().unwrap_or_default();
        let who = press["display_name"].as_str().unwrap_or_default();
        let id = press["id"].as_str().unwrap_or_default();
        self.say(
            room,
            &format!("press-{id}"),
            &spec.roll_text(Some(who)),
            seq,
            Some(spec),
        )
        .await
    }

    /// Writes in a room as a reply to `reply_to`, with a roll-again button
    /// after a roll. The client id comes from what it answers, so a retry
    /// never writes twice.
    async fn say(
        &self,
        room: i64,
        client_id: &str,
        text: &str,
        reply_to: i64,
        again: Option<Dice>,
    ) -> anyhow::Result<()> {
        let mut body = json!({"client_id": client_id, "text": text, "reply_to": reply_to});
        if let Some(spec) = again {
            body["buttons"] = json!([
                {"kind": "postback", "label": "다시 굴리기", "data": format!("roll:{spec}")}
            ]);
        }
        self.call(
            reqwest::Method::POST,
            &format!("/rooms/{room}/messages"),
            Some(body),
        )
        .await
        .map(|_| ())
    }
}

/// The arguments of `/name` or `/name@anything` at the start of `text`.
fn command_args<'t>(text: &'t str, name: &str) -> Option<&'t str> {
    let rest = text.strip_prefix('/')?;
    let (word, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let word = word.split('@').next().unwrap_or_default();
    (word == name).then_some(args.trim())
}

/// `NdM`: how many dice, of how many sides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dice {
    pub count: u32,
    pub sides: u32,
}

impl Default for Dice {
    fn default() -> Self {
        Dice { count: 1, sides: 6 }
    }
}

impl std::fmt::Display for Dice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}d{}", self.count, self.sides)
    }
}

impl Dice {
    /// `2d6`, `d20`, `3`; empty is one six-sided die. `None` for anything
    /// else, or more than 20 dice or 1000 sides.
    pub fn parse(text: &str) -> Option<Dice> {
        let text = text.trim().to_ascii_lowercase();
        if text.is_empty() {
            return Some(Dice::default());
        }
        let (count, sides) = match text.split_once('d') {
            Some((c, s)) => (if c.is_empty() { 1 } else { c.parse().ok()? }, s.parse().ok()?),
            None => (text.parse().ok()?, 6),
        };
        ((1..=20).contains(&count) && (2..=1000).contains(&sides)).then_some(Dice { count, sides })
    }

    fn roll_text(self, who: Option<&str>) -> String {
        let rolls: Vec<u32> = (0..self.count)
            .map(|_| rand::random_range(1..=self.sides))
            .collect();
        let sum: u32 = rolls.iter().sum();
        let shown: Vec<String> = rolls.iter().map(u32::to_string).collect();
        let who = who.map(|w| format!("{w}: ")).unwrap_or_default();
        if rolls.len() == 1 {
            format!("🎲 {who}{self} → {sum}")
        } else {
            format!("🎲 {who}{self} → {} = {sum}", shown.join(" + "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_dice_and_commands() {
        assert_eq!(Dice::parse(""), Some(Dice { count: 1, sides: 6 }));
        assert_eq!(Dice::parse("2d6"), Some(Dice { count: 2, sides: 6 }));
        assert_eq!(Dice::parse("D20"), Some(Dice { count: 1, sides: 20 }));
        assert_eq!(Dice::parse("3"), Some(Dice { count: 3, sides: 6 }));
        for bad in ["0d6", "21d6", "1d1", "1d1001", "xd6", "2d", "-1d6"] {
            assert_eq!(Dice::parse(bad), None, "{bad}");
        }
        assert_eq!(command_args("/roll 2d6", "roll"), Some("2d6"));
        assert_eq!(command_args("/roll@dicebot d20", "roll"), Some("d20"));
        assert_eq!(command_args("/roll", "roll"), Some(""));
        assert_eq!(command_args("/rolls", "roll"), None);
        assert_eq!(command_args("roll", "roll"), None);
        let text = Dice { count: 2, sides: 6 }.roll_text(Some("준"));
        assert!(text.starts_with("🎲 준: 2d6 → "), "{text}");
    }
}
