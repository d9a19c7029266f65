//! History in and out. Chats brought from KakaoTalk and WhatsApp (or a
//! Madang JSON export): a preview of the export, then the import itself,
//! both as `multipart/form-data` with the export (its `.txt`, or the zip
//! with its media) in the part `file`. Exports of a room or an account:
//! asked for, followed, and fetched by their link until it expires.

use super::JsonResult;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Auth, Json, Path, Query};
use crate::openapi::refuse::*;
use axum::extract::{Multipart, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use madang_types::RoomId;
use madang_types::history::{CreateExportRequest, ExportJob, ImportDone, ImportPlan, ImportPreview};
use serde::Deserialize;

/// The form of both routes. `plan` (JSON, an `ImportPlan`) is for the
/// import; `time_zone` (IANA) for the preview.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ImportForm {
    /// The export: KakaoTalk's or WhatsApp's `.txt`, or the zip holding it
    /// and its media.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// `POST /api/v1/imports`: who is who, as JSON.
    #[schema(value_type = Option<ImportPlan>)]
    plan: Option<String>,
    /// The preview: the zone the export's times are read in.
    time_zone: Option<String>,
}

/// The parts of an import form.
struct Form {
    file: Option<Bytes>,
    plan: Option<String>,
    time_zone: Option<String>,
}

fn bad(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::refusal(invalid(code), message)
}

fn read_failed(e: axum::extract::multipart::MultipartError) -> ApiError {
    crate::extract::unreadable(e.status(), e.body_text(), "the export")
}

/// The form's parts; the export in `file` is required.
async fn read_form(
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(Bytes, Form), ApiError> {
    let mut multipart = multipart.map_err(|r| bad("invalid_body", r.body_text()))?;
    let mut form = Form {
        file: None,
        plan: None,
        time_zone: None,
    };
    while let Some(field) = multipart.next_field().await.map_err(read_failed)? {
        let name = field.name().unwrap_or("").to_owned();
        match name.as_str() {
            "file" => form.file = Some(field.bytes().await.map_err(read_failed)?),
            "plan" => form.plan = Some(field.text().await.map_err(read_failed)?),
            "time_zone" => form.time_zone = Some(field.text().await.map_err(read_failed)?),
            other => {
                return Err(bad(
                    "invalid_body",
                    format!("unknown part {other:?}; the parts are file, plan and time_zone"),
                ));
            }
        }
    }
    let file = form
        .file
        .take()
        .ok_or_else(|| bad("invalid_body", "the export goes in the part `file`"))?;
    Ok((file, form))
}

/// What an export holds and who writes in it, with the friend each name
/// may be; nothing is written.
#[utoipa::path(post, path = "/api/v1/imports/preview", tag = "imports", security(("bearer" = [])),
    request_body(content = ImportForm, content_type = "multipart/form-data"),
    responses((status = 200, body = ImportPreview)))]
pub async fn preview(
    State(st): State<AppState>,
    Auth(me): Auth,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> JsonResult<ImportPreview> {
    let (file, form) = read_form(multipart).await?;
    Ok(axum::Json(
        st.core
            .preview_import(&me, file, form.time_zone.as_deref())
            .await?,
    ))
}

/// Imports a KakaoTalk or WhatsApp export as the plan says: into a new
/// group (or the plan's room), before its live messages, at the original
/// times, nothing new or unread to anyone. Progress goes to the caller's
/// WebSocket as `import_progress`. The same chat imported again writes
/// nothing and answers 200 with the first import (`already_imported`).
#[utoipa::path(post, path = "/api/v1/imports", tag = "imports", security(("bearer" = [])),
    request_body(content = ImportForm, content_type = "multipart/form-data"),
    responses((status = 201, body = ImportDone), (status = 200, body = ImportDone)))]
pub async fn import(
    State(st): State<AppState>,
    Auth(me): Auth,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, axum::Json<ImportDone>), ApiError> {
    let (file, form) = read_form(multipart).await?;
    let plan = form
        .plan
        .as_deref()
        .ok_or_else(|| bad("invalid_plan", "who is who goes in the part `plan`"))?;
    let plan: ImportPlan =
        serde_json::from_str(plan).map_err(|e| bad("invalid_plan", format!("the plan: {e}")))?;
    let done = st.core.import_history(&me, file, plan).await?;
    let status = if done.already_imported {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, axum::Json(done)))
}

/// Asks for the room's history, from when the caller joined, as `txt`
/// (KakaoTalk's layout), `json` (a zip: `chat.json` in the API's shapes
/// and `media/`; `POST /api/v1/imports` reads it back) or `html` (a zip:
/// one page and `media/`). Built in the background; `export_changed`
/// frames and `GET /api/v1/exports/{id}` follow it. `export_running`
/// (409) while two of the caller's are unfinished.
#[utoipa::path(post, path = "/api/v1/rooms/{room}/exports", tag = "imports", security(("bearer" = [])),
    params(("room" = i64, Path)), request_body = CreateExportRequest,
    responses((status = 202, body = ExportJob)))]
pub async fn export_room(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(room): Path<i64>,
    Json(req): Json<CreateExportRequest>,
) -> Result<(StatusCode, axum::Json<ExportJob>), ApiError> {
    let job = st.core.export_room(&me, RoomId(room), req.format).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(job)))
}

/// Asks for everything of the caller's: profile, friends, rooms, every
/// message of theirs that still exists (with its files) and their Pungs
/// that have not expired, as a zip (`account.json` and `media/`).
#[utoipa::path(post, path = "/api/v1/me/export", tag = "imports", security(("bearer" = [])),
    responses((status = 202, body = ExportJob)))]
pub async fn export_account(
    State(st): State<AppState>,
    Auth(me): Auth,
) -> Result<(StatusCode, axum::Json<ExportJob>), ApiError> {
    let job = st.core.export_account(&me).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(job)))
}

/// The caller's newest exports, newest first.
#[utoipa::path(get, path = "/api/v1/exports", tag = "imports", security(("bearer" = [])),
    responses((status = 200, body = Vec<ExportJob>)))]
pub async fn exports(State(st): State<AppState>, Auth(me): Auth) -> JsonResult<Vec<ExportJob>> {
    Ok(axum::Json(st.core.exports(&me).await?))
}

/// One of the caller's exports.
#[utoipa::path(get, path = "/api/v1/exports/{id}", tag = "imports", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = ExportJob)))]
pub async fn export(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<i64>,
) -> JsonResult<ExportJob> {
    Ok(axum::Json(st.core.export_of(&me, id).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct FileQuery {
    /// The export's key, from its `download_url`.
    token: String,
}

/// A finished export's file. The link (its `token`) is the key: it works
/// without signing in, until the export's `expires_at`, then answers
/// `410 export_expired`.
#[utoipa::path(get, path = "/api/v1/exports/{id}/file", tag = "imports",
    params(("id" = i64, Path), FileQuery),
    responses((status = 200, content_type = "application/zip")))]
pub async fn export_file(
    State(st): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<FileQuery>,
) -> Result<Response, ApiError> {
    let (name, content_type, bytes) = st.core.export_file(id, &q.token).await?;
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // The name in ASCII for old clients, and in full (RFC 5987).
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

/// What the handlers here refuse beyond their extractors (the document
/// lists these; tests fail on an answer not listed).
#[rustfmt::skip]
pub(crate) fn refusals() -> Declared {
    vec![
        (Method::GET, "/api/v1/exports/{id}", vec![not_found("export_not_found")]),
        (Method::GET, "/api/v1/exports/{id}/file", vec![not_found("export_not_found"), conflict("export_not_ready"), gone("export_expired")]),
        (Method::POST, "/api/v1/imports", vec![invalid("cannot_import_here"), invalid("empty_upload"), invalid("invalid_plan"), invalid("invalid_time_zone"), invalid("malformed_export"), invalid("not_in_room"), invalid("unknown_sender"), BLOCKED, NOT_MEMBER, not_found("friend_not_found"), not_found("media_not_found"), not_found("room_not_found"), conflict("import_running"), TOO_LARGE]),
        (Method::POST, "/api/v1/imports/preview", vec![invalid("empty_upload"), invalid("invalid_time_zone"), invalid("malformed_export")]),
        (Method::POST, "/api/v1/me/export", vec![conflict("export_running"), RATE_LIMITED]),
        (Method::POST, "/api/v1/rooms/{room}/exports", vec![invalid("invalid_format"), NOT_MEMBER, conflict("export_running"), RATE_LIMITED]),
    ]
}
