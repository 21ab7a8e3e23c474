//! The REST API (`/api/v1`, JSON; SPEC §7): thin handlers that authenticate a service account
//! ([`auth::ApiCaller`]), call the same services as the console with its `Request`, and
//! answer errors as problem details ([`problem::Problem`]).
//!
//! STAND-IN LAYOUT (branch `rest`): the `api-auth` branch owns this file, `auth.rs`,
//! `problem.rs`, `token.rs` and `me.rs`. Until it lands, `auth` and `problem` are stand-ins
//! (`_standin_*.rs`, through `#[path]`); when merging, keep the real modules, drop the
//! `#[path]` attributes and the stand-in files, and add the real modules' routes to
//! [`openapi::api_router`] (every REST route goes through it, so that it is documented).

#[path = "_standin_auth.rs"]
pub mod auth;
pub mod authorize;
pub mod docs;
pub mod input;
pub mod openapi;
#[path = "_standin_problem.rs"]
pub mod problem;
pub mod users;

use app::backend::state::AppState;
use axum::Router;

/// Every REST route (documented in the OpenAPI document, which is served among them) and the
/// interactive docs page.
pub fn routes() -> Router<AppState> {
    let (api, _document) = openapi::api_router().split_for_parts();
    api.merge(docs::routes())
}
