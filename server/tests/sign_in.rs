//! Signing in (SPEC §4): uniform failures, throttling, refusals, the session cookie.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test crate

mod common;

use common::*;
use reqwest::header::{RETRY_AFTER, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::Value;

on_both_databases!(
    the_right_password_starts_a_strict_http_only_session,
    a_wrong_password_and_an_unknown_user_get_the_same_answer,
    the_username_is_matched_case_insensitively,
    repeated_failures_lock_the_account_name_even_for_the_right_password,
    failures_from_one_address_are_limited_across_account_names,
    a_successful_sign_in_clears_the_account_failures,
    a_disabled_account_is_told_so_only_with_the_right_password,
    an_expired_account_cannot_sign_in,
    a_service_account_is_refused_with_a_clear_message,
);

async fn the_right_password_starts_a_strict_http_only_session(s: &TestServer) {
    s.create_first_admin().await;
    let res = s
        .call(
            "sign_in",
            &[("username", ADMIN_USERNAME), ("password", ADMIN_PASSWORD)],
            None,
        )
        .await;
    assert!(res.status().is_success());
    let set_cookie = res
        .headers()
        .get(SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    for attr in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(set_cookie.contains(attr), "{set_cookie} lacks {attr}");
    }
    let cookie = session_cookie(res.headers()).unwrap();
    let me = s.session(&cookie).await;
    assert_eq!(me["username"], ADMIN_USERNAME);
    assert_eq!(me["tier"], "PlatformAdmin");
    let home = s.get("/", Some(&cookie)).await;
    assert_eq!(home.status(), StatusCode::OK);
    assert!(home.text().await.unwrap().contains("Welcome, Ada"));
}

async fn a_wrong_password_and_an_unknown_user_get_the_same_answer(s: &TestServer) {
    s.create_first_admin().await;
    let wrong = s.sign_in(ADMIN_USERNAME, "Wrong-pass1").await.unwrap_err();
    let unknown = s.sign_in("nobody_here", "Wrong-pass1").await.unwrap_err();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let (wrong, unknown) = (wrong.text().await.unwrap(), unknown.text().await.unwrap());
    assert_eq!(wrong, unknown);
    assert_eq!(wrong, "\"InvalidCredentials\"");
}

async fn the_username_is_matched_case_insensitively(s: &TestServer) {
    s.create_first_admin().await;
    assert!(s
        .sign_in(&ADMIN_USERNAME.to_uppercase(), ADMIN_PASSWORD)
        .await
        .is_ok());
}

async fn repeated_failures_lock_the_account_name_even_for_the_right_password(s: &TestServer) {
    s.create_first_admin().await;
    for _ in 0..5 {
        let res = s.sign_in(ADMIN_USERNAME, "Wrong-pass1").await.unwrap_err();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let locked = s.sign_in(ADMIN_USERNAME, ADMIN_PASSWORD).await.unwrap_err();
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: i64 = locked.headers()[RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= 900, "Retry-After {retry}");
    let body: Value = locked.json().await.unwrap();
    assert!(body["RateLimited"]["retry_after_secs"].as_i64().unwrap() > 0);
    // An unknown name is throttled the same way, so locking reveals nothing.
    for _ in 0..5 {
        let _ = s.sign_in("nobody_here", "Wrong-pass1").await;
    }
    assert_eq!(
        s.sign_in("nobody_here", "Wrong-pass1")
            .await
            .unwrap_err()
            .status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

async fn failures_from_one_address_are_limited_across_account_names(s: &TestServer) {
    s.create_first_admin().await;
    for i in 0..30 {
        let res = s
            .sign_in(&format!("guess_{i}"), "Wrong-pass1")
            .await
            .unwrap_err();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let res = s.sign_in(ADMIN_USERNAME, ADMIN_PASSWORD).await.unwrap_err();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
}

async fn a_successful_sign_in_clears_the_account_failures(s: &TestServer) {
    s.create_first_admin().await;
    for _ in 0..4 {
        let _ = s.sign_in(ADMIN_USERNAME, "Wrong-pass1").await;
    }
    assert!(s.sign_in(ADMIN_USERNAME, ADMIN_PASSWORD).await.is_ok());
    for _ in 0..4 {
        let _ = s.sign_in(ADMIN_USERNAME, "Wrong-pass1").await;
    }
    assert!(s.sign_in(ADMIN_USERNAME, ADMIN_PASSWORD).await.is_ok());
}

async fn a_disabled_account_is_told_so_only_with_the_right_password(s: &TestServer) {
    s.create_first_admin().await;
    s.sql("update accounts set status = 'disabled'").await;
    let wrong = s.sign_in(ADMIN_USERNAME, "Wrong-pass1").await.unwrap_err();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let right = s.sign_in(ADMIN_USERNAME, ADMIN_PASSWORD).await.unwrap_err();
    assert_eq!(right.status(), StatusCode::FORBIDDEN);
    assert!(right.text().await.unwrap().contains("disabled"));
}

async fn an_expired_account_cannot_sign_in(s: &TestServer) {
    s.create_first_admin().await;
    s.sql("update accounts set expires_at = 1000").await;
    let res = s.sign_in(ADMIN_USERNAME, ADMIN_PASSWORD).await.unwrap_err();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.text().await.unwrap().contains("expired"));
}

async fn a_service_account_is_refused_with_a_clear_message(s: &TestServer) {
    s.create_first_admin().await;
    s.create_tenant_account("service_account", "ci_robot", "Robot-pass1")
        .await;
    let res = s.sign_in("ci_robot", "Robot-pass1").await.unwrap_err();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.text().await.unwrap().contains("REST API"));
}
