//! Open chats: create, find by id or link, join, members, and the host's
//! tools (settings, hide, kick and ban, bans, co-hosts, hand-over, notice,
//! banned words, spam screening and its review, close).

use super::JsonResult;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Auth, Json, Path, Query};
use crate::openapi::refuse::*;
use axum::extract::State;
use axum::http::StatusCode;
use madang_types::openchat::{
    BannedWords, CreateOpenChatRequest, FlaggedMessages, JoinOpenChatRequest, KickRequest, MemberRequest,
    NoticeRequest, OpenBan, OpenChat, OpenMemberPage, ReviewFlag, ScreeningSettings, SetScreening,
    UpdateOpenChatRequest,
};
use madang_types::{BanId, OpenChatId, RoomId, Seq, UserId};
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MembersQuery {
    /// Only members after this room identity (from `next_after`).
    after: Option<i64>,
    /// Page size, 1–200 (default 100).
    limit: Option<i64>,
}

/// The categories an open chat can be filed under.
#[utoipa::path(get, path = "/api/v1/openchats/categories", tag = "openchat", security(("bearer" = [])),
    responses((status = 200, body = Vec<String>)))]
pub async fn categories(State(st): State<AppState>, Auth(_me): Auth) -> JsonResult<Vec<String>> {
    Ok(axum::Json(st.core.open_chat_categories()))
}

/// Create an open chat with the caller as host.
#[utoipa::path(post, path = "/api/v1/openchats", tag = "openchat", security(("bearer" = [])),
    request_body = CreateOpenChatRequest, responses((status = 201, body = OpenChat)))]
pub async fn create(
    State(st): State<AppState>,
    Auth(me): Auth,
    Json(req): Json<CreateOpenChatRequest>,
) -> Result<(StatusCode, axum::Json<OpenChat>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(st.core.create_open_chat(&me, req).await?),
    ))
}

/// One open chat (a link-only or closed one only for its members).
#[utoipa::path(get, path = "/api/v1/openchats/{id}", tag = "openchat", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = OpenChat)))]
pub async fn get(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<OpenChatId>,
) -> JsonResult<OpenChat> {
    Ok(axum::Json(st.core.open_chat(&me, id).await?))
}

/// Change the open chat's settings (host only): title, description,
/// hashtags, category, cover, who can find it, entry code, real profiles
/// only, member cap. Left-out fields stay; members already in stay.
#[utoipa::path(patch, path = "/api/v1/openchats/{id}", tag = "openchat", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = UpdateOpenChatRequest, responses((status = 200, body = OpenChat)))]
pub async fn update(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<OpenChatId>,
    Json(req): Json<UpdateOpenChatRequest>,
) -> JsonResult<OpenChat> {
    Ok(axum::Json(st.core.update_open_chat(&me, id, req).await?))
}

/// Close the open chat (host only): history stays, nothing more is sent.
#[utoipa::path(delete, path = "/api/v1/openchats/{id}", tag = "openchat", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 204)))]
pub async fn close(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<OpenChatId>,
) -> Result<StatusCode, ApiError> {
    st.core.close_open_chat(&me, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Join a public open chat, with a nickname or the real profile.
#[utoipa::path(post, path = "/api/v1/openchats/{id}/join", tag = "openchat", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = JoinOpenChatRequest, responses((status = 200, body = OpenChat)))]
pub async fn join(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<OpenChatId>,
    Json(req): Json<JoinOpenChatRequest>,
) -> JsonResult<OpenChat> {
    Ok(axum::Json(st.core.join_open_chat(&me, id, req).await?))
}

/// An open chat by the code of its link.
#[utoipa::path(get, path = "/api/v1/openchats/links/{code}", tag = "openchat", security(("bearer" = [])),
    params(("code" = String, Path)), responses((status = 200, body = OpenChat)))]
pub async fn by_link(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(code): Path<String>,
) -> JsonResult<OpenChat> {
    Ok(axum::Json(st.core.open_chat_by_link(&me, &code).await?))
}

/// Join an open chat by its link.
#[utoipa::path(post, path = "/api/v1/openchats/links/{code}/join", tag = "openchat", security(("bearer" = [])),
    params(("code" = String, Path)), request_body = JoinOpenChatRequest, responses((status = 200, body = OpenChat)))]
pub async fn join_by_link(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(code): Path<String>,
    Json(req): Json<JoinOpenChatRequest>,
) -> JsonResult<OpenChat> {
    Ok(axum::Json(st.core.join_open_chat_by_link(&me, &code, req).await?))
}

/// Members of an open chat's room as they appear there, a page at a time.
#[utoipa::path(get, path = "/api/v1/rooms/{room}/open-members", tag = "openchat", security(("bearer" = [])),
    params(("room" = i64, Path), MembersQuery), responses((status = 200, body = OpenMemberPage)))]
pub async fn members(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(room): Path<RoomId>,
    Query(q): Query<MembersQuery>,
) -> JsonResult<OpenMemberPage> {
    Ok(axum::Json(
        st.core
            .open_chat_members(&me, room, q.after.map(UserId), q.limit)
            .await?,
    ))
}

/// Hide a message for everyone (가리기; hosts and co-hosts).
#[utoipa::path(put, path = "/api/v1/rooms/{room}/messages/{seq}/hidden", tag = "openchat", security(("bearer" = [])),
    params(("room" = i64, Path), ("seq" = i64, Path)), responses((status = 204)))]
pub async fn hide(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path((room, seq)): Path<(RoomId, Seq)>,
) -> Result<StatusCode, ApiError> {
    st.core.hide_message(&me, room, seq).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Show a hidden message again (hosts and co-hosts).
#[utoipa::path(delete, path = "/api/v1/rooms/{room}/messages/{seq}/hidden", tag = "openchat", security(("bearer" = [])),
    params(("room" = i64, Path), ("seq" = i64, Path)), responses((status = 204)))]
pub async fn restore(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path((room, seq)): Path<(RoomId, Seq)>,
) -> Result<StatusCode, ApiError> {
    st.core.restore_message(&me, room, seq).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove a member, and ban them if asked (hosts and co-hosts).
#[utoipa::path(post, path = "/api/v1/rooms/{room}/kicks", tag = "openchat", security(("bearer" = [])),
    params(("room" = i64, Path)), request_body = KickRequest, responses((status = 204)))]
pub async fn kick(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(room): Path<RoomId>,
    Json(req): Json<KickRequest>,
) -> Result<StatusCode, ApiError> {
    st.core.kick(&me, room, req.member_id, req.ban).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Bans of an open chat, by the nickname each had.
#[utoipa::path(get, path = "/api/v1/openchats/{id}/bans", tag = "openchat", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Vec<OpenBan>)))]
pub async fn bans(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<OpenChatId>,
) -> JsonResult<Vec<OpenBan>> {
    Ok(axum::Json(st.core.open_chat_bans(&me, id).await?))
}

/// Lift a ban.
#[utoipa::path(delete, path = "/api/v1/openchats/{id}/bans/{ban}", tag = "openchat", security(("bearer" = [])),
    params(("id" = i64, Path), ("ban" = i64, Path)), responses((status = 204)))]
pub async fn unban(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path((id, ban)): Path<(OpenChatId, BanId)>,
) -> Result<StatusCode, ApiError> {
    st.core.unban(&me, id, ban).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Make a member a co-host (host only).
#[utoipa::path(put, path = "/api/v1/openchats/{id}/cohosts/{member}", tag = "openchat", security(("bearer" = [])),
    params(("id" = i64, Path), ("member" = i64, Path)), responses((status = 204)))]
pub async fn appoint(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path((id, member)): Path<(OpenChatId, UserId)>,
) -> Result<StatusCode, ApiError> {
    st.core.appoint_cohost(&me, id, member).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Make a co-host a member again (host only).
#[utoipa::path(delete, path = "/api/v1/openchats/{id}/cohosts/{member}", tag = "openchat", security(("bearer" = [])),
    params(("id" = i64, Path), ("member" = i64, Path)), responses((status = 204)))]
pub async fn dismiss(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path((id, member)): Path<(OpenChatId, UserId)>,
) -> Result<StatusCode, ApiError> {
    st.core.dismiss_cohost(&me, id, member).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Hand the host role to a member (host only); then the old host may leave.
#[utoipa::path(post, path = "/api/v1/openchats/{id}/host", tag = "openchat", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = MemberRequest, responses((status = 204)))]
pub async fn hand_over(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<OpenChatId>,
    Json(req): Json<MemberRequest>,
) -> Result<StatusCode, ApiError> {
    st.core.hand_over(&me, id, req.member_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Pin a message as the notice (hosts and co-hosts).
#[utoipa::path(put, path = "/api/v1/openchats/{id}/notice", tag = "openchat", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = NoticeRequest, responses((status = 204)))]
pub async fn pin(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<OpenChatId>,
    Json(req): Json<NoticeRequest>,
) -> Result<StatusCode, ApiError> {
    st.core.pin_notice(&me, id, req.seq).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Take the notice down (hosts and co-hosts).
#[utoipa::path(delete, path = "/api/v1/openchats/{id}/notice", tag = "openchat", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 204)))]
pub async fn unpin(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<OpenChatId>,
) -> Result<StatusCode, ApiError> {
    st.core.unpin_notice(&me, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The words nobody may send here (hosts and co-hosts).
#[utoipa::path(get, path = "/api/v1/openchats/{id}/banned-words", tag = "openchat", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = BannedWords)))]
pub async fn banned_words(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<OpenChatId>,
) -> JsonResult<BannedWords> {
    Ok(axum::Json(BannedWords {
        words: st.core.banned_words(&me, id).await?,
    }))
}

/// Replace the banned words (hosts and co-hosts).
#[utoipa::path(put, path = "/api/v1/openchats/{id}/banned-words", tag = "openchat", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = BannedWords, responses((status = 200, body = BannedWords)))]
pub async fn set_banned_words(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<OpenChatId>,
    Json(req): Json<BannedWords>,
) -> JsonResult<BannedWords> {
    Ok(axum::Json(BannedWords {
        words: st.core.set_banned_words(&me, id, &req.words).await?,
    }))
}

/// How much spam screening does here, and whether this server compares
/// messages with labelled spam (hosts and co-hosts).
#[utoipa::path(get, path = "/api/v1/openchats/{id}/screening", tag = "openchat", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = ScreeningSettings)))]
pub async fn screening(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<OpenChatId>,
) -> JsonResult<ScreeningSettings> {
    Ok(axum::Json(st.core.screening(&me, id).await?))
}

/// Set spam screening: `off`, `model` (hide what reads like labelled spam)
/// or `strict` (also newcomers' links) — hosts and co-hosts of a group.
#[utoipa::path(put, path = "/api/v1/openchats/{id}/screening", tag = "openchat", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = SetScreening, responses((status = 200, body = ScreeningSettings)))]
pub async fn set_screening(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<OpenChatId>,
    Json(req): Json<SetScreening>,
) -> JsonResult<ScreeningSettings> {
    Ok(axum::Json(st.core.set_screening(&me, id, req.mode).await?))
}

/// Messages screening hid that wait for review, newest first, with their
/// text (hosts and co-hosts).
#[utoipa::path(get, path = "/api/v1/openchats/{id}/flagged", tag = "openchat", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = FlaggedMessages)))]
pub async fn flagged(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<OpenChatId>,
) -> JsonResult<FlaggedMessages> {
    Ok(axum::Json(FlaggedMessages {
        messages: st.core.flagged_messages(&me, id).await?,
    }))
}

/// Review a flagged message: `spam` keeps it hidden, `fine` shows it again
/// (hosts and co-hosts).
#[utoipa::path(post, path = "/api/v1/openchats/{id}/flagged/{seq}", tag = "openchat", security(("bearer" = [])),
    params(("id" = i64, Path), ("seq" = i64, Path)), request_body = ReviewFlag, responses((status = 204)))]
pub async fn review_flag(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path((id, seq)): Path<(OpenChatId, Seq)>,
    Json(req): Json<ReviewFlag>,
) -> Result<StatusCode, ApiError> {
    st.core.review_flag(&me, id, seq, req.verdict).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What the handlers here refuse beyond their extractors (the document
/// lists these; tests fail on an answer not listed).
#[rustfmt::skip]
pub(crate) fn refusals() -> Declared {
    vec![
        (Method::POST, "/api/v1/openchats", vec![invalid("invalid_category"), invalid("invalid_description"), invalid("invalid_entry_code"), invalid("invalid_hashtag"), invalid("invalid_member_cap"), invalid("invalid_nickname"), invalid("invalid_title"), forbidden("real_profile_required"), forbidden("suspended"), not_found("media_not_found"), not_found("member_not_found"), not_found("open_chat_not_found"), not_found("user_not_found")]),
        (Method::GET, "/api/v1/openchats/links/{code}", vec![not_found("member_not_found"), not_found("open_chat_not_found")]),
        (Method::POST, "/api/v1/openchats/links/{code}/join", vec![forbidden("bots_not_allowed"), invalid("nickname_taken"), invalid("own_open_chat"), forbidden("banned"), forbidden("real_profile_required"), forbidden("subscription_required"), forbidden("suspended"), forbidden("wrong_entry_code"), not_found("member_not_found"), not_found("open_chat_not_found"), not_found("user_not_found"), ROOM_FULL]),
        (Method::DELETE, "/api/v1/openchats/{id}", vec![forbidden("not_host"), not_found("open_chat_not_found")]),
        (Method::GET, "/api/v1/openchats/{id}", vec![not_found("member_not_found"), not_found("open_chat_not_found")]),
        (Method::PATCH, "/api/v1/openchats/{id}", vec![invalid("invalid_category"), invalid("invalid_entry_code"), invalid("invalid_hashtag"), invalid("invalid_member_cap"), invalid("invalid_title"), invalid("member_cap_below_members"), forbidden("not_host"), forbidden("real_profile_required"), forbidden("room_closed"), not_found("media_not_found"), not_found("member_not_found"), not_found("open_chat_not_found"), ROOM_FULL]),
        (Method::GET, "/api/v1/openchats/{id}/banned-words", vec![forbidden("not_host"), not_found("open_chat_not_found")]),
        (Method::PUT, "/api/v1/openchats/{id}/banned-words", vec![invalid("invalid_banned_word"), forbidden("not_host"), not_found("open_chat_not_found")]),
        (Method::GET, "/api/v1/openchats/{id}/bans", vec![forbidden("not_host"), not_found("open_chat_not_found")]),
        (Method::DELETE, "/api/v1/openchats/{id}/bans/{ban}", vec![forbidden("not_host"), not_found("ban_not_found"), not_found("open_chat_not_found")]),
        (Method::DELETE, "/api/v1/openchats/{id}/cohosts/{member}", vec![invalid("not_a_group"), forbidden("not_host"), not_found("cohost_not_found"), not_found("member_not_found"), not_found("open_chat_not_found")]),
        (Method::PUT, "/api/v1/openchats/{id}/cohosts/{member}", vec![invalid("not_a_group"), invalid("too_many_cohosts"), forbidden("not_host"), not_found("member_not_found"), not_found("open_chat_not_found")]),
        (Method::GET, "/api/v1/openchats/{id}/flagged", vec![forbidden("not_host"), not_found("open_chat_not_found")]),
        (Method::POST, "/api/v1/openchats/{id}/flagged/{seq}", vec![invalid("not_open_chat"), forbidden("not_host"), NOT_MEMBER, not_found("flag_not_found"), not_found("hidden_message_not_found"), not_found("open_chat_not_found"), not_found("room_not_found")]),
        (Method::POST, "/api/v1/openchats/{id}/host", vec![invalid("already_host"), invalid("not_a_group"), forbidden("not_host"), not_found("member_not_found"), not_found("open_chat_not_found")]),
        (Method::POST, "/api/v1/openchats/{id}/join", vec![forbidden("bots_not_allowed"), invalid("nickname_taken"), invalid("own_open_chat"), forbidden("banned"), forbidden("real_profile_required"), forbidden("subscription_required"), forbidden("suspended"), forbidden("wrong_entry_code"), not_found("member_not_found"), not_found("open_chat_not_found"), not_found("user_not_found"), ROOM_FULL, RATE_LIMITED]),
        (Method::DELETE, "/api/v1/openchats/{id}/notice", vec![invalid("not_a_group"), forbidden("not_host"), not_found("notice_not_found"), not_found("open_chat_not_found")]),
        (Method::PUT, "/api/v1/openchats/{id}/notice", vec![invalid("not_a_group"), forbidden("not_host"), not_found("message_not_found"), not_found("open_chat_not_found")]),
        (Method::GET, "/api/v1/openchats/{id}/screening", vec![forbidden("not_host"), not_found("open_chat_not_found")]),
        (Method::PUT, "/api/v1/openchats/{id}/screening", vec![invalid("not_a_group"), forbidden("not_host"), not_found("open_chat_not_found")]),
        (Method::POST, "/api/v1/rooms/{room}/kicks", vec![invalid("cannot_kick_self"), invalid("not_open_chat"), forbidden("cannot_moderate_cohost"), forbidden("cannot_moderate_host"), forbidden("not_host"), NOT_MEMBER, not_found("member_not_found"), not_found("room_not_found")]),
        (Method::DELETE, "/api/v1/rooms/{room}/messages/{seq}/hidden", vec![invalid("not_open_chat"), forbidden("not_host"), NOT_MEMBER, not_found("hidden_message_not_found"), not_found("room_not_found")]),
        (Method::PUT, "/api/v1/rooms/{room}/messages/{seq}/hidden", vec![invalid("not_open_chat"), forbidden("cannot_moderate_cohost"), forbidden("cannot_moderate_host"), forbidden("not_host"), NOT_MEMBER, not_found("message_not_found"), not_found("room_not_found")]),
        (Method::GET, "/api/v1/rooms/{room}/open-members", vec![NOT_MEMBER]),
    ]
}
