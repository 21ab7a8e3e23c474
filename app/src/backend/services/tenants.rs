//! Tenants (client organisations): platform administrators create, configure, disable,
//! enable and delete them. Every change runs in one transaction with its audit record; a
//! refused one (anyone else trying) is audited with its reason ([`crate::backend::services::refusals`]).

use super::change::{Audited, Change};
use super::refusals;
use crate::access::{may_change_tenant_settings, may_manage_tenants, may_view_tenant_settings};
use crate::backend::request::Request;
use crate::backend::store::audit::{AuditAction, AuditTarget};
use crate::backend::store::db::{internal, is_unique_violation};
use crate::domain::{MfaPolicy, PasswordPreset, TenantId, TenantName};
use crate::error::{AppError, FieldErrors};
use crate::tenants::{TenantInput, TenantSettingsInput, TenantView};
use sqlx::any::AnyRow;
use sqlx::Row;

/// May the caller read tenants? Refused, it is told why (reads are not audited).
fn authorize(req: &Request) -> Result<(), AppError> {
    may_manage_tenants(req.actor()).into_result()?;
    Ok(())
}

/// [`authorize`] for a change (`action`): refused, the attempt is audited with its reason
/// (the tenant is not named: the caller may not see it).
async fn authorize_change(req: &Request, action: AuditAction) -> Result<(), AppError> {
    refusals::recorded(req, action, async {
        refusals::allowed(may_manage_tenants(req.actor()))
    })
    .await
}

const SELECT_TENANT: &str = "select t.tenant_id, t.name, t.status, t.mfa_policy, \
     t.password_policy, t.password_refuse_guessable, t.created_at, \
     (select count(*) from accounts a where a.tenant_id = t.tenant_id) as account_count \
     from tenants t";

fn decode(row: &AnyRow) -> Result<TenantView, sqlx::Error> {
    let policy: String = row.try_get("mfa_policy")?;
    Ok(TenantView {
        tenant_id: TenantId(row.try_get("tenant_id")?),
        name: row.try_get("name")?,
        active: row.try_get::<String, _>("status")? == "active",
        mfa_policy: MfaPolicy::parse(&policy).map_err(|e| sqlx::Error::Decode(e.into()))?,
        password_preset: {
            let preset: String = row.try_get("password_policy")?;
            PasswordPreset::parse(&preset).map_err(|e| sqlx::Error::Decode(e.into()))?
        },
        refuse_guessable: row.try_get::<String, _>("password_refuse_guessable")? == "on",
        account_count: row.try_get("account_count")?,
        created_at: row.try_get("created_at")?,
    })
}

async fn find<'e, E>(executor: E, id: TenantId) -> Result<Option<TenantView>, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let sql = format!("{SELECT_TENANT} where t.tenant_id = $1");
    let row = sqlx::query(&sql)
        .bind(id.0)
        .fetch_optional(executor)
        .await
        .map_err(internal("find tenant"))?;
    row.as_ref()
        .map(decode)
        .transpose()
        .map_err(internal("decode tenant"))
}

/// Every tenant with its number of accounts, by name.
pub async fn list(req: &Request) -> Result<Vec<TenantView>, AppError> {
    authorize(req)?;
    let sql = format!("{SELECT_TENANT} order by lower(t.name), t.tenant_id");
    let rows = sqlx::query(&sql)
        .fetch_all(req.db().pool())
        .await
        .map_err(internal("list tenants"))?;
    rows.iter()
        .map(decode)
        .collect::<Result<_, _>>()
        .map_err(internal("decode tenant"))
}

/// A tenant form, parsed.
struct Settings {
    name: TenantName,
    mfa_policy: MfaPolicy,
    /// The preset and the guessable-password check as stored (always on for Modern); `None`
    /// when the form did not send them.
    password: Option<(PasswordPreset, bool)>,
}

fn parse_form(form: &TenantInput) -> Result<Settings, AppError> {
    let mut errors = FieldErrors::new();
    let name = errors.check("name", TenantName::parse(&form.name));
    let policies = parse_policies(
        &mut errors,
        &form.mfa_policy,
        form.password_policy.as_deref(),
        form.refuse_guessable,
    );
    match (name, policies) {
        (Some(name), Some((mfa_policy, password))) => Ok(Settings {
            name,
            mfa_policy,
            password,
        }),
        _ => Err(AppError::Invalid(errors)),
    }
}

/// The MFA policy and the password preset with its guessable-password check as stored
/// (`None`: not sent), or `None` with `errors` naming the fields.
fn parse_policies(
    errors: &mut FieldErrors,
    mfa_policy: &str,
    password_policy: Option<&str>,
    refuse_guessable: bool,
) -> Option<(MfaPolicy, Option<(PasswordPreset, bool)>)> {
    let policy = errors.check("mfa_policy", MfaPolicy::parse(mfa_policy));
    let password = match password_policy {
        Some(value) => errors
            .check("password_policy", PasswordPreset::parse(value))
            .map(|p| Some((p, p.policy(refuse_guessable).refuse_guessable))),
        None => Some(None),
    };
    Some((policy?, password?))
}

fn on_off(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off"
    }
}

fn name_taken(e: sqlx::Error) -> AppError {
    if is_unique_violation(&e, "tenants_name_key") {
        AppError::field("name", "A tenant with this name already exists.")
    } else {
        internal("write tenant")(e)
    }
}

impl Audited for TenantView {
    fn audit_target(&self) -> AuditTarget {
        AuditTarget::Tenant {
            tenant_id: self.tenant_id,
            name: self.name.clone(),
        }
    }

    fn audit_tenant(&self) -> Option<TenantId> {
        Some(self.tenant_id)
    }

    fn audit_fields(&self) -> serde_json::Value {
        serde_json::json!({
            "name": self.name,
            "status": if self.active { "active" } else { "disabled" },
            "mfa_policy": self.mfa_policy.as_str(),
            "password_policy": self.password_preset.as_str(),
            "password_refuse_guessable": on_off(self.refuse_guessable),
        })
    }
}

/// Creates an active tenant with its MFA and password policies, and its starter roles.
pub async fn create(req: &Request, input: &TenantInput) -> Result<TenantView, AppError> {
    authorize_change(req, AuditAction::TenantCreated).await?;
    let settings = parse_form(input)?;
    let (preset, refuse_guessable) = settings.password.unwrap_or_default();
    let mut change = Change::begin(req, AuditAction::TenantCreated).await?;
    let id: i64 = sqlx::query_scalar(
        "insert into tenants (name, status, mfa_policy, password_policy, \
         password_refuse_guessable, created_at, updated_at) \
         values ($1, 'active', $2, $4, $5, $3, $3) returning tenant_id",
    )
    .bind(settings.name.as_ref())
    .bind(settings.mfa_policy.as_str())
    .bind(req.now)
    .bind(preset.as_str())
    .bind(on_off(refuse_guessable))
    .fetch_one(&mut **change.tx())
    .await
    .map_err(name_taken)?;
    let id = TenantId(id);
    super::roles::create_starter_roles(change.tx(), req.catalog(), id, req.now).await?;
    let tenant = find(&mut **change.tx(), id)
        .await?
        .ok_or(AppError::Internal)?;
    change.record(None, Some(&tenant)).await?;
    Ok(tenant)
}

/// Renames a tenant or changes its MFA or password policy. A new password policy applies to
/// passwords set from then on; passwords already set stay valid.
pub async fn update(
    req: &Request,
    id: TenantId,
    input: &TenantInput,
) -> Result<TenantView, AppError> {
    authorize_change(req, AuditAction::TenantUpdated).await?;
    let settings = parse_form(input)?;
    write(
        req,
        id,
        Some(settings.name),
        settings.mfa_policy,
        settings.password,
    )
    .await
}

/// The caller's own tenant, for reading its settings (`Tenant settings: View`).
pub async fn own(req: &Request) -> Result<TenantView, AppError> {
    may_view_tenant_settings(req.actor()).into_result()?;
    let id = req.actor().tenant_id.ok_or(AppError::NotFound)?;
    find(req.db().pool(), id).await?.ok_or(AppError::NotFound)
}

/// Changes the caller's own tenant's MFA and password policies (`Tenant settings: Edit`),
/// as [`update`] does; its name stays. Audited as a tenant update; a refused attempt with
/// its reason.
pub async fn update_own(
    req: &Request,
    input: &TenantSettingsInput,
) -> Result<TenantView, AppError> {
    refusals::recorded(req, AuditAction::TenantUpdated, async {
        refusals::allowed(may_change_tenant_settings(req.actor()))
    })
    .await?;
    let id = req.actor().tenant_id.ok_or(AppError::NotFound)?;
    let mut errors = FieldErrors::new();
    let Some((mfa_policy, password)) = parse_policies(
        &mut errors,
        &input.mfa_policy,
        input.password_policy.as_deref(),
        input.refuse_guessable,
    ) else {
        return Err(AppError::Invalid(errors));
    };
    write(req, id, None, mfa_policy, password).await
}

/// Writes tenant `id`'s name (`None`: unchanged) and policies (`password` `None`:
/// unchanged), in one audited change.
async fn write(
    req: &Request,
    id: TenantId,
    name: Option<TenantName>,
    mfa_policy: MfaPolicy,
    password: Option<(PasswordPreset, bool)>,
) -> Result<TenantView, AppError> {
    let mut change = Change::begin(req, AuditAction::TenantUpdated).await?;
    let before = find(&mut **change.tx(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (preset, refuse_guessable) =
        password.unwrap_or((before.password_preset, before.refuse_guessable));
    let name = name.map_or_else(|| before.name.clone(), |n| n.as_ref().to_owned());
    sqlx::query(
        "update tenants set name = $1, mfa_policy = $2, password_policy = $5, \
         password_refuse_guessable = $6, updated_at = $3 where tenant_id = $4",
    )
    .bind(name)
    .bind(mfa_policy.as_str())
    .bind(req.now)
    .bind(id.0)
    .bind(preset.as_str())
    .bind(on_off(refuse_guessable))
    .execute(&mut **change.tx())
    .await
    .map_err(name_taken)?;
    let after = find(&mut **change.tx(), id)
        .await?
        .ok_or(AppError::Internal)?;
    change.record(Some(&before), Some(&after)).await?;
    Ok(after)
}

/// Disables or enables a tenant. Every account of a disabled tenant is refused at its next
/// request, and its sessions end; nothing is deleted.
pub async fn set_active(req: &Request, id: TenantId, active: bool) -> Result<TenantView, AppError> {
    let action = if active {
        AuditAction::TenantEnabled
    } else {
        AuditAction::TenantDisabled
    };
    authorize_change(req, action).await?;
    let mut change = Change::begin(req, action).await?;
    let before = find(&mut **change.tx(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    sqlx::query("update tenants set status = $1, updated_at = $2 where tenant_id = $3")
        .bind(if active { "active" } else { "disabled" })
        .bind(req.now)
        .bind(id.0)
        .execute(&mut **change.tx())
        .await
        .map_err(internal("set tenant status"))?;
    if !active {
        // For good: enabling the tenant again revives none of its accounts' sessions.
        crate::backend::store::accounts::end_tenant_sessions(change.tx(), id).await?;
    }
    let after = find(&mut **change.tx(), id)
        .await?
        .ok_or(AppError::Internal)?;
    change.record(Some(&before), Some(&after)).await?;
    Ok(after)
}

/// Deletes a tenant that has no accounts; otherwise says why not.
pub async fn delete(req: &Request, id: TenantId) -> Result<(), AppError> {
    authorize_change(req, AuditAction::TenantDeleted).await?;
    let mut change = Change::begin(req, AuditAction::TenantDeleted).await?;
    let tenant = find(&mut **change.tx(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if tenant.account_count > 0 {
        let n = tenant.account_count;
        return Err(AppError::Conflict(format!(
            "“{}” still has {n} account{}. Delete them first: a tenant is deleted only when it is empty.",
            tenant.name,
            if n == 1 { "" } else { "s" }
        )));
    }
    sqlx::query("delete from tenants where tenant_id = $1")
        .bind(id.0)
        .execute(&mut **change.tx())
        .await
        .map_err(internal("delete tenant"))?;
    change.record(Some(&tenant), None).await
}
