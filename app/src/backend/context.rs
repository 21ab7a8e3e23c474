//! The Leptos context of a request, as server functions see it: the shared state, what the
//! middleware learnt about the request (session, client address), the gate's verdict, and
//! how an answer sets its status and cookies.

use crate::backend::clock::now;
use crate::backend::request::{Anonymous, Request};
use crate::backend::security::gate;
use crate::backend::security::sessions::{self, SignedIn};
use crate::backend::state::AppState;
use crate::error::AppError;
use leptos::prelude::use_context;
use std::net::IpAddr;

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

/// This request as the services take it, if the gate admits its session to a function that
/// asks for `access`.
pub fn request(access: gate::Access) -> Result<Request, AppError> {
    let ctx = request_context()?;
    gate::admit(ctx.signed_in.as_ref(), access)?;
    let me = ctx.signed_in.ok_or(AppError::Unauthenticated)?;
    Ok(Request {
        state: state()?,
        me: std::sync::Arc::new(me),
        client: ctx.client,
        now: now(),
    })
}

/// The body of a server function that needs a session the gate admits to `access`: builds
/// the [`Request`], runs `call` with it and sets the answer's status from its error.
pub async fn serve<T>(
    access: gate::Access,
    call: impl AsyncFnOnce(Request) -> Result<T, AppError>,
) -> Result<T, AppError> {
    let result = match request(access) {
        Ok(req) => call(req).await,
        Err(refused) => Err(refused),
    };
    finish(result)
}

/// The body of a server function anyone may call (signing in, a setup link).
pub async fn serve_anyone<T>(
    call: impl AsyncFnOnce(Anonymous) -> Result<T, AppError>,
) -> Result<T, AppError> {
    let anonymous = request_context().and_then(|ctx| {
        Ok(Anonymous {
            state: state()?,
            signed_in: ctx.signed_in,
            client: ctx.client,
            now: now(),
        })
    });
    let result = match anonymous {
        Ok(anonymous) => call(anonymous).await,
        Err(e) => Err(e),
    };
    finish(result)
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
