//! Warden's server: start-up, the axum router and the command line's services.

pub mod assets;
pub mod audit_export;
pub mod compress;
pub mod config;
pub mod export;
pub mod middleware;
pub mod rest;

use app::backend::clock::now;
use app::backend::security::crypto;
use app::backend::security::sessions::SessionKeys;
use app::backend::security::throttle::ThrottlePolicy;
use app::backend::state::AppState;
use app::backend::store::db::{Db, DbError};
use app::{shell, App};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use config::{CommonConfig, ServeConfig};
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::net::SocketAddr;
use tower_http::limit::RequestBodyLimitLayer;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Database(#[from] DbError),
    #[error("could not create the data folder {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("the session key must be at least 32 characters long")]
    WeakSessionKey,
    #[error("could not read or create the session key in the database")]
    SessionKey,
    #[error("the encryption key {0}")]
    EncryptionKey(String),
    #[error(
        "this database's secrets were sealed with another encryption key than {0}. Start \
         Warden with the key it was first started with (every instance of a deployment needs \
         the same key: WARDEN_ENCRYPTION_KEY). Without it, TOTP keys cannot be read, and every \
         account's MFA would have to be turned off and set up again."
    )]
    WrongEncryptionKey(String),
    #[error("could not write the accounts' search terms (see the error above)")]
    SearchTerms,
    #[error("could not write the accounts' email keys (see the error above)")]
    EmailKeys,
    #[error("{0}")]
    Catalog(String),
    #[error("could not give every tenant its starter roles (see the error above)")]
    StarterRoles,
    #[error("could not create the first-run setup link")]
    SetupLink,
    #[error("email settings: {0}")]
    Mail(String),
    #[error("could not listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// Opens the database (creating the data folder for SQLite), applies migrations and brings
/// derived data (search terms, every tenant's starter roles) up to date.
pub async fn open_database(common: &CommonConfig) -> Result<Db, StartError> {
    let catalog = common.catalog().map_err(StartError::Catalog)?;
    let url = common.database_url();
    if url.starts_with("sqlite:") && common.database_url.is_none() {
        std::fs::create_dir_all(&common.data_dir).map_err(|source| StartError::DataDir {
            path: common.data_dir.display().to_string(),
            source,
        })?;
    }
    let db = Db::connect(&url).await?;
    app::backend::store::accounts::backfill_email_keys(&db)
        .await
        .map_err(|_| StartError::EmailKeys)?;
    app::backend::services::directory::backfill_search_terms(&db, now())
        .await
        .map_err(|_| StartError::SearchTerms)?;
    app::backend::services::roles::ensure_starter_roles(&db, &catalog, now())
        .await
        .map_err(|_| StartError::StarterRoles)?;
    Ok(db)
}

/// The session key: configured, or generated once and kept in the database so that every
/// instance of a deployment signs and accepts the same sessions.
async fn session_secret(db: &Db, serve: &ServeConfig) -> Result<Vec<u8>, StartError> {
    if let Some(key) = &serve.session_key {
        if key.expose().len() < 32 {
            return Err(StartError::WeakSessionKey);
        }
        return Ok(key.expose().as_bytes().to_vec());
    }
    sqlx::query(
        "insert into server_secrets (name, value, created_at) values ('session_key', $1, $2) \
         on conflict (name) do nothing",
    )
    .bind(crypto::random_token(48))
    .bind(now())
    .execute(db.pool())
    .await
    .map_err(|_| StartError::SessionKey)?;
    let value: String =
        sqlx::query_scalar("select value from server_secrets where name = 'session_key'")
            .fetch_one(db.pool())
            .await
            .map_err(|_| StartError::SessionKey)?;
    Ok(value.into_bytes())
}

/// The file that keeps the encryption key when none is configured.
pub const ENCRYPTION_KEY_FILE: &str = "encryption.key";

/// The key that seals secrets at rest (TOTP keys): configured, or read from the data folder,
/// where it is created on first start (readable by its owner only). Never in the database:
/// a copy of the database alone opens no secret. Its fingerprint is kept in the database,
/// so an instance started with another key stops at once, saying so.
async fn encryption_key(
    db: &Db,
    common: &CommonConfig,
    serve: &ServeConfig,
) -> Result<app::backend::security::totp::SecretKey, StartError> {
    use app::backend::security::totp::SecretKey;
    let (key, source) = match &serve.encryption_key {
        Some(text) => (
            SecretKey::parse(text.expose()).map_err(|why| {
                StartError::EncryptionKey(format!("in WARDEN_ENCRYPTION_KEY is unusable: {why}"))
            })?,
            "WARDEN_ENCRYPTION_KEY".to_owned(),
        ),
        None => {
            let path = common.data_dir.join(ENCRYPTION_KEY_FILE);
            let shown = path.display().to_string();
            let key = match std::fs::read_to_string(&path) {
                Ok(text) => SecretKey::parse(&text).map_err(|why| {
                    StartError::EncryptionKey(format!("in {shown} is unusable: {why}"))
                })?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    let key = SecretKey::generate();
                    write_new_key_file(&path, &key).map_err(|e| {
                        StartError::EncryptionKey(format!("could not be written to {shown}: {e}"))
                    })?;
                    tracing::warn!(
                        path = %shown,
                        "created a new encryption key for the secrets Warden keeps (TOTP keys). \
                         Back it up with the database: without it, every account's MFA must be \
                         set up again"
                    );
                    key
                }
                Err(e) => {
                    return Err(StartError::EncryptionKey(format!(
                        "could not be read from {shown}: {e}"
                    )))
                }
            };
            (key, shown)
        }
    };
    let fingerprint = key.fingerprint();
    let failed = |_| StartError::EncryptionKey("fingerprint could not be stored".to_owned());
    sqlx::query(
        "insert into server_secrets (name, value, created_at) \
         values ('encryption_key_fingerprint', $1, $2) on conflict (name) do nothing",
    )
    .bind(&fingerprint)
    .bind(now())
    .execute(db.pool())
    .await
    .map_err(failed)?;
    let stored: String = sqlx::query_scalar(
        "select value from server_secrets where name = 'encryption_key_fingerprint'",
    )
    .fetch_one(db.pool())
    .await
    .map_err(failed)?;
    if stored != fingerprint {
        return Err(StartError::WrongEncryptionKey(source));
    }
    Ok(key)
}

fn write_new_key_file(
    path: &std::path::Path,
    key: &app::backend::security::totp::SecretKey,
) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    writeln!(file, "{}", key.to_base64())?;
    file.sync_all()
}

/// The app's routes, generated once per process. Generating them sets a process-global
/// Leptos flag that suppresses resource loading, and a resource first polled meanwhile never
/// completes (leptos-rs/leptos#4773): with several servers in one process (the integration
/// tests), one server's start-up could hang another's page render.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The paths of the console's pages, as the router serves them (for tests that check every
/// route).
pub fn page_routes() -> Vec<String> {
    route_list().iter().map(|r| r.path().to_owned()).collect()
}

/// The complete router: pages, server functions, assets, health check and guards.
pub fn router(
    state: AppState,
    options: LeptosOptions,
    public_origin: String,
    trusted_proxies: Vec<std::net::IpAddr>,
) -> Router {
    let trusted_proxies: std::sync::Arc<[std::net::IpAddr]> = trusted_proxies.into();
    let https = public_origin.starts_with("https://");
    let routes = route_list();
    let context = {
        let state = state.clone();
        move || provide_context(state.clone())
    };
    let console = Router::new()
        .route("/healthz", get(health).with_state(state.clone()))
        .route(
            "/users.csv",
            get(export::export_accounts).with_state(state.clone()),
        )
        .route(
            "/audit.csv",
            get(audit_export::export_csv).with_state(state.clone()),
        )
        .route(
            "/audit.jsonl",
            get(audit_export::export_jsonl).with_state(state.clone()),
        )
        // A missing asset is a quiet 404, not a page render and an error line per request.
        .nest_service("/pkg", assets::service(&options))
        .leptos_routes_with_context(&options, routes, context.clone(), {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context(
            context, shell,
        ))
        .with_state(options)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::authenticate_request,
        ))
        .layer(axum::middleware::from_fn(
            middleware::server_fn_error_status,
        ))
        .layer(axum::middleware::from_fn(middleware::mark_form_outcome))
        .layer(axum::middleware::from_fn_with_state(
            middleware::origin_of(&public_origin),
            middleware::refuse_cross_site,
        ));
    // The REST API sits beside the console, under none of its session or same-origin
    // guards: it authenticates each request by its own Bearer credential (a console cookie
    // proves nothing there), and its callers are other systems, not Warden's pages.
    Router::new()
        .merge(rest::routes().with_state(state.clone()))
        .merge(console)
        // One `layer` call for the three (outermost first): each call wraps every route in a
        // boxed service of its own, cloned and called on every request.
        .layer(
            tower::ServiceBuilder::new()
                .layer(compress::layer())
                .layer(middleware::FrameLayer {
                    trusted_proxies,
                    https,
                })
                // Forms and API bodies are small; nothing legitimate comes near this.
                .layer(RequestBodyLimitLayer::new(1024 * 1024)),
        )
}

async fn health(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match sqlx::query("select 1").execute(state.db.pool()).await {
        Ok(_) => (StatusCode::OK, "ok"),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable"),
    }
}

/// Browsers keep `Secure` cookies only over HTTPS or on this machine: say so at start
/// rather than let sign-in fail silently.
fn warn_if_cookies_cannot_work(public_url: &str) {
    let Some(rest) = public_url.strip_prefix("http://") else {
        return;
    };
    let host = rest.split('/').next().unwrap_or_default();
    let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
    if !matches!(host, "localhost" | "127.0.0.1" | "[::1]") {
        tracing::warn!(
            public_url,
            "browsers only keep Warden's secure session cookie over HTTPS: serve it behind TLS \
             and set --public-url to its https:// address, or sign-in will not stick"
        );
    }
}

/// Lets go of the password hasher's work areas once hashing has been idle for a while, so a
/// burst of sign-ins leaves no memory behind.
async fn release_idle_hashing_memory(hasher: crypto::PasswordHasher) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
    loop {
        tick.tick().await;
        let released = hasher.release_idle_memory(now());
        if released > 0 {
            tracing::debug!(released, "released idle password-hashing memory");
        }
    }
}

/// A running server.
pub struct Running {
    pub addr: SocketAddr,
    pub public_url: String,
    /// The first-run setup link's token, when no platform administrator exists yet.
    pub setup_token: Option<String>,
    pub state: AppState,
    shutdown: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// The one-time setup link, when there is one.
    pub fn setup_link(&self) -> Option<String> {
        self.setup_token
            .as_ref()
            .map(|t| format!("{}/setup?token={t}", self.public_url))
    }

    /// Serves until `stop` completes (then shuts down gracefully) or the server fails.
    pub async fn run_until(
        mut self,
        stop: impl std::future::Future<Output = ()>,
    ) -> std::io::Result<()> {
        tokio::select! {
            result = &mut self.task => {
                self.state.db.close().await;
                result.unwrap_or(Ok(()))
            }
            () = stop => {
                tracing::info!("shutting down");
                self.stop().await;
                Ok(())
            }
        }
    }

    /// Stops accepting connections, finishes the ones in flight (within
    /// [`Running::SHUTDOWN_GRACE`]), and closes the database.
    /// In-flight requests get this long to finish; connections still open after it (a client
    /// that stopped reading, say) are dropped so that shutting down always ends.
    pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

    pub async fn stop(mut self) {
        let _ = self.shutdown.send(());
        if tokio::time::timeout(Self::SHUTDOWN_GRACE, &mut self.task)
            .await
            .is_err()
        {
            tracing::warn!("connections still open after the grace period; closing them");
            self.task.abort();
        }
        self.state.db.close().await;
    }
}

/// Opens the database, prepares the session key and the setup link, binds and serves.
pub async fn start(common: &CommonConfig, serve: &ServeConfig) -> Result<Running, StartError> {
    let db = open_database(common).await?;
    let secret = session_secret(&db, serve).await?;
    let catalog = common.catalog().map_err(StartError::Catalog)?;
    let secret_key = encryption_key(&db, common, serve).await?;
    let listener = tokio::net::TcpListener::bind(serve.listen)
        .await
        .map_err(|source| StartError::Bind {
            addr: serve.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind {
        addr: serve.listen,
        source,
    })?;
    let public_url = serve.public_url(addr);
    let https = public_url.starts_with("https://");
    let sessions = SessionKeys::new(
        &secret,
        i64::from(serve.session_hours) * 3600,
        i64::from(serve.idle_minutes) * 60,
        https,
    );
    let hasher = crypto::PasswordHasher::new(serve.hash_limits());
    let api = app::backend::security::api_auth::ApiAuth::new(&secret_key, serve.api_settings());
    let mailer = serve.mailer().map_err(StartError::Mail)?;
    match (&mailer, &serve.smtp_url) {
        (Some(mailer), Some(url)) => {
            if app::backend::services::outbox::SmtpMailer::sends_password_in_clear(url.expose()) {
                tracing::warn!(
                    server = %mailer.description,
                    "the SMTP password would cross the network unencrypted: add ?tls=required \
                     to the SMTP URL, or use smtps://"
                );
            }
            tracing::info!(server = %mailer.description, "email is sent through {}", mailer.description);
        }
        _ => tracing::info!(
            "email is not configured (WARDEN_SMTP_URL): the console shows invitation and \
             password-reset links for administrators to pass on"
        ),
    }
    let outbox = app::backend::services::outbox::Outbox::new(mailer, serve.retry_policy());
    let state = AppState::new(
        db,
        sessions,
        ThrottlePolicy::default(),
        catalog.into(),
        secret_key,
        hasher,
        api,
        outbox,
    );
    let setup_token = app::backend::services::setup::issue_setup_token(&state.db, now())
        .await
        .map_err(|_| StartError::SetupLink)?;
    let options = assets::options(&serve.site_root, addr);
    let app = router(
        state.clone(),
        options,
        public_url.clone(),
        serve.trusted_proxies.clone(),
    );
    warn_if_cookies_cannot_work(&public_url);
    let hasher = state.hasher.clone();
    let watched = state.db.clone();
    let delivering = (
        state.db.clone(),
        state.secret_key.clone(),
        state.outbox.clone(),
    );
    let (shutdown, on_shutdown) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let serving = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = on_shutdown.await;
        });
        // The memory reaper, the watcher of other instances' changes (which keeps the API's
        // credential cache honest) and the outbox's worker run for as long as the server does.
        tokio::select! {
            result = std::future::IntoFuture::into_future(serving) => result,
            () = release_idle_hashing_memory(hasher) => Ok(()),
            () = app::backend::store::epoch_cache::watch_changes(watched) => Ok(()),
            () = app::backend::services::outbox::run(delivering.0, delivering.1, delivering.2) => Ok(()),
        }
    });
    Ok(Running {
        addr,
        public_url,
        setup_token,
        state,
        shutdown,
        task,
    })
}
