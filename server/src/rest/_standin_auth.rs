//! STAND-IN for the `api-auth` branch's `rest/auth.rs`, written on branch `rest` only so that
//! its endpoints can be built and tested before that branch lands. REPLACE IT WITH THE REAL
//! ONE WHEN MERGING (and drop the `#[path]` attribute in `rest/mod.rs`): it trusts a fake
//! bearer value `standin-<account id>` and checks no credential at all.
//!
//! Contract kept by the real one: [`ApiCaller`] is the authenticated service account as the
//! services' [`Request`]; anything else (no credential, a console session cookie) is 401.

use super::problem::Problem;
use app::access::{Actor, Holdings};
use app::backend::clock::now;
use app::backend::context::RequestContext;
use app::backend::request::Request;
use app::backend::security::sessions::SignedIn;
use app::backend::state::AppState;
use app::backend::store::{accounts, holdings};
use app::domain::{effective_status, AccountId, AccountStatus, Tier};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use std::net::{IpAddr, Ipv4Addr};

/// The authenticated service account of an API request, as the services take it.
pub struct ApiCaller(pub Request);

impl axum::extract::FromRequestParts<AppState> for ApiCaller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let unauthenticated = || {
            Problem::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "A service account's credential is required.",
            )
        };
        let id = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer standin-"))
            .and_then(|v| v.parse::<i64>().ok())
            .ok_or_else(unauthenticated)?;
        let account = accounts::find_for_session(&state.db, AccountId(id))
            .await
            .map_err(Problem::from)?
            .ok_or_else(unauthenticated)?;
        let tenant = match (account.tier, account.tenant_id) {
            (Tier::ServiceAccount, Some(tenant)) => tenant,
            _ => return Err(unauthenticated()),
        };
        let request_time = now();
        let active = effective_status(account.status, account.expires_at, request_time)
            == AccountStatus::Active;
        if !account.tenant_active || !active {
            return Err(unauthenticated());
        }
        let held: Holdings =
            holdings::holdings(&state.db, &state.catalog, account.account_id, tenant)
                .await
                .map_err(Problem::from)?;
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
            now: request_time,
        }))
    }
}
