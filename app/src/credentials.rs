//! A service account's API credentials as both sides see them (SPEC §7): API tokens and the
//! client ID and secret exchanged for short-lived access tokens. Secrets appear in exactly
//! two values, [`NewApiToken`] and [`NewClientSecret`], answered once when created; nothing
//! else ever holds one.

use serde::{Deserialize, Serialize};

/// An API token's id (not the secret).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ApiTokenId(pub i64);

/// One API token of a service account, as listed (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokenView {
    pub api_token_id: ApiTokenId,
    pub name: String,
    /// The token's first characters (`wdn_` and four more), enough to recognise it.
    pub display_prefix: String,
    pub created_at: i64,
    /// Unix seconds; `None`: never expires.
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub last_used_address: Option<String>,
    /// Revoked tokens stay listed (greyed) with when.
    pub revoked_at: Option<i64>,
}

/// A token just created: the only time its secret is shown.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiToken {
    pub token: ApiTokenView,
    pub secret: String,
}

/// The new-token form, as submitted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokenInput {
    pub name: String,
    /// The last day the token works, `YYYY-MM-DD`; empty or `never`: no end (unless the
    /// deployment sets a maximum lifetime).
    #[serde(default)]
    pub expires_on: String,
}

/// A service account's client (for the OAuth 2.0 client-credentials grant), never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiClientView {
    pub client_id: String,
    pub created_at: i64,
    /// When the secret was last replaced; `None`: never.
    pub rotated_at: Option<i64>,
    /// Until when the previous secret still works after a rotation (the overlap).
    pub previous_secret_expires_at: Option<i64>,
}

/// A client secret just generated: the only time it is shown.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewClientSecret {
    pub client: ApiClientView,
    pub secret: String,
}

/// Everything the account page shows of a service account's credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceCredentials {
    pub tokens: Vec<ApiTokenView>,
    /// `None` until a secret is first generated.
    pub client: Option<ApiClientView>,
    /// The caller may create, revoke and rotate (it may manage the account).
    pub may_manage: bool,
}

// Secrets never reach a log through `{:?}`.
impl std::fmt::Debug for NewApiToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewApiToken")
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for NewClientSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewClientSecret")
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}
