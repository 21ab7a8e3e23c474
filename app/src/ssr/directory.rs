//! The users list and the account page, read side: keyset-paginated queries scoped by the
//! actor's tenant, and the search terms that make search an index range at any size.

use super::accounts::internal;
use super::db::Db;
use super::sessions::SignedIn;
use super::users::Scope;
use crate::access::{may_list_accounts, may_manage, Target};
use crate::directory::*;
use crate::domain::{effective_status, AccountId, AccountStatus, TenantId, Tier};
use crate::error::AppError;
use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::BTreeSet;

/// Longest term kept; a longer word is matched by its first characters.
const MAX_TERM_CHARS: usize = 60;

/// What a search word can match for one account: the username, the email and the words of
/// its local part, each word of the full name, the external ID — lower-cased.
pub fn search_terms(
    username: &str,
    email: &str,
    full_name: &str,
    external_id: Option<&str>,
) -> BTreeSet<String> {
    let email = email.to_lowercase();
    let local = email.split('@').next().unwrap_or_default().to_owned();
    let mut terms = BTreeSet::new();
    terms.insert(username.to_lowercase());
    terms.insert(email);
    terms.extend(
        local
            .split(['.', '_', '-', '+'])
            .filter(|w| !w.is_empty())
            .map(str::to_owned),
    );
    terms.extend(
        full_name
            .to_lowercase()
            .split(|c: char| c.is_whitespace() || c == '-')
            .filter(|w| !w.is_empty())
            .map(str::to_owned),
    );
    if let Some(external) = external_id {
        terms.insert(external.to_lowercase());
    }
    terms
        .into_iter()
        .map(|t| t.chars().take(MAX_TERM_CHARS).collect())
        .collect()
}

/// The fields an account's search terms come from.
pub struct Searchable<'a> {
    pub account_id: AccountId,
    pub tenant_id: Option<TenantId>,
    pub username: &'a str,
    pub email: &'a str,
    pub full_name: &'a str,
    pub external_id: Option<&'a str>,
}

/// Replaces the account's search terms, inside the transaction of the change.
pub async fn write_search_terms<'c>(
    tx: &mut sqlx::Transaction<'c, sqlx::Any>,
    account: &Searchable<'_>,
) -> Result<(), AppError> {
    sqlx::query("delete from account_search_terms where account_id = $1")
        .bind(account.account_id.0)
        .execute(&mut **tx)
        .await
        .map_err(internal("clear search terms"))?;
    for term in search_terms(
        account.username,
        account.email,
        account.full_name,
        account.external_id,
    ) {
        sqlx::query(
            "insert into account_search_terms (term, account_id, tenant_id) values ($1, $2, $3)",
        )
        .bind(term)
        .bind(account.account_id.0)
        .bind(account.tenant_id.map(|t| t.0))
        .execute(&mut **tx)
        .await
        .map_err(internal("write search terms"))?;
    }
    Ok(())
}

const TERMS_MARKER: &str = "search_terms_v1";

/// Below this many matching terms a search word drives the query (see [`fetch`]).
const DRIVING_MATCHES: i64 = 4_000;

static DRIVING_THRESHOLD: std::sync::atomic::AtomicI64 =
    std::sync::atomic::AtomicI64::new(DRIVING_MATCHES);

/// For tests: make every search word drive the query (`i64::MAX`) or none (`0`), so both
/// strategies are checked on small data. Process-wide.
#[doc(hidden)]
pub fn set_search_driving_threshold(matches: i64) {
    DRIVING_THRESHOLD.store(matches, std::sync::atomic::Ordering::Relaxed);
}

/// How many search terms start with `word` (in `tenant`), counted up to [`DRIVING_MATCHES`]:
/// an index range, so at most a few thousand entries are read.
async fn count_term_matches(
    db: &Db,
    word: &str,
    tenant: Option<TenantId>,
) -> Result<i64, AppError> {
    let in_tenant = if tenant.is_some() {
        " and tenant_id = $4"
    } else {
        ""
    };
    let sql = format!(
        "select count(*) from (select 1 from account_search_terms where term >= $1 and term < $2\
         {in_tenant} limit $3) matches"
    );
    let mut q = sqlx::query_scalar::<_, i64>(&sql)
        .bind(word.to_owned())
        .bind(format!("{word}\u{10FFFF}"))
        .bind(DRIVING_MATCHES);
    if let Some(t) = tenant {
        q = q.bind(t.0);
    }
    q.fetch_one(db.pool())
        .await
        .map_err(internal("count search matches"))
}

/// Writes the search terms of accounts created before search existed, once per database.
pub async fn backfill_search_terms(db: &Db, now: i64) -> Result<(), AppError> {
    let done: i64 = sqlx::query_scalar("select count(*) from server_secrets where name = $1")
        .bind(TERMS_MARKER)
        .fetch_one(db.pool())
        .await
        .map_err(internal("check search terms"))?;
    if done > 0 {
        return Ok(());
    }
    let mut tx = db
        .pool()
        .begin()
        .await
        .map_err(internal("begin backfill"))?;
    let rows = sqlx::query(
        "select account_id, tenant_id, username, email, full_name, external_id from accounts",
    )
    .fetch_all(&mut *tx)
    .await
    .map_err(internal("read accounts for search"))?;
    for row in &rows {
        let get = |e| internal("decode account for search")(e);
        let username: String = row.try_get("username").map_err(get)?;
        let email: String = row.try_get("email").map_err(get)?;
        let full_name: String = row.try_get("full_name").map_err(get)?;
        let external_id: Option<String> = row.try_get("external_id").map_err(get)?;
        let account = Searchable {
            account_id: AccountId(row.try_get("account_id").map_err(get)?),
            tenant_id: row
                .try_get::<Option<i64>, _>("tenant_id")
                .map_err(get)?
                .map(TenantId),
            username: &username,
            email: &email,
            full_name: &full_name,
            external_id: external_id.as_deref(),
        };
        write_search_terms(&mut tx, &account).await?;
    }
    // Several instances may start at once: the first to commit the marker wins, the
    // others' identical work rolls back.
    sqlx::query("insert into server_secrets (name, value, created_at) values ($1, 'done', $2)")
        .bind(TERMS_MARKER)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(internal("mark search terms"))?;
    tx.commit().await.map_err(internal("commit backfill"))?;
    if !rows.is_empty() {
        tracing::info!(accounts = rows.len(), "search terms written");
    }
    Ok(())
}

/// A value bound to a query built at run time.
pub(super) enum Bind {
    Text(String),
    Int(i64),
}

/// Collects `where` conditions and their parameters, numbering `$N` as it goes.
#[derive(Default)]
pub(super) struct Conditions {
    pub(super) sql: Vec<String>,
    binds: Vec<Bind>,
}

impl Conditions {
    pub(super) fn param(&mut self, value: Bind) -> String {
        self.binds.push(value);
        format!("${}", self.binds.len())
    }

    pub(super) fn push(&mut self, condition: String) {
        self.sql.push(condition);
    }

    /// `where …` of every condition, or nothing.
    pub(super) fn where_clause(&self) -> String {
        if self.sql.is_empty() {
            String::new()
        } else {
            format!("where {}", self.sql.join(" and "))
        }
    }

    /// Binds every parameter, in order, to a query of `sql`.
    pub(super) fn query(
        self,
        sql: &str,
    ) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments<'_>> {
        let mut q = sqlx::query(sql);
        for bind in self.binds {
            q = match bind {
                Bind::Text(v) => q.bind(v),
                Bind::Int(v) => q.bind(v),
            };
        }
        q
    }
}

fn sort_key(sort: AccountSort) -> Option<&'static str> {
    match sort {
        AccountSort::Username => Some("lower(a.username)"),
        AccountSort::FullName => Some("lower(a.full_name)"),
        AccountSort::Email => Some("lower(a.email)"),
        AccountSort::Created => None,
    }
}

const SUMMARY_COLUMNS: &str = "a.account_id, a.username, a.full_name, a.email, a.tier, \
     a.tenant_id, t.name as tenant_name, a.status, a.external_id, a.expires_at, a.created_at";

fn decode_summary(me: &SignedIn, row: &AnyRow, now: i64) -> Result<AccountSummary, sqlx::Error> {
    let tier: String = row.try_get("tier")?;
    let status: String = row.try_get("status")?;
    let bad =
        |what: &str, value: &str| sqlx::Error::Decode(format!("unknown {what} {value:?}").into());
    let tier = Tier::from_db(&tier).ok_or_else(|| bad("tier", &tier))?;
    let tenant_id = row.try_get::<Option<i64>, _>("tenant_id")?.map(TenantId);
    let expires_at: Option<i64> = row.try_get("expires_at")?;
    let stored = AccountStatus::from_db(&status).ok_or_else(|| bad("status", &status))?;
    Ok(AccountSummary {
        account_id: AccountId(row.try_get("account_id")?),
        username: row.try_get("username")?,
        full_name: row.try_get("full_name")?,
        email: row.try_get("email")?,
        tier,
        tenant_id,
        tenant_name: row.try_get("tenant_name")?,
        status: effective_status(stored, expires_at, now),
        external_id: row.try_get("external_id")?,
        expires_at,
        created_at: row.try_get("created_at")?,
        manage: may_manage(&me.actor, Target { tier, tenant_id }),
    })
}

/// One page of the accounts the actor may see, filtered, searched and sorted as `query`
/// asks. Platform administrators see every tenant (and may filter by one); everyone else
/// sees their own tenant whatever `query.tenant` says.
pub async fn list(
    db: &Db,
    me: &SignedIn,
    query: &AccountQuery,
    now: i64,
) -> Result<AccountPage, AppError> {
    let (rows, previous, next) = fetch(db, me, query, now, PAGE_SIZE).await?;
    Ok(AccountPage {
        rows: rows.into_iter().map(|d| d.summary).collect(),
        previous,
        next,
    })
}

/// Up to `size` accounts of `query` in full, with the cursors before and after them.
pub async fn fetch(
    db: &Db,
    me: &SignedIn,
    query: &AccountQuery,
    now: i64,
    size: usize,
) -> Result<(Vec<AccountDetail>, Option<Cursor>, Option<Cursor>), AppError> {
    if !may_list_accounts(&me.actor).is_allowed() {
        return Err(AppError::Forbidden);
    }
    let mut c = Conditions::default();
    let tenant = match Scope::of(&me.actor) {
        Scope::AllTenants => query.tenant,
        Scope::Tenant(t) => Some(t),
        Scope::Nothing => return Err(AppError::Forbidden),
    };
    if let Some(t) = tenant {
        let p = c.param(Bind::Int(t.0));
        c.push(format!("a.tenant_id = {p}"));
    }
    if let Some(tier) = query.tier {
        let p = c.param(Bind::Text(tier.as_str().to_owned()));
        c.push(format!("a.tier = {p}"));
    }
    if let Some(status) = query.status {
        let p = c.param(Bind::Int(now));
        c.push(match status {
            AccountStatus::Disabled => "a.status = 'disabled'".to_owned(),
            AccountStatus::Expired => {
                format!("a.status <> 'disabled' and a.expires_at <= {p}")
            }
            stored => format!(
                "a.status = '{}' and (a.expires_at is null or a.expires_at > {p})",
                stored.as_str()
            ),
        });
    }
    // Search. A word matching few accounts drives the query: its matches are collected first
    // (through the term index) and sorted. A word matching many is cheaper the other way
    // round: walk the sort order's index and keep the accounts that have the word, which
    // fills a page after a few hundred rows. The words' match counts (capped) decide.
    let mut words = Vec::new();
    for word in query.search_words() {
        let word: String = word.chars().take(MAX_TERM_CHARS).collect();
        let matches = count_term_matches(db, &word, tenant).await?;
        words.push((matches, word));
    }
    words.sort();
    let mut with = String::new();
    for (i, (matches, word)) in words.iter().enumerate() {
        let low = c.param(Bind::Text(word.clone()));
        let high = c.param(Bind::Text(format!("{word}\u{10FFFF}")));
        let in_tenant = match tenant {
            Some(t) => format!(" and s.tenant_id = {}", c.param(Bind::Int(t.0))),
            None => String::new(),
        };
        // Several words: the rarest always drives (walking the order for accounts having
        // every word is slow when the words rarely meet, as in "james smith").
        let drives = *matches < DRIVING_THRESHOLD.load(std::sync::atomic::Ordering::Relaxed)
            || words.len() > 1;
        if i == 0 && drives {
            // Materialized, so that neither planner turns it back into a walk of the order.
            with = format!(
                "with hits as materialized (select distinct s.account_id from \
                 account_search_terms s where s.term >= {low} and s.term < {high}{in_tenant}) "
            );
            c.push("a.account_id in (select account_id from hits)".to_owned());
        } else {
            c.push(format!(
                "exists (select 1 from account_search_terms s where s.account_id = a.account_id \
                 and s.term >= {low} and s.term < {high})"
            ));
        }
    }
    // Which way this page runs: towards the end of the order (after a cursor, or from the
    // start) or towards its beginning (before a cursor, then reversed).
    let backwards = matches!(query.cursor, Some(Cursor::Before(..)));
    let ascending = query.descending == backwards;
    let key = sort_key(query.sort);
    if let Some(cursor) = &query.cursor {
        let (Cursor::After(value, id) | Cursor::Before(value, id)) = cursor;
        let op = if ascending { ">" } else { "<" };
        let id_param = c.param(Bind::Int(id.0));
        match key {
            Some(key) => {
                let value_param = c.param(Bind::Text(value.clone()));
                // The first half is an index range on the sort key; the second breaks ties.
                c.push(format!(
                    "{key} {op}= {value_param} and ({key} {op} {value_param} or a.account_id {op} {id_param})"
                ));
            }
            None => c.push(format!("a.account_id {op} {id_param}")),
        }
    }
    let direction = if ascending { "asc" } else { "desc" };
    let order = match key {
        Some(key) => format!("{key} {direction}, a.account_id {direction}"),
        None => format!("a.account_id {direction}"),
    };
    let limit = c.param(Bind::Int(size as i64 + 1));
    let sql = format!(
        "{with}select {SUMMARY_COLUMNS}, {DETAIL_COLUMNS}, {} as sort_key from accounts a \
         left join tenants t on t.tenant_id = a.tenant_id {} order by {order} limit {limit}",
        key.unwrap_or("''"),
        c.where_clause(),
    );
    let q = c.query(&sql);
    // Not a prepared statement kept per connection: PostgreSQL would soon plan it once for
    // every search word, and the right plan depends on the word.
    let rows = q
        .persistent(false)
        .fetch_all(db.pool())
        .await
        .map_err(internal("list accounts"))?;
    let more = rows.len() > size;
    let mut page = Vec::with_capacity(size);
    let mut keys = Vec::with_capacity(size);
    for row in rows.iter().take(size) {
        let detail = decode_detail(me, row, now).map_err(internal("decode account row"))?;
        let key: String = row
            .try_get("sort_key")
            .map_err(internal("decode sort key"))?;
        keys.push((key, detail.summary.account_id));
        page.push(detail);
    }
    if backwards {
        page.reverse();
        keys.reverse();
    }
    let first = keys.first().cloned();
    let last = keys.last().cloned();
    // Forwards, a page reached through a cursor has rows before it; backwards, the rows
    // after it were just left.
    let (has_previous, has_next) = match (&query.cursor, backwards) {
        (None, _) => (false, more),
        (Some(_), false) => (true, more),
        (Some(_), true) => (more, true),
    };
    Ok((
        page,
        first
            .filter(|_| has_previous)
            .map(|(k, id)| Cursor::Before(k, id)),
        last.filter(|_| has_next)
            .map(|(k, id)| Cursor::After(k, id)),
    ))
}

/// One account in the actor's scope, with every field, or "not found".
pub async fn get(
    db: &Db,
    me: &SignedIn,
    id: AccountId,
    now: i64,
) -> Result<AccountDetail, AppError> {
    if !may_list_accounts(&me.actor).is_allowed() {
        return Err(AppError::Forbidden);
    }
    let mut c = Conditions::default();
    let p = c.param(Bind::Int(id.0));
    let mut sql = format!(
        "select {SUMMARY_COLUMNS}, {DETAIL_COLUMNS} from accounts a \
         left join tenants t on t.tenant_id = a.tenant_id where a.account_id = {p}"
    );
    match Scope::of(&me.actor) {
        Scope::AllTenants => {}
        Scope::Tenant(t) => {
            let p = c.param(Bind::Int(t.0));
            sql.push_str(&format!(" and a.tenant_id = {p}"));
        }
        Scope::Nothing => return Err(AppError::NotFound),
    }
    let row = c
        .query(&sql)
        .fetch_optional(db.pool())
        .await
        .map_err(internal("get account"))?
        .ok_or(AppError::NotFound)?;
    decode_detail(me, &row, now).map_err(internal("decode account"))
}

const DETAIL_COLUMNS: &str =
    "a.job_title, a.country_code, a.phone, a.ref_id_1, a.ref_id_2, a.updated_at";

fn decode_detail(me: &SignedIn, row: &AnyRow, now: i64) -> Result<AccountDetail, sqlx::Error> {
    let summary = decode_summary(me, row, now)?;
    Ok(AccountDetail {
        is_self: summary.account_id == me.actor.account_id,
        summary,
        job_title: row.try_get("job_title")?,
        country_code: row.try_get("country_code")?,
        phone: row.try_get("phone")?,
        ref_id_1: row.try_get("ref_id_1")?,
        ref_id_2: row.try_get("ref_id_2")?,
        updated_at: row.try_get("updated_at")?,
    })
}

#[cfg(test)]
mod tests {
    use super::search_terms;

    #[test]
    fn terms_cover_every_searchable_field_lower_cased() {
        let terms = search_terms(
            "Ada_L",
            "Ada.King-Noel@Example.org",
            "Ada King-Noel Lovelace",
            Some("EMP-42"),
        );
        let expected = [
            "ada",
            "ada.king-noel@example.org",
            "ada_l",
            "emp-42",
            "king",
            "lovelace",
            "noel",
        ];
        assert_eq!(
            terms.iter().map(String::as_str).collect::<Vec<_>>(),
            expected
        );
    }

    #[test]
    fn long_terms_are_cut() {
        let terms = search_terms("u", "e@x.io", &"n".repeat(200), None);
        assert!(terms.contains(&"n".repeat(super::MAX_TERM_CHARS)));
    }
}
