//! Pungs: photo upload, posting, the feed, one friend's Pungs, views,
//! viewers, reactions, poll votes, replies and deletion.

use super::JsonResult;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Auth, Body, Json, Path};
use crate::openapi::refuse::*;
use axum::extract::State;
use axum::http::StatusCode;
use madang_types::api::{MediaUploaded, Message, ReactionRequest};
use madang_types::pung::{CreatePungRequest, Pung, PungFeed, PungReplyRequest, PungViewer, VoteRequest};
use madang_types::{PungId, UserId};

/// Upload the photo of a Pung about to be posted (the raw image as the
/// body). Only the uploader can read it until a Pung claims it; an
/// unclaimed photo is deleted after an hour.
#[utoipa::path(post, path = "/api/v1/pungs/uploads", tag = "pung", security(("bearer" = [])),
    request_body(content = crate::openapi::Binary, content_type = "application/octet-stream"),
    responses((status = 200, body = MediaUploaded)))]
pub async fn upload(
    State(st): State<AppState>,
    Auth(me): Auth,
    Body(body): Body,
) -> JsonResult<MediaUploaded> {
    Ok(axum::Json(st.core.upload_pung_photo(&me, body).await?))
}

/// Post a Pung. Retrying with the same `client_id` returns the stored one.
#[utoipa::path(post, path = "/api/v1/pungs", tag = "pung", security(("bearer" = [])),
    request_body = CreatePungRequest, responses((status = 201, body = Pung)))]
pub async fn post(
    State(st): State<AppState>,
    Auth(me): Auth,
    Json(req): Json<CreatePungRequest>,
) -> Result<(StatusCode, axum::Json<Pung>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(st.core.post_pung(&me, req).await?),
    ))
}

/// The caller's own Pungs and, per friend, the Pungs the caller may see
/// (unseen first).
#[utoipa::path(get, path = "/api/v1/pungs/feed", tag = "pung", security(("bearer" = [])),
    responses((status = 200, body = PungFeed)))]
pub async fn feed(State(st): State<AppState>, Auth(me): Auth) -> JsonResult<PungFeed> {
    Ok(axum::Json(st.core.pung_feed(&me).await?))
}

/// One person's Pungs that the caller may see, oldest first.
#[utoipa::path(get, path = "/api/v1/users/{id}/pungs", tag = "pung", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Vec<Pung>)))]
pub async fn of_user(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<UserId>,
) -> JsonResult<Vec<Pung>> {
    Ok(axum::Json(st.core.pungs_of(&me, id).await?))
}

/// One Pung; 404 for one the caller may not see, and once it is gone.
#[utoipa::path(get, path = "/api/v1/pungs/{id}", tag = "pung", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Pung)))]
pub async fn get(State(st): State<AppState>, Auth(me): Auth, Path(id): Path<PungId>) -> JsonResult<Pung> {
    Ok(axum::Json(st.core.pung(&me, id).await?))
}

/// Delete one's own Pung: it is purged everywhere at once.
#[utoipa::path(delete, path = "/api/v1/pungs/{id}", tag = "pung", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 204)))]
pub async fn delete(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<PungId>,
) -> Result<StatusCode, ApiError> {
    st.core.delete_pung(&me, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Mark a Pung as seen.
#[utoipa::path(post, path = "/api/v1/pungs/{id}/views", tag = "pung", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 204)))]
pub async fn view(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<PungId>,
) -> Result<StatusCode, ApiError> {
    st.core.view_pung(&me, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who viewed one's own Pung, with their reactions (author only).
#[utoipa::path(get, path = "/api/v1/pungs/{id}/viewers", tag = "pung", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Vec<PungViewer>)))]
pub async fn viewers(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<PungId>,
) -> JsonResult<Vec<PungViewer>> {
    Ok(axum::Json(st.core.pung_viewers(&me, id).await?))
}

/// React to a friend's Pung with an emoji.
#[utoipa::path(post, path = "/api/v1/pungs/{id}/reactions", tag = "pung", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ReactionRequest, responses((status = 204)))]
pub async fn react(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<PungId>,
    Json(req): Json<ReactionRequest>,
) -> Result<StatusCode, ApiError> {
    st.core.react_pung(&me, id, &req.emoji).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Take back a reaction.
#[utoipa::path(delete, path = "/api/v1/pungs/{id}/reactions/{emoji}", tag = "pung", security(("bearer" = [])),
    params(("id" = i64, Path), ("emoji" = String, Path)), responses((status = 204)))]
pub async fn unreact(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path((id, emoji)): Path<(PungId, String)>,
) -> Result<StatusCode, ApiError> {
    st.core.unreact_pung(&me, id, &emoji).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Vote in the Pung's poll (again to change the vote); returns the Pung
/// with the results.
#[utoipa::path(post, path = "/api/v1/pungs/{id}/votes", tag = "pung", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = VoteRequest, responses((status = 200, body = Pung)))]
pub async fn vote(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<PungId>,
    Json(req): Json<VoteRequest>,
) -> JsonResult<Pung> {
    Ok(axum::Json(st.core.vote_pung(&me, id, req.option).await?))
}

/// Reply to a Pung: a message in the 1:1 chat with its author that refers
/// to the Pung.
#[utoipa::path(post, path = "/api/v1/pungs/{id}/replies", tag = "pung", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = PungReplyRequest, responses((status = 200, body = Message)))]
pub async fn reply(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<PungId>,
    Json(req): Json<PungReplyRequest>,
) -> JsonResult<Message> {
    Ok(axum::Json(st.core.reply_pung(&me, id, req).await?))
}

/// What the handlers here refuse beyond their extractors (the document
/// lists these; tests fail on an answer not listed).
#[rustfmt::skip]
pub(crate) fn refusals() -> Declared {
    vec![
        (Method::POST, "/api/v1/pungs", vec![invalid("cannot_chat_with_self"), invalid("client_id_reused"), invalid("empty_pung"), invalid("invalid_audience"), invalid("invalid_background"), invalid("invalid_client_id"), invalid("invalid_duration"), invalid("invalid_layer"), invalid("invalid_pung_text"), invalid("not_a_friend"), invalid("tag_not_in_audience"), invalid("too_many_layers"), invalid("too_many_tags"), BLOCKED, NOT_MEMBER, not_found("media_not_found"), not_found("message_not_found"), not_found("pung_not_found"), not_found("room_not_found"), not_found("user_not_found"), RATE_LIMITED]),
        (Method::POST, "/api/v1/pungs/uploads", vec![invalid("empty_upload"), TOO_LARGE, UNSUPPORTED_MEDIA]),
        (Method::DELETE, "/api/v1/pungs/{id}", vec![NOT_AUTHOR, not_found("pung_not_found")]),
        (Method::GET, "/api/v1/pungs/{id}", vec![not_found("pung_not_found")]),
        (Method::POST, "/api/v1/pungs/{id}/reactions", vec![invalid("invalid_emoji"), invalid("own_pung"), not_found("pung_not_found")]),
        (Method::DELETE, "/api/v1/pungs/{id}/reactions/{emoji}", vec![invalid("invalid_emoji"), not_found("pung_not_found"), not_found("reaction_not_found")]),
        (Method::POST, "/api/v1/pungs/{id}/replies", vec![invalid("cannot_chat_with_self"), invalid("client_id_reused"), invalid("empty_message"), invalid("invalid_client_id"), invalid("invalid_pung_text"), invalid("own_pung"), BLOCKED, NOT_MEMBER, not_found("message_not_found"), not_found("pung_not_found"), not_found("room_not_found"), not_found("user_not_found"), TOO_LARGE]),
        (Method::GET, "/api/v1/pungs/{id}/viewers", vec![NOT_AUTHOR, not_found("pung_not_found")]),
        (Method::POST, "/api/v1/pungs/{id}/views", vec![not_found("pung_not_found")]),
        (Method::POST, "/api/v1/pungs/{id}/votes", vec![invalid("invalid_option"), invalid("no_poll"), not_found("pung_not_found")]),
        (Method::GET, "/api/v1/users/{id}/pungs", vec![not_found("user_not_found")]),
    ]
}
