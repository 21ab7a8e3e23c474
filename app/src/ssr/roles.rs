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

// ---- Roles, scopes and assignments, as the console changes them ----
// Each change is audited in its transaction; a refused one (a privilege one lacks or does not
// hold, the built-in role, another tenant's role, scope or account) with its reason, through
// `refusals::recorded`.

use super::audit::{self, AuditAction, AuditEvent, AuditTarget, Outcome};
use super::db::is_unique_violation;
use super::refusals::{self, Attempt, Failed, Refused};
use super::sessions::SignedIn;
use super::users::{find_in_scope, Scope};
use crate::access::{
    holds, may_assign, may_edit_roles, may_view_roles, Action, At, Decision, Explainer, Privilege,
    PrivilegeSet, Refusal, ResourceId,
};
use crate::domain::{parse_description, ShortName, Tier};
use crate::error::FieldErrors;
use crate::roles::*;
use std::net::IpAddr;

/// The tenant whose roles `me` works on: a platform administrator names one; anyone else
/// works on its own, and naming another is "not found", as for a tenant that does not exist
/// (refused as `OtherTenant`).
async fn tenant_of(
    db: &Db,
    me: &SignedIn,
    requested: Option<TenantId>,
) -> Result<(TenantId, String), Failed> {
    let tenant = match (Scope::of(&me.actor), requested) {
        (Scope::AllTenants, Some(t)) => t,
        (Scope::AllTenants, None) => {
            return Err(AppError::field("tenant", "Choose a tenant.").into());
        }
        (Scope::Tenant(own), None) => own,
        (Scope::Tenant(own), Some(t)) if t == own => own,
        (_, requested) => {
            return Err(unseen(
                Refusal::OtherTenant,
                serde_json::json!({ "tenant_id": requested.map(|t| t.0) }),
            )
            .into())
        }
    };
    let name: Option<String> = sqlx::query_scalar("select name from tenants where tenant_id = $1")
        .bind(tenant.0)
        .fetch_optional(db.pool())
        .await
        .map_err(internal("find tenant"))?;
    Ok(name.map(|n| (tenant, n)).ok_or(AppError::NotFound)?)
}

/// Something of another tenant: answered "not found", recorded with the id the actor sent.
fn unseen(refusal: Refusal, requested: serde_json::Value) -> Refused {
    Refused::new(refusal, AppError::NotFound).attempting(requested)
}

fn allowed(decision: Decision) -> Result<(), Failed> {
    refusals::allowed(decision)
}

fn role_target(role: &Role) -> AuditTarget {
    AuditTarget::Role {
        role_id: role.role_id,
        name: role.name.clone(),
    }
}

/// A stored role with its description.
struct StoredRole {
    role: Role,
    description: String,
}

/// Role `id` if `me` may see its tenant at all; otherwise "not found" (refused as
/// `OtherTenant` when the role exists).
async fn load_role(
    db: &Db,
    catalog: &Catalog,
    me: &SignedIn,
    id: RoleId,
) -> Result<StoredRole, Failed> {
    let row = sqlx::query(
        "select role_id, tenant_id, name, description, kind from roles where role_id = $1",
    )
    .bind(id.0)
    .fetch_optional(db.pool())
    .await
    .map_err(internal("find role"))?
    .ok_or(AppError::NotFound)?;
    let tenant = TenantId(row.try_get("tenant_id").map_err(internal("decode role"))?);
    match Scope::of(&me.actor) {
        Scope::AllTenants => {}
        Scope::Tenant(own) if own == tenant => {}
        _ => {
            return Err(unseen(Refusal::OtherTenant, serde_json::json!({ "role_id": id.0 })).into())
        }
    }
    let kind: String = row.try_get("kind").map_err(internal("decode role"))?;
    let kind = RoleKind::from_db(&kind).ok_or(AppError::Internal)?;
    let grants = sqlx::query(
        "select null as scope_id, privilege from role_privileges where role_id = $1 \
         union all select scope_id, privilege from role_object_grants where role_id = $1",
    )
    .bind(id.0)
    .fetch_all(db.pool())
    .await
    .map_err(internal("load role grants"))?;
    let mut granted = PrivilegeSet::new();
    let mut objects = Vec::new();
    for g in &grants {
        let key: String = g.try_get("privilege").map_err(internal("decode grant"))?;
        let scope: Option<i64> = g.try_get("scope_id").map_err(internal("decode grant"))?;
        let Some(privilege) = catalog.parse_key(&key) else {
            continue;
        };
        match scope {
            None => granted.insert(privilege),
            Some(s) => objects.push(ObjectGrant {
                scope: ScopeId(s),
                privilege,
            }),
        }
    }
    objects.sort();
    Ok(StoredRole {
        role: Role::new(
            catalog,
            id,
            tenant,
            row.try_get::<String, _>("name")
                .map_err(internal("decode role"))?,
            kind,
            granted,
            objects,
        ),
        description: row
            .try_get("description")
            .map_err(internal("decode role"))?,
    })
}

async fn scopes_of(db: &Db, tenant: TenantId) -> Result<Vec<ScopeView>, AppError> {
    let rows = sqlx::query(
        "select scope_id, name, description from scopes where tenant_id = $1 order by lower(name)",
    )
    .bind(tenant.0)
    .fetch_all(db.pool())
    .await
    .map_err(internal("list scopes"))?;
    rows.iter()
        .map(|r| {
            Ok(ScopeView {
                scope_id: ScopeId(r.try_get("scope_id")?),
                name: r.try_get("name")?,
                description: r.try_get("description")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(internal("decode scope"))
}

async fn summaries(db: &Db, tenant: TenantId) -> Result<Vec<RoleSummary>, AppError> {
    let rows = sqlx::query(
        "select r.role_id, r.name, r.description, r.kind, \
           (select count(*) from role_privileges p where p.role_id = r.role_id) as granted, \
           case when r.kind = 'everyone' \
             then (select count(*) from accounts a where a.tenant_id = r.tenant_id) \
             else (select count(distinct a.account_id) from role_assignments a \
                   where a.role_id = r.role_id) end as holders \
         from roles r where r.tenant_id = $1 \
         order by case r.kind when 'administrators' then 0 when 'everyone' then 1 else 2 end, \
           lower(r.name)",
    )
    .bind(tenant.0)
    .fetch_all(db.pool())
    .await
    .map_err(internal("list roles"))?;
    rows.iter()
        .map(|r| {
            let kind: String = r.try_get("kind")?;
            Ok(RoleSummary {
                role_id: RoleId(r.try_get("role_id")?),
                name: r.try_get("name")?,
                description: r.try_get("description")?,
                kind: RoleKind::from_db(&kind).unwrap_or(RoleKind::Custom),
                granted: r.try_get("granted")?,
                holders: r.try_get("holders")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(internal("decode role"))
}

/// May `me` create, rename and delete `tenant`'s scopes? Needs `Tenant settings: Edit`.
fn may_edit_scopes(catalog: &Catalog, me: &SignedIn, tenant: TenantId) -> Decision {
    holds(
        catalog,
        &me.actor,
        Privilege::On(ResourceId::TENANT_SETTINGS, Action::Edit),
        At::Tenant(tenant),
    )
}

/// A tenant's roles and scopes. Needs `Roles: View` in the tenant.
pub async fn page(
    db: &Db,
    catalog: &Catalog,
    me: &SignedIn,
    tenant: Option<TenantId>,
) -> Result<RolesPage, AppError> {
    let (tenant, tenant_name) = tenant_of(db, me, tenant).await?;
    allowed(may_view_roles(catalog, &me.actor, tenant))?;
    Ok(RolesPage {
        tenant_id: tenant,
        tenant_name,
        roles: summaries(db, tenant).await?,
        scopes: scopes_of(db, tenant).await?,
        may_edit_roles: may_edit_roles(catalog, &me.actor, tenant),
        may_edit_scopes: may_edit_scopes(catalog, me, tenant),
    })
}

/// One role for the editor. Needs `Roles: View` in its tenant.
pub async fn detail(
    db: &Db,
    catalog: &Catalog,
    me: &SignedIn,
    id: RoleId,
) -> Result<RoleDetail, AppError> {
    let stored = load_role(db, catalog, me, id).await?;
    let tenant = stored.role.tenant_id;
    allowed(may_view_roles(catalog, &me.actor, tenant))?;
    let grantable = catalog
        .privileges()
        .filter(|&p| holds(catalog, &me.actor, p, At::Tenant(tenant)).is_allowed())
        .collect();
    let needs_mfa = catalog
        .privileges()
        .filter(|&p| {
            holds(catalog, &me.actor, p, At::Tenant(tenant))
                == Decision::Denied(crate::access::Refusal::NeedsMfa(p))
        })
        .collect();
    let may_edit = match stored.role.kind {
        RoleKind::Administrators => Decision::Denied(crate::access::Refusal::BuiltInRole),
        _ => may_edit_roles(catalog, &me.actor, tenant),
    };
    Ok(RoleDetail {
        tenant_id: tenant,
        role_id: id,
        name: stored.role.name.clone(),
        description: stored.description,
        kind: stored.role.kind,
        granted: stored.role.granted.iter(catalog).collect(),
        object_grants: stored.role.object_grants.clone(),
        scopes: scopes_of(db, tenant).await?,
        catalog: catalog.clone(),
        grantable,
        needs_mfa,
        may_edit,
        may_delete: crate::access::may_delete_role(catalog, &me.actor, &stored.role),
    })
}

fn role_event(action: AuditAction, me: &SignedIn, role: &Role, client: IpAddr) -> AuditEvent {
    let mut event = AuditEvent::new(action, Outcome::Success);
    event.tenant_id = Some(role.tenant_id);
    event.actor = Some(me.account.snapshot());
    event.target = Some(AuditTarget::Role {
        role_id: role.role_id,
        name: role.name.clone(),
    });
    event.client = Some(client);
    event
}

/// A role as the audit trail records it: name, description, privilege keys, object grants.
fn role_fields(
    catalog: &Catalog,
    role: &Role,
    description: &str,
    scopes: &[ScopeView],
) -> serde_json::Value {
    let scope_name = |id: ScopeId| {
        scopes
            .iter()
            .find(|s| s.scope_id == id)
            .map_or_else(|| id.to_string(), |s| s.name.clone())
    };
    serde_json::json!({
        "name": role.name,
        "description": description,
        "privileges": role.granted.iter(catalog).filter_map(|p| catalog.key(p)).collect::<Vec<_>>(),
        "object_grants": role.object_grants.iter().map(|g| format!(
            "{} on {}",
            catalog.key(g.privilege).unwrap_or_default(),
            scope_name(g.scope)
        )).collect::<Vec<_>>(),
    })
}

fn role_name_taken(e: sqlx::Error) -> AppError {
    if is_unique_violation(&e, "roles_name_key") {
        AppError::field(
            "name",
            "A role with this name already exists in this tenant.",
        )
    } else {
        internal("write role")(e)
    }
}

/// Creates a custom role with no privileges. Needs Security Admin in the tenant; audited.
#[allow(clippy::too_many_arguments)] // the request's parts, each used once
pub async fn create(
    db: &Db,
    catalog: &Catalog,
    me: &SignedIn,
    tenant: Option<TenantId>,
    name: &str,
    description: &str,
    client: IpAddr,
    now: i64,
) -> Result<RoleId, AppError> {
    let attempt = Attempt::new(me, AuditAction::RoleCreated, client, now);
    refusals::recorded(
        db,
        attempt,
        create_or_refuse(db, catalog, me, tenant, name, description, client, now),
    )
    .await
}

/// [`create`]'s work, telling a refusal (which [`create`] audits) from other errors.
#[allow(clippy::too_many_arguments)] // the request's parts, each used once
async fn create_or_refuse(
    db: &Db,
    catalog: &Catalog,
    me: &SignedIn,
    tenant: Option<TenantId>,
    name: &str,
    description: &str,
    client: IpAddr,
    now: i64,
) -> Result<RoleId, Failed> {
    let (tenant, _) = tenant_of(db, me, tenant).await?;
    allowed(may_edit_roles(catalog, &me.actor, tenant))?;
    let mut errors = FieldErrors::new();
    let name = errors.check("name", ShortName::parse(name, "role"));
    let description = errors.check("description", parse_description(description));
    let (Some(name), Some(description)) = (name, description) else {
        return Err(AppError::Invalid(errors).into());
    };
    let mut tx = db
        .pool()
        .begin()
        .await
        .map_err(internal("begin create role"))?;
    let id: i64 = sqlx::query_scalar(
        "insert into roles (tenant_id, name, description, kind, created_at, updated_at) \
         values ($1, $2, $3, 'custom', $4, $4) returning role_id",
    )
    .bind(tenant.0)
    .bind(name.as_ref())
    .bind(&description)
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(role_name_taken)?;
    let role = Role::new(
        catalog,
        RoleId(id),
        tenant,
        name.as_ref(),
        RoleKind::Custom,
        PrivilegeSet::new(),
        Vec::new(),
    );
    let mut event = role_event(AuditAction::RoleCreated, me, &role, client);
    event.after = Some(role_fields(catalog, &role, &description, &[]));
    audit::record(&mut *tx, &event, now).await?;
    tx.commit().await.map_err(internal("commit create role"))?;
    Ok(RoleId(id))
}

/// Replaces a role's name, description, privileges and object grants. Needs Security Admin;
/// every privilege granted or taken away must be the actor's own where it applies (SPEC
/// §3.4); the Administrators role cannot be changed, nor Everyone's name. Audited, before and
/// after.
pub async fn update(
    db: &Db,
    catalog: &Catalog,
    me: &SignedIn,
    id: RoleId,
    form: &RoleForm,
    client: IpAddr,
    now: i64,
) -> Result<(), AppError> {
    let attempt = Attempt::new(me, AuditAction::RoleUpdated, client, now);
    refusals::recorded(
        db,
        attempt,
        update_or_refuse(db, catalog, me, id, form, client, now),
    )
    .await
}

/// [`update`]'s work, telling a refusal (which [`update`] audits) from other errors.
async fn update_or_refuse(
    db: &Db,
    catalog: &Catalog,
    me: &SignedIn,
    id: RoleId,
    form: &RoleForm,
    client: IpAddr,
    now: i64,
) -> Result<(), Failed> {
    let stored = load_role(db, catalog, me, id).await?;
    let old = &stored.role;
    let tenant = old.tenant_id;
    let on_role = |failed: Failed| failed.at(role_target(old), Some(tenant));
    allowed(may_edit_roles(catalog, &me.actor, tenant)).map_err(on_role)?;
    if old.kind == RoleKind::Administrators {
        return Err(on_role(Refused::forbidden(Refusal::BuiltInRole).into()));
    }
    let scopes = scopes_of(db, tenant).await?;
    let mut errors = FieldErrors::new();
    let name = errors.check("name", ShortName::parse(&form.name, "role"));
    let description = errors.check("description", parse_description(&form.description));
    if old.kind == RoleKind::Everyone && form.name.trim() != old.name {
        errors.add("name", "The Everyone role keeps its name.");
    }
    let mut granted = PrivilegeSet::new();
    for &p in &form.granted {
        if !catalog.contains(p) {
            errors.add("privileges", "A privilege is not in the catalog.");
        }
        granted.insert(p);
    }
    let mut objects = Vec::new();
    for g in &form.object_grants {
        let action_ok =
            matches!(g.privilege, Privilege::On(_, a) if ObjectGrant::ACTIONS.contains(&a));
        if !action_ok || !catalog.contains(g.privilege) {
            errors.add(
                "object_grants",
                "A scope can only be granted View or Approve.",
            );
        } else if !scopes.iter().any(|s| s.scope_id == g.scope) {
            errors.add("object_grants", "A scope of the grant does not exist.");
        } else if !objects.contains(g) {
            objects.push(*g);
        }
    }
    objects.sort();
    // Anti-escalation: every change must be the actor's to make. Refused, the first reason
    // and every privilege concerned are audited.
    let mut refusal = None;
    let mut refused_privileges = Vec::new();
    let added_or_removed = catalog
        .privileges()
        .filter(|&p| granted.contains(p) != old.granted.contains(p));
    for p in added_or_removed {
        let decision = crate::access::may_change_grant(catalog, &me.actor, old, p, None);
        if let Decision::Denied(why) = decision {
            refusal.get_or_insert(why);
            refused_privileges.push(catalog.label(p));
        }
        match decision {
            Decision::Allowed(_) => {}
            Decision::Denied(crate::access::Refusal::NeedsMfa(_)) => errors.add(
                "privileges",
                format!(
                    "You cannot grant or take away {} in this session: it is sensitive, so \
                     changing it needs a session signed in with MFA.",
                    catalog.label(p)
                ),
            ),
            Decision::Denied(_) => errors.add(
                "privileges",
                format!(
                    "You cannot grant or take away {}: you do not hold it yourself.",
                    catalog.label(p)
                ),
            ),
        }
    }
    let changed_objects = objects
        .iter()
        .filter(|g| !old.object_grants.contains(g))
        .chain(old.object_grants.iter().filter(|g| !objects.contains(g)));
    for g in changed_objects {
        if let Decision::Denied(why) =
            crate::access::may_change_grant(catalog, &me.actor, old, g.privilege, Some(g.scope))
        {
            refusal.get_or_insert(why);
            refused_privileges.push(format!(
                "{} on scope {}",
                catalog.label(g.privilege),
                g.scope
            ));
            errors.add(
                "object_grants",
                format!(
                    "You cannot grant or take away {} on that scope: you do not hold it there.",
                    catalog.label(g.privilege)
                ),
            );
        }
    }
    if let Some(refusal) = refusal {
        let answer = AppError::Invalid(errors);
        let attempted = serde_json::json!({ "privileges": refused_privileges });
        return Err(on_role(
            Refused::new(refusal, answer).attempting(attempted).into(),
        ));
    }
    let (Some(name), Some(description)) = (name, description) else {
        return Err(AppError::Invalid(errors).into());
    };
    if !errors.0.is_empty() {
        return Err(AppError::Invalid(errors).into());
    }
    let new = Role::new(
        catalog,
        id,
        tenant,
        name.as_ref(),
        old.kind,
        granted,
        objects,
    );
    let mut tx = db
        .pool()
        .begin()
        .await
        .map_err(internal("begin update role"))?;
    sqlx::query("update roles set name = $1, description = $2, updated_at = $3 where role_id = $4")
        .bind(name.as_ref())
        .bind(&description)
        .bind(now)
        .bind(id.0)
        .execute(&mut *tx)
        .await
        .map_err(role_name_taken)?;
    // Keys of privileges the catalog no longer declares are kept (a deployment may bring its
    // module back); only declared ones are replaced.
    for p in catalog.privileges() {
        let Some(key) = catalog.key(p) else { continue };
        match (old.granted.contains(p), new.granted.contains(p)) {
            (false, true) => {
                sqlx::query("insert into role_privileges (role_id, privilege) values ($1, $2)")
                    .bind(id.0)
                    .bind(key)
                    .execute(&mut *tx)
                    .await
                    .map_err(internal("grant privilege"))?;
            }
            (true, false) => {
                sqlx::query("delete from role_privileges where role_id = $1 and privilege = $2")
                    .bind(id.0)
                    .bind(key)
                    .execute(&mut *tx)
                    .await
                    .map_err(internal("revoke privilege"))?;
            }
            _ => {}
        }
    }
    sqlx::query("delete from role_object_grants where role_id = $1")
        .bind(id.0)
        .execute(&mut *tx)
        .await
        .map_err(internal("clear object grants"))?;
    for g in &new.object_grants {
        sqlx::query(
            "insert into role_object_grants (role_id, scope_id, privilege) values ($1, $2, $3)",
        )
        .bind(id.0)
        .bind(g.scope.0)
        .bind(catalog.key(g.privilege).unwrap_or_default())
        .execute(&mut *tx)
        .await
        .map_err(internal("write object grant"))?;
    }
    let mut event = role_event(AuditAction::RoleUpdated, me, &new, client);
    event.before = Some(role_fields(catalog, old, &stored.description, &scopes));
    event.after = Some(role_fields(catalog, &new, &description, &scopes));
    audit::record(&mut *tx, &event, now).await?;
    tx.commit().await.map_err(internal("commit update role"))?;
    Ok(())
}

/// Deletes a custom role and its assignments. Needs Security Admin and every privilege the
/// role gives (deleting takes them from its holders); built-in roles stay. Audited.
pub async fn delete(
    db: &Db,
    catalog: &Catalog,
    me: &SignedIn,
    id: RoleId,
    client: IpAddr,
    now: i64,
) -> Result<(), AppError> {
    let attempt = Attempt::new(me, AuditAction::RoleDeleted, client, now);
    refusals::recorded(
        db,
        attempt,
        delete_or_refuse(db, catalog, me, id, client, now),
    )
    .await
}

/// [`delete`]'s work, telling a refusal (which [`delete`] audits) from other errors.
async fn delete_or_refuse(
    db: &Db,
    catalog: &Catalog,
    me: &SignedIn,
    id: RoleId,
    client: IpAddr,
    now: i64,
) -> Result<(), Failed> {
    let stored = load_role(db, catalog, me, id).await?;
    let role = &stored.role;
    let on_role = |failed: Failed| failed.at(role_target(role), Some(role.tenant_id));
    allowed(may_edit_roles(catalog, &me.actor, role.tenant_id)).map_err(on_role)?;
    if role.kind != RoleKind::Custom {
        let answer = AppError::Conflict(format!(
            "The built-in role “{}” cannot be deleted.",
            role.name
        ));
        return Err(on_role(Refused::new(Refusal::BuiltInRole, answer).into()));
    }
    allowed(crate::access::may_delete_role(catalog, &me.actor, role)).map_err(on_role)?;
    let scopes = scopes_of(db, role.tenant_id).await?;
    let mut tx = db
        .pool()
        .begin()
        .await
        .map_err(internal("begin delete role"))?;
    for table in [
        "role_assignments",
        "role_object_grants",
        "role_privileges",
        "roles",
    ] {
        sqlx::query(&format!("delete from {table} where role_id = $1"))
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(internal("delete role"))?;
    }
    let mut event = role_event(AuditAction::RoleDeleted, me, role, client);
    event.before = Some(role_fields(catalog, role, &stored.description, &scopes));
    audit::record(&mut *tx, &event, now).await?;
    tx.commit().await.map_err(internal("commit delete role"))?;
    Ok(())
}

fn scope_event(
    action: AuditAction,
    me: &SignedIn,
    tenant: TenantId,
    scope: &ScopeView,
    client: IpAddr,
) -> AuditEvent {
    let mut event = AuditEvent::new(action, Outcome::Success);
    event.tenant_id = Some(tenant);
    event.actor = Some(me.account.snapshot());
    event.target = Some(AuditTarget::Scope {
        scope_id: scope.scope_id,
        name: scope.name.clone(),
    });
    event.client = Some(client);
    event
}

fn scope_target(scope: &ScopeView) -> AuditTarget {
    AuditTarget::Scope {
        scope_id: scope.scope_id,
        name: scope.name.clone(),
    }
}

fn scope_fields(scope: &ScopeView) -> serde_json::Value {
    serde_json::json!({ "name": scope.name, "description": scope.description })
}

fn scope_name_taken(e: sqlx::Error) -> AppError {
    if is_unique_violation(&e, "scopes_name_key") {
        AppError::field(
            "name",
            "A scope with this name already exists in this tenant.",
        )
    } else {
        internal("write scope")(e)
    }
}

fn parse_scope_form(name: &str, description: &str) -> Result<(ShortName, String), AppError> {
    let mut errors = FieldErrors::new();
    let name = errors.check("name", ShortName::parse(name, "scope"));
    let description = errors.check("description", parse_description(description));
    match (name, description) {
        (Some(n), Some(d)) => Ok((n, d)),
        _ => Err(AppError::Invalid(errors)),
    }
}

/// Scope `id` and its tenant, if `me` may see that tenant; otherwise "not found" (refused as
/// `OtherTenant` when the scope exists).
async fn load_scope(db: &Db, me: &SignedIn, id: ScopeId) -> Result<(TenantId, ScopeView), Failed> {
    let row = sqlx::query("select tenant_id, name, description from scopes where scope_id = $1")
        .bind(id.0)
        .fetch_optional(db.pool())
        .await
        .map_err(internal("find scope"))?
        .ok_or(AppError::NotFound)?;
    let tenant = TenantId(row.try_get("tenant_id").map_err(internal("decode scope"))?);
    match Scope::of(&me.actor) {
        Scope::AllTenants => {}
        Scope::Tenant(own) if own == tenant => {}
        _ => {
            return Err(unseen(
                Refusal::OtherTenant,
                serde_json::json!({ "scope_id": id.0 }),
            )
            .into())
        }
    }
    Ok((
        tenant,
        ScopeView {
            scope_id: id,
            name: row.try_get("name").map_err(internal("decode scope"))?,
            description: row
                .try_get("description")
                .map_err(internal("decode scope"))?,
        },
    ))
}

/// Creates a scope. Needs `Tenant settings: Edit`; audited.
#[allow(clippy::too_many_arguments)] // the request's parts, each used once
pub async fn create_scope(
    db: &Db,
    catalog: &Catalog,
    me: &SignedIn,
    tenant: Option<TenantId>,
    name: &str,
    description: &str,
    client: IpAddr,
    now: i64,
) -> Result<ScopeId, AppError> {
    let attempt = Attempt::new(me, AuditAction::ScopeCreated, client, now);
    refusals::recorded(
        db,
        attempt,
        create_scope_or_refuse(db, catalog, me, tenant, name, description, client, now),
    )
    .await
}

/// [`create_scope`]'s work, telling a refusal (which [`create_scope`] audits) from other errors.
#[allow(clippy::too_many_arguments)] // the request's parts, each used once
async fn create_scope_or_refuse(
    db: &Db,
    catalog: &Catalog,
    me: &SignedIn,
    tenant: Option<TenantId>,
    name: &str,
    description: &str,
    client: IpAddr,
    now: i64,
) -> Result<ScopeId, Failed> {
    let (tenant, _) = tenant_of(db, me, tenant).await?;
    allowed(may_edit_scopes(catalog, me, tenant))?;
    let (name, description) = parse_scope_form(name, description)?;
    let mut tx = db
        .pool()
        .begin()
        .await
        .map_err(internal("begin create scope"))?;
    let id: i64 = sqlx::query_scalar(
        "insert into scopes (tenant_id, name, description, created_at, updated_at) \
         values ($1, $2, $3, $4, $4) returning scope_id",
    )
    .bind(tenant.0)
    .bind(name.as_ref())
    .bind(&description)
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(scope_name_taken)?;
    let scope = ScopeView {
        scope_id: ScopeId(id),
        name: name.as_ref().to_owned(),
        description,
    };
    let mut event = scope_event(AuditAction::ScopeCreated, me, tenant, &scope, client);
    event.after = Some(scope_fields(&scope));
    audit::record(&mut *tx, &event, now).await?;
    tx.commit().await.map_err(internal("commit create scope"))?;
    Ok(scope.scope_id)
}

/// Renames a scope or changes its description. Needs `Tenant settings: Edit`; audited.
#[allow(clippy::too_many_arguments)] // the request's parts, each used once
pub async fn update_scope(
    db: &Db,
    catalog: &Catalog,
    me: &SignedIn,
    id: ScopeId,
    name: &str,
    description: &str,
    client: IpAddr,
    now: i64,
) -> Result<(), AppError> {
    let attempt = Attempt::new(me, AuditAction::ScopeUpdated, client, now);
    refusals::recorded(
        db,
        attempt,
        update_scope_or_refuse(db, catalog, me, id, name, description, client, now),
    )
    .await
}

/// [`update_scope`]'s work, telling a refusal (which [`update_scope`] audits) from other errors.
#[allow(clippy::too_many_arguments)] // the request's parts, each used once
async fn update_scope_or_refuse(
    db: &Db,
    catalog: &Catalog,
    me: &SignedIn,
    id: ScopeId,
    name: &str,
    description: &str,
    client: IpAddr,
    now: i64,
) -> Result<(), Failed> {
    let (tenant, before) = load_scope(db, me, id).await?;
    allowed(may_edit_scopes(catalog, me, tenant))
        .map_err(|refused| refused.at(scope_target(&before), Some(tenant)))?;
    let (name, description) = parse_scope_form(name, description)?;
    let after = ScopeView {
        scope_id: id,
        name: name.as_ref().to_owned(),
        description,
    };
    let mut tx = db
        .pool()
        .begin()
        .await
        .map_err(internal("begin update scope"))?;
    sqlx::query(
        "update scopes set name = $1, description = $2, updated_at = $3 where scope_id = $4",
    )
    .bind(&after.name)
    .bind(&after.description)
    .bind(now)
    .bind(id.0)
    .execute(&mut *tx)
    .await
    .map_err(scope_name_taken)?;
    let mut event = scope_event(AuditAction::ScopeUpdated, me, tenant, &after, client);
    event.before = Some(scope_fields(&before));
    event.after = Some(scope_fields(&after));
    audit::record(&mut *tx, &event, now).await?;
    tx.commit().await.map_err(internal("commit update scope"))?;
    Ok(())
}

/// Deletes a scope, with the assignments and object grants made for it. Needs `Tenant
/// settings: Edit`, and every privilege those assignments and grants give (deleting takes
/// them away, SPEC §3.4). Audited.
pub async fn delete_scope(
    db: &Db,
    catalog: &Catalog,
    me: &SignedIn,
    id: ScopeId,
    client: IpAddr,
    now: i64,
) -> Result<(), AppError> {
    let attempt = Attempt::new(me, AuditAction::ScopeDeleted, client, now);
    refusals::recorded(
        db,
        attempt,
        delete_scope_or_refuse(db, catalog, me, id, client, now),
    )
    .await
}

/// [`delete_scope`]'s work, telling a refusal (which [`delete_scope`] audits) from other errors.
async fn delete_scope_or_refuse(
    db: &Db,
    catalog: &Catalog,
    me: &SignedIn,
    id: ScopeId,
    client: IpAddr,
    now: i64,
) -> Result<(), Failed> {
    let (tenant, scope) = load_scope(db, me, id).await?;
    let on_scope = |failed: Failed| failed.at(scope_target(&scope), Some(tenant));
    allowed(may_edit_scopes(catalog, me, tenant)).map_err(on_scope)?;
    // What the scope's assignments and object grants give, the actor must hold there.
    let keys: Vec<String> = sqlx::query_scalar(
        "select p.privilege from role_privileges p join role_assignments a on a.role_id = p.role_id \
         where a.scope_id = $1 union select privilege from role_object_grants where scope_id = $1",
    )
    .bind(id.0)
    .fetch_all(db.pool())
    .await
    .map_err(internal("read scope grants"))?;
    for p in keys.iter().filter_map(|k| catalog.parse_key(k)) {
        if !holds(catalog, &me.actor, p, At::Scope(tenant, id)).is_allowed() {
            // Deleting takes it away from whoever holds it there (SPEC §3.4).
            return Err(on_scope(
                Refused::forbidden(Refusal::NotHeldByYou(p)).into(),
            ));
        }
    }
    let mut tx = db
        .pool()
        .begin()
        .await
        .map_err(internal("begin delete scope"))?;
    for table in ["role_assignments", "role_object_grants", "scopes"] {
        sqlx::query(&format!("delete from {table} where scope_id = $1"))
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(internal("delete scope"))?;
    }
    let mut event = scope_event(AuditAction::ScopeDeleted, me, tenant, &scope, client);
    event.before = Some(scope_fields(&scope));
    audit::record(&mut *tx, &event, now).await?;
    tx.commit().await.map_err(internal("commit delete scope"))?;
    Ok(())
}

/// The account `id` as a target of role changes, in `me`'s scope; otherwise "not found".
async fn target_account(
    db: &Db,
    me: &SignedIn,
    id: AccountId,
) -> Result<(super::accounts::AccountRecord, TenantId), Failed> {
    let account = super::users::in_scope_or_refuse(db, me, id).await?;
    let tenant = account.tenant_id.ok_or_else(|| {
        AppError::Conflict(
            "Platform administrators hold every privilege; they take no roles.".into(),
        )
    })?;
    Ok((account, tenant))
}

fn assignment_fields(role: &Role, scope: Option<&ScopeView>) -> serde_json::Value {
    serde_json::json!({
        "role": role.name,
        "scope": scope.map_or("tenant-wide", |s| s.name.as_str()),
    })
}

/// Gives `account` the role `role_id`, tenant-wide or for `scope`. Needs to be able to change
/// the account and to hold everything the role gives there (SPEC §3.4). Audited on the
/// account. Takes effect on the account's next request.
#[allow(clippy::too_many_arguments)] // the request's parts, each used once
pub async fn assign(
    db: &Db,
    catalog: &Catalog,
    me: &SignedIn,
    account_id: AccountId,
    role_id: RoleId,
    scope: Option<ScopeId>,
    client: IpAddr,
    now: i64,
) -> Result<(), AppError> {
    change_assignment(
        db, catalog, me, account_id, role_id, scope, true, client, now,
    )
    .await
}

/// Takes the role `role_id` (tenant-wide, or for `scope`) from `account`. The same rule as
/// [`assign`]: nobody takes away what they could not give. Audited on the account.
#[allow(clippy::too_many_arguments)] // the request's parts, each used once
pub async fn unassign(
    db: &Db,
    catalog: &Catalog,
    me: &SignedIn,
    account_id: AccountId,
    role_id: RoleId,
    scope: Option<ScopeId>,
    client: IpAddr,
    now: i64,
) -> Result<(), AppError> {
    change_assignment(
        db, catalog, me, account_id, role_id, scope, false, client, now,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn change_assignment(
    db: &Db,
    catalog: &Catalog,
    me: &SignedIn,
    account_id: AccountId,
    role_id: RoleId,
    scope: Option<ScopeId>,
    give: bool,
    client: IpAddr,
    now: i64,
) -> Result<(), AppError> {
    let attempt = Attempt::new(
        me,
        if give {
            AuditAction::RoleAssigned
        } else {
            AuditAction::RoleUnassigned
        },
        client,
        now,
    );
    refusals::recorded(
        db,
        attempt,
        change_assignment_or_refuse(
            db, catalog, me, account_id, role_id, scope, give, client, now,
        ),
    )
    .await
}

/// [`change_assignment`]'s work, telling a refusal (which [`change_assignment`] audits) from other errors.
#[allow(clippy::too_many_arguments)]
async fn change_assignment_or_refuse(
    db: &Db,
    catalog: &Catalog,
    me: &SignedIn,
    account_id: AccountId,
    role_id: RoleId,
    scope: Option<ScopeId>,
    give: bool,
    client: IpAddr,
    now: i64,
) -> Result<(), Failed> {
    let (account, tenant) = target_account(db, me, account_id).await?;
    let stored = load_role(db, catalog, me, role_id).await?;
    if stored.role.tenant_id != tenant {
        return Err(AppError::NotFound.into());
    }
    let scope_view = match scope {
        Some(s) => {
            let (scope_tenant, view) = load_scope(db, me, s).await?;
            if scope_tenant != tenant {
                return Err(AppError::NotFound.into());
            }
            Some(view)
        }
        None => None,
    };
    if stored.role.kind == RoleKind::Everyone {
        return Err(AppError::field(
            "role",
            "Everyone is held by every account of the tenant; it is not assigned.",
        )
        .into());
    }
    if give && !matches!(account.tier, Tier::User | Tier::ServiceAccount) {
        // Their tier gives them every privilege of the tenant (SPEC §1): a role would add
        // nothing, and would only mislead whoever reads the account page.
        return Err(AppError::field(
            "role",
            "Tenant administrators hold every privilege of their tenant by their account type; they take no roles.",
        ).into());
    }
    let target = crate::access::Target {
        tier: account.tier,
        tenant_id: account.tenant_id,
    };
    allowed(may_assign(catalog, &me.actor, target, &stored.role, scope)).map_err(|refused| {
        refused
            .at_account(&account)
            .attempting(assignment_fields(&stored.role, scope_view.as_ref()))
    })?;
    let mut tx = db
        .pool()
        .begin()
        .await
        .map_err(internal("begin assignment"))?;
    let changed = if give {
        let exists: i64 = sqlx::query_scalar(
            "select count(*) from role_assignments where account_id = $1 and role_id = $2 \
             and coalesce(scope_id, 0) = $3",
        )
        .bind(account_id.0)
        .bind(role_id.0)
        .bind(scope.map_or(0, |s| s.0))
        .fetch_one(&mut *tx)
        .await
        .map_err(internal("check assignment"))?;
        if exists > 0 {
            return Err(AppError::Conflict(format!(
                "{} already holds “{}” there.",
                account.username, stored.role.name
            ))
            .into());
        }
        sqlx::query(
            "insert into role_assignments (account_id, role_id, scope_id, created_at) \
             values ($1, $2, $3, $4)",
        )
        .bind(account_id.0)
        .bind(role_id.0)
        .bind(scope.map(|s| s.0))
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(internal("assign role"))?
        .rows_affected()
    } else {
        sqlx::query(
            "delete from role_assignments where account_id = $1 and role_id = $2 \
             and coalesce(scope_id, 0) = $3",
        )
        .bind(account_id.0)
        .bind(role_id.0)
        .bind(scope.map_or(0, |s| s.0))
        .execute(&mut *tx)
        .await
        .map_err(internal("remove assignment"))?
        .rows_affected()
    };
    if changed == 0 {
        return Err(AppError::NotFound.into());
    }
    let mut event = AuditEvent::new(
        if give {
            AuditAction::RoleAssigned
        } else {
            AuditAction::RoleUnassigned
        },
        Outcome::Success,
    );
    event.tenant_id = Some(tenant);
    event.actor = Some(me.account.snapshot());
    event.target = Some(AuditTarget::Account(account.snapshot()));
    event.client = Some(client);
    let fields = assignment_fields(&stored.role, scope_view.as_ref());
    if give {
        event.after = Some(fields);
    } else {
        event.before = Some(fields);
    }
    audit::record(&mut *tx, &event, now).await?;
    tx.commit().await.map_err(internal("commit assignment"))?;
    Ok(())
}

/// An account's roles and, for every privilege of the catalog, tenant-wide and in each scope,
/// whether it holds it and why (SPEC §3.4 "Explain"). Needs to see the account (`Users:
/// View`, or `Service accounts: View` for a service account, in scope).
pub async fn account_access(
    db: &Db,
    catalog: &Catalog,
    me: &SignedIn,
    account_id: AccountId,
) -> Result<AccountAccess, AppError> {
    if !crate::access::may_list_accounts(&me.actor).is_allowed() {
        return Err(AppError::Forbidden);
    }
    let account = find_in_scope(db, Scope::of(&me.actor), account_id)
        .await?
        .filter(|a| {
            let target = crate::access::Target {
                tier: a.tier,
                tenant_id: a.tenant_id,
            };
            crate::access::may_view_account(&me.actor, target).is_allowed()
        })
        .ok_or(AppError::NotFound)?;
    let takes_roles = matches!(account.tier, Tier::User | Tier::ServiceAccount);
    let (Some(tenant), true) = (account.tenant_id, takes_roles) else {
        return Ok(AccountAccess {
            account_id,
            takes_roles: false,
            assignments: Vec::new(),
            places: Vec::new(),
            roles: Vec::new(),
            scopes: Vec::new(),
        });
    };
    let scopes = scopes_of(db, tenant).await?;
    let holdings = match account.tier {
        Tier::User | Tier::ServiceAccount => holdings(db, catalog, account_id, tenant).await?,
        _ => Holdings::default(),
    };
    let subject = crate::access::Actor {
        account_id,
        tier: account.tier,
        tenant_id: account.tenant_id,
        holdings,
        mfa: false,
    };
    let explainer = Explainer::new(catalog)
        .about_someone_else()
        .with_holdings(&subject.holdings)
        .with_scopes(scopes.iter().map(|s| (s.scope_id, s.name.clone())));
    let target = crate::access::Target {
        tier: account.tier,
        tenant_id: account.tenant_id,
    };
    let assignments = subject
        .holdings
        .roles
        .iter()
        .filter(|h| h.role.kind != RoleKind::Everyone)
        .map(|h| AssignmentView {
            role_id: h.role.role_id,
            role_name: h.role.name.clone(),
            scope: h
                .scope
                .and_then(|s| scopes.iter().find(|v| v.scope_id == s).cloned()),
            removable: may_assign(catalog, &me.actor, target, &h.role, h.scope),
        })
        .collect();
    let mut places = Vec::new();
    for scope in std::iter::once(None).chain(scopes.iter().map(Some)) {
        let at = match scope {
            None => At::Tenant(tenant),
            Some(s) => At::Scope(tenant, s.scope_id),
        };
        let privileges = catalog
            .privileges()
            .map(|p| {
                // What the account holds, whatever its session; a sensitive privilege says
                // that using it needs MFA.
                let decision = crate::access::holds_in_any_session(catalog, &subject, p, at);
                let mut why = explainer.explain(decision);
                if decision.is_allowed() && catalog.is_sensitive(p) {
                    why.push_str(
                        " It is sensitive: usable only in a session signed in with MFA, and its \
                         holder must have MFA on.",
                    );
                }
                PrivilegeAccess {
                    privilege: p,
                    label: catalog.label(p),
                    held: decision.is_allowed(),
                    why,
                }
            })
            .collect();
        places.push(PlaceAccess {
            scope: scope.cloned(),
            privileges,
        });
    }
    // What the viewer may assign, where: the same decision assign_role makes.
    let mut roles = Vec::new();
    for summary in summaries(db, tenant).await? {
        if summary.kind == RoleKind::Everyone {
            continue;
        }
        let stored = load_role(db, catalog, me, summary.role_id).await?;
        let places: Vec<Option<ScopeId>> = std::iter::once(None)
            .chain(scopes.iter().map(|s| Some(s.scope_id)))
            .filter(|&place| {
                may_assign(catalog, &me.actor, target, &stored.role, place).is_allowed()
            })
            .collect();
        if !places.is_empty() {
            roles.push(crate::roles::AssignableRole {
                role_id: summary.role_id,
                name: summary.name,
                places,
            });
        }
    }
    Ok(AccountAccess {
        account_id,
        takes_roles: true,
        assignments,
        places,
        roles,
        scopes,
    })
}
