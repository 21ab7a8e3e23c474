//! Signing in and out, the signed-in account, one's own password.

use crate::domain::AccountId;
use crate::error::AppError;
use crate::me::PasswordChangeInput;
pub use crate::me::{SessionView, SignInStep};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::backend::{
    context::{request_cookie, serve, serve_anyone, set_cookie},
    security::gate::Access,
    services::{auth, mfa},
};

/// The signed-in account of this request, or `None`. Anyone may ask; it reveals only the
/// caller's own account.
#[server(prefix = "/api", endpoint = "session")]
pub async fn get_session() -> Result<Option<SessionView>, AppError> {
    serve_anyone(async |visit| Ok(visit.signed_in.map(|me| auth::session_view(me, visit.now))))
        .await
}

/// Signs in with a username and password and starts a session (cookie); when the account's
/// MFA is on, starts the second step instead (a short-lived cookie) and answers `Code`.
/// Anyone may call it; failures are limited per account name and per client address, and
/// every wrong combination gets the same answer.
#[server(prefix = "/api", endpoint = "sign_in")]
pub async fn sign_in(username: String, password: String) -> Result<SignInStep, AppError> {
    serve_anyone(async |visit| {
        let keys = &visit.state.sessions;
        let device = request_cookie(&keys.device_cookie_name());
        match auth::sign_in(&visit, &username, password, device.as_deref()).await? {
            (_, auth::SignInOutcome::Session { token, device }) => {
                set_cookie(&keys.session_cookie(&token))?;
                set_cookie(&keys.device_cookie(&device))?;
                leptos_axum::redirect("/");
                Ok(SignInStep::Done)
            }
            (_, auth::SignInOutcome::SecondStep(pending)) => {
                set_cookie(&keys.pending_cookie(&pending))?;
                // The sign-in page asks for the code at this address, with or without
                // JavaScript.
                leptos_axum::redirect("/login?step=code");
                Ok(SignInStep::Code)
            }
        }
    })
    .await
}

/// The second sign-in step: a code from the authenticator app, or a recovery code, for the
/// account whose password this browser gave minutes ago. Starts a session signed in with
/// MFA. Wrong codes are limited per account; a code is accepted once only.
#[server(prefix = "/api", endpoint = "sign_in_code")]
pub async fn sign_in_code(code: String) -> Result<(), AppError> {
    serve_anyone(async |visit| {
        let keys = &visit.state.sessions;
        let Some(pending) = request_cookie(&keys.pending_cookie_name()) else {
            return Err(AppError::MfaStepExpired);
        };
        let result = mfa::second_step(&visit, &pending, &code).await;
        // The step is over either way, except for a wrong code that may be typed again.
        if matches!(
            result,
            Ok(_) | Err(AppError::MfaStepExpired | AppError::SignInRefused(_))
        ) {
            set_cookie(&keys.clear_pending_cookie())?;
        }
        let (account, token, factor) = result?;
        set_cookie(&keys.session_cookie(&token))?;
        set_cookie(&keys.device_cookie(&keys.issue_device(&account, visit.now)?))?;
        match factor {
            mfa::SecondFactor::Code => leptos_axum::redirect("/"),
            mfa::SecondFactor::RecoveryCode { left } => {
                leptos_axum::redirect(&format!("/mfa?recovery_codes_left={left}"))
            }
        }
        Ok(())
    })
    .await
}

/// Ends every session of an account the caller may manage (SPEC §2.3). Audited.
#[server(prefix = "/api", endpoint = "end_sessions")]
pub async fn end_sessions(account_id: AccountId) -> Result<(), AppError> {
    serve(Access::Full, async |req| {
        auth::end_sessions_for(&req, account_id).await
    })
    .await
}

/// Ends this browser's session on the server (every instance refuses its token from now on)
/// and removes its cookie. Anyone may call it; a signed-in caller's sign-out is audited.
#[server(prefix = "/api", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    serve_anyone(async |visit| {
        auth::sign_out(&visit).await?;
        set_cookie(&visit.state.sessions.clear_session_cookie())?;
        leptos_axum::redirect("/login");
        Ok(())
    })
    .await
}

/// Ends every session of the signed-in account, on every device, at once (a new
/// `jwt_version`). Needs a session.
#[server(prefix = "/api", endpoint = "sign_out_everywhere")]
pub async fn sign_out_everywhere() -> Result<(), AppError> {
    serve(Access::AnySession, async |req| {
        auth::sign_out_everywhere(&req).await?;
        set_cookie(&req.state.sessions.clear_session_cookie())?;
        leptos_axum::redirect("/login");
        Ok(())
    })
    .await
}

/// Changes the caller's own password (current + new). Ends the caller's other sessions and
/// continues this one with a fresh cookie; turns a temporary password's "Must change
/// password" into Active. Needs a session (it is the one thing a temporary password allows).
#[server(prefix = "/api", endpoint = "change_password")]
pub async fn change_password(
    #[server(flatten)] input: PasswordChangeInput,
) -> Result<(), AppError> {
    serve(Access::AnySession, async |req| {
        let token = auth::change_own_password(&req, &input).await?;
        set_cookie(&req.state.sessions.session_cookie(&token))?;
        leptos_axum::redirect("/");
        Ok(())
    })
    .await
}
