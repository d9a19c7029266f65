//! The HTTP edge of Madang: REST handlers under `/api/v1`, the WebSocket
//! gateway at `/api/v1/ws`, authentication, the error-code table, OpenAPI,
//! the ops endpoints and the embedded web client. Handlers extract,
//! authenticate, call one use case of `madang-core` and return; no SQL and
//! no permission logic lives here.
//! This is the only crate that knows the JSON shapes on the wire.

mod error;
mod extract;
mod openapi;
mod routes;
mod web;
mod ws;

pub use error::{ApiError, describe};
pub use extract::TrustedProxies;
pub use openapi::Undocumented;
pub use ws::protocol::decode_client_frame;

use axum::Router;
use madang_core::Core;
use metrics_exporter_prometheus::PrometheusHandle;
use std::sync::Arc;
use tokio::sync::watch;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub core: Arc<Core>,
    /// Renders `/metrics`; `None` when no recorder is installed.
    pub metrics: Option<PrometheusHandle>,
    /// Turns true when the node starts shutting down: `/readyz` fails and
    /// sockets are told to reconnect elsewhere.
    pub shutdown: watch::Receiver<bool>,
    /// Answers `/readyz` by checking the database.
    pub ping_db: Arc<dyn Fn() -> futures::future::BoxFuture<'static, bool> + Send + Sync>,
    /// Whose `X-Forwarded-For` names the client (a load balancer's).
    pub trusted_proxies: Arc<extract::TrustedProxies>,
    /// Answers the API document does not list (tests fail on any).
    pub undocumented: Arc<Undocumented>,
}

impl AppState {
    pub fn is_ready(&self) -> bool {
        !*self.shutdown.borrow()
    }
}

/// The whole HTTP surface; tests call this directly.
pub fn app(state: AppState) -> Router {
    let (api, mut doc) = routes::router(&state).split_for_parts();
    let (documented, unknown) = openapi::complete(&mut doc, routes::refusals());
    for why in &unknown {
        tracing::error!(%why, "a refusal declared for no operation");
    }
    debug_assert!(
        unknown.is_empty(),
        "refusals declared for no operation: {unknown:?}"
    );
    Router::new()
        .merge(api)
        .merge(openapi::docs(doc))
        .merge(routes::ops::router())
        .merge(web::router())
        .layer(axum::middleware::from_fn_with_state(
            (Arc::new(documented), state.undocumented.clone()),
            openapi::conform,
        ))
        .layer(axum::middleware::from_fn(error::log_and_count))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            error::panic_response,
        ))
        .with_state(state)
}
