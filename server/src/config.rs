//! Configuration, typed and loaded once from flags or environment variables.

use clap::{Args, Parser, Subcommand};
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

/// What `warden --help` says first: the product, not the crate.
const ABOUT: &str = "Warden: a self-hosted, multi-tenant administration console for users, roles \
     and permissions, with a REST API for other systems.";

const LONG_ABOUT: &str = "Warden: a self-hosted, multi-tenant administration console for users, \
     roles and permissions, with a REST API for other systems.\n\n\
     Without a command, Warden serves the console and the API (the same as `warden serve`), \
     configured by the options below or their environment variables. On an empty database it \
     prints a one-time link that creates the first platform administrator.";

/// The command line. `warden [OPTIONS]` serves (the default command takes `serve`'s options
/// directly); `warden serve [OPTIONS]` does the same; `warden create-admin …` creates a platform
/// administrator. The data folder, database and catalog options apply to every command.
#[derive(Debug, Parser)]
#[command(
    name = "warden",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT
)]
pub struct Cli {
    #[command(flatten)]
    pub common: CommonConfig,
    /// The options of the default command (serving), given without the word `serve`.
    #[command(flatten)]
    pub serve: ServeConfig,
    #[command(subcommand)]
    pub command: Option<Command>,
}

impl Cli {
    /// Parses the command line like [`Parser::try_parse_from`], and also refuses serving
    /// options given before another command (`warden --listen … create-admin`), which would
    /// otherwise be ignored without a word.
    pub fn try_parse_args<I, T>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        use clap::{parser::ValueSource, Args, CommandFactory, FromArgMatches};
        let mut command = Cli::command();
        let matches = command.try_get_matches_from_mut(args)?;
        if let Some(name) = matches.subcommand_name() {
            let serving = ServeConfig::augment_args(clap::Command::new("serve"));
            let given = serving
                .get_arguments()
                .find(|arg| {
                    matches.value_source(arg.get_id().as_str()) == Some(ValueSource::CommandLine)
                })
                .map(|arg| {
                    arg.get_long()
                        .unwrap_or_else(|| arg.get_id().as_str())
                        .to_owned()
                });
            if let Some(flag) = given {
                return Err(command.error(
                    clap::error::ErrorKind::ArgumentConflict,
                    format!(
                        "--{flag} is an option of serving: it goes after `serve`, or without \
                         any command, not before `{name}`"
                    ),
                ));
            }
        }
        Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut command))
    }

    /// The serving options, when the command is to serve (named or by default).
    pub fn serve_config(&self) -> Option<&ServeConfig> {
        match &self.command {
            None => Some(&self.serve),
            Some(Command::Serve(config)) => Some(config),
            Some(Command::CreateAdmin(_)) => None,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the console and API (the default).
    Serve(ServeConfig),
    /// Create a platform administrator; the password is read from standard input.
    CreateAdmin(CreateAdminArgs),
}

/// Settings every command needs.
#[derive(Debug, Clone, Args)]
pub struct CommonConfig {
    /// Folder for Warden's data (the SQLite database by default).
    #[arg(long, env = "WARDEN_DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,
    /// Database URL: `sqlite://…` or `postgres://…`. Default: SQLite in the data folder.
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<Secret>,
    /// A TOML file declaring the deployment's own privilege modules, added to the built-in
    /// catalog (see README). Checked at start: a bad entry stops Warden, named.
    #[arg(long, env = "WARDEN_CATALOG", global = true)]
    pub catalog: Option<PathBuf>,
}

/// The catalog file: `[[module]]` tables, each with `[[module.resource]]` tables.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    #[serde(default, rename = "module")]
    modules: Vec<app::access::catalog::ModuleSpec>,
}

impl CommonConfig {
    /// The privilege catalog: built in, extended by the catalog file if there is one.
    pub fn catalog(&self) -> Result<app::access::Catalog, String> {
        let mut catalog = app::access::Catalog::builtin();
        let Some(path) = &self.catalog else {
            return Ok(catalog);
        };
        let fail = |problem: String| format!("catalog file {}: {problem}", path.display());
        let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
        let file: CatalogFile = toml::from_str(&text).map_err(|e| fail(e.to_string()))?;
        catalog
            .extend(&file.modules)
            .map_err(|e| fail(e.to_string()))?;
        Ok(catalog)
    }

    /// The database URL to use: the configured one, or `warden.db` in the data folder.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.expose().to_owned(),
            None => format!("sqlite://{}", self.data_dir.join("warden.db").display()),
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address to listen on.
    #[arg(long, env = "WARDEN_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,
    /// The address people use to reach Warden, for links it prints or sends
    /// (default: http://<listen>).
    #[arg(long, env = "WARDEN_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Key that signs sessions (at least 32 characters). Default: generated once and kept in
    /// the database, so every instance shares it.
    #[arg(long, env = "WARDEN_SESSION_KEY")]
    pub session_key: Option<Secret>,
    /// The key that seals secrets kept in the database (TOTP keys): base64 of 32 random bytes
    /// (`openssl rand -base64 32`). Every instance of a deployment needs the same one.
    /// Default: the file `encryption.key` in the data folder, created on first start.
    #[arg(long, env = "WARDEN_ENCRYPTION_KEY")]
    pub encryption_key: Option<Secret>,
    /// How long a session lasts, in hours.
    #[arg(long, env = "WARDEN_SESSION_HOURS", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=720))]
    pub session_hours: u32,
    /// A session unused for this many minutes ends (it must sign in again).
    #[arg(long, env = "WARDEN_IDLE_MINUTES", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=1440))]
    pub idle_minutes: u32,
    /// Password hashes (Argon2id, 19 MiB each) computed at once. Default: the number of
    /// cores, which is also the fastest.
    #[arg(long, env = "WARDEN_HASH_CONCURRENCY", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub hash_concurrency: Option<u32>,
    /// Sign-ins that may wait for a free hashing slot (at most 3 seconds); more are answered
    /// 503 with `Retry-After` at once. Default: 16 per hashing slot.
    #[arg(long, env = "WARDEN_HASH_QUEUE", value_parser = clap::value_parser!(u32).range(0..=100000))]
    pub hash_queue: Option<u32>,
    /// Addresses of reverse proxies or load balancers in front of Warden, comma-separated.
    /// Only for requests from these is the client address taken from `X-Forwarded-For`
    /// (it matters for the per-address sign-in limit).
    #[arg(long, env = "WARDEN_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Folder of the compiled web assets (WASM, JS, CSS).
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,
    /// The longest a service account's API token may live, in days: every new token must
    /// then be given a last day within it. Default: no limit (a token may never expire).
    #[arg(long, env = "WARDEN_API_TOKEN_MAX_DAYS", value_parser = clap::value_parser!(u32).range(1..=36500))]
    pub api_token_max_days: Option<u32>,
    /// How long a service account's previous client secret keeps working after a new one is
    /// generated, in seconds (so an integration can switch without an outage).
    #[arg(long, env = "WARDEN_CLIENT_SECRET_OVERLAP_SECS", default_value_t = 86_400, value_parser = clap::value_parser!(u32).range(0..=2_592_000))]
    pub client_secret_overlap_secs: u32,
    /// How long an access token from the token endpoint (`POST /oauth/token`) lasts, in
    /// minutes.
    #[arg(long, env = "WARDEN_ACCESS_TOKEN_MINUTES", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=60))]
    pub access_token_minutes: u32,
    /// How many requests a minute each API credential (an API token, or a client's access
    /// tokens) may make, per instance, in bursts of ten seconds' worth; past it, 429 with
    /// `Retry-After`. 0: no limit.
    #[arg(long, env = "WARDEN_API_RATE_LIMIT", default_value_t = app::backend::security::api_auth::DEFAULT_REQUESTS_PER_MINUTE)]
    pub api_rate_limit: u32,
    /// The SMTP server email is sent through: `smtp://host:port` (add `?tls=required` for
    /// STARTTLS), or `smtps://host:port` for TLS from the start, with `user:password@` before
    /// the host to authenticate. Without it, email is off: the console shows invitation and
    /// password-reset links for administrators to pass on themselves.
    #[arg(long, env = "WARDEN_SMTP_URL", requires = "mail_from")]
    pub smtp_url: Option<Secret>,
    /// Who email comes from, e.g. `Warden <warden@example.com>` (required with an SMTP URL).
    #[arg(long, env = "WARDEN_MAIL_FROM")]
    pub mail_from: Option<String>,
    /// Seconds before the first retry of a message the mail server did not take; the delay
    /// doubles with each attempt, up to an hour.
    #[arg(long, env = "WARDEN_OUTBOX_RETRY_SECS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3600))]
    pub outbox_retry_secs: u32,
    /// Attempts before a message is marked failed (an administrator can send it again).
    #[arg(long, env = "WARDEN_OUTBOX_ATTEMPTS", default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub outbox_attempts: u32,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
            public_url: None,
            session_key: None,
            encryption_key: None,
            session_hours: 8,
            idle_minutes: 30,
            hash_concurrency: None,
            hash_queue: None,
            trusted_proxies: Vec::new(),
            site_root: PathBuf::from("target/site"),
            api_token_max_days: None,
            client_secret_overlap_secs: 86_400,
            access_token_minutes: 10,
            api_rate_limit: app::backend::security::api_auth::DEFAULT_REQUESTS_PER_MINUTE,
            smtp_url: None,
            mail_from: None,
            outbox_retry_secs: 30,
            outbox_attempts: 12,
        }
    }
}

impl ServeConfig {
    /// How much password hashing may run and wait at once.
    pub fn hash_limits(&self) -> app::backend::security::crypto::HashLimits {
        let defaults = app::backend::security::crypto::HashLimits::default();
        let concurrency = self
            .hash_concurrency
            .map_or(defaults.concurrency, |n| n as usize);
        app::backend::security::crypto::HashLimits {
            concurrency,
            queue: self.hash_queue.map_or(16 * concurrency, |n| n as usize),
            wait: defaults.wait,
        }
    }

    /// What the REST API's credentials are configured to allow.
    pub fn api_settings(&self) -> app::backend::security::api_auth::ApiSettings {
        app::backend::security::api_auth::ApiSettings {
            max_token_days: self.api_token_max_days,
            secret_overlap_secs: i64::from(self.client_secret_overlap_secs),
            access_token_secs: i64::from(self.access_token_minutes) * 60,
            requests_per_minute: self.api_rate_limit,
        }
    }

    /// How the outbox retries.
    pub fn retry_policy(&self) -> app::backend::services::outbox::RetryPolicy {
        app::backend::services::outbox::RetryPolicy {
            base_secs: i64::from(self.outbox_retry_secs),
            max_delay_secs: 3600,
            max_attempts: i64::from(self.outbox_attempts),
        }
    }

    /// The SMTP server to send through, if one is configured; the error says what is wrong
    /// with the settings (never repeating a password).
    pub fn mailer(&self) -> Result<Option<app::backend::services::outbox::SmtpMailer>, String> {
        let Some(url) = &self.smtp_url else {
            return Ok(None);
        };
        let from = self
            .mail_from
            .as_deref()
            .ok_or("an SMTP URL needs a sender address too (WARDEN_MAIL_FROM)")?;
        app::backend::services::outbox::SmtpMailer::new(url.expose(), from).map(Some)
    }

    pub fn public_url(&self, bound: SocketAddr) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{bound}"))
            .trim_end_matches('/')
            .to_owned()
    }
}

#[derive(Debug, Clone, Args)]
pub struct CreateAdminArgs {
    #[arg(long)]
    pub username: String,
    #[arg(long)]
    pub email: String,
    #[arg(long)]
    pub full_name: String,
}

/// A configuration value that must never be printed (keys, URLs with passwords).
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("postgres://u:hunter2@db/warden");
        assert_eq!(format!("{s:?}"), "Secret(***)");
    }

    #[test]
    fn the_default_database_is_sqlite_in_the_data_folder() {
        let c = CommonConfig {
            catalog: None,
            data_dir: "/var/lib/warden".into(),
            database_url: None,
        };
        assert_eq!(c.database_url(), "sqlite:///var/lib/warden/warden.db");
    }

    fn with_catalog(text: &str) -> (tempfile::TempDir, CommonConfig) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("catalog.toml");
        std::fs::write(&path, text).unwrap();
        let config = CommonConfig {
            catalog: Some(path),
            data_dir: dir.path().to_path_buf(),
            database_url: None,
        };
        (dir, config)
    }

    #[test]
    fn a_catalog_file_adds_the_deployments_modules() {
        let (_dir, config) = with_catalog(
            r#"
            [[module]]
            key = "billing"
            name = "Billing"

            [[module.resource]]
            key = "invoices"
            name = "Invoices"
            actions = ["delete", "approve"]
            sensitive = ["approve"]
            "#,
        );
        let catalog = config.catalog().unwrap();
        let approve = catalog.parse_key("billing.invoices:approve").unwrap();
        assert!(catalog.is_sensitive(approve));
        assert!(
            catalog.parse_key("billing.invoices:edit").is_some(),
            "Delete brings Edit"
        );
        assert_eq!(
            catalog.label(catalog.parse_key("billing:admin").unwrap()),
            "Billing Admin"
        );
    }

    #[test]
    fn a_bad_catalog_file_is_refused_with_the_entry_named() {
        for (text, expected) in [
            (
                "[[module]]\nkey = \"billing\"\nname = \"Billing\"\n[[module.resource]]\nkey = \"invoices\"\nname = \"Invoices\"\nactions = [\"aprove\"]\n",
                "module \"billing\", resource \"invoices\": unknown action \"aprove\"",
            ),
            (
                "[[module]]\nkey = \"billing\"\nname = \"Billing\"\ncolour = \"red\"\n",
                "unknown field `colour`",
            ),
            ("[[module]\n", "catalog file"),
        ] {
            let (_dir, config) = with_catalog(text);
            let err = config.catalog().unwrap_err();
            assert!(err.starts_with("catalog file "), "{err}");
            assert!(err.contains(expected), "{err} should name {expected}");
        }
        let missing = CommonConfig {
            catalog: Some("/nonexistent/catalog.toml".into()),
            data_dir: "data".into(),
            database_url: None,
        };
        assert!(missing
            .catalog()
            .unwrap_err()
            .starts_with("catalog file /nonexistent/catalog.toml: "));
    }

    #[test]
    fn the_command_line_parses_serve_and_create_admin() {
        let cli = Cli::try_parse_from(["warden", "serve", "--listen", "0.0.0.0:8080"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Serve(ref s)) if s.listen.port() == 8080));
        let cli = Cli::try_parse_from([
            "warden",
            "create-admin",
            "--username",
            "root_admin",
            "--email",
            "a@b.co",
            "--full-name",
            "Ada",
        ])
        .unwrap();
        assert!(
            matches!(cli.command, Some(Command::CreateAdmin(ref a)) if a.username == "root_admin")
        );
        assert!(Cli::try_parse_from(["warden", "serve", "--session-hours", "0"]).is_err());
        let cli =
            Cli::try_parse_from(["warden", "serve", "--trusted-proxies", "10.0.0.1,::1"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Serve(ref s)) if s.trusted_proxies.len() == 2));
        assert!(
            Cli::try_parse_from(["warden", "serve", "--trusted-proxies", "not-an-ip"]).is_err()
        );
    }

    #[test]
    fn the_default_command_takes_the_serving_options_without_the_word_serve() {
        let cli = Cli::try_parse_args([
            "warden",
            "--listen",
            "127.0.0.1:3900",
            "--session-hours",
            "2",
            "--data-dir",
            "/srv/warden",
        ])
        .unwrap();
        assert!(cli.command.is_none());
        let serve = cli.serve_config().unwrap();
        assert_eq!(serve.listen.port(), 3900);
        assert_eq!(serve.session_hours, 2);
        assert_eq!(cli.common.data_dir, PathBuf::from("/srv/warden"));
        // Named, the command reads its own options.
        let cli = Cli::try_parse_args(["warden", "serve", "--listen", "127.0.0.1:3901"]).unwrap();
        assert_eq!(cli.serve_config().unwrap().listen.port(), 3901);
        // The shared options still go before or after any command.
        let cli = Cli::try_parse_args([
            "warden",
            "--data-dir",
            "/srv/warden",
            "create-admin",
            "--username",
            "root_admin",
            "--email",
            "a@b.co",
            "--full-name",
            "Ada",
        ])
        .unwrap();
        assert!(cli.serve_config().is_none());
        assert_eq!(cli.common.data_dir, PathBuf::from("/srv/warden"));
        // Serving options do not silently vanish in front of another command.
        assert!(Cli::try_parse_args([
            "warden",
            "--listen",
            "127.0.0.1:3900",
            "create-admin",
            "--username",
            "root_admin",
            "--email",
            "a@b.co",
            "--full-name",
            "Ada",
        ])
        .is_err());
        assert!(Cli::try_parse_args(["warden", "--session-hours", "0"]).is_err());
    }
}
