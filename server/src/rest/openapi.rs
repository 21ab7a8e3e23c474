//! The REST API's OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]`
//! annotations and the types' `ToSchema` derives, and served at `GET /api/v1/openapi.json`.
//!
//! utoipa's axum integration (`utoipa-axum`) builds the router and the document from one list
//! of handlers ([`api_router`]): a REST route cannot be served without appearing in the
//! document, and the document cannot name a route that is not served.

use super::problem::Problem;
use super::{authorize, users};
use app::backend::state::AppState;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Where the document is served.
pub const DOCUMENT_PATH: &str = "/api/v1/openapi.json";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Warden REST API",
        description = "Administer users and ask authorization questions with a service \
            account's credential. Errors are problem details (RFC 9457) with a stable `code`; \
            a refusal's code is the access model's (`lacks_privilege`, `tier_ceiling`, …). \
            Another tenant's resources answer exactly like missing ones (404).",
    ),
    components(schemas(Problem)),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "users", description = "Accounts of the caller's tenant (SPEC §1–§2)"),
        (name = "authorization", description = "May an account do something, and why (SPEC §3)"),
        (name = "meta", description = "This document"),
    )
)]
struct ApiDoc;

/// Every operation takes a bearer credential: an API token, or an access token from the
/// token endpoint.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A service account's API token, or an access token from `POST /oauth/token`.",
                    ))
                    .build(),
            ),
        );
    }
}

/// Every REST route with its documentation. Add a module's routes here, never to the router
/// directly.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(users::routes())
        .merge(authorize::routes())
        .routes(routes!(super::me::me))
        .routes(routes!(super::token::issue))
        .routes(routes!(openapi_document))
}

/// The document, built once per process.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOCUMENT: std::sync::OnceLock<utoipa::openapi::OpenApi> = std::sync::OnceLock::new();
    DOCUMENT.get_or_init(|| api_router().split_for_parts().1)
}

/// The document as JSON, serialized once per process.
fn document_json() -> &'static [u8] {
    static JSON: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    JSON.get_or_init(|| serde_json::to_vec(document()).unwrap_or_default())
}

/// This OpenAPI document.
///
/// The OpenAPI 3.1 document of this API. Public: it describes the API, not its data.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "meta",
    security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json")),
)]
pub async fn openapi_document() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        document_json(),
    )
        .into_response()
}
