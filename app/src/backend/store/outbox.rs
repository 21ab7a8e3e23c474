//! The outbox in the database (migration 0015, SPEC §6): messages written in the transaction
//! of the change that causes them, claimed by one instance at a time under a lease, and
//! marked sent, rescheduled or failed. What a message says is sealed before it gets here;
//! this module never sees it in the clear.

use crate::backend::store::db::{internal, Backend, Db};
use crate::domain::TenantId;
use crate::error::AppError;
use sqlx::any::AnyRow;
use sqlx::Row;

/// What kind of delivery a message is. Stored as [`Kind::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Email,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Email => "email",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        match text {
            "email" => Some(Kind::Email),
            _ => None,
        }
    }
}

/// Where a message stands, stored as [`Status::as_str`].
pub use crate::outbox::OutboxStatus as Status;

/// A message to write: its payload already sealed.
#[derive(Debug)]
pub struct NewMessage<'a> {
    pub kind: Kind,
    pub tenant_id: Option<TenantId>,
    pub recipient: &'a str,
    pub summary: &'a str,
    pub sealed_payload: &'a str,
}

/// Writes `message`, due at once, with `executor`: the transaction of the change that causes
/// it, so that the message exists if and only if the change commits.
pub async fn enqueue<'e, E>(
    executor: E,
    message: &NewMessage<'_>,
    now: i64,
) -> Result<i64, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query_scalar(
        "insert into outbox (kind, tenant_id, recipient, summary, payload, next_attempt_at, \
         created_at) values ($1, $2, $3, $4, $5, $6, $6) returning message_id",
    )
    .bind(message.kind.as_str())
    .bind(message.tenant_id.map(|t| t.0))
    .bind(message.recipient)
    .bind(message.summary)
    .bind(message.sealed_payload)
    .bind(now)
    .fetch_one(executor)
    .await
    .map_err(internal("enqueue an outbox message"))
}

/// A message claimed for delivery.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub message_id: i64,
    pub kind: String,
    pub recipient: String,
    /// Sealed; `None` only if the row was damaged by hand.
    pub payload: Option<String>,
    /// This attempt's number, from 1.
    pub attempt: i64,
}

/// Claims the queued message due longest (if any) for `owner` until `lease_until`, counting
/// the attempt. One statement, so two instances never claim the same message: on PostgreSQL
/// rows another instance is claiming are skipped (`FOR UPDATE SKIP LOCKED`), on SQLite
/// writers take turns. A claim whose lease ran out (its instance died mid-send) is taken up
/// again.
pub async fn claim(
    db: &Db,
    owner: &str,
    now: i64,
    lease_until: i64,
) -> Result<Option<Claimed>, AppError> {
    let lock = match db.backend() {
        Backend::Postgres => " for update skip locked",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "update outbox set lease_owner = $1, lease_until = $2, attempts = attempts + 1 \
         where message_id = (select message_id from outbox where status = 'queued' \
         and next_attempt_at <= $3 and (lease_until is null or lease_until <= $3) \
         order by next_attempt_at, message_id limit 1{lock}) \
         returning message_id, kind, recipient, payload, attempts"
    );
    let row = sqlx::query(&sql)
        .bind(owner)
        .bind(lease_until)
        .bind(now)
        .fetch_optional(db.pool())
        .await
        .map_err(internal("claim an outbox message"))?;
    row.map(|row| {
        Ok(Claimed {
            message_id: row.try_get("message_id")?,
            kind: row.try_get("kind")?,
            recipient: row.try_get("recipient")?,
            payload: row.try_get("payload")?,
            attempt: row.try_get("attempts")?,
        })
    })
    .transpose()
    .map_err(internal("decode a claimed outbox message"))
}

/// Marks a claimed message sent and erases what it said.
pub async fn mark_sent(db: &Db, message_id: i64, now: i64) -> Result<(), AppError> {
    sqlx::query(
        "update outbox set status = 'sent', sent_at = $2, payload = null, lease_owner = null, \
         lease_until = null, last_error = null where message_id = $1 and status = 'queued'",
    )
    .bind(message_id)
    .bind(now)
    .execute(db.pool())
    .await
    .map_err(internal("mark an outbox message sent"))?;
    Ok(())
}

/// Gives a claimed message back, to be tried again at `next_attempt_at`, with the reason.
pub async fn reschedule(
    db: &Db,
    message_id: i64,
    owner: &str,
    next_attempt_at: i64,
    error: &str,
) -> Result<(), AppError> {
    sqlx::query(
        "update outbox set next_attempt_at = $3, last_error = $4, lease_owner = null, \
         lease_until = null where message_id = $1 and lease_owner = $2 and status = 'queued'",
    )
    .bind(message_id)
    .bind(owner)
    .bind(next_attempt_at)
    .bind(error)
    .execute(db.pool())
    .await
    .map_err(internal("reschedule an outbox message"))?;
    Ok(())
}

/// Marks a claimed message failed for good, with the reason (its sealed payload stays, so an
/// administrator can send it again).
pub async fn mark_failed(
    db: &Db,
    message_id: i64,
    owner: &str,
    error: &str,
) -> Result<(), AppError> {
    sqlx::query(
        "update outbox set status = 'failed', last_error = $3, lease_owner = null, \
         lease_until = null where message_id = $1 and lease_owner = $2 and status = 'queued'",
    )
    .bind(message_id)
    .bind(owner)
    .bind(error)
    .execute(db.pool())
    .await
    .map_err(internal("mark an outbox message failed"))?;
    Ok(())
}

/// Queues a failed message again, due at once, its attempts counted afresh (inside the
/// change's transaction). `false`: there is no failed message `message_id`.
pub async fn requeue_failed<'e, E>(executor: E, message_id: i64, now: i64) -> Result<bool, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let done = sqlx::query(
        "update outbox set status = 'queued', attempts = 0, next_attempt_at = $2 \
         where message_id = $1 and status = 'failed' and payload is not null",
    )
    .bind(message_id)
    .bind(now)
    .execute(executor)
    .await
    .map_err(internal("queue a failed outbox message again"))?;
    Ok(done.rows_affected() == 1)
}

/// A message as the outbox view shows it: never what it says.
pub use crate::outbox::OutboxMessage as MessageRow;

fn decode_row(row: &AnyRow, now: i64) -> Result<MessageRow, sqlx::Error> {
    let status: String = row.try_get("status")?;
    let lease_until: Option<i64> = row.try_get("lease_until")?;
    Ok(MessageRow {
        message_id: row.try_get("message_id")?,
        kind: row.try_get("kind")?,
        tenant: row.try_get("tenant_name")?,
        recipient: row.try_get("recipient")?,
        summary: row.try_get("summary")?,
        status: Status::parse(&status).unwrap_or(Status::Failed),
        attempts: row.try_get("attempts")?,
        next_attempt_at: row.try_get("next_attempt_at")?,
        in_flight: lease_until.is_some_and(|until| until > now),
        last_error: row.try_get("last_error")?,
        created_at: row.try_get("created_at")?,
        sent_at: row.try_get("sent_at")?,
    })
}

/// Messages newest first, of one status or all, older than `before` (a message id) when
/// given: a page of at most `limit`.
pub async fn list(
    db: &Db,
    status: Option<Status>,
    before: Option<i64>,
    limit: i64,
    now: i64,
) -> Result<Vec<MessageRow>, AppError> {
    let mut sql = String::from(
        "select o.message_id, o.kind, t.name as tenant_name, o.recipient, o.summary, o.status, \
         o.attempts, o.next_attempt_at, o.lease_until, o.last_error, o.created_at, o.sent_at \
         from outbox o left join tenants t on t.tenant_id = o.tenant_id where 1 = 1",
    );
    if status.is_some() {
        sql.push_str(" and o.status = $2");
    }
    if before.is_some() {
        sql.push_str(" and o.message_id < $3");
    }
    sql.push_str(" order by o.message_id desc limit $1");
    // Unused parameters are not bound: number them as if all were.
    let sql = if status.is_none() {
        sql.replace("$3", "$2")
    } else {
        sql
    };
    let mut query = sqlx::query(&sql).bind(limit);
    if let Some(status) = status {
        query = query.bind(status.as_str());
    }
    if let Some(before) = before {
        query = query.bind(before);
    }
    let rows = query
        .fetch_all(db.pool())
        .await
        .map_err(internal("list the outbox"))?;
    rows.iter()
        .map(|row| decode_row(row, now))
        .collect::<Result<_, _>>()
        .map_err(internal("decode the outbox"))
}

/// One message, or `None`.
pub async fn find(db: &Db, message_id: i64, now: i64) -> Result<Option<MessageRow>, AppError> {
    let row = sqlx::query(
        "select o.message_id, o.kind, t.name as tenant_name, o.recipient, o.summary, o.status, \
         o.attempts, o.next_attempt_at, o.lease_until, o.last_error, o.created_at, o.sent_at \
         from outbox o left join tenants t on t.tenant_id = o.tenant_id where o.message_id = $1",
    )
    .bind(message_id)
    .fetch_optional(db.pool())
    .await
    .map_err(internal("read an outbox message"))?;
    row.map(|row| decode_row(&row, now))
        .transpose()
        .map_err(internal("decode an outbox message"))
}

/// How many messages are in each status: (queued, sent, failed).
pub async fn counts(db: &Db) -> Result<(i64, i64, i64), AppError> {
    let rows = sqlx::query("select status, count(*) as n from outbox group by status")
        .fetch_all(db.pool())
        .await
        .map_err(internal("count the outbox"))?;
    let mut counts = (0, 0, 0);
    for row in rows {
        let status: String = row
            .try_get("status")
            .map_err(internal("count the outbox"))?;
        let n: i64 = row.try_get("n").map_err(internal("count the outbox"))?;
        match Status::parse(&status) {
            Some(Status::Queued) => counts.0 = n,
            Some(Status::Sent) => counts.1 = n,
            Some(Status::Failed) => counts.2 = n,
            None => {}
        }
    }
    Ok(counts)
}
