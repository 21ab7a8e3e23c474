//! The audit page's query (issue 3, item 5): newest first, filters, keyset pages, and scope —
//! platform administrators read every record, tenant administrators their tenant's.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test crate

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_databases!(
    records_come_newest_first_in_pages_and_filter_by_actor_action_target_and_time,
    a_tenant_admin_reads_only_its_own_tenants_records,
);

async fn audit(s: &TestServer, cookie: &str, query: Value) -> reqwest::Response {
    let mut q =
        json!({ "actor": "", "action": "", "target": "", "from": "", "to": "", "cursor": null });
    for (k, v) in query.as_object().unwrap() {
        q[k] = v.clone();
    }
    s.call_json("list_audit", &json!({ "query": q }), Some(cookie))
        .await
}

async fn entries(s: &TestServer, cookie: &str, query: Value) -> Value {
    let res = audit(s, cookie, query).await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    res.json().await.unwrap()
}

fn actions(page: &Value) -> Vec<String> {
    page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

fn today() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    app::pages::format_date(now)
}

async fn records_come_newest_first_in_pages_and_filter_by_actor_action_target_and_time(
    s: &TestServer,
) {
    let pa = s.platform_admin_session().await;
    // 60 tenant creations, then one failed sign-in.
    for i in 0..60 {
        s.create_tenant(&pa, &format!("Tenant {i:02}")).await;
    }
    assert!(s.sign_in("nobody_here", "Wrong-pass1").await.is_err());

    let first = entries(s, &pa, json!({})).await;
    assert_eq!(first["entries"].as_array().unwrap().len(), 50);
    assert_eq!(first["entries"][0]["action"], "sign_in");
    assert_eq!(first["entries"][0]["outcome"], "failure");
    assert_eq!(first["entries"][1]["target_label"], "Tenant 59");
    let second = entries(s, &pa, json!({ "cursor": first["next"] })).await;
    let all: Vec<String> = actions(&first)
        .into_iter()
        .chain(actions(&second))
        .collect();
    // 1 failed sign-in, 60 tenants, the administrator's sign-in, its creation at setup.
    assert_eq!(all.len(), 63);
    assert_eq!(
        &all[61..],
        ["sign_in", "account.create.setup"],
        "the oldest come last"
    );
    assert!(second["next"].is_null());
    let ids: Vec<i64> = first["entries"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["entries"].as_array().unwrap())
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "no record on two pages");

    let by_action = entries(s, &pa, json!({ "action": "tenant.create" })).await;
    assert!(actions(&by_action).iter().all(|a| a == "tenant.create"));
    let by_target = entries(s, &pa, json!({ "target": "tenant 5" })).await;
    assert_eq!(
        by_target["entries"].as_array().unwrap().len(),
        10,
        "Tenant 50–59"
    );
    let by_actor = entries(s, &pa, json!({ "actor": "FIRST_", "action": "sign_in" })).await;
    assert_eq!(
        actions(&by_actor),
        ["sign_in"],
        "the administrator's own sign-in"
    );
    assert_eq!(by_actor["entries"][0]["actor_tier"], "PlatformAdmin");

    let today = today();
    let within = entries(s, &pa, json!({ "from": today, "to": today })).await;
    assert_eq!(within["entries"].as_array().unwrap().len(), 50);
    let before = entries(s, &pa, json!({ "to": "2000-01-01" })).await;
    assert!(before["entries"].as_array().unwrap().is_empty());
    let after = entries(s, &pa, json!({ "from": "2999-01-01" })).await;
    assert!(after["entries"].as_array().unwrap().is_empty());

    let res = audit(s, &pa, json!({ "from": "yesterday", "to": "2000-02-30" })).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["Invalid"]["from"][0], "Enter a date as YYYY-MM-DD.");
    assert_eq!(body["Invalid"]["to"][0], "Enter a date as YYYY-MM-DD.");
    let res = audit(s, &pa, json!({ "from": "2026-02-02", "to": "2026-02-01" })).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // An edit shows what changed.
    let acme = s.create_tenant(&pa, "Acme").await;
    let res = s
        .call(
            "update_tenant",
            &[
                ("tenant_id", acme.as_str()),
                ("name", "Acme Group"),
                ("mfa_policy", "optional"),
            ],
            Some(&pa),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let edit = entries(s, &pa, json!({ "action": "tenant.update" })).await;
    let changes = &edit["entries"][0]["changes"];
    assert_eq!(changes[0][0], "name", "{changes}");
    assert_eq!(changes[0][1], "\"Acme\"");
    assert_eq!(changes[0][2], "\"Acme Group\"");
}

async fn a_tenant_admin_reads_only_its_own_tenants_records(s: &TestServer) {
    let pa = s.platform_admin_session().await;
    let beta = s.create_tenant(&pa, "Beta").await;
    s.create_tenant_account("tenant_admin", "acme_admin", "Admin-pass1")
        .await;
    let ta = s.sign_in("acme_admin", "Admin-pass1").await.unwrap();
    // One change in each tenant.
    for (tenant, name) in [("", "acme_person"), (beta.as_str(), "beta_person")] {
        let cookie = if tenant.is_empty() { &ta } else { &pa };
        let res = s
            .call(
                "create_account",
                &[
                    ("tier", "service_account"),
                    ("tenant_id", tenant),
                    ("username", name),
                    ("email", &format!("{name}@x.example")),
                    ("full_name", "Some Robot"),
                ],
                Some(cookie),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    let own = entries(s, &ta, json!({})).await;
    let targets: Vec<&str> = own["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["target_label"].as_str().unwrap())
        .collect();
    assert_eq!(
        targets,
        ["acme_person", "acme_admin"],
        "its creation, its sign-in"
    );
    let asked = entries(s, &ta, json!({ "target": "beta" })).await;
    assert!(asked["entries"].as_array().unwrap().is_empty());
    let everything = entries(s, &pa, json!({ "target": "beta_person" })).await;
    assert_eq!(everything["entries"].as_array().unwrap().len(), 1);

    s.create_tenant_account("user", "plain_user", "User-pass1")
        .await;
    let user = s.sign_in("plain_user", "User-pass1").await.unwrap();
    assert_eq!(
        audit(s, &user, json!({})).await.status(),
        StatusCode::FORBIDDEN
    );
}
