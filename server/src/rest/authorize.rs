//! The authorization endpoint (issue 13 §3): "may account X do action A on resource R (in
//! scope S)?", answered with the access model's decision and its sentence, exactly as the
//! console decides for that account; a batch form; and an account's effective access.
//!
//! Cheap by design, as applications ask on every request of theirs: the account asked about,
//! what it holds and a scope's name are read once (one query for the account, the holdings
//! loader's two for its roles, one for the scope) and then kept in memory while nothing
//! changes ([`app::backend::store::hot`]); no password hashing, nothing written.

use super::auth::ApiCaller;
use super::input::{AccountIdPath, ApiJson};
use super::problem::Problem;
use app::access::{
    holds, may_list_accounts, may_view_account, At, Catalog, Decision, Explainer, Privilege, Target,
};
use app::backend::request::Request;
use app::backend::services::roles;
use app::backend::store::accounts::AccountRecord;
use app::backend::store::hot::{self, AccountKey};
use app::domain::{effective_status, AccountId, AccountStatus, ScopeId, TenantId};
use app::error::{AppError, FieldErrors};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use app::backend::state::AppState;

/// The most questions one batch may ask.
pub const MAX_BATCH: usize = 100;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(authorize))
        .routes(routes!(authorize_batch))
        .routes(routes!(effective_access))
}

/// Which account a question is about: exactly one of `id`, `username` or `external_id`
/// (the account's id in another system, unique in its tenant).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountRef {
    #[serde(default)]
    pub id: Option<i64>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub external_id: Option<String>,
}

/// "May `account` do `action` on `resource` (in `scope`)?"
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub account: AccountRef,
    /// A resource's key, `module.resource` (e.g. `security.users`), or a module's key (e.g.
    /// `security`) with the action `admin`.
    #[schema(example = "security.users")]
    pub resource: String,
    /// `view`, `edit`, `delete`, `export`, `approve`, `run`, … (those the resource has), or
    /// `admin` for a module.
    #[schema(example = "view")]
    pub action: String,
    /// Acting in this scope (its id), where object-level grants and roles assigned for the
    /// scope count too; absent: tenant-wide.
    #[serde(default)]
    pub scope: Option<i64>,
    /// Was the account's sign-in made with MFA? Sensitive privileges are refused
    /// (`needs_mfa`) without it, as in the console. Default false.
    #[serde(default)]
    pub mfa: bool,
}

/// The decision and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Answer {
    pub allowed: bool,
    /// The refusal's stable code (`lacks_privilege`, `needs_mfa`, `account_disabled`, …);
    /// `null` when allowed.
    pub code: Option<String>,
    /// The access model's sentence, as the console explains it.
    pub explanation: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Batch {
    /// Up to 100 questions.
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BatchAnswers {
    /// One answer per question, in their order.
    pub answers: Vec<Answer>,
}

/// An account the caller may see, and the tenant its questions are asked in.
struct Subject {
    stored: Arc<hot::Subject>,
    tenant: TenantId,
}

/// The accounts a batch has read so far (it asks about few accounts, often; a single
/// question keeps nothing). A list searched in order: a batch holds at most
/// [`MAX_BATCH`] questions, and comparing a few names costs less than hashing them.
#[derive(Default)]
struct Reads {
    subjects: Vec<(AccountRef, Option<Arc<Subject>>)>,
    remember: bool,
}

/// Why a question cannot be answered: the field at fault and what to say, or a failure.
enum Unanswerable {
    Field(&'static str, String),
    NotFound,
    Failed(AppError),
}

impl From<AppError> for Unanswerable {
    fn from(e: AppError) -> Self {
        Unanswerable::Failed(e)
    }
}

impl Reads {
    /// The account `r` names, if the caller may see it (another tenant's, or one of a tier the
    /// caller may not see, is "not found").
    async fn subject(
        &mut self,
        req: &Request,
        r: &AccountRef,
    ) -> Result<Arc<Subject>, Unanswerable> {
        if let Some((_, known)) = self.subjects.iter().find(|(asked, _)| asked == r) {
            return known.clone().ok_or(Unanswerable::NotFound);
        }
        let caller = req.actor();
        let key = match (r.id, r.username.as_deref(), r.external_id.as_deref()) {
            (Some(id), None, None) => Some(AccountKey::Id(AccountId(id))),
            (None, Some(name), None) => Some(AccountKey::Username(name.trim().to_owned())),
            (None, None, Some(external)) => caller
                .tenant_id
                .map(|tenant| AccountKey::External(tenant, external.trim().to_owned())),
            _ => {
                return Err(Unanswerable::Field(
                    "account",
                    "Name the account by exactly one of id, username or external_id.".into(),
                ))
            }
        };
        let found = match key {
            Some(key) => {
                req.state
                    .hot
                    .subject(req.db(), req.catalog(), key, req.now)
                    .await?
            }
            None => None,
        };
        let visible = found.filter(|stored| {
            let target = Target {
                tier: stored.account.tier,
                tenant_id: stored.account.tenant_id,
            };
            may_view_account(caller, target).is_allowed()
        });
        // Visible accounts are of the caller's tenant (a platform administrator's would be of
        // none: it holds every privilege everywhere, by its tier).
        let subject = visible.and_then(|stored| {
            let tenant = stored.account.tenant_id.or(caller.tenant_id)?;
            Some(Arc::new(Subject { stored, tenant }))
        });
        if self.remember {
            self.subjects.push((r.clone(), subject.clone()));
        }
        subject.ok_or(Unanswerable::NotFound)
    }
}

/// The privilege a question names, or a field error.
fn privilege(catalog: &Catalog, q: &Question) -> Result<Privilege, Unanswerable> {
    let (resource, action) = (q.resource.trim(), q.action.trim());
    let found = if action.bytes().any(|b| b.is_ascii_uppercase()) {
        catalog.parse_parts(resource, &action.to_ascii_lowercase())
    } else {
        catalog.parse_parts(resource, action)
    };
    found.ok_or_else(|| {
        let key = format!("{resource}:{}", action.to_ascii_lowercase());
        Unanswerable::Field(
            "resource",
            format!(
                "“{key}” is not a privilege of this catalog: a resource key (module.resource) \
                 with one of its actions, or a module key with admin."
            ),
        )
    })
}

/// Why an account that may not act at all (its tenant or itself disabled, expired, never set
/// up) is refused whatever it asks: the code the sign-in refusal has, and a sentence.
fn unable_to_act(account: &AccountRecord, now: i64) -> Option<Answer> {
    let (code, sentence) = if !account.tenant_active {
        ("tenant_disabled", "its tenant is disabled")
    } else {
        match effective_status(account.status, account.expires_at, now) {
            AccountStatus::Active | AccountStatus::MustChangePassword => return None,
            AccountStatus::Disabled => ("account_disabled", "the account is disabled"),
            AccountStatus::Expired => ("account_expired", "the account has expired"),
            AccountStatus::Invited => ("account_not_set_up", "the account is not set up yet"),
        }
    };
    Some(Answer {
        allowed: false,
        code: Some(code.to_owned()),
        explanation: format!("Not allowed: {sentence}."),
    })
}

/// Answers one question, reading what `reads` has not read yet.
async fn answer(req: &Request, reads: &mut Reads, q: &Question) -> Result<Answer, Unanswerable> {
    let catalog = req.catalog();
    let privilege = privilege(catalog, q)?;
    let subject = reads.subject(req, &q.account).await?;
    let mut scopes = Vec::new();
    let at = match q.scope {
        None => At::Tenant(subject.tenant),
        Some(id) => match req
            .state
            .hot
            .scope_name(req.db(), subject.tenant, ScopeId(id), req.now)
            .await?
        {
            Some(name) => {
                scopes.push((ScopeId(id), name));
                At::Scope(subject.tenant, ScopeId(id))
            }
            None => {
                return Err(Unanswerable::Field(
                    "scope",
                    "No such scope in the account's tenant.".into(),
                ))
            }
        },
    };
    if let Some(refused) = unable_to_act(&subject.stored.account, req.now) {
        return Ok(refused);
    }
    let decision = if q.mfa {
        let mut actor = subject.stored.actor.clone();
        actor.mfa = true;
        holds(catalog, &actor, privilege, at)
    } else {
        holds(catalog, &subject.stored.actor, privilege, at)
    };
    let explanation = Explainer::new(catalog)
        .about_someone_else()
        .with_holdings(&subject.stored.actor.holdings)
        .with_scopes(scopes.iter().map(|(id, name)| (*id, name.as_str())))
        .explain(decision);
    Ok(Answer {
        allowed: decision.is_allowed(),
        code: match decision {
            Decision::Allowed(_) => None,
            Decision::Denied(refusal) => Some(refusal.code().to_owned()),
        },
        explanation,
    })
}

/// The caller may ask about accounts only if it may see accounts at all (`Users: View` or
/// `Service accounts: View`); refused, the reason's code.
fn may_ask(req: &Request) -> Result<(), AppError> {
    may_list_accounts(req.actor())
        .into_result()
        .map(|_| ())
        .map_err(AppError::Forbidden)
}

/// Ask whether an account may do something.
///
/// Asks whether an account may do something, and why (not). The caller needs to see the
/// account (`Users: View`, or `Service accounts: View` for a service account); an account it
/// may not see, or of another tenant, is 404. Reads only; not audited.
#[utoipa::path(
    post,
    path = "/api/v1/authorize",
    tag = "authorization",
    request_body = Question,
    responses(
        (status = 200, description = "The decision", body = Answer),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller may not see accounts", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account the caller may see", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown privilege or scope, or a malformed question", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn authorize(
    ApiCaller(req): ApiCaller,
    ApiJson(question): ApiJson<Question>,
) -> Result<Json<Answer>, Problem> {
    may_ask(&req)?;
    let mut reads = Reads::default();
    match answer(&req, &mut reads, &question).await {
        Ok(answer) => Ok(Json(answer)),
        Err(Unanswerable::Field(field, message)) => {
            Err(Problem::from(AppError::field(field, message)))
        }
        Err(Unanswerable::NotFound) => Err(Problem::from(AppError::NotFound)),
        Err(Unanswerable::Failed(e)) => Err(Problem::from(e)),
    }
}

/// Ask up to 100 questions at once.
///
/// Asks up to 100 questions at once; the answers come in the questions' order. A question
/// that cannot be answered (an unknown privilege, scope or account) fails the whole batch
/// with 422, its field named `questions[i].…`. Same rules as `POST /api/v1/authorize`.
#[utoipa::path(
    post,
    path = "/api/v1/authorize/batch",
    tag = "authorization",
    request_body = Batch,
    responses(
        (status = 200, description = "The decisions, in order", body = BatchAnswers),
        (status = 400, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller may not see accounts", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "More than 100 questions, or one that cannot be answered", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn authorize_batch(
    ApiCaller(req): ApiCaller,
    ApiJson(batch): ApiJson<Batch>,
) -> Result<Json<BatchAnswers>, Problem> {
    may_ask(&req)?;
    if batch.questions.len() > MAX_BATCH {
        return Err(Problem::from(AppError::field(
            "questions",
            format!("At most {MAX_BATCH} questions per batch."),
        )));
    }
    let mut reads = Reads {
        remember: true,
        ..Reads::default()
    };
    let mut answers = Vec::with_capacity(batch.questions.len());
    let mut errors = FieldErrors::new();
    for (i, q) in batch.questions.iter().enumerate() {
        match answer(&req, &mut reads, q).await {
            Ok(a) => answers.push(a),
            Err(Unanswerable::Field(field, message)) => {
                errors.add(&format!("questions[{i}].{field}"), message)
            }
            Err(Unanswerable::NotFound) => errors.add(
                &format!("questions[{i}].account"),
                "No such account that you may see.",
            ),
            Err(Unanswerable::Failed(e)) => return Err(Problem::from(e)),
        }
    }
    errors.into_result().map_err(Problem::from)?;
    Ok(Json(BatchAnswers { answers }))
}

/// A scope, named.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ScopeRef {
    pub id: i64,
    pub name: String,
}

/// A role the account holds, tenant-wide or for one scope.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Assignment {
    pub role_id: i64,
    pub role_name: String,
    /// `null`: tenant-wide.
    pub scope: Option<ScopeRef>,
}

/// One privilege in one place: held or not, and why.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PrivilegeHeld {
    /// Its key, e.g. `security.users:view` (as the authorize endpoint takes it).
    pub privilege: String,
    pub label: String,
    pub held: bool,
    pub why: String,
}

/// Every privilege of the catalog in one place.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Place {
    /// `null`: tenant-wide.
    pub scope: Option<ScopeRef>,
    pub privileges: Vec<PrivilegeHeld>,
}

/// An account's roles and effective access.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EffectiveAccess {
    pub account_id: i64,
    /// False for platform and tenant administrators: their tier holds every privilege (of
    /// their tenant), so they take no roles and `places` is empty.
    pub takes_roles: bool,
    pub assignments: Vec<Assignment>,
    pub places: Vec<Place>,
}

/// An account's effective access.
///
/// An account's roles and, for every privilege, tenant-wide and in each scope, whether it
/// holds it and why, as its page in the console explains it (whatever the session: a
/// sensitive privilege says that using it needs MFA). Needs to see the account. Reads only.
#[utoipa::path(
    get,
    path = "/api/v1/users/{id}/access",
    tag = "authorization",
    params(("id" = i64, Path, description = "The account's id")),
    responses(
        (status = 200, description = "Its effective access", body = EffectiveAccess),
        (status = 400, description = "The id is not a number", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller may not see accounts", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account the caller may see", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn effective_access(
    ApiCaller(req): ApiCaller,
    AccountIdPath(id): AccountIdPath,
) -> Result<Json<EffectiveAccess>, Problem> {
    let access = roles::account_access(&req, id).await?;
    let catalog = req.catalog();
    let scope = |s: &app::roles::ScopeView| ScopeRef {
        id: s.scope_id.0,
        name: s.name.clone(),
    };
    Ok(Json(EffectiveAccess {
        account_id: access.account_id.0,
        takes_roles: access.takes_roles,
        assignments: access
            .assignments
            .iter()
            .map(|a| Assignment {
                role_id: a.role_id.0,
                role_name: a.role_name.clone(),
                scope: a.scope.as_ref().map(scope),
            })
            .collect(),
        places: access
            .places
            .iter()
            .map(|p| Place {
                scope: p.scope.as_ref().map(scope),
                privileges: p
                    .privileges
                    .iter()
                    .map(|h| PrivilegeHeld {
                        privilege: catalog.key(h.privilege).unwrap_or_default(),
                        label: h.label.clone(),
                        held: h.held,
                        why: h.why.clone(),
                    })
                    .collect(),
            })
            .collect(),
    }))
}
