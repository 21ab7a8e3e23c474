//! `POST /oauth/token`: the OAuth 2.0 client-credentials grant (RFC 6749 §4.4). A service
//! account's client ID and secret, sent with HTTP Basic (§2.3.1) or in the form body, are
//! exchanged for a short-lived access token (a JWT for the REST API only):
//! `{"access_token", "token_type": "Bearer", "expires_in"}`, never cached (`no-store`).
//! Errors as §5.2: `invalid_request` (400), `invalid_client` (401, one message for every
//! cause, counted and audited like every failed API authentication), and
//! `unsupported_grant_type` (400).

use super::auth::{client_of, count_failure};
use app::backend::clock::now;
use app::backend::security::api_auth::{self, ApiAuthFailure};
use app::backend::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;

/// An error answer of the token endpoint (RFC 6749 §5.2).
#[derive(Debug)]
struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: &'static str,
    retry_after: Option<i64>,
}

impl OAuthError {
    fn invalid_request(description: &'static str) -> OAuthError {
        OAuthError {
            status: StatusCode::BAD_REQUEST,
            error: "invalid_request",
            description,
            retry_after: None,
        }
    }

    fn invalid_client() -> OAuthError {
        OAuthError {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client",
            description: "Client authentication failed: the client ID or secret is wrong, the \
                 secret was replaced, or the account may not use the API.",
            retry_after: None,
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "error": self.error,
            "error_description": self.description,
        });
        let mut res = (self.status, axum::Json(body)).into_response();
        let headers = res.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"warden\""),
            );
        }
        if let Some(secs) = self.retry_after {
            if let Ok(value) = HeaderValue::from_str(&secs.max(1).to_string()) {
                headers.insert(header::RETRY_AFTER, value);
            }
        }
        res
    }
}

/// The form's parameters, each at most once (RFC 6749 §3.2), or `invalid_request`.
fn parameters(body: &[u8]) -> Result<Vec<(String, String)>, OAuthError> {
    let mut params: Vec<(String, String)> = Vec::new();
    for (name, value) in form_urlencoded::parse(body) {
        if params.iter().any(|(n, _)| *n == name) {
            return Err(OAuthError::invalid_request(
                "A parameter was sent more than once.",
            ));
        }
        params.push((name.into_owned(), value.into_owned()));
    }
    Ok(params)
}

/// Client ID and secret from an `Authorization: Basic` value: base64 of `id:secret`, each
/// form-urlencoded first (RFC 6749 §2.3.1).
fn basic_credentials(value: &str) -> Option<(String, String)> {
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    let unescape = |s: &str| -> String {
        form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Some((unescape(id), unescape(secret)))
}

/// `POST /oauth/token` (see the module's documentation).
#[utoipa::path(
    post,
    path = "/oauth/token",
    tag = "meta",
    security(()),
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "`grant_type=client_credentials`, with the client ID and secret as HTTP Basic credentials or as `client_id` and `client_secret`"),
    responses(
        (status = 200, description = "`{access_token, token_type: \"Bearer\", expires_in}`", body = Object),
        (status = 400, description = "RFC 6749 §5.2: `invalid_request` or `unsupported_grant_type`", body = Object),
        (status = 401, description = "RFC 6749 §5.2: `invalid_client`", body = Object),
        (status = 429, description = "Too many failed authentications from this address", body = Object),
    )
)]
pub async fn issue(
    State(state): State<AppState>,
    parts: axum::http::request::Parts,
    body: Bytes,
) -> Response {
    match grant(&state, &parts, &body).await {
        Ok(res) => res,
        Err(error) => error.into_response(),
    }
}

async fn grant(
    state: &AppState,
    parts: &axum::http::request::Parts,
    body: &[u8],
) -> Result<Response, OAuthError> {
    let client = client_of(parts);
    let now = now();
    let rate_limited = |secs: i64| OAuthError {
        status: StatusCode::TOO_MANY_REQUESTS,
        error: "invalid_request",
        description: "Too many failed attempts from this address. Try again later.",
        retry_after: Some(secs),
    };
    if let Some(secs) = state.api.blocked_for(client, now) {
        return Err(rate_limited(secs));
    }
    if !is_form(&parts.headers) {
        return Err(OAuthError::invalid_request(
            "Send the parameters as application/x-www-form-urlencoded.",
        ));
    }
    let params = parameters(body)?;
    let param = |name: &str| {
        params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    match param("grant_type") {
        None => return Err(OAuthError::invalid_request("grant_type is missing.")),
        Some("client_credentials") => {}
        Some(_) => {
            return Err(OAuthError {
                status: StatusCode::BAD_REQUEST,
                error: "unsupported_grant_type",
                description: "Only the client_credentials grant is supported.",
                retry_after: None,
            })
        }
    }
    let header_credentials = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let in_body = param("client_id").is_some() || param("client_secret").is_some();
    let (client_id, secret) = match (header_credentials, in_body) {
        (Some(_), true) => {
            return Err(OAuthError::invalid_request(
                "Authenticate the client one way only: HTTP Basic or the form body.",
            ))
        }
        (Some(value), false) => basic_credentials(value).unwrap_or_default(),
        (None, true) => (
            param("client_id").unwrap_or_default().to_owned(),
            param("client_secret").unwrap_or_default().to_owned(),
        ),
        (None, false) => return Err(OAuthError::invalid_client()),
    };
    let exchanged = api_auth::exchange_client_credentials(
        &state.api_context(),
        &client_id,
        &secret,
        client,
        now,
    )
    .await;
    let failure = match exchanged {
        Ok(Ok(issued)) => {
            let body = serde_json::json!({
                "access_token": issued.access_token,
                "token_type": "Bearer",
                "expires_in": issued.expires_in,
            });
            let mut res = (StatusCode::OK, axum::Json(body)).into_response();
            let headers = res.headers_mut();
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
            return Ok(res);
        }
        Ok(Err(failure)) => failure,
        Err(error) => {
            tracing::error!(?error, "token endpoint failed");
            return Err(OAuthError {
                status: StatusCode::SERVICE_UNAVAILABLE,
                error: "temporarily_unavailable",
                description: "Warden cannot answer right now. Try again shortly.",
                retry_after: Some(5),
            });
        }
    };
    // Any credential presented counts, even a malformed one.
    let failure = match failure {
        ApiAuthFailure::Missing => ApiAuthFailure::Malformed,
        other => other,
    };
    match count_failure(state, client, now, failure).await {
        Ok(Some(secs)) => Err(rate_limited(secs)),
        Ok(None) => Err(OAuthError::invalid_client()),
        Err(_) => Err(OAuthError::invalid_client()),
    }
}

/// Is the body declared `application/x-www-form-urlencoded` (parameters allowed)?
fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_base64_of_escaped_id_and_secret() {
        let encoded = base64::engine::general_purpose::STANDARD.encode("wdc_a%3Ab:wds_c+d");
        assert_eq!(
            basic_credentials(&format!("Basic {encoded}")),
            Some(("wdc_a:b".to_owned(), "wds_c d".to_owned()))
        );
        assert_eq!(basic_credentials("Bearer abc"), None);
        assert_eq!(basic_credentials("Basic !!!"), None);
        let no_colon = base64::engine::general_purpose::STANDARD.encode("justone");
        assert_eq!(basic_credentials(&format!("Basic {no_colon}")), None);
    }

    #[test]
    fn a_parameter_sent_twice_is_an_invalid_request() {
        assert!(parameters(b"grant_type=client_credentials&grant_type=x").is_err());
        let params = parameters(b"grant_type=client_credentials&client_id=a").unwrap();
        assert_eq!(params.len(), 2);
    }
}
