//! Attachment upload and media download.

use super::JsonResult;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Auth, Body, Path, Query};
use crate::openapi::refuse::*;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use madang_types::MediaId;
use madang_types::api::MediaUploaded;
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// The file's name, shown to recipients.
    name: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct DownloadQuery {
    /// The bearer token, for `<img src>` which cannot send headers.
    #[allow(dead_code)]
    access_token: Option<String>,
}

/// Upload an attachment: the raw bytes as the body. Images are recognised
/// by their content and get a thumbnail (`{media_id}.thumb`).
#[utoipa::path(post, path = "/api/v1/media", tag = "media", security(("bearer" = [])),
    params(UploadQuery), request_body(content = crate::openapi::Binary, content_type = "application/octet-stream"),
    responses((status = 200, body = MediaUploaded)))]
pub async fn upload(
    State(st): State<AppState>,
    Auth(me): Auth,
    Query(q): Query<UploadQuery>,
    headers: HeaderMap,
    Body(body): Body,
) -> JsonResult<MediaUploaded> {
    let claimed = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let name = q.name.unwrap_or_else(|| "file".to_owned());
    Ok(axum::Json(st.core.upload_media(&me, &name, claimed, body).await?))
}

/// Download a stored object (or its thumbnail).
#[utoipa::path(get, path = "/api/v1/media/{id}", tag = "media", security(("bearer" = [])),
    params(("id" = String, Path), DownloadQuery), responses((status = 200, content_type = "*/*")))]
pub async fn download(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<String>,
    Query(_q): Query<DownloadQuery>,
) -> Result<Response, ApiError> {
    let content = st.core.media_bytes(&me, &MediaId(id)).await?;
    let content_type = content.content_type;
    let mut res = content.bytes.into_response();
    let h = res.headers_mut();
    let inline = content_type.starts_with("image/");
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&content_type).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    // A Pung's photo is gone within a day: no cache may keep it.
    let cache = if content.ephemeral {
        "no-store"
    } else {
        "private, max-age=31536000, immutable"
    };
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if !inline {
        h.insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static("attachment"),
        );
    }
    Ok(res)
}

/// What the handlers here refuse beyond their extractors (the document
/// lists these; tests fail on an answer not listed).
#[rustfmt::skip]
pub(crate) fn refusals() -> Declared {
    vec![
        (Method::POST, "/api/v1/media", vec![invalid("empty_upload"), TOO_LARGE, UNSUPPORTED_MEDIA]),
        (Method::GET, "/api/v1/media/{id}", vec![not_found("media_not_found"), not_found("pung_not_found")]),
    ]
}
