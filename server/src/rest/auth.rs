//! Who is calling the REST API: the [`ApiCaller`] extractor turns a request's
//! `Authorization: Bearer …` credential (an API token or an access token of a service
//! account) into the services' [`Request`], or refuses it with 401 and one message for every
//! cause. Failed authentications are counted per client address (`throttle`, shared by every
//! instance): over the limit, the address gets 429 with `Retry-After` and is refused by this
//! instance without any lookup until the window ends. They are also audited
//! (`api.authenticate`, with the reason and address), a few records per address, reason and
//! minute at most (`refusals::admit`), so a flood of guesses cannot flood the trail.
//! A credential that proves itself is then held to its rate (`api_rate`): past it, 429 with
//! `Retry-After`.

use super::problem::Problem;
use app::backend::clock::now;
use app::backend::request::Request;
use app::backend::security::api_auth::{self, ApiAuthFailure};
use app::backend::security::api_rate;
use app::backend::security::throttle;
use app::backend::services::refusals::{self, REFUSALS_RECORDED};
use app::backend::state::AppState;
use app::backend::store::audit::{self, AuditAction, AuditEvent, Outcome};
use axum::http::header;
use std::net::IpAddr;

/// A REST API request whose Bearer credential proved a service account allowed to use the
/// API (see `app::backend::security::api_auth`): the same [`Request`] a server function
/// builds from a session, so handlers call the same services.
pub struct ApiCaller(pub Request);

impl axum::extract::FromRequestParts<AppState> for ApiCaller {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let client = client_of(parts);
        let now = now();
        if let Some(secs) = state.api.blocked_for(client, now) {
            return Err(Problem::rate_limited(secs));
        }
        let credential = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(api_auth::bearer);
        match api_auth::authenticate(&state.api_context(), credential, client, now).await {
            Ok(Ok(me)) => {
                if let Err(wait) = state.api.rate.admit(&me.via, std::time::Instant::now()) {
                    tracing::debug!(%client, "API credential over its rate");
                    return Err(Problem::over_rate(api_rate::retry_after_secs(wait)));
                }
                Ok(ApiCaller(Request {
                    state: state.clone(),
                    me,
                    client,
                    now,
                }))
            }
            Ok(Err(failure)) => {
                if let Some(secs) = count_failure(state, client, now, failure).await? {
                    return Err(Problem::rate_limited(secs));
                }
                Err(Problem::unauthenticated(credential.is_some()))
            }
            Err(error) => Err(error.into()),
        }
    }
}

/// The client address the request frame found (unspecified if it is missing).
pub(crate) fn client_of(parts: &axum::http::request::Parts) -> IpAddr {
    crate::middleware::client_of(&parts.extensions)
}

/// Counts and audits a failed API authentication from `client` (at the API or the token
/// endpoint). Answers the seconds to wait when the address is now over its limit (it is
/// then refused by this instance until then), or `None` for a plain refusal. A request
/// with no credential at all guesses nothing: neither counted nor audited.
pub(crate) async fn count_failure(
    state: &AppState,
    client: IpAddr,
    now: i64,
    failure: ApiAuthFailure,
) -> Result<Option<i64>, Problem> {
    if !failure.counts_as_guess() {
        return Ok(None);
    }
    tracing::info!(%client, reason = failure.code(), "API authentication failed");
    let key = format!("api_auth|{client}|{}", failure.code());
    if let Some(suppressed) = refusals::admit(&state.db, &key, REFUSALS_RECORDED, now).await? {
        let mut event = AuditEvent::new(AuditAction::ApiAuthenticationFailed, Outcome::Failure);
        event.client = Some(client);
        event.reason = Some(failure.code());
        event.suppressed_before = (suppressed > 0).then_some(suppressed);
        if let Err(error) = audit::record(state.db.pool(), &event, now).await {
            tracing::error!(?error, "could not record a failed API authentication");
        }
    }
    let limit = state.throttle.api_per_address;
    let wait =
        throttle::reserve(&state.db, &throttle::api_address_key(&client), limit, now).await?;
    if let Some(secs) = wait {
        state.api.block(client, now + secs, now);
    }
    Ok(wait)
}
