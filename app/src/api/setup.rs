//! The first run: the setup link and the first platform administrator.

use crate::error::AppError;
use crate::me::FirstAdminInput;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::backend::{context::serve_anyone, services::setup};

/// Whether a first-run setup link still works. Anyone holding a link may ask.
#[server(prefix = "/api", endpoint = "check_setup_link")]
pub async fn check_setup_link(token: String) -> Result<bool, AppError> {
    serve_anyone(async |visit| {
        setup::setup_token_is_valid(&visit.state.db, &token, visit.now).await
    })
    .await
}

/// Creates the first platform administrator. Allowed only with a valid, unused setup link
/// while no platform administrator exists; the link stops working at once.
#[server(prefix = "/api", endpoint = "create_first_admin")]
pub async fn create_first_admin(
    token: String,
    #[server(flatten)] input: FirstAdminInput,
) -> Result<(), AppError> {
    serve_anyone(async |visit| {
        setup::create_first_admin(&visit, &token, &input).await?;
        leptos_axum::redirect("/login?setup=done");
        Ok(())
    })
    .await
}
