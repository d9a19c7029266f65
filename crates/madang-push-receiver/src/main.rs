//! `madang-push-receiver`: the test push service as a process, for tests
//! outside Rust (the browser tests). It prints one JSON line,
//! `{"origin", "ca_file", "control"}`, then serves the push service at
//! `origin` (HTTPS, its CA written to `ca_file`) and, at `control` (plain
//! HTTP on 127.0.0.1), `POST /subscriptions` (a new subscription's JSON),
//! `GET /deliveries` (what arrived, decrypted) and `GET /faults`. It stops
//! when its standard input closes, so it never outlives whoever started it.

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use madang_push_receiver::Receiver;
use serde_json::{Value, json};
use std::sync::Arc;
use tokio::io::AsyncReadExt;

async fn subscribe(State(r): State<Arc<Receiver>>) -> axum::Json<Value> {
    axum::Json(r.subscribe())
}

async fn deliveries(State(r): State<Arc<Receiver>>) -> axum::Json<Value> {
    let list: Vec<Value> = r
        .deliveries()
        .into_iter()
        .map(|d| {
            json!({
                "endpoint": d.endpoint, "payload": d.payload, "ttl": d.ttl,
                "urgency": d.urgency, "topic": d.topic, "contact": d.contact,
            })
        })
        .collect();
    axum::Json(Value::Array(list))
}

async fn faults(State(r): State<Arc<Receiver>>) -> axum::Json<Vec<String>> {
    axum::Json(r.faults())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let receiver = Arc::new(Receiver::start().await?);
    let dir = tempfile::tempdir()?;
    let ca_file = dir.path().join("push-ca.pem");
    std::fs::write(&ca_file, &receiver.ca_pem)?;
    let control = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let app = Router::new()
        .route("/subscriptions", post(subscribe))
        .route("/deliveries", get(deliveries))
        .route("/faults", get(faults))
        .with_state(receiver.clone());
    println!(
        "{}",
        json!({
            "origin": receiver.origin,
            "ca_file": ca_file.display().to_string(),
            "control": format!("http://{}", control.local_addr()?),
        })
    );
    let stdin_closed = async {
        let mut sink = [0u8; 64];
        let mut stdin = tokio::io::stdin();
        while matches!(stdin.read(&mut sink).await, Ok(n) if n > 0) {}
    };
    tokio::select! {
        served = axum::serve(control, app) => served?,
        () = stdin_closed => {}
    }
    Ok(())
}
