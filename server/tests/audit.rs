//! The audit trail (SPEC §8) of what exists so far: sign-ins, sign-outs, administrators.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test crate

mod common;

use common::*;
use sqlx::Connection;

on_both_databases!(
    every_sign_in_outcome_is_audited_with_its_reason,
    creating_the_first_admin_is_audited_without_secrets,
    signing_out_and_out_everywhere_are_audited,
    audit_records_cannot_be_changed_or_deleted,
    audit_records_outlive_the_accounts_they_name,
);

async fn every_sign_in_outcome_is_audited_with_its_reason(s: &TestServer) {
    s.create_first_admin().await;
    s.create_tenant_account("tenant_admin", "acme_admin", "Tenant-pass1")
        .await;
    assert!(s.sign_in(ADMIN_USERNAME, ADMIN_PASSWORD).await.is_ok());
    assert!(s.sign_in("acme_admin", "Wrong-pass1").await.is_err());
    assert!(s.sign_in("nobody_here", "Wrong-pass1").await.is_err());
    assert!(s.sign_in("Sup3r-secret!", "x").await.is_err()); // a password in the name field
    s.sql("update accounts set status = 'disabled' where username = 'acme_admin'")
        .await;
    assert!(s.sign_in("acme_admin", "Tenant-pass1").await.is_err());
    for _ in 0..5 {
        let _ = s.sign_in("locked_name", "Wrong-pass1").await;
    }
    let locked = s.sign_in("locked_name", "Wrong-pass1").await.unwrap_err();
    assert_eq!(locked.status(), reqwest::StatusCode::TOO_MANY_REQUESTS);

    let rows: Vec<AuditRow> = s
        .audit()
        .await
        .into_iter()
        .filter(|r| r.action == "sign_in")
        .collect();
    let success = &rows[0];
    assert_eq!(
        (success.outcome.as_str(), success.actor.as_deref()),
        ("success", Some(ADMIN_USERNAME))
    );
    assert_eq!(success.target.as_deref(), Some(ADMIN_USERNAME));
    assert_eq!(success.tenant_id, None);
    assert_eq!(success.client.as_deref(), Some("127.0.0.1"));

    let wrong = &rows[1];
    assert_eq!(wrong.outcome, "failure");
    assert_eq!(wrong.reason.as_deref(), Some("invalid_credentials"));
    assert_eq!(wrong.target.as_deref(), Some("acme_admin"));
    assert!(
        wrong.target_id.is_some() && wrong.tenant_id.is_some(),
        "tenant admins see attacks on their accounts"
    );
    assert_eq!(wrong.actor, None);

    let unknown = &rows[2];
    assert_eq!(
        (unknown.target.as_deref(), unknown.target_id),
        (Some("nobody_here"), None)
    );
    let password_in_name = &rows[3];
    assert_eq!(
        password_in_name.target.as_deref(),
        Some("(not a valid username)")
    );

    let disabled = &rows[4];
    assert_eq!(
        (disabled.outcome.as_str(), disabled.reason.as_deref()),
        ("refused", Some("account_disabled"))
    );

    let throttled = rows.last().unwrap();
    assert_eq!(
        (throttled.outcome.as_str(), throttled.reason.as_deref()),
        ("refused", Some("rate_limited"))
    );
    assert_eq!(rows.len(), 5 + 6, "one record per attempt");
}

async fn creating_the_first_admin_is_audited_without_secrets(s: &TestServer) {
    s.create_first_admin().await;
    let rows = s.audit().await;
    assert_eq!(rows.len(), 1);
    let created = &rows[0];
    assert_eq!(created.action, "account.create.setup");
    assert_eq!(created.outcome, "success");
    assert_eq!(created.target.as_deref(), Some(ADMIN_USERNAME));
    let after: serde_json::Value = serde_json::from_str(created.after.as_deref().unwrap()).unwrap();
    assert_eq!(after["email"], "admin@example.com");
    assert_eq!(after["tier"], "platform_admin");
    let everything = format!("{rows:?}");
    assert!(
        !everything.contains(ADMIN_PASSWORD) && !everything.contains("argon2"),
        "no secret in the audit"
    );
}

async fn signing_out_and_out_everywhere_are_audited(s: &TestServer) {
    s.create_first_admin().await;
    let cookie = s.sign_in(ADMIN_USERNAME, ADMIN_PASSWORD).await.unwrap();
    s.call("sign_out", &[("", ""); 0], Some(&cookie)).await;
    let cookie = s.sign_in(ADMIN_USERNAME, ADMIN_PASSWORD).await.unwrap();
    s.call("sign_out_everywhere", &[("", ""); 0], Some(&cookie))
        .await;
    let actions: Vec<String> = s.audit().await.into_iter().map(|r| r.action).collect();
    assert_eq!(
        actions,
        [
            "account.create.setup",
            "sign_in",
            "sign_out",
            "sign_in",
            "sign_out_everywhere"
        ]
    );
}

async fn audit_records_cannot_be_changed_or_deleted(s: &TestServer) {
    s.create_first_admin().await;
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&s.database_url).await.unwrap();
    let update = sqlx::query("update audit_events set outcome = 'failure'")
        .execute(&mut conn)
        .await;
    assert!(update.is_err(), "update refused");
    let delete = sqlx::query("delete from audit_events")
        .execute(&mut conn)
        .await;
    assert!(delete.is_err(), "delete refused");
    assert_eq!(s.audit().await.len(), 1);
}

async fn audit_records_outlive_the_accounts_they_name(s: &TestServer) {
    s.create_first_admin().await;
    assert!(s.sign_in(ADMIN_USERNAME, ADMIN_PASSWORD).await.is_ok());
    s.sql("delete from accounts").await;
    let rows = s.audit().await;
    assert_eq!(rows.len(), 2);
    assert!(rows
        .iter()
        .all(|r| r.target.as_deref() == Some(ADMIN_USERNAME)));
}
