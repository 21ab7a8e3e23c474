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

/// What the authentication middleware needs.
#[derive(Clone)]
pub struct AuthLayerState {
    pub app: AppState,
    pub trusted_proxies: std::sync::Arc<[IpAddr]>,
}

/// The client's address: the connection's peer, unless that peer is a trusted proxy; then
/// the right-most `X-Forwarded-For` entry that is not itself a trusted proxy (entries further
/// left could have been written by the client).
pub fn client_address(peer: IpAddr, headers: &axum::http::HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let chain: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|ip| ip.trim().parse().ok())
        .collect();
    chain
        .into_iter()
        .rev()
        .find(|ip| !trusted.contains(ip))
        .unwrap_or(peer)
}

/// Authenticates every request from its session cookie — signature, expiry, and the
/// account's current `jwt_version`, status, expiration and tenant — and hands the result
/// to pages and server functions as a [`RequestContext`]. A cookie that no longer proves
/// anything is removed.
pub async fn authenticate_request(
    State(layer): State<AuthLayerState>,
    mut req: Request<Body>,
    next: Next,
) -> Response {
    let state = &layer.app;
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ci| ci.0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    let client = client_address(peer, req.headers(), &layer.trusted_proxies);
    if is_public_asset(req.uri().path()) {
        return next.run(req).await;
    }
    let token = sessions::cookie_in(req.headers(), sessions::COOKIE_NAME);
    let signed_in = match &token {
        Some(token) => {
            match authenticate(&state.db, &state.sessions, &state.catalog, token, now()).await {
                Ok(found) => found,
                Err(_) => {
                    return (
                        StatusCode::SERVICE_UNAVAILABLE,
                        "Warden cannot reach its database right now. Please try again shortly.",
                    )
                        .into_response()
                }
            }
        }
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

/// Server-function errors raised by the framework itself (an argument that does not
/// deserialize, for example) arrive as 500s carrying an [`app::error::AppError`]; this gives
/// them that error's own status (422 for bad input), as the functions' own errors have.
pub async fn server_fn_error_status(req: Request<Body>, next: Next) -> Response {
    let res = next.run(req).await;
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !res.headers().contains_key("serverfnerror")
    {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong on our side.",
        )
            .into_response();
    };
    if let Ok(err) = serde_json::from_slice::<app::error::AppError>(&bytes) {
        if let Ok(status) = StatusCode::from_u16(err.status_code()) {
            parts.status = status;
        }
    }
    Response::from_parts(parts, Body::from(bytes))
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

#[cfg(test)]
mod tests {
    use super::client_address;
    use axum::http::HeaderMap;
    use std::net::IpAddr;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn forwarded(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", value.parse().unwrap());
        h
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let h = forwarded("1.2.3.4");
        assert_eq!(
            client_address(ip("9.9.9.9"), &h, &[ip("10.0.0.1")]),
            ip("9.9.9.9")
        );
    }

    #[test]
    fn behind_a_trusted_proxy_the_right_most_untrusted_hop_is_the_client() {
        let trusted = [ip("10.0.0.1"), ip("10.0.0.2")];
        // The client spoofed 6.6.6.6; the proxies appended the real address and each other.
        let h = forwarded("6.6.6.6, 203.0.113.7, 10.0.0.2");
        assert_eq!(
            client_address(ip("10.0.0.1"), &h, &trusted),
            ip("203.0.113.7")
        );
    }

    #[test]
    fn a_trusted_proxy_without_the_header_is_the_client() {
        assert_eq!(
            client_address(ip("10.0.0.1"), &HeaderMap::new(), &[ip("10.0.0.1")]),
            ip("10.0.0.1")
        );
    }
}
