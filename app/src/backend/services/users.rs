//! Accounts of every tier (SPEC §1–§2): create, edit, disable, enable, delete. The actor's
//! tenant comes from the session: repository reads take a [`Scope`] first, and an account
//! outside it is "not found". Every change runs in one transaction with its audit record; a
//! refused one is audited with its reason once that transaction rolled back
//! ([`crate::backend::services::refusals`]), and answered as it always was.

use super::change::{Audited, Change};
use super::refusals::{self, Failed, Refused};
use crate::access::{may_manage, may_manage_with, Action, Actor, Decision, Refusal, Target};
use crate::accounts::AccountInput;
use crate::backend::request::Request;
use crate::backend::security::crypto;
use crate::backend::store::accounts::AccountRecord;
use crate::backend::store::audit::{self, AuditAction, AuditTarget};
use crate::backend::store::db::{internal, is_unique_violation, Db};
use crate::domain::*;
use crate::error::{AppError, FieldErrors};

/// Which accounts an actor can see at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// A platform administrator: every tenant, and the platform itself.
    AllTenants,
    Tenant(TenantId),
    /// An account with no tenant that is not a platform administrator: sees nothing.
    Nothing,
}

impl Scope {
    pub fn of(actor: &Actor) -> Scope {
        match (actor.tier, actor.tenant_id) {
            (Tier::PlatformAdmin, _) => Scope::AllTenants,
            (_, Some(tenant)) => Scope::Tenant(tenant),
            (_, None) => Scope::Nothing,
        }
    }
}

/// The account `id` if it lies within `scope`.
pub async fn find_in_scope(
    db: &Db,
    scope: Scope,
    id: AccountId,
) -> Result<Option<AccountRecord>, AppError> {
    let found = crate::backend::store::accounts::find_for_session(db, id).await?;
    Ok(found.filter(|a| match scope {
        Scope::AllTenants => true,
        Scope::Tenant(t) => a.tenant_id == Some(t),
        Scope::Nothing => false,
    }))
}

/// May `actor` create an account of `tier` in `tenant_id`? Refused, the record names the
/// account as typed.
fn authorize(
    actor: &Actor,
    tier: Tier,
    tenant_id: Option<TenantId>,
    username: &str,
) -> Result<(), Failed> {
    refusals::allowed(may_manage(actor, Target { tier, tenant_id })).map_err(|refused| {
        refused
            .at(
                AuditTarget::TypedName(audit::typed_username(username)),
                tenant_id,
            )
            .attempting(serde_json::json!({ "tier": tier.as_str() }))
    })
}

/// The editable fields, parsed.
struct Details {
    email: Email,
    full_name: FullName,
    job_title: Option<String>,
    country_code: Option<String>,
    phone: Option<String>,
    expires_at: Option<i64>,
    ref_id_1: Option<String>,
    ref_id_2: Option<String>,
    external_id: Option<String>,
}

/// `current_expiry`: the account's expiration when editing. Submitting its day unchanged keeps
/// it, even once passed (editing an expired account's phone number must not fail on its date).
fn parse_details(
    form: &AccountInput,
    errors: &mut FieldErrors,
    now: i64,
    current_expiry: Option<i64>,
) -> Option<Details> {
    let email = errors.check("email", Email::parse(&form.email));
    let full_name = errors.check("full_name", FullName::parse(&form.full_name));
    let job_title = errors.check("job_title", parse_optional_text(&form.job_title, 100));
    let country_code = errors.check("country_code", parse_country_code(&form.country_code));
    let phone =
        errors
            .check("phone", parse_phone(&form.phone))
            .and_then(|phone| match &country_code {
                Some(code) => errors.check("phone", phone_with_country(code.as_deref(), phone)),
                None => Some(phone),
            });
    let unchanged = current_expiry
        .filter(|&at| form.expires_on.trim() == crate::domain::last_valid_day(at))
        .map(|at| Ok(Some(at)));
    let expires_at = errors.check(
        "expires_on",
        unchanged.unwrap_or_else(|| parse_expiration(&form.expires_on, now)),
    );
    let ref_id_1 = errors.check("ref_id_1", parse_reference(&form.ref_id_1, 100));
    let ref_id_2 = errors.check("ref_id_2", parse_reference(&form.ref_id_2, 100));
    let external_id = errors.check("external_id", parse_reference(&form.external_id, 60));
    Some(Details {
        email: email?,
        full_name: full_name?,
        job_title: job_title?,
        country_code: country_code?,
        phone: phone?,
        expires_at: expires_at?,
        ref_id_1: ref_id_1?,
        ref_id_2: ref_id_2?,
        external_id: external_id?,
    })
}

/// The field error of a uniqueness violation, or `Internal`. Each index is recognised by its
/// name (PostgreSQL, and SQLite for an index on an expression) or by its columns (SQLite,
/// for an index on plain columns: "UNIQUE constraint failed: accounts.tenant_id,
/// accounts.external_id").
fn uniqueness(e: sqlx::Error) -> AppError {
    for (names, field, message) in [
        (
            &["accounts_username_key"][..],
            "username",
            "This username is already taken.",
        ),
        (
            &[
                "accounts_email_folded_key",
                "accounts.email_key",
                "accounts_email_key",
            ][..],
            "email",
            "An account with this email address already exists.",
        ),
        (
            &["accounts_external_id_key", "accounts.external_id"][..],
            "external_id",
            "Another account of this tenant has this external ID.",
        ),
    ] {
        if names.iter().any(|name| is_unique_violation(&e, name)) {
            return AppError::field(field, message);
        }
    }
    internal("write account")(e)
}

/// An account as the audit trail records it, before and after a change.
impl Audited for AccountRecord {
    fn audit_target(&self) -> AuditTarget {
        AuditTarget::Account(self.snapshot())
    }

    fn audit_tenant(&self) -> Option<TenantId> {
        self.tenant_id
    }

    fn audit_fields(&self) -> serde_json::Value {
        snapshot_json(self)
    }
}

/// Every field of an account as the audit trail records it, before and after a change (no
/// secrets: neither the password hash nor the session version).
fn snapshot_json(a: &AccountRecord) -> serde_json::Value {
    serde_json::json!({
        "username": a.username,
        "email": a.email,
        "full_name": a.full_name,
        "job_title": a.job_title,
        "country_code": a.country_code,
        "phone": a.phone,
        "ref_id_1": a.ref_id_1,
        "ref_id_2": a.ref_id_2,
        "external_id": a.external_id,
        "tier": a.tier.as_str(),
        "tenant_id": a.tenant_id.map(|t| t.0),
        "status": a.status.as_str(),
        "expires_at": a.expires_at,
    })
}

/// Creates an account of a tier the caller may manage. People start as "Must change
/// password" with the temporary password given; service accounts start active, without one.
/// Audited; a refused attempt is audited with its reason.
pub async fn create(req: &Request, input: &AccountInput) -> Result<AccountId, AppError> {
    let new = refusals::recorded(req, AuditAction::AccountCreated, prepare(req, input)).await?;
    let password_hash = match &new.password {
        Some(p) => Some(req.state.hasher.hash(p.expose().to_owned()).await?),
        None => None,
    };
    insert(req, new, password_hash).await
}

/// A new account that passed every rule and the actor may create.
pub struct NewAccount {
    tier: Tier,
    tenant_id: Option<TenantId>,
    username: Username,
    details: Details,
    password: Option<Password>,
}

impl NewAccount {
    /// The temporary password to hash (people only).
    pub fn password(&self) -> Option<&Password> {
        self.password.as_ref()
    }
}

/// Checks a creation form field by field and authorizes it: the field errors, a refusal
/// (with its reason), or the validated account. Nothing is written, nor audited: the caller
/// records a refusal if its attempt counts as one ([`refusals::recorded`]), or answers it
/// (`?` into an [`AppError`]).
pub async fn prepare(req: &Request, form: &AccountInput) -> Result<NewAccount, Failed> {
    let (db, actor) = (req.db(), req.actor());
    let mut errors = FieldErrors::new();
    let tier = errors.check("tier", Tier::parse(&form.tier));
    // The tenant comes from the session; only a platform administrator chooses one.
    let tenant_id = match (tier, actor.tier) {
        (None | Some(Tier::PlatformAdmin), _) => None,
        (Some(_), Tier::PlatformAdmin) => {
            let chosen = form.tenant_id.trim().parse::<i64>().ok().map(TenantId);
            let exists = match chosen {
                Some(id) => {
                    sqlx::query_scalar::<_, i64>(
                        "select count(*) from tenants where tenant_id = $1",
                    )
                    .bind(id.0)
                    .fetch_one(db.pool())
                    .await
                    .map_err(internal("check tenant"))?
                        > 0
                }
                None => false,
            };
            if !exists {
                errors.add("tenant_id", "Choose a tenant.");
            }
            chosen.filter(|_| exists)
        }
        (Some(_), _) => actor.tenant_id,
    };
    if let Some(tier) = tier {
        if tier != Tier::PlatformAdmin && tenant_id.is_none() && !errors.0.contains_key("tenant_id")
        {
            return Err(Refused::forbidden(Refusal::TenantMismatch).into());
        }
        if !errors.0.contains_key("tenant_id") {
            authorize(actor, tier, tenant_id, &form.username)?;
        }
    }
    let username = errors.check("username", Username::parse(&form.username));
    let details = parse_details(form, &mut errors, req.now, None);
    let is_person = tier != Some(Tier::ServiceAccount);
    let password = if is_person {
        // The new account's tenant's policy; the platform policy for a platform
        // administrator (or when the tier is unreadable and no tenant is known).
        let tenant = match tier {
            Some(Tier::PlatformAdmin) => None,
            _ => tenant_id.or(actor.tenant_id),
        };
        let (policy, tenant_name) =
            crate::backend::store::tenants::password_rules(db, tenant).await?;
        let context = crate::backend::security::passwords::PasswordContext {
            username: form.username.trim(),
            email: form.email.trim(),
            full_name: form.full_name.trim(),
            tenant_name: tenant_name.as_deref(),
        };
        errors.check(
            "password",
            crate::backend::security::passwords::check_new_password(
                &form.password,
                &policy,
                &context,
            )
            .await?,
        )
    } else {
        None
    };
    errors.clone().into_result()?;
    let (Some(tier), Some(username), Some(details)) = (tier, username, details) else {
        return Err(AppError::Invalid(errors).into());
    };
    Ok(NewAccount {
        tier,
        tenant_id,
        username,
        details,
        password,
    })
}

/// Field errors for a new account's values that other accounts already hold (username and
/// email anywhere, external ID in its tenant). The database's unique indexes stay the final
/// word; this answers before anything is written (an import's check).
pub async fn conflicts(req: &Request, new: &NewAccount) -> Result<FieldErrors, AppError> {
    let db = req.db();
    let mut errors = FieldErrors::new();
    let taken = |sql: &'static str, value: String| async move {
        sqlx::query_scalar::<_, i64>(sql)
            .bind(value)
            .fetch_one(db.pool())
            .await
            .map_err(internal("check uniqueness"))
    };
    if taken(
        "select count(*) from accounts where lower(username) = $1",
        new.username.key(),
    )
    .await?
        > 0
    {
        errors.add("username", "This username is already taken.");
    }
    if taken(
        "select count(*) from accounts where email_key = $1",
        new.details.email.key(),
    )
    .await?
        > 0
    {
        errors.add(
            "email",
            "An account with this email address already exists.",
        );
    }
    if let (Some(external), Some(tenant)) = (&new.details.external_id, new.tenant_id) {
        let count: i64 = sqlx::query_scalar(
            "select count(*) from accounts where tenant_id = $1 and external_id = $2",
        )
        .bind(tenant.0)
        .bind(external.clone())
        .fetch_one(db.pool())
        .await
        .map_err(internal("check external id"))?;
        if count > 0 {
            errors.add(
                "external_id",
                "Another account of this tenant has this external ID.",
            );
        }
    }
    Ok(errors)
}

/// Writes a prepared account, its search terms and its audit record in one transaction.
/// `password_hash` is the hash of [`NewAccount::password`] (people only).
pub async fn insert(
    req: &Request,
    new: NewAccount,
    password_hash: Option<String>,
) -> Result<AccountId, AppError> {
    let NewAccount {
        tier,
        tenant_id,
        username,
        details: d,
        password: _,
    } = new;
    let is_person = tier != Tier::ServiceAccount;
    let status = if is_person {
        AccountStatus::MustChangePassword
    } else {
        AccountStatus::Active
    };
    let mut change = Change::begin(req, AuditAction::AccountCreated).await?;
    let id: i64 = sqlx::query_scalar(
        "insert into accounts (tenant_id, tier, username, email, email_key, full_name, job_title, \
         country_code, phone, ref_id_1, ref_id_2, external_id, status, password_hash, jwt_version, \
         expires_at, created_at, updated_at) \
         values ($1, $2, $3, $4, $17, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16) \
         returning account_id",
    )
    .bind(tenant_id.map(|t| t.0))
    .bind(tier.as_str())
    .bind(username.as_ref())
    .bind(d.email.as_ref())
    .bind(d.full_name.as_ref())
    .bind(d.job_title)
    .bind(d.country_code)
    .bind(d.phone)
    .bind(d.ref_id_1)
    .bind(d.ref_id_2)
    .bind(d.external_id.clone())
    .bind(status.as_str())
    .bind(password_hash)
    .bind(crypto::random_token(16))
    .bind(d.expires_at)
    .bind(req.now)
    .bind(d.email.key())
    .fetch_one(&mut **change.tx())
    .await
    .map_err(uniqueness)?;
    let id = AccountId(id);
    crate::backend::store::search::write_search_terms(
        change.tx(),
        &crate::backend::store::search::Searchable {
            account_id: id,
            tenant_id,
            username: username.as_ref(),
            email: d.email.as_ref(),
            full_name: d.full_name.as_ref(),
            external_id: d.external_id.as_deref(),
        },
    )
    .await?;
    // The record as stored, so that every field is in the audit.
    let created = crate::backend::store::accounts::find_with(&mut **change.tx(), id)
        .await?
        .ok_or(AppError::Internal)?;
    change.record(None, Some(&created)).await?;
    Ok(id)
}

/// The account `id` if it lies within the caller's scope. One that exists outside it is "not
/// found", exactly like one that does not exist, but refused as `OtherTenant` (recorded
/// without naming it: only the id the caller sent).
pub(crate) async fn in_scope(req: &Request, id: AccountId) -> Result<AccountRecord, Failed> {
    let found = crate::backend::store::accounts::find_for_session(req.db(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let inside = match Scope::of(req.actor()) {
        Scope::AllTenants => true,
        Scope::Tenant(t) => found.tenant_id == Some(t),
        Scope::Nothing => false,
    };
    if inside {
        Ok(found)
    } else {
        Err(unseen_account(Refusal::OtherTenant, id).into())
    }
}

/// An account the actor may not see: answered "not found", recorded with the id it sent.
fn unseen_account(refusal: Refusal, id: AccountId) -> Refused {
    Refused::new(refusal, AppError::NotFound).attempting(serde_json::json!({ "account_id": id.0 }))
}

/// A target the caller may do `action` to (Edit or Delete on its resource, within the tier
/// ceiling), or "not found" (outside its scope) / "forbidden", each refused with its reason.
async fn managed_target(
    req: &Request,
    id: AccountId,
    action: Action,
) -> Result<AccountRecord, Failed> {
    let target = in_scope(req, id).await?;
    let decision = may_manage_with(
        req.actor(),
        Target {
            tier: target.tier,
            tenant_id: target.tenant_id,
        },
        action,
    );
    refusals::allowed(decision).map_err(|refused| refused.at_account(&target))?;
    Ok(target)
}

/// The account `id` for an action that `decide` allows to only some: "not found" when it is
/// outside the caller's scope or of a tier the caller may not see (exactly as for an account
/// that does not exist), "forbidden" when it is seen but `decide` refuses; each refused
/// with its reason, naming the account only when the caller may see it.
pub(crate) async fn visible_target(
    req: &Request,
    id: AccountId,
    decide: fn(&Actor, Target) -> Decision,
) -> Result<AccountRecord, Failed> {
    let account = in_scope(req, id).await?;
    let target = Target {
        tier: account.tier,
        tenant_id: account.tenant_id,
    };
    if let Decision::Denied(refusal) = crate::access::may_view_account(req.actor(), target) {
        return Err(unseen_account(refusal, id).into());
    }
    refusals::allowed(decide(req.actor(), target))
        .map_err(|refused| refused.at_account(&account))?;
    Ok(account)
}

/// Changes the editable fields (not username or tier) of an account the caller may manage.
/// Nobody sets an expiration date on their own account. Audited; a refused attempt is
/// audited with its reason.
pub async fn update(req: &Request, id: AccountId, input: &AccountInput) -> Result<(), AppError> {
    refusals::recorded(req, AuditAction::AccountUpdated, async {
        let before = managed_target(req, id, Action::Edit).await?;
        let mut errors = FieldErrors::new();
        let d = parse_details(input, &mut errors, req.now, before.expires_at);
        if let Some(d) = &d {
            if id == req.actor().account_id
                && d.expires_at.is_some()
                && d.expires_at != before.expires_at
            {
                errors.add(
                    "expires_on",
                    "You cannot set an expiration date on your own account.",
                );
                return Err(
                    Refused::new(Refusal::SelfRemoval, AppError::Invalid(errors))
                        .at_account(&before)
                        .into(),
                );
            }
        }
        errors.clone().into_result()?;
        let Some(d) = d else {
            return Err(AppError::Invalid(errors).into());
        };
        let mut change = Change::begin(req, AuditAction::AccountUpdated).await?;
        lock_administrators(change.tx(), req.db().backend(), &before).await?;
        sqlx::query(
            "update accounts set email = $1, full_name = $2, job_title = $3, country_code = $4, \
             phone = $5, expires_at = $6, ref_id_1 = $7, ref_id_2 = $8, external_id = $9, \
             updated_at = $10, email_key = $12 where account_id = $11",
        )
        .bind(d.email.as_ref())
        .bind(d.full_name.as_ref())
        .bind(d.job_title.clone())
        .bind(d.country_code)
        .bind(d.phone)
        .bind(d.expires_at)
        .bind(d.ref_id_1)
        .bind(d.ref_id_2)
        .bind(d.external_id.clone())
        .bind(req.now)
        .bind(id.0)
        .bind(d.email.key())
        .execute(&mut **change.tx())
        .await
        .map_err(uniqueness)?;
        if d.expires_at
            .is_some_and(|at| before.expires_at.is_none_or(|was| at < was))
        {
            // A shorter life: sessions end now, and are not revived if it is lengthened again.
            crate::backend::store::accounts::end_all_sessions(change.tx(), id).await?;
            if d.expires_at.is_some_and(|at| at <= req.now) {
                ensure_an_administrator_remains(change.tx(), &before, req.now, "expired").await?;
            }
        }
        crate::backend::store::search::write_search_terms(
            change.tx(),
            &crate::backend::store::search::Searchable {
                account_id: id,
                tenant_id: before.tenant_id,
                username: &before.username,
                email: d.email.as_ref(),
                full_name: d.full_name.as_ref(),
                external_id: d.external_id.as_deref(),
            },
        )
        .await?;
        // Read back as stored, so that every field is compared, before and after.
        let after = crate::backend::store::accounts::find_with(&mut **change.tx(), id)
            .await?
            .ok_or(AppError::NotFound)?;
        change.record(Some(&before), Some(&after)).await?;
        Ok(())
    })
    .await
}

/// Refuses removing (deleting, disabling, expiring) the actor itself (SPEC §2.2). `what`
/// completes "You cannot … your own account."
fn refuse_self_removal(actor: &Actor, target: &AccountRecord, what: &str) -> Result<(), Failed> {
    if target.account_id == actor.account_id {
        return Err(Refused::new(
            Refusal::SelfRemoval,
            AppError::Conflict(format!("You cannot {what} your own account.")),
        )
        .at_account(target)
        .into());
    }
    Ok(())
}

/// Which administrators stand for `target` when it is removed: the `where` condition (with
/// `$2` for its tenant, if any) and how they are named; `None` for users and service
/// accounts.
fn administrators_like(target: &AccountRecord) -> Option<(&'static str, &'static str)> {
    match target.tier {
        Tier::PlatformAdmin => Some(("tier = 'platform_admin'", "platform administrator")),
        Tier::TenantAdmin => Some((
            "tier = 'tenant_admin' and tenant_id = $2",
            "tenant administrator of its tenant",
        )),
        Tier::User | Tier::ServiceAccount => None,
    }
}

/// Before `target` is deleted, disabled or expired inside `tx`, on PostgreSQL: locks the
/// rows of every administrator of its kind (in one order), so that concurrent removals run
/// one after the other and each sees the other's result. SQLite needs no lock: the write that
/// follows holds the database's write lock until commit.
async fn lock_administrators(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: crate::backend::store::db::Backend,
    target: &AccountRecord,
) -> Result<(), AppError> {
    let Some((scope, _)) = administrators_like(target) else {
        return Ok(());
    };
    if backend != crate::backend::store::db::Backend::Postgres {
        return Ok(());
    }
    let sql = format!(
        "select account_id from accounts where {scope} and $1 = $1 order by account_id for update"
    );
    let mut query = sqlx::query_scalar::<_, i64>(&sql).bind(0_i64);
    if target.tier == Tier::TenantAdmin {
        query = query.bind(target.tenant_id.map(|t| t.0));
    }
    query
        .fetch_all(&mut **tx)
        .await
        .map_err(internal("lock administrators"))?;
    Ok(())
}

/// After `target` was deleted, disabled or expired inside `tx` (with
/// [`lock_administrators`] before): refuses (the caller's transaction rolls back) when no
/// enabled administrator of its kind would remain (SPEC §2.2), as `LastAdministrator`.
/// Enabled means able to sign in: active or must-change-password, and not expired; invited,
/// disabled and expired administrators do not count. `done` completes "… so it cannot be …".
async fn ensure_an_administrator_remains(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    target: &AccountRecord,
    now: i64,
    done: &str,
) -> Result<(), Failed> {
    let Some((scope, who)) = administrators_like(target) else {
        return Ok(());
    };
    let sql = format!(
        "select account_id from accounts where {scope} \
         and status in ('active', 'must_change_password') \
         and (expires_at is null or expires_at > $1)"
    );
    let mut query = sqlx::query_scalar(&sql).bind(now);
    if target.tier == Tier::TenantAdmin {
        query = query.bind(target.tenant_id.map(|t| t.0));
    }
    let remaining: Vec<i64> = query
        .fetch_all(&mut **tx)
        .await
        .map_err(internal("count enabled administrators"))?;
    if remaining.iter().all(|id| *id == target.account_id.0) {
        let answer = AppError::Conflict(format!(
            "{} is the last enabled {who}, so it cannot be {done}. Make another account one first.",
            target.username
        ));
        return Err(Refused::new(Refusal::LastAdministrator, answer)
            .at_account(target)
            .into());
    }
    Ok(())
}

/// Disables (nothing is deleted; sessions end at the next request) or enables an account
/// the caller may manage; never the caller's own, never the last enabled administrator of its
/// kind. Enabling restores the status it had before. Audited (unless it already was so); a
/// refused attempt is audited with its reason.
pub async fn set_enabled(req: &Request, id: AccountId, enabled: bool) -> Result<(), AppError> {
    let action = if enabled {
        AuditAction::AccountEnabled
    } else {
        AuditAction::AccountDisabled
    };
    refusals::recorded(req, action, async {
        let before = managed_target(req, id, Action::Edit).await?;
        if !enabled {
            refuse_self_removal(req.actor(), &before, "disable")?;
        }
        let already = (before.status == AccountStatus::Disabled) != enabled;
        if already {
            return Ok(());
        }
        let mut change = Change::begin(req, action).await?;
        if !enabled {
            lock_administrators(change.tx(), req.db().backend(), &before).await?;
        }
        let sql = if enabled {
            "update accounts set status = coalesce(status_before_disable, 'active'), \
             status_before_disable = null, updated_at = $1 where account_id = $2"
        } else {
            "update accounts set status_before_disable = status, status = 'disabled', \
             updated_at = $1 where account_id = $2"
        };
        sqlx::query(sql)
            .bind(req.now)
            .bind(id.0)
            .execute(&mut **change.tx())
            .await
            .map_err(internal("set account enabled"))?;
        if !enabled {
            // For good: enabling it again later revives none of these sessions (SPEC §4).
            crate::backend::store::accounts::end_all_sessions(change.tx(), id).await?;
            ensure_an_administrator_remains(change.tx(), &before, req.now, "disabled").await?;
        }
        // Not a before/after pair of the account: what changed, and how it was asked.
        let event = change.event();
        event.tenant_id = before.tenant_id;
        event.target = Some(before.audit_target());
        event.before = Some(serde_json::json!({ "status": before.status.as_str() }));
        event.after = Some(serde_json::json!({ "enabled": enabled }));
        change.commit().await?;
        Ok(())
    })
    .await
}

/// Deletes an account the caller may delete, for good; never the caller's own, never the
/// last enabled administrator of its kind. Its audit records stay, naming it as it was.
/// Audited; a refused attempt is audited with its reason.
pub async fn delete(req: &Request, id: AccountId) -> Result<(), AppError> {
    refusals::recorded(req, AuditAction::AccountDeleted, async {
        let before = managed_target(req, id, Action::Delete).await?;
        refuse_self_removal(req.actor(), &before, "delete")?;
        let mut change = Change::begin(req, AuditAction::AccountDeleted).await?;
        lock_administrators(change.tx(), req.db().backend(), &before).await?;
        sqlx::query("delete from accounts where account_id = $1")
            .bind(id.0)
            .execute(&mut **change.tx())
            .await
            .map_err(internal("delete account"))?;
        ensure_an_administrator_remains(change.tx(), &before, req.now, "deleted").await?;
        change.record(Some(&before), None).await?;
        Ok(())
    })
    .await
}
