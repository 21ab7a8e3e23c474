//! Accounts as both sides submit them (SPEC §2.1, §2.4): the account form's fields as typed,
//! shared by the console's server functions, the REST API's body and the rows of a CSV
//! import.

use serde::{Deserialize, Serialize};

/// The account form as submitted (SPEC §2.1): the console's form fields (their names are the
/// HTML form's), the REST API's body, a CSV row after reading. Every field is raw text;
/// nothing here is trusted: the users service parses and authorizes it on the server.
///
/// Creating an account reads every field; editing one reads only the editable fields
/// (`tier`, `tenant_id`, `username` and `password` are ignored then).
// Its schema is the REST API's request body (server build only: no utoipa in the WASM).
#[derive(Serialize, Deserialize, Default, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AccountInput {
    /// The account's tier: `platform_admin`, `tenant_admin`, `user` or `service_account`.
    /// Creation only.
    #[serde(default)]
    pub tier: String,
    /// The tenant's id. Only read when a platform administrator creates a tenant account:
    /// everyone else's accounts go to their own tenant.
    #[serde(default)]
    pub tenant_id: String,
    /// Creation only: a username never changes.
    #[serde(default)]
    pub username: String,
    pub email: String,
    pub full_name: String,
    #[serde(default)]
    pub job_title: String,
    /// The phone number's country calling code, e.g. `+44`.
    #[serde(default)]
    pub country_code: String,
    #[serde(default)]
    pub phone: String,
    /// The last day the account is valid, `YYYY-MM-DD`; empty or `never`: no end.
    #[serde(default)]
    pub expires_on: String,
    #[serde(default)]
    pub ref_id_1: String,
    #[serde(default)]
    pub ref_id_2: String,
    /// The account's id in another system, unique in its tenant.
    #[serde(default)]
    pub external_id: String,
    /// The temporary password (people only, creation only); changed at first sign-in.
    #[serde(default)]
    pub password: String,
}

// The temporary password never reaches a log through `{:?}`.
impl std::fmt::Debug for AccountInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountInput")
            .field("tier", &self.tier)
            .field("tenant_id", &self.tenant_id)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}
