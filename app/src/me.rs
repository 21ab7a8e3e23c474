//! The signed-in account as both sides see it: what the console shows of it, where signing
//! in leads, MFA enrolment; the change-password form, and the first platform
//! administrator's form at setup.

use crate::access::Actor;
use crate::domain::{AccountId, AccountStatus, Tier};
use serde::{Deserialize, Serialize};

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

/// The change-password form (SPEC §2.3), as submitted.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordChangeInput {
    pub current_password: String,
    pub new_password: String,
    pub new_password_confirmation: String,
}

/// The first platform administrator (first run), as submitted with the setup link.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirstAdminInput {
    pub username: String,
    pub email: String,
    pub full_name: String,
    pub password: String,
    pub password_confirmation: String,
}

// Passwords never reach a log through `{:?}`.
impl std::fmt::Debug for PasswordChangeInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordChangeInput { … }")
    }
}

impl std::fmt::Debug for FirstAdminInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FirstAdminInput")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}
