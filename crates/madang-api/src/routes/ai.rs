//! The AI features a client calls: the unread summary and a group chat's
//! assistant.

use super::JsonResult;
use crate::AppState;
use crate::error::{ApiError, describe};
use crate::extract::{Auth, Json, Path};
use crate::openapi::refuse::*;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::{Stream, StreamExt};
use madang_core::ai::summary::{SummaryEvent as Step, SummaryKind, SummaryScope};
use madang_types::RoomId;
use madang_types::ai::{AiOffer, SummaryEvent, SummaryQuote, SummaryRequest};
use madang_types::api::Room;
use std::convert::Infallible;

/// The AI features this server offers (on, with a model): a client shows
/// only these.
#[utoipa::path(get, path = "/api/v1/ai", tag = "ai", security(("bearer" = [])),
    responses((status = 200, body = AiOffer)))]
pub async fn offer(State(st): State<AppState>, Auth(_me): Auth) -> JsonResult<AiOffer> {
    Ok(axum::Json(st.core.ai_offer()))
}

/// Summarise the caller's unread messages of a room (or its last `last`),
/// as server-sent events: the summary streams while it is written. Long
/// backlogs are summarised in parts first (`progress`). Refusals before
/// the stream starts are plain JSON errors: `feature_off` (503, no model or
/// switched off), `nothing_to_summarise`, `invalid_count`, `invalid_scope`
/// (both `last` and `after`), `not_member`, `rate_limited`.
#[utoipa::path(post, path = "/api/v1/rooms/{room}/summary", tag = "ai", security(("bearer" = [])),
    params(("room" = i64, Path)), request_body = SummaryRequest,
    responses((status = 200, content_type = "text/event-stream", body = SummaryEvent,
        description = "`event: start|progress|text|quotes|done|error`, `data:` the JSON of the event")))]
pub async fn summary(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(room): Path<RoomId>,
    Json(req): Json<SummaryRequest>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let scope = match (req.last, req.after) {
        (Some(_), Some(_)) => {
            return Err(madang_core::Error::invalid(
                "invalid_scope",
                "ask for the last messages or those after a seq, not both",
            )
            .into());
        }
        (Some(n), None) => SummaryScope::Last(n),
        (None, Some(seq)) => SummaryScope::After(seq),
        (None, None) => SummaryScope::Unread,
    };
    let steps = st.core.summarise(&me, room, scope).await?;
    let events = steps.map(|step| {
        let wire = match step {
            Ok(Step::Started {
                messages,
                chunks,
                from_seq,
                to_seq,
            }) => SummaryEvent::Start {
                messages,
                chunks,
                from_seq,
                to_seq,
            },
            Ok(Step::Progress { done, of }) => SummaryEvent::Progress { done, of },
            Ok(Step::Text(text)) => SummaryEvent::Text { text },
            Ok(Step::Quotes(quotes)) => SummaryEvent::Quotes {
                items: quotes
                    .into_iter()
                    .map(|q| SummaryQuote {
                        seq: q.seq,
                        sender_id: q.sender_id,
                        text: q.text,
                    })
                    .collect(),
            },
            Ok(Step::Done(kind)) => SummaryEvent::Done {
                kind: match kind {
                    SummaryKind::Abstractive => madang_types::ai::SummaryKind::Abstractive,
                    SummaryKind::Extractive => madang_types::ai::SummaryKind::Extractive,
                },
            },
            Err(e) => {
                let (_, code) = describe(&e);
                if let madang_core::Error::Internal(cause) = &e {
                    tracing::error!(error = %cause, "summary failed");
                }
                SummaryEvent::Error {
                    code,
                    message: e.to_string(),
                }
            }
        };
        Ok(sse_event(&wire))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

/// `event:` the variant's name, `data:` the event as the document's
/// `SummaryEvent` describes it (its name included).
fn sse_event(wire: &SummaryEvent) -> Event {
    let value = serde_json::to_value(wire).unwrap_or_default();
    let name = value
        .get("event")
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "error".into());
    Event::default().event(name).data(value.to_string())
}

/// Add the server's assistant to a group chat (any member may). It is not
/// a member: a message that mentions it (`mentions` holds `room.assistant.id`)
/// is a question, answered in the room by a message from it that replies to
/// the question. Each room gets `assistant_answers_per_hour`. Refusals:
/// `not_a_group`, `feature_off` (503), `not_member`.
#[utoipa::path(put, path = "/api/v1/rooms/{room}/assistant", tag = "ai", security(("bearer" = [])),
    params(("room" = i64, Path)), responses((status = 200, body = Room)))]
pub async fn add_assistant(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(room): Path<RoomId>,
) -> JsonResult<Room> {
    Ok(axum::Json(st.core.set_assistant(&me, room, true).await?))
}

/// Remove the assistant from a group chat (any member may).
#[utoipa::path(delete, path = "/api/v1/rooms/{room}/assistant", tag = "ai", security(("bearer" = [])),
    params(("room" = i64, Path)), responses((status = 200, body = Room)))]
pub async fn remove_assistant(
    State(st): State<AppState>,
    Auth(me): Auth,
    Path(room): Path<RoomId>,
) -> JsonResult<Room> {
    Ok(axum::Json(st.core.set_assistant(&me, room, false).await?))
}

/// What the handlers here refuse beyond their extractors (the document
/// lists these; tests fail on an answer not listed).
#[rustfmt::skip]
pub(crate) fn refusals() -> Declared {
    vec![
        (Method::DELETE, "/api/v1/rooms/{room}/assistant", vec![invalid("not_a_group"), NOT_MEMBER, not_found("room_not_found")]),
        (Method::PUT, "/api/v1/rooms/{room}/assistant", vec![invalid("not_a_group"), NOT_MEMBER, not_found("room_not_found"), FEATURE_OFF]),
        (Method::POST, "/api/v1/rooms/{room}/summary", vec![invalid("invalid_count"), invalid("invalid_scope"), invalid("nothing_to_summarise"), NOT_MEMBER, RATE_LIMITED, FEATURE_OFF]),
    ]
}
