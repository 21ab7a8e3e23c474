//! Limits on guessing secrets (passwords, MFA codes, recovery codes, setup links), counted
//! in the database so that every instance shares them.
//!
//! An attempt is **reserved before the secret is checked**: one atomic
//! `insert … on conflict … returning` counts it and says whether it is within the limit, so
//! any number of concurrent attempts verify at most `max_attempts` secrets per window. A
//! right secret then gives its reservation back.
//!
//! Password sign-in (SPEC §4) stops brute force without handing a stranger a way to lock
//! someone out:
//! - each (name, client address) pair and each address have their own limit, which is what
//!   refuses a single attacker;
//! - a name also has a slower limit of its own across all addresses (a distributed attack);
//! - a browser that has signed in to the account before carries a *device cookie*; its
//!   attempts count on their own (name, device) limit instead of the name's and the pair's,
//!   so an attacker filling those cannot lock the account's owner out of their usual browser.
//!
//! Counting by the name that was typed (whether or not such an account exists) reveals
//! nothing about which accounts exist.

use crate::backend::store::db::internal;
use crate::backend::store::db::Db;
use crate::error::AppError;

#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub max_attempts: i64,
    pub window_secs: i64,
}

impl Limit {
    pub const fn per_quarter_hour(max_attempts: i64) -> Limit {
        Limit {
            max_attempts,
            window_secs: 15 * 60,
        }
    }
}

/// Every limit on guessing, by what is guessed and from where.
#[derive(Debug, Clone, Copy)]
pub struct ThrottlePolicy {
    /// Passwords for one name from one client address.
    pub per_account_address: Limit,
    /// Passwords for any name from one client address.
    pub per_address: Limit,
    /// Passwords for one name from browsers it never signed in from, whatever the address.
    pub per_account: Limit,
    /// Passwords for one name from one browser that signed in to it before.
    pub per_device: Limit,
    /// MFA and recovery codes for one account; current passwords when changing one's own.
    pub per_account_secret: Limit,
    /// First-run setup links from one client address.
    pub setup_per_address: Limit,
    /// Failed API authentications (a bad, unknown, revoked or expired token, a wrong client
    /// secret) from one client address.
    pub api_per_address: Limit,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        ThrottlePolicy {
            per_account_address: Limit::per_quarter_hour(5),
            per_address: Limit::per_quarter_hour(30),
            per_account: Limit::per_quarter_hour(50),
            per_device: Limit::per_quarter_hour(5),
            per_account_secret: Limit::per_quarter_hour(5),
            setup_per_address: Limit::per_quarter_hour(10),
            api_per_address: Limit::per_quarter_hour(30),
        }
    }
}

/// The name as counted: trimmed, lower case.
fn name_of(username: &str) -> String {
    username.trim().to_lowercase()
}

pub fn account_key(username: &str) -> String {
    format!("account:{}", name_of(username))
}

pub fn account_address_key(username: &str, address: &std::net::IpAddr) -> String {
    format!("account_address:{}|{address}", name_of(username))
}

pub fn device_key(account: crate::domain::AccountId, device: &str) -> String {
    format!("device:{}|{device}", account.0)
}

pub fn address_key(address: &std::net::IpAddr) -> String {
    format!("address:{address}")
}

pub fn secret_key(kind: &str, account: crate::domain::AccountId) -> String {
    format!("{kind}:{}", account.0)
}

pub fn setup_key(address: &std::net::IpAddr) -> String {
    format!("setup:{address}")
}

pub fn api_address_key(address: &std::net::IpAddr) -> String {
    format!("api:{address}")
}

/// Counts one attempt on `key` (a new window when the last one has passed) and answers
/// `None` when it is within the limit, or the seconds until the window ends when it is not.
/// Atomic on both databases: concurrent callers never both get the last free attempt.
pub async fn reserve(db: &Db, key: &str, limit: Limit, now: i64) -> Result<Option<i64>, AppError> {
    let (attempts, started): (i64, i64) = sqlx::query_as(
        "insert into sign_in_throttles (throttle_key, failures, window_started_at) values ($1, 1, $2) \
         on conflict (throttle_key) do update set \
           failures = case when sign_in_throttles.window_started_at <= $3 then 1 \
                           else sign_in_throttles.failures + 1 end, \
           window_started_at = case when sign_in_throttles.window_started_at <= $3 then $2 \
                           else sign_in_throttles.window_started_at end \
         returning failures, window_started_at",
    )
    .bind(key)
    .bind(now)
    .bind(now - limit.window_secs)
    .fetch_one(db.pool())
    .await
    .map_err(internal("reserve an attempt"))?;
    Ok((attempts > limit.max_attempts).then(|| (started + limit.window_secs - now).max(1)))
}

/// Reserves one attempt on each key in order, all or nothing: at the first key that is full
/// it answers the seconds to wait, and gives back what it reserved on the keys before (no
/// secret will be checked), so that an attempt refused by one limit never uses up another
/// (a single source refused for its (name, address) pair cannot wear down the name's own
/// limit, which would lock the name for everyone).
pub async fn reserve_all(
    db: &Db,
    keys: &[(String, Limit)],
    now: i64,
) -> Result<Option<i64>, AppError> {
    for (i, (key, limit)) in keys.iter().enumerate() {
        if let Some(secs) = reserve(db, key, *limit, now).await? {
            for (earlier, _) in &keys[..i] {
                give_back(db, earlier).await?;
            }
            return Ok(Some(secs));
        }
    }
    Ok(None)
}

/// Gives back one attempt reserved on `key` (it turned out right, or was never checked).
pub async fn give_back(db: &Db, key: &str) -> Result<(), AppError> {
    sqlx::query(
        "update sign_in_throttles set failures = failures - 1 \
         where throttle_key = $1 and failures > 0",
    )
    .bind(key)
    .execute(db.pool())
    .await
    .map_err(internal("give back an attempt"))?;
    Ok(())
}

/// Forgets the attempts of `key` (after the right secret).
pub async fn clear(db: &Db, key: &str) -> Result<(), AppError> {
    sqlx::query("delete from sign_in_throttles where throttle_key = $1")
        .bind(key)
        .execute(db.pool())
        .await
        .map_err(internal("clear sign-in throttle"))?;
    Ok(())
}
