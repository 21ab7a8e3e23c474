//! `/api/v1/roles`, `/api/v1/scopes` and `/api/v1/users/{id}/roles`: the caller's tenant's
//! roles, scopes and who holds which role (SPEC §3), through the same services as the
//! console's role pages (same rules, same audit records, refused attempts audited with their
//! reason). The tenant is always the caller's own; a role, scope or account of another
//! tenant answers exactly like a missing one (404). Privileges are named by their catalog
//! keys (`security.users:edit`, `security:admin`), never by the internal representation.

use super::auth::ApiCaller;
use super::etag;
use super::input::{positive_id, AccountIdPath, AccountRolePath, ApiJson, RoleIdPath, ScopeIdPath};
use super::problem::Problem;
use app::access::{Catalog, ObjectGrant, Privilege};
use app::backend::services::roles;
use app::backend::state::AppState;
use app::domain::{RoleId, ScopeId};
use app::error::{AppError, FieldErrors};
use app::roles::{RoleDetail, RoleForm, ScopeInput};
use axum::extract::rejection::QueryRejection;
use axum::extract::Query;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_roles, create_role))
        .routes(routes!(get_role, replace_role, delete_role))
        .routes(routes!(create_scope))
        .routes(routes!(get_scope, replace_scope, delete_scope))
        .routes(routes!(assign_role))
        .routes(routes!(unassign_role))
}

/// A scope of the tenant's data (a workspace, a region…).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Scope {
    pub id: i64,
    pub name: String,
    pub description: String,
}

/// A role in the list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RoleListItem {
    pub id: i64,
    pub name: String,
    pub description: String,
    /// `administrators` (every privilege; cannot be changed), `everyone` (held by every
    /// account of the tenant) or `custom`.
    pub kind: String,
    /// Privileges granted explicitly (a module privilege counts once).
    pub granted: i64,
    /// Accounts holding it (Everyone: every account of the tenant).
    pub holders: i64,
}

/// The caller's tenant's roles and scopes.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RoleList {
    pub tenant_id: i64,
    pub tenant_name: String,
    pub roles: Vec<RoleListItem>,
    pub scopes: Vec<Scope>,
}

/// A privilege granted on one scope only (`view` or `approve` actions).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
pub struct ObjectGrantBody {
    pub scope_id: i64,
    /// A catalog key, such as `operations.workspaces:view`.
    pub privilege: String,
}

/// A role with its grants, as read (`GET`) and as replaced (`PUT`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Role {
    pub id: i64,
    pub tenant_id: i64,
    pub name: String,
    pub description: String,
    /// `administrators`, `everyone` or `custom`.
    pub kind: String,
    /// Catalog keys of the privileges granted tenant-wide (`security.users:edit`,
    /// `security:admin`), sorted.
    pub privileges: Vec<String>,
    /// Privileges granted on one scope only, sorted.
    pub object_grants: Vec<ObjectGrantBody>,
}

impl Role {
    fn of(catalog: &Catalog, d: &RoleDetail) -> Role {
        let key = |p: Privilege| catalog.key(p).unwrap_or_default();
        let mut privileges: Vec<String> = d.granted.iter().map(|p| key(*p)).collect();
        privileges.sort();
        let mut object_grants: Vec<ObjectGrantBody> = d
            .object_grants
            .iter()
            .map(|g| ObjectGrantBody {
                scope_id: g.scope.0,
                privilege: key(g.privilege),
            })
            .collect();
        object_grants.sort();
        Role {
            id: d.role_id.0,
            tenant_id: d.tenant_id.0,
            name: d.name.clone(),
            description: d.description.clone(),
            kind: d.kind.as_str().to_owned(),
            privileges,
            object_grants,
        }
    }
}

/// A role's name, description and grants: a new role's (`POST`), or replacing all of a
/// role's old ones (`PUT`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RoleBody {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Catalog keys of the privileges to grant tenant-wide; every other is taken away.
    #[serde(default)]
    pub privileges: Vec<String>,
    /// Privileges to grant on one scope only (`view` or `approve`); every other is taken
    /// away.
    #[serde(default)]
    pub object_grants: Vec<ObjectGrantBody>,
}

impl RoleBody {
    /// The service's form, or 422 naming every key the catalog does not know
    /// (`privileges`, `object_grants`).
    fn parse(&self, catalog: &Catalog) -> Result<RoleForm, AppError> {
        let mut errors = FieldErrors::new();
        let mut granted = Vec::new();
        for key in &self.privileges {
            match catalog.parse_key(key) {
                Some(p) => granted.push(p),
                None => errors.add("privileges", format!("“{key}” is not a privilege.")),
            }
        }
        let mut object_grants = Vec::new();
        for grant in &self.object_grants {
            match catalog.parse_key(&grant.privilege) {
                Some(privilege) => object_grants.push(ObjectGrant {
                    scope: ScopeId(grant.scope_id),
                    privilege,
                }),
                None => errors.add(
                    "object_grants",
                    format!("“{}” is not a privilege.", grant.privilege),
                ),
            }
        }
        errors.into_result()?;
        Ok(RoleForm {
            name: self.name.clone(),
            description: self.description.clone(),
            granted,
            object_grants,
        })
    }
}

/// A role to give an account.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct AssignmentBody {
    pub role_id: i64,
    /// The scope it applies to; absent or `null`: tenant-wide.
    #[serde(default)]
    pub scope_id: Option<i64>,
}

/// Which assignment to take away.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnassignParams {
    /// The scope the role was assigned for; absent: the tenant-wide assignment.
    scope_id: Option<String>,
}

/// `res` with a `Location` header.
fn located(mut res: Response, location: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// List roles and scopes.
///
/// The caller's tenant's roles (with how many privileges each grants and how many accounts
/// hold it) and scopes. Needs `Roles: View`. Reads only.
#[utoipa::path(
    get,
    path = "/api/v1/roles",
    tag = "roles",
    responses(
        (status = 200, description = "The tenant's roles and scopes", body = RoleList),
        (status = 403, description = "The caller may not see roles", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_roles(ApiCaller(req): ApiCaller) -> Result<Json<RoleList>, Problem> {
    let page = roles::page(&req, None).await?;
    Ok(Json(RoleList {
        tenant_id: page.tenant_id.0,
        tenant_name: page.tenant_name,
        roles: page
            .roles
            .into_iter()
            .map(|r| RoleListItem {
                id: r.role_id.0,
                name: r.name,
                description: r.description,
                kind: r.kind.as_str().to_owned(),
                granted: r.granted,
                holders: r.holders,
            })
            .collect(),
        scopes: page
            .scopes
            .into_iter()
            .map(|s| Scope {
                id: s.scope_id.0,
                name: s.name,
                description: s.description,
            })
            .collect(),
    }))
}

/// Get a role.
///
/// One role with its grants and its `ETag` (send it back as `If-Match` to change the role).
/// Needs `Roles: View`.
#[utoipa::path(
    get,
    path = "/api/v1/roles/{id}",
    tag = "roles",
    params(("id" = i64, Path, description = "The role's id")),
    responses(
        (status = 200, description = "The role", body = Role, headers(("ETag" = String, description = "The role's version"))),
        (status = 400, description = "The id is not a number", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller may not see roles", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such role in the caller's tenant", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_role(
    ApiCaller(req): ApiCaller,
    RoleIdPath(id): RoleIdPath,
) -> Result<Response, Problem> {
    let detail = roles::detail(&req, id).await?;
    Ok(etag::tagged(
        StatusCode::OK,
        &Role::of(req.catalog(), &detail),
    ))
}

/// Create a role.
///
/// Creates a custom role in the caller's tenant, with the privileges and object grants the
/// body names (none if it names none): one change, one audit record. Needs `Security
/// Admin`, and every privilege granted held by the caller where it applies
/// (`not_held_by_you`, each one named under its field); nothing is created when any is
/// refused. A key the catalog does not know is 422, named. Audited; a refused attempt is
/// audited with its reason.
#[utoipa::path(
    post,
    path = "/api/v1/roles",
    tag = "roles",
    request_body = RoleBody,
    responses(
        (status = 201, description = "Created", body = Role, headers(("Location" = String, description = "The new role's URL"), ("ETag" = String))),
        (status = 403, description = "Refused, with the reason's code", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields (a name already taken, too long, a privilege the catalog does not know…)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_role(
    ApiCaller(req): ApiCaller,
    ApiJson(body): ApiJson<RoleBody>,
) -> Result<Response, Problem> {
    let form = body.parse(req.catalog())?;
    let id = roles::create(&req, None, &form).await?;
    let location = format!("/api/v1/roles/{id}");
    let res = match roles::detail(&req, id).await {
        Ok(detail) => etag::tagged(StatusCode::CREATED, &Role::of(req.catalog(), &detail)),
        // Created, but not the caller's to read (Security Admin without Roles: View).
        Err(_) => StatusCode::CREATED.into_response(),
    };
    Ok(located(res, &location))
}

/// Replace a role.
///
/// Replaces a role's name, description, privileges and object grants. Needs `If-Match` with
/// the role's current `ETag`: a stale one is 412 and nothing is written; a missing one is
/// 428. Needs `Security Admin`, and every privilege granted or taken away held by the caller
/// where it applies (`not_held_by_you`); the built-in Administrators role cannot be changed
/// (`built_in_role`), nor Everyone's name. A key the catalog does not know is 422, named.
/// Audited, before and after.
#[utoipa::path(
    put,
    path = "/api/v1/roles/{id}",
    tag = "roles",
    params(
        ("id" = i64, Path, description = "The role's id"),
        ("If-Match" = String, Header, description = "The role's ETag, as last read"),
    ),
    request_body = RoleBody,
    responses(
        (status = 200, description = "The role as changed", body = Role, headers(("ETag" = String))),
        (status = 400, description = "The id or body is malformed", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Refused, with the reason's code", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such role in the caller's tenant", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The role changed since it was read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or privilege keys the catalog does not know", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn replace_role(
    ApiCaller(req): ApiCaller,
    RoleIdPath(id): RoleIdPath,
    headers: HeaderMap,
    ApiJson(body): ApiJson<RoleBody>,
) -> Result<Response, Problem> {
    let current = Role::of(req.catalog(), &roles::detail(&req, id).await?);
    etag::check_if_match(&headers, &current, "the role")?;
    let form = body.parse(req.catalog())?;
    roles::update(&req, id, &form).await?;
    let detail = roles::detail(&req, id).await?;
    Ok(etag::tagged(
        StatusCode::OK,
        &Role::of(req.catalog(), &detail),
    ))
}

/// Delete a role.
///
/// Deletes a custom role and its assignments. Needs `Security Admin` and every privilege the
/// role gives (its holders lose them); the built-in roles (Administrators, Everyone) stay
/// (`built_in_role`). Audited.
#[utoipa::path(
    delete,
    path = "/api/v1/roles/{id}",
    tag = "roles",
    params(("id" = i64, Path, description = "The role's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Refused, with the reason's code", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such role in the caller's tenant", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delete_role(
    ApiCaller(req): ApiCaller,
    RoleIdPath(id): RoleIdPath,
) -> Result<StatusCode, Problem> {
    roles::delete(&req, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Create a scope.
///
/// Creates a scope in the caller's tenant. Needs `Tenant settings: Edit`. Audited.
#[utoipa::path(
    post,
    path = "/api/v1/scopes",
    tag = "roles",
    request_body = ScopeInput,
    responses(
        (status = 201, description = "Created", body = Scope, headers(("Location" = String, description = "The new scope's URL"), ("ETag" = String))),
        (status = 403, description = "Refused, with the reason's code", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields (a name already taken, too long…)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_scope(
    ApiCaller(req): ApiCaller,
    ApiJson(input): ApiJson<ScopeInput>,
) -> Result<Response, Problem> {
    let id = roles::create_scope(&req, None, &input).await?;
    // The service accepted it, so it parses; as stored (trimmed).
    let (name, description) = input.parse()?;
    let scope = Scope {
        id: id.0,
        name: name.as_ref().to_owned(),
        description,
    };
    let res = etag::tagged(StatusCode::CREATED, &scope);
    Ok(located(res, &format!("/api/v1/scopes/{id}")))
}

impl From<app::roles::ScopeView> for Scope {
    fn from(s: app::roles::ScopeView) -> Scope {
        Scope {
            id: s.scope_id.0,
            name: s.name,
            description: s.description,
        }
    }
}

/// Get a scope.
///
/// One scope of the caller's tenant, with its `ETag`. Needs `Roles: View`. Reads only.
#[utoipa::path(
    get,
    path = "/api/v1/scopes/{id}",
    tag = "roles",
    params(("id" = i64, Path, description = "The scope's id")),
    responses(
        (status = 200, description = "The scope", body = Scope, headers(("ETag" = String))),
        (status = 403, description = "Refused, with the reason's code", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such scope in the caller's tenant", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_scope(
    ApiCaller(req): ApiCaller,
    ScopeIdPath(id): ScopeIdPath,
) -> Result<Response, Problem> {
    let scope = Scope::from(roles::scope(&req, id).await?);
    Ok(etag::tagged(StatusCode::OK, &scope))
}

/// Rename a scope.
///
/// Replaces a scope's name and description. Needs `Tenant settings: Edit` and `If-Match`
/// with the scope's `ETag`. Audited.
#[utoipa::path(
    put,
    path = "/api/v1/scopes/{id}",
    tag = "roles",
    params(
        ("id" = i64, Path, description = "The scope's id"),
        ("If-Match" = String, Header, description = "The scope's ETag, from GET (or `*`)"),
    ),
    request_body = ScopeInput,
    responses(
        (status = 200, description = "Changed", body = Scope, headers(("ETag" = String))),
        (status = 403, description = "Refused, with the reason's code", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such scope in the caller's tenant", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The scope changed since it was read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn replace_scope(
    ApiCaller(req): ApiCaller,
    ScopeIdPath(id): ScopeIdPath,
    headers: HeaderMap,
    ApiJson(input): ApiJson<ScopeInput>,
) -> Result<Response, Problem> {
    let current = Scope::from(roles::scope(&req, id).await?);
    etag::check_if_match(&headers, &current, "the scope")?;
    roles::update_scope(&req, id, &input).await?;
    let changed = Scope::from(roles::scope(&req, id).await?);
    Ok(etag::tagged(StatusCode::OK, &changed))
}

/// Delete a scope.
///
/// Deletes a scope with the assignments and object grants made for it. Needs `Tenant
/// settings: Edit` and every privilege those give (`not_held_by_you`). Audited.
#[utoipa::path(
    delete,
    path = "/api/v1/scopes/{id}",
    tag = "roles",
    params(("id" = i64, Path, description = "The scope's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Refused, with the reason's code", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such scope in the caller's tenant", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delete_scope(
    ApiCaller(req): ApiCaller,
    ScopeIdPath(id): ScopeIdPath,
) -> Result<StatusCode, Problem> {
    roles::delete_scope(&req, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Assign a role.
///
/// Gives an account a role, tenant-wide or for one scope. Needs to be able to change the
/// account (`Users: Edit`, or `Service accounts: Edit`) and to hold everything the role gives
/// there (`not_held_by_you`). Takes effect on the account's next request. Audited on the
/// account. A role, scope or account of another tenant is 404; one already held there is 409.
#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/roles",
    tag = "roles",
    params(("id" = i64, Path, description = "The account's id")),
    request_body = AssignmentBody,
    responses(
        (status = 204, description = "Assigned"),
        (status = 403, description = "Refused, with the reason's code", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account, role or scope in the caller's tenant", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The account already holds the role there", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn assign_role(
    ApiCaller(req): ApiCaller,
    AccountIdPath(account): AccountIdPath,
    ApiJson(body): ApiJson<AssignmentBody>,
) -> Result<StatusCode, Problem> {
    roles::assign(
        &req,
        account,
        RoleId(body.role_id),
        body.scope_id.map(ScopeId),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Take a role away.
///
/// Takes a role from an account: the tenant-wide assignment, or the one for `scope_id`. The
/// same rule as assigning: nobody takes away what they could not give. Audited on the
/// account. An assignment that does not exist is 404.
#[utoipa::path(
    delete,
    path = "/api/v1/users/{id}/roles/{role_id}",
    tag = "roles",
    params(
        ("id" = i64, Path, description = "The account's id"),
        ("role_id" = i64, Path, description = "The role's id"),
        UnassignParams,
    ),
    responses(
        (status = 204, description = "Taken away"),
        (status = 403, description = "Refused, with the reason's code", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such assignment in the caller's tenant", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn unassign_role(
    ApiCaller(req): ApiCaller,
    AccountRolePath(account, role): AccountRolePath,
    params: Result<Query<UnassignParams>, QueryRejection>,
) -> Result<StatusCode, Problem> {
    let Ok(Query(params)) = params else {
        return Err(Problem::of(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "The query string could not be read (a parameter given twice?).",
        ));
    };
    let scope = match params.scope_id.as_deref() {
        None => None,
        Some(raw) => Some(ScopeId(positive_id(raw).ok_or_else(|| {
            AppError::field("scope_id", "Must be a positive whole number.")
        })?)),
    };
    roles::unassign(&req, account, role, scope).await?;
    Ok(StatusCode::NO_CONTENT)
}
