//! One data layer for SQLite (the embedded default) and PostgreSQL (several instances).
//!
//! Queries are plain runtime SQL with `$1`-style parameters, which both databases accept,
//! through sqlx's `Any` driver. Times are Unix seconds. Migrations are embedded per database
//! and applied at start.

use crate::error::AppError;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A pool on either database.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// The change epoch of this instance: see [`Db::change_epoch`].
    epoch: Arc<AtomicU64>,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("unsupported database URL (expected sqlite:… or postgres://…)")]
    UnsupportedUrl,
    #[error("could not connect to the database: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("could not apply migrations: {0}")]
    Migrate(#[source] sqlx::migrate::MigrateError),
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

impl Db {
    /// The change epoch: a counter that moves whenever something this instance caches
    /// (API credentials and what their accounts hold) may have changed. It is bumped by every
    /// audited change committed through this pool ([`Db::note_change`]) and, for changes made
    /// by other instances, by the watcher of the audit trail
    /// ([`crate::backend::store::epoch_cache::watch_changes`]). What was read under one epoch is valid only while
    /// the epoch is unchanged. Read it *before* reading what is to be cached.
    pub fn change_epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Says that something may have changed (an audited change was just committed, or another
    /// instance's was seen): everything cached under an earlier epoch is stale.
    pub fn note_change(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }

    /// Connects to `url` and applies pending migrations. SQLite files are created when
    /// missing, in WAL mode with foreign keys enforced.
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(DbError::UnsupportedUrl);
        };
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_owned(),
        };
        let options = AnyConnectOptions::from_str(&url).map_err(DbError::Connect)?;
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 8,
                Backend::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute("pragma foreign_keys = on; pragma busy_timeout = 5000; pragma synchronous = normal;")
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(DbError::Connect)?;
        if backend == Backend::Sqlite {
            // Persistent on the file: readers no longer block the writer.
            pool.execute("pragma journal_mode = wal")
                .await
                .map_err(DbError::Connect)?;
        }
        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&pool).await.map_err(DbError::Migrate)?;
        Ok(Db {
            pool,
            backend,
            epoch: Arc::new(AtomicU64::new(0)),
        })
    }

    /// Begins a transaction that will write. On SQLite it is `BEGIN IMMEDIATE`: it takes the
    /// write lock at once (waiting up to the busy timeout for another writer), so a
    /// transaction that reads before it writes cannot find, at its first write, that another
    /// connection committed since its read and fail with `SQLITE_BUSY` (a deferred `BEGIN`
    /// cannot upgrade its read snapshot in WAL mode; the busy timeout does not help there).
    /// On PostgreSQL it is a plain `BEGIN`; row locks and constraints order the writers.
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Whether a database error is a uniqueness violation on a constraint or index whose name
/// contains `name_part` (both databases report the index name or its columns).
pub fn is_unique_violation(err: &sqlx::Error, name_part: &str) -> bool {
    match err {
        sqlx::Error::Database(db) => {
            db.kind() == sqlx::error::ErrorKind::UniqueViolation
                && (db.constraint().is_some_and(|c| c.contains(name_part))
                    || db.message().contains(name_part))
        }
        _ => false,
    }
}

pub fn internal(context: &'static str) -> impl Fn(sqlx::Error) -> AppError {
    move |e| {
        tracing::error!(error = %e, context, "database error");
        AppError::Internal
    }
}
