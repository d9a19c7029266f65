//! Bots: accounts a person owns and a program drives with a token. A bot
//! then uses the rest of the API and the WebSocket as any client does.

use super::JsonResult;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Auth, Json, Path};
use crate::openapi::refuse::*;
use axum::extract::State;
use axum::http::StatusCode;
use madang_types::UserId;
use madang_types::api::{BotToken, CreateBotRequest, Profile};

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

/// What the handlers here refuse beyond their extractors (the document
/// lists these; tests fail on an answer not listed).
#[rustfmt::skip]
pub(crate) fn refusals() -> Declared {
    vec![
        (Method::POST, "/api/v1/bots", vec![invalid("invalid_handle"), invalid("invalid_display_name"), forbidden("bots_cannot_own_bots"), conflict("bot_limit"), conflict("handle_taken")]),
        (Method::POST, "/api/v1/bots/{id}/token", vec![not_found("bot_not_found")]),
    ]
}
