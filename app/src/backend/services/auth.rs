//! Signing in (SPEC §4): one answer for every failure, equal work for unknown accounts,
//! failures limited per account name and per client address.

use super::{refusals, users};
use crate::access::may_manage;
use crate::backend::request::{Anonymous, Request};
use crate::backend::security::sessions::{self, refusal_reason, SignedIn};
use crate::backend::security::throttle;
use crate::backend::security::totp::may_enrol;
use crate::backend::state::AppState;
use crate::backend::store::accounts::{self, account_event, AccountRecord};
use crate::backend::store::audit::{self, AuditAction, AuditEvent, AuditTarget, Outcome};
use crate::backend::store::db::internal;
use crate::domain::{effective_status, AccountId};
use crate::error::AppError;
use crate::me::{PasswordChangeInput, SessionView};
use std::net::IpAddr;

/// Longest password input worth hashing; longer input fails like a wrong password.
const MAX_PASSWORD_INPUT: usize = 1024;

/// The audit record of a sign-in step (`action`: the whole sign-in, or a password awaiting
/// its MFA code) about `account` (or a name that matched none).
pub(super) fn attempt(
    action: AuditAction,
    outcome: Outcome,
    account: Option<&AccountRecord>,
    typed: &str,
    client: IpAddr,
) -> AuditEvent {
    let mut event = AuditEvent::new(action, outcome);
    event.client = Some(client);
    match account {
        Some(account) => {
            event.tenant_id = account.tenant_id;
            event.target = Some(AuditTarget::Account(account.snapshot()));
        }
        None => event.target = Some(AuditTarget::TypedName(audit::typed_username(typed))),
    }
    event
}

/// What a right password leads to.
pub enum SignInOutcome {
    /// A session token, and a device token that remembers this browser for the account.
    Session { token: String, device: String },
    /// MFA is on: a token for the second step (a code), which is no session yet.
    SecondStep(String),
}

/// The limits a password attempt for `username` counts against (see `throttle`): the
/// (name, device) pair when this browser signed in to that account before, else the
/// (name, address) pair and the name itself; and always the address.
fn password_limits(
    state: &AppState,
    username: &str,
    account: Option<&AccountRecord>,
    device: Option<&str>,
    client: IpAddr,
) -> Vec<(String, throttle::Limit)> {
    let policy = &state.throttle;
    let known_device = device
        .and_then(|token| state.sessions.verify_device(token))
        .filter(|(id, _)| account.is_some_and(|a| a.account_id == *id));
    let mut keys = match known_device {
        Some((id, device)) => vec![(throttle::device_key(id, &device), policy.per_device)],
        None => vec![
            (
                throttle::account_address_key(username, &client),
                policy.per_account_address,
            ),
            (throttle::account_key(username), policy.per_account),
        ],
    };
    keys.push((throttle::address_key(&client), policy.per_address));
    keys
}

/// Checks credentials and returns the account with a fresh session, or, when its MFA is
/// on, a pending second step. The attempt is reserved against every limit before the
/// password is checked (so concurrent guesses cannot exceed them); a right password gives
/// the reservations back. `device` is this browser's device cookie, if any. Every outcome is
/// audited (the second step's by `services::mfa::second_step`).
#[tracing::instrument(skip_all)]
pub async fn sign_in(
    visit: &Anonymous,
    username: &str,
    password: String,
    device: Option<&str>,
) -> Result<(AccountRecord, SignInOutcome), AppError> {
    let (state, client, now) = (&visit.state, visit.client, visit.now);
    let username: String = username.trim().chars().take(100).collect();
    let account = if username.is_empty() {
        None
    } else {
        accounts::find_by_username(&state.db, &username).await?
    };
    let limits = password_limits(state, &username, account.as_ref(), device, client);
    if let Some(secs) = throttle::reserve_all(&state.db, &limits, now).await? {
        tracing::warn!(username = %audit::loggable_username(&username), "sign-in throttled");
        let mut event = attempt(
            AuditAction::SignIn,
            Outcome::Refused,
            None,
            &username,
            client,
        );
        event.reason = Some("rate_limited");
        audit::record(state.db.pool(), &event, now).await?;
        return Err(AppError::RateLimited {
            retry_after_secs: secs,
        });
    }
    let hash = account.as_ref().and_then(|a| a.password_hash.clone());
    let checked = if password.len() > MAX_PASSWORD_INPUT {
        state
            .hasher
            .verify(String::new(), None)
            .await
            .map(|_| false)
    } else {
        state.hasher.verify(password, hash).await
    };
    let password_ok = match checked {
        Ok(ok) => ok,
        Err(e) => {
            // Nothing was checked (too busy): the attempt does not count.
            for (key, _) in &limits {
                throttle::give_back(&state.db, key).await?;
            }
            return Err(e);
        }
    };
    let account = match account {
        Some(account) if password_ok => account,
        _ => {
            let mut event = attempt(
                AuditAction::SignIn,
                Outcome::Failure,
                account.as_ref(),
                &username,
                client,
            );
            event.reason = Some("invalid_credentials");
            audit::record(state.db.pool(), &event, now).await?;
            tracing::info!(username = %audit::loggable_username(&username), "sign-in failed");
            return Err(AppError::InvalidCredentials);
        }
    };
    // The pair (or device) starts afresh; the shared counters only lose this attempt.
    throttle::clear(&state.db, &limits[0].0).await?;
    for (key, _) in &limits[1..] {
        throttle::give_back(&state.db, key).await?;
    }
    if let Some(refusal) = refusal_reason(&account, now) {
        tracing::info!(account_id = %account.account_id, reason = refusal.code(), "sign-in refused");
        let mut event = attempt(
            AuditAction::SignIn,
            Outcome::Refused,
            Some(&account),
            &username,
            client,
        );
        event.reason = Some(refusal.code());
        audit::record(state.db.pool(), &event, now).await?;
        return Err(AppError::SignInRefused(refusal.message().into()));
    }
    if account.mfa_enabled_at.is_some() {
        let pending = state
            .sessions
            .issue_pending(&state.db, &account, now)
            .await?;
        // Recorded, so that a right password never followed by a right code (someone who
        // knows the password but not the device) shows in the trail.
        let event = attempt(
            AuditAction::PasswordAccepted,
            Outcome::Success,
            Some(&account),
            &username,
            client,
        );
        audit::record(state.db.pool(), &event, now).await?;
        tracing::info!(account_id = %account.account_id, "password accepted; MFA code awaited");
        return Ok((account, SignInOutcome::SecondStep(pending)));
    }
    let token = state
        .sessions
        .issue(&state.db, &account, now, false)
        .await?;
    let device = state.sessions.issue_device(&account, now)?;
    let mut event = attempt(
        AuditAction::SignIn,
        Outcome::Success,
        Some(&account),
        &username,
        client,
    );
    event.actor = Some(account.snapshot());
    audit::record(state.db.pool(), &event, now).await?;
    tracing::info!(account_id = %account.account_id, "signed in");
    Ok((account, SignInOutcome::Session { token, device }))
}

/// What the console shows of a signed-in account.
pub fn session_view(me: SignedIn, now: i64) -> SessionView {
    let a = me.account;
    SessionView {
        may_enrol_mfa: may_enrol(&a, me.mfa_required),
        mfa_enabled_at: a.mfa_enabled_at,
        mfa_session: me.mfa,
        mfa_required: me.mfa_required,
        must_enrol_mfa: me.must_enrol_mfa,
        password_policy: a.password_policy.clone(),
        actor: me.actor,
        account_id: a.account_id,
        status: effective_status(a.status, a.expires_at, now),
        username: a.username,
        full_name: a.full_name,
        email: a.email,
        job_title: a.job_title,
        tier: a.tier,
        tenant_name: a.tenant_name,
        expires_at: a.expires_at,
        created_at: a.created_at,
    }
}

/// Ends the browser's session on the server, if it has one (every instance refuses its
/// token from then on). Audited.
pub async fn sign_out(visit: &Anonymous) -> Result<(), AppError> {
    let Some(me) = &visit.signed_in else {
        return Ok(());
    };
    // Only a console session can be signed out; an API credential is revoked instead.
    if let sessions::Credential::Session(session_id) = &me.via {
        sessions::revoke(&visit.state.db, session_id).await?;
    }
    let event = account_event(AuditAction::SignOut, &me.account, visit.client);
    audit::record(visit.state.db.pool(), &event, visit.now).await
}

/// Ends every session of the caller's account, on every device, at once (a new
/// `jwt_version`). Audited with the change.
pub async fn sign_out_everywhere(req: &Request) -> Result<(), AppError> {
    let event = account_event(AuditAction::SignOutEverywhere, &req.me.account, req.client);
    accounts::rotate_jwt_version(req.db(), req.actor().account_id, &event, req.now).await?;
    tracing::info!(account_id = %req.actor().account_id, "signed out everywhere");
    Ok(())
}

/// An administrator ends every session of an account they may manage (SPEC §2.3): a new
/// `jwt_version`, so its next request is signed out. Audited with the change; refused (not
/// found, forbidden), the attempt is audited with its reason.
pub async fn end_sessions_for(req: &Request, target: AccountId) -> Result<(), AppError> {
    let action = AuditAction::SessionsInvalidated;
    let account =
        refusals::recorded(req, action, users::visible_target(req, target, may_manage)).await?;
    if account.account_id == req.me.account.account_id {
        return Err(AppError::Conflict(
            "To end your own sessions, use “Sign out everywhere”.".into(),
        ));
    }
    let mut event = account_event(action, &req.me.account, req.client);
    event.target = Some(AuditTarget::Account(account.snapshot()));
    event.tenant_id = account.tenant_id;
    accounts::rotate_jwt_version(req.db(), account.account_id, &event, req.now).await?;
    tracing::info!(account_id = %account.account_id, by = %req.me.account.account_id, "sessions ended by an administrator");
    Ok(())
}

/// Changes the signed-in account's own password (SPEC §2.3): the current password is
/// required, wrong guesses count towards the account's sign-in limit, the new one must
/// satisfy the account's password policy (its tenant's, or the platform policy; see
/// `security::passwords::check_new_password`) and differ. A temporary password's "Must
/// change password" status becomes Active. Every other session ends (a new `jwt_version`);
/// the returned token continues this one. Audited, in one transaction with the change.
pub async fn change_own_password(
    req: &Request,
    form: &PasswordChangeInput,
) -> Result<String, AppError> {
    use crate::backend::security::passwords::{check_new_password, PasswordContext};
    use crate::domain::AccountStatus;
    use crate::error::FieldErrors;
    let (state, now) = (&req.state, req.now);
    let account = &req.me.account;
    let key = throttle::secret_key("password_change", account.account_id);
    if let Some(secs) =
        throttle::reserve(&state.db, &key, state.throttle.per_account_secret, now).await?
    {
        return Err(AppError::RateLimited {
            retry_after_secs: secs,
        });
    }
    let mut errors = FieldErrors::new();
    let context = PasswordContext {
        username: &account.username,
        email: &account.email,
        full_name: &account.full_name,
        tenant_name: account.tenant_name.as_deref(),
    };
    let checked =
        match check_new_password(&form.new_password, &account.password_policy, &context).await {
            Ok(checked) => checked,
            Err(e) => {
                throttle::give_back(&state.db, &key).await?;
                return Err(e);
            }
        };
    let new = errors.check("new_password", checked);
    if new.is_some() && form.new_password != form.new_password_confirmation {
        errors.add(
            "new_password_confirmation",
            "The two passwords do not match.",
        );
    }
    let current_ok = match state
        .hasher
        .verify(form.current_password.clone(), account.password_hash.clone())
        .await
    {
        Ok(ok) => ok,
        Err(e) => {
            throttle::give_back(&state.db, &key).await?;
            return Err(e);
        }
    };
    if !current_ok {
        errors.add("current_password", "This is not your current password.");
    } else if form.new_password == form.current_password {
        errors.add(
            "new_password",
            "Choose a password different from the current one.",
        );
    }
    if current_ok {
        // The right current password: whatever else is wrong, this was no guess.
        throttle::clear(&state.db, &key).await?;
    }
    errors.clone().into_result()?;
    let Some(new) = new else {
        return Err(AppError::Invalid(errors));
    };
    let hash = state.hasher.hash(new.expose().to_owned()).await?;
    let mut tx = state
        .db
        .begin_write()
        .await
        .map_err(internal("begin password change"))?;
    sqlx::query(
        "update accounts set password_hash = $1, \
         status = case when status = 'must_change_password' then 'active' else status end, \
         updated_at = $2 where account_id = $3",
    )
    .bind(hash)
    .bind(now)
    .bind(account.account_id.0)
    .execute(&mut *tx)
    .await
    .map_err(internal("change password"))?;
    // Every session ends; this one continues as a new one, with the new version.
    let version = accounts::end_all_sessions(&mut tx, account.account_id).await?;
    let mut event = account_event(AuditAction::PasswordChanged, account, req.client);
    if account.status == AccountStatus::MustChangePassword {
        event.reason = Some("temporary_password_replaced");
    }
    audit::record(&mut *tx, &event, now).await?;
    tx.commit()
        .await
        .map_err(internal("commit password change"))?;
    state.db.note_change();
    throttle::clear(&state.db, &key).await?;
    let mut renewed = account.clone();
    renewed.jwt_version = version;
    state
        .sessions
        .issue(&state.db, &renewed, now, req.me.mfa)
        .await
}
