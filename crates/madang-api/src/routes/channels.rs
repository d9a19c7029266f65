//! What a business does through a channel, and a person's side of it:
//! the channel's posts, the person's room with it, the agents' shared
//! inbox, what the business keeps about a friend, campaigns (preview,
//! send now or later, stats, cancel) and the one-tap opt-out; the
//! channel's assistant (its switch and facts); a person's
//! place (time zone and neighbourhood).

use super::JsonResult;
use super::chats::HistoryQuery;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Auth, Json, Path, Query};
use crate::openapi::refuse::*;
use axum::extract::State;
use axum::http::StatusCode;
use madang_types::api::{Message, MessagePage, Room, SendMessageRequest};
use madang_types::channel::{
    AssignRequest, AssistantSwitch, Campaign, ChannelAssistant, CreateCampaignRequest, CreatePostRequest,
    Fact, FactRequest, FriendData, FriendDataRequest, InboxPage, InboxReadRequest, InboxStatus, Place,
    PlaceRequest, Post, PostPage, Preview, PreviewRequest,
};
use madang_types::local::Channel;
use madang_types::{CampaignId, ChannelId, FactId, PostId, RoomId, Seq, UserId};
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PostsQuery {
    /// Only posts older than this id.
    before: Option<i64>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct InboxQuery {
    /// `open`, `closed` or `idle`; every conversation the people started
    /// when left out.
    status: Option<String>,
    /// Only conversations assigned to the caller.
    mine: Option<bool>,
}

/// A channel's posts, newest first.
#[utoipa::path(get, path = "/api/v1/channels/{id}/posts", tag = "channels", security(("bearer" = [])),
    params(("id" = i64, Path), PostsQuery), responses((status = 200, body = PostPage)))]
pub async fn posts(
    State(st): State<AppState>,
    Auth(_me): Auth,
    Path(id): Path<ChannelId>,
    Query(q): Query<PostsQuery>,
) -> JsonResult<PostPage> {
    Ok(axum::Json(st.core.posts(id, q.before.map(PostId)).await?))
}

/// Post on the channel's page (the business's agents).
#[utoipa::path(post, path = "/api/v1/channels/{id}/posts", tag = "channels", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = CreatePostRequest, responses((status = 201, body = Post)))]
pub async fn create_post(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<ChannelId>,
    Json(req): Json<CreatePostRequest>,
) -> Result<(StatusCode, axum::Json<Post>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(st.core.create_post(&me, id, req).await?),
    ))
}

/// The caller's room with the channel (made when they added it).
#[utoipa::path(get, path = "/api/v1/channels/{id}/room", tag = "channels", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Room)))]
pub async fn my_room(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<ChannelId>,
) -> JsonResult<Room> {
    Ok(axum::Json(st.core.my_channel_room(&me, id).await?))
}

/// The channel's shared inbox (the business's agents): conversations the
/// people started, most recently active first.
#[utoipa::path(get, path = "/api/v1/channels/{id}/inbox", tag = "channels", security(("bearer" = [])),
    params(("id" = i64, Path), InboxQuery), responses((status = 200, body = InboxPage)))]
pub async fn inbox(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<ChannelId>,
    Query(q): Query<InboxQuery>,
) -> JsonResult<InboxPage> {
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => Some(InboxStatus::parse(s).ok_or_else(|| {
            ApiError::from(madang_core::Error::invalid(
                "invalid_status",
                "status is open, closed or idle",
            ))
        })?),
    };
    Ok(axum::Json(
        st.core.inbox(&me, id, status, q.mine.unwrap_or(false)).await?,
    ))
}

/// A conversation's history (the business's agents).
#[utoipa::path(get, path = "/api/v1/channels/{id}/inbox/{room}/messages", tag = "channels",
    security(("bearer" = [])), params(("id" = i64, Path), ("room" = i64, Path), HistoryQuery),
    responses((status = 200, body = MessagePage)))]
pub async fn inbox_history(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path((id, room)): Path<(ChannelId, RoomId)>,
    Query(q): Query<HistoryQuery>,
) -> JsonResult<MessagePage> {
    Ok(axum::Json(
        st.core
            .inbox_history(&me, id, room, q.before.map(Seq), q.limit)
            .await?,
    ))
}

/// Answer as the channel. The first answer assigns an unassigned
/// conversation to the agent who gave it.
#[utoipa::path(post, path = "/api/v1/channels/{id}/inbox/{room}/messages", tag = "channels",
    security(("bearer" = [])), params(("id" = i64, Path), ("room" = i64, Path)),
    request_body = SendMessageRequest, responses((status = 201, body = Message)))]
pub async fn inbox_reply(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path((id, room)): Path<(ChannelId, RoomId)>,
    Json(req): Json<SendMessageRequest>,
) -> Result<(StatusCode, axum::Json<Message>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(st.core.inbox_reply(&me, id, room, req).await?),
    ))
}

/// Assign a conversation to one of the business's agents (`null`: nobody).
#[utoipa::path(post, path = "/api/v1/channels/{id}/inbox/{room}/assign", tag = "channels",
    security(("bearer" = [])), params(("id" = i64, Path), ("room" = i64, Path)),
    request_body = AssignRequest, responses((status = 204)))]
pub async fn inbox_assign(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path((id, room)): Path<(ChannelId, RoomId)>,
    Json(req): Json<AssignRequest>,
) -> Result<StatusCode, ApiError> {
    st.core.inbox_assign(&me, id, room, req.agent_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Close a conversation; the person writing again reopens it.
#[utoipa::path(post, path = "/api/v1/channels/{id}/inbox/{room}/close", tag = "channels",
    security(("bearer" = [])), params(("id" = i64, Path), ("room" = i64, Path)), responses((status = 204)))]
pub async fn inbox_close(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path((id, room)): Path<(ChannelId, RoomId)>,
) -> Result<StatusCode, ApiError> {
    st.core.inbox_close(&me, id, room).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The business has read a conversation up to `seq`.
#[utoipa::path(post, path = "/api/v1/channels/{id}/inbox/{room}/read", tag = "channels",
    security(("bearer" = [])), params(("id" = i64, Path), ("room" = i64, Path)),
    request_body = InboxReadRequest, responses((status = 204)))]
pub async fn inbox_read(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path((id, room)): Path<(ChannelId, RoomId)>,
    Json(req): Json<InboxReadRequest>,
) -> Result<StatusCode, ApiError> {
    st.core.inbox_read(&me, id, room, req.seq).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Set the tags and attributes the business keeps about a friend (for
/// segments and template variables).
#[utoipa::path(put, path = "/api/v1/channels/{id}/friends/{user}", tag = "channels",
    security(("bearer" = [])), params(("id" = i64, Path), ("user" = i64, Path)),
    request_body = FriendDataRequest, responses((status = 200, body = FriendData)))]
pub async fn friend_data(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path((id, user)): Path<(ChannelId, UserId)>,
    Json(req): Json<FriendDataRequest>,
) -> JsonResult<FriendData> {
    Ok(axum::Json(st.core.set_friend_data(&me, id, user, req).await?))
}

/// Exactly what one recipient (with the sample's attributes) would get,
/// after every check a real campaign passes. With `rewrite`, the server's
/// model writes it for the sample now (nothing is kept) and the answer
/// says whether it passed the guardrails or why not; `feature_off` (503)
/// when the server has no model for it.
#[utoipa::path(post, path = "/api/v1/channels/{id}/campaigns/preview", tag = "channels",
    security(("bearer" = [])), params(("id" = i64, Path)), request_body = PreviewRequest,
    responses((status = 200, body = Preview)))]
pub async fn preview(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<ChannelId>,
    Json(req): Json<PreviewRequest>,
) -> JsonResult<Preview> {
    Ok(axum::Json(st.core.preview_campaign(&me, id, req).await?))
}

/// The channel's campaigns with their stats, newest first.
#[utoipa::path(get, path = "/api/v1/channels/{id}/campaigns", tag = "channels", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Vec<Campaign>)))]
pub async fn campaigns(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<ChannelId>,
) -> JsonResult<Vec<Campaign>> {
    Ok(axum::Json(st.core.campaigns(&me, id).await?))
}

/// Send a campaign now or at `send_at`. The server applies the rules to
/// each recipient: consents, the advertising label and opt-out line, one
/// advertisement a day, and no advertising at night without night consent
/// (deferred to 08:00 in the recipient's time zone). With `rewrite`, each
/// set of attribute values gets the model's wording when it keeps every
/// value verbatim and fits, else the template (`feature_off`, 503, when
/// the server has no model for it).
#[utoipa::path(post, path = "/api/v1/channels/{id}/campaigns", tag = "channels", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = CreateCampaignRequest, responses((status = 201, body = Campaign)))]
pub async fn create_campaign(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<ChannelId>,
    Json(req): Json<CreateCampaignRequest>,
) -> Result<(StatusCode, axum::Json<Campaign>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(st.core.create_campaign(&me, id, req).await?),
    ))
}

/// A campaign and its stats: progress, targeted, delivered, read, opted
/// out, deferred, waiting, skipped by reason.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}", tag = "channels", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Campaign)))]
pub async fn campaign(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<CampaignId>,
) -> JsonResult<Campaign> {
    Ok(axum::Json(st.core.campaign(&me, id).await?))
}

/// Stop a campaign; what was delivered stays.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/cancel", tag = "channels", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Campaign)))]
pub async fn cancel(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<CampaignId>,
) -> JsonResult<Campaign> {
    Ok(axum::Json(st.core.cancel_campaign(&me, id).await?))
}

/// One tap under an advertisement: no more advertising from its channel.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/opt-out", tag = "channels", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Channel)))]
pub async fn opt_out(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<CampaignId>,
) -> JsonResult<Channel> {
    Ok(axum::Json(st.core.opt_out(&me, id).await?))
}

/// The caller's time zone and neighbourhood.
#[utoipa::path(get, path = "/api/v1/me/place", tag = "channels", security(("bearer" = [])),
    responses((status = 200, body = Place)))]
pub async fn place(State(st): State<AppState>, Auth(me): Auth) -> JsonResult<Place> {
    Ok(axum::Json(st.core.place(&me).await?))
}

/// Set the caller's time zone and neighbourhood.
#[utoipa::path(put, path = "/api/v1/me/place", tag = "channels", security(("bearer" = [])),
    request_body = PlaceRequest, responses((status = 200, body = Place)))]
pub async fn set_place(
    State(st): State<AppState>,
    Auth(me): Auth,
    Json(req): Json<PlaceRequest>,
) -> JsonResult<Place> {
    Ok(axum::Json(st.core.set_place(&me, req).await?))
}

/// The channel's assistant, for the business's agents: whether it is on,
/// the questions and answers it has, what it reads from the shops,
/// coupons and posts, and how often it answered, handed over and withheld
/// an answer.
#[utoipa::path(get, path = "/api/v1/channels/{id}/assistant", tag = "channels", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = ChannelAssistant)))]
pub async fn assistant(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<ChannelId>,
) -> JsonResult<ChannelAssistant> {
    Ok(axum::Json(st.core.channel_assistant(&me, id).await?))
}

/// Switch the channel's assistant on or off (the business's owner);
/// `feature_off` (503) when the operator switched the feature off.
#[utoipa::path(put, path = "/api/v1/channels/{id}/assistant", tag = "channels", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = AssistantSwitch,
    responses((status = 200, body = ChannelAssistant)))]
pub async fn set_assistant(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<ChannelId>,
    Json(req): Json<AssistantSwitch>,
) -> JsonResult<ChannelAssistant> {
    Ok(axum::Json(
        st.core.set_channel_assistant(&me, id, req.enabled).await?,
    ))
}

/// Give the assistant a question and its answer (the business's owner;
/// at most 200).
#[utoipa::path(post, path = "/api/v1/channels/{id}/assistant/facts", tag = "channels",
    security(("bearer" = [])), params(("id" = i64, Path)), request_body = FactRequest,
    responses((status = 201, body = Fact)))]
pub async fn add_fact(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<ChannelId>,
    Json(req): Json<FactRequest>,
) -> Result<(StatusCode, axum::Json<Fact>), ApiError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(st.core.add_fact(&me, id, req).await?),
    ))
}

/// Rewrite a question and answer (the business's owner).
#[utoipa::path(put, path = "/api/v1/channels/{id}/assistant/facts/{fact}", tag = "channels",
    security(("bearer" = [])), params(("id" = i64, Path), ("fact" = i64, Path)), request_body = FactRequest,
    responses((status = 200, body = Fact)))]
pub async fn update_fact(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path((id, fact)): Path<(ChannelId, FactId)>,
    Json(req): Json<FactRequest>,
) -> JsonResult<Fact> {
    Ok(axum::Json(st.core.update_fact(&me, id, fact, req).await?))
}

/// Remove a question and answer (the business's owner).
#[utoipa::path(delete, path = "/api/v1/channels/{id}/assistant/facts/{fact}", tag = "channels",
    security(("bearer" = [])), params(("id" = i64, Path), ("fact" = i64, Path)), responses((status = 204)))]
pub async fn delete_fact(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path((id, fact)): Path<(ChannelId, FactId)>,
) -> Result<StatusCode, ApiError> {
    st.core.delete_fact(&me, id, fact).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What the handlers here refuse beyond their extractors (the document
/// lists these; tests fail on an answer not listed).
#[rustfmt::skip]
pub(crate) fn refusals() -> Declared {
    vec![
        (Method::GET, "/api/v1/campaigns/{id}", vec![not_found("business_not_found"), not_found("campaign_not_found"), not_found("channel_not_found")]),
        (Method::POST, "/api/v1/campaigns/{id}/cancel", vec![invalid("campaign_finished"), not_found("business_not_found"), not_found("campaign_not_found"), not_found("channel_not_found")]),
        (Method::POST, "/api/v1/campaigns/{id}/opt-out", vec![invalid("night_needs_marketing"), not_found("campaign_not_found"), not_found("channel_not_found")]),
        (Method::GET, "/api/v1/channels/{id}/assistant", vec![not_found("business_not_found"), not_found("channel_not_found")]),
        (Method::PUT, "/api/v1/channels/{id}/assistant", vec![forbidden("not_owner"), not_found("business_not_found"), not_found("channel_not_found"), FEATURE_OFF]),
        (Method::POST, "/api/v1/channels/{id}/assistant/facts", vec![invalid("invalid_answer"), invalid("invalid_question"), forbidden("not_owner"), forbidden("too_many_facts"), not_found("business_not_found"), not_found("channel_not_found")]),
        (Method::DELETE, "/api/v1/channels/{id}/assistant/facts/{fact}", vec![forbidden("not_owner"), not_found("business_not_found"), not_found("channel_not_found"), not_found("fact_not_found")]),
        (Method::PUT, "/api/v1/channels/{id}/assistant/facts/{fact}", vec![invalid("invalid_answer"), invalid("invalid_question"), forbidden("not_owner"), not_found("business_not_found"), not_found("channel_not_found"), not_found("fact_not_found")]),
        (Method::GET, "/api/v1/channels/{id}/campaigns", vec![not_found("business_not_found"), not_found("channel_not_found")]),
        (Method::POST, "/api/v1/channels/{id}/campaigns", vec![invalid("invalid_name"), invalid("invalid_segment"), invalid("invalid_send_at"), invalid("invalid_template"), invalid("invalid_variable"), invalid("missing_variable"), invalid("too_long"), invalid("too_many_variables"), invalid("unknown_variable"), invalid("unused_variable"), not_found("business_not_found"), not_found("channel_not_found"), not_found("shop_not_found"), not_found("user_not_found"), FEATURE_OFF]),
        (Method::POST, "/api/v1/channels/{id}/campaigns/preview", vec![invalid("invalid_segment"), invalid("invalid_template"), invalid("invalid_variable"), invalid("missing_variable"), invalid("too_long"), invalid("too_many_variables"), invalid("unknown_variable"), invalid("unused_variable"), not_found("business_not_found"), not_found("channel_not_found"), not_found("shop_not_found"), not_found("user_not_found"), AI_BUSY, FEATURE_OFF]),
        (Method::PUT, "/api/v1/channels/{id}/friends/{user}", vec![invalid("invalid_attributes"), invalid("invalid_tags"), not_found("business_not_found"), not_found("channel_not_found"), not_found("friend_not_found")]),
        (Method::GET, "/api/v1/channels/{id}/inbox", vec![invalid("invalid_status"), not_found("business_not_found"), not_found("channel_not_found")]),
        (Method::POST, "/api/v1/channels/{id}/inbox/{room}/assign", vec![invalid("not_an_agent"), not_found("business_not_found"), not_found("channel_not_found"), not_found("room_not_found")]),
        (Method::POST, "/api/v1/channels/{id}/inbox/{room}/close", vec![invalid("nothing_to_close"), not_found("business_not_found"), not_found("channel_not_found"), not_found("room_not_found")]),
        (Method::GET, "/api/v1/channels/{id}/inbox/{room}/messages", vec![not_found("channel_not_found"), not_found("room_not_found")]),
        (Method::POST, "/api/v1/channels/{id}/inbox/{room}/messages", vec![invalid("client_id_reused"), invalid("empty_message"), invalid("invalid_client_id"), invalid("invalid_pung_text"), invalid("not_supported"), forbidden("channel_removed"), not_found("business_not_found"), not_found("channel_not_found"), not_found("media_not_found"), not_found("room_not_found"), TOO_LARGE]),
        (Method::POST, "/api/v1/channels/{id}/inbox/{room}/read", vec![not_found("business_not_found"), not_found("channel_not_found"), not_found("room_not_found")]),
        (Method::GET, "/api/v1/channels/{id}/posts", vec![not_found("channel_not_found")]),
        (Method::POST, "/api/v1/channels/{id}/posts", vec![invalid("invalid_text"), invalid("too_many_photos"), not_found("business_not_found"), not_found("channel_not_found"), not_found("media_not_found")]),
        (Method::GET, "/api/v1/channels/{id}/room", vec![NOT_MEMBER, not_found("room_not_found")]),
        (Method::PUT, "/api/v1/me/place", vec![invalid("invalid_point"), invalid("invalid_time_zone")]),
    ]
}
