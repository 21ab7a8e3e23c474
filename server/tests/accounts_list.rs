//! The users list (issue 3, item 3): keyset pages in every order and both directions, search
//! over username / name / email / external ID, filters, and the tenant boundary.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test crate

mod common;

use app::backend::services::directory::{force_search_plan, SearchPlan};
use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Held while a test forces a search plan: the switch is process-wide, and two tests switching
/// it at once would each run some searches under the other's plan.
static FORCING_PLANS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const PLANS: [SearchPlan; 5] = [
    SearchPlan::Rank,
    SearchPlan::RankSorted,
    SearchPlan::RankAndProbe,
    SearchPlan::Drive,
    SearchPlan::Walk,
];

on_both_databases!(
    pages_walk_every_order_forwards_and_back_without_gaps_or_repeats,
    search_matches_username_name_words_email_and_external_id,
    filters_narrow_by_status_tier_and_tenant,
    a_tenant_admin_sees_only_its_own_tenant_whatever_it_asks,
    accounts_without_an_administrator_tier_cannot_list,
    accounts_from_before_search_are_indexed_once,
);

/// Creates a service account (no password to hash, so it is quick) and returns its id.
async fn service_account(
    s: &TestServer,
    cookie: &str,
    tenant: &str,
    username: &str,
    full_name: &str,
    external_id: &str,
) -> i64 {
    let email = format!("{username}@svc.example");
    let res = s
        .call(
            "create_account",
            &[
                ("tier", "service_account"),
                ("tenant_id", tenant),
                ("username", username),
                ("email", &email),
                ("full_name", full_name),
                ("external_id", external_id),
            ],
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

async fn list(s: &TestServer, cookie: &str, query: Value) -> Value {
    let res = s
        .call_json("list_accounts", &json!({ "query": query }), Some(cookie))
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    res.json().await.unwrap()
}

fn query(overrides: Value) -> Value {
    let mut q = json!({
        "search": "", "status": null, "tier": null, "tenant": null,
        "sort": "Username", "descending": false, "cursor": null
    });
    for (k, v) in overrides.as_object().unwrap() {
        q[k] = v.clone();
    }
    q
}

fn usernames(page: &Value) -> Vec<String> {
    page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["username"].as_str().unwrap().to_owned())
        .collect()
}

/// Follows `next` cursors from the first page to the last, then `previous` cursors back,
/// checking both walks see the same pages.
async fn walk(s: &TestServer, cookie: &str, base: Value) -> Vec<String> {
    let mut pages = vec![list(s, cookie, base.clone()).await];
    while !pages.last().unwrap()["next"].is_null() {
        let cursor = pages.last().unwrap()["next"].clone();
        let mut q = base.clone();
        q["cursor"] = cursor;
        pages.push(list(s, cookie, q).await);
        assert!(pages.len() < 20, "pagination does not end");
    }
    assert!(
        pages[0]["previous"].is_null(),
        "the first page has no previous"
    );
    // Back from the last page.
    let mut back = vec![pages.last().unwrap().clone()];
    while !back.last().unwrap()["previous"].is_null() {
        let mut q = base.clone();
        q["cursor"] = back.last().unwrap()["previous"].clone();
        back.push(list(s, cookie, q).await);
        assert!(back.len() <= pages.len(), "walking back overshoots");
    }
    back.reverse();
    assert_eq!(
        back.iter().map(usernames).collect::<Vec<_>>(),
        pages.iter().map(usernames).collect::<Vec<_>>(),
        "walking back sees the same pages"
    );
    pages.iter().flat_map(usernames).collect()
}

async fn pages_walk_every_order_forwards_and_back_without_gaps_or_repeats(s: &TestServer) {
    let pa = s.platform_admin_session().await;
    let acme = s.create_tenant(&pa, "Acme").await;
    // 120 accounts whose name order differs from their username order and creation order;
    // some share a name, so the id has to break ties.
    let mut ids = Vec::new();
    for i in 0..120 {
        let username = format!("svc_{:03}", (i * 37) % 120);
        let name = format!("{} Robot", ["Zeta", "alpha", "Mu", "beta"][i % 4]);
        ids.push(service_account(s, &pa, &acme, &username, &name, "").await);
    }
    let tenant_filter: i64 = acme.parse().unwrap();

    let by_username = walk(s, &pa, query(json!({ "tenant": tenant_filter }))).await;
    let mut expected: Vec<String> = (0..120).map(|i| format!("svc_{i:03}")).collect();
    assert_eq!(by_username, expected);

    let descending = walk(
        s,
        &pa,
        query(json!({ "tenant": tenant_filter, "descending": true })),
    )
    .await;
    expected.reverse();
    assert_eq!(descending, expected);

    let by_created = walk(
        s,
        &pa,
        query(json!({ "tenant": tenant_filter, "sort": "Created" })),
    )
    .await;
    let created: Vec<String> = (0..120)
        .map(|i| format!("svc_{:03}", (i * 37) % 120))
        .collect();
    assert_eq!(by_created, created);

    // Names sort case-insensitively; equal names keep creation order.
    let by_name = walk(
        s,
        &pa,
        query(json!({ "tenant": tenant_filter, "sort": "FullName" })),
    )
    .await;
    let mut named: Vec<(String, i64, String)> = (0..120)
        .map(|i| {
            (
                ["zeta", "alpha", "mu", "beta"][i % 4].to_owned(),
                ids[i],
                format!("svc_{:03}", (i * 37) % 120),
            )
        })
        .collect();
    named.sort();
    assert_eq!(
        by_name,
        named.into_iter().map(|(_, _, u)| u).collect::<Vec<_>>()
    );

    // Without a tenant filter the platform administrator sees itself too.
    let everyone = walk(s, &pa, query(json!({}))).await;
    assert_eq!(everyone.len(), 121);
    assert!(everyone.contains(&ADMIN_USERNAME.to_owned()));

    // A search over every tenant pages the same way under every plan, in username order
    // (ranked from the term index) and in creation order (ranked by the terms' primary key),
    // both directions; one word and two ("svc" is a word of each email).
    let mut ascending: Vec<String> = (0..120).map(|i| format!("svc_{i:03}")).collect();
    let forcing = FORCING_PLANS.lock().await;
    for plan in PLANS {
        force_search_plan(Some(plan));
        for search in ["robot", "svc ROBOT"] {
            let found = walk(s, &pa, query(json!({ "search": search }))).await;
            assert_eq!(found, ascending, "{plan:?}, {search:?}");
            let found = walk(
                s,
                &pa,
                query(json!({ "search": search, "descending": true })),
            )
            .await;
            ascending.reverse();
            assert_eq!(found, ascending, "{plan:?}, {search:?}, descending");
            ascending.reverse();
            let found = walk(
                s,
                &pa,
                query(json!({ "search": search, "sort": "Created", "descending": true })),
            )
            .await;
            let mut newest_first = created.clone();
            newest_first.reverse();
            assert_eq!(found, newest_first, "{plan:?}, {search:?}, newest first");
        }
    }
    force_search_plan(None);
    drop(forcing);
}

async fn search_matches_username_name_words_email_and_external_id(s: &TestServer) {
    let pa = s.platform_admin_session().await;
    let acme = s.create_tenant(&pa, "Acme").await;
    let ada = service_account(s, &pa, &acme, "ada_bot", "Ada King-Noel", "EMP0042").await;
    service_account(s, &pa, &acme, "grace_bot", "Grace Hopper", "EMP0099").await;
    service_account(s, &pa, &acme, "kingsley", "Kingsley Amis", "").await;
    let found = |page: Value| {
        let mut names = usernames(&page);
        names.sort();
        names
    };
    let search = |q: &str| query(json!({ "search": q }));
    // Every plan (ranked from the term index, driven by the rarest word, or checked along
    // the order's index) must find the same accounts.
    let forcing = FORCING_PLANS.lock().await;
    for plan in PLANS {
        force_search_plan(Some(plan));
        assert_eq!(
            found(list(s, &pa, search("ADA")).await),
            ["ada_bot", ADMIN_USERNAME],
            "a username, and the first word of the administrator's name (Ada Admin)"
        );
        assert_eq!(found(list(s, &pa, search("Ada_B")).await), ["ada_bot"]);
        assert_eq!(found(list(s, &pa, search("hopp")).await), ["grace_bot"]);
        assert_eq!(
            found(list(s, &pa, search("king")).await),
            ["ada_bot", "kingsley"],
            "a word of the name, and a username"
        );
        assert_eq!(found(list(s, &pa, search("noel")).await), ["ada_bot"]);
        assert_eq!(
            found(list(s, &pa, search("grace_bot@svc")).await),
            ["grace_bot"]
        );
        assert_eq!(found(list(s, &pa, search("emp0042")).await), ["ada_bot"]);
        assert_eq!(
            found(list(s, &pa, search("king ada")).await),
            ["ada_bot"],
            "every word must match"
        );
        assert!(found(list(s, &pa, search("zebra")).await).is_empty());
        assert!(
            found(list(s, &pa, search("%")).await).is_empty(),
            "no wildcards"
        );
    }
    force_search_plan(None);
    drop(forcing);

    // An edit re-indexes the account: the old name no longer finds it.
    let res = s
        .call(
            "update_account",
            &[
                ("account_id", ada.to_string().as_str()),
                ("email", "ada_bot@svc.example"),
                ("full_name", "Augusta Byron"),
            ],
            Some(&pa),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(found(list(s, &pa, search("noel")).await).is_empty());
    assert_eq!(found(list(s, &pa, search("byron")).await), ["ada_bot"]);
    assert!(
        found(list(s, &pa, search("emp0042")).await).is_empty(),
        "the external ID was cleared"
    );

    // A deleted account is gone from search.
    let res = s
        .call(
            "delete_account",
            &[("account_id", ada.to_string())],
            Some(&pa),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(found(list(s, &pa, search("byron")).await).is_empty());
}

async fn filters_narrow_by_status_tier_and_tenant(s: &TestServer) {
    let pa = s.platform_admin_session().await;
    let acme = s.create_tenant(&pa, "Acme").await;
    let beta = s.create_tenant(&pa, "Beta").await;
    let off = service_account(s, &pa, &acme, "svc_off", "Off Bot", "").await;
    service_account(s, &pa, &acme, "svc_old", "Old Bot", "").await;
    service_account(s, &pa, &beta, "svc_beta", "Beta Bot", "").await;
    let res = s
        .call(
            "create_account",
            &[
                ("tier", "user"),
                ("tenant_id", acme.as_str()),
                ("username", "new_person"),
                ("email", "new@acme.example"),
                ("full_name", "New Person"),
                ("password", "Temp-pass1"),
            ],
            Some(&pa),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = s
        .call(
            "set_account_enabled",
            &[
                ("account_id", off.to_string().as_str()),
                ("enabled", "false"),
            ],
            Some(&pa),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    s.sql("update accounts set expires_at = 1 where username = 'svc_old'")
        .await;

    let names = |page: Value| {
        let mut n = usernames(&page);
        n.sort();
        n
    };
    assert_eq!(
        names(list(s, &pa, query(json!({ "status": "Disabled" }))).await),
        ["svc_off"]
    );
    let expired = list(s, &pa, query(json!({ "status": "Expired" }))).await;
    assert_eq!(names(expired.clone()), ["svc_old"]);
    assert_eq!(expired["rows"][0]["status"], "Expired");
    assert_eq!(
        names(list(s, &pa, query(json!({ "status": "MustChangePassword" }))).await),
        ["new_person"]
    );
    assert_eq!(
        names(list(s, &pa, query(json!({ "status": "Active" }))).await),
        [ADMIN_USERNAME, "svc_beta"],
        "expired and disabled accounts are not active"
    );
    assert_eq!(
        names(list(s, &pa, query(json!({ "tier": "PlatformAdmin" }))).await),
        [ADMIN_USERNAME]
    );
    let beta_id: i64 = beta.parse().unwrap();
    let in_beta = list(s, &pa, query(json!({ "tenant": beta_id }))).await;
    assert_eq!(names(in_beta.clone()), ["svc_beta"]);
    assert_eq!(in_beta["rows"][0]["tenant_name"], "Beta");
    assert_eq!(
        in_beta["rows"][0]["manage"]["Allowed"], "PlatformAdministrator",
        "each row says whether the caller may manage it, and why"
    );
}

async fn a_tenant_admin_sees_only_its_own_tenant_whatever_it_asks(s: &TestServer) {
    let pa = s.platform_admin_session().await;
    let beta = s.create_tenant(&pa, "Beta").await;
    let other = service_account(s, &pa, &beta, "beta_bot", "Beta Bot", "B1").await;
    s.create_tenant_account("tenant_admin", "acme_admin", "Admin-pass1")
        .await;
    s.create_tenant_account("user", "acme_user", "User-pass1")
        .await;
    let ta = s.sign_in("acme_admin", "Admin-pass1").await.unwrap();
    let beta_id: i64 = beta.parse().unwrap();

    let page = list(s, &ta, query(json!({}))).await;
    let mut seen = usernames(&page);
    seen.sort();
    assert_eq!(seen, ["acme_admin", "acme_user"]);
    let asked_for_beta = list(s, &ta, query(json!({ "tenant": beta_id }))).await;
    assert_eq!(
        usernames(&asked_for_beta).len(),
        2,
        "the tenant filter is ignored"
    );
    assert!(usernames(&asked_for_beta)
        .iter()
        .all(|u| u.starts_with("acme")));
    assert!(usernames(&list(s, &ta, query(json!({ "search": "beta" }))).await).is_empty());
    assert!(usernames(&list(s, &ta, query(json!({ "search": "b1" }))).await).is_empty());
    // Its own row says why it may manage itself only within the rules.
    let me = page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["username"] == "acme_admin")
        .unwrap();
    assert_eq!(me["manage"]["Allowed"], "TenantAdministrator");

    let res = s
        .call(
            "get_account",
            &[("account_id", other.to_string())],
            Some(&ta),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = s
        .call(
            "get_account",
            &[("account_id", other.to_string())],
            Some(&pa),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let detail: Value = res.json().await.unwrap();
    assert_eq!(detail["summary"]["external_id"], "B1");
    assert_eq!(detail["is_self"], false);
}

async fn accounts_without_an_administrator_tier_cannot_list(s: &TestServer) {
    s.create_tenant_account("user", "plain_user", "User-pass1")
        .await;
    let user = s.sign_in("plain_user", "User-pass1").await.unwrap();
    let res = s
        .call_json(
            "list_accounts",
            &json!({ "query": query(json!({})) }),
            Some(&user),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = s
        .call_json("list_accounts", &json!({ "query": query(json!({})) }), None)
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = s
        .call("get_account", &[("account_id", "1")], Some(&user))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

async fn accounts_from_before_search_are_indexed_once(s: &TestServer) {
    let pa = s.platform_admin_session().await;
    // An account written without search terms, as before migration 0004.
    s.create_tenant_account("user", "legacy_person", "User-pass1")
        .await;
    let search = query(json!({ "search": "legacy" }));
    assert!(usernames(&list(s, &pa, search.clone()).await).is_empty());
    let db = app::backend::store::db::Db::connect(&s.database_url)
        .await
        .unwrap();
    // Already done for this database: nothing happens.
    app::backend::services::directory::backfill_search_terms(&db, 0)
        .await
        .unwrap();
    assert!(usernames(&list(s, &pa, search.clone()).await).is_empty());
    s.sql("delete from server_secrets where name = 'search_terms_v1'")
        .await;
    app::backend::services::directory::backfill_search_terms(&db, 0)
        .await
        .unwrap();
    db.close().await;
    assert_eq!(usernames(&list(s, &pa, search).await), ["legacy_person"]);
    assert_eq!(
        usernames(&list(s, &pa, query(json!({ "search": "first_admin" }))).await),
        [ADMIN_USERNAME],
        "accounts that had terms keep them"
    );
}

/// PostgreSQL compares usernames and search terms by code point whatever the database's own
/// collation (migration 0008), so pages come in the same order as on SQLite: here on a
/// database whose default collation is ICU's English, which sorts "_" before digits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_orders_usernames_by_code_point_whatever_the_database_locale() {
    let Some(s) = TestServer::start_with(
        Backend::Postgres,
        "template template0 locale_provider icu icu_locale 'en-US' locale 'C.UTF-8'",
    )
    .await
    else {
        return;
    };
    assert_eq!(
        s.strings("select daticulocale from pg_database where datname = current_database()")
            .await,
        ["en-US"],
        "the database sorts linguistically by default"
    );
    let pa = s.platform_admin_session().await;
    let acme = s.create_tenant(&pa, "Acme").await;
    let mut expected = Vec::new();
    for username in ["ab_cde", "ab0cde", "abacde", "AB9cde", "ab__de", "abZcde"] {
        service_account(&s, &pa, &acme, username, "Robot", "").await;
        expected.push(username.to_owned());
    }
    expected.sort_by_key(|u| u.to_lowercase());
    for plan in [
        None,
        Some(SearchPlan::Rank),
        Some(SearchPlan::Drive),
        Some(SearchPlan::Walk),
    ] {
        let _forcing = FORCING_PLANS.lock().await;
        force_search_plan(plan);
        let found = walk(&s, &pa, query(json!({ "search": "ab", "tenant": null }))).await;
        force_search_plan(None);
        assert_eq!(found, expected, "search \"ab\" under plan {plan:?}");
    }
    let everyone = walk(&s, &pa, query(json!({}))).await;
    let mut by_code_point = everyone.clone();
    by_code_point.sort_by_key(|u| u.to_lowercase());
    assert_eq!(everyone, by_code_point, "the whole list, unsearched");
    s.stop().await;
}
