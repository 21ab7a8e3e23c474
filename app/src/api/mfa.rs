//! One's own multi-factor authentication, and resetting someone else's (SPEC §5).

use crate::domain::AccountId;
use crate::error::AppError;
pub use crate::me::MfaEnrolmentView;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::backend::{
    context::{serve, set_cookie},
    security::gate::Access,
    services::mfa,
};

/// Starts MFA enrolment for the caller: a new key, shown as a QR code and as text. Open to
/// an account that must enrol before anything else.
#[server(prefix = "/api", endpoint = "begin_mfa_enrolment")]
pub async fn begin_mfa_enrolment() -> Result<MfaEnrolmentView, AppError> {
    serve(Access::Enrolling, async |req| {
        mfa::begin_enrolment(&req).await
    })
    .await
}

/// Confirms enrolment with the current password and the first code from the app: MFA is
/// on, the ten recovery codes are returned (this once), and every session of the account
/// ends, this one included.
#[server(prefix = "/api", endpoint = "confirm_mfa_enrolment")]
pub async fn confirm_mfa_enrolment(
    code: String,
    current_password: String,
) -> Result<Vec<String>, AppError> {
    serve(Access::Enrolling, async |req| {
        let codes = mfa::confirm_enrolment(&req, &code, current_password).await?;
        set_cookie(&req.state.sessions.clear_session_cookie())?;
        Ok(codes)
    })
    .await
}

/// Turns the caller's own MFA off, after a current code from the app; refused while MFA is
/// required of the account.
#[server(prefix = "/api", endpoint = "turn_off_mfa")]
pub async fn turn_off_mfa(code: String) -> Result<(), AppError> {
    serve(Access::Full, async |req| {
        mfa::disable_own(&req, &code).await
    })
    .await
}

/// Turns MFA off for an account whose owner lost their device: platform administrators for
/// any account, tenant administrators for their tenant's. Audited.
#[server(prefix = "/api", endpoint = "reset_mfa")]
pub async fn reset_mfa(account_id: AccountId) -> Result<(), AppError> {
    serve(Access::Full, async |req| {
        mfa::reset_for(&req, account_id).await
    })
    .await
}
