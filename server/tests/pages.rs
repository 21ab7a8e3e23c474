//! No page panics, whatever the signed-in account may do (issue 12): every page route, opened
//! by accounts holding a single privilege of the catalog each (and by administrators), gets a
//! complete HTTP answer that is not a server error.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test crate

mod common;

use common::*;
use reqwest::header::{ACCEPT, COOKIE, ORIGIN};

on_both_databases!(
    every_page_answers_holders_of_any_single_privilege_without_a_server_error,
    every_server_function_answers_malformed_input_without_a_server_error,
    an_account_that_may_list_but_create_nobody_is_told_why_on_the_new_account_page,
    a_plain_form_post_goes_back_to_its_page_marked_done_or_refused,
);

/// What a browser without JavaScript gets for a form posted to a server function (issue 14):
/// a redirect back to the form's page, marked `__done=<function>` on success (so the page
/// can say "Saved.") or `__err` on refusal, never both; a function's own redirect to another
/// page is left alone.
async fn a_plain_form_post_goes_back_to_its_page_marked_done_or_refused(s: &TestServer) {
    let pa = s.platform_admin_session().await;
    let form_post =
        |function: &'static str, form: Vec<(&'static str, &'static str)>, referer: String| {
            let pa = pa.clone();
            async move {
                s.client
                    .post(format!("{}/api/{function}", s.base))
                    .header(ORIGIN, &s.origin)
                    .header(COOKIE, pa)
                    .header(ACCEPT, "text/html,application/xhtml+xml")
                    .header(reqwest::header::REFERER, referer)
                    .form(&form)
                    .send()
                    .await
                    .expect("request sent")
            }
        };
    let location = |res: &reqwest::Response| {
        assert!(res.status().is_redirection(), "{}", res.status());
        res.headers()[reqwest::header::LOCATION]
            .to_str()
            .unwrap()
            .to_owned()
    };
    // Success: back to the page as a GET, its own parameters kept, an earlier mark and the
    // passing state (an editor open) dropped.
    let page = format!(
        "{}/tenants?tenant=3&edit=7&__done=/api/update_tenant",
        s.base
    );
    let res = form_post(
        "create_tenant",
        vec![("name", "Acme"), ("mfa_policy", "optional")],
        page,
    )
    .await;
    assert_eq!(res.status(), reqwest::StatusCode::SEE_OTHER);
    assert_eq!(
        location(&res),
        "/tenants?tenant=3&__done=/api/create_tenant"
    );
    // Refusal: Leptos's `__err` for the page to show, and no `__done` beside it.
    let page = format!("{}/tenants?__done=/api/create_tenant", s.base);
    let res = form_post(
        "create_tenant",
        vec![("name", ""), ("mfa_policy", "optional")],
        page,
    )
    .await;
    assert_eq!(
        res.status(),
        reqwest::StatusCode::SEE_OTHER,
        "a refusal is a page to show, not an error status"
    );
    let refused = location(&res);
    assert!(
        refused.contains("__err=") && refused.contains("__path=%2Fapi%2Fcreate_tenant"),
        "{refused}"
    );
    assert!(!refused.contains("__done"), "{refused}");
    // A function that ends on another page keeps its own redirect.
    let res = form_post("sign_out", vec![], format!("{}/profile", s.base)).await;
    assert_eq!(location(&res), "/login");
}

async fn id_of(s: &TestServer, sql: &str) -> String {
    s.strings(sql).await.into_iter().next().expect(sql)
}

/// Every page route, with ids of accounts and roles the viewer may or may not see, ids that
/// do not exist, and malformed ones.
fn page_paths(accounts: &[&str], roles: &[&str]) -> Vec<String> {
    let mut paths: Vec<String> = [
        "/",
        "/profile",
        "/mfa",
        "/change-password",
        "/users",
        "/users?q=a&status=disabled&tier=user&sort=email&desc=1",
        "/users?page=zz&tenant=x&role=y&scope=-1&sort=nope",
        "/users/new",
        "/users/import",
        "/users/999999999",
        "/users/not-a-number",
        "/users.csv",
        "/users.csv?q=acme&tier=nope",
        "/roles",
        "/roles/999999999",
        "/roles/not-a-number",
        "/audit",
        "/audit?action=nope&from=yesterday&to=2026-99-99",
        "/audit.csv",
        "/audit.jsonl?action=nope&from=yesterday&to=2026-99-99&page=x",
        "/tenants",
        "/settings",
        "/outbox",
        "/outbox?status=nope&before=-1",
        "/outbox?status=failed&before=99999999999999999999",
        "/login",
        "/no-such-page",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    paths.extend(accounts.iter().map(|id| format!("/users/{id}")));
    paths.extend(roles.iter().map(|id| format!("/roles/{id}")));
    paths
}

/// GETs every path as `cookie`'s account; returns a line per answer that was not a complete
/// HTTP answer below 500, naming `who`.
async fn failures(s: &TestServer, who: &str, cookie: &str, paths: &[String]) -> Vec<String> {
    let mut failed = Vec::new();
    for path in paths {
        let answer = s
            .client
            .get(format!("{}{path}", s.base))
            .header(ACCEPT, "text/html,application/xhtml+xml")
            .header(COOKIE, cookie)
            .send()
            .await;
        match answer {
            Err(e) => failed.push(format!("{who}: GET {path}: no answer ({e})")),
            Ok(res) => {
                let status = res.status();
                match res.bytes().await {
                    Err(e) => failed.push(format!("{who}: GET {path}: {status}, cut short ({e})")),
                    Ok(_) if status.is_server_error() => {
                        failed.push(format!("{who}: GET {path}: {status}"))
                    }
                    Ok(_) => {}
                }
            }
        }
    }
    failed
}

async fn every_page_answers_holders_of_any_single_privilege_without_a_server_error(s: &TestServer) {
    let pa = s.platform_admin_session().await;
    let acme = s.create_tenant(&pa, "Acme").await;
    s.create_tenant_account("tenant_admin", "acme_admin", "Pass-word1")
        .await;
    s.create_tenant_account("user", "probe_user", "Pass-word1")
        .await;
    s.create_tenant_account("user", "colleague", "Pass-word1")
        .await;
    s.create_tenant_account("service_account", "acme_robot", "Pass-word1")
        .await;
    s.sql(&format!(
        "insert into roles (tenant_id, name, description, kind, created_at, updated_at) \
         values ({acme}, 'Probe', '', 'custom', 0, 0)"
    ))
    .await;
    let probe_role = id_of(
        s,
        &format!(
            "select cast(role_id as text) from roles where tenant_id = {acme} and name = 'Probe'"
        ),
    )
    .await;
    let admins_role = id_of(
        s,
        &format!(
            "select cast(role_id as text) from roles where tenant_id = {acme} and kind = 'administrators'"
        ),
    )
    .await;
    let account = |name: &'static str| async move {
        id_of(
            s,
            &format!("select cast(account_id as text) from accounts where username = '{name}'"),
        )
        .await
    };
    let probe = account("probe_user").await;
    let accounts = [
        probe.clone(),
        account("colleague").await,
        account("acme_admin").await,
        account("acme_robot").await,
        account(ADMIN_USERNAME).await,
    ];
    s.sql(&format!(
        "insert into role_assignments (account_id, role_id, scope_id, created_at) \
         values ({probe}, {probe_role}, null, 0)"
    ))
    .await;
    let accounts: Vec<&str> = accounts.iter().map(String::as_str).collect();
    let paths = page_paths(&accounts, &[&probe_role, &admins_role]);

    let mut failed = failures(s, "platform administrator", &pa, &paths).await;
    let tenant_admin = s.sign_in("acme_admin", "Pass-word1").await.unwrap();
    failed.extend(failures(s, "tenant administrator", &tenant_admin, &paths).await);
    // One account, one role: its single privilege changes between rounds, which the server
    // sees on the next request (SPEC §2.2), exactly as a fresh account holding that role.
    let user = s.sign_in("probe_user", "Pass-word1").await.unwrap();
    failed.extend(failures(s, "user holding no privilege", &user, &paths).await);
    let catalog = app::access::Catalog::builtin();
    let mut rounds = 0;
    for privilege in catalog.privileges() {
        let key = catalog
            .key(privilege)
            .expect("a built-in privilege has a key");
        s.sql(&format!(
            "delete from role_privileges where role_id = {probe_role}"
        ))
        .await;
        s.sql(&format!(
            "insert into role_privileges (role_id, privilege) values ({probe_role}, '{key}')"
        ))
        .await;
        let who = format!("user holding only {}", catalog.label(privilege));
        failed.extend(failures(s, &who, &user, &paths).await);
        rounds += 1;
    }
    assert!(
        rounds > 20,
        "the whole catalog was tried ({rounds} privileges)"
    );
    assert!(
        failed.is_empty(),
        "{} answers failed:\n{}",
        failed.len(),
        failed.join("\n")
    );
}

async fn an_account_that_may_list_but_create_nobody_is_told_why_on_the_new_account_page(
    s: &TestServer,
) {
    let pa = s.platform_admin_session().await;
    let acme = s.create_tenant(&pa, "Acme").await;
    s.create_tenant_account("user", "team_manager", "Pass-word1")
        .await;
    s.sql(&format!(
        "insert into roles (tenant_id, name, description, kind, created_at, updated_at) \
         values ({acme}, 'Managers', '', 'custom', 0, 0)"
    ))
    .await;
    let role = id_of(
        s,
        &format!("select cast(role_id as text) from roles where tenant_id = {acme} and name = 'Managers'"),
    )
    .await;
    s.sql(&format!(
        "insert into role_privileges (role_id, privilege) values ({role}, 'security.users:view')"
    ))
    .await;
    s.sql(&format!(
        "insert into role_assignments (account_id, role_id, scope_id, created_at) \
         select account_id, {role}, null, 0 from accounts where username = 'team_manager'"
    ))
    .await;
    let manager = s.sign_in("team_manager", "Pass-word1").await.unwrap();
    for path in ["/users/new", "/users/import"] {
        let res = s.get(path, Some(&manager)).await;
        assert_eq!(res.status(), reqwest::StatusCode::OK, "{path}");
        let page = res.text().await.unwrap();
        assert!(
            page.contains("role=\"alert\"") && page.contains("Users: Edit"),
            "{path} explains what is missing: {page}"
        );
        assert!(
            !page.contains("Create account") && !page.contains("type=\"file\""),
            "{path} offers nothing"
        );
    }
    // The list offers neither.
    let list = s.get("/users", Some(&manager)).await.text().await.unwrap();
    assert!(!list.contains("href=\"/users/new\""));
    assert!(!list.contains("href=\"/users/import\""));
}

/// Every server function's endpoint, read from its declaration, so that a new one is covered
/// without being listed here.
fn endpoints() -> Vec<String> {
    // Every module of the server functions, so that a new one is covered too.
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../app/src/api");
    let api: String = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
        .collect();
    api.split("endpoint = \"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

async fn every_server_function_answers_malformed_input_without_a_server_error(s: &TestServer) {
    let pa = s.platform_admin_session().await;
    s.create_tenant(&pa, "Acme").await;
    s.create_tenant_account("user", "plain_user", "Pass-word1")
        .await;
    let user = s.sign_in("plain_user", "Pass-word1").await.unwrap();
    let names = endpoints();
    assert!(names.len() > 30, "{names:?}");
    let junk_form: Vec<(&str, &str)> = vec![
        ("account_id", "not-a-number"),
        ("tenant_id", "-1"),
        ("role_id", "99999999999999999999"),
        ("scope_id", ""),
        ("enabled", "maybe"),
        ("active", "2"),
        ("username", "\u{0}"),
        ("email", "@@"),
        ("code", "🙂"),
        ("token", ""),
        ("query", "{"),
    ];
    let mut failed = Vec::new();
    // Signing out last: it ends the session the other calls use.
    let (last, first): (Vec<&String>, Vec<&String>) =
        names.iter().partition(|n| n.starts_with("sign_out"));
    for (who, cookie) in [
        ("user", Some(user.as_str())),
        ("anonymous", None),
        ("platform administrator", Some(pa.as_str())),
    ] {
        for name in first.iter().chain(last.iter()) {
            let url = format!("{}/api/{name}", s.base);
            let request = || {
                let req = s.client.post(&url).header(ORIGIN, &s.base);
                match cookie {
                    Some(c) => req.header(COOKIE, c),
                    None => req,
                }
            };
            let attempts = [
                ("empty form", request().form(&[("", ""); 0])),
                ("junk form", request().form(&junk_form)),
                ("JSON {}", request().json(&serde_json::json!({}))),
                ("JSON string", request().json(&serde_json::json!("junk"))),
                (
                    "JSON nulls",
                    request()
                        .json(&serde_json::json!({ "query": null, "form": null, "rows": null })),
                ),
            ];
            for (what, req) in attempts {
                match req.send().await {
                    Err(e) => failed.push(format!("{who}: {name} ({what}): no answer ({e})")),
                    Ok(res) => {
                        let status = res.status();
                        match res.bytes().await {
                            Err(e) => {
                                failed.push(format!("{who}: {name} ({what}): cut short ({e})"))
                            }
                            Ok(_) if status.is_server_error() => {
                                failed.push(format!("{who}: {name} ({what}): {status}"))
                            }
                            Ok(_) => {}
                        }
                    }
                }
            }
        }
    }
    assert!(
        failed.is_empty(),
        "{} answers failed:\n{}",
        failed.len(),
        failed.join("\n")
    );
}
