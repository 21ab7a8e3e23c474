//! The command line: `warden create-admin` for automation (SPEC §4), and serving by default
//! with `serve`'s options given without the word `serve` (issue 12).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test crate

mod common;

use common::*;
use std::io::Write;
use std::process::{Command, Stdio};

fn create_admin(database_url: &str, username: &str, email: &str, password: &str) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_warden"))
        .args([
            "create-admin",
            "--username",
            username,
            "--email",
            email,
            "--full-name",
            "Cli Admin",
        ])
        .env("DATABASE_URL", database_url)
        .env("WARDEN_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("warden runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains(password) || password.is_empty(),
        "the password is never echoed"
    );
    (out.status.success(), text)
}

on_both_databases!(
    create_admin_makes_an_administrator_who_can_sign_in_and_retires_the_setup_link,
    create_admin_reports_each_invalid_field_and_creates_nothing,
    warden_without_a_command_serves_on_the_address_its_listen_option_names,
);

/// Kills the child on drop, so a failing test leaves no server behind.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn warden_help_describes_the_product_and_its_default_command() {
    let out = Command::new(env!("CARGO_BIN_EXE_warden"))
        .arg("--help")
        .output()
        .expect("warden runs");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.starts_with("Warden: a self-hosted, multi-tenant administration console"),
        "{help}"
    );
    assert!(
        !help.contains("binary"),
        "not the crate's description: {help}"
    );
    for option in ["--listen", "--public-url", "--session-hours", "--data-dir"] {
        assert!(help.contains(option), "{option} in {help}");
    }
    assert!(help.contains("Without a command, Warden serves"), "{help}");
}

#[test]
fn serving_options_before_another_command_are_refused_not_ignored() {
    let out = Command::new(env!("CARGO_BIN_EXE_warden"))
        .args([
            "--listen",
            "127.0.0.1:3900",
            "create-admin",
            "--username",
            "cli_admin",
            "--email",
            "a@b.co",
            "--full-name",
            "Ada",
        ])
        .stdin(Stdio::null())
        .output()
        .expect("warden runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--listen is an option of serving"), "{err}");
}

async fn create_admin_makes_an_administrator_who_can_sign_in_and_retires_the_setup_link(
    s: &TestServer,
) {
    // Platform administrators' passwords refuse guessable ones (issue 12 item 12).
    let url = s.database_url.clone();
    let (ok, out) = tokio::task::spawn_blocking(move || {
        create_admin(&url, "cli_admin", "cli@example.com", "Cli-pass123")
    })
    .await
    .unwrap();
    assert!(!ok);
    assert!(
        out.contains("password: This password is too easy to guess: "),
        "{out}"
    );
    let url = s.database_url.clone();
    let (ok, out) = tokio::task::spawn_blocking(move || {
        create_admin(&url, "cli_admin", "cli@example.com", "Cobalt-ferry-42")
    })
    .await
    .unwrap();
    assert!(ok, "{out}");
    assert!(out.contains("Created platform administrator cli_admin"));
    assert!(s.sign_in("cli_admin", "Cobalt-ferry-42").await.is_ok());
    let token = s.setup_token().unwrap();
    let page = s
        .get(&format!("/setup?token={token}"), None)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("This setup link no longer works"));

    let url = s.database_url.clone();
    let (ok, out) = tokio::task::spawn_blocking(move || {
        create_admin(&url, "CLI_ADMIN", "other@example.com", "Cobalt-ferry-42")
    })
    .await
    .unwrap();
    assert!(!ok);
    assert!(
        out.contains("username: This username is already taken."),
        "{out}"
    );
}

async fn create_admin_reports_each_invalid_field_and_creates_nothing(s: &TestServer) {
    let url = s.database_url.clone();
    let (ok, out) =
        tokio::task::spawn_blocking(move || create_admin(&url, "abc", "not-an-email", "weak"))
            .await
            .unwrap();
    assert!(!ok);
    for field in ["username:", "email:", "password:"] {
        assert!(out.contains(field), "{field} missing in {out}");
    }
    assert!(s.sign_in("abc", "weak").await.is_err());
    let token = s.setup_token().unwrap();
    let page = s
        .get(&format!("/setup?token={token}"), None)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Create the first administrator"),
        "the setup link still works"
    );
}

async fn warden_without_a_command_serves_on_the_address_its_listen_option_names(s: &TestServer) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    // The test server's data folder: the database was first used with its encryption key.
    let log = s.data_dir().join("warden.log");
    let mut server = Child(
        Command::new(env!("CARGO_BIN_EXE_warden"))
            .args(["--listen", &listen])
            .env("DATABASE_URL", &s.database_url)
            .env("WARDEN_DATA_DIR", s.data_dir())
            .env("WARDEN_LOG", "warn,server=debug")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("warden runs"),
    );
    let url = format!("http://{listen}/healthz");
    let mut answered = None;
    for _ in 0..100 {
        if let Ok(res) = reqwest::get(&url).await {
            answered = Some(res.status());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let exited = server.0.try_wait().unwrap();
    assert_eq!(
        answered,
        Some(reqwest::StatusCode::OK),
        "warden --listen {listen} serves there ({exited:?}): {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    // Each answer is logged (at debug) by its path, never its query string: a setup link's
    // token travels there.
    let res = reqwest::get(format!("http://{listen}/setup?token=never-in-the-log"))
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    drop(server);
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged
            .lines()
            .any(|l| l.contains("answered") && l.contains("/setup") && l.contains("200")),
        "{logged}"
    );
    assert!(!logged.contains("never-in-the-log"), "{logged}");
}
