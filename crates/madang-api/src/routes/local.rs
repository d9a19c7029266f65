//! Local shops and business channels: businesses and agents, channels and
//! their friends' consents, shops (nearby search, regulars), coupons
//! (issue, claim, wallet, redeem).

use super::JsonResult;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Auth, Json, Path, Query};
use crate::openapi::refuse::*;
use axum::extract::State;
use axum::http::StatusCode;
use madang_core::local::Nearby;
use madang_types::local::{
    AddAgentRequest, Agent, Business, Channel, ClaimedCoupon, ConsentsRequest, Coupon, CreateBusinessRequest,
    CreateChannelRequest, CreateCouponRequest, CreateShopRequest, RedeemRequest, Redemption, Shop, ShopPage,
};
use madang_types::{BusinessId, ChannelId, CouponId, ShopId};
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct NearbyQuery {
    /// Latitude of the point, degrees.
    lat: f64,
    /// Longitude of the point, degrees.
    lon: f64,
    /// Metres, 0 up to the server's limit (default 1,000).
    radius_m: Option<f64>,
    /// One of `GET /api/v1/shops/categories`.
    category: Option<String>,
    /// Only shops open now by their hours.
    open_now: Option<bool>,
    /// 1–100 (default 30).
    limit: Option<usize>,
}

/// Start a business, with the caller as its owner.
#[utoipa::path(post, path = "/api/v1/businesses", tag = "local", security(("bearer" = [])),
    request_body = CreateBusinessRequest, responses((status = 201, body = Business)))]
pub async fn create_business(
    State(st): State<AppState>,
    Auth(me): Auth,
    Json(req): Json<CreateBusinessRequest>,
) -> Result<(StatusCode, axum::Json<Business>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(st.core.create_business(&me, req).await?),
    ))
}

/// The businesses the caller works for.
#[utoipa::path(get, path = "/api/v1/businesses", tag = "local", security(("bearer" = [])),
    responses((status = 200, body = Vec<Business>)))]
pub async fn businesses(State(st): State<AppState>, Auth(me): Auth) -> JsonResult<Vec<Business>> {
    Ok(axum::Json(st.core.my_businesses(&me).await?))
}

/// A business's owner and agents (agents only).
#[utoipa::path(get, path = "/api/v1/businesses/{id}/agents", tag = "local", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Vec<Agent>)))]
pub async fn agents(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<BusinessId>,
) -> JsonResult<Vec<Agent>> {
    Ok(axum::Json(st.core.agents(&me, id).await?))
}

/// Add an agent by handle (owner only).
#[utoipa::path(post, path = "/api/v1/businesses/{id}/agents", tag = "local", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = AddAgentRequest, responses((status = 201, body = Agent)))]
pub async fn add_agent(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<BusinessId>,
    Json(req): Json<AddAgentRequest>,
) -> Result<(StatusCode, axum::Json<Agent>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(st.core.add_agent(&me, id, req).await?),
    ))
}

/// A business's channels (agents only).
#[utoipa::path(get, path = "/api/v1/businesses/{id}/channels", tag = "local", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Vec<Channel>)))]
pub async fn channels(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<BusinessId>,
) -> JsonResult<Vec<Channel>> {
    Ok(axum::Json(st.core.business_channels(&me, id).await?))
}

/// A business's shops (agents only).
#[utoipa::path(get, path = "/api/v1/businesses/{id}/shops", tag = "local", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Vec<Shop>)))]
pub async fn business_shops(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<BusinessId>,
) -> JsonResult<Vec<Shop>> {
    Ok(axum::Json(st.core.business_shops(&me, id).await?))
}

/// Open a channel for the business (agents only).
#[utoipa::path(post, path = "/api/v1/businesses/{id}/channels", tag = "local", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = CreateChannelRequest, responses((status = 201, body = Channel)))]
pub async fn create_channel(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<BusinessId>,
    Json(req): Json<CreateChannelRequest>,
) -> Result<(StatusCode, axum::Json<Channel>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(st.core.create_channel(&me, id, req).await?),
    ))
}

/// One channel, with the caller's consents when they added it.
#[utoipa::path(get, path = "/api/v1/channels/{id}", tag = "local", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Channel)))]
pub async fn channel(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<ChannelId>,
) -> JsonResult<Channel> {
    Ok(axum::Json(st.core.channel(&me, id).await?))
}

/// A channel by its handle.
#[utoipa::path(get, path = "/api/v1/channels/handles/{handle}", tag = "local", security(("bearer" = [])),
    params(("handle" = String, Path)), responses((status = 200, body = Channel)))]
pub async fn channel_by_handle(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(handle): Path<String>,
) -> JsonResult<Channel> {
    Ok(axum::Json(st.core.channel_by_handle(&me, &handle).await?))
}

/// Add the channel as a friend, or change what you agreed to receive:
/// informational messages (on unless refused), advertising, advertising
/// at night. Each is recorded with when it was last set.
#[utoipa::path(put, path = "/api/v1/channels/{id}/friend", tag = "local", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ConsentsRequest, responses((status = 200, body = Channel)))]
pub async fn add_channel(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<ChannelId>,
    Json(req): Json<ConsentsRequest>,
) -> JsonResult<Channel> {
    Ok(axum::Json(st.core.add_channel(&me, id, req).await?))
}

/// Remove the channel from your friends: it sends you nothing more.
#[utoipa::path(delete, path = "/api/v1/channels/{id}/friend", tag = "local", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 204)))]
pub async fn remove_channel(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<ChannelId>,
) -> Result<StatusCode, ApiError> {
    st.core.remove_channel(&me, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The categories a shop can be filed under.
#[utoipa::path(get, path = "/api/v1/shops/categories", tag = "local", security(("bearer" = [])),
    responses((status = 200, body = Vec<String>)))]
pub async fn shop_categories(State(st): State<AppState>, Auth(_me): Auth) -> JsonResult<Vec<String>> {
    Ok(axum::Json(st.core.shop_categories()))
}

/// Add a shop for a business (agents only).
#[utoipa::path(post, path = "/api/v1/shops", tag = "local", security(("bearer" = [])),
    request_body = CreateShopRequest, responses((status = 201, body = Shop)))]
pub async fn create_shop(
    State(st): State<AppState>,
    Auth(me): Auth,
    Json(req): Json<CreateShopRequest>,
) -> Result<(StatusCode, axum::Json<Shop>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(st.core.create_shop(&me, req).await?),
    ))
}

/// Shops within a radius of a point, nearest first, with their distance.
#[utoipa::path(get, path = "/api/v1/shops/nearby", tag = "local", security(("bearer" = [])),
    params(NearbyQuery), responses((status = 200, body = ShopPage)))]
pub async fn nearby(
    State(st): State<AppState>,
    Auth(me): Auth,
    Query(q): Query<NearbyQuery>,
) -> JsonResult<ShopPage> {
    let q = Nearby {
        lat: q.lat,
        lon: q.lon,
        radius_m: q.radius_m.unwrap_or(1_000.0),
        category: q.category,
        open_now: q.open_now.unwrap_or(false),
        limit: q.limit,
    };
    Ok(axum::Json(st.core.nearby_shops(&me, q).await?))
}

/// One shop.
#[utoipa::path(get, path = "/api/v1/shops/{id}", tag = "local", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Shop)))]
pub async fn shop(State(st): State<AppState>, Auth(me): Auth, Path(id): Path<ShopId>) -> JsonResult<Shop> {
    Ok(axum::Json(st.core.shop(&me, id).await?))
}

/// Become a regular (단골) of the shop.
#[utoipa::path(put, path = "/api/v1/shops/{id}/regular", tag = "local", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Shop)))]
pub async fn become_regular(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<ShopId>,
) -> JsonResult<Shop> {
    Ok(axum::Json(st.core.set_regular(&me, id, true).await?))
}

/// Stop being a regular of the shop.
#[utoipa::path(delete, path = "/api/v1/shops/{id}/regular", tag = "local", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Shop)))]
pub async fn leave_regular(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<ShopId>,
) -> JsonResult<Shop> {
    Ok(axum::Json(st.core.set_regular(&me, id, false).await?))
}

/// The shop's coupons (its agents also see ended ones).
#[utoipa::path(get, path = "/api/v1/shops/{id}/coupons", tag = "local", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Vec<Coupon>)))]
pub async fn coupons(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<ShopId>,
) -> JsonResult<Vec<Coupon>> {
    Ok(axum::Json(st.core.shop_coupons(&me, id).await?))
}

/// Issue a coupon (the shop's agents only).
#[utoipa::path(post, path = "/api/v1/shops/{id}/coupons", tag = "local", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = CreateCouponRequest, responses((status = 201, body = Coupon)))]
pub async fn create_coupon(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<ShopId>,
    Json(req): Json<CreateCouponRequest>,
) -> Result<(StatusCode, axum::Json<Coupon>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(st.core.create_coupon(&me, id, req).await?),
    ))
}

/// Claim a coupon into your wallet.
#[utoipa::path(post, path = "/api/v1/coupons/{id}/claims", tag = "local", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 201, body = ClaimedCoupon)))]
pub async fn claim(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<CouponId>,
) -> Result<(StatusCode, axum::Json<ClaimedCoupon>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(st.core.claim_coupon(&me, id).await?),
    ))
}

/// Your coupons, newest first, each with the code to show at the shop.
#[utoipa::path(get, path = "/api/v1/me/coupons", tag = "local", security(("bearer" = [])),
    responses((status = 200, body = Vec<ClaimedCoupon>)))]
pub async fn wallet(State(st): State<AppState>, Auth(me): Auth) -> JsonResult<Vec<ClaimedCoupon>> {
    Ok(axum::Json(st.core.wallet(&me).await?))
}

/// Redeem the coupon whose code a customer shows (the shop's agents only).
#[utoipa::path(post, path = "/api/v1/shops/{id}/redemptions", tag = "local", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = RedeemRequest, responses((status = 200, body = Redemption)))]
pub async fn redeem(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<ShopId>,
    Json(req): Json<RedeemRequest>,
) -> JsonResult<Redemption> {
    Ok(axum::Json(st.core.redeem_coupon(&me, id, &req.code).await?))
}

/// What the handlers here refuse beyond their extractors (the document
/// lists these; tests fail on an answer not listed).
#[rustfmt::skip]
pub(crate) fn refusals() -> Declared {
    vec![
        (Method::POST, "/api/v1/businesses", vec![invalid("invalid_name")]),
        (Method::GET, "/api/v1/businesses/{id}/agents", vec![not_found("business_not_found")]),
        (Method::POST, "/api/v1/businesses/{id}/agents", vec![invalid("invalid_handle"), forbidden("not_owner"), not_found("business_not_found"), not_found("user_not_found"), conflict("already_agent")]),
        (Method::GET, "/api/v1/businesses/{id}/channels", vec![not_found("business_not_found")]),
        (Method::POST, "/api/v1/businesses/{id}/channels", vec![invalid("invalid_description"), invalid("invalid_handle"), invalid("invalid_name"), not_found("business_not_found"), conflict("handle_taken")]),
        (Method::GET, "/api/v1/businesses/{id}/shops", vec![not_found("business_not_found")]),
        (Method::GET, "/api/v1/channels/handles/{handle}", vec![not_found("channel_not_found")]),
        (Method::GET, "/api/v1/channels/{id}", vec![not_found("channel_not_found")]),
        (Method::DELETE, "/api/v1/channels/{id}/friend", vec![not_found("channel_not_found")]),
        (Method::PUT, "/api/v1/channels/{id}/friend", vec![invalid("night_needs_marketing"), not_found("channel_not_found")]),
        (Method::POST, "/api/v1/coupons/{id}/claims", vec![forbidden("coupon_expired"), forbidden("coupon_not_started"), forbidden("regulars_only"), not_found("coupon_not_found"), conflict("claim_limit"), conflict("coupon_exhausted")]),
        (Method::POST, "/api/v1/shops", vec![invalid("invalid_address"), invalid("invalid_category"), invalid("invalid_hours"), invalid("invalid_name"), invalid("invalid_point"), invalid("invalid_time_zone"), invalid("too_many_photos"), not_found("business_not_found"), not_found("channel_not_found"), not_found("media_not_found")]),
        (Method::GET, "/api/v1/shops/nearby", vec![invalid("invalid_category"), invalid("invalid_point"), invalid("invalid_radius")]),
        (Method::GET, "/api/v1/shops/{id}", vec![not_found("shop_not_found")]),
        (Method::GET, "/api/v1/shops/{id}/coupons", vec![not_found("shop_not_found")]),
        (Method::POST, "/api/v1/shops/{id}/coupons", vec![invalid("invalid_description"), invalid("invalid_per_person"), invalid("invalid_quantity"), invalid("invalid_title"), invalid("invalid_window"), forbidden("not_agent"), not_found("shop_not_found")]),
        (Method::POST, "/api/v1/shops/{id}/redemptions", vec![forbidden("coupon_expired"), forbidden("not_agent"), not_found("coupon_code_not_found"), not_found("shop_not_found"), conflict("already_redeemed")]),
        (Method::DELETE, "/api/v1/shops/{id}/regular", vec![not_found("shop_not_found")]),
        (Method::PUT, "/api/v1/shops/{id}/regular", vec![not_found("shop_not_found")]),
    ]
}
