//! The REST API's users endpoints, its OpenAPI document and docs page (issue 13 §3), on both
//! databases: happy paths, refusals with their codes, tenant isolation, ETag/If-Match, and
//! bad input answered as problem details.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test crate

mod common;
mod rest_support;

use common::*;
use reqwest::{Method, StatusCode};
use rest_support::*;
use serde_json::{json, Value};

on_both_databases!(
    the_openapi_document_lists_every_route_the_router_serves,
    the_docs_page_loads_nothing_from_elsewhere,
    the_users_list_filters_and_pages_with_cursor_links,
    a_service_account_without_the_privilege_is_refused_with_the_reason,
    another_tenants_ids_answer_exactly_like_missing_ones,
    an_account_is_created_read_and_replaced_only_with_its_current_etag,
    disabling_enabling_ending_sessions_and_deleting_are_audited,
    bad_input_is_a_problem_naming_the_field_never_a_500,
    only_a_service_account_credential_opens_the_api,
);

/// Every route the REST router serves, `(method, path)` as the document writes it. A new
/// route must be added here and to the document (utoipa-axum puts it there).
const ROUTES: &[(&str, &str)] = &[
    ("get", "/api/v1/openapi.json"),
    ("get", "/api/v1/users"),
    ("post", "/api/v1/users"),
    ("get", "/api/v1/users/{id}"),
    ("put", "/api/v1/users/{id}"),
    ("delete", "/api/v1/users/{id}"),
    ("post", "/api/v1/users/{id}/disable"),
    ("post", "/api/v1/users/{id}/enable"),
    ("post", "/api/v1/users/{id}/sessions/end"),
    ("post", "/api/v1/users/{id}/mfa/reset"),
    ("get", "/api/v1/users/{id}/access"),
    ("post", "/api/v1/users/{id}/roles"),
    ("delete", "/api/v1/users/{id}/roles/{role_id}"),
    ("get", "/api/v1/roles"),
    ("post", "/api/v1/roles"),
    ("get", "/api/v1/roles/{id}"),
    ("put", "/api/v1/roles/{id}"),
    ("delete", "/api/v1/roles/{id}"),
    ("post", "/api/v1/scopes"),
    ("get", "/api/v1/scopes/{id}"),
    ("put", "/api/v1/scopes/{id}"),
    ("delete", "/api/v1/scopes/{id}"),
    ("post", "/api/v1/authorize"),
    ("post", "/api/v1/authorize/batch"),
    ("get", "/api/v1/me"),
    ("get", "/api/v1/tenant"),
    ("put", "/api/v1/tenant"),
    ("get", "/api/v1/audit"),
    ("get", "/api/v1/audit/export"),
    ("post", "/oauth/token"),
];

async fn the_openapi_document_lists_every_route_the_router_serves(s: &TestServer) {
    let res = api(s, Method::GET, "/api/v1/openapi.json", None, None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let doc: Value = res.json().await.unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let mut documented: Vec<(String, String)> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "put", "post", "delete", "patch", "head", "options"]
                .contains(&method.as_str())
            {
                documented.push((method.clone(), path.clone()));
            }
        }
    }
    documented.sort();
    let mut listed: Vec<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    listed.sort();
    assert_eq!(
        documented, listed,
        "the document and this list must name the same routes"
    );
    // Every operation that takes a credential states its 429 and the header saying how long
    // to wait (the per-address and per-credential limits apply to all of them).
    for (path, item) in doc["paths"].as_object().unwrap() {
        if path == "/api/v1/openapi.json" || path == "/oauth/token" {
            continue;
        }
        for (method, operation) in item.as_object().unwrap() {
            let too_many = &operation["responses"]["429"];
            assert!(
                too_many["headers"]["Retry-After"].is_object(),
                "{method} {path}: {too_many}"
            );
        }
    }
    // Every listed route is served: without a credential it is refused (401) as a problem,
    // never an unrouted 404 or 405. The document itself is public.
    for (method, path) in ROUTES {
        let path = path.replace("{id}", "1").replace("{role_id}", "1");
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let res = api(s, method.clone(), &path, None, Some(&json!({}))).await;
        if path == "/api/v1/openapi.json" {
            assert_eq!(res.status(), StatusCode::OK);
        } else if path == "/oauth/token" {
            // RFC 6749 §5.2 errors, not problem details: no form, no client.
            assert!(
                [StatusCode::BAD_REQUEST, StatusCode::UNAUTHORIZED].contains(&res.status()),
                "{}",
                res.status()
            );
        } else {
            problem(res, StatusCode::UNAUTHORIZED, "invalid_token").await;
        }
    }
    // Errors are documented as problems, and the bodies by their schemas.
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in [
        "Problem",
        "AccountInput",
        "User",
        "UserPage",
        "Question",
        "Answer",
        "ScopeInput",
        "Role",
        "RoleList",
        "RoleBody",
        "AssignmentBody",
    ] {
        assert!(schemas.contains_key(name), "schema {name} is missing");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}

async fn the_docs_page_loads_nothing_from_elsewhere(s: &TestServer) {
    let res = api(s, Method::GET, "/api/docs", None, None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert_eq!(res.headers()["x-frame-options"], "DENY");
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"src="/api/docs/rapidoc-min.js""#), "{html}");
    assert!(
        html.contains(r#"spec-url="/api/v1/openapi.json""#),
        "{html}"
    );
    assert!(html.contains(r#"load-fonts="false""#), "{html}");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "{html}"
    );
    let res = api(s, Method::GET, "/api/docs/rapidoc-min.js", None, None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    let script = res.text().await.unwrap();
    assert!(
        script.starts_with("/*! RapiDoc"),
        "the vendored RapiDoc is served"
    );
}

async fn the_users_list_filters_and_pages_with_cursor_links(s: &TestServer) {
    let (_, _, token) = world(s, &["security.users:view"]).await;
    for name in ["ann", "bob", "cat", "dan", "eve"] {
        add_account(s, "Acme", "user", name).await;
    }
    let list = |path: String| {
        let token = token.clone();
        async move {
            let res = api(s, Method::GET, &path, Some(&token), None).await;
            let status = res.status();
            let body: Value = res.json().await.unwrap();
            assert_eq!(status, StatusCode::OK, "{body}");
            body
        }
    };
    let names = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["username"].as_str().unwrap().to_owned())
            .collect()
    };
    // Users: View shows people, not service accounts (robot), and never another tenant's.
    let all = list("/api/v1/users".into()).await;
    assert_eq!(names(&all), ["ann", "bob", "cat", "dan", "eve"]);
    assert!(all["next"].is_null() && all["previous"].is_null());
    let first = list("/api/v1/users?limit=2".into()).await;
    assert_eq!(names(&first), ["ann", "bob"]);
    assert!(first["previous"].is_null());
    let second = list(first["next"].as_str().unwrap().to_owned()).await;
    assert_eq!(names(&second), ["cat", "dan"]);
    let back = list(second["previous"].as_str().unwrap().to_owned()).await;
    assert_eq!(names(&back), ["ann", "bob"]);
    let last = list(second["next"].as_str().unwrap().to_owned()).await;
    assert_eq!(names(&last), ["eve"]);
    assert!(last["next"].is_null());
    let sorted = list("/api/v1/users?sort=username&desc=true&limit=1".into()).await;
    assert_eq!(names(&sorted), ["eve"]);
    assert!(sorted["next"].as_str().unwrap().contains("desc=true"));
    s.sql("update accounts set status = 'disabled' where username = 'bob'")
        .await;
    let disabled = list("/api/v1/users?status=disabled".into()).await;
    assert_eq!(names(&disabled), ["bob"]);
    assert_eq!(disabled["items"][0]["status"], "disabled");
    assert_eq!(disabled["items"][0]["tier"], "user");
    // A limit beyond the cap is capped, not refused; nonsense is refused, naming the field.
    let capped = list("/api/v1/users?limit=100000".into()).await;
    assert_eq!(names(&capped).len(), 5);
    for bad in [
        "limit=0",
        "limit=x",
        "status=sleeping",
        "tier=emperor",
        "sort=shoe",
        "cursor=zz",
        "role=x",
    ] {
        let res = api(
            s,
            Method::GET,
            &format!("/api/v1/users?{bad}"),
            Some(&token),
            None,
        )
        .await;
        let body = problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid").await;
        let field = bad.split('=').next().unwrap();
        assert!(body["errors"][field].is_array(), "{bad}: {body}");
    }
}

async fn a_service_account_without_the_privilege_is_refused_with_the_reason(s: &TestServer) {
    let (pa, acme, token) = world(s, &[]).await;
    let res = api(s, Method::GET, "/api/v1/users", Some(&token), None).await;
    let body = problem(res, StatusCode::FORBIDDEN, "lacks_privilege").await;
    assert!(
        body["detail"].as_str().unwrap().contains("Users: View"),
        "{body}"
    );
    // Viewing is not editing: a viewer cannot create, and is told why.
    let viewers = new_role(s, &pa, &acme, "Viewers", &["security.users:view"], &[]).await;
    assign(s, &pa, account_id(s, "robot").await, viewers, None).await;
    let res = api(s, Method::GET, "/api/v1/users", Some(&token), None).await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "the role counts on the next request"
    );
    let input = json!({ "tier": "user", "username": "newbie", "email": "newbie@acme.example",
        "full_name": "New Bie", "password": "Temp-pass1" });
    let res = api(s, Method::POST, "/api/v1/users", Some(&token), Some(&input)).await;
    problem(res, StatusCode::FORBIDDEN, "lacks_privilege").await;
    // A service account never manages an administrator, whatever its roles.
    let editors = new_role(s, &pa, &acme, "Editors", &["security.users:edit"], &[]).await;
    assign(s, &pa, account_id(s, "robot").await, editors, None).await;
    let admin = json!({ "tier": "tenant_admin", "username": "boss", "email": "boss@acme.example",
        "full_name": "The Boss", "password": "Temp-pass1" });
    let res = api(s, Method::POST, "/api/v1/users", Some(&token), Some(&admin)).await;
    problem(res, StatusCode::FORBIDDEN, "tier_ceiling").await;
    let refused = s
        .audit()
        .await
        .into_iter()
        .filter(|r| r.outcome == "refused")
        .count();
    assert!(refused >= 2, "refused attempts are audited");
}

async fn another_tenants_ids_answer_exactly_like_missing_ones(s: &TestServer) {
    let keys = ["security.users:delete", "security.service_accounts:delete"];
    let (_, _, token) = world(s, &keys).await;
    let stranger = account_id(s, "stranger").await;
    let missing = stranger + 1000;
    let input = json!({ "email": "x@example.com", "full_name": "X" });
    let calls: Vec<(Method, &str, Option<&Value>)> = vec![
        (Method::GET, "", None),
        (Method::PUT, "", Some(&input)),
        (Method::DELETE, "", None),
        (Method::POST, "/disable", None),
        (Method::POST, "/enable", None),
        (Method::POST, "/sessions/end", None),
        (Method::POST, "/mfa/reset", None),
        (Method::GET, "/access", None),
    ];
    for (method, tail, body) in calls {
        let mut answers = Vec::new();
        for id in [stranger, missing] {
            let path = format!("/api/v1/users/{id}{tail}");
            let mut req = s
                .client
                .request(method.clone(), format!("{}{path}", s.base))
                .bearer_auth(&token);
            if method == Method::PUT {
                req = req.header("if-match", "*");
            }
            if let Some(body) = body {
                req = req.json(body);
            }
            let res = req.send().await.unwrap();
            let status = res.status();
            let text = res.text().await.unwrap();
            answers.push((status, text));
        }
        assert_eq!(
            answers[0].0,
            StatusCode::NOT_FOUND,
            "{method} {tail}: {}",
            answers[0].1
        );
        assert_eq!(
            answers[0], answers[1],
            "{method} {tail}: another tenant's id is told apart"
        );
    }
    // Nothing of the stranger changed.
    let status = s
        .strings("select status from accounts where username = 'stranger'")
        .await;
    assert_eq!(status, ["active"]);
}

async fn an_account_is_created_read_and_replaced_only_with_its_current_etag(s: &TestServer) {
    let (_, acme, token) = world(s, &["security.users:edit"]).await;
    let input = json!({ "tier": "user", "username": "newbie", "email": "newbie@acme.example",
        "full_name": "New Bie", "password": "Temp-pass1", "external_id": "hr7",
        "tenant_id": "999" });
    let res = api(s, Method::POST, "/api/v1/users", Some(&token), Some(&input)).await;
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "{}",
        res.text().await.unwrap()
    );
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let created: Value = res.json().await.unwrap();
    assert_eq!(location, format!("/api/v1/users/{}", created["id"]));
    assert_eq!(created["status"], "must_change_password");
    assert_eq!(
        created["tenant_id"].to_string(),
        acme,
        "the caller's tenant, not the body's"
    );
    assert_eq!(created["external_id"], "hr7");
    // Found by the console's search (by a word of its name, and by external ID).
    for q in ["bie", "hr7"] {
        let res = api(
            s,
            Method::GET,
            &format!("/api/v1/users?q={q}"),
            Some(&token),
            None,
        )
        .await;
        let page: Value = res.json().await.unwrap();
        assert_eq!(page["items"][0]["username"], "newbie", "{q}: {page}");
    }
    let res = api(s, Method::GET, &location, Some(&token), None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    // Values other accounts hold are field errors.
    let res = api(s, Method::POST, "/api/v1/users", Some(&token), Some(&input)).await;
    let body = problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid").await;
    assert!(body["errors"]["email"].is_array(), "{body}");

    let change = json!({ "email": "newbie@acme.example", "full_name": "Newly Named" });
    let put = |if_match: Option<String>| {
        let token = token.clone();
        let location = location.clone();
        let change = change.clone();
        async move {
            let mut req = s
                .client
                .put(format!("{}{location}", s.base))
                .bearer_auth(&token)
                .json(&change);
            if let Some(tag) = if_match {
                req = req.header("if-match", tag);
            }
            req.send().await.unwrap()
        }
    };
    problem(
        put(None).await,
        StatusCode::PRECONDITION_REQUIRED,
        "precondition_required",
    )
    .await;
    problem(
        put(Some("\"stale\"".into())).await,
        StatusCode::PRECONDITION_FAILED,
        "precondition_failed",
    )
    .await;
    let names = s
        .strings("select full_name from accounts where username = 'newbie'")
        .await;
    assert_eq!(names, ["New Bie"], "a refused precondition writes nothing");
    let res = put(Some(etag.clone())).await;
    assert_eq!(res.status(), StatusCode::OK);
    let new_etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let changed: Value = res.json().await.unwrap();
    assert_eq!(changed["full_name"], "Newly Named");
    assert_ne!(new_etag, etag);
    // The first writer's tag is now stale: a second writer holding it cannot overwrite.
    problem(
        put(Some(etag)).await,
        StatusCode::PRECONDITION_FAILED,
        "precondition_failed",
    )
    .await;
    let bad = json!({ "email": "not an email", "full_name": "" });
    let res = s
        .client
        .put(format!("{}{location}", s.base))
        .bearer_auth(&token)
        .header("if-match", new_etag)
        .json(&bad)
        .send()
        .await
        .unwrap();
    let body = problem(res, StatusCode::UNPROCESSABLE_ENTITY, "invalid").await;
    assert!(
        body["errors"]["email"].is_array() && body["errors"]["full_name"].is_array(),
        "{body}"
    );
    let actions: Vec<String> = s
        .audit()
        .await
        .into_iter()
        .filter(|r| r.outcome == "success")
        .map(|r| r.action)
        .collect();
    assert!(
        actions.contains(&"account.create".to_owned())
            && actions.contains(&"account.update".to_owned()),
        "{actions:?}"
    );
}

async fn disabling_enabling_ending_sessions_and_deleting_are_audited(s: &TestServer) {
    let (_, _, token) = world(s, &["security.users:delete"]).await;
    add_account(s, "Acme", "user", "target").await;
    let id = account_id(s, "target").await;
    let call = |method: Method, tail: &'static str| {
        let token = token.clone();
        async move {
            api(
                s,
                method,
                &format!("/api/v1/users/{id}{tail}"),
                Some(&token),
                None,
            )
            .await
        }
    };
    assert_eq!(
        call(Method::POST, "/disable").await.status(),
        StatusCode::NO_CONTENT
    );
    let user: Value = call(Method::GET, "").await.json().await.unwrap();
    assert_eq!(user["status"], "disabled");
    assert_eq!(
        call(Method::POST, "/enable").await.status(),
        StatusCode::NO_CONTENT
    );
    let user: Value = call(Method::GET, "").await.json().await.unwrap();
    assert_eq!(user["status"], "active");
    let version = s
        .strings(&format!(
            "select jwt_version from accounts where account_id = {id}"
        ))
        .await;
    assert_eq!(
        call(Method::POST, "/sessions/end").await.status(),
        StatusCode::NO_CONTENT
    );
    let after = s
        .strings(&format!(
            "select jwt_version from accounts where account_id = {id}"
        ))
        .await;
    assert_ne!(version, after, "every session of the account ended");
    // Only administrators reset someone's MFA.
    problem(
        call(Method::POST, "/mfa/reset").await,
        StatusCode::FORBIDDEN,
        "administrators_only",
    )
    .await;
    assert_eq!(
        call(Method::DELETE, "").await.status(),
        StatusCode::NO_CONTENT
    );
    problem(
        call(Method::GET, "").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    // Service accounts need their own privilege (Users: Delete is not enough).
    let me = account_id(s, "robot").await;
    let path = format!("/api/v1/users/{me}/disable");
    let res = api(s, Method::POST, &path, Some(&token), None).await;
    problem(res, StatusCode::FORBIDDEN, "lacks_privilege").await;
    let audit = s.audit().await;
    for action in [
        "account.disable",
        "account.enable",
        "sessions.invalidate",
        "account.delete",
    ] {
        let row = audit
            .iter()
            .find(|r| r.action == action && r.outcome == "success")
            .unwrap_or_else(|| panic!("{action} is audited"));
        assert_eq!(row.actor.as_deref(), Some("robot"), "{action}");
    }
}

async fn bad_input_is_a_problem_naming_the_field_never_a_500(s: &TestServer) {
    let (_, _, token) = world(s, &["security.users:edit"]).await;
    let send =
        |method: Method, path: &'static str, body: &'static str, content_type: &'static str| {
            let token = token.clone();
            async move {
                s.client
                    .request(method, format!("{}{path}", s.base))
                    .bearer_auth(&token)
                    .header("content-type", content_type)
                    .header("if-match", "*")
                    .body(body)
                    .send()
                    .await
                    .unwrap()
            }
        };
    problem(
        send(
            Method::POST,
            "/api/v1/users",
            "{not json",
            "application/json",
        )
        .await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await;
    let body = problem(
        send(
            Method::POST,
            "/api/v1/users",
            r#"{"tier": 5}"#,
            "application/json",
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
    )
    .await;
    assert!(body["errors"]["body"].is_array(), "{body}");
    problem(
        send(
            Method::POST,
            "/api/v1/users",
            "tier=user",
            "application/x-www-form-urlencoded",
        )
        .await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    let body = problem(
        send(
            Method::POST,
            "/api/v1/users",
            r#"{"email": "", "full_name": ""}"#,
            "application/json",
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
    )
    .await;
    assert!(body["errors"]["tier"].is_array(), "{body}");
    for path in [
        "/api/v1/users/abc",
        "/api/v1/users/-1",
        "/api/v1/users/0",
        "/api/v1/users/99999999999999999999",
    ] {
        let res = api(s, Method::GET, path, Some(&token), None).await;
        let body = problem(res, StatusCode::BAD_REQUEST, "bad_request").await;
        assert!(body["errors"]["id"].is_array(), "{path}: {body}");
    }
}

async fn only_a_service_account_credential_opens_the_api(s: &TestServer) {
    let (pa, _, _) = world(s, &["security.users:view"]).await;
    // A console session (a platform administrator's, even) is not an API credential.
    let res = s
        .client
        .get(format!("{}/api/v1/users", s.base))
        .header("cookie", &pa)
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::UNAUTHORIZED, "invalid_token").await;
    let res = api(s, Method::GET, "/api/v1/users", Some("wdn_nonsense"), None).await;
    problem(res, StatusCode::UNAUTHORIZED, "invalid_token").await;
}
