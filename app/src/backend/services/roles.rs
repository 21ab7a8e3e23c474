//! Roles, scopes and assignments (SPEC §3): the roles every tenant starts with, and the
//! services that read and change a tenant's roles, scopes and who holds which role. Each
//! change is one [`Change`] with its audit record; a refused one (a privilege one lacks or
//! does not hold, the built-in role, another tenant's role, scope or account) is audited with
//! its reason through [`refusals::recorded`]. What an account holds, read on every request,
//! is in [`crate::backend::store::holdings`].

use super::change::{Audited, Change};
use super::refusals::{self, Failed, Refused};
use super::users::{self, find_in_scope, Scope};
use crate::access::templates::starter_roles;
use crate::access::{
    holds, holds_in_any_session, may_assign, may_change_grant, may_delete_role, may_edit_roles,
    may_list_accounts, may_view_account, may_view_roles, Action, Actor, At, Catalog, Decision,
    Explainer, Holdings, ObjectGrant, Privilege, PrivilegeSet, Refusal, ResourceId, Role, RoleKind,
    Target,
};
use crate::backend::request::Request;
use crate::backend::store::accounts::AccountRecord;
use crate::backend::store::audit::{AuditAction, AuditTarget};
use crate::backend::store::db::{internal, is_unique_violation, Db};
use crate::backend::store::holdings::holdings;
use crate::domain::{parse_description, AccountId, RoleId, ScopeId, ShortName, TenantId, Tier};
use crate::error::{AppError, FieldErrors};
use crate::roles::{
    AccountAccess, AssignableRole, AssignmentView, PlaceAccess, PrivilegeAccess, RoleDetail,
    RoleForm, RoleSummary, RolesPage, ScopeInput, ScopeView,
};
use sqlx::Row;

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
            .begin_write()
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

// ---- Reading: the tenant, a role, a scope, as the caller may see them ----

/// The tenant whose roles the caller works on: a platform administrator names one; anyone
/// else works on its own, and naming another is "not found", as for a tenant that does not
/// exist (refused as `OtherTenant`).
async fn tenant_of(
    req: &Request,
    requested: Option<TenantId>,
) -> Result<(TenantId, String), Failed> {
    let tenant = match (Scope::of(req.actor()), requested) {
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
        .fetch_optional(req.db().pool())
        .await
        .map_err(internal("find tenant"))?;
    Ok(name.map(|n| (tenant, n)).ok_or(AppError::NotFound)?)
}

/// Something of another tenant: answered "not found", recorded with the id the actor sent.
fn unseen(refusal: Refusal, requested: serde_json::Value) -> Refused {
    Refused::new(refusal, AppError::NotFound).attempting(requested)
}

/// Is `tenant` one the caller may see at all? Otherwise `what` (the id it sent) is "not
/// found", refused as `OtherTenant`.
fn visible(req: &Request, tenant: TenantId, what: serde_json::Value) -> Result<(), Failed> {
    match Scope::of(req.actor()) {
        Scope::AllTenants => Ok(()),
        Scope::Tenant(own) if own == tenant => Ok(()),
        _ => Err(unseen(Refusal::OtherTenant, what).into()),
    }
}

/// A stored role with its description.
struct StoredRole {
    role: Role,
    description: String,
}

/// Role `id` if the caller may see its tenant at all; otherwise "not found" (refused as
/// `OtherTenant` when the role exists).
async fn load_role(req: &Request, id: RoleId) -> Result<StoredRole, Failed> {
    let (db, catalog) = (req.db(), req.catalog());
    let row = sqlx::query(
        "select role_id, tenant_id, name, description, kind from roles where role_id = $1",
    )
    .bind(id.0)
    .fetch_optional(db.pool())
    .await
    .map_err(internal("find role"))?
    .ok_or(AppError::NotFound)?;
    let tenant = TenantId(row.try_get("tenant_id").map_err(internal("decode role"))?);
    visible(req, tenant, serde_json::json!({ "role_id": id.0 }))?;
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

/// A scope with the tenant it belongs to.
struct StoredScope {
    tenant_id: TenantId,
    scope: ScopeView,
}

/// Scope `id` and its tenant, if the caller may see that tenant; otherwise "not found"
/// (refused as `OtherTenant` when the scope exists).
async fn load_scope(req: &Request, id: ScopeId) -> Result<StoredScope, Failed> {
    let row = sqlx::query("select tenant_id, name, description from scopes where scope_id = $1")
        .bind(id.0)
        .fetch_optional(req.db().pool())
        .await
        .map_err(internal("find scope"))?
        .ok_or(AppError::NotFound)?;
    let tenant = TenantId(row.try_get("tenant_id").map_err(internal("decode scope"))?);
    visible(req, tenant, serde_json::json!({ "scope_id": id.0 }))?;
    Ok(StoredScope {
        tenant_id: tenant,
        scope: ScopeView {
            scope_id: id,
            name: row.try_get("name").map_err(internal("decode scope"))?,
            description: row
                .try_get("description")
                .map_err(internal("decode scope"))?,
        },
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

/// May `actor` create, rename and delete `tenant`'s scopes? Needs `Tenant settings: Edit`.
fn may_edit_scopes(catalog: &Catalog, actor: &Actor, tenant: TenantId) -> Decision {
    holds(
        catalog,
        actor,
        Privilege::On(ResourceId::TENANT_SETTINGS, Action::Edit),
        At::Tenant(tenant),
    )
}

/// A tenant's roles and scopes (a platform administrator names the tenant; anyone else gets
/// its own). Needs `Roles: View` in the tenant.
pub async fn page(req: &Request, tenant: Option<TenantId>) -> Result<RolesPage, AppError> {
    let (catalog, actor) = (req.catalog(), req.actor());
    let (tenant, tenant_name) = tenant_of(req, tenant).await?;
    may_view_roles(catalog, actor, tenant).into_result()?;
    Ok(RolesPage {
        tenant_id: tenant,
        tenant_name,
        roles: summaries(req.db(), tenant).await?,
        scopes: scopes_of(req.db(), tenant).await?,
        may_edit_roles: may_edit_roles(catalog, actor, tenant),
        may_edit_scopes: may_edit_scopes(catalog, actor, tenant),
    })
}

/// One role for the editor. Needs `Roles: View` in its tenant.
pub async fn detail(req: &Request, id: RoleId) -> Result<RoleDetail, AppError> {
    let (catalog, actor) = (req.catalog(), req.actor());
    let stored = load_role(req, id).await?;
    let tenant = stored.role.tenant_id;
    may_view_roles(catalog, actor, tenant).into_result()?;
    let grantable = catalog
        .privileges()
        .filter(|&p| holds(catalog, actor, p, At::Tenant(tenant)).is_allowed())
        .collect();
    let needs_mfa = catalog
        .privileges()
        .filter(|&p| {
            holds(catalog, actor, p, At::Tenant(tenant)) == Decision::Denied(Refusal::NeedsMfa(p))
        })
        .collect();
    let may_edit = match stored.role.kind {
        RoleKind::Administrators => Decision::Denied(Refusal::BuiltInRole),
        _ => may_edit_roles(catalog, actor, tenant),
    };
    Ok(RoleDetail {
        tenant_id: tenant,
        role_id: id,
        name: stored.role.name.clone(),
        description: stored.description,
        kind: stored.role.kind,
        granted: stored.role.granted.iter(catalog).collect(),
        object_grants: stored.role.object_grants.clone(),
        scopes: scopes_of(req.db(), tenant).await?,
        catalog: catalog.clone(),
        grantable,
        needs_mfa,
        may_edit,
        may_delete: may_delete_role(catalog, actor, &stored.role),
    })
}

// ---- Roles ----

/// A role as the audit trail records it: name, description, privilege keys, object grants
/// (each named by its scope).
struct RoleRecord {
    role_id: RoleId,
    tenant_id: TenantId,
    name: String,
    description: String,
    privileges: Vec<String>,
    object_grants: Vec<String>,
}

impl RoleRecord {
    /// `role` with `description`; its object grants name their scope from `scopes` (or by id).
    fn of(catalog: &Catalog, role: &Role, description: &str, scopes: &[ScopeView]) -> RoleRecord {
        let scope_name = |id: ScopeId| {
            scopes
                .iter()
                .find(|s| s.scope_id == id)
                .map_or_else(|| id.to_string(), |s| s.name.clone())
        };
        RoleRecord {
            role_id: role.role_id,
            tenant_id: role.tenant_id,
            name: role.name.clone(),
            description: description.to_owned(),
            privileges: role
                .granted
                .iter(catalog)
                .filter_map(|p| catalog.key(p))
                .collect(),
            object_grants: role
                .object_grants
                .iter()
                .map(|g| {
                    format!(
                        "{} on {}",
                        catalog.key(g.privilege).unwrap_or_default(),
                        scope_name(g.scope)
                    )
                })
                .collect(),
        }
    }
}

impl Audited for RoleRecord {
    fn audit_target(&self) -> AuditTarget {
        AuditTarget::Role {
            role_id: self.role_id,
            name: self.name.clone(),
        }
    }

    fn audit_tenant(&self) -> Option<TenantId> {
        Some(self.tenant_id)
    }

    fn audit_fields(&self) -> serde_json::Value {
        serde_json::json!({
            "name": self.name,
            "description": self.description,
            "privileges": self.privileges,
            "object_grants": self.object_grants,
        })
    }
}

fn role_target(role: &Role) -> AuditTarget {
    AuditTarget::Role {
        role_id: role.role_id,
        name: role.name.clone(),
    }
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

/// Creates a custom role from the role form, with its privileges and object grants, in
/// `tenant` (a platform administrator names it; anyone else creates in its own): one change,
/// one audit record. Needs Security Admin in the tenant, and every privilege granted held by
/// the actor where it applies (SPEC §3.4), as for [`update`]. The console creates roles
/// granting nothing and grants in the editor; the REST API may do both at once.
pub async fn create(
    req: &Request,
    tenant: Option<TenantId>,
    form: &RoleForm,
) -> Result<RoleId, AppError> {
    let action = AuditAction::RoleCreated;
    refusals::recorded(req, action, async {
        let catalog = req.catalog();
        let (tenant, _) = tenant_of(req, tenant).await?;
        refusals::allowed(may_edit_roles(catalog, req.actor(), tenant))?;
        let scopes = scopes_of(req.db(), tenant).await?;
        // What the form is checked against: an empty custom role of the tenant.
        let empty = Role::new(
            catalog,
            RoleId(0),
            tenant,
            form.name.trim(),
            RoleKind::Custom,
            PrivilegeSet::new(),
            Vec::new(),
        );
        let checked = check_form(req, &empty, &scopes, form)?;
        let mut change = Change::begin(req, action).await?;
        let id: i64 = sqlx::query_scalar(
            "insert into roles (tenant_id, name, description, kind, created_at, updated_at) \
             values ($1, $2, $3, 'custom', $4, $4) returning role_id",
        )
        .bind(tenant.0)
        .bind(checked.name.as_ref())
        .bind(&checked.description)
        .bind(req.now)
        .fetch_one(&mut **change.tx())
        .await
        .map_err(role_name_taken)?;
        let role = Role::new(
            catalog,
            RoleId(id),
            tenant,
            checked.name.as_ref(),
            RoleKind::Custom,
            checked.granted,
            checked.objects,
        );
        write_grants(&mut change, catalog, &PrivilegeSet::new(), &role).await?;
        let created = RoleRecord::of(catalog, &role, &checked.description, &scopes);
        change.record(None, Some(&created)).await?;
        Ok(role.role_id)
    })
    .await
}

/// A role form as checked: what the role becomes.
struct CheckedForm {
    name: ShortName,
    description: String,
    granted: PrivilegeSet,
    objects: Vec<ObjectGrant>,
}

/// Checks `form` as the new state of `old` (for a new role, an empty custom role of its
/// tenant): the name and description; every privilege in the catalog; object grants of View
/// or Approve on the tenant's own `scopes`; Everyone keeps its name; and the anti-escalation
/// rule, every privilege granted or taken away the actor's own where it applies (SPEC §3.4).
/// A change the actor may not make is refused with the first reason and answered
/// [`AppError::ForbiddenChange`], naming under its field every privilege concerned (and any
/// other field error); the record lists those privileges.
fn check_form(
    req: &Request,
    old: &Role,
    scopes: &[ScopeView],
    form: &RoleForm,
) -> Result<CheckedForm, Failed> {
    let (catalog, actor) = (req.catalog(), req.actor());
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
        let decision = may_change_grant(catalog, actor, old, p, None);
        if let Decision::Denied(why) = decision {
            refusal.get_or_insert(why);
            refused_privileges.push(catalog.label(p));
        }
        match decision {
            Decision::Allowed(_) => {}
            Decision::Denied(Refusal::NeedsMfa(_)) => errors.add(
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
            may_change_grant(catalog, actor, old, g.privilege, Some(g.scope))
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
        let answer = AppError::ForbiddenChange { refusal, errors };
        let attempted = serde_json::json!({ "privileges": refused_privileges });
        return Err(Refused::new(refusal, answer).attempting(attempted).into());
    }
    match (name, description) {
        (Some(name), Some(description)) if errors.is_empty() => Ok(CheckedForm {
            name,
            description,
            granted,
            objects,
        }),
        _ => Err(AppError::Invalid(errors).into()),
    }
}

/// Writes `role`'s privileges over `before` (what the role granted tenant-wide) and replaces
/// its object grants, in the change's transaction. Keys of privileges the catalog no longer
/// declares are kept (a deployment may bring its module back); only declared ones are
/// replaced.
async fn write_grants(
    change: &mut Change<'_>,
    catalog: &Catalog,
    before: &PrivilegeSet,
    role: &Role,
) -> Result<(), AppError> {
    let id = role.role_id;
    for p in catalog.privileges() {
        let Some(key) = catalog.key(p) else { continue };
        let sql = match (before.contains(p), role.granted.contains(p)) {
            (false, true) => "insert into role_privileges (role_id, privilege) values ($1, $2)",
            (true, false) => "delete from role_privileges where role_id = $1 and privilege = $2",
            _ => continue,
        };
        sqlx::query(sql)
            .bind(id.0)
            .bind(key)
            .execute(&mut **change.tx())
            .await
            .map_err(internal("write privilege"))?;
    }
    sqlx::query("delete from role_object_grants where role_id = $1")
        .bind(id.0)
        .execute(&mut **change.tx())
        .await
        .map_err(internal("clear object grants"))?;
    for g in &role.object_grants {
        sqlx::query(
            "insert into role_object_grants (role_id, scope_id, privilege) values ($1, $2, $3)",
        )
        .bind(id.0)
        .bind(g.scope.0)
        .bind(catalog.key(g.privilege).unwrap_or_default())
        .execute(&mut **change.tx())
        .await
        .map_err(internal("write object grant"))?;
    }
    Ok(())
}

/// Replaces a role's name, description, privileges and object grants. Needs Security Admin;
/// every privilege granted or taken away must be the actor's own where it applies (SPEC
/// §3.4, see [`check_form`]); the Administrators role cannot be changed, nor Everyone's name.
/// Audited, before and after.
pub async fn update(req: &Request, id: RoleId, form: &RoleForm) -> Result<(), AppError> {
    let action = AuditAction::RoleUpdated;
    refusals::recorded(req, action, async {
        let (catalog, actor) = (req.catalog(), req.actor());
        let stored = load_role(req, id).await?;
        let old = &stored.role;
        let tenant = old.tenant_id;
        let on_role = |failed: Failed| failed.at(role_target(old), Some(tenant));
        refusals::allowed(may_edit_roles(catalog, actor, tenant)).map_err(on_role)?;
        if old.kind == RoleKind::Administrators {
            return Err(on_role(Refused::forbidden(Refusal::BuiltInRole).into()));
        }
        let scopes = scopes_of(req.db(), tenant).await?;
        let checked = check_form(req, old, &scopes, form).map_err(on_role)?;
        let new = Role::new(
            catalog,
            id,
            tenant,
            checked.name.as_ref(),
            old.kind,
            checked.granted,
            checked.objects,
        );
        let before = RoleRecord::of(catalog, old, &stored.description, &scopes);
        let mut change = Change::begin(req, action).await?;
        sqlx::query(
            "update roles set name = $1, description = $2, updated_at = $3 where role_id = $4",
        )
        .bind(checked.name.as_ref())
        .bind(&checked.description)
        .bind(req.now)
        .bind(id.0)
        .execute(&mut **change.tx())
        .await
        .map_err(role_name_taken)?;
        write_grants(&mut change, catalog, &old.granted, &new).await?;
        let after = RoleRecord::of(catalog, &new, &checked.description, &scopes);
        change.record(Some(&before), Some(&after)).await?;
        Ok(())
    })
    .await
}

/// Deletes a custom role and its assignments. Needs Security Admin and every privilege the
/// role gives (deleting takes them from its holders); built-in roles stay. Audited.
/// Deletes a custom role; answers the tenant it belonged to.
pub async fn delete(req: &Request, id: RoleId) -> Result<TenantId, AppError> {
    let action = AuditAction::RoleDeleted;
    refusals::recorded(req, action, async {
        let (catalog, actor) = (req.catalog(), req.actor());
        let stored = load_role(req, id).await?;
        let role = &stored.role;
        let on_role = |failed: Failed| failed.at(role_target(role), Some(role.tenant_id));
        refusals::allowed(may_edit_roles(catalog, actor, role.tenant_id)).map_err(on_role)?;
        // A built-in role is refused here as `BuiltInRole`, like any change to it.
        refusals::allowed(may_delete_role(catalog, actor, role)).map_err(on_role)?;
        let scopes = scopes_of(req.db(), role.tenant_id).await?;
        let deleted = RoleRecord::of(catalog, role, &stored.description, &scopes);
        let mut change = Change::begin(req, action).await?;
        for table in [
            "role_assignments",
            "role_object_grants",
            "role_privileges",
            "roles",
        ] {
            sqlx::query(&format!("delete from {table} where role_id = $1"))
                .bind(id.0)
                .execute(&mut **change.tx())
                .await
                .map_err(internal("delete role"))?;
        }
        change.record(Some(&deleted), None).await?;
        Ok(role.tenant_id)
    })
    .await
}

// ---- Scopes ----

impl Audited for StoredScope {
    fn audit_target(&self) -> AuditTarget {
        AuditTarget::Scope {
            scope_id: self.scope.scope_id,
            name: self.scope.name.clone(),
        }
    }

    fn audit_tenant(&self) -> Option<TenantId> {
        Some(self.tenant_id)
    }

    fn audit_fields(&self) -> serde_json::Value {
        serde_json::json!({ "name": self.scope.name, "description": self.scope.description })
    }
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

/// Creates a scope from the scope form, in `tenant` (a platform administrator names it;
/// anyone else creates in its own). Needs `Tenant settings: Edit`; audited.
pub async fn create_scope(
    req: &Request,
    tenant: Option<TenantId>,
    input: &ScopeInput,
) -> Result<ScopeId, AppError> {
    let action = AuditAction::ScopeCreated;
    refusals::recorded(req, action, async {
        let (tenant, _) = tenant_of(req, tenant).await?;
        refusals::allowed(may_edit_scopes(req.catalog(), req.actor(), tenant))?;
        let (name, description) = input.parse()?;
        let mut change = Change::begin(req, action).await?;
        let id: i64 = sqlx::query_scalar(
            "insert into scopes (tenant_id, name, description, created_at, updated_at) \
             values ($1, $2, $3, $4, $4) returning scope_id",
        )
        .bind(tenant.0)
        .bind(name.as_ref())
        .bind(&description)
        .bind(req.now)
        .fetch_one(&mut **change.tx())
        .await
        .map_err(scope_name_taken)?;
        let created = StoredScope {
            tenant_id: tenant,
            scope: ScopeView {
                scope_id: ScopeId(id),
                name: name.as_ref().to_owned(),
                description,
            },
        };
        change.record(None, Some(&created)).await?;
        Ok(created.scope.scope_id)
    })
    .await
}

/// Renames a scope or changes its description, from the scope form. Needs `Tenant settings:
/// Edit`; audited.
/// Scope `id`, of a tenant whose roles and scopes the caller may see (`Roles: View`);
/// another tenant's is "not found". Reads only.
pub async fn scope(req: &Request, id: ScopeId) -> Result<ScopeView, AppError> {
    let stored = load_scope(req, id).await?;
    may_view_roles(req.catalog(), req.actor(), stored.tenant_id).into_result()?;
    Ok(stored.scope)
}

pub async fn update_scope(req: &Request, id: ScopeId, input: &ScopeInput) -> Result<(), AppError> {
    let action = AuditAction::ScopeUpdated;
    refusals::recorded(req, action, async {
        let before = load_scope(req, id).await?;
        let tenant = before.tenant_id;
        refusals::allowed(may_edit_scopes(req.catalog(), req.actor(), tenant))
            .map_err(|refused| refused.at(before.audit_target(), Some(tenant)))?;
        let (name, description) = input.parse()?;
        let after = StoredScope {
            tenant_id: tenant,
            scope: ScopeView {
                scope_id: id,
                name: name.as_ref().to_owned(),
                description,
            },
        };
        let mut change = Change::begin(req, action).await?;
        sqlx::query(
            "update scopes set name = $1, description = $2, updated_at = $3 where scope_id = $4",
        )
        .bind(&after.scope.name)
        .bind(&after.scope.description)
        .bind(req.now)
        .bind(id.0)
        .execute(&mut **change.tx())
        .await
        .map_err(scope_name_taken)?;
        change.record(Some(&before), Some(&after)).await?;
        Ok(())
    })
    .await
}

/// Deletes a scope, with the assignments and object grants made for it. Needs `Tenant
/// settings: Edit`, and every privilege those assignments and grants give (deleting takes
/// them away, SPEC §3.4). Audited.
pub async fn delete_scope(req: &Request, id: ScopeId) -> Result<(), AppError> {
    let action = AuditAction::ScopeDeleted;
    refusals::recorded(req, action, async {
        let (catalog, actor) = (req.catalog(), req.actor());
        let scope = load_scope(req, id).await?;
        let tenant = scope.tenant_id;
        let on_scope = |failed: Failed| failed.at(scope.audit_target(), Some(tenant));
        refusals::allowed(may_edit_scopes(catalog, actor, tenant)).map_err(on_scope)?;
        // What the scope's assignments and object grants give, the actor must hold there.
        let keys: Vec<String> = sqlx::query_scalar(
            "select p.privilege from role_privileges p join role_assignments a on a.role_id = p.role_id \
             where a.scope_id = $1 union select privilege from role_object_grants where scope_id = $1",
        )
        .bind(id.0)
        .fetch_all(req.db().pool())
        .await
        .map_err(internal("read scope grants"))?;
        for p in keys.iter().filter_map(|k| catalog.parse_key(k)) {
            if !holds(catalog, actor, p, At::Scope(tenant, id)).is_allowed() {
                // Deleting takes it away from whoever holds it there (SPEC §3.4).
                return Err(on_scope(
                    Refused::forbidden(Refusal::NotHeldByYou(p)).into(),
                ));
            }
        }
        let mut change = Change::begin(req, action).await?;
        for table in ["role_assignments", "role_object_grants", "scopes"] {
            sqlx::query(&format!("delete from {table} where scope_id = $1"))
                .bind(id.0)
                .execute(&mut **change.tx())
                .await
                .map_err(internal("delete scope"))?;
        }
        change.record(Some(&scope), None).await?;
        Ok(())
    })
    .await
}

// ---- Assignments ----

/// The account `id` as a target of role changes, in the caller's scope; otherwise "not
/// found".
async fn target_account(req: &Request, id: AccountId) -> Result<(AccountRecord, TenantId), Failed> {
    let account = users::in_scope(req, id).await?;
    let tenant = account.tenant_id.ok_or_else(|| {
        AppError::Conflict(
            "Platform administrators hold every privilege; they take no roles.".into(),
        )
    })?;
    Ok((account, tenant))
}

/// A role held by an account, tenant-wide or for a scope, as the audit trail records it: on
/// the account (created: assigned; deleted: taken away).
struct Assignment<'a> {
    account: &'a AccountRecord,
    tenant_id: TenantId,
    role: &'a Role,
    scope: Option<&'a ScopeView>,
}

impl Audited for Assignment<'_> {
    fn audit_target(&self) -> AuditTarget {
        AuditTarget::Account(self.account.snapshot())
    }

    fn audit_tenant(&self) -> Option<TenantId> {
        Some(self.tenant_id)
    }

    fn audit_fields(&self) -> serde_json::Value {
        serde_json::json!({
            "role": self.role.name,
            "scope": self.scope.map_or("tenant-wide", |s| s.name.as_str()),
        })
    }
}

/// Gives `account` the role `role_id`, tenant-wide or for `scope`. Needs to be able to change
/// the account and to hold everything the role gives there (SPEC §3.4). Audited on the
/// account. Takes effect on the account's next request.
pub async fn assign(
    req: &Request,
    account_id: AccountId,
    role_id: RoleId,
    scope: Option<ScopeId>,
) -> Result<(), AppError> {
    change_assignment(req, account_id, role_id, scope, true).await
}

/// Takes the role `role_id` (tenant-wide, or for `scope`) from `account`. The same rule as
/// [`assign`]: nobody takes away what they could not give. Audited on the account.
pub async fn unassign(
    req: &Request,
    account_id: AccountId,
    role_id: RoleId,
    scope: Option<ScopeId>,
) -> Result<(), AppError> {
    change_assignment(req, account_id, role_id, scope, false).await
}

/// [`assign`] (`give`) or [`unassign`].
async fn change_assignment(
    req: &Request,
    account_id: AccountId,
    role_id: RoleId,
    scope: Option<ScopeId>,
    give: bool,
) -> Result<(), AppError> {
    let action = if give {
        AuditAction::RoleAssigned
    } else {
        AuditAction::RoleUnassigned
    };
    refusals::recorded(req, action, async {
        let (account, tenant) = target_account(req, account_id).await?;
        let stored = load_role(req, role_id).await?;
        if stored.role.tenant_id != tenant {
            return Err(AppError::NotFound.into());
        }
        let scope_view = match scope {
            Some(s) => {
                let found = load_scope(req, s).await?;
                if found.tenant_id != tenant {
                    return Err(AppError::NotFound.into());
                }
                Some(found.scope)
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
            )
            .into());
        }
        let assignment = Assignment {
            account: &account,
            tenant_id: tenant,
            role: &stored.role,
            scope: scope_view.as_ref(),
        };
        let target = Target {
            tier: account.tier,
            tenant_id: account.tenant_id,
        };
        refusals::allowed(may_assign(req.catalog(), req.actor(), target, &stored.role, scope))
            .map_err(|refused| {
                refused
                    .at_account(&account)
                    .attempting(assignment.audit_fields())
            })?;
        let mut change = Change::begin(req, action).await?;
        let changed = if give {
            let exists: i64 = sqlx::query_scalar(
                "select count(*) from role_assignments where account_id = $1 and role_id = $2 \
                 and coalesce(scope_id, 0) = $3",
            )
            .bind(account_id.0)
            .bind(role_id.0)
            .bind(scope.map_or(0, |s| s.0))
            .fetch_one(&mut **change.tx())
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
            .bind(req.now)
            .execute(&mut **change.tx())
            .await
            .map_err(|e| {
                // Given at the same moment by another request: held already, as above.
                if is_unique_violation(&e, "role_assignments_key") {
                    AppError::Conflict(format!(
                        "{} already holds “{}” there.",
                        account.username, stored.role.name
                    ))
                } else {
                    internal("assign role")(e)
                }
            })?
            .rows_affected()
        } else {
            sqlx::query(
                "delete from role_assignments where account_id = $1 and role_id = $2 \
                 and coalesce(scope_id, 0) = $3",
            )
            .bind(account_id.0)
            .bind(role_id.0)
            .bind(scope.map_or(0, |s| s.0))
            .execute(&mut **change.tx())
            .await
            .map_err(internal("remove assignment"))?
            .rows_affected()
        };
        if changed == 0 {
            return Err(AppError::NotFound.into());
        }
        if give {
            change.record(None, Some(&assignment)).await?;
        } else {
            change.record(Some(&assignment), None).await?;
        }
        Ok(())
    })
    .await
}

/// An account's roles and, for every privilege of the catalog, tenant-wide and in each scope,
/// whether it holds it and why (SPEC §3.4 "Explain"). Needs to see the account (`Users:
/// View`, or `Service accounts: View` for a service account, in scope).
pub async fn account_access(
    req: &Request,
    account_id: AccountId,
) -> Result<AccountAccess, AppError> {
    let (db, catalog, actor) = (req.db(), req.catalog(), req.actor());
    may_list_accounts(actor).into_result()?;
    let account = find_in_scope(db, Scope::of(actor), account_id)
        .await?
        .filter(|a| {
            let target = Target {
                tier: a.tier,
                tenant_id: a.tenant_id,
            };
            may_view_account(actor, target).is_allowed()
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
    let subject = Actor {
        account_id,
        tier: account.tier,
        tenant_id: account.tenant_id,
        holdings,
        mfa: false,
    };
    let explainer = Explainer::new(catalog)
        .about_someone_else()
        .with_holdings(&subject.holdings)
        .with_scopes(scopes.iter().map(|s| (s.scope_id, s.name.as_str())));
    let target = Target {
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
            removable: may_assign(catalog, actor, target, &h.role, h.scope),
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
                let decision = holds_in_any_session(catalog, &subject, p, at);
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
        let stored = load_role(req, summary.role_id).await?;
        let places: Vec<Option<ScopeId>> = std::iter::once(None)
            .chain(scopes.iter().map(|s| Some(s.scope_id)))
            .filter(|&place| may_assign(catalog, actor, target, &stored.role, place).is_allowed())
            .collect();
        if !places.is_empty() {
            roles.push(AssignableRole {
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
