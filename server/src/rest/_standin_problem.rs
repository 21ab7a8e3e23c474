//! STAND-IN for the `api-auth` branch's `rest/problem.rs`, written on branch `rest` only so
//! that its endpoints can be built and tested before that branch lands. REPLACE IT WITH THE
//! REAL ONE WHEN MERGING (and drop the `#[path]` attribute in `rest/mod.rs`). The `rest`
//! branch uses only what follows: `Problem::new(status, code, detail)`, `impl From<AppError>`,
//! `IntoResponse`, `ToSchema`, and the JSON fields `status`, `code`, `detail`, `errors`.
//!
//! An error as RFC 9457 problem details (`application/problem+json`), with a stable `code`,
//! the field errors of invalid input, and a refusal's code and explanation.

use app::error::AppError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::collections::BTreeMap;

/// Problem details (RFC 9457).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// `about:blank`: the `code` says what happened.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// A stable, machine-readable code (`not_found`, `invalid`, `lacks_privilege`, …).
    pub code: String,
    /// A sentence for a person.
    pub detail: String,
    /// Invalid input: field name → messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<BTreeMap<String, Vec<String>>>,
    #[serde(skip)]
    retry_after: Option<i64>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Problem {
        Problem {
            kind: "about:blank".into(),
            title: status.canonical_reason().unwrap_or("Error").into(),
            status: status.as_u16(),
            code: code.into(),
            detail: detail.into(),
            errors: None,
            retry_after: None,
        }
    }
}

impl From<AppError> for Problem {
    fn from(err: AppError) -> Problem {
        let status =
            StatusCode::from_u16(err.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let code = match &err {
            AppError::Forbidden(refusal) => refusal.code(),
            AppError::Unauthenticated | AppError::InvalidCredentials => "unauthenticated",
            AppError::NotFound => "not_found",
            AppError::Conflict(_) => "conflict",
            AppError::Invalid(_) => "invalid",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::Busy { .. } => "busy",
            _ => "internal",
        };
        let mut problem = Problem::new(status, code, err.to_string());
        match err {
            AppError::Invalid(fields) => problem.errors = Some(fields.0),
            AppError::RateLimited { retry_after_secs } | AppError::Busy { retry_after_secs } => {
                problem.retry_after = Some(retry_after_secs)
            }
            _ => {}
        }
        problem
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let retry_after = self.retry_after;
        let mut res = (status, axum::Json(self)).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(secs) = retry_after {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        res
    }
}
