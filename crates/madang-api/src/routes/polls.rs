//! Polls in group chats and open chats: post one (as a message), read its
//! votes, vote (again, until it closes), close it. Votes and closings
//! reach the room as `poll_changed`.

use super::JsonResult;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Auth, Json, Path};
use crate::openapi::refuse::*;
use axum::extract::State;
use axum::http::StatusCode;
use madang_types::api::Message;
use madang_types::polls::{CreatePollRequest, Poll, VoteRequest};
use madang_types::{RoomId, Seq};

/// Post a poll in a group chat or an open chat. Refusals: `invalid_poll`,
/// `invalid_poll_close`, `not_a_group` (400), `not_member` (403), and a
/// message's own (`banned_word`, `flooding`, `rate_limited`).
#[utoipa::path(post, path = "/api/v1/rooms/{room}/polls", tag = "polls", security(("bearer" = [])),
    params(("room" = i64, Path)), request_body = CreatePollRequest,
    responses((status = 201, body = Message)))]
pub async fn create(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(room): Path<RoomId>,
    Json(req): Json<CreatePollRequest>,
) -> Result<(StatusCode, axum::Json<Message>), ApiError> {
    let posted = st.core.create_poll(&me, room, req).await?;
    Ok((StatusCode::CREATED, axum::Json(posted)))
}

/// A poll with its counts, who chose what (not in an anonymous poll) and
/// my own choice. `poll_not_found` (404) for a message that is no poll.
#[utoipa::path(get, path = "/api/v1/rooms/{room}/polls/{seq}", tag = "polls", security(("bearer" = [])),
    params(("room" = i64, Path), ("seq" = i64, Path)),
    responses((status = 200, body = Poll)))]
pub async fn read(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path((room, seq)): Path<(RoomId, Seq)>,
) -> JsonResult<Poll> {
    Ok(axum::Json(st.core.poll(&me, room, seq).await?))
}

/// My vote, replacing the one before (`options: []` takes it back).
/// Refusals: `invalid_poll_option`, `single_choice` (400), `poll_closed`
/// (409), `not_member` (403), `poll_not_found` (404).
#[utoipa::path(put, path = "/api/v1/rooms/{room}/polls/{seq}/vote", tag = "polls", security(("bearer" = [])),
    params(("room" = i64, Path), ("seq" = i64, Path)), request_body = VoteRequest,
    responses((status = 200, body = Poll)))]
pub async fn vote(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path((room, seq)): Path<(RoomId, Seq)>,
    Json(req): Json<VoteRequest>,
) -> JsonResult<Poll> {
    Ok(axum::Json(st.core.vote(&me, room, seq, &req.options).await?))
}

/// Close it now (its author only: `not_author`, 403); `poll_closed` (409)
/// when it already is.
#[utoipa::path(post, path = "/api/v1/rooms/{room}/polls/{seq}/close", tag = "polls", security(("bearer" = [])),
    params(("room" = i64, Path), ("seq" = i64, Path)),
    responses((status = 200, body = Poll)))]
pub async fn close(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path((room, seq)): Path<(RoomId, Seq)>,
) -> JsonResult<Poll> {
    Ok(axum::Json(st.core.close_poll(&me, room, seq).await?))
}

/// What the handlers here refuse beyond their extractors (the document
/// lists these; tests fail on an answer not listed).
#[rustfmt::skip]
pub(crate) fn refusals() -> Declared {
    vec![
        (Method::POST, "/api/v1/rooms/{room}/polls", vec![BANNED_WORD, invalid("client_id_reused"), invalid("invalid_client_id"), invalid("invalid_poll"), invalid("invalid_poll_close"), invalid("not_a_group"), NOT_MEMBER, forbidden("room_closed"), forbidden("suspended"), not_found("message_not_found"), not_found("open_chat_not_found"), not_found("room_not_found")]),
        (Method::GET, "/api/v1/rooms/{room}/polls/{seq}", vec![NOT_MEMBER, not_found("message_not_found"), not_found("poll_not_found")]),
        (Method::POST, "/api/v1/rooms/{room}/polls/{seq}/close", vec![NOT_AUTHOR, NOT_MEMBER, not_found("message_not_found"), not_found("poll_not_found"), conflict("poll_closed")]),
        (Method::PUT, "/api/v1/rooms/{room}/polls/{seq}/vote", vec![invalid("invalid_poll_option"), invalid("single_choice"), NOT_MEMBER, not_found("message_not_found"), not_found("poll_not_found"), conflict("poll_closed")]),
    ]
}
