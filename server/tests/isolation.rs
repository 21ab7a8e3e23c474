//! Tenant isolation (issue 3, item 6): a tenant administrator of Acme calls every server
//! function with Beta's ids. Account functions answer "not found"; tenant functions answer
//! "forbidden" exactly as for an id that does not exist (no way to probe what exists); lists
//! never show Beta; and nothing of Beta changes. A table names every server function, and the
//! test fails when one is added without a line here.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test crate

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::BTreeSet;

on_both_databases!(a_tenant_admin_can_neither_see_nor_change_another_tenant,);

/// Every server function and how this test covers it.
const COVERED: [(&str, &str); 45] = [
    (
        "session",
        "takes no id: answers only the caller's own account",
    ),
    ("sign_in", "takes no id"),
    (
        "sign_in_code",
        "takes no id: the account comes from the signed pending-step cookie",
    ),
    ("begin_mfa_enrolment", "takes no id: the caller's own MFA"),
    ("confirm_mfa_enrolment", "takes no id: the caller's own MFA"),
    ("turn_off_mfa", "takes no id: the caller's own MFA"),
    ("reset_mfa", "called with a Beta account: not found"),
    ("end_sessions", "called with a Beta account: not found"),
    ("sign_out", "takes no id"),
    (
        "sign_out_everywhere",
        "takes no id: the caller's own sessions",
    ),
    ("change_password", "takes no id: the caller's own password"),
    ("check_setup_link", "takes no id"),
    (
        "create_first_admin",
        "takes no id; refused once an administrator exists",
    ),
    ("list_tenants", "called: forbidden"),
    ("create_tenant", "called: forbidden"),
    (
        "list_outbox",
        "called: forbidden (platform administrators only)",
    ),
    (
        "retry_outbox_message",
        "called: forbidden (platform administrators only)",
    ),
    (
        "update_tenant",
        "called with Beta's id: forbidden, as for no tenant",
    ),
    (
        "set_tenant_active",
        "called with Beta's id: forbidden, as for no tenant",
    ),
    (
        "delete_tenant",
        "called with Beta's id: forbidden, as for no tenant",
    ),
    ("get_own_tenant", "takes no id: the caller's own tenant"),
    (
        "update_own_tenant",
        "called with Beta's id: Acme's changed, Beta unchanged",
    ),
    (
        "create_account",
        "called with Beta's tenant id: created in Acme",
    ),
    ("update_account", "called with a Beta account: not found"),
    (
        "set_account_enabled",
        "called with a Beta account: not found",
    ),
    ("delete_account", "called with a Beta account: not found"),
    ("get_account", "called with a Beta account: not found"),
    (
        "list_accounts",
        "called with Beta's tenant and names: no Beta rows",
    ),
    (
        "import_accounts",
        "called with rows naming Beta: refused per row",
    ),
    ("list_audit", "called with Beta's names: no Beta records"),
    ("list_roles", "called with Beta's tenant: not found"),
    ("get_role", "called with a Beta role: not found"),
    ("create_role", "called with Beta's tenant: not found"),
    ("update_role", "called with a Beta role: not found"),
    ("delete_role", "called with a Beta role: not found"),
    ("create_scope", "called with Beta's tenant: not found"),
    ("update_scope", "called with a Beta scope: not found"),
    ("delete_scope", "called with a Beta scope: not found"),
    (
        "assign_role",
        "called with Beta's account, role or scope: not found",
    ),
    (
        "unassign_role",
        "called with Beta's account, role or scope: not found",
    ),
    (
        "get_account_access",
        "called with a Beta account: not found",
    ),
    (
        "list_service_credentials",
        "called with a Beta service account: not found",
    ),
    (
        "create_api_token",
        "called with a Beta service account: not found, no token",
    ),
    (
        "revoke_api_token",
        "called with a Beta service account and its token: not found, not revoked",
    ),
    (
        "rotate_client_secret",
        "called with a Beta service account: not found, no client",
    ),
];

/// Every plain route of the server (`server::middleware::PLAIN_ROUTES`) and how this test
/// covers it.
const PLAIN_COVERED: [(&str, &str); 4] = [
    ("/healthz", "takes no id and shows nothing of a tenant"),
    ("/users.csv", "called asking for Beta: only Acme's accounts"),
    ("/audit.csv", "called asking for Beta: only Acme's records"),
    (
        "/audit.jsonl",
        "called asking for Beta: only Acme's records",
    ),
];

async fn id_of(s: &TestServer, username: &str) -> i64 {
    use sqlx::{Connection, Row};
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&s.database_url).await.unwrap();
    let row = sqlx::query("select account_id from accounts where username = $1")
        .bind(username)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    row.get::<i64, _>("account_id")
}

/// Everything stored about tenant `tenant`, as text.
async fn snapshot(s: &TestServer, tenant: &str) -> Vec<String> {
    use sqlx::{Connection, Row};
    let mut conn = sqlx::AnyConnection::connect(&s.database_url).await.unwrap();
    let mut out = Vec::new();
    let tenant: i64 = tenant.parse().unwrap();
    for row in
        sqlx::query("select name, status, mfa_policy, updated_at from tenants where tenant_id = $1")
            .bind(tenant)
            .fetch_all(&mut conn)
            .await
            .unwrap()
    {
        out.push(format!(
            "{} {} {} {}",
            row.get::<String, _>(0),
            row.get::<String, _>(1),
            row.get::<String, _>(2),
            row.get::<i64, _>(3)
        ));
    }
    for query in [
        "select r.name || ':' || r.description || ':' || coalesce(p.privilege, '') from roles r \
         left join role_privileges p on p.role_id = r.role_id where r.tenant_id = $1 \
         order by r.role_id, p.privilege",
        "select s.name || ':' || s.description from scopes s where s.tenant_id = $1 order by s.scope_id",
        "select cast(a.account_id as text) || ':' || cast(a.role_id as text) || ':' || \
         coalesce(cast(a.scope_id as text), '') from role_assignments a \
         join roles r on r.role_id = a.role_id where r.tenant_id = $1 order by a.assignment_id",
    ] {
        for row in sqlx::query(query)
            .bind(tenant)
            .fetch_all(&mut conn)
            .await
            .unwrap()
        {
            out.push(row.get::<String, _>(0));
        }
    }
    for row in sqlx::query(
        "select username, email, full_name, status, jwt_version, updated_at from accounts \
         where tenant_id = $1 order by account_id",
    )
    .bind(tenant)
    .fetch_all(&mut conn)
    .await
    .unwrap()
    {
        out.push(
            (0..5)
                .map(|i| row.get::<String, _>(i))
                .chain([row.get::<i64, _>(5).to_string()])
                .collect::<Vec<_>>()
                .join(" "),
        );
    }
    out
}

async fn answer(res: reqwest::Response) -> (StatusCode, String) {
    (res.status(), res.text().await.unwrap())
}

async fn a_tenant_admin_can_neither_see_nor_change_another_tenant(s: &TestServer) {
    let registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.trim_start_matches("/api/").to_owned())
        .collect();
    let covered: BTreeSet<String> = COVERED.iter().map(|(f, _)| (*f).to_owned()).collect();
    assert_eq!(
        registered, covered,
        "every server function needs a line in COVERED (and a call below)"
    );
    let plain: BTreeSet<&str> = server::middleware::PLAIN_ROUTES.iter().copied().collect();
    let plain_covered: BTreeSet<&str> = PLAIN_COVERED.iter().map(|(r, _)| *r).collect();
    assert_eq!(
        plain, plain_covered,
        "every plain route needs a line in PLAIN_COVERED (and a call below)"
    );

    let pa = s.platform_admin_session().await;
    let acme = s.create_tenant(&pa, "Acme").await;
    let beta = s.create_tenant(&pa, "Beta").await;
    let create = |tier: &'static str, tenant: String, name: &'static str, ext: &'static str| {
        let pa = pa.clone();
        async move {
            let email = format!("{name}@x.example");
            let res = s
                .call(
                    "create_account",
                    &[
                        ("tier", tier),
                        ("tenant_id", &tenant),
                        ("username", name),
                        ("email", &email),
                        ("full_name", "Some Person"),
                        ("external_id", ext),
                        ("password", "Temp-pass1"),
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
        }
    };
    create("tenant_admin", acme.clone(), "acme_admin", "A1").await;
    create("tenant_admin", beta.clone(), "beta_admin", "B1").await;
    create("user", beta.clone(), "beta_user", "B2").await;
    create("service_account", beta.clone(), "beta_robot", "B3").await;
    let ta = s
        .sign_in_and_choose_password("acme_admin", "Temp-pass1")
        .await;
    let victim = id_of(s, "beta_user").await.to_string();
    // Beta has a scope and an assignment too.
    let res = s
        .call(
            "create_scope",
            &[
                ("tenant_id", beta.as_str()),
                ("name", "Beta North"),
                ("description", ""),
            ],
            Some(&pa),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let beta_scope: i64 = res.json().await.unwrap();
    let beta_role = first(
        s,
        &format!("select role_id from roles where tenant_id = {beta} and name = 'Member'"),
    )
    .await;
    let acme_role = first(
        s,
        &format!("select role_id from roles where tenant_id = {acme} and name = 'Member'"),
    )
    .await;
    let res = s
        .call(
            "assign_role",
            &[
                ("account_id", victim.as_str()),
                ("role_id", beta_role.as_str()),
                ("scope_id", &beta_scope.to_string()),
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
    let before = snapshot(s, &beta).await;

    // Account functions: "not found", exactly as for an account that does not exist.
    for (function, form) in [
        ("get_account", vec![("account_id", victim.clone())]),
        (
            "update_account",
            vec![
                ("account_id", victim.clone()),
                ("email", "stolen@x.example".to_owned()),
                ("full_name", "Stolen".to_owned()),
            ],
        ),
        (
            "set_account_enabled",
            vec![
                ("account_id", victim.clone()),
                ("enabled", "false".to_owned()),
            ],
        ),
        ("delete_account", vec![("account_id", victim.clone())]),
        ("reset_mfa", vec![("account_id", victim.clone())]),
        ("end_sessions", vec![("account_id", victim.clone())]),
    ] {
        let (status, body) = answer(s.call(function, &form, Some(&ta)).await).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{function}: {body}");
        let missing: Vec<(&str, String)> = form
            .iter()
            .map(|(k, v)| {
                (
                    *k,
                    if *k == "account_id" {
                        "987654".to_owned()
                    } else {
                        v.clone()
                    },
                )
            })
            .collect();
        let (status_missing, body_missing) =
            answer(s.call(function, &missing, Some(&ta)).await).await;
        assert_eq!((status, body), (status_missing, body_missing), "{function}");
    }

    // A Beta service account's credentials: "not found", exactly as for no account.
    let robot = id_of(s, "beta_robot").await.to_string();
    let res = s
        .call(
            "create_api_token",
            &[("account_id", robot.as_str()), ("name", "beta's own")],
            Some(&pa),
        )
        .await;
    let token: Value = serde_json::from_str(&expect_ok(res).await).unwrap();
    let token_id = token["token"]["api_token_id"].to_string();
    for (function, form) in [
        (
            "list_service_credentials",
            vec![("account_id", robot.clone())],
        ),
        (
            "create_api_token",
            vec![("account_id", robot.clone()), ("name", "stolen".to_owned())],
        ),
        (
            "revoke_api_token",
            vec![
                ("account_id", robot.clone()),
                ("api_token_id", token_id.clone()),
            ],
        ),
        ("rotate_client_secret", vec![("account_id", robot.clone())]),
    ] {
        let (status, body) = answer(s.call(function, &form, Some(&ta)).await).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{function}: {body}");
        let missing: Vec<(&str, String)> = form
            .iter()
            .map(|(k, v)| {
                let v = if *k == "account_id" {
                    "987654".to_owned()
                } else {
                    v.clone()
                };
                (*k, v)
            })
            .collect();
        let (status_missing, body_missing) =
            answer(s.call(function, &missing, Some(&ta)).await).await;
        assert_eq!((status, body), (status_missing, body_missing), "{function}");
    }
    assert_eq!(
        first(
            s,
            &format!(
                "select cast(count(*) as text) || ':' || cast(count(revoked_at) as text)                  from api_tokens where account_id = {robot}"
            ),
        )
        .await,
        "1:0",
        "Beta's token is neither added to nor revoked"
    );
    assert_eq!(
        first(
            s,
            &format!("select cast(count(*) as text) from api_clients where account_id = {robot}"),
        )
        .await,
        "0"
    );

    // Its own tenant's settings: a tenant id sent along is ignored (as every console form
    // ignores fields it does not have); the change lands in Acme, and Beta stays as it was.
    let beta_policy = || async {
        first(
            s,
            &format!("select mfa_policy from tenants where tenant_id = {beta}"),
        )
        .await
    };
    let policy_before = beta_policy().await;
    let res = s
        .call(
            "update_own_tenant",
            &[("tenant_id", beta.as_str()), ("mfa_policy", "off")],
            Some(&ta),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let changed: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        (changed["name"].as_str(), changed["mfa_policy"].as_str()),
        (Some("Acme"), Some("Off"))
    );
    assert_eq!(
        beta_policy().await,
        policy_before,
        "Beta's policy is unchanged"
    );
    let res = s.call("get_own_tenant", &[("", ""); 0], Some(&ta)).await;
    let own: serde_json::Value = res.json().await.unwrap();
    assert_eq!(own["name"], "Acme", "the caller's own tenant, never Beta");

    // Tenant functions: forbidden to tenant administrators, whatever the id.
    for (function, form) in [
        (
            "update_tenant",
            vec![
                ("tenant_id", beta.clone()),
                ("name", "Owned".to_owned()),
                ("mfa_policy", "off".to_owned()),
            ],
        ),
        (
            "set_tenant_active",
            vec![("tenant_id", beta.clone()), ("active", "false".to_owned())],
        ),
        ("delete_tenant", vec![("tenant_id", beta.clone())]),
    ] {
        let (status, body) = answer(s.call(function, &form, Some(&ta)).await).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{function}: {body}");
        let missing: Vec<(&str, String)> = form
            .iter()
            .map(|(k, v)| {
                (
                    *k,
                    if *k == "tenant_id" {
                        "987654".to_owned()
                    } else {
                        v.clone()
                    },
                )
            })
            .collect();
        assert_eq!(
            answer(s.call(function, &missing, Some(&ta)).await).await,
            (status, body),
            "{function}"
        );
    }
    for (function, form) in [
        ("list_tenants", vec![]),
        (
            "create_tenant",
            vec![("name", "Gamma"), ("mfa_policy", "off")],
        ),
    ] {
        let res = s.call(function, &form, Some(&ta)).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{function}");
    }
    let res = s
        .call_json(
            "list_outbox",
            &json!({ "query": { "status": null, "before": null } }),
            Some(&ta),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "list_outbox");
    let res = s
        .call("retry_outbox_message", &[("message_id", "1")], Some(&ta))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "retry_outbox_message");

    // A submitted tenant is ignored: the account lands in the caller's tenant.
    let res = s
        .call(
            "create_account",
            &[
                ("tier", "user"),
                ("tenant_id", beta.as_str()),
                ("username", "planted_one"),
                ("email", "planted@x.example"),
                ("full_name", "Planted"),
                ("password", "Temp-pass1"),
            ],
            Some(&ta),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let planted = s.sign_in("planted_one", "Temp-pass1").await.unwrap();
    assert_eq!(s.session(&planted).await["tenant_name"], "Acme");

    // Lists: nothing of Beta, whatever is asked.
    let beta_id: i64 = beta.parse().unwrap();
    for search in ["", "beta", "b2", "beta_user@x"] {
        let res = s
            .call_json(
                "list_accounts",
                &json!({ "query": {
                    "search": search, "status": null, "tier": null, "tenant": beta_id,
                    "sort": "Username", "descending": false, "cursor": null
                } }),
                Some(&ta),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        let page: Value = res.json().await.unwrap();
        for row in page["rows"].as_array().unwrap() {
            assert_eq!(row["tenant_name"], "Acme", "{search}: {row}");
        }
    }
    for target in ["beta", ""] {
        let res = s
            .call_json(
                "list_audit",
                &json!({ "query": {
                    "actor": "", "action": "", "target": target, "from": "", "to": "", "cursor": null
                } }),
                Some(&ta),
            )
            .await;
        let page: Value = res.json().await.unwrap();
        for entry in page["entries"].as_array().unwrap() {
            let label = entry["target_label"].as_str().unwrap_or_default();
            assert!(!label.starts_with("beta"), "{entry}");
        }
    }
    let csv = reqwest::Client::new()
        .get(format!(
            "{}/users.csv?tenant={beta}",
            s.running().public_url
        ))
        .header(reqwest::header::COOKIE, &ta)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!csv.contains("beta_"), "{csv}");
    for path in ["audit.csv", "audit.jsonl"] {
        for params in [
            "target=beta".to_owned(),
            format!("tenant={beta}"),
            String::new(),
        ] {
            let res = reqwest::Client::new()
                .get(format!("{}/{path}?{params}", s.running().public_url))
                .header(reqwest::header::COOKIE, &ta)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK, "{path}?{params}");
            let text = res.text().await.unwrap();
            assert!(!text.contains("beta_"), "{path}?{params}: {text}");
            assert!(!text.contains("Beta"), "{path}?{params}: {text}");
        }
    }

    // Import: rows naming Beta are refused one by one; nothing is created.
    let rows = app::csv::read_import(
        "username,email,full_name,type,tenant,temporary_password\n\
         beta_newbie,newbie@x.example,New Bie,user,Beta,Temp-pass1\n",
    )
    .unwrap();
    let res = s
        .call_json(
            "import_accounts",
            &json!({ "rows": rows, "commit": true }),
            Some(&ta),
        )
        .await;
    let results: Value = res.json().await.unwrap();
    assert!(results[0]["created"].is_null());
    assert!(!results[0]["errors"]["tenant"].is_null());

    // Roles, scopes and assignments: "not found", exactly as for ids that do not exist.
    let acme_user = {
        let res = s
            .call(
                "create_account",
                &[
                    ("tier", "user"),
                    ("username", "acme_person"),
                    ("email", "acme_person@x.example"),
                    ("full_name", "Acme Person"),
                    ("password", "Temp-pass1"),
                ],
                Some(&ta),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json::<i64>().await.unwrap().to_string()
    };
    let scope = beta_scope.to_string();
    // (function, its form, the field whose value names Beta's thing)
    let mut forms: Vec<Probe> = vec![
        ("list_roles", vec![("tenant_id", beta.clone())], "tenant_id"),
        ("get_role", vec![("role_id", beta_role.clone())], "role_id"),
        (
            "create_role",
            vec![
                ("tenant_id", beta.clone()),
                ("name", "Planted".into()),
                ("description", String::new()),
            ],
            "tenant_id",
        ),
        (
            "delete_role",
            vec![("role_id", beta_role.clone())],
            "role_id",
        ),
        (
            "create_scope",
            vec![
                ("tenant_id", beta.clone()),
                ("name", "Planted".into()),
                ("description", String::new()),
            ],
            "tenant_id",
        ),
        (
            "update_scope",
            vec![
                ("scope_id", scope.clone()),
                ("name", "Owned".into()),
                ("description", String::new()),
            ],
            "scope_id",
        ),
        (
            "delete_scope",
            vec![("scope_id", scope.clone())],
            "scope_id",
        ),
        (
            "get_account_access",
            vec![("account_id", victim.clone())],
            "account_id",
        ),
    ];
    for function in ["assign_role", "unassign_role"] {
        // Beta's account with Beta's role and scope; Acme's account with Beta's role; Acme's
        // account and role with Beta's scope.
        for (account, role, with_scope, varied) in [
            (
                victim.clone(),
                beta_role.clone(),
                Some(scope.clone()),
                "account_id",
            ),
            (acme_user.clone(), beta_role.clone(), None, "role_id"),
            (
                acme_user.clone(),
                acme_role.clone(),
                Some(scope.clone()),
                "scope_id",
            ),
        ] {
            let mut form = vec![("account_id", account), ("role_id", role)];
            if let Some(sc) = with_scope {
                form.push(("scope_id", sc));
            }
            forms.push((function, form, varied));
        }
    }
    for (function, form, varied) in forms {
        let (status, body) = answer(s.call(function, &form, Some(&ta)).await).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{function} {form:?}: {body}");
        let missing: Vec<(&str, String)> = form
            .iter()
            .map(|(k, v)| {
                (
                    *k,
                    if *k == varied {
                        "987654".to_owned()
                    } else {
                        v.clone()
                    },
                )
            })
            .collect();
        assert_eq!(
            answer(s.call(function, &missing, Some(&ta)).await).await,
            (status, body),
            "{function} {form:?}"
        );
    }
    let role_form = json!({
        "name": "Owned", "description": "", "granted": [], "object_grants": []
    });
    let (status, body) = answer(
        s.call_json(
            "update_role",
            &json!({ "role_id": beta_role.parse::<i64>().unwrap(), "form": role_form }),
            Some(&ta),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "update_role: {body}");
    assert_eq!(
        answer(
            s.call_json(
                "update_role",
                &json!({ "role_id": 987654, "form": role_form }),
                Some(&ta),
            )
            .await
        )
        .await,
        (status, body)
    );

    assert_eq!(snapshot(s, &beta).await, before, "nothing of Beta changed");
}

/// A server function, its form, and the field that names the other tenant's thing.
type Probe = (&'static str, Vec<(&'static str, String)>, &'static str);

/// The first column of the first row, as text.
async fn first(s: &TestServer, query: &str) -> String {
    s.strings(&format!("select cast(({query}) as text)"))
        .await
        .remove(0)
}
