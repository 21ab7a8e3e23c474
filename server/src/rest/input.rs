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
        if !is_json(req.headers()) {
            return Err(unsupported_media_type());
        }
        let bytes = match axum::body::Bytes::from_request(req, state).await {
            Ok(bytes) => bytes,
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(payload_too_large())
            }
            Err(_) => return Err(unreadable()),
        };
        // Read straight away; only a body that does not read is read again, by axum, which
        // names the path of what could not be read (tracking it costs on every request).
        match serde_json::from_slice::<T>(&bytes) {
            Ok(value) => Ok(ApiJson(value)),
            Err(_) => match axum::Json::<T>::from_bytes(&bytes) {
                Ok(axum::Json(value)) => Ok(ApiJson(value)),
                Err(rejection) => Err(json_problem(rejection)),
            },
        }
    }
}

/// Whether the request says its body is JSON (`application/json`, or `application/…+json`),
/// as axum's `Json` requires.
fn is_json(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers.get(axum::http::header::CONTENT_TYPE) else {
        return false;
    };
    // Parameters (`; charset=utf-8`) do not matter; nor does case, nor space around.
    let bytes = value.as_bytes();
    let essence = bytes
        .split(|&b| b == b';')
        .next()
        .unwrap_or_default()
        .trim_ascii();
    let Some(slash) = essence.iter().position(|&b| b == b'/') else {
        return false;
    };
    let (kind, subtype) = (&essence[..slash], &essence[slash + 1..]);
    let ends_with_json =
        subtype.len() > 5 && subtype[subtype.len() - 5..].eq_ignore_ascii_case(b"+json");
    kind.eq_ignore_ascii_case(b"application")
        && (subtype.eq_ignore_ascii_case(b"json") || ends_with_json)
}

fn unsupported_media_type() -> Problem {
    Problem::of(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "Send the body as JSON, with `Content-Type: application/json`.",
    )
}

fn payload_too_large() -> Problem {
    Problem::of(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "The body is too large.",
    )
}

fn unreadable() -> Problem {
    Problem::of(
        StatusCode::BAD_REQUEST,
        "bad_request",
        "The body could not be read.",
    )
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
        JsonRejection::MissingJsonContentType(_) => unsupported_media_type(),
        JsonRejection::JsonSyntaxError(_) => Problem::of(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "The body is not well-formed JSON.",
        ),
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => payload_too_large(),
        _ => unreadable(),
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

/// A positive whole number read from a path or query value, or `None`.
pub fn positive_id(raw: &str) -> Option<i64> {
    raw.parse::<i64>().ok().filter(|id| *id > 0)
}

/// The 400 for a malformed id in the path, naming its parameter (`field`).
pub fn bad_path_id(field: &str, what: &str) -> Problem {
    let mut problem = Problem::of(
        StatusCode::BAD_REQUEST,
        "bad_request",
        format!("The {what} id in the path must be a positive whole number."),
    );
    let mut errors = FieldErrors::new();
    errors.add(field, "Must be a positive whole number.");
    problem.errors = Some(errors);
    problem
}

/// A role id in the path (`/roles/{id}`): a positive whole number, or 400 naming `id`. One
/// that is not the caller's to see is a 404 later.
pub struct RoleIdPath(pub app::domain::RoleId);

impl<S: Send + Sync> FromRequestParts<S> for RoleIdPath {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| bad_path_id("id", "role"))?;
        positive_id(&raw)
            .map(|id| RoleIdPath(app::domain::RoleId(id)))
            .ok_or_else(|| bad_path_id("id", "role"))
    }
}

/// A scope id in the path (`/scopes/{id}`): a positive whole number, or 400 naming `id`.
pub struct ScopeIdPath(pub app::domain::ScopeId);

impl<S: Send + Sync> FromRequestParts<S> for ScopeIdPath {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| bad_path_id("id", "scope"))?;
        positive_id(&raw)
            .map(|id| ScopeIdPath(app::domain::ScopeId(id)))
            .ok_or_else(|| bad_path_id("id", "scope"))
    }
}

/// An account id and a role id in the path (`/users/{id}/roles/{role_id}`), each a positive
/// whole number, or 400 naming the one at fault.
pub struct AccountRolePath(pub AccountId, pub app::domain::RoleId);

impl<S: Send + Sync> FromRequestParts<S> for AccountRolePath {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        let Path((account, role)) = Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(|_| bad_path_id("id", "account"))?;
        let account = positive_id(&account).ok_or_else(|| bad_path_id("id", "account"))?;
        let role = positive_id(&role).ok_or_else(|| bad_path_id("role_id", "role"))?;
        Ok(AccountRolePath(
            AccountId(account),
            app::domain::RoleId(role),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::is_json;
    use axum::http::{header, HeaderMap, HeaderValue};

    fn with(content_type: Option<&'static str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(value) = content_type {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn json_bodies_are_told_apart_as_axum_tells_them() {
        for yes in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON",
            "application/problem+json",
            "application/merge-patch+JSON",
            "application/json ;charset=utf-8",
        ] {
            assert!(is_json(&with(Some(yes))), "{yes}");
        }
        for no in [
            "text/json",
            "application/x-www-form-urlencoded",
            "application/jsonx",
            "application/+json",
            "application/xjson",
            "json",
            "",
        ] {
            assert!(!is_json(&with(Some(no))), "{no}");
        }
        assert!(!is_json(&with(None)));
    }
}
