//! What an account holds through roles in its tenant, read for the access model: every
//! request's decisions start here.

use crate::access::{Catalog, Held, Holdings, ObjectGrant, Role, RoleKind};
use crate::backend::store::db::{internal, Db};
use crate::domain::{AccountId, RoleId, ScopeId, TenantId};
use crate::error::AppError;
use sqlx::Row;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Everything `account` holds in `tenant` through roles: its assignments (tenant-wide first)
/// and the tenant's Everyone role, each with its privileges and object grants. Privileges
/// whose key the catalog no longer declares grant nothing.
pub async fn holdings(
    db: &Db,
    catalog: &Catalog,
    account: AccountId,
    tenant: TenantId,
) -> Result<Holdings, AppError> {
    let held = sqlx::query(
        "select r.role_id, r.name, r.kind, a.scope_id from roles r \
         left join role_assignments a on a.role_id = r.role_id and a.account_id = $1 \
         where r.tenant_id = $2 and (a.account_id is not null or r.kind = 'everyone') \
         order by case when a.scope_id is null then 0 else 1 end, r.role_id, a.scope_id",
    )
    .bind(account.0)
    .bind(tenant.0)
    .fetch_all(db.pool())
    .await
    .map_err(internal("load held roles"))?;
    if held.is_empty() {
        return Ok(Holdings::default());
    }
    let grants = sqlx::query(
        "select p.role_id, null as scope_id, p.privilege from role_privileges p \
         where p.role_id in (select r.role_id from roles r where r.tenant_id = $2 and \
           (r.kind = 'everyone' or exists (select 1 from role_assignments a \
            where a.role_id = r.role_id and a.account_id = $1))) \
         union all \
         select g.role_id, g.scope_id, g.privilege from role_object_grants g \
         where g.role_id in (select r.role_id from roles r where r.tenant_id = $2 and \
           (r.kind = 'everyone' or exists (select 1 from role_assignments a \
            where a.role_id = r.role_id and a.account_id = $1)))",
    )
    .bind(account.0)
    .bind(tenant.0)
    .fetch_all(db.pool())
    .await
    .map_err(internal("load role privileges"))?;
    let mut granted: BTreeMap<i64, (Vec<_>, Vec<ObjectGrant>)> = BTreeMap::new();
    for row in &grants {
        let decode = internal("decode role privilege");
        let role_id: i64 = row.try_get("role_id").map_err(decode)?;
        let scope: Option<i64> = row.try_get("scope_id").map_err(internal("decode scope"))?;
        let key: String = row.try_get("privilege").map_err(internal("decode key"))?;
        let Some(privilege) = catalog.parse_key(&key) else {
            continue;
        };
        let entry = granted.entry(role_id).or_default();
        match scope {
            None => entry.0.push(privilege),
            Some(s) => entry.1.push(ObjectGrant {
                scope: ScopeId(s),
                privilege,
            }),
        }
    }
    let mut roles: BTreeMap<i64, Arc<Role>> = BTreeMap::new();
    let mut holdings = Holdings::default();
    for row in &held {
        let role_id: i64 = row.try_get("role_id").map_err(internal("decode role"))?;
        let scope: Option<i64> = row.try_get("scope_id").map_err(internal("decode scope"))?;
        let role = match roles.get(&role_id) {
            Some(role) => role.clone(),
            None => {
                let kind: String = row.try_get("kind").map_err(internal("decode kind"))?;
                let kind = RoleKind::from_db(&kind).ok_or(AppError::Internal)?;
                let name: String = row.try_get("name").map_err(internal("decode name"))?;
                let (privileges, objects) = granted.remove(&role_id).unwrap_or_default();
                let role = Arc::new(Role::new(
                    catalog,
                    RoleId(role_id),
                    tenant,
                    name,
                    kind,
                    privileges.into_iter().collect(),
                    objects,
                ));
                roles.insert(role_id, role.clone());
                role
            }
        };
        holdings.roles.push(Held {
            role,
            scope: scope.map(ScopeId),
        });
    }
    Ok(holdings)
}
