//! The `warden` binary.

use app::backend::services::setup::create_admin_from_cli;
use app::error::AppError;
use app::me::FirstAdminInput;
use server::config::{Cli, Command, CreateAdminArgs, ServeConfig};
use std::io::BufRead;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

/// jemalloc, with background threads that return freed memory to the system after a short
/// decay: glibc's allocator (and mimalloc) kept what a flood of sign-ins had used (measured:
/// BENCHMARKS.md, "Password hashing under load").
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::try_parse_args(std::env::args_os()).unwrap_or_else(|e| e.exit());
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("WARDEN_LOG")
                .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        None => serve(&cli.common, &cli.serve).await,
        Some(Command::Serve(config)) => serve(&cli.common, &config).await,
        Some(Command::CreateAdmin(args)) => create_admin(&cli.common, args).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("warden: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(common: &server::config::CommonConfig, config: &ServeConfig) -> Result<(), String> {
    let running = server::start(common, config)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(address = %running.addr, "Warden is listening on {}", running.public_url);
    if let Some(link) = running.setup_link() {
        // The one place a secret is printed, because SPEC §4 requires it: to the console
        // only (not through the log pipeline), once, for a link that works once.
        eprintln!(
            "\n  Warden has no administrator yet. Open this one-time link to create one\n  \
             (it works once, for 24 hours):\n\n    {link}\n"
        );
    }
    let stop = async {
        #[cfg(unix)]
        if let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {},
                _ = term.recv() => {},
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    };
    running
        .run_until(stop)
        .await
        .map_err(|e| format!("the server stopped: {e}"))
}

async fn create_admin(
    common: &server::config::CommonConfig,
    args: CreateAdminArgs,
) -> Result<(), String> {
    eprintln!("Password for {} (read from standard input):", args.username);
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .map_err(|e| format!("could not read the password: {e}"))?;
    let password = password.trim_end_matches(['\r', '\n']).to_owned();
    let db = server::open_database(common)
        .await
        .map_err(|e| e.to_string())?;
    let form = FirstAdminInput {
        username: args.username,
        email: args.email,
        full_name: args.full_name,
        password_confirmation: password.clone(),
        password,
    };
    let result = create_admin_from_cli(&db, &form, app::backend::clock::now()).await;
    db.close().await;
    match result {
        Ok(id) => {
            eprintln!(
                "Created platform administrator {} (account {id}).",
                form.username
            );
            Ok(())
        }
        Err(AppError::Invalid(errors)) => {
            let lines: Vec<String> = errors
                .0
                .iter()
                .flat_map(|(field, msgs)| msgs.iter().map(move |m| format!("  {field}: {m}")))
                .collect();
            Err(format!(
                "the administrator was not created:\n{}",
                lines.join("\n")
            ))
        }
        Err(e) => Err(e.to_string()),
    }
}
