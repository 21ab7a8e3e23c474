//! Authentication of REST API requests (SPEC §7, issue 13 §2): from the value of an
//! `Authorization: Bearer …` header to the same [`SignedIn`] identity the console's sessions
//! give, so that every service decides for an API caller exactly as for a console user.
//!
//! Two kinds of credential, both of service accounts only:
//! - an **API token** (`wdn_…`): its format and checksum are checked first (no lookup for a
//!   mistyped or made-up one), then its keyed digest is looked up among live tokens (not
//!   revoked, not expired) together with its account, in one query;
//! - an **access token** (a JWT from the token endpoint, client-credentials grant): its
//!   signature, type, audience and expiry are checked, then its client row must still exist
//!   and belong to the account it names.
//!
//! Either way the account is then checked exactly as a session's is on every request
//! ([`sessions::standing_refusal`]: tenant enabled; account enabled, not expired, set up),
//! with the tier rule inverted: **only** service accounts may use the API. Its privileges
//! are read with it ([`sessions::holdings_of`]).
//!
//! What a credential proved is kept in memory
//! ([`crate::backend::security::credential_cache`]) while nothing audited has changed: a
//! revocation, a disabled account or tenant, or a role change is seen on the next request on
//! the instance that made it, and within about a second on the others. Expiries (the token's
//! and the account's) are checked on every request. No password hash (Argon2) is computed anywhere on this path: the secrets are
//! random and long, and a keyed digest (HMAC-SHA-256) is as strong and costs microseconds.
//!
//! **MFA.** Service accounts have no second factor. An API credential is treated as
//! satisfying the MFA requirement of sensitive privileges (`Actor::mfa` is true): it is a
//! single secret of about 178 random bits, stored only as a keyed digest, issued to one
//! account by an administrator, revocable, and never a password a person chose and might
//! reuse — the threats MFA answers (guessed, phished or reused passwords) do not apply to it.
//! Whether a service account may hold a sensitive privilege at all is the roles' business.
//!
//! Every failure is one [`ApiAuthFailure`]; the caller answers all of them alike (401, one
//! message), throttles them per address and audits them (see the server's `rest::auth`).

use crate::access::{Actor, Catalog};
use crate::backend::security::api_rate::RateLimiter;
use crate::backend::security::credential_cache::{self, CacheKey, CredentialCache, Proven};
use crate::backend::security::credentials::{
    self, AccessGrant, AccessTokenKey, ACCESS_TOKEN_KEY_PURPOSE, API_TOKEN_PREFIX,
    DIGEST_KEY_PURPOSE,
};
use crate::backend::security::sessions::{self, Credential, SignedIn};
use crate::backend::security::totp::SecretKey;
use crate::backend::store::accounts::AccountRecord;
use crate::backend::store::api_credentials;
use crate::backend::store::audit::{self, AuditAction, AuditEvent, Outcome};
use crate::backend::store::db::Db;
use crate::domain::Tier;
use crate::error::AppError;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// The key under which API tokens and client secrets are digested (HMAC-SHA-256), derived
/// from the server's secret key. `Debug` prints nothing of it.
#[derive(Clone)]
pub struct DigestKey([u8; 32]);

impl DigestKey {
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for DigestKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DigestKey(…)")
    }
}

/// What a deployment configures of API credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiSettings {
    /// The longest an API token may live, in days; `None`: no limit (a token may never
    /// expire).
    pub max_token_days: Option<u32>,
    /// How long a client's previous secret keeps working after a rotation, in seconds.
    pub secret_overlap_secs: i64,
    /// How long an access token from the token endpoint lasts, in seconds.
    pub access_token_secs: i64,
    /// How many requests a minute each credential may make (0: no limit); see
    /// [`crate::backend::security::api_rate`].
    pub requests_per_minute: u32,
}

impl Default for ApiSettings {
    fn default() -> Self {
        ApiSettings {
            max_token_days: None,
            secret_overlap_secs: 24 * 3600,
            access_token_secs: 10 * 60,
            requests_per_minute: DEFAULT_REQUESTS_PER_MINUTE,
        }
    }
}

/// Each credential's requests a minute, unless configured otherwise: 200 a second, in
/// bursts of 2,000.
pub const DEFAULT_REQUESTS_PER_MINUTE: u32 = 12_000;

/// What authenticating an API request reads: the database, the keys and cache, the catalog
/// (borrowed from the shared state, which holds all three).
pub struct ApiContext<'a> {
    pub db: &'a Db,
    pub api: &'a ApiAuth,
    pub catalog: &'a Catalog,
}

/// The keys and settings of API credentials, and the addresses currently refused for
/// guessing: built once at start, kept in the shared state.
#[derive(Debug)]
pub struct ApiAuth {
    pub digest_key: DigestKey,
    pub access_key: AccessTokenKey,
    pub settings: ApiSettings,
    /// Addresses over their limit of failed API authentications, until when (Unix seconds):
    /// this instance refuses their requests without any lookup. The count itself is kept in
    /// the database (`throttle`), shared by every instance.
    blocked: Mutex<crate::backend::FastMap<IpAddr, i64>>,
    /// What credentials proved, kept while nothing changed (see [`crate::backend::security::credential_cache`]).
    pub cache: CredentialCache<Arc<SignedIn>>,
    /// Each credential's requests: admitted at its rate, refused past it.
    pub rate: RateLimiter,
}

/// How many blocked addresses are remembered before expired ones are swept.
const BLOCKED_SWEEP_AT: usize = 10_000;

impl ApiAuth {
    /// The digest and access-token keys derived from the server's `secret_key` (each for its
    /// own purpose, so neither can stand for the other or for the key itself).
    pub fn new(secret_key: &SecretKey, settings: ApiSettings) -> ApiAuth {
        ApiAuth {
            digest_key: DigestKey(secret_key.derive(DIGEST_KEY_PURPOSE)),
            access_key: AccessTokenKey::from_bytes(&secret_key.derive(ACCESS_TOKEN_KEY_PURPOSE)),
            settings,
            blocked: Mutex::new(Default::default()),
            cache: credential_cache::new_cache(),
            rate: RateLimiter::new(settings.requests_per_minute),
        }
    }

    /// Seconds until `client` may try again, when it is refused for too many failures.
    pub fn blocked_for(&self, client: IpAddr, now: i64) -> Option<i64> {
        let mut blocked = self.blocked.lock().unwrap_or_else(|e| e.into_inner());
        match blocked.get(&client) {
            Some(&until) if until > now => Some(until - now),
            Some(_) => {
                blocked.remove(&client);
                None
            }
            None => None,
        }
    }

    /// Refuses `client` on this instance until `until` (it went over its limit).
    pub fn block(&self, client: IpAddr, until: i64, now: i64) {
        let mut blocked = self.blocked.lock().unwrap_or_else(|e| e.into_inner());
        if blocked.len() >= BLOCKED_SWEEP_AT {
            blocked.retain(|_, &mut at| at > now);
        }
        blocked.insert(client, until);
    }
}

/// Why an API authentication failed: for the audit trail and the log only. A client is told
/// the same thing for each (`invalid_token` / `invalid_client`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiAuthFailure {
    /// No credential, or not a Bearer one.
    Missing,
    /// Not the shape of any credential (format, checksum, signature, audience, type).
    Malformed,
    /// Well-formed but unknown, revoked, or expired (tokens); an unknown client or a wrong
    /// secret (client credentials).
    Unknown,
    /// An access token past its expiry.
    Expired,
    /// The credential is good but its account is not a service account.
    NotServiceAccount,
    /// The credential is good but its account or tenant may not act now (the code of
    /// [`sessions::SignInRefusal`]).
    AccountRefused(&'static str),
}

impl ApiAuthFailure {
    /// A stable code for the audit trail.
    pub fn code(self) -> &'static str {
        match self {
            ApiAuthFailure::Missing => "missing_credential",
            ApiAuthFailure::Malformed => "malformed_credential",
            ApiAuthFailure::Unknown => "unknown_credential",
            ApiAuthFailure::Expired => "expired_credential",
            ApiAuthFailure::NotServiceAccount => "not_service_account",
            ApiAuthFailure::AccountRefused(code) => code,
        }
    }

    /// Whether this failure counts towards the address's limit on guessing. A request
    /// without any credential guesses nothing.
    pub fn counts_as_guess(self) -> bool {
        self != ApiAuthFailure::Missing
    }
}

/// The credential of an `Authorization` header value: `Bearer <token>` (scheme
/// case-insensitive, RFC 9110 §11.1), or `None`.
pub fn bearer(authorization: &str) -> Option<&str> {
    let (scheme, token) = authorization.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Authenticates an API request from its Bearer credential (`None`: no `Authorization`
/// header or not a Bearer one) at `now`, from `client`: an API token or an access token,
/// then its account as described in the module's documentation. `Ok(Err(_))` is a refused
/// credential; `Err(_)` a failure to read the database. Records an API token's use (at most
/// once a minute).
pub async fn authenticate(
    state: &ApiContext<'_>,
    credential: Option<&str>,
    client: IpAddr,
    now: i64,
) -> Result<Result<Arc<SignedIn>, ApiAuthFailure>, AppError> {
    let Some(credential) = credential else {
        return Ok(Err(ApiAuthFailure::Missing));
    };
    if credential.starts_with(API_TOKEN_PREFIX) {
        authenticate_api_token(state, credential, client, now).await
    } else {
        authenticate_access_token(state, credential, now).await
    }
}

async fn authenticate_api_token(
    state: &ApiContext<'_>,
    text: &str,
    client: IpAddr,
    now: i64,
) -> Result<Result<Arc<SignedIn>, ApiAuthFailure>, AppError> {
    let Ok(token) = credentials::parse_api_token(text) else {
        return Ok(Err(ApiAuthFailure::Malformed));
    };
    let key = CacheKey::Token(token.raw_digest(state.api.digest_key.bytes()));
    // Read before anything is looked up: a change committed meanwhile moves it on, and what
    // was read is then not kept.
    let epoch = state.db.change_epoch();
    let cache = &state.api.cache;
    let (me, expires_at, last_used_at) = match cache.get(&key, epoch, now) {
        Some(cached) => (
            cached.identity,
            cached.token_expires_at,
            cached.last_used_at,
        ),
        None => {
            let CacheKey::Token(digest) = &key else {
                unreachable!("an API token's key is its digest")
            };
            let digest = ::hex::encode(digest);
            let Some(live) = api_credentials::find_live_token(state.db, &digest, now).await? else {
                return Ok(Err(ApiAuthFailure::Unknown));
            };
            if let Err(refused) = may_use_api(&live.account, now) {
                return Ok(Err(refused));
            }
            let via = Credential::ApiToken(live.api_token_id);
            let me = Arc::new(identity(state, live.account, via).await?);
            let (expires_at, last_used_at) = (live.expires_at, live.last_used_at);
            let proven = Proven {
                identity: me.clone(),
                token_expires_at: expires_at,
                last_used_at,
            };
            cache.put(key.clone(), proven, epoch, now);
            (me, expires_at, last_used_at)
        }
    };
    // What changes with time alone is checked on every request.
    if expires_at.is_some_and(|at| at <= now) {
        return Ok(Err(ApiAuthFailure::Unknown));
    }
    if let Err(refused) = may_use_api(&me.account, now) {
        return Ok(Err(refused));
    }
    if last_used_at.is_none_or(|at| now - at >= api_credentials::TOUCH_EVERY_SECS) {
        let Credential::ApiToken(id) = me.via else {
            unreachable!("an API token's identity is proven by it")
        };
        api_credentials::touch_token(state.db, id, client, now).await?;
        cache.update(&key, |proven| proven.last_used_at = Some(now));
    }
    Ok(Ok(me))
}

async fn authenticate_access_token(
    state: &ApiContext<'_>,
    text: &str,
    now: i64,
) -> Result<Result<Arc<SignedIn>, ApiAuthFailure>, AppError> {
    let claims = match credentials::verify_access_token(&state.api.access_key, text, now) {
        Ok(claims) => claims,
        Err(credentials::CredentialFormatError::AccessTokenExpired) => {
            return Ok(Err(ApiAuthFailure::Expired))
        }
        Err(_) => return Ok(Err(ApiAuthFailure::Malformed)),
    };
    let key = CacheKey::Client {
        api_client_id: claims.api_client_id,
        account_id: claims.account_id,
    };
    let epoch = state.db.change_epoch();
    let me = match state.api.cache.get(&key, epoch, now) {
        Some(cached) => cached.identity,
        None => {
            let account = api_credentials::find_client_account(
                state.db,
                claims.api_client_id,
                crate::domain::AccountId(claims.account_id),
            )
            .await?;
            let Some(account) = account else {
                return Ok(Err(ApiAuthFailure::Unknown));
            };
            if let Err(refused) = may_use_api(&account, now) {
                return Ok(Err(refused));
            }
            let via = Credential::AccessToken {
                api_client_id: claims.api_client_id,
            };
            let me = Arc::new(identity(state, account, via).await?);
            let proven = Proven {
                identity: me.clone(),
                token_expires_at: None,
                last_used_at: None,
            };
            state.api.cache.put(key, proven, epoch, now);
            me
        }
    };
    // The account's own expiry passes with time alone.
    if let Err(refused) = may_use_api(&me.account, now) {
        return Ok(Err(refused));
    }
    Ok(Ok(me))
}

/// May `account` use the API now? Only service accounts, and only while they (and their
/// tenant) could act at all.
pub fn may_use_api(account: &AccountRecord, now: i64) -> Result<(), ApiAuthFailure> {
    if account.tier != Tier::ServiceAccount {
        return Err(ApiAuthFailure::NotServiceAccount);
    }
    match sessions::standing_refusal(account, now) {
        Some(refusal) => Err(ApiAuthFailure::AccountRefused(refusal.code())),
        None => Ok(()),
    }
}

/// The identity of a service account proven by an API credential: its holdings read afresh;
/// the credential counts as MFA (see the module's documentation), so nothing is left to
/// enrol.
async fn identity(
    state: &ApiContext<'_>,
    account: AccountRecord,
    via: Credential,
) -> Result<SignedIn, AppError> {
    let holdings = sessions::holdings_of(state.db, state.catalog, &account).await?;
    let mfa_required = crate::backend::security::totp::required(&account, &holdings, state.catalog);
    Ok(SignedIn {
        via,
        actor: Actor {
            account_id: account.account_id,
            tier: account.tier,
            tenant_id: account.tenant_id,
            holdings,
            mfa: true,
        },
        account,
        mfa: true,
        mfa_required,
        must_enrol_mfa: false,
    })
}

/// An access token just issued at the token endpoint: the bearer credential (shown to the
/// client once, never logged) and its lifetime.
pub struct IssuedAccessToken {
    pub access_token: String,
    pub expires_in: i64,
}

impl std::fmt::Debug for IssuedAccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedAccessToken")
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// The client-credentials grant (RFC 6749 §4.4): checks `client_id` and `secret` (the
/// current secret, or the previous one during its overlap after a rotation) and the
/// account as [`authenticate`] does, then issues an access token for the configured
/// lifetime. Audited (`api_client.token`, the service account as actor). Refused, the
/// failure says why (for the audit trail only: the client gets `invalid_client`).
pub async fn exchange_client_credentials(
    state: &ApiContext<'_>,
    client_id: &str,
    secret: &str,
    client: IpAddr,
    now: i64,
) -> Result<Result<IssuedAccessToken, ApiAuthFailure>, AppError> {
    let (Ok(client_id), Ok(secret)) = (
        credentials::parse_client_id(client_id),
        credentials::parse_client_secret(secret),
    ) else {
        return Ok(Err(ApiAuthFailure::Malformed));
    };
    let found = api_credentials::find_client_by_client_id(state.db, client_id.as_str()).await?;
    let key = state.api.digest_key.bytes();
    // Compared against every live digest of the row, each in constant time.
    let matched = found.filter(|(row, _)| {
        row.live_digests(now).fold(false, |any, stored| {
            secret.matches_digest(key, stored) | any
        })
    });
    let Some((row, account)) = matched else {
        return Ok(Err(ApiAuthFailure::Unknown));
    };
    if let Err(refused) = may_use_api(&account, now) {
        return Ok(Err(refused));
    }
    let lifetime = state.api.settings.access_token_secs;
    let access_token = credentials::issue_access_token(
        &state.api.access_key,
        &AccessGrant {
            account_id: account.account_id.0,
            tenant_id: account.tenant_id.map(|t| t.0),
            api_client_id: row.api_client_id,
        },
        now,
        lifetime,
    );
    let mut event = AuditEvent::new(AuditAction::AccessTokenIssued, Outcome::Success);
    event.tenant_id = account.tenant_id;
    event.actor = Some(account.snapshot());
    event.target = Some(audit::AuditTarget::Account(account.snapshot()));
    event.client = Some(client);
    event.after = Some(serde_json::json!({
        "client_id": row.client_id,
        "expires_in": lifetime,
    }));
    audit::record(state.db.pool(), &event, now).await?;
    Ok(Ok(IssuedAccessToken {
        access_token,
        expires_in: lifetime,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bearer_credential_is_read_from_its_header_value_only() {
        assert_eq!(bearer("Bearer wdn_abc"), Some("wdn_abc"));
        assert_eq!(bearer("bearer   wdn_abc "), Some("wdn_abc"));
        assert_eq!(bearer("BEARER x.y.z"), Some("x.y.z"));
        assert_eq!(bearer("Basic d2RjXzE6eA=="), None);
        assert_eq!(bearer("Bearer"), None);
        assert_eq!(bearer("Bearer "), None);
        assert_eq!(bearer("wdn_abc"), None);
    }

    #[test]
    fn the_two_keys_are_derived_for_their_purposes_and_never_printed() {
        let secret = SecretKey::from_bytes([3u8; 32]);
        let auth = ApiAuth::new(&secret, ApiSettings::default());
        assert_eq!(
            auth.digest_key.bytes(),
            &credentials::derive_key(&[3u8; 32], DIGEST_KEY_PURPOSE)
        );
        assert_ne!(
            auth.digest_key.bytes(),
            &credentials::derive_key(&[3u8; 32], ACCESS_TOKEN_KEY_PURPOSE)
        );
        // An access token issued under the derived key verifies with it.
        let grant = AccessGrant {
            account_id: 1,
            tenant_id: Some(2),
            api_client_id: 3,
        };
        let token = credentials::issue_access_token(&auth.access_key, &grant, 1_000, 60);
        assert!(credentials::verify_access_token(&auth.access_key, &token, 1_010).is_ok());
        let shown = format!("{auth:?}");
        let raw = format!("{:?}", auth.digest_key.bytes());
        assert!(!shown.contains(raw.trim_matches(['[', ']'])), "{shown}");
    }

    #[test]
    fn a_blocked_address_is_refused_until_its_time_and_then_forgotten() {
        let auth = ApiAuth::new(&SecretKey::from_bytes([1u8; 32]), ApiSettings::default());
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        assert_eq!(auth.blocked_for(a, 100), None);
        auth.block(a, 160, 100);
        assert_eq!(auth.blocked_for(a, 100), Some(60));
        assert_eq!(auth.blocked_for(b, 100), None);
        assert_eq!(auth.blocked_for(a, 160), None);
        assert_eq!(auth.blocked_for(a, 100), None, "forgotten once passed");
    }

    #[test]
    fn only_a_request_with_some_credential_counts_as_a_guess() {
        assert!(!ApiAuthFailure::Missing.counts_as_guess());
        for failure in [
            ApiAuthFailure::Malformed,
            ApiAuthFailure::Unknown,
            ApiAuthFailure::Expired,
            ApiAuthFailure::NotServiceAccount,
            ApiAuthFailure::AccountRefused("account_disabled"),
        ] {
            assert!(failure.counts_as_guess(), "{failure:?}");
        }
    }
}
