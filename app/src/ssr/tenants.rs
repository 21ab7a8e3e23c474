//! Tenants (client organisations): platform administrators create, configure, disable,
//! enable and delete them. Every change runs in one transaction with its audit record; a
//! refused one (anyone else trying) is audited with its reason ([`super::refusals`]).

use super::accounts::internal;
use super::audit::{self, AuditAction, AuditEvent, AuditTarget, Outcome};
use super::db::{is_unique_violation, Db};
use super::refusals;
use super::sessions::SignedIn;
use crate::access::{may_manage_tenants, Catalog, Decision};
use crate::api::TenantView;
use crate::domain::{MfaPolicy, PasswordPolicy, PasswordPreset, TenantId, TenantName};
use crate::error::{AppError, FieldErrors};
use sqlx::any::AnyRow;
use sqlx::Row;
use std::net::IpAddr;

fn authorize(me: &SignedIn) -> Result<(), AppError> {
    match may_manage_tenants(&me.actor) {
        Decision::Allowed(_) => Ok(()),
        Decision::Denied(_) => Err(AppError::Forbidden),
    }
}

/// [`authorize`] for a change (`action`): refused, the attempt is audited with its reason
/// (the tenant is not named: the actor may not see it) and answered `Forbidden`.
async fn authorize_change(
    db: &Db,
    me: &SignedIn,
    action: AuditAction,
    client: IpAddr,
    now: i64,
) -> Result<(), AppError> {
    let attempt = refusals::Attempt::new(me, action, client, now);
    refusals::recorded(db, attempt, async {
        refusals::allowed(may_manage_tenants(&me.actor))
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
pub async fn list(db: &Db, me: &SignedIn) -> Result<Vec<TenantView>, AppError> {
    authorize(me)?;
    let sql = format!("{SELECT_TENANT} order by lower(t.name), t.tenant_id");
    let rows = sqlx::query(&sql)
        .fetch_all(db.pool())
        .await
        .map_err(internal("list tenants"))?;
    rows.iter()
        .map(decode)
        .collect::<Result<_, _>>()
        .map_err(internal("decode tenant"))
}

/// The raw fields of the tenant form.
pub struct TenantForm {
    pub name: String,
    pub mfa_policy: String,
    /// A [`PasswordPreset`]'s stored form; `None`: Default for a new tenant, unchanged for
    /// an existing one (and then `refuse_guessable` is ignored).
    pub password_policy: Option<String>,
    /// The guessable-password check for the Default and Strict presets (Modern has it always).
    pub refuse_guessable: bool,
}

/// A tenant form, parsed.
struct Settings {
    name: TenantName,
    mfa_policy: MfaPolicy,
    /// The preset and the guessable-password check as stored (always on for Modern); `None`
    /// when the form did not send them.
    password: Option<(PasswordPreset, bool)>,
}

fn parse_form(form: &TenantForm) -> Result<Settings, AppError> {
    let mut errors = FieldErrors::new();
    let name = errors.check("name", TenantName::parse(&form.name));
    let policy = errors.check("mfa_policy", MfaPolicy::parse(&form.mfa_policy));
    let password = match &form.password_policy {
        Some(value) => errors
            .check("password_policy", PasswordPreset::parse(value))
            .map(|p| Some((p, p.policy(form.refuse_guessable).refuse_guessable))),
        None => Some(None),
    };
    match (name, policy, password) {
        (Some(name), Some(mfa_policy), Some(password)) => Ok(Settings {
            name,
            mfa_policy,
            password,
        }),
        _ => Err(AppError::Invalid(errors)),
    }
}

fn on_off(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off"
    }
}

/// The password policy of accounts in `tenant` (SPEC §2.3) and the tenant's name (a context
/// word of the guessable-password check); for `None` (platform administrators), the platform
/// policy and no name. A tenant that does not exist answers "not found".
pub async fn password_rules(
    db: &Db,
    tenant: Option<TenantId>,
) -> Result<(PasswordPolicy, Option<String>), AppError> {
    let Some(id) = tenant else {
        return Ok((PasswordPolicy::platform(), None));
    };
    // Only the three columns: this runs for every row of an import, and `find` counts the
    // tenant's accounts.
    let row = sqlx::query(
        "select name, password_policy, password_refuse_guessable from tenants \
         where tenant_id = $1",
    )
    .bind(id.0)
    .fetch_optional(db.pool())
    .await
    .map_err(internal("read password policy"))?
    .ok_or(AppError::NotFound)?;
    let read = |row: &AnyRow| -> Result<(PasswordPolicy, Option<String>), sqlx::Error> {
        let preset: String = row.try_get("password_policy")?;
        let preset = PasswordPreset::parse(&preset).map_err(|e| sqlx::Error::Decode(e.into()))?;
        let guessable = row.try_get::<String, _>("password_refuse_guessable")? == "on";
        Ok((preset.policy(guessable), Some(row.try_get("name")?)))
    };
    read(&row).map_err(internal("decode password policy"))
}

fn name_taken(e: sqlx::Error) -> AppError {
    if is_unique_violation(&e, "tenants_name_key") {
        AppError::field("name", "A tenant with this name already exists.")
    } else {
        internal("write tenant")(e)
    }
}

fn event(action: AuditAction, me: &SignedIn, tenant: &TenantView, client: IpAddr) -> AuditEvent {
    let mut event = AuditEvent::new(action, Outcome::Success);
    event.tenant_id = Some(tenant.tenant_id);
    event.actor = Some(me.account.snapshot());
    event.target = Some(AuditTarget::Tenant {
        tenant_id: tenant.tenant_id,
        name: tenant.name.clone(),
    });
    event.client = Some(client);
    event
}

fn fields(t: &TenantView) -> serde_json::Value {
    serde_json::json!({
        "name": t.name,
        "status": if t.active { "active" } else { "disabled" },
        "mfa_policy": t.mfa_policy.as_str(),
        "password_policy": t.password_preset.as_str(),
        "password_refuse_guessable": on_off(t.refuse_guessable),
    })
}

/// Creates an active tenant with its MFA and password policies.
pub async fn create(
    db: &Db,
    catalog: &Catalog,
    me: &SignedIn,
    form: &TenantForm,
    client: IpAddr,
    now: i64,
) -> Result<TenantView, AppError> {
    authorize_change(db, me, AuditAction::TenantCreated, client, now).await?;
    let settings = parse_form(form)?;
    let (preset, refuse_guessable) = settings.password.unwrap_or_default();
    let mut tx = db
        .pool()
        .begin()
        .await
        .map_err(internal("begin create tenant"))?;
    let id: i64 = sqlx::query_scalar(
        "insert into tenants (name, status, mfa_policy, password_policy, \
         password_refuse_guessable, created_at, updated_at) \
         values ($1, 'active', $2, $4, $5, $3, $3) returning tenant_id",
    )
    .bind(settings.name.as_ref())
    .bind(settings.mfa_policy.as_str())
    .bind(now)
    .bind(preset.as_str())
    .bind(on_off(refuse_guessable))
    .fetch_one(&mut *tx)
    .await
    .map_err(name_taken)?;
    super::roles::create_starter_roles(&mut tx, catalog, TenantId(id), now).await?;
    let tenant = find(&mut *tx, TenantId(id))
        .await?
        .ok_or(AppError::Internal)?;
    let mut record = event(AuditAction::TenantCreated, me, &tenant, client);
    record.after = Some(fields(&tenant));
    audit::record(&mut *tx, &record, now).await?;
    tx.commit()
        .await
        .map_err(internal("commit create tenant"))?;
    Ok(tenant)
}

/// Renames a tenant or changes its MFA or password policy. A new password policy applies to
/// passwords set from then on; passwords already set stay valid.
pub async fn update(
    db: &Db,
    me: &SignedIn,
    id: TenantId,
    form: &TenantForm,
    client: IpAddr,
    now: i64,
) -> Result<TenantView, AppError> {
    authorize_change(db, me, AuditAction::TenantUpdated, client, now).await?;
    let settings = parse_form(form)?;
    let mut tx = db
        .pool()
        .begin()
        .await
        .map_err(internal("begin update tenant"))?;
    let before = find(&mut *tx, id).await?.ok_or(AppError::NotFound)?;
    let (preset, refuse_guessable) = settings
        .password
        .unwrap_or((before.password_preset, before.refuse_guessable));
    sqlx::query(
        "update tenants set name = $1, mfa_policy = $2, password_policy = $5, \
         password_refuse_guessable = $6, updated_at = $3 where tenant_id = $4",
    )
    .bind(settings.name.as_ref())
    .bind(settings.mfa_policy.as_str())
    .bind(now)
    .bind(id.0)
    .bind(preset.as_str())
    .bind(on_off(refuse_guessable))
    .execute(&mut *tx)
    .await
    .map_err(name_taken)?;
    let after = find(&mut *tx, id).await?.ok_or(AppError::Internal)?;
    let mut record = event(AuditAction::TenantUpdated, me, &after, client);
    record.before = Some(fields(&before));
    record.after = Some(fields(&after));
    audit::record(&mut *tx, &record, now).await?;
    tx.commit()
        .await
        .map_err(internal("commit update tenant"))?;
    Ok(after)
}

/// Disables or enables a tenant. Every account of a disabled tenant is refused at its next
/// request; nothing is deleted.
pub async fn set_active(
    db: &Db,
    me: &SignedIn,
    id: TenantId,
    active: bool,
    client: IpAddr,
    now: i64,
) -> Result<TenantView, AppError> {
    let action = if active {
        AuditAction::TenantEnabled
    } else {
        AuditAction::TenantDisabled
    };
    authorize_change(db, me, action, client, now).await?;
    let mut tx = db
        .pool()
        .begin()
        .await
        .map_err(internal("begin tenant status"))?;
    let before = find(&mut *tx, id).await?.ok_or(AppError::NotFound)?;
    sqlx::query("update tenants set status = $1, updated_at = $2 where tenant_id = $3")
        .bind(if active { "active" } else { "disabled" })
        .bind(now)
        .bind(id.0)
        .execute(&mut *tx)
        .await
        .map_err(internal("set tenant status"))?;
    if !active {
        // For good: enabling the tenant again revives none of its accounts' sessions.
        super::accounts::end_tenant_sessions(&mut tx, id).await?;
    }
    let after = find(&mut *tx, id).await?.ok_or(AppError::Internal)?;
    let mut record = event(action, me, &after, client);
    record.before = Some(fields(&before));
    record.after = Some(fields(&after));
    audit::record(&mut *tx, &record, now).await?;
    tx.commit()
        .await
        .map_err(internal("commit tenant status"))?;
    Ok(after)
}

/// Deletes a tenant that has no accounts; otherwise says why not.
pub async fn delete(
    db: &Db,
    me: &SignedIn,
    id: TenantId,
    client: IpAddr,
    now: i64,
) -> Result<(), AppError> {
    authorize_change(db, me, AuditAction::TenantDeleted, client, now).await?;
    let mut tx = db
        .pool()
        .begin()
        .await
        .map_err(internal("begin delete tenant"))?;
    let tenant = find(&mut *tx, id).await?.ok_or(AppError::NotFound)?;
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
        .execute(&mut *tx)
        .await
        .map_err(internal("delete tenant"))?;
    let mut record = event(AuditAction::TenantDeleted, me, &tenant, client);
    record.before = Some(fields(&tenant));
    audit::record(&mut *tx, &record, now).await?;
    tx.commit()
        .await
        .map_err(internal("commit delete tenant"))?;
    Ok(())
}
