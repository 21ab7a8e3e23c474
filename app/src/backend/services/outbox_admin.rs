//! The outbox as platform administrators read and act on it (SPEC §6). Apart from the
//! worker ([`super::outbox`]), so that the state, which holds the outbox, does not depend on
//! requests, which hold the state.

use crate::backend::store::outbox;
use crate::error::AppError;

/// A page of the outbox for a platform administrator (SPEC §6): counts by status, the
/// messages `query` selects (never what they say), and whether email is configured.
pub async fn list(
    req: &crate::backend::request::Request,
    query: &crate::outbox::OutboxQuery,
) -> Result<crate::outbox::OutboxPage, AppError> {
    crate::access::may_manage_outbox(req.actor()).into_result()?;
    let db = req.db();
    let mut messages = outbox::list(
        db,
        query.status,
        query.before,
        crate::outbox::OutboxQuery::PAGE + 1,
        req.now,
    )
    .await?;
    let page = usize::try_from(crate::outbox::OutboxQuery::PAGE).unwrap_or(50);
    let older = (messages.len() > page).then(|| {
        messages.truncate(page);
        messages.last().map(|m| m.message_id)
    });
    let (queued, sent, failed) = outbox::counts(db).await?;
    let state = &req.state;
    Ok(crate::outbox::OutboxPage {
        email_configured: state.outbox.email_configured(),
        mail_server: state.outbox.mail_server().map(str::to_owned),
        queued,
        sent,
        failed,
        messages,
        older: older.flatten(),
    })
}

/// Queues a failed message again, its attempts counted afresh (a platform administrator,
/// after fixing what made it fail). Audited; refused attempts too.
pub async fn requeue(
    req: &crate::backend::request::Request,
    message_id: i64,
) -> Result<(), AppError> {
    use super::change::Change;
    use super::refusals;
    use crate::backend::store::audit::{AuditAction, AuditTarget};
    let action = AuditAction::OutboxMessageRequeued;
    refusals::recorded(req, action, async {
        refusals::allowed(crate::access::may_manage_outbox(req.actor()))
    })
    .await?;
    let message = outbox::find(req.db(), message_id, req.now)
        .await?
        .ok_or(AppError::NotFound)?;
    if message.status != outbox::Status::Failed {
        return Err(AppError::Conflict(
            "Only a failed message can be sent again; this one is not failed.".to_owned(),
        ));
    }
    let mut change = Change::begin(req, action).await?;
    if !outbox::requeue_failed(&mut **change.tx(), message_id, req.now).await? {
        return Err(AppError::Conflict(
            "This message can no longer be sent again: it is not failed any more, or what it \
             said was erased."
                .to_owned(),
        ));
    }
    let event = change.event();
    event.target = Some(AuditTarget::OutboxMessage {
        message_id,
        label: format!("{} to {}", message.summary, message.recipient),
    });
    event.tenant_id = None;
    event.before = Some(
        serde_json::json!({ "status": "failed", "attempts": message.attempts, "last_error": message.last_error }),
    );
    event.after = Some(serde_json::json!({ "status": "queued", "attempts": 0 }));
    change.commit().await?;
    req.state.outbox.wake();
    Ok(())
}
