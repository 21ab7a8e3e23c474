//! Tenants (SPEC §1): platform administrators configure every tenant; an account of a
//! tenant with `Tenant settings` reads and changes its own tenant's policies.

use crate::domain::TenantId;
use crate::error::AppError;
use crate::tenants::{TenantInput, TenantSettingsInput, TenantView};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::backend::{context::serve, security::gate::Access, services::tenants};

/// Every tenant with its account count. Platform administrators only.
#[server(prefix = "/api", endpoint = "list_tenants")]
pub async fn list_tenants() -> Result<Vec<TenantView>, AppError> {
    serve(Access::Full, async |req| tenants::list(&req).await).await
}

/// Creates a tenant from the tenant form ([`TenantInput`]). Platform administrators only;
/// audited.
#[server(prefix = "/api", endpoint = "create_tenant")]
pub async fn create_tenant(#[server(flatten)] input: TenantInput) -> Result<TenantView, AppError> {
    serve(Access::Full, async |req| {
        tenants::create(&req, &input).await
    })
    .await
}

/// Renames a tenant or changes its MFA or password policy (without `password_policy`, the
/// password settings stay as they are). Platform administrators only; audited.
#[server(prefix = "/api", endpoint = "update_tenant")]
pub async fn update_tenant(
    tenant_id: TenantId,
    #[server(flatten)] input: TenantInput,
) -> Result<TenantView, AppError> {
    serve(Access::Full, async |req| {
        tenants::update(&req, tenant_id, &input).await
    })
    .await
}

/// Disables (`active = false`) or enables a tenant. Platform administrators only; audited.
#[server(prefix = "/api", endpoint = "set_tenant_active")]
pub async fn set_tenant_active(tenant_id: TenantId, active: bool) -> Result<TenantView, AppError> {
    serve(Access::Full, async |req| {
        tenants::set_active(&req, tenant_id, active).await
    })
    .await
}

/// Deletes a tenant that has no accounts. Platform administrators only; audited.
#[server(prefix = "/api", endpoint = "delete_tenant")]
pub async fn delete_tenant(tenant_id: TenantId) -> Result<(), AppError> {
    serve(Access::Full, async |req| {
        tenants::delete(&req, tenant_id).await
    })
    .await
}

/// The caller's own tenant with its policies. Needs `Tenant settings: View` (tenant
/// administrators by their tier).
#[server(prefix = "/api", endpoint = "get_own_tenant")]
pub async fn get_own_tenant() -> Result<TenantView, AppError> {
    serve(Access::Full, async |req| tenants::own(&req).await).await
}

/// Changes the caller's own tenant's MFA and password policies ([`TenantSettingsInput`]);
/// its name stays. Needs `Tenant settings: Edit`; audited.
#[server(prefix = "/api", endpoint = "update_own_tenant")]
pub async fn update_own_tenant(
    #[server(flatten)] input: TenantSettingsInput,
) -> Result<TenantView, AppError> {
    serve(Access::Full, async |req| {
        tenants::update_own(&req, &input).await
    })
    .await
}
