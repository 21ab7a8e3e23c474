//! Per-tenant password policy (SPEC §2.3, issue 12 item 12): a tenant chooses Default (SPEC
//! §2.1, every existing tenant's), Strict or Modern (ASVS 5.0: 15–128 characters, no
//! composition rules, guessable passwords refused on the server), and the policy applies
//! wherever a person's password is set: their own change, account creation and import.
//! Platform administrators keep the default policy with guessable passwords refused.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test crate

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_databases!(
    a_tenant_set_to_modern_refuses_a_guessable_new_password_with_a_field_error,
    a_tenant_set_to_modern_accepts_a_long_passphrase_without_composition,
    account_creation_and_import_follow_the_tenants_policy,
    existing_tenants_keep_the_default_policy,
    a_strict_tenant_may_turn_the_guessable_check_on,
    platform_administrators_keep_the_default_policy_and_refuse_guessable_passwords,
    the_tenant_form_checks_the_preset_and_is_audited,
);

const PASSPHRASE: &str = "quiet tulip ladder orbit";
const MODERN_TEMPORARY: &str = "Temporary-tulip-9";

/// Sets tenant `id` (named Acme) to `preset`, with the guessable check `on` or not.
async fn set_policy(s: &TestServer, pa: &str, id: &str, preset: &str, check: bool) -> Value {
    let mut form = vec![
        ("tenant_id", id),
        ("name", "Acme"),
        ("mfa_policy", "optional"),
        ("password_policy", preset),
    ];
    if check {
        form.push(("refuse_guessable", "on"));
    }
    let res = s.call("update_tenant", &form, Some(pa)).await;
    serde_json::from_str(&expect_ok(res).await).unwrap()
}

/// Creates person `username` (Grace Hopper) in tenant `tenant` with `password`; the answer.
async fn create_person(
    s: &TestServer,
    pa: &str,
    tenant: &str,
    username: &str,
    password: &str,
) -> reqwest::Response {
    s.call(
        "create_account",
        &[
            ("tier", "user"),
            ("tenant_id", tenant),
            ("username", username),
            ("email", &format!("{username}@acme.example")),
            ("full_name", "Grace Hopper"),
            ("password", password),
        ],
        Some(pa),
    )
    .await
}

fn change<'a>(current: &'a str, new: &'a str) -> [(&'static str, &'a str); 3] {
    [
        ("current_password", current),
        ("new_password", new),
        ("new_password_confirmation", new),
    ]
}

async fn field_error(res: reqwest::Response, field: &str) -> String {
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    body["Invalid"][field][0]
        .as_str()
        .unwrap_or_else(|| panic!("no error on {field}: {body}"))
        .to_owned()
}

/// A platform administrator's session, and tenant Acme set to Modern with Grace Hopper on a
/// temporary password; returns (administrator's cookie, tenant id, Grace's session).
async fn grace_in_a_modern_tenant(s: &TestServer) -> (String, String, String) {
    let pa = s.platform_admin_session().await;
    let tenant = s.create_tenant(&pa, "Acme").await;
    set_policy(s, &pa, &tenant, "modern", false).await;
    expect_ok(create_person(s, &pa, &tenant, "grace_hopper", MODERN_TEMPORARY).await).await;
    let grace = s
        .sign_in("grace_hopper", MODERN_TEMPORARY)
        .await
        .expect("sign in with the temporary password");
    (pa, tenant, grace)
}

async fn a_tenant_set_to_modern_refuses_a_guessable_new_password_with_a_field_error(
    s: &TestServer,
) {
    let (_, _, grace) = grace_in_a_modern_tenant(s).await;
    let policy = &s.session(&grace).await["password_policy"];
    assert_eq!(policy["min_len"], 15);
    assert_eq!(policy["max_len"], 128);
    assert_eq!(policy["composition"], false);
    assert_eq!(policy["refuse_guessable"], true);

    for guessable in ["Password123!!!!", "gracehopper-acme1", "qwertyuiopasdfgh"] {
        let res = s
            .call(
                "change_password",
                &change(MODERN_TEMPORARY, guessable),
                Some(&grace),
            )
            .await;
        let message = field_error(res, "new_password").await;
        assert!(
            message.starts_with("This password is too easy to guess: "),
            "{guessable}: {message}"
        );
    }
    // Shorter than 15: the length rule speaks first.
    let res = s
        .call(
            "change_password",
            &change(MODERN_TEMPORARY, "Password123!"),
            Some(&grace),
        )
        .await;
    assert!(field_error(res, "new_password").await.contains("15 to 128"));
    assert_eq!(
        s.session(&grace).await["status"],
        "MustChangePassword",
        "nothing changed"
    );
}

async fn a_tenant_set_to_modern_accepts_a_long_passphrase_without_composition(s: &TestServer) {
    let (_, _, grace) = grace_in_a_modern_tenant(s).await;
    let res = s
        .call(
            "change_password",
            &change(MODERN_TEMPORARY, PASSPHRASE),
            Some(&grace),
        )
        .await;
    let renewed = session_cookie(res.headers());
    expect_ok(res).await;
    assert_eq!(s.session(&renewed.unwrap()).await["status"], "Active");
    assert!(s.sign_in("grace_hopper", PASSPHRASE).await.is_ok());

    // 128 characters are accepted, 129 refused.
    let long = "tulip ladder orbit quietly ".repeat(5);
    let at = |n: usize| long.chars().take(n).collect::<String>();
    let me = s.sign_in("grace_hopper", PASSPHRASE).await.unwrap();
    let res = s
        .call("change_password", &change(PASSPHRASE, &at(129)), Some(&me))
        .await;
    assert!(field_error(res, "new_password").await.contains("15 to 128"));
    let res = s
        .call("change_password", &change(PASSPHRASE, &at(128)), Some(&me))
        .await;
    expect_ok(res).await;
    assert!(s.sign_in("grace_hopper", &at(128)).await.is_ok());
}

async fn account_creation_and_import_follow_the_tenants_policy(s: &TestServer) {
    let pa = s.platform_admin_session().await;
    let tenant = s.create_tenant(&pa, "Acme").await;
    set_policy(s, &pa, &tenant, "modern", false).await;

    let res = create_person(s, &pa, &tenant, "short_pass", "Temp-pass1").await;
    assert!(field_error(res, "password").await.contains("15 to 128"));
    let res = create_person(s, &pa, &tenant, "common_pass", "Password123!!!!").await;
    assert!(field_error(res, "password")
        .await
        .starts_with("This password is too easy to guess: "));
    expect_ok(create_person(s, &pa, &tenant, "phrase_person", PASSPHRASE).await).await;

    let csv = format!(
        "username,email,full_name,type,tenant,temporary_password\n\
         ann_person,ann@acme.example,Ann Person,user,Acme,Password123!!!!\n\
         bea_person,bea@acme.example,Bea Person,user,Acme,{PASSPHRASE}\n"
    );
    let rows = app::csv::read_import(&csv).unwrap();
    let res = s
        .call_json(
            "import_accounts",
            &json!({ "rows": rows, "commit": true }),
            Some(&pa),
        )
        .await;
    let results: Value = serde_json::from_str(&expect_ok(res).await).unwrap();
    let ann = &results[0]["errors"]["temporary_password"][0];
    assert!(
        ann.as_str()
            .unwrap_or_default()
            .starts_with("This password is too easy to guess: "),
        "{results}"
    );
    assert!(
        results[1]["errors"].as_object().unwrap().is_empty(),
        "{results}"
    );
    assert!(s.sign_in("bea_person", PASSPHRASE).await.is_ok());
    assert!(s.sign_in("ann_person", "Password123!!!!").await.is_err());
}

async fn existing_tenants_keep_the_default_policy(s: &TestServer) {
    let pa = s.platform_admin_session().await;
    // A tenant as it was before the policy existed: written without the new columns.
    s.sql(
        "insert into tenants (name, status, mfa_policy, created_at, updated_at) \
         values ('Old Co', 'active', 'optional', 0, 0)",
    )
    .await;
    let created = s.create_tenant(&pa, "Acme").await;
    let tenants: Value = serde_json::from_str(
        &expect_ok(s.call("list_tenants", &[("", ""); 0], Some(&pa)).await).await,
    )
    .unwrap();
    for t in tenants.as_array().unwrap() {
        assert_eq!(t["password_preset"], "Default", "{t}");
        assert_eq!(t["refuse_guessable"], false, "{t}");
    }
    let old = tenants
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Old Co")
        .unwrap()["tenant_id"]
        .to_string();
    for tenant in [old, created] {
        // SPEC §2.1's rules, and no guessable check: "Password1" fits them.
        let res = create_person(
            s,
            &pa,
            &tenant,
            &format!("p_{tenant}_long"),
            &"Aa1".repeat(11),
        )
        .await;
        assert!(field_error(res, "password").await.contains("8 to 30"));
        let res = create_person(s, &pa, &tenant, &format!("p_{tenant}_lower"), PASSPHRASE).await;
        assert!(field_error(res, "password").await.contains("uppercase"));
        let name = format!("p_{tenant}_plain");
        expect_ok(create_person(s, &pa, &tenant, &name, "Password1").await).await;
        let person = s.sign_in(&name, "Password1").await.unwrap();
        let policy = &s.session(&person).await["password_policy"];
        assert_eq!(
            *policy,
            json!({ "min_len": 8, "max_len": 30, "composition": true,
                    "refuse_guessable": false, "blocked": [] })
        );
        let res = s
            .call(
                "change_password",
                &change("Password1", "Password2"),
                Some(&person),
            )
            .await;
        expect_ok(res).await;
    }
    // Saving a tenant from a form that does not know the policy keeps it.
    let acme = tenants
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Acme")
        .unwrap()["tenant_id"]
        .to_string();
    set_policy(s, &pa, &acme, "strict", false).await;
    let res = s
        .call(
            "update_tenant",
            &[
                ("tenant_id", acme.as_str()),
                ("name", "Acme"),
                ("mfa_policy", "required"),
            ],
            Some(&pa),
        )
        .await;
    let saved: Value = serde_json::from_str(&expect_ok(res).await).unwrap();
    assert_eq!(saved["password_preset"], "Strict");
    assert_eq!(saved["mfa_policy"], "Required");
}

async fn a_strict_tenant_may_turn_the_guessable_check_on(s: &TestServer) {
    let pa = s.platform_admin_session().await;
    let tenant = s.create_tenant(&pa, "Acme").await;
    let saved = set_policy(s, &pa, &tenant, "strict", false).await;
    assert_eq!(saved["refuse_guessable"], false);
    let res = create_person(s, &pa, &tenant, "eleven_long", "Temp-pass12").await;
    assert!(field_error(res, "password").await.contains("12 to 64"));
    expect_ok(create_person(s, &pa, &tenant, "plain_strict", "Password1234").await).await;

    let saved = set_policy(s, &pa, &tenant, "strict", true).await;
    assert_eq!(saved["refuse_guessable"], true);
    let res = create_person(s, &pa, &tenant, "guess_strict", "Password1234").await;
    assert!(field_error(res, "password")
        .await
        .starts_with("This password is too easy to guess: "));
    expect_ok(create_person(s, &pa, &tenant, "good_strict", "Quartz-beetle-maple7").await).await;
}

async fn platform_administrators_keep_the_default_policy_and_refuse_guessable_passwords(
    s: &TestServer,
) {
    // The setup form: guessable refused, the default's rules otherwise.
    let token = s.setup_token().unwrap();
    let mut form = admin_form(&token);
    for (k, v) in form.iter_mut() {
        if k.starts_with("password") {
            *v = "Password1".to_owned();
        }
    }
    let res = s.call("create_first_admin", &form, None).await;
    assert!(field_error(res, "password")
        .await
        .starts_with("This password is too easy to guess: "));
    let pa = s.platform_admin_session().await;
    let policy = &s.session(&pa).await["password_policy"];
    assert_eq!(
        *policy,
        json!({ "min_len": 8, "max_len": 30, "composition": true,
                "refuse_guessable": true, "blocked": [] })
    );

    let res = s
        .call(
            "change_password",
            &change(ADMIN_PASSWORD, "Password1"),
            Some(&pa),
        )
        .await;
    assert!(field_error(res, "new_password")
        .await
        .starts_with("This password is too easy to guess: "));
    let res = s
        .call(
            "create_account",
            &[
                ("tier", "platform_admin"),
                ("username", "second_admin"),
                ("email", "second@example.com"),
                ("full_name", "Second Admin"),
                ("password", "Password1"),
            ],
            Some(&pa),
        )
        .await;
    assert!(field_error(res, "password")
        .await
        .starts_with("This password is too easy to guess: "));
    // Even in a Modern tenant's company, a platform administrator's password is the
    // default policy's: 30 characters at most.
    let tenant = s.create_tenant(&pa, "Acme").await;
    set_policy(s, &pa, &tenant, "modern", false).await;
    let res = s
        .call(
            "change_password",
            &change(ADMIN_PASSWORD, PASSPHRASE),
            Some(&pa),
        )
        .await;
    assert!(field_error(res, "new_password").await.contains("uppercase"));
    let res = s
        .call(
            "change_password",
            &change(ADMIN_PASSWORD, "Quartz-beetle-maple7"),
            Some(&pa),
        )
        .await;
    expect_ok(res).await;
}

async fn the_tenant_form_checks_the_preset_and_is_audited(s: &TestServer) {
    let pa = s.platform_admin_session().await;
    let tenant = s.create_tenant(&pa, "Acme").await;
    let res = s
        .call(
            "update_tenant",
            &[
                ("tenant_id", tenant.as_str()),
                ("name", "Acme"),
                ("mfa_policy", "optional"),
                ("password_policy", "lax"),
            ],
            Some(&pa),
        )
        .await;
    assert_eq!(
        field_error(res, "password_policy").await,
        "Choose default, strict or modern."
    );
    // Modern always refuses guessable passwords, ticked or not.
    let saved = set_policy(s, &pa, &tenant, "modern", false).await;
    assert_eq!(saved["password_preset"], "Modern");
    assert_eq!(saved["refuse_guessable"], true);
    let res = s
        .call(
            "create_tenant",
            &[
                ("name", "Beta"),
                ("mfa_policy", "optional"),
                ("password_policy", "strict"),
                ("refuse_guessable", "on"),
            ],
            Some(&pa),
        )
        .await;
    let beta: Value = serde_json::from_str(&expect_ok(res).await).unwrap();
    assert_eq!(beta["password_preset"], "Strict");
    assert_eq!(beta["refuse_guessable"], true);

    let audit = s.audit().await;
    let update = audit
        .iter()
        .rev()
        .find(|r| r.action == "tenant.update")
        .expect("the update is audited");
    let text = format!("{update:?}");
    assert!(text.contains("password_policy"), "{text}");
    assert!(text.contains("modern"), "{text}");
}
