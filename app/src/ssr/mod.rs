//! Server-only code: storage, crypto, sessions. Compiled only with the `ssr` feature, so the
//! WASM build never sees sqlx or argon2.

pub mod accounts;
pub mod audit;
pub mod audit_log;
pub mod auth;
pub mod crypto;
pub mod db;
pub mod directory;
pub mod gate;
pub mod import;
pub mod mfa;
pub mod passwords;
pub mod refusals;
pub mod roles;
pub mod sessions;
pub mod setup;
pub mod tenants;
pub mod throttle;
pub mod users;

use crate::error::AppError;
use leptos::prelude::use_context;
use sessions::{SessionKeys, SignedIn};
use std::net::IpAddr;
use std::sync::Arc;
use throttle::ThrottlePolicy;

/// Everything a request handler needs, built once at start and shared by reference.
#[derive(Clone, Debug)]
pub struct AppState(Arc<StateInner>);

#[derive(Debug)]
pub struct StateInner {
    pub db: db::Db,
    pub sessions: SessionKeys,
    pub throttle: ThrottlePolicy,
    /// The privilege catalog: built in, plus the deployment's own modules.
    pub catalog: Arc<crate::access::Catalog>,
    /// Seals secrets kept in the database (TOTP keys).
    pub secret_key: mfa::SecretKey,
    /// The one way passwords are hashed and checked: bounded in concurrency and memory.
    pub hasher: crypto::PasswordHasher,
}

impl AppState {
    pub fn new(
        db: db::Db,
        sessions: SessionKeys,
        throttle: ThrottlePolicy,
        catalog: Arc<crate::access::Catalog>,
        secret_key: mfa::SecretKey,
        hasher: crypto::PasswordHasher,
    ) -> Self {
        AppState(Arc::new(StateInner {
            db,
            sessions,
            throttle,
            catalog,
            secret_key,
            hasher,
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = StateInner;
    fn deref(&self) -> &StateInner {
        &self.0
    }
}

/// What the server's middleware learnt about a request before any page or server function
/// runs: the proven session (if any) and the client's address.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub signed_in: Option<SignedIn>,
    pub client: IpAddr,
}

/// The shared state, provided as Leptos context to both page rendering and server functions.
pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState is missing from the Leptos context");
        AppError::Internal
    })
}

/// This request's context, as set by the authentication middleware.
pub fn request_context() -> Result<RequestContext, AppError> {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<RequestContext>().cloned())
        .ok_or_else(|| {
            tracing::error!(
                "RequestContext is missing: is the authentication middleware installed?"
            );
            AppError::Internal
        })
}

/// The signed-in account of this request, or `Unauthenticated`; an account that still has
/// to replace its temporary password gets `PasswordChangeRequired` (SPEC §2.2), and one
/// that must have MFA and has none gets `MfaEnrolmentRequired` (SPEC §5).
pub fn current_actor() -> Result<SignedIn, AppError> {
    admitted(gate::Access::Full)
}

/// The signed-in account, even one that must still enrol MFA (but not one that must change
/// its password first): only for enrolling, and what such an account may do meanwhile.
pub fn current_enrolling() -> Result<SignedIn, AppError> {
    admitted(gate::Access::Enrolling)
}

/// The signed-in account, even one that must still change its password: only for what such
/// an account may do (change the password, sign out).
pub fn current_session() -> Result<SignedIn, AppError> {
    admitted(gate::Access::AnySession)
}

/// This request's session, if the gate admits it to a function that asks for `access`.
fn admitted(access: gate::Access) -> Result<SignedIn, AppError> {
    let signed_in = request_context()?.signed_in;
    gate::admit(signed_in.as_ref(), access)?;
    signed_in.ok_or(AppError::Unauthenticated)
}

/// The value of cookie `name` on this request, if any.
pub fn request_cookie(name: &str) -> Option<String> {
    sessions::cookie_in(&use_context::<http::request::Parts>()?.headers, name)
}

/// Sets the HTTP status of a failed server function from its error, then returns the result.
pub fn finish<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(err) = &result {
        if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
            if let Ok(status) = http::StatusCode::from_u16(err.status_code()) {
                res.set_status(status);
            }
            if let AppError::RateLimited { retry_after_secs }
            | AppError::Busy { retry_after_secs } = err
            {
                if let Ok(value) = http::HeaderValue::from_str(&retry_after_secs.to_string()) {
                    res.insert_header(http::header::RETRY_AFTER, value);
                }
            }
        }
    }
    result
}

/// Appends a `Set-Cookie` header to the response of this server function.
pub fn set_cookie(value: &str) -> Result<(), AppError> {
    let res = use_context::<leptos_axum::ResponseOptions>().ok_or(AppError::Internal)?;
    let value = http::HeaderValue::from_str(value).map_err(|_| AppError::Internal)?;
    res.append_header(http::header::SET_COOKIE, value);
    Ok(())
}

/// Now, in Unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
