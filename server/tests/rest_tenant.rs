//! The caller's own tenant through the REST API (issue 13 §3, "tenant settings the caller
//! may change"), on both databases: read with `Tenant settings: View`, its MFA and password
//! policies changed with `Tenant settings: Edit` and the current `ETag`; refusals with their
//! codes, audited; bad values named by field; nobody else's tenant touched.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test crate

mod common;
mod rest_support;

use common::*;
use reqwest::{Method, StatusCode};
use rest_support::*;
use serde_json::{json, Value};

on_both_databases!(
    the_tenant_is_read_and_its_policies_changed_with_its_etag,
    without_the_privilege_the_tenant_is_refused_and_the_attempt_audited,
);

/// `PUT /api/v1/tenant` with `body`, as `token`, with `If-Match: if_match` when given.
async fn put_tenant(
    s: &TestServer,
    token: &str,
    if_match: Option<&str>,
    body: &Value,
) -> reqwest::Response {
    put(s, token, "/api/v1/tenant", if_match, body).await
}

/// The tenant's MFA policy, password preset, guessable check and name, in one line.
async fn policies(s: &TestServer, tenant: &str) -> Vec<String> {
    s.strings(&format!(
        "select mfa_policy || ' ' || password_policy || ' ' || password_refuse_guessable \
         || ' ' || name from tenants where tenant_id = {tenant}"
    ))
    .await
}

async fn the_tenant_is_read_and_its_policies_changed_with_its_etag(s: &TestServer) {
    let (_, acme, token) = world(s, &["security.tenant_settings:edit"]).await;
    let globex = s
        .strings("select cast(tenant_id as text) from tenants where name = 'Globex'")
        .await
        .remove(0);
    let globex_before = policies(s, &globex).await;
    let res = s.api_get("/api/v1/tenant", Some(&token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let tenant: Value = res.json().await.unwrap();
    assert_eq!(tenant["tenant_id"].to_string(), acme);
    assert_eq!(tenant["name"], "Acme");
    assert_eq!(tenant["status"], "active");
    assert_eq!(tenant["password_policy"], "default");

    let change = json!({ "mfa_policy": "required", "password_policy": "modern" });
    // Without If-Match, or with a stale one: nothing changes.
    problem(
        put_tenant(s, &token, None, &change).await,
        StatusCode::PRECONDITION_REQUIRED,
        "precondition_required",
    )
    .await;
    problem(
        put_tenant(s, &token, Some("\"stale\""), &change).await,
        StatusCode::PRECONDITION_FAILED,
        "precondition_failed",
    )
    .await;
    let unchanged = policies(s, &acme).await;
    assert!(
        unchanged[0].starts_with("optional default"),
        "{unchanged:?}"
    );

    let res = put_tenant(s, &token, Some(&etag), &change).await;
    assert_eq!(res.status(), StatusCode::OK);
    let new_etag = res.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(new_etag, etag);
    let changed: Value = res.json().await.unwrap();
    assert_eq!(changed["mfa_policy"], "required");
    assert_eq!(changed["password_policy"], "modern");
    assert_eq!(
        changed["refuse_guessable"], true,
        "Modern always refuses guessable ones"
    );
    assert_eq!(policies(s, &acme).await, ["required modern on Acme"]);
    // The old tag is stale now.
    problem(
        put_tenant(s, &token, Some(&etag), &json!({ "mfa_policy": "off" })).await,
        StatusCode::PRECONDITION_FAILED,
        "precondition_failed",
    )
    .await;
    // Without password_policy, the password policy stays.
    let res = put_tenant(
        s,
        &token,
        Some(&new_etag),
        &json!({ "mfa_policy": "optional" }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(policies(s, &acme).await, ["optional modern on Acme"]);

    // Bad values are named by field; a name cannot be sent at all.
    let current = s.api_get("/api/v1/tenant", Some(&token)).await;
    let tag = current.headers()["etag"].to_str().unwrap().to_owned();
    let body = problem(
        put_tenant(
            s,
            &token,
            Some(&tag),
            &json!({ "mfa_policy": "sometimes", "password_policy": "lax" }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
    )
    .await;
    assert!(body["errors"]["mfa_policy"].is_array(), "{body}");
    assert!(body["errors"]["password_policy"].is_array(), "{body}");
    let res = put_tenant(
        s,
        &token,
        Some(&tag),
        &json!({ "mfa_policy": "off", "name": "Renamed" }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(policies(s, &acme).await, ["optional modern on Acme"]);

    // Audited as tenant updates by the robot, with before and after.
    let updates: Vec<_> = s
        .audit()
        .await
        .into_iter()
        .filter(|r| r.action == "tenant.update" && r.actor.as_deref() == Some("robot"))
        .collect();
    assert_eq!(updates.len(), 2, "{updates:?}");
    assert!(updates.iter().all(|r| r.outcome == "success"));
    assert_eq!(
        policies(s, &globex).await,
        globex_before,
        "Globex untouched"
    );
}

async fn without_the_privilege_the_tenant_is_refused_and_the_attempt_audited(s: &TestServer) {
    // Users: View only: the tenant's settings are not its to read.
    let (pa, acme, token) = world(s, &["security.users:view"]).await;
    problem(
        s.api_get("/api/v1/tenant", Some(&token)).await,
        StatusCode::FORBIDDEN,
        "lacks_privilege",
    )
    .await;
    // Tenant settings: View: read, never changed.
    let viewers = new_role(
        s,
        &pa,
        &acme,
        "Settings viewers",
        &["security.tenant_settings:view"],
        &[],
    )
    .await;
    assign(s, &pa, account_id(s, "robot").await, viewers, None).await;
    let before = policies(s, &acme).await;
    let res = api(s, Method::GET, "/api/v1/tenant", Some(&token), None).await;
    assert_eq!(res.status(), StatusCode::OK);
    problem(
        put_tenant(s, &token, Some("*"), &json!({ "mfa_policy": "off" })).await,
        StatusCode::FORBIDDEN,
        "lacks_privilege",
    )
    .await;
    assert_eq!(policies(s, &acme).await, before);
    let refused = s
        .audit()
        .await
        .into_iter()
        .filter(|r| {
            r.action == "tenant.update"
                && r.outcome == "refused"
                && r.reason.as_deref() == Some("lacks_privilege")
                && r.actor.as_deref() == Some("robot")
        })
        .count();
    assert_eq!(refused, 1);
}
