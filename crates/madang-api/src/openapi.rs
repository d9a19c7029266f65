//! The OpenAPI 3.1 document, generated from the handlers' annotations, and
//! the docs page.

use crate::error::{ErrorCode, status_of};
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use madang_core::{Refusal, refusals};
use madang_types::api::ErrorBody;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::path::{Operation, ParameterIn, PathItem};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi, PartialSchema, ToSchema};
use utoipa_swagger_ui::SwaggerUi;

#[derive(OpenApi)]
#[openapi(
    info(title = "Madang API", description = "Chats, friends, Pungs, open chats, host earnings, local shops, business channels (inbox, posts, campaigns), AI summaries of unread messages, and live delivery. Errors are \
        `{\"error\":{\"code\":…,\"message\":…}}`; live events arrive on the WebSocket at `/api/v1/ws`."),
    modifiers(&Bearer),
    components(schemas(
        madang_types::events::ClientFrame,
        madang_types::events::ServerFrame,
        madang_types::api::DrawerKind,
        Binary
    ))
)]
pub(crate) struct ApiDoc;

struct Bearer;

/// A file's bytes as the request body (`type: string, format: binary`).
pub(crate) struct Binary;

impl utoipa::PartialSchema for Binary {
    fn schema() -> RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .description(Some("The file's bytes."))
            .into()
    }
}

impl ToSchema for Binary {}

impl Modify for Bearer {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// `/api/v1/openapi.json` and the browsable docs at `/api/docs`.
pub(crate) fn docs<S: Clone + Send + Sync + 'static>(doc: utoipa::openapi::OpenApi) -> Router<S> {
    Router::new().merge(SwaggerUi::new("/api/docs").url("/api/v1/openapi.json", doc))
}

/// The refusals a handler declares beyond those of its extractors: by
/// method and path, as the document names the operation.
pub(crate) type Declared = Vec<(Method, &'static str, Vec<Refusal>)>;

/// The statuses each operation may answer and, for errors, their codes:
/// read off the finished document, and checked against every answer.
#[derive(Debug, Default)]
pub(crate) struct Documented {
    /// path → method → status → codes (empty for a success).
    ops: HashMap<String, HashMap<Method, BTreeMap<u16, BTreeSet<String>>>>,
}

impl Documented {
    /// Why an answer is not in the document, if it is not. Paths the
    /// document does not describe (the web client, the docs) pass.
    pub(crate) fn check(
        &self,
        method: &Method,
        path: &str,
        status: u16,
        code: Option<&str>,
    ) -> Result<(), String> {
        let Some(op) = self.ops.get(path).and_then(|m| m.get(method)) else {
            return Ok(());
        };
        match op.get(&status) {
            None => Err(format!(
                "{method} {path} answered {status} ({}), which its document does not list",
                code.unwrap_or("-")
            )),
            Some(codes) => match code {
                Some(code) if status >= 400 && !codes.contains(code) => Err(format!(
                    "{method} {path} answered {status} {code}, which its document does not list (it lists {codes:?})"
                )),
                _ => Ok(()),
            },
        }
    }
}

const METHODS: [Method; 5] = [
    Method::GET,
    Method::PUT,
    Method::POST,
    Method::DELETE,
    Method::PATCH,
];

fn operation_mut<'a>(item: &'a mut PathItem, method: &Method) -> Option<&'a mut Operation> {
    match *method {
        Method::GET => item.get.as_mut(),
        Method::PUT => item.put.as_mut(),
        Method::POST => item.post.as_mut(),
        Method::DELETE => item.delete.as_mut(),
        Method::PATCH => item.patch.as_mut(),
        _ => None,
    }
}

/// The refusals every operation shares by its shape: a session, a body,
/// path and query parameters, and the internal error any may meet.
fn by_shape(op: &Operation) -> Vec<Refusal> {
    use crate::extract::{EXPECTED_JSON, INVALID_BODY, INVALID_PATH, INVALID_QUERY, MALFORMED_JSON};
    let mut out = vec![refusals::INTERNAL];
    let signed_in = op.security.iter().flatten().any(|s| {
        serde_json::to_value(s)
            .ok()
            .and_then(|v| v.as_object().map(|o| o.contains_key("bearer")))
            .unwrap_or(false)
    });
    if signed_in {
        out.extend([refusals::UNAUTHENTICATED, refusals::TOKEN_EXPIRED]);
    }
    if let Some(RefOr::T(body)) = &op.request_body {
        out.extend([INVALID_BODY, refusals::TOO_LARGE]);
        if body.content.contains_key("application/json") {
            out.extend([MALFORMED_JSON, EXPECTED_JSON]);
        }
    }
    for p in op.parameters.iter().flatten() {
        if let RefOr::T(p) = p {
            match p.parameter_in {
                ParameterIn::Path => out.push(INVALID_PATH),
                ParameterIn::Query => out.push(INVALID_QUERY),
                _ => {}
            }
        }
    }
    out
}

/// Finishes the document the handlers' annotations made: every operation
/// gets a unique id and, for each status it can refuse with, the shared
/// error body and the codes it may carry (`x-error-codes`, and in the
/// description), from its shape and its declared refusals through the
/// one status table. Returns what the answers are checked against, and
/// the declarations that name no operation.
pub(crate) fn complete(doc: &mut utoipa::openapi::OpenApi, declared: Declared) -> (Documented, Vec<String>) {
    let mut by_op: HashMap<(Method, &str), BTreeSet<Refusal>> = HashMap::new();
    for (method, path, refuses) in declared {
        by_op.entry((method, path)).or_default().extend(refuses);
    }
    let components = doc.components.get_or_insert_with(Default::default);
    if !components.schemas.contains_key("ErrorBody") {
        let mut schemas = Vec::new();
        <ErrorBody as ToSchema>::schemas(&mut schemas);
        components.schemas.insert("ErrorBody".into(), ErrorBody::schema());
        components.schemas.extend(schemas);
    }
    let mut ids: HashMap<String, usize> = HashMap::new();
    for item in doc.paths.paths.values() {
        for op in [&item.get, &item.put, &item.post, &item.delete, &item.patch]
            .into_iter()
            .flatten()
        {
            *ids.entry(op.operation_id.clone().unwrap_or_default())
                .or_default() += 1;
        }
    }
    let mut documented = Documented::default();
    for (path, item) in doc.paths.paths.iter_mut() {
        for method in METHODS {
            let Some(op) = operation_mut(item, &method) else {
                continue;
            };
            let id = op.operation_id.clone().unwrap_or_default();
            if ids.get(&id).copied().unwrap_or(0) > 1 {
                let tag = op
                    .tags
                    .as_ref()
                    .and_then(|t| t.first())
                    .cloned()
                    .unwrap_or_default();
                op.operation_id = Some(format!("{tag}_{id}"));
            }
            let mut refusals: BTreeSet<Refusal> = by_shape(op).into_iter().collect();
            refusals.extend(by_op.remove(&(method.clone(), path.as_str())).unwrap_or_default());
            let mut by_status: BTreeMap<u16, BTreeSet<&str>> = BTreeMap::new();
            for r in &refusals {
                by_status
                    .entry(status_of(r.kind).as_u16())
                    .or_default()
                    .insert(r.code);
            }
            // Error answers come only from the table; what the annotation
            // says of errors by hand is replaced.
            op.responses
                .responses
                .retain(|status, _| !status.starts_with('4') && !status.starts_with('5'));
            let statuses = documented
                .ops
                .entry(path.clone())
                .or_default()
                .entry(method.clone())
                .or_default();
            for (status, response) in op.responses.responses.iter_mut() {
                let Ok(s) = status.parse::<u16>() else { continue };
                statuses.insert(s, BTreeSet::new());
                // A response object must say something.
                if let RefOr::T(r) = response
                    && r.description.is_empty()
                {
                    let reason = axum::http::StatusCode::from_u16(s)
                        .ok()
                        .and_then(|c| c.canonical_reason());
                    r.description = reason.unwrap_or("Success").to_owned();
                }
            }
            for (status, codes) in by_status {
                let list: Vec<String> = codes.iter().map(|c| format!("`{c}`")).collect();
                let mut response = ResponseBuilder::new()
                    .description(format!("error.code is one of {}", list.join(", ")))
                    .content(
                        "application/json",
                        Content::new(Some(Ref::from_schema_name("ErrorBody"))),
                    )
                    .build();
                response.extensions = Some(Extensions::from_iter([(
                    "x-error-codes",
                    serde_json::Value::from(codes.iter().map(|c| c.to_string()).collect::<Vec<_>>()),
                )]));
                op.responses
                    .responses
                    .insert(status.to_string(), RefOr::T(response));
                statuses.insert(status, codes.into_iter().map(str::to_owned).collect());
            }
        }
    }
    let unknown = by_op
        .into_keys()
        .map(|(method, path)| format!("{method} {path} is declared but not in the document"))
        .collect();
    (documented, unknown)
}

/// What answered outside the document. The server logs and counts each;
/// tests fail on any.
#[derive(Debug, Default)]
pub struct Undocumented {
    seen: Mutex<Vec<String>>,
}

impl Undocumented {
    /// What was seen so far, and forgets it.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.seen.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn record(&self, what: String) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() < 100 && !seen.contains(&what) {
            seen.push(what);
        }
    }
}

/// Checks each answer against the document.
pub(crate) async fn conform(
    State((documented, undocumented)): State<(Arc<Documented>, Arc<Undocumented>)>,
    req: Request,
    next: Next,
) -> Response {
    let method = req.method().clone();
    let path = req.extensions().get::<MatchedPath>().cloned();
    let res = next.run(req).await;
    if let Some(path) = path {
        let code = res.extensions().get::<ErrorCode>().map(|c| c.0.as_str());
        if let Err(why) = documented.check(&method, path.as_str(), res.status().as_u16(), code) {
            tracing::error!(%why, "an answer outside the API document");
            metrics::counter!("madang_undocumented_responses_total").increment(1);
            undocumented.record(why);
        }
    }
    res
}

/// Short names for declaring refusals in the route files.
pub(crate) mod refuse {
    pub(crate) use super::Declared;
    pub(crate) use axum::http::Method;
    pub(crate) use madang_core::refusals::*;
    use madang_core::{Kind, Refusal};

    pub(crate) const fn invalid(code: &'static str) -> Refusal {
        Refusal::invalid(code)
    }
    pub(crate) const fn forbidden(code: &'static str) -> Refusal {
        Refusal::forbidden(code)
    }
    pub(crate) const fn not_found(code: &'static str) -> Refusal {
        Refusal::not_found(code)
    }
    pub(crate) const fn conflict(code: &'static str) -> Refusal {
        Refusal::conflict(code)
    }
    pub(crate) const fn gone(code: &'static str) -> Refusal {
        Refusal::new(Kind::Gone, code)
    }
    pub(crate) const fn unauthenticated(code: &'static str) -> Refusal {
        Refusal::new(Kind::Unauthenticated, code)
    }
    pub(crate) const fn payment(code: &'static str) -> Refusal {
        Refusal::new(Kind::PaymentRequired, code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::openapi::path::{HttpMethod, OperationBuilder};
    use utoipa::openapi::{OpenApiBuilder, PathsBuilder};

    fn one_operation() -> utoipa::openapi::OpenApi {
        let op = OperationBuilder::new()
            .operation_id(Some("send"))
            .response("200", ResponseBuilder::new().description("sent"))
            .response("4XX", ResponseBuilder::new().description("written by hand"))
            .build();
        let paths = PathsBuilder::new()
            .path("/rooms/{room}", PathItem::new(HttpMethod::Post, op))
            .build();
        OpenApiBuilder::new().paths(paths).build()
    }

    #[test]
    fn declared_refusals_are_listed_under_their_status_and_answers_checked_against_them() {
        let mut doc = one_operation();
        let declared = vec![
            (
                Method::POST,
                "/rooms/{room}",
                vec![
                    refusals::NOT_MEMBER,
                    Refusal::invalid("empty_message"),
                    refusals::FLOODING,
                ],
            ),
            (Method::GET, "/nowhere", vec![refusals::NOT_MEMBER]),
        ];
        let (documented, unknown) = complete(&mut doc, declared);
        assert_eq!(
            unknown,
            vec!["GET /nowhere is declared but not in the document".to_owned()]
        );
        let op = doc.paths.paths["/rooms/{room}"].post.as_ref().unwrap();
        let statuses: Vec<&str> = op.responses.responses.keys().map(String::as_str).collect();
        // The hand-written range is replaced by the table's statuses.
        assert_eq!(statuses, ["200", "400", "403", "429", "500"]);
        let RefOr::T(forbidden) = &op.responses.responses["403"] else {
            panic!("an inline response")
        };
        assert_eq!(
            forbidden.extensions.as_ref().unwrap()["x-error-codes"],
            serde_json::json!(["not_member"])
        );

        let check = |status, code| documented.check(&Method::POST, "/rooms/{room}", status, code);
        assert!(check(200, None).is_ok());
        assert!(check(403, Some("not_member")).is_ok());
        assert!(check(429, Some("flooding")).is_ok());
        assert!(check(500, Some("internal")).is_ok());
        // A declared status with a code it does not list, a status not
        // listed at all, and a success not listed are each caught.
        assert!(check(403, Some("blocked")).unwrap_err().contains("blocked"));
        assert!(check(404, Some("room_not_found")).is_err());
        assert!(check(201, None).is_err());
        // What the document does not describe is not judged.
        assert!(documented.check(&Method::GET, "/", 404, None).is_ok());
        assert!(documented.check(&Method::GET, "/rooms/{room}", 404, None).is_ok());
    }
}
