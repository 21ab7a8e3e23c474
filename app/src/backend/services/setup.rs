//! First run (SPEC §4): no default account and no default password. While no platform
//! administrator exists, each start creates a one-time setup link; opening it creates the
//! first platform administrator. Only the token's hash is stored, so every instance of a
//! PostgreSQL deployment accepts the links any of them printed.

use crate::backend::request::Anonymous;
use crate::backend::security::crypto;
use crate::backend::security::passwords::{parse_new_password, PasswordContext};
use crate::backend::store::accounts::{self, NewPlatformAdmin};
use crate::backend::store::audit::{
    self, AccountSnapshot, AuditAction, AuditEvent, AuditTarget, Outcome,
};
use crate::backend::store::db::internal;
use crate::backend::store::db::Db;
use crate::domain::{AccountId, Email, FullName, Password, PasswordPolicy, Tier, Username};
use crate::error::{AppError, FieldErrors};
use crate::me::FirstAdminInput;

/// How long a setup link works.
pub const SETUP_LINK_LIFETIME_SECS: i64 = 24 * 60 * 60;

/// A fresh setup token when no platform administrator exists yet, else `None`.
pub async fn issue_setup_token(db: &Db, now: i64) -> Result<Option<String>, AppError> {
    if accounts::count_enabled_platform_admins(db).await? > 0 {
        return Ok(None);
    }
    let token = crypto::random_token(32);
    sqlx::query("delete from setup_tokens where expires_at <= $1")
        .bind(now)
        .execute(db.pool())
        .await
        .map_err(internal("purge setup tokens"))?;
    sqlx::query(
        "insert into setup_tokens (token_hash, expires_at, created_at) values ($1, $2, $3)",
    )
    .bind(crypto::token_hash(&token))
    .bind(now + SETUP_LINK_LIFETIME_SECS)
    .bind(now)
    .execute(db.pool())
    .await
    .map_err(internal("store setup token"))?;
    Ok(Some(token))
}

/// Whether `token` would be accepted now.
pub async fn setup_token_is_valid(db: &Db, token: &str, now: i64) -> Result<bool, AppError> {
    let found: Option<i64> = sqlx::query_scalar(
        "select expires_at from setup_tokens where token_hash = $1 and expires_at > $2",
    )
    .bind(crypto::token_hash(token))
    .bind(now)
    .fetch_optional(db.pool())
    .await
    .map_err(internal("read setup token"))?;
    Ok(found.is_some() && accounts::count_enabled_platform_admins(db).await? == 0)
}

/// Parses every field, collecting one message per field (SPEC §2.1). The password follows
/// the platform policy (the default, guessable passwords refused).
pub fn parse_admin_form(
    form: &FirstAdminInput,
) -> Result<(Username, Email, FullName, Password), AppError> {
    let mut errors = FieldErrors::new();
    let username = errors.check("username", Username::parse(&form.username));
    let email = errors.check("email", Email::parse(&form.email));
    let full_name = errors.check("full_name", FullName::parse(&form.full_name));
    let context = PasswordContext {
        username: form.username.trim(),
        email: form.email.trim(),
        full_name: form.full_name.trim(),
        tenant_name: None,
    };
    let password = errors.check(
        "password",
        parse_new_password(&form.password, &PasswordPolicy::platform(), &context),
    );
    if password.is_some() && form.password != form.password_confirmation {
        errors.add("password_confirmation", "The two passwords do not match.");
    }
    match (username, email, full_name, password) {
        (Some(u), Some(e), Some(f), Some(p)) if errors.is_empty() => Ok((u, e, f, p)),
        _ => Err(AppError::Invalid(errors)),
    }
}

/// Parses the form and hashes the password, before any transaction is opened.
async fn prepare_admin(
    hasher: &crypto::PasswordHasher,
    form: &FirstAdminInput,
) -> Result<NewPlatformAdmin, AppError> {
    let (username, email, full_name, password) = parse_admin_form(form)?;
    let password_hash = hasher.hash(password.expose().to_owned()).await?;
    Ok(NewPlatformAdmin {
        username,
        email,
        full_name,
        password_hash,
    })
}

/// The audit record of a new platform administrator.
fn admin_created(action: AuditAction, id: AccountId, new: &NewPlatformAdmin) -> AuditEvent {
    let mut event = AuditEvent::new(action, Outcome::Success);
    event.target = Some(AuditTarget::Account(AccountSnapshot {
        account_id: id,
        username: new.username.as_ref().to_owned(),
        tier: Tier::PlatformAdmin,
    }));
    event.after = Some(serde_json::json!({
        "username": new.username.as_ref(),
        "email": new.email.as_ref(),
        "full_name": new.full_name.as_ref(),
        "tier": Tier::PlatformAdmin.as_str(),
    }));
    event
}

/// Creates the first platform administrator with a setup token. Guesses are limited per
/// client address, and the token (and that no administrator exists) is checked before the
/// password is hashed, so nobody without a link can make the server hash anything. The
/// token is consumed in the same transaction as the account is created, together with
/// every other outstanding token, so a link works once and two links cannot both create an
/// administrator.
pub async fn create_first_admin(
    visit: &Anonymous,
    token: &str,
    form: &FirstAdminInput,
) -> Result<AccountId, AppError> {
    let (state, client, now) = (&visit.state, visit.client, visit.now);
    let db = &state.db;
    let key = crate::backend::security::throttle::setup_key(&client);
    let limit = state.throttle.setup_per_address;
    if let Some(secs) = crate::backend::security::throttle::reserve(db, &key, limit, now).await? {
        return Err(AppError::RateLimited {
            retry_after_secs: secs,
        });
    }
    if !setup_token_is_valid(db, token, now).await? {
        tracing::warn!(%client, "a setup link that does not work was used");
        return Err(AppError::NotFound);
    }
    // A right link is no guess; a wrong form (its fields) is not either.
    crate::backend::security::throttle::give_back(db, &key).await?;
    let new = prepare_admin(&state.hasher, form).await?;
    let mut tx = db.begin_write().await.map_err(internal("begin setup"))?;
    let consumed =
        sqlx::query("delete from setup_tokens where token_hash = $1 and expires_at > $2")
            .bind(crypto::token_hash(token))
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(internal("consume setup token"))?
            .rows_affected();
    if consumed != 1 {
        return Err(AppError::NotFound);
    }
    sqlx::query("delete from setup_tokens")
        .execute(&mut *tx)
        .await
        .map_err(internal("retire setup tokens"))?;
    let admins: i64 =
        sqlx::query_scalar("select count(*) from accounts where tier = 'platform_admin'")
            .fetch_one(&mut *tx)
            .await
            .map_err(internal("count platform administrators"))?;
    if admins > 0 {
        return Err(AppError::NotFound);
    }
    let id = accounts::insert_platform_admin(&mut tx, &new, now).await?;
    let mut event = admin_created(AuditAction::AdminCreatedBySetup, id, &new);
    event.client = Some(client);
    audit::record(&mut *tx, &event, now).await?;
    tx.commit().await.map_err(internal("commit setup"))?;
    db.note_change();
    tracing::info!(account_id = %id, "first platform administrator created through the setup link");
    Ok(id)
}

/// Creates a platform administrator from the command line (automation, or recovery when no
/// administrator can sign in). Whoever runs it already controls the server and its database.
/// Outstanding setup links stop working.
pub async fn create_admin_from_cli(
    db: &Db,
    form: &FirstAdminInput,
    now: i64,
) -> Result<AccountId, AppError> {
    let new = prepare_admin(&crypto::PasswordHasher::default(), form).await?;
    let mut tx = db
        .begin_write()
        .await
        .map_err(internal("begin create admin"))?;
    sqlx::query("delete from setup_tokens")
        .execute(&mut *tx)
        .await
        .map_err(internal("retire setup tokens"))?;
    let id = accounts::insert_platform_admin(&mut tx, &new, now).await?;
    let event = admin_created(AuditAction::AdminCreatedByCli, id, &new);
    audit::record(&mut *tx, &event, now).await?;
    tx.commit().await.map_err(internal("commit create admin"))?;
    db.note_change();
    tracing::info!(account_id = %id, "platform administrator created from the command line");
    Ok(id)
}
