//! The audit trail (SPEC §8): who did what, to what, from where, with what outcome — written
//! with the same executor (and so in the same transaction) as the change it records. Nothing
//! here updates or deletes a record; the database refuses it as well.

use crate::backend::store::db::internal;
use crate::domain::{AccountId, RoleId, ScopeId, TenantId, Tier};
use crate::error::AppError;
use std::net::IpAddr;

/// What happened. Stored as the `as_str` value; new actions are added, never renamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    SignIn,
    SignOut,
    SignOutEverywhere,
    PasswordChanged,
    /// The first platform administrator, created through the one-time setup link.
    AdminCreatedBySetup,
    /// A platform administrator created with `warden create-admin`.
    AdminCreatedByCli,
    AccountCreated,
    AccountUpdated,
    AccountDisabled,
    AccountEnabled,
    AccountDeleted,
    /// The users list downloaded as CSV (personal data leaving Warden).
    AccountsExported,
    TenantCreated,
    TenantUpdated,
    TenantDisabled,
    TenantEnabled,
    TenantDeleted,
    RoleCreated,
    RoleUpdated,
    RoleDeleted,
    /// A role given to an account (tenant-wide or for a scope); the account is the target.
    RoleAssigned,
    RoleUnassigned,
    ScopeCreated,
    ScopeUpdated,
    ScopeDeleted,
    /// MFA turned on (enrolment confirmed with a first code).
    MfaEnabled,
    /// MFA turned off: by its owner (with a code) or by an administrator (lost device).
    MfaDisabled,
    /// An administrator ended every session of an account.
    SessionsInvalidated,
    /// The password was right and MFA is on: the code is awaited (the `sign_in` record of
    /// the code step follows, or nothing, which is worth noticing too).
    PasswordAccepted,
    /// An API token created for a service account (never its secret: name, prefix, expiry).
    ApiTokenCreated,
    /// An API token revoked.
    ApiTokenRevoked,
    /// A service account's client secret generated (the first time) or replaced.
    ApiClientRotated,
    /// An access token issued at the token endpoint (client-credentials grant).
    AccessTokenIssued,
    /// A REST API request or a token request refused for its credential (counted per address;
    /// recorded a few times a minute per address and reason at most).
    ApiAuthenticationFailed,
    /// The audit trail downloaded (CSV or JSON Lines, from the console or the API): records
    /// of people and changes leaving Warden.
    AuditExported,
    /// A failed outbox message queued again by a platform administrator.
    OutboxMessageRequeued,
}

impl AuditAction {
    pub const ALL: [AuditAction; 36] = [
        AuditAction::SignIn,
        AuditAction::SignOut,
        AuditAction::SignOutEverywhere,
        AuditAction::PasswordChanged,
        AuditAction::AdminCreatedBySetup,
        AuditAction::AdminCreatedByCli,
        AuditAction::AccountCreated,
        AuditAction::AccountUpdated,
        AuditAction::AccountDisabled,
        AuditAction::AccountEnabled,
        AuditAction::AccountDeleted,
        AuditAction::AccountsExported,
        AuditAction::TenantCreated,
        AuditAction::TenantUpdated,
        AuditAction::TenantDisabled,
        AuditAction::TenantEnabled,
        AuditAction::TenantDeleted,
        AuditAction::RoleCreated,
        AuditAction::RoleUpdated,
        AuditAction::RoleDeleted,
        AuditAction::RoleAssigned,
        AuditAction::RoleUnassigned,
        AuditAction::ScopeCreated,
        AuditAction::ScopeUpdated,
        AuditAction::ScopeDeleted,
        AuditAction::MfaEnabled,
        AuditAction::MfaDisabled,
        AuditAction::SessionsInvalidated,
        AuditAction::PasswordAccepted,
        AuditAction::ApiTokenCreated,
        AuditAction::ApiTokenRevoked,
        AuditAction::ApiClientRotated,
        AuditAction::AccessTokenIssued,
        AuditAction::ApiAuthenticationFailed,
        AuditAction::AuditExported,
        AuditAction::OutboxMessageRequeued,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::SignIn => "sign_in",
            AuditAction::SignOut => "sign_out",
            AuditAction::SignOutEverywhere => "sign_out_everywhere",
            AuditAction::PasswordChanged => "password.change",
            AuditAction::AdminCreatedBySetup => "account.create.setup",
            AuditAction::AdminCreatedByCli => "account.create.cli",
            AuditAction::AccountCreated => "account.create",
            AuditAction::AccountUpdated => "account.update",
            AuditAction::AccountDisabled => "account.disable",
            AuditAction::AccountEnabled => "account.enable",
            AuditAction::AccountDeleted => "account.delete",
            AuditAction::AccountsExported => "account.export",
            AuditAction::TenantCreated => "tenant.create",
            AuditAction::TenantUpdated => "tenant.update",
            AuditAction::TenantDisabled => "tenant.disable",
            AuditAction::TenantEnabled => "tenant.enable",
            AuditAction::TenantDeleted => "tenant.delete",
            AuditAction::RoleCreated => "role.create",
            AuditAction::RoleUpdated => "role.update",
            AuditAction::RoleDeleted => "role.delete",
            AuditAction::RoleAssigned => "role.assign",
            AuditAction::RoleUnassigned => "role.unassign",
            AuditAction::ScopeCreated => "scope.create",
            AuditAction::ScopeUpdated => "scope.update",
            AuditAction::ScopeDeleted => "scope.delete",
            AuditAction::MfaEnabled => "mfa.enable",
            AuditAction::MfaDisabled => "mfa.disable",
            AuditAction::SessionsInvalidated => "sessions.invalidate",
            AuditAction::PasswordAccepted => "sign_in.password",
            AuditAction::ApiTokenCreated => "api_token.create",
            AuditAction::ApiTokenRevoked => "api_token.revoke",
            AuditAction::ApiClientRotated => "api_client.rotate",
            AuditAction::AccessTokenIssued => "api_client.token",
            AuditAction::ApiAuthenticationFailed => "api.authenticate",
            AuditAction::AuditExported => "audit.export",
            AuditAction::OutboxMessageRequeued => "outbox.requeue",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// The attempt failed (e.g. wrong credentials).
    Failure,
    /// The attempt was refused by a rule (rate limit, disabled account, …).
    Refused,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Refused => "refused",
        }
    }
}

/// An account as it was when the event happened.
#[derive(Debug, Clone)]
pub struct AccountSnapshot {
    pub account_id: AccountId,
    pub username: String,
    pub tier: Tier,
}

/// What an event was about, as it was then.
#[derive(Debug, Clone)]
pub enum AuditTarget {
    Account(AccountSnapshot),
    Tenant {
        tenant_id: TenantId,
        name: String,
    },
    Role {
        role_id: RoleId,
        name: String,
    },
    Scope {
        scope_id: ScopeId,
        name: String,
    },
    /// A name that may match no account (a failed sign-in): as typed.
    TypedName(String),
    /// A message of the outbox, named by what it is about and to whom.
    OutboxMessage {
        message_id: i64,
        label: String,
    },
}

/// One audit record.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub action: AuditAction,
    pub outcome: Outcome,
    /// The tenant the event belongs to (`None`: platform-wide).
    pub tenant_id: Option<TenantId>,
    pub actor: Option<AccountSnapshot>,
    pub target: Option<AuditTarget>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub client: Option<IpAddr>,
    /// A short machine-readable reason, e.g. `invalid_credentials`.
    pub reason: Option<&'static str>,
    /// A refused record only: how many refusals like it (same actor, action and reason) were
    /// not recorded since the last one that was (see `refusals`).
    pub suppressed_before: Option<i64>,
}

impl AuditEvent {
    pub fn new(action: AuditAction, outcome: Outcome) -> Self {
        AuditEvent {
            action,
            outcome,
            tenant_id: None,
            actor: None,
            target: None,
            before: None,
            after: None,
            client: None,
            reason: None,
            suppressed_before: None,
        }
    }
}

/// Writes `event` with `executor` (a pool, a connection, or the change's transaction).
pub async fn record<'e, E>(executor: E, event: &AuditEvent, now: i64) -> Result<(), AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let (kind, target_id, label) = match &event.target {
        Some(AuditTarget::Account(a)) => (
            Some("account"),
            Some(a.account_id.0),
            Some(a.username.clone()),
        ),
        Some(AuditTarget::Tenant { tenant_id, name }) => {
            (Some("tenant"), Some(tenant_id.0), Some(name.clone()))
        }
        Some(AuditTarget::Role { role_id, name }) => {
            (Some("role"), Some(role_id.0), Some(name.clone()))
        }
        Some(AuditTarget::Scope { scope_id, name }) => {
            (Some("scope"), Some(scope_id.0), Some(name.clone()))
        }
        Some(AuditTarget::TypedName(name)) => (Some("account"), None, Some(name.clone())),
        Some(AuditTarget::OutboxMessage { message_id, label }) => {
            (Some("message"), Some(*message_id), Some(label.clone()))
        }
        None => (None, None, None),
    };
    sqlx::query(
        "insert into audit_events (occurred_at, tenant_id, actor_account_id, actor_username, \
         actor_tier, action, target_kind, target_id, target_label, before_json, after_json, \
         client_address, outcome, reason, suppressed_before) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(now)
    .bind(event.tenant_id.map(|t| t.0))
    .bind(event.actor.as_ref().map(|a| a.account_id.0))
    .bind(event.actor.as_ref().map(|a| a.username.clone()))
    .bind(event.actor.as_ref().map(|a| a.tier.as_str()))
    .bind(event.action.as_str())
    .bind(kind)
    .bind(target_id)
    .bind(label)
    .bind(event.before.as_ref().map(|v| v.to_string()))
    .bind(event.after.as_ref().map(|v| v.to_string()))
    .bind(event.client.map(|c| c.to_string()))
    .bind(event.outcome.as_str())
    .bind(event.reason)
    .bind(event.suppressed_before)
    .execute(executor)
    .await
    .map_err(internal("write audit record"))?;
    Ok(())
}

/// A name typed into the sign-in form, fit to be recorded: kept only when it has the shape of
/// a username, so that a password typed into the wrong field is usually not written to the
/// audit log (one made only of letters and digits still would be).
pub fn typed_username(input: &str) -> String {
    match crate::domain::Username::parse_provisioned(input) {
        Ok(name) => name.as_ref().to_owned(),
        Err(_) => "(not a valid username)".to_owned(),
    }
}

/// A name typed into the sign-in form, fit for the server's log (ASVS V16.4.1): the same
/// rule as [`typed_username`] (usernames are letters, digits and `_` only, so nothing in a
/// kept name can forge a log line, and a password typed into the wrong field is not
/// logged).
pub fn loggable_username(input: &str) -> String {
    typed_username(input)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_typed_name_that_is_no_username_never_reaches_the_log() {
        use super::loggable_username;
        assert_eq!(loggable_username("jane_doe"), "jane_doe");
        for forged in [
            "jane\nINFO admin signed in",
            "jane\r\nx",
            "Sup3r-secret!",
            "a b",
            "\u{1b}[31mred",
        ] {
            assert_eq!(
                loggable_username(forged),
                "(not a valid username)",
                "{forged:?}"
            );
        }
    }
}
