//! Chats brought from KakaoTalk and WhatsApp: a preview of the export,
//! then the import itself, both as `multipart/form-data` with the export
//! (its `.txt`, or the zip with its media) in the part `file`.

use super::JsonResult;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::Auth;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use bytes::Bytes;
use madang_types::history::{ImportDone, ImportPlan, ImportPreview};

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

fn bad(code: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, code, message)
}

fn read_failed(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "the export is too large",
        )
    } else {
        bad("invalid_body", e.body_text())
    }
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
