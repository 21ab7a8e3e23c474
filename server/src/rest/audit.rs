//! The audit trail over the REST API (SPEC §8, issue 13 §3): `GET /api/v1/audit`, pages of
//! records filtered as on the console's Audit page with keyset cursors, and
//! `GET /api/v1/audit/export?format=csv|jsonl`, the console's export (the same code: streamed,
//! itself audited). Scoped as on the console: the caller's own tenant's records.

use super::auth::ApiCaller;
use super::problem::Problem;
use app::audit_log::{AuditQuery, ACTIONS};
use app::backend::services::audit_log::{self, AuditRecord, ExportFormat};
use app::backend::state::AppState;
use app::directory::percent_encode;
use app::error::{AppError, FieldErrors};
use axum::extract::rejection::QueryRejection;
use axum::extract::Query;
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Records per page when `limit` is not given, and the most a page holds whatever it asks.
pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 200;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_audit))
        .routes(routes!(export_audit))
}

/// One page of records, newest first, with the next (older) page's link.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditRecordPage {
    pub items: Vec<AuditRecord>,
    /// The next page's URL (path and query, same filters and `limit`), or `null` on the last
    /// page.
    pub next: Option<String>,
}

/// The filters of both endpoints, as the Audit page has them: `actor` and `target` (the start
/// of a username or target name, any case), `action` (one action code), `from` and `to`
/// (`YYYY-MM-DD`, UTC, inclusive). Unknown parameters are ignored; a malformed one is a field
/// error.
fn filters(params: &HashMap<String, String>, errors: &mut FieldErrors) -> AuditQuery {
    let get = |name: &str| params.get(name).cloned().unwrap_or_default();
    let action = get("action");
    if !action.is_empty() && !ACTIONS.iter().any(|(code, _)| *code == action) {
        errors.add("action", "Not an action of the audit trail.");
    }
    AuditQuery {
        actor: get("actor"),
        action,
        target: get("target"),
        from: get("from"),
        to: get("to"),
        cursor: None,
    }
}

/// The query string, or a field error when it cannot be read at all.
fn read(
    params: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<HashMap<String, String>, AppError> {
    params
        .map(|Query(params)| params)
        .map_err(|_| AppError::field("query", "The query string could not be read."))
}

/// A page's cursor as its link carries it: `<unix time>.<record id>`.
fn parse_cursor(text: &str) -> Option<(i64, i64)> {
    let (at, id) = text.split_once('.')?;
    Some((at.parse().ok()?, id.parse().ok()?))
}

/// The URL of `query`'s page at `cursor`, with the same filters and page size.
fn page_link(query: &AuditQuery, limit: usize, cursor: (i64, i64)) -> String {
    let mut params = vec![AuditQuery {
        cursor: None,
        ..query.clone()
    }
    .to_params()];
    if limit != DEFAULT_LIMIT {
        params.push(format!("limit={limit}"));
    }
    params.push(format!(
        "cursor={}",
        percent_encode(&format!("{}.{}", cursor.0, cursor.1))
    ));
    params.retain(|p| !p.is_empty());
    format!("/api/v1/audit?{}", params.join("&"))
}

/// `GET /api/v1/audit`: the records the caller may read, newest first, filtered as the
/// Audit page filters them (see [`filters`]); `limit` 1 to 200 (larger asks get 200, default
/// 50); `cursor` from a page's `next` link. Needs `Audit log: View`. Reads only.
#[utoipa::path(
    get,
    path = "/api/v1/audit",
    tag = "audit",
    params(
        ("actor" = Option<String>, Query, description = "The start of the actor's username, any case"),
        ("target" = Option<String>, Query, description = "The start of the target's name, any case"),
        ("action" = Option<String>, Query, description = "One action code (`account.update`, …)"),
        ("from" = Option<String>, Query, description = "First day, `YYYY-MM-DD` (UTC)"),
        ("to" = Option<String>, Query, description = "Last day, `YYYY-MM-DD` (UTC)"),
        ("limit" = Option<u32>, Query, description = "Records per page, 1 to 200 (default 50)"),
        ("cursor" = Option<String>, Query, description = "From a page's `next` link"),
    ),
    responses(
        (status = 200, description = "One page, newest first", body = AuditRecordPage),
        (status = 403, description = "Refused, with the reason's code", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_audit(
    ApiCaller(req): ApiCaller,
    params: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<AuditRecordPage>, Problem> {
    app::access::may_view_audit(req.actor())
        .into_result()
        .map_err(|refusal| Problem::from(AppError::Forbidden(refusal)))?;
    let params = read(params)?;
    let mut errors = FieldErrors::new();
    let mut query = filters(&params, &mut errors);
    let limit = match params.get("limit") {
        None => DEFAULT_LIMIT,
        Some(l) => match l.parse::<u64>() {
            Ok(n) if n >= 1 => usize::try_from(n).unwrap_or(MAX_LIMIT).min(MAX_LIMIT),
            _ => {
                errors.add("limit", "Must be a whole number from 1 to 200.");
                DEFAULT_LIMIT
            }
        },
    };
    if let Some(cursor) = params.get("cursor") {
        query.cursor = parse_cursor(cursor);
        if query.cursor.is_none() {
            errors.add("cursor", "Not a cursor of this list: use the next links.");
        }
    }
    errors.into_result()?;
    let (items, next) = audit_log::records(&req, &query, limit).await?;
    Ok(Json(AuditRecordPage {
        items,
        next: next.map(|cursor| page_link(&query, limit, cursor)),
    }))
}

/// `GET /api/v1/audit/export?format=csv|jsonl`: every record the filters select (see
/// [`filters`]), newest first, as a streamed download — the console's export, recorded in the
/// trail as `audit.export` (`via: api`) before anything is sent. Needs `Audit log: Export`.
#[utoipa::path(
    get,
    path = "/api/v1/audit/export",
    tag = "audit",
    params(
        ("actor" = Option<String>, Query, description = "The start of the actor's username, any case"),
        ("target" = Option<String>, Query, description = "The start of the target's name, any case"),
        ("action" = Option<String>, Query, description = "One action code (`account.update`, …)"),
        ("from" = Option<String>, Query, description = "First day, `YYYY-MM-DD` (UTC)"),
        ("to" = Option<String>, Query, description = "Last day, `YYYY-MM-DD` (UTC)"),
        ("format" = String, Query, description = "`csv` or `jsonl`"),
    ),
    responses(
        (status = 200, description = "Every selected record, newest first, streamed", content(
            (String = "text/csv"),
            (String = "application/jsonl"),
        )),
        (status = 403, description = "Refused, with the reason's code", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn export_audit(
    ApiCaller(req): ApiCaller,
    params: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, Problem> {
    audit_log::authorize_export(&req, "api").await?;
    let params = read(params)?;
    let mut errors = FieldErrors::new();
    let query = filters(&params, &mut errors);
    let format = params.get("format").and_then(|f| ExportFormat::parse(f));
    if format.is_none() {
        errors.add("format", "Must be csv or jsonl.");
    }
    errors.into_result()?;
    let Some(format) = format else {
        return Err(AppError::field("format", "Must be csv or jsonl.").into());
    };
    Ok(crate::audit_export::download(req, &query, format, "api").await?)
}
