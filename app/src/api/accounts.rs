//! Accounts of every tier (SPEC §2): the users list, one account, create, edit, disable,
//! delete, import.

use crate::accounts::AccountInput;
use crate::csv::{ImportRow, RowResult};
use crate::directory::{AccountDetail, AccountPage, AccountQuery};
use crate::domain::AccountId;
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::backend::{
    context::serve,
    security::gate::Access,
    services::{directory, import, users},
};

/// Creates an account of a tier the caller may manage (SPEC §1), in the caller's tenant (a
/// platform administrator chooses one), from the account form ([`AccountInput`]). People get
/// the temporary `password` and must change it at first sign-in. Audited.
#[server(prefix = "/api", endpoint = "create_account")]
pub async fn create_account(#[server(flatten)] input: AccountInput) -> Result<AccountId, AppError> {
    serve(Access::Full, async |req| {
        let id = users::create(&req, &input).await?;
        // The new account's page says it was created.
        leptos_axum::redirect(&format!("/users/{id}?created=1"));
        Ok(id)
    })
    .await
}

/// Changes an account's editable fields (not its username or tier: those of the form are
/// ignored). Needs a tier that may manage the account, in scope; audited.
#[server(prefix = "/api", endpoint = "update_account")]
pub async fn update_account(
    account_id: AccountId,
    #[server(flatten)] input: AccountInput,
) -> Result<(), AppError> {
    serve(Access::Full, async |req| {
        users::update(&req, account_id, &input).await
    })
    .await
}

/// Disables (`enabled = false`) or enables an account; never oneself, never the last enabled
/// administrator. Audited.
#[server(prefix = "/api", endpoint = "set_account_enabled")]
pub async fn set_account_enabled(account_id: AccountId, enabled: bool) -> Result<(), AppError> {
    serve(Access::Full, async |req| {
        users::set_enabled(&req, account_id, enabled).await
    })
    .await
}

/// Deletes an account for good (its audit records stay); never oneself, never the last
/// enabled administrator. Audited.
#[server(prefix = "/api", endpoint = "delete_account")]
pub async fn delete_account(account_id: AccountId) -> Result<(), AppError> {
    serve(Access::Full, async |req| {
        users::delete(&req, account_id).await?;
        leptos_axum::redirect("/users?deleted=1");
        Ok(())
    })
    .await
}

/// One page of the users list: the accounts the caller may see (its tenant; every tenant for
/// a platform administrator), searched, filtered and sorted as `query` asks, each with
/// whether the caller may manage it and why.
/// JSON in: the query is a nested, typed value.
#[server(prefix = "/api", endpoint = "list_accounts", input = leptos::server_fn::codec::Json)]
pub async fn list_accounts(query: AccountQuery) -> Result<AccountPage, AppError> {
    serve(Access::Full, async |req| {
        directory::list(&req, &query).await
    })
    .await
}

/// Every field of one account in the caller's scope, or "not found".
#[server(prefix = "/api", endpoint = "get_account")]
pub async fn get_account(account_id: AccountId) -> Result<AccountDetail, AppError> {
    serve(Access::Full, async |req| {
        directory::get(&req, account_id).await
    })
    .await
}

/// Checks (`commit = false`: nothing is written) or imports (`commit = true`) a batch of rows
/// of an accounts CSV file, read by [`crate::csv::read_import`]. Every row goes through the
/// account form's rules and authorization; each gets its field errors by column or, imported,
/// its new account's id. Audited per account.
#[server(prefix = "/api", endpoint = "import_accounts", input = leptos::server_fn::codec::Json)]
pub async fn import_accounts(
    rows: Vec<ImportRow>,
    commit: bool,
) -> Result<Vec<RowResult>, AppError> {
    serve(Access::Full, async |req| {
        import::import(&req, &rows, commit).await
    })
    .await
}
