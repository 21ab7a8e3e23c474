//! The REST API (SPEC §7): JSON over HTTP for service accounts, beside the console and under
//! none of its session guards. Each handler takes an [`auth::ApiCaller`] (the request proven
//! by its Bearer credential) and calls the same services as the console's server functions;
//! every error is a [`problem::Problem`] (RFC 9457).

pub mod auth;
pub mod me;
pub mod problem;
pub mod token;

use app::backend::state::AppState;
use axum::routing::{any, get, post};
use axum::Router;

/// Every route of the REST API and the OAuth token endpoint.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/oauth/token", post(token::issue))
        .route("/api/v1/me", get(me::me))
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
