//! First run (SPEC §4): the one-time setup link and the command-line equivalent.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test crate

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::Value;

on_both_databases!(
    a_fresh_database_prints_a_setup_link_that_shows_the_form,
    the_setup_link_creates_the_first_admin_only_once,
    the_setup_form_reports_every_invalid_field_and_keeps_the_link_usable,
    a_duplicate_username_differing_only_in_case_is_refused,
    no_setup_link_is_issued_once_an_administrator_exists,
);

async fn a_fresh_database_prints_a_setup_link_that_shows_the_form(s: &TestServer) {
    let link = s
        .running()
        .setup_link()
        .expect("setup link on a fresh database");
    assert!(link.starts_with(&format!("{}/setup?token=", s.base)));
    let page = s.get(&link[s.base.len()..], None).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Create the first administrator"), "{html}");
    let bad = s
        .get("/setup?token=not-a-real-token", None)
        .await
        .text()
        .await
        .unwrap();
    assert!(bad.contains("This setup link no longer works"));
}

async fn the_setup_link_creates_the_first_admin_only_once(s: &TestServer) {
    let token = s.setup_token().unwrap();
    let first = s
        .call("create_first_admin", &admin_form(&token), None)
        .await;
    assert!(first.status().is_success());
    assert!(s.sign_in(ADMIN_USERNAME, ADMIN_PASSWORD).await.is_ok());

    let mut again = admin_form(&token);
    again[1].1 = "second_admin".into();
    again[2].1 = "second@example.com".into();
    let second = s.call("create_first_admin", &again, None).await;
    assert_eq!(second.status(), StatusCode::NOT_FOUND);
    assert!(s.sign_in("second_admin", ADMIN_PASSWORD).await.is_err());
    let page = s
        .get(&format!("/setup?token={token}"), None)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("This setup link no longer works"));
}

async fn the_setup_form_reports_every_invalid_field_and_keeps_the_link_usable(s: &TestServer) {
    let token = s.setup_token().unwrap();
    let form = [
        ("token", token.as_str()),
        ("username", "ab-c"),
        ("email", "a..b@example.com"),
        ("full_name", ""),
        ("password", "short"),
        ("password_confirmation", "short"),
    ];
    let res = s.call("create_first_admin", &form, None).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    let fields = &body["Invalid"];
    for field in ["username", "email", "full_name", "password"] {
        assert!(
            fields[field][0].as_str().is_some_and(|m| !m.is_empty()),
            "{field} in {body}"
        );
    }
    assert!(fields["email"][0].as_str().unwrap().contains(".."));

    let mismatch = [
        ("token", token.as_str()),
        ("username", ADMIN_USERNAME),
        ("email", "admin@example.com"),
        ("full_name", "Ada Admin"),
        ("password", ADMIN_PASSWORD),
        ("password_confirmation", "Different1"),
    ];
    let res = s.call("create_first_admin", &mismatch, None).await;
    let body: Value = res.json().await.unwrap();
    assert!(body["Invalid"]["password_confirmation"][0]
        .as_str()
        .unwrap()
        .contains("do not match"));

    // Nothing was consumed by the failed attempts.
    s.create_first_admin().await;
}

async fn a_duplicate_username_differing_only_in_case_is_refused(s: &TestServer) {
    s.create_first_admin().await;
    s.sql(&format!(
        "insert into setup_tokens (token_hash, expires_at, created_at) values ('{}', 9999999999, 0)",
        app::backend::security::crypto::token_hash("manual-token")
    ))
    .await;
    // With an administrator present the link is refused before any uniqueness check…
    let mut form = admin_form("manual-token");
    form[1].1 = ADMIN_USERNAME.to_uppercase();
    let res = s.call("create_first_admin", &form, None).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // …and the database itself refuses a case variant of an existing username or email.
    sqlx::any::install_default_drivers();
    use sqlx::Connection;
    let mut conn = sqlx::AnyConnection::connect(&s.database_url).await.unwrap();
    let dup = sqlx::query(
        "insert into accounts (tier, username, email, full_name, status, jwt_version, created_at, updated_at) \
         values ('platform_admin', $1, 'other@example.com', 'X', 'active', 'v', 0, 0)",
    )
    .bind(ADMIN_USERNAME.to_uppercase())
    .execute(&mut conn)
    .await;
    assert!(dup.is_err(), "case-insensitive username uniqueness");
    let dup = sqlx::query(
        "insert into accounts (tier, username, email, full_name, status, jwt_version, created_at, updated_at) \
         values ('platform_admin', 'another_admin', 'ADMIN@example.com', 'X', 'active', 'v', 0, 0)",
    )
    .execute(&mut conn)
    .await;
    assert!(dup.is_err(), "case-insensitive email uniqueness");
}

async fn no_setup_link_is_issued_once_an_administrator_exists(s: &TestServer) {
    s.create_first_admin().await;
    let token = app::backend::services::setup::issue_setup_token(
        &s.running().state.db,
        app::backend::clock::now(),
    )
    .await
    .unwrap();
    assert!(token.is_none());
}
