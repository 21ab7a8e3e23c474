//! Exporting the audit trail (SPEC §8, issue 13 §3): `/audit.csv` and `/audit.jsonl` hold the
//! Audit page's records for the same filters, a tenant administrator's export only its
//! tenant's, a refusal says why and is recorded, every export is itself in the trail,
//! formulas are defused, and a big trail streams whole. The REST API's `/api/v1/audit` and
//! `/api/v1/audit/export` answer the same records to a service account.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test crate

mod common;

use app::access::{Privilege, Refusal};
use app::error::AppError;
use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_databases!(
    csv_and_json_lines_hold_the_pages_records_for_the_same_filters,
    a_tenant_admins_export_holds_only_its_tenants_records,
    exporting_needs_audit_export_and_a_refusal_says_why_and_is_recorded,
    an_export_is_itself_in_the_trail_but_not_in_its_own_file,
    a_big_trail_streams_completely_in_both_formats,
    the_api_pages_and_exports_the_trail_of_the_callers_tenant,
);

/// A console export as `cookie`'s account: `ext` is `csv` or `jsonl`.
async fn export(
    s: &TestServer,
    cookie: Option<&str>,
    ext: &str,
    params: &str,
) -> reqwest::Response {
    let mut req =
        reqwest::Client::new().get(format!("{}/audit.{ext}?{params}", s.running().public_url));
    if let Some(cookie) = cookie {
        req = req.header(reqwest::header::COOKIE, cookie);
    }
    req.send().await.unwrap()
}

async fn export_text(s: &TestServer, cookie: &str, ext: &str, params: &str) -> String {
    let res = export(s, Some(cookie), ext, params).await;
    let status = res.status();
    let text = res.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{text}");
    text
}

/// The CSV's rows as (column → value) maps, after checking the header.
fn csv_rows(text: &str) -> Vec<std::collections::HashMap<String, String>> {
    let records = app::csv::parse_records(text).unwrap();
    let (header, rows) = records.split_first().unwrap();
    assert_eq!(header.1, app::backend::services::audit_log::CSV_COLUMNS);
    rows.iter()
        .map(|(_, values)| {
            assert_eq!(values.len(), header.1.len());
            header
                .1
                .iter()
                .cloned()
                .zip(values.iter().cloned())
                .collect()
        })
        .collect()
}

fn jsonl(text: &str) -> Vec<Value> {
    assert!(text.is_empty() || text.ends_with('\n'));
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// The Audit page's records for `query`, every page of them.
async fn page_records(s: &TestServer, cookie: &str, query: Value) -> Vec<Value> {
    let mut q =
        json!({ "actor": "", "action": "", "target": "", "from": "", "to": "", "cursor": null });
    for (k, v) in query.as_object().unwrap() {
        q[k] = v.clone();
    }
    let mut all = Vec::new();
    loop {
        let res = s
            .call_json("list_audit", &json!({ "query": q }), Some(cookie))
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        let page: Value = res.json().await.unwrap();
        all.extend(page["entries"].as_array().unwrap().iter().cloned());
        if page["next"].is_null() {
            return all;
        }
        q["cursor"] = page["next"].clone();
    }
}

fn today() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    app::pages::format_date(now)
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A role in `tenant` granting `privileges`, assigned to `username`.
async fn grant(s: &TestServer, pa: &str, tenant: &str, username: &str, privileges: &[Privilege]) {
    let res = s
        .call(
            "create_role",
            &[
                ("tenant_id", tenant),
                ("name", &format!("Role of {username}")),
                ("description", ""),
            ],
            Some(pa),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let role: i64 = res.json().await.unwrap();
    let res = s
        .call_json(
            "update_role",
            &json!({ "role_id": role, "form": {
                "name": format!("Role of {username}"), "description": "",
                "granted": privileges, "object_grants": []
            }}),
            Some(pa),
        )
        .await;
    expect_ok(res).await;
    let id = id_of(s, username).await;
    let res = s
        .call(
            "assign_role",
            &[("account_id", id.as_str()), ("role_id", &role.to_string())],
            Some(pa),
        )
        .await;
    expect_ok(res).await;
}

async fn id_of(s: &TestServer, username: &str) -> String {
    s.strings(&format!(
        "select cast(account_id as text) from accounts where username = '{username}'"
    ))
    .await[0]
        .clone()
}

async fn acme_id(s: &TestServer) -> String {
    s.strings("select cast(tenant_id as text) from tenants where name = 'Acme'")
        .await[0]
        .clone()
}

/// Compares exported records with the page's entries: same records, same order, same fields.
fn assert_same_records(page: &[Value], exported: &[Value]) {
    let ids = |records: &[Value]| -> Vec<i64> {
        records.iter().map(|r| r["id"].as_i64().unwrap()).collect()
    };
    assert_eq!(ids(exported), ids(page));
    for (p, e) in page.iter().zip(exported) {
        for field in [
            "tenant_name",
            "actor_username",
            "action",
            "target_kind",
            "target_label",
        ] {
            assert_eq!(p[field], e[field], "{field} of {p}");
        }
        assert_eq!(p["client"], e["client"]);
        assert_eq!(p["outcome"], e["outcome"]);
        assert_eq!(
            e["occurred_at"],
            format!(
                "{}Z",
                app::audit_log::format_time(p["occurred_at"].as_i64().unwrap()).replace(' ', "T")
            )
        );
    }
}

/// A CSV row as the JSON of the same record would be (text columns only).
fn csv_as_json(row: &std::collections::HashMap<String, String>) -> Value {
    let text = |name: &str| match row[name].as_str() {
        "" => Value::Null,
        v => Value::String(v.to_owned()),
    };
    json!({
        "id": row["id"].parse::<i64>().unwrap(),
        "occurred_at": row["occurred_at"],
        "tenant_name": text("tenant_name"),
        "actor_username": text("actor_username"),
        "action": row["action"],
        "target_kind": text("target_kind"),
        "target_label": text("target_label"),
        "client": text("client"),
        "outcome": row["outcome"],
    })
}

async fn csv_and_json_lines_hold_the_pages_records_for_the_same_filters(s: &TestServer) {
    let pa = s.platform_admin_session().await;
    for name in ["Acme", "Beta", "Gamma"] {
        s.create_tenant(&pa, name).await;
    }
    let acme = acme_id(s).await;
    let res = s
        .call(
            "update_tenant",
            &[
                ("tenant_id", acme.as_str()),
                ("name", "Acme, Inc."),
                ("mfa_policy", "optional"),
            ],
            Some(&pa),
        )
        .await;
    expect_ok(res).await;
    // A name a spreadsheet would run as a formula (arranged in the database: the forms would
    // not take it).
    s.sql(&format!(
        "insert into audit_events (occurred_at, action, target_kind, target_label, outcome) \
         values ({}, 'tenant.update', 'tenant', '=HYPERLINK(\"http://evil.example\")', 'success')",
        now_secs()
    ))
    .await;

    for (params, query) in [
        ("", json!({})),
        ("action=tenant.create", json!({ "action": "tenant.create" })),
        (
            "target=acme&from=2000-01-01",
            json!({ "target": "acme", "from": "2000-01-01" }),
        ),
        (
            &format!("actor=FIRST_&to={}", today()) as &str,
            json!({ "actor": "FIRST_", "to": today() }),
        ),
        ("to=2000-01-01", json!({ "to": "2000-01-01" })),
    ] {
        // Each export is recorded: the page is read again just before each.
        let page = page_records(s, &pa, query.clone()).await;
        let lines = jsonl(&export_text(s, &pa, "jsonl", params).await);
        assert_same_records(&page, &lines);
        let page = page_records(s, &pa, query).await;
        let csv: Vec<Value> = csv_rows(&export_text(s, &pa, "csv", params).await)
            .iter()
            .map(csv_as_json)
            .collect();
        let page_without_formulas: Vec<Value> = page
            .iter()
            .map(|p| {
                let mut p = p.clone();
                if let Some(label) = p["target_label"].as_str().filter(|l| l.starts_with('=')) {
                    p["target_label"] = json!(format!("'{label}"));
                }
                p
            })
            .collect();
        assert_same_records(&page_without_formulas, &csv);
        if params.is_empty() {
            assert!(
                page.len() >= 6,
                "setup, sign-in, three tenants, an edit: {page:?}"
            );
        }
    }

    // The edit's before and after are objects in JSON Lines, JSON text in CSV.
    let edit = jsonl(&export_text(s, &pa, "jsonl", "target=acme&action=tenant.update").await);
    assert_eq!(edit.len(), 1);
    assert_eq!(edit[0]["before"]["name"], "Acme");
    assert_eq!(edit[0]["after"]["name"], "Acme, Inc.");
    assert_eq!(edit[0]["actor_tier"], "platform_admin");
    let csv = csv_rows(&export_text(s, &pa, "csv", "target=acme&action=tenant.update").await);
    let after: Value = serde_json::from_str(&csv[0]["after"]).unwrap();
    assert_eq!(after["name"], "Acme, Inc.");

    // The formula is defused in CSV, and whole in JSON.
    let text = export_text(s, &pa, "csv", "target=%3Dhyper").await;
    assert!(text.contains("'=HYPERLINK("), "{text}");
    assert!(!text.contains(",=HYPERLINK("), "{text}");
    let lines = jsonl(&export_text(s, &pa, "jsonl", "target=%3Dhyper").await);
    assert_eq!(
        lines[0]["target_label"],
        "=HYPERLINK(\"http://evil.example\")"
    );

    // Downloads, named by date, never cached.
    for (ext, content_type) in [
        ("csv", "text/csv; charset=utf-8"),
        ("jsonl", "application/jsonl; charset=utf-8"),
    ] {
        let res = export(s, Some(&pa), ext, "").await;
        assert_eq!(res.status(), StatusCode::OK);
        let headers = res.headers();
        assert_eq!(headers[reqwest::header::CONTENT_TYPE], content_type);
        assert_eq!(
            headers[reqwest::header::CONTENT_DISPOSITION],
            format!("attachment; filename=\"warden-audit-{}.{ext}\"", today()).as_str()
        );
        assert_eq!(headers[reqwest::header::CACHE_CONTROL], "no-store");
    }

    // Bad filters are told as the page tells them, and nothing is exported or recorded.
    let exports_before = s.audit().await.len();
    let res = export(s, Some(&pa), "csv", "from=yesterday").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.text().await.unwrap(), "Enter a date as YYYY-MM-DD.");
    assert_eq!(s.audit().await.len(), exports_before);
    // Signed out: nothing.
    let res = export(s, None, "jsonl", "").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

async fn a_tenant_admins_export_holds_only_its_tenants_records(s: &TestServer) {
    let pa = s.platform_admin_session().await;
    let beta = s.create_tenant(&pa, "Beta").await;
    s.create_tenant_account("tenant_admin", "acme_admin", "Admin-pass1")
        .await;
    let ta = s.sign_in("acme_admin", "Admin-pass1").await.unwrap();
    for (tenant, name, cookie) in [
        ("", "acme_person", &ta),
        (beta.as_str(), "beta_person", &pa),
    ] {
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
        expect_ok(res).await;
    }
    let acme = acme_id(s).await;
    let everything = s.audit().await;
    assert!(
        everything.iter().any(|r| r.tenant_id.is_none()),
        "platform records exist"
    );
    assert!(
        everything
            .iter()
            .any(|r| r.target.as_deref() == Some("beta_person")),
        "Beta's records exist"
    );

    let own = page_records(s, &ta, json!({})).await;
    let lines = jsonl(&export_text(s, &ta, "jsonl", "").await);
    assert_same_records(&own, &lines);
    let targets: Vec<&str> = lines
        .iter()
        .map(|l| l["target_label"].as_str().unwrap())
        .collect();
    assert_eq!(
        targets,
        ["acme_person", "acme_admin"],
        "its creation, its sign-in"
    );
    for line in &lines {
        assert_eq!(line["tenant_name"], "Acme", "{line}");
    }
    let csv = export_text(s, &ta, "csv", "").await;
    let rows = csv_rows(&csv);
    assert_eq!(rows.len(), 3, "the two and the first export");
    for row in &rows {
        assert_eq!(row["tenant_name"], "Acme");
    }
    for absent in [
        "beta_person",
        "Beta",
        ADMIN_USERNAME,
        "account.create.setup",
    ] {
        assert!(!csv.contains(absent), "{absent} in {csv}");
    }
    // Asking for another tenant's records finds none, and asking for a tenant changes nothing.
    assert!(jsonl(&export_text(s, &ta, "jsonl", "target=beta").await).is_empty());
    let asked = jsonl(&export_text(s, &ta, "jsonl", &format!("tenant={beta}")).await);
    assert_eq!(
        asked.len(),
        5,
        "the two and three earlier exports: {asked:?}"
    );

    // The export records belong to Acme; the platform administrator sees them too.
    let exports: Vec<_> = s
        .audit()
        .await
        .into_iter()
        .filter(|r| r.action == "audit.export")
        .collect();
    assert_eq!(exports.len(), 4);
    for r in &exports {
        assert_eq!(r.tenant_id.map(|t| t.to_string()), Some(acme.clone()));
        assert_eq!(r.actor.as_deref(), Some("acme_admin"));
    }
}

async fn exporting_needs_audit_export_and_a_refusal_says_why_and_is_recorded(s: &TestServer) {
    let pa = s.platform_admin_session().await;
    s.create_tenant_account("user", "viewer", "User-pass1")
        .await;
    s.create_tenant_account("user", "exporter", "User-pass1")
        .await;
    s.create_tenant_account("user", "nobody", "User-pass1")
        .await;
    let acme = acme_id(s).await;
    grant(s, &pa, &acme, "viewer", &[Privilege::AUDIT_VIEW]).await;
    grant(s, &pa, &acme, "exporter", &[Privilege::AUDIT_EXPORT]).await;
    let viewer = s.sign_in("viewer", "User-pass1").await.unwrap();
    let exporter = s.sign_in("exporter", "User-pass1").await.unwrap();
    let nobody = s.sign_in("nobody", "User-pass1").await.unwrap();

    // The viewer reads the page but may not download it, and is told why.
    assert!(!page_records(s, &viewer, json!({})).await.is_empty());
    let why = AppError::Forbidden(Refusal::Lacks(Privilege::AUDIT_EXPORT)).to_string();
    assert!(why.contains("Audit log: Export"), "{why}");
    for ext in ["csv", "jsonl"] {
        let res = export(s, Some(&viewer), ext, "").await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert_eq!(res.text().await.unwrap(), why);
    }
    let res = export(s, Some(&nobody), "csv", "").await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(!res.text().await.unwrap().is_empty());
    // A refusal comes before the filters are read.
    let res = export(s, Some(&nobody), "csv", "from=yesterday").await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let refused: Vec<_> = s
        .audit()
        .await
        .into_iter()
        .filter(|r| r.action == "audit.export")
        .collect();
    assert_eq!(refused.len(), 4, "{refused:?}");
    assert!(refused.iter().all(|r| r.outcome == "refused"
        && r.reason.as_deref() == Some("lacks_privilege")
        && r.tenant_id.map(|t| t.to_string()) == Some(acme.clone())));
    assert_eq!(refused[0].actor.as_deref(), Some("viewer"));
    assert!(refused[0]
        .after
        .as_deref()
        .unwrap()
        .contains("\"via\":\"console\""));

    // Export implies View: the exporter reads and downloads.
    assert!(!page_records(s, &exporter, json!({})).await.is_empty());
    let lines = jsonl(&export_text(s, &exporter, "jsonl", "").await);
    assert!(lines.iter().all(|l| l["tenant_name"] == "Acme"));
    assert!(lines
        .iter()
        .any(|l| l["action"] == "audit.export" && l["outcome"] == "refused"));

    // The page offers the links exactly to those who may use them.
    let html =
        |cookie: String| async move { s.get("/audit", Some(&cookie)).await.text().await.unwrap() };
    let for_exporter = html(exporter.clone()).await;
    assert!(for_exporter.contains("Export CSV"), "{for_exporter}");
    assert!(for_exporter.contains("href=\"/audit.jsonl\""));
    assert!(!html(viewer.clone()).await.contains("Export CSV"));
    let filtered = s
        .get("/audit?action=sign_in&actor=ex&page=1.2", Some(&exporter))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        filtered.contains("href=\"/audit.csv?actor=ex&amp;action=sign_in\""),
        "the current filters, from the newest record: {filtered}"
    );
}

async fn an_export_is_itself_in_the_trail_but_not_in_its_own_file(s: &TestServer) {
    let pa = s.platform_admin_session().await;
    s.create_tenant(&pa, "Acme").await;
    let first = jsonl(&export_text(s, &pa, "jsonl", "").await);
    assert!(first.iter().all(|l| l["action"] != "audit.export"));

    let record = s.audit().await.pop().unwrap();
    assert_eq!(record.action, "audit.export");
    assert_eq!(record.outcome, "success");
    assert_eq!(record.actor.as_deref(), Some(ADMIN_USERNAME));
    assert_eq!(record.tenant_id, None);
    assert!(record.client.is_some());
    let after: Value = serde_json::from_str(record.after.as_deref().unwrap()).unwrap();
    assert_eq!(
        after,
        json!({ "format": "jsonl", "filters": "", "via": "console" })
    );

    let second = csv_rows(&export_text(s, &pa, "csv", "action=tenant.create&target=ac").await);
    assert_eq!(second.len(), 1);
    let record = s.audit().await.pop().unwrap();
    let after: Value = serde_json::from_str(record.after.as_deref().unwrap()).unwrap();
    assert_eq!(
        after,
        json!({ "format": "csv", "filters": "action=tenant.create&target=ac", "via": "console" })
    );

    // The next export holds the earlier ones, newest first, as the page does.
    let third = jsonl(&export_text(s, &pa, "jsonl", "").await);
    assert_eq!(third[0]["action"], "audit.export");
    assert_eq!(third[0]["after"]["format"], "csv");
    assert_eq!(third[1]["action"], "audit.export");
    assert_eq!(third.len(), first.len() + 2);
    let page = page_records(s, &pa, json!({ "action": "audit.export" })).await;
    assert_eq!(page.len(), 3, "the page lists them too");
    assert_eq!(page[0]["action"], "audit.export");
}

async fn a_big_trail_streams_completely_in_both_formats(s: &TestServer) {
    let pa = s.platform_admin_session().await;
    let acme = s.create_tenant(&pa, "Acme").await;
    // 3,000 records in one statement (one transaction), several per second, some sharing a
    // time (the keyset must not lose or repeat any of those at a batch boundary).
    let start = now_secs() - 10_000;
    s.sql(&format!(
        "insert into audit_events (occurred_at, tenant_id, actor_username, action, target_kind, \
         target_label, after_json, client_address, outcome) \
         with recursive n(i) as (select 1 union all select i + 1 from n where i < 3000) \
         select {start} + i / 3, {acme}, 'bulk_actor', 'account.update', 'account', \
         'bulk_' || cast(i as text), '{{\"n\":' || cast(i as text) || '}}', '192.0.2.1', 'success' from n"
    ))
    .await;
    let total = page_records(s, &pa, json!({})).await.len();
    assert!(total >= 3_003, "{total}");

    let lines = jsonl(&export_text(s, &pa, "jsonl", "").await);
    assert_eq!(lines.len(), total);
    assert_newest_first_once_each(&lines);
    let bulk: Vec<i64> = lines
        .iter()
        .filter_map(|l| l["after"]["n"].as_i64())
        .collect();
    assert_eq!(bulk.len(), 3_000);
    assert_eq!(bulk.first(), Some(&3_000));
    assert_eq!(bulk.last(), Some(&1));

    let rows = csv_rows(&export_text(s, &pa, "csv", "actor=bulk").await);
    assert_eq!(rows.len(), 3_000);
    let mut labels: Vec<&str> = rows.iter().map(|r| r["target_label"].as_str()).collect();
    labels.sort();
    labels.dedup();
    assert_eq!(labels.len(), 3_000, "each record once");

    // Compressed, as a browser asks: the whole body arrives.
    let res = reqwest::Client::new()
        .get(format!("{}/audit.jsonl", s.running().public_url))
        .header(reqwest::header::COOKIE, &pa)
        .header(reqwest::header::ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[reqwest::header::CONTENT_ENCODING], "gzip");
    let compressed = res.bytes().await.unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(&compressed[..]),
        &mut text,
    )
    .unwrap();
    assert_eq!(jsonl(&text).len(), total + 2);
}

/// Records come newest first (time, then id: the keyset), none twice.
fn assert_newest_first_once_each(records: &[Value]) {
    let keys: Vec<(String, i64)> = records
        .iter()
        .map(|r| {
            (
                r["occurred_at"].as_str().unwrap().to_owned(),
                r["id"].as_i64().unwrap(),
            )
        })
        .collect();
    assert!(
        keys.windows(2).all(|w| w[0] > w[1]),
        "newest first, no repeats"
    );
}

/// The `Authorization` value of a bearer credential.
fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

async fn api(s: &TestServer, credential: Option<&str>, path_and_query: &str) -> reqwest::Response {
    let mut req = reqwest::Client::new().get(format!("{}{path_and_query}", s.running().public_url));
    if let Some(credential) = credential {
        req = req.header(reqwest::header::AUTHORIZATION, credential);
    }
    req.send().await.unwrap()
}

async fn api_json(s: &TestServer, credential: &str, path_and_query: &str) -> Value {
    let res = api(s, Some(credential), path_and_query).await;
    let status = res.status();
    let text = res.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{path_and_query}: {text}");
    serde_json::from_str(&text).unwrap()
}

async fn the_api_pages_and_exports_the_trail_of_the_callers_tenant(s: &TestServer) {
    let pa = s.platform_admin_session().await;
    s.create_tenant(&pa, "Beta").await;
    s.create_tenant_account("service_account", "audit_robot", "Robot-pass1")
        .await;
    s.create_tenant_account("service_account", "reader_robot", "Robot-pass1")
        .await;
    s.create_tenant_account("service_account", "idle_robot", "Robot-pass1")
        .await;
    let acme = acme_id(s).await;
    grant(s, &pa, &acme, "audit_robot", &[Privilege::AUDIT_EXPORT]).await;
    grant(s, &pa, &acme, "reader_robot", &[Privilege::AUDIT_VIEW]).await;
    let robot = bearer(&s.service_account_token(&pa, "audit_robot").await);
    let reader = bearer(&s.service_account_token(&pa, "reader_robot").await);
    let idle = bearer(&s.service_account_token(&pa, "idle_robot").await);
    // A person's console session token, sent as a bearer credential.
    let person = bearer(pa.split_once('=').map_or("", |(_, token)| token));
    // 250 of Acme's records, and one of Beta's that must never show.
    s.sql(&format!(
        "insert into audit_events (occurred_at, tenant_id, actor_username, action, target_kind, \
         target_label, outcome) \
         with recursive n(i) as (select 1 union all select i + 1 from n where i < 250) \
         select {} + i, {acme}, 'acme_actor', 'account.update', 'account', \
         'acme_' || cast(i as text), 'success' from n",
        now_secs() - 1_000
    ))
    .await;
    s.sql(&format!(
        "insert into audit_events (occurred_at, tenant_id, action, target_label, outcome) \
         select {}, tenant_id, 'account.update', 'beta_secret', 'success' from tenants \
         where name = 'Beta'",
        now_secs()
    ))
    .await;

    // Pages: `limit` capped at 200, `next` links keep the filters, no record twice.
    let first = api_json(s, &robot, "/api/v1/audit?limit=1000").await;
    assert_eq!(first["items"].as_array().unwrap().len(), 200);
    let next = first["next"].as_str().unwrap().to_owned();
    assert!(
        next.starts_with("/api/v1/audit?limit=200&cursor="),
        "{next}"
    );
    let second = api_json(s, &robot, &next).await;
    assert!(second["next"].is_null());
    let items: Vec<Value> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["items"].as_array().unwrap())
        .cloned()
        .collect();
    // 250 arranged, the role grants and assignments recorded in Acme.
    assert!(items.len() >= 250, "{}", items.len());
    assert!(
        items.iter().all(|i| i["tenant_name"] == "Acme"),
        "{items:?}"
    );
    assert!(!items.iter().any(|i| i["target_label"] == "beta_secret"));
    assert_newest_first_once_each(&items);
    let filtered = api_json(s, &reader, "/api/v1/audit?target=ACME_24&limit=5").await;
    let labels: Vec<&str> = filtered["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["target_label"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        ["acme_249", "acme_248", "acme_247", "acme_246", "acme_245"]
    );
    assert_eq!(
        filtered["next"].as_str().unwrap().split("&cursor=").next(),
        Some("/api/v1/audit?target=ACME_24&limit=5")
    );
    let rest = api_json(s, &reader, filtered["next"].as_str().unwrap()).await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 5, "acme_244 … 240");
    let last = api_json(s, &reader, rest["next"].as_str().unwrap()).await;
    assert_eq!(last["items"][0]["target_label"], "acme_24");
    assert_eq!(last["items"].as_array().unwrap().len(), 1);
    assert!(last["next"].is_null());

    // The export is the console's: the same records, streamed, recorded as via the API.
    let res = api(
        s,
        Some(&robot),
        "/api/v1/audit/export?format=jsonl&actor=acme_actor",
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()[reqwest::header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\"warden-audit-"));
    let lines = jsonl(&res.text().await.unwrap());
    assert_eq!(lines.len(), 250);
    assert_eq!(lines[0]["target_label"], "acme_250");
    let res = api(
        s,
        Some(&robot),
        "/api/v1/audit/export?format=csv&actor=acme_actor",
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(csv_rows(&res.text().await.unwrap()).len(), 250);
    let record = s.audit().await.pop().unwrap();
    assert_eq!(record.action, "audit.export");
    assert_eq!(record.actor.as_deref(), Some("audit_robot"));
    assert_eq!(record.tenant_id.map(|t| t.to_string()), Some(acme.clone()));
    let after: Value = serde_json::from_str(record.after.as_deref().unwrap()).unwrap();
    assert_eq!(
        after,
        json!({ "format": "csv", "filters": "actor=acme_actor", "via": "api" })
    );

    // Problems: bad input per field, refusals with their code, no credential.
    for (path, field) in [
        ("/api/v1/audit?limit=0", "limit"),
        ("/api/v1/audit?limit=many", "limit"),
        ("/api/v1/audit?cursor=yesterday", "cursor"),
        ("/api/v1/audit?action=drop_table", "action"),
        ("/api/v1/audit?from=2026-02-30", "from"),
        ("/api/v1/audit/export?format=xlsx", "format"),
        ("/api/v1/audit/export", "format"),
    ] {
        let res = api(s, Some(&robot), path).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        assert_eq!(
            res.headers()[reqwest::header::CONTENT_TYPE],
            "application/problem+json"
        );
        let body: Value = res.json().await.unwrap();
        assert!(body["errors"][field].is_array(), "{path}: {body}");
    }
    let res = api(s, Some(&reader), "/api/v1/audit/export?format=csv").await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "lacks_privilege");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("Audit log: Export"),
        "{body}"
    );
    for path in ["/api/v1/audit", "/api/v1/audit/export?format=csv"] {
        let res = api(s, Some(&idle), path).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
        let res = api(s, None, path).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{path}");
        let res = api(s, Some(&person), path).await;
        assert_eq!(
            res.status(),
            StatusCode::UNAUTHORIZED,
            "people cannot use the API: {path}"
        );
    }
}
