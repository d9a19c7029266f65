//! Earnings: subscription tiers and subscriptions, ads in open chats
//! (placements, impressions, clicks; operators define them), the host's
//! earnings, and the ledger's self-check.

use super::JsonResult;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Auth, Json, Path, Query};
use crate::openapi::refuse::*;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use madang_core::safety::Authority;
use madang_types::earnings::{
    Ad, AdClick, AdCount, AdPlacement, CreateAdRequest, CreateTierRequest, Earnings, LedgerAudit,
    RoomEarnings, SubscribeRequest, Subscription, SubscriptionSettings, Tier, Tiers,
};
use madang_types::{AdId, OpenChatId, PlacementId, RoomId, TierId};
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LinkQuery {
    /// The open chat's link code, for a link-only open chat.
    link: Option<String>,
}

/// An open chat's paid tiers, whether joining needs a subscription, and
/// the caller's subscription.
#[utoipa::path(get, path = "/api/v1/openchats/{id}/tiers", tag = "earnings", security(("bearer" = [])),
    params(("id" = i64, Path), LinkQuery), responses((status = 200, body = Tiers)))]
pub async fn tiers(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<OpenChatId>,
    Query(q): Query<LinkQuery>,
) -> JsonResult<Tiers> {
    Ok(axum::Json(st.core.tiers(&me, id, q.link.as_deref()).await?))
}

/// Add a paid tier (host only).
#[utoipa::path(post, path = "/api/v1/openchats/{id}/tiers", tag = "earnings", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = CreateTierRequest, responses((status = 201, body = Tier)))]
pub async fn create_tier(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<OpenChatId>,
    Json(req): Json<CreateTierRequest>,
) -> Result<(StatusCode, axum::Json<Tier>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(st.core.create_tier(&me, id, req).await?),
    ))
}

/// Stop selling a tier (host only); its subscribers keep it until they
/// cancel.
#[utoipa::path(delete, path = "/api/v1/openchats/{id}/tiers/{tier}", tag = "earnings", security(("bearer" = [])),
    params(("id" = i64, Path), ("tier" = i64, Path)), responses((status = 204)))]
pub async fn retire_tier(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path((id, tier)): Path<(OpenChatId, TierId)>,
) -> Result<StatusCode, ApiError> {
    st.core.retire_tier(&me, id, tier).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Make joining need a subscription, or not (host only).
#[utoipa::path(put, path = "/api/v1/openchats/{id}/subscription-settings", tag = "earnings",
    security(("bearer" = [])), params(("id" = i64, Path)), request_body = SubscriptionSettings,
    responses((status = 200, body = Tiers)))]
pub async fn settings(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<OpenChatId>,
    Json(req): Json<SubscriptionSettings>,
) -> JsonResult<Tiers> {
    Ok(axum::Json(st.core.set_subscription_settings(&me, id, req).await?))
}

/// Pay for a tier through the payment provider and start a subscription
/// that renews each period until cancelled.
#[utoipa::path(post, path = "/api/v1/openchats/{id}/subscription", tag = "earnings", security(("bearer" = [])),
    params(("id" = i64, Path), LinkQuery), request_body = SubscribeRequest,
    responses((status = 201, body = Subscription)))]
pub async fn subscribe(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<OpenChatId>,
    Query(q): Query<LinkQuery>,
    Json(req): Json<SubscribeRequest>,
) -> Result<(StatusCode, axum::Json<Subscription>), ApiError> {
    let sub = st.core.subscribe(&me, id, req, q.link.as_deref()).await?;
    Ok((StatusCode::CREATED, axum::Json(sub)))
}

/// Stop renewing; access lasts until the end of the paid period.
#[utoipa::path(delete, path = "/api/v1/openchats/{id}/subscription", tag = "earnings", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Subscription)))]
pub async fn cancel(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<OpenChatId>,
) -> JsonResult<Subscription> {
    Ok(axum::Json(st.core.cancel_subscription(&me, id).await?))
}

/// What the caller has earned as a host, per month and per open chat.
#[utoipa::path(get, path = "/api/v1/me/earnings", tag = "earnings", security(("bearer" = [])),
    responses((status = 200, body = Earnings)))]
pub async fn earnings(State(st): State<AppState>, Auth(me): Auth) -> JsonResult<Earnings> {
    Ok(axum::Json(st.core.earnings(&me).await?))
}

/// One open chat's earnings per month (host only).
#[utoipa::path(get, path = "/api/v1/openchats/{id}/earnings", tag = "earnings", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = RoomEarnings)))]
pub async fn chat_earnings(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<OpenChatId>,
) -> JsonResult<RoomEarnings> {
    Ok(axum::Json(st.core.open_chat_earnings(&me, id).await?))
}

/// An ad for the caller in this room, or 204 when none fits.
#[utoipa::path(get, path = "/api/v1/rooms/{id}/ad", tag = "earnings", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = AdPlacement), (status = 204)))]
pub async fn place(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(room): Path<RoomId>,
) -> Result<Response, ApiError> {
    Ok(match st.core.place_ad(&me, room).await? {
        Some(p) => axum::Json(p).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    })
}

/// The placed ad was on screen: counted (and paid) once.
#[utoipa::path(post, path = "/api/v1/ads/placements/{id}/impression", tag = "earnings",
    security(("bearer" = [])), params(("id" = i64, Path)), responses((status = 200, body = AdCount)))]
pub async fn impression(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<PlacementId>,
) -> JsonResult<AdCount> {
    Ok(axum::Json(st.core.ad_impression(&me, id).await?))
}

/// The placed ad was opened: counted (and paid) once; says where to go.
#[utoipa::path(post, path = "/api/v1/ads/placements/{id}/click", tag = "earnings",
    security(("bearer" = [])), params(("id" = i64, Path)), responses((status = 200, body = AdClick)))]
pub async fn click(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<PlacementId>,
) -> JsonResult<AdClick> {
    Ok(axum::Json(st.core.ad_click(&me, id).await?))
}

/// Every ad with its impressions, clicks and budget (operators only).
#[utoipa::path(get, path = "/api/v1/admin/ads", tag = "earnings", security(("bearer" = [])),
    responses((status = 200, body = Vec<Ad>)))]
pub async fn ads(State(st): State<AppState>, Auth(me): Auth) -> JsonResult<Vec<Ad>> {
    Ok(axum::Json(st.core.ads(&Authority::Operator(me)).await?))
}

/// Define a sponsored message or banner and fund its budget (operators only).
#[utoipa::path(post, path = "/api/v1/admin/ads", tag = "earnings", security(("bearer" = [])),
    request_body = CreateAdRequest, responses((status = 201, body = Ad)))]
pub async fn create_ad(
    State(st): State<AppState>,
    Auth(me): Auth,
    Json(req): Json<CreateAdRequest>,
) -> Result<(StatusCode, axum::Json<Ad>), ApiError> {
    let ad = st.core.create_ad(&Authority::Operator(me), req).await?;
    Ok((StatusCode::CREATED, axum::Json(ad)))
}

/// Pause an ad (operators only).
#[utoipa::path(post, path = "/api/v1/admin/ads/{id}/pause", tag = "earnings", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Ad)))]
pub async fn pause(State(st): State<AppState>, Auth(me): Auth, Path(id): Path<AdId>) -> JsonResult<Ad> {
    Ok(axum::Json(
        st.core.pause_ad(&Authority::Operator(me), id, true).await?,
    ))
}

/// Resume a paused ad (operators only).
#[utoipa::path(post, path = "/api/v1/admin/ads/{id}/resume", tag = "earnings", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Ad)))]
pub async fn resume(State(st): State<AppState>, Auth(me): Auth, Path(id): Path<AdId>) -> JsonResult<Ad> {
    Ok(axum::Json(
        st.core.pause_ad(&Authority::Operator(me), id, false).await?,
    ))
}

/// Check the ledger: every transaction balances and every balance equals
/// its entries (operators only).
#[utoipa::path(get, path = "/api/v1/admin/ledger/audit", tag = "earnings", security(("bearer" = [])),
    responses((status = 200, body = LedgerAudit)))]
pub async fn audit(State(st): State<AppState>, Auth(me): Auth) -> JsonResult<LedgerAudit> {
    Ok(axum::Json(st.core.audit_ledger(&Authority::Operator(me)).await?))
}

/// What the handlers here refuse beyond their extractors (the document
/// lists these; tests fail on an answer not listed).
#[rustfmt::skip]
pub(crate) fn refusals() -> Declared {
    vec![
        (Method::GET, "/api/v1/admin/ads", vec![forbidden("not_operator")]),
        (Method::POST, "/api/v1/admin/ads", vec![invalid("invalid_budget"), invalid("invalid_category"), invalid("invalid_link"), invalid("invalid_price"), invalid("invalid_window"), forbidden("not_operator")]),
        (Method::POST, "/api/v1/admin/ads/{id}/pause", vec![forbidden("not_operator"), not_found("ad_not_found")]),
        (Method::POST, "/api/v1/admin/ads/{id}/resume", vec![forbidden("not_operator"), not_found("ad_not_found")]),
        (Method::GET, "/api/v1/admin/ledger/audit", vec![forbidden("not_operator")]),
        (Method::POST, "/api/v1/ads/placements/{id}/click", vec![forbidden("placement_expired"), not_found("ad_not_found"), not_found("placement_not_found")]),
        (Method::POST, "/api/v1/ads/placements/{id}/impression", vec![forbidden("placement_expired"), not_found("ad_not_found"), not_found("placement_not_found")]),
        (Method::GET, "/api/v1/openchats/{id}/earnings", vec![forbidden("not_host"), not_found("open_chat_not_found")]),
        (Method::DELETE, "/api/v1/openchats/{id}/subscription", vec![not_found("subscription_not_found")]),
        (Method::POST, "/api/v1/openchats/{id}/subscription", vec![invalid("own_open_chat"), invalid("unknown_payment_method"), payment("payment_declined"), forbidden("banned"), forbidden("suspended"), forbidden("tier_retired"), not_found("open_chat_not_found"), not_found("tier_not_found"), conflict("already_subscribed"), UNAVAILABLE]),
        (Method::PUT, "/api/v1/openchats/{id}/subscription-settings", vec![invalid("no_tiers"), invalid("not_group"), forbidden("not_host"), not_found("open_chat_not_found")]),
        (Method::GET, "/api/v1/openchats/{id}/tiers", vec![not_found("open_chat_not_found")]),
        (Method::POST, "/api/v1/openchats/{id}/tiers", vec![invalid("invalid_description"), invalid("invalid_period"), invalid("invalid_price"), invalid("invalid_tier_name"), forbidden("not_host"), forbidden("room_closed"), forbidden("too_many_tiers"), not_found("open_chat_not_found")]),
        (Method::DELETE, "/api/v1/openchats/{id}/tiers/{tier}", vec![forbidden("not_host"), not_found("open_chat_not_found"), not_found("tier_not_found")]),
        (Method::GET, "/api/v1/rooms/{id}/ad", vec![NOT_MEMBER, not_found("room_not_found")]),
    ]
}
