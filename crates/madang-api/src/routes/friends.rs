//! The friend list, contact matching, birthdays and blocks.

use super::JsonResult;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Auth, Json, Path};
use crate::openapi::refuse::*;
use axum::extract::State;
use axum::http::StatusCode;
use madang_types::UserId;
use madang_types::api::{
    AddFriendRequest, BlockRequest, ContactMatchRequest, Friend, Profile, UpdateFriendRequest,
};

/// The caller's friends (hidden ones flagged).
#[utoipa::path(get, path = "/api/v1/friends", tag = "friends", security(("bearer" = [])),
    responses((status = 200, body = Vec<Friend>)))]
pub async fn list(State(st): State<AppState>, Auth(me): Auth) -> JsonResult<Vec<Friend>> {
    Ok(axum::Json(st.core.friends(&me).await?))
}

/// Add a friend by handle.
#[utoipa::path(post, path = "/api/v1/friends", tag = "friends", security(("bearer" = [])),
    request_body = AddFriendRequest, responses((status = 200, body = Friend)))]
pub async fn add(
    State(st): State<AppState>,
    Auth(me): Auth,
    Json(req): Json<AddFriendRequest>,
) -> JsonResult<Friend> {
    Ok(axum::Json(st.core.add_friend(&me, &req.handle).await?))
}

/// Mark a friend as favourite, or hide them.
#[utoipa::path(patch, path = "/api/v1/friends/{id}", tag = "friends", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = UpdateFriendRequest, responses((status = 200, body = Friend)))]
pub async fn update(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<UserId>,
    Json(req): Json<UpdateFriendRequest>,
) -> JsonResult<Friend> {
    Ok(axum::Json(st.core.update_friend(&me, id, req).await?))
}

/// Remove someone from the friend list.
#[utoipa::path(delete, path = "/api/v1/friends/{id}", tag = "friends", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 204)))]
pub async fn remove(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<UserId>,
) -> Result<StatusCode, ApiError> {
    st.core.remove_friend(&me, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Upload hashed contacts; matching accounts become friends. Returns those added.
#[utoipa::path(post, path = "/api/v1/friends/contacts", tag = "friends", security(("bearer" = [])),
    request_body = ContactMatchRequest, responses((status = 200, body = Vec<Profile>)))]
pub async fn match_contacts(
    State(st): State<AppState>,
    Auth(me): Auth,
    Json(req): Json<ContactMatchRequest>,
) -> JsonResult<Vec<Profile>> {
    Ok(axum::Json(st.core.match_contacts(&me, req).await?))
}

/// Friends whose birthday is today.
#[utoipa::path(get, path = "/api/v1/friends/birthdays", tag = "friends", security(("bearer" = [])),
    responses((status = 200, body = Vec<Profile>)))]
pub async fn birthdays(State(st): State<AppState>, Auth(me): Auth) -> JsonResult<Vec<Profile>> {
    Ok(axum::Json(st.core.birthdays_today(&me).await?))
}

/// People the caller has blocked.
#[utoipa::path(get, path = "/api/v1/blocks", tag = "friends", security(("bearer" = [])),
    responses((status = 200, body = Vec<Profile>)))]
pub async fn blocks(State(st): State<AppState>, Auth(me): Auth) -> JsonResult<Vec<Profile>> {
    Ok(axum::Json(st.core.blocked(&me).await?))
}

/// Block someone: they cannot message or add the caller, or see their updates.
#[utoipa::path(post, path = "/api/v1/blocks", tag = "friends", security(("bearer" = [])),
    request_body = BlockRequest, responses((status = 204)))]
pub async fn block(
    State(st): State<AppState>,
    Auth(me): Auth,
    Json(req): Json<BlockRequest>,
) -> Result<StatusCode, ApiError> {
    st.core.block(&me, req.user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Unblock someone.
#[utoipa::path(delete, path = "/api/v1/blocks/{id}", tag = "friends", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 204)))]
pub async fn unblock(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<UserId>,
) -> Result<StatusCode, ApiError> {
    st.core.unblock(&me, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What the handlers here refuse beyond their extractors (the document
/// lists these; tests fail on an answer not listed).
#[rustfmt::skip]
pub(crate) fn refusals() -> Declared {
    vec![
        (Method::POST, "/api/v1/blocks", vec![invalid("cannot_block_self"), not_found("user_not_found")]),
        (Method::DELETE, "/api/v1/blocks/{id}", vec![not_found("block_not_found")]),
        (Method::POST, "/api/v1/friends", vec![invalid("cannot_add_self"), invalid("invalid_handle"), invalid("unblock_first"), not_found("friend_not_found"), not_found("user_not_found")]),
        (Method::POST, "/api/v1/friends/contacts", vec![invalid("invalid_contact_hash"), TOO_LARGE]),
        (Method::DELETE, "/api/v1/friends/{id}", vec![not_found("friend_not_found")]),
        (Method::PATCH, "/api/v1/friends/{id}", vec![not_found("friend_not_found")]),
    ]
}
