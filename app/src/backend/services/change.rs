//! The one shape of an audited change (SPEC §8): begin a transaction, read the object before,
//! write, read it after, record the audit event built from the two readings, commit. A
//! service writes only the middle; the record cannot forget a field (it is the object's
//! [`Audited::audit_fields`] on both sides) and cannot be written outside the change's
//! transaction, so a change is never stored without its record or the other way round.
//!
//! Refused attempts are recorded elsewhere ([`super::refusals`]), after the transaction of
//! the refused work has rolled back.

use crate::backend::request::Request;
use crate::backend::store::audit::{self, AuditAction, AuditEvent, AuditTarget, Outcome};
use crate::backend::store::db::internal;
use crate::domain::TenantId;
use crate::error::AppError;

/// The transaction of a change.
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// What an audit record says of an object it changed.
pub trait Audited {
    /// What the record is about, as it is now.
    fn audit_target(&self) -> AuditTarget;
    /// The tenant the record belongs to (`None`: platform-wide).
    fn audit_tenant(&self) -> Option<TenantId>;
    /// Every field a reader of the trail may compare before and after (never a secret).
    fn audit_fields(&self) -> serde_json::Value;
}

/// A change in progress: its transaction and the record it will write.
pub struct Change<'r> {
    req: &'r Request,
    tx: Tx,
    event: AuditEvent,
    /// Something was queued in the outbox: wake the worker once committed.
    queued: bool,
}

impl<'r> Change<'r> {
    /// Begins `action` on behalf of `req`'s caller.
    pub async fn begin(req: &'r Request, action: AuditAction) -> Result<Change<'r>, AppError> {
        let tx = req
            .db()
            .begin_write()
            .await
            .map_err(internal("begin a change"))?;
        let mut event = AuditEvent::new(action, Outcome::Success);
        event.actor = Some(req.snapshot());
        event.client = Some(req.client);
        event.tenant_id = req.actor().tenant_id;
        Ok(Change {
            req,
            tx,
            event,
            queued: false,
        })
    }

    /// The change's transaction, for reads and writes that must commit or roll back with it.
    pub fn tx(&mut self) -> &mut Tx {
        &mut self.tx
    }

    /// Queues `email` in the outbox inside the change's transaction: it is sent if and only
    /// if the change commits (SPEC §6). Only when email is configured
    /// ([`crate::backend::services::outbox::Outbox::email_configured`]).
    pub async fn queue_email(
        &mut self,
        tenant_id: Option<TenantId>,
        email: &crate::backend::services::outbox::Email,
    ) -> Result<i64, AppError> {
        let state = &self.req.state;
        let id = state
            .outbox
            .queue_email(
                &mut *self.tx,
                &state.secret_key,
                tenant_id,
                email,
                self.req.now,
            )
            .await?;
        self.queued = true;
        Ok(id)
    }

    /// The record to be written, for what [`Change::record`] does not fill in (a reason, or
    /// a target that is not the changed object).
    pub fn event(&mut self) -> &mut AuditEvent {
        &mut self.event
    }

    /// Records the change of an object read `before` and `after` it (`None` before: created;
    /// `None` after: deleted) in the change's transaction, and commits both.
    pub async fn record<S: Audited>(
        mut self,
        before: Option<&S>,
        after: Option<&S>,
    ) -> Result<(), AppError> {
        if let Some(object) = after.or(before) {
            self.event.target = Some(object.audit_target());
            self.event.tenant_id = object.audit_tenant();
        }
        self.event.before = before.map(Audited::audit_fields);
        self.event.after = after.map(Audited::audit_fields);
        self.commit().await
    }

    /// Writes the record as it stands and commits; then bumps the change epoch
    /// ([`crate::backend::store::db::Db::note_change`]), so the next request on this instance
    /// sees the change.
    pub async fn commit(mut self) -> Result<(), AppError> {
        audit::record(&mut *self.tx, &self.event, self.req.now).await?;
        self.tx
            .commit()
            .await
            .map_err(internal("commit a change"))?;
        // What this instance caches of credentials is stale from now on.
        self.req.db().note_change();
        if self.queued {
            self.req.state.outbox.wake();
        }
        Ok(())
    }
}
