//! `GET /audit.csv` and `GET /audit.jsonl`: the audit trail as the Audit page filters it
//! (SPEC §8), downloaded. The REST API's `GET /api/v1/audit/export` answers with the same
//! [`download`]. Streamed in keyset batches, so a million records never sit in memory; each
//! export is itself recorded in the trail before anything is sent.

use app::audit_log::AuditQuery;
use app::backend::request::Request;
use app::backend::services::audit_log::{self, ExportFormat};
use app::error::AppError;
use axum::body::{Body, Bytes};
use axum::extract::Query;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;

/// `GET /audit.csv`, with the Audit page's query string (`actor`, `action`, `target`,
/// `from`, `to`; `page` is ignored: an export starts at the newest record). Needs
/// `Audit log: Export`.
pub async fn export_csv(
    crate::middleware::FullRequest(req): crate::middleware::FullRequest,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    console(req, params, ExportFormat::Csv).await
}

/// `GET /audit.jsonl`: as [`export_csv`], one JSON object per record and line.
pub async fn export_jsonl(
    crate::middleware::FullRequest(req): crate::middleware::FullRequest,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    console(req, params, ExportFormat::JsonLines).await
}

/// The console's answer: the download, or the error's status with its message as text
/// (a refusal says why).
async fn console(req: Request, params: HashMap<String, String>, format: ExportFormat) -> Response {
    let query = AuditQuery::from_params(|k| params.get(k).cloned());
    match download(req, &query, format, "console").await {
        Ok(response) => response,
        Err(err) => (status_of(&err), message_of(&err)).into_response(),
    }
}

/// The status an error answers with.
pub fn status_of(err: &AppError) -> StatusCode {
    StatusCode::from_u16(err.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// What a person is told: the error's own words, field errors spelled out.
fn message_of(err: &AppError) -> String {
    match err {
        AppError::Invalid(fields) => fields
            .0
            .values()
            .flatten()
            .cloned()
            .collect::<Vec<_>>()
            .join(" "),
        other => other.to_string(),
    }
}

/// The export of the records `query` filters, as a streamed attachment: authorizes, reads the
/// first batch and records the export (`via`: `console` or `api`) before answering, so that
/// a refusal, a bad filter or an unwritable audit record is a clean error status with
/// nothing sent. Later batches are read as the client takes the body; a failure then ends the
/// body abnormally, so the download is visibly broken rather than silently short.
pub async fn download(
    req: Request,
    query: &AuditQuery,
    format: ExportFormat,
    via: &str,
) -> Result<Response, AppError> {
    let (first, next) = audit_log::begin_export(&req, query, format, via).await?;
    let head = format.head() + &format.write(&first);
    let filename = format.filename(req.now);
    let rest = futures_util::stream::unfold(next, move |next| {
        let req = req.clone();
        async move {
            let query = next?;
            match audit_log::export_batch(&req, &query).await {
                Ok((records, after)) => {
                    let chunk = format.write(&records);
                    let next = after.map(|cursor| AuditQuery {
                        cursor: Some(cursor),
                        ..query
                    });
                    Some((Ok::<_, std::io::Error>(Bytes::from(chunk)), next))
                }
                Err(_) => Some((Err(std::io::Error::other("audit export failed")), None)),
            }
        }
    });
    // Fused: the compression layer may poll once more after the end.
    let body = futures_util::StreamExt::fuse(futures_util::StreamExt::chain(
        futures_util::stream::once(async move { Ok(Bytes::from(head)) }),
        rest,
    ));
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        Body::from_stream(body),
    )
        .into_response())
}
