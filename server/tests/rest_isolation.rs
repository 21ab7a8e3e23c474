//! Tenant isolation of the REST API (issue 13, "Tests and figures"): a service account of
//! Acme holding every privilege of its tenant calls every route of the API with Globex's ids.
//! Another tenant's id answers exactly like an id nobody has (status and body, byte for
//! byte: nothing to probe); what names a tenant acts in the caller's own; lists and the
//! trail show nothing of Globex; nothing of Globex changes. The routes are read from the
//! OpenAPI document: a route without its line in [`COVERED`] fails the test, and so does a
//! route whose line says it takes ids when no call below used it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test crate

mod common;
mod rest_support;

use common::*;
use reqwest::{Method, StatusCode};
use rest_support::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;

on_both_databases!(every_route_keeps_to_the_callers_tenant,);

/// How each route is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    /// It names objects by id (in its path, query or body): called with Globex's and with
    /// ids nobody has, it answers the same.
    Ids,
    /// It names a tenant: what it makes is the caller's tenant's.
    OwnTenant,
    /// It lists or exports: nothing of Globex, whatever the filters say.
    Lists,
    /// It takes no id of anything a tenant holds.
    NoId,
}

/// Every route of the REST API, as the OpenAPI document writes it, and how it is checked.
const COVERED: &[(&str, &str, Check)] = &[
    ("get", "/api/v1/openapi.json", Check::NoId),
    ("get", "/api/v1/me", Check::NoId),
    ("get", "/api/v1/tenant", Check::NoId), // the caller's own tenant, by its credential
    ("put", "/api/v1/tenant", Check::NoId),
    ("post", "/oauth/token", Check::NoId), // a client is named by its own secret only
    ("get", "/api/v1/users", Check::Ids),  // the role and scope filters
    ("post", "/api/v1/users", Check::OwnTenant),
    ("get", "/api/v1/users/{id}", Check::Ids),
    ("put", "/api/v1/users/{id}", Check::Ids),
    ("delete", "/api/v1/users/{id}", Check::Ids),
    ("post", "/api/v1/users/{id}/disable", Check::Ids),
    ("post", "/api/v1/users/{id}/enable", Check::Ids),
    ("post", "/api/v1/users/{id}/sessions/end", Check::Ids),
    ("post", "/api/v1/users/{id}/mfa/reset", Check::Ids),
    ("get", "/api/v1/users/{id}/access", Check::Ids),
    ("post", "/api/v1/users/{id}/roles", Check::Ids),
    ("delete", "/api/v1/users/{id}/roles/{role_id}", Check::Ids),
    ("get", "/api/v1/roles", Check::Lists),
    ("post", "/api/v1/roles", Check::OwnTenant),
    ("get", "/api/v1/roles/{id}", Check::Ids),
    ("put", "/api/v1/roles/{id}", Check::Ids),
    ("delete", "/api/v1/roles/{id}", Check::Ids),
    ("post", "/api/v1/scopes", Check::OwnTenant),
    ("get", "/api/v1/scopes/{id}", Check::Ids),
    ("put", "/api/v1/scopes/{id}", Check::Ids),
    ("delete", "/api/v1/scopes/{id}", Check::Ids),
    ("post", "/api/v1/authorize", Check::Ids),
    ("post", "/api/v1/authorize/batch", Check::Ids),
    ("get", "/api/v1/audit", Check::Lists),
    ("get", "/api/v1/audit/export", Check::Lists),
];

/// One call: the route it exercises, and the request.
struct Call {
    route: (&'static str, &'static str),
    method: Method,
    path: String,
    body: Option<Value>,
}

fn call(route: (&'static str, &'static str), path: String, body: Option<Value>) -> Call {
    Call {
        route,
        method: Method::from_bytes(route.0.to_uppercase().as_bytes()).unwrap(),
        path,
        body,
    }
}

/// Sends `c` as `token` (updates with `If-Match: *`, so that the ETag is not what refuses).
async fn send(s: &TestServer, token: &str, c: &Call) -> (StatusCode, String) {
    let mut req = s
        .client
        .request(c.method.clone(), format!("{}{}", s.base, c.path))
        .bearer_auth(token);
    if c.method == Method::PUT {
        req = req.header("if-match", "*");
    }
    if let Some(body) = &c.body {
        req = req.json(body);
    }
    let res = req.send().await.unwrap();
    (res.status(), res.text().await.unwrap())
}

/// Everything of Globex a call could change, as text.
async fn globex_now(s: &TestServer, globex: &str) -> Vec<String> {
    let mut rows = Vec::new();
    for query in [
        format!("select username || status || email || full_name || cast(updated_at as text) from accounts where tenant_id = {globex} order by 1"),
        format!("select name || description || cast(updated_at as text) from roles where tenant_id = {globex} order by 1"),
        format!("select name || description from scopes where tenant_id = {globex} order by 1"),
        format!("select cast(a.account_id as text) || '/' || cast(a.role_id as text) from role_assignments a join accounts c on c.account_id = a.account_id where c.tenant_id = {globex} order by 1"),
        format!("select p.privilege from role_privileges p join roles r on r.role_id = p.role_id where r.tenant_id = {globex} order by 1"),
        format!("select cast(count(*) as text) from sessions s join accounts c on c.account_id = s.account_id where c.tenant_id = {globex}"),
    ] {
        rows.extend(s.strings(&query).await);
    }
    rows
}

async fn every_route_keeps_to_the_callers_tenant(s: &TestServer) {
    let (pa, acme, token) = world(s, &["security:admin", "audit:admin"]).await;
    let globex = s
        .strings("select cast(tenant_id as text) from tenants where name = 'Globex'")
        .await
        .remove(0);
    let stranger = account_id(s, "stranger").await;
    let their_role = new_role(s, &pa, &globex, "Their secret role", &[], &[]).await;
    let their_scope = new_scope(s, &pa, &globex, "Their secret scope").await;
    assign(s, &pa, stranger, their_role, None).await;
    s.sql(&format!(
        "update accounts set external_id = 'gx-1' where account_id = {stranger}"
    ))
    .await;
    add_account(s, "Acme", "user", "ann").await;
    let ann = account_id(s, "ann").await;
    let our_role = new_role(s, &pa, &acme, "Ours", &[], &[]).await;
    let our_scope = new_scope(s, &pa, &acme, "Our scope").await;
    assign(s, &pa, ann, our_role, None).await;
    // Ids nobody has.
    let (no_account, no_role, no_scope) = (stranger + 1000, their_role + 1000, their_scope + 1000);
    let before = globex_now(s, &globex).await;

    // The document's routes are exactly those listed here.
    let doc: Value = api(s, Method::GET, "/api/v1/openapi.json", None, None)
        .await
        .json()
        .await
        .unwrap();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                documented.insert((method.clone(), path.clone()));
            }
        }
    }
    let listed: BTreeSet<(String, String)> = COVERED
        .iter()
        .map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(
        documented, listed,
        "every route of the API needs its line in COVERED (and no other line)"
    );

    // Pairs of calls: Globex's ids, then ids nobody has. Each must answer the same.
    let user = json!({ "email": "x@example.com", "full_name": "X" });
    let role = json!({ "name": "Renamed", "privileges": [] });
    let scope = json!({ "name": "Renamed" });
    let ask = |account: Value| json!({ "account": account, "resource": "security.users", "action": "view" });
    let batch = |account: Value| json!({ "questions": [ask(account)] });
    let mut pairs: Vec<(Call, Call)> = Vec::new();
    for (route, tail, body) in [
        (("get", "/api/v1/users/{id}"), "", None),
        (("put", "/api/v1/users/{id}"), "", Some(user.clone())),
        (("delete", "/api/v1/users/{id}"), "", None),
        (("post", "/api/v1/users/{id}/disable"), "/disable", None),
        (("post", "/api/v1/users/{id}/enable"), "/enable", None),
        (
            ("post", "/api/v1/users/{id}/sessions/end"),
            "/sessions/end",
            None,
        ),
        (("post", "/api/v1/users/{id}/mfa/reset"), "/mfa/reset", None),
        (("get", "/api/v1/users/{id}/access"), "/access", None),
        (
            ("post", "/api/v1/users/{id}/roles"),
            "/roles",
            Some(json!({ "role_id": our_role })),
        ),
    ] {
        pairs.push((
            call(
                route,
                format!("/api/v1/users/{stranger}{tail}"),
                body.clone(),
            ),
            call(route, format!("/api/v1/users/{no_account}{tail}"), body),
        ));
    }
    let assign_route = ("post", "/api/v1/users/{id}/roles");
    let unassign_route = ("delete", "/api/v1/users/{id}/roles/{role_id}");
    let list_route = ("get", "/api/v1/users");
    for (theirs, nobodys) in [
        (
            json!({ "role_id": their_role }),
            json!({ "role_id": no_role }),
        ),
        (
            json!({ "role_id": our_role, "scope_id": their_scope }),
            json!({ "role_id": our_role, "scope_id": no_scope }),
        ),
        (
            json!({ "role_id": their_role, "scope_id": our_scope }),
            json!({ "role_id": no_role, "scope_id": our_scope }),
        ),
    ] {
        let path = format!("/api/v1/users/{ann}/roles");
        pairs.push((
            call(assign_route, path.clone(), Some(theirs)),
            call(assign_route, path, Some(nobodys)),
        ));
    }
    for (theirs, nobodys) in [
        (
            format!("/api/v1/users/{stranger}/roles/{their_role}"),
            format!("/api/v1/users/{no_account}/roles/{no_role}"),
        ),
        (
            format!("/api/v1/users/{ann}/roles/{their_role}"),
            format!("/api/v1/users/{ann}/roles/{no_role}"),
        ),
        (
            format!("/api/v1/users/{ann}/roles/{our_role}?scope_id={their_scope}"),
            format!("/api/v1/users/{ann}/roles/{our_role}?scope_id={no_scope}"),
        ),
        (
            format!("/api/v1/users?role={their_role}"),
            format!("/api/v1/users?role={no_role}"),
        ),
        (
            format!("/api/v1/users?scope={their_scope}"),
            format!("/api/v1/users?scope={no_scope}"),
        ),
    ] {
        let route = if theirs.starts_with("/api/v1/users?") {
            list_route
        } else {
            unassign_route
        };
        pairs.push((call(route, theirs, None), call(route, nobodys, None)));
    }
    for (route, body) in [
        (("get", "/api/v1/roles/{id}"), None),
        (("put", "/api/v1/roles/{id}"), Some(role.clone())),
        (("delete", "/api/v1/roles/{id}"), None),
    ] {
        pairs.push((
            call(route, format!("/api/v1/roles/{their_role}"), body.clone()),
            call(route, format!("/api/v1/roles/{no_role}"), body),
        ));
    }
    for (route, body) in [
        (("get", "/api/v1/scopes/{id}"), None),
        (("put", "/api/v1/scopes/{id}"), Some(scope.clone())),
        (("delete", "/api/v1/scopes/{id}"), None),
    ] {
        pairs.push((
            call(route, format!("/api/v1/scopes/{their_scope}"), body.clone()),
            call(route, format!("/api/v1/scopes/{no_scope}"), body),
        ));
    }
    for (theirs, nobodys) in [
        (json!({ "id": stranger }), json!({ "id": no_account })),
        (
            json!({ "username": "stranger" }),
            json!({ "username": "nobody" }),
        ),
        (
            json!({ "external_id": "gx-1" }),
            json!({ "external_id": "gx-none" }),
        ),
    ] {
        let route = ("post", "/api/v1/authorize");
        pairs.push((
            call(route, "/api/v1/authorize".into(), Some(ask(theirs.clone()))),
            call(
                route,
                "/api/v1/authorize".into(),
                Some(ask(nobodys.clone())),
            ),
        ));
        let route = ("post", "/api/v1/authorize/batch");
        let path = "/api/v1/authorize/batch".to_owned();
        pairs.push((
            call(route, path.clone(), Some(batch(theirs))),
            call(route, path, Some(batch(nobodys))),
        ));
    }
    // A scope of Globex's asked about for an account of Acme's.
    let route = ("post", "/api/v1/authorize");
    let in_scope = |scope: i64| json!({ "account": { "id": ann }, "resource": "security.users", "action": "view", "scope": scope });
    pairs.push((
        call(
            route,
            "/api/v1/authorize".into(),
            Some(in_scope(their_scope)),
        ),
        call(route, "/api/v1/authorize".into(), Some(in_scope(no_scope))),
    ));

    let mut exercised = BTreeSet::new();
    for (theirs, nobodys) in &pairs {
        let what = format!("{} {}", theirs.method, theirs.path);
        let a = send(s, &token, theirs).await;
        let b = send(s, &token, nobodys).await;
        assert!(
            a.0.is_client_error() || a.0 == StatusCode::OK,
            "{what}: {a:?}"
        );
        assert_eq!(
            a, b,
            "{what}: another tenant's id is told apart from a missing one"
        );
        exercised.insert(theirs.route);
    }
    for (method, path, check) in COVERED {
        if *check == Check::Ids {
            assert!(
                exercised.contains(&(*method, *path)),
                "{method} {path} takes ids but no call here used another tenant's"
            );
        }
    }

    // What names a tenant makes the caller's own.
    let globex_id: i64 = globex.parse().unwrap();
    let made = [
        (
            "/api/v1/users",
            json!({ "tier": "user", "tenant_id": globex.clone(), "username": "planted", "email": "p@example.com", "full_name": "Planted", "password": "Cobalt-ferry-42-quartz" }),
            "select cast(tenant_id as text) from accounts where username = 'planted'",
        ),
        (
            "/api/v1/roles",
            json!({ "tenant_id": globex_id, "name": "Planted role" }),
            "select cast(tenant_id as text) from roles where name = 'Planted role'",
        ),
        (
            "/api/v1/scopes",
            json!({ "tenant_id": globex_id, "name": "Planted scope" }),
            "select cast(tenant_id as text) from scopes where name = 'Planted scope'",
        ),
    ];
    for (path, body, query) in made {
        let res = api(s, Method::POST, path, Some(&token), Some(&body)).await;
        let status = res.status();
        assert_eq!(
            status,
            StatusCode::CREATED,
            "{path}: {}",
            res.text().await.unwrap()
        );
        assert_eq!(
            s.strings(query).await,
            std::slice::from_ref(&acme),
            "{path}"
        );
    }

    // Lists, the trail and its export: nothing of Globex, whatever the filters say.
    for path in [
        "/api/v1/roles".to_owned(),
        format!("/api/v1/roles?tenant_id={globex}"),
        "/api/v1/users?q=stranger".to_owned(),
        format!("/api/v1/users?tenant={globex}&limit=200"),
        "/api/v1/audit?limit=200".to_owned(),
        "/api/v1/audit?target=Their".to_owned(),
        "/api/v1/audit/export?format=jsonl".to_owned(),
        "/api/v1/audit/export?format=csv".to_owned(),
    ] {
        let res = api(s, Method::GET, &path, Some(&token), None).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let text = res.text().await.unwrap();
        for theirs in ["Globex", "stranger", "Their secret"] {
            assert!(!text.contains(theirs), "{path} shows {theirs}: {text}");
        }
    }
    // The filters found what they could: Acme's own rows are there.
    let ours = api(
        s,
        Method::GET,
        "/api/v1/audit?limit=200",
        Some(&token),
        None,
    )
    .await;
    assert!(ours.text().await.unwrap().contains("Ours"));

    assert_eq!(globex_now(s, &globex).await, before, "Globex changed");
}
