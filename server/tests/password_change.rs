//! The first sign-in with a temporary password forces a new one (SPEC §2.2, issue 3), and
//! everyone can change their own password (SPEC §2.3).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test crate

mod common;

use common::*;
use reqwest::header::LOCATION;
use reqwest::StatusCode;
use serde_json::Value;

on_both_databases!(
    a_temporary_password_allows_nothing_but_choosing_a_new_one,
    choosing_a_new_password_activates_the_account_and_ends_other_sessions,
    the_change_checks_the_current_password_and_the_policy_per_field,
    wrong_current_passwords_count_towards_the_account_limit,
    the_forced_password_change_page_offers_a_way_to_sign_out,
);

/// A platform admin's session and a user of tenant Acme on the temporary password.
async fn user_on_temporary_password(s: &TestServer) -> String {
    let pa = s.platform_admin_session().await;
    let tenant = s.create_tenant(&pa, "Acme").await;
    let res = s
        .call(
            "create_account",
            &[
                ("tier", "tenant_admin"),
                ("tenant_id", tenant.as_str()),
                ("username", "acme_admin"),
                ("email", "a@acme.example"),
                ("full_name", "Acme Admin"),
                ("password", "Temp-pass1"),
            ],
            Some(&pa),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    pa
}

fn change<'a>(current: &'a str, new: &'a str, confirm: &'a str) -> [(&'static str, &'a str); 3] {
    [
        ("current_password", current),
        ("new_password", new),
        ("new_password_confirmation", confirm),
    ]
}

async fn a_temporary_password_allows_nothing_but_choosing_a_new_one(s: &TestServer) {
    user_on_temporary_password(s).await;
    let temp = s.sign_in("acme_admin", "Temp-pass1").await.unwrap();
    let home = s.get("/", Some(&temp)).await;
    assert_eq!(home.status(), StatusCode::FOUND);
    assert_eq!(home.headers()[LOCATION], "/change-password");
    let page = s.get("/change-password", Some(&temp)).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("Choose your own password"));
    let res = s
        .call(
            "create_account",
            &[
                ("tier", "user"),
                ("username", "sneaky_user"),
                ("email", "s@acme.example"),
                ("full_name", "S"),
                ("password", "Temp-pass1"),
            ],
            Some(&temp),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(res.text().await.unwrap(), "\"PasswordChangeRequired\"");
}

async fn choosing_a_new_password_activates_the_account_and_ends_other_sessions(s: &TestServer) {
    user_on_temporary_password(s).await;
    let other = s.sign_in("acme_admin", "Temp-pass1").await.unwrap();
    let this = s.sign_in("acme_admin", "Temp-pass1").await.unwrap();
    let res = s
        .call(
            "change_password",
            &change("Temp-pass1", "Mine-own-pass2", "Mine-own-pass2"),
            Some(&this),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap_or_default()
    );
    let renewed = session_cookie(res.headers()).expect("this session continues with a new cookie");
    let me = s.session(&renewed).await;
    assert_eq!(me["status"], "Active");
    assert!(s.session(&other).await.is_null(), "other sessions end");
    assert!(
        s.session(&this).await.is_null(),
        "the old cookie of this session too"
    );
    assert_eq!(s.get("/", Some(&renewed)).await.status(), StatusCode::OK);
    assert!(s.sign_in("acme_admin", "Temp-pass1").await.is_err());
    assert!(s.sign_in("acme_admin", "Mine-own-pass2").await.is_ok());
    let changed = s
        .audit()
        .await
        .into_iter()
        .find(|r| r.action == "password.change")
        .unwrap();
    assert_eq!(
        changed.reason.as_deref(),
        Some("temporary_password_replaced")
    );
    assert!(!format!("{changed:?}").contains("Mine-own-pass2"));
}

async fn the_change_checks_the_current_password_and_the_policy_per_field(s: &TestServer) {
    user_on_temporary_password(s).await;
    let temp = s.sign_in("acme_admin", "Temp-pass1").await.unwrap();
    let res = s
        .call(
            "change_password",
            &change("Wrong-pass9", "short", "other"),
            Some(&temp),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["Invalid"]["current_password"][0],
        "This is not your current password."
    );
    assert!(body["Invalid"]["new_password"][0]
        .as_str()
        .unwrap()
        .contains("8 to 30"));
    let res = s
        .call(
            "change_password",
            &change("Temp-pass1", "Good-pass12", "Good-pass13"),
            Some(&temp),
        )
        .await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["Invalid"]["new_password_confirmation"][0],
        "The two passwords do not match."
    );
    let res = s
        .call(
            "change_password",
            &change("Temp-pass1", "Temp-pass1", "Temp-pass1"),
            Some(&temp),
        )
        .await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["Invalid"]["new_password"][0],
        "Choose a password different from the current one."
    );
    assert_eq!(
        s.session(&temp).await["status"],
        "MustChangePassword",
        "nothing changed"
    );
    let res = s
        .call(
            "change_password",
            &change("Temp-pass1", "Good-pass12", "Good-pass12"),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

async fn wrong_current_passwords_count_towards_the_account_limit(s: &TestServer) {
    user_on_temporary_password(s).await;
    let temp = s.sign_in("acme_admin", "Temp-pass1").await.unwrap();
    for _ in 0..5 {
        let res = s
            .call(
                "change_password",
                &change("Wrong-pass9", "Good-pass12", "Good-pass12"),
                Some(&temp),
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let res = s
        .call(
            "change_password",
            &change("Temp-pass1", "Good-pass12", "Good-pass12"),
            Some(&temp),
        )
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
}

async fn the_forced_password_change_page_offers_a_way_to_sign_out(s: &TestServer) {
    user_on_temporary_password(s).await;
    let temp = s.sign_in("acme_admin", "Temp-pass1").await.unwrap();
    let page = s
        .get("/change-password", Some(&temp))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Choose your own password"), "{page}");
    // A form posting to sign_out, with its button.
    assert!(page.contains("action=\"/api/sign_out\""), "{page}");
    assert!(page.contains("Not now: sign out"), "{page}");
    // And it works for an account that may do nothing else yet: the cookie goes.
    let res = s.call("sign_out", &[("", ""); 0], Some(&temp)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.starts_with("warden_session=") && v.contains("Max-Age=0")),
        "{:?}",
        res.headers()
    );
}
