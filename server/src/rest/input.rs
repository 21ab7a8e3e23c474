//! What a REST request brings, read so that bad input is a problem-details answer (400 or
//! 422 with the field at fault), never axum's plain-text rejection and never a 500.

use super::problem::Problem;
use app::domain::AccountId;
use app::error::FieldErrors;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

/// A JSON body of type `T`. Not JSON, or not well-formed: 400 (`bad_request`); well-formed
/// but of the wrong shape (a missing field, a number for a string): 422 (`invalid`), naming
/// what serde could not read; too large: 413.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = Problem;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Problem> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_problem(rejection)),
        }
    }
}

fn json_problem(rejection: JsonRejection) -> Problem {
    match rejection {
        JsonRejection::JsonDataError(e) => {
            // serde's message names the field and what was expected; it holds no secret
            // (only the shape of what the caller sent).
            let mut errors = FieldErrors::new();
            errors.add("body", e.body_text());
            Problem::from(app::error::AppError::Invalid(errors))
        }
        JsonRejection::MissingJsonContentType(_) => Problem::of(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the body as JSON, with `Content-Type: application/json`.",
        ),
        JsonRejection::JsonSyntaxError(_) => Problem::of(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "The body is not well-formed JSON.",
        ),
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => Problem::of(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "The body is too large.",
        ),
        _ => Problem::of(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "The body could not be read.",
        ),
    }
}

/// An account id in the path (`/users/{id}`): a positive whole number, or 400 naming `id`.
/// Any such number is accepted here; one that is not the caller's to see is a 404 later.
pub struct AccountIdPath(pub AccountId);

impl<S: Send + Sync> FromRequestParts<S> for AccountIdPath {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        let bad = || {
            let mut problem = Problem::of(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "The account id in the path must be a positive whole number.",
            );
            let mut errors = FieldErrors::new();
            errors.add("id", "Must be a positive whole number.");
            problem.errors = Some(errors);
            problem
        };
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| bad())?;
        match raw.parse::<i64>() {
            Ok(id) if id > 0 => Ok(AccountIdPath(AccountId(id))),
            _ => Err(bad()),
        }
    }
}
