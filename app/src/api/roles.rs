//! Roles, scopes and assignments (SPEC §3).

use crate::domain::{AccountId, RoleId, ScopeId, TenantId};
use crate::error::AppError;
use crate::roles::{AccountAccess, RoleDetail, RoleForm, RoleInput, RolesPage, ScopeInput};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::backend::{context::serve, security::gate::Access, services::roles};

// ---- Roles, scopes and assignments (SPEC §3) ----

/// A tenant's roles and scopes, with what the caller may change. Needs `Roles: View`. A
/// platform administrator names the tenant; anyone else gets its own.
#[server(prefix = "/api", endpoint = "list_roles")]
pub async fn list_roles(tenant_id: Option<TenantId>) -> Result<RolesPage, AppError> {
    serve(Access::Full, async |req| roles::page(&req, tenant_id).await).await
}

/// One role for the editor: its grants, the catalog and what the caller may grant. Needs
/// `Roles: View` in its tenant.
#[server(prefix = "/api", endpoint = "get_role")]
pub async fn get_role(role_id: RoleId) -> Result<RoleDetail, AppError> {
    serve(Access::Full, async |req| roles::detail(&req, role_id).await).await
}

/// Creates a custom role with no privileges from the role form ([`RoleInput`]), in
/// `tenant_id` (a platform administrator names it; anyone else creates in its own). Needs
/// Security Admin; audited.
#[server(prefix = "/api", endpoint = "create_role")]
pub async fn create_role(
    tenant_id: Option<TenantId>,
    #[server(flatten)] input: RoleInput,
) -> Result<RoleId, AppError> {
    serve(Access::Full, async |req| {
        let id = roles::create(&req, tenant_id, &RoleForm::from(input)).await?;
        // A new role opens in its editor.
        leptos_axum::redirect(&format!("/roles/{}", id.0));
        Ok(id)
    })
    .await
}

/// Replaces a role's name, description, privileges and object grants. Needs Security Admin,
/// and every privilege granted or taken away held by the caller; audited before and after.
/// JSON in: the grants are nested, typed values.
#[server(prefix = "/api", endpoint = "update_role", input = leptos::server_fn::codec::Json)]
pub async fn update_role(role_id: RoleId, form: RoleForm) -> Result<(), AppError> {
    serve(Access::Full, async |req| {
        roles::update(&req, role_id, &form).await
    })
    .await
}

/// Deletes a custom role and its assignments. Needs Security Admin and every privilege the
/// role gives; audited.
#[server(prefix = "/api", endpoint = "delete_role")]
pub async fn delete_role(role_id: RoleId) -> Result<(), AppError> {
    serve(Access::Full, async |req| {
        let tenant = roles::delete(&req, role_id).await?;
        // Back to the roles of the tenant it belonged to.
        leptos_axum::redirect(&format!("/roles?tenant={}", tenant.0));
        Ok(())
    })
    .await
}

/// Creates a scope from the scope form ([`ScopeInput`]), in `tenant_id` (a platform
/// administrator names it; anyone else creates in its own). Needs `Tenant settings: Edit`;
/// audited.
#[server(prefix = "/api", endpoint = "create_scope")]
pub async fn create_scope(
    tenant_id: Option<TenantId>,
    #[server(flatten)] input: ScopeInput,
) -> Result<ScopeId, AppError> {
    serve(Access::Full, async |req| {
        roles::create_scope(&req, tenant_id, &input).await
    })
    .await
}

/// Renames a scope or changes its description ([`ScopeInput`]). Needs `Tenant settings:
/// Edit`; audited.
#[server(prefix = "/api", endpoint = "update_scope")]
pub async fn update_scope(
    scope_id: ScopeId,
    #[server(flatten)] input: ScopeInput,
) -> Result<(), AppError> {
    serve(Access::Full, async |req| {
        roles::update_scope(&req, scope_id, &input).await
    })
    .await
}

/// Deletes a scope with its assignments and object grants. Needs `Tenant settings: Edit` and
/// what they give; audited.
#[server(prefix = "/api", endpoint = "delete_scope")]
pub async fn delete_scope(scope_id: ScopeId) -> Result<(), AppError> {
    serve(Access::Full, async |req| {
        roles::delete_scope(&req, scope_id).await
    })
    .await
}

/// Gives an account a role, tenant-wide (no scope) or for one scope. Needs to be able to
/// change the account and to hold everything the role gives there; audited on the account.
#[server(prefix = "/api", endpoint = "assign_role")]
pub async fn assign_role(
    account_id: AccountId,
    role_id: RoleId,
    scope_id: Option<ScopeId>,
) -> Result<(), AppError> {
    serve(Access::Full, async |req| {
        roles::assign(&req, account_id, role_id, scope_id).await
    })
    .await
}

/// Takes a role (tenant-wide, or for one scope) from an account. The same rule as
/// [`assign_role`]; audited on the account.
#[server(prefix = "/api", endpoint = "unassign_role")]
pub async fn unassign_role(
    account_id: AccountId,
    role_id: RoleId,
    scope_id: Option<ScopeId>,
) -> Result<(), AppError> {
    serve(Access::Full, async |req| {
        roles::unassign(&req, account_id, role_id, scope_id).await
    })
    .await
}

/// An account's roles and its effective access: every privilege, tenant-wide and per scope,
/// held or not, and why. Needs to see the account.
#[server(prefix = "/api", endpoint = "get_account_access")]
pub async fn get_account_access(account_id: AccountId) -> Result<AccountAccess, AppError> {
    serve(Access::Full, async |req| {
        roles::account_access(&req, account_id).await
    })
    .await
}
