//! Server functions: typed endpoints shared by the browser and the server. Every one is a
//! public endpoint, so each authorizes on its first line and takes the tenant from the
//! session, never from input.

use crate::access::Actor;
use crate::domain::{AccountId, AccountStatus, Tier};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::ssr;

/// What the console shows of the signed-in account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    pub actor: Actor,
    pub account_id: AccountId,
    pub username: String,
    pub full_name: String,
    pub email: String,
    pub job_title: Option<String>,
    pub tier: Tier,
    pub tenant_name: Option<String>,
    pub status: AccountStatus,
    /// Unix seconds; `None` = never expires.
    pub expires_at: Option<i64>,
    pub created_at: i64,
    /// When MFA was turned on; `None`: off.
    #[serde(default)]
    pub mfa_enabled_at: Option<i64>,
    /// This session was signed in with MFA.
    #[serde(default)]
    pub mfa_session: bool,
    /// MFA is required of this account (tenant policy or a sensitive privilege): it cannot
    /// be turned off.
    #[serde(default)]
    pub mfa_required: bool,
    /// Required and not on: the account may only enrol.
    #[serde(default)]
    pub must_enrol_mfa: bool,
    /// The account may turn MFA on (not where its tenant's policy is Off).
    #[serde(default)]
    pub may_enrol_mfa: bool,
    /// The rules for this account's new passwords: its tenant's policy, or the platform
    /// policy for platform administrators.
    #[serde(default)]
    pub password_policy: crate::domain::PasswordPolicy,
}

/// Where a right password leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignInStep {
    /// Signed in.
    Done,
    /// MFA is on: a code is asked for next.
    Code,
}

/// What enrolment shows: the QR code (an SVG document) and the key typed by hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaEnrolmentView {
    pub qr_svg: String,
    /// Base32, in groups of four.
    pub key: String,
    /// The `otpauth://` address the QR code holds.
    pub uri: String,
}

/// The signed-in account of this request, or `None`. Anyone may ask; it reveals only the
/// caller's own account.
#[server(prefix = "/api", endpoint = "session")]
pub async fn get_session() -> Result<Option<SessionView>, AppError> {
    ssr::finish((|| {
        let ctx = ssr::request_context()?;
        Ok(ctx.signed_in.map(|s| {
            let a = s.account;
            let may_enrol_mfa = ssr::mfa::may_enrol(&a, s.mfa_required);
            SessionView {
                mfa_enabled_at: a.mfa_enabled_at,
                mfa_session: s.mfa,
                mfa_required: s.mfa_required,
                must_enrol_mfa: s.must_enrol_mfa,
                may_enrol_mfa,
                password_policy: a.password_policy.clone(),
                actor: s.actor,
                account_id: a.account_id,
                status: crate::domain::effective_status(a.status, a.expires_at, ssr::now()),
                username: a.username,
                full_name: a.full_name,
                email: a.email,
                job_title: a.job_title,
                tier: a.tier,
                tenant_name: a.tenant_name,
                expires_at: a.expires_at,
                created_at: a.created_at,
            }
        }))
    })())
}

/// Signs in with a username and password and starts a session (cookie); when the account's
/// MFA is on, starts the second step instead (a short-lived cookie) and answers `Code`.
/// Anyone may call it; failures are limited per account name and per client address, and
/// every wrong combination gets the same answer.
#[server(prefix = "/api", endpoint = "sign_in")]
pub async fn sign_in(username: String, password: String) -> Result<SignInStep, AppError> {
    ssr::finish(
        async {
            let state = ssr::state()?;
            let ctx = ssr::request_context()?;
            let now = ssr::now();
            let device = ssr::request_cookie(&state.sessions.device_cookie_name());
            let outcome = ssr::auth::sign_in(
                &state,
                &username,
                password,
                device.as_deref(),
                ctx.client,
                now,
            )
            .await?;
            match outcome {
                (_, ssr::auth::SignInOutcome::Session { token, device }) => {
                    ssr::set_cookie(&state.sessions.session_cookie(&token))?;
                    ssr::set_cookie(&state.sessions.device_cookie(&device))?;
                    leptos_axum::redirect("/");
                    Ok(SignInStep::Done)
                }
                (_, ssr::auth::SignInOutcome::SecondStep(pending)) => {
                    ssr::set_cookie(&state.sessions.pending_cookie(&pending))?;
                    Ok(SignInStep::Code)
                }
            }
        }
        .await,
    )
}

/// The second sign-in step: a code from the authenticator app, or a recovery code, for the
/// account whose password this browser gave minutes ago. Starts a session signed in with
/// MFA. Wrong codes are limited per account; a code is accepted once only.
#[server(prefix = "/api", endpoint = "sign_in_code")]
pub async fn sign_in_code(code: String) -> Result<(), AppError> {
    ssr::finish(
        async {
            let state = ssr::state()?;
            let ctx = ssr::request_context()?;
            let Some(pending) = ssr::request_cookie(&state.sessions.pending_cookie_name()) else {
                return Err(AppError::MfaStepExpired);
            };
            let now = ssr::now();
            let result = ssr::mfa::second_step(&state, &pending, &code, ctx.client, now).await;
            let (account, token, factor) = match result {
                Err(e @ (AppError::MfaStepExpired | AppError::SignInRefused(_))) => {
                    ssr::set_cookie(&state.sessions.clear_pending_cookie())?;
                    return Err(e);
                }
                other => other?,
            };
            ssr::set_cookie(&state.sessions.clear_pending_cookie())?;
            ssr::set_cookie(&state.sessions.session_cookie(&token))?;
            ssr::set_cookie(
                &state
                    .sessions
                    .device_cookie(&state.sessions.issue_device(&account, now)?),
            )?;
            match factor {
                ssr::mfa::SecondFactor::Code => leptos_axum::redirect("/"),
                ssr::mfa::SecondFactor::RecoveryCode { left } => {
                    leptos_axum::redirect(&format!("/mfa?recovery_codes_left={left}"))
                }
            }
            Ok(())
        }
        .await,
    )
}

/// Starts MFA enrolment for the caller: a new key, shown as a QR code and as text. Open to
/// an account that must enrol before anything else.
#[server(prefix = "/api", endpoint = "begin_mfa_enrolment")]
pub async fn begin_mfa_enrolment() -> Result<MfaEnrolmentView, AppError> {
    ssr::finish(
        async {
            let me = ssr::current_enrolling()?;
            let e = ssr::mfa::begin_enrolment(&ssr::state()?, &me, ssr::now()).await?;
            Ok(MfaEnrolmentView {
                qr_svg: e.qr_svg,
                key: e.key,
                uri: e.uri,
            })
        }
        .await,
    )
}

/// Confirms enrolment with the current password and the first code from the app: MFA is
/// on, the ten recovery codes are returned (this once), and every session of the account
/// ends, this one included.
#[server(prefix = "/api", endpoint = "confirm_mfa_enrolment")]
pub async fn confirm_mfa_enrolment(
    code: String,
    current_password: String,
) -> Result<Vec<String>, AppError> {
    ssr::finish(
        async {
            let me = ssr::current_enrolling()?;
            let ctx = ssr::request_context()?;
            let state = ssr::state()?;
            let codes = ssr::mfa::confirm_enrolment(
                &state,
                &me,
                &code,
                current_password,
                ctx.client,
                ssr::now(),
            )
            .await?;
            ssr::set_cookie(&state.sessions.clear_session_cookie())?;
            Ok(codes)
        }
        .await,
    )
}

/// Turns the caller's own MFA off, after a current code from the app; refused while MFA is
/// required of the account.
#[server(prefix = "/api", endpoint = "turn_off_mfa")]
pub async fn turn_off_mfa(code: String) -> Result<(), AppError> {
    ssr::finish(
        async {
            let me = ssr::current_actor()?;
            let ctx = ssr::request_context()?;
            ssr::mfa::disable_own(&ssr::state()?, &me, &code, ctx.client, ssr::now()).await
        }
        .await,
    )
}

/// Turns MFA off for an account whose owner lost their device: platform administrators for
/// any account, tenant administrators for their tenant's. Audited.
#[server(prefix = "/api", endpoint = "reset_mfa")]
pub async fn reset_mfa(account_id: AccountId) -> Result<(), AppError> {
    ssr::finish(
        async {
            let me = ssr::current_actor()?;
            let ctx = ssr::request_context()?;
            ssr::mfa::reset_for(&ssr::state()?, &me, account_id, ctx.client, ssr::now()).await
        }
        .await,
    )
}

/// Ends every session of an account the caller may manage (SPEC §2.3). Audited.
#[server(prefix = "/api", endpoint = "end_sessions")]
pub async fn end_sessions(account_id: AccountId) -> Result<(), AppError> {
    ssr::finish(
        async {
            let me = ssr::current_actor()?;
            let ctx = ssr::request_context()?;
            ssr::auth::end_sessions_for(&ssr::state()?, &me, account_id, ctx.client, ssr::now())
                .await
        }
        .await,
    )
}

/// Ends this browser's session on the server (every instance refuses its token from now on)
/// and removes its cookie. Anyone may call it; a signed-in caller's sign-out is audited.
#[server(prefix = "/api", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    ssr::finish(
        async {
            let ctx = ssr::request_context()?;
            let state = ssr::state()?;
            if let Some(me) = ctx.signed_in {
                ssr::sessions::revoke(&state.db, &me.session_id).await?;
                let event = ssr::audit::account_event(
                    ssr::audit::AuditAction::SignOut,
                    &me.account,
                    ctx.client,
                );
                ssr::audit::record(state.db.pool(), &event, ssr::now()).await?;
            }
            ssr::set_cookie(&state.sessions.clear_session_cookie())?;
            leptos_axum::redirect("/login");
            Ok(())
        }
        .await,
    )
}

/// Ends every session of the signed-in account, on every device, at once (a new
/// `jwt_version`). Needs a session.
#[server(prefix = "/api", endpoint = "sign_out_everywhere")]
pub async fn sign_out_everywhere() -> Result<(), AppError> {
    ssr::finish(
        async {
            let me = ssr::current_session()?;
            let state = ssr::state()?;
            let client = ssr::request_context()?.client;
            let now = ssr::now();
            let event = ssr::audit::account_event(
                ssr::audit::AuditAction::SignOutEverywhere,
                &me.account,
                client,
            );
            ssr::accounts::rotate_jwt_version(&state.db, me.actor.account_id, &event, now).await?;
            tracing::info!(account_id = %me.actor.account_id, "signed out everywhere");
            ssr::set_cookie(&state.sessions.clear_session_cookie())?;
            leptos_axum::redirect("/login");
            Ok(())
        }
        .await,
    )
}

/// Changes the caller's own password (current + new). Ends the caller's other sessions and
/// continues this one with a fresh cookie; turns a temporary password's "Must change
/// password" into Active. Needs a session (it is the one thing a temporary password allows).
#[server(prefix = "/api", endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
    new_password_confirmation: String,
) -> Result<(), AppError> {
    ssr::finish(
        async {
            let me = ssr::current_session()?;
            let state = ssr::state()?;
            let ctx = ssr::request_context()?;
            let form = ssr::auth::PasswordChangeForm {
                current_password,
                new_password,
                new_password_confirmation,
            };
            let token =
                ssr::auth::change_own_password(&state, &me, form, ctx.client, ssr::now()).await?;
            ssr::set_cookie(&state.sessions.session_cookie(&token))?;
            leptos_axum::redirect("/");
            Ok(())
        }
        .await,
    )
}

/// Whether a first-run setup link still works. Anyone holding a link may ask.
#[server(prefix = "/api", endpoint = "check_setup_link")]
pub async fn check_setup_link(token: String) -> Result<bool, AppError> {
    ssr::finish(
        async {
            let state = ssr::state()?;
            ssr::setup::setup_token_is_valid(&state.db, &token, ssr::now()).await
        }
        .await,
    )
}

/// Creates the first platform administrator. Allowed only with a valid, unused setup link
/// while no platform administrator exists; the link stops working at once.
#[server(prefix = "/api", endpoint = "create_first_admin")]
pub async fn create_first_admin(
    token: String,
    username: String,
    email: String,
    full_name: String,
    password: String,
    password_confirmation: String,
) -> Result<(), AppError> {
    ssr::finish(
        async {
            let state = ssr::state()?;
            let form = ssr::setup::AdminForm {
                username,
                email,
                full_name,
                password,
                password_confirmation,
            };
            let client = ssr::request_context()?.client;
            ssr::setup::create_first_admin(&state, &token, &form, client, ssr::now()).await?;
            leptos_axum::redirect("/login?setup=done");
            Ok(())
        }
        .await,
    )
}

/// A tenant as the console lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantView {
    pub tenant_id: crate::domain::TenantId,
    pub name: String,
    pub active: bool,
    pub mfa_policy: crate::domain::MfaPolicy,
    /// The password policy preset (SPEC §2.3).
    pub password_preset: crate::domain::PasswordPreset,
    /// Guessable passwords are refused (always for the Modern preset).
    pub refuse_guessable: bool,
    pub account_count: i64,
    pub created_at: i64,
}

impl TenantView {
    /// The rules for passwords set in this tenant.
    pub fn password_policy(&self) -> crate::domain::PasswordPolicy {
        self.password_preset.policy(self.refuse_guessable)
    }
}

/// The tenant form's guessable-password checkbox: `on` when ticked, missing when not.
#[cfg(feature = "ssr")]
fn ticked(checkbox: Option<String>) -> bool {
    matches!(checkbox.as_deref(), Some("on" | "true"))
}

/// Every tenant with its account count. Platform administrators only.
#[server(prefix = "/api", endpoint = "list_tenants")]
pub async fn list_tenants() -> Result<Vec<TenantView>, AppError> {
    ssr::finish(
        async {
            let me = ssr::current_actor()?;
            ssr::tenants::list(&ssr::state()?.db, &me).await
        }
        .await,
    )
}

/// Creates a tenant (unique name, MFA policy off / optional / required, password policy
/// default / strict / modern — Default when not sent; `refuse_guessable` = `on` turns the
/// guessable-password check on). Platform administrators only; audited.
#[server(prefix = "/api", endpoint = "create_tenant")]
pub async fn create_tenant(
    name: String,
    mfa_policy: String,
    password_policy: Option<String>,
    refuse_guessable: Option<String>,
) -> Result<TenantView, AppError> {
    ssr::finish(
        async {
            let me = ssr::current_actor()?;
            let ctx = ssr::request_context()?;
            let form = ssr::tenants::TenantForm {
                name,
                mfa_policy,
                password_policy,
                refuse_guessable: ticked(refuse_guessable),
            };
            let state = ssr::state()?;
            ssr::tenants::create(
                &state.db,
                &state.catalog,
                &me,
                &form,
                ctx.client,
                ssr::now(),
            )
            .await
        }
        .await,
    )
}

/// Renames a tenant or changes its MFA or password policy (fields as for `create_tenant`;
/// without `password_policy`, the password settings stay as they are). Platform
/// administrators only; audited.
#[server(prefix = "/api", endpoint = "update_tenant")]
pub async fn update_tenant(
    tenant_id: crate::domain::TenantId,
    name: String,
    mfa_policy: String,
    password_policy: Option<String>,
    refuse_guessable: Option<String>,
) -> Result<TenantView, AppError> {
    ssr::finish(
        async {
            let me = ssr::current_actor()?;
            let ctx = ssr::request_context()?;
            let form = ssr::tenants::TenantForm {
                name,
                mfa_policy,
                password_policy,
                refuse_guessable: ticked(refuse_guessable),
            };
            ssr::tenants::update(
                &ssr::state()?.db,
                &me,
                tenant_id,
                &form,
                ctx.client,
                ssr::now(),
            )
            .await
        }
        .await,
    )
}

/// Disables (`active = false`) or enables a tenant. Platform administrators only; audited.
#[server(prefix = "/api", endpoint = "set_tenant_active")]
pub async fn set_tenant_active(
    tenant_id: crate::domain::TenantId,
    active: bool,
) -> Result<TenantView, AppError> {
    ssr::finish(
        async {
            let me = ssr::current_actor()?;
            let ctx = ssr::request_context()?;
            ssr::tenants::set_active(
                &ssr::state()?.db,
                &me,
                tenant_id,
                active,
                ctx.client,
                ssr::now(),
            )
            .await
        }
        .await,
    )
}

/// Deletes a tenant that has no accounts. Platform administrators only; audited.
#[server(prefix = "/api", endpoint = "delete_tenant")]
pub async fn delete_tenant(tenant_id: crate::domain::TenantId) -> Result<(), AppError> {
    ssr::finish(
        async {
            let me = ssr::current_actor()?;
            let ctx = ssr::request_context()?;
            ssr::tenants::delete(&ssr::state()?.db, &me, tenant_id, ctx.client, ssr::now()).await
        }
        .await,
    )
}

pub use account_forms::*;

/// Server functions that take one argument per form field, which is what lets a plain HTML
/// form post to them (before hydration, too). Hence more arguments than clippy likes.
#[allow(clippy::too_many_arguments)]
mod account_forms {
    use super::*;

    /// Creates an account of a tier the caller may manage (SPEC §1), in the caller's tenant (a
    /// platform administrator chooses one). People get the temporary `password` and must change
    /// it at first sign-in. Audited.
    #[server(prefix = "/api", endpoint = "create_account")]
    pub async fn create_account(
        tier: String,
        #[server(default)] tenant_id: String,
        username: String,
        email: String,
        full_name: String,
        #[server(default)] job_title: String,
        #[server(default)] country_code: String,
        #[server(default)] phone: String,
        #[server(default)] expires_on: String,
        #[server(default)] ref_id_1: String,
        #[server(default)] ref_id_2: String,
        #[server(default)] external_id: String,
        #[server(default)] password: String,
    ) -> Result<AccountId, AppError> {
        ssr::finish(
            async {
                let me = ssr::current_actor()?;
                let ctx = ssr::request_context()?;
                let form = ssr::users::AccountForm {
                    tier,
                    tenant_id,
                    username,
                    email,
                    full_name,
                    job_title,
                    country_code,
                    phone,
                    expires_on,
                    ref_id_1,
                    ref_id_2,
                    external_id,
                    password,
                };
                ssr::users::create(&ssr::state()?, &me, &form, ctx.client, ssr::now()).await
            }
            .await,
        )
    }

    /// Changes an account's editable fields (not its username or tier). Needs a tier that may
    /// manage the account, in scope; audited.
    #[server(prefix = "/api", endpoint = "update_account")]
    pub async fn update_account(
        account_id: AccountId,
        email: String,
        full_name: String,
        #[server(default)] job_title: String,
        #[server(default)] country_code: String,
        #[server(default)] phone: String,
        #[server(default)] expires_on: String,
        #[server(default)] ref_id_1: String,
        #[server(default)] ref_id_2: String,
        #[server(default)] external_id: String,
    ) -> Result<(), AppError> {
        ssr::finish(
            async {
                let me = ssr::current_actor()?;
                let ctx = ssr::request_context()?;
                let form = ssr::users::AccountForm {
                    email,
                    full_name,
                    job_title,
                    country_code,
                    phone,
                    expires_on,
                    ref_id_1,
                    ref_id_2,
                    external_id,
                    ..Default::default()
                };
                ssr::users::update(
                    &ssr::state()?,
                    &me,
                    account_id,
                    &form,
                    ctx.client,
                    ssr::now(),
                )
                .await
            }
            .await,
        )
    }
}

/// Disables (`enabled = false`) or enables an account; never oneself, never the last enabled
/// administrator. Audited.
#[server(prefix = "/api", endpoint = "set_account_enabled")]
pub async fn set_account_enabled(account_id: AccountId, enabled: bool) -> Result<(), AppError> {
    ssr::finish(
        async {
            let me = ssr::current_actor()?;
            let ctx = ssr::request_context()?;
            ssr::users::set_enabled(
                &ssr::state()?,
                &me,
                account_id,
                enabled,
                ctx.client,
                ssr::now(),
            )
            .await
        }
        .await,
    )
}

/// Deletes an account for good (its audit records stay); never oneself, never the last
/// enabled administrator. Audited.
#[server(prefix = "/api", endpoint = "delete_account")]
pub async fn delete_account(account_id: AccountId) -> Result<(), AppError> {
    ssr::finish(
        async {
            let me = ssr::current_actor()?;
            let ctx = ssr::request_context()?;
            ssr::users::delete(&ssr::state()?, &me, account_id, ctx.client, ssr::now()).await
        }
        .await,
    )
}

/// One page of the users list: the accounts the caller may see (its tenant; every tenant for
/// a platform administrator), searched, filtered and sorted as `query` asks, each with
/// whether the caller may manage it and why.
/// JSON in: the query is a nested, typed value.
#[server(prefix = "/api", endpoint = "list_accounts", input = leptos::server_fn::codec::Json)]
pub async fn list_accounts(
    query: crate::directory::AccountQuery,
) -> Result<crate::directory::AccountPage, AppError> {
    ssr::finish(
        async {
            let me = ssr::current_actor()?;
            ssr::directory::list(&ssr::state()?.db, &me, &query, ssr::now()).await
        }
        .await,
    )
}

/// Every field of one account in the caller's scope, or "not found".
#[server(prefix = "/api", endpoint = "get_account")]
pub async fn get_account(
    account_id: AccountId,
) -> Result<crate::directory::AccountDetail, AppError> {
    ssr::finish(
        async {
            let me = ssr::current_actor()?;
            ssr::directory::get(&ssr::state()?.db, &me, account_id, ssr::now()).await
        }
        .await,
    )
}

/// Checks (`commit = false`: nothing is written) or imports (`commit = true`) a batch of rows
/// of an accounts CSV file, read by [`crate::csv::read_import`]. Every row goes through the
/// account form's rules and authorization; each gets its field errors by column or, imported,
/// its new account's id. Audited per account.
#[server(prefix = "/api", endpoint = "import_accounts", input = leptos::server_fn::codec::Json)]
pub async fn import_accounts(
    rows: Vec<crate::csv::ImportRow>,
    commit: bool,
) -> Result<Vec<crate::csv::RowResult>, AppError> {
    ssr::finish(
        async {
            let me = ssr::current_actor()?;
            let ctx = ssr::request_context()?;
            ssr::import::import(&ssr::state()?, &me, &rows, commit, ctx.client, ssr::now()).await
        }
        .await,
    )
}

/// One page of the audit trail, newest first, filtered as `query` asks: every record for a
/// platform administrator, the caller's tenant's records for a tenant administrator.
#[server(prefix = "/api", endpoint = "list_audit", input = leptos::server_fn::codec::Json)]
pub async fn list_audit(
    query: crate::audit_log::AuditQuery,
) -> Result<crate::audit_log::AuditPage, AppError> {
    ssr::finish(
        async {
            let me = ssr::current_actor()?;
            ssr::audit_log::list(&ssr::state()?.db, &me, &query).await
        }
        .await,
    )
}

// ---- Roles, scopes and assignments (SPEC §3) ----

/// A tenant's roles and scopes, with what the caller may change. Needs `Roles: View`. A
/// platform administrator names the tenant; anyone else gets its own.
#[server(prefix = "/api", endpoint = "list_roles")]
pub async fn list_roles(
    tenant_id: Option<crate::domain::TenantId>,
) -> Result<crate::roles::RolesPage, AppError> {
    ssr::finish(
        async {
            let me = ssr::current_actor()?;
            let state = ssr::state()?;
            ssr::roles::page(&state.db, &state.catalog, &me, tenant_id).await
        }
        .await,
    )
}

/// One role for the editor: its grants, the catalog and what the caller may grant. Needs
/// `Roles: View` in its tenant.
#[server(prefix = "/api", endpoint = "get_role")]
pub async fn get_role(
    role_id: crate::domain::RoleId,
) -> Result<crate::roles::RoleDetail, AppError> {
    ssr::finish(
        async {
            let me = ssr::current_actor()?;
            let state = ssr::state()?;
            ssr::roles::detail(&state.db, &state.catalog, &me, role_id).await
        }
        .await,
    )
}

/// Creates a custom role with no privileges. Needs Security Admin; audited.
#[server(prefix = "/api", endpoint = "create_role")]
pub async fn create_role(
    tenant_id: Option<crate::domain::TenantId>,
    name: String,
    description: String,
) -> Result<crate::domain::RoleId, AppError> {
    ssr::finish(
        async {
            let me = ssr::current_actor()?;
            let ctx = ssr::request_context()?;
            let state = ssr::state()?;
            ssr::roles::create(
                &state.db,
                &state.catalog,
                &me,
                tenant_id,
                &name,
                &description,
                ctx.client,
                ssr::now(),
            )
            .await
        }
        .await,
    )
}

/// Replaces a role's name, description, privileges and object grants. Needs Security Admin,
/// and every privilege granted or taken away held by the caller; audited before and after.
/// JSON in: the grants are nested, typed values.
#[server(prefix = "/api", endpoint = "update_role", input = leptos::server_fn::codec::Json)]
pub async fn update_role(
    role_id: crate::domain::RoleId,
    form: crate::roles::RoleForm,
) -> Result<(), AppError> {
    ssr::finish(
        async {
            let me = ssr::current_actor()?;
            let ctx = ssr::request_context()?;
            let state = ssr::state()?;
            ssr::roles::update(
                &state.db,
                &state.catalog,
                &me,
                role_id,
                &form,
                ctx.client,
                ssr::now(),
            )
            .await
        }
        .await,
    )
}

/// Deletes a custom role and its assignments. Needs Security Admin and every privilege the
/// role gives; audited.
#[server(prefix = "/api", endpoint = "delete_role")]
pub async fn delete_role(role_id: crate::domain::RoleId) -> Result<(), AppError> {
    ssr::finish(
        async {
            let me = ssr::current_actor()?;
            let ctx = ssr::request_context()?;
            let state = ssr::state()?;
            ssr::roles::delete(
                &state.db,
                &state.catalog,
                &me,
                role_id,
                ctx.client,
                ssr::now(),
            )
            .await
        }
        .await,
    )
}

/// Creates a scope. Needs `Tenant settings: Edit`; audited.
#[server(prefix = "/api", endpoint = "create_scope")]
pub async fn create_scope(
    tenant_id: Option<crate::domain::TenantId>,
    name: String,
    description: String,
) -> Result<crate::domain::ScopeId, AppError> {
    ssr::finish(
        async {
            let me = ssr::current_actor()?;
            let ctx = ssr::request_context()?;
            let state = ssr::state()?;
            ssr::roles::create_scope(
                &state.db,
                &state.catalog,
                &me,
                tenant_id,
                &name,
                &description,
                ctx.client,
                ssr::now(),
            )
            .await
        }
        .await,
    )
}

/// Renames a scope or changes its description. Needs `Tenant settings: Edit`; audited.
#[server(prefix = "/api", endpoint = "update_scope")]
pub async fn update_scope(
    scope_id: crate::domain::ScopeId,
    name: String,
    description: String,
) -> Result<(), AppError> {
    ssr::finish(
        async {
            let me = ssr::current_actor()?;
            let ctx = ssr::request_context()?;
            let state = ssr::state()?;
            ssr::roles::update_scope(
                &state.db,
                &state.catalog,
                &me,
                scope_id,
                &name,
                &description,
                ctx.client,
                ssr::now(),
            )
            .await
        }
        .await,
    )
}

/// Deletes a scope with its assignments and object grants. Needs `Tenant settings: Edit` and
/// what they give; audited.
#[server(prefix = "/api", endpoint = "delete_scope")]
pub async fn delete_scope(scope_id: crate::domain::ScopeId) -> Result<(), AppError> {
    ssr::finish(
        async {
            let me = ssr::current_actor()?;
            let ctx = ssr::request_context()?;
            let state = ssr::state()?;
            ssr::roles::delete_scope(
                &state.db,
                &state.catalog,
                &me,
                scope_id,
                ctx.client,
                ssr::now(),
            )
            .await
        }
        .await,
    )
}

/// Gives an account a role, tenant-wide (no scope) or for one scope. Needs to be able to
/// change the account and to hold everything the role gives there; audited on the account.
#[server(prefix = "/api", endpoint = "assign_role")]
pub async fn assign_role(
    account_id: AccountId,
    role_id: crate::domain::RoleId,
    scope_id: Option<crate::domain::ScopeId>,
) -> Result<(), AppError> {
    ssr::finish(
        async {
            let me = ssr::current_actor()?;
            let ctx = ssr::request_context()?;
            let state = ssr::state()?;
            ssr::roles::assign(
                &state.db,
                &state.catalog,
                &me,
                account_id,
                role_id,
                scope_id,
                ctx.client,
                ssr::now(),
            )
            .await
        }
        .await,
    )
}

/// Takes a role (tenant-wide, or for one scope) from an account. The same rule as
/// [`assign_role`]; audited on the account.
#[server(prefix = "/api", endpoint = "unassign_role")]
pub async fn unassign_role(
    account_id: AccountId,
    role_id: crate::domain::RoleId,
    scope_id: Option<crate::domain::ScopeId>,
) -> Result<(), AppError> {
    ssr::finish(
        async {
            let me = ssr::current_actor()?;
            let ctx = ssr::request_context()?;
            let state = ssr::state()?;
            ssr::roles::unassign(
                &state.db,
                &state.catalog,
                &me,
                account_id,
                role_id,
                scope_id,
                ctx.client,
                ssr::now(),
            )
            .await
        }
        .await,
    )
}

/// An account's roles and its effective access: every privilege, tenant-wide and per scope,
/// held or not, and why. Needs to see the account.
#[server(prefix = "/api", endpoint = "get_account_access")]
pub async fn get_account_access(
    account_id: AccountId,
) -> Result<crate::roles::AccountAccess, AppError> {
    ssr::finish(
        async {
            let me = ssr::current_actor()?;
            let state = ssr::state()?;
            ssr::roles::account_access(&state.db, &state.catalog, &me, account_id).await
        }
        .await,
    )
}
