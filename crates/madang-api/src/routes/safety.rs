//! Reports from members, and the operators' queue, suspensions and the
//! examples spam screening compares with.

use super::JsonResult;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Auth, Json, Path};
use crate::openapi::refuse::*;
use axum::extract::State;
use axum::http::StatusCode;
use madang_core::safety::Authority;
use madang_types::openchat::{
    Report, ReportRequest, SpamLabel, SpamLabelRequest, SuspendRequest, Suspension,
};
use madang_types::{ReportId, UserId};

/// Report a message or an open chat to the operators.
#[utoipa::path(post, path = "/api/v1/reports", tag = "safety", security(("bearer" = [])),
    request_body = ReportRequest, responses((status = 204)))]
pub async fn report(
    State(st): State<AppState>,
    Auth(me): Auth,
    Json(req): Json<ReportRequest>,
) -> Result<StatusCode, ApiError> {
    st.core.report(&me, req).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Open reports, oldest first (operators only).
#[utoipa::path(get, path = "/api/v1/admin/reports", tag = "safety", security(("bearer" = [])),
    responses((status = 200, body = Vec<Report>)))]
pub async fn reports(State(st): State<AppState>, Auth(me): Auth) -> JsonResult<Vec<Report>> {
    Ok(axum::Json(st.core.open_reports(&Authority::Operator(me)).await?))
}

/// Mark a report handled (operators only).
#[utoipa::path(post, path = "/api/v1/admin/reports/{id}/resolve", tag = "safety", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 204)))]
pub async fn resolve(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<ReportId>,
) -> Result<StatusCode, ApiError> {
    st.core.resolve_report(&Authority::Operator(me), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Suspensions in force or past (operators only).
#[utoipa::path(get, path = "/api/v1/admin/suspensions", tag = "safety", security(("bearer" = [])),
    responses((status = 200, body = Vec<Suspension>)))]
pub async fn suspensions(State(st): State<AppState>, Auth(me): Auth) -> JsonResult<Vec<Suspension>> {
    Ok(axum::Json(st.core.suspensions(&Authority::Operator(me)).await?))
}

/// Suspend an account from open chats for 1–60 days or for good (operators only).
#[utoipa::path(post, path = "/api/v1/admin/suspensions", tag = "safety", security(("bearer" = [])),
    request_body = SuspendRequest, responses((status = 200, body = Suspension)))]
pub async fn suspend(
    State(st): State<AppState>,
    Auth(me): Auth,
    Json(req): Json<SuspendRequest>,
) -> JsonResult<Suspension> {
    Ok(axum::Json(st.core.suspend(&Authority::Operator(me), req).await?))
}

/// Lift a suspension (operators only).
#[utoipa::path(delete, path = "/api/v1/admin/suspensions/{user}", tag = "safety", security(("bearer" = [])),
    params(("user" = i64, Path)), responses((status = 204)))]
pub async fn lift(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(user): Path<UserId>,
) -> Result<StatusCode, ApiError> {
    st.core.lift_suspension(&Authority::Operator(me), user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Examples for spam screening in open chats, oldest first (operators only).
#[utoipa::path(get, path = "/api/v1/admin/spam-examples", tag = "safety", security(("bearer" = [])),
    responses((status = 200, body = Vec<SpamLabel>)))]
pub async fn spam_examples(State(st): State<AppState>, Auth(me): Auth) -> JsonResult<Vec<SpamLabel>> {
    Ok(axum::Json(st.core.spam_labels(&Authority::Operator(me)).await?))
}

/// Label a message as spam or fine for screening; labelling a text again
/// changes its label (operators only).
#[utoipa::path(post, path = "/api/v1/admin/spam-examples", tag = "safety", security(("bearer" = [])),
    request_body = SpamLabelRequest, responses((status = 200, body = SpamLabel)))]
pub async fn label_spam(
    State(st): State<AppState>,
    Auth(me): Auth,
    Json(req): Json<SpamLabelRequest>,
) -> JsonResult<SpamLabel> {
    Ok(axum::Json(
        st.core.label_spam(&Authority::Operator(me), req).await?,
    ))
}

/// Take a labelled example away (operators only).
#[utoipa::path(delete, path = "/api/v1/admin/spam-examples/{id}", tag = "safety", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 204)))]
pub async fn remove_spam_example(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    st.core.remove_spam_label(&Authority::Operator(me), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What the handlers here refuse beyond their extractors (the document
/// lists these; tests fail on an answer not listed).
#[rustfmt::skip]
pub(crate) fn refusals() -> Declared {
    vec![
        (Method::GET, "/api/v1/admin/reports", vec![forbidden("not_operator")]),
        (Method::POST, "/api/v1/admin/reports/{id}/resolve", vec![forbidden("not_operator"), not_found("report_not_found")]),
        (Method::GET, "/api/v1/admin/spam-examples", vec![forbidden("not_operator")]),
        (Method::POST, "/api/v1/admin/spam-examples", vec![invalid("empty_text"), forbidden("not_operator"), TOO_LARGE]),
        (Method::DELETE, "/api/v1/admin/spam-examples/{id}", vec![forbidden("not_operator"), not_found("example_not_found")]),
        (Method::GET, "/api/v1/admin/suspensions", vec![forbidden("not_operator")]),
        (Method::POST, "/api/v1/admin/suspensions", vec![invalid("invalid_days"), forbidden("not_operator"), not_found("user_not_found")]),
        (Method::DELETE, "/api/v1/admin/suspensions/{user}", vec![forbidden("not_operator"), not_found("suspension_not_found")]),
        (Method::POST, "/api/v1/reports", vec![invalid("invalid_reason"), invalid("own_message"), invalid("own_open_chat"), NOT_MEMBER, not_found("member_not_found"), not_found("message_not_found"), not_found("open_chat_not_found"), TOO_LARGE]),
    ]
}
