//! The one request gate: whether a request's session may do what a route offers. Used by
//! the server functions (through `context::current_actor` and its siblings), by the page
//! routes and by plain axum routes (through the server's `Gated` extractor), and
//! re-implemented nowhere.
//!
//! Status, expiry and tenant are checked when the session is authenticated (a disabled,
//! expired or suspended account has no session at all); what remains is what a session may
//! be asked to do first: replace a temporary password (SPEC §2.2), then enrol MFA (SPEC §5).

use crate::backend::security::sessions::SignedIn;
use crate::error::AppError;

/// What a route asks of the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not: signing in, first-run setup, the session's own description.
    Public,
    /// A session, even one that must still replace its temporary password: changing it,
    /// signing out.
    AnySession,
    /// A session that has its own password, even one that must still enrol MFA: enrolment.
    Enrolling,
    /// A session with nothing outstanding: everything else.
    Full,
}

/// Whether `signed_in` may use a route that asks for `access`; the refusal says what to do
/// first (sign in, choose a password, enrol MFA).
pub fn admit(signed_in: Option<&SignedIn>, access: Access) -> Result<(), AppError> {
    if access == Access::Public {
        return Ok(());
    }
    let me = signed_in.ok_or(AppError::Unauthenticated)?;
    if access == Access::AnySession {
        return Ok(());
    }
    if me.account.status == crate::domain::AccountStatus::MustChangePassword {
        return Err(AppError::PasswordChangeRequired);
    }
    if access == Access::Enrolling {
        return Ok(());
    }
    if me.must_enrol_mfa {
        return Err(AppError::MfaEnrolmentRequired);
    }
    Ok(())
}

/// What a console page asks of the session, by its path. Pages not listed need a full
/// session; the sign-in, setup and error pages are open.
pub fn page_access(path: &str) -> Access {
    match path.trim_end_matches('/') {
        "/login" | "/setup" => Access::Public,
        "/change-password" => Access::AnySession,
        "/mfa" => Access::Enrolling,
        _ => Access::Full,
    }
}

/// Where a page request refused by [`admit`] is sent instead, if anywhere.
pub fn redirect_for(refusal: &AppError) -> Option<&'static str> {
    match refusal {
        AppError::PasswordChangeRequired => Some("/change-password"),
        AppError::MfaEnrolmentRequired => Some("/mfa"),
        _ => None,
    }
}
