//! STAND-IN for the `api-auth` branch's `rest/auth.rs` (`ApiCaller`) and `rest/problem.rs`
//! (`Problem`), so that the audit endpoints can be built and tested before that branch lands.
//! REPLACE BOTH WHEN MERGING (delete this file and the two re-exporting modules in
//! `rest/mod.rs`). It trusts a fake bearer value `standin-<account id>` (the convention of the
//! `rest` branch's stand-in) and checks no credential at all: never ship it.
//!
//! Contracts the audit endpoints rely on: [`ApiCaller`] is the authenticated service account
//! as the services' [`Request`] (401 otherwise); [`Problem`] is built `From<AppError>` and is
//! an RFC 9457 answer with the JSON fields `status`, `code`, `detail` (and `errors`).

use app::access::{Actor, Holdings};
use app::backend::clock::now;
use app::backend::context::RequestContext;
use app::backend::request::Request;
use app::backend::security::sessions::SignedIn;
use app::backend::state::AppState;
use app::backend::store::{accounts, holdings};
use app::domain::{effective_status, AccountId, AccountStatus, Tier};
use app::error::AppError;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::net::{IpAddr, Ipv4Addr};

/// The authenticated service account of an API request, as the services take it.
pub struct ApiCaller(pub Request);

impl axum::extract::FromRequestParts<AppState> for ApiCaller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let id = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer standin-"))
            .and_then(|v| v.parse::<i64>().ok())
            .ok_or(Problem::from(AppError::Unauthenticated))?;
        let account = accounts::find_for_session(&state.db, AccountId(id))
            .await?
            .ok_or(Problem::from(AppError::Unauthenticated))?;
        let (Tier::ServiceAccount, Some(tenant)) = (account.tier, account.tenant_id) else {
            return Err(AppError::Unauthenticated.into());
        };
        let at = now();
        if !account.tenant_active
            || effective_status(account.status, account.expires_at, at) != AccountStatus::Active
        {
            return Err(AppError::Unauthenticated.into());
        }
        let held: Holdings =
            holdings::holdings(&state.db, &state.catalog, account.account_id, tenant).await?;
        let client = parts
            .extensions
            .get::<RequestContext>()
            .map(|c| c.client)
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let me = SignedIn {
            session_id: String::new(),
            actor: Actor {
                account_id: account.account_id,
                tier: account.tier,
                tenant_id: account.tenant_id,
                holdings: held,
                mfa: false,
            },
            account,
            mfa: false,
            mfa_required: false,
            must_enrol_mfa: false,
        };
        Ok(ApiCaller(Request {
            state: state.clone(),
            me,
            client,
            now: at,
        }))
    }
}

/// An error of the API as problem details (RFC 9457).
#[derive(Debug)]
pub struct Problem(AppError);

impl From<AppError> for Problem {
    fn from(err: AppError) -> Problem {
        Problem(err)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let code = match &self.0 {
            AppError::Forbidden(refusal) => refusal.code(),
            AppError::Unauthenticated => "invalid_token",
            AppError::Invalid(_) => "invalid",
            AppError::NotFound => "not_found",
            _ => "internal",
        };
        let mut body = serde_json::json!({
            "type": format!("urn:warden:problem:{code}"),
            "title": status.canonical_reason().unwrap_or("Error"),
            "status": status.as_u16(),
            "code": code,
            "detail": self.0.to_string(),
        });
        if let AppError::Invalid(errors) = &self.0 {
            body["errors"] = serde_json::json!(errors.0);
        }
        let mut res = (status, body.to_string()).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        res
    }
}
