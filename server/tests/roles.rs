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
);

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
