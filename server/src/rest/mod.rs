//! The REST API (SPEC §7), as far as this branch builds it: the audit trail's pages and
//! exports (`audit.rs`). The extractor of the caller and the error type come from the
//! `api-auth` branch; until it lands they are stand-ins (`_standin.rs`) under the same names,
//! re-exported as `auth::ApiCaller` and `problem::Problem` so that `audit.rs` needs no change
//! when the real modules replace these two lines.

mod _standin;

pub mod audit;

/// STAND-IN: the `api-auth` branch's `rest/auth.rs`.
pub mod auth {
    pub use super::_standin::ApiCaller;
}

/// STAND-IN: the `api-auth` branch's `rest/problem.rs`.
pub mod problem {
    pub use super::_standin::Problem;
}

use app::backend::state::AppState;
use axum::Router;

/// Every route of the REST API built here.
pub fn routes() -> Router<AppState> {
    audit::routes()
}
