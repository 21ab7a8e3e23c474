//! The command line: `warden create-admin` for automation (SPEC §4).
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
);

async fn create_admin_makes_an_administrator_who_can_sign_in_and_retires_the_setup_link(
    s: &TestServer,
) {
    let url = s.database_url.clone();
    let (ok, out) = tokio::task::spawn_blocking(move || {
        create_admin(&url, "cli_admin", "cli@example.com", "Cli-pass123")
    })
    .await
    .unwrap();
    assert!(ok, "{out}");
    assert!(out.contains("Created platform administrator cli_admin"));
    assert!(s.sign_in("cli_admin", "Cli-pass123").await.is_ok());
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
        create_admin(&url, "CLI_ADMIN", "other@example.com", "Cli-pass123")
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
