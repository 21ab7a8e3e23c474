//! Issue 12's security findings, each as a regression test: bounded password hashing, limits
//! reserved before a secret is checked, no lock-out of a known browser, sessions that end on
//! the server, single-use MFA steps, keyed recovery codes, headers and origins, and the
//! last-administrator race.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test crate

mod common;

use common::*;
use reqwest::header::{CACHE_CONTROL, COOKIE, ORIGIN, RETRY_AFTER, SET_COOKIE};
use reqwest::StatusCode;

on_both_databases!(
    concurrent_wrong_passwords_verify_at_most_the_limit,
    a_stranger_filling_the_limits_cannot_lock_the_owner_out_of_a_known_browser,
    concurrent_wrong_current_passwords_verify_at_most_the_limit,
    concurrent_bad_setup_links_are_throttled_and_checked_before_anything_is_hashed,
    sign_out_ends_the_session_on_the_server,
    an_idle_session_ends,
    a_disabled_account_stays_signed_out_when_enabled_again,
    a_disabled_tenant_stays_signed_out_when_enabled_again,
    a_shortened_expiry_ends_sessions_for_good,
    the_last_enabled_administrator_survives_concurrent_disables,
    an_expired_administrator_does_not_count_as_enabled,
    every_page_and_api_answer_is_not_cached_and_assets_are_quiet_404s,
    large_answers_are_compressed_and_small_ones_are_not,
    the_cross_site_check_compares_the_scheme_too,
    a_must_change_password_session_reaches_no_page_and_no_export,
);

/// Sign-ins of `username` with a wrong password, `n` at once; returns the statuses.
async fn wrong_passwords_at_once(s: &TestServer, username: &str, n: usize) -> Vec<StatusCode> {
    let calls = (0..n).map(|i| {
        let password = format!("Wrong-pass{i}");
        async move {
            s.call(
                "sign_in",
                &[("username", username), ("password", password.as_str())],
                None,
            )
            .await
            .status()
        }
    });
    futures_util::future::join_all(calls).await
}

async fn reasons(s: &TestServer, reason: &str) -> usize {
    s.audit()
        .await
        .iter()
        .filter(|r| r.reason.as_deref() == Some(reason))
        .count()
}

async fn concurrent_wrong_passwords_verify_at_most_the_limit(s: &TestServer) {
    s.create_first_admin().await;
    let statuses = wrong_passwords_at_once(s, ADMIN_USERNAME, 40).await;
    let checked = statuses
        .iter()
        .filter(|st| **st == StatusCode::UNAUTHORIZED)
        .count();
    let throttled = statuses
        .iter()
        .filter(|st| **st == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(checked + throttled, 40, "{statuses:?}");
    // The limit per (name, address) is 5: no more passwords were ever checked.
    assert!(checked <= 5, "{checked} wrong passwords were checked");
    assert!(reasons(s, "invalid_credentials").await <= 5);
}

async fn a_stranger_filling_the_limits_cannot_lock_the_owner_out_of_a_known_browser(
    s: &TestServer,
) {
    s.create_first_admin().await;
    // The owner signs in once: their browser is remembered.
    let res = s
        .call(
            "sign_in",
            &[("username", ADMIN_USERNAME), ("password", ADMIN_PASSWORD)],
            None,
        )
        .await;
    let device = cookie_named(res.headers(), "warden_device").expect("a device cookie");
    // A stranger guesses until the name is refused from this address.
    wrong_passwords_at_once(s, ADMIN_USERNAME, 8).await;
    let stranger = s.sign_in(ADMIN_USERNAME, ADMIN_PASSWORD).await;
    assert_eq!(
        stranger.err().map(|r| r.status()),
        Some(StatusCode::TOO_MANY_REQUESTS),
        "a browser that never signed in is refused, even with the right password"
    );
    // The owner's browser still gets in with the right password.
    let res = s
        .call(
            "sign_in",
            &[("username", ADMIN_USERNAME), ("password", ADMIN_PASSWORD)],
            Some(&device),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(session_cookie(res.headers()).is_some());
}

async fn concurrent_wrong_current_passwords_verify_at_most_the_limit(s: &TestServer) {
    let cookie = s.platform_admin_session().await;
    let calls = (0..20).map(|i| {
        let current = format!("Not-mine{i}");
        let cookie = cookie.clone();
        async move {
            s.call(
                "change_password",
                &[
                    ("current_password", current.as_str()),
                    ("new_password", "Brand-new-pass1"),
                    ("new_password_confirmation", "Brand-new-pass1"),
                ],
                Some(&cookie),
            )
            .await
            .status()
        }
    });
    let statuses = futures_util::future::join_all(calls).await;
    let checked = statuses
        .iter()
        .filter(|st| **st == StatusCode::UNPROCESSABLE_ENTITY)
        .count();
    assert!(
        checked <= 5,
        "{checked} current passwords checked: {statuses:?}"
    );
    assert!(statuses.contains(&StatusCode::TOO_MANY_REQUESTS));
}

async fn concurrent_bad_setup_links_are_throttled_and_checked_before_anything_is_hashed(
    s: &TestServer,
) {
    // A wrong link with a form that would not even parse: the link is what is refused, so
    // the token is checked first.
    let res = s
        .call(
            "create_first_admin",
            &[
                ("token", "not-the-token"),
                ("username", "x"),
                ("email", "x"),
                ("full_name", ""),
                ("password", "short"),
                ("password_confirmation", "other"),
            ],
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let mut form = admin_form("wrong-token");
    form.retain(|(k, _)| *k != "token");
    form.push(("token", "wrong-token".to_owned()));
    let calls = (0..30).map(|_| {
        let form = form.clone();
        async move { s.call("create_first_admin", &form, None).await.status() }
    });
    let statuses = futures_util::future::join_all(calls).await;
    let checked = statuses
        .iter()
        .filter(|st| **st == StatusCode::NOT_FOUND)
        .count();
    // 10 per address per quarter hour, one of them used above.
    assert!(checked <= 9, "{checked} links checked: {statuses:?}");
    assert!(statuses.contains(&StatusCode::TOO_MANY_REQUESTS));
    // The real link is throttled too from this address now: limits hold for everyone.
    let token = s.setup_token().unwrap();
    let res = s
        .call("create_first_admin", &admin_form(&token), None)
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
}

async fn sign_out_ends_the_session_on_the_server(s: &TestServer) {
    s.create_first_admin().await;
    let cookie = s.sign_in(ADMIN_USERNAME, ADMIN_PASSWORD).await.unwrap();
    let other = s.sign_in(ADMIN_USERNAME, ADMIN_PASSWORD).await.unwrap();
    let res = s.call("sign_out", &[("", ""); 0], Some(&cookie)).await;
    assert!(res.status().is_success());
    // The same cookie, kept by someone: refused by the server, not only cleared.
    assert!(s.session(&cookie).await.is_null());
    assert_eq!(
        s.get("/profile", Some(&cookie)).await.status(),
        StatusCode::FOUND
    );
    // Another session of the same account goes on.
    assert!(s.session(&other).await.is_object());
}

async fn an_idle_session_ends(s: &TestServer) {
    s.create_first_admin().await;
    let cookie = s.sign_in(ADMIN_USERNAME, ADMIN_PASSWORD).await.unwrap();
    assert!(s.session(&cookie).await.is_object());
    // 29 minutes without a request: still on (the default idle timeout is 30 minutes).
    let now = app::backend::clock::now();
    s.sql(&format!(
        "update sessions set last_seen_at = {}",
        now - 29 * 60
    ))
    .await;
    assert!(s.session(&cookie).await.is_object());
    s.sql(&format!(
        "update sessions set last_seen_at = {}",
        now - 31 * 60
    ))
    .await;
    assert!(s.session(&cookie).await.is_null());
}

async fn acme_user(s: &TestServer) -> (String, String, String) {
    let pa = s.platform_admin_session().await;
    s.create_tenant_account("user", "acme_user", "Pass-word1")
        .await;
    let id = s
        .strings("select cast(account_id as text) from accounts where username = 'acme_user'")
        .await[0]
        .clone();
    let user = s.sign_in("acme_user", "Pass-word1").await.unwrap();
    (pa, id, user)
}

async fn a_disabled_account_stays_signed_out_when_enabled_again(s: &TestServer) {
    let (pa, id, user) = acme_user(s).await;
    assert!(s.session(&user).await.is_object());
    for enabled in ["false", "true"] {
        let res = s
            .call(
                "set_account_enabled",
                &[("account_id", id.as_str()), ("enabled", enabled)],
                Some(&pa),
            )
            .await;
        expect_ok(res).await;
    }
    assert!(
        s.session(&user).await.is_null(),
        "re-enabling revives no session"
    );
    assert!(s.sign_in("acme_user", "Pass-word1").await.is_ok());
}

async fn a_disabled_tenant_stays_signed_out_when_enabled_again(s: &TestServer) {
    let (pa, _, user) = acme_user(s).await;
    let tenant = s
        .strings("select cast(tenant_id as text) from tenants where name = 'Acme'")
        .await[0]
        .clone();
    for active in ["false", "true"] {
        let res = s
            .call(
                "set_tenant_active",
                &[("tenant_id", tenant.as_str()), ("active", active)],
                Some(&pa),
            )
            .await;
        expect_ok(res).await;
    }
    assert!(s.session(&user).await.is_null());
    assert!(s.sign_in("acme_user", "Pass-word1").await.is_ok());
}

async fn a_shortened_expiry_ends_sessions_for_good(s: &TestServer) {
    let (pa, id, user) = acme_user(s).await;
    let update = |expires_on: &'static str| {
        let (pa, id) = (pa.clone(), id.clone());
        async move {
            s.call(
                "update_account",
                &[
                    ("account_id", id.as_str()),
                    ("email", "acme_user@acme.example"),
                    ("full_name", "Acme Person"),
                    ("expires_on", expires_on),
                ],
                Some(&pa),
            )
            .await
        }
    };
    expect_ok(update("2999-01-01").await).await;
    assert!(
        s.session(&user).await.is_null(),
        "a shorter life ends sessions"
    );
    expect_ok(update("").await).await;
    assert!(s.session(&user).await.is_null(), "and they stay ended");
}

async fn second_platform_admin(s: &TestServer, pa: &str, username: &str, email: &str) -> String {
    let res = s
        .call(
            "create_account",
            &[
                ("tier", "platform_admin"),
                ("username", username),
                ("email", email),
                ("full_name", "Second Root"),
                ("password", "Temp-pass1"),
            ],
            Some(pa),
        )
        .await;
    expect_ok(res).await;
    s.strings(&format!(
        "select cast(account_id as text) from accounts where username = '{username}'"
    ))
    .await[0]
        .clone()
}

async fn the_last_enabled_administrator_survives_concurrent_disables(s: &TestServer) {
    let first = s.platform_admin_session().await;
    let second_id = second_platform_admin(s, &first, "second_root", "root2@example.com").await;
    let second = s
        .sign_in_and_choose_password("second_root", "Temp-pass1")
        .await;
    let first_id = s
        .strings(&format!(
            "select cast(account_id as text) from accounts where username = '{ADMIN_USERNAME}'"
        ))
        .await[0]
        .clone();
    // Each disables the other, at the same moment.
    let disable_second = [("account_id", second_id.as_str()), ("enabled", "false")];
    let disable_first = [("account_id", first_id.as_str()), ("enabled", "false")];
    let (a, b) = tokio::join!(
        s.call("set_account_enabled", &disable_second, Some(&first)),
        s.call("set_account_enabled", &disable_first, Some(&second)),
    );
    let statuses = [a.status(), b.status()];
    // One is refused: as the last enabled administrator (409), or because the other's
    // disable already ended its session (401).
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "exactly one may succeed: {statuses:?}"
    );
    assert!(statuses.iter().all(|s| [
        StatusCode::OK,
        StatusCode::CONFLICT,
        StatusCode::UNAUTHORIZED
    ]
    .contains(s)));
    let enabled = s
        .strings(
            "select username from accounts where tier = 'platform_admin' and status <> 'disabled'",
        )
        .await;
    assert_eq!(enabled.len(), 1, "{enabled:?}");
}

async fn an_expired_administrator_does_not_count_as_enabled(s: &TestServer) {
    let pa = s.platform_admin_session().await;
    s.create_tenant_account("tenant_admin", "acme_admin", "Pass-word1")
        .await;
    s.create_tenant_account("tenant_admin", "acme_deputy", "Pass-word1")
        .await;
    let admin = s
        .strings("select cast(account_id as text) from accounts where username = 'acme_admin'")
        .await[0]
        .clone();
    // The deputy has expired (or is only invited): it cannot sign in, so it administers
    // nothing, and acme_admin is the last enabled tenant administrator of Acme.
    for deputy in ["expires_at = 1000", "status = 'invited', expires_at = null"] {
        s.sql(&format!(
            "update accounts set {deputy} where username = 'acme_deputy'"
        ))
        .await;
        for action in ["set_account_enabled", "delete_account"] {
            let mut form = vec![("account_id", admin.as_str())];
            if action == "set_account_enabled" {
                form.push(("enabled", "false"));
            }
            let res = s.call(action, &form, Some(&pa)).await;
            assert_eq!(res.status(), StatusCode::CONFLICT, "{action} with {deputy}");
            assert!(res.text().await.unwrap().contains("last enabled"));
        }
    }
    s.sql("update accounts set status = 'active' where username = 'acme_deputy'")
        .await;
    let res = s
        .call(
            "set_account_enabled",
            &[("account_id", admin.as_str()), ("enabled", "false")],
            Some(&pa),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "another one remains");
}

async fn every_page_and_api_answer_is_not_cached_and_assets_are_quiet_404s(s: &TestServer) {
    let cookie = s.platform_admin_session().await;
    for path in [
        "/",
        "/users",
        "/profile",
        "/users.csv",
        "/api/v1/me",
        "/api/v1/openapi.json",
        "/pkg/no-such-file.js",
    ] {
        let res = s.get(path, Some(&cookie)).await;
        if !path.starts_with("/pkg/") {
            assert_eq!(
                res.headers()
                    .get(CACHE_CONTROL)
                    .map(|v| v.to_str().unwrap()),
                Some("no-store"),
                "{path}"
            );
        }
        // Every answer, pages, API, assets and errors alike (ASVS V3.2.1, V3.4.4, V3.4.5).
        for (name, value) in [
            ("x-content-type-options", "nosniff"),
            ("x-frame-options", "DENY"),
            ("referrer-policy", "same-origin"),
        ] {
            assert_eq!(
                res.headers().get(name).map(|v| v.to_str().unwrap()),
                Some(value),
                "{path}: {name}"
            );
        }
    }
    let res = s.call("session", &[("", ""); 0], Some(&cookie)).await;
    assert_eq!(res.headers()[CACHE_CONTROL], "no-store");
    // Plain HTTP: no HSTS.
    assert!(res.headers().get("strict-transport-security").is_none());
    let missing = s.get("/pkg/no-such-file.js", None).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(missing.headers().get(CACHE_CONTROL).is_none());
}

async fn large_answers_are_compressed_and_small_ones_are_not(s: &TestServer) {
    let cookie = s.platform_admin_session().await;
    // (path, compressed?): a page and the API document are kilobytes; the health check and
    // `/api/v1/me` of a platform administrator's session (401: a problem) are a few bytes,
    // which gzip would only make slower.
    for (path, compressed) in [
        ("/", true),
        ("/api/v1/openapi.json", true),
        ("/healthz", false),
        ("/api/v1/me", false),
    ] {
        let res = reqwest::Client::new()
            .get(format!("{}{path}", s.running().public_url))
            .header(reqwest::header::COOKIE, &cookie)
            .header(reqwest::header::ACCEPT_ENCODING, "gzip")
            .send()
            .await
            .unwrap();
        let encoding = res
            .headers()
            .get(reqwest::header::CONTENT_ENCODING)
            .map(|v| v.to_str().unwrap().to_owned());
        let body = res.bytes().await.unwrap();
        assert_eq!(
            encoding.as_deref(),
            compressed.then_some("gzip"),
            "{path} ({} bytes sent)",
            body.len()
        );
    }
}

async fn the_cross_site_check_compares_the_scheme_too(s: &TestServer) {
    let cookie = s.platform_admin_session().await;
    let other_scheme = s.base.replace("http://", "https://");
    let res = s
        .client
        .post(format!("{}/api/sign_out_everywhere", s.base))
        .header(ORIGIN, other_scheme)
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(s.session(&cookie).await.is_object());
}

async fn a_must_change_password_session_reaches_no_page_and_no_export(s: &TestServer) {
    let pa = s.platform_admin_session().await;
    let res = s
        .call(
            "create_account",
            &[
                ("tier", "platform_admin"),
                ("username", "second_root"),
                ("email", "root2@example.com"),
                ("full_name", "Second Root"),
                ("password", "Temp-pass1"),
            ],
            Some(&pa),
        )
        .await;
    expect_ok(res).await;
    let temporary = s.sign_in("second_root", "Temp-pass1").await.unwrap();
    for path in [
        "/",
        "/users",
        "/audit",
        "/users/new",
        "/roles",
        "/tenants",
        "/settings",
    ] {
        let res = s.get(path, Some(&temporary)).await;
        assert_eq!(res.status(), StatusCode::FOUND, "{path}");
        assert_eq!(res.headers()["location"], "/change-password", "{path}");
    }
    assert_eq!(
        s.get("/change-password", Some(&temporary)).await.status(),
        StatusCode::OK
    );
    let export = s.get("/users.csv", Some(&temporary)).await;
    assert_eq!(export.status(), StatusCode::FORBIDDEN);
}

/// Hashing is bounded: beyond the running and waiting slots, sign-ins are refused at once
/// with 503 and `Retry-After`, never queued without bound.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn excess_concurrent_sign_ins_get_busy_with_retry_after() {
    let s = TestServer::start_configured(Backend::Sqlite, "", |serve| {
        serve.hash_concurrency = Some(1);
        serve.hash_queue = Some(1);
    })
    .await
    .unwrap();
    let calls = (0..24).map(|i| {
        let name = format!("nobody_{i}");
        let s = &s;
        async move {
            s.call(
                "sign_in",
                &[("username", name.as_str()), ("password", "Whatever-1")],
                None,
            )
            .await
        }
    });
    let answers = futures_util::future::join_all(calls).await;
    let busy: Vec<_> = answers
        .iter()
        .filter(|r| r.status() == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert!(!busy.is_empty(), "some sign-ins must be refused as busy");
    for r in &busy {
        assert!(r.headers().get(RETRY_AFTER).is_some());
    }
    assert!(answers.iter().all(
        |r| [StatusCode::UNAUTHORIZED, StatusCode::SERVICE_UNAVAILABLE].contains(&r.status())
    ));
    s.stop().await;
}

/// Over HTTPS: HSTS on every answer and `__Host-` cookies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_https_answers_carry_hsts_and_host_prefixed_cookies() {
    let s = TestServer::start_configured(Backend::Sqlite, "", |serve| {
        serve.public_url = Some("https://warden.example.test".into());
    })
    .await
    .unwrap();
    s.create_first_admin().await;
    let res = s
        .call(
            "sign_in",
            &[("username", ADMIN_USERNAME), ("password", ADMIN_PASSWORD)],
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res
        .headers()
        .get("strict-transport-security")
        .is_some_and(|v| v.to_str().unwrap().contains("max-age=")));
    let cookies: Vec<_> = res
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("__Host-warden_session=")),
        "{cookies:?}"
    );
    assert!(
        cookies.iter().all(|c| c.starts_with("__Host-")),
        "{cookies:?}"
    );
    let session = cookie_named(res.headers(), "__Host-warden_session").unwrap();
    assert!(s.session(&session).await.is_object());
    // The bare name is not accepted in its place.
    let bare = session.replacen("__Host-", "", 1);
    assert!(s.session(&bare).await.is_null());
    s.stop().await;
}

/// One source refused for its (name, address) pair cannot wear down the name's own limit:
/// after it has hammered away, the owner (from another address, in a new browser) still signs
/// in. Addresses come from `X-Forwarded-For`, this machine being a trusted proxy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_source_hammering_a_name_does_not_lock_it_for_others() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(s) = TestServer::start_configured(backend, "", |serve| {
            serve.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        })
        .await
        else {
            continue;
        };
        s.create_first_admin().await;
        let sign_in_from = |address: &'static str, password: &'static str| {
            let s = &s;
            async move {
                s.client
                    .post(format!("{}/api/sign_in", s.base))
                    .header(ORIGIN, &s.origin)
                    .header("x-forwarded-for", address)
                    .form(&[("username", ADMIN_USERNAME), ("password", password)])
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
        };
        for _ in 0..60 {
            sign_in_from("203.0.113.9", "Wrong-pass1").await;
        }
        assert_eq!(
            sign_in_from("203.0.113.9", ADMIN_PASSWORD).await,
            StatusCode::TOO_MANY_REQUESTS,
            "the hammering source stays refused"
        );
        assert_eq!(
            sign_in_from("198.51.100.7", ADMIN_PASSWORD).await,
            StatusCode::OK,
            "{backend:?}: the owner elsewhere is not locked out"
        );
        s.stop().await;
    }
}

/// A site as the release build leaves it: its files named by their hashes, listed in the hash
/// file, each beside its brotli and gzip forms, at `root`.
fn hashed_site(root: &std::path::Path) {
    let pkg = root.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(
        root.join("hash.txt"),
        "js: Js0hash\nwasm: Wasm0hash\ncss: Css0hash\n",
    )
    .unwrap();
    for (name, body) in [
        ("warden.Js0hash.js", "export const plain = true;"),
        ("warden.Js0hash.js.br", "brotli bytes"),
        ("warden.Js0hash.js.gz", "gzip bytes"),
        ("warden.Css0hash.css", "body { margin: 0 }"),
    ] {
        std::fs::write(pkg.join(name), body).unwrap();
    }
}

/// The release build's files (issue 14): the pages link the hashed names the hash file
/// gives; each file goes out in the best encoding the browser accepts that the build wrote,
/// with its `Content-Encoding` and `Vary`, and may be kept for a year. Without a hash file
/// (a debug build) the pages link the plain names and the browser must ask again each time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hashed_files_are_sent_precompressed_and_kept_for_a_year() {
    let site = tempfile::tempdir().unwrap();
    hashed_site(site.path());
    let root = site.path().to_path_buf();
    let s = TestServer::start_configured(Backend::Sqlite, "", move |serve| {
        serve.site_root = root;
    })
    .await
    .unwrap();
    let page = s.get("/login", None).await.text().await.unwrap();
    for linked in [
        "/pkg/warden.Css0hash.css",
        "/pkg/warden.Js0hash.js",
        "/pkg/warden.Wasm0hash.wasm",
    ] {
        assert!(page.contains(linked), "{linked} in {page}");
    }
    let fetch = |accept: &'static str| {
        let url = format!("{}/pkg/warden.Js0hash.js", s.running().public_url);
        async move {
            let res = reqwest::Client::new()
                .get(url)
                .header(reqwest::header::ACCEPT_ENCODING, accept)
                .send()
                .await
                .unwrap();
            let header = |name| {
                res.headers()
                    .get(name)
                    .map(|v: &reqwest::header::HeaderValue| v.to_str().unwrap().to_owned())
            };
            let seen = (
                res.status(),
                header(reqwest::header::CONTENT_ENCODING),
                header(CACHE_CONTROL),
                header(reqwest::header::VARY),
            );
            (seen, res.text().await.unwrap())
        }
    };
    let forever = Some("public, max-age=31536000, immutable".to_owned());
    for (accept, encoding, body) in [
        ("gzip, deflate, br, zstd", Some("br"), "brotli bytes"),
        ("gzip", Some("gzip"), "gzip bytes"),
        ("identity", None, "export const plain = true;"),
    ] {
        let ((status, sent_as, cache, vary), sent) = fetch(accept).await;
        assert_eq!(status, StatusCode::OK, "{accept}");
        assert_eq!(sent_as.as_deref(), encoding, "{accept}");
        assert_eq!(sent, body, "{accept}");
        assert_eq!(cache, forever, "{accept}");
        assert!(
            vary.is_some_and(|v| v.to_ascii_lowercase().contains("accept-encoding")),
            "{accept}: a shared cache must keep the encodings apart"
        );
    }
    // Not found: nothing to keep.
    let missing = s.get("/pkg/warden.Other0hash.js", None).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(missing.headers().get(CACHE_CONTROL).is_none());
    s.stop().await;

    // The same site without its hash file: plain names, asked for again every time.
    let plain = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(plain.path().join("pkg")).unwrap();
    std::fs::write(plain.path().join("pkg/warden.js"), "export {};").unwrap();
    let root = plain.path().to_path_buf();
    let s = TestServer::start_configured(Backend::Sqlite, "", move |serve| {
        serve.site_root = root;
    })
    .await
    .unwrap();
    let page = s.get("/login", None).await.text().await.unwrap();
    assert!(page.contains("/pkg/warden.css"), "{page}");
    assert!(page.contains("/pkg/warden.js"), "{page}");
    let res = s.get("/pkg/warden.js", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[CACHE_CONTROL], "no-cache");
    s.stop().await;
}
