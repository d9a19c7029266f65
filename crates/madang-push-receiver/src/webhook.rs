//! A bot's webhook receiver on 127.0.0.1, for tests: HTTPS with its own
//! CA (as the push service), checking every delivery as the Standard
//! Webhooks specification tells a receiver to: the `webhook-signature`
//! (HMAC-SHA256 of `{id}.{timestamp}.{body}` under the secret's key,
//! computed here with the `hmac` crate, not the server's code), and a
//! `webhook-timestamp` within five minutes of the receiver's clock.
//! A delivery that fails a check is answered 401 and noted in
//! [`WebhookReceiver::faults`].

use crate::serve_https;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::Notify;

/// How far a timestamp may be from the receiver's clock.
const WINDOW_SECS: i64 = 5 * 60;

/// One delivery that arrived with a valid signature.
#[derive(Clone, Debug)]
pub struct Arrival {
    /// `webhook-id`: the same on every try of one delivery.
    pub id: String,
    pub timestamp: i64,
    pub body: serde_json::Value,
    /// What the receiver answered.
    pub answered: u16,
}

type Clock = Box<dyn Fn() -> i64 + Send + Sync>;

struct Book {
    secret: Option<String>,
    /// Answers for the next deliveries, then `otherwise`.
    next: VecDeque<u16>,
    otherwise: u16,
    arrivals: Vec<Arrival>,
    faults: Vec<String>,
}

struct Shared {
    book: Mutex<Book>,
    clock: Mutex<Option<Clock>>,
    arrived: Notify,
}

impl Shared {
    fn book(&self) -> std::sync::MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn now_secs(&self) -> i64 {
        match &*self.clock.lock().unwrap_or_else(|p| p.into_inner()) {
            Some(clock) => clock(),
            None => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or_default(),
        }
    }
}

/// A running receiver; it stops when dropped.
pub struct WebhookReceiver {
    /// `https://127.0.0.1:PORT/hook`.
    pub url: String,
    /// The CA that signed its certificate, PEM.
    pub ca_pem: String,
    shared: Arc<Shared>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for WebhookReceiver {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl WebhookReceiver {
    pub async fn start() -> anyhow::Result<WebhookReceiver> {
        let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("https://{}/hook", tcp.local_addr()?);
        let shared = Arc::new(Shared {
            book: Mutex::new(Book {
                secret: None,
                next: VecDeque::new(),
                otherwise: 200,
                arrivals: Vec::new(),
                faults: Vec::new(),
            }),
            clock: Mutex::new(None),
            arrived: Notify::new(),
        });
        let app = Router::new()
            .route("/hook", post(hook))
            .with_state(shared.clone());
        let (ca_pem, tasks) = serve_https(tcp, app)?;
        Ok(WebhookReceiver {
            url,
            ca_pem,
            shared,
            tasks,
        })
    }

    /// The secret deliveries must be signed with (`whsec_…`).
    pub fn expect_secret(&self, secret: &str) {
        self.shared.book().secret = Some(secret.to_owned());
    }

    /// Judge timestamps by this clock (Unix seconds), e.g. the server's
    /// manual clock in a test.
    pub fn use_clock(&self, clock: impl Fn() -> i64 + Send + Sync + 'static) {
        *self.shared.clock.lock().unwrap_or_else(|p| p.into_inner()) = Some(Box::new(clock));
    }

    /// Answer the next deliveries with these statuses, in turn.
    pub fn answer_next(&self, statuses: &[u16]) {
        self.shared.book().next.extend(statuses);
    }

    /// Answer every delivery after those with this status.
    pub fn answer_always(&self, status: u16) {
        self.shared.book().otherwise = status;
    }

    /// Every validly signed delivery so far, in order of arrival.
    pub fn arrivals(&self) -> Vec<Arrival> {
        self.shared.book().arrivals.clone()
    }

    /// What was refused, and why.
    pub fn faults(&self) -> Vec<String> {
        self.shared.book().faults.clone()
    }

    /// Waits until `n` deliveries arrived in all, or `wait` is over;
    /// returns how many did.
    pub async fn wait_for(&self, n: usize, wait: Duration) -> usize {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let arrived = self.shared.arrived.notified();
            let got = self.shared.book().arrivals.len();
            if got >= n {
                return got;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                return self.shared.book().arrivals.len();
            }
        }
    }
}

async fn hook(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let checked = check(&shared, &headers, &body);
    let mut book = shared.book();
    let status = match checked {
        Ok((id, timestamp, json)) => {
            let answered = book.next.pop_front().unwrap_or(book.otherwise);
            book.arrivals.push(Arrival {
                id,
                timestamp,
                body: json,
                answered,
            });
            StatusCode::from_u16(answered).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        }
        Err(why) => {
            book.faults.push(why);
            StatusCode::UNAUTHORIZED
        }
    };
    drop(book);
    shared.arrived.notify_waiters();
    status
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Result<&'h str, String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| format!("no {name}"))
}

fn check(
    shared: &Shared,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(String, i64, serde_json::Value), String> {
    let id = header(headers, "webhook-id")?;
    let timestamp: i64 = header(headers, "webhook-timestamp")?
        .parse()
        .map_err(|_| "webhook-timestamp is not a number".to_owned())?;
    if (shared.now_secs() - timestamp).abs() > WINDOW_SECS {
        return Err(format!("webhook-timestamp {timestamp} is outside the window"));
    }
    if header(headers, "content-type")? != "application/json" {
        return Err("content-type is not application/json".into());
    }
    let secret = shared.book().secret.clone().ok_or("no secret expected yet")?;
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").ok_or("the secret lacks whsec_")?)
        .map_err(|e| format!("the secret: {e}"))?;
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).map_err(|e| e.to_string())?;
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    let expected = STANDARD.encode(mac.finalize().into_bytes());
    // Several signatures may be given (a secret being rotated).
    let signed = header(headers, "webhook-signature")?
        .split(' ')
        .any(|s| s.strip_prefix("v1,") == Some(expected.as_str()));
    if !signed {
        return Err("webhook-signature does not match".into());
    }
    let json = serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    Ok((id.to_owned(), timestamp, json))
}
