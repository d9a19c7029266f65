//! Push notifications: the server's VAPID key, this device's subscription,
//! a test notification, and the account's preview level.

use super::JsonResult;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Auth, Json};
use crate::openapi::refuse::*;
use axum::extract::State;
use axum::http::StatusCode;
use madang_core::push::NewSubscription;
use madang_types::push::{
    NotificationSettings, PushKeyResponse, PushSubscriptionRequest, UpdateNotificationSettings,
};

/// The server's VAPID public key (`applicationServerKey`). `feature_off`
/// (503) when the operator turned push off.
#[utoipa::path(get, path = "/api/v1/push/key", tag = "push",
    responses((status = 200, body = PushKeyResponse)))]
pub async fn key(State(st): State<AppState>) -> JsonResult<PushKeyResponse> {
    Ok(axum::Json(PushKeyResponse {
        public_key: st.core.push_public_key()?,
    }))
}

/// Subscribe this device (replacing its subscription) with the browser's
/// `PushSubscription` JSON. Refusals (400): `endpoint_malformed`,
/// `endpoint_not_https`, `endpoint_host_not_allowed`,
/// `endpoint_private_address`, `push_key_invalid`, `push_auth_invalid`,
/// `push_subscription_too_long`; `feature_off` (503).
#[utoipa::path(put, path = "/api/v1/devices/current/push", tag = "push", security(("bearer" = [])),
    request_body = PushSubscriptionRequest,
    responses((status = 204)))]
pub async fn subscribe(
    State(st): State<AppState>,
    Auth(me): Auth,
    Json(req): Json<PushSubscriptionRequest>,
) -> Result<StatusCode, ApiError> {
    st.core
        .put_push_subscription(
            &me,
            NewSubscription {
                endpoint: req.endpoint,
                p256dh: req.keys.p256dh,
                auth: req.keys.auth,
            },
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Unsubscribe this device. `not_found` (404) when it was not subscribed.
#[utoipa::path(delete, path = "/api/v1/devices/current/push", tag = "push", security(("bearer" = [])),
    responses((status = 204)))]
pub async fn unsubscribe(State(st): State<AppState>, Auth(me): Auth) -> Result<StatusCode, ApiError> {
    st.core.delete_push_subscription(&me).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Send this device a test notification (queued: it arrives within
/// seconds if the subscription works). `not_found` (404) when the device
/// is not subscribed; `feature_off` (503).
#[utoipa::path(post, path = "/api/v1/devices/current/push/test", tag = "push", security(("bearer" = [])),
    responses((status = 202)))]
pub async fn test(State(st): State<AppState>, Auth(me): Auth) -> Result<StatusCode, ApiError> {
    st.core.test_push(&me).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Whether this device is subscribed, and what notifications show.
#[utoipa::path(get, path = "/api/v1/me/notifications", tag = "push", security(("bearer" = [])),
    responses((status = 200, body = NotificationSettings)))]
pub async fn settings(State(st): State<AppState>, Auth(me): Auth) -> JsonResult<NotificationSettings> {
    let (subscribed, preview) = st.core.push_settings(&me).await?;
    Ok(axum::Json(NotificationSettings { subscribed, preview }))
}

/// Choose what notifications show on every device of the account.
#[utoipa::path(put, path = "/api/v1/me/notifications", tag = "push", security(("bearer" = [])),
    request_body = UpdateNotificationSettings,
    responses((status = 200, body = NotificationSettings)))]
pub async fn update_settings(
    State(st): State<AppState>,
    Auth(me): Auth,
    Json(req): Json<UpdateNotificationSettings>,
) -> JsonResult<NotificationSettings> {
    st.core.set_push_preview(&me, req.preview).await?;
    let (subscribed, preview) = st.core.push_settings(&me).await?;
    Ok(axum::Json(NotificationSettings { subscribed, preview }))
}

/// What the handlers here refuse beyond their extractors (the document
/// lists these; tests fail on an answer not listed).
#[rustfmt::skip]
pub(crate) fn refusals() -> Declared {
    vec![
        (Method::DELETE, "/api/v1/devices/current/push", vec![not_found("push_subscription_not_found")]),
        (Method::PUT, "/api/v1/devices/current/push", vec![invalid("endpoint_host_not_allowed"), invalid("endpoint_malformed"), invalid("endpoint_not_https"), invalid("endpoint_private_address"), invalid("push_auth_invalid"), invalid("push_key_invalid"), invalid("push_subscription_too_long")]),
        (Method::POST, "/api/v1/devices/current/push/test", vec![not_found("push_subscription_not_found"), FEATURE_OFF]),
        (Method::GET, "/api/v1/push/key", vec![FEATURE_OFF]),
    ]
}
