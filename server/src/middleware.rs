//! Request guards that run before any page or server function.

use app::backend::clock::now;
use app::backend::context::RequestContext;
use app::backend::request::Request as ServiceRequest;
use app::backend::security::gate::{self, Access};
use app::backend::security::sessions::{self, authenticate};
use app::backend::state::AppState;
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

/// Paths that are plain routes of the server (not console pages).
pub const PLAIN_ROUTES: &[&str] = &["/healthz", "/users.csv", "/audit.csv", "/audit.jsonl"];

/// Is this a console page (not a server function, an asset or a plain route)?
fn is_page(path: &str) -> bool {
    !path.starts_with("/api/") && !is_public_asset(path) && !PLAIN_ROUTES.contains(&path)
}

/// A plain route's request as the services take it: its session admitted by the request
/// gate to what asks for a full session (nothing outstanding). Its rejection is the gate's
/// refusal.
pub struct FullRequest(pub ServiceRequest);

impl axum::extract::FromRequestParts<AppState> for FullRequest {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(ctx) = parts.extensions.get::<RequestContext>().cloned() else {
            return Err(StatusCode::INTERNAL_SERVER_ERROR.into_response());
        };
        match gate::admit(ctx.signed_in.as_ref(), Access::Full) {
            Ok(()) => ctx
                .signed_in
                .map(|me| {
                    FullRequest(ServiceRequest {
                        state: state.clone(),
                        me: std::sync::Arc::new(me),
                        client: ctx.client,
                        now: now(),
                    })
                })
                .ok_or_else(|| StatusCode::UNAUTHORIZED.into_response()),
            Err(refusal) => {
                let status =
                    StatusCode::from_u16(refusal.status_code()).unwrap_or(StatusCode::FORBIDDEN);
                Err((status, refusal.to_string()).into_response())
            }
        }
    }
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

/// The client's address of a request (see [`client_address`]), as the request frame found
/// it: what plain routes and the REST API count throttles and audit records by.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub IpAddr);

/// The client address the request frame found (unspecified if it is missing).
pub fn client_of(extensions: &axum::http::Extensions) -> IpAddr {
    extensions
        .get::<ClientAddress>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0)
}

/// What every request and answer passes through, in one tower layer (rather than two `from_fn`
/// middlewares, each of which boxes the rest of the stack and its future on every request:
/// a measurable share of an API call, see BENCHMARKS.md):
/// - the client's address, found once (the peer, or behind a trusted proxy the forwarded
///   one) and kept as a [`ClientAddress`] extension;
/// - a log line per answer: at `error` for a 5xx (with the method, the path and the time
///   taken), at `debug` for the rest; the path only, never the query string (a setup link's
///   token travels there);
/// - the security headers on every answer, set in one place: `X-Content-Type-Options:
///   nosniff`, `X-Frame-Options: DENY`, `Referrer-Policy: same-origin`; `Cache-Control:
///   no-store` on everything but the compiled assets (pages and API answers hold personal
///   data: no shared or browser cache may keep them); and HSTS when Warden is served over
///   HTTPS.
#[derive(Clone)]
pub struct FrameLayer {
    pub trusted_proxies: std::sync::Arc<[IpAddr]>,
    pub https: bool,
}

impl<S> tower::Layer<S> for FrameLayer {
    type Service = Frame<S>;

    fn layer(&self, inner: S) -> Frame<S> {
        Frame {
            inner,
            trusted_proxies: self.trusted_proxies.clone(),
            https: self.https,
        }
    }
}

/// The service of [`FrameLayer`].
#[derive(Clone)]
pub struct Frame<S> {
    inner: S,
    trusted_proxies: std::sync::Arc<[IpAddr]>,
    https: bool,
}

impl<S, ReqBody, ResBody> tower::Service<Request<ReqBody>> for Frame<S>
where
    S: tower::Service<Request<ReqBody>, Response = axum::http::Response<ResBody>>,
{
    type Response = axum::http::Response<ResBody>;
    type Error = S::Error;
    type Future = FrameFuture<S::Future>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        let peer = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ci| ci.0.ip())
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let client = client_address(peer, req.headers(), &self.trusted_proxies);
        req.extensions_mut().insert(ClientAddress(client));
        let path = req.uri().path();
        let cacheable = is_public_asset(path) && path != "/healthz";
        let method = req.method().clone();
        let uri = req.uri().clone();
        FrameFuture {
            inner: self.inner.call(req),
            cacheable,
            https: self.https,
            method,
            uri,
            started: std::time::Instant::now(),
        }
    }
}

pin_project_lite::pin_project! {
    /// The answer of [`Frame`]: the inner service's, logged, with the security headers set.
    pub struct FrameFuture<F> {
        #[pin]
        inner: F,
        cacheable: bool,
        https: bool,
        method: Method,
        uri: axum::http::Uri,
        started: std::time::Instant,
    }
}

impl<F, ResBody, E> std::future::Future for FrameFuture<F>
where
    F: std::future::Future<Output = Result<axum::http::Response<ResBody>, E>>,
{
    type Output = F::Output;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        let this = self.project();
        let mut res = std::task::ready!(this.inner.poll(cx))?;
        let (status, took) = (res.status(), this.started.elapsed());
        let path = this.uri.path();
        if status.is_server_error() {
            tracing::error!(method = %this.method, path, status = status.as_u16(), ?took, "request failed");
        } else {
            tracing::debug!(method = %this.method, path, status = status.as_u16(), ?took, "answered");
        }
        set_security_headers(res.headers_mut(), *this.cacheable, *this.https);
        std::task::Poll::Ready(Ok(res))
    }
}

/// The security headers of every answer (see [`FrameLayer`]).
fn set_security_headers(headers: &mut axum::http::HeaderMap, cacheable: bool, https: bool) {
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !cacheable {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
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
    let state = &state;
    let client = client_of(req.extensions());
    if is_public_asset(req.uri().path()) {
        return next.run(req).await;
    }
    let token = sessions::cookie_in(req.headers(), &state.sessions.cookie_name());
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
    // Pages: a session with something to do first is sent there (the one gate decides).
    if req.method() == Method::GET && is_page(req.uri().path()) {
        if let Err(refusal) = gate::admit(signed_in.as_ref(), gate::page_access(req.uri().path())) {
            if let Some(to) = gate::redirect_for(&refusal) {
                return (StatusCode::FOUND, [(header::LOCATION, to)]).into_response();
            }
        }
    }
    req.extensions_mut()
        .insert(RequestContext { signed_in, client });
    let mut res = next.run(req).await;
    if stale_cookie && !res.headers().contains_key(header::SET_COOKIE) {
        if let Ok(v) = HeaderValue::from_str(&state.sessions.clear_session_cookie()) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

/// Server-function errors raised by the framework itself (an argument that does not
/// deserialize, for example) arrive as 500s carrying an [`app::error::AppError`]; this gives
/// them that error's own status (422 for bad input), as the functions' own errors have.
///
/// Every server-function error also carries its message for a form, in words, in the
/// `x-warden-message` header (percent-encoded UTF-8): the browser's form enhancement shows it
/// without compiling the error type's explanations into the WASM.
pub async fn server_fn_error_status(req: Request<Body>, next: Next) -> Response {
    let res = next.run(req).await;
    if !res.headers().contains_key("serverfnerror") {
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
        if parts.status == StatusCode::INTERNAL_SERVER_ERROR {
            if let Ok(status) = StatusCode::from_u16(err.status_code()) {
                parts.status = status;
            }
        }
        if let Ok(message) = HeaderValue::from_str(&percent_encode(&err.form_message())) {
            parts.headers.insert("x-warden-message", message);
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// UTF-8 percent-encoded, as `decodeURIComponent` reads it.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~!*'()".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A plain HTML form posted to a server function (no JavaScript, or before the page's WASM
/// has loaded) is answered by Leptos with a redirect back to the form's page, marked
/// `__err=…` when it failed. This marks a successful one `__done=<function path>`, so that the
/// page can say so (`app::components::form::done`), and drops the marks an earlier answer
/// left in the address. A redirect the function chose itself (to another page) is left as it
/// is.
pub async fn mark_form_outcome(req: Request<Body>, next: Next) -> Response {
    let form_post = req.method() == Method::POST
        && req.uri().path().starts_with("/api/")
        && req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"));
    if !form_post {
        return next.run(req).await;
    }
    let function = req.uri().path().to_owned();
    let referer = req
        .headers()
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .map(|r| without_outcome(path_and_query(r)));
    let mut res = next.run(req).await;
    if !res.headers().contains_key(header::LOCATION) {
        return res;
    }
    // The browser must follow it as a GET, whatever status the function's error set (a
    // refused sign-in is a 401 for the server function's callers, not for a form).
    *res.status_mut() = StatusCode::SEE_OTHER;
    let Some(location) = res
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
    else {
        return res;
    };
    let failed = query_pairs(&location).any(|(k, _)| k == "__err");
    let marked = if failed {
        // Leptos's `__err`, without an earlier `__done`.
        let mut kept = String::new();
        let (base, _) = location.split_once('?').unwrap_or((&location, ""));
        for (k, v) in query_pairs(&location).filter(|(k, _)| *k != "__done") {
            kept.push(if kept.is_empty() { '?' } else { '&' });
            kept.push_str(k);
            kept.push('=');
            kept.push_str(v);
        }
        format!("{base}{kept}")
    } else {
        let back = without_outcome(path_and_query(&location));
        if referer.as_deref() != Some(back.as_str()) {
            return res;
        }
        let back = without(&back, &app::islands::TRANSIENT_PARAMS);
        let separator = if back.contains('?') { '&' } else { '?' };
        format!("{back}{separator}__done={function}")
    };
    if let Ok(value) = HeaderValue::from_str(&marked) {
        res.headers_mut().insert(header::LOCATION, value);
    }
    res
}

/// The path and query of a URL, absolute or not.
fn path_and_query(url: &str) -> &str {
    match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => url,
    }
}

fn query_pairs(url: &str) -> impl Iterator<Item = (&str, &str)> {
    url.split_once('?')
        .map_or("", |(_, q)| q.split('#').next().unwrap_or_default())
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
}

/// `url` without the outcome marks of a form post (`__done`, `__err`, `__path`).
fn without_outcome(url: &str) -> String {
    without(url, &app::islands::OUTCOME_PARAMS)
}

/// `url` without the query parameters named in `names`.
fn without(url: &str, names: &[&str]) -> String {
    let (base, _) = url.split_once('?').unwrap_or((url, ""));
    let mut out = base.to_owned();
    for (i, (k, v)) in query_pairs(url)
        .filter(|(k, _)| !names.contains(k))
        .enumerate()
    {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// The origin (`scheme://host[:port]`, lower case) of an absolute URL.
pub fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    format!("{scheme}://{authority}").to_ascii_lowercase()
}

/// Refuses state-changing requests that did not come from Warden's own pages: the
/// `Origin` must be exactly the public URL's origin, scheme and port included (or, without
/// an `Origin`, `Sec-Fetch-Site` must say same-origin). The session cookie is also
/// `SameSite=Strict`; this guard does not rely on that alone.
pub async fn refuse_cross_site(
    State(public_origin): State<String>,
    req: Request<Body>,
    next: Next,
) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let headers = req.headers();
    let same_site = match headers.get(header::ORIGIN).and_then(|h| h.to_str().ok()) {
        Some(origin) => origin.eq_ignore_ascii_case(&public_origin),
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
    #[test]
    fn a_form_message_is_percent_encoded_as_utf8() {
        assert_eq!(
            super::percent_encode("Not allowed: “Helpdesk” é 100%"),
            "Not%20allowed%3A%20%E2%80%9CHelpdesk%E2%80%9D%20%C3%A9%20100%25"
        );
    }

    #[test]
    fn outcome_marks_are_dropped_and_the_rest_kept() {
        use super::{path_and_query, without_outcome};
        assert_eq!(
            path_and_query("http://127.0.0.1:3000/users/5?a=1"),
            "/users/5?a=1"
        );
        assert_eq!(path_and_query("/users"), "/users");
        assert_eq!(path_and_query("https://x.example"), "/");
        assert_eq!(
            without_outcome("/tenants?edit=5&__done=/api/update_tenant"),
            "/tenants?edit=5"
        );
        assert_eq!(without_outcome("/t?__path=/api/x&__err=abc&q=2"), "/t?q=2");
        assert_eq!(without_outcome("/t?__done=/api/x"), "/t");
    }

    use super::{client_address, origin_of};

    #[test]
    fn an_origin_keeps_scheme_host_and_port_only() {
        assert_eq!(
            origin_of("https://Warden.example.com/console/"),
            "https://warden.example.com"
        );
        assert_eq!(origin_of("http://127.0.0.1:3000"), "http://127.0.0.1:3000");
        assert_ne!(
            origin_of("http://warden.example.com"),
            origin_of("https://warden.example.com")
        );
    }
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
