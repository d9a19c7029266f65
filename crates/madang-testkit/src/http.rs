//! An HTTP client for one account, speaking the public REST API.

use madang_types::{DeviceId, RoomId, Seq, UserId};
use reqwest::Method;
use serde_json::{Value, json};

/// Password every test account uses.
pub const PASSWORD: &str = "correct horse battery";

/// A response: status and JSON body (`Null` when empty).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Reply {
    /// The body of a 2xx response; panics with the error otherwise.
    #[track_caller]
    pub fn ok(self) -> Value {
        assert!(
            (200..300).contains(&self.status),
            "expected success, got {} {}",
            self.status,
            self.body
        );
        self.body
    }

    /// The stable error code of a failed response.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    /// Asserts status and error code.
    #[track_caller]
    pub fn refused(&self, status: u16, code: &str) {
        assert_eq!((self.status, self.code()), (status, code), "body: {}", self.body);
    }
}

/// Sends a request and reads its reply: JSON, or the text as a string.
async fn answer(req: reqwest::RequestBuilder) -> Reply {
    let res = req.send().await.expect("server answers");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let bytes = res.bytes().await.expect("body");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
    };
    Reply {
        status,
        body,
        headers,
    }
}

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    pub base: String,
    pub token: Option<String>,
    pub user_id: UserId,
    pub device_id: DeviceId,
    pub handle: String,
}

impl Client {
    pub fn new(base: &str) -> Client {
        Client {
            http: reqwest::Client::new(),
            base: base.to_owned(),
            token: None,
            user_id: UserId(0),
            device_id: DeviceId(0),
            handle: String::new(),
        }
    }

    pub async fn raw(&self, method: Method, path: &str, body: Option<(Vec<u8>, &str)>) -> Reply {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        if let Some((bytes, content_type)) = body {
            req = req.header("content-type", content_type).body(bytes);
        }
        answer(req).await
    }

    async fn json(&self, method: Method, path: &str, body: &Value) -> Reply {
        self.raw(
            method,
            path,
            Some((body.to_string().into_bytes(), "application/json")),
        )
        .await
    }

    /// A `multipart/form-data` request: each part's name, bytes and file
    /// name (a file part) or none (a text part).
    pub async fn multipart(&self, path: &str, parts: Vec<(&str, Vec<u8>, Option<&str>)>) -> Reply {
        let mut form = reqwest::multipart::Form::new();
        for (name, bytes, file) in parts {
            let part = reqwest::multipart::Part::bytes(bytes);
            let part = match file {
                Some(f) => part.file_name(f.to_owned()),
                None => part,
            };
            form = form.part(name.to_owned(), part);
        }
        let mut req = self.http.post(format!("{}{path}", self.base)).multipart(form);
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        answer(req).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.raw(Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.json(Method::POST, path, &body).await
    }
    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.json(Method::PUT, path, &body).await
    }
    pub async fn patch(&self, path: &str, body: Value) -> Reply {
        self.json(Method::PATCH, path, &body).await
    }
    pub async fn delete(&self, path: &str) -> Reply {
        self.raw(Method::DELETE, path, None).await
    }

    fn adopt(&mut self, session: &Value) {
        self.token = session["token"].as_str().map(str::to_owned);
        self.user_id = UserId(session["user"]["id"].as_i64().expect("user id"));
        self.device_id = DeviceId(session["device_id"].as_i64().expect("device id"));
        self.handle = session["user"]["handle"].as_str().unwrap_or_default().to_owned();
    }

    pub async fn sign_up(&mut self, handle: &str) -> Value {
        let body = json!({"handle": handle, "password": PASSWORD, "display_name": handle});
        let session = self.post("/api/v1/accounts", body).await.ok();
        self.adopt(&session);
        session
    }

    /// Logs the same account in as another device.
    pub async fn another_device(&self) -> Client {
        let mut c = Client::new(&self.base);
        let body = json!({"handle": self.handle, "password": PASSWORD, "device_name": "second"});
        let session = c.post("/api/v1/sessions", body).await.ok();
        c.adopt(&session);
        c
    }

    /// The same account and device, talking to a server at `base` (after
    /// a restart on another port).
    pub fn at(&self, base: &str) -> Client {
        Client {
            base: base.to_owned(),
            ..self.clone()
        }
    }

    /// Makes the two friends both ways.
    pub async fn befriend(&self, other: &Client) {
        self.add_friend(other).await;
        other.add_friend(self).await;
    }

    pub async fn add_friend(&self, other: &Client) -> Value {
        self.post("/api/v1/friends", json!({"handle": other.handle}))
            .await
            .ok()
    }

    pub async fn direct(&self, other: &Client) -> RoomId {
        let room = self
            .post("/api/v1/rooms/direct", json!({"user_id": other.user_id}))
            .await
            .ok();
        RoomId(room["id"].as_i64().expect("room id"))
    }

    pub async fn group(&self, title: &str, members: &[&Client]) -> RoomId {
        let ids: Vec<UserId> = members.iter().map(|m| m.user_id).collect();
        let room = self
            .post("/api/v1/rooms/group", json!({"title": title, "member_ids": ids}))
            .await
            .ok();
        RoomId(room["id"].as_i64().expect("room id"))
    }

    pub async fn try_send(&self, room: RoomId, client_id: &str, text: &str) -> Reply {
        self.post(
            &format!("/api/v1/rooms/{room}/messages"),
            json!({"client_id": client_id, "text": text}),
        )
        .await
    }

    /// Sends and returns the committed message's seq.
    pub async fn send(&self, room: RoomId, client_id: &str, text: &str) -> Seq {
        let m = self.try_send(room, client_id, text).await.ok();
        Seq(m["seq"].as_i64().expect("seq"))
    }

    /// Every message of a room, oldest first, paging back through history.
    pub async fn all_messages(&self, room: RoomId) -> Vec<Value> {
        let mut out = Vec::new();
        let mut before: Option<i64> = None;
        loop {
            let q = before.map(|b| format!("&before={b}")).unwrap_or_default();
            let page = self
                .get(&format!("/api/v1/rooms/{room}/messages?limit=100{q}"))
                .await
                .ok();
            out.extend(page["messages"].as_array().cloned().unwrap_or_default());
            match page["next_before"].as_i64() {
                Some(b) => before = Some(b),
                None => break,
            }
        }
        out.reverse();
        out
    }

    pub async fn room(&self, room: RoomId) -> Value {
        self.get(&format!("/api/v1/rooms/{room}")).await.ok()
    }
}
