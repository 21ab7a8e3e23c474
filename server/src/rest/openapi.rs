//! The REST API's OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]`
//! annotations and the types' `ToSchema` derives, and served at `GET /api/v1/openapi.json`.
//!
//! utoipa's axum integration (`utoipa-axum`) builds the router and the document from one list
//! of handlers ([`api_router`]): a REST route cannot be served without appearing in the
//! document, and the document cannot name a route that is not served.

use super::problem::Problem;
use super::{authorize, roles, users};
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
        (name = "roles", description = "Roles, scopes and who holds which role (SPEC §3)"),
        (name = "authorization", description = "May an account do something, and why (SPEC §3)"),
        (name = "tenant", description = "The caller's own tenant and its policies (SPEC §2.3, §5)"),
        (name = "audit", description = "The audit trail: pages and exports (SPEC §8)"),
        (name = "meta", description = "This document, the caller, the token endpoint"),
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
        .merge(roles::routes())
        .merge(authorize::routes())
        .merge(super::audit::routes())
        .merge(super::tenant::routes())
        .routes(routes!(super::me::me))
        .routes(routes!(super::token::issue))
        .routes(routes!(openapi_document))
}

/// The document, built once per process.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOCUMENT: std::sync::OnceLock<utoipa::openapi::OpenApi> = std::sync::OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let mut document = api_router().split_for_parts().1;
        CommonProblems.modify(&mut document);
        document
    })
}

/// The problems any operation may answer, added to each one that does not list them itself,
/// so that the document states every status the API can send (the contract test holds it to
/// that): 400 for a malformed path id, query or body; 401 without a valid credential (not on
/// public operations); 409 for a change the account's state forbids (its own account, the
/// last administrator, already in that state); 415 for a body that is not JSON; 422 for
/// invalid values; 429 (with `Retry-After`) after too many failed authentications from an
/// address, or a credential over its rate.
struct CommonProblems;

impl Modify for CommonProblems {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let problem = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/problem+json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build()
        };
        let too_many = {
            use utoipa::openapi::schema::{ObjectBuilder, Type};
            use utoipa::openapi::HeaderBuilder;
            let mut response = problem(
                "Too many requests: failed authentications from this address, or this \
                 credential over its rate",
            );
            response.headers.insert(
                "Retry-After".to_owned(),
                HeaderBuilder::new()
                    .schema(ObjectBuilder::new().schema_type(Type::Integer))
                    .description(Some("Seconds to wait before trying again"))
                    .build(),
            );
            response
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            // The document itself and the token endpoint (RFC 6749 errors) list their own.
            if path == DOCUMENT_PATH || path == "/oauth/token" {
                continue;
            }
            let operations = [
                (&mut item.get, false),
                (&mut item.post, true),
                (&mut item.put, true),
                (&mut item.patch, true),
                (&mut item.delete, true),
            ];
            for (operation, changes) in operations {
                let Some(operation) = operation.as_mut() else {
                    continue;
                };
                let mut common = vec![
                    ("400", "The path, query or body is malformed"),
                    ("401", "No valid credential"),
                    ("422", "Invalid values, named per field"),
                ];
                if changes {
                    common.push(("409", "The account's state forbids this change"));
                }
                if operation.request_body.is_some() {
                    common.push(("415", "The body is not JSON"));
                }
                for (status, description) in common {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| problem(description).into());
                }
                operation
                    .responses
                    .responses
                    .entry("429".to_owned())
                    .or_insert_with(|| too_many.clone().into());
            }
        }
    }
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
