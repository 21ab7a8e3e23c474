//! Errors of the REST API as problem details (RFC 9457, `application/problem+json`): `type`,
//! `title`, `status`, `detail` and a stable `code` on every one; `errors` (field → messages)
//! for invalid input; for a refusal of the access model, its code as `code` and its
//! explanation as `detail`. Internal causes are logged where they happen and never sent.

use app::error::{AppError, FieldErrors};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// The media type of every error answer of the API.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One error answer of the REST API.
#[derive(Debug, Clone)]
pub struct Problem {
    pub status: StatusCode,
    /// Stable, machine-readable: lower case and `_` (for a refusal, [`app::access::Refusal::code`]).
    pub code: &'static str,
    /// A short summary of the kind of problem (the same for every one of its `code`).
    pub title: &'static str,
    /// What happened here, for a person.
    pub detail: String,
    /// Field errors, for invalid input.
    pub errors: Option<FieldErrors>,
    /// Seconds to wait (`Retry-After`), for 429 and 503.
    pub retry_after: Option<i64>,
    /// A `WWW-Authenticate` challenge, for 401.
    pub challenge: Option<&'static str>,
}

/// The one message of every refused API credential: nobody learns which check failed.
pub const INVALID_CREDENTIAL: &str = "A valid API token or access token is required: send it as \
     `Authorization: Bearer <token>`. It may be mistyped, unknown, revoked or expired, or its \
     account may not use the API.";

impl Problem {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Problem {
        Problem {
            status,
            code,
            title,
            detail: detail.into(),
            errors: None,
            retry_after: None,
            challenge: None,
        }
    }

    /// A problem titled by its status's reason phrase.
    pub fn of(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Problem {
        Problem::new(
            status,
            code,
            status.canonical_reason().unwrap_or("Error"),
            detail,
        )
    }

    /// 401 for a missing (`presented = false`) or refused credential: one message for
    /// every cause, with a Bearer challenge (RFC 6750 §3: `invalid_token` once one was sent).
    pub fn unauthenticated(presented: bool) -> Problem {
        let mut problem = Problem::new(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "Authentication required",
            INVALID_CREDENTIAL,
        );
        problem.challenge = Some(if presented {
            "Bearer realm=\"warden\", error=\"invalid_token\""
        } else {
            "Bearer realm=\"warden\""
        });
        problem
    }

    /// 429: too many failed authentications from this address.
    pub fn rate_limited(retry_after_secs: i64) -> Problem {
        let mut problem = Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "Too many requests",
            format!("Too many failed attempts. Try again in {retry_after_secs} seconds."),
        );
        problem.retry_after = Some(retry_after_secs);
        problem
    }

    /// 429: this credential made more requests than its rate allows.
    pub fn over_rate(retry_after_secs: i64) -> Problem {
        let mut problem = Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "Too many requests",
            format!(
                "This credential made more requests than its rate allows. Try again in \
                 {retry_after_secs} seconds."
            ),
        );
        problem.retry_after = Some(retry_after_secs);
        problem
    }

    fn body(&self) -> serde_json::Value {
        let mut body = serde_json::json!({
            "type": format!("urn:warden:problem:{}", self.code),
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
            "code": self.code,
        });
        if let Some(errors) = &self.errors {
            body["errors"] = serde_json::json!(errors.0);
        }
        body
    }
}

/// The shape of every problem document, for the OpenAPI document (the answer itself is
/// written by [`Problem`]'s `IntoResponse`).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct ProblemDocument {
    /// `urn:warden:problem:<code>`.
    #[schema(rename = "type")]
    kind: String,
    title: String,
    status: u16,
    /// A sentence for a person (for a refusal, the access model's explanation).
    detail: String,
    /// Stable and machine-readable: `invalid`, `not_found`, `invalid_token`, or a refusal's
    /// code (`lacks_privilege`, `tier_ceiling`, …).
    code: String,
    /// Invalid input: field name → messages.
    errors: Option<std::collections::BTreeMap<String, Vec<String>>>,
}

impl utoipa::PartialSchema for Problem {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        <ProblemDocument as utoipa::PartialSchema>::schema()
    }
}

impl utoipa::ToSchema for Problem {
    fn name() -> std::borrow::Cow<'static, str> {
        "Problem".into()
    }
}

impl From<AppError> for Problem {
    fn from(error: AppError) -> Problem {
        let status =
            StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let (code, title) = match &error {
            AppError::Unauthenticated => return Problem::unauthenticated(false),
            AppError::Forbidden(refusal) | AppError::ForbiddenChange { refusal, .. } => {
                (refusal.code(), "Forbidden")
            }
            AppError::NotFound => ("not_found", "Not found"),
            AppError::Conflict(_) => ("conflict", "Conflict"),
            AppError::Invalid(_) => ("invalid", "Invalid input"),
            AppError::InvalidCredentials => ("invalid_credentials", "Invalid credentials"),
            AppError::SignInRefused(_) => ("sign_in_refused", "Forbidden"),
            AppError::PasswordChangeRequired => ("password_change_required", "Forbidden"),
            AppError::MfaEnrolmentRequired => ("mfa_enrolment_required", "Forbidden"),
            AppError::MfaStepExpired => ("mfa_step_expired", "Authentication required"),
            AppError::RateLimited { retry_after_secs } => {
                return Problem::rate_limited(*retry_after_secs)
            }
            AppError::Busy { .. } => ("busy", "Service unavailable"),
            AppError::Internal => ("internal", "Internal error"),
            AppError::Transport(_) => ("bad_gateway", "Bad gateway"),
        };
        // Every message of `AppError` is written for the client (internal causes carry none).
        let mut problem = Problem::new(status, code, title, error.to_string());
        if let AppError::Busy { retry_after_secs } = &error {
            problem.retry_after = Some(*retry_after_secs);
        }
        if let AppError::Invalid(errors) | AppError::ForbiddenChange { errors, .. } = error {
            problem.errors = Some(errors);
        }
        problem
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut res = (self.status, self.body().to_string()).into_response();
        let headers = res.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(secs) = self.retry_after {
            if let Ok(value) = HeaderValue::from_str(&secs.max(1).to_string()) {
                headers.insert(header::RETRY_AFTER, value);
            }
        }
        if let Some(challenge) = self.challenge {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::access::{Privilege, Refusal};

    #[test]
    fn a_refusal_answers_its_code_and_explanation() {
        let problem = Problem::from(AppError::Forbidden(Refusal::Lacks(Privilege::USERS_EDIT)));
        assert_eq!(problem.status, StatusCode::FORBIDDEN);
        let body = problem.body();
        assert_eq!(body["code"], "lacks_privilege");
        assert_eq!(body["type"], "urn:warden:problem:lacks_privilege");
        assert_eq!(body["status"], 403);
        assert!(
            body["detail"].as_str().unwrap().contains("Users: Edit"),
            "{body}"
        );
    }

    #[test]
    fn field_errors_are_listed_and_internal_errors_say_nothing_inside() {
        let body = Problem::from(AppError::field("name", "Give the token a name.")).body();
        assert_eq!(body["status"], 422);
        assert_eq!(body["errors"]["name"][0], "Give the token a name.");
        let internal = Problem::from(AppError::Internal);
        assert_eq!(internal.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(internal.body()["code"], "internal");
        assert!(internal.body().get("errors").is_none());
    }

    #[test]
    fn a_problem_is_problem_json_with_its_headers() {
        let res = Problem::rate_limited(42).into_response();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(res.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
        assert_eq!(res.headers()[header::RETRY_AFTER], "42");
        let res = Problem::unauthenticated(true).into_response();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert!(res.headers()[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .starts_with("Bearer"));
    }
}
