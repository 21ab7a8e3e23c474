//! Account storage. Plain SQL; every function names what it reads or writes.

use super::audit::{AuditAction, AuditEvent, AuditTarget, Outcome};
use super::db::internal;
use crate::backend::store::db::{is_unique_violation, Db};
use crate::domain::{AccountId, AccountStatus, Email, FullName, TenantId, Tier, Username};
use crate::error::{AppError, FieldErrors};
use sqlx::any::AnyRow;
use sqlx::Row;
use std::net::IpAddr;

/// An account as stored, with its tenant's status. Server-only: it holds the password hash.
#[derive(Clone)]
pub struct AccountRecord {
    pub account_id: AccountId,
    pub tenant_id: Option<TenantId>,
    pub tenant_name: Option<String>,
    pub tenant_active: bool,
    /// The tenant's MFA policy (platform administrators, in no tenant: Optional).
    pub tenant_mfa_policy: crate::domain::MfaPolicy,
    /// The rules for this account's new passwords: its tenant's password policy, or the
    /// platform policy for platform administrators (in no tenant).
    pub password_policy: crate::domain::PasswordPolicy,
    pub tier: Tier,
    pub username: String,
    pub email: String,
    pub full_name: String,
    pub job_title: Option<String>,
    pub country_code: Option<String>,
    pub phone: Option<String>,
    pub ref_id_1: Option<String>,
    pub ref_id_2: Option<String>,
    pub external_id: Option<String>,
    pub status: AccountStatus,
    pub password_hash: Option<String>,
    pub jwt_version: String,
    pub expires_at: Option<i64>,
    pub created_at: i64,
    /// When MFA was turned on; `None` while it is off (or enrolment is unconfirmed).
    pub mfa_enabled_at: Option<i64>,
}

impl std::fmt::Debug for AccountRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountRecord")
            .field("account_id", &self.account_id)
            .field("tier", &self.tier)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl AccountRecord {
    /// The account as the audit trail records it.
    pub fn snapshot(&self) -> crate::backend::store::audit::AccountSnapshot {
        crate::backend::store::audit::AccountSnapshot {
            account_id: self.account_id,
            username: self.username.clone(),
            tier: self.tier,
        }
    }
}

const SELECT_ACCOUNT: &str = "select a.account_id, a.tenant_id, t.name as tenant_name, \
     coalesce(t.status, 'active') as tenant_status, a.tier, a.username, a.email, a.full_name, \
     a.job_title, a.country_code, a.phone, a.ref_id_1, a.ref_id_2, a.external_id, a.status, \
     a.password_hash, a.jwt_version, a.expires_at, a.created_at, \
     coalesce(t.mfa_policy, 'optional') as tenant_mfa_policy, \
     t.password_policy as tenant_password_policy, \
     t.password_refuse_guessable as tenant_password_refuse_guessable, \
     (select m.enabled_at from mfa_secrets m where m.account_id = a.account_id) as mfa_enabled_at \
     from accounts a left join tenants t on t.tenant_id = a.tenant_id";

/// The account query with `extra` columns before the account's and `tail` (further joins and
/// a `where`) after: to find an account through something that names it (an API token) in
/// one query. Rows decode with [`decode_row`]; the account's tables are `a` and `t`.
pub(crate) fn select_account_with(extra: &str, tail: &str) -> String {
    let columns = SELECT_ACCOUNT.trim_start_matches("select ");
    format!("select {extra}, {columns} {tail}")
}

/// The account of a row read with [`select_account_with`].
pub(crate) fn decode_row(row: &AnyRow) -> Result<AccountRecord, AppError> {
    decode(row).map_err(internal("decode account"))
}

fn decode(row: &AnyRow) -> Result<AccountRecord, sqlx::Error> {
    let tier: String = row.try_get("tier")?;
    let status: String = row.try_get("status")?;
    let bad =
        |what: &str, value: &str| sqlx::Error::Decode(format!("unknown {what} {value:?}").into());
    Ok(AccountRecord {
        account_id: AccountId(row.try_get("account_id")?),
        tenant_id: row.try_get::<Option<i64>, _>("tenant_id")?.map(TenantId),
        tenant_name: row.try_get("tenant_name")?,
        tenant_active: row.try_get::<String, _>("tenant_status")? == "active",
        tier: Tier::from_db(&tier).ok_or_else(|| bad("tier", &tier))?,
        username: row.try_get("username")?,
        email: row.try_get("email")?,
        full_name: row.try_get("full_name")?,
        job_title: row.try_get("job_title")?,
        country_code: row.try_get("country_code")?,
        phone: row.try_get("phone")?,
        ref_id_1: row.try_get("ref_id_1")?,
        ref_id_2: row.try_get("ref_id_2")?,
        external_id: row.try_get("external_id")?,
        status: AccountStatus::from_db(&status).ok_or_else(|| bad("status", &status))?,
        password_hash: row.try_get("password_hash")?,
        jwt_version: row.try_get("jwt_version")?,
        expires_at: row.try_get("expires_at")?,
        created_at: row.try_get("created_at")?,
        tenant_mfa_policy: {
            let policy: String = row.try_get("tenant_mfa_policy")?;
            crate::domain::MfaPolicy::parse(&policy).map_err(|_| bad("MFA policy", &policy))?
        },
        password_policy: {
            let preset: Option<String> = row.try_get("tenant_password_policy")?;
            let guessable: Option<String> = row.try_get("tenant_password_refuse_guessable")?;
            match preset {
                None => crate::domain::PasswordPolicy::platform(),
                Some(preset) => crate::domain::PasswordPreset::parse(&preset)
                    .map_err(|_| bad("password policy", &preset))?
                    .policy(guessable.as_deref() == Some("on")),
            }
        },
        mfa_enabled_at: row.try_get("mfa_enabled_at")?,
    })
}

/// The account whose username matches `username` case-insensitively.
pub async fn find_by_username(db: &Db, username: &str) -> Result<Option<AccountRecord>, AppError> {
    let sql = format!("{SELECT_ACCOUNT} where lower(a.username) = $1");
    let row = sqlx::query(&sql)
        .bind(username.to_ascii_lowercase())
        .fetch_optional(db.pool())
        .await
        .map_err(internal("find account by username"))?;
    row.as_ref()
        .map(decode)
        .transpose()
        .map_err(internal("decode account"))
}

/// The account of `tenant` whose external ID (unique in its tenant) is `external_id`.
pub async fn find_by_external_id(
    db: &Db,
    tenant: TenantId,
    external_id: &str,
) -> Result<Option<AccountRecord>, AppError> {
    let sql = format!("{SELECT_ACCOUNT} where a.tenant_id = $1 and a.external_id = $2");
    let row = sqlx::query(&sql)
        .bind(tenant.0)
        .bind(external_id.to_owned())
        .fetch_optional(db.pool())
        .await
        .map_err(internal("find account by external id"))?;
    row.as_ref()
        .map(decode)
        .transpose()
        .map_err(internal("decode account"))
}

/// The account with this key, whatever its tenant: used to authenticate a session, before
/// any actor exists.
pub async fn find_for_session(db: &Db, id: AccountId) -> Result<Option<AccountRecord>, AppError> {
    find_with(db.pool(), id).await
}

/// The account with this key, whatever its tenant, read through `executor` (inside a
/// transaction: what a change just wrote, for its audit record).
pub async fn find_with<'e, E>(executor: E, id: AccountId) -> Result<Option<AccountRecord>, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let sql = format!("{SELECT_ACCOUNT} where a.account_id = $1");
    let row = sqlx::query(&sql)
        .bind(id.0)
        .fetch_optional(executor)
        .await
        .map_err(internal("find account by id"))?;
    row.as_ref()
        .map(decode)
        .transpose()
        .map_err(internal("decode account"))
}

/// How many enabled platform administrators exist.
pub async fn count_enabled_platform_admins(db: &Db) -> Result<i64, AppError> {
    sqlx::query_scalar::<_, i64>(
        "select count(*) from accounts where tier = 'platform_admin' and status <> 'disabled'",
    )
    .fetch_one(db.pool())
    .await
    .map_err(internal("count platform administrators"))
}

/// The validated fields of a new platform administrator.
pub struct NewPlatformAdmin {
    pub username: Username,
    pub email: Email,
    pub full_name: FullName,
    pub password_hash: String,
}

/// Inserts an active platform administrator inside `tx`. Uniqueness violations become
/// field errors on `username` or `email`.
pub async fn insert_platform_admin(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    new: &NewPlatformAdmin,
    now: i64,
) -> Result<AccountId, AppError> {
    let result = sqlx::query_scalar::<_, i64>(
        "insert into accounts (tenant_id, tier, username, email, email_key, full_name, status, \
         password_hash, jwt_version, expires_at, created_at, updated_at) \
         values (null, 'platform_admin', $1, $2, $7, $3, 'active', $4, $5, null, $6, $6) \
         returning account_id",
    )
    .bind(new.username.as_ref())
    .bind(new.email.as_ref())
    .bind(new.full_name.as_ref())
    .bind(&new.password_hash)
    .bind(crate::backend::security::crypto::random_token(16))
    .bind(now)
    .bind(new.email.key())
    .fetch_one(&mut **tx)
    .await;
    let id = AccountId(result.map_err(uniqueness_to_field_error)?);
    crate::backend::store::search::write_search_terms(
        tx,
        &crate::backend::store::search::Searchable {
            account_id: id,
            tenant_id: None,
            username: new.username.as_ref(),
            email: new.email.as_ref(),
            full_name: new.full_name.as_ref(),
            external_id: None,
        },
    )
    .await?;
    Ok(id)
}

fn uniqueness_to_field_error(e: sqlx::Error) -> AppError {
    let mut errors = FieldErrors::new();
    if is_unique_violation(&e, "accounts_username_key") {
        errors.add("username", "This username is already taken.");
    } else if is_unique_violation(&e, "accounts_email_folded_key")
        || is_unique_violation(&e, "accounts.email_key")
        || is_unique_violation(&e, "accounts_email_key")
    {
        errors.add(
            "email",
            "An account with this email address already exists.",
        );
    } else {
        return internal("insert account")(e);
    }
    AppError::Invalid(errors)
}

/// Ends every session of the account for good, inside `tx`: its session rows go, and it gets
/// a new `jwt_version`, which also voids pending second steps issued before. Returns the new
/// version (for a session that continues as a new one, after a password change).
pub async fn end_all_sessions(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: AccountId,
) -> Result<String, AppError> {
    let version = crate::backend::security::crypto::random_token(16);
    sqlx::query("update accounts set jwt_version = $1 where account_id = $2")
        .bind(&version)
        .bind(id.0)
        .execute(&mut **tx)
        .await
        .map_err(internal("rotate jwt version"))?;
    sqlx::query("delete from sessions where account_id = $1")
        .bind(id.0)
        .execute(&mut **tx)
        .await
        .map_err(internal("end sessions"))?;
    Ok(version)
}

/// [`end_all_sessions`] for every account of a tenant, inside `tx` (the tenant is disabled).
pub async fn end_tenant_sessions(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    tenant: TenantId,
) -> Result<(), AppError> {
    sqlx::query(
        "delete from sessions where account_id in \
         (select account_id from accounts where tenant_id = $1)",
    )
    .bind(tenant.0)
    .execute(&mut **tx)
    .await
    .map_err(internal("end the tenant's sessions"))?;
    // One new value for all: a token names its account, so sharing it reveals nothing.
    sqlx::query("update accounts set jwt_version = $1 where tenant_id = $2")
        .bind(crate::backend::security::crypto::random_token(16))
        .bind(tenant.0)
        .execute(&mut **tx)
        .await
        .map_err(internal("end the tenant's sessions"))?;
    Ok(())
}

/// Ends every session of the account, issued before (see [`end_all_sessions`]), and
/// records `event` in the same transaction.
pub async fn rotate_jwt_version(
    db: &Db,
    id: AccountId,
    event: &crate::backend::store::audit::AuditEvent,
    now: i64,
) -> Result<(), AppError> {
    let mut tx = db.begin_write().await.map_err(internal("begin rotate"))?;
    end_all_sessions(&mut tx, id).await?;
    crate::backend::store::audit::record(&mut *tx, event, now).await?;
    tx.commit().await.map_err(internal("commit rotate"))?;
    db.note_change();
    Ok(())
}

/// Gives every account without one its email key ([`crate::domain::email_key`]), in pages of
/// accounts by id, each page in one transaction; run at start, after the migration that
/// added the key (and harmless when every account has one). An account whose key another
/// account already holds (addresses that differed only in non-ASCII case, which SQLite's
/// `lower()` let through) is left without one: it keeps working, is reported here, and its
/// next edit must give it an address of its own. Returns how many were left so.
pub async fn backfill_email_keys(db: &Db) -> Result<usize, AppError> {
    const PAGE: i64 = 1_000;
    let mut after = 0i64;
    let mut written = 0usize;
    let mut shared = Vec::new();
    loop {
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "select account_id, email from accounts where email_key is null and account_id > $1 \
             order by account_id limit $2",
        )
        .bind(after)
        .bind(PAGE)
        .fetch_all(db.pool())
        .await
        .map_err(internal("read accounts without an email key"))?;
        let Some((last, _)) = rows.last() else {
            break;
        };
        after = *last;
        match write_email_keys(db, &rows).await {
            Ok(()) => written += rows.len(),
            // A key taken: the page again, one account at a time, to find which.
            Err(e)
                if is_unique_violation(&e, "accounts_email_folded_key")
                    || is_unique_violation(&e, "accounts.email_key") =>
            {
                for row in &rows {
                    match write_email_keys(db, std::slice::from_ref(row)).await {
                        Ok(()) => written += 1,
                        Err(e)
                            if is_unique_violation(&e, "accounts_email_folded_key")
                                || is_unique_violation(&e, "accounts.email_key") =>
                        {
                            shared.push(row.0)
                        }
                        Err(e) => return Err(internal("write email key")(e)),
                    }
                }
            }
            Err(e) => return Err(internal("write email keys")(e)),
        }
    }
    if written > 0 {
        tracing::info!(accounts = written, "email keys written");
    }
    if !shared.is_empty() {
        tracing::warn!(
            accounts = ?shared,
            "these accounts' email addresses equal another account's but for letter case; \
             they keep working, and each must be given its own address when next edited"
        );
    }
    Ok(shared.len())
}

async fn write_email_keys(db: &Db, rows: &[(i64, String)]) -> Result<(), sqlx::Error> {
    let mut tx = db.begin_write().await?;
    for (id, email) in rows {
        sqlx::query(
            "update accounts set email_key = $1 where account_id = $2 and email_key is null",
        )
        .bind(crate::domain::email_key(email))
        .bind(id)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

/// An account acting on itself (signing out, for example).
pub fn account_event(action: AuditAction, account: &AccountRecord, client: IpAddr) -> AuditEvent {
    let mut event = AuditEvent::new(action, Outcome::Success);
    event.tenant_id = account.tenant_id;
    event.actor = Some(account.snapshot());
    event.target = Some(AuditTarget::Account(account.snapshot()));
    event.client = Some(client);
    event
}
