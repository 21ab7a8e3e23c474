//! Request guards that run before any page or server function.

use app::ssr::sessions::{self, authenticate};
use app::ssr::{now, AppState, RequestContext};
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderValue, Method, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// Paths that never need a session: compiled assets and the health check.
fn is_public_asset(path: &str) -> bool {
    path.starts_with("/pkg/") || path == "/favicon.svg" || path == "/healthz"
}

/// Authenticates every request from its session cookie — signature, expiry, and the
/// account's current `jwt_version`, status, expiration and tenant — and hands the result
/// to pages and server functions as a [`RequestContext`]. A cookie that no longer proves
/// anything is removed.
pub async fn authenticate_request(
    State(state): State<AppState>,
    mut req: Request<Body>,
    next: Next,
) -> Response {
    let client = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ci| ci.0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    if is_public_asset(req.uri().path()) {
        return next.run(req).await;
    }
    let token = req
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| sessions::token_from_cookie_header(v).map(str::to_owned));
    let signed_in = match &token {
        Some(token) => match authenticate(&state.db, &state.sessions, token, now()).await {
            Ok(found) => found,
            Err(_) => {
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Warden cannot reach its database right now. Please try again shortly.",
                )
                    .into_response()
            }
        },
        None => None,
    };
    let stale_cookie = token.is_some() && signed_in.is_none();
    req.extensions_mut()
        .insert(RequestContext { signed_in, client });
    let mut res = next.run(req).await;
    if stale_cookie && !res.headers().contains_key(header::SET_COOKIE) {
        if let Ok(v) = HeaderValue::from_str(&sessions::clear_session_cookie()) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

/// Refuses state-changing requests that did not come from Warden's own pages: the
/// `Origin` (or, without it, `Sec-Fetch-Site`) must name this site. The session cookie is
/// also `SameSite=Strict`; this guard does not rely on that alone.
pub async fn refuse_cross_site(
    State(public_origin): State<String>,
    req: Request<Body>,
    next: Next,
) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let headers = req.headers();
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let same_site = match headers.get(header::ORIGIN).and_then(|h| h.to_str().ok()) {
        Some(origin) => {
            origin == public_origin
                || host.is_some_and(|host| {
                    origin
                        .split_once("://")
                        .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host))
                })
        }
        None => headers
            .get("sec-fetch-site")
            .and_then(|h| h.to_str().ok())
            .is_some_and(|site| site == "same-origin"),
    };
    if same_site {
        next.run(req).await
    } else {
        tracing::warn!(path = %req.uri().path(), "cross-site request refused");
        (StatusCode::FORBIDDEN, "Cross-site request refused.").into_response()
    }
}
