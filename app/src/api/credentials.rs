//! A service account's API credentials (SPEC §7): its tokens and its client secret, as the
//! account's page manages them. Secrets are answered once, when created.

use crate::credentials::{
    ApiTokenId, ApiTokenInput, NewApiToken, NewClientSecret, ServiceCredentials,
};
use crate::domain::AccountId;
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::backend::{context::serve, security::gate::Access, services::credentials};

/// The tokens (never their secrets) and the client ID of a service account the caller may
/// see, and whether the caller may change them; `None` for a person's account (people have
/// no API credentials), so the account page can ask for any account.
#[server(prefix = "/api", endpoint = "list_service_credentials")]
pub async fn list_service_credentials(
    account_id: AccountId,
) -> Result<Option<ServiceCredentials>, AppError> {
    serve(Access::Full, async |req| {
        credentials::list(&req, account_id).await
    })
    .await
}

/// Creates an API token for a service account the caller may manage; the answer holds its
/// secret, shown this once. Audited without the secret.
#[server(prefix = "/api", endpoint = "create_api_token")]
pub async fn create_api_token(
    account_id: AccountId,
    #[server(flatten)] input: ApiTokenInput,
) -> Result<NewApiToken, AppError> {
    serve(Access::Full, async |req| {
        credentials::create_token(&req, account_id, &input).await
    })
    .await
}

/// Revokes an API token of a service account the caller may manage: refused from its next
/// request on. Audited.
#[server(prefix = "/api", endpoint = "revoke_api_token")]
pub async fn revoke_api_token(
    account_id: AccountId,
    api_token_id: ApiTokenId,
) -> Result<(), AppError> {
    serve(Access::Full, async |req| {
        credentials::revoke_token(&req, account_id, api_token_id).await
    })
    .await
}

/// Generates (the first time) or replaces a service account's client secret; the previous
/// one keeps working for the configured overlap. The answer holds the secret, shown this
/// once. Audited without the secret.
#[server(prefix = "/api", endpoint = "rotate_client_secret")]
pub async fn rotate_client_secret(account_id: AccountId) -> Result<NewClientSecret, AppError> {
    serve(Access::Full, async |req| {
        credentials::rotate_client_secret(&req, account_id).await
    })
    .await
}
