//! Tenants as both sides see them (SPEC §1): what the console lists and what a tenant form
//! submits.

use serde::{Deserialize, Deserializer, Serialize};

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

/// A tenant's own settings as submitted by someone of the tenant who may change them
/// (`Tenant settings: Edit`): its MFA and password policies, not its name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TenantSettingsInput {
    /// `off`, `optional` or `required`.
    pub mfa_policy: String,
    /// `default`, `strict` or `modern`; absent: unchanged (and then `refuse_guessable` is
    /// ignored).
    #[serde(default)]
    pub password_policy: Option<String>,
    /// The guessable-password check for the Default and Strict presets (Modern always has
    /// it).
    #[serde(default, deserialize_with = "checkbox")]
    pub refuse_guessable: bool,
}

/// The tenant form as submitted (SPEC §1, §2.3, §5): the console's form fields, the REST
/// API's body. Parsed on the server by the tenants service; nothing here is trusted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantInput {
    pub name: String,
    /// `off`, `optional` or `required`.
    pub mfa_policy: String,
    /// `default`, `strict` or `modern`; `None`: Default for a new tenant, unchanged for an
    /// existing one (and then `refuse_guessable` is ignored).
    #[serde(default)]
    pub password_policy: Option<String>,
    /// The guessable-password check for the Default and Strict presets (Modern always has
    /// it): a JSON boolean, or a ticked checkbox (`on`).
    #[serde(default, deserialize_with = "checkbox")]
    pub refuse_guessable: bool,
}

/// A checkbox: a boolean, or the text a form sends (`on` when ticked, or `true`/`false`).
pub fn checkbox<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Ticked {
        Bool(bool),
        Text(String),
    }
    match Ticked::deserialize(deserializer)? {
        Ticked::Bool(b) => Ok(b),
        Ticked::Text(t) => match t.as_str() {
            "on" | "true" => Ok(true),
            "" | "off" | "false" => Ok(false),
            other => Err(serde::de::Error::custom(format!(
                "expected a checkbox value (on, true or false), not “{other}”"
            ))),
        },
    }
}
