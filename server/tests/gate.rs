//! One request gate (issue 12, item 6): every route of the router (server functions, console
//! pages, plain routes) is listed here with what it asks of the session, and called as an
//! account that must first replace its temporary password and as one that must first enrol
//! MFA. The test fails when a route is reachable by such a session beyond what its line
//! allows, or when the router has a route this table does not list.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test crate

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::BTreeSet;

on_both_databases!(no_route_is_reachable_before_the_password_is_changed_or_mfa_enrolled,);

/// What a route asks of the session (mirrors `app::backend::security::gate::Access`, written out here so
/// that a change there is a change to this table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Needs {
    /// Open to anyone.
    Nothing,
    /// A session, even with a temporary password (change it, sign out).
    AnySession,
    /// A session with its own password, even before MFA enrolment.
    OwnPassword,
    /// A session with nothing outstanding.
    Everything,
}

use Needs::*;

/// Every server function: what it asks, and arguments that deserialize (the gate answers
/// before any of them is looked at).
fn server_functions() -> Vec<(&'static str, Needs, Value)> {
    let query = json!({ "query": {
        "search": "", "status": null, "tier": null, "tenant": null,
        "sort": "Username", "descending": false, "cursor": null
    } });
    vec![
        ("session", Nothing, json!({})),
        (
            "sign_in",
            Nothing,
            json!({"username": "x", "password": "y"}),
        ),
        ("sign_in_code", Nothing, json!({"code": "123456"})),
        ("check_setup_link", Nothing, json!({"token": "t"})),
        (
            "create_first_admin",
            Nothing,
            json!({"token": "t", "username": "u", "email": "e", "full_name": "f",
                   "password": "p", "password_confirmation": "p"}),
        ),
        ("sign_out", Nothing, json!({})),
        ("sign_out_everywhere", AnySession, json!({})),
        (
            "change_password",
            AnySession,
            json!({"current_password": "a", "new_password": "b", "new_password_confirmation": "b"}),
        ),
        ("begin_mfa_enrolment", OwnPassword, json!({})),
        (
            "confirm_mfa_enrolment",
            OwnPassword,
            json!({"code": "123456", "current_password": "x"}),
        ),
        ("turn_off_mfa", Everything, json!({"code": "123456"})),
        ("reset_mfa", Everything, json!({"account_id": 1})),
        ("end_sessions", Everything, json!({"account_id": 1})),
        ("list_tenants", Everything, json!({})),
        (
            "create_tenant",
            Everything,
            json!({"name": "n", "mfa_policy": "optional"}),
        ),
        (
            "update_tenant",
            Everything,
            json!({"tenant_id": 1, "name": "n", "mfa_policy": "optional"}),
        ),
        (
            "set_tenant_active",
            Everything,
            json!({"tenant_id": 1, "active": true}),
        ),
        ("delete_tenant", Everything, json!({"tenant_id": 1})),
        ("get_own_tenant", Everything, json!({})),
        (
            "update_own_tenant",
            Everything,
            json!({"mfa_policy": "optional"}),
        ),
        (
            "create_account",
            Everything,
            json!({"tier": "user", "username": "u", "email": "e", "full_name": "f"}),
        ),
        (
            "update_account",
            Everything,
            json!({"account_id": 1, "email": "e", "full_name": "f"}),
        ),
        (
            "set_account_enabled",
            Everything,
            json!({"account_id": 1, "enabled": false}),
        ),
        ("delete_account", Everything, json!({"account_id": 1})),
        ("list_accounts", Everything, query),
        ("get_account", Everything, json!({"account_id": 1})),
        (
            "import_accounts",
            Everything,
            json!({"rows": [], "commit": false}),
        ),
        (
            "list_audit",
            Everything,
            json!({ "query": {
                "actor": "", "action": "", "target": "", "from": "", "to": "", "cursor": null
            } }),
        ),
        ("list_roles", Everything, json!({"tenant_id": null})),
        ("get_role", Everything, json!({"role_id": 1})),
        (
            "create_role",
            Everything,
            json!({"tenant_id": null, "name": "n", "description": ""}),
        ),
        (
            "update_role",
            Everything,
            json!({"role_id": 1, "form": {"name": "n", "description": "", "granted": [], "object_grants": []}}),
        ),
        ("delete_role", Everything, json!({"role_id": 1})),
        (
            "create_scope",
            Everything,
            json!({"tenant_id": null, "name": "n", "description": ""}),
        ),
        (
            "update_scope",
            Everything,
            json!({"scope_id": 1, "name": "n", "description": ""}),
        ),
        ("delete_scope", Everything, json!({"scope_id": 1})),
        (
            "assign_role",
            Everything,
            json!({"account_id": 1, "role_id": 1, "scope_id": null}),
        ),
        (
            "unassign_role",
            Everything,
            json!({"account_id": 1, "role_id": 1, "scope_id": null}),
        ),
        ("get_account_access", Everything, json!({"account_id": 1})),
        (
            "list_service_credentials",
            Everything,
            json!({"account_id": 1}),
        ),
        (
            "create_api_token",
            Everything,
            json!({"account_id": 1, "name": "n", "expires_on": ""}),
        ),
        (
            "revoke_api_token",
            Everything,
            json!({"account_id": 1, "api_token_id": 1}),
        ),
        ("rotate_client_secret", Everything, json!({"account_id": 1})),
        (
            "list_outbox",
            Everything,
            json!({ "query": { "status": null, "before": null } }),
        ),
        ("retry_outbox_message", Everything, json!({"message_id": 1})),
    ]
}

/// The server functions that take JSON (the others take a form).
const JSON_INPUT: [&str; 5] = [
    "list_accounts",
    "import_accounts",
    "list_audit",
    "update_role",
    "list_outbox",
];

/// A form with the object's fields (absent ones for `null`).
fn form_of(args: &Value) -> Vec<(String, String)> {
    args.as_object()
        .unwrap()
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), text)
        })
        .collect()
}

/// Every console page (with a sample id where the route has one) and the plain routes.
fn pages() -> Vec<(&'static str, &'static str, Needs)> {
    vec![
        ("/", "/", Everything),
        ("/login", "/login", Nothing),
        ("/setup", "/setup", Nothing),
        ("/change-password", "/change-password", AnySession),
        ("/mfa", "/mfa", OwnPassword),
        ("/profile", "/profile", Everything),
        ("/users", "/users", Everything),
        ("/users/new", "/users/new", Everything),
        ("/users/import", "/users/import", Everything),
        ("/users/{id}", "/users/1", Everything),
        ("/roles", "/roles", Everything),
        ("/roles/{id}", "/roles/1", Everything),
        ("/audit", "/audit", Everything),
        ("/outbox", "/outbox", Everything),
        ("/tenants", "/tenants", Everything),
        ("/settings", "/settings", Everything),
        ("/users.csv", "/users.csv", Everything),
        ("/audit.csv", "/audit.csv", Everything),
        ("/audit.jsonl", "/audit.jsonl", Everything),
        ("/healthz", "/healthz", Nothing),
    ]
}

/// The refusal a session that is not admitted gets, as the error's name in the answer.
fn refusal(needs: Needs, must_change: bool) -> Option<&'static str> {
    match (needs, must_change) {
        (Nothing | AnySession, _) => None,
        (OwnPassword | Everything, true) => Some("PasswordChangeRequired"),
        (OwnPassword, false) => None,
        (Everything, false) => Some("MfaEnrolmentRequired"),
    }
}

async fn no_route_is_reachable_before_the_password_is_changed_or_mfa_enrolled(s: &TestServer) {
    // The table names every route the router has, and nothing else.
    let registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.trim_start_matches("/api/").to_owned())
        .collect();
    let listed: BTreeSet<String> = server_functions()
        .iter()
        .map(|(name, _, _)| (*name).to_owned())
        .collect();
    assert_eq!(
        registered, listed,
        "every server function needs a line in this table"
    );
    let routed: BTreeSet<String> = server::page_routes()
        .into_iter()
        .chain(
            server::middleware::PLAIN_ROUTES
                .iter()
                .map(|r| (*r).to_owned()),
        )
        .collect();
    let listed_pages: BTreeSet<String> = pages().iter().map(|(r, _, _)| (*r).to_owned()).collect();
    assert_eq!(
        routed, listed_pages,
        "every page and plain route needs a line"
    );

    // A tenant whose policy requires MFA; one account there has chosen its password (must
    // enrol), another still has its temporary one (must change it).
    let pa = s.platform_admin_session().await;
    let tenant = s.create_tenant(&pa, "Acme").await;
    let res = s
        .call(
            "update_tenant",
            &[
                ("tenant_id", tenant.as_str()),
                ("name", "Acme"),
                ("mfa_policy", "required"),
            ],
            Some(&pa),
        )
        .await;
    expect_ok(res).await;
    s.create_tenant_account("tenant_admin", "must_enrol", "Pass-word1")
        .await;
    let must_enrol = s.sign_in("must_enrol", "Pass-word1").await.unwrap();
    assert_eq!(s.session(&must_enrol).await["must_enrol_mfa"], true);
    s.create_tenant_account("tenant_admin", "must_change", "Pass-word1")
        .await;
    s.sql("update accounts set status = 'must_change_password' where username = 'must_change'")
        .await;
    let must_change = s.sign_in("must_change", "Pass-word1").await.unwrap();

    let mut wrong = Vec::new();
    for (who, cookie, must_change) in [
        ("must change password", &must_change, true),
        ("must enrol MFA", &must_enrol, false),
    ] {
        for (name, needs, args) in server_functions() {
            if name.starts_with("sign_out") {
                continue; // would end the session the rest of the test uses
            }
            let res = if JSON_INPUT.contains(&name) {
                s.call_json(name, &args, Some(cookie)).await
            } else {
                s.call(name, &form_of(&args), Some(cookie)).await
            };
            let status = res.status();
            let body = res.text().await.unwrap();
            match refusal(needs, must_change) {
                Some(error) if status != StatusCode::FORBIDDEN || !body.contains(error) => wrong
                    .push(format!(
                        "{who}: {name} answered {status} {body:.120}, not {error}"
                    )),
                None if body.contains("PasswordChangeRequired")
                    || body.contains("MfaEnrolmentRequired") =>
                {
                    wrong.push(format!("{who}: {name} refused: {body:.120}"))
                }
                _ => {}
            }
        }
        for (_, path, needs) in pages() {
            let res = s.get(path, Some(cookie)).await;
            let status = res.status();
            let location = res
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_owned());
            let refused = matches!(
                (status, location.as_deref()),
                (StatusCode::FOUND, Some("/change-password" | "/mfa")) | (StatusCode::FORBIDDEN, _)
            );
            // The forced password-change page sends an account whose password is its own on to
            // what it must do next (enrol): that is no route reached beyond its line.
            let sent_on = path == "/change-password" && location.as_deref() == Some("/mfa");
            if refused != refusal(needs, must_change).is_some() && !sent_on {
                wrong.push(format!(
                    "{who}: {path} answered {status} {location:?} (refusal expected: {})",
                    refusal(needs, must_change).is_some()
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
