//! The web client, embedded in the binary: files from `web/` at the
//! repository root, with `index.html` for every other path outside the API
//! so that the client's own routes load. A strict Content-Security-Policy
//! allows scripts, styles and connections from this origin only.

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "../../web"]
struct Assets;

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; \
                   connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; \
                   form-action 'self'";

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("webmanifest") => "application/manifest+json",
        Some("json") => "application/json",
        Some("txt") | Some("md") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Whether a file of `web/` is part of the client (not an editor's or
/// type checker's configuration).
fn in_shell(path: &str) -> bool {
    !path.ends_with("jsconfig.json") && path != "sw.js"
}

/// The files the service worker keeps for offline use, and a version that
/// changes with any of them.
fn shell_list() -> Response {
    let mut files: Vec<String> = Assets::iter()
        .map(|f| f.into_owned())
        .filter(|f| in_shell(f))
        .collect();
    files.sort();
    // FNV-1a over the files' own SHA-256 hashes.
    let mut version: u64 = 0xcbf2_9ce4_8422_2325;
    for f in &files {
        if let Some(file) = Assets::get(f) {
            for b in file.metadata.sha256_hash() {
                version = (version ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
            }
        }
    }
    let version = format!("{version:016x}");
    let body = serde_json::json!({ "version": version, "files": files });
    let mut res = axum::Json(body).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    res
}

async fn asset(uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path().trim_start_matches('/');
    if path.starts_with("api/") {
        return crate::ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint").into_response();
    }
    if path == "app-shell.json" {
        return shell_list();
    }
    let (name, file) = match Assets::get(path).filter(|_| !path.is_empty()) {
        Some(f) => (path, f),
        None => match Assets::get("index.html") {
            Some(f) => ("index.html", f),
            None => return (StatusCode::NOT_FOUND, "web client not built in").into_response(),
        },
    };
    let etag = format!(
        "\"{}\"",
        file.metadata
            .sha256_hash()
            .iter()
            .take(12)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let mut res = file.data.into_owned().into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(name)));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    res
}

pub(crate) fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().fallback(asset)
}
