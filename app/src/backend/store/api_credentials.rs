//! Service accounts' API credentials in the database (migration 0014, SPEC §7): API tokens
//! and client credentials. Only digests of secrets are ever written or read here; which
//! account may hold or manage them is decided by the services, never in SQL.

use crate::backend::store::accounts::{decode_row, select_account_with, AccountRecord};
use crate::backend::store::db::{internal, is_unique_violation, Db};
use crate::credentials::{ApiClientView, ApiTokenId, ApiTokenView};
use crate::domain::AccountId;
use crate::error::AppError;
use sqlx::any::AnyRow;
use sqlx::Row;
use std::net::IpAddr;

/// A token's last use is written at most this often (a write per request would cost every
/// request of a busy integration).
pub const TOUCH_EVERY_SECS: i64 = 60;

const TOKEN_COLUMNS: &str = "api_token_id, name, display_prefix, created_at, expires_at, \
     last_used_at, last_used_address, revoked_at";

fn decode_token(row: &AnyRow) -> Result<ApiTokenView, sqlx::Error> {
    Ok(ApiTokenView {
        api_token_id: ApiTokenId(row.try_get("api_token_id")?),
        name: row.try_get("name")?,
        display_prefix: row.try_get("display_prefix")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        last_used_at: row.try_get("last_used_at")?,
        last_used_address: row.try_get("last_used_address")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

/// A token to store: its digest and display prefix, never its text.
#[derive(Debug)]
pub struct NewToken<'a> {
    pub account_id: AccountId,
    pub name: &'a str,
    pub display_prefix: &'a str,
    pub digest: &'a str,
    pub created_by: AccountId,
    pub expires_at: Option<i64>,
}

/// Stores a new token (inside the change's transaction) and returns its id.
pub async fn insert_token<'e, E>(
    executor: E,
    token: &NewToken<'_>,
    now: i64,
) -> Result<ApiTokenId, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let id: i64 = sqlx::query_scalar(
        "insert into api_tokens (account_id, name, display_prefix, digest, created_at, \
         created_by, expires_at) values ($1, $2, $3, $4, $5, $6, $7) returning api_token_id",
    )
    .bind(token.account_id.0)
    .bind(token.name)
    .bind(token.display_prefix)
    .bind(token.digest)
    .bind(now)
    .bind(token.created_by.0)
    .bind(token.expires_at)
    .fetch_one(executor)
    .await
    .map_err(internal("insert API token"))?;
    Ok(ApiTokenId(id))
}

/// Every token of `account`, revoked ones included, newest first.
pub async fn list_tokens(db: &Db, account: AccountId) -> Result<Vec<ApiTokenView>, AppError> {
    let sql = format!(
        "select {TOKEN_COLUMNS} from api_tokens where account_id = $1 \
         order by created_at desc, api_token_id desc"
    );
    let rows = sqlx::query(&sql)
        .bind(account.0)
        .fetch_all(db.pool())
        .await
        .map_err(internal("list API tokens"))?;
    rows.iter()
        .map(decode_token)
        .collect::<Result<_, _>>()
        .map_err(internal("decode API token"))
}

/// The token `id` of `account` (none when it belongs to another account).
pub async fn find_token<'e, E>(
    executor: E,
    account: AccountId,
    id: ApiTokenId,
) -> Result<Option<ApiTokenView>, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let sql = format!(
        "select {TOKEN_COLUMNS} from api_tokens where account_id = $1 and api_token_id = $2"
    );
    let row = sqlx::query(&sql)
        .bind(account.0)
        .bind(id.0)
        .fetch_optional(executor)
        .await
        .map_err(internal("find API token"))?;
    row.as_ref()
        .map(decode_token)
        .transpose()
        .map_err(internal("decode API token"))
}

/// Does `account` hold a live token (not revoked, not expired at `now`) named `name`,
/// compared case-insensitively?
pub async fn live_name_taken<'e, E>(
    executor: E,
    account: AccountId,
    name: &str,
    now: i64,
) -> Result<bool, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let count: i64 = sqlx::query_scalar(
        "select count(*) from api_tokens where account_id = $1 and lower(name) = lower($2) \
         and revoked_at is null and (expires_at is null or expires_at > $3)",
    )
    .bind(account.0)
    .bind(name)
    .bind(now)
    .fetch_one(executor)
    .await
    .map_err(internal("check API token name"))?;
    Ok(count > 0)
}

/// Revokes token `id` of `account` at `now`; false when it was revoked already (or is not
/// there).
pub async fn revoke_token<'e, E>(
    executor: E,
    account: AccountId,
    id: ApiTokenId,
    now: i64,
) -> Result<bool, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let done = sqlx::query(
        "update api_tokens set revoked_at = $1 \
         where api_token_id = $2 and account_id = $3 and revoked_at is null",
    )
    .bind(now)
    .bind(id.0)
    .bind(account.0)
    .execute(executor)
    .await
    .map_err(internal("revoke API token"))?;
    Ok(done.rows_affected() == 1)
}

/// A live token, found by its digest, with what authenticating a request needs.
#[derive(Debug)]
pub struct LiveToken {
    pub api_token_id: ApiTokenId,
    pub last_used_at: Option<i64>,
    /// When the token expires (Unix seconds); `None`: never.
    pub expires_at: Option<i64>,
    pub account: AccountRecord,
}

/// The live token (not revoked, not expired at `now`) whose digest is `digest`, with its
/// account, in one query. Whether the account may use it is for the caller to decide.
pub async fn find_live_token(
    db: &Db,
    digest: &str,
    now: i64,
) -> Result<Option<LiveToken>, AppError> {
    let sql = select_account_with(
        "k.api_token_id as api_token_id, k.last_used_at as token_last_used_at, \
         k.expires_at as token_expires_at",
        "join api_tokens k on k.account_id = a.account_id \
         where k.digest = $1 and k.revoked_at is null and (k.expires_at is null or k.expires_at > $2)",
    );
    let row = sqlx::query(&sql)
        .bind(digest)
        .bind(now)
        .fetch_optional(db.pool())
        .await
        .map_err(internal("find API token"))?;
    let Some(row) = row else {
        return Ok(None);
    };
    let token = (|| {
        Ok::<_, sqlx::Error>((
            row.try_get::<i64, _>("api_token_id")?,
            row.try_get::<Option<i64>, _>("token_last_used_at")?,
            row.try_get::<Option<i64>, _>("token_expires_at")?,
        ))
    })()
    .map_err(internal("decode API token"))?;
    Ok(Some(LiveToken {
        api_token_id: ApiTokenId(token.0),
        last_used_at: token.1,
        expires_at: token.2,
        account: decode_row(&row)?,
    }))
}

/// Records that token `id` authenticated a request from `client` at `now`, unless its last
/// use was recorded less than [`TOUCH_EVERY_SECS`] ago (checked again in the statement, so
/// that instances racing on it write once).
pub async fn touch_token(
    db: &Db,
    id: ApiTokenId,
    client: IpAddr,
    now: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "update api_tokens set last_used_at = $1, last_used_address = $2 \
         where api_token_id = $3 and (last_used_at is null or last_used_at <= $4)",
    )
    .bind(now)
    .bind(client.to_string())
    .bind(id.0)
    .bind(now - TOUCH_EVERY_SECS)
    .execute(db.pool())
    .await
    .map_err(internal("record API token use"))?;
    Ok(())
}

/// A service account's client row (digests only).
#[derive(Clone)]
pub struct ClientRecord {
    pub api_client_id: i64,
    pub account_id: AccountId,
    pub client_id: String,
    pub secret_digest: String,
    pub previous_secret_digest: Option<String>,
    pub previous_secret_expires_at: Option<i64>,
    pub created_at: i64,
    pub rotated_at: Option<i64>,
}

// Digests are no secrets, but they have no business in a log either.
impl std::fmt::Debug for ClientRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientRecord")
            .field("api_client_id", &self.api_client_id)
            .field("account_id", &self.account_id)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl ClientRecord {
    /// What the console shows of it.
    pub fn view(&self) -> ApiClientView {
        ApiClientView {
            client_id: self.client_id.clone(),
            created_at: self.created_at,
            rotated_at: self.rotated_at,
            previous_secret_expires_at: self.previous_secret_expires_at,
        }
    }

    /// The digests of the secrets that work at `now`: the current one, and the previous one
    /// during its overlap.
    pub fn live_digests(&self, now: i64) -> impl Iterator<Item = &str> {
        let previous = match (
            &self.previous_secret_digest,
            self.previous_secret_expires_at,
        ) {
            (Some(digest), Some(until)) if now < until => Some(digest.as_str()),
            _ => None,
        };
        std::iter::once(self.secret_digest.as_str()).chain(previous)
    }
}

const CLIENT_COLUMNS: &str =
    "c.api_client_id as api_client_id, c.account_id as client_account_id, \
     c.client_id as client_id, c.secret_digest as secret_digest, \
     c.previous_secret_digest as previous_secret_digest, \
     c.previous_secret_expires_at as previous_secret_expires_at, \
     c.created_at as client_created_at, c.rotated_at as rotated_at";

fn decode_client(row: &AnyRow) -> Result<ClientRecord, AppError> {
    (|| {
        Ok::<_, sqlx::Error>(ClientRecord {
            api_client_id: row.try_get("api_client_id")?,
            account_id: AccountId(row.try_get("client_account_id")?),
            client_id: row.try_get("client_id")?,
            secret_digest: row.try_get("secret_digest")?,
            previous_secret_digest: row.try_get("previous_secret_digest")?,
            previous_secret_expires_at: row.try_get("previous_secret_expires_at")?,
            created_at: row.try_get("client_created_at")?,
            rotated_at: row.try_get("rotated_at")?,
        })
    })()
    .map_err(internal("decode API client"))
}

/// The client of `account`, if it has one.
pub async fn find_client<'e, E>(
    executor: E,
    account: AccountId,
) -> Result<Option<ClientRecord>, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let sql = format!("select {CLIENT_COLUMNS} from api_clients c where c.account_id = $1");
    let row = sqlx::query(&sql)
        .bind(account.0)
        .fetch_optional(executor)
        .await
        .map_err(internal("find API client"))?;
    row.as_ref().map(decode_client).transpose()
}

/// The client whose public id is `client_id`, with its account, in one query.
pub async fn find_client_by_client_id(
    db: &Db,
    client_id: &str,
) -> Result<Option<(ClientRecord, AccountRecord)>, AppError> {
    let sql = select_account_with(
        CLIENT_COLUMNS,
        "join api_clients c on c.account_id = a.account_id where c.client_id = $1",
    );
    let row = sqlx::query(&sql)
        .bind(client_id)
        .fetch_optional(db.pool())
        .await
        .map_err(internal("find API client"))?;
    match row {
        Some(row) => Ok(Some((decode_client(&row)?, decode_row(&row)?))),
        None => Ok(None),
    }
}

/// The account of client row `api_client_id`, if that row still exists and belongs to
/// `account` (an access token names both).
pub async fn find_client_account(
    db: &Db,
    api_client_id: i64,
    account: AccountId,
) -> Result<Option<AccountRecord>, AppError> {
    let sql = select_account_with(
        "c.api_client_id as api_client_id",
        "join api_clients c on c.account_id = a.account_id \
         where c.api_client_id = $1 and a.account_id = $2",
    );
    let row = sqlx::query(&sql)
        .bind(api_client_id)
        .bind(account.0)
        .fetch_optional(db.pool())
        .await
        .map_err(internal("find API client account"))?;
    row.as_ref().map(decode_row).transpose()
}

/// Creates the client of `account` with its first secret's digest; `Conflict` when it has
/// one already (created concurrently).
pub async fn insert_client<'e, E>(
    executor: E,
    account: AccountId,
    client_id: &str,
    secret_digest: &str,
    now: i64,
) -> Result<(), AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "insert into api_clients (account_id, client_id, secret_digest, created_at) \
         values ($1, $2, $3, $4)",
    )
    .bind(account.0)
    .bind(client_id)
    .bind(secret_digest)
    .bind(now)
    .execute(executor)
    .await
    .map_err(|e| {
        // Two first generations at once: one wins, the other is told to look again.
        if is_unique_violation(&e, "api_clients_account_key")
            || is_unique_violation(&e, "api_clients.account_id")
        {
            AppError::Conflict(
                "A client secret was just generated for this account by someone else: reload \
                 the page and rotate it if you need one you can see."
                    .into(),
            )
        } else {
            internal("insert API client")(e)
        }
    })?;
    Ok(())
}

/// Replaces the secret of client `api_client_id`: the current one becomes the previous one,
/// valid until `previous_until`; the one before it stops working at once.
pub async fn rotate_client<'e, E>(
    executor: E,
    api_client_id: i64,
    secret_digest: &str,
    previous_until: i64,
    now: i64,
) -> Result<(), AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "update api_clients set previous_secret_digest = secret_digest, \
         previous_secret_expires_at = $1, secret_digest = $2, rotated_at = $3 \
         where api_client_id = $4",
    )
    .bind(previous_until)
    .bind(secret_digest)
    .bind(now)
    .bind(api_client_id)
    .execute(executor)
    .await
    .map_err(internal("rotate API client secret"))?;
    Ok(())
}
