//! Refused administrative attempts in the audit trail (SPEC §8; ASVS V16.3.2, V16.3.3).
//!
//! A service that refuses a signed-in account's change (the access model's
//! [`Decision::Denied`], or a safety rule: the last administrator, one's own account, another
//! tenant's id answered as "not found") returns a [`Refused`]: what the client is told —
//! exactly what it was told before refusals were recorded — and why, as a [`Refusal`]. The
//! service's work runs inside [`recorded`], the one place that writes the refused record:
//! after the work's transaction has been dropped (rolled back), with outcome `refused`, the
//! action attempted, the target as far as the actor may see it, and [`Refusal::code`] as the
//! reason. Nothing secret is recorded: no password, code or token is ever part of a refusal.
//!
//! A loop of refused calls cannot flood the trail: at most [`REFUSALS_RECORDED`] records per
//! (actor, action, reason) and minute are written, counted in the database (so every instance
//! shares the count) with one atomic `insert … on conflict … do update … returning`; the
//! next record written says how many were left out (`suppressed_before`).

use crate::access::{Decision, Refusal};
use crate::backend::request::Request;
use crate::backend::security::throttle::Limit;
use crate::backend::store::accounts::AccountRecord;
use crate::backend::store::audit::{self, AuditAction, AuditEvent, AuditTarget, Outcome};
use crate::backend::store::db::internal;
use crate::backend::store::db::Db;
use crate::domain::TenantId;
use crate::error::AppError;
use std::future::Future;

/// Refused records written per (actor, action, reason) and minute; the rest are counted.
pub const REFUSALS_RECORDED: Limit = Limit {
    max_attempts: 5,
    window_secs: 60,
};

/// A refused attempt on its way out of a service: the answer and the reason.
#[derive(Debug, Clone)]
pub struct Refused {
    pub refusal: Refusal,
    /// What the client is told (`Forbidden`, `NotFound`, a `Conflict` that says why, or
    /// field errors).
    pub answer: AppError,
    /// What the attempt was aimed at, if the actor may see it.
    pub target: Option<AuditTarget>,
    /// The target's tenant, if the actor may see it; otherwise the record belongs to the
    /// actor's tenant.
    pub tenant_id: Option<TenantId>,
    /// What was attempted, where it helps to read the record (no secrets).
    pub attempted: Option<serde_json::Value>,
}

impl Refused {
    /// Refused for `refusal`, answered with `answer`, aimed at nothing named yet.
    pub fn new(refusal: Refusal, answer: AppError) -> Refused {
        Refused {
            refusal,
            answer,
            target: None,
            tenant_id: None,
            attempted: None,
        }
    }

    /// Refused for `refusal`, answered `Forbidden`.
    pub fn forbidden(refusal: Refusal) -> Refused {
        Refused::new(refusal, AppError::Forbidden(refusal))
    }

    /// Aimed at `target` in `tenant` (both visible to the actor).
    pub fn at(mut self, target: AuditTarget, tenant: Option<TenantId>) -> Refused {
        self.target = Some(target);
        self.tenant_id = tenant;
        self
    }

    /// Aimed at `account` (visible to the actor).
    pub fn at_account(self, account: &AccountRecord) -> Refused {
        let tenant = account.tenant_id;
        self.at(AuditTarget::Account(account.snapshot()), tenant)
    }

    /// What was attempted, kept in the record's "after" (never a secret).
    pub fn attempting(mut self, attempted: serde_json::Value) -> Refused {
        self.attempted = Some(attempted);
        self
    }
}

/// Why an administrative service stopped: a refusal (to be recorded) or any other error.
#[derive(Debug, Clone)]
pub enum Failed {
    Refused(Box<Refused>),
    Error(AppError),
}

impl From<AppError> for Failed {
    fn from(error: AppError) -> Failed {
        Failed::Error(error)
    }
}

impl From<Refused> for Failed {
    fn from(refused: Refused) -> Failed {
        Failed::Refused(Box::new(refused))
    }
}

/// The answer, unrecorded: for reads that share a lookup with the changes (a refused read is
/// answered as before and not audited).
impl From<Failed> for AppError {
    fn from(failed: Failed) -> AppError {
        match failed {
            Failed::Refused(refused) => refused.answer,
            Failed::Error(error) => error,
        }
    }
}

impl Failed {
    /// A refusal aimed at `target` in `tenant` (see [`Refused::at`]); other errors unchanged.
    pub fn at(self, target: AuditTarget, tenant: Option<TenantId>) -> Failed {
        self.map_refused(|refused| refused.at(target, tenant))
    }

    /// A refusal aimed at `account` (see [`Refused::at_account`]); other errors unchanged.
    pub fn at_account(self, account: &AccountRecord) -> Failed {
        self.map_refused(|refused| refused.at_account(account))
    }

    /// A refusal with what was attempted (see [`Refused::attempting`]); other errors
    /// unchanged.
    pub fn attempting(self, attempted: serde_json::Value) -> Failed {
        self.map_refused(|refused| refused.attempting(attempted))
    }

    fn map_refused(self, change: impl FnOnce(Refused) -> Refused) -> Failed {
        match self {
            Failed::Refused(refused) => Failed::Refused(Box::new(change(*refused))),
            error @ Failed::Error(_) => error,
        }
    }
}

/// The answer, unrecorded (see `From<Failed>`).
impl From<Refused> for AppError {
    fn from(refused: Refused) -> AppError {
        refused.answer
    }
}

/// `Ok` when `decision` allows; otherwise refused with its reason, answered `Forbidden`.
pub fn allowed(decision: Decision) -> Result<(), Failed> {
    match decision {
        Decision::Allowed(_) => Ok(()),
        Decision::Denied(refusal) => Err(Refused::forbidden(refusal).into()),
    }
}

/// Runs `work`, an administrative service's body. A [`Refused`] it returns is recorded (see
/// [`record`]) once `work` has finished, so after its transaction rolled back, and answered
/// exactly as the service always answered it; anything else passes through untouched.
pub async fn recorded<T>(
    req: &Request,
    action: AuditAction,
    work: impl Future<Output = Result<T, Failed>>,
) -> Result<T, AppError> {
    match work.await {
        Ok(value) => Ok(value),
        Err(Failed::Error(error)) => Err(error),
        Err(Failed::Refused(refused)) => Err(record(req, action, *refused).await),
    }
}

/// Records `refused` (unless [`REFUSALS_RECORDED`] of its kind were written this minute: then
/// it is only counted) and returns its answer. A failure to record is logged and does not
/// change the answer: the attempt was refused either way.
pub async fn record(req: &Request, action: AuditAction, refused: Refused) -> AppError {
    let code = refused.refusal.code();
    let actor = &req.me.account;
    let db = req.db();
    let key = format!("{}|{}|{code}", actor.account_id.0, action.as_str());
    let written = async {
        let Some(suppressed) = admit(db, &key, REFUSALS_RECORDED, req.now).await? else {
            return Ok::<_, AppError>(());
        };
        tracing::info!(
            actor = actor.account_id.0,
            action = action.as_str(),
            reason = code,
            suppressed,
            "administrative attempt refused"
        );
        let mut event = AuditEvent::new(action, Outcome::Refused);
        event.tenant_id = refused.tenant_id.or(req.actor().tenant_id);
        event.actor = Some(actor.snapshot());
        event.target = refused.target.clone();
        event.after = refused.attempted.clone();
        event.client = Some(req.client);
        event.reason = Some(code);
        event.suppressed_before = (suppressed > 0).then_some(suppressed);
        audit::record(db.pool(), &event, req.now).await
    };
    if let Err(error) = written.await {
        tracing::error!(?error, reason = code, "could not record a refused attempt");
    }
    refused.answer
}

/// Counts one refusal on `key` (a new window when the last one has passed). Answers
/// `Some(suppressed)` when it may be recorded — `suppressed` being how many on this key were
/// not recorded since the last one that was — or `None` when `limit` records were already
/// written this window. Atomic on both databases: concurrent refusals never exceed `limit`
/// records per window, and every suppressed one is reported once.
pub async fn admit(db: &Db, key: &str, limit: Limit, now: i64) -> Result<Option<i64>, AppError> {
    let (in_window, reported): (i64, i64) = sqlx::query_as(
        "insert into audit_refusal_windows \
           (refusal_key, window_started_at, in_window, pending, reported) \
         values ($1, $2, 1, 0, 0) \
         on conflict (refusal_key) do update set \
           window_started_at = case when audit_refusal_windows.window_started_at <= $3 then $2 \
             else audit_refusal_windows.window_started_at end, \
           in_window = case when audit_refusal_windows.window_started_at <= $3 then 1 \
             else audit_refusal_windows.in_window + 1 end, \
           reported = case when audit_refusal_windows.window_started_at <= $3 \
               or audit_refusal_windows.in_window < $4 then audit_refusal_windows.pending \
             else 0 end, \
           pending = case when audit_refusal_windows.window_started_at <= $3 \
               or audit_refusal_windows.in_window < $4 then 0 \
             else audit_refusal_windows.pending + 1 end \
         returning in_window, reported",
    )
    .bind(key)
    .bind(now)
    .bind(now - limit.window_secs)
    .bind(limit.max_attempts)
    .fetch_one(db.pool())
    .await
    .map_err(internal("count a refused attempt"))?;
    Ok((in_window <= limit.max_attempts).then_some(reported))
}
