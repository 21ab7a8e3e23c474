//! Entity tags and `If-Match` (RFC 9110 §8.8.3, §13.1.1): every representation a client may
//! replace carries a strong `ETag`, a digest of every field shown, and a replacement must
//! name it, so that a stale write gets 412 instead of silently overwriting someone else's
//! change.

use super::problem::Problem;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// A strong entity tag of `value`'s JSON: any change of a field shown (even twice in one
/// second) gives another tag.
pub fn of<T: Serialize>(value: &T) -> String {
    tag_of(&serde_json::to_vec(value).unwrap_or_default())
}

/// The tag of a JSON representation already serialized.
fn tag_of(json: &[u8]) -> String {
    let digest = Sha256::digest(json);
    format!("\"{}\"", hex::encode(&digest[..16]))
}

/// `value` as JSON with `status` and its `ETag`, serialized once for both.
pub fn tagged<T: Serialize>(status: StatusCode, value: &T) -> Response {
    let Ok(json) = serde_json::to_vec(value) else {
        // As `Json` answers a value that does not serialize (none of the API's types).
        return Json(value).into_response();
    };
    let etag = tag_of(&json);
    let mut res = (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        json,
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        res.headers_mut().insert(header::ETAG, v);
    }
    res
}

/// Why a change may not go ahead: no `If-Match` (428), or one naming another version (412)
/// of `.0` ("the account").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    Missing(&'static str),
    Stale(&'static str),
}

impl From<Precondition> for Problem {
    fn from(p: Precondition) -> Problem {
        match p {
            Precondition::Missing(what) => Problem::of(
                StatusCode::PRECONDITION_REQUIRED,
                "precondition_required",
                format!(
                    "Send If-Match with {what}'s ETag (from GET), so that nobody's change is \
                     overwritten unseen."
                ),
            ),
            Precondition::Stale(what) => Problem::of(
                StatusCode::PRECONDITION_FAILED,
                "precondition_failed",
                format!(
                    "{} changed since you read it: read it again, then send your change.",
                    capitalized(what)
                ),
            ),
        }
    }
}

/// Whether `headers` let a change of `current` (described as `what`: "the account") go
/// ahead.
pub fn check_if_match<T: Serialize>(
    headers: &HeaderMap,
    current: &T,
    what: &'static str,
) -> Result<(), Precondition> {
    let Some(if_match) = headers.get(header::IF_MATCH) else {
        return Err(Precondition::Missing(what));
    };
    let etag = of(current);
    let allowed = if_match
        .to_str()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag == etag || tag.strip_prefix("W/") == Some(etag.as_str()));
    if allowed {
        Ok(())
    } else {
        Err(Precondition::Stale(what))
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_names_the_current_version_or_any() {
        let current = serde_json::json!({ "name": "Acme" });
        let tag = of(&current);
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::IF_MATCH, HeaderValue::from_str(value).unwrap());
            check_if_match(&headers, &current, "the tenant")
        };
        assert!(with(&tag).is_ok());
        assert!(with("*").is_ok());
        assert!(with(&format!("\"other\", W/{tag}")).is_ok());
        let stale = Problem::from(with("\"0123\"").unwrap_err());
        assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
        assert!(
            stale.detail.starts_with("The tenant changed"),
            "{}",
            stale.detail
        );
        let missing =
            Problem::from(check_if_match(&HeaderMap::new(), &current, "the tenant").unwrap_err());
        assert_eq!(missing.status, StatusCode::PRECONDITION_REQUIRED);
        assert_ne!(of(&serde_json::json!({ "name": "Acme!" })), tag);
    }
}
