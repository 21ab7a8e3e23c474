//! CSV import and export of accounts (issue 3, item 4): per-row, per-column errors; a check
//! writes nothing; an import creates the valid rows; export honours the filters and the
//! tenant boundary, and is audited.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test crate

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_databases!(
    a_check_reports_each_bad_row_by_line_and_column_and_writes_nothing,
    an_import_creates_the_valid_rows_who_then_sign_in_with_their_temporary_password,
    a_tenant_admin_imports_into_its_own_tenant_only,
    export_honours_filters_and_the_tenant_boundary_and_is_audited,
);

/// Reads a CSV text with the shared reader, as the browser does, and sends its rows.
async fn import(s: &TestServer, cookie: &str, csv: &str, commit: bool) -> Vec<Value> {
    let rows = app::csv::read_import(csv).unwrap();
    let res = s
        .call_json(
            "import_accounts",
            &json!({ "rows": rows, "commit": commit }),
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

fn errors_of(result: &Value) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for (field, messages) in result["errors"].as_object().unwrap() {
        for m in messages.as_array().unwrap() {
            found.push((field.clone(), m.as_str().unwrap().to_owned()));
        }
    }
    found
}

async fn count_accounts(s: &TestServer) -> usize {
    s.audit()
        .await
        .iter()
        .filter(|r| r.action == "account.create")
        .count()
}

const MIXED: &str =
    "username,email,full_name,type,tenant,valid_until,temporary_password,external_id\n\
    ann_person,ann@acme.example,Ann Person,user,Acme,,Temp-pass1,E1\n\
    bo,bad-email,,user,Acme,2001-01-01,short,E-2\n\
    svc_robot,robot@acme.example,Robot,Service account,Acme,,,\n\
    cat_person,cat@acme.example,Cat Person,emperor,Nowhere,,Temp-pass1,\n\
    dup_person,ANN@acme.example,Dup Person,user,Acme,,Temp-pass1,E1\n\
    taken_one,admin@example.com,Taken,user,Acme,,Temp-pass1,\n";

async fn a_check_reports_each_bad_row_by_line_and_column_and_writes_nothing(s: &TestServer) {
    let pa = s.platform_admin_session().await;
    s.create_tenant(&pa, "Acme").await;
    let results = import(s, &pa, MIXED, false).await;
    assert_eq!(results.len(), 6);
    let by_line = |line: u64| {
        results
            .iter()
            .find(|r| r["line"] == line)
            .map(errors_of)
            .unwrap()
    };
    assert!(by_line(2).is_empty(), "{:?}", by_line(2));
    let bad: Vec<String> = by_line(3).into_iter().map(|(f, _)| f).collect();
    assert_eq!(
        bad,
        [
            "email",
            "external_id",
            "full_name",
            "temporary_password",
            "username",
            "valid_until"
        ],
        "each bad field, named by its column"
    );
    assert!(by_line(4).is_empty(), "a service account needs no password");
    let row5 = by_line(5);
    assert!(row5.contains(&(
        "tenant".to_owned(),
        "No tenant is named “Nowhere”.".to_owned()
    )));
    assert!(row5
        .iter()
        .any(|(f, m)| f == "type" && m.starts_with("Use one of")));
    let row6 = by_line(6);
    assert!(row6.contains(&("email".to_owned(), "Line 2 has the same value.".to_owned())));
    assert!(row6.contains(&(
        "external_id".to_owned(),
        "Line 2 has the same value.".to_owned()
    )));
    assert_eq!(
        by_line(7),
        [(
            "email".to_owned(),
            "An account with this email address already exists.".to_owned()
        )],
        "values other accounts hold are caught before writing"
    );
    assert!(results.iter().all(|r| r["created"].is_null()));
    assert_eq!(count_accounts(s).await, 0, "a check writes nothing");
}

async fn an_import_creates_the_valid_rows_who_then_sign_in_with_their_temporary_password(
    s: &TestServer,
) {
    let pa = s.platform_admin_session().await;
    s.create_tenant(&pa, "Acme").await;
    let results = import(s, &pa, MIXED, true).await;
    let created: Vec<&str> = results
        .iter()
        .filter(|r| !r["created"].is_null())
        .map(|r| r["username"].as_str().unwrap())
        .collect();
    assert_eq!(created, ["ann_person", "svc_robot"]);
    assert_eq!(count_accounts(s).await, 2, "one audit record per account");
    let ann = s.sign_in("ann_person", "Temp-pass1").await.unwrap();
    let me = s.session(&ann).await;
    assert_eq!(me["status"], "MustChangePassword");
    assert_eq!(me["tenant_name"], "Acme");

    // Importing the same file again: every row is now taken or invalid.
    let again = import(s, &pa, MIXED, true).await;
    assert!(again.iter().all(|r| r["created"].is_null()));
    let first = errors_of(&again[0]);
    assert!(first.contains(&(
        "username".to_owned(),
        "This username is already taken.".to_owned()
    )));
}

async fn a_tenant_admin_imports_into_its_own_tenant_only(s: &TestServer) {
    let pa = s.platform_admin_session().await;
    s.create_tenant(&pa, "Beta").await;
    s.create_tenant_account("tenant_admin", "acme_admin", "Admin-pass1")
        .await;
    let ta = s.sign_in("acme_admin", "Admin-pass1").await.unwrap();
    let csv = "username,email,full_name,type,tenant,temporary_password\n\
        own_person,own@acme.example,Own Person,user,,Temp-pass1\n\
        named_own,named@acme.example,Named Own,user,ACME,Temp-pass1\n\
        beta_person,beta@beta.example,Beta Person,user,Beta,Temp-pass1\n\
        boss_person,boss@acme.example,Boss Person,platform_admin,,Temp-pass1\n";
    let results = import(s, &ta, csv, true).await;
    assert!(!results[0]["created"].is_null());
    assert!(!results[1]["created"].is_null(), "its own tenant, named");
    assert_eq!(
        errors_of(&results[2]),
        [(
            "tenant".to_owned(),
            "You can import into your own tenant (Acme) only.".to_owned()
        )]
    );
    assert_eq!(
        errors_of(&results[3]),
        [(
            "type".to_owned(),
            "You may not create accounts of this type here.".to_owned()
        )]
    );
    let me = s.sign_in("own_person", "Temp-pass1").await.unwrap();
    assert_eq!(s.session(&me).await["tenant_name"], "Acme");

    // A user cannot import at all.
    s.create_tenant_account("user", "plain_user", "User-pass1")
        .await;
    let user = s.sign_in("plain_user", "User-pass1").await.unwrap();
    let rows = app::csv::read_import(csv).unwrap();
    let res = s
        .call_json(
            "import_accounts",
            &json!({ "rows": rows, "commit": false }),
            Some(&user),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

async fn export(s: &TestServer, cookie: Option<&str>, params: &str) -> reqwest::Response {
    let mut req =
        reqwest::Client::new().get(format!("{}/users.csv?{params}", s.running().public_url));
    if let Some(cookie) = cookie {
        req = req.header(reqwest::header::COOKIE, cookie);
    }
    req.send().await.unwrap()
}

async fn export_honours_filters_and_the_tenant_boundary_and_is_audited(s: &TestServer) {
    let pa = s.platform_admin_session().await;
    s.create_tenant(&pa, "Acme").await;
    s.create_tenant(&pa, "Beta").await;
    let csv = "username,email,full_name,type,tenant,country_code,phone,valid_until,temporary_password\n\
        ann_person,ann@acme.example,\"Person, Ann\",user,Acme,+44,020 7946 0000,2099-12-31,Temp-pass1\n\
        bob_person,bob@beta.example,=cmd|' /C calc'!A0,user,Beta,,,,Temp-pass1\n";
    let results = import(s, &pa, csv, true).await;
    assert!(
        results.iter().all(|r| !r["created"].is_null()),
        "{results:?}"
    );

    let res = export(s, Some(&pa), "").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()[reqwest::header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\"warden-accounts-"));
    let text = res.text().await.unwrap();
    let rows = app::csv::read_import(&text).unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r.get("username")).collect();
    assert_eq!(names, ["ann_person", "bob_person", ADMIN_USERNAME]);
    let ann = &rows[0];
    assert_eq!(ann.get("full_name"), "Person, Ann");
    assert_eq!(ann.get("tenant"), "Acme");
    assert_eq!(ann.get("country_code"), "44");
    assert_eq!(ann.get("valid_until"), "2099-12-31");
    assert!(
        text.contains("'=cmd|"),
        "a formula is written defused: {text}"
    );
    assert_eq!(
        rows[1].get("full_name"),
        "=cmd|' /C calc'!A0",
        "and read back whole"
    );

    // As a browser asks, compressed: the whole body arrives (the compression layer once
    // polled the finished stream again, which killed the connection).
    let compressed = reqwest::Client::new()
        .get(format!("{}/users.csv", s.running().public_url))
        .header(reqwest::header::COOKIE, &pa)
        .header(reqwest::header::ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(
        compressed.headers()[reqwest::header::CONTENT_ENCODING],
        "gzip"
    );
    assert!(!compressed.bytes().await.unwrap().is_empty());

    let filtered = export(s, Some(&pa), "q=ann&sort=email")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(filtered.lines().count(), 2, "{filtered}");

    s.create_tenant_account("tenant_admin", "acme_admin", "Admin-pass1")
        .await;
    let ta = s.sign_in("acme_admin", "Admin-pass1").await.unwrap();
    let beta_id = s.create_tenant(&pa, "Gamma").await;
    let own = export(s, Some(&ta), &format!("tenant={beta_id}"))
        .await
        .text()
        .await
        .unwrap();
    let own_rows = app::csv::read_import(&own).unwrap();
    let mut own_names: Vec<&str> = own_rows.iter().map(|r| r.get("username")).collect();
    own_names.sort();
    assert_eq!(own_names, ["acme_admin", "ann_person"]);

    assert_eq!(export(s, None, "").await.status(), StatusCode::UNAUTHORIZED);
    let exports: Vec<_> = s
        .audit()
        .await
        .into_iter()
        .filter(|r| r.action == "account.export")
        .collect();
    assert_eq!(exports.len(), 4);
    assert!(exports[2].after.as_deref().unwrap().contains("q=ann"));
}
