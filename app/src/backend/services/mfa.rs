//! Multi-factor authentication (SPEC §5): TOTP keys (RFC 6238: SHA-1, 6 digits, 30-second
//! steps, one step of drift either way), sealed at rest with the server's encryption key;
//! one-time recovery codes, kept hashed; enrolment, the second sign-in step, turning MFA off,
//! and who must have it.

use super::{refusals, users};
use crate::access::may_reset_mfa;
use crate::backend::request::{Anonymous, Request};
use crate::backend::security::crypto;
use crate::backend::security::sessions::refusal_reason;
use crate::backend::security::throttle;
use crate::backend::security::totp::*;
use crate::backend::state::AppState;
use crate::backend::store::accounts::{self, account_event, AccountRecord};
use crate::backend::store::audit::{self, AuditAction, AuditEvent, AuditTarget, Outcome};
use crate::backend::store::db::internal;
use crate::backend::store::db::Db;
use crate::domain::AccountId;
use crate::error::AppError;
use crate::me::MfaEnrolmentView;
use rand::RngCore;

/// One account's MFA row.
struct Stored {
    sealed: String,
    enabled_at: Option<i64>,
    last_step: i64,
}

async fn stored(db: &Db, account: AccountId) -> Result<Option<Stored>, AppError> {
    let row: Option<(String, Option<i64>, i64)> = sqlx::query_as(
        "select secret, enabled_at, last_step from mfa_secrets where account_id = $1",
    )
    .bind(account.0)
    .fetch_optional(db.pool())
    .await
    .map_err(internal("read MFA key"))?;
    Ok(row.map(|(sealed, enabled_at, last_step)| Stored {
        sealed,
        enabled_at,
        last_step,
    }))
}

fn open_key(state: &AppState, account: AccountId, sealed: &str) -> Result<Vec<u8>, AppError> {
    state.secret_key.open(account, sealed).ok_or_else(|| {
        tracing::error!(account_id = %account, "an MFA key does not open with the server's encryption key");
        AppError::Internal
    })
}

/// Starts (or restarts) enrolment: a new key, kept sealed until the first code confirms it.
pub async fn begin_enrolment(req: &Request) -> Result<MfaEnrolmentView, AppError> {
    let (state, me, now) = (&req.state, &req.me, req.now);
    let account = &me.account;
    if account.mfa_enabled_at.is_some() {
        return Err(AppError::Conflict(
            "MFA is already on for your account.".into(),
        ));
    }
    if !may_enrol(account, me.must_enrol_mfa) {
        return Err(AppError::Conflict(
            "Your organisation has turned MFA off. Ask your administrator.".into(),
        ));
    }
    let mut key = [0u8; KEY_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut key);
    let sealed = state.secret_key.seal(account.account_id, &key)?;
    sqlx::query(
        "insert into mfa_secrets (account_id, secret, enabled_at, last_step, created_at) \
         values ($1, $2, null, 0, $3) \
         on conflict (account_id) do update set secret = excluded.secret, \
           last_step = 0, created_at = excluded.created_at \
         where mfa_secrets.enabled_at is null",
    )
    .bind(account.account_id.0)
    .bind(&sealed)
    .bind(now)
    .execute(state.db.pool())
    .await
    .map_err(internal("store pending MFA key"))?;
    let uri = otpauth_uri(&key, &account.username);
    Ok(MfaEnrolmentView {
        qr_svg: qr_svg(&uri)?,
        key: grouped(&base32_of(&key)),
        uri,
    })
}

fn mfa_throttle_key(account: AccountId) -> String {
    throttle::secret_key("mfa", account)
}

/// Reserves one attempt at a code on the account's own counter before it is checked (so
/// concurrent guesses cannot exceed the limit); refuses while the counter is full.
async fn reserve_attempt(state: &AppState, account: AccountId, now: i64) -> Result<(), AppError> {
    let key = mfa_throttle_key(account);
    if let Some(secs) =
        throttle::reserve(&state.db, &key, state.throttle.per_account_secret, now).await?
    {
        return Err(AppError::RateLimited {
            retry_after_secs: secs,
        });
    }
    Ok(())
}

fn wrong_code(check: CodeCheck) -> AppError {
    match check {
        CodeCheck::Replayed => AppError::field(
            "code",
            "That code has been used already. Wait for the next code from your app.",
        ),
        _ => AppError::field(
            "code",
            "That code is not right. Enter the current code from your authenticator app; if it \
             keeps failing, check that your device's clock is right.",
        ),
    }
}

/// Confirms enrolment with the current password and the first code: MFA is on, ten recovery codes are made (returned
/// once, stored hashed), and every session of the account ends (a new `jwt_version`), so
/// the next sign-in uses MFA. Audited with the change.
pub async fn confirm_enrolment(
    req: &Request,
    code: &str,
    current_password: String,
) -> Result<Vec<String>, AppError> {
    let (state, me, client, now) = (&req.state, &req.me, req.client, req.now);
    let id = me.account.account_id;
    reserve_attempt(state, id, now).await?;
    // Turning MFA on changes how the account signs in: whoever holds this session must also
    // know the password (ASVS V7.5.1).
    if !state
        .hasher
        .verify(current_password, me.account.password_hash.clone())
        .await?
    {
        return Err(AppError::field(
            "current_password",
            "This is not your current password.",
        ));
    }
    let Some(row) = stored(&state.db, id)
        .await?
        .filter(|r| r.enabled_at.is_none())
    else {
        return Err(AppError::Conflict(
            "There is no enrolment to confirm. Start again from the beginning.".into(),
        ));
    };
    let key = open_key(state, id, &row.sealed)?;
    let step = match check_code(&key, code, now, row.last_step) {
        CodeCheck::Accepted(step) => step,
        other => return Err(wrong_code(other)),
    };
    let codes = new_recovery_codes();
    let mut tx = state
        .db
        .begin_write()
        .await
        .map_err(internal("begin MFA enrolment"))?;
    let done = sqlx::query(
        "update mfa_secrets set enabled_at = $1, last_step = $2 \
         where account_id = $3 and enabled_at is null and secret = $4",
    )
    .bind(now)
    .bind(step)
    .bind(id.0)
    .bind(&row.sealed)
    .execute(&mut *tx)
    .await
    .map_err(internal("enable MFA"))?;
    if done.rows_affected() != 1 {
        return Err(AppError::Conflict(
            "Enrolment was restarted elsewhere. Start again from the beginning.".into(),
        ));
    }
    store_recovery_codes(state, &mut tx, id, &codes).await?;
    accounts::end_all_sessions(&mut tx, id).await?;
    let event = account_event(AuditAction::MfaEnabled, &me.account, client);
    audit::record(&mut *tx, &event, now).await?;
    tx.commit()
        .await
        .map_err(internal("commit MFA enrolment"))?;
    state.db.note_change();
    throttle::clear(&state.db, &mfa_throttle_key(id)).await?;
    tracing::info!(account_id = %id, "MFA turned on");
    Ok(codes)
}

/// How a recovery code is stored: keyed with the server's encryption key and bound to its
/// account (HMAC-SHA-256), so a copy of the database alone cannot test guesses offline
/// (ASVS V6.5.2).
fn recovery_code_hash(state: &AppState, id: AccountId, code: &str) -> String {
    state.secret_key.keyed_hash(
        "warden recovery code",
        id,
        normalize_recovery(code).as_bytes(),
    )
}

/// How recovery codes issued before they were keyed were stored: bare SHA-256.
fn legacy_recovery_code_hash(code: &str) -> String {
    crypto::token_hash(&normalize_recovery(code))
}

async fn store_recovery_codes(
    state: &AppState,
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: AccountId,
    codes: &[String],
) -> Result<(), AppError> {
    sqlx::query("delete from mfa_recovery_codes where account_id = $1")
        .bind(id.0)
        .execute(&mut **tx)
        .await
        .map_err(internal("drop old recovery codes"))?;
    for code in codes {
        sqlx::query(
            "insert into mfa_recovery_codes (account_id, code_hash, used_at) values ($1, $2, null)",
        )
        .bind(id.0)
        .bind(recovery_code_hash(state, id, code))
        .execute(&mut **tx)
        .await
        .map_err(internal("store recovery code"))?;
    }
    Ok(())
}

/// How a second step was passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondFactor {
    Code,
    RecoveryCode { left: i64 },
}

/// Checks a TOTP code, or a recovery code, for an account whose MFA is on; a code is taken
/// once only, and so is a recovery code. Wrong ones count on the account's MFA counter.
async fn verify_factor(
    state: &AppState,
    id: AccountId,
    input: &str,
    allow_recovery: bool,
    now: i64,
) -> Result<SecondFactor, AppError> {
    reserve_attempt(state, id, now).await?;
    let Some(row) = stored(&state.db, id)
        .await?
        .filter(|r| r.enabled_at.is_some())
    else {
        return Err(AppError::Conflict("MFA is not on for this account.".into()));
    };
    if looks_like_totp(input) || !allow_recovery {
        let key = open_key(state, id, &row.sealed)?;
        let check = check_code(&key, input, now, row.last_step);
        if let CodeCheck::Accepted(step) = check {
            // Taken at most once, even by two requests at the same moment.
            let taken = sqlx::query(
                "update mfa_secrets set last_step = $1 where account_id = $2 and last_step < $1",
            )
            .bind(step)
            .bind(id.0)
            .execute(state.db.pool())
            .await
            .map_err(internal("use MFA code"))?;
            if taken.rows_affected() == 1 {
                return Ok(SecondFactor::Code);
            }
            return Err(wrong_code(CodeCheck::Replayed));
        }
        return Err(wrong_code(check));
    }
    let used = sqlx::query(
        "update mfa_recovery_codes set used_at = $1 \
         where account_id = $2 and code_hash in ($3, $4) and used_at is null",
    )
    .bind(now)
    .bind(id.0)
    .bind(recovery_code_hash(state, id, input))
    .bind(legacy_recovery_code_hash(input))
    .execute(state.db.pool())
    .await
    .map_err(internal("use recovery code"))?;
    if used.rows_affected() != 1 {
        return Err(AppError::field(
            "code",
            "That is neither the current code from your app nor an unused recovery code.",
        ));
    }
    let left: i64 = sqlx::query_scalar(
        "select count(*) from mfa_recovery_codes where account_id = $1 and used_at is null",
    )
    .bind(id.0)
    .fetch_one(state.db.pool())
    .await
    .map_err(internal("count recovery codes"))?;
    Ok(SecondFactor::RecoveryCode { left })
}

/// The second sign-in step: the account named by a pending-step token (its password proven
/// minutes ago) gives a code or a recovery code, and gets a session signed in with MFA.
/// Audited either way.
pub async fn second_step(
    visit: &Anonymous,
    pending_token: &str,
    input: &str,
) -> Result<(AccountRecord, String, SecondFactor), AppError> {
    let (state, client, now) = (&visit.state, visit.client, visit.now);
    let Some((id, version, step_id)) = state.sessions.verify_pending(pending_token) else {
        return Err(AppError::MfaStepExpired);
    };
    let open: Option<i64> = sqlx::query_scalar(
        "select expires_at from mfa_pending_steps where step_id = $1 and expires_at > $2",
    )
    .bind(&step_id)
    .bind(now)
    .fetch_optional(state.db.pool())
    .await
    .map_err(internal("read pending step"))?;
    if open.is_none() {
        return Err(AppError::MfaStepExpired);
    }
    let account = match accounts::find_for_session(&state.db, id).await? {
        Some(account) if account.jwt_version == version && account.mfa_enabled_at.is_some() => {
            account
        }
        _ => return Err(AppError::MfaStepExpired),
    };
    if let Some(refusal) = refusal_reason(&account, now) {
        return Err(AppError::SignInRefused(refusal.message().into()));
    }
    let attempt = |outcome: Outcome, reason: &'static str| {
        let mut event = crate::backend::services::auth::attempt(
            AuditAction::SignIn,
            outcome,
            Some(&account),
            &account.username,
            client,
        );
        event.reason = Some(reason);
        event
    };
    let factor = match verify_factor(state, account.account_id, input, true, now).await {
        Ok(factor) => factor,
        Err(e) => {
            let (outcome, reason) = match &e {
                AppError::RateLimited { .. } => (Outcome::Refused, "mfa_rate_limited"),
                _ => (Outcome::Failure, "invalid_mfa_code"),
            };
            audit::record(state.db.pool(), &attempt(outcome, reason), now).await?;
            return Err(e);
        }
    };
    // The step works once: a copy of its cookie cannot start another session.
    if !crate::backend::security::sessions::take_pending(&state.db, &step_id, now).await? {
        return Err(AppError::MfaStepExpired);
    }
    throttle::clear(&state.db, &mfa_throttle_key(account.account_id)).await?;
    let token = state.sessions.issue(&state.db, &account, now, true).await?;
    let reason = match factor {
        SecondFactor::Code => "mfa_code",
        SecondFactor::RecoveryCode { .. } => "mfa_recovery_code",
    };
    let mut event = attempt(Outcome::Success, reason);
    event.actor = Some(account.snapshot());
    audit::record(state.db.pool(), &event, now).await?;
    tracing::info!(account_id = %account.account_id, "signed in with MFA");
    Ok((account, token, factor))
}

async fn remove(
    state: &AppState,
    target: &AccountRecord,
    event: &AuditEvent,
    now: i64,
) -> Result<(), AppError> {
    let mut tx = state
        .db
        .begin_write()
        .await
        .map_err(internal("begin MFA removal"))?;
    sqlx::query("delete from mfa_recovery_codes where account_id = $1")
        .bind(target.account_id.0)
        .execute(&mut *tx)
        .await
        .map_err(internal("remove recovery codes"))?;
    sqlx::query("delete from mfa_secrets where account_id = $1")
        .bind(target.account_id.0)
        .execute(&mut *tx)
        .await
        .map_err(internal("remove MFA key"))?;
    audit::record(&mut *tx, event, now).await?;
    tx.commit().await.map_err(internal("commit MFA removal"))?;
    state.db.note_change();
    Ok(())
}

/// Turns one's own MFA off, after a current code from the app. Not while MFA is required of
/// the account.
pub async fn disable_own(req: &Request, code: &str) -> Result<(), AppError> {
    let (state, me, client, now) = (&req.state, &req.me, req.client, req.now);
    if me.account.mfa_enabled_at.is_none() {
        return Err(AppError::Conflict("MFA is not on for your account.".into()));
    }
    if me.mfa_required {
        return Err(AppError::Conflict(
            "MFA is required for your account (by your organisation's policy or a sensitive \
             privilege you hold), so it cannot be turned off."
                .into(),
        ));
    }
    verify_factor(state, me.account.account_id, code, false, now).await?;
    let mut event = account_event(AuditAction::MfaDisabled, &me.account, client);
    event.reason = Some("by_owner");
    remove(state, &me.account, &event, now).await?;
    tracing::info!(account_id = %me.account.account_id, "MFA turned off by its owner");
    Ok(())
}

/// An administrator turns MFA off for someone who lost their device (SPEC §5): platform
/// administrators for any account, tenant administrators for accounts of their tenant. The
/// person can enrol again (and must, where MFA is required of them).
pub async fn reset_for(req: &Request, target: AccountId) -> Result<(), AppError> {
    let (state, me, client, now) = (&req.state, &req.me, req.client, req.now);
    // Refused (not found, forbidden), the attempt is audited with its reason.
    let account = refusals::recorded(
        req,
        AuditAction::MfaDisabled,
        users::visible_target(req, target, may_reset_mfa),
    )
    .await?;
    if account.account_id == me.account.account_id {
        return Err(AppError::Conflict(
            "Turn your own MFA off from your MFA page, with a code from your app.".into(),
        ));
    }
    if account.mfa_enabled_at.is_none() {
        return Err(AppError::Conflict("MFA is not on for this account.".into()));
    }
    let mut event = account_event(AuditAction::MfaDisabled, &me.account, client);
    event.target = Some(AuditTarget::Account(account.snapshot()));
    event.tenant_id = account.tenant_id;
    event.reason = Some("by_administrator");
    remove(state, &account, &event, now).await?;
    tracing::info!(account_id = %account.account_id, by = %me.account.account_id, "MFA turned off by an administrator");
    Ok(())
}
