//! The one table from domain errors to stable codes and HTTP statuses, and
//! the middleware that logs internal causes once and counts responses.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use madang_core::{Error, Kind, Refusal};
use madang_types::api::{ErrorBody, ErrorDetail};
use std::time::Instant;

/// An error on its way to the client.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub detail: ErrorDetail,
}

impl ApiError {
    /// A refusal the API itself gives (a body it cannot read, say), with
    /// its status from the one table.
    pub fn refusal(r: Refusal, message: impl Into<String>) -> Self {
        ApiError::new(status_of(r.kind), r.code, message)
    }

    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            detail: ErrorDetail {
                code: code.to_owned(),
                message: message.into(),
                reason: None,
                word: None,
                retry_after_ms: None,
                line: None,
            },
        }
    }
}

/// The one table: the HTTP status of each kind of failure, for the answers
/// given and for the refusals the document lists.
pub fn status_of(kind: Kind) -> StatusCode {
    use StatusCode as S;
    match kind {
        Kind::Invalid => S::BAD_REQUEST,
        Kind::Unauthenticated => S::UNAUTHORIZED,
        Kind::PaymentRequired => S::PAYMENT_REQUIRED,
        Kind::Forbidden => S::FORBIDDEN,
        Kind::NotFound => S::NOT_FOUND,
        Kind::Conflict => S::CONFLICT,
        Kind::Gone => S::GONE,
        Kind::TooLarge => S::PAYLOAD_TOO_LARGE,
        Kind::UnsupportedMedia => S::UNSUPPORTED_MEDIA_TYPE,
        Kind::RateLimited => S::TOO_MANY_REQUESTS,
        Kind::Internal => S::INTERNAL_SERVER_ERROR,
        Kind::Unavailable => S::SERVICE_UNAVAILABLE,
    }
}

/// Status and stable code of a domain error.
pub fn describe(e: &Error) -> (StatusCode, String) {
    (status_of(e.kind()), e.code())
}

/// A domain error as the client sees it, over HTTP or the WebSocket: its
/// status, stable code, message and the values a client needs to say it in
/// the person's language.
pub fn detail(e: &Error) -> (StatusCode, ErrorDetail) {
    let (status, code) = describe(e);
    let mut detail = ApiError::new(status, &code, e.to_string()).detail;
    match e {
        Error::RateLimited { retry_after_ms } => detail.retry_after_ms = Some(*retry_after_ms),
        Error::Flooding {
            reason,
            retry_after_ms,
            ..
        } => {
            detail.reason = Some((*reason).into());
            detail.retry_after_ms = Some(*retry_after_ms);
        }
        Error::BannedWord(word) => detail.word = Some(word.clone()),
        Error::MalformedExport { line, .. } => detail.line = Some(*line as i64),
        _ => {}
    }
    (status, detail)
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        if let Error::Internal(cause) = &e {
            // Logged here, once; the client learns nothing internal.
            tracing::error!(error = %cause, "internal error");
        }
        let (status, detail) = detail(&e);
        ApiError { status, detail }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry_after_ms = self.detail.retry_after_ms;
        let code = ErrorCode(self.detail.code.clone());
        let mut res = (self.status, axum::Json(ErrorBody { error: self.detail })).into_response();
        // For the check that every answer is in the document.
        res.extensions_mut().insert(code);
        if let Some(ms) = retry_after_ms {
            let secs = (ms + 999) / 1000;
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        res
    }
}

/// The stable code of an error response, kept beside its body.
#[derive(Clone, Debug)]
pub struct ErrorCode(pub String);

/// A panic becomes a plain 500 with no details (and is logged).
pub fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("handler panicked");
    ApiError::refusal(madang_core::refusals::INTERNAL, "internal error").into_response()
}

/// Counts responses by status and logs each request once.
pub async fn log_and_count(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let res = next.run(req).await;
    let status = res.status().as_u16();
    let elapsed = started.elapsed();
    metrics::counter!("madang_http_responses_total", "status" => status.to_string()).increment(1);
    metrics::histogram!("madang_http_request_seconds").record(elapsed.as_secs_f64());
    tracing::info!(%method, %path, status, ms = elapsed.as_millis() as u64, "request");
    res
}
