//! Finding open chats: search, categories, trending, keywords,
//! recommendations, and the topics one follows.

use super::JsonResult;
use crate::AppState;
use crate::extract::{Auth, Json, Query};
use crate::openapi::refuse::*;
use axum::extract::State;
use madang_types::openchat::{Interests, OpenChatCard, OpenChatPage, TrendingKeywords};
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// Words, Korean (spaces optional) or English (partial words match), or a #hashtag.
    q: String,
    /// Only this category.
    category: Option<String>,
    /// From `next_offset`.
    offset: Option<i64>,
    /// 1–50 (default 20).
    limit: Option<i64>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct BrowseQuery {
    category: String,
    offset: Option<i64>,
    limit: Option<i64>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LimitQuery {
    /// 1–50 (default 20).
    limit: Option<i64>,
}

/// Search public open chats by title, hashtags and description, ranked by
/// relevance and activity.
#[utoipa::path(get, path = "/api/v1/openchats/search", tag = "openchat", security(("bearer" = [])),
    params(SearchQuery), responses((status = 200, body = OpenChatPage)))]
pub async fn search(
    State(st): State<AppState>,
    Auth(me): Auth,
    Query(q): Query<SearchQuery>,
) -> JsonResult<OpenChatPage> {
    Ok(axum::Json(
        st.core
            .search_open_chats(&me, &q.q, q.category.as_deref(), q.offset, q.limit)
            .await?,
    ))
}

/// Public open chats of one category, busiest first.
#[utoipa::path(get, path = "/api/v1/openchats/browse", tag = "openchat", security(("bearer" = [])),
    params(BrowseQuery), responses((status = 200, body = OpenChatPage)))]
pub async fn browse(
    State(st): State<AppState>,
    Auth(me): Auth,
    Query(q): Query<BrowseQuery>,
) -> JsonResult<OpenChatPage> {
    Ok(axum::Json(
        st.core
            .browse_open_chats(&me, &q.category, q.offset, q.limit)
            .await?,
    ))
}

/// Trending today: the most engagement in the last day, recent counting more.
#[utoipa::path(get, path = "/api/v1/openchats/trending", tag = "openchat", security(("bearer" = [])),
    params(LimitQuery), responses((status = 200, body = Vec<OpenChatCard>)))]
pub async fn trending(
    State(st): State<AppState>,
    Auth(me): Auth,
    Query(q): Query<LimitQuery>,
) -> JsonResult<Vec<OpenChatCard>> {
    Ok(axum::Json(st.core.trending_open_chats(&me, q.limit).await?))
}

/// Hashtags trending today.
#[utoipa::path(get, path = "/api/v1/openchats/keywords", tag = "openchat", security(("bearer" = [])),
    responses((status = 200, body = TrendingKeywords)))]
pub async fn keywords(State(st): State<AppState>, Auth(_me): Auth) -> JsonResult<TrendingKeywords> {
    Ok(axum::Json(TrendingKeywords {
        keywords: st.core.trending_keywords(),
    }))
}

/// Open chats for the caller, each with the reason: a followed topic,
/// people in one of their chats joined it, its meaning is close to what
/// they follow and are in (`topic`, where the server runs an embedder), or
/// popular now.
#[utoipa::path(get, path = "/api/v1/openchats/recommended", tag = "openchat", security(("bearer" = [])),
    params(LimitQuery), responses((status = 200, body = Vec<OpenChatCard>)))]
pub async fn recommended(
    State(st): State<AppState>,
    Auth(me): Auth,
    Query(q): Query<LimitQuery>,
) -> JsonResult<Vec<OpenChatCard>> {
    Ok(axum::Json(st.core.recommended_open_chats(&me, q.limit).await?))
}

/// The topics the caller follows.
#[utoipa::path(get, path = "/api/v1/me/interests", tag = "openchat", security(("bearer" = [])),
    responses((status = 200, body = Interests)))]
pub async fn interests(State(st): State<AppState>, Auth(me): Auth) -> JsonResult<Interests> {
    Ok(axum::Json(Interests {
        tags: st.core.interests(&me).await?,
    }))
}

/// Replace the topics the caller follows (hashtags or categories, up to 20).
#[utoipa::path(put, path = "/api/v1/me/interests", tag = "openchat", security(("bearer" = [])),
    request_body = Interests, responses((status = 200, body = Interests)))]
pub async fn set_interests(
    State(st): State<AppState>,
    Auth(me): Auth,
    Json(req): Json<Interests>,
) -> JsonResult<Interests> {
    Ok(axum::Json(Interests {
        tags: st.core.set_interests(&me, &req.tags).await?,
    }))
}

/// What the handlers here refuse beyond their extractors (the document
/// lists these; tests fail on an answer not listed).
#[rustfmt::skip]
pub(crate) fn refusals() -> Declared {
    vec![
        (Method::PUT, "/api/v1/me/interests", vec![invalid("invalid_hashtag"), invalid("too_many_interests")]),
        (Method::GET, "/api/v1/openchats/browse", vec![invalid("invalid_category")]),
        (Method::GET, "/api/v1/openchats/recommended", vec![invalid("invalid_offset")]),
        (Method::GET, "/api/v1/openchats/search", vec![invalid("invalid_category"), invalid("invalid_offset")]),
        (Method::GET, "/api/v1/openchats/trending", vec![invalid("invalid_offset")]),
    ]
}
