//! Scheduled messages: write now, send at a chosen time; list, edit,
//! cancel or send now. Only the writer ever sees them before they go out.
//! Every change reaches the writer's devices as `scheduled_changed`.

use super::JsonResult;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Auth, Json, Path};
use crate::openapi::refuse::*;
use axum::extract::State;
use axum::http::StatusCode;
use madang_types::api::Message;
use madang_types::scheduled::{ScheduleRequest, ScheduledList, ScheduledMessage, ScheduledUpdate};
use madang_types::{RoomId, ScheduledId};

/// Schedule a message in a room I am in. Refusals (400): `schedule_too_soon`,
/// `schedule_too_far`, `empty_message`, `too_large` (413); `not_member`
/// (403); `media_not_found`, `message_not_found` (404); `scheduled_limit`
/// (409) with too many waiting.
#[utoipa::path(post, path = "/api/v1/rooms/{room}/scheduled", tag = "scheduled", security(("bearer" = [])),
    params(("room" = i64, Path)), request_body = ScheduleRequest,
    responses((status = 201, body = ScheduledMessage)))]
pub async fn schedule(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(room): Path<RoomId>,
    Json(req): Json<ScheduleRequest>,
) -> Result<(StatusCode, axum::Json<ScheduledMessage>), ApiError> {
    let made = st.core.schedule_message(&me, room, req).await?;
    Ok((StatusCode::CREATED, axum::Json(made)))
}

/// My messages waiting to be sent in this room, by time.
#[utoipa::path(get, path = "/api/v1/rooms/{room}/scheduled", tag = "scheduled", security(("bearer" = [])),
    params(("room" = i64, Path)),
    responses((status = 200, body = ScheduledList)))]
pub async fn in_room(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(room): Path<RoomId>,
) -> JsonResult<ScheduledList> {
    Ok(axum::Json(st.core.scheduled_in_room(&me, room).await?))
}

/// All my messages waiting to be sent, and those cancelled (`reason`
/// `cancelled`, or `left` when I left the room) or refused when their
/// time came (`reason` is the refusal's code) in the last week.
#[utoipa::path(get, path = "/api/v1/scheduled", tag = "scheduled", security(("bearer" = [])),
    responses((status = 200, body = ScheduledList)))]
pub async fn mine(State(st): State<AppState>, Auth(me): Auth) -> JsonResult<ScheduledList> {
    Ok(axum::Json(st.core.my_scheduled(&me).await?))
}

/// Change the text and/or the time of one still waiting. Refusals as for
/// scheduling; `scheduled_not_found` (404) for one not mine;
/// `scheduled_not_pending` (409) once it is sent, cancelled or going out.
#[utoipa::path(patch, path = "/api/v1/scheduled/{id}", tag = "scheduled", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ScheduledUpdate,
    responses((status = 200, body = ScheduledMessage)))]
pub async fn update(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<ScheduledId>,
    Json(req): Json<ScheduledUpdate>,
) -> JsonResult<ScheduledMessage> {
    Ok(axum::Json(st.core.update_scheduled(&me, id, req).await?))
}

/// Cancel one still waiting. `scheduled_not_found` (404),
/// `scheduled_not_pending` (409).
#[utoipa::path(delete, path = "/api/v1/scheduled/{id}", tag = "scheduled", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204)))]
pub async fn cancel(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<ScheduledId>,
) -> Result<StatusCode, ApiError> {
    st.core.cancel_scheduled(&me, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Send one now instead of at its time: the message as sent. A refusal is
/// the send's own (e.g. `not_member`, which also cancels it);
/// `scheduled_not_found` (404), `scheduled_not_pending` (409).
#[utoipa::path(post, path = "/api/v1/scheduled/{id}/send", tag = "scheduled", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Message)))]
pub async fn send_now(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<ScheduledId>,
) -> JsonResult<Message> {
    Ok(axum::Json(st.core.send_scheduled_now(&me, id).await?))
}

/// What the handlers here refuse beyond their extractors (the document
/// lists these; tests fail on an answer not listed).
#[rustfmt::skip]
pub(crate) fn refusals() -> Declared {
    vec![
        (Method::GET, "/api/v1/rooms/{room}/scheduled", vec![NOT_MEMBER]),
        (Method::POST, "/api/v1/rooms/{room}/scheduled", vec![BANNED_WORD, invalid("empty_message"), invalid("invalid_pung_text"), invalid("schedule_too_far"), invalid("schedule_too_soon"), NOT_MEMBER, forbidden("room_closed"), forbidden("suspended"), not_found("media_not_found"), not_found("message_not_found"), not_found("open_chat_not_found"), not_found("room_not_found"), conflict("scheduled_limit"), TOO_LARGE]),
        (Method::DELETE, "/api/v1/scheduled/{id}", vec![not_found("scheduled_not_found"), conflict("scheduled_not_pending")]),
        (Method::PATCH, "/api/v1/scheduled/{id}", vec![BANNED_WORD, invalid("empty_message"), invalid("invalid_pung_text"), invalid("schedule_too_far"), invalid("schedule_too_soon"), forbidden("room_closed"), forbidden("suspended"), not_found("open_chat_not_found"), not_found("room_not_found"), not_found("scheduled_not_found"), conflict("scheduled_not_pending"), TOO_LARGE]),
        (Method::POST, "/api/v1/scheduled/{id}/send", vec![BANNED_WORD, invalid("client_id_reused"), invalid("empty_message"), invalid("invalid_client_id"), invalid("invalid_pung_text"), invalid("invalid_voice"), invalid("mention_not_member"), invalid("not_a_thread_root"), invalid("threads_open_chat_only"), BLOCKED, NOT_MEMBER, forbidden("room_closed"), forbidden("suspended"), not_found("media_not_found"), not_found("message_not_found"), not_found("open_chat_not_found"), not_found("room_not_found"), not_found("scheduled_not_found"), conflict("scheduled_not_pending"), TOO_LARGE, FLOODING, RATE_LIMITED]),
    ]
}
