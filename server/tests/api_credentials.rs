//! Service accounts' API credentials end to end (SPEC §7, issue 13 §2): tokens and client
//! secrets managed through the console's server functions, and the REST API accepting
//! exactly the live credentials of enabled service accounts and nothing else.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test crate

mod common;

use base64::Engine;
use common::*;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use reqwest::{Response, StatusCode};
use serde_json::Value;

on_both_databases!(
    a_token_is_shown_once_and_listed_by_its_prefix_and_last_use,
    only_service_accounts_have_credentials,
    credentials_are_managed_only_by_who_may_manage_the_account,
    the_api_accepts_a_live_token_and_refuses_everything_else,
    a_person_cannot_use_the_api_and_a_service_account_cannot_use_the_console,
    a_role_change_shows_in_me_on_the_next_request,
    client_credentials_are_exchanged_for_an_access_token,
    failed_api_authentications_are_throttled_per_address,
    every_change_is_audited_without_a_secret,
    a_cached_identity_gives_way_to_every_change_on_the_next_request,
    a_change_made_elsewhere_is_seen_within_two_seconds,
);

async fn json(res: Response) -> Value {
    serde_json::from_str(&expect_ok(res).await).unwrap()
}

async fn account_id(s: &TestServer, username: &str) -> String {
    s.strings(&format!(
        "select cast(account_id as text) from accounts where username = '{username}'"
    ))
    .await
    .remove(0)
}

/// The platform administrator's session, with tenant "Acme" created.
async fn admin_with_acme(s: &TestServer) -> (String, String) {
    let pa = s.platform_admin_session().await;
    let acme = s.create_tenant(&pa, "Acme").await;
    (pa, acme)
}

async fn create_token(
    s: &TestServer,
    cookie: &str,
    account: &str,
    name: &str,
    expires_on: &str,
) -> Response {
    s.call(
        "create_api_token",
        &[
            ("account_id", account),
            ("name", name),
            ("expires_on", expires_on),
        ],
        Some(cookie),
    )
    .await
}

async fn list(s: &TestServer, cookie: &str, account: &str) -> Response {
    s.call(
        "list_service_credentials",
        &[("account_id", account)],
        Some(cookie),
    )
    .await
}

async fn revoke(s: &TestServer, cookie: &str, account: &str, token_id: &str) -> Response {
    s.call(
        "revoke_api_token",
        &[("account_id", account), ("api_token_id", token_id)],
        Some(cookie),
    )
    .await
}

async fn rotate(s: &TestServer, cookie: &str, account: &str) -> Response {
    s.call(
        "rotate_client_secret",
        &[("account_id", account)],
        Some(cookie),
    )
    .await
}

/// Asserts the API's uniform refusal of a credential: 401, a Bearer challenge, problem
/// details with the one message.
async fn assert_refused(res: Response, what: &str) {
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{what}");
    let challenge = res.headers()[WWW_AUTHENTICATE].to_str().unwrap().to_owned();
    assert!(challenge.starts_with("Bearer"), "{what}: {challenge}");
    assert_eq!(
        res.headers()[CONTENT_TYPE],
        "application/problem+json",
        "{what}"
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], 401, "{what}");
    assert_eq!(body["code"], "invalid_token", "{what}");
    assert_eq!(
        body["detail"],
        server::rest::problem::INVALID_CREDENTIAL,
        "{what}"
    );
}

async fn a_token_is_shown_once_and_listed_by_its_prefix_and_last_use(s: &TestServer) {
    let (pa, _) = admin_with_acme(s).await;
    let secret = s.service_account_token(&pa, "deploy_bot").await;
    assert!(secret.starts_with("wdn_") && secret.len() == 40, "{secret}");
    let robot = account_id(s, "deploy_bot").await;

    let listed = json(list(s, &pa, &robot).await).await;
    let text = listed.to_string();
    assert!(!text.contains(&secret[8..]), "a list never holds a secret");
    assert_eq!(listed["may_manage"], true);
    assert_eq!(listed["client"], Value::Null);
    let tokens = listed["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0]["name"], "test token");
    assert_eq!(tokens[0]["display_prefix"], &secret[..8]);
    assert_eq!(tokens[0]["last_used_at"], Value::Null);
    assert_eq!(tokens[0]["expires_at"], Value::Null);

    // Nothing stores the secret; the digest is not the secret either.
    let stored = s
        .strings("select name || ' ' || display_prefix || ' ' || digest from api_tokens")
        .await;
    assert!(!stored[0].contains(&secret[8..]), "{stored:?}");

    assert_eq!(s.api_get("/api/v1/me", Some(&secret)).await.status(), 200);
    let listed = json(list(s, &pa, &robot).await).await;
    let token = &listed["tokens"][0];
    assert!(token["last_used_at"].as_i64().unwrap() > 0, "{token}");
    assert_eq!(token["last_used_address"], "127.0.0.1");

    // Its last use is written at most once a minute, not on every request.
    let last_use = || async {
        s.strings("select cast(last_used_at as text) from api_tokens where name = 'test token'")
            .await
            .remove(0)
    };
    s.sql("update api_tokens set last_used_at = last_used_at - 30")
        .await;
    time_passed(s);
    let recent = last_use().await;
    assert_eq!(s.api_get("/api/v1/me", Some(&secret)).await.status(), 200);
    assert_eq!(last_use().await, recent, "written again within a minute");
    s.sql("update api_tokens set last_used_at = last_used_at - 60")
        .await;
    time_passed(s);
    let old = last_use().await;
    assert_eq!(s.api_get("/api/v1/me", Some(&secret)).await.status(), 200);
    let now: i64 = last_use().await.parse().unwrap();
    assert!(now > old.parse::<i64>().unwrap() + 60, "{now} after {old}");

    // A second token with the same name (case aside) is a field error; another name works.
    let res = create_token(s, &pa, &robot, "TEST TOKEN", "").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("name"));
    let res = create_token(s, &pa, &robot, "  ", "").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = create_token(s, &pa, &robot, &"x".repeat(101), "").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = create_token(s, &pa, &robot, "dated", "not a date").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("expires_on"));
    let second = json(create_token(s, &pa, &robot, "ci", "2999-12-31").await).await;
    assert!(second["token"]["expires_at"].as_i64().unwrap() > 0);
    assert_ne!(second["secret"].as_str().unwrap(), secret);
    let listed = json(list(s, &pa, &robot).await).await;
    assert_eq!(listed["tokens"].as_array().unwrap().len(), 2);
    let text = listed.to_string();
    let second_secret = second["secret"].as_str().unwrap();
    assert!(!text.contains(&secret[8..]) && !text.contains(&second_secret[8..]));
}

async fn only_service_accounts_have_credentials(s: &TestServer) {
    let (pa, acme) = admin_with_acme(s).await;
    let res = s
        .call(
            "create_account",
            &[
                ("tier", "user"),
                ("tenant_id", acme.as_str()),
                ("username", "person"),
                ("email", "person@x.example"),
                ("full_name", "A Person"),
                ("password", "Temp-pass1"),
            ],
            Some(&pa),
        )
        .await;
    let person = expect_ok(res).await;
    // A person has no API credentials: listed as none, and none can be made.
    let res = list(s, &pa, &person).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), "null");
    for res in [
        create_token(s, &pa, &person, "mine", "").await,
        rotate(s, &pa, &person).await,
    ] {
        assert_eq!(res.status(), StatusCode::CONFLICT);
        let body = res.text().await.unwrap();
        assert!(body.contains("not a service account"), "{body}");
    }
    assert_eq!(s.strings("select name from api_tokens").await.len(), 0);
    assert_eq!(
        s.strings("select client_id from api_clients").await.len(),
        0
    );
}

async fn credentials_are_managed_only_by_who_may_manage_the_account(s: &TestServer) {
    let (pa, acme) = admin_with_acme(s).await;
    s.service_account_token(&pa, "acme_robot").await;
    let robot = account_id(s, "acme_robot").await;
    let token_id = s
        .strings("select cast(api_token_id as text) from api_tokens")
        .await
        .remove(0);

    // Another tenant's administrator: "not found", as for no account at all.
    let beta = s.create_tenant(&pa, "Beta").await;
    let res = s
        .call(
            "create_account",
            &[
                ("tier", "tenant_admin"),
                ("tenant_id", beta.as_str()),
                ("username", "beta_admin"),
                ("email", "beta@x.example"),
                ("full_name", "Beta Admin"),
                ("password", "Temp-pass1"),
            ],
            Some(&pa),
        )
        .await;
    expect_ok(res).await;
    let beta_admin = s
        .sign_in_and_choose_password("beta_admin", "Temp-pass1")
        .await;
    for res in [
        list(s, &beta_admin, &robot).await,
        create_token(s, &beta_admin, &robot, "stolen", "").await,
        revoke(s, &beta_admin, &robot, &token_id).await,
        rotate(s, &beta_admin, &robot).await,
    ] {
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }

    // A user of Acme who may see service accounts but not manage them: sees the list
    // (without the right to change it), and is refused each change with the reason.
    let res = s
        .call(
            "create_account",
            &[
                ("tier", "user"),
                ("tenant_id", acme.as_str()),
                ("username", "viewer"),
                ("email", "viewer@x.example"),
                ("full_name", "A Viewer"),
                ("password", "Temp-pass1"),
            ],
            Some(&pa),
        )
        .await;
    expect_ok(res).await;
    s.sql(&format!(
        "insert into role_privileges (role_id, privilege) select role_id, \
         'security.service_accounts:view' from roles where tenant_id = {acme} and kind = 'everyone'"
    ))
    .await;
    let viewer = s.sign_in_and_choose_password("viewer", "Temp-pass1").await;
    let listed = json(list(s, &viewer, &robot).await).await;
    assert_eq!(listed["may_manage"], false);
    assert_eq!(listed["tokens"].as_array().unwrap().len(), 1);
    for res in [
        create_token(s, &viewer, &robot, "mine", "").await,
        revoke(s, &viewer, &robot, &token_id).await,
        rotate(s, &viewer, &robot).await,
    ] {
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let body = res.text().await.unwrap();
        assert!(body.contains("Lacks"), "{body}");
    }
    // None of it changed anything; the refusals are on record with their reason.
    assert_eq!(
        s.strings("select cast(count(*) as text) from api_tokens where revoked_at is null")
            .await,
        ["1"]
    );
    assert_eq!(
        s.strings("select client_id from api_clients").await.len(),
        0
    );
    let refused: Vec<_> = s
        .audit()
        .await
        .into_iter()
        .filter(|r| r.outcome == "refused" && r.action.starts_with("api_"))
        .map(|r| (r.action, r.reason.unwrap_or_default()))
        .collect();
    for action in ["api_token.create", "api_token.revoke", "api_client.rotate"] {
        assert!(
            refused.contains(&(action.to_owned(), "lacks_privilege".to_owned())),
            "{action}: {refused:?}"
        );
        assert!(
            refused.contains(&(action.to_owned(), "other_tenant".to_owned())),
            "{action}: {refused:?}"
        );
    }
}

async fn the_api_accepts_a_live_token_and_refuses_everything_else(s: &TestServer) {
    let (pa, acme) = admin_with_acme(s).await;
    let token = s.service_account_token(&pa, "robot_1").await;
    let robot = account_id(s, "robot_1").await;
    let res = s.api_get("/api/v1/me", Some(&token)).await;
    let me = json(res).await;
    assert_eq!(me["username"], "robot_1");
    assert_eq!(me["tier"], "service_account");
    assert_eq!(me["tenant"]["name"], "Acme");

    assert_refused(s.api_get("/api/v1/me", None).await, "no header").await;
    let res = s.api_get("/api/v1/no-such-thing", Some(&token)).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.headers()[CONTENT_TYPE], "application/problem+json");
    assert_refused(
        s.api_get("/api/v1/me", Some("wdn_nonsense")).await,
        "malformed",
    )
    .await;
    let mut mistyped = token.clone();
    mistyped.replace_range(10..11, if &token[10..11] == "a" { "b" } else { "a" });
    assert_refused(s.api_get("/api/v1/me", Some(&mistyped)).await, "checksum").await;
    let unknown = app::backend::security::credentials::generate_api_token(&[9u8; 32]).plaintext;
    assert_refused(s.api_get("/api/v1/me", Some(&unknown)).await, "unknown").await;
    let res = s
        .client
        .get(format!("{}/api/v1/me", s.base))
        .header(AUTHORIZATION, format!("Token {token}"))
        .send()
        .await
        .unwrap();
    assert_refused(res, "another scheme").await;

    // Revoked: refused from the next request on.
    let second = json(create_token(s, &pa, &robot, "second", "").await).await;
    let second_secret = second["secret"].as_str().unwrap().to_owned();
    assert_eq!(
        s.api_get("/api/v1/me", Some(&second_secret)).await.status(),
        200
    );
    let id = second["token"]["api_token_id"].to_string();
    expect_ok(revoke(s, &pa, &robot, &id).await).await;
    assert_refused(
        s.api_get("/api/v1/me", Some(&second_secret)).await,
        "revoked",
    )
    .await;
    let listed = json(list(s, &pa, &robot).await).await;
    let revoked = listed["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "second")
        .unwrap();
    assert!(revoked["revoked_at"].as_i64().is_some(), "{revoked}");
    // The first token is untouched.
    assert_eq!(s.api_get("/api/v1/me", Some(&token)).await.status(), 200);

    // Expired.
    let third = json(create_token(s, &pa, &robot, "third", "2999-01-01").await).await;
    let third_secret = third["secret"].as_str().unwrap().to_owned();
    assert_eq!(
        s.api_get("/api/v1/me", Some(&third_secret)).await.status(),
        200
    );
    s.sql(&format!(
        "update api_tokens set created_at = 0, expires_at = 1 where api_token_id = {}",
        third["token"]["api_token_id"]
    ))
    .await;
    time_passed(s);
    assert_refused(
        s.api_get("/api/v1/me", Some(&third_secret)).await,
        "expired",
    )
    .await;

    // A disabled service account, then a disabled tenant; each enabled again works again.
    let res = s
        .call(
            "set_account_enabled",
            &[("account_id", robot.as_str()), ("enabled", "false")],
            Some(&pa),
        )
        .await;
    expect_ok(res).await;
    assert_refused(
        s.api_get("/api/v1/me", Some(&token)).await,
        "disabled account",
    )
    .await;
    let res = s
        .call(
            "set_account_enabled",
            &[("account_id", robot.as_str()), ("enabled", "true")],
            Some(&pa),
        )
        .await;
    expect_ok(res).await;
    assert_eq!(s.api_get("/api/v1/me", Some(&token)).await.status(), 200);
    let res = s
        .call(
            "set_tenant_active",
            &[("tenant_id", acme.as_str()), ("active", "false")],
            Some(&pa),
        )
        .await;
    expect_ok(res).await;
    assert_refused(
        s.api_get("/api/v1/me", Some(&token)).await,
        "disabled tenant",
    )
    .await;
    // An expired service account.
    let res = s
        .call(
            "set_tenant_active",
            &[("tenant_id", acme.as_str()), ("active", "true")],
            Some(&pa),
        )
        .await;
    expect_ok(res).await;
    assert_eq!(s.api_get("/api/v1/me", Some(&token)).await.status(), 200);
    // Made in the database, with its audit record, as another instance would: seen within
    // the documented delay (the credential cache; see `a_change_made_elsewhere_…`).
    s.changed_elsewhere(&format!(
        "update accounts set expires_at = 1 where account_id = {robot}"
    ))
    .await;
    assert_refused(
        refused_within(s, &token, std::time::Duration::from_secs(2)).await,
        "expired account",
    )
    .await;
}

/// Says to the server that the times a test just rewrote in the database (a last use, an
/// expiry) are to be read again: they stand for time passing, which no instance audits, so
/// the credential cache is told directly, as a change would tell it.
fn time_passed(s: &TestServer) {
    s.running().state.db.note_change();
}

/// The first answer to `GET /api/v1/me` with `bearer` that is not a success, trying for up to
/// `within`; the last answer when every one succeeded.
async fn refused_within(s: &TestServer, bearer: &str, within: std::time::Duration) -> Response {
    let started = std::time::Instant::now();
    loop {
        let res = s.api_get("/api/v1/me", Some(bearer)).await;
        if res.status() != StatusCode::OK || started.elapsed() >= within {
            return res;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The privilege keys `GET /api/v1/me` lists for `bearer`.
async fn privileges_of(s: &TestServer, bearer: &str) -> Vec<String> {
    let me = json(s.api_get("/api/v1/me", Some(bearer)).await).await;
    me["privileges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["key"].as_str().unwrap().to_owned())
        .collect()
}

/// The credential cache (`app::backend::security::credential_cache`): with both kinds of
/// credential answered from it (a request made just before), a role change, a disabled
/// account or tenant and a revoked token are each seen on the very next request.
async fn a_cached_identity_gives_way_to_every_change_on_the_next_request(s: &TestServer) {
    let (pa, acme) = admin_with_acme(s).await;
    let (client_id, secret) = client_of(s, &pa, "robot_1").await;
    let robot = account_id(s, "robot_1").await;
    let token = json(create_token(s, &pa, &robot, "cached", "").await).await["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let access = json(access_token(s, &client_id, &secret).await).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let both = [token.as_str(), access.as_str()];
    let warm = || async move {
        for bearer in both {
            for _ in 0..2 {
                assert_eq!(s.api_get("/api/v1/me", Some(bearer)).await.status(), 200);
            }
        }
    };
    let call = |function: &'static str, form: Vec<(&'static str, String)>| {
        let pa = pa.clone();
        async move { expect_ok(s.call(function, &form, Some(&pa)).await).await }
    };

    // A role change.
    warm().await;
    for bearer in both {
        assert!(privileges_of(s, bearer).await.is_empty());
    }
    let role = s
        .strings(&format!(
            "select cast(role_id as text) from roles where tenant_id = {acme} and name = 'Read-only'"
        ))
        .await
        .remove(0);
    let assignment = vec![("account_id", robot.clone()), ("role_id", role.clone())];
    call("assign_role", assignment.clone()).await;
    for bearer in both {
        let keys = privileges_of(s, bearer).await;
        assert!(
            keys.contains(&"operations.cases:view".to_owned()),
            "{keys:?}"
        );
    }
    call("unassign_role", assignment).await;
    for bearer in both {
        assert!(privileges_of(s, bearer).await.is_empty());
    }

    // The account disabled, then enabled again.
    warm().await;
    let enabled = |on: &str| vec![("account_id", robot.clone()), ("enabled", on.to_owned())];
    call("set_account_enabled", enabled("false")).await;
    for bearer in both {
        assert_refused(
            s.api_get("/api/v1/me", Some(bearer)).await,
            "disabled account",
        )
        .await;
    }
    call("set_account_enabled", enabled("true")).await;

    // The tenant disabled, then enabled again.
    warm().await;
    let active = |on: &str| vec![("tenant_id", acme.clone()), ("active", on.to_owned())];
    call("set_tenant_active", active("false")).await;
    for bearer in both {
        assert_refused(
            s.api_get("/api/v1/me", Some(bearer)).await,
            "disabled tenant",
        )
        .await;
    }
    call("set_tenant_active", active("true")).await;

    // The token revoked; the access token is another credential and still works.
    warm().await;
    let listed = json(list(s, &pa, &robot).await).await;
    let id = listed["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "cached")
        .unwrap()["api_token_id"]
        .to_string();
    expect_ok(revoke(s, &pa, &robot, &id).await).await;
    assert_refused(s.api_get("/api/v1/me", Some(&token)).await, "revoked").await;
    assert_eq!(s.api_get("/api/v1/me", Some(&access)).await.status(), 200);
}

/// A change made by another instance (here: directly in the database, with the audit record
/// every change writes) is seen within two seconds, though this instance's cache answered
/// just before.
async fn a_change_made_elsewhere_is_seen_within_two_seconds(s: &TestServer) {
    let (pa, acme) = admin_with_acme(s).await;
    let token = s.service_account_token(&pa, "robot_1").await;
    let robot = account_id(s, "robot_1").await;
    for _ in 0..3 {
        assert_eq!(s.api_get("/api/v1/me", Some(&token)).await.status(), 200);
    }
    let within = std::time::Duration::from_secs(2);
    s.changed_elsewhere(&format!(
        "update accounts set status = 'disabled' where account_id = {robot}"
    ))
    .await;
    assert_refused(
        refused_within(s, &token, within).await,
        "disabled elsewhere",
    )
    .await;
    s.changed_elsewhere(&format!(
        "update accounts set status = 'active' where account_id = {robot}"
    ))
    .await;
    let started = std::time::Instant::now();
    while s.api_get("/api/v1/me", Some(&token)).await.status() != 200 {
        assert!(
            started.elapsed() < within,
            "enabled elsewhere, still refused"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // The tenant, this time.
    s.changed_elsewhere(&format!(
        "update tenants set status = 'disabled' where tenant_id = {acme}"
    ))
    .await;
    assert_refused(
        refused_within(s, &token, within).await,
        "tenant disabled elsewhere",
    )
    .await;
}

async fn a_person_cannot_use_the_api_and_a_service_account_cannot_use_the_console(s: &TestServer) {
    let pa = s.platform_admin_session().await;
    // The administrator's own session cookie proves nothing at the API.
    let res = s
        .client
        .get(format!("{}/api/v1/me", s.base))
        .header(reqwest::header::COOKIE, &pa)
        .send()
        .await
        .unwrap();
    assert_refused(res, "a console cookie").await;
    // Nor its password, nor its session token as a Bearer credential.
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("{ADMIN_USERNAME}:{ADMIN_PASSWORD}"));
    let res = s
        .client
        .get(format!("{}/api/v1/me", s.base))
        .header(AUTHORIZATION, format!("Basic {basic}"))
        .send()
        .await
        .unwrap();
    assert_refused(res, "a person's password").await;
    assert_refused(
        s.api_get("/api/v1/me", Some(ADMIN_PASSWORD)).await,
        "a password as a token",
    )
    .await;
    let session_token = pa.split_once('=').unwrap().1;
    assert_refused(
        s.api_get("/api/v1/me", Some(session_token)).await,
        "a session token as an access token",
    )
    .await;

    // A person's API token, however it came to exist, is refused too.
    s.service_account_token(&pa, "robot_1").await;
    s.create_tenant_account("user", "person", "Pass-word1")
        .await;
    let key = {
        // The digest key the server uses, derived as the server derives it.
        let text = std::fs::read_to_string(s.data_dir().join(server::ENCRYPTION_KEY_FILE)).unwrap();
        let key = app::backend::security::totp::SecretKey::parse(&text).unwrap();
        key.derive(app::backend::security::credentials::DIGEST_KEY_PURPOSE)
    };
    let forged = app::backend::security::credentials::generate_api_token(&key);
    s.sql(&format!(
        "insert into api_tokens (account_id, name, display_prefix, digest, created_at) \
         select account_id, 'forged', '{}', '{}', 0 from accounts where username = 'person'",
        forged.display_prefix, forged.digest
    ))
    .await;
    assert_refused(
        s.api_get("/api/v1/me", Some(&forged.plaintext)).await,
        "a person's token",
    )
    .await;

    // A service account with a password still cannot sign in to the console.
    s.create_tenant_account("service_account", "robot_pw", "Pass-word1")
        .await;
    let refused = s.sign_in("robot_pw", "Pass-word1").await.unwrap_err();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("Service accounts cannot sign in"));
}

async fn a_role_change_shows_in_me_on_the_next_request(s: &TestServer) {
    let (pa, acme) = admin_with_acme(s).await;
    let token = s.service_account_token(&pa, "robot_1").await;
    let robot = account_id(s, "robot_1").await;
    let me = json(s.api_get("/api/v1/me", Some(&token)).await).await;
    assert_eq!(me["privileges"], serde_json::json!([]), "{me}");
    let role = s
        .strings(&format!(
            "select cast(role_id as text) from roles where tenant_id = {acme} and name = 'Read-only'"
        ))
        .await
        .remove(0);
    let res = s
        .call(
            "assign_role",
            &[("account_id", robot.as_str()), ("role_id", role.as_str())],
            Some(&pa),
        )
        .await;
    expect_ok(res).await;
    let me = json(s.api_get("/api/v1/me", Some(&token)).await).await;
    let keys: Vec<&str> = me["privileges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["key"].as_str().unwrap())
        .collect();
    assert!(keys.contains(&"operations.cases:view"), "{me}");
    assert!(!keys.iter().any(|k| k.ends_with(":delete")), "{me}");
    let res = s
        .call(
            "unassign_role",
            &[("account_id", robot.as_str()), ("role_id", role.as_str())],
            Some(&pa),
        )
        .await;
    expect_ok(res).await;
    let me = json(s.api_get("/api/v1/me", Some(&token)).await).await;
    assert_eq!(me["privileges"], serde_json::json!([]), "{me}");
}

/// `POST /oauth/token` with `form`, and HTTP Basic credentials if given.
async fn token_request(
    s: &TestServer,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> Response {
    let mut req = s.client.post(format!("{}/oauth/token", s.base)).form(form);
    if let Some((id, secret)) = basic {
        req = req.basic_auth(id, Some(secret));
    }
    req.send().await.unwrap()
}

/// Creates a service account and generates its client secret: (client id, secret).
async fn client_of(s: &TestServer, pa: &str, username: &str) -> (String, String) {
    s.service_account_token(pa, username).await;
    let robot = account_id(s, username).await;
    let created = json(rotate(s, pa, &robot).await).await;
    (
        created["client"]["client_id"].as_str().unwrap().to_owned(),
        created["secret"].as_str().unwrap().to_owned(),
    )
}

async fn access_token(s: &TestServer, id: &str, secret: &str) -> Response {
    token_request(
        s,
        &[("grant_type", "client_credentials")],
        Some((id, secret)),
    )
    .await
}

async fn client_credentials_are_exchanged_for_an_access_token(s: &TestServer) {
    let (pa, _) = admin_with_acme(s).await;
    let (id, secret) = client_of(s, &pa, "robot_1").await;
    assert!(id.starts_with("wdc_") && secret.starts_with("wds_"));

    // HTTP Basic.
    let res = access_token(s, &id, &secret).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 600);
    let at = body["access_token"].as_str().unwrap().to_owned();
    let me = json(s.api_get("/api/v1/me", Some(&at)).await).await;
    assert_eq!(me["username"], "robot_1");
    // The form body.
    let res = token_request(
        s,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", &secret),
        ],
        None,
    )
    .await;
    assert_eq!(res.status(), 200);

    // Errors of RFC 6749 §5.2.
    let oauth_error = |res: Response| async move {
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        (
            status,
            body["error"].as_str().unwrap_or_default().to_owned(),
        )
    };
    let wrong = app::backend::security::credentials::generate_client_secret(&[1u8; 32]).plaintext;
    assert_eq!(
        oauth_error(access_token(s, &id, &wrong).await).await,
        (StatusCode::UNAUTHORIZED, "invalid_client".to_owned())
    );
    assert_eq!(
        oauth_error(access_token(s, "wdc_unknownunknownunknow", &secret).await).await,
        (StatusCode::UNAUTHORIZED, "invalid_client".to_owned())
    );
    let res = token_request(s, &[("grant_type", "password")], Some((&id, &secret))).await;
    assert_eq!(
        oauth_error(res).await,
        (StatusCode::BAD_REQUEST, "unsupported_grant_type".to_owned())
    );
    let res = token_request(s, &[("scope", "x")], Some((&id, &secret))).await;
    assert_eq!(
        oauth_error(res).await,
        (StatusCode::BAD_REQUEST, "invalid_request".to_owned())
    );
    let res = token_request(s, &[("grant_type", "client_credentials")], None).await;
    let challenge = res.headers().get(WWW_AUTHENTICATE).cloned();
    assert_eq!(
        oauth_error(res).await,
        (StatusCode::UNAUTHORIZED, "invalid_client".to_owned())
    );
    assert!(challenge.is_some());
    // A secret is no API token, nor an API token a secret.
    assert_refused(
        s.api_get("/api/v1/me", Some(&secret)).await,
        "a client secret",
    )
    .await;

    // An access token is no console session, and a console session no access token.
    assert_eq!(
        s.session(&format!("warden_session={at}")).await,
        Value::Null
    );
    let session_token = pa.split_once('=').unwrap().1;
    assert_refused(
        s.api_get("/api/v1/me", Some(session_token)).await,
        "a session token",
    )
    .await;

    // An access token of a disabled account is refused on its next request.
    let robot = account_id(s, "robot_1").await;
    let res = s
        .call(
            "set_account_enabled",
            &[("account_id", robot.as_str()), ("enabled", "false")],
            Some(&pa),
        )
        .await;
    expect_ok(res).await;
    assert_refused(s.api_get("/api/v1/me", Some(&at)).await, "disabled account").await;
    assert_eq!(
        oauth_error(access_token(s, &id, &secret).await).await,
        (StatusCode::UNAUTHORIZED, "invalid_client".to_owned())
    );
}

async fn after_rotation_both_secrets_work_during_the_overlap_only(s: &TestServer) {
    let (pa, _) = admin_with_acme(s).await;
    let (id, first) = client_of(s, &pa, "robot_1").await;
    let robot = account_id(s, "robot_1").await;
    let rotated = json(rotate(s, &pa, &robot).await).await;
    assert_eq!(
        rotated["client"]["client_id"],
        id.as_str(),
        "the client ID stays"
    );
    assert!(rotated["client"]["previous_secret_expires_at"]
        .as_i64()
        .is_some());
    let second = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(first, second);
    assert_eq!(access_token(s, &id, &first).await.status(), 200);
    assert_eq!(access_token(s, &id, &second).await.status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(3_100)).await;
    assert_eq!(access_token(s, &id, &first).await.status(), 401);
    assert_eq!(access_token(s, &id, &second).await.status(), 200);
    // Another rotation ends the first secret's successor's predecessor at once.
    let third = json(rotate(s, &pa, &robot).await).await["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(access_token(s, &id, &first).await.status(), 401);
    assert_eq!(access_token(s, &id, &third).await.status(), 200);
}

async fn a_maximum_lifetime_bounds_every_new_token(s: &TestServer) {
    let (pa, acme) = admin_with_acme(s).await;
    let res = s
        .call(
            "create_account",
            &[
                ("tier", "service_account"),
                ("tenant_id", acme.as_str()),
                ("username", "robot_1"),
                ("email", "robot_1@x.example"),
                ("full_name", "Robot"),
            ],
            Some(&pa),
        )
        .await;
    let robot = expect_ok(res).await;
    for expires_on in ["", "never", "2999-01-01"] {
        let res = create_token(s, &pa, &robot, "t", expires_on).await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{expires_on}"
        );
        let body = res.text().await.unwrap();
        assert!(
            body.contains("expires_on") && body.contains("30 days"),
            "{body}"
        );
    }
    let soon = app::domain::format_date(app::backend::clock::now() + 20 * 86_400);
    expect_ok(create_token(s, &pa, &robot, "t", &soon).await).await;
}

async fn failed_api_authentications_are_throttled_per_address(s: &TestServer) {
    let (pa, _) = admin_with_acme(s).await;
    let token = s.service_account_token(&pa, "robot_1").await;
    let unknown = app::backend::security::credentials::generate_api_token(&[9u8; 32]).plaintext;
    let limit = app::backend::security::throttle::ThrottlePolicy::default()
        .api_per_address
        .max_attempts;
    for i in 0..limit {
        let res = s.api_get("/api/v1/me", Some(&unknown)).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let res = s.api_get("/api/v1/me", Some(&unknown)).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: i64 = res.headers()[RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait > 0 && wait <= 15 * 60, "{wait}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");
    // The address is refused whatever it sends now, the token endpoint included.
    assert_eq!(
        s.api_get("/api/v1/me", Some(&token)).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    let res = token_request(s, &[("grant_type", "client_credentials")], Some(("a", "b"))).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key(RETRY_AFTER));
    // Audited, but not once per attempt.
    let failures: Vec<_> = s
        .audit()
        .await
        .into_iter()
        .filter(|r| r.action == "api.authenticate")
        .collect();
    assert!(!failures.is_empty());
    assert!(failures.len() <= 5, "{}", failures.len());
    assert!(failures.iter().all(|r| r.outcome == "failure"
        && r.reason.as_deref() == Some("unknown_credential")
        && r.client.as_deref() == Some("127.0.0.1")));
}

async fn every_change_is_audited_without_a_secret(s: &TestServer) {
    let (pa, _) = admin_with_acme(s).await;
    let token = s.service_account_token(&pa, "robot_1").await;
    let robot = account_id(s, "robot_1").await;
    let id = s
        .strings("select cast(api_token_id as text) from api_tokens")
        .await
        .remove(0);
    expect_ok(revoke(s, &pa, &robot, &id).await).await;
    let first = json(rotate(s, &pa, &robot).await).await;
    let second = json(rotate(s, &pa, &robot).await).await;
    let client_id = first["client"]["client_id"].as_str().unwrap().to_owned();
    let secrets = [
        token.clone(),
        first["secret"].as_str().unwrap().to_owned(),
        second["secret"].as_str().unwrap().to_owned(),
    ];
    let at = access_token(s, &client_id, &secrets[2]).await;
    assert_eq!(at.status(), 200);
    let at: Value = at.json().await.unwrap();

    let records = s.audit().await;
    let of = |action: &str| -> Vec<AuditRow> {
        records
            .iter()
            .filter(|r| r.action == action && r.outcome == "success")
            .cloned()
            .collect()
    };
    let created = of("api_token.create");
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].actor.as_deref(), Some(ADMIN_USERNAME));
    assert_eq!(created[0].target.as_deref(), Some("robot_1"));
    let after = created[0].after.clone().unwrap();
    assert!(
        after.contains("test token") && after.contains(&token[..8]),
        "{after}"
    );
    let revoked = of("api_token.revoke");
    assert_eq!(revoked.len(), 1);
    assert!(revoked[0].after.as_deref().unwrap().contains("revoked_at"));
    let rotated = of("api_client.rotate");
    assert_eq!(rotated.len(), 2);
    assert!(rotated[0].before.is_none());
    assert!(rotated[1].before.as_deref().unwrap().contains(&client_id));
    let issued = of("api_client.token");
    assert_eq!(issued.len(), 1);
    assert_eq!(issued[0].actor.as_deref(), Some("robot_1"));

    // No record holds any secret or the access token, in part or whole.
    let access = at["access_token"].as_str().unwrap();
    for record in &records {
        let text = format!("{record:?}");
        for secret in &secrets {
            assert!(!text.contains(&secret[8..]), "{text}");
        }
        assert!(!text.contains(access), "{text}");
    }
}

/// A test on both databases with the serving options changed by `configure`.
macro_rules! configured {
    ($name:ident, $configure:expr) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let s = TestServer::start_configured(Backend::Sqlite, "", $configure)
                    .await
                    .unwrap();
                super::$name(&s).await;
                s.stop().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(s) = TestServer::start_configured(Backend::Postgres, "", $configure).await
                else {
                    return;
                };
                super::$name(&s).await;
                s.stop().await;
            }
        }
    };
}

configured!(
    after_rotation_both_secrets_work_during_the_overlap_only,
    |c: &mut server::config::ServeConfig| c.client_secret_overlap_secs = 2
);
configured!(
    a_maximum_lifetime_bounds_every_new_token,
    |c: &mut server::config::ServeConfig| c.api_token_max_days = Some(30)
);
configured!(
    each_credential_is_held_to_its_rate,
    |c: &mut server::config::ServeConfig| c.api_rate_limit = 6
);

/// Six requests a minute (one every ten seconds, in bursts of ten): a token's eleventh
/// request at once is refused with 429, `Retry-After` and the problem's code; another token,
/// even of the same account, has its own budget; a refused request does nothing.
async fn each_credential_is_held_to_its_rate(s: &TestServer) {
    let (pa, _) = admin_with_acme(s).await;
    let first = s.service_account_token(&pa, "robot_1").await;
    let robot = account_id(s, "robot_1").await;
    let res = create_token(s, &pa, &robot, "second", "").await;
    assert_eq!(res.status(), StatusCode::OK);
    let second = res.json::<Value>().await.unwrap()["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    for i in 0..10 {
        let res = s.api_get("/api/v1/me", Some(&first)).await;
        assert_eq!(res.status(), StatusCode::OK, "request {i}");
    }
    let res = s.api_get("/api/v1/me", Some(&first)).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: i64 = res.headers()[RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=10).contains(&wait), "Retry-After: {wait}");
    assert_eq!(res.headers()[CONTENT_TYPE], "application/problem+json");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited", "{body}");
    assert!(body["detail"].as_str().unwrap().contains("rate"), "{body}");
    // Refused before anything is done: a change asked for past the rate is not made.
    let res = s
        .client
        .post(format!("{}/api/v1/roles", s.base))
        .bearer_auth(&first)
        .json(&serde_json::json!({ "name": "Made past the rate" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(s
        .strings("select name from roles where name = 'Made past the rate'")
        .await
        .is_empty());
    assert_eq!(
        s.api_get("/api/v1/me", Some(&second)).await.status(),
        StatusCode::OK,
        "another token's budget is its own"
    );
}
