//! Boots the real server on a random port with a fresh database, and speaks HTTP to it.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]

use reqwest::header::{HeaderMap, COOKIE, ORIGIN, SET_COOKIE};
use reqwest::{Client, Response, StatusCode};
use server::config::{CommonConfig, Secret, ServeConfig};
use server::Running;
use sqlx::{Connection, Executor, PgConnection};
use std::net::SocketAddr;

pub mod smtp;

pub const ADMIN_USERNAME: &str = "first_admin";
pub const ADMIN_PASSWORD: &str = "Sup3r-secret";

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

fn postgres_admin_url() -> String {
    std::env::var("WARDEN_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

pub struct TestServer {
    running: Option<Running>,
    pub base: String,
    /// The `Origin` Warden's own pages send: its public URL's.
    pub origin: String,
    pub client: Client,
    pub database_url: String,
    _dir: tempfile::TempDir,
    postgres_database: Option<String>,
}

impl TestServer {
    /// Starts a server on a fresh database. `None` when PostgreSQL is wanted but not
    /// reachable outside CI (in CI that is a failure, never a silent skip).
    pub async fn start(backend: Backend) -> Option<TestServer> {
        Self::start_with(backend, "").await
    }

    /// Like [`start`](Self::start); a PostgreSQL database is created with `create_options`
    /// appended to `create database <name>` (a locale, say).
    pub async fn start_with(backend: Backend, create_options: &str) -> Option<TestServer> {
        Self::start_configured(backend, create_options, |_| {}).await
    }

    /// Like [`start_with`](Self::start_with), with `configure` adjusting the serve settings
    /// (a public URL, hashing limits, …).
    pub async fn start_configured(
        backend: Backend,
        create_options: &str,
        configure: impl FnOnce(&mut ServeConfig),
    ) -> Option<TestServer> {
        let dir = tempfile::tempdir().expect("temporary folder");
        let (database_url, postgres_database) = match backend {
            Backend::Sqlite => (
                format!("sqlite://{}", dir.path().join("warden.db").display()),
                None,
            ),
            Backend::Postgres => {
                let admin_url = postgres_admin_url();
                let mut conn = match PgConnection::connect(&admin_url).await {
                    Ok(conn) => conn,
                    Err(e) if std::env::var("CI").as_deref() == Ok("true") => {
                        panic!("PostgreSQL is required in CI but unreachable at {admin_url}: {e}")
                    }
                    Err(e) => {
                        eprintln!("skipping: PostgreSQL unreachable at {admin_url}: {e}");
                        return None;
                    }
                };
                let name = format!("warden_test_{}", rand::random::<u64>());
                conn.execute(format!("create database {name} {create_options}").as_str())
                    .await
                    .expect("create test database");
                conn.close().await.ok();
                let base = admin_url
                    .rsplit_once('/')
                    .map(|(b, _)| b)
                    .unwrap_or(&admin_url);
                (format!("{base}/{name}"), Some(name))
            }
        };
        let common = CommonConfig {
            catalog: None,
            data_dir: dir.path().to_path_buf(),
            database_url: Some(Secret::new(database_url.clone())),
        };
        let mut serve = ServeConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            ..ServeConfig::default()
        };
        configure(&mut serve);
        let running = server::start(&common, &serve).await.expect("server starts");
        let base = format!("http://{}", running.addr);
        let origin = server::middleware::origin_of(&running.public_url);
        let client = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // A hung request fails its test instead of stalling the whole run.
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .expect("http client");
        Some(TestServer {
            running: Some(running),
            base,
            origin,
            client,
            database_url,
            _dir: dir,
            postgres_database,
        })
    }

    /// Another instance on the same database and data folder (so the same encryption key),
    /// as a deployment with several instances runs; the caller stops it.
    pub async fn start_another_instance(
        &self,
        configure: impl FnOnce(&mut ServeConfig),
    ) -> Running {
        let common = CommonConfig {
            catalog: None,
            data_dir: self._dir.path().to_path_buf(),
            database_url: Some(Secret::new(self.database_url.clone())),
        };
        let mut serve = ServeConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            ..ServeConfig::default()
        };
        configure(&mut serve);
        server::start(&common, &serve)
            .await
            .expect("another instance starts")
    }

    pub fn running(&self) -> &Running {
        self.running.as_ref().expect("server running")
    }

    /// The server's data folder (its encryption key lives there).
    pub fn data_dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    pub fn setup_token(&self) -> Option<String> {
        self.running().setup_token.clone()
    }

    /// Calls a server function the way Warden's own pages do (form-encoded, same origin).
    pub async fn call<F: serde::Serialize + ?Sized>(
        &self,
        name: &str,
        form: &F,
        cookie: Option<&str>,
    ) -> Response {
        let mut req = self
            .client
            .post(format!("{}/api/{name}", self.base))
            .header(ORIGIN, &self.origin)
            .form(form);
        if let Some(cookie) = cookie {
            req = req.header(COOKIE, cookie);
        }
        req.send().await.expect("request sent")
    }

    /// Calls a server function that takes JSON.
    pub async fn call_json(
        &self,
        name: &str,
        body: &serde_json::Value,
        cookie: Option<&str>,
    ) -> Response {
        let mut req = self
            .client
            .post(format!("{}/api/{name}", self.base))
            .header(ORIGIN, &self.origin)
            .json(body);
        if let Some(cookie) = cookie {
            req = req.header(COOKIE, cookie);
        }
        req.send().await.expect("request sent")
    }

    /// Loads a page the way a browser navigates to it.
    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Response {
        let mut req = self
            .client
            .get(format!("{}{path}", self.base))
            .header(reqwest::header::ACCEPT, "text/html,application/xhtml+xml");
        if let Some(cookie) = cookie {
            req = req.header(COOKIE, cookie);
        }
        req.send().await.expect("request sent")
    }

    /// Creates the first platform administrator through the setup link.
    pub async fn create_first_admin(&self) {
        let token = self
            .setup_token()
            .expect("a setup link on a fresh database");
        let res = self
            .call("create_first_admin", &admin_form(&token), None)
            .await;
        assert!(
            res.status().is_success(),
            "setup failed: {}",
            res.text().await.unwrap_or_default()
        );
    }

    /// Signs in and returns the `Cookie` header value for the new session.
    pub async fn sign_in(&self, username: &str, password: &str) -> Result<String, Response> {
        let res = self
            .call(
                "sign_in",
                &[("username", username), ("password", password)],
                None,
            )
            .await;
        if !res.status().is_success() {
            return Err(res);
        }
        Ok(session_cookie(res.headers()).expect("a session cookie"))
    }

    /// Creates the first platform administrator and returns its session.
    pub async fn platform_admin_session(&self) -> String {
        self.create_first_admin().await;
        self.sign_in(ADMIN_USERNAME, ADMIN_PASSWORD)
            .await
            .expect("the administrator signs in")
    }

    /// Creates a tenant as `cookie`'s account and returns its id, as submitted in forms.
    pub async fn create_tenant(&self, cookie: &str, name: &str) -> String {
        let res = self
            .call(
                "create_tenant",
                &[("name", name), ("mfa_policy", "optional")],
                Some(cookie),
            )
            .await;
        assert!(res.status().is_success(), "create tenant: {}", res.status());
        let tenant: serde_json::Value = res.json().await.expect("tenant JSON");
        tenant["tenant_id"].to_string()
    }

    /// Signs in with a temporary password, chooses `Own-pass1` and returns the renewed
    /// session: what a person does at first sign-in.
    pub async fn sign_in_and_choose_password(&self, username: &str, temporary: &str) -> String {
        let temp = self
            .sign_in(username, temporary)
            .await
            .expect("sign in with the temporary password");
        let res = self
            .call(
                "change_password",
                &[
                    ("current_password", temporary),
                    ("new_password", "Own-pass1"),
                    ("new_password_confirmation", "Own-pass1"),
                ],
                Some(&temp),
            )
            .await;
        assert!(
            res.status().is_success(),
            "password change: {}",
            res.status()
        );
        session_cookie(res.headers()).expect("renewed session")
    }

    /// The signed-in account's JSON, or `null`.
    pub async fn session(&self, cookie: &str) -> serde_json::Value {
        let res = self.call("session", &[("", ""); 0], Some(cookie)).await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.expect("session JSON")
    }

    /// Runs SQL against the server's database (for arranging states the UI cannot reach yet).
    pub async fn sql(&self, statement: &str) {
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&self.database_url)
            .await
            .expect("connect");
        conn.execute(statement).await.expect("statement runs");
        conn.close().await.ok();
    }

    /// Runs `statement` on the database, then tells this instance that something changed,
    /// as an audited change does: what it caches is read again on the next request. (Plain
    /// [`TestServer::sql`] is a change behind Warden's back, which no cache hears of.)
    pub async fn sql_seen(&self, statement: &str) {
        self.sql(statement).await;
        self.running().state.db.note_change();
    }

    /// Makes a change in the database with its audit record, as another instance of Warden
    /// would (this instance's change epoch does not move: only its watcher of the trail sees
    /// it, within about a second).
    pub async fn changed_elsewhere(&self, statement: &str) {
        self.sql(statement).await;
        self.sql(
            "insert into audit_events (occurred_at, action, outcome) \
             values (1, 'account.update', 'success')",
        )
        .await;
    }

    /// The first column of every row `query` returns, as text.
    pub async fn strings(&self, query: &str) -> Vec<String> {
        use sqlx::Row;
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&self.database_url)
            .await
            .expect("connect");
        let rows = sqlx::query(query)
            .fetch_all(&mut conn)
            .await
            .expect("query runs");
        conn.close().await.ok();
        rows.iter().map(|r| r.get::<String, _>(0)).collect()
    }

    /// Adds an active account of `tier` in tenant "Acme" (created when missing). Tenants and
    /// tenant accounts have no UI yet, so tests arrange them in the database.
    pub async fn create_tenant_account(&self, tier: &str, username: &str, password: &str) {
        let hash = app::backend::security::crypto::PasswordHasher::default()
            .hash(password.to_owned())
            .await
            .expect("hash");
        self.sql(
            "insert into tenants (name, created_at, updated_at) select 'Acme', 0, 0 \
             where not exists (select 1 from tenants where name = 'Acme')",
        )
        .await;
        self.sql(&format!(
            "insert into accounts (tenant_id, tier, username, email, email_key, full_name, status, \
             password_hash, jwt_version, created_at, updated_at) select tenant_id, '{tier}', \
             '{username}', '{username}@acme.example', lower('{username}@acme.example'), \
             'Acme Person', 'active', '{hash}', 'v1', 0, 0 from tenants where name = 'Acme'"
        ))
        .await;
    }

    /// An API token (named "test token", never expiring) for service account `username`,
    /// created through the console's server functions as the administrator signed in with
    /// `admin_cookie`; the account too when there is none of that name yet (in the
    /// administrator's tenant; a platform administrator creates it in tenant "Acme", made
    /// when missing). Returns the token's secret.
    pub async fn service_account_token(&self, admin_cookie: &str, username: &str) -> String {
        let existing = self
            .strings(&format!(
                "select cast(account_id as text) from accounts where username = '{username}'"
            ))
            .await;
        if let Some(account_id) = existing.first() {
            return self.token_for(admin_cookie, account_id).await;
        }
        let me = self.session(admin_cookie).await;
        let tenant = match &me["actor"]["tenant_id"] {
            serde_json::Value::Null => {
                let found = self
                    .strings("select cast(tenant_id as text) from tenants where name = 'Acme'")
                    .await;
                match found.first() {
                    Some(id) => id.clone(),
                    None => self.create_tenant(admin_cookie, "Acme").await,
                }
            }
            id => id.to_string(),
        };
        let email = format!("{username}@robots.example");
        let res = self
            .call(
                "create_account",
                &[
                    ("tier", "service_account"),
                    ("tenant_id", tenant.as_str()),
                    ("username", username),
                    ("email", email.as_str()),
                    ("full_name", "Test Robot"),
                ],
                Some(admin_cookie),
            )
            .await;
        let account_id = expect_ok(res).await;
        self.token_for(admin_cookie, &account_id).await
    }

    /// A new API token for account `account_id`, created as `admin_cookie`.
    async fn token_for(&self, admin_cookie: &str, account_id: &str) -> String {
        let res = self
            .call(
                "create_api_token",
                &[("account_id", account_id), ("name", "test token")],
                Some(admin_cookie),
            )
            .await;
        let created: serde_json::Value =
            serde_json::from_str(&expect_ok(res).await).expect("token JSON");
        created["secret"]
            .as_str()
            .expect("the new token's secret")
            .to_owned()
    }

    /// Calls the REST API: `GET path` with `Authorization: Bearer <bearer>` if given.
    pub async fn api_get(&self, path: &str, bearer: Option<&str>) -> Response {
        let mut req = self.client.get(format!("{}{path}", self.base));
        if let Some(bearer) = bearer {
            req = req.bearer_auth(bearer);
        }
        req.send().await.expect("request sent")
    }

    /// Every audit record, oldest first.
    pub async fn audit(&self) -> Vec<AuditRow> {
        use sqlx::Row;
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&self.database_url)
            .await
            .expect("connect");
        let rows = sqlx::query(
            "select action, outcome, reason, actor_username, target_id, target_label, tenant_id, \
             client_address, before_json, after_json from audit_events order by audit_event_id",
        )
        .fetch_all(&mut conn)
        .await
        .expect("audit rows");
        conn.close().await.ok();
        rows.iter()
            .map(|r| AuditRow {
                action: r.get("action"),
                outcome: r.get("outcome"),
                reason: r.get("reason"),
                actor: r.get("actor_username"),
                target_id: r.get("target_id"),
                target: r.get("target_label"),
                tenant_id: r.get("tenant_id"),
                client: r.get("client_address"),
                before: r.get("before_json"),
                after: r.get("after_json"),
            })
            .collect()
    }

    pub async fn stop(mut self) {
        // Close the client's pooled connections first, so the server has nothing to wait for.
        self.client = Client::new();
        if let Some(running) = self.running.take() {
            running.stop().await;
        }
        if let Some(name) = self.postgres_database.take() {
            if let Ok(mut conn) = PgConnection::connect(&postgres_admin_url()).await {
                let _ = conn
                    .execute(format!("drop database if exists {name} with (force)").as_str())
                    .await;
            }
        }
    }
}

/// One audit record as the tests read it.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRow {
    pub action: String,
    pub outcome: String,
    pub reason: Option<String>,
    pub actor: Option<String>,
    pub target_id: Option<i64>,
    pub target: Option<String>,
    pub tenant_id: Option<i64>,
    pub client: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
}

pub fn admin_form(token: &str) -> Vec<(&'static str, String)> {
    vec![
        ("token", token.to_owned()),
        ("username", ADMIN_USERNAME.to_owned()),
        ("email", "admin@example.com".to_owned()),
        ("full_name", "Ada Admin".to_owned()),
        ("password", ADMIN_PASSWORD.to_owned()),
        ("password_confirmation", ADMIN_PASSWORD.to_owned()),
    ]
}

/// The `name=value` of the session cookie set by a response (and not removed).
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    cookie_named(headers, "warden_session")
}

/// `name=value` of the cookie `name` a response sets (and does not remove).
pub fn cookie_named(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")) && !v.contains("Max-Age=0"))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

/// Asserts that a server function answered 200, showing its body otherwise; returns the
/// response's body.
pub async fn expect_ok(res: Response) -> String {
    let status = res.status();
    let body = res.text().await.expect("response body");
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// Defines each listed `async fn(TestServer)` as a test on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let server = $crate::common::TestServer::start($crate::common::Backend::Sqlite)
                        .await
                        .expect("SQLite always starts");
                    super::$name(&server).await;
                    server.stop().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(server) = $crate::common::TestServer::start($crate::common::Backend::Postgres).await else {
                        return;
                    };
                    super::$name(&server).await;
                    server.stop().await;
                }
            )*
        }
    };
}
