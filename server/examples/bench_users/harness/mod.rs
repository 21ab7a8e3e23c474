//! The users-list benchmark: seeds a realistic directory (tenants, accounts of every tier and
//! status, and their search terms written by the server's own `search_terms`), then times
//! the list query the console runs, directly (`app::backend::services::directory::list`) and end to end
//! through the real HTTP server. Shared by `examples/bench_users` and its smoke test.

mod names;

use app::access::Actor;
use app::backend::security::sessions::SignedIn;
use app::backend::store::accounts::find_for_session;
use app::backend::store::db::Db;
use app::backend::store::search::search_terms;
use app::directory::{AccountPage, AccountQuery, AccountSort, Cursor};
use app::domain::{AccountId, AccountStatus, TenantId, Tier};
use rand::distributions::WeightedIndex;
use rand::prelude::Distribution;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use server::config::{CommonConfig, Secret, ServeConfig};
use sqlx::{AnyConnection, Connection, Executor, Row};
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

pub type Error = Box<dyn std::error::Error + Send + Sync>;
pub type Result<T> = std::result::Result<T, Error>;

/// The password of every seeded person (one real Argon2 hash, computed once).
pub const PASSWORD: &str = "Bench-pass-1";
/// The platform administrator the benchmark signs in as.
pub const PLATFORM_ADMIN: &str = "bench_admin";

/// The p95 every page should stay under at a million accounts.
pub const TARGET: Duration = Duration::from_millis(50);

/// Accounts per `insert` statement: 18 parameters each, well under SQLite's 32,766.
const ACCOUNTS_PER_INSERT: usize = 500;
/// Search terms per `insert` statement: 3 parameters each.
const TERMS_PER_INSERT: usize = 2_000;
/// Accounts per transaction.
const ACCOUNTS_PER_TRANSACTION: usize = 10_000;

/// What to seed.
#[derive(Debug, Clone, Copy)]
pub struct SeedSpec {
    /// Every account, platform administrators included.
    pub accounts: usize,
    pub tenants: usize,
    /// The random seed: the same spec always seeds the same directory.
    pub seed: u64,
}

/// How to measure.
#[derive(Debug, Clone, Copy)]
pub struct MeasureSpec {
    pub warmup: usize,
    pub iterations: usize,
    /// A case stops early (with fewer samples) once it has run this long.
    pub max_case_time: Duration,
    /// Also measure through the HTTP server.
    pub http: bool,
}

/// What was seeded, and what the cases search for.
#[derive(Debug, Clone)]
pub struct Seeded {
    pub accounts: i64,
    pub tenants: i64,
    pub search_terms: i64,
    pub elapsed: Duration,
    pub analyze: Duration,
    /// The tenant whose administrator is measured: the largest.
    pub tenant: TenantId,
    pub tenant_accounts: i64,
    pub tenant_admin_username: String,
    /// The most common family name, lower-cased.
    pub common_surname: String,
    pub common_first_name: String,
    /// All of a seeded username but its last character.
    pub rare_prefix: String,
}

/// Whose session runs a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// A platform administrator: every tenant.
    Platform,
    /// The largest tenant's administrator: its own tenant.
    Tenant,
}

impl Who {
    pub fn label(self) -> &'static str {
        match self {
            Who::Platform => "platform admin",
            Who::Tenant => "tenant admin",
        }
    }
}

/// One measured query.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub who: Who,
    pub query: AccountQuery,
    /// The seeded data guarantees rows for this case (the smoke test checks it).
    pub expect_rows: bool,
}

/// Latency percentiles over `n` samples.
#[derive(Debug, Clone, Copy)]
pub struct Stats {
    pub n: usize,
    pub p50: Duration,
    pub p95: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl Stats {
    /// Nearest-rank percentiles.
    pub fn of(mut samples: Vec<Duration>) -> Stats {
        samples.sort();
        let n = samples.len();
        let at = |p: f64| -> Duration {
            if n == 0 {
                return Duration::ZERO;
            }
            let rank = ((p / 100.0) * n as f64).ceil() as usize;
            samples[rank.clamp(1, n) - 1]
        };
        Stats {
            n,
            p50: at(50.0),
            p95: at(95.0),
            p99: at(99.0),
            max: samples.last().copied().unwrap_or_default(),
        }
    }

    pub fn meets_target(&self) -> bool {
        self.p95 < TARGET
    }
}

/// One case's figures.
#[derive(Debug, Clone)]
pub struct CaseResult {
    pub case: Case,
    /// Rows on the page (the direct call's; the HTTP call must agree).
    pub rows: usize,
    pub direct: Stats,
    pub http: Option<Stats>,
}

/// Everything one database's run produced.
#[derive(Debug, Clone)]
pub struct Report {
    pub database: &'static str,
    pub seeded: Seeded,
    /// Size on disk after seeding, in bytes.
    pub size_bytes: Option<i64>,
    pub results: Vec<CaseResult>,
}

/// Where the benchmark's database lives.
#[derive(Debug, Clone)]
pub enum Target {
    /// A SQLite file in this folder (created; removed at the end unless kept).
    Sqlite { dir: PathBuf },
    /// A PostgreSQL database created on this server (dropped at the end unless kept).
    Postgres {
        server_url: String,
        database: String,
    },
}

/// Seeds a fresh database, measures every case, and cleans up unless `keep`.
pub async fn run(
    target: &Target,
    seed: SeedSpec,
    measure: MeasureSpec,
    keep: bool,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<Report> {
    let url = prepare(target).await?;
    let result = run_on(&url, target, seed, measure, progress).await;
    if keep {
        progress(&format!("kept the database: {}", redact(&url)));
    } else {
        cleanup(target).await?;
    }
    result
}

async fn run_on(
    url: &str,
    target: &Target,
    seed: SeedSpec,
    measure: MeasureSpec,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<Report> {
    let database = match target {
        Target::Sqlite { .. } => "SQLite",
        Target::Postgres { .. } => "PostgreSQL",
    };
    let common = CommonConfig {
        catalog: None,
        data_dir: match target {
            Target::Sqlite { dir } => dir.clone(),
            Target::Postgres { .. } => std::env::temp_dir(),
        },
        database_url: Some(Secret::new(url.to_owned())),
    };
    // The server's own start-up path creates the schema (every migration, so every index
    // of the users list is there) and marks search terms as written, so starting the server
    // after seeding does not re-derive them.
    let db = server::open_database(&common).await?;
    db.close().await;

    let seeded = seed_database(url, seed, progress).await?;
    let size_bytes = database_size(url, target).await;

    let serve = ServeConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        // A key of its own, so that no key file is left in the data folder.
        encryption_key: Some(Secret::new(
            app::backend::security::totp::SecretKey::generate().to_base64(),
        )),
        ..ServeConfig::default()
    };
    let running = server::start(&common, &serve).await?;
    let outcome = measure_all(&running, &seeded, measure, progress).await;
    running.stop().await;
    Ok(Report {
        database,
        seeded,
        size_bytes,
        results: outcome?,
    })
}

/// Creates the database (a folder for SQLite) and returns its URL.
async fn prepare(target: &Target) -> Result<String> {
    match target {
        Target::Sqlite { dir } => {
            std::fs::create_dir_all(dir)?;
            let file = dir.join("warden_bench.db");
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
            Ok(format!("sqlite://{}", file.display()))
        }
        Target::Postgres {
            server_url,
            database,
        } => {
            check_database_name(database)?;
            let mut conn = sqlx::PgConnection::connect(server_url).await?;
            conn.execute(format!("drop database if exists {database} with (force)").as_str())
                .await?;
            conn.execute(format!("create database {database}").as_str())
                .await?;
            conn.close().await?;
            Ok(with_database(server_url, database))
        }
    }
}

async fn cleanup(target: &Target) -> Result<()> {
    match target {
        Target::Sqlite { dir } => {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(dir.join(format!("warden_bench.db{suffix}")));
            }
            // Only if empty: never remove a folder someone else keeps files in.
            let _ = std::fs::remove_dir(dir);
            Ok(())
        }
        Target::Postgres {
            server_url,
            database,
        } => {
            let mut conn = sqlx::PgConnection::connect(server_url).await?;
            conn.execute(format!("drop database if exists {database} with (force)").as_str())
                .await?;
            conn.close().await?;
            Ok(())
        }
    }
}

fn check_database_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!("invalid database name {name:?} (use a-z, 0-9 and _)").into())
    }
}

/// `server_url` (`postgres://user@host:port/` with or without a database and parameters)
/// pointing at `database` instead.
pub fn with_database(server_url: &str, database: &str) -> String {
    let (base, params) = match server_url.split_once('?') {
        Some((b, p)) => (b, Some(p)),
        None => (server_url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut url = format!("{}/{database}", &base[..authority_end]);
    if let Some(p) = params {
        url.push('?');
        url.push_str(p);
    }
    url
}

/// A URL without its password, for printing.
pub fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!(
                "{}{user}:***@{host}{}",
                &url[..scheme_end],
                &rest[authority_end..]
            ),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

async fn database_size(url: &str, target: &Target) -> Option<i64> {
    match target {
        Target::Sqlite { dir } => {
            let mut total = 0i64;
            for suffix in ["", "-wal"] {
                if let Ok(meta) = std::fs::metadata(dir.join(format!("warden_bench.db{suffix}"))) {
                    total += i64::try_from(meta.len()).unwrap_or(i64::MAX);
                }
            }
            Some(total)
        }
        Target::Postgres { .. } => {
            let mut conn = sqlx::PgConnection::connect(url).await.ok()?;
            let size: i64 = sqlx::query_scalar("select pg_database_size(current_database())")
                .fetch_one(&mut conn)
                .await
                .ok()?;
            conn.close().await.ok();
            Some(size)
        }
    }
}

// ---------------------------------------------------------------------------------------
// Seeding
// ---------------------------------------------------------------------------------------

/// One account as generated, before it has an id.
struct NewAccount {
    tenant: Option<usize>,
    tier: Tier,
    username: String,
    email: String,
    full_name: String,
    job_title: Option<String>,
    country_code: Option<String>,
    phone: Option<String>,
    ref_id_1: Option<String>,
    ref_id_2: Option<String>,
    external_id: Option<String>,
    status: AccountStatus,
    /// Whether a person's password hash is stored (not for invited accounts and services).
    has_password: bool,
    jwt_version: String,
    expires_at: Option<i64>,
    created_at: i64,
}

/// Generates the directory, deterministically from the seed.
struct Generator {
    rng: StdRng,
    spec: SeedSpec,
    now: i64,
    platform_admins: usize,
    /// Accounts between two tenants' first administrators.
    admin_stride: usize,
    first_names: WeightedIndex<f64>,
    last_names: WeightedIndex<f64>,
    tenants: WeightedIndex<f64>,
    tenant_domains: Vec<String>,
    usernames: HashSet<String>,
    /// The last number tried after each username base.
    suffixes: HashMap<String, u32>,
    surname_counts: HashMap<String, usize>,
    first_name_counts: HashMap<String, usize>,
    rare_prefix: Option<String>,
    rare_fallback: Option<String>,
}

/// Rank weights: the k-th item is drawn in proportion to 1 / (k + offset).
fn rank_weights(len: usize, offset: f64) -> Result<WeightedIndex<f64>> {
    Ok(WeightedIndex::new(
        (0..len).map(|k| 1.0 / (k as f64 + offset)),
    )?)
}

fn tenant_name(k: usize) -> String {
    let a = names::TENANT_FIRST.len();
    let b = names::TENANT_SECOND.len();
    let c = names::TENANT_KIND.len();
    let name = format!(
        "{} {} {}",
        names::TENANT_FIRST[k % a],
        names::TENANT_SECOND[(k / a) % b],
        names::TENANT_KIND[(k / (a * b)) % c],
    );
    if k >= a * b * c {
        format!("{name} {}", k / (a * b * c) + 1)
    } else {
        name
    }
}

fn slug(name: &str) -> String {
    name.to_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

impl Generator {
    fn new(spec: SeedSpec, now: i64) -> Result<Generator> {
        if spec.tenants == 0 || spec.accounts < spec.tenants + 2 {
            return Err("need at least one tenant and more accounts than tenants + 2".into());
        }
        let platform_admins = (spec.accounts / 100_000).clamp(1, 5);
        let tenant_accounts = spec.accounts - platform_admins;
        Ok(Generator {
            rng: StdRng::seed_from_u64(spec.seed),
            spec,
            now,
            platform_admins,
            admin_stride: tenant_accounts / spec.tenants,
            first_names: rank_weights(names::FIRST_NAMES.len(), 10.0)?,
            last_names: rank_weights(names::LAST_NAMES.len(), 20.0)?,
            // The largest tenant holds about 1.3 % of the accounts, the smallest 0.03 %
            // (at 1,000 tenants).
            tenants: rank_weights(spec.tenants, 20.0)?,
            tenant_domains: (0..spec.tenants)
                .map(|k| format!("{}.example", slug(&tenant_name(k))))
                .collect(),
            usernames: HashSet::with_capacity(spec.accounts),
            suffixes: HashMap::new(),
            surname_counts: HashMap::new(),
            first_name_counts: HashMap::new(),
            rare_prefix: None,
            rare_fallback: None,
        })
    }

    /// A family name: 60 % from the common list (weighted by rank), the rest rare ones
    /// made of syllables; a few are double-barrelled.
    fn surname(&mut self) -> String {
        let one = |g: &mut Generator| -> String {
            if g.rng.gen_bool(0.6) {
                names::LAST_NAMES[g.last_names.sample(&mut g.rng)].to_owned()
            } else {
                let parts = g.rng.gen_range(2..=3);
                let mut s = String::new();
                for _ in 0..parts {
                    s.push_str(names::SYLLABLES[g.rng.gen_range(0..names::SYLLABLES.len())]);
                }
                let mut chars = s.chars();
                chars
                    .next()
                    .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                    .unwrap_or_default()
            }
        };
        if self.rng.gen_bool(0.03) {
            format!("{}-{}", one(self), one(self))
        } else {
            one(self)
        }
    }

    fn first_name(&mut self) -> String {
        names::FIRST_NAMES[self.first_names.sample(&mut self.rng)].to_owned()
    }

    /// `base`, or `base` with the first free number after it; at least 6 characters.
    fn unique_username(&mut self, base: &str) -> String {
        let mut base: String = base.chars().take(40).collect();
        while base.len() < 6 {
            base.push('_');
        }
        let mut candidate = base.clone();
        let n = self.suffixes.entry(base.clone()).or_insert(1);
        while self.usernames.contains(&candidate) {
            *n += 1;
            candidate = format!("{base}{n}");
        }
        self.usernames.insert(candidate.clone());
        candidate
    }

    fn status_and_expiry(&mut self, person: bool) -> (AccountStatus, Option<i64>) {
        let r: f64 = self.rng.gen();
        let status = if !person {
            if r < 0.05 {
                AccountStatus::Disabled
            } else {
                AccountStatus::Active
            }
        } else if r < 0.05 {
            AccountStatus::Disabled
        } else if r < 0.09 {
            AccountStatus::MustChangePassword
        } else if r < 0.10 {
            AccountStatus::Invited
        } else {
            AccountStatus::Active
        };
        let e: f64 = self.rng.gen();
        let day = 86_400;
        let expires_at = if e < 0.03 {
            // Expired: shows as "Expired" unless disabled.
            Some(self.now - self.rng.gen_range(1..=365) * day)
        } else if e < 0.09 {
            Some(self.now + self.rng.gen_range(1..=730) * day)
        } else {
            None
        };
        (status, expires_at)
    }

    fn account(&mut self, i: usize) -> NewAccount {
        let n = self.spec.accounts;
        // Creation times run over five years, in id order.
        let span = 5 * 365 * 86_400;
        let created_at = self.now - span + (span as i128 * i as i128 / n as i128) as i64;
        let jwt_version = format!("{:016x}", self.rng.gen::<u64>());
        if i < self.platform_admins {
            let username = if i == 0 {
                PLATFORM_ADMIN.to_owned()
            } else {
                format!("platform_ops{i}")
            };
            self.usernames.insert(username.clone());
            return NewAccount {
                tenant: None,
                tier: Tier::PlatformAdmin,
                email: format!("{username}@warden-operator.example"),
                full_name: if i == 0 {
                    "Bench Administrator".to_owned()
                } else {
                    format!("Platform Operator {i}")
                },
                username,
                job_title: Some("Platform Operator".to_owned()),
                country_code: None,
                phone: None,
                ref_id_1: None,
                ref_id_2: None,
                external_id: None,
                status: AccountStatus::Active,
                has_password: true,
                jwt_version,
                expires_at: None,
                created_at,
            };
        }
        let j = i - self.platform_admins;
        // Every tenant gets an administrator, spread over the creation order; more come at
        // random. The largest tenant's first one is the benchmark's tenant administrator.
        let slot = (self.admin_stride > 0 && j.is_multiple_of(self.admin_stride))
            .then_some(j / self.admin_stride.max(1))
            .filter(|&t| t < self.spec.tenants);
        let tenant = match slot {
            Some(t) => t,
            None => self.tenants.sample(&mut self.rng),
        };
        let r: f64 = self.rng.gen();
        let tier = if slot.is_some() || r < 0.008 {
            Tier::TenantAdmin
        } else if r < 0.038 {
            Tier::ServiceAccount
        } else {
            Tier::User
        };
        let domain = self.tenant_domains[tenant].clone();
        let external = |g: &mut Generator, p: f64| {
            g.rng
                .gen_bool(p)
                .then(|| format!("EMP{:07}", g.rng.gen_range(0..10_000_000u32)))
        };
        if tier == Tier::ServiceAccount {
            let service = names::SERVICES[self.rng.gen_range(0..names::SERVICES.len())];
            let username = self.unique_username(&format!("svc_{service}"));
            let (status, _) = self.status_and_expiry(false);
            let label = service.replace('_', " ");
            return NewAccount {
                tenant: Some(tenant),
                tier,
                email: format!("{}@{domain}", username.replace('_', "-")),
                full_name: format!("{} service", capitalise(&label)),
                username,
                job_title: None,
                country_code: None,
                phone: None,
                ref_id_1: None,
                ref_id_2: None,
                external_id: external(self, 0.2).map(|e| format!("SVC-{e}-{i}")),
                status,
                has_password: false,
                jwt_version,
                expires_at: None,
                created_at,
            };
        }
        let first = self.first_name();
        let last = self.surname();
        let middle = self.rng.gen_bool(0.05).then(|| self.first_name());
        let full_name = match &middle {
            Some(m) => format!("{first} {m} {last}"),
            None => format!("{first} {last}"),
        };
        *self.surname_counts.entry(last.to_lowercase()).or_default() += 1;
        *self
            .first_name_counts
            .entry(first.to_lowercase())
            .or_default() += 1;
        let f = ascii_lower(&first);
        let l = ascii_lower(&last);
        let base = match self.rng.gen_range(0..10) {
            0..=3 => format!("{f}_{l}"),
            4..=6 => format!("{}{l}", &f[..1.min(f.len())]),
            7..=8 => format!("{f}{}", &l[..1.min(l.len())]),
            _ => format!("{l}_{f}"),
        };
        let mut username = self.unique_username(&base);
        if self.rng.gen_bool(0.1) {
            // Some people's usernames keep capitals; uniqueness ignores case.
            username = capitalise(&username);
        }
        if self.rare_prefix.is_none() && i >= n / 3 {
            // A username with a number of two digits or more: all but its last digit
            // matches a handful of accounts.
            let lower = username.to_ascii_lowercase();
            let digits = lower.bytes().rev().take_while(u8::is_ascii_digit).count();
            if digits >= 2 {
                self.rare_prefix = Some(lower[..lower.len() - 1].to_owned());
            } else if self.rare_fallback.is_none() && lower.len() >= 8 {
                self.rare_fallback = Some(lower[..lower.len() - 1].to_owned());
            }
        }
        let (mut status, mut expires_at) = self.status_and_expiry(true);
        if slot == Some(0) {
            // The benchmark signs in as this one.
            status = AccountStatus::Active;
            expires_at = None;
        }
        let email = format!(
            "{}@{domain}",
            username.to_ascii_lowercase().replace('_', ".")
        );
        NewAccount {
            tenant: Some(tenant),
            tier,
            username,
            email,
            full_name,
            job_title: self
                .rng
                .gen_bool(0.6)
                .then(|| names::JOB_TITLES[self.rng.gen_range(0..names::JOB_TITLES.len())])
                .map(str::to_owned),
            country_code: self
                .rng
                .gen_bool(0.5)
                .then(|| names::COUNTRY_CODES[self.rng.gen_range(0..names::COUNTRY_CODES.len())])
                .map(str::to_owned),
            phone: self
                .rng
                .gen_bool(0.4)
                .then(|| format!("555 {:04} {:04}", self.rng.gen_range(0..10_000), i % 10_000)),
            ref_id_1: self
                .rng
                .gen_bool(0.1)
                .then(|| format!("CC{}", self.rng.gen_range(100..1000))),
            ref_id_2: None,
            // Unique per tenant: the random part, then the row number.
            external_id: external(self, 0.3).map(|e| format!("{e}{i}")),
            has_password: status != AccountStatus::Invited,
            status,
            jwt_version,
            expires_at,
            created_at,
        }
    }

    fn most_common(counts: &HashMap<String, usize>) -> String {
        counts
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
            .map(|(k, _)| k.clone())
            .unwrap_or_default()
    }
}

fn ascii_lower(name: &str) -> String {
    names::ascii_fold(name).to_ascii_lowercase()
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}

/// How a statement's parameters are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Params {
    /// `$1, $2, …` (PostgreSQL).
    Numbered,
    /// `?` (SQLite): sqlx looks up each numbered parameter's name with SQLite's linear
    /// `sqlite3_bind_parameter_name`, which makes binding a statement of thousands of `$N`
    /// quadratic; anonymous parameters are bound in order.
    Anonymous,
}

/// `(…), (…)` with `rows` groups of `columns` parameters.
fn placeholders(rows: usize, columns: usize, params: Params) -> String {
    let mut sql = String::with_capacity(rows * columns * 5);
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..columns {
            if c > 0 {
                sql.push_str(", ");
            }
            match params {
                Params::Numbered => sql.push_str(&format!("${}", r * columns + c + 1)),
                Params::Anonymous => sql.push('?'),
            }
        }
        sql.push(')');
    }
    sql
}

/// A search term waiting to be written.
struct Term {
    term: String,
    account_id: i64,
    tenant_id: Option<i64>,
    /// The account's lower-cased username (ASCII, so Rust's and SQL's lower() agree).
    username_key: String,
}

async fn insert_terms(conn: &mut AnyConnection, params: Params, terms: &[Term]) -> Result<()> {
    for chunk in terms.chunks(TERMS_PER_INSERT) {
        let sql = format!(
            "insert into account_search_terms (term, account_id, tenant_id, username_key) \
             values {}",
            placeholders(chunk.len(), 4, params)
        );
        let mut q = sqlx::query(&sql);
        for t in chunk {
            q = q
                .bind(t.term.as_str())
                .bind(t.account_id)
                .bind(t.tenant_id)
                .bind(t.username_key.as_str());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Inserts a batch of accounts and returns their ids, matched by lower-cased username.
async fn insert_accounts(
    conn: &mut AnyConnection,
    params: Params,
    batch: &[NewAccount],
    tenant_ids: &[i64],
    password_hash: &str,
) -> Result<HashMap<String, i64>> {
    let sql = format!(
        "insert into accounts (tenant_id, tier, username, email, full_name, job_title, \
         country_code, phone, ref_id_1, ref_id_2, external_id, status, status_before_disable, \
         password_hash, jwt_version, expires_at, created_at, updated_at, email_key) values {} \
         returning account_id, username",
        placeholders(batch.len(), 19, params)
    );
    let mut q = sqlx::query(&sql);
    for a in batch {
        q = q
            .bind(a.tenant.map(|t| tenant_ids[t]))
            .bind(a.tier.as_str())
            .bind(a.username.as_str())
            .bind(a.email.as_str())
            .bind(a.full_name.as_str())
            .bind(a.job_title.as_deref())
            .bind(a.country_code.as_deref())
            .bind(a.phone.as_deref())
            .bind(a.ref_id_1.as_deref())
            .bind(a.ref_id_2.as_deref())
            .bind(a.external_id.as_deref())
            .bind(a.status.as_str())
            .bind((a.status == AccountStatus::Disabled).then_some("active"))
            .bind(a.has_password.then_some(password_hash))
            .bind(a.jwt_version.as_str())
            .bind(a.expires_at)
            .bind(a.created_at)
            .bind(a.created_at)
            .bind(app::domain::email_key(&a.email));
    }
    let rows = q.fetch_all(&mut *conn).await?;
    let mut ids = HashMap::with_capacity(rows.len());
    for row in rows {
        let id: i64 = row.try_get("account_id")?;
        let username: String = row.try_get("username")?;
        ids.insert(username.to_ascii_lowercase(), id);
    }
    Ok(ids)
}

async fn count(conn: &mut AnyConnection, sql: &str) -> Result<i64> {
    Ok(sqlx::query_scalar::<_, i64>(sql).fetch_one(conn).await?)
}

/// Seeds `spec` into the (migrated, empty) database at `url`, then brings it to how a live
/// database stands: ANALYZE on SQLite; on PostgreSQL `VACUUM (ANALYZE)`, which autovacuum
/// does to a live database after a bulk load (it sets the visibility map, without which
/// every index-only scan also reads the table).
pub async fn seed_database(
    url: &str,
    spec: SeedSpec,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<Seeded> {
    sqlx::any::install_default_drivers();
    let started = Instant::now();
    let now = app::backend::clock::now();
    let mut conn = AnyConnection::connect(url).await?;
    let params = if url.starts_with("sqlite:") {
        Params::Anonymous
    } else {
        Params::Numbered
    };
    if params == Params::Anonymous {
        // Seeding only (this connection): a large page cache keeps the indexes in memory
        // while rows arrive in random key order. The server's own connections keep their
        // settings.
        conn.execute("pragma cache_size = -4000000; pragma synchronous = normal")
            .await?;
    } else {
        conn.execute("set synchronous_commit = off").await?;
    }
    // One real Argon2 hash for every person: signing in works, and hashing stays out of
    // the seeding time.
    let password_hash = app::backend::security::crypto::PasswordHasher::default()
        .hash(PASSWORD.to_owned())
        .await?;

    let mut generator = Generator::new(spec, now)?;
    let mut tenant_ids = Vec::with_capacity(spec.tenants);
    let mut tx = conn.begin().await?;
    for k in 0..spec.tenants {
        let status = if k > 0 && k % 50 == 0 {
            "disabled"
        } else {
            "active"
        };
        let policy = ["off", "optional", "required"][k % 3];
        let id: i64 = sqlx::query_scalar(
            "insert into tenants (name, status, mfa_policy, created_at, updated_at) \
             values ($1, $2, $3, $4, $4) returning tenant_id",
        )
        .bind(tenant_name(k))
        .bind(status)
        .bind(policy)
        .bind(now - 6 * 365 * 86_400)
        .fetch_one(&mut *tx)
        .await?;
        tenant_ids.push(id);
    }
    tx.commit().await?;

    let mut tenant_admin_username = String::new();
    let mut next_report = 100_000.min(spec.accounts);
    let mut i = 0;
    while i < spec.accounts {
        let end = (i + ACCOUNTS_PER_TRANSACTION).min(spec.accounts);
        let mut tx = conn.begin().await?;
        while i < end {
            let batch_end = (i + ACCOUNTS_PER_INSERT).min(end);
            let batch: Vec<NewAccount> = (i..batch_end).map(|k| generator.account(k)).collect();
            if tenant_admin_username.is_empty() {
                if let Some(a) = batch
                    .iter()
                    .find(|a| a.tenant == Some(0) && a.tier == Tier::TenantAdmin)
                {
                    tenant_admin_username = a.username.clone();
                }
            }
            let ids = insert_accounts(&mut tx, params, &batch, &tenant_ids, &password_hash).await?;
            let mut terms = Vec::with_capacity(batch.len() * 8);
            for a in &batch {
                let account_id = *ids
                    .get(&a.username.to_ascii_lowercase())
                    .ok_or("an inserted account was not returned")?;
                let tenant_id = a.tenant.map(|t| tenant_ids[t]);
                // The server's own function: search finds what it finds in production.
                for term in search_terms(
                    &a.username,
                    &a.email,
                    &a.full_name,
                    a.external_id.as_deref(),
                ) {
                    terms.push(Term {
                        term,
                        account_id,
                        tenant_id,
                        username_key: a.username.to_ascii_lowercase(),
                    });
                }
            }
            insert_terms(&mut tx, params, &terms).await?;
            i = batch_end;
        }
        tx.commit().await?;
        if i >= next_report {
            let secs = started.elapsed().as_secs_f64();
            progress(&format!(
                "  seeded {i:>9} accounts in {secs:6.1} s ({:.0} accounts/s)",
                i as f64 / secs
            ));
            next_report += 100_000;
        }
    }
    let elapsed = started.elapsed();
    let postgres = !url.starts_with("sqlite:");
    let maintenance = if postgres {
        "vacuum (analyze)"
    } else {
        "analyze"
    };
    progress(&format!(
        "  seeding took {:.1} s; running {}",
        elapsed.as_secs_f64(),
        maintenance.to_uppercase()
    ));
    let analyze_started = Instant::now();
    conn.execute(maintenance).await?;
    if postgres {
        // VACUUM marks a page all-visible only when no snapshot older than its rows is open;
        // right after a bulk load autovacuum's own ANALYZE often holds one, and the first
        // VACUUM leaves most pages unmarked (so index-only scans still read the table). A
        // live database gets there as autovacuum runs again: repeat until it has.
        for _ in 0..10 {
            let (visible, pages): (i64, i64) = sqlx::query_as(
                "select coalesce(sum(relallvisible), 0)::bigint, coalesce(sum(relpages), 0)::bigint \
                 from pg_class where relname in ('accounts', 'account_search_terms')",
            )
            .fetch_one(&mut conn)
            .await?;
            progress(&format!("  all-visible pages: {visible} of {pages}"));
            if visible * 100 >= pages * 99 {
                break;
            }
            tokio::time::sleep(Duration::from_secs(3)).await;
            conn.execute(maintenance).await?;
        }
    }
    let analyze = analyze_started.elapsed();

    let tenant = TenantId(tenant_ids[0]);
    let tenant_accounts: i64 =
        sqlx::query_scalar("select count(*) from accounts where tenant_id = $1")
            .bind(tenant.0)
            .fetch_one(&mut conn)
            .await?;
    let seeded = Seeded {
        accounts: count(&mut conn, "select count(*) from accounts").await?,
        tenants: count(&mut conn, "select count(*) from tenants").await?,
        search_terms: count(&mut conn, "select count(*) from account_search_terms").await?,
        elapsed,
        analyze,
        tenant,
        tenant_accounts,
        tenant_admin_username,
        common_surname: Generator::most_common(&generator.surname_counts),
        common_first_name: Generator::most_common(&generator.first_name_counts),
        rare_prefix: generator
            .rare_prefix
            .clone()
            .or(generator.rare_fallback.clone())
            .ok_or("no username long enough for the rare-prefix search")?,
    };
    conn.close().await?;
    Ok(seeded)
}

// ---------------------------------------------------------------------------------------
// Measuring
// ---------------------------------------------------------------------------------------

/// The sort key and id of the row `fraction` of the way through the username order (in
/// `tenant`, or everywhere), found once with plain SQL.
async fn cursor_at(db: &Db, tenant: Option<TenantId>, fraction: f64) -> Result<Cursor> {
    let (total, row) = match tenant {
        Some(t) => {
            let total: i64 =
                sqlx::query_scalar("select count(*) from accounts where tenant_id = $1")
                    .bind(t.0)
                    .fetch_one(db.pool())
                    .await?;
            let row = sqlx::query(
                "select lower(username) as k, account_id from accounts where tenant_id = $1 \
                 order by lower(username), account_id limit 1 offset $2",
            )
            .bind(t.0)
            .bind(offset(total, fraction))
            .fetch_one(db.pool())
            .await?;
            (total, row)
        }
        None => {
            let total: i64 = sqlx::query_scalar("select count(*) from accounts")
                .fetch_one(db.pool())
                .await?;
            let row = sqlx::query(
                "select lower(username) as k, account_id from accounts \
                 order by lower(username), account_id limit 1 offset $1",
            )
            .bind(offset(total, fraction))
            .fetch_one(db.pool())
            .await?;
            (total, row)
        }
    };
    if total == 0 {
        return Err("no accounts to page through".into());
    }
    Ok(Cursor::After(
        row.try_get("k")?,
        AccountId(row.try_get("account_id")?),
    ))
}

fn offset(total: i64, fraction: f64) -> i64 {
    ((total as f64 * fraction) as i64).clamp(0, (total - 1).max(0))
}

/// The cases measured for each administrator.
pub async fn cases(db: &Db, seeded: &Seeded) -> Result<Vec<Case>> {
    let mut cases = Vec::new();
    for who in [Who::Platform, Who::Tenant] {
        let tenant = (who == Who::Tenant).then_some(seeded.tenant);
        let deep = cursor_at(db, tenant, 0.9).await?;
        let deep_back = match &deep {
            Cursor::After(k, id) | Cursor::Before(k, id) => Cursor::Before(k.clone(), *id),
        };
        let base = AccountQuery::default();
        let mut add = |name: String, query: AccountQuery, expect_rows: bool| {
            cases.push(Case {
                name,
                who,
                query,
                expect_rows,
            });
        };
        add("first page (username)".into(), base.clone(), true);
        add(
            "deep page, 90 % (username)".into(),
            base.at(Some(deep)),
            true,
        );
        add(
            "deep page, 90 %, previous".into(),
            base.at(Some(deep_back)),
            true,
        );
        add(
            "first page (full name, desc)".into(),
            AccountQuery {
                sort: AccountSort::FullName,
                descending: true,
                ..base.clone()
            },
            true,
        );
        add(
            "first page (created, desc)".into(),
            AccountQuery {
                sort: AccountSort::Created,
                descending: true,
                ..base.clone()
            },
            true,
        );
        add(
            format!("search common surname {:?}", seeded.common_surname),
            AccountQuery {
                search: seeded.common_surname.clone(),
                ..base.clone()
            },
            true,
        );
        add(
            format!("search rare prefix {:?}", seeded.rare_prefix),
            AccountQuery {
                search: seeded.rare_prefix.clone(),
                ..base.clone()
            },
            who == Who::Platform,
        );
        add(
            format!(
                "search two words {:?}",
                format!("{} {}", seeded.common_first_name, seeded.common_surname)
            ),
            AccountQuery {
                search: format!("{} {}", seeded.common_first_name, seeded.common_surname),
                ..base.clone()
            },
            false,
        );
        add(
            "search one letter \"m\"".into(),
            AccountQuery {
                search: "m".into(),
                ..base.clone()
            },
            true,
        );
        add(
            "status: disabled".into(),
            AccountQuery {
                status: Some(AccountStatus::Disabled),
                ..base.clone()
            },
            true,
        );
        add(
            "status: expired".into(),
            AccountQuery {
                status: Some(AccountStatus::Expired),
                ..base.clone()
            },
            false,
        );
        add(
            "tier: service accounts".into(),
            AccountQuery {
                tier: Some(Tier::ServiceAccount),
                ..base.clone()
            },
            true,
        );
    }
    Ok(cases)
}

async fn signed_in(db: &Db, username: &str) -> Result<SignedIn> {
    let id: i64 = sqlx::query_scalar("select account_id from accounts where lower(username) = $1")
        .bind(username.to_ascii_lowercase())
        .fetch_one(db.pool())
        .await?;
    let account = find_for_session(db, AccountId(id))
        .await?
        .ok_or("the seeded administrator is missing")?;
    Ok(SignedIn {
        via: app::backend::security::sessions::Credential::Session(String::new()),
        actor: Actor {
            account_id: account.account_id,
            tier: account.tier,
            tenant_id: account.tenant_id,
            holdings: Default::default(),
            mfa: false,
        },
        account,
        mfa: false,
        mfa_required: false,
        must_enrol_mfa: false,
    })
}

/// Times `call` `spec.iterations` times after `spec.warmup` untimed calls, stopping early
/// once `spec.max_case_time` has passed.
async fn time<F, Fut>(spec: MeasureSpec, mut call: F) -> Result<(Stats, usize)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<usize>>,
{
    let started = Instant::now();
    let mut rows = call().await?;
    for _ in 1..spec.warmup {
        call().await?;
        if started.elapsed() > spec.max_case_time / 4 {
            break;
        }
    }
    let started = Instant::now();
    let mut samples = Vec::with_capacity(spec.iterations);
    for _ in 0..spec.iterations.max(1) {
        let t = Instant::now();
        rows = call().await?;
        samples.push(t.elapsed());
        if started.elapsed() > spec.max_case_time {
            break;
        }
    }
    Ok((Stats::of(samples), rows))
}

/// An HTTP session on the running server.
struct HttpSession {
    client: reqwest::Client,
    base: String,
    cookie: String,
}

impl HttpSession {
    async fn sign_in(base: &str, username: &str) -> Result<HttpSession> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(120))
            .build()?;
        let res = client
            .post(format!("{base}/api/sign_in"))
            .header(reqwest::header::ORIGIN, base)
            .form(&[("username", username), ("password", PASSWORD)])
            .send()
            .await?;
        if !res.status().is_success() {
            return Err(format!("sign-in as {username} failed: {}", res.status()).into());
        }
        let cookie = res
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("warden_session=") && !v.contains("Max-Age=0"))
            .and_then(|v| v.split(';').next())
            .ok_or("sign-in set no session cookie")?
            .to_owned();
        Ok(HttpSession {
            client,
            base: base.to_owned(),
            cookie,
        })
    }

    /// POST /api/list_accounts as the console does; the page's row count.
    async fn list(&self, query: &AccountQuery) -> Result<usize> {
        let res = self
            .client
            .post(format!("{}/api/list_accounts", self.base))
            .header(reqwest::header::ORIGIN, &self.base)
            .header(reqwest::header::COOKIE, &self.cookie)
            .json(&serde_json::json!({ "query": query }))
            .send()
            .await?;
        let status = res.status();
        let body = res.bytes().await?;
        if !status.is_success() {
            return Err(format!(
                "list_accounts answered {status}: {}",
                String::from_utf8_lossy(&body)
            )
            .into());
        }
        let page: AccountPage = serde_json::from_slice(&body)?;
        Ok(page.rows.len())
    }
}

async fn measure_all(
    running: &server::Running,
    seeded: &Seeded,
    spec: MeasureSpec,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<Vec<CaseResult>> {
    let db = &running.state.db;
    let as_request = |me: SignedIn| app::backend::request::Request {
        state: running.state.clone(),
        me: std::sync::Arc::new(me),
        client: std::net::IpAddr::from([127, 0, 0, 1]),
        now: app::backend::clock::now(),
    };
    let platform = as_request(signed_in(db, PLATFORM_ADMIN).await?);
    let tenant_admin = as_request(signed_in(db, &seeded.tenant_admin_username).await?);
    let cases = cases(db, seeded).await?;
    let base = format!("http://{}", running.addr);
    let http = if spec.http {
        Some((
            HttpSession::sign_in(&base, PLATFORM_ADMIN).await?,
            HttpSession::sign_in(&base, &seeded.tenant_admin_username).await?,
        ))
    } else {
        None
    };
    let mut results = Vec::with_capacity(cases.len());
    for case in cases {
        let me = match case.who {
            Who::Platform => &platform,
            Who::Tenant => &tenant_admin,
        };
        let query = &case.query;
        let (direct, rows) = time(spec, move || async move {
            let page = app::backend::services::directory::list(me, query).await?;
            Ok(page.rows.len())
        })
        .await?;
        let http_stats = match &http {
            Some((p, t)) => {
                let session = match case.who {
                    Who::Platform => p,
                    Who::Tenant => t,
                };
                let (stats, http_rows) = time(spec, move || session.list(query)).await?;
                if http_rows != rows {
                    return Err(format!(
                        "{} ({}): {rows} rows directly but {http_rows} over HTTP",
                        case.name,
                        case.who.label()
                    )
                    .into());
                }
                Some(stats)
            }
            None => None,
        };
        progress(&format!(
            "  {:<15} {:<42} {:>3} rows  direct p95 {:>9} max {:>9}{}",
            case.who.label(),
            case.name,
            rows,
            ms(direct.p95),
            ms(direct.max),
            http_stats
                .map(|h| format!("  http p95 {:>9} max {:>9}", ms(h.p95), ms(h.max)))
                .unwrap_or_default()
        ));
        results.push(CaseResult {
            case,
            rows,
            direct,
            http: http_stats,
        });
    }
    Ok(results)
}

/// Milliseconds with two decimals.
pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// The report as a Markdown table.
pub fn table(report: &Report) -> String {
    let flag = |s: &Stats| if s.meets_target() { "" } else { " ✗" };
    let mut out = String::new();
    out.push_str(
        "| who | case | rows | direct p50 | direct p95 | direct p99 | HTTP p50 | HTTP p95 | HTTP p99 | samples (direct/HTTP) |\n",
    );
    out.push_str("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for r in &report.results {
        let (h50, h95, h99, hn) = match &r.http {
            Some(h) => (
                ms(h.p50),
                format!("{}{}", ms(h.p95), flag(h)),
                ms(h.p99),
                format!("/{}", h.n),
            ),
            None => ("–".into(), "–".into(), "–".into(), String::new()),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {}{} | {} | {} | {} | {} | {}{} |\n",
            r.case.who.label(),
            r.case.name.replace('|', "\\|"),
            r.rows,
            ms(r.direct.p50),
            ms(r.direct.p95),
            flag(&r.direct),
            ms(r.direct.p99),
            h50,
            h95,
            h99,
            r.direct.n,
            hn,
        ));
    }
    out
}
