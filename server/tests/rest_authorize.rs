//! The REST authorization endpoint and effective access (issue 13 §3), on both databases:
//! its decisions and explanations are the console's, per scope, for every kind of account;
//! the caller must see the account; the batch limit.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test crate

mod common;
mod rest_support;

use common::*;
use reqwest::{Method, StatusCode};
use rest_support::*;
use serde_json::{json, Value};

on_both_databases!(
    a_role_granting_users_view_allows_view_and_not_edit_as_the_console_explains,
    an_object_grant_on_a_scope_allows_in_that_scope_only,
    the_account_is_found_by_id_username_or_external_id_in_the_callers_tenant_only,
    an_account_that_cannot_act_is_refused_whatever_it_asks,
    the_caller_must_see_accounts_and_asks_only_about_real_privileges,
    a_batch_answers_in_order_and_holds_at_most_a_hundred_questions,
    a_single_answer_skips_compression_and_a_batch_of_a_hundred_is_compressed,
    effective_access_is_the_account_pages_as_json,
    answers_and_accounts_kept_in_memory_follow_changes_made_elsewhere_within_two_seconds,
);

async fn ask(s: &TestServer, token: &str, question: Value) -> (StatusCode, Value) {
    let res = api(
        s,
        Method::POST,
        "/api/v1/authorize",
        Some(token),
        Some(&question),
    )
    .await;
    let status = res.status();
    (status, res.json().await.unwrap())
}

/// The console's explanation of `label` for `account` in place `place` (0: tenant-wide),
/// as the platform administrator sees it on the account's page.
async fn console_says(
    s: &TestServer,
    pa: &str,
    account: i64,
    place: usize,
    label: &str,
) -> (bool, String) {
    let res = s
        .call(
            "get_account_access",
            &[("account_id", account.to_string())],
            Some(pa),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let access: Value = res.json().await.unwrap();
    let p = access["places"][place]["privileges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["label"] == label)
        .unwrap_or_else(|| panic!("{label}"))
        .clone();
    (
        p["held"].as_bool().unwrap(),
        p["why"].as_str().unwrap().to_owned(),
    )
}

/// Tenant Acme's robot may see people; `alice` (a user of Acme) holds "Viewers".
async fn alice_the_viewer(s: &TestServer) -> (String, String, String, i64) {
    let (pa, acme, token) = world(s, &["security.users:view"]).await;
    add_account(s, "Acme", "user", "alice").await;
    let alice = account_id(s, "alice").await;
    let viewers = new_role(s, &pa, &acme, "Viewers", &["security.users:view"], &[]).await;
    assign(s, &pa, alice, viewers, None).await;
    (pa, acme, token, alice)
}

async fn a_role_granting_users_view_allows_view_and_not_edit_as_the_console_explains(
    s: &TestServer,
) {
    let (pa, _, token, alice) = alice_the_viewer(s).await;
    let q = |action: &str| json!({ "account": { "id": alice }, "resource": "security.users", "action": action });
    let (status, view) = ask(s, &token, q("view")).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["allowed"], true);
    assert!(view["code"].is_null());
    assert_eq!(
        view["explanation"],
        "Allowed: through the role “Viewers” (assigned tenant-wide), which grants it."
    );
    let (_, edit) = ask(s, &token, q("edit")).await;
    assert_eq!(edit["allowed"], false);
    assert_eq!(edit["code"], "lacks_privilege");
    // The console's account page says the same, word for word.
    for (answer, label) in [(&view, "Users: View"), (&edit, "Users: Edit")] {
        let (held, why) = console_says(s, &pa, alice, 0, label).await;
        assert_eq!(answer["allowed"], held, "{label}");
        assert_eq!(answer["explanation"], why, "{label}");
    }
    // A change of roles, made in the console, is seen on the very next question (nothing
    // cached of alice is used after it).
    let viewers = s
        .strings("select cast(role_id as text) from roles where name = 'Viewers'")
        .await
        .remove(0);
    let alice_id = alice.to_string();
    let form = [
        ("account_id", alice_id.as_str()),
        ("role_id", viewers.as_str()),
    ];
    let res = s.call("unassign_role", &form, Some(&pa)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let (_, view) = ask(s, &token, q("view")).await;
    assert_eq!(view["allowed"], false);
}

async fn an_object_grant_on_a_scope_allows_in_that_scope_only(s: &TestServer) {
    let (pa, acme, token) = world(s, &["security.users:view"]).await;
    add_account(s, "Acme", "user", "alice").await;
    let alice = account_id(s, "alice").await;
    let north = new_scope(s, &pa, &acme, "North").await;
    let south = new_scope(s, &pa, &acme, "South").await;
    let role = new_role(
        s,
        &pa,
        &acme,
        "Approvers",
        &[],
        &[(north, "operations.workspaces:approve")],
    )
    .await;
    assign(s, &pa, alice, role, None).await;
    let q = |scope: Option<i64>| {
        json!({ "account": { "username": "alice" }, "resource": "operations.workspaces",
                "action": "view", "scope": scope })
    };
    let (_, tenant_wide) = ask(s, &token, q(None)).await;
    assert_eq!(tenant_wide["allowed"], false, "{tenant_wide}");
    let (_, in_north) = ask(s, &token, q(Some(north))).await;
    assert_eq!(in_north["allowed"], true, "{in_north}");
    assert_eq!(
        in_north["explanation"],
        "Allowed: through the role “Approvers” (assigned tenant-wide), which is granted it on this scope."
    );
    let (_, in_south) = ask(s, &token, q(Some(south))).await;
    assert_eq!(in_south["allowed"], false);
    assert_eq!(in_south["code"], "lacks_privilege");
    // The console agrees, place by place (North is the first scope, South the second).
    assert!(console_says(s, &pa, alice, 1, "Workspaces: View").await.0);
    assert!(!console_says(s, &pa, alice, 2, "Workspaces: View").await.0);
    // A role assigned for South only counts in South.
    let editors = new_role(
        s,
        &pa,
        &acme,
        "Editors",
        &["operations.workspaces:edit"],
        &[],
    )
    .await;
    assign(s, &pa, alice, editors, Some(south)).await;
    let (_, in_south) = ask(s, &token, q(Some(south))).await;
    assert_eq!(in_south["allowed"], true);
    assert_eq!(
        in_south["explanation"],
        "Allowed: through the role “Editors” (assigned for scope “South”), which grants Edit, and Edit implies it."
    );
    let (_, tenant_wide) = ask(s, &token, q(None)).await;
    assert_eq!(tenant_wide["allowed"], false);
    // A scope of another tenant, or none, is not a scope of the account's tenant.
    let globex = s
        .strings("select cast(tenant_id as text) from tenants where name = 'Globex'")
        .await;
    let elsewhere = new_scope(s, &pa, &globex[0], "Elsewhere").await;
    for scope in [elsewhere, south + 1000] {
        let (status, body) = ask(s, &token, q(Some(scope))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body["errors"]["scope"].is_array(), "{body}");
    }
}

async fn the_account_is_found_by_id_username_or_external_id_in_the_callers_tenant_only(
    s: &TestServer,
) {
    let (_, _, token, alice) = alice_the_viewer(s).await;
    s.sql_seen(&format!(
        "update accounts set external_id = 'hr7' where account_id = {alice}"
    ))
    .await;
    let mut answers = Vec::new();
    for account in [
        json!({ "id": alice }),
        json!({ "username": "ALICE" }),
        json!({ "external_id": "hr7" }),
    ] {
        let (status, answer) = ask(
            s,
            &token,
            json!({ "account": account, "resource": "security.users", "action": "view" }),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{account}: {answer}");
        answers.push(answer);
    }
    assert!(
        answers
            .iter()
            .all(|a| a == &answers[0] && a["allowed"] == true),
        "{answers:?}"
    );
    // Another tenant's account, by any name, and a missing one: the same 404.
    s.sql_seen("update accounts set external_id = 'gx1' where username = 'stranger'")
        .await;
    let stranger = account_id(s, "stranger").await;
    let mut bodies = Vec::new();
    for account in [
        json!({ "id": stranger }),
        json!({ "username": "stranger" }),
        json!({ "external_id": "gx1" }),
        json!({ "id": stranger + 1000 }),
        json!({ "username": "nobody" }),
    ] {
        let res = api(
            s,
            Method::POST,
            "/api/v1/authorize",
            Some(&token),
            Some(&json!({ "account": account, "resource": "security.users", "action": "view" })),
        )
        .await;
        bodies.push(problem(res, StatusCode::NOT_FOUND, "not_found").await);
    }
    assert!(bodies.iter().all(|b| b == &bodies[0]));
    // The platform administrator is in no tenant: not the robot's to ask about.
    let (status, _) = ask(s, &token, json!({ "account": { "username": ADMIN_USERNAME }, "resource": "security.users", "action": "view" })).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Naming the account twice over is a field error.
    let (status, body) = ask(s, &token, json!({ "account": { "id": alice, "username": "alice" }, "resource": "security.users", "action": "view" })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["errors"]["account"].is_array(), "{body}");
}

async fn an_account_that_cannot_act_is_refused_whatever_it_asks(s: &TestServer) {
    let (_, _, token, alice) = alice_the_viewer(s).await;
    add_account(s, "Acme", "tenant_admin", "boss").await;
    let q = |who: &str| json!({ "account": { "username": who }, "resource": "security.users", "action": "delete" });
    let (_, boss) = ask(s, &token, q("boss")).await;
    assert_eq!(boss["allowed"], true, "{boss}");
    assert_eq!(
        boss["explanation"],
        "Allowed: tenant administrators hold every privilege in their own tenant."
    );
    s.sql_seen(&format!(
        "update accounts set status = 'disabled' where account_id = {alice}"
    ))
    .await;
    let (_, view) = ask(
        s,
        &token,
        json!({ "account": { "id": alice }, "resource": "security.users", "action": "view" }),
    )
    .await;
    assert_eq!(
        (view["allowed"].clone(), view["code"].clone()),
        (json!(false), json!("account_disabled"))
    );
    s.sql_seen("update accounts set expires_at = 1 where username = 'boss'")
        .await;
    let (_, boss) = ask(s, &token, q("boss")).await;
    assert_eq!(boss["code"], "account_expired");
    // A sensitive privilege needs a sign-in with MFA, as in the console.
    s.sql_seen("update accounts set expires_at = null where username = 'boss'")
        .await;
    let run = |mfa: bool| json!({ "account": { "username": "boss" }, "resource": "operations.active_response", "action": "run", "mfa": mfa });
    let (_, without) = ask(s, &token, run(false)).await;
    assert_eq!(without["code"], "needs_mfa", "{without}");
    let (_, with) = ask(s, &token, run(true)).await;
    assert_eq!(with["allowed"], true, "{with}");
}

async fn the_caller_must_see_accounts_and_asks_only_about_real_privileges(s: &TestServer) {
    let (pa, acme, token) = world(s, &[]).await;
    add_account(s, "Acme", "user", "alice").await;
    let question = json!({ "account": { "username": "alice" }, "resource": "security.users", "action": "view" });
    let res = api(
        s,
        Method::POST,
        "/api/v1/authorize",
        Some(&token),
        Some(&question),
    )
    .await;
    problem(res, StatusCode::FORBIDDEN, "lacks_privilege").await;
    let batch = json!({ "questions": [question] });
    let res = api(
        s,
        Method::POST,
        "/api/v1/authorize/batch",
        Some(&token),
        Some(&batch),
    )
    .await;
    problem(res, StatusCode::FORBIDDEN, "lacks_privilege").await;
    // Seeing people is not seeing service accounts.
    let viewers = new_role(s, &pa, &acme, "Viewers", &["security.users:view"], &[]).await;
    assign(s, &pa, account_id(s, "robot").await, viewers, None).await;
    let (status, _) = ask(s, &token, question.clone()).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = ask(s, &token, json!({ "account": { "username": "robot" }, "resource": "security.users", "action": "view" })).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for (resource, action) in [
        ("security.users", "fly"),
        ("security.nothing", "view"),
        ("security", "view"),
        ("", ""),
    ] {
        let (status, body) = ask(
            s,
            &token,
            json!({ "account": { "username": "alice" }, "resource": resource, "action": action }),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{resource}:{action}: {body}"
        );
        assert!(body["errors"]["resource"].is_array(), "{body}");
    }
    let (status, body) = ask(
        s,
        &token,
        json!({ "account": { "username": "alice" }, "resource": "security", "action": "admin" }),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a module privilege is asked with admin: {body}"
    );
    let (status, _) = ask(
        s,
        &token,
        json!({ "account": { "username": "alice" }, "resource": "security.users" }),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a missing field");
}

async fn a_batch_answers_in_order_and_holds_at_most_a_hundred_questions(s: &TestServer) {
    let (_, _, token, alice) = alice_the_viewer(s).await;
    let q = |action: &str| json!({ "account": { "id": alice }, "resource": "security.users", "action": action });
    let batch = json!({ "questions": [q("view"), q("edit"), q("view")] });
    let res = api(
        s,
        Method::POST,
        "/api/v1/authorize/batch",
        Some(&token),
        Some(&batch),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    let allowed: Vec<bool> = body["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["allowed"].as_bool().unwrap())
        .collect();
    assert_eq!(allowed, [true, false, true]);
    let (_, single) = ask(s, &token, q("edit")).await;
    assert_eq!(
        body["answers"][1], single,
        "a batch answers as single questions do"
    );
    let hundred = json!({ "questions": vec![q("view"); 100] });
    let res = api(
        s,
        Method::POST,
        "/api/v1/authorize/batch",
        Some(&token),
        Some(&hundred),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["answers"].as_array().unwrap().len(), 100);
    let too_many = json!({ "questions": vec![q("view"); 101] });
    let res = api(
        s,
        Method::POST,
        "/api/v1/authorize/batch",
        Some(&token),
        Some(&too_many),
    )
    .await;
    let body = problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid").await;
    assert!(body["errors"]["questions"].is_array(), "{body}");
    // A question that cannot be answered is named by its place.
    let bad = json!({ "questions": [q("view"), q("fly"), { "account": { "id": alice + 1000 }, "resource": "security.users", "action": "view" }] });
    let res = api(
        s,
        Method::POST,
        "/api/v1/authorize/batch",
        Some(&token),
        Some(&bad),
    )
    .await;
    let body = problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid").await;
    assert!(body["errors"]["questions[1].resource"].is_array(), "{body}");
    assert!(body["errors"]["questions[2].account"].is_array(), "{body}");
}

/// A single answer is a few hundred bytes and is sent as it is (it skips the compression
/// layer, which would not have compressed it either: the difference is time only); a
/// hundred answers are kilobytes, and are compressed for a client that accepts gzip.
async fn a_single_answer_skips_compression_and_a_batch_of_a_hundred_is_compressed(s: &TestServer) {
    let (_, _, token, alice) = alice_the_viewer(s).await;
    let q = json!({ "account": { "id": alice }, "resource": "security.users", "action": "view" });
    let send = |path: &'static str, body: Value| {
        reqwest::Client::new()
            .post(format!("{}{path}", s.base))
            .bearer_auth(&token)
            .header(reqwest::header::ACCEPT_ENCODING, "gzip")
            .json(&body)
            .send()
    };
    let header = |res: &reqwest::Response, name| {
        res.headers()
            .get(name)
            .map(|v: &reqwest::header::HeaderValue| v.to_str().unwrap().to_ascii_lowercase())
    };
    let one = send("/api/v1/authorize", q.clone()).await.unwrap();
    assert_eq!(one.status(), StatusCode::OK);
    assert_eq!(header(&one, reqwest::header::CONTENT_ENCODING), None);
    assert_eq!(header(&one, reqwest::header::VARY), None);
    let answer: Value = one.json().await.unwrap();
    assert_eq!(answer["allowed"], true, "{answer}");
    let batch = send(
        "/api/v1/authorize/batch",
        json!({ "questions": vec![q; 100] }),
    )
    .await
    .unwrap();
    assert_eq!(batch.status(), StatusCode::OK);
    assert_eq!(
        header(&batch, reqwest::header::CONTENT_ENCODING).as_deref(),
        Some("gzip")
    );
    assert_eq!(
        header(&batch, reqwest::header::VARY).as_deref(),
        Some("accept-encoding")
    );
}

async fn effective_access_is_the_account_pages_as_json(s: &TestServer) {
    let (pa, acme, token, alice) = alice_the_viewer(s).await;
    let north = new_scope(s, &pa, &acme, "North").await;
    let approvers = new_role(
        s,
        &pa,
        &acme,
        "Approvers",
        &[],
        &[(north, "operations.workspaces:approve")],
    )
    .await;
    assign(s, &pa, alice, approvers, Some(north)).await;
    let res = api(
        s,
        Method::GET,
        &format!("/api/v1/users/{alice}/access"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let access: Value = res.json().await.unwrap();
    assert_eq!(access["account_id"], alice);
    assert_eq!(access["takes_roles"], true);
    let roles: Vec<(String, Value)> = access["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["role_name"].as_str().unwrap().to_owned(),
                a["scope"]["name"].clone(),
            )
        })
        .collect();
    assert_eq!(
        roles,
        [
            ("Viewers".to_owned(), Value::Null),
            ("Approvers".to_owned(), json!("North"))
        ]
    );
    let held = |place: usize, key: &str| -> (bool, String) {
        let p = access["places"][place]["privileges"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["privilege"] == key)
            .unwrap_or_else(|| panic!("{key}"));
        (
            p["held"].as_bool().unwrap(),
            p["why"].as_str().unwrap().to_owned(),
        )
    };
    assert_eq!(access["places"][1]["scope"]["name"], "North");
    assert_eq!(
        held(0, "security.users:view"),
        console_says(s, &pa, alice, 0, "Users: View").await
    );
    assert!(!held(0, "operations.workspaces:view").0);
    assert!(held(1, "operations.workspaces:view").0);
    // Every key it lists is one the authorize endpoint takes.
    let (key_resource, key_action) = ("operations.workspaces", "approve");
    let (_, answer) = ask(s, &token, json!({ "account": { "id": alice }, "resource": key_resource, "action": key_action, "scope": north })).await;
    assert_eq!(
        answer["allowed"],
        held(1, "operations.workspaces:approve").0
    );
    let stranger = account_id(s, "stranger").await;
    let res = api(
        s,
        Method::GET,
        &format!("/api/v1/users/{stranger}/access"),
        Some(&token),
        None,
    )
    .await;
    problem(res, StatusCode::NOT_FOUND, "not_found").await;
}

/// What the endpoint keeps in memory (the account asked about, its holdings, a scope's name,
/// an account's detail) follows a change made by another instance (here: in the database,
/// with the audit record every change writes) within two seconds, though this instance
/// answered from memory just before; and a change made here on the very next request.
async fn answers_and_accounts_kept_in_memory_follow_changes_made_elsewhere_within_two_seconds(
    s: &TestServer,
) {
    let (pa, acme, token, alice) = alice_the_viewer(s).await;
    let question = json!({ "account": { "username": "alice" }, "resource": "security.users", "action": "view" });
    let user = format!("/api/v1/users/{alice}");
    for _ in 0..3 {
        assert_eq!(ask(s, &token, question.clone()).await.1["allowed"], true);
        assert_eq!(
            s.api_get(&user, Some(&token)).await.status(),
            StatusCode::OK
        );
    }
    let within = std::time::Duration::from_secs(2);
    let until = |what: &'static str| {
        let started = std::time::Instant::now();
        move || {
            assert!(
                started.elapsed() < within,
                "{what}: not seen within {within:?}"
            );
        }
    };

    s.changed_elsewhere(&format!(
        "delete from role_assignments where account_id = {alice}"
    ))
    .await;
    let check = until("a role taken away elsewhere");
    while ask(s, &token, question.clone()).await.1["allowed"] == true {
        check();
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    s.changed_elsewhere(&format!(
        "update accounts set full_name = 'Alice Elsewhere' where account_id = {alice}"
    ))
    .await;
    let check = until("a name changed elsewhere");
    loop {
        let body: Value = s.api_get(&user, Some(&token)).await.json().await.unwrap();
        if body["full_name"] == "Alice Elsewhere" {
            break;
        }
        check();
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // A scope's name, asked about, then renamed elsewhere.
    let north = new_scope(s, &pa, &acme, "North").await;
    let in_north = json!({ "account": { "id": alice }, "resource": "security.users", "action": "view", "scope": north });
    let (status, answer) = ask(s, &token, in_north.clone()).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    s.changed_elsewhere(&format!("delete from scopes where scope_id = {north}"))
        .await;
    let check = until("a scope deleted elsewhere");
    while ask(s, &token, in_north.clone()).await.0 == StatusCode::OK {
        check();
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
