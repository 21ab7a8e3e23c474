//! The REST API's roles, scopes and assignments endpoints (issue 13 §3), on both databases:
//! happy paths, refusals with their codes, tenant isolation, ETag/If-Match, privilege keys,
//! and the audit records the console's role pages write.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test crate

mod common;
mod rest_support;

use common::*;
use reqwest::{Method, Response, StatusCode};
use rest_support::*;
use serde_json::{json, Value};

on_both_databases!(
    a_role_is_listed_created_read_replaced_and_deleted,
    a_role_is_replaced_only_with_its_current_etag,
    scopes_are_created_renamed_used_in_object_grants_and_deleted,
    a_role_is_created_with_its_grants_in_one_audited_change,
    roles_are_assigned_and_taken_away,
    changes_at_the_same_moment_are_each_answered_never_500,
    refusals_answer_with_their_codes_and_are_audited,
    another_tenants_ids_answer_exactly_like_missing_ones,
    bad_keys_and_ids_are_problems_naming_the_field,
);

/// `res`'s status must be `status`; returns its JSON (null when it has no body).
async fn expect(res: Response, status: StatusCode) -> Value {
    let got = res.status();
    let text = res.text().await.unwrap();
    assert_eq!(got, status, "{text}");
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    }
}

/// The role `id`'s JSON and `ETag`.
async fn read_role(s: &TestServer, token: &str, id: i64) -> (Value, String) {
    let res = api(
        s,
        Method::GET,
        &format!("/api/v1/roles/{id}"),
        Some(token),
        None,
    )
    .await;
    let etag = res
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (expect(res, StatusCode::OK).await, etag)
}

/// The successful audit records' actions by `actor`.
async fn audited_by(s: &TestServer, actor: &str) -> Vec<String> {
    s.audit()
        .await
        .into_iter()
        .filter(|r| r.outcome == "success" && r.actor.as_deref() == Some(actor))
        .map(|r| r.action)
        .collect()
}

/// The id of the role named `name` in the tenant `tenant_id`.
async fn role_named(s: &TestServer, tenant: &str, name: &str) -> i64 {
    s.strings(&format!(
        "select cast(role_id as text) from roles where tenant_id = {tenant} and name = '{name}'"
    ))
    .await[0]
        .parse()
        .unwrap()
}

async fn a_role_is_listed_created_read_replaced_and_deleted(s: &TestServer) {
    let (_, acme, token) = world(s, &["security:admin"]).await;
    let list = expect(
        api(s, Method::GET, "/api/v1/roles", Some(&token), None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(list["tenant_id"].to_string(), acme, "{list}");
    assert_eq!(list["tenant_name"], "Acme");
    let names: Vec<&str> = list["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    for name in ["Administrators", "Everyone", "Robots"] {
        assert!(names.contains(&name), "{name}: {list}");
    }
    let robots = list["roles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "Robots")
        .unwrap();
    assert_eq!(robots["kind"], "custom");
    assert_eq!(robots["holders"], 1);

    let res = api(
        s,
        Method::POST,
        "/api/v1/roles",
        Some(&token),
        Some(&json!({ "name": "Auditors", "description": "Read the trail", "tenant_id": 999 })),
    )
    .await;
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(res.headers().contains_key("etag"));
    let created = expect(res, StatusCode::CREATED).await;
    assert_eq!(location, format!("/api/v1/roles/{}", created["id"]));
    assert_eq!(
        created["tenant_id"].to_string(),
        acme,
        "the caller's tenant"
    );
    assert_eq!(created["kind"], "custom");
    assert_eq!(created["privileges"], json!([]));
    let id = created["id"].as_i64().unwrap();
    // A name already taken is a field error.
    let res = api(
        s,
        Method::POST,
        "/api/v1/roles",
        Some(&token),
        Some(&json!({ "name": "Auditors" })),
    )
    .await;
    let body = problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid").await;
    assert!(body["errors"]["name"].is_array(), "{body}");

    let (_, etag) = read_role(s, &token, id).await;
    let change = json!({ "name": "Auditors", "description": "Read the trail",
        "privileges": ["security.users:view", "security.roles:view"] });
    let changed = expect(
        put(s, &token, &location, Some(&etag), &change).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        changed["privileges"],
        json!(["security.roles:view", "security.users:view"])
    );
    let (read, _) = read_role(s, &token, id).await;
    assert_eq!(read, changed);

    assert_eq!(
        api(s, Method::DELETE, &location, Some(&token), None)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    problem(
        api(s, Method::GET, &location, Some(&token), None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let actions = audited_by(s, "robot").await;
    for action in ["role.create", "role.update", "role.delete"] {
        assert!(
            actions.contains(&action.to_owned()),
            "{action}: {actions:?}"
        );
    }
}

async fn a_role_is_created_with_its_grants_in_one_audited_change(s: &TestServer) {
    let (_, acme, token) = world(s, &["security:admin", "operations.workspaces:view"]).await;
    let scope = expect(
        api(
            s,
            Method::POST,
            "/api/v1/scopes",
            Some(&token),
            Some(&json!({ "name": "North" })),
        )
        .await,
        StatusCode::CREATED,
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let grant = json!([{ "scope_id": scope, "privilege": "operations.workspaces:view" }]);
    let body = json!({ "name": "Northern helpdesk", "description": "Users up north",
        "privileges": ["security.users:view", "security.roles:view"], "object_grants": grant });
    let res = api(s, Method::POST, "/api/v1/roles", Some(&token), Some(&body)).await;
    let created = expect(res, StatusCode::CREATED).await;
    assert_eq!(
        created["privileges"],
        json!(["security.roles:view", "security.users:view"])
    );
    assert_eq!(created["object_grants"], grant);
    let id = created["id"].as_i64().unwrap();
    let (read, _) = read_role(s, &token, id).await;
    assert_eq!(read, created, "stored as answered");
    // One record, the role as created with its grants; no separate update.
    let records: Vec<AuditRow> = s
        .audit()
        .await
        .into_iter()
        .filter(|r| r.actor.as_deref() == Some("robot") && r.action.starts_with("role."))
        .collect();
    assert_eq!(
        records
            .iter()
            .map(|r| r.action.as_str())
            .collect::<Vec<_>>(),
        ["role.create"]
    );
    let after: Value = serde_json::from_str(records[0].after.as_deref().unwrap()).unwrap();
    assert_eq!(
        after["privileges"],
        json!(["security.users:view", "security.roles:view"])
    );
    assert_eq!(
        after["object_grants"],
        json!(["operations.workspaces:view on North"])
    );

    // Bad keys, an action a scope cannot be granted, a scope of nobody's: named, nothing made.
    let count = || async {
        s.strings(&format!(
            "select cast(count(*) as text) from roles where tenant_id = {acme}"
        ))
        .await[0]
            .clone()
    };
    let before = count().await;
    for (bad, field) in [
        (
            json!({ "name": "X", "privileges": ["security.users:fly"] }),
            "privileges",
        ),
        (
            json!({ "name": "X", "object_grants": [{ "scope_id": scope, "privilege": "security.users:edit" }] }),
            "object_grants",
        ),
        (
            json!({ "name": "X", "object_grants": [{ "scope_id": 999_999, "privilege": "operations.workspaces:view" }] }),
            "object_grants",
        ),
        (
            json!({ "name": "", "privileges": ["security.users:view"] }),
            "name",
        ),
    ] {
        let res = api(s, Method::POST, "/api/v1/roles", Some(&token), Some(&bad)).await;
        let answer = problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid").await;
        assert!(answer["errors"][field].is_array(), "{bad}: {answer}");
    }
    assert_eq!(count().await, before, "nothing was created");
}

async fn a_role_is_replaced_only_with_its_current_etag(s: &TestServer) {
    let (pa, acme, token) = world(s, &["security:admin"]).await;
    let id = new_role(s, &pa, &acme, "Viewers", &[], &[]).await;
    let path = format!("/api/v1/roles/{id}");
    let (_, etag) = read_role(s, &token, id).await;
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    let change = json!({ "name": "Viewers", "privileges": ["security.users:view"] });
    problem(
        put(s, &token, &path, None, &change).await,
        StatusCode::PRECONDITION_REQUIRED,
        "precondition_required",
    )
    .await;
    problem(
        put(s, &token, &path, Some("\"stale\""), &change).await,
        StatusCode::PRECONDITION_FAILED,
        "precondition_failed",
    )
    .await;
    let (unchanged, same) = read_role(s, &token, id).await;
    assert_eq!(unchanged["privileges"], json!([]), "nothing was written");
    assert_eq!(same, etag);
    let res = put(s, &token, &path, Some(&etag), &change).await;
    let new_etag = res.headers()["etag"].to_str().unwrap().to_owned();
    expect(res, StatusCode::OK).await;
    assert_ne!(new_etag, etag);
    // Someone changed it since the first writer read it: the first writer's tag is stale.
    let again = json!({ "name": "Viewers", "privileges": [] });
    problem(
        put(s, &token, &path, Some(&etag), &again).await,
        StatusCode::PRECONDITION_FAILED,
        "precondition_failed",
    )
    .await;
    let (read, _) = read_role(s, &token, id).await;
    assert_eq!(read["privileges"], json!(["security.users:view"]));
    // `*` matches any version.
    expect(
        put(s, &token, &path, Some("*"), &again).await,
        StatusCode::OK,
    )
    .await;
}

async fn scopes_are_created_renamed_used_in_object_grants_and_deleted(s: &TestServer) {
    let (pa, acme, token) = world(s, &["security:admin", "operations.workspaces:view"]).await;
    let res = api(
        s,
        Method::POST,
        "/api/v1/scopes",
        Some(&token),
        Some(&json!({ "name": "  North ", "tenant_id": 999 })),
    )
    .await;
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let scope = expect(res, StatusCode::CREATED).await;
    assert_eq!(scope["name"], "North");
    let scope_id = scope["id"].as_i64().unwrap();
    assert_eq!(location, format!("/api/v1/scopes/{scope_id}"));
    let tenants = s
        .strings(&format!(
            "select cast(tenant_id as text) from scopes where scope_id = {scope_id}"
        ))
        .await;
    assert_eq!(tenants[..], [acme.as_str()], "the caller's tenant");
    let renamed = json!({ "name": "Northern", "description": "Up there" });
    // Renamed only with its current ETag.
    problem(
        put(s, &token, &location, None, &renamed).await,
        StatusCode::PRECONDITION_REQUIRED,
        "precondition_required",
    )
    .await;
    let res = api(s, Method::GET, &location, Some(&token), None).await;
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(expect(res, StatusCode::OK).await["name"], "North");
    let res = put(s, &token, &location, Some(&etag), &renamed).await;
    let new_etag = res.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(new_etag, etag);
    assert_eq!(expect(res, StatusCode::OK).await["name"], "Northern");
    problem(
        put(
            s,
            &token,
            &location,
            Some(&etag),
            &json!({ "name": "Stale" }),
        )
        .await,
        StatusCode::PRECONDITION_FAILED,
        "precondition_failed",
    )
    .await;
    let list = expect(
        api(s, Method::GET, "/api/v1/roles", Some(&token), None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        list["scopes"],
        json!([{ "id": scope_id, "name": "Northern", "description": "Up there" }])
    );
    // An object grant names its scope and its privilege by key.
    let role = new_role(s, &pa, &acme, "Northerners", &[], &[]).await;
    let (_, etag) = read_role(s, &token, role).await;
    let grant = json!([{ "scope_id": scope_id, "privilege": "operations.workspaces:view" }]);
    let changed = expect(
        put(
            s,
            &token,
            &format!("/api/v1/roles/{role}"),
            Some(&etag),
            &json!({ "name": "Northerners", "object_grants": grant }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(changed["object_grants"], grant);
    // A second scope of the same name is a field error.
    let res = api(
        s,
        Method::POST,
        "/api/v1/scopes",
        Some(&token),
        Some(&json!({ "name": "Northern" })),
    )
    .await;
    let body = problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid").await;
    assert!(body["errors"]["name"].is_array(), "{body}");
    // Deleting the scope takes its object grants with it.
    expect(
        api(s, Method::DELETE, &location, Some(&token), None).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    let (read, _) = read_role(s, &token, role).await;
    assert_eq!(read["object_grants"], json!([]));
    problem(
        api(s, Method::DELETE, &location, Some(&token), None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let actions = audited_by(s, "robot").await;
    for action in [
        "scope.create",
        "scope.update",
        "scope.delete",
        "role.update",
    ] {
        assert!(
            actions.contains(&action.to_owned()),
            "{action}: {actions:?}"
        );
    }
}

async fn roles_are_assigned_and_taken_away(s: &TestServer) {
    let (pa, acme, token) = world(s, &["security:admin"]).await;
    add_account(s, "Acme", "user", "ann").await;
    let ann = account_id(s, "ann").await;
    let viewers = new_role(s, &pa, &acme, "Viewers", &["security.users:view"], &[]).await;
    let north = new_scope(s, &pa, &acme, "North").await;
    let held = || async {
        s.strings(&format!(
            "select coalesce(cast(scope_id as text), 'tenant-wide') from role_assignments \
             where account_id = {ann} order by 1"
        ))
        .await
    };
    let assign = |body: Value| {
        let token = token.clone();
        async move {
            api(
                s,
                Method::POST,
                &format!("/api/v1/users/{ann}/roles"),
                Some(&token),
                Some(&body),
            )
            .await
        }
    };
    expect(
        assign(json!({ "role_id": viewers })).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    expect(
        assign(json!({ "role_id": viewers, "scope_id": north })).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    let mut both = vec![north.to_string(), "tenant-wide".to_owned()];
    both.sort();
    assert_eq!(held().await, both);
    // Held already: a conflict, nothing added.
    problem(
        assign(json!({ "role_id": viewers, "scope_id": null })).await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    // Everyone is held by every account; it is not assigned.
    let everyone = role_named(s, &acme, "Everyone").await;
    let body = problem(
        assign(json!({ "role_id": everyone })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
    )
    .await;
    assert!(body["errors"]["role"].is_array(), "{body}");

    let base = format!("/api/v1/users/{ann}/roles/{viewers}");
    expect(
        api(
            s,
            Method::DELETE,
            &format!("{base}?scope_id={north}"),
            Some(&token),
            None,
        )
        .await,
        StatusCode::NO_CONTENT,
    )
    .await;
    assert_eq!(held().await, ["tenant-wide"]);
    expect(
        api(s, Method::DELETE, &base, Some(&token), None).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    assert!(held().await.is_empty());
    problem(
        api(s, Method::DELETE, &base, Some(&token), None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let audit = s.audit().await;
    let by_robot = |action: &str| {
        audit
            .iter()
            .filter(|r| {
                r.action == action && r.outcome == "success" && r.actor.as_deref() == Some("robot")
            })
            .collect::<Vec<_>>()
    };
    let assigned = by_robot("role.assign");
    assert_eq!(assigned.len(), 2, "{audit:?}");
    assert_eq!(assigned[0].target_id, Some(ann), "audited on the account");
    assert_eq!(by_robot("role.unassign").len(), 2, "{audit:?}");
}

/// Many changes at the same moment (what an integration's workers send): on SQLite a
/// transaction that reads before it writes used to fail with `SQLITE_BUSY` (500) when another
/// connection committed in between; each change now waits its turn. The same assignment
/// sent many times is made once and every other copy is a 409, not a 500.
async fn changes_at_the_same_moment_are_each_answered_never_500(s: &TestServer) {
    let (pa, acme, token) = world(s, &["security:admin"]).await;
    add_account(s, "Acme", "user", "ann").await;
    let ann = account_id(s, "ann").await;
    let viewers = new_role(s, &pa, &acme, "Viewers", &["security.users:view"], &[]).await;

    let path = format!("/api/v1/users/{ann}/roles");
    let body = json!({ "role_id": viewers });
    let same = (0..16).map(|_| api(s, Method::POST, &path, Some(&token), Some(&body)));
    let statuses: Vec<u16> = futures_util::future::join_all(same)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    let made = statuses.iter().filter(|&&c| c == 204).count();
    let held = statuses.iter().filter(|&&c| c == 409).count();
    assert_eq!((made, held), (1, 15), "{statuses:?}");

    // Different assignments at once, each reading before it writes: all made, each with
    // its record.
    let mut roles = Vec::new();
    for i in 0..8 {
        let name = format!("Team {i}");
        roles.push(new_role(s, &pa, &acme, &name, &["security.users:view"], &[]).await);
    }
    let mut people = Vec::new();
    for i in 0..6 {
        let name = format!("worker{i}");
        add_account(s, "Acme", "user", &name).await;
        people.push(account_id(s, &name).await);
    }
    let pairs: Vec<(String, Value)> = people
        .iter()
        .flat_map(|p| {
            roles
                .iter()
                .map(move |r| (format!("/api/v1/users/{p}/roles"), json!({ "role_id": r })))
        })
        .collect();
    let all = pairs
        .iter()
        .map(|(path, body)| api(s, Method::POST, path, Some(&token), Some(body)));
    let statuses: Vec<u16> = futures_util::future::join_all(all)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert!(statuses.iter().all(|&c| c == 204), "{statuses:?}");
    let recorded = s
        .audit()
        .await
        .into_iter()
        .filter(|r| {
            r.action == "role.assign"
                && r.outcome == "success"
                && r.actor.as_deref() == Some("robot")
        })
        .count();
    assert_eq!(recorded, 1 + pairs.len(), "every change has its record");
}

async fn refusals_answer_with_their_codes_and_are_audited(s: &TestServer) {
    let (pa, acme, token) = world(s, &[]).await;
    let robot = account_id(s, "robot").await;
    // Without Security Admin (or Roles: View), nothing.
    problem(
        api(s, Method::GET, "/api/v1/roles", Some(&token), None).await,
        StatusCode::FORBIDDEN,
        "lacks_privilege",
    )
    .await;
    let res = api(
        s,
        Method::POST,
        "/api/v1/roles",
        Some(&token),
        Some(&json!({ "name": "Mine" })),
    )
    .await;
    problem(res, StatusCode::FORBIDDEN, "lacks_privilege").await;
    let res = api(
        s,
        Method::POST,
        "/api/v1/scopes",
        Some(&token),
        Some(&json!({ "name": "Mine" })),
    )
    .await;
    problem(res, StatusCode::FORBIDDEN, "lacks_privilege").await;
    let roles_count = s.strings("select cast(count(*) as text) from roles").await;

    // With Security Admin: still not what it does not hold itself.
    let admins = new_role(s, &pa, &acme, "Security admins", &["security:admin"], &[]).await;
    assign(s, &pa, robot, admins, None).await;
    let viewers = new_role(s, &pa, &acme, "Viewers", &[], &[]).await;
    let (_, etag) = read_role(s, &token, viewers).await;
    let grab = json!({ "name": "Viewers", "privileges": ["audit.log:view"] });
    let body = problem(
        put(
            s,
            &token,
            &format!("/api/v1/roles/{viewers}"),
            Some(&etag),
            &grab,
        )
        .await,
        StatusCode::FORBIDDEN,
        "not_held_by_you",
    )
    .await;
    assert!(body["errors"]["privileges"].is_array(), "{body}");
    let (read, _) = read_role(s, &token, viewers).await;
    assert_eq!(read["privileges"], json!([]), "nothing was granted");
    // Nor create a role granting it: refused whole, nothing created.
    let body = problem(
        api(
            s,
            Method::POST,
            "/api/v1/roles",
            Some(&token),
            Some(&json!({ "name": "Grabbers", "privileges": ["security.users:view", "audit.log:view"] })),
        )
        .await,
        StatusCode::FORBIDDEN,
        "not_held_by_you",
    )
    .await;
    assert_eq!(
        body["errors"]["privileges"],
        json!(["You cannot grant or take away Audit log: View: you do not hold it yourself."]),
        "{body}"
    );
    // Nor assign a role giving what it does not hold.
    let auditors = new_role(s, &pa, &acme, "Auditors", &["audit.log:view"], &[]).await;
    add_account(s, "Acme", "user", "ann").await;
    let ann = account_id(s, "ann").await;
    let res = api(
        s,
        Method::POST,
        &format!("/api/v1/users/{ann}/roles"),
        Some(&token),
        Some(&json!({ "role_id": auditors })),
    )
    .await;
    problem(res, StatusCode::FORBIDDEN, "not_held_by_you").await;
    // Nor delete it (its holders would lose what the caller does not hold).
    problem(
        api(
            s,
            Method::DELETE,
            &format!("/api/v1/roles/{auditors}"),
            Some(&token),
            None,
        )
        .await,
        StatusCode::FORBIDDEN,
        "not_held_by_you",
    )
    .await;
    // The built-in Administrators role is never changed or deleted.
    let administrators = role_named(s, &acme, "Administrators").await;
    let path = format!("/api/v1/roles/{administrators}");
    let (_, etag) = read_role(s, &token, administrators).await;
    problem(
        put(
            s,
            &token,
            &path,
            Some(&etag),
            &json!({ "name": "Administrators", "privileges": [] }),
        )
        .await,
        StatusCode::FORBIDDEN,
        "built_in_role",
    )
    .await;
    problem(
        api(s, Method::DELETE, &path, Some(&token), None).await,
        StatusCode::FORBIDDEN,
        "built_in_role",
    )
    .await;
    let after = s.strings("select cast(count(*) as text) from roles").await;
    assert_eq!(
        roles_count[0].parse::<i64>().unwrap() + 3,
        after[0].parse::<i64>().unwrap(),
        "only the three roles the administrator made"
    );
    let refused: Vec<(String, String)> = s
        .audit()
        .await
        .into_iter()
        .filter(|r| r.outcome == "refused" && r.actor.as_deref() == Some("robot"))
        .map(|r| (r.action, r.reason.unwrap_or_default()))
        .collect();
    for expected in [
        ("role.create", "lacks_privilege"),
        ("scope.create", "lacks_privilege"),
        ("role.update", "not_held_by_you"),
        ("role.create", "not_held_by_you"),
        ("role.assign", "not_held_by_you"),
        ("role.delete", "not_held_by_you"),
        ("role.update", "built_in_role"),
        ("role.delete", "built_in_role"),
    ] {
        let expected = (expected.0.to_owned(), expected.1.to_owned());
        assert!(refused.contains(&expected), "{expected:?}: {refused:?}");
    }
}

async fn another_tenants_ids_answer_exactly_like_missing_ones(s: &TestServer) {
    let (pa, acme, token) = world(s, &["security:admin"]).await;
    let globex = s
        .strings("select cast(tenant_id as text) from tenants where name = 'Globex'")
        .await[0]
        .clone();
    let their_role = new_role(s, &pa, &globex, "Theirs", &[], &[]).await;
    let their_scope = new_scope(s, &pa, &globex, "Their scope").await;
    let stranger = account_id(s, "stranger").await;
    let our_role = new_role(s, &pa, &acme, "Ours", &[], &[]).await;
    add_account(s, "Acme", "user", "ann").await;
    let ann = account_id(s, "ann").await;
    // Ids no tenant has.
    let (no_role, no_scope, no_account) = (their_role + 1000, their_scope + 1000, stranger + 1000);
    let renamed = json!({ "name": "Renamed" });
    let replaced = json!({ "name": "Renamed", "privileges": [] });
    type Call = (Method, String, Option<Value>);
    let pairs: Vec<(Call, Call)> = vec![
        (
            (Method::GET, format!("/api/v1/roles/{their_role}"), None),
            (Method::GET, format!("/api/v1/roles/{no_role}"), None),
        ),
        (
            (
                Method::PUT,
                format!("/api/v1/roles/{their_role}"),
                Some(replaced.clone()),
            ),
            (
                Method::PUT,
                format!("/api/v1/roles/{no_role}"),
                Some(replaced.clone()),
            ),
        ),
        (
            (Method::DELETE, format!("/api/v1/roles/{their_role}"), None),
            (Method::DELETE, format!("/api/v1/roles/{no_role}"), None),
        ),
        (
            (
                Method::PUT,
                format!("/api/v1/scopes/{their_scope}"),
                Some(renamed.clone()),
            ),
            (
                Method::PUT,
                format!("/api/v1/scopes/{no_scope}"),
                Some(renamed.clone()),
            ),
        ),
        (
            (
                Method::DELETE,
                format!("/api/v1/scopes/{their_scope}"),
                None,
            ),
            (Method::DELETE, format!("/api/v1/scopes/{no_scope}"), None),
        ),
        (
            (
                Method::POST,
                format!("/api/v1/users/{stranger}/roles"),
                Some(json!({ "role_id": our_role })),
            ),
            (
                Method::POST,
                format!("/api/v1/users/{no_account}/roles"),
                Some(json!({ "role_id": our_role })),
            ),
        ),
        (
            (
                Method::POST,
                format!("/api/v1/users/{ann}/roles"),
                Some(json!({ "role_id": their_role })),
            ),
            (
                Method::POST,
                format!("/api/v1/users/{ann}/roles"),
                Some(json!({ "role_id": no_role })),
            ),
        ),
        (
            (
                Method::POST,
                format!("/api/v1/users/{ann}/roles"),
                Some(json!({ "role_id": our_role, "scope_id": their_scope })),
            ),
            (
                Method::POST,
                format!("/api/v1/users/{ann}/roles"),
                Some(json!({ "role_id": our_role, "scope_id": no_scope })),
            ),
        ),
        (
            (
                Method::DELETE,
                format!("/api/v1/users/{stranger}/roles/{our_role}"),
                None,
            ),
            (
                Method::DELETE,
                format!("/api/v1/users/{no_account}/roles/{our_role}"),
                None,
            ),
        ),
        (
            (
                Method::DELETE,
                format!("/api/v1/users/{ann}/roles/{their_role}"),
                None,
            ),
            (
                Method::DELETE,
                format!("/api/v1/users/{ann}/roles/{no_role}"),
                None,
            ),
        ),
        (
            (
                Method::DELETE,
                format!("/api/v1/users/{ann}/roles/{our_role}?scope_id={their_scope}"),
                None,
            ),
            (
                Method::DELETE,
                format!("/api/v1/users/{ann}/roles/{our_role}?scope_id={no_scope}"),
                None,
            ),
        ),
    ];
    for (theirs, missing) in pairs {
        let mut answers = Vec::new();
        for (method, path, body) in [&theirs, &missing] {
            let mut req = s
                .client
                .request(method.clone(), format!("{}{path}", s.base))
                .bearer_auth(&token)
                .header("if-match", "*");
            if let Some(body) = body {
                req = req.json(body);
            }
            let res = req.send().await.unwrap();
            answers.push((res.status(), res.text().await.unwrap()));
        }
        let (method, path, _) = &theirs;
        assert_eq!(
            answers[0].0,
            StatusCode::NOT_FOUND,
            "{method} {path}: {}",
            answers[0].1
        );
        assert_eq!(
            answers[0], answers[1],
            "{method} {path}: another tenant's id is told apart"
        );
    }
    // Nothing of Globex changed, and nobody of Acme got anything.
    let theirs = s
        .strings(&format!(
            "select name from roles where role_id = {their_role} union all \
             select name from scopes where scope_id = {their_scope}"
        ))
        .await;
    assert_eq!(theirs, ["Theirs", "Their scope"]);
    let assignments = s
        .strings(&format!(
            "select cast(count(*) as text) from role_assignments where account_id in ({ann}, {stranger})"
        ))
        .await;
    assert_eq!(assignments, ["0"]);
    // The attempts on Globex's ids are audited as refused (other_tenant), as the console's.
    let other_tenant = s
        .audit()
        .await
        .into_iter()
        .filter(|r| r.outcome == "refused" && r.reason.as_deref() == Some("other_tenant"))
        .count();
    assert!(other_tenant >= 4, "{other_tenant}");
}

async fn bad_keys_and_ids_are_problems_naming_the_field(s: &TestServer) {
    let (pa, acme, token) = world(s, &["security:admin"]).await;
    let role = new_role(s, &pa, &acme, "Viewers", &[], &[]).await;
    let path = format!("/api/v1/roles/{role}");
    let bad = json!({ "name": "Viewers",
        "privileges": ["security.users:view", "security.users:fly", "nope:admin"],
        "object_grants": [{ "scope_id": 1, "privilege": "SecurityAdmin" }] });
    let body = problem(
        put(s, &token, &path, Some("*"), &bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
    )
    .await;
    let privileges = body["errors"]["privileges"].to_string();
    assert!(
        privileges.contains("security.users:fly") && privileges.contains("nope:admin"),
        "{body}"
    );
    assert!(!privileges.contains("security.users:view"), "{body}");
    assert!(
        body["errors"]["object_grants"]
            .to_string()
            .contains("SecurityAdmin"),
        "{body}"
    );
    let (read, _) = read_role(s, &token, role).await;
    assert_eq!(read["privileges"], json!([]), "nothing was written");
    // The internal representation is not a key.
    let internal = json!({ "name": "Viewers", "privileges": [{ "On": [0, "View"] }] });
    let body = problem(
        put(s, &token, &path, Some("*"), &internal).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
    )
    .await;
    assert!(body["errors"]["body"].is_array(), "{body}");
    // Invalid fields.
    let body = problem(
        put(s, &token, &path, Some("*"), &json!({ "name": "" })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
    )
    .await;
    assert!(body["errors"]["name"].is_array(), "{body}");
    let res = api(
        s,
        Method::POST,
        "/api/v1/roles",
        Some(&token),
        Some(&json!({ "name": 5 })),
    )
    .await;
    problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid").await;
    let res = api(
        s,
        Method::POST,
        "/api/v1/users/1/roles",
        Some(&token),
        Some(&json!({ "scope_id": 1 })),
    )
    .await;
    let body = problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid").await;
    assert!(body["errors"]["body"].is_array(), "{body}");
    // Malformed ids in the path: 400 naming the parameter.
    for (method, bad_path, field) in [
        (Method::GET, "/api/v1/roles/abc", "id"),
        (Method::DELETE, "/api/v1/roles/0", "id"),
        (Method::DELETE, "/api/v1/scopes/-3", "id"),
        (Method::DELETE, "/api/v1/users/x/roles/1", "id"),
        (Method::DELETE, "/api/v1/users/1/roles/x", "role_id"),
    ] {
        let res = api(s, method, bad_path, Some(&token), None).await;
        let body = problem(res, StatusCode::BAD_REQUEST, "bad_request").await;
        assert!(body["errors"][field].is_array(), "{bad_path}: {body}");
    }
    let robot = account_id(s, "robot").await;
    let res = api(
        s,
        Method::DELETE,
        &format!("/api/v1/users/{robot}/roles/{role}?scope_id=north"),
        Some(&token),
        None,
    )
    .await;
    let body = problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid").await;
    assert!(body["errors"]["scope_id"].is_array(), "{body}");
}
