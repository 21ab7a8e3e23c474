//! Tenants (issue 3, item 1): platform administrators only; audited.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test crate

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::Value;

on_both_databases!(
    a_platform_admin_creates_lists_edits_disables_enables_and_deletes_a_tenant,
    tenant_names_are_unique_case_insensitively_and_validated_per_field,
    a_tenant_with_accounts_is_not_deleted_and_the_answer_says_why,
    disabling_a_tenant_refuses_its_accounts_at_their_next_request,
    nobody_but_a_platform_admin_may_touch_tenants,
    unknown_tenants_are_not_found,
    the_tenants_page_offers_delete_only_for_empty_tenants_and_says_why_not,
    a_tenant_administrator_changes_its_own_tenants_policies_and_no_other,
);

/// Every tenant, as `cookie`'s account lists them.
async fn tenants(s: &TestServer, cookie: &str) -> Value {
    let res = s.call("list_tenants", &[("", ""); 0], Some(cookie)).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

async fn create(s: &TestServer, cookie: &str, name: &str) -> Value {
    let res = s
        .call(
            "create_tenant",
            &[("name", name), ("mfa_policy", "optional")],
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

async fn a_platform_admin_creates_lists_edits_disables_enables_and_deletes_a_tenant(
    s: &TestServer,
) {
    let cookie = s.platform_admin_session().await;
    let acme = create(s, &cookie, "  Acme Corp ").await;
    assert_eq!(acme["name"], "Acme Corp");
    assert_eq!(acme["active"], true);
    assert_eq!(acme["account_count"], 0);
    create(s, &cookie, "Beta Ltd").await;
    let id = acme["tenant_id"].to_string();

    let list: Value = tenants(s, &cookie).await;
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Acme Corp", "Beta Ltd"]);

    let res = s
        .call(
            "update_tenant",
            &[
                ("tenant_id", id.as_str()),
                ("name", "Acme Group"),
                ("mfa_policy", "required"),
            ],
            Some(&cookie),
        )
        .await;
    let updated: Value = res.json().await.unwrap();
    assert_eq!(
        (updated["name"].as_str(), updated["mfa_policy"].as_str()),
        (Some("Acme Group"), Some("Required"))
    );

    let off: Value = s
        .call(
            "set_tenant_active",
            &[("tenant_id", id.as_str()), ("active", "false")],
            Some(&cookie),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(off["active"], false);
    let on: Value = s
        .call(
            "set_tenant_active",
            &[("tenant_id", id.as_str()), ("active", "true")],
            Some(&cookie),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(on["active"], true);

    let res = s
        .call(
            "delete_tenant",
            &[("tenant_id", id.as_str())],
            Some(&cookie),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let list: Value = tenants(s, &cookie).await;
    assert_eq!(list.as_array().unwrap().len(), 1);

    let actions: Vec<String> = s
        .audit()
        .await
        .into_iter()
        .filter(|r| r.action.starts_with("tenant."))
        .map(|r| r.action)
        .collect();
    assert_eq!(
        actions,
        [
            "tenant.create",
            "tenant.create",
            "tenant.update",
            "tenant.disable",
            "tenant.enable",
            "tenant.delete"
        ]
    );
    let update = s
        .audit()
        .await
        .into_iter()
        .find(|r| r.action == "tenant.update")
        .unwrap();
    assert!(update.before.unwrap().contains("\"Acme Corp\""));
    assert!(update.after.unwrap().contains("\"required\""));
    assert_eq!(update.actor.as_deref(), Some(ADMIN_USERNAME));
}

async fn tenant_names_are_unique_case_insensitively_and_validated_per_field(s: &TestServer) {
    let cookie = s.platform_admin_session().await;
    create(s, &cookie, "Acme").await;
    let dup = s
        .call(
            "create_tenant",
            &[("name", "ACME"), ("mfa_policy", "off")],
            Some(&cookie),
        )
        .await;
    assert_eq!(dup.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = dup.json().await.unwrap();
    assert_eq!(
        body["Invalid"]["name"][0],
        "A tenant with this name already exists."
    );

    let bad = s
        .call(
            "create_tenant",
            &[("name", " "), ("mfa_policy", "sometimes")],
            Some(&cookie),
        )
        .await;
    let body: Value = bad.json().await.unwrap();
    assert_eq!(body["Invalid"]["name"][0], "Enter a name for the tenant.");
    assert_eq!(
        body["Invalid"]["mfa_policy"][0],
        "Choose off, optional or required."
    );
    let list: Value = tenants(s, &cookie).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "nothing half-created");
}

async fn a_tenant_with_accounts_is_not_deleted_and_the_answer_says_why(s: &TestServer) {
    let cookie = s.platform_admin_session().await;
    s.create_tenant_account("user", "acme_person", "Person-pass1")
        .await; // creates "Acme"
    let list: Value = tenants(s, &cookie).await;
    let acme = &list[0];
    assert_eq!(acme["account_count"], 1);
    let id = acme["tenant_id"].to_string();
    let res = s
        .call(
            "delete_tenant",
            &[("tenant_id", id.as_str())],
            Some(&cookie),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["Conflict"]
            .as_str()
            .unwrap()
            .contains("still has 1 account"),
        "{body}"
    );
    assert!(
        s.sign_in("acme_person", "Person-pass1").await.is_ok(),
        "nothing was deleted"
    );
}

async fn disabling_a_tenant_refuses_its_accounts_at_their_next_request(s: &TestServer) {
    let cookie = s.platform_admin_session().await;
    s.create_tenant_account("tenant_admin", "acme_admin", "Tenant-pass1")
        .await;
    let session = s.sign_in("acme_admin", "Tenant-pass1").await.unwrap();
    let list: Value = tenants(s, &cookie).await;
    let id = list[0]["tenant_id"].to_string();
    s.call(
        "set_tenant_active",
        &[("tenant_id", id.as_str()), ("active", "false")],
        Some(&cookie),
    )
    .await;
    assert!(s.session(&session).await.is_null());
    let again = s.sign_in("acme_admin", "Tenant-pass1").await.unwrap_err();
    assert_eq!(again.status(), StatusCode::FORBIDDEN);
    assert!(again.text().await.unwrap().contains("suspended"));
    assert!(
        s.session(&cookie).await.is_object(),
        "the platform administrator is unaffected"
    );
}

async fn nobody_but_a_platform_admin_may_touch_tenants(s: &TestServer) {
    let cookie = s.platform_admin_session().await;
    let acme = create(s, &cookie, "Acme").await;
    let id = acme["tenant_id"].to_string();
    s.create_tenant_account("tenant_admin", "acme_admin", "Tenant-pass1")
        .await;
    let tenant_admin = s.sign_in("acme_admin", "Tenant-pass1").await.unwrap();
    let calls: [(&str, Vec<(&str, &str)>); 5] = [
        ("list_tenants", vec![]),
        (
            "create_tenant",
            vec![("name", "Mine"), ("mfa_policy", "off")],
        ),
        (
            "update_tenant",
            vec![
                ("tenant_id", id.as_str()),
                ("name", "Hijacked"),
                ("mfa_policy", "off"),
            ],
        ),
        (
            "set_tenant_active",
            vec![("tenant_id", id.as_str()), ("active", "false")],
        ),
        ("delete_tenant", vec![("tenant_id", id.as_str())]),
    ];
    for (name, form) in &calls {
        let res = s.call(name, form, Some(&tenant_admin)).await;
        assert_eq!(
            res.status(),
            StatusCode::FORBIDDEN,
            "{name} as tenant admin"
        );
        let res = s.call(name, form, None).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{name} signed out");
    }
    let list: Value = tenants(s, &cookie).await;
    assert_eq!(list[0]["name"], "Acme");
    assert_eq!(list[0]["active"], true);
}

async fn unknown_tenants_are_not_found(s: &TestServer) {
    let cookie = s.platform_admin_session().await;
    for (name, form) in [
        (
            "update_tenant",
            vec![("tenant_id", "999"), ("name", "X"), ("mfa_policy", "off")],
        ),
        (
            "set_tenant_active",
            vec![("tenant_id", "999"), ("active", "false")],
        ),
        ("delete_tenant", vec![("tenant_id", "999")]),
    ] {
        assert_eq!(
            s.call(name, &form, Some(&cookie)).await.status(),
            StatusCode::NOT_FOUND,
            "{name}"
        );
    }
    let malformed = s
        .call("delete_tenant", &[("tenant_id", "abc")], Some(&cookie))
        .await;
    assert_eq!(malformed.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn the_tenants_page_offers_delete_only_for_empty_tenants_and_says_why_not(s: &TestServer) {
    let pa = s.platform_admin_session().await;
    s.create_tenant(&pa, "Acme").await;
    s.create_tenant(&pa, "Empty").await;
    s.create_tenant_account("user", "acme_user", "Pass-word1")
        .await;
    s.create_tenant_account("user", "acme_other", "Pass-word1")
        .await;
    let res = s.get("/tenants", Some(&pa)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.unwrap();
    assert!(page.contains("aria-label=\"Delete Empty\""), "{page}");
    assert!(!page.contains("aria-label=\"Delete Acme\""), "{page}");
    assert!(
        page.contains("Not deletable: it holds 2 accounts. Disable it, or delete them first."),
        "{page}"
    );
}

async fn a_tenant_administrator_changes_its_own_tenants_policies_and_no_other(s: &TestServer) {
    let cookie = s.platform_admin_session().await;
    let acme = create(s, &cookie, "Acme").await;
    let beta = create(s, &cookie, "Beta").await;
    s.create_tenant_account("tenant_admin", "acme_admin", "Tenant-pass1")
        .await;
    s.create_tenant_account("user", "acme_user", "Tenant-pass1")
        .await;
    let admin = s.sign_in("acme_admin", "Tenant-pass1").await.unwrap();
    let res = s.call("get_own_tenant", &[("", ""); 0], Some(&admin)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let own: Value = res.json().await.unwrap();
    assert_eq!(own["tenant_id"], acme["tenant_id"]);
    assert_eq!(own["mfa_policy"], "Optional");

    let policies = [
        ("mfa_policy", "off"),
        ("password_policy", "strict"),
        ("refuse_guessable", "on"),
    ];
    let res = s.call("update_own_tenant", &policies, Some(&admin)).await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    let list = tenants(s, &cookie).await;
    let find = |name: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap()
            .clone()
    };
    let (acme_now, beta_now) = (find("Acme"), find("Beta"));
    assert_eq!(
        (
            &acme_now["mfa_policy"],
            &acme_now["password_preset"],
            &acme_now["refuse_guessable"]
        ),
        (
            &Value::from("Off"),
            &Value::from("Strict"),
            &Value::from(true)
        )
    );
    assert_eq!(acme_now["name"], "Acme", "the name stays");
    assert_eq!(beta_now, beta, "another tenant is untouched");
    let audit = s.audit().await;
    assert!(
        audit.iter().any(|r| r.action == "tenant.update"
            && r.outcome == "success"
            && r.actor.as_deref() == Some("acme_admin")),
        "{audit:?}"
    );

    // A bad value is named. A tenant id or a name sent along is ignored: only the caller's
    // own tenant's policies change, never its name.
    let res = s
        .call(
            "update_own_tenant",
            &[("mfa_policy", "sometimes")],
            Some(&admin),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    assert!(body["Invalid"]["mfa_policy"].is_array(), "{body}");
    let beta_id = beta["tenant_id"].to_string();
    for extra in [("tenant_id", beta_id.as_str()), ("name", "Renamed")] {
        let res = s
            .call(
                "update_own_tenant",
                &[("mfa_policy", "off"), extra],
                Some(&admin),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{extra:?}");
        let answer: Value = res.json().await.unwrap();
        assert_eq!(answer["name"], "Acme", "{extra:?}");
    }
    assert_eq!(tenants(s, &cookie).await, list, "nothing changed");

    // A user without the privilege, and a platform administrator (no tenant of its own),
    // are refused, with the reason.
    let user = s.sign_in("acme_user", "Tenant-pass1").await.unwrap();
    for who in [&user, &cookie] {
        for (name, form) in [
            ("get_own_tenant", &[][..]),
            ("update_own_tenant", &policies[..]),
        ] {
            let res = s.call(name, form, Some(who)).await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{name}");
        }
    }
    assert_eq!(tenants(s, &cookie).await, list, "nothing changed");
}
