//! Accounts (issue 3, item 2): creation by tier, tenant from the session, field errors,
//! isolation, the safety rules of SPEC §2.2, all audited.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test crate

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::Value;

on_both_databases!(
    a_platform_admin_creates_a_tenant_admin_who_then_creates_a_user_in_its_own_tenant,
    a_tenant_admin_cannot_create_a_platform_admin_or_reach_into_another_tenant,
    every_invalid_field_gets_its_own_message_and_nothing_is_created,
    usernames_and_emails_are_unique_case_insensitively,
    nobody_disables_or_deletes_themselves_or_the_last_enabled_administrator,
    disabling_ends_sessions_at_once_and_enabling_restores_the_previous_status,
    editing_changes_the_editable_fields_and_refuses_expiring_oneself,
    deleting_an_account_keeps_its_audit_records,
    a_duplicate_external_id_in_a_tenant_is_a_field_error_on_create_and_on_edit,
    every_edited_field_is_in_the_audit_record_before_and_after,
    a_phone_typed_as_people_write_it_is_accepted_and_stored_normalised,
    the_account_form_says_the_country_code_is_optional,
    emails_differing_only_in_non_ascii_case_are_one_address_on_create_and_edit,
    accounts_from_before_the_email_key_get_theirs_and_lookalikes_are_kept_but_must_change,
);

async fn create(s: &TestServer, cookie: &str, form: &[(&str, &str)]) -> reqwest::Response {
    s.call("create_account", form, Some(cookie)).await
}

fn person<'a>(
    tier: &'a str,
    tenant: &'a str,
    username: &'a str,
    email: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("tier", tier),
        ("tenant_id", tenant),
        ("username", username),
        ("email", email),
        ("full_name", "Some Person"),
        ("password", "Temp-pass1"),
    ]
}

async fn account_id(s: &TestServer, username: &str) -> String {
    use sqlx::{Connection, Row};
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&s.database_url).await.unwrap();
    let row = sqlx::query("select account_id from accounts where username = $1")
        .bind(username)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    row.get::<i64, _>("account_id").to_string()
}

async fn a_platform_admin_creates_a_tenant_admin_who_then_creates_a_user_in_its_own_tenant(
    s: &TestServer,
) {
    let pa = s.platform_admin_session().await;
    let acme = s.create_tenant(&pa, "Acme").await;
    let res = create(
        s,
        &pa,
        &person("tenant_admin", &acme, "acme_admin", "admin@acme.example"),
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    let temp = s.sign_in("acme_admin", "Temp-pass1").await.unwrap();
    let me = s.session(&temp).await;
    assert_eq!(me["status"], "MustChangePassword");
    assert_eq!(me["tenant_name"], "Acme");
    let ta = s
        .sign_in_and_choose_password("acme_admin", "Temp-pass1")
        .await;

    let beta = s.create_tenant(&pa, "Beta").await;
    // The tenant comes from the session: a submitted tenant_id of another tenant is ignored.
    let res = create(
        s,
        &ta,
        &person("user", &beta, "acme_user", "user@acme.example"),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let user = s.sign_in("acme_user", "Temp-pass1").await.unwrap();
    assert_eq!(s.session(&user).await["tenant_name"], "Acme");

    // A service account gets no password and cannot use the console.
    let robot = [
        ("tier", "service_account"),
        ("username", "acme_robot"),
        ("email", "robot@acme.example"),
        ("full_name", "CI robot"),
    ];
    assert_eq!(create(s, &ta, &robot).await.status(), StatusCode::OK);

    let created: Vec<_> = s
        .audit()
        .await
        .into_iter()
        .filter(|r| r.action == "account.create")
        .collect();
    assert_eq!(created.len(), 3);
    assert_eq!(created[1].actor.as_deref(), Some("acme_admin"));
    assert!(
        !format!("{created:?}").contains("Temp-pass1"),
        "no password in the audit"
    );
}

async fn a_tenant_admin_cannot_create_a_platform_admin_or_reach_into_another_tenant(
    s: &TestServer,
) {
    let pa = s.platform_admin_session().await;
    let acme = s.create_tenant(&pa, "Acme").await;
    let beta = s.create_tenant(&pa, "Beta").await;
    create(
        s,
        &pa,
        &person("tenant_admin", &acme, "acme_admin", "a@acme.example"),
    )
    .await;
    create(
        s,
        &pa,
        &person("user", &beta, "beta_user", "u@beta.example"),
    )
    .await;
    let ta = s
        .sign_in_and_choose_password("acme_admin", "Temp-pass1")
        .await;

    let res = create(
        s,
        &ta,
        &person("platform_admin", "", "sneaky_root", "root@acme.example"),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // The answer says why: the tier ceiling of SPEC §1.
    let refusal = res.json::<Value>().await.unwrap();
    assert_eq!(
        refusal["Forbidden"]["TierCeiling"],
        serde_json::json!({ "actor": "TenantAdmin", "target": "PlatformAdmin" }),
        "{refusal}"
    );

    let beta_user = account_id(s, "beta_user").await;
    let id = beta_user.as_str();
    for (name, form) in [
        (
            "update_account",
            vec![
                ("account_id", id),
                ("email", "x@acme.example"),
                ("full_name", "X"),
            ],
        ),
        (
            "set_account_enabled",
            vec![("account_id", id), ("enabled", "false")],
        ),
        ("delete_account", vec![("account_id", id)]),
    ] {
        let res = s.call(name, &form, Some(&ta)).await;
        let status = res.status();
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "{name} across tenants: {}",
            res.text().await.unwrap()
        );
    }
    assert!(
        s.sign_in("beta_user", "Temp-pass1").await.is_ok(),
        "untouched"
    );
    // A user-tier account without roles manages nobody.
    create(s, &ta, &person("user", "", "acme_user", "u@acme.example")).await;
    let user = s
        .sign_in_and_choose_password("acme_user", "Temp-pass1")
        .await;
    let res = create(
        s,
        &user,
        &person("user", "", "another_one", "o@acme.example"),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // The answer says why: no role of the user grants managing users.
    let refusal = res.json::<Value>().await.unwrap();
    assert!(refusal["Forbidden"]["Lacks"].is_object(), "{refusal}");
}

async fn every_invalid_field_gets_its_own_message_and_nothing_is_created(s: &TestServer) {
    let pa = s.platform_admin_session().await;
    let form = [
        ("tier", "user"),
        ("tenant_id", "12345"),
        ("username", "ab"),
        ("email", "no-at-sign"),
        ("full_name", ""),
        ("job_title", &"j".repeat(101)),
        ("country_code", "+0"),
        ("phone", "12"),
        ("expires_on", "2020-01-01"),
        ("ref_id_1", "has space"),
        ("ref_id_2", "ok123"),
        ("external_id", &"e".repeat(61)),
        ("password", "weak"),
    ];
    let res = create(s, &pa, &form).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    let fields = body["Invalid"].as_object().unwrap();
    let mut names: Vec<&str> = fields.keys().map(String::as_str).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "country_code",
            "email",
            "expires_on",
            "external_id",
            "full_name",
            "job_title",
            "password",
            "phone",
            "ref_id_1",
            "tenant_id",
            "username"
        ]
    );
    assert_eq!(fields["tenant_id"][0], "Choose a tenant.");
    assert_eq!(fields["expires_on"][0], "Choose a date in the future.");
    let bad_tier = create(
        s,
        &pa,
        &[
            ("tier", "root"),
            ("username", "abcdef"),
            ("email", "a@b.co"),
            ("full_name", "A"),
        ],
    )
    .await;
    let body: Value = bad_tier.json().await.unwrap();
    assert_eq!(body["Invalid"]["tier"][0], "Choose an account type.");
    assert_eq!(
        s.audit()
            .await
            .iter()
            .filter(|r| r.action == "account.create")
            .count(),
        0
    );
}

async fn usernames_and_emails_are_unique_case_insensitively(s: &TestServer) {
    let pa = s.platform_admin_session().await;
    let acme = s.create_tenant(&pa, "Acme").await;
    create(
        s,
        &pa,
        &person("user", &acme, "Same_Name", "same@acme.example"),
    )
    .await;
    let res = create(
        s,
        &pa,
        &person("user", &acme, "SAME_NAME", "other@acme.example"),
    )
    .await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["Invalid"]["username"][0],
        "This username is already taken."
    );
    let res = create(
        s,
        &pa,
        &person("user", &acme, "other_name", "SAME@acme.example"),
    )
    .await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["Invalid"]["email"][0],
        "An account with this email address already exists."
    );
}

async fn nobody_disables_or_deletes_themselves_or_the_last_enabled_administrator(s: &TestServer) {
    let pa = s.platform_admin_session().await;
    let me = account_id(s, ADMIN_USERNAME).await;
    for (name, form) in [
        (
            "set_account_enabled",
            vec![("account_id", me.as_str()), ("enabled", "false")],
        ),
        ("delete_account", vec![("account_id", me.as_str())]),
    ] {
        let res = s.call(name, &form, Some(&pa)).await;
        assert_eq!(res.status(), StatusCode::CONFLICT, "{name} self");
        let body: Value = res.json().await.unwrap();
        assert!(
            body["Conflict"]
                .as_str()
                .unwrap()
                .contains("your own account"),
            "{body}"
        );
    }
    // The last enabled tenant administrator of a tenant stays.
    let acme = s.create_tenant(&pa, "Acme").await;
    create(
        s,
        &pa,
        &person("tenant_admin", &acme, "acme_admin", "a@acme.example"),
    )
    .await;
    let only = account_id(s, "acme_admin").await;
    let res = s
        .call(
            "set_account_enabled",
            &[("account_id", only.as_str()), ("enabled", "false")],
            Some(&pa),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let body: Value = res.json().await.unwrap();
    assert!(body["Conflict"]
        .as_str()
        .unwrap()
        .contains("last enabled tenant administrator"));
    let res = s
        .call(
            "delete_account",
            &[("account_id", only.as_str())],
            Some(&pa),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    // With a second one, either may go.
    create(
        s,
        &pa,
        &person("tenant_admin", &acme, "acme_admin2", "b@acme.example"),
    )
    .await;
    let res = s
        .call(
            "set_account_enabled",
            &[("account_id", only.as_str()), ("enabled", "false")],
            Some(&pa),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    // A second platform administrator can remove the first, but not the last.
    create(
        s,
        &pa,
        &person("platform_admin", "", "second_root", "root2@example.com"),
    )
    .await;
    let second = s
        .sign_in_and_choose_password("second_root", "Temp-pass1")
        .await;
    let res = s
        .call(
            "delete_account",
            &[("account_id", me.as_str())],
            Some(&second),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        s.session(&pa).await.is_null(),
        "the deleted administrator's session ends"
    );
}

async fn disabling_ends_sessions_at_once_and_enabling_restores_the_previous_status(s: &TestServer) {
    let pa = s.platform_admin_session().await;
    let acme = s.create_tenant(&pa, "Acme").await;
    create(
        s,
        &pa,
        &person("user", &acme, "acme_user", "u@acme.example"),
    )
    .await;
    let user = s.sign_in("acme_user", "Temp-pass1").await.unwrap();
    let id = account_id(s, "acme_user").await;
    let res = s
        .call(
            "set_account_enabled",
            &[("account_id", id.as_str()), ("enabled", "false")],
            Some(&pa),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(s.session(&user).await.is_null());
    let refused = s.sign_in("acme_user", "Temp-pass1").await.unwrap_err();
    assert!(refused.text().await.unwrap().contains("disabled"));
    s.call(
        "set_account_enabled",
        &[("account_id", id.as_str()), ("enabled", "true")],
        Some(&pa),
    )
    .await;
    let user = s.sign_in("acme_user", "Temp-pass1").await.unwrap();
    assert_eq!(
        s.session(&user).await["status"],
        "MustChangePassword",
        "still has to change it"
    );
    let actions: Vec<String> = s
        .audit()
        .await
        .into_iter()
        .map(|r| r.action)
        .filter(|a| a.starts_with("account."))
        .collect();
    assert!(
        actions.ends_with(&["account.disable".to_owned(), "account.enable".to_owned()]),
        "{actions:?}"
    );
}

async fn editing_changes_the_editable_fields_and_refuses_expiring_oneself(s: &TestServer) {
    let pa = s.platform_admin_session().await;
    let acme = s.create_tenant(&pa, "Acme").await;
    create(
        s,
        &pa,
        &person("user", &acme, "acme_user", "u@acme.example"),
    )
    .await;
    let id = account_id(s, "acme_user").await;
    let res = s
        .call(
            "update_account",
            &[
                ("account_id", id.as_str()),
                ("email", "new@acme.example"),
                ("full_name", "New Name"),
                ("job_title", "Analyst"),
                ("expires_on", "2999-12-31"),
            ],
            Some(&pa),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    let user = s.sign_in("acme_user", "Temp-pass1").await.unwrap();
    let me = s.session(&user).await;
    assert_eq!(
        (
            me["email"].as_str(),
            me["full_name"].as_str(),
            me["job_title"].as_str()
        ),
        (Some("new@acme.example"), Some("New Name"), Some("Analyst"))
    );
    assert!(me["expires_at"].as_i64().unwrap() > 0);
    let update = s
        .audit()
        .await
        .into_iter()
        .find(|r| r.action == "account.update")
        .unwrap();
    assert!(
        update.before.unwrap().contains("u@acme.example")
            && update.after.unwrap().contains("new@acme.example")
    );

    let me_id = account_id(s, ADMIN_USERNAME).await;
    let res = s
        .call(
            "update_account",
            &[
                ("account_id", me_id.as_str()),
                ("email", "admin@example.com"),
                ("full_name", "Ada Admin"),
                ("expires_on", "2999-01-01"),
            ],
            Some(&pa),
        )
        .await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["Invalid"]["expires_on"][0],
        "You cannot set an expiration date on your own account."
    );
}

async fn deleting_an_account_keeps_its_audit_records(s: &TestServer) {
    let pa = s.platform_admin_session().await;
    let acme = s.create_tenant(&pa, "Acme").await;
    create(
        s,
        &pa,
        &person("user", &acme, "acme_user", "u@acme.example"),
    )
    .await;
    assert!(s.sign_in("acme_user", "Temp-pass1").await.is_ok());
    let id = account_id(s, "acme_user").await;
    let res = s
        .call("delete_account", &[("account_id", id.as_str())], Some(&pa))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(s.sign_in("acme_user", "Temp-pass1").await.is_err());
    let named: Vec<String> = s
        .audit()
        .await
        .into_iter()
        .filter(|r| r.target.as_deref() == Some("acme_user"))
        .map(|r| r.action)
        .collect();
    assert_eq!(
        named,
        ["account.create", "sign_in", "account.delete", "sign_in"]
    );
}

async fn a_duplicate_external_id_in_a_tenant_is_a_field_error_on_create_and_on_edit(
    s: &TestServer,
) {
    let pa = s.platform_admin_session().await;
    let acme = s.create_tenant(&pa, "Acme").await;
    let beta = s.create_tenant(&pa, "Beta").await;
    let mut first = person("user", &acme, "first_user", "first@acme.example");
    first.push(("external_id", "EMP42"));
    expect_ok(create(s, &pa, &first).await).await;
    // Another tenant may use the same external ID.
    let mut elsewhere = person("user", &beta, "beta_user", "user@beta.example");
    elsewhere.push(("external_id", "EMP42"));
    expect_ok(create(s, &pa, &elsewhere).await).await;

    let mut second = person("user", &acme, "second_user", "second@acme.example");
    second.push(("external_id", "EMP42"));
    let res = create(s, &pa, &second).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["Invalid"]["external_id"][0],
        "Another account of this tenant has this external ID."
    );
    assert!(s
        .strings("select username from accounts where username = 'second_user'")
        .await
        .is_empty());

    second.pop();
    second.push(("external_id", "EMP43"));
    expect_ok(create(s, &pa, &second).await).await;
    let id = account_id(s, "second_user").await;
    let res = s
        .call(
            "update_account",
            &[
                ("account_id", id.as_str()),
                ("email", "second@acme.example"),
                ("full_name", "Some Person"),
                ("external_id", "EMP42"),
            ],
            Some(&pa),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["Invalid"]["external_id"][0],
        "Another account of this tenant has this external ID."
    );
}

async fn every_edited_field_is_in_the_audit_record_before_and_after(s: &TestServer) {
    let pa = s.platform_admin_session().await;
    let acme = s.create_tenant(&pa, "Acme").await;
    let mut form = person("user", &acme, "acme_user", "u@acme.example");
    form.extend([
        ("country_code", "+44"),
        ("phone", "7946 0018"),
        ("external_id", "EMP1"),
        ("ref_id_1", "R1"),
    ]);
    expect_ok(create(s, &pa, &form).await).await;
    let id = account_id(s, "acme_user").await;
    expect_ok(
        s.call(
            "update_account",
            &[
                ("account_id", id.as_str()),
                ("email", "u@acme.example"),
                ("full_name", "Some Person"),
                ("country_code", "+1"),
                ("phone", "555 0100"),
                ("external_id", "EMP2"),
                ("ref_id_1", ""),
                ("ref_id_2", "R2"),
            ],
            Some(&pa),
        )
        .await,
    )
    .await;
    let query = serde_json::json!({ "query": {
        "actor": "", "action": "account.update", "target": "", "from": "", "to": "", "cursor": null
    }});
    let page: Value =
        serde_json::from_str(&expect_ok(s.call_json("list_audit", &query, Some(&pa)).await).await)
            .unwrap();
    let entries = page["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{page}");
    let changes: Vec<(String, Value, Value)> =
        serde_json::from_value(entries[0]["changes"].clone()).unwrap();
    let changed: Vec<&str> = changes.iter().map(|(f, _, _)| f.as_str()).collect();
    assert_eq!(
        changed,
        [
            "country_code",
            "external_id",
            "phone",
            "ref_id_1",
            "ref_id_2"
        ],
        "{changes:?}"
    );
    let phone = changes.iter().find(|(f, _, _)| f == "phone").unwrap();
    assert_eq!(
        (phone.1.as_str(), phone.2.as_str()),
        (Some("\"79460018\""), Some("\"5550100\""))
    );
    let reference = changes.iter().find(|(f, _, _)| f == "ref_id_1").unwrap();
    assert_eq!(
        (reference.1.as_str(), reference.2.as_str()),
        (Some("\"R1\""), Some("null"))
    );
    // The creation's record names every field too.
    let created = s
        .audit()
        .await
        .into_iter()
        .find(|r| r.action == "account.create")
        .unwrap();
    let after: Value = serde_json::from_str(created.after.as_deref().unwrap()).unwrap();
    for field in [
        "country_code",
        "phone",
        "external_id",
        "ref_id_1",
        "ref_id_2",
    ] {
        assert!(after.get(field).is_some(), "{field} in {after}");
    }
}

async fn a_phone_typed_as_people_write_it_is_accepted_and_stored_normalised(s: &TestServer) {
    let pa = s.platform_admin_session().await;
    let acme = s.create_tenant(&pa, "Acme").await;
    let mut form = person("user", &acme, "phone_user", "phone@acme.example");
    form.push(("phone", "+1 555 0100"));
    expect_ok(create(s, &pa, &form).await).await;
    assert_eq!(
        s.strings("select phone from accounts where username = 'phone_user'")
            .await,
        ["+15550100"]
    );
    let id = account_id(s, "phone_user").await;
    let edit = |country: &'static str, phone: &'static str| {
        let id = id.clone();
        let pa = pa.clone();
        async move {
            s.call(
                "update_account",
                &[
                    ("account_id", id.as_str()),
                    ("email", "phone@acme.example"),
                    ("full_name", "Some Person"),
                    ("country_code", country),
                    ("phone", phone),
                ],
                Some(&pa),
            )
            .await
        }
    };
    // With the country code given, it is stored once.
    expect_ok(edit("+1", "+1 555-0101").await).await;
    assert_eq!(
        s.strings(
            "select coalesce(country_code, '') || ' ' || phone from accounts \
             where username = 'phone_user'"
        )
        .await,
        ["+1 5550101"]
    );
    expect_ok(edit("44", "(020) 7946-0018").await).await;
    assert_eq!(
        s.strings("select phone from accounts where username = 'phone_user'")
            .await,
        ["02079460018"]
    );
    // A number that contradicts the country code, or is not a number, is a field error.
    for (country, phone) in [("+44", "+1 555 0100"), ("", "555 0100 ext. 3")] {
        let res = edit(country, phone).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{phone}");
        let body: Value = res.json().await.unwrap();
        assert!(body["Invalid"]["phone"][0].is_string(), "{body}");
    }
}

async fn the_account_form_says_the_country_code_is_optional(s: &TestServer) {
    let pa = s.platform_admin_session().await;
    let page = s.get("/users/new", Some(&pa)).await.text().await.unwrap();
    assert!(page.contains("Country code (optional)"), "{page}");
    assert!(page.contains("Phone (optional)"));
}

async fn emails_differing_only_in_non_ascii_case_are_one_address_on_create_and_edit(
    s: &TestServer,
) {
    let pa = s.platform_admin_session().await;
    let acme = s.create_tenant(&pa, "Acme").await;
    expect_ok(
        create(
            s,
            &pa,
            &person("user", &acme, "emile_one", "émile@acme.example"),
        )
        .await,
    )
    .await;
    let taken = "An account with this email address already exists.";
    let res = create(
        s,
        &pa,
        &person("user", &acme, "emile_two", "ÉMILE@acme.example"),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["Invalid"]["email"][0], taken);

    expect_ok(
        create(
            s,
            &pa,
            &person("user", &acme, "emile_two", "emile@acme.example"),
        )
        .await,
    )
    .await;
    let id = account_id(s, "emile_two").await;
    let res = s
        .call(
            "update_account",
            &[
                ("account_id", id.as_str()),
                ("email", "ÉMILE@ACME.EXAMPLE"),
                ("full_name", "Some Person"),
            ],
            Some(&pa),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["Invalid"]["email"][0], taken);
    // The database holds the same rule, whoever writes to it.
    let mut keys = s
        .strings("select email_key from accounts where username like 'emile%'")
        .await;
    keys.sort();
    assert_eq!(keys, ["emile@acme.example", "émile@acme.example"]);
}

async fn accounts_from_before_the_email_key_get_theirs_and_lookalikes_are_kept_but_must_change(
    s: &TestServer,
) {
    use sqlx::Connection;
    let pa = s.platform_admin_session().await;
    let acme = s.create_tenant(&pa, "Acme").await;
    // As a database migrated from before the key holds them: no key, and two addresses that
    // SQLite's lower() told apart (PostgreSQL's may already refuse the second, by locale).
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&s.database_url).await.unwrap();
    let mut lookalike_exists = false;
    for (username, email) in [
        ("old_upper", "Ørjan@Acme.example"),
        ("old_plain", "Plain@Acme.example"),
        ("old_lower", "ørjan@acme.example"),
    ] {
        let inserted = sqlx::query(&format!(
            "insert into accounts (tenant_id, tier, username, email, full_name, status, \
             jwt_version, created_at, updated_at) select tenant_id, 'user', '{username}', \
             '{email}', 'Old Person', 'active', 'v1', 0, 0 from tenants where name = 'Acme'"
        ))
        .execute(&mut conn)
        .await;
        match username {
            "old_lower" => lookalike_exists = inserted.is_ok(),
            _ => assert!(inserted.is_ok(), "{inserted:?}"),
        }
    }
    conn.close().await.ok();
    let expected_left = usize::from(lookalike_exists);
    let db = app::backend::store::db::Db::connect(&s.database_url)
        .await
        .unwrap();
    assert_eq!(
        app::backend::store::accounts::backfill_email_keys(&db)
            .await
            .unwrap(),
        expected_left
    );
    // Run again (every start does): nothing new, a lookalike still reported.
    assert_eq!(
        app::backend::store::accounts::backfill_email_keys(&db)
            .await
            .unwrap(),
        expected_left
    );
    db.close().await;
    let key = |username: &'static str| async move {
        s.strings(&format!(
            "select coalesce(email_key, '(none)') from accounts where username = '{username}'"
        ))
        .await
    };
    assert_eq!(key("old_upper").await, ["ørjan@acme.example"]);
    assert_eq!(key("old_plain").await, ["plain@acme.example"]);
    // Either way, the address is taken now.
    let res = create(
        s,
        &pa,
        &person("user", &acme, "new_orjan", "ØRJAN@acme.example"),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["Invalid"]["email"][0], "An account with this email address already exists.",
        "{body}"
    );
    if !lookalike_exists {
        return;
    }
    assert_eq!(key("old_lower").await, ["(none)"]);
    // The first keeps the address; the lookalike must take its own at its next edit.
    let pa = pa.as_str();
    let edit = |email: &'static str| async move {
        let id = account_id(s, "old_lower").await;
        s.call(
            "update_account",
            &[
                ("account_id", id.as_str()),
                ("email", email),
                ("full_name", "Old Person"),
            ],
            Some(pa),
        )
        .await
    };
    let res = edit("ørjan@acme.example").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["Invalid"]["email"][0],
        "An account with this email address already exists."
    );
    expect_ok(edit("orjan.two@acme.example").await).await;
    assert_eq!(key("old_lower").await, ["orjan.two@acme.example"]);
}
