//! Rooms, members, messages, reactions, the catch-up feed, reads, typing.

use super::JsonResult;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Auth, Json, Path, Query};
use crate::openapi::refuse::*;
use axum::extract::State;
use axum::http::StatusCode;
use madang_types::api::{
    ButtonPress, CreateGroupRequest, EditMessageRequest, EventPage, InviteRequest, Member, Message,
    MessagePage, MessageSearchPage, OpenDirectRequest, PressRequest, ReactionRequest, ReadRequest, Room,
    RoomCommand, SendMessageRequest, UpdateRoomSettingsRequest,
};
use madang_types::{RoomId, Seq};
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// Only messages with a smaller seq (default: the newest).
    pub(crate) before: Option<i64>,
    /// Page size, 1–100 (default 50).
    pub(crate) limit: Option<i64>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DrawerQuery {
    /// `media` (photos and videos), `files` or `links`.
    pub(crate) kind: madang_types::api::DrawerKind,
    /// Only messages with a smaller seq (default: the newest).
    pub(crate) before: Option<i64>,
    /// Messages per page, 1–100 (default 30); a message with several
    /// links gives an item for each.
    pub(crate) limit: Option<i64>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// What to find: Korean with or without spaces, English words or
    /// their beginnings; every part must match. At most 100 characters.
    pub(crate) q: String,
    /// Only this room (the caller must be a member).
    pub(crate) room: Option<i64>,
    /// Only results older than this `next_before`.
    pub(crate) before: Option<i64>,
    /// Page size, 1–100 (default 20).
    pub(crate) limit: Option<i64>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    /// Only events with a larger seq.
    after: i64,
    /// Page size, 1–500 (default 500).
    limit: Option<i64>,
}

/// The chat list: pinned first, then by latest activity, with unread counts.
#[utoipa::path(get, path = "/api/v1/rooms", tag = "chats", security(("bearer" = [])),
    responses((status = 200, body = Vec<Room>)))]
pub async fn rooms(State(st): State<AppState>, Auth(me): Auth) -> JsonResult<Vec<Room>> {
    Ok(axum::Json(st.core.rooms(&me).await?))
}

/// Open the 1:1 room with someone (the same room every time).
#[utoipa::path(post, path = "/api/v1/rooms/direct", tag = "chats", security(("bearer" = [])),
    request_body = OpenDirectRequest, responses((status = 200, body = Room)))]
pub async fn open_direct(
    State(st): State<AppState>,
    Auth(me): Auth,
    Json(req): Json<OpenDirectRequest>,
) -> JsonResult<Room> {
    Ok(axum::Json(st.core.open_direct(&me, req.user_id).await?))
}

/// Create a group chat.
#[utoipa::path(post, path = "/api/v1/rooms/group", tag = "chats", security(("bearer" = [])),
    request_body = CreateGroupRequest, responses((status = 201, body = Room)))]
pub async fn create_group(
    State(st): State<AppState>,
    Auth(me): Auth,
    Json(req): Json<CreateGroupRequest>,
) -> Result<(StatusCode, axum::Json<Room>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(st.core.create_group(&me, req).await?),
    ))
}

/// One room as the caller sees it.
#[utoipa::path(get, path = "/api/v1/rooms/{room}", tag = "chats", security(("bearer" = [])),
    params(("room" = i64, Path)), responses((status = 200, body = Room)))]
pub async fn room(State(st): State<AppState>, Auth(me): Auth, Path(room): Path<RoomId>) -> JsonResult<Room> {
    Ok(axum::Json(st.core.room(&me, room).await?))
}

/// Mute or pin a room for the caller.
#[utoipa::path(patch, path = "/api/v1/rooms/{room}/settings", tag = "chats", security(("bearer" = [])),
    params(("room" = i64, Path)), request_body = UpdateRoomSettingsRequest, responses((status = 200, body = Room)))]
pub async fn settings(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(room): Path<RoomId>,
    Json(req): Json<UpdateRoomSettingsRequest>,
) -> JsonResult<Room> {
    Ok(axum::Json(st.core.update_room_settings(&me, room, req).await?))
}

/// Members of a room with their read cursors.
#[utoipa::path(get, path = "/api/v1/rooms/{room}/members", tag = "chats", security(("bearer" = [])),
    params(("room" = i64, Path)), responses((status = 200, body = Vec<Member>)))]
pub async fn members(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(room): Path<RoomId>,
) -> JsonResult<Vec<Member>> {
    Ok(axum::Json(st.core.members(&me, room).await?))
}

/// Invite people to a group chat.
#[utoipa::path(post, path = "/api/v1/rooms/{room}/members", tag = "chats", security(("bearer" = [])),
    params(("room" = i64, Path)), request_body = InviteRequest, responses((status = 200, body = Room)))]
pub async fn invite(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(room): Path<RoomId>,
    Json(req): Json<InviteRequest>,
) -> JsonResult<Room> {
    Ok(axum::Json(st.core.invite(&me, room, &req.user_ids).await?))
}

/// Leave a group chat.
#[utoipa::path(delete, path = "/api/v1/rooms/{room}/members/me", tag = "chats", security(("bearer" = [])),
    params(("room" = i64, Path)), responses((status = 204)))]
pub async fn leave(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(room): Path<RoomId>,
) -> Result<StatusCode, ApiError> {
    st.core.leave(&me, room).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A page of history, newest first; pass `next_before` back for older.
#[utoipa::path(get, path = "/api/v1/rooms/{room}/messages", tag = "chats", security(("bearer" = [])),
    params(("room" = i64, Path), HistoryQuery), responses((status = 200, body = MessagePage)))]
pub async fn history(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(room): Path<RoomId>,
    Query(q): Query<HistoryQuery>,
) -> JsonResult<MessagePage> {
    Ok(axum::Json(
        st.core.history(&me, room, q.before.map(Seq), q.limit).await?,
    ))
}

/// The words of a voice message, made now by the operator's
/// speech-to-text endpoint and kept nowhere. `not_voice` (400) for another
/// message, `feature_off` (503) when the server has no endpoint,
/// `unavailable` (503) when it fails, `rate_limited` (429).
#[utoipa::path(post, path = "/api/v1/rooms/{room}/messages/{seq}/transcript", tag = "chats", security(("bearer" = [])),
    params(("room" = i64, Path), ("seq" = i64, Path)),
    responses((status = 200, body = madang_types::api::Transcript)))]
pub async fn transcript(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path((room, seq)): Path<(RoomId, Seq)>,
) -> JsonResult<madang_types::api::Transcript> {
    Ok(axum::Json(st.core.transcribe(&me, room, seq).await?))
}

/// The room's drawer: photos and videos, files, or links, newest first,
/// from when I joined, never deleted or hidden; each item names its
/// message (`seq`) to open it there.
#[utoipa::path(get, path = "/api/v1/rooms/{room}/drawer", tag = "chats", security(("bearer" = [])),
    params(("room" = i64, Path), DrawerQuery),
    responses((status = 200, body = madang_types::api::DrawerPage)))]
pub async fn drawer(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(room): Path<RoomId>,
    Query(q): Query<DrawerQuery>,
) -> JsonResult<madang_types::api::DrawerPage> {
    Ok(axum::Json(
        st.core
            .drawer(&me, room, q.kind, q.before.map(Seq), q.limit)
            .await?,
    ))
}

/// Search my messages, in one room or all of my rooms, newest first:
/// only from when I joined each, never deleted or hidden messages; edits
/// are found as edited. `search_query_empty` and `search_query_too_long`
/// (400) refuse a query with nothing to find or too much.
#[utoipa::path(get, path = "/api/v1/search/messages", tag = "chats", security(("bearer" = [])),
    params(SearchQuery), responses((status = 200, body = MessageSearchPage)))]
pub async fn search(
    State(st): State<AppState>,
    Auth(me): Auth,
    Query(q): Query<SearchQuery>,
) -> JsonResult<MessageSearchPage> {
    Ok(axum::Json(
        st.core
            .search_messages(&me, &q.q, q.room.map(RoomId), q.before, q.limit)
            .await?,
    ))
}

/// Send a message. Answered once it is committed; retrying with the same
/// `client_id` returns the stored message.
#[utoipa::path(post, path = "/api/v1/rooms/{room}/messages", tag = "chats", security(("bearer" = [])),
    params(("room" = i64, Path)), request_body = SendMessageRequest, responses((status = 200, body = Message)))]
pub async fn send(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(room): Path<RoomId>,
    Json(req): Json<SendMessageRequest>,
) -> JsonResult<Message> {
    Ok(axum::Json(st.core.send_message(&me, room, req).await?))
}

/// A message's comment thread: the message (with `thread`: its comment
/// count and the caller's unread) and a page of its comments, newest first;
/// pass `next_before` back for older. `not_a_thread_root` (400) for a
/// comment.
#[utoipa::path(get, path = "/api/v1/rooms/{room}/messages/{seq}/comments", tag = "chats", security(("bearer" = [])),
    params(("room" = i64, Path), ("seq" = i64, Path), HistoryQuery),
    responses((status = 200, body = madang_types::api::ThreadPage)))]
pub async fn comments(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path((room, seq)): Path<(RoomId, Seq)>,
    Query(q): Query<HistoryQuery>,
) -> JsonResult<madang_types::api::ThreadPage> {
    Ok(axum::Json(
        st.core.thread(&me, room, seq, q.before.map(Seq), q.limit).await?,
    ))
}

/// Comment under a message of an open chat: the same as sending with
/// `thread_root` = `seq`, and held to the same rules (`banned_word`,
/// `flooding`, `room_closed`, screening, hiding). The comment takes the
/// room's next seq and the thread's next `thread_seq`; the writer follows
/// the thread. `threads_open_chat_only` (400) elsewhere,
/// `not_a_thread_root` (400) under a comment, `message_not_found` (404)
/// under a deleted or hidden message.
#[utoipa::path(post, path = "/api/v1/rooms/{room}/messages/{seq}/comments", tag = "chats", security(("bearer" = [])),
    params(("room" = i64, Path), ("seq" = i64, Path)), request_body = SendMessageRequest,
    responses((status = 200, body = Message)))]
pub async fn comment(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path((room, seq)): Path<(RoomId, Seq)>,
    Json(mut req): Json<SendMessageRequest>,
) -> JsonResult<Message> {
    if req.thread_root.is_some_and(|r| r != seq) {
        return Err(madang_core::Error::invalid(
            "thread_root_mismatch",
            "thread_root differs from the message in the path",
        )
        .into());
    }
    req.thread_root = Some(seq);
    Ok(axum::Json(st.core.send_message(&me, room, req).await?))
}

/// Move the caller's cursor in a thread forward to a `thread_seq` (`seq` in
/// the body); they follow the thread from then on. Their other devices get
/// `thread_read`.
#[utoipa::path(post, path = "/api/v1/rooms/{room}/messages/{seq}/comments/read", tag = "chats", security(("bearer" = [])),
    params(("room" = i64, Path), ("seq" = i64, Path)), request_body = ReadRequest,
    responses((status = 204)))]
pub async fn read_comments(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path((room, seq)): Path<(RoomId, Seq)>,
    Json(req): Json<ReadRequest>,
) -> Result<StatusCode, ApiError> {
    st.core.read_thread(&me, room, seq, req.seq).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Edit one's own message. In an open chat an edit is held to a send's
/// rules: `banned_word` (400) and `flooding` (429) refuse it unchanged.
#[utoipa::path(patch, path = "/api/v1/rooms/{room}/messages/{seq}", tag = "chats", security(("bearer" = [])),
    params(("room" = i64, Path), ("seq" = i64, Path)), request_body = EditMessageRequest,
    responses((status = 200, body = Message)))]
pub async fn edit(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path((room, seq)): Path<(RoomId, Seq)>,
    Json(req): Json<EditMessageRequest>,
) -> JsonResult<Message> {
    Ok(axum::Json(st.core.edit_message(&me, room, seq, &req.text).await?))
}

/// Delete one's own message for everyone.
#[utoipa::path(delete, path = "/api/v1/rooms/{room}/messages/{seq}", tag = "chats", security(("bearer" = [])),
    params(("room" = i64, Path), ("seq" = i64, Path)), responses((status = 204)))]
pub async fn delete(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path((room, seq)): Path<(RoomId, Seq)>,
) -> Result<StatusCode, ApiError> {
    st.core.delete_message(&me, room, seq).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// React to a message with an emoji.
#[utoipa::path(post, path = "/api/v1/rooms/{room}/messages/{seq}/reactions", tag = "chats",
    security(("bearer" = [])), params(("room" = i64, Path), ("seq" = i64, Path)),
    request_body = ReactionRequest, responses((status = 204)))]
pub async fn react(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path((room, seq)): Path<(RoomId, Seq)>,
    Json(req): Json<ReactionRequest>,
) -> Result<StatusCode, ApiError> {
    st.core.react(&me, room, seq, &req.emoji).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Take back a reaction.
#[utoipa::path(delete, path = "/api/v1/rooms/{room}/messages/{seq}/reactions/{emoji}", tag = "chats",
    security(("bearer" = [])), params(("room" = i64, Path), ("seq" = i64, Path), ("emoji" = String, Path)),
    responses((status = 204)))]
pub async fn unreact(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path((room, seq, emoji)): Path<(RoomId, Seq, String)>,
) -> Result<StatusCode, ApiError> {
    st.core.unreact(&me, room, seq, &emoji).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Press a postback button under a bot's message: the bot is told (a
/// `button_pressed` frame on its socket, and its webhook). Counts against
/// the sender's rate. `button_not_found` (404) for a link, a button the
/// message lacks, or a bot no longer in the room.
#[utoipa::path(post, path = "/api/v1/rooms/{room}/messages/{seq}/press", tag = "bots",
    security(("bearer" = [])), params(("room" = i64, Path), ("seq" = i64, Path)),
    request_body = PressRequest, responses((status = 200, body = ButtonPress)))]
pub async fn press(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path((room, seq)): Path<(RoomId, Seq)>,
    Json(req): Json<PressRequest>,
) -> JsonResult<ButtonPress> {
    Ok(axum::Json(
        st.core.press_button(&me, room, seq, req.button).await?,
    ))
}

/// The slash commands of the bots in a room, for its `/` menu.
#[utoipa::path(get, path = "/api/v1/rooms/{room}/commands", tag = "bots",
    security(("bearer" = [])), params(("room" = i64, Path)),
    responses((status = 200, body = Vec<RoomCommand>)))]
pub async fn room_commands(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(room): Path<RoomId>,
) -> JsonResult<Vec<RoomCommand>> {
    Ok(axum::Json(st.core.room_commands(&me, room).await?))
}

/// Room events after a seq, oldest first: the catch-up feed.
#[utoipa::path(get, path = "/api/v1/rooms/{room}/events", tag = "chats", security(("bearer" = [])),
    params(("room" = i64, Path), EventsQuery), responses((status = 200, body = EventPage)))]
pub async fn events(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(room): Path<RoomId>,
    Query(q): Query<EventsQuery>,
) -> JsonResult<EventPage> {
    Ok(axum::Json(
        st.core.events(&me, room, Seq(q.after), q.limit).await?,
    ))
}

/// Move the caller's read cursor forward.
#[utoipa::path(post, path = "/api/v1/rooms/{room}/read", tag = "chats", security(("bearer" = [])),
    params(("room" = i64, Path)), request_body = ReadRequest, responses((status = 204)))]
pub async fn read(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(room): Path<RoomId>,
    Json(req): Json<ReadRequest>,
) -> Result<StatusCode, ApiError> {
    st.core.mark_read(&me, room, req.seq).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Tell the room the caller is typing.
#[utoipa::path(post, path = "/api/v1/rooms/{room}/typing", tag = "chats", security(("bearer" = [])),
    params(("room" = i64, Path)), responses((status = 204)))]
pub async fn typing(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(room): Path<RoomId>,
) -> Result<StatusCode, ApiError> {
    st.core.typing(&me, room).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What the handlers here refuse beyond their extractors (the document
/// lists these; tests fail on an answer not listed).
#[rustfmt::skip]
pub(crate) fn refusals() -> Declared {
    vec![
        (Method::POST, "/api/v1/rooms/direct", vec![invalid("cannot_chat_with_self"), BLOCKED, forbidden("bot_cannot_start_chat"), NOT_MEMBER, not_found("room_not_found"), not_found("user_not_found")]),
        (Method::POST, "/api/v1/rooms/group", vec![invalid("invalid_title"), BLOCKED, NOT_MEMBER, not_found("user_not_found"), ROOM_FULL]),
        (Method::GET, "/api/v1/rooms/{room}", vec![NOT_MEMBER]),
        (Method::GET, "/api/v1/rooms/{room}/drawer", vec![NOT_MEMBER]),
        (Method::GET, "/api/v1/rooms/{room}/events", vec![NOT_MEMBER]),
        (Method::GET, "/api/v1/rooms/{room}/members", vec![NOT_MEMBER, not_found("room_not_found")]),
        (Method::POST, "/api/v1/rooms/{room}/members", vec![invalid("not_a_group"), BLOCKED, NOT_MEMBER, not_found("room_not_found"), not_found("user_not_found"), ROOM_FULL]),
        (Method::DELETE, "/api/v1/rooms/{room}/members/me", vec![invalid("not_a_group"), NOT_MEMBER, not_found("room_not_found")]),
        (Method::GET, "/api/v1/rooms/{room}/messages", vec![NOT_MEMBER]),
        (Method::POST, "/api/v1/rooms/{room}/messages", vec![BANNED_WORD, invalid("client_id_reused"), invalid("empty_message"), invalid("invalid_client_id"), invalid("invalid_pung_text"), invalid("invalid_buttons"), invalid("invalid_voice"), invalid("mention_not_member"), invalid("not_a_thread_root"), invalid("threads_open_chat_only"), BLOCKED, forbidden("buttons_for_bots"), NOT_MEMBER, forbidden("room_closed"), forbidden("suspended"), not_found("media_not_found"), not_found("message_not_found"), not_found("open_chat_not_found"), not_found("room_not_found"), TOO_LARGE, FLOODING, RATE_LIMITED]),
        (Method::DELETE, "/api/v1/rooms/{room}/messages/{seq}", vec![forbidden("delete_window_passed"), NOT_AUTHOR, NOT_MEMBER, not_found("message_not_found")]),
        (Method::PATCH, "/api/v1/rooms/{room}/messages/{seq}", vec![BANNED_WORD, invalid("empty_message"), invalid("invalid_pung_text"), invalid("poll_not_editable"), forbidden("edit_window_passed"), NOT_AUTHOR, NOT_MEMBER, forbidden("room_closed"), forbidden("suspended"), not_found("message_not_found"), not_found("open_chat_not_found"), not_found("room_not_found"), TOO_LARGE, FLOODING]),
        (Method::GET, "/api/v1/rooms/{room}/messages/{seq}/comments", vec![invalid("not_a_thread_root"), NOT_MEMBER, not_found("message_not_found")]),
        (Method::POST, "/api/v1/rooms/{room}/messages/{seq}/comments", vec![BANNED_WORD, invalid("client_id_reused"), invalid("empty_message"), invalid("invalid_client_id"), invalid("invalid_pung_text"), invalid("invalid_buttons"), invalid("invalid_voice"), invalid("mention_not_member"), invalid("not_a_thread_root"), invalid("thread_root_mismatch"), invalid("threads_open_chat_only"), BLOCKED, forbidden("buttons_for_bots"), NOT_MEMBER, forbidden("room_closed"), forbidden("suspended"), not_found("media_not_found"), not_found("message_not_found"), not_found("open_chat_not_found"), not_found("room_not_found"), TOO_LARGE, FLOODING, RATE_LIMITED]),
        (Method::POST, "/api/v1/rooms/{room}/messages/{seq}/comments/read", vec![invalid("not_a_thread_root"), NOT_MEMBER, not_found("message_not_found")]),
        (Method::POST, "/api/v1/rooms/{room}/messages/{seq}/reactions", vec![invalid("invalid_emoji"), NOT_MEMBER, not_found("message_not_found")]),
        (Method::POST, "/api/v1/rooms/{room}/messages/{seq}/press", vec![NOT_MEMBER, not_found("message_not_found"), not_found("button_not_found"), not_found("room_not_found"), RATE_LIMITED]),
        (Method::GET, "/api/v1/rooms/{room}/commands", vec![NOT_MEMBER, not_found("room_not_found")]),
        (Method::DELETE, "/api/v1/rooms/{room}/messages/{seq}/reactions/{emoji}", vec![invalid("invalid_emoji"), NOT_MEMBER, not_found("message_not_found"), not_found("reaction_not_found")]),
        (Method::POST, "/api/v1/rooms/{room}/messages/{seq}/transcript", vec![invalid("not_voice"), NOT_MEMBER, not_found("media_not_found"), not_found("message_not_found"), not_found("pung_not_found"), RATE_LIMITED, FEATURE_OFF, UNAVAILABLE]),
        (Method::POST, "/api/v1/rooms/{room}/read", vec![NOT_MEMBER, not_found("room_not_found")]),
        (Method::PATCH, "/api/v1/rooms/{room}/settings", vec![NOT_MEMBER]),
        (Method::POST, "/api/v1/rooms/{room}/typing", vec![NOT_MEMBER]),
        (Method::GET, "/api/v1/search/messages", vec![invalid("search_query_empty"), invalid("search_query_too_long"), NOT_MEMBER]),
    ]
}
