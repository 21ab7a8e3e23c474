//! `GET` and `PUT /api/v1/tenant`: the caller's own tenant's settings (its MFA and password
//! policies), which those holding `Tenant settings: View` / `Edit` may read and change. Its
//! name, status and existence stay the platform administrators' (console only, SPEC §1).

use super::auth::ApiCaller;
use super::etag;
use super::input::ApiJson;
use super::problem::Problem;
use app::backend::services::tenants;
use app::backend::state::AppState;
use app::tenants::{TenantSettingsInput, TenantView};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_tenant, replace_tenant_settings))
}

/// The caller's tenant and its settings.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TenantSettings {
    pub tenant_id: i64,
    pub name: String,
    /// `active` or `disabled`.
    pub status: String,
    /// `off`, `optional` or `required`.
    pub mfa_policy: String,
    /// `default`, `strict` or `modern` (SPEC §2.3).
    pub password_policy: String,
    /// Guessable passwords are refused (always with `modern`).
    pub refuse_guessable: bool,
}

impl From<TenantView> for TenantSettings {
    fn from(t: TenantView) -> TenantSettings {
        TenantSettings {
            tenant_id: t.tenant_id.0,
            name: t.name,
            status: if t.active { "active" } else { "disabled" }.to_owned(),
            mfa_policy: t.mfa_policy.as_str().to_owned(),
            password_policy: t.password_preset.as_str().to_owned(),
            refuse_guessable: t.refuse_guessable,
        }
    }
}

/// The caller's tenant.
///
/// The caller's own tenant and its MFA and password policies, with its `ETag`. Needs
/// `Tenant settings: View`. Reads only.
#[utoipa::path(
    get,
    path = "/api/v1/tenant",
    tag = "tenant",
    responses(
        (status = 200, description = "The tenant", body = TenantSettings, headers(("ETag" = String))),
        (status = 403, description = "Refused, with the reason's code", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_tenant(ApiCaller(req): ApiCaller) -> Result<Response, Problem> {
    let tenant = TenantSettings::from(tenants::own(&req).await?);
    Ok(etag::tagged(StatusCode::OK, &tenant))
}

/// Change the tenant's policies.
///
/// Replaces the caller's own tenant's MFA policy, and its password policy when
/// `password_policy` is sent (new passwords follow it; passwords already set stay valid).
/// Needs `Tenant settings: Edit` and `If-Match` with the tenant's `ETag`. Audited as
/// `tenant.update`; a refused attempt with its reason.
#[utoipa::path(
    put,
    path = "/api/v1/tenant",
    tag = "tenant",
    request_body = TenantSettingsInput,
    responses(
        (status = 200, description = "Changed", body = TenantSettings, headers(("ETag" = String))),
        (status = 403, description = "Refused, with the reason's code", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The tenant changed since it was read", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn replace_tenant_settings(
    ApiCaller(req): ApiCaller,
    headers: HeaderMap,
    ApiJson(input): ApiJson<TenantSettingsInput>,
) -> Result<Response, Problem> {
    let current = TenantSettings::from(tenants::own(&req).await?);
    etag::check_if_match(&headers, &current, "the tenant")?;
    let changed = TenantSettings::from(tenants::update_own(&req, &input).await?);
    Ok(etag::tagged(StatusCode::OK, &changed))
}
