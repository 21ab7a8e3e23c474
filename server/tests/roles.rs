//! Roles in the database (issue 4): every tenant's starter roles, and privileges from roles
//! deciding what a user-tier account may do on its next request.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test crate

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;

on_both_databases!(
    a_new_tenant_starts_with_administrators_everyone_and_the_three_templates,
    a_user_lists_accounts_exactly_while_a_role_gives_it_users_view,
    a_security_admin_grants_only_what_it_holds_and_every_change_is_audited,
    assigning_a_role_needs_everything_it_gives_and_takes_effect_at_once,
    effective_access_explains_every_privilege_per_scope,
    built_in_roles_stay_as_they_are,
    what_the_account_page_offers_is_exactly_what_the_server_accepts,
    for_generated_actors_the_console_offers_exactly_what_the_server_accepts,
    the_users_list_filters_by_role_and_by_scope_within_the_tenant,
);

/// A role's id by name in `tenant`.
async fn role_id(s: &TestServer, tenant: &str, name: &str) -> i64 {
    s.strings(&format!(
        "select cast(role_id as text) from roles where tenant_id = {tenant} and name = '{name}'"
    ))
    .await[0]
        .parse()
        .unwrap()
}

async fn account_id(s: &TestServer, username: &str) -> i64 {
    s.strings(&format!(
        "select cast(account_id as text) from accounts where username = '{username}'"
    ))
    .await[0]
        .parse()
        .unwrap()
}

/// Sets a role's privileges (by catalog key) as `cookie`; returns the answer.
async fn set_privileges(
    s: &TestServer,
    cookie: &str,
    role: i64,
    name: &str,
    keys: &[&str],
    object_grants: serde_json::Value,
) -> reqwest::Response {
    let catalog = app::access::Catalog::builtin();
    let granted: Vec<app::access::Privilege> = keys
        .iter()
        .map(|k| catalog.parse_key(k).unwrap_or_else(|| panic!("{k}")))
        .collect();
    s.call_json(
        "update_role",
        &json!({ "role_id": role, "form": {
            "name": name, "description": "", "granted": granted, "object_grants": object_grants
        }}),
        Some(cookie),
    )
    .await
}

async fn assign(
    s: &TestServer,
    cookie: &str,
    account: i64,
    role: i64,
    scope: Option<i64>,
) -> StatusCode {
    let account = account.to_string();
    let role = role.to_string();
    let mut form = vec![("account_id", account.as_str()), ("role_id", role.as_str())];
    let scope = scope.map(|s| s.to_string());
    if let Some(scope) = &scope {
        form.push(("scope_id", scope.as_str()));
    }
    s.call("assign_role", &form, Some(cookie)).await.status()
}

/// Creates the role `name` in `tenant` granting `keys`, as `cookie`; returns its id.
async fn new_role(s: &TestServer, cookie: &str, tenant: &str, name: &str, keys: &[&str]) -> i64 {
    let res = s
        .call(
            "create_role",
            &[("tenant_id", tenant), ("name", name), ("description", "")],
            Some(cookie),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    let id: i64 = res.json().await.unwrap();
    let res = set_privileges(s, cookie, id, name, keys, json!([])).await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    id
}

/// A tenant "Acme" with an active user-tier account `username` (password `Pass-word1`)
/// holding a new role `role` with `keys`, tenant-wide; returns (admin session, tenant, its
/// session, role id).
async fn user_with_role(
    s: &TestServer,
    username: &str,
    role: &str,
    keys: &[&str],
) -> (String, String, String, i64) {
    let pa = s.platform_admin_session().await;
    let acme = s.create_tenant(&pa, "Acme").await;
    s.create_tenant_account("user", username, "Pass-word1")
        .await;
    let id = new_role(s, &pa, &acme, role, keys).await;
    let account = account_id(s, username).await;
    assert_eq!(assign(s, &pa, account, id, None).await, StatusCode::OK);
    let session = s.sign_in(username, "Pass-word1").await.unwrap();
    (pa, acme, session, id)
}

async fn a_security_admin_grants_only_what_it_holds_and_every_change_is_audited(s: &TestServer) {
    let (_pa, acme, sec, _) =
        user_with_role(s, "sec_admin", "Security team", &["security:admin"]).await;
    let res = s
        .call(
            "create_role",
            &[("name", "Helpdesk"), ("description", "Resets things")],
            Some(&sec),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    let helpdesk: i64 = res.json().await.unwrap();
    // Users: Edit is inherited from Security Admin: it may be granted.
    let res = set_privileges(
        s,
        &sec,
        helpdesk,
        "Helpdesk",
        &["security.users:edit"],
        json!([]),
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    // Forms: Edit is not held: refused, named, nothing changed.
    let res = set_privileges(
        s,
        &sec,
        helpdesk,
        "Helpdesk",
        &["security.users:edit", "data.forms:edit"],
        json!([]),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(
        body["ForbiddenChange"]["refusal"]
            .get("NotHeldByYou")
            .is_some(),
        "refused as not held: {body}"
    );
    assert_eq!(
        body["ForbiddenChange"]["errors"]["privileges"][0],
        "You cannot grant or take away Forms: Edit: you do not hold it yourself."
    );
    let stored = s
        .strings(&format!(
            "select privilege from role_privileges where role_id = {helpdesk}"
        ))
        .await;
    assert_eq!(stored, ["security.users:edit"]);
    // A duplicate name is a field error.
    let res = s
        .call(
            "create_role",
            &[("name", "helpdesk"), ("description", "")],
            Some(&sec),
        )
        .await;
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        body["Invalid"]["name"][0],
        "A role with this name already exists in this tenant."
    );
    // Without Security Admin, nothing about roles can be changed.
    s.create_tenant_account("user", "plain_user", "Pass-word1")
        .await;
    let plain = s.sign_in("plain_user", "Pass-word1").await.unwrap();
    let res = set_privileges(s, &plain, helpdesk, "Helpdesk", &[], json!([])).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let audit = s.audit().await;
    let update = audit
        .iter()
        .rev()
        .find(|a| {
            a.action == "role.update"
                && a.outcome == "success"
                && a.actor.as_deref() == Some("sec_admin")
        })
        .expect("the update is audited");
    assert_eq!(update.target.as_deref(), Some("Helpdesk"));
    assert_eq!(update.tenant_id.map(|t| t.to_string()), Some(acme.clone()));
    assert!(update
        .before
        .as_deref()
        .unwrap()
        .contains("\"privileges\":[]"));
    assert!(update
        .after
        .as_deref()
        .unwrap()
        .contains("\"privileges\":[\"security.users:edit\"]"));
    assert!(audit
        .iter()
        .any(|a| a.action == "role.create" && a.target.as_deref() == Some("Helpdesk")));

    // Deleting a role takes away all it gives: the Member template grants Forms, which the
    // security admin does not hold, so the page offers no deletion and the server refuses
    // it; Helpdesk (Users: Edit only) may go.
    let member = role_id(s, &acme, "Member").await.to_string();
    let detail: serde_json::Value = s
        .call("get_role", &[("role_id", member.as_str())], Some(&sec))
        .await
        .json()
        .await
        .unwrap();
    assert!(detail["may_delete"].get("Denied").is_some(), "{detail}");
    let res = s
        .call("delete_role", &[("role_id", member.as_str())], Some(&sec))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        s.strings(&format!("select name from roles where role_id = {member}"))
            .await,
        ["Member"]
    );
    let helpdesk_text = helpdesk.to_string();
    let detail: serde_json::Value = s
        .call(
            "get_role",
            &[("role_id", helpdesk_text.as_str())],
            Some(&sec),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(detail["may_delete"].get("Allowed").is_some(), "{detail}");
    let res = s
        .call(
            "delete_role",
            &[("role_id", helpdesk_text.as_str())],
            Some(&sec),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

async fn assigning_a_role_needs_everything_it_gives_and_takes_effect_at_once(s: &TestServer) {
    let (pa, acme, manager, _) =
        user_with_role(s, "team_manager", "Managers", &["security.users:edit"]).await;
    s.create_tenant_account("user", "new_hire", "Pass-word1")
        .await;
    let hire = account_id(s, "new_hire").await;
    let hire_session = s.sign_in("new_hire", "Pass-word1").await.unwrap();
    assert_eq!(list_status(s, &hire_session).await, StatusCode::FORBIDDEN);

    // The Member template gives application privileges the manager lacks.
    let member = role_id(s, &acme, "Member").await;
    assert_eq!(
        assign(s, &manager, hire, member, None).await,
        StatusCode::FORBIDDEN
    );
    // A role giving Users: View only (which Users: Edit implies) may be assigned.
    let viewers = new_role(s, &pa, &acme, "Viewers", &["security.users:view"]).await;
    assert_eq!(
        assign(s, &manager, hire, viewers, None).await,
        StatusCode::OK
    );
    assert_eq!(
        assign(s, &manager, hire, viewers, None).await,
        StatusCode::CONFLICT,
        "already held"
    );
    assert_eq!(
        list_status(s, &hire_session).await,
        StatusCode::OK,
        "at once"
    );
    let audit = s.audit().await;
    let assigned = audit
        .iter()
        .rev()
        .find(|a| a.action == "role.assign")
        .unwrap();
    assert_eq!(assigned.target.as_deref(), Some("new_hire"));
    assert!(assigned.after.as_deref().unwrap().contains("Viewers"));

    // Removing it follows the same rule, and ends the access at once.
    let hire_id = hire.to_string();
    let viewers_id = viewers.to_string();
    let res = s
        .call(
            "unassign_role",
            &[
                ("account_id", hire_id.as_str()),
                ("role_id", viewers_id.as_str()),
            ],
            Some(&manager),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(list_status(s, &hire_session).await, StatusCode::FORBIDDEN);
    // Everyone is never assigned.
    let everyone = role_id(s, &acme, "Everyone").await;
    assert_eq!(
        assign(s, &pa, hire, everyone, None).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

async fn effective_access_explains_every_privilege_per_scope(s: &TestServer) {
    let (pa, acme, _, analysts) =
        user_with_role(s, "analyst", "Analysts", &["observability.alerts:delete"]).await;
    let res = s
        .call(
            "create_scope",
            &[
                ("tenant_id", acme.as_str()),
                ("name", "North"),
                ("description", ""),
            ],
            Some(&pa),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let north: i64 = res.json().await.unwrap();
    let catalog = app::access::Catalog::builtin();
    let approve = catalog.parse_key("operations.workspaces:approve").unwrap();
    let res = set_privileges(
        s,
        &pa,
        analysts,
        "Analysts",
        &["observability.alerts:delete"],
        json!([{ "scope": north, "privilege": approve }]),
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    let analyst = account_id(s, "analyst").await;
    let res = s
        .call(
            "get_account_access",
            &[("account_id", analyst.to_string())],
            Some(&pa),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let access: serde_json::Value = res.json().await.unwrap();
    assert_eq!(access["assignments"][0]["role_name"], "Analysts");
    let why = |place: usize, label: &str| -> (bool, String) {
        let p = access["places"][place]["privileges"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["label"] == label)
            .unwrap_or_else(|| panic!("{label}"));
        (
            p["held"].as_bool().unwrap(),
            p["why"].as_str().unwrap().to_owned(),
        )
    };
    assert_eq!(access["places"][1]["scope"]["name"], "North");
    assert_eq!(
        why(0, "Alerts: View"),
        (
            true,
            "Allowed: through the role “Analysts” (assigned tenant-wide), which grants Delete, and Delete implies it.".into()
        )
    );
    assert_eq!(
        why(0, "Users: View"),
        (
            false,
            "Not allowed: this needs Users: View, and none of its roles grants it.".into()
        )
    );
    assert!(
        !why(0, "Workspaces: View").0,
        "the object grant is for North only"
    );
    assert_eq!(
        why(1, "Workspaces: View"),
        (
            true,
            "Allowed: through the role “Analysts” (assigned tenant-wide), which is granted it on this scope.".into()
        )
    );
}

async fn built_in_roles_stay_as_they_are(s: &TestServer) {
    let pa = s.platform_admin_session().await;
    let acme = s.create_tenant(&pa, "Acme").await;
    let admins = role_id(s, &acme, "Administrators").await;
    let res = set_privileges(s, &pa, admins, "Administrators", &[], json!([])).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = s
        .call("delete_role", &[("role_id", admins.to_string())], Some(&pa))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["Forbidden"], "BuiltInRole", "{body}");
    let everyone = role_id(s, &acme, "Everyone").await;
    let res = set_privileges(s, &pa, everyone, "All staff", &[], json!([])).await;
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        body["Invalid"]["name"][0],
        "The Everyone role keeps its name."
    );
    let res = set_privileges(
        s,
        &pa,
        everyone,
        "Everyone",
        &["observability.logs:view"],
        json!([]),
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "Everyone's privileges can be edited"
    );
    let res = s
        .call("list_roles", &[("tenant_id", acme.as_str())], Some(&pa))
        .await;
    let page: serde_json::Value = res.json().await.unwrap();
    let names: Vec<&str> = page["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Administrators", "Everyone", "Admin", "Member", "Read-only"]
    );

    // A platform administrator takes no roles: its access page says so, without an error.
    let me = account_id(s, ADMIN_USERNAME).await;
    let res = s
        .call(
            "get_account_access",
            &[("account_id", me.to_string())],
            Some(&pa),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let access: serde_json::Value = res.json().await.unwrap();
    assert_eq!(access["takes_roles"], false);
    assert!(access["places"].as_array().unwrap().is_empty());
}

async fn a_new_tenant_starts_with_administrators_everyone_and_the_three_templates(s: &TestServer) {
    let pa = s.platform_admin_session().await;
    let acme = s.create_tenant(&pa, "Acme").await;
    let roles = s
        .strings(&format!(
            "select name || ':' || kind from roles where tenant_id = {acme} order by role_id"
        ))
        .await;
    assert_eq!(
        roles,
        [
            "Administrators:administrators",
            "Everyone:everyone",
            "Admin:custom",
            "Member:custom",
            "Read-only:custom"
        ]
    );
    let member = s
        .strings(&format!(
            "select p.privilege from role_privileges p join roles r on r.role_id = p.role_id \
             where r.tenant_id = {acme} and r.name = 'Member' order by p.privilege"
        ))
        .await;
    assert!(
        member.contains(&"data.forms:delete".to_owned()),
        "{member:?}"
    );
    assert!(member.contains(&"observability.alerts:view".to_owned()));
    assert!(!member.iter().any(|p| p.starts_with("security.")));
}

async fn list_status(s: &TestServer, cookie: &str) -> StatusCode {
    let query = json!({
        "search": "", "status": null, "tier": null, "tenant": null,
        "sort": "Username", "descending": false, "cursor": null
    });
    s.call_json("list_accounts", &json!({ "query": query }), Some(cookie))
        .await
        .status()
}

async fn a_user_lists_accounts_exactly_while_a_role_gives_it_users_view(s: &TestServer) {
    let pa = s.platform_admin_session().await;
    let acme = s.create_tenant(&pa, "Acme").await;
    s.create_tenant_account("user", "team_lead", "Lead-pass1")
        .await;
    let lead = s.sign_in("team_lead", "Lead-pass1").await.unwrap();
    assert_eq!(list_status(s, &lead).await, StatusCode::FORBIDDEN);

    // A custom role granting Users: View, assigned tenant-wide: the same session lists.
    s.sql(&format!(
        "insert into roles (tenant_id, name, description, kind, created_at, updated_at) \
         values ({acme}, 'Team viewers', '', 'custom', 0, 0)"
    ))
    .await;
    s.sql(
        "insert into role_privileges (role_id, privilege) \
         select role_id, 'security.users:view' from roles where name = 'Team viewers'",
    )
    .await;
    s.sql(
        "insert into role_assignments (account_id, role_id, created_at) \
         select a.account_id, r.role_id, 0 from accounts a, roles r \
         where a.username = 'team_lead' and r.name = 'Team viewers'",
    )
    .await;
    assert_eq!(list_status(s, &lead).await, StatusCode::OK);

    // Assigned for one scope only, it does not give the tenant-wide list.
    s.sql(&format!(
        "insert into scopes (tenant_id, name, description, created_at, updated_at) \
         values ({acme}, 'North', '', 0, 0)"
    ))
    .await;
    s.sql(
        "update role_assignments set scope_id = (select scope_id from scopes where name = 'North')",
    )
    .await;
    assert_eq!(list_status(s, &lead).await, StatusCode::FORBIDDEN);

    // Through Everyone, held by every account of the tenant without an assignment.
    s.sql("delete from role_assignments").await;
    s.sql(&format!(
        "insert into role_privileges (role_id, privilege) \
         select role_id, 'security:admin' from roles where tenant_id = {acme} and kind = 'everyone'"
    ))
    .await;
    assert_eq!(
        list_status(s, &lead).await,
        StatusCode::OK,
        "Security Admin inherits Users: View"
    );

    // A key the catalog does not declare grants nothing.
    s.sql("update role_privileges set privilege = 'security:admin_typo' where privilege = 'security:admin'")
        .await;
    assert_eq!(list_status(s, &lead).await, StatusCode::FORBIDDEN);
}

/// Changes account `id`'s email (and nothing else) as `cookie`, as the account page's form does.
async fn change_email(s: &TestServer, cookie: &str, id: &str, email: &str) -> reqwest::Response {
    s.call(
        "update_account",
        &[
            ("account_id", id),
            ("email", email),
            ("full_name", "Acme Person"),
        ],
        Some(cookie),
    )
    .await
}

/// For actors holding different roles and targets of each tier, the account page's decision
/// (shown as the edit form, or as the reason there is none) matches what the server does
/// with the same change.
async fn what_the_account_page_offers_is_exactly_what_the_server_accepts(s: &TestServer) {
    let pa = s.platform_admin_session().await;
    let acme = s.create_tenant(&pa, "Acme").await;
    let mut actors = Vec::new();
    for (username, keys) in [
        ("lead_edit", &["security.users:edit"][..]),
        ("lead_view", &["security.users:view"][..]),
        (
            "lead_bots",
            &["security.service_accounts:delete", "security.users:view"][..],
        ),
        ("lead_none", &[][..]),
    ] {
        s.create_tenant_account("user", username, "Pass-word1")
            .await;
        let role = new_role(s, &pa, &acme, username, keys).await;
        assert_eq!(
            assign(s, &pa, account_id(s, username).await, role, None).await,
            StatusCode::OK
        );
        actors.push((username, s.sign_in(username, "Pass-word1").await.unwrap()));
    }
    s.create_tenant_account("tenant_admin", "acme_boss", "Pass-word1")
        .await;
    actors.push((
        "acme_boss",
        s.sign_in("acme_boss", "Pass-word1").await.unwrap(),
    ));
    s.create_tenant_account("user", "target_user", "Pass-word1")
        .await;
    s.create_tenant_account("service_account", "target_bot", "Pass-word1")
        .await;
    s.create_tenant_account("tenant_admin", "target_boss", "Pass-word1")
        .await;
    let mut allowed_somewhere = 0;
    for (actor, cookie) in &actors {
        for target in ["target_user", "target_bot", "target_boss"] {
            let id = account_id(s, target).await.to_string();
            let res = s
                .call("get_account", &[("account_id", id.as_str())], Some(cookie))
                .await;
            let offered = if res.status() == StatusCode::OK {
                let detail: serde_json::Value = res.json().await.unwrap();
                detail["summary"]["manage"].get("Allowed").is_some()
            } else {
                false
            };
            let res = change_email(s, cookie, &id, &format!("{target}@acme.example")).await;
            let accepted = res.status() == StatusCode::OK;
            assert_eq!(
                offered,
                accepted,
                "{actor} on {target}: the page offers {offered}, the server answers {}",
                res.status()
            );
            allowed_somewhere += usize::from(accepted);
        }
    }
    // lead_edit → the user; lead_bots → the bot; acme_boss → all three.
    assert_eq!(allowed_somewhere, 5);
}

/// A target account of `tier` in Acme, written directly (it never signs in); returns its id.
async fn insert_target(s: &TestServer, tier: &str, username: &str) -> i64 {
    s.sql(&format!(
        "insert into accounts (tenant_id, tier, username, email, full_name, status, password_hash, \
         jwt_version, created_at, updated_at) select tenant_id, '{tier}', '{username}', \
         '{username}@acme.example', 'Acme Person', 'active', 'not-a-hash', 'v1', 0, 0 \
         from tenants where name = 'Acme'"
    ))
    .await;
    account_id(s, username).await
}

fn allowed(decision: &serde_json::Value) -> bool {
    decision.get("Allowed").is_some()
}

/// What one actor was offered and what the server did, for one kind of action.
#[derive(Default)]
struct Tally {
    accepted: usize,
    refused: usize,
}

impl Tally {
    fn add(&mut self, accepted: bool) {
        if accepted {
            self.accepted += 1;
        } else {
            self.refused += 1;
        }
    }
}

/// Generated actors — user-tier accounts holding a random set of account privileges,
/// tenant-wide or for one scope — against a target of every tier: the list and the account
/// page show the account exactly when the server lets the actor read it, and the page offers
/// changing it, deleting it and removing one of its roles exactly when the server accepts
/// that request. The seed is printed; `WARDEN_TEST_SEED` replays one.
async fn for_generated_actors_the_console_offers_exactly_what_the_server_accepts(s: &TestServer) {
    use rand::{Rng, SeedableRng};
    let seed: u64 = std::env::var("WARDEN_TEST_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(rand::random);
    eprintln!("generated actors: WARDEN_TEST_SEED={seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let pa = s.platform_admin_session().await;
    let acme = s.create_tenant(&pa, "Acme").await;
    let north = s
        .call(
            "create_scope",
            &[
                ("tenant_id", acme.as_str()),
                ("name", "North"),
                ("description", ""),
            ],
            Some(&pa),
        )
        .await;
    assert_eq!(north.status(), StatusCode::OK);
    let north: i64 = north.json().await.unwrap();
    let pool = [
        "security.users:view",
        "security.users:edit",
        "security.users:delete",
        "security.service_accounts:view",
        "security.service_accounts:edit",
        "security.service_accounts:delete",
        "security:admin",
        "data.forms:edit",
        "audit.log:view",
    ];
    // The role every target holds, for the "remove a role" check.
    let forms = new_role(s, &pa, &acme, "Form editors", &["data.forms:edit"]).await;
    let mut actors = Vec::new();
    for i in 0..8 {
        let username = format!("actor_{i}");
        s.create_tenant_account("user", &username, "Pass-word1")
            .await;
        // The first holds nothing (an "Analyst"), so every check meets a refusal.
        let keys: Vec<&str> = pool
            .iter()
            .copied()
            .filter(|_| i > 0 && rng.gen_bool(0.4))
            .collect();
        let role = new_role(s, &pa, &acme, &format!("Generated {i}"), &keys).await;
        let scope = rng.gen_bool(0.25).then_some(north);
        let id = account_id(s, &username).await;
        assert_eq!(assign(s, &pa, id, role, scope).await, StatusCode::OK);
        let cookie = s.sign_in(&username, "Pass-word1").await.unwrap();
        actors.push((
            format!("{username} holding {keys:?} (scope {scope:?})"),
            cookie,
        ));
    }
    s.create_tenant_account("tenant_admin", "acme_boss", "Pass-word1")
        .await;
    actors.push((
        "the tenant administrator".to_owned(),
        s.sign_in("acme_boss", "Pass-word1").await.unwrap(),
    ));
    let (mut seen, mut edit, mut delete, mut unassign, mut assigning) = (
        Tally::default(),
        Tally::default(),
        Tally::default(),
        Tally::default(),
        Tally::default(),
    );
    let all_roles: Vec<i64> = s
        .strings(&format!(
            "select cast(role_id as text) from roles where tenant_id = {acme} and kind <> 'everyone'"
        ))
        .await
        .iter()
        .map(|r| r.parse().unwrap())
        .collect();
    let mut n = 0;
    for (actor, cookie) in &actors {
        for tier in ["tenant_admin", "user", "service_account"] {
            n += 1;
            let username = format!("target_{n}");
            let id = insert_target(s, tier, &username).await;
            // Administrators take no roles (their tier holds everything).
            let takes_roles = tier != "tenant_admin";
            let expected = if takes_roles {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            assert_eq!(assign(s, &pa, id, forms, None).await, expected);
            let what = format!("{actor} on a {tier}");
            let id_text = id.to_string();
            let listed = {
                let query = json!({
                    "search": "", "status": null, "tier": null, "tenant": null,
                    "sort": "Created", "descending": true, "cursor": null
                });
                let res = s
                    .call_json("list_accounts", &json!({ "query": query }), Some(cookie))
                    .await;
                if res.status() == StatusCode::OK {
                    let page: serde_json::Value = res.json().await.unwrap();
                    page["rows"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|r| r["account_id"] == json!(id))
                } else {
                    false
                }
            };
            let res = s
                .call(
                    "get_account",
                    &[("account_id", id_text.as_str())],
                    Some(cookie),
                )
                .await;
            let opened = res.status() == StatusCode::OK;
            assert_eq!(
                listed,
                opened,
                "{what}: listed {listed}, page answers {}",
                res.status()
            );
            seen.add(opened);
            let summary = if opened {
                let detail: serde_json::Value = res.json().await.unwrap();
                detail["summary"].clone()
            } else {
                json!({ "manage": {}, "remove": {} })
            };

            // Removing its role, as the account page's roles panel offers it.
            let res = s
                .call(
                    "get_account_access",
                    &[("account_id", id_text.as_str())],
                    Some(cookie),
                )
                .await;
            assert_eq!(
                res.status() == StatusCode::OK,
                opened,
                "{what}: its access answers {} where its page answers {opened}",
                res.status()
            );
            let access: serde_json::Value = if opened {
                res.json().await.unwrap()
            } else {
                json!({ "takes_roles": takes_roles, "assignments": [], "roles": [] })
            };
            assert_eq!(access["takes_roles"], json!(takes_roles), "{what}");

            // Assigning roles, as the panel offers them: a few of the tenant's roles, each
            // tenant-wide and in North, offered exactly where the server accepts.
            let mut sample = all_roles.clone();
            sample.retain(|_| rng.gen_bool(0.4));
            for &role in &sample {
                for place in [None, Some(north)] {
                    if role == forms && place.is_none() {
                        continue; // already held there
                    }
                    let offered = access["roles"].as_array().unwrap().iter().any(|r| {
                        r["role_id"] == json!(role)
                            && r["places"].as_array().unwrap().contains(&json!(place))
                    });
                    let status = assign(s, cookie, id, role, place).await;
                    let accepted = status == StatusCode::OK;
                    assert_eq!(
                        offered, accepted,
                        "{what}: assigning role {role} at {place:?} offered {offered}, answered {status}"
                    );
                    assigning.add(accepted);
                    if accepted {
                        let (id, role) = (id.to_string(), role.to_string());
                        let mut form =
                            vec![("account_id", id.as_str()), ("role_id", role.as_str())];
                        let place = place.map(|p| p.to_string());
                        if let Some(place) = &place {
                            form.push(("scope_id", place.as_str()));
                        }
                        let res = s.call("unassign_role", &form, Some(&pa)).await;
                        assert_eq!(res.status(), StatusCode::OK);
                    }
                }
            }

            let offered = {
                let assignment = &access["assignments"][0];
                if opened && takes_roles {
                    assert_eq!(assignment["role_name"], "Form editors", "{what}");
                }
                allowed(&assignment["removable"])
            };
            let forms_text = forms.to_string();
            let res = s
                .call(
                    "unassign_role",
                    &[
                        ("account_id", id_text.as_str()),
                        ("role_id", forms_text.as_str()),
                    ],
                    Some(cookie),
                )
                .await;
            let accepted = res.status() == StatusCode::OK;
            if takes_roles {
                assert_eq!(
                    offered,
                    accepted,
                    "{what}: removing a role offered {offered}, answered {}",
                    res.status()
                );
                unassign.add(accepted);
            }

            // Changing it.
            let offered = allowed(&summary["manage"]);
            let res =
                change_email(s, cookie, &id_text, &format!("{username}@changed.example")).await;
            let accepted = res.status() == StatusCode::OK;
            assert_eq!(
                offered,
                accepted,
                "{what}: changing offered {offered}, answered {}",
                res.status()
            );
            edit.add(accepted);

            // Deleting it.
            let offered = allowed(&summary["remove"]);
            let res = s
                .call(
                    "delete_account",
                    &[("account_id", id_text.as_str())],
                    Some(cookie),
                )
                .await;
            let accepted = res.status() == StatusCode::OK;
            assert_eq!(
                offered,
                accepted,
                "{what}: deleting offered {offered}, answered {}",
                res.status()
            );
            delete.add(accepted);
            if !accepted {
                let res = s
                    .call(
                        "delete_account",
                        &[("account_id", id_text.as_str())],
                        Some(&pa),
                    )
                    .await;
                assert_eq!(res.status(), StatusCode::OK);
            }
        }
    }
    // Whatever the seed, the tenant administrator is allowed everything and the generated
    // actors are refused somewhere, so both answers of every check were compared.
    for (name, tally) in [
        ("seeing", &seen),
        ("changing", &edit),
        ("deleting", &delete),
        ("removing a role", &unassign),
        ("assigning a role", &assigning),
    ] {
        assert!(
            tally.accepted > 0 && tally.refused > 0,
            "{name}: {} accepted, {} refused (seed {seed})",
            tally.accepted,
            tally.refused
        );
    }
}

/// Usernames on the first page of the users list for `filters` (role, scope, tenant), as
/// `cookie`.
async fn listed(s: &TestServer, cookie: &str, filters: serde_json::Value) -> Vec<String> {
    let mut query = json!({
        "search": "", "status": null, "tier": null, "tenant": null,
        "sort": "Username", "descending": false, "cursor": null
    });
    for (k, v) in filters.as_object().unwrap() {
        query[k] = v.clone();
    }
    let res = s
        .call_json("list_accounts", &json!({ "query": query }), Some(cookie))
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    let page: serde_json::Value = res.json().await.unwrap();
    page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["username"].as_str().unwrap().to_owned())
        .collect()
}

async fn the_users_list_filters_by_role_and_by_scope_within_the_tenant(s: &TestServer) {
    let pa = s.platform_admin_session().await;
    let acme = s.create_tenant(&pa, "Acme").await;
    let north = s
        .call(
            "create_scope",
            &[
                ("tenant_id", acme.as_str()),
                ("name", "North"),
                ("description", ""),
            ],
            Some(&pa),
        )
        .await;
    let north: i64 = north.json().await.unwrap();
    for name in ["amy_north", "bob_wide", "cat_none"] {
        insert_target(s, "user", name).await;
    }
    s.create_tenant_account("tenant_admin", "acme_boss", "Pass-word1")
        .await;
    let forms = new_role(s, &pa, &acme, "Form editors", &["data.forms:edit"]).await;
    let amy = account_id(s, "amy_north").await;
    let bob = account_id(s, "bob_wide").await;
    assert_eq!(
        assign(s, &pa, amy, forms, Some(north)).await,
        StatusCode::OK
    );
    assert_eq!(assign(s, &pa, bob, forms, None).await, StatusCode::OK);
    let everyone = role_id(s, &acme, "Everyone").await;
    // Another tenant's role and scope, with a holder of its own.
    let globex = s.create_tenant(&pa, "Globex").await;
    let theirs = new_role(s, &pa, &globex, "Theirs", &[]).await;
    let south = s
        .call(
            "create_scope",
            &[
                ("tenant_id", globex.as_str()),
                ("name", "South"),
                ("description", ""),
            ],
            Some(&pa),
        )
        .await;
    let south: i64 = south.json().await.unwrap();
    s.sql(&format!(
        "insert into accounts (tenant_id, tier, username, email, full_name, status, password_hash, \
         jwt_version, created_at, updated_at) values ({globex}, 'user', 'gus_globex', \
         'gus@globex.example', 'Gus Globex', 'active', 'not-a-hash', 'v1', 0, 0)"
    ))
    .await;
    let gus = account_id(s, "gus_globex").await;
    assert_eq!(
        assign(s, &pa, gus, theirs, Some(south)).await,
        StatusCode::OK
    );

    // A platform administrator's list narrows to the role's tenant.
    assert_eq!(
        listed(s, &pa, json!({ "role": forms })).await,
        ["amy_north", "bob_wide"]
    );
    assert_eq!(
        listed(s, &pa, json!({ "scope": north })).await,
        ["amy_north"]
    );
    assert_eq!(
        listed(s, &pa, json!({ "role": forms, "scope": north })).await,
        ["amy_north"]
    );
    assert_eq!(
        listed(s, &pa, json!({ "role": everyone })).await,
        ["acme_boss", "amy_north", "bob_wide", "cat_none"],
        "Everyone is held by every account of its tenant"
    );
    assert_eq!(
        listed(s, &pa, json!({ "role": theirs })).await,
        ["gus_globex"]
    );
    // A role of one tenant with another tenant chosen: nothing.
    assert!(listed(
        s,
        &pa,
        json!({ "role": theirs, "tenant": acme.parse::<i64>().unwrap() })
    )
    .await
    .is_empty());

    // A tenant administrator: its own tenant's roles and scopes; another tenant's, or a
    // missing one, list nothing.
    let boss = s.sign_in("acme_boss", "Pass-word1").await.unwrap();
    assert_eq!(
        listed(s, &boss, json!({ "role": forms })).await,
        ["amy_north", "bob_wide"]
    );
    assert_eq!(
        listed(s, &boss, json!({ "scope": north })).await,
        ["amy_north"]
    );
    assert!(listed(s, &boss, json!({ "role": theirs })).await.is_empty());
    assert!(listed(s, &boss, json!({ "scope": south })).await.is_empty());
    assert!(listed(s, &boss, json!({ "role": 999_999 }))
        .await
        .is_empty());
}
