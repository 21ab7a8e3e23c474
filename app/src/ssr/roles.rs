//! Roles, scopes and assignments in the database (SPEC §3): the roles every tenant starts
//! with, and what one account holds, loaded for the access model on each request.

use super::accounts::internal;
use super::db::Db;
use crate::access::templates::starter_roles;
use crate::access::{Catalog, Held, Holdings, ObjectGrant, Role, RoleKind};
use crate::domain::{AccountId, RoleId, ScopeId, TenantId};
use crate::error::AppError;
use sqlx::Row;
use std::collections::BTreeMap;
use std::sync::Arc;

impl RoleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RoleKind::Administrators => "administrators",
            RoleKind::Everyone => "everyone",
            RoleKind::Custom => "custom",
        }
    }

    pub fn from_db(value: &str) -> Option<RoleKind> {
        [
            RoleKind::Administrators,
            RoleKind::Everyone,
            RoleKind::Custom,
        ]
        .into_iter()
        .find(|k| k.as_str() == value)
    }
}

/// Gives a new tenant its starter roles (Administrators, Everyone, Admin, Member, Read-only),
/// in the transaction that creates it.
pub async fn create_starter_roles<'c>(
    tx: &mut sqlx::Transaction<'c, sqlx::Any>,
    catalog: &Catalog,
    tenant: TenantId,
    now: i64,
) -> Result<(), AppError> {
    for starter in starter_roles(catalog) {
        let role_id: i64 = sqlx::query_scalar(
            "insert into roles (tenant_id, name, description, kind, created_at, updated_at) \
             values ($1, $2, $3, $4, $5, $5) returning role_id",
        )
        .bind(tenant.0)
        .bind(starter.name)
        .bind(starter.description)
        .bind(starter.kind.as_str())
        .bind(now)
        .fetch_one(&mut **tx)
        .await
        .map_err(internal("create starter role"))?;
        for privilege in starter.granted.iter(catalog) {
            let Some(key) = catalog.key(privilege) else {
                continue;
            };
            sqlx::query("insert into role_privileges (role_id, privilege) values ($1, $2)")
                .bind(role_id)
                .bind(key)
                .execute(&mut **tx)
                .await
                .map_err(internal("grant starter privilege"))?;
        }
    }
    Ok(())
}

/// Gives every tenant created before roles existed its starter roles. Run at start; a tenant
/// that has its Administrators role is left alone, so running it again changes nothing.
pub async fn ensure_starter_roles(db: &Db, catalog: &Catalog, now: i64) -> Result<(), AppError> {
    let missing: Vec<i64> = sqlx::query_scalar(
        "select tenant_id from tenants t where not exists \
         (select 1 from roles r where r.tenant_id = t.tenant_id and r.kind = 'administrators')",
    )
    .fetch_all(db.pool())
    .await
    .map_err(internal("find tenants without roles"))?;
    for tenant in missing {
        let mut tx = db
            .pool()
            .begin()
            .await
            .map_err(internal("begin starter roles"))?;
        create_starter_roles(&mut tx, catalog, TenantId(tenant), now).await?;
        // Another instance starting at the same time may have done it first: its roles stand
        // and this transaction's identical work is dropped.
        if let Err(e) = tx.commit().await {
            tracing::info!(tenant, error = %e, "starter roles written by another instance");
        }
    }
    Ok(())
}

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
