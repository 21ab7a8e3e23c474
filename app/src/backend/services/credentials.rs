//! A service account's API credentials (SPEC §7, issue 13 §2): its API tokens (list, create,
//! revoke) and its client secret (generate, rotate). Only service accounts hold them.
//!
//! Authorized with the access model exactly as the account itself: seeing the credentials
//! needs seeing the account ([`may_view_account`]); creating, revoking and rotating need
//! managing it ([`may_manage`]: the tier ceiling and `Service accounts: Edit` in its
//! tenant). Another tenant's account, or one the caller may not see, is "not found". Every
//! change is audited in its own transaction, naming the token (name, display prefix,
//! expiry) or the client ID, never a secret; refused attempts are audited with their reason.
//! Secrets are generated here, returned once ([`NewApiToken`], [`NewClientSecret`]) and
//! stored only as keyed digests.

use super::change::Change;
use super::refusals;
use super::users;
use crate::access::{may_manage, may_view_account, Target};
use crate::backend::request::Request;
use crate::backend::security::credentials;
use crate::backend::store::accounts::AccountRecord;
use crate::backend::store::api_credentials::{self, NewToken};
use crate::backend::store::audit::{AuditAction, AuditTarget};
use crate::credentials::{
    ApiTokenId, ApiTokenInput, ApiTokenView, NewApiToken, NewClientSecret, ServiceCredentials,
};
use crate::domain::{format_date, parse_expiration, AccountId, Tier};
use crate::error::{AppError, FieldErrors};

/// The longest name of a token, in characters.
pub const TOKEN_NAME_MAX: usize = 100;

/// Refuses credentials for anything but a service account (people and administrators use
/// the console, never the API: SPEC §1).
fn require_service_account(account: &AccountRecord) -> Result<(), AppError> {
    if account.tier == Tier::ServiceAccount {
        Ok(())
    } else {
        Err(AppError::Conflict(format!(
            "{} is not a service account. Only service accounts have API credentials: people \
             and administrators use the console.",
            account.username
        )))
    }
}

/// The tokens (never their secrets) and the client of a service account the caller may see,
/// and whether the caller may change them. Not audited (a read).
pub async fn list(
    req: &Request,
    account_id: AccountId,
) -> Result<Option<ServiceCredentials>, AppError> {
    let account = users::visible_target(req, account_id, may_view_account).await?;
    if require_service_account(&account).is_err() {
        return Ok(None);
    }
    let tokens = api_credentials::list_tokens(req.db(), account_id).await?;
    let client = api_credentials::find_client(req.db().pool(), account_id)
        .await?
        .map(|row| row.view());
    let target = Target {
        tier: account.tier,
        tenant_id: account.tenant_id,
    };
    Ok(Some(ServiceCredentials {
        tokens,
        client,
        may_manage: may_manage(req.actor(), target).is_allowed(),
    }))
}

/// A token's name: trimmed, 1 to [`TOKEN_NAME_MAX`] characters, no control characters.
pub fn parse_token_name(input: &str) -> Result<String, String> {
    let name = input.trim();
    if name.is_empty() {
        return Err("Give the token a name, e.g. what uses it.".into());
    }
    if name.chars().count() > TOKEN_NAME_MAX {
        return Err(format!("A name is at most {TOKEN_NAME_MAX} characters."));
    }
    if name.chars().any(char::is_control) {
        return Err("A name cannot contain control characters.".into());
    }
    Ok(name.to_owned())
}

/// A token's expiry (`expires_on` as for accounts: a last day, or empty / `never`), within
/// the deployment's maximum lifetime of `max_days`, if any: the last day allowed is the
/// date `max_days` after `now`.
pub fn parse_token_expiry(
    input: &str,
    now: i64,
    max_days: Option<u32>,
) -> Result<Option<i64>, String> {
    let expires_at = parse_expiration(input, now)?;
    let Some(days) = max_days else {
        return Ok(expires_at);
    };
    // The end of the last day allowed (midnight UTC after it).
    let limit = (now + i64::from(days) * 86_400).div_euclid(86_400) * 86_400 + 86_400;
    let last_day = format_date(limit - 1);
    match expires_at {
        None => Err(format!(
            "Tokens must expire within {days} days here: choose a last day no later than \
             {last_day}."
        )),
        Some(at) if at > limit => Err(format!(
            "Tokens may live at most {days} days here: choose a last day no later than \
             {last_day}."
        )),
        Some(at) => Ok(Some(at)),
    }
}

/// Creates an API token for a service account the caller may manage: named (unique among
/// its live tokens), with an optional expiry within the configured maximum lifetime. The
/// secret is in the answer only. Audited (`api_token.create`, with name, prefix and
/// expiry); a refused attempt is audited with its reason.
pub async fn create_token(
    req: &Request,
    account_id: AccountId,
    input: &ApiTokenInput,
) -> Result<NewApiToken, AppError> {
    let action = AuditAction::ApiTokenCreated;
    let account = refusals::recorded(
        req,
        action,
        users::visible_target(req, account_id, may_manage),
    )
    .await?;
    require_service_account(&account)?;
    let mut errors = FieldErrors::new();
    let name = errors.check("name", parse_token_name(&input.name));
    let expires_at = errors.check(
        "expires_on",
        parse_token_expiry(
            &input.expires_on,
            req.now,
            req.state.api.settings.max_token_days,
        ),
    );
    let mut change = Change::begin(req, action).await?;
    if let Some(name) = &name {
        if api_credentials::live_name_taken(&mut **change.tx(), account_id, name, req.now).await? {
            errors.add(
                "name",
                "This account already has a token with this name: choose another, or revoke \
                 that one first.",
            );
        }
    }
    errors.clone().into_result()?;
    let (Some(name), Some(expires_at)) = (name, expires_at) else {
        return Err(AppError::Invalid(errors));
    };
    let secret = credentials::generate_api_token(req.state.api.digest_key.bytes());
    let id = api_credentials::insert_token(
        &mut **change.tx(),
        &NewToken {
            account_id,
            name: &name,
            display_prefix: &secret.display_prefix,
            digest: &secret.digest,
            created_by: req.actor().account_id,
            expires_at,
        },
        req.now,
    )
    .await?;
    let token = api_credentials::find_token(&mut **change.tx(), account_id, id)
        .await?
        .ok_or(AppError::Internal)?;
    let event = change.event();
    event.tenant_id = account.tenant_id;
    event.target = Some(AuditTarget::Account(account.snapshot()));
    event.after = Some(token_fields(&token));
    change.commit().await?;
    tracing::info!(
        account_id = account_id.0,
        api_token_id = id.0,
        "API token created"
    );
    Ok(NewApiToken {
        token,
        secret: secret.plaintext,
    })
}

/// What the audit trail records of a token: never its secret or digest.
fn token_fields(token: &ApiTokenView) -> serde_json::Value {
    serde_json::json!({
        "api_token_id": token.api_token_id.0,
        "name": token.name,
        "display_prefix": token.display_prefix,
        "expires_at": token.expires_at,
        "revoked_at": token.revoked_at,
    })
}

/// Revokes an API token of a service account the caller may manage: refused from its next
/// request on, on every instance. A token of another account is "not found"; revoking a
/// revoked token changes nothing. Audited (`api_token.revoke`); a refused attempt is
/// audited with its reason.
pub async fn revoke_token(
    req: &Request,
    account_id: AccountId,
    token_id: ApiTokenId,
) -> Result<(), AppError> {
    let action = AuditAction::ApiTokenRevoked;
    let account = refusals::recorded(
        req,
        action,
        users::visible_target(req, account_id, may_manage),
    )
    .await?;
    require_service_account(&account)?;
    let mut change = Change::begin(req, action).await?;
    let before = api_credentials::find_token(&mut **change.tx(), account_id, token_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if before.revoked_at.is_some() {
        return Ok(());
    }
    api_credentials::revoke_token(&mut **change.tx(), account_id, token_id, req.now).await?;
    let after = api_credentials::find_token(&mut **change.tx(), account_id, token_id)
        .await?
        .ok_or(AppError::Internal)?;
    let event = change.event();
    event.tenant_id = account.tenant_id;
    event.target = Some(AuditTarget::Account(account.snapshot()));
    event.before = Some(token_fields(&before));
    event.after = Some(token_fields(&after));
    change.commit().await?;
    tracing::info!(
        account_id = account_id.0,
        api_token_id = token_id.0,
        "API token revoked"
    );
    Ok(())
}

/// Generates a new client secret for a service account the caller may manage, creating its
/// client (and client ID) the first time. After a rotation the previous secret keeps
/// working for the configured overlap (default 24 hours), so an integration can switch
/// without an outage; the one before it stops at once. The secret is in the answer only.
/// Audited (`api_client.rotate`, with the client ID); a refused attempt is audited with its
/// reason.
pub async fn rotate_client_secret(
    req: &Request,
    account_id: AccountId,
) -> Result<NewClientSecret, AppError> {
    let action = AuditAction::ApiClientRotated;
    let account = refusals::recorded(
        req,
        action,
        users::visible_target(req, account_id, may_manage),
    )
    .await?;
    require_service_account(&account)?;
    let secret = credentials::generate_client_secret(req.state.api.digest_key.bytes());
    let mut change = Change::begin(req, action).await?;
    let before = api_credentials::find_client(&mut **change.tx(), account_id).await?;
    match &before {
        None => {
            let client_id = credentials::generate_client_id();
            api_credentials::insert_client(
                &mut **change.tx(),
                account_id,
                client_id.as_str(),
                &secret.digest,
                req.now,
            )
            .await?;
        }
        Some(row) => {
            let overlap = req.state.api.settings.secret_overlap_secs;
            api_credentials::rotate_client(
                &mut **change.tx(),
                row.api_client_id,
                &secret.digest,
                req.now + overlap,
                req.now,
            )
            .await?;
        }
    }
    let after = api_credentials::find_client(&mut **change.tx(), account_id)
        .await?
        .ok_or(AppError::Internal)?
        .view();
    let event = change.event();
    event.tenant_id = account.tenant_id;
    event.target = Some(AuditTarget::Account(account.snapshot()));
    event.before = before
        .as_ref()
        .map(|row| serde_json::to_value(row.view()).unwrap_or_default());
    let mut fields = serde_json::to_value(&after).unwrap_or_default();
    fields["secret_prefix"] = serde_json::json!(secret.display_prefix);
    event.after = Some(fields);
    change.commit().await?;
    tracing::info!(account_id = account_id.0, "client secret generated");
    Ok(NewClientSecret {
        client: after,
        secret: secret.plaintext,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000; // 2027-01-15T08:00:00Z

    #[test]
    fn a_token_name_is_trimmed_and_between_1_and_100_characters() {
        assert_eq!(
            parse_token_name("  deploy bot "),
            Ok("deploy bot".to_owned())
        );
        assert!(parse_token_name("   ").is_err());
        assert!(parse_token_name(&"é".repeat(100)).is_ok());
        assert!(parse_token_name(&"é".repeat(101)).is_err());
        assert!(parse_token_name("a\nb").is_err());
    }

    #[test]
    fn without_a_maximum_a_token_may_never_expire() {
        assert_eq!(parse_token_expiry("", NOW, None), Ok(None));
        assert_eq!(parse_token_expiry("never", NOW, None), Ok(None));
        assert!(parse_token_expiry("2020-01-01", NOW, None).is_err());
    }

    #[test]
    fn a_maximum_lifetime_refuses_no_expiry_and_a_later_day_naming_the_limit() {
        let today = format_date(NOW);
        let last = format_date(NOW + 30 * 86_400);
        let err = parse_token_expiry("", NOW, Some(30)).unwrap_err();
        assert!(err.contains("30 days") && err.contains(&last), "{err}");
        assert!(parse_token_expiry(&last, NOW, Some(30)).unwrap().is_some());
        let day_after = format_date(NOW + 31 * 86_400);
        let err = parse_token_expiry(&day_after, NOW, Some(30)).unwrap_err();
        assert!(err.contains("30 days") && err.contains(&last), "{err}");
        assert!(parse_token_expiry(&today, NOW, Some(30)).unwrap().is_some());
        assert!(parse_token_expiry("never", NOW, Some(1)).is_err());
    }
}
