//! Arranging tenants, roles and service accounts for the REST API's tests, and calling it.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]

use crate::common::TestServer;
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};

/// An account's id by username.
pub async fn account_id(s: &TestServer, username: &str) -> i64 {
    s.strings(&format!(
        "select cast(account_id as text) from accounts where username = '{username}'"
    ))
    .await[0]
        .parse()
        .unwrap()
}

/// Creates role `name` in `tenant` granting `keys` and the object grants `objects`
/// (`[(scope, key)]`), as `cookie`; returns its id.
pub async fn new_role(
    s: &TestServer,
    cookie: &str,
    tenant: &str,
    name: &str,
    keys: &[&str],
    objects: &[(i64, &str)],
) -> i64 {
    let res = s
        .call(
            "create_role",
            &[("tenant_id", tenant), ("name", name), ("description", "")],
            Some(cookie),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    let id: i64 = res.json().await.unwrap();
    let catalog = app::access::Catalog::builtin();
    let parse = |k: &str| catalog.parse_key(k).unwrap_or_else(|| panic!("{k}"));
    let granted: Vec<_> = keys.iter().map(|k| parse(k)).collect();
    let object_grants: Vec<Value> = objects
        .iter()
        .map(|(scope, k)| json!({ "scope": scope, "privilege": parse(k) }))
        .collect();
    let res = s
        .call_json(
            "update_role",
            &json!({ "role_id": id, "form": {
                "name": name, "description": "", "granted": granted, "object_grants": object_grants
            }}),
            Some(cookie),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    id
}

/// Assigns `role` to `account` (tenant-wide, or for `scope`) as `cookie`.
pub async fn assign(s: &TestServer, cookie: &str, account: i64, role: i64, scope: Option<i64>) {
    let account = account.to_string();
    let role = role.to_string();
    let mut form = vec![("account_id", account.as_str()), ("role_id", role.as_str())];
    let scope = scope.map(|s| s.to_string());
    if let Some(scope) = &scope {
        form.push(("scope_id", scope.as_str()));
    }
    let res = s.call("assign_role", &form, Some(cookie)).await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
}

/// Creates scope `name` in `tenant` as `cookie`; returns its id.
pub async fn new_scope(s: &TestServer, cookie: &str, tenant: &str, name: &str) -> i64 {
    let res = s
        .call(
            "create_scope",
            &[("tenant_id", tenant), ("name", name), ("description", "")],
            Some(cookie),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    res.json().await.unwrap()
}

/// Adds an active account of `tier` to the tenant named `tenant` (which must exist).
pub async fn add_account(s: &TestServer, tenant: &str, tier: &str, username: &str) {
    s.sql(&format!(
        "insert into accounts (tenant_id, tier, username, email, email_key, full_name, status, \
         jwt_version, created_at, updated_at) select tenant_id, '{tier}', '{username}', \
         '{username}@example.com', '{username}@example.com', 'Some One', 'active', 'v1', 0, 0 \
         from tenants where name = '{tenant}'"
    ))
    .await;
}

/// The world most tests start from: a platform administrator's session, tenant Acme with a
/// service account `robot` holding a role "Robots" that grants `keys` (no role when empty),
/// and tenant Globex with a user `stranger`. Returns (admin session, Acme's id, robot's
/// bearer token).
pub async fn world(s: &TestServer, keys: &[&str]) -> (String, String, String) {
    let pa = s.platform_admin_session().await;
    let acme = s.create_tenant(&pa, "Acme").await;
    s.create_tenant(&pa, "Globex").await;
    add_account(s, "Acme", "service_account", "robot").await;
    add_account(s, "Globex", "user", "stranger").await;
    if !keys.is_empty() {
        let role = new_role(s, &pa, &acme, "Robots", keys, &[]).await;
        assign(s, &pa, account_id(s, "robot").await, role, None).await;
    }
    let token = s.service_account_token(&pa, "robot").await;
    (pa, acme, token)
}

/// Calls the REST API with `token` as a bearer credential, as an integration would (no
/// `Origin`, no cookie).
pub async fn api(
    s: &TestServer,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Response {
    let mut req = s.client.request(method, format!("{}{path}", s.base));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    if let Some(body) = body {
        req = req.json(body);
    }
    req.send().await.expect("request sent")
}

/// Asserts `res` is a problem with `status` and `code`; returns its JSON.
pub async fn problem(res: Response, status: StatusCode, code: &str) -> Value {
    let got = res.status();
    let content_type = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body: Value = res.json().await.expect("problem JSON");
    assert_eq!(got, status, "{body}");
    assert_eq!(content_type, "application/problem+json", "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status.as_u16(), "{body}");
    body
}

/// `PUT path` with `body`, as `token`, with `If-Match: if_match` when given.
pub async fn put(
    s: &TestServer,
    token: &str,
    path: &str,
    if_match: Option<&str>,
    body: &Value,
) -> Response {
    let mut req = s
        .client
        .put(format!("{}{path}", s.base))
        .bearer_auth(token)
        .json(body);
    if let Some(tag) = if_match {
        req = req.header("if-match", tag);
    }
    req.send().await.unwrap()
}
