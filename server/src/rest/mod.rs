//! The REST API (SPEC §7): JSON over HTTP for service accounts, beside the console and under
//! none of its session guards. Each handler takes an [`auth::ApiCaller`] (the request proven
//! by its Bearer credential) and calls the same services as the console's server functions
//! with the same `Request`; every error is a [`problem::Problem`] (RFC 9457). Every route is
//! declared through [`openapi::api_router`], so none is served without being documented.

pub mod audit;
pub mod auth;
pub mod authorize;
pub mod docs;
pub mod etag;
pub mod input;
pub mod me;
pub mod openapi;
pub mod problem;
pub mod roles;
pub mod tenant;
pub mod token;
pub mod users;

use app::backend::state::AppState;
use axum::routing::any;
use axum::Router;

/// Every REST route (documented in the OpenAPI document, which is served among them), the
/// OAuth token endpoint, and the interactive docs page.
pub fn routes() -> Router<AppState> {
    let (api, _document) = openapi::api_router().split_for_parts();
    api.merge(docs::routes())
        .route("/api/v1/{*path}", any(no_such_route))
}

/// Any other path under `/api/v1`: a problem 404, not the console's page.
async fn no_such_route() -> problem::Problem {
    problem::Problem::new(
        axum::http::StatusCode::NOT_FOUND,
        "no_such_route",
        "Not found",
        "The REST API has no such route.",
    )
}
