//! `/api/v1/users`: accounts of the caller's tenant, through the same services as the
//! console's users list and account pages (same filters, cursors, rules, audit records).
//! An account of another tenant, or of a tier the caller may not see, answers exactly like a
//! missing one (404); a refusal answers 403 with the access model's code.

use super::auth::ApiCaller;
use super::etag;
use super::input::{AccountIdPath, ApiJson};
use super::problem::Problem;
use app::accounts::AccountInput;
use app::backend::request::Request;
use app::backend::services::{auth, directory, mfa, users};
use app::directory::{percent_encode, AccountDetail, AccountQuery, AccountSort, Cursor};
use app::domain::{AccountId, Tier};
use app::error::{AppError, FieldErrors};
use axum::extract::rejection::QueryRejection;
use axum::extract::Query;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use app::backend::state::AppState;

/// Rows per page when `limit` is not given, and the most a page holds whatever it asks.
pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 200;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, replace_user, delete_user))
        .routes(routes!(disable_user))
        .routes(routes!(enable_user))
        .routes(routes!(end_sessions))
        .routes(routes!(reset_mfa))
}

/// An account as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub full_name: String,
    pub email: String,
    /// `platform_admin`, `tenant_admin`, `user` or `service_account`.
    pub tier: String,
    pub tenant_id: Option<i64>,
    pub tenant_name: Option<String>,
    /// `active`, `must_change_password`, `invited`, `disabled` or `expired` (an expiration
    /// date in the past).
    pub status: String,
    pub external_id: Option<String>,
    pub job_title: Option<String>,
    pub country_code: Option<String>,
    pub phone: Option<String>,
    pub ref_id_1: Option<String>,
    pub ref_id_2: Option<String>,
    /// The last valid moment (Unix seconds), or none.
    pub expires_at: Option<i64>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

impl From<AccountDetail> for User {
    fn from(d: AccountDetail) -> User {
        let s = d.summary;
        User {
            id: s.account_id.0,
            username: s.username,
            full_name: s.full_name,
            email: s.email,
            tier: s.tier.as_str().to_owned(),
            tenant_id: s.tenant_id.map(|t| t.0),
            tenant_name: s.tenant_name,
            status: s.status.as_str().to_owned(),
            external_id: s.external_id,
            job_title: d.job_title,
            country_code: d.country_code,
            phone: d.phone,
            ref_id_1: d.ref_id_1,
            ref_id_2: d.ref_id_2,
            expires_at: s.expires_at,
            created_at: s.created_at,
            updated_at: d.updated_at,
        }
    }
}

/// One page of accounts, with the links of its neighbours (`null` at either end).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserPage {
    pub items: Vec<User>,
    /// The next page's URL (path and query), or `null` on the last page.
    pub next: Option<String>,
    /// The previous page's URL, or `null` on the first page.
    pub previous: Option<String>,
}

/// The users list's filters, as the console's list has them.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Words, each a prefix of the username, email, a word of the name or the external ID;
    /// every word must match.
    q: Option<String>,
    /// `active`, `must_change_password`, `invited`, `disabled` or `expired`.
    status: Option<String>,
    /// `platform_admin`, `tenant_admin`, `user` or `service_account`.
    tier: Option<String>,
    /// Accounts holding this role (id).
    role: Option<String>,
    /// Accounts holding a role assigned for this scope (id).
    scope: Option<String>,
    /// `username` (default), `name`, `email` or `created`.
    sort: Option<String>,
    /// `true` for descending order.
    desc: Option<String>,
    /// Rows per page: 1 to 200 (larger asks get 200); default 50.
    limit: Option<String>,
    /// A page's cursor, as the `next` and `previous` links carry it.
    cursor: Option<String>,
}

impl ListParams {
    /// The query and the page size, or field errors naming each bad parameter.
    fn parse(&self) -> Result<(AccountQuery, usize), AppError> {
        let mut errors = FieldErrors::new();
        let id = |errors: &mut FieldErrors, name: &str, value: &Option<String>| {
            value.as_deref().and_then(|v| {
                errors.check(
                    name,
                    v.parse::<i64>()
                        .map_err(|_| "Must be an id (a whole number).".to_owned()),
                )
            })
        };
        let status = self.status.as_deref().and_then(|s| {
            errors.check(
                "status",
                app::directory::STATUS_FILTERS
                    .into_iter()
                    .find(|f| f.as_str() == s)
                    .ok_or_else(|| {
                        "Must be active, must_change_password, invited, disabled or expired."
                            .to_owned()
                    }),
            )
        });
        let tier = self.tier.as_deref().and_then(|t| {
            errors.check(
                "tier",
                Tier::from_db(t).ok_or_else(|| {
                    "Must be platform_admin, tenant_admin, user or service_account.".to_owned()
                }),
            )
        });
        let role = id(&mut errors, "role", &self.role);
        let scope = id(&mut errors, "scope", &self.scope);
        let sort = match self.sort.as_deref() {
            None => AccountSort::default(),
            Some(s) => errors
                .check(
                    "sort",
                    AccountSort::parse(s)
                        .ok_or_else(|| "Must be username, name, email or created.".to_owned()),
                )
                .unwrap_or_default(),
        };
        let descending = match self.desc.as_deref() {
            None | Some("false" | "0") => false,
            Some("true" | "1") => true,
            Some(_) => {
                errors.add("desc", "Must be true or false.");
                false
            }
        };
        let limit = match self.limit.as_deref() {
            None => DEFAULT_LIMIT,
            Some(l) => match l.parse::<u64>() {
                Ok(n) if n >= 1 => usize::try_from(n).unwrap_or(MAX_LIMIT).min(MAX_LIMIT),
                _ => {
                    errors.add("limit", "Must be a whole number from 1 to 200.");
                    DEFAULT_LIMIT
                }
            },
        };
        let cursor = self.cursor.as_deref().and_then(|c| {
            errors.check(
                "cursor",
                Cursor::decode(c).ok_or_else(|| {
                    "Not a cursor of this list: use the next and previous links.".to_owned()
                }),
            )
        });
        errors.into_result()?;
        Ok((
            AccountQuery {
                search: self.q.clone().unwrap_or_default(),
                status,
                tier,
                tenant: None,
                role: role.map(app::domain::RoleId),
                scope: scope.map(app::domain::ScopeId),
                sort,
                descending,
                cursor,
            },
            limit,
        ))
    }
}

/// The URL of `query`'s page at `cursor`, with the same filters and page size.
fn page_link(query: &AccountQuery, limit: usize, cursor: &Cursor) -> String {
    let mut params = Vec::new();
    if !query.search.trim().is_empty() {
        params.push(format!("q={}", percent_encode(query.search.trim())));
    }
    if let Some(status) = query.status {
        params.push(format!("status={}", status.as_str()));
    }
    if let Some(tier) = query.tier {
        params.push(format!("tier={}", tier.as_str()));
    }
    if let Some(role) = query.role {
        params.push(format!("role={}", role.0));
    }
    if let Some(scope) = query.scope {
        params.push(format!("scope={}", scope.0));
    }
    if query.sort != AccountSort::default() {
        params.push(format!("sort={}", query.sort.as_str()));
    }
    if query.descending {
        params.push("desc=true".to_owned());
    }
    if limit != DEFAULT_LIMIT {
        params.push(format!("limit={limit}"));
    }
    params.push(format!("cursor={}", percent_encode(&cursor.encode())));
    format!("/api/v1/users?{}", params.join("&"))
}

/// List accounts.
///
/// Lists the accounts the caller may see, filtered, searched and sorted as the console's
/// users list; pages are keyset cursors. Needs `Users: View` or `Service accounts: View`
/// (each shows its own tiers). Reads only.
#[utoipa::path(
    get,
    path = "/api/v1/users",
    tag = "users",
    params(ListParams),
    responses(
        (status = 200, description = "A page of accounts", body = UserPage),
        (status = 403, description = "The caller may not list accounts", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A parameter is malformed", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_users(
    ApiCaller(req): ApiCaller,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<UserPage>, Problem> {
    let Ok(Query(params)) = params else {
        return Err(Problem::of(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "The query string could not be read (a parameter given twice?).",
        ));
    };
    let (query, limit) = params.parse()?;
    let (rows, previous, next) = directory::fetch(&req, &query, limit).await?;
    Ok(Json(UserPage {
        items: rows.into_iter().map(User::from).collect(),
        next: next.map(|c| page_link(&query, limit, &c)),
        previous: previous.map(|c| page_link(&query, limit, &c)),
    }))
}

/// Get an account.
///
/// One account, with its `ETag` (send it back as `If-Match` to change the account).
#[utoipa::path(
    get,
    path = "/api/v1/users/{id}",
    tag = "users",
    params(("id" = i64, Path, description = "The account's id")),
    responses(
        (status = 200, description = "The account", body = User, headers(("ETag" = String, description = "The account's version"))),
        (status = 400, description = "The id is not a number", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller may not see accounts", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account the caller may see", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_user(
    ApiCaller(req): ApiCaller,
    AccountIdPath(id): AccountIdPath,
) -> Result<Response, Problem> {
    let user = User::from(directory::get(&req, id).await?);
    Ok(etag::tagged(StatusCode::OK, &user))
}

/// Create an account.
///
/// Creates an account of a tier the caller may manage, in the caller's tenant (`tenant_id`
/// is ignored). People get the temporary password given (changed at first sign-in); service
/// accounts get none. Audited; a refused attempt is audited with its reason.
#[utoipa::path(
    post,
    path = "/api/v1/users",
    tag = "users",
    request_body = AccountInput,
    responses(
        (status = 201, description = "Created", body = User, headers(("Location" = String, description = "The new account's URL"), ("ETag" = String))),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Refused, with the reason's code", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_user(
    ApiCaller(req): ApiCaller,
    ApiJson(input): ApiJson<AccountInput>,
) -> Result<Response, Problem> {
    let id = users::create(&req, &input).await?;
    let location = format!("/api/v1/users/{id}");
    let mut res = match directory::get(&req, id).await {
        Ok(detail) => etag::tagged(StatusCode::CREATED, &User::from(detail)),
        // Created, but not the caller's to see (it may create what it may not list).
        Err(_) => StatusCode::CREATED.into_response(),
    };
    if let Ok(v) = HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

/// Replace an account's details.
///
/// Replaces an account's editable fields (`email`, `full_name`, `job_title`, `country_code`,
/// `phone`, `expires_on`, `ref_id_1`, `ref_id_2`, `external_id`; the others are ignored).
/// Needs `If-Match` with the account's current `ETag`: a stale one is 412 and nothing is
/// written; a missing one is 428. Needs `Users: Edit` (or `Service accounts: Edit`). Audited.
#[utoipa::path(
    put,
    path = "/api/v1/users/{id}",
    tag = "users",
    params(
        ("id" = i64, Path, description = "The account's id"),
        ("If-Match" = String, Header, description = "The account's ETag, as last read"),
    ),
    request_body = AccountInput,
    responses(
        (status = 200, description = "The account as changed", body = User, headers(("ETag" = String))),
        (status = 400, description = "The id or body is malformed", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Refused, with the reason's code", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account the caller may see", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The account changed since it was read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn replace_user(
    ApiCaller(req): ApiCaller,
    AccountIdPath(id): AccountIdPath,
    headers: HeaderMap,
    ApiJson(input): ApiJson<AccountInput>,
) -> Result<Response, Problem> {
    let current = User::from(directory::get(&req, id).await?);
    etag::check_if_match(&headers, &current, "the account")?;
    users::update(&req, id, &input).await?;
    Ok(etag::tagged(
        StatusCode::OK,
        &User::from(directory::get(&req, id).await?),
    ))
}

/// Delete an account.
///
/// Deletes an account (its audit records stay). Needs `Users: Delete` (or `Service accounts:
/// Delete`); nobody deletes their own account or the last administrator. Audited.
#[utoipa::path(
    delete,
    path = "/api/v1/users/{id}",
    tag = "users",
    params(("id" = i64, Path, description = "The account's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Refused, with the reason's code", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account the caller may see", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delete_user(
    ApiCaller(req): ApiCaller,
    AccountIdPath(id): AccountIdPath,
) -> Result<StatusCode, Problem> {
    users::delete(&req, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn set_enabled(req: &Request, id: AccountId, enabled: bool) -> Result<StatusCode, Problem> {
    users::set_enabled(req, id, enabled).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Disable an account.
///
/// Disables an account: it can no longer sign in or call the API; its sessions end. Needs
/// `Edit` on its kind of account. Audited (unless it already was disabled).
#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/disable",
    tag = "users",
    params(("id" = i64, Path, description = "The account's id")),
    responses(
        (status = 204, description = "Disabled (or already was)"),
        (status = 403, description = "Refused, with the reason's code", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account the caller may see", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn disable_user(
    ApiCaller(req): ApiCaller,
    AccountIdPath(id): AccountIdPath,
) -> Result<StatusCode, Problem> {
    set_enabled(&req, id, false).await
}

/// Enable an account.
///
/// Enables a disabled account again, with the status it had before. Needs `Edit` on its kind
/// of account. Audited (unless it already was enabled).
#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/enable",
    tag = "users",
    params(("id" = i64, Path, description = "The account's id")),
    responses(
        (status = 204, description = "Enabled (or already was)"),
        (status = 403, description = "Refused, with the reason's code", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account the caller may see", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn enable_user(
    ApiCaller(req): ApiCaller,
    AccountIdPath(id): AccountIdPath,
) -> Result<StatusCode, Problem> {
    set_enabled(&req, id, true).await
}

/// End an account's sessions.
///
/// Ends every console session of an account (its next request is signed out). Needs `Edit`
/// on its kind of account. Audited.
#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/sessions/end",
    tag = "users",
    params(("id" = i64, Path, description = "The account's id")),
    responses(
        (status = 204, description = "Every session ended"),
        (status = 403, description = "Refused, with the reason's code", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account the caller may see", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The caller's own account", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn end_sessions(
    ApiCaller(req): ApiCaller,
    AccountIdPath(id): AccountIdPath,
) -> Result<StatusCode, Problem> {
    auth::end_sessions_for(&req, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Reset an account's MFA.
///
/// Turns MFA off for someone who lost their device; they can enrol again. Only platform
/// administrators and the account's tenant administrators may (a service account is refused
/// with `administrators_only`). Audited.
#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/mfa/reset",
    tag = "users",
    params(("id" = i64, Path, description = "The account's id")),
    responses(
        (status = 204, description = "MFA turned off"),
        (status = 403, description = "Refused, with the reason's code", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account the caller may see", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "MFA is not on for the account", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn reset_mfa(
    ApiCaller(req): ApiCaller,
    AccountIdPath(id): AccountIdPath,
) -> Result<StatusCode, Problem> {
    mfa::reset_for(&req, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
