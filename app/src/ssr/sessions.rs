//! Sessions: a JWT (HS256, pinned) in an `HttpOnly; Secure; SameSite=Strict` cookie. The
//! token names the account and its `jwt_version`; every request re-reads the account, so a
//! new version, a disabled or expired account, or a disabled tenant ends the session at once.

use super::accounts::{self, AccountRecord};
use super::db::Db;
use crate::access::{Actor, Catalog, Holdings};
use crate::domain::{effective_status, AccountId, AccountStatus, Tier};
use crate::error::AppError;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

pub const COOKIE_NAME: &str = "warden_session";
/// The cookie of a pending second sign-in step (password proven, MFA code not yet).
pub const PENDING_COOKIE_NAME: &str = "warden_mfa_pending";
const ISSUER: &str = "warden";
const AUDIENCE: &str = "warden-console";
/// A pending second step's token is for that step only: never accepted as a session.
const PENDING_AUDIENCE: &str = "warden-mfa-step";

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    ver: String,
    iat: i64,
    exp: i64,
    iss: String,
    aud: String,
    /// Signed in with MFA (password, then a code or a recovery code).
    #[serde(default)]
    mfa: bool,
}

/// The key that signs sessions, and how long they last.
#[derive(Clone)]
pub struct SessionKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    lifetime_secs: i64,
}

impl std::fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionKeys")
            .field("lifetime_secs", &self.lifetime_secs)
            .finish_non_exhaustive()
    }
}

impl SessionKeys {
    pub fn new(secret: &[u8], lifetime_secs: i64) -> Self {
        SessionKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            lifetime_secs,
        }
    }

    pub fn lifetime_secs(&self) -> i64 {
        self.lifetime_secs
    }

    /// A signed session token for `account`; `mfa` when it signed in with MFA.
    pub fn issue(&self, account: &AccountRecord, now: i64, mfa: bool) -> Result<String, AppError> {
        self.sign(account, now, self.lifetime_secs, AUDIENCE, mfa)
    }

    /// A token for the second sign-in step of `account`, valid for a few minutes; it is no
    /// session (another audience).
    pub fn issue_pending(&self, account: &AccountRecord, now: i64) -> Result<String, AppError> {
        self.sign(
            account,
            now,
            super::mfa::PENDING_SECS,
            PENDING_AUDIENCE,
            false,
        )
    }

    /// The account and `jwt_version` a pending second step names, if its token is good.
    pub fn verify_pending(&self, token: &str) -> Option<(AccountId, String)> {
        let claims = self.verify_for(token, PENDING_AUDIENCE)?;
        Some((AccountId(claims.sub.parse().ok()?), claims.ver))
    }

    fn sign(
        &self,
        account: &AccountRecord,
        now: i64,
        lifetime_secs: i64,
        audience: &str,
        mfa: bool,
    ) -> Result<String, AppError> {
        let claims = Claims {
            sub: account.account_id.0.to_string(),
            ver: account.jwt_version.clone(),
            iat: now,
            exp: now + lifetime_secs,
            iss: ISSUER.into(),
            aud: audience.into(),
            mfa,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(|e| {
            tracing::error!(error = %e, "could not sign a session token");
            AppError::Internal
        })
    }

    fn verify(&self, token: &str) -> Option<Claims> {
        self.verify_for(token, AUDIENCE)
    }

    fn verify_for(&self, token: &str, audience: &str) -> Option<Claims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 5;
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map(|data| data.claims)
            .ok()
    }
}

/// The `Set-Cookie` value that starts a session.
pub fn session_cookie(token: &str, max_age_secs: i64) -> String {
    format!(
        "{COOKIE_NAME}={token}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age={max_age_secs}"
    )
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_session_cookie() -> String {
    format!("{COOKIE_NAME}=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0")
}

/// The `Set-Cookie` value that holds a pending second step, for as long as it lasts.
pub fn pending_cookie(token: &str) -> String {
    format!(
        "{PENDING_COOKIE_NAME}={token}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age={}",
        super::mfa::PENDING_SECS
    )
}

/// The `Set-Cookie` value that removes a pending second step.
pub fn clear_pending_cookie() -> String {
    format!("{PENDING_COOKIE_NAME}=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0")
}

/// The value of cookie `name` among a request's `Cookie` headers, if any and not empty.
pub fn cookie_in(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| cookie_value(v, name).map(str::to_owned))
}

/// The value of cookie `name` in one `Cookie` header, if any and not empty.
fn cookie_value<'h>(header: &'h str, name: &str) -> Option<&'h str> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

/// A request's proven identity.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub actor: Actor,
    pub account: AccountRecord,
    /// This session was signed in with MFA.
    pub mfa: bool,
    /// MFA is required of this account (tenant policy, or a sensitive privilege it holds).
    pub mfa_required: bool,
    /// Required, and not on: the account may do nothing but enrol (SPEC §5).
    pub must_enrol_mfa: bool,
}

/// Why an account may not hold a session now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInRefusal {
    ServiceAccount,
    TenantDisabled,
    AccountDisabled,
    AccountExpired,
    NotSetUp,
}

impl SignInRefusal {
    /// A stable code for the audit trail.
    pub fn code(self) -> &'static str {
        match self {
            SignInRefusal::ServiceAccount => "service_account",
            SignInRefusal::TenantDisabled => "tenant_disabled",
            SignInRefusal::AccountDisabled => "account_disabled",
            SignInRefusal::AccountExpired => "account_expired",
            SignInRefusal::NotSetUp => "account_not_set_up",
        }
    }

    /// What the person is told (only after proving the password).
    pub fn message(self) -> &'static str {
        match self {
            SignInRefusal::ServiceAccount => {
                "Service accounts cannot sign in to the console. They use the REST API."
            }
            SignInRefusal::TenantDisabled => {
                "Your organisation's access to Warden is suspended. Contact your administrator."
            }
            SignInRefusal::AccountDisabled => {
                "This account is disabled. Contact your administrator."
            }
            SignInRefusal::AccountExpired => {
                "This account has expired. Contact your administrator."
            }
            SignInRefusal::NotSetUp => {
                "This account has not been set up yet. Use the link in your invitation email."
            }
        }
    }
}

/// Why `account` may not hold a session now, or `None` when it may. Checked at sign-in and
/// on every request.
pub fn refusal_reason(account: &AccountRecord, now: i64) -> Option<SignInRefusal> {
    if !account.tier.may_use_console() {
        return Some(SignInRefusal::ServiceAccount);
    }
    if !account.tenant_active {
        return Some(SignInRefusal::TenantDisabled);
    }
    match effective_status(account.status, account.expires_at, now) {
        AccountStatus::Active | AccountStatus::MustChangePassword => None,
        AccountStatus::Disabled => Some(SignInRefusal::AccountDisabled),
        AccountStatus::Expired => Some(SignInRefusal::AccountExpired),
        AccountStatus::Invited => Some(SignInRefusal::NotSetUp),
    }
}

/// Authenticates a request from its session token: signature, expiry, issuer and audience,
/// then the account's current `jwt_version`, status, expiration and tenant.
pub async fn authenticate(
    db: &Db,
    keys: &SessionKeys,
    catalog: &Catalog,
    token: &str,
    now: i64,
) -> Result<Option<SignedIn>, AppError> {
    let Some(claims) = keys.verify(token) else {
        return Ok(None);
    };
    let Ok(id) = claims.sub.parse::<i64>() else {
        return Ok(None);
    };
    let Some(account) = accounts::find_for_session(db, AccountId(id)).await? else {
        return Ok(None);
    };
    let version_matches: bool = account
        .jwt_version
        .as_bytes()
        .ct_eq(claims.ver.as_bytes())
        .into();
    if !version_matches || refusal_reason(&account, now).is_some() {
        return Ok(None);
    }
    // Administrators hold every privilege by their tier; anyone else through roles, read
    // afresh on each request so that a change takes effect at once.
    let holdings = match (account.tier, account.tenant_id) {
        (Tier::User | Tier::ServiceAccount, Some(tenant)) => {
            super::roles::holdings(db, catalog, account.account_id, tenant).await?
        }
        _ => Holdings::default(),
    };
    let mfa_required = super::mfa::required(&account, &holdings, catalog);
    let must_enrol_mfa = mfa_required && account.mfa_enabled_at.is_none();
    Ok(Some(SignedIn {
        actor: Actor {
            account_id: account.account_id,
            tier: account.tier,
            tenant_id: account.tenant_id,
            holdings,
            mfa: claims.mfa,
        },
        account,
        mfa: claims.mfa,
        mfa_required,
        must_enrol_mfa,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_http_only_secure_and_strict() {
        let c = session_cookie("abc", 60);
        assert!(c.starts_with("warden_session=abc;"));
        for attr in [
            "HttpOnly",
            "Secure",
            "SameSite=Strict",
            "Path=/",
            "Max-Age=60",
        ] {
            assert!(c.contains(attr), "{c} lacks {attr}");
        }
        assert!(clear_session_cookie().contains("Max-Age=0"));
    }

    #[test]
    fn a_pending_second_step_is_no_session_and_a_session_no_pending_step() {
        let keys = SessionKeys::new(b"0123456789abcdef0123456789abcdef", 3600);
        let now = jsonwebtoken::get_current_timestamp() as i64;
        let claims = |aud: &str, exp: i64| Claims {
            sub: "42".into(),
            ver: "v9".into(),
            iat: now,
            exp,
            iss: ISSUER.into(),
            aud: aud.into(),
            mfa: false,
        };
        let sign = |c: &Claims| {
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), c, &keys.encoding).unwrap()
        };
        let pending = sign(&claims(PENDING_AUDIENCE, now + 300));
        assert_eq!(
            keys.verify_pending(&pending),
            Some((AccountId(42), "v9".to_owned()))
        );
        assert!(
            keys.verify(&pending).is_none(),
            "a pending step is no session"
        );
        let session = sign(&claims(AUDIENCE, now + 300));
        assert!(keys.verify_pending(&session).is_none());
        let expired = sign(&claims(PENDING_AUDIENCE, now - 60));
        assert!(keys.verify_pending(&expired).is_none());
        assert!(pending_cookie("t").contains("HttpOnly; Secure; SameSite=Strict"));
        assert_eq!(
            cookie_value(
                "a=1; warden_mfa_pending=p; warden_session=s",
                PENDING_COOKIE_NAME
            ),
            Some("p")
        );
    }

    #[test]
    fn the_token_is_found_among_other_cookies() {
        assert_eq!(
            cookie_value("a=1; warden_session=tok; b=2", COOKIE_NAME),
            Some("tok")
        );
        assert_eq!(cookie_value("a=1", COOKIE_NAME), None);
        assert_eq!(cookie_value("warden_session=", COOKIE_NAME), None);
        let mut headers = http::HeaderMap::new();
        headers.append(http::header::COOKIE, "a=1".parse().unwrap());
        headers.append(http::header::COOKIE, "warden_session=tok".parse().unwrap());
        assert_eq!(cookie_in(&headers, COOKIE_NAME).as_deref(), Some("tok"));
    }

    #[test]
    fn a_token_signed_with_another_key_or_algorithm_is_refused() {
        let keys = SessionKeys::new(b"0123456789abcdef0123456789abcdef", 3600);
        let other = SessionKeys::new(b"ffffffffffffffffffffffffffffffff", 3600);
        let now = jsonwebtoken::get_current_timestamp() as i64;
        let claims = Claims {
            sub: "1".into(),
            ver: "v".into(),
            iat: now,
            exp: now + 60,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            mfa: false,
        };
        let good =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &keys.encoding).unwrap();
        assert!(keys.verify(&good).is_some());
        assert!(other.verify(&good).is_none());
        let hs512 =
            jsonwebtoken::encode(&Header::new(Algorithm::HS512), &claims, &keys.encoding).unwrap();
        assert!(
            keys.verify(&hs512).is_none(),
            "algorithm must be pinned to HS256"
        );
        let expired = Claims {
            exp: now - 60,
            ..claims
        };
        let old =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &expired, &keys.encoding).unwrap();
        assert!(keys.verify(&old).is_none());
    }
}
