//! The OpenAPI 3.1 document, generated from the handlers' annotations, and
//! the docs page.

use axum::Router;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

#[derive(OpenApi)]
#[openapi(
    info(title = "Madang API", description = "Chats, friends, Pungs, open chats, host earnings, local shops, business channels (inbox, posts, campaigns), AI summaries of unread messages, and live delivery. Errors are \
        `{\"error\":{\"code\":…,\"message\":…}}`; live events arrive on the WebSocket at `/api/v1/ws`."),
    modifiers(&Bearer),
    components(schemas(madang_types::events::ClientFrame, madang_types::events::ServerFrame))
)]
pub(crate) struct ApiDoc;

struct Bearer;

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
