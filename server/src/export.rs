//! `GET /users.csv`: the users list as CSV, with the filters and order of the page's URL
//! (SPEC §2.4). Streamed in keyset batches, so a million accounts never sit in memory.

use app::backend::services::directory;
use app::backend::store::audit::{self, AuditAction, AuditEvent, Outcome};
use app::csv::{export_values, write_record, COLUMNS};
use app::directory::AccountQuery;
use app::error::AppError;
use axum::body::{Body, Bytes};
use axum::extract::Query;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;

/// Accounts per database round trip.
const BATCH: usize = 1_000;

pub async fn export_accounts(
    crate::middleware::FullRequest(req): crate::middleware::FullRequest,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let refuse = |status: StatusCode, message: String| (status, message).into_response();
    if let Err(refusal) = app::access::may_list_accounts(req.actor()).into_result() {
        return refuse(
            StatusCode::FORBIDDEN,
            AppError::Forbidden(refusal).to_string(),
        );
    }
    let mut query = AccountQuery::from_params(|k| params.get(k).cloned());
    query.cursor = None;
    let started = req.now;
    let failed = || "The export failed. Please try again.".to_owned();
    // The first batch is read before answering, so a failure is a clean error status.
    let first = match directory::fetch(&req, &query, BATCH).await {
        Ok(batch) => batch,
        Err(err) => return refuse(err_status(&err), failed()),
    };
    let mut event = AuditEvent::new(AuditAction::AccountsExported, Outcome::Success);
    event.tenant_id = req.actor().tenant_id;
    event.actor = Some(req.snapshot());
    event.client = Some(req.client);
    event.after = Some(serde_json::json!({ "filters": query.to_params() }));
    if audit::record(req.db().pool(), &event, started)
        .await
        .is_err()
    {
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "The export could not be recorded in the audit trail, so it was not made.".to_owned(),
        );
    }
    let mut head = write_record(&COLUMNS);
    for account in &first.0 {
        head.push_str(&write_record(&export_values(account)));
    }
    let state_after_first = first.2.map(|cursor| query.at(Some(cursor)));
    let rest = futures_util::stream::unfold(state_after_first, move |next| {
        let req = req.clone();
        async move {
            let query = next?;
            match directory::fetch(&req, &query, BATCH).await {
                Ok((rows, _, after)) => {
                    let mut chunk = String::new();
                    for account in &rows {
                        chunk.push_str(&write_record(&export_values(account)));
                    }
                    let next = after.map(|cursor| query.at(Some(cursor)));
                    Some((Ok::<_, std::io::Error>(Bytes::from(chunk)), next))
                }
                // Headers are gone: end the body abnormally so the download is visibly broken
                // rather than silently short.
                Err(_) => Some((Err(std::io::Error::other("export failed")), None)),
            }
        }
    });
    // Fused: the compression layer may poll once more after the end.
    let body = futures_util::StreamExt::fuse(futures_util::StreamExt::chain(
        futures_util::stream::once(async move { Ok(Bytes::from(head)) }),
        rest,
    ));
    let filename = format!("warden-accounts-{}.csv", app::pages::format_date(started));
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

fn err_status(err: &AppError) -> StatusCode {
    StatusCode::from_u16(err.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}
