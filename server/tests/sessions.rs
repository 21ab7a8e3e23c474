//! Sessions (SPEC §4, §2.2): checked on every request, ended at once when revoked.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test crate

mod common;

use common::*;
use reqwest::header::{LOCATION, ORIGIN, SET_COOKIE};
use reqwest::StatusCode;

on_both_databases!(
    a_protected_page_sends_a_visitor_without_a_session_to_sign_in,
    a_signed_in_visitor_is_sent_from_sign_in_to_the_overview,
    signing_out_everywhere_ends_every_issued_session,
    a_disabled_account_loses_its_session_on_the_next_request,
    a_disabled_tenant_ends_its_accounts_sessions,
    a_forged_or_tampered_token_is_ignored_and_removed,
    sign_out_clears_the_cookie,
    a_cross_site_request_is_refused,
    the_health_check_reports_the_database,
    pages_carry_a_strict_content_security_policy,
    an_oversized_request_is_refused,
);

async fn a_protected_page_sends_a_visitor_without_a_session_to_sign_in(s: &TestServer) {
    for path in ["/", "/profile"] {
        let res = s.get(path, None).await;
        assert_eq!(res.status(), StatusCode::FOUND, "{path}");
        assert_eq!(res.headers()[LOCATION], "/login");
    }
    let login = s.get("/login", None).await;
    assert_eq!(login.status(), StatusCode::OK);
    let missing = s.get("/no-such-page", None).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

async fn a_signed_in_visitor_is_sent_from_sign_in_to_the_overview(s: &TestServer) {
    s.create_first_admin().await;
    let cookie = s.sign_in(ADMIN_USERNAME, ADMIN_PASSWORD).await.unwrap();
    let res = s.get("/login", Some(&cookie)).await;
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(res.headers()[LOCATION], "/");
    let profile = s.get("/profile", Some(&cookie)).await;
    assert_eq!(profile.status(), StatusCode::OK);
    assert!(profile.text().await.unwrap().contains("admin@example.com"));
}

async fn signing_out_everywhere_ends_every_issued_session(s: &TestServer) {
    s.create_first_admin().await;
    let laptop = s.sign_in(ADMIN_USERNAME, ADMIN_PASSWORD).await.unwrap();
    let phone = s.sign_in(ADMIN_USERNAME, ADMIN_PASSWORD).await.unwrap();
    assert!(s.session(&phone).await.is_object());
    let res = s
        .call("sign_out_everywhere", &[("", ""); 0], Some(&laptop))
        .await;
    assert!(res.status().is_success());
    assert!(s.session(&laptop).await.is_null());
    assert!(s.session(&phone).await.is_null());
    assert_eq!(
        s.get("/profile", Some(&phone)).await.status(),
        StatusCode::FOUND
    );
    // Signing in again works and the new session is valid.
    let fresh = s.sign_in(ADMIN_USERNAME, ADMIN_PASSWORD).await.unwrap();
    assert!(s.session(&fresh).await.is_object());
}

async fn a_disabled_account_loses_its_session_on_the_next_request(s: &TestServer) {
    s.create_first_admin().await;
    let cookie = s.sign_in(ADMIN_USERNAME, ADMIN_PASSWORD).await.unwrap();
    assert!(s.session(&cookie).await.is_object());
    s.sql("update accounts set status = 'disabled'").await;
    assert!(s.session(&cookie).await.is_null());
    s.sql("update accounts set status = 'active', expires_at = 1000")
        .await;
    assert!(s.session(&cookie).await.is_null(), "expired");
    s.sql("update accounts set expires_at = null").await;
    assert!(s.session(&cookie).await.is_object(), "enabled again");
}

async fn a_disabled_tenant_ends_its_accounts_sessions(s: &TestServer) {
    s.create_first_admin().await;
    s.create_tenant_account("tenant_admin", "acme_admin", "Tenant-pass1")
        .await;
    let cookie = s.sign_in("acme_admin", "Tenant-pass1").await.unwrap();
    let me = s.session(&cookie).await;
    assert_eq!(me["tenant_name"], "Acme");
    s.sql("update tenants set status = 'disabled'").await;
    assert!(s.session(&cookie).await.is_null());
}

async fn a_forged_or_tampered_token_is_ignored_and_removed(s: &TestServer) {
    s.create_first_admin().await;
    let cookie = s.sign_in(ADMIN_USERNAME, ADMIN_PASSWORD).await.unwrap();
    let mut tampered = cookie.clone();
    tampered.pop();
    tampered.push(if cookie.ends_with('A') { 'B' } else { 'A' });
    assert!(s.session(&tampered).await.is_null());
    let res = s.get("/", Some(&tampered)).await;
    assert_eq!(res.status(), StatusCode::FOUND);
    let cleared = res.headers().get_all(SET_COOKIE).iter().any(|v| {
        v.to_str()
            .is_ok_and(|v| v.starts_with("warden_session=;") && v.contains("Max-Age=0"))
    });
    assert!(cleared, "the stale cookie is removed");
    // A token with "alg": "none" is never accepted.
    let none_token = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiIxIiwidmVyIjoieCIsImV4cCI6OTk5OTk5OTk5OSwiaXNzIjoid2FyZGVuIiwiYXVkIjoid2FyZGVuLWNvbnNvbGUifQ.";
    assert!(s
        .session(&format!("warden_session={none_token}"))
        .await
        .is_null());
}

async fn sign_out_clears_the_cookie(s: &TestServer) {
    s.create_first_admin().await;
    let cookie = s.sign_in(ADMIN_USERNAME, ADMIN_PASSWORD).await.unwrap();
    let res = s.call("sign_out", &[("", ""); 0], Some(&cookie)).await;
    assert!(res.status().is_success());
    let cleared = res
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .any(|v| v.to_str().is_ok_and(|v| v.contains("Max-Age=0")));
    assert!(cleared);
}

async fn a_cross_site_request_is_refused(s: &TestServer) {
    s.create_first_admin().await;
    let cookie = s.sign_in(ADMIN_USERNAME, ADMIN_PASSWORD).await.unwrap();
    let url = format!("{}/api/sign_out_everywhere", s.base);
    let evil = s
        .client
        .post(&url)
        .header(ORIGIN, "https://evil.example")
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(evil.status(), StatusCode::FORBIDDEN);
    let no_origin = s
        .client
        .post(&url)
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(no_origin.status(), StatusCode::FORBIDDEN);
    let cross_site = s
        .client
        .post(&url)
        .header("sec-fetch-site", "cross-site")
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
    // None of the refused requests took effect: the session still works.
    assert!(s.session(&cookie).await.is_object());
    let login_csrf = s
        .client
        .post(format!("{}/api/sign_in", s.base))
        .header(ORIGIN, "https://evil.example")
        .form(&[("username", ADMIN_USERNAME), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(login_csrf.status(), StatusCode::FORBIDDEN);
}

async fn the_health_check_reports_the_database(s: &TestServer) {
    let res = s.get("/healthz", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), "ok");
}

async fn pages_carry_a_strict_content_security_policy(s: &TestServer) {
    let res = s.get("/login", None).await;
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let html = res.text().await.unwrap();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the policy");
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the inline script carries the nonce"
    );
    for directive in [
        "default-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'none'",
    ] {
        assert!(csp.contains(directive), "{csp} lacks {directive}");
    }
    let other = s.get("/login", None).await;
    assert_ne!(
        other.headers()["content-security-policy"].to_str().unwrap(),
        csp,
        "a fresh nonce for every response"
    );
}

async fn an_oversized_request_is_refused(s: &TestServer) {
    // Declare a 2 MiB body without sending it: the server must refuse on the declared size
    // (an upload it has refused could otherwise race the client into a broken pipe).
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = s.running().addr;
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "POST /api/sign_in HTTP/1.1\r\nHost: {addr}\r\nOrigin: {}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        s.base,
        2 * 1024 * 1024
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        stream.read_to_string(&mut response),
    )
    .await;
    assert!(
        read.is_ok(),
        "the server waited for the oversized body instead of refusing it"
    );
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
}

/// A client that stops mid-request must not keep the server from shutting down.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_the_server_never_waits_forever_for_a_stuck_client() {
    use tokio::io::AsyncWriteExt;
    let s = TestServer::start(Backend::Sqlite).await.unwrap();
    let addr = s.running().addr;
    let mut stuck = tokio::net::TcpStream::connect(addr).await.unwrap();
    let partial = format!(
        "POST /api/sign_in HTTP/1.1\r\nHost: {addr}\r\nOrigin: {}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nusername=",
        s.base
    );
    stuck.write_all(partial.as_bytes()).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let limit = server::Running::SHUTDOWN_GRACE + std::time::Duration::from_secs(5);
    let stopped = tokio::time::timeout(limit, s.stop()).await;
    assert!(
        stopped.is_ok(),
        "the server waited forever for the stuck request"
    );
    drop(stuck);
}
