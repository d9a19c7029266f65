//! Chat folders: the caller's named groups of rooms, in their order.
//! Every change reaches all the caller's devices as `folders_changed`.

use super::JsonResult;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Auth, Json, Path};
use crate::openapi::refuse::*;
use axum::extract::State;
use axum::http::StatusCode;
use madang_types::FolderId;
use madang_types::folders::{Folder, FolderList, FolderOrder, FolderUpdate, NewFolder};

/// The caller's folders in their order, with the limits.
#[utoipa::path(get, path = "/api/v1/folders", tag = "folders", security(("bearer" = [])),
    responses((status = 200, body = FolderList)))]
pub async fn list(State(st): State<AppState>, Auth(me): Auth) -> JsonResult<FolderList> {
    Ok(axum::Json(st.core.folders(&me).await?))
}

/// A new folder, after the others. Refusals: `invalid_folder_name`,
/// `folder_rooms_limit` (400), `not_member` (403) for a room the caller is
/// not in, `folder_limit` (409) past the number of folders allowed.
#[utoipa::path(post, path = "/api/v1/folders", tag = "folders", security(("bearer" = [])),
    request_body = NewFolder,
    responses((status = 201, body = Folder)))]
pub async fn create(
    State(st): State<AppState>,
    Auth(me): Auth,
    Json(req): Json<NewFolder>,
) -> Result<(StatusCode, axum::Json<Folder>), ApiError> {
    let made = st.core.create_folder(&me, req).await?;
    Ok((StatusCode::CREATED, axum::Json(made)))
}

/// Rename a folder and/or replace its rooms. Refusals as for creating;
/// `folder_not_found` (404) for a folder that is not the caller's.
#[utoipa::path(patch, path = "/api/v1/folders/{folder}", tag = "folders", security(("bearer" = [])),
    params(("folder" = i64, Path)), request_body = FolderUpdate,
    responses((status = 200, body = Folder)))]
pub async fn update(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(folder): Path<FolderId>,
    Json(req): Json<FolderUpdate>,
) -> JsonResult<Folder> {
    Ok(axum::Json(st.core.update_folder(&me, folder, req).await?))
}

/// Delete a folder (its rooms stay where they are).
#[utoipa::path(delete, path = "/api/v1/folders/{folder}", tag = "folders", security(("bearer" = [])),
    params(("folder" = i64, Path)),
    responses((status = 204)))]
pub async fn delete(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(folder): Path<FolderId>,
) -> Result<StatusCode, ApiError> {
    st.core.delete_folder(&me, folder).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Put the caller's folders in this order. `folder_order_mismatch` (400)
/// unless it names each of them exactly once.
#[utoipa::path(put, path = "/api/v1/folders/order", tag = "folders", security(("bearer" = [])),
    request_body = FolderOrder,
    responses((status = 200, body = FolderList)))]
pub async fn order(
    State(st): State<AppState>,
    Auth(me): Auth,
    Json(req): Json<FolderOrder>,
) -> JsonResult<FolderList> {
    Ok(axum::Json(st.core.order_folders(&me, &req.folder_ids).await?))
}

/// What the handlers here refuse beyond their extractors (the document
/// lists these; tests fail on an answer not listed).
#[rustfmt::skip]
pub(crate) fn refusals() -> Declared {
    vec![
        (Method::POST, "/api/v1/folders", vec![invalid("folder_rooms_limit"), invalid("invalid_folder_name"), NOT_MEMBER, conflict("folder_limit")]),
        (Method::PUT, "/api/v1/folders/order", vec![invalid("folder_order_mismatch")]),
        (Method::DELETE, "/api/v1/folders/{folder}", vec![not_found("folder_not_found")]),
        (Method::PATCH, "/api/v1/folders/{folder}", vec![invalid("folder_rooms_limit"), invalid("invalid_folder_name"), NOT_MEMBER, not_found("folder_not_found")]),
    ]
}
