//! `GET /api/v1/me`: the calling service account as the API sees it — who it is, its tenant
//! and tier, and the privileges it holds now (read afresh on every request, so a role
//! change shows on the next one).

use super::auth::ApiCaller;
use app::access::{At, PrivilegeSet};
use axum::Json;
use serde_json::{json, Value};

/// The caller's account and its effective privileges: tenant-wide (`privileges`), and for
/// each scope it holds a role for, what that adds there (`scoped_privileges`). Each is a
/// catalog key (`security.users:edit`) with its label (`Users: Edit`).
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "meta",
    responses(
        (status = 200, description = "The calling service account and its effective privileges", body = Object),
    )
)]
pub async fn me(ApiCaller(req): ApiCaller) -> Json<Value> {
    let (account, actor, catalog) = (&req.me.account, req.actor(), req.catalog());
    let listed = |set: &PrivilegeSet| -> Vec<Value> {
        set.iter(catalog)
            .filter_map(|p| Some(json!({ "key": catalog.key(p)?, "label": catalog.label(p) })))
            .collect()
    };
    let (privileges, scoped) = match actor.tenant_id {
        Some(tenant) => {
            let wide = actor.holdings.effective(At::Tenant(tenant));
            let mut scopes: Vec<_> = actor
                .holdings
                .roles
                .iter()
                .filter_map(|h| h.scope)
                .collect();
            scopes.sort();
            scopes.dedup();
            let scoped: Vec<Value> = scopes
                .into_iter()
                .map(|scope| {
                    let mut extra = actor.holdings.effective(At::Scope(tenant, scope));
                    for p in wide.iter(catalog).collect::<Vec<_>>() {
                        extra.remove(p);
                    }
                    json!({ "scope_id": scope.0, "privileges": listed(&extra) })
                })
                .collect();
            (listed(&wide), scoped)
        }
        None => (Vec::new(), Vec::new()),
    };
    Json(json!({
        "account_id": account.account_id.0,
        "username": account.username,
        "tier": account.tier.as_str(),
        "tenant": account.tenant_id.map(|t| json!({
            "tenant_id": t.0,
            "name": account.tenant_name,
        })),
        "privileges": privileges,
        "scoped_privileges": scoped,
    }))
}
