//! Sign-up, log-in and out, devices, and the caller's profile.

use super::JsonResult;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Auth, Body, ClientAddr, Json, Path};
use crate::openapi::refuse::*;
use axum::extract::State;
use axum::http::StatusCode;
use madang_types::api::{
    Device, LoginRequest, Me, Profile, SessionResponse, SignUpRequest, UpdateProfileRequest,
};
use madang_types::{DeviceId, UserId};

/// Create an account and log this device in.
#[utoipa::path(post, path = "/api/v1/accounts", tag = "accounts", request_body = SignUpRequest,
    responses((status = 201, body = SessionResponse)))]
pub async fn sign_up(
    State(st): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Json(req): Json<SignUpRequest>,
) -> Result<(StatusCode, axum::Json<SessionResponse>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(st.core.sign_up(&addr, req).await?),
    ))
}

/// Log in: a new device gets a bearer token.
#[utoipa::path(post, path = "/api/v1/sessions", tag = "accounts", request_body = LoginRequest,
    responses((status = 200, body = SessionResponse)))]
pub async fn log_in(
    State(st): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Json(req): Json<LoginRequest>,
) -> JsonResult<SessionResponse> {
    Ok(axum::Json(st.core.log_in(&addr, req).await?))
}

/// Log this device out (its token stops working at once).
#[utoipa::path(delete, path = "/api/v1/sessions/current", tag = "accounts", security(("bearer" = [])),
    responses((status = 204)))]
pub async fn log_out(State(st): State<AppState>, Auth(me): Auth) -> Result<StatusCode, ApiError> {
    st.core.log_out(&me).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's logged-in devices.
#[utoipa::path(get, path = "/api/v1/devices", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = Vec<Device>)))]
pub async fn devices(State(st): State<AppState>, Auth(me): Auth) -> JsonResult<Vec<Device>> {
    Ok(axum::Json(st.core.devices(&me).await?))
}

/// Log one of the caller's devices out.
#[utoipa::path(delete, path = "/api/v1/devices/{id}", tag = "accounts", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 204)))]
pub async fn revoke_device(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<DeviceId>,
) -> Result<StatusCode, ApiError> {
    st.core.revoke_device(&me, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's own account.
#[utoipa::path(get, path = "/api/v1/me", tag = "profile", security(("bearer" = [])),
    responses((status = 200, body = Me)))]
pub async fn me(State(st): State<AppState>, Auth(me): Auth) -> JsonResult<Me> {
    Ok(axum::Json(st.core.me(&me).await?))
}

/// Change display name, status message, birthday, phone or e-mail.
#[utoipa::path(patch, path = "/api/v1/me", tag = "profile", security(("bearer" = [])),
    request_body = UpdateProfileRequest, responses((status = 200, body = Me)))]
pub async fn update_me(
    State(st): State<AppState>,
    Auth(me): Auth,
    Json(req): Json<UpdateProfileRequest>,
) -> JsonResult<Me> {
    Ok(axum::Json(st.core.update_profile(&me, req).await?))
}

/// Upload a new avatar: the raw image bytes (JPEG, PNG, WebP or GIF).
#[utoipa::path(put, path = "/api/v1/me/avatar", tag = "profile", security(("bearer" = [])),
    request_body(content = crate::openapi::Binary, content_type = "image/*"), responses((status = 200, body = Me)))]
pub async fn set_avatar(State(st): State<AppState>, Auth(me): Auth, Body(body): Body) -> JsonResult<Me> {
    Ok(axum::Json(st.core.set_avatar(&me, body).await?))
}

/// Someone's public profile.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "profile", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Profile)))]
pub async fn profile(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<UserId>,
) -> JsonResult<Profile> {
    Ok(axum::Json(st.core.profile(&me, id).await?))
}

/// What the handlers here refuse beyond their extractors (the document
/// lists these; tests fail on an answer not listed).
#[rustfmt::skip]
pub(crate) fn refusals() -> Declared {
    vec![
        (Method::POST, "/api/v1/accounts", vec![invalid("invalid_birthday"), invalid("invalid_handle"), invalid("weak_password"), conflict("handle_taken"), RATE_LIMITED]),
        (Method::DELETE, "/api/v1/devices/{id}", vec![not_found("device_not_found")]),
        (Method::GET, "/api/v1/me", vec![not_found("user_not_found")]),
        (Method::PATCH, "/api/v1/me", vec![invalid("invalid_birthday"), invalid("invalid_display_name"), invalid("invalid_email"), invalid("invalid_phone"), invalid("invalid_status_message")]),
        (Method::PUT, "/api/v1/me/avatar", vec![invalid("empty_upload"), not_found("user_not_found"), TOO_LARGE, UNSUPPORTED_MEDIA]),
        (Method::POST, "/api/v1/sessions", vec![unauthenticated("bad_credentials"), RATE_LIMITED]),
        (Method::DELETE, "/api/v1/sessions/current", vec![not_found("device_not_found")]),
        (Method::GET, "/api/v1/users/{id}", vec![not_found("user_not_found")]),
    ]
}
