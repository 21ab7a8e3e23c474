//! Smoke test of the users-list benchmark (`examples/bench_users`, `scripts/bench-users`):
//! the same seeding and measuring code on a tiny directory, so the benchmark cannot rot.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test crate

#[path = "../examples/bench_users/harness/mod.rs"]
#[allow(dead_code)]
mod harness;

use harness::{MeasureSpec, Report, SeedSpec, Target};
use std::time::Duration;

const SEED: SeedSpec = SeedSpec {
    accounts: 2_000,
    tenants: 10,
    seed: 7,
};

const MEASURE: MeasureSpec = MeasureSpec {
    warmup: 1,
    iterations: 3,
    max_case_time: Duration::from_secs(5),
    http: true,
};

fn check(report: &Report) {
    let s = &report.seeded;
    assert_eq!(s.accounts, SEED.accounts as i64);
    assert_eq!(s.tenants, SEED.tenants as i64);
    // Usernames, emails, name words: several terms per account.
    assert!(
        s.search_terms > 4 * s.accounts,
        "{} search terms",
        s.search_terms
    );
    assert!(s.tenant_accounts > 0 && s.tenant_accounts < s.accounts);
    assert!(!s.common_surname.is_empty() && !s.rare_prefix.is_empty());
    // Two administrators, each with the full list of cases.
    assert!(
        report.results.len() >= 2 * 10,
        "{} cases",
        report.results.len()
    );
    for r in &report.results {
        let what = format!("{} / {}", r.case.who.label(), r.case.name);
        if r.case.expect_rows {
            assert!(r.rows > 0, "{what}: no rows");
        }
        assert!(
            r.rows <= app::directory::PAGE_SIZE,
            "{what}: {} rows",
            r.rows
        );
        assert_eq!(r.direct.n, MEASURE.iterations, "{what}: direct samples");
        let http = r.http.expect("measured over HTTP too");
        assert_eq!(http.n, MEASURE.iterations, "{what}: HTTP samples");
        assert!(r.direct.p50 <= r.direct.p95 && r.direct.p95 <= r.direct.p99);
    }
    // The first page is full (2,000 accounts); the searches find the seeded surname.
    let first = &report.results[0];
    assert_eq!(first.rows, app::directory::PAGE_SIZE);
    assert!(report
        .results
        .iter()
        .any(|r| r.case.name.contains("common surname") && r.rows > 0));
    let table = harness::table(report);
    assert!(table.contains("| platform admin | first page (username) | 50 |"));
}

fn progress(line: &str) {
    eprintln!("{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_benchmark_seeds_and_measures_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let target = Target::Sqlite {
        dir: dir.path().join("bench"),
    };
    let report = harness::run(&target, SEED, MEASURE, false, &progress)
        .await
        .unwrap();
    check(&report);
    assert!(
        !dir.path().join("bench").exists(),
        "the database is removed afterwards"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_benchmark_seeds_and_measures_on_postgres() {
    let server_url = std::env::var("WARDEN_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    if let Err(e) = <sqlx::PgConnection as sqlx::Connection>::connect(&server_url).await {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("PostgreSQL is required in CI but unreachable at {server_url}: {e}");
        }
        eprintln!("skipping: PostgreSQL unreachable at {server_url}: {e}");
        return;
    }
    let database = format!("warden_bench_test_{}", rand::random::<u32>());
    let target = Target::Postgres {
        server_url: server_url.clone(),
        database: database.clone(),
    };
    let report = harness::run(&target, SEED, MEASURE, false, &progress)
        .await
        .unwrap();
    check(&report);
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&server_url)
        .await
        .unwrap();
    let left: i64 = sqlx::query_scalar("select count(*) from pg_database where datname = $1")
        .bind(&database)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(left, 0, "the benchmark database is dropped afterwards");
}

#[test]
fn percentiles_are_nearest_rank() {
    let samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
    let stats = harness::Stats::of(samples);
    assert_eq!(stats.n, 100);
    assert_eq!(stats.p50, Duration::from_millis(50));
    assert_eq!(stats.p95, Duration::from_millis(95));
    assert_eq!(stats.p99, Duration::from_millis(99));
    assert_eq!(stats.max, Duration::from_millis(100));
    let one = harness::Stats::of(vec![Duration::from_millis(7)]);
    assert_eq!(
        (one.p50, one.p99),
        (Duration::from_millis(7), Duration::from_millis(7))
    );
}

#[test]
fn urls_name_the_benchmark_database_and_hide_passwords() {
    assert_eq!(
        harness::with_database("postgres://postgres@127.0.0.1:5432/", "warden_bench"),
        "postgres://postgres@127.0.0.1:5432/warden_bench"
    );
    assert_eq!(
        harness::with_database("postgres://u:p@db:5432/postgres?sslmode=disable", "b"),
        "postgres://u:p@db:5432/b?sslmode=disable"
    );
    assert_eq!(
        harness::with_database("postgres://db", "b"),
        "postgres://db/b"
    );
    assert_eq!(
        harness::redact("postgres://u:secret@db:5432/b"),
        "postgres://u:***@db:5432/b"
    );
    assert_eq!(harness::redact("postgres://u@db/b"), "postgres://u@db/b");
}
