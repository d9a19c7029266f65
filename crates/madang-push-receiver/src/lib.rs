//! A Web Push service on 127.0.0.1, for tests and the bench: what a
//! browser vendor's push service does, seen from the application server.
//!
//! It serves HTTPS with a certificate for 127.0.0.1 signed by a CA it makes
//! at start ([`Receiver::ca_pem`]; the server under test trusts it through
//! `[push] ca_file`). Each [`Receiver::subscribe`] makes a browser's key
//! pair and auth secret and returns the `PushSubscription` JSON a browser
//! would give. A push to a subscription's endpoint is accepted (201) only
//! when it is what RFC 8030, 8291 and 8292 ask for: `aes128gcm` content
//! that decrypts with that subscription's private key, a `TTL`, and a
//! VAPID token signed by the key it names, for this origin, not expired,
//! with a contact. Everything else is refused and noted in
//! [`Receiver::faults`], so a test can insist there were none.
//!
//! [`WebhookReceiver`] is a bot's webhook endpoint, served the same way.

pub mod webhook;

pub use webhook::{Arrival, WebhookReceiver};

use anyhow::Context;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use p256::ecdsa::signature::Verifier;
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::{Notify, mpsc};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// RFC 8030 §7.2: a push service must take at least 4096 bytes.
const MAX_BODY: usize = 4096;
/// RFC 8292 §2: a token may not be valid for more than 24 hours.
const MAX_TOKEN_LIFE: u64 = 24 * 3600;

/// One push that arrived and was accepted.
#[derive(Clone, Debug)]
pub struct Delivery {
    /// The endpoint it was sent to.
    pub endpoint: String,
    /// The decrypted payload, as JSON.
    pub payload: serde_json::Value,
    pub ttl: u64,
    pub urgency: Option<String>,
    pub topic: Option<String>,
    /// The VAPID public key the token was signed with (base64url).
    pub vapid_key: String,
    /// The token's `sub` (the operator's contact).
    pub contact: String,
    pub at: Instant,
}

struct Subscriber {
    secret: p256::SecretKey,
    auth: [u8; 16],
    /// What to answer a valid push with: 201, or e.g. 410 (gone).
    answer: u16,
}

#[derive(Default)]
struct Book {
    subscribers: HashMap<String, Subscriber>,
    deliveries: Vec<Delivery>,
    /// Accepted pushes not decrypted yet (see [`Receiver::start_opaque`]),
    /// in order of arrival: the subscription's id, the body, and the
    /// delivery with its payload still null.
    sealed: Vec<(String, Bytes, Delivery)>,
    faults: Vec<String>,
    /// Valid pushes answered with something else than 201.
    turned_away: usize,
}

struct Shared {
    origin: String,
    /// Decrypt each push as it arrives (else when it is read).
    open_on_arrival: bool,
    book: Mutex<Book>,
    arrived: Notify,
    /// `(token, key)` pairs whose signature verified. A sender signs one
    /// token and uses it for many pushes (RFC 8292 §2 allows that), so
    /// its ECDSA check is done once; the claims are checked on every push.
    verified: Mutex<HashSet<(String, String)>>,
}

impl Shared {
    fn book(&self) -> std::sync::MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Decrypts what arrived sealed: each becomes a delivery, or a fault.
    fn settle(&self) {
        let sealed = std::mem::take(&mut self.book().sealed);
        for (id, body, mut delivery) in sealed {
            let keys = self
                .book()
                .subscribers
                .get(&id)
                .map(|s| (s.secret.clone(), s.auth));
            let opened = keys
                .ok_or_else(|| "the subscription is gone".to_owned())
                .and_then(|(secret, auth)| open(&body, &secret, auth));
            let mut book = self.book();
            match opened {
                Ok(payload) => {
                    delivery.payload = payload;
                    book.deliveries.push(delivery);
                }
                Err(why) => book.faults.push(format!("{}: {why}", StatusCode::BAD_REQUEST)),
            }
        }
    }
}

/// Decrypts a body for a subscription's keys; its JSON payload.
fn open(body: &[u8], secret: &p256::SecretKey, auth: [u8; 16]) -> Result<serde_json::Value, String> {
    let plain = web_push_native::decrypt(body.to_vec(), secret, &auth.into())
        .map_err(|e| format!("does not decrypt: {e:?}"))?;
    serde_json::from_slice(&plain).map_err(|e| format!("payload is not JSON: {e}"))
}

/// A running push service; it stops when dropped.
pub struct Receiver {
    /// `https://127.0.0.1:PORT`, the origin of every endpoint.
    pub origin: String,
    /// The CA that signed the service's certificate, PEM.
    pub ca_pem: String,
    shared: Arc<Shared>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl Receiver {
    /// Starts the service on a free port of 127.0.0.1. Each push is
    /// decrypted as it arrives, and one that does not decrypt is refused.
    pub async fn start() -> anyhow::Result<Receiver> {
        Self::start_with(true).await
    }

    /// As [`Receiver::start`], but taking pushes as a real push service
    /// does, which cannot read them: headers and VAPID are checked on
    /// arrival, and the payload is decrypted only when it is read
    /// ([`Receiver::deliveries`], [`Receiver::faults`]); one that does not
    /// decrypt is a fault then. For the bench, where the service shares
    /// the server's CPU and the browser's work should not be counted.
    pub async fn start_opaque() -> anyhow::Result<Receiver> {
        Self::start_with(false).await
    }

    async fn start_with(open_on_arrival: bool) -> anyhow::Result<Receiver> {
        let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let origin = format!("https://{}", tcp.local_addr()?);
        let shared = Arc::new(Shared {
            origin: origin.clone(),
            open_on_arrival,
            book: Mutex::new(Book::default()),
            arrived: Notify::new(),
            verified: Mutex::default(),
        });
        let app = Router::new()
            .route("/push/{id}", post(push))
            .with_state(shared.clone());
        let (ca_pem, tasks) = serve_https(tcp, app)?;
        Ok(Receiver {
            origin,
            ca_pem,
            shared,
            tasks,
        })
    }

    /// A new subscription, as the JSON a browser's `PushSubscription`
    /// serialises to: `{endpoint, expirationTime, keys: {p256dh, auth}}`.
    pub fn subscribe(&self) -> serde_json::Value {
        let secret = p256::SecretKey::random(&mut p256::elliptic_curve::rand_core::OsRng);
        let auth: [u8; 16] = rand::random();
        let id = format!("{:032x}", rand::random::<u128>());
        let public = secret.public_key().to_sec1_bytes();
        let endpoint = format!("{}/push/{id}", self.origin);
        self.shared.book().subscribers.insert(
            id,
            Subscriber {
                secret,
                auth,
                answer: 201,
            },
        );
        serde_json::json!({
            "endpoint": endpoint,
            "expirationTime": null,
            "keys": { "p256dh": B64.encode(public), "auth": B64.encode(auth) },
        })
    }

    /// From now on, valid pushes to `endpoint` are answered with `status`
    /// (410: the browser unsubscribed).
    pub fn answer(&self, endpoint: &str, status: u16) {
        let id = endpoint.rsplit('/').next().unwrap_or_default();
        if let Some(s) = self.shared.book().subscribers.get_mut(id) {
            s.answer = status;
        }
    }

    /// Every accepted push so far, in order of arrival.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.shared.settle();
        self.shared.book().deliveries.clone()
    }

    /// The accepted pushes to one endpoint.
    pub fn deliveries_to(&self, endpoint: &str) -> Vec<Delivery> {
        self.deliveries()
            .into_iter()
            .filter(|d| d.endpoint == endpoint)
            .collect()
    }

    /// How many pushes were accepted (decrypted or not yet).
    pub fn delivered(&self) -> usize {
        let book = self.shared.book();
        book.deliveries.len() + book.sealed.len()
    }

    /// Valid pushes answered with a status set by [`Receiver::answer`].
    pub fn turned_away(&self) -> usize {
        self.shared.book().turned_away
    }

    /// What was refused as not following the protocol, and why.
    pub fn faults(&self) -> Vec<String> {
        self.shared.settle();
        self.shared.book().faults.clone()
    }

    /// Waits until `n` pushes were accepted in all, or `wait` is over;
    /// returns how many were.
    pub async fn wait_for(&self, n: usize, wait: Duration) -> usize {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let arrived = self.shared.arrived.notified();
            let got = self.delivered();
            if got >= n {
                return got;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                return self.delivered();
            }
        }
    }
}

/// Serves `app` over HTTPS on `tcp`, with a certificate for 127.0.0.1
/// from a CA made now: that CA (PEM), and the tasks to abort to stop.
pub(crate) fn serve_https(
    tcp: tokio::net::TcpListener,
    app: Router,
) -> anyhow::Result<(String, Vec<tokio::task::JoinHandle<()>>)> {
    let (ca_pem, tls) = certificates().context("making the receiver's certificates")?;
    let addr = tcp.local_addr()?;
    let (tx, rx) = mpsc::channel(256);
    let acceptor = TlsAcceptor::from(Arc::new(tls));
    let handshakes = tokio::spawn(async move {
        loop {
            let Ok((stream, peer)) = tcp.accept().await else {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            };
            let acceptor = acceptor.clone();
            let tx = tx.clone();
            // Handshakes run apart, so a slow one holds up no other.
            tokio::spawn(async move {
                if let Ok(Ok(tls)) =
                    tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream)).await
                {
                    let _ = tx.send((tls, peer)).await;
                }
            });
        }
    });
    let serve = tokio::spawn(async move {
        let _ = axum::serve(Accepted { rx, addr }, app).await;
    });
    Ok((ca_pem, vec![handshakes, serve]))
}

/// A CA, and a certificate for 127.0.0.1 it signed, as a rustls config.
fn certificates() -> anyhow::Result<(String, rustls::ServerConfig)> {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate()?;
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "Madang test push service CA");
    let ca_cert = ca.self_signed(&ca_key)?;
    let key = KeyPair::generate()?;
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])?;
    let cert = leaf.signed_by(&key, &ca_cert, &ca_key)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )?;
    Ok((ca_cert.pem(), tls))
}

/// TLS connections whose handshake is done, for axum.
struct Accepted {
    rx: mpsc::Receiver<(TlsStream<tokio::net::TcpStream>, SocketAddr)>,
    addr: SocketAddr,
}

impl axum::serve::Listener for Accepted {
    type Io = TlsStream<tokio::net::TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.rx.recv().await {
            Some(conn) => conn,
            // The handshake task is gone: the receiver is being dropped.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        Ok(self.addr)
    }
}

async fn push(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    match check(&shared, &id, &headers, &body) {
        Ok(Some(delivery)) => {
            let mut book = shared.book();
            if shared.open_on_arrival {
                book.deliveries.push(delivery);
            } else {
                book.sealed.push((id, body, delivery));
            }
            drop(book);
            shared.arrived.notify_waiters();
            StatusCode::CREATED
        }
        Ok(None) => StatusCode::NOT_FOUND,
        Err(Refused::AsAsked(status)) => status,
        Err(Refused::Fault(status, why)) => {
            shared.book().faults.push(format!("{status}: {why}"));
            shared.arrived.notify_waiters();
            status
        }
    }
}

enum Refused {
    /// Not what the protocol asks for.
    Fault(StatusCode, String),
    /// A valid push, answered as [`Receiver::answer`] asked.
    AsAsked(StatusCode),
}

fn fault(status: StatusCode, why: impl Into<String>) -> Refused {
    Refused::Fault(status, why.into())
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Checks one push; `Ok(None)` for an unknown subscription.
fn check(shared: &Shared, id: &str, headers: &HeaderMap, body: &[u8]) -> Result<Option<Delivery>, Refused> {
    let (secret, auth, answer) = {
        let book = shared.book();
        let Some(s) = book.subscribers.get(id) else {
            return Ok(None);
        };
        (s.secret.clone(), s.auth, s.answer)
    };
    if body.len() > MAX_BODY {
        return Err(fault(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("{} bytes", body.len()),
        ));
    }
    if header(headers, "content-encoding") != Some("aes128gcm") {
        return Err(fault(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Encoding is not aes128gcm",
        ));
    }
    let ttl = header(headers, "ttl")
        .and_then(|t| t.trim().parse::<u64>().ok())
        .ok_or_else(|| fault(StatusCode::BAD_REQUEST, "no TTL"))?;
    let urgency = header(headers, "urgency").map(str::to_owned);
    if let Some(u) = &urgency
        && !["very-low", "low", "normal", "high"].contains(&u.as_str())
    {
        return Err(fault(StatusCode::BAD_REQUEST, format!("urgency {u}")));
    }
    let topic = header(headers, "topic").map(str::to_owned);
    if let Some(t) = &topic
        && (t.len() > 32
            || !t
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    {
        return Err(fault(
            StatusCode::BAD_REQUEST,
            format!("topic {t:?} is not 32 base64url characters at most"),
        ));
    }
    let authorization = header(headers, "authorization")
        .ok_or_else(|| fault(StatusCode::UNAUTHORIZED, "no Authorization"))?;
    let (vapid_key, contact) =
        vapid(shared, authorization).map_err(|why| fault(StatusCode::FORBIDDEN, why))?;
    let payload = if shared.open_on_arrival {
        open(body, &secret, auth).map_err(|why| fault(StatusCode::BAD_REQUEST, why))?
    } else {
        serde_json::Value::Null
    };
    if answer != 201 {
        shared.book().turned_away += 1;
        let status = StatusCode::from_u16(answer).unwrap_or(StatusCode::GONE);
        return Err(Refused::AsAsked(status));
    }
    Ok(Some(Delivery {
        endpoint: format!("{}/push/{id}", shared.origin),
        payload,
        ttl,
        urgency,
        topic,
        vapid_key,
        contact,
        at: Instant::now(),
    }))
}

/// At most this many verified tokens are remembered.
const VERIFIED_KEPT: usize = 1024;

/// Checks `vapid t=…, k=…` (RFC 8292 §3): returns the key and contact.
fn vapid(shared: &Shared, authorization: &str) -> Result<(String, String), String> {
    let origin = shared.origin.as_str();
    let rest = authorization
        .strip_prefix("vapid ")
        .ok_or("the Authorization scheme is not vapid")?;
    let mut token = None;
    let mut key = None;
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(t) = part.strip_prefix("t=") {
            token = Some(t);
        } else if let Some(k) = part.strip_prefix("k=") {
            key = Some(k);
        }
    }
    let (token, key) = (token.ok_or("no t=")?, key.ok_or("no k=")?);
    let mut parts = token.split('.');
    let (Some(head_b64), Some(claims_b64), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("the token is not a JWS".into());
    };
    let pair = (token.to_owned(), key.to_owned());
    let known = shared
        .verified
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .contains(&pair);
    if !known {
        verify_signature(key, head_b64, claims_b64, sig)?;
        let mut verified = shared.verified.lock().unwrap_or_else(|p| p.into_inner());
        if verified.len() >= VERIFIED_KEPT {
            verified.clear();
        }
        verified.insert(pair);
    }
    let claims: serde_json::Value = B64
        .decode(claims_b64)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or("the claims are not JSON")?;
    if claims["aud"] != origin {
        return Err(format!("aud {} is not {origin}", claims["aud"]));
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let exp = claims["exp"].as_u64().ok_or("no exp")?;
    if exp <= now || exp > now + MAX_TOKEN_LIFE {
        return Err(format!("exp {exp} is not within 24 h of now {now}"));
    }
    let contact = claims["sub"].as_str().unwrap_or_default().to_owned();
    if !contact.starts_with("mailto:") && !contact.starts_with("https:") {
        return Err(format!("sub {contact:?} is not a mailto: or https: contact"));
    }
    Ok((key.to_owned(), contact))
}

/// The JWS's header says ES256 and its signature verifies with `key`.
fn verify_signature(key: &str, head_b64: &str, claims_b64: &str, sig: &str) -> Result<(), String> {
    let public = B64
        .decode(key)
        .ok()
        .and_then(|b| p256::ecdsa::VerifyingKey::from_sec1_bytes(&b).ok())
        .ok_or("k is not a P-256 public key")?;
    let head: serde_json::Value = B64
        .decode(head_b64)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or("the token's header is not JSON")?;
    if head["alg"] != "ES256" {
        return Err(format!("alg {}", head["alg"]));
    }
    let signature = B64
        .decode(sig)
        .ok()
        .and_then(|b| p256::ecdsa::Signature::from_slice(&b).ok())
        .ok_or("the signature is not 64 bytes")?;
    public
        .verify(format!("{head_b64}.{claims_b64}").as_bytes(), &signature)
        .map_err(|_| "the signature does not verify with k")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Signer;

    fn shared() -> Shared {
        Shared {
            origin: "https://127.0.0.1:1".into(),
            open_on_arrival: true,
            book: Mutex::default(),
            arrived: Notify::new(),
            verified: Mutex::default(),
        }
    }

    /// `vapid t=…, k=…` for `claims`, signed by `signer` and naming `named`.
    fn header(signer: &p256::SecretKey, named: &p256::SecretKey, claims: serde_json::Value) -> String {
        let head = B64.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = B64.encode(claims.to_string());
        let input = format!("{head}.{claims}");
        let sig: p256::ecdsa::Signature = p256::ecdsa::SigningKey::from(signer).sign(input.as_bytes());
        let k = B64.encode(named.public_key().to_sec1_bytes());
        format!("vapid t={input}.{}, k={k}", B64.encode(sig.to_bytes()))
    }

    fn claims(exp_from_now: i64) -> serde_json::Value {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
        serde_json::json!({"aud": "https://127.0.0.1:1", "exp": now + exp_from_now, "sub": "mailto:ops@example.org"})
    }

    #[test]
    fn a_remembered_token_still_has_its_claims_and_key_checked() {
        let s = shared();
        let mut rng = p256::elliptic_curve::rand_core::OsRng;
        let key = p256::SecretKey::random(&mut rng);
        let other = p256::SecretKey::random(&mut rng);
        let good = header(&key, &key, claims(3600));
        assert!(vapid(&s, &good).is_ok());
        // Again, from memory.
        assert!(vapid(&s, &good).is_ok());
        // The same token naming another key is verified anew, and fails.
        let t = good.split(", k=").next().unwrap();
        let renamed = format!("{t}, k={}", B64.encode(other.public_key().to_sec1_bytes()));
        assert_eq!(
            vapid(&s, &renamed).unwrap_err(),
            "the signature does not verify with k"
        );
        // A signature changed by one character is not the remembered token.
        let mut forged = good.clone().into_bytes();
        let at = good.find(", k=").unwrap() - 3;
        forged[at] = if forged[at] == b'A' { b'B' } else { b'A' };
        let forged = String::from_utf8(forged).unwrap();
        assert!(vapid(&s, &forged).is_err());
        // Signed by one key, naming another.
        assert!(vapid(&s, &header(&other, &key, claims(3600))).is_err());
        // Expired or too long-lived.
        assert!(
            vapid(&s, &header(&key, &key, claims(-10)))
                .unwrap_err()
                .starts_with("exp")
        );
        assert!(
            vapid(&s, &header(&key, &key, claims(2 * 24 * 3600)))
                .unwrap_err()
                .starts_with("exp")
        );
    }
}
