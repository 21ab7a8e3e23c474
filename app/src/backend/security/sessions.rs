//! Sessions (SPEC §4): a JWT (HS256, pinned) in an `HttpOnly; Secure; SameSite=Strict`
//! cookie, named `__Host-…` when Warden is served over HTTPS. The token names the account,
//! its `jwt_version` and a server-side session row: every request re-reads the account (a
//! new version, a disabled or expired account, or a disabled tenant ends the session at
//! once) and the row (signing out deletes it; a session idle longer than the idle timeout,
//! or past its lifetime, is refused and swept).

use crate::access::{Actor, Catalog, Holdings};
use crate::backend::store::accounts::{self, AccountRecord};
use crate::backend::store::db::internal;
use crate::backend::store::db::Db;
use crate::domain::{effective_status, AccountId, AccountStatus, Tier};
use crate::error::AppError;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

/// The session cookie's name over plain HTTP (a `__Host-` prefix is added over HTTPS).
pub const COOKIE_NAME: &str = "warden_session";
/// The cookie of a pending second sign-in step (password proven, MFA code not yet).
pub const PENDING_COOKIE_NAME: &str = "warden_mfa_pending";
/// The cookie of a browser that signed in to an account before (see `throttle`).
pub const DEVICE_COOKIE_NAME: &str = "warden_device";
const ISSUER: &str = "warden";
const AUDIENCE: &str = "warden-console";
/// A pending second step's token is for that step only: never accepted as a session.
const PENDING_AUDIENCE: &str = "warden-mfa-step";
/// A device token only marks a browser for the sign-in limits: never a session.
const DEVICE_AUDIENCE: &str = "warden-device";
/// How long a browser is remembered as one that signed in to an account.
const DEVICE_LIFETIME_SECS: i64 = 180 * 24 * 3600;
/// A session's last use is written at most this often (a write per request would not be).
const TOUCH_EVERY_SECS: i64 = 60;

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
    /// The server-side row of this session (or pending step, or device).
    #[serde(default)]
    sid: String,
}

/// The key that signs sessions, how long they last, and how the cookies are named.
#[derive(Clone)]
pub struct SessionKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    lifetime_secs: i64,
    idle_secs: i64,
    /// `__Host-` over HTTPS: the cookie is then bound to this exact origin.
    prefix: &'static str,
}

impl std::fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionKeys")
            .field("lifetime_secs", &self.lifetime_secs)
            .field("idle_secs", &self.idle_secs)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// A signed token and the server-side row it names.
pub struct Issued {
    pub token: String,
    pub id: String,
}

impl SessionKeys {
    /// Keys signing with `secret`; sessions last `lifetime_secs` and end after `idle_secs`
    /// unused; `https`: cookies get the `__Host-` prefix.
    pub fn new(secret: &[u8], lifetime_secs: i64, idle_secs: i64, https: bool) -> Self {
        SessionKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            lifetime_secs,
            idle_secs,
            prefix: if https { "__Host-" } else { "" },
        }
    }

    pub fn lifetime_secs(&self) -> i64 {
        self.lifetime_secs
    }

    pub fn idle_secs(&self) -> i64 {
        self.idle_secs
    }

    /// Starts a session for `account` (a row in `sessions`) and returns its signed token;
    /// `mfa` when it signed in with MFA. Also sweeps the account's ended sessions.
    pub async fn issue(
        &self,
        db: &Db,
        account: &AccountRecord,
        now: i64,
        mfa: bool,
    ) -> Result<String, AppError> {
        let id = crate::backend::security::crypto::random_token(18);
        sqlx::query(
            "delete from sessions where account_id = $1 and (expires_at <= $2 or last_seen_at <= $3)",
        )
        .bind(account.account_id.0)
        .bind(now)
        .bind(now - self.idle_secs)
        .execute(db.pool())
        .await
        .map_err(internal("sweep sessions"))?;
        sqlx::query(
            "insert into sessions (session_id, account_id, created_at, last_seen_at, expires_at) \
             values ($1, $2, $3, $3, $4)",
        )
        .bind(&id)
        .bind(account.account_id.0)
        .bind(now)
        .bind(now + self.lifetime_secs)
        .execute(db.pool())
        .await
        .map_err(internal("start session"))?;
        self.sign(account, now, self.lifetime_secs, AUDIENCE, mfa, &id)
    }

    /// A single-use token for the second sign-in step of `account`, valid for a few minutes;
    /// it is no session (another audience).
    pub async fn issue_pending(
        &self,
        db: &Db,
        account: &AccountRecord,
        now: i64,
    ) -> Result<String, AppError> {
        let id = crate::backend::security::crypto::random_token(18);
        sqlx::query("delete from mfa_pending_steps where expires_at <= $1")
            .bind(now)
            .execute(db.pool())
            .await
            .map_err(internal("sweep pending steps"))?;
        sqlx::query(
            "insert into mfa_pending_steps (step_id, account_id, expires_at) values ($1, $2, $3)",
        )
        .bind(&id)
        .bind(account.account_id.0)
        .bind(now + crate::backend::security::totp::PENDING_SECS)
        .execute(db.pool())
        .await
        .map_err(internal("start pending step"))?;
        self.sign(
            account,
            now,
            crate::backend::security::totp::PENDING_SECS,
            PENDING_AUDIENCE,
            false,
            &id,
        )
    }

    /// The account, its `jwt_version` and the step id a pending second step names, if its
    /// token is good (whether the step was used already is for [`take_pending`]).
    pub fn verify_pending(&self, token: &str) -> Option<(AccountId, String, String)> {
        let claims = self.verify_for(token, PENDING_AUDIENCE)?;
        Some((AccountId(claims.sub.parse().ok()?), claims.ver, claims.sid))
    }

    /// A token marking this browser as one that signed in to `account`.
    pub fn issue_device(&self, account: &AccountRecord, now: i64) -> Result<String, AppError> {
        let device = crate::backend::security::crypto::random_token(12);
        self.sign(
            account,
            now,
            DEVICE_LIFETIME_SECS,
            DEVICE_AUDIENCE,
            false,
            &device,
        )
    }

    /// The account and device id a device token names, if it is good.
    pub fn verify_device(&self, token: &str) -> Option<(AccountId, String)> {
        let claims = self.verify_for(token, DEVICE_AUDIENCE)?;
        Some((AccountId(claims.sub.parse().ok()?), claims.sid))
    }

    fn sign(
        &self,
        account: &AccountRecord,
        now: i64,
        lifetime_secs: i64,
        audience: &str,
        mfa: bool,
        sid: &str,
    ) -> Result<String, AppError> {
        let claims = Claims {
            sub: account.account_id.0.to_string(),
            ver: account.jwt_version.clone(),
            iat: now,
            exp: now + lifetime_secs,
            iss: ISSUER.into(),
            aud: audience.into(),
            mfa,
            sid: sid.to_owned(),
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
            .ok()
            .map(|data| data.claims)
            .filter(|claims| !claims.sid.is_empty())
    }

    /// The session cookie's name in this deployment.
    pub fn cookie_name(&self) -> String {
        format!("{}{COOKIE_NAME}", self.prefix)
    }

    /// The pending second step's cookie name in this deployment.
    pub fn pending_cookie_name(&self) -> String {
        format!("{}{PENDING_COOKIE_NAME}", self.prefix)
    }

    /// The device cookie's name in this deployment.
    pub fn device_cookie_name(&self) -> String {
        format!("{}{DEVICE_COOKIE_NAME}", self.prefix)
    }

    fn cookie(&self, name: String, value: &str, max_age_secs: i64) -> String {
        format!("{name}={value}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age={max_age_secs}")
    }

    /// The `Set-Cookie` value that starts a session.
    pub fn session_cookie(&self, token: &str) -> String {
        self.cookie(self.cookie_name(), token, self.lifetime_secs)
    }

    /// The `Set-Cookie` value that removes the session cookie.
    pub fn clear_session_cookie(&self) -> String {
        self.cookie(self.cookie_name(), "", 0)
    }

    /// The `Set-Cookie` value that holds a pending second step, for as long as it lasts.
    pub fn pending_cookie(&self, token: &str) -> String {
        self.cookie(
            self.pending_cookie_name(),
            token,
            crate::backend::security::totp::PENDING_SECS,
        )
    }

    /// The `Set-Cookie` value that removes a pending second step.
    pub fn clear_pending_cookie(&self) -> String {
        self.cookie(self.pending_cookie_name(), "", 0)
    }

    /// The `Set-Cookie` value that remembers this browser for the account it signed in to.
    pub fn device_cookie(&self, token: &str) -> String {
        self.cookie(self.device_cookie_name(), token, DEVICE_LIFETIME_SECS)
    }
}

/// Takes a pending second step (it works once): true when it existed, was unused, and had
/// not expired.
pub async fn take_pending(db: &Db, step_id: &str, now: i64) -> Result<bool, AppError> {
    let taken = sqlx::query("delete from mfa_pending_steps where step_id = $1 and expires_at > $2")
        .bind(step_id)
        .bind(now)
        .execute(db.pool())
        .await
        .map_err(internal("take pending step"))?;
    Ok(taken.rows_affected() == 1)
}

/// Ends one session (sign-out): its row is deleted, so its token is refused by every
/// instance from the next request on.
pub async fn revoke(db: &Db, session_id: &str) -> Result<(), AppError> {
    sqlx::query("delete from sessions where session_id = $1")
        .bind(session_id)
        .execute(db.pool())
        .await
        .map_err(internal("revoke session"))?;
    Ok(())
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

/// What proved a request's identity: a console session, or an API credential of a service
/// account (SPEC §7). Never the secret itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A console session: the server-side row its token names.
    Session(String),
    /// An API token (by id, not its secret).
    ApiToken(crate::credentials::ApiTokenId),
    /// An access token issued at the token endpoint to the client `api_client_id`.
    AccessToken { api_client_id: i64 },
}

/// A request's proven identity.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// How it was proven: a session (the console) or an API credential (the REST API).
    pub via: Credential,
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
    standing_refusal(account, now)
}

/// Why `account` may not act now whatever way it authenticates, or `None` when it may: its
/// tenant is disabled, or it is disabled, expired or not set up. [`refusal_reason`] adds the
/// console's tier rule to this; the REST API adds the opposite one.
pub fn standing_refusal(account: &AccountRecord, now: i64) -> Option<SignInRefusal> {
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

/// Authenticates a request from its session token: signature, expiry, issuer and audience;
/// the session's row (not signed out, not idle longer than the idle timeout); then the
/// account's current `jwt_version`, status, expiration and tenant.
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
    let row: Option<(i64, i64, i64)> = sqlx::query_as(
        "select account_id, last_seen_at, expires_at from sessions where session_id = $1",
    )
    .bind(&claims.sid)
    .fetch_optional(db.pool())
    .await
    .map_err(internal("read session"))?;
    let Some((owner, last_seen_at, expires_at)) = row else {
        return Ok(None);
    };
    if owner != id || expires_at <= now || last_seen_at + keys.idle_secs <= now {
        return Ok(None);
    }
    if now - last_seen_at >= TOUCH_EVERY_SECS {
        sqlx::query("update sessions set last_seen_at = $1 where session_id = $2")
            .bind(now)
            .bind(&claims.sid)
            .execute(db.pool())
            .await
            .map_err(internal("touch session"))?;
    }
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
    let holdings = holdings_of(db, catalog, &account).await?;
    let mfa_required = crate::backend::security::totp::required(&account, &holdings, catalog);
    let must_enrol_mfa = mfa_required && account.mfa_enabled_at.is_none();
    Ok(Some(SignedIn {
        via: Credential::Session(claims.sid),
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

/// What `account` holds through roles, as the access model takes it. Administrators hold
/// every privilege by their tier (no roles are read); anyone else through roles, read afresh
/// on each request so that a change takes effect at once.
pub async fn holdings_of(
    db: &Db,
    catalog: &Catalog,
    account: &AccountRecord,
) -> Result<Holdings, AppError> {
    match (account.tier, account.tenant_id) {
        (Tier::User | Tier::ServiceAccount, Some(tenant)) => {
            crate::backend::store::holdings::holdings(db, catalog, account.account_id, tenant).await
        }
        _ => Ok(Holdings::default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(https: bool) -> SessionKeys {
        SessionKeys::new(b"0123456789abcdef0123456789abcdef", 3600, 1800, https)
    }

    fn claims(aud: &str, exp: i64, sid: &str) -> Claims {
        let now = jsonwebtoken::get_current_timestamp() as i64;
        Claims {
            sub: "42".into(),
            ver: "v9".into(),
            iat: now,
            exp,
            iss: ISSUER.into(),
            aud: aud.into(),
            mfa: false,
            sid: sid.into(),
        }
    }

    fn sign(keys: &SessionKeys, c: &Claims) -> String {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), c, &keys.encoding).unwrap()
    }

    #[test]
    fn the_session_cookie_is_http_only_secure_and_strict() {
        let c = keys(false).session_cookie("abc");
        assert!(c.starts_with("warden_session=abc;"));
        for attr in [
            "HttpOnly",
            "Secure",
            "SameSite=Strict",
            "Path=/",
            "Max-Age=3600",
        ] {
            assert!(c.contains(attr), "{c} lacks {attr}");
        }
        assert!(keys(false).clear_session_cookie().contains("Max-Age=0"));
    }

    #[test]
    fn over_https_every_cookie_is_bound_to_the_origin_by_the_host_prefix() {
        let k = keys(true);
        assert!(k
            .session_cookie("t")
            .starts_with("__Host-warden_session=t;"));
        assert!(k
            .pending_cookie("t")
            .starts_with("__Host-warden_mfa_pending=t;"));
        assert!(k.device_cookie("t").starts_with("__Host-warden_device=t;"));
        assert_eq!(k.cookie_name(), "__Host-warden_session");
        // __Host- cookies must be Secure, Path=/ and carry no Domain.
        for c in [k.session_cookie("t"), k.clear_pending_cookie()] {
            assert!(c.contains("Secure") && c.contains("Path=/") && !c.contains("Domain"));
        }
    }

    #[test]
    fn a_pending_second_step_is_no_session_and_a_session_no_pending_step() {
        let keys = keys(false);
        let now = jsonwebtoken::get_current_timestamp() as i64;
        let pending = sign(&keys, &claims(PENDING_AUDIENCE, now + 300, "step1"));
        assert_eq!(
            keys.verify_pending(&pending),
            Some((AccountId(42), "v9".to_owned(), "step1".to_owned()))
        );
        assert!(
            keys.verify(&pending).is_none(),
            "a pending step is no session"
        );
        let session = sign(&keys, &claims(AUDIENCE, now + 300, "s1"));
        assert!(keys.verify_pending(&session).is_none());
        assert!(
            keys.verify_device(&session).is_none(),
            "a session is no device"
        );
        let expired = sign(&keys, &claims(PENDING_AUDIENCE, now - 60, "step1"));
        assert!(keys.verify_pending(&expired).is_none());
        assert!(keys
            .pending_cookie("t")
            .contains("HttpOnly; Secure; SameSite=Strict"));
        assert_eq!(
            cookie_value(
                "a=1; warden_mfa_pending=p; warden_session=s",
                PENDING_COOKIE_NAME
            ),
            Some("p")
        );
    }

    #[test]
    fn a_token_without_a_session_row_is_no_session() {
        let keys = keys(false);
        let now = jsonwebtoken::get_current_timestamp() as i64;
        assert!(keys
            .verify(&sign(&keys, &claims(AUDIENCE, now + 60, "")))
            .is_none());
        assert!(keys
            .verify(&sign(&keys, &claims(AUDIENCE, now + 60, "s")))
            .is_some());
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
        let keys = keys(false);
        let other = SessionKeys::new(b"ffffffffffffffffffffffffffffffff", 3600, 1800, false);
        let now = jsonwebtoken::get_current_timestamp() as i64;
        let good_claims = claims(AUDIENCE, now + 60, "s");
        let good = sign(&keys, &good_claims);
        assert!(keys.verify(&good).is_some());
        assert!(other.verify(&good).is_none());
        let hs512 =
            jsonwebtoken::encode(&Header::new(Algorithm::HS512), &good_claims, &keys.encoding)
                .unwrap();
        assert!(
            keys.verify(&hs512).is_none(),
            "algorithm must be pinned to HS256"
        );
        let old = sign(&keys, &claims(AUDIENCE, now - 60, "s"));
        assert!(keys.verify(&old).is_none());
    }
}
