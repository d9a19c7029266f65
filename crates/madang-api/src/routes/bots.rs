//! Bots: accounts a person owns and a program drives with a token. A bot
//! then uses the rest of the API and the WebSocket as any client does.

use super::JsonResult;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Auth, Json, Path};
use crate::openapi::refuse::*;
use axum::extract::State;
use axum::http::StatusCode;
use madang_types::api::{
    BotCommands, BotToken, CreateBotRequest, CreateIntegrationRequest, HookMessage, Integration,
    IntegrationCreated, Message, Profile, SetWebhookRequest, Webhook,
};
use madang_types::{ChannelId, RoomId, UserId};

/// A new bot the caller owns, with its token (shown once). Refusals:
/// `bots_cannot_own_bots` (403) when a bot asks, `bot_limit` (409) past
/// `max_bots_per_person`, and a handle's as at sign-up.
#[utoipa::path(post, path = "/api/v1/bots", tag = "bots", security(("bearer" = [])),
    request_body = CreateBotRequest, responses((status = 201, body = BotToken)))]
pub async fn create(
    State(st): State<AppState>,
    Auth(me): Auth,
    Json(req): Json<CreateBotRequest>,
) -> Result<(StatusCode, axum::Json<BotToken>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(st.core.create_bot(&me, req).await?),
    ))
}

/// The bots the caller owns, oldest first.
#[utoipa::path(get, path = "/api/v1/bots", tag = "bots", security(("bearer" = [])),
    responses((status = 200, body = Vec<Profile>)))]
pub async fn list(State(st): State<AppState>, Auth(me): Auth) -> JsonResult<Vec<Profile>> {
    Ok(axum::Json(st.core.bots(&me).await?))
}

/// A new token for one of the caller's bots; the old ones stop working and
/// the bot's sockets close. `bot_not_found` (404) for anyone else's.
#[utoipa::path(post, path = "/api/v1/bots/{id}/token", tag = "bots", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = BotToken)))]
pub async fn rotate(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<UserId>,
) -> JsonResult<BotToken> {
    Ok(axum::Json(st.core.rotate_bot_token(&me, id).await?))
}

/// Replace a bot's slash commands (its owner, or the bot itself). They
/// are offered in every room the bot is in when `/` is typed.
#[utoipa::path(put, path = "/api/v1/bots/{id}/commands", tag = "bots", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = BotCommands, responses((status = 200, body = BotCommands)))]
pub async fn set_commands(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<UserId>,
    Json(req): Json<BotCommands>,
) -> JsonResult<BotCommands> {
    let commands = st.core.set_bot_commands(&me, id, req.commands).await?;
    Ok(axum::Json(BotCommands { commands }))
}

/// A bot's slash commands.
#[utoipa::path(get, path = "/api/v1/bots/{id}/commands", tag = "bots", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = BotCommands)))]
pub async fn commands(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<UserId>,
) -> JsonResult<BotCommands> {
    let commands = st.core.bot_commands(&me, id).await?;
    Ok(axum::Json(BotCommands { commands }))
}

/// Set a bot's webhook (its owner, or the bot itself): the bot's events
/// are posted there, signed with the secret this answer gives (once).
/// Setting it again makes a new secret and turns a disabled one on.
#[utoipa::path(put, path = "/api/v1/bots/{id}/webhook", tag = "bots", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = SetWebhookRequest, responses((status = 200, body = Webhook)))]
pub async fn set_webhook(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<UserId>,
    Json(req): Json<SetWebhookRequest>,
) -> JsonResult<Webhook> {
    Ok(axum::Json(st.core.set_webhook(&me, id, req).await?))
}

/// A bot's webhook: whether it is on, its last error, what waits.
#[utoipa::path(get, path = "/api/v1/bots/{id}/webhook", tag = "bots", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Webhook)))]
pub async fn webhook(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<UserId>,
) -> JsonResult<Webhook> {
    Ok(axum::Json(st.core.webhook(&me, id).await?))
}

/// Remove a bot's webhook; what waited for it is dropped.
#[utoipa::path(delete, path = "/api/v1/bots/{id}/webhook", tag = "bots", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 204)))]
pub async fn delete_webhook(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<UserId>,
) -> Result<StatusCode, ApiError> {
    st.core.delete_webhook(&me, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Set a channel's webhook (its business's owner): every message of the
/// channel's rooms is posted there as to a bot's, signed with the secret
/// this answer gives (once).
#[utoipa::path(put, path = "/api/v1/channels/{id}/webhook", tag = "bots", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = SetWebhookRequest, responses((status = 200, body = Webhook)))]
pub async fn set_channel_webhook(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<ChannelId>,
    Json(req): Json<SetWebhookRequest>,
) -> JsonResult<Webhook> {
    Ok(axum::Json(st.core.set_channel_webhook(&me, id, req).await?))
}

/// A channel's webhook: whether it is on, its last error, what waits.
#[utoipa::path(get, path = "/api/v1/channels/{id}/webhook", tag = "bots", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Webhook)))]
pub async fn channel_webhook(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<ChannelId>,
) -> JsonResult<Webhook> {
    Ok(axum::Json(st.core.channel_webhook(&me, id).await?))
}

/// Remove a channel's webhook; what waited for it is dropped.
#[utoipa::path(delete, path = "/api/v1/channels/{id}/webhook", tag = "bots", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 204)))]
pub async fn delete_channel_webhook(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<ChannelId>,
) -> Result<StatusCode, ApiError> {
    st.core.delete_channel_webhook(&me, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Make an incoming webhook for a group the caller is in: a URL path that
/// posts into the room under `name` (shown once). Any member sees the
/// room's integrations and may end one.
#[utoipa::path(post, path = "/api/v1/rooms/{room}/integrations", tag = "bots", security(("bearer" = [])),
    params(("room" = i64, Path)), request_body = CreateIntegrationRequest,
    responses((status = 201, body = IntegrationCreated)))]
pub async fn create_integration(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(room): Path<RoomId>,
    Json(req): Json<CreateIntegrationRequest>,
) -> Result<(StatusCode, axum::Json<IntegrationCreated>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(st.core.create_integration(&me, room, req).await?),
    ))
}

/// A room's incoming webhooks.
#[utoipa::path(get, path = "/api/v1/rooms/{room}/integrations", tag = "bots", security(("bearer" = [])),
    params(("room" = i64, Path)), responses((status = 200, body = Vec<Integration>)))]
pub async fn integrations(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(room): Path<RoomId>,
) -> JsonResult<Vec<Integration>> {
    Ok(axum::Json(st.core.integrations(&me, room).await?))
}

/// End an incoming webhook: its URL stops working and it leaves the room.
#[utoipa::path(delete, path = "/api/v1/rooms/{room}/integrations/{id}", tag = "bots", security(("bearer" = [])),
    params(("room" = i64, Path), ("id" = i64, Path)), responses((status = 204)))]
pub async fn remove_integration(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path((room, id)): Path<(RoomId, UserId)>,
) -> Result<StatusCode, ApiError> {
    st.core.remove_integration(&me, room, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Post into a room as its integration. No session: the path's token is
/// the credential, and it can do only this.
#[utoipa::path(post, path = "/api/v1/hooks/{token}", tag = "bots",
    params(("token" = String, Path)), request_body = HookMessage, responses((status = 200, body = Message)))]
pub async fn hook(
    State(st): State<AppState>,
    Path(token): Path<String>,
    Json(req): Json<HookMessage>,
) -> JsonResult<Message> {
    Ok(axum::Json(st.core.post_by_hook(&token, req).await?))
}

/// What the handlers here refuse beyond their extractors (the document
/// lists these; tests fail on an answer not listed).
#[rustfmt::skip]
pub(crate) fn refusals() -> Declared {
    vec![
        (Method::POST, "/api/v1/bots", vec![invalid("invalid_handle"), invalid("invalid_display_name"), forbidden("bots_cannot_own_bots"), conflict("bot_limit"), conflict("handle_taken")]),
        (Method::POST, "/api/v1/bots/{id}/token", vec![not_found("bot_not_found")]),
        (Method::PUT, "/api/v1/bots/{id}/commands", vec![invalid("invalid_commands"), not_found("bot_not_found")]),
        (Method::GET, "/api/v1/bots/{id}/commands", vec![not_found("bot_not_found")]),
        (Method::PUT, "/api/v1/bots/{id}/webhook", vec![invalid("endpoint_malformed"), invalid("endpoint_not_https"), invalid("endpoint_host_not_allowed"), invalid("endpoint_private_address"), not_found("bot_not_found"), FEATURE_OFF]),
        (Method::GET, "/api/v1/bots/{id}/webhook", vec![not_found("bot_not_found"), not_found("webhook_not_found")]),
        (Method::DELETE, "/api/v1/bots/{id}/webhook", vec![not_found("bot_not_found"), not_found("webhook_not_found")]),
        (Method::PUT, "/api/v1/channels/{id}/webhook", vec![invalid("endpoint_malformed"), invalid("endpoint_not_https"), invalid("endpoint_host_not_allowed"), invalid("endpoint_private_address"), invalid("invalid_display_name"), forbidden("not_owner"), not_found("business_not_found"), not_found("channel_not_found"), conflict("handle_taken"), FEATURE_OFF]),
        (Method::GET, "/api/v1/channels/{id}/webhook", vec![forbidden("not_owner"), not_found("business_not_found"), not_found("channel_not_found"), not_found("webhook_not_found")]),
        (Method::DELETE, "/api/v1/channels/{id}/webhook", vec![forbidden("not_owner"), not_found("business_not_found"), not_found("channel_not_found"), not_found("webhook_not_found")]),
        (Method::POST, "/api/v1/rooms/{room}/integrations", vec![invalid("invalid_display_name"), invalid("not_a_group"), forbidden("bots_cannot_own_bots"), NOT_MEMBER, BLOCKED, ROOM_FULL, not_found("room_not_found"), conflict("integration_limit"), conflict("handle_taken")]),
        (Method::GET, "/api/v1/rooms/{room}/integrations", vec![NOT_MEMBER]),
        (Method::DELETE, "/api/v1/rooms/{room}/integrations/{id}", vec![NOT_MEMBER, not_found("integration_not_found"), not_found("room_not_found")]),
        (Method::POST, "/api/v1/hooks/{token}", vec![not_found("hook_not_found"), invalid("empty_message"), invalid("invalid_buttons"), invalid("invalid_client_id"), invalid("client_id_reused"), NOT_MEMBER, forbidden("room_closed"), forbidden("suspended"), not_found("room_not_found"), TOO_LARGE, FLOODING, RATE_LIMITED]),
    ]
}
