//! Failed sign-ins counted per account name and per client address, in the database so that
//! every instance shares the counters. Counting by the name that was typed (whether or not
//! such an account exists) reveals nothing about which accounts exist.

use super::accounts::internal;
use super::db::Db;
use crate::error::AppError;

#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub max_failures: i64,
    pub window_secs: i64,
}

#[derive(Debug, Clone, Copy)]
pub struct ThrottlePolicy {
    pub per_account: Limit,
    pub per_address: Limit,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        ThrottlePolicy {
            per_account: Limit {
                max_failures: 5,
                window_secs: 15 * 60,
            },
            per_address: Limit {
                max_failures: 30,
                window_secs: 15 * 60,
            },
        }
    }
}

pub fn account_key(username: &str) -> String {
    format!("account:{}", username.trim().to_lowercase())
}

pub fn address_key(address: &std::net::IpAddr) -> String {
    format!("address:{address}")
}

/// Seconds until `key` may try again, or `None` when it may try now.
pub async fn retry_after(
    db: &Db,
    key: &str,
    limit: Limit,
    now: i64,
) -> Result<Option<i64>, AppError> {
    let row: Option<(i64, i64)> = sqlx::query_as(
        "select failures, window_started_at from sign_in_throttles where throttle_key = $1",
    )
    .bind(key)
    .fetch_optional(db.pool())
    .await
    .map_err(internal("read sign-in throttle"))?;
    Ok(row.and_then(|(failures, started)| {
        let ends = started + limit.window_secs;
        (failures >= limit.max_failures && ends > now).then_some(ends - now)
    }))
}

/// Counts one failure for `key`, starting a new window when the last one has passed.
pub async fn record_failure(db: &Db, key: &str, limit: Limit, now: i64) -> Result<(), AppError> {
    sqlx::query(
        "insert into sign_in_throttles (throttle_key, failures, window_started_at) values ($1, 1, $2) \
         on conflict (throttle_key) do update set \
           failures = case when sign_in_throttles.window_started_at <= $3 then 1 \
                           else sign_in_throttles.failures + 1 end, \
           window_started_at = case when sign_in_throttles.window_started_at <= $3 then $2 \
                           else sign_in_throttles.window_started_at end",
    )
    .bind(key)
    .bind(now)
    .bind(now - limit.window_secs)
    .execute(db.pool())
    .await
    .map_err(internal("record sign-in failure"))?;
    Ok(())
}

/// Forgets the failures of `key` (after a successful sign-in).
pub async fn clear(db: &Db, key: &str) -> Result<(), AppError> {
    sqlx::query("delete from sign_in_throttles where throttle_key = $1")
        .bind(key)
        .execute(db.pool())
        .await
        .map_err(internal("clear sign-in throttle"))?;
    Ok(())
}
