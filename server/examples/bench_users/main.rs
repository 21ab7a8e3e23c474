//! The users-list benchmark: seeds N accounts in T tenants, then prints p50/p95/p99
//! latencies of the list query, called directly and through the HTTP server, on SQLite
//! and/or PostgreSQL. Run it with `scripts/bench-users` (see BENCHMARKS.md).
#![allow(clippy::print_stdout)] // a command whose output is its report

mod harness;

use clap::{Parser, ValueEnum};
use harness::{MeasureSpec, Report, SeedSpec, Target};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Databases {
    Sqlite,
    Postgres,
    Both,
}

/// Seeds a realistic directory and times the users list on it.
#[derive(Debug, Parser)]
#[command(name = "bench-users")]
struct Args {
    /// Accounts to seed (platform administrators included).
    #[arg(long, default_value_t = 1_000_000)]
    accounts: usize,
    /// Tenants to seed.
    #[arg(long, default_value_t = 1_000)]
    tenants: usize,
    /// Which databases to benchmark.
    #[arg(long, value_enum, default_value_t = Databases::Both)]
    db: Databases,
    /// Timed runs of each case (after the warm-up).
    #[arg(long, default_value_t = 200)]
    iterations: usize,
    /// Untimed runs of each case first.
    #[arg(long, default_value_t = 20)]
    warmup: usize,
    /// A case stops early, with fewer samples, after this many seconds.
    #[arg(long, default_value_t = 30)]
    max_case_seconds: u64,
    /// Time the query function only, not HTTP.
    #[arg(long)]
    no_http: bool,
    /// Keep the databases afterwards (to EXPLAIN queries by hand).
    #[arg(long)]
    keep: bool,
    /// Folder for the SQLite database (default: a new folder in the temporary folder).
    #[arg(long)]
    sqlite_dir: Option<PathBuf>,
    /// PostgreSQL server to create the benchmark database on.
    #[arg(
        long,
        env = "BENCH_DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/",
        hide_env_values = true
    )]
    postgres_url: String,
    /// The PostgreSQL database to create (dropped first if it exists).
    #[arg(long, default_value = "warden_bench")]
    postgres_database: String,
    /// Random seed of the generated directory.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("WARDEN_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,sqlx=error")),
        )
        .with_writer(std::io::stderr)
        .init();
    let seed = SeedSpec {
        accounts: args.accounts,
        tenants: args.tenants,
        seed: args.seed,
    };
    let measure = MeasureSpec {
        warmup: args.warmup,
        iterations: args.iterations,
        max_case_time: Duration::from_secs(args.max_case_seconds),
        http: !args.no_http,
    };
    let mut targets = Vec::new();
    if matches!(args.db, Databases::Sqlite | Databases::Both) {
        let dir = args.sqlite_dir.clone().unwrap_or_else(|| {
            std::env::temp_dir().join(format!("warden-bench-{}", std::process::id()))
        });
        targets.push(Target::Sqlite { dir });
    }
    if matches!(args.db, Databases::Postgres | Databases::Both) {
        targets.push(Target::Postgres {
            server_url: args.postgres_url.clone(),
            database: args.postgres_database.clone(),
        });
    }
    println!(
        "Users-list benchmark: {} accounts in {} tenants; {} timed runs per case after {} warm-up runs (at most {} s per case); target p95 < {} ms",
        args.accounts,
        args.tenants,
        args.iterations,
        args.warmup,
        args.max_case_seconds,
        harness::TARGET.as_millis()
    );
    let progress = |line: &str| println!("{line}");
    let mut reports = Vec::new();
    let mut failed = false;
    for target in &targets {
        let name = match target {
            Target::Sqlite { dir } => format!("SQLite ({})", dir.display()),
            Target::Postgres {
                server_url,
                database,
            } => format!(
                "PostgreSQL ({})",
                harness::redact(&harness::with_database(server_url, database))
            ),
        };
        println!("\n== {name}");
        match harness::run(target, seed, measure, args.keep, &progress).await {
            Ok(report) => {
                print_report(&report);
                reports.push(report);
            }
            Err(e) => {
                println!("benchmark on {name} failed: {e}");
                failed = true;
            }
        }
    }
    if reports.len() > 1 {
        println!("\n== Summary");
        for report in &reports {
            let slow: Vec<String> = report
                .results
                .iter()
                .filter(|r| !r.direct.meets_target() || r.http.is_some_and(|h| !h.meets_target()))
                .map(|r| format!("{} / {}", r.case.who.label(), r.case.name))
                .collect();
            if slow.is_empty() {
                println!("{}: every case under the target", report.database);
            } else {
                println!(
                    "{}: {} case(s) over the target: {}",
                    report.database,
                    slow.len(),
                    slow.join("; ")
                );
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn print_report(report: &Report) {
    let s = &report.seeded;
    println!(
        "\n{}: {} accounts, {} tenants, {} search terms; seeded in {:.1} s, {} {:.1} s{}",
        report.database,
        s.accounts,
        s.tenants,
        s.search_terms,
        s.elapsed.as_secs_f64(),
        if report.database == "PostgreSQL" {
            "VACUUM (ANALYZE)"
        } else {
            "ANALYZE"
        },
        s.analyze.as_secs_f64(),
        report
            .size_bytes
            .map(|b| format!("; {:.0} MB on disk", b as f64 / 1e6))
            .unwrap_or_default()
    );
    println!(
        "tenant admin: {} in tenant {} ({} accounts)\n",
        s.tenant_admin_username, s.tenant, s.tenant_accounts
    );
    print!("{}", harness::table(report));
    for r in &report.results {
        if r.case.expect_rows && r.rows == 0 {
            println!(
                "warning: {} / {} found no rows",
                r.case.who.label(),
                r.case.name
            );
        }
    }
}
