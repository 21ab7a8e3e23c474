//! Refused administrative attempts in the audit trail (issue 12 item 10; ASVS V16.3.2,
//! V16.3.3): each with its action, its target as far as the actor may see it and a stable
//! reason code, answered exactly as before, and a loop of them recorded a few times a minute
//! with a count of the rest.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test crate

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_databases!(
    a_user_without_users_edit_trying_to_disable_someone_is_audited_as_refused_with_its_reason,
    another_tenants_account_is_answered_not_found_and_audited_without_naming_it,
    a_refused_grant_of_an_unheld_privilege_is_audited_with_the_privilege,
    removing_the_last_administrator_or_oneself_is_audited_as_refused,
    a_loop_of_refused_calls_is_recorded_a_few_times_a_minute_and_then_says_how_many_were_left_out,
    refused_tenant_changes_mfa_resets_and_imported_rows_are_audited_too,
    refusals_sent_at_once_are_recorded_no_more_often_than_one_at_a_time,
);

async fn id_of(s: &TestServer, username: &str) -> String {
    s.strings(&format!(
        "select cast(account_id as text) from accounts where username = '{username}'"
    ))
    .await
    .remove(0)
}

/// A new role in `tenant` granting `keys`, made by `cookie` (an administrator).
async fn new_role(s: &TestServer, cookie: &str, tenant: &str, name: &str, keys: &[&str]) -> i64 {
    let res = s
        .call(
            "create_role",
            &[("tenant_id", tenant), ("name", name), ("description", "")],
            Some(cookie),
        )
        .await;
    let id: i64 = expect_ok(res).await.parse().unwrap();
    let res = set_privileges(s, cookie, id, name, keys).await;
    expect_ok(res).await;
    id
}

async fn set_privileges(
    s: &TestServer,
    cookie: &str,
    role: i64,
    name: &str,
    keys: &[&str],
) -> reqwest::Response {
    let catalog = app::access::Catalog::builtin();
    let granted: Vec<app::access::Privilege> = keys
        .iter()
        .map(|k| catalog.parse_key(k).unwrap_or_else(|| panic!("{k}")))
        .collect();
    s.call_json(
        "update_role",
        &json!({ "role_id": role, "form": {
            "name": name, "description": "", "granted": granted, "object_grants": []
        }}),
        Some(cookie),
    )
    .await
}

/// Tenant "Acme" with a user-tier account `username` (password `Pass-word1`) holding a new
/// role with `keys` tenant-wide, and a colleague `colleague_name`; returns (the platform
/// administrator's session, the tenant's id, the user's session).
async fn user_with(s: &TestServer, username: &str, keys: &[&str]) -> (String, String, String) {
    let pa = s.platform_admin_session().await;
    let acme = s.create_tenant(&pa, "Acme").await;
    s.create_tenant_account("user", username, "Pass-word1")
        .await;
    s.create_tenant_account("user", "colleague_name", "Pass-word1")
        .await;
    let role = new_role(s, &pa, &acme, "Team", keys).await;
    let account = id_of(s, username).await;
    let res = s
        .call(
            "assign_role",
            &[
                ("account_id", account.as_str()),
                ("role_id", &role.to_string()),
            ],
            Some(&pa),
        )
        .await;
    expect_ok(res).await;
    let session = s.sign_in(username, "Pass-word1").await.unwrap();
    (pa, acme, session)
}

async fn disable(s: &TestServer, cookie: &str, id: &str) -> reqwest::Response {
    s.call(
        "set_account_enabled",
        &[("account_id", id), ("enabled", "false")],
        Some(cookie),
    )
    .await
}

fn refused(rows: &[AuditRow]) -> Vec<&AuditRow> {
    rows.iter().filter(|r| r.outcome == "refused").collect()
}

async fn a_user_without_users_edit_trying_to_disable_someone_is_audited_as_refused_with_its_reason(
    s: &TestServer,
) {
    let (_pa, acme, viewer) = user_with(s, "team_viewer", &["security.users:view"]).await;
    let colleague = id_of(s, "colleague_name").await;
    let before = s.audit().await.len();
    let res = disable(s, &viewer, &colleague).await;
    // The answer says why, as the record does.
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let refusal = res.json::<Value>().await.unwrap();
    assert!(refusal["Forbidden"]["Lacks"].is_object(), "{refusal}");
    let rows = s.audit().await;
    let new: Vec<&AuditRow> = rows[before..].iter().collect();
    assert_eq!(new.len(), 1, "{new:?}");
    let row = new[0];
    assert_eq!(
        (
            row.action.as_str(),
            row.outcome.as_str(),
            row.reason.as_deref()
        ),
        ("account.disable", "refused", Some("lacks_privilege"))
    );
    assert_eq!(row.actor.as_deref(), Some("team_viewer"));
    assert_eq!(row.target.as_deref(), Some("colleague_name"));
    assert_eq!(row.target_id.map(|id| id.to_string()), Some(colleague));
    assert_eq!(row.tenant_id.map(|t| t.to_string()), Some(acme));
    assert_eq!(row.client.as_deref(), Some("127.0.0.1"));
    assert_eq!(
        s.strings("select status from accounts where username = 'colleague_name'")
            .await,
        ["active"]
    );
}

async fn another_tenants_account_is_answered_not_found_and_audited_without_naming_it(
    s: &TestServer,
) {
    let pa = s.platform_admin_session().await;
    s.create_tenant(&pa, "Globex").await;
    // A tenant administrator of Acme, and an account of Globex.
    s.create_tenant_account("tenant_admin", "acme_admin", "Pass-word1")
        .await;
    s.create_tenant_account("user", "globex_person", "Pass-word1")
        .await;
    s.sql(
        "update accounts set tenant_id = (select tenant_id from tenants where name = 'Globex') \
         where username = 'globex_person'",
    )
    .await;
    let admin = s.sign_in("acme_admin", "Pass-word1").await.unwrap();
    let other = id_of(s, "globex_person").await;
    let res = disable(s, &admin, &other).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.json::<Value>().await.unwrap(), json!("NotFound"));
    let rows = s.audit().await;
    let row = refused(&rows)[0];
    assert_eq!(
        (row.action.as_str(), row.reason.as_deref()),
        ("account.disable", Some("other_tenant"))
    );
    // Recorded in the actor's tenant, naming only the id that was sent.
    let acme: Vec<String> = s
        .strings("select cast(tenant_id as text) from tenants where name = 'Acme'")
        .await;
    assert_eq!(row.tenant_id.map(|t| t.to_string()), Some(acme[0].clone()));
    assert_eq!((row.target.as_deref(), row.target_id), (None, None));
    let attempted: Value = serde_json::from_str(row.after.as_deref().unwrap()).unwrap();
    assert_eq!(attempted["account_id"].to_string(), other);
    assert!(
        !rows
            .iter()
            .any(|r| r.target.as_deref() == Some("globex_person")),
        "nothing names the other tenant's account"
    );
    // An id that exists nowhere is still just "not found", and not a refusal.
    let res = disable(s, &admin, "999999").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(refused(&s.audit().await).len(), 1);
}

async fn a_refused_grant_of_an_unheld_privilege_is_audited_with_the_privilege(s: &TestServer) {
    let (pa, acme, sec) = user_with(s, "sec_admin", &["security:admin"]).await;
    let helpdesk = new_role(s, &pa, &acme, "Helpdesk", &[]).await;
    let res = set_privileges(s, &sec, helpdesk, "Helpdesk", &["data.forms:edit"]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["ForbiddenChange"]["errors"]["privileges"][0],
        "You cannot grant or take away Forms: Edit: you do not hold it yourself."
    );
    let rows = s.audit().await;
    let refused = refused(&rows);
    assert_eq!(refused.len(), 1, "{refused:?}");
    let row = refused[0];
    assert_eq!(
        (row.action.as_str(), row.reason.as_deref()),
        ("role.update", Some("not_held_by_you"))
    );
    assert_eq!(row.actor.as_deref(), Some("sec_admin"));
    assert_eq!(row.target.as_deref(), Some("Helpdesk"));
    assert_eq!(row.tenant_id.map(|t| t.to_string()), Some(acme));
    let attempted: Value = serde_json::from_str(row.after.as_deref().unwrap()).unwrap();
    assert_eq!(attempted["privileges"], json!(["Forms: Edit"]));
    assert!(
        s.strings(&format!(
            "select privilege from role_privileges where role_id = {helpdesk}"
        ))
        .await
        .is_empty(),
        "nothing was granted"
    );
}

async fn removing_the_last_administrator_or_oneself_is_audited_as_refused(s: &TestServer) {
    let pa = s.platform_admin_session().await;
    s.create_tenant(&pa, "Acme").await;
    s.create_tenant_account("tenant_admin", "acme_admin", "Pass-word1")
        .await;
    let only = id_of(s, "acme_admin").await;
    let res = disable(s, &pa, &only).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["Conflict"]
            .as_str()
            .unwrap()
            .contains("last enabled tenant administrator"),
        "{body}"
    );
    let me = id_of(s, ADMIN_USERNAME).await;
    let res = s
        .call("delete_account", &[("account_id", me.as_str())], Some(&pa))
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);

    let rows = s.audit().await;
    let refused = refused(&rows);
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert_eq!(
        (
            refused[0].action.as_str(),
            refused[0].reason.as_deref(),
            refused[0].target.as_deref()
        ),
        (
            "account.disable",
            Some("last_administrator"),
            Some("acme_admin")
        )
    );
    assert_eq!(refused[0].actor.as_deref(), Some(ADMIN_USERNAME));
    assert!(refused[0].tenant_id.is_some(), "in the tenant it concerns");
    assert_eq!(
        (
            refused[1].action.as_str(),
            refused[1].reason.as_deref(),
            refused[1].target.as_deref()
        ),
        ("account.delete", Some("self_removal"), Some(ADMIN_USERNAME))
    );
    // The refused change itself was rolled back: no successful record, nothing disabled.
    assert!(!rows
        .iter()
        .any(|r| r.action == "account.disable" && r.outcome == "success"));
    assert_eq!(
        s.strings("select status from accounts where username = 'acme_admin'")
            .await,
        ["active"]
    );
}

async fn a_loop_of_refused_calls_is_recorded_a_few_times_a_minute_and_then_says_how_many_were_left_out(
    s: &TestServer,
) {
    let (pa, _acme, viewer) = user_with(s, "team_viewer", &["security.users:view"]).await;
    let colleague = id_of(s, "colleague_name").await;
    for _ in 0..50 {
        let res = disable(s, &viewer, &colleague).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "every call is refused");
    }
    let recorded = app::backend::services::refusals::REFUSALS_RECORDED.max_attempts as usize;
    assert!(recorded < 50);
    let count = |rows: &[AuditRow], action: &str| {
        rows.iter()
            .filter(|r| r.outcome == "refused" && r.action == action)
            .count()
    };
    assert_eq!(count(&s.audit().await, "account.disable"), recorded);
    // Another action is counted on its own.
    let res = s
        .call(
            "delete_account",
            &[("account_id", colleague.as_str())],
            Some(&viewer),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(count(&s.audit().await, "account.delete"), 1);
    // A minute later (the window moved back rather than waited for), the next refusal is
    // recorded and says how many were left out.
    s.sql("update audit_refusal_windows set window_started_at = window_started_at - 61")
        .await;
    let res = disable(s, &viewer, &colleague).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(count(&s.audit().await, "account.disable"), recorded + 1);
    let suppressed = s
        .strings(
            "select cast(suppressed_before as text) from audit_events \
             where action = 'account.disable' and suppressed_before is not null",
        )
        .await;
    assert_eq!(suppressed, [(50 - recorded).to_string()]);
    // The audit page says so, in words.
    let res = s
        .call_json(
            "list_audit",
            &json!({ "query": { "actor": "team_viewer", "action": "account.disable",
                "target": "", "from": "", "to": "", "cursor": null } }),
            Some(&pa),
        )
        .await;
    let page: Value = serde_json::from_str(&expect_ok(res).await).unwrap();
    let newest = &page["entries"][0];
    assert_eq!(newest["suppressed_before"], json!(50 - recorded));
    let text = app::audit_log::outcome_text(
        newest["outcome"].as_str().unwrap(),
        newest["reason"].as_str(),
        newest["suppressed_before"].as_i64(),
    );
    assert!(
        text.starts_with("refused · none of their roles grants the privilege")
            && text.contains(&format!("{} more like it", 50 - recorded)),
        "{text}"
    );
}

async fn refused_tenant_changes_mfa_resets_and_imported_rows_are_audited_too(s: &TestServer) {
    let (_pa, _acme, viewer) = user_with(s, "team_viewer", &["security.users:view"]).await;
    let colleague = id_of(s, "colleague_name").await;
    let res = s
        .call(
            "create_tenant",
            &[("name", "Rogue"), ("mfa_policy", "optional")],
            Some(&viewer),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = s
        .call(
            "reset_mfa",
            &[("account_id", colleague.as_str())],
            Some(&viewer),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // An import: checking the file only reads; importing it is an attempt.
    let rows = json!([{ "line": 2, "values": {
        "username": "new_person", "email": "new@acme.example", "full_name": "New Person",
        "type": "user", "temporary_password": "Temp-pass1"
    }}]);
    for commit in [false, true] {
        let res = s
            .call_json(
                "import_accounts",
                &json!({ "rows": rows, "commit": commit }),
                Some(&viewer),
            )
            .await;
        let results: Value = serde_json::from_str(&expect_ok(res).await).unwrap();
        assert_eq!(
            results[0]["errors"]["type"][0],
            "You may not create accounts of this type here."
        );
    }
    let rows = s.audit().await;
    let refused: Vec<(&str, Option<&str>, Option<&str>)> = refused(&rows)
        .iter()
        .map(|r| (r.action.as_str(), r.reason.as_deref(), r.target.as_deref()))
        .collect();
    assert_eq!(
        refused,
        [
            ("tenant.create", Some("platform_only"), None),
            (
                "mfa.disable",
                Some("administrators_only"),
                Some("colleague_name")
            ),
            (
                "account.create",
                Some("lacks_privilege"),
                Some("new_person")
            ),
        ]
    );
}

async fn refusals_sent_at_once_are_recorded_no_more_often_than_one_at_a_time(s: &TestServer) {
    let (_pa, _acme, viewer) = user_with(s, "team_viewer", &["security.users:view"]).await;
    let colleague = id_of(s, "colleague_name").await;
    let calls = (0..30).map(|_| disable(s, &viewer, &colleague));
    for res in futures_util::future::join_all(calls).await {
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    }
    let recorded = app::backend::services::refusals::REFUSALS_RECORDED.max_attempts as usize;
    assert_eq!(refused(&s.audit().await).len(), recorded);
    // Every one of the rest is counted, once.
    s.sql("update audit_refusal_windows set window_started_at = window_started_at - 61")
        .await;
    disable(s, &viewer, &colleague).await;
    let suppressed = s
        .strings(
            "select cast(suppressed_before as text) from audit_events \
             where suppressed_before is not null",
        )
        .await;
    assert_eq!(suppressed, [(30 - recorded).to_string()]);
}
