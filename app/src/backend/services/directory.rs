//! The users list and the account page, read side: keyset-paginated queries scoped by the
//! caller's tenant, searched through the terms of [`crate::backend::store::search`] (an index
//! range at any size), and the one-time backfill of those terms.

use crate::access::{
    may_list_accounts, may_manage, may_manage_with, may_view_account, visible_tiers, Action, Actor,
    Refusal, Target,
};
use crate::backend::request::Request;
use crate::backend::services::users::Scope;
use crate::backend::store::db::{internal, Db};
use crate::backend::store::hot::StoredDetail;
use crate::backend::store::search::{write_search_terms, Searchable, MAX_TERM_CHARS};
use crate::directory::*;
use crate::domain::{effective_status, AccountId, AccountStatus, TenantId, Tier};
use crate::error::AppError;
use sqlx::any::AnyRow;
use sqlx::Row;
use std::sync::Arc;

const TERMS_MARKER: &str = "search_terms_v1";

/// Below this many matching terms a search word drives the query (see [`fetch`]).
const DRIVING_MATCHES: i64 = 4_000;

/// Below this many matching terms a search word ranks a page from the term index alone, where
/// the page's order allows it (see [`fetch`]). Ranking sorts every match in the index; past
/// this, walking the order and checking each account finds a page sooner.
const RANKING_MATCHES: i64 = 30_000;

/// How a search runs; [`fetch`] picks one per query from the words' match counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchPlan {
    /// The page is ranked from the term index alone, then only its accounts are read: merged
    /// from the rarest word's few distinct terms (each an index range already in the page's
    /// order, so the merge stops after a page), or else by sorting every match.
    Rank,
    /// The rarest word's accounts are collected, then sorted.
    Drive,
    /// The order's index is walked, keeping the accounts that have every word.
    Walk,
    /// For tests only: `Rank` by sorting every match of the words (intersected), as when
    /// the rarest word starts too many distinct terms to merge.
    #[doc(hidden)]
    RankSorted,
    /// For tests only: `RankSorted`, with every word but the rarest checked per ranked
    /// account, as a word matching too many terms to intersect is.
    #[doc(hidden)]
    RankAndProbe,
}

/// 0: chosen per query; otherwise the forced plan's number (1 Rank, 2 Drive, 3 Walk,
/// 4 RankAndProbe, 5 RankSorted).
static FORCED_PLAN: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

/// For tests: run every search with `plan` (or, with `None`, choose per query again), so each
/// plan is checked on small data. A forced `Rank` (or `RankAndProbe`) falls back to `Drive` where the page's
/// order or filters rule ranking out. Process-wide.
#[doc(hidden)]
pub fn force_search_plan(plan: Option<SearchPlan>) {
    let n = match plan {
        None => 0,
        Some(SearchPlan::Rank) => 1,
        Some(SearchPlan::Drive) => 2,
        Some(SearchPlan::Walk) => 3,
        Some(SearchPlan::RankAndProbe) => 4,
        Some(SearchPlan::RankSorted) => 5,
    };
    FORCED_PLAN.store(n, std::sync::atomic::Ordering::Relaxed);
}

fn forced_plan() -> Option<SearchPlan> {
    match FORCED_PLAN.load(std::sync::atomic::Ordering::Relaxed) {
        1 => Some(SearchPlan::Rank),
        2 => Some(SearchPlan::Drive),
        3 => Some(SearchPlan::Walk),
        4 => Some(SearchPlan::RankAndProbe),
        5 => Some(SearchPlan::RankSorted),
        _ => None,
    }
}

/// How many search terms start with `word` (in `tenant`), counted up to `cap`: an index
/// range, so at most `cap` entries are read.
async fn count_term_matches(
    db: &Db,
    word: &str,
    tenant: Option<TenantId>,
    cap: i64,
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
        .bind(prefix_end(word))
        .bind(cap);
    if let Some(t) = tenant {
        q = q.bind(t.0);
    }
    q.fetch_one(db.pool())
        .await
        .map_err(internal("count search matches"))
}

/// The first string after every string that starts with `word`, in byte order (the terms'
/// collation): `term >= word and term < prefix_end(word)` is a prefix match on an index.
fn prefix_end(word: &str) -> String {
    format!("{word}\u{10FFFF}")
}

/// Ends a probe (`exists (…)`) that must run per row as a page is walked or merged, stopping
/// with the page. Without it PostgreSQL turns the probe into a join over every account with
/// the word, which for a common word reads hundreds of thousands of terms; an `offset` keeps
/// the subquery as it is. SQLite runs probes per row anyway and needs a `limit` before an
/// `offset`.
const PER_ROW: &str = "limit 1 offset 0";

/// A page ranks by merging at most this many terms of its rarest word (see [`fetch`]).
const MERGED_TERMS: usize = 16;

/// The distinct terms that start with `word`, at most `max`, in order: one index seek per
/// term, however many accounts each has.
async fn distinct_terms(db: &Db, word: &str, max: usize) -> Result<Vec<String>, AppError> {
    sqlx::query_scalar::<_, String>(
        "with recursive t(term) as ( \
           select min(term) from account_search_terms where term >= $1 and term < $2 \
           union all \
           select (select min(s.term) from account_search_terms s \
                   where s.term > t.term and s.term < $2) from t where t.term is not null) \
         select term from t where term is not null limit $3",
    )
    .bind(word.to_owned())
    .bind(prefix_end(word))
    .bind(max as i64)
    .persistent(false)
    .fetch_all(db.pool())
    .await
    .map_err(internal("find search terms"))
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
    let mut tx = db.begin_write().await.map_err(internal("begin backfill"))?;
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

/// Rows after (in the page's direction) `cursor`, ordered by `key` (or by id alone) then `id`.
/// The first half is an index range on the key; the second breaks ties.
fn cursor_condition(
    c: &mut Conditions,
    cursor: &Cursor,
    key: Option<&str>,
    id: &str,
    ascending: bool,
) -> String {
    let (Cursor::After(value, after_id) | Cursor::Before(value, after_id)) = cursor;
    let op = if ascending { ">" } else { "<" };
    let id_param = c.param(Bind::Int(after_id.0));
    match key {
        Some(key) => {
            let value_param = c.param(Bind::Text(value.clone()));
            format!(
                "{key} {op}= {value_param} and ({key} {op} {value_param} or {id} {op} {id_param})"
            )
        }
        None => format!("{id} {op} {id_param}"),
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

fn decode_summary(actor: &Actor, row: &AnyRow, now: i64) -> Result<AccountSummary, sqlx::Error> {
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
        manage: may_manage(actor, Target { tier, tenant_id }),
        remove: may_manage_with(actor, Target { tier, tenant_id }, Action::Delete),
    })
}

/// One page of the accounts the caller may see, filtered, searched and sorted as `query`
/// asks. Platform administrators see every tenant (and may filter by one); everyone else
/// sees their own tenant whatever `query.tenant` says. Refused (`Forbidden`, with the
/// reason) to a caller who may not list accounts. Reads only; not audited.
pub async fn list(req: &Request, query: &AccountQuery) -> Result<AccountPage, AppError> {
    let (rows, previous, next) = fetch(req, query, PAGE_SIZE).await?;
    Ok(AccountPage {
        rows: rows.into_iter().map(|d| d.summary).collect(),
        previous,
        next,
    })
}

/// Up to `size` accounts of `query` in full, with the cursors before and after them, as of
/// `req.now` (an export reads every batch with the time it started). Same rules as [`list`].
pub async fn fetch(
    req: &Request,
    query: &AccountQuery,
    size: usize,
) -> Result<(Vec<AccountDetail>, Option<Cursor>, Option<Cursor>), AppError> {
    let (db, actor, now) = (req.db(), req.actor(), req.now);
    may_list_accounts(actor).into_result()?;
    let mut c = Conditions::default();
    let mut tenant = match Scope::of(actor) {
        Scope::AllTenants => query.tenant,
        Scope::Tenant(t) => Some(t),
        // An account in no tenant that is not a platform administrator (which
        // `may_list_accounts` already refuses).
        Scope::Nothing => return Err(AppError::Forbidden(Refusal::TenantMismatch)),
    };
    // A role or scope belongs to one tenant, which becomes the list's; one of another tenant
    // (or none) lists nothing, as a missing one.
    let mut held = Vec::new();
    if let Some(role) = query.role {
        let found: Option<(i64, String)> =
            sqlx::query_as("select tenant_id, kind from roles where role_id = $1")
                .bind(role.0)
                .fetch_optional(db.pool())
                .await
                .map_err(internal("find role filter"))?;
        match found {
            Some((t, _)) if tenant.is_some_and(|mine| mine.0 != t) => {
                return Ok((Vec::new(), None, None))
            }
            Some((t, kind)) => {
                tenant = Some(TenantId(t));
                // Everyone is held by every account of its tenant without an assignment.
                if kind != "everyone" {
                    held.push(format!(
                        "a.account_id in (select account_id from role_assignments where role_id = {})",
                        c.param(Bind::Int(role.0))
                    ));
                }
            }
            None => return Ok((Vec::new(), None, None)),
        }
    }
    if let Some(scope) = query.scope {
        let found: Option<i64> =
            sqlx::query_scalar("select tenant_id from scopes where scope_id = $1")
                .bind(scope.0)
                .fetch_optional(db.pool())
                .await
                .map_err(internal("find scope filter"))?;
        match found {
            Some(t) if tenant.is_some_and(|mine| mine.0 != t) => {
                return Ok((Vec::new(), None, None))
            }
            Some(t) => {
                tenant = Some(TenantId(t));
                held.push(format!(
                    "a.account_id in (select account_id from role_assignments where scope_id = {})",
                    c.param(Bind::Int(scope.0))
                ));
            }
            None => return Ok((Vec::new(), None, None)),
        }
    }
    for condition in held {
        c.push(condition);
    }
    if let Some(t) = tenant {
        let p = c.param(Bind::Int(t.0));
        c.push(format!("a.tenant_id = {p}"));
    }
    // Only the tiers the actor may see (service accounts need `Service accounts: View`).
    let visible = visible_tiers(actor);
    match query.tier {
        Some(tier) if !visible.contains(&tier) => return Ok((Vec::new(), None, None)),
        Some(tier) => {
            let p = c.param(Bind::Text(tier.as_str().to_owned()));
            c.push(format!("a.tier = {p}"));
        }
        None if Tier::ALL
            .iter()
            .any(|t| t.lives_in_tenant() && !visible.contains(t)) =>
        {
            let mut shown = Vec::new();
            for tier in visible.iter().filter(|t| t.lives_in_tenant()) {
                shown.push(c.param(Bind::Text(tier.as_str().to_owned())));
            }
            if shown.is_empty() {
                return Ok((Vec::new(), None, None));
            }
            c.push(format!("a.tier in ({})", shown.join(", ")));
        }
        None => {}
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
    // Search. Each word's matches are counted first (an index range, capped), then a plan is
    // chosen:
    // - Rank: with no filter but the search, in username or creation order, the page is ranked
    //   from the term index alone — (term, username_key, account_id), or the primary key
    //   (term, account_id) — intersecting the words' matches, and only its accounts are read.
    //   Where it applies it is the fastest plan for all but very common words.
    // - Drive: the rarest word's accounts are collected first (through the term index), then
    //   sorted; also for several words, however common (walking the order for accounts having
    //   every word is slow when the words rarely meet, as in "james smith").
    // - Walk: a single very common word ("m") is checked per account along the order's index,
    //   which fills a page after a few hundred rows.
    let backwards = matches!(query.cursor, Some(Cursor::Before(..)));
    // Which way this page runs: towards the end of the order (after a cursor, or from the
    // start) or towards its beginning (before a cursor, then reversed).
    let ascending = query.descending == backwards;
    let direction = if ascending { "asc" } else { "desc" };
    let key = sort_key(query.sort);
    // The page's order in the term index: Some(column), or None for account order.
    let rank_key = match query.sort {
        AccountSort::Username => Some(Some("s.username_key")),
        AccountSort::Created => Some(None),
        AccountSort::FullName | AccountSort::Email => None,
    };
    let forced = forced_plan();
    let may_rank = tenant.is_none()
        && query.tier.is_none()
        && query.status.is_none()
        && rank_key.is_some()
        && forced.is_none_or(|p| {
            matches!(
                p,
                SearchPlan::Rank | SearchPlan::RankAndProbe | SearchPlan::RankSorted
            )
        });
    let cap = if may_rank {
        RANKING_MATCHES
    } else {
        DRIVING_MATCHES
    };
    let mut words = Vec::new();
    for word in query.search_words() {
        let word: String = word.chars().take(MAX_TERM_CHARS).collect();
        let matches = count_term_matches(db, &word, tenant, cap).await?;
        words.push((matches, word));
    }
    words.sort();
    // The rarest word's distinct terms, when they are few enough to merge.
    let merged = match (words.first(), forced) {
        (Some((_, rarest)), None | Some(SearchPlan::Rank)) if may_rank => {
            let terms = distinct_terms(db, rarest, MERGED_TERMS + 1).await?;
            if terms.is_empty() {
                return Ok((Vec::new(), None, None));
            }
            (terms.len() <= MERGED_TERMS).then_some(terms)
        }
        _ => None,
    };
    let plan = match (forced, words.first()) {
        (_, None) => None,
        (Some(_), _) if may_rank => Some(SearchPlan::Rank),
        (Some(SearchPlan::Rank | SearchPlan::RankAndProbe | SearchPlan::RankSorted), _) => {
            Some(SearchPlan::Drive)
        }
        (Some(plan), _) => Some(plan),
        (None, Some(_)) if merged.is_some() => Some(SearchPlan::Rank),
        (None, Some((rarest, _))) if may_rank && *rarest < RANKING_MATCHES => {
            Some(SearchPlan::Rank)
        }
        (None, Some((rarest, _))) if *rarest < DRIVING_MATCHES || words.len() > 1 => {
            Some(SearchPlan::Drive)
        }
        (None, Some(_)) => Some(SearchPlan::Walk),
    };
    let limit_rows = size as i64 + 1;
    let sql = if let (Some(SearchPlan::Rank), Some(terms)) = (plan, &merged) {
        // Each term of the rarest word is an index range on (term, username_key, account_id)
        // (or the primary key, in account order) already in the page's order: the union is
        // merged in order and stops after a page, checking the other words per account as it
        // goes. An account found through two terms appears twice: each arm is read for a full
        // page, then duplicates are dropped.
        let rank_key = rank_key.flatten();
        let mut probes = String::new();
        for (_, word) in words.iter().skip(1) {
            let low = c.param(Bind::Text(word.clone()));
            let high = c.param(Bind::Text(prefix_end(word)));
            probes.push_str(&format!(
                " and exists (select 1 from account_search_terms p where \
                 p.account_id = s.account_id and p.term >= {low} and p.term < {high} \
                 {PER_ROW})"
            ));
        }
        let after = query
            .cursor
            .as_ref()
            .map(|cursor| {
                let condition =
                    cursor_condition(&mut c, cursor, rank_key, "s.account_id", ascending);
                format!(" and {condition}")
            })
            .unwrap_or_default();
        let columns = match rank_key {
            Some(k) => format!("s.account_id, {k} as rank_key"),
            None => "s.account_id".to_owned(),
        };
        let arms = terms
            .iter()
            .map(|term| {
                let p = c.param(Bind::Text(term.clone()));
                format!(
                    "select {columns} from account_search_terms s where s.term = {p}{after}{probes}"
                )
            })
            .collect::<Vec<_>>()
            .join(" union all ");
        let (merge_order, order, sort_key, page_columns) = match rank_key {
            Some(_) => (
                format!("rank_key {direction}, account_id {direction}"),
                format!("r.rank_key {direction}, r.account_id {direction}"),
                "r.rank_key",
                "account_id, rank_key",
            ),
            None => (
                format!("account_id {direction}"),
                format!("r.account_id {direction}"),
                "''",
                "account_id",
            ),
        };
        let read = c.param(Bind::Int(limit_rows * terms.len() as i64));
        let limit = c.param(Bind::Int(limit_rows));
        format!(
            "with merged as materialized ({arms} order by {merge_order} limit {read}), \
             ranked as materialized (select distinct {page_columns} from merged \
             order by {merge_order} limit {limit}) \
             select {SUMMARY_COLUMNS}, {DETAIL_COLUMNS}, {sort_key} as sort_key from ranked r \
             join accounts a on a.account_id = r.account_id \
             left join tenants t on t.tenant_id = a.tenant_id {} order by {order}",
            c.where_clause()
        )
    } else if plan == Some(SearchPlan::Rank) {
        let rank_key = rank_key.flatten();
        // Words matching too many terms to rank are checked per ranked account instead.
        let probe_all = forced == Some(SearchPlan::RankAndProbe);
        let mut ranges = Vec::new();
        let mut probes = Vec::new();
        for (matches, word) in &words {
            let low = c.param(Bind::Text(word.clone()));
            let high = c.param(Bind::Text(prefix_end(word)));
            if ranges.is_empty() || (*matches < RANKING_MATCHES && !probe_all) {
                ranges.push(format!("s.term >= {low} and s.term < {high}"));
            } else {
                probes.push(format!(
                    "exists (select 1 from account_search_terms p where \
                     p.account_id = r.account_id and p.term >= {low} and p.term < {high} \
                     {PER_ROW})"
                ));
            }
        }
        let after = query
            .cursor
            .as_ref()
            .map(|cursor| {
                let condition =
                    cursor_condition(&mut c, cursor, rank_key, "s.account_id", ascending);
                format!(" and {condition}")
            })
            .unwrap_or_default();
        let columns = match rank_key {
            Some(k) => format!("s.account_id, {k} as rank_key"),
            None => "s.account_id".to_owned(),
        };
        let (order, sort_key) = match rank_key {
            Some(_) => (
                format!("r.rank_key {direction}, r.account_id {direction}"),
                "r.rank_key",
            ),
            None => (format!("r.account_id {direction}"), "''"),
        };
        let probes = if probes.is_empty() {
            String::new()
        } else {
            format!("where {}", probes.join(" and "))
        };
        let limit = c.param(Bind::Int(limit_rows));
        let ranked = if let [range] = ranges.as_slice() {
            // One word's matches, each account once (grouping: on SQLite about twice as fast
            // as `distinct` here), sorted; then the other words are checked in that
            // order until a page is full. Checking them before sorting would check every
            // match (12,000 for "smith"), where a page of "james smith" needs a few
            // thousand. `sorted` keeps its order as it is read: it is materialized, and
            // its `limit` (a bound it never reaches: a ranked word has fewer matches)
            // keeps either planner from pushing the checks into it.
            let (group, order_inner) = match rank_key {
                Some(k) => (
                    format!("{k}, s.account_id"),
                    format!("{k} {direction}, s.account_id {direction}"),
                ),
                None => (
                    "s.account_id".to_owned(),
                    format!("s.account_id {direction}"),
                ),
            };
            let bound = if probes.is_empty() {
                limit.clone()
            } else {
                c.param(Bind::Int(RANKING_MATCHES))
            };
            format!(
                "sorted as materialized (select {columns} from account_search_terms s \
                 where {range}{after} group by {group} order by {order_inner} limit {bound}), \
                 ranked as materialized (select r.* from sorted r {probes} limit {limit})"
            )
        } else {
            let matching = ranges
                .iter()
                .map(|range| {
                    format!("select {columns} from account_search_terms s where {range}{after}")
                })
                .collect::<Vec<_>>()
                .join(" intersect ");
            format!(
                "ranked as materialized (select r.* from ({matching}) r {probes} \
                 order by {order} limit {limit})"
            )
        };
        // Conditions are empty here (ranking needs no filter but the search); kept so that
        // nothing outside the actor's scope could ever be listed.
        format!(
            "with {ranked} \
             select {SUMMARY_COLUMNS}, {DETAIL_COLUMNS}, {sort_key} as sort_key from ranked r \
             join accounts a on a.account_id = r.account_id \
             left join tenants t on t.tenant_id = a.tenant_id {} order by {order}",
            c.where_clause()
        )
    } else {
        let mut with = String::new();
        for (i, (_, word)) in words.iter().enumerate() {
            let low = c.param(Bind::Text(word.clone()));
            let high = c.param(Bind::Text(prefix_end(word)));
            let in_tenant = match tenant {
                Some(t) => format!(" and s.tenant_id = {}", c.param(Bind::Int(t.0))),
                None => String::new(),
            };
            if i == 0 && plan == Some(SearchPlan::Drive) {
                // Materialized, so that neither planner turns it back into a walk of the order.
                with = format!(
                    "with hits as materialized (select distinct s.account_id from \
                     account_search_terms s where s.term >= {low} and s.term < {high}{in_tenant}) "
                );
                c.push("a.account_id in (select account_id from hits)".to_owned());
            } else {
                c.push(format!(
                    "exists (select 1 from account_search_terms s where s.account_id = a.account_id \
                     and s.term >= {low} and s.term < {high} {PER_ROW})"
                ));
            }
        }
        if let Some(cursor) = &query.cursor {
            let condition = cursor_condition(&mut c, cursor, key, "a.account_id", ascending);
            c.push(condition);
        }
        let order = match key {
            Some(key) => format!("{key} {direction}, a.account_id {direction}"),
            None => format!("a.account_id {direction}"),
        };
        let limit = c.param(Bind::Int(limit_rows));
        format!(
            "{with}select {SUMMARY_COLUMNS}, {DETAIL_COLUMNS}, {} as sort_key from accounts a \
             left join tenants t on t.tenant_id = a.tenant_id {} order by {order} limit {limit}",
            key.unwrap_or("''"),
            c.where_clause(),
        )
    };
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
        let detail = decode_detail(actor, row, now).map_err(internal("decode account row"))?;
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

/// One account in the caller's scope, with every field (and what the caller may do about
/// its MFA and sessions), or "not found": an account of another tenant, or of a tier the
/// caller may not see, is answered exactly like a missing one. Refused (`Forbidden`, with
/// the reason) to a caller who may not list accounts. Reads only; not audited.
pub async fn get(req: &Request, id: AccountId) -> Result<AccountDetail, AppError> {
    let (db, actor, now) = (req.db(), req.actor(), req.now);
    may_list_accounts(actor).into_result()?;
    if matches!(Scope::of(actor), Scope::Nothing) {
        return Err(AppError::NotFound);
    }
    // Read as stored (cached while nothing changes); what the actor may see of it is decided
    // below, on every request.
    let read = async {
        let sql = format!(
            "select {SUMMARY_COLUMNS}, {DETAIL_COLUMNS} from accounts a \
             left join tenants t on t.tenant_id = a.tenant_id where a.account_id = $1"
        );
        let Some(row) = sqlx::query(&sql)
            .bind(id.0)
            .fetch_optional(db.pool())
            .await
            .map_err(internal("get account"))?
        else {
            return Ok(None);
        };
        let mfa_enabled_at: Option<Option<i64>> =
            sqlx::query_scalar("select enabled_at from mfa_secrets where account_id = $1")
                .bind(id.0)
                .fetch_optional(db.pool())
                .await
                .map_err(internal("read account MFA"))?;
        // Decoded once, as stored (the status before any expiry); what depends on the
        // caller or the time is set below, on every request.
        let detail = decode_detail(actor, &row, i64::MIN).map_err(internal("decode account"))?;
        Ok(Some(Arc::new(StoredDetail {
            detail,
            mfa_enabled_at,
        })))
    };
    let stored = req
        .state
        .hot
        .detail(db, id, now, read)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut detail = stored.detail.clone();
    let target = Target {
        tier: detail.summary.tier,
        tenant_id: detail.summary.tenant_id,
    };
    detail.is_self = detail.summary.account_id == actor.account_id;
    let summary = &mut detail.summary;
    summary.status = effective_status(summary.status, summary.expires_at, now);
    summary.manage = may_manage(actor, target);
    summary.remove = may_manage_with(actor, target, Action::Delete);
    // Another tenant's account, or one of a tier the actor may not see, is, to it, not there.
    let in_scope = match Scope::of(actor) {
        Scope::AllTenants => true,
        Scope::Tenant(t) => detail.summary.tenant_id == Some(t),
        Scope::Nothing => false,
    };
    if !in_scope || !may_view_account(actor, target).is_allowed() {
        return Err(AppError::NotFound);
    }
    detail.mfa = Some(crate::directory::AccountMfa {
        enabled_at: stored.mfa_enabled_at.flatten(),
        reset: crate::access::may_reset_mfa(actor, target),
        end_sessions: may_manage(actor, target),
    });
    Ok(detail)
}

const DETAIL_COLUMNS: &str =
    "a.job_title, a.country_code, a.phone, a.ref_id_1, a.ref_id_2, a.updated_at";

fn decode_detail(actor: &Actor, row: &AnyRow, now: i64) -> Result<AccountDetail, sqlx::Error> {
    let summary = decode_summary(actor, row, now)?;
    Ok(AccountDetail {
        is_self: summary.account_id == actor.account_id,
        summary,
        job_title: row.try_get("job_title")?,
        country_code: row.try_get("country_code")?,
        phone: row.try_get("phone")?,
        ref_id_1: row.try_get("ref_id_1")?,
        ref_id_2: row.try_get("ref_id_2")?,
        updated_at: row.try_get("updated_at")?,
        mfa: None,
    })
}
