//! Signing in (SPEC §4): one answer for every failure, equal work for unknown accounts,
//! failures limited per account name and per client address.

use super::accounts::{self, AccountRecord};
use super::audit::{self, AuditAction, AuditEvent, AuditTarget, Outcome};
use super::sessions::refusal_reason;
use super::{crypto, throttle, AppState};
use crate::error::AppError;
use std::net::IpAddr;

/// Longest password input worth hashing; longer input fails like a wrong password.
const MAX_PASSWORD_INPUT: usize = 1024;

/// The audit record of a sign-in attempt about `account` (or a name that matched none).
fn attempt(
    outcome: Outcome,
    account: Option<&AccountRecord>,
    typed: &str,
    client: IpAddr,
) -> AuditEvent {
    let mut event = AuditEvent::new(AuditAction::SignIn, outcome);
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

/// Checks credentials and returns the account with a fresh session token. Every outcome is
/// audited.
#[tracing::instrument(skip(state, password), fields(username = %username.chars().take(60).collect::<String>()))]
pub async fn sign_in(
    state: &AppState,
    username: &str,
    password: String,
    client: IpAddr,
    now: i64,
) -> Result<(AccountRecord, String), AppError> {
    let username: String = username.trim().chars().take(100).collect();
    let keys = [
        (throttle::account_key(&username), state.throttle.per_account),
        (throttle::address_key(&client), state.throttle.per_address),
    ];
    for (key, limit) in &keys {
        if let Some(secs) = throttle::retry_after(&state.db, key, *limit, now).await? {
            tracing::warn!(key = %key.split(':').next().unwrap_or(""), "sign-in throttled");
            let mut event = attempt(Outcome::Refused, None, &username, client);
            event.reason = Some("rate_limited");
            audit::record(state.db.pool(), &event, now).await?;
            return Err(AppError::RateLimited {
                retry_after_secs: secs,
            });
        }
    }
    let account = if username.is_empty() {
        None
    } else {
        accounts::find_by_username(&state.db, &username).await?
    };
    let hash = account.as_ref().and_then(|a| a.password_hash.clone());
    let password_ok = if password.len() > MAX_PASSWORD_INPUT {
        let _ = crypto::verify_password(String::new(), None).await?;
        false
    } else {
        crypto::verify_password(password, hash).await?
    };
    let account = match account {
        Some(account) if password_ok => account,
        _ => {
            for (key, limit) in &keys {
                throttle::record_failure(&state.db, key, *limit, now).await?;
            }
            let mut event = attempt(Outcome::Failure, account.as_ref(), &username, client);
            event.reason = Some("invalid_credentials");
            audit::record(state.db.pool(), &event, now).await?;
            tracing::info!("sign-in failed");
            return Err(AppError::InvalidCredentials);
        }
    };
    throttle::clear(&state.db, &keys[0].0).await?;
    if let Some(refusal) = refusal_reason(&account, now) {
        tracing::info!(account_id = %account.account_id, reason = refusal.code(), "sign-in refused");
        let mut event = attempt(Outcome::Refused, Some(&account), &username, client);
        event.reason = Some(refusal.code());
        audit::record(state.db.pool(), &event, now).await?;
        return Err(AppError::SignInRefused(refusal.message().into()));
    }
    let token = state.sessions.issue(&account, now)?;
    let mut event = attempt(Outcome::Success, Some(&account), &username, client);
    event.actor = Some(account.snapshot());
    audit::record(state.db.pool(), &event, now).await?;
    tracing::info!(account_id = %account.account_id, "signed in");
    Ok((account, token))
}
