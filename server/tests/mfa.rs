//! Multi-factor authentication (issue 5, SPEC §5, §3.4, §2.3): enrolment, the second sign-in
//! step, replay and guessing limits, recovery codes, enforcement by tenant policy and by
//! sensitive privilege, administrators' rescue, and ending someone's sessions.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test crate

mod common;

use app::backend::security::totp::{code_at, decode_base32, step_of};
use common::*;
use reqwest::header::LOCATION;
use reqwest::StatusCode;
use serde_json::Value;

on_both_databases!(
    enrolment_then_codes_replays_and_recovery_codes,
    guessing_codes_is_limited_per_account,
    a_pending_second_step_is_no_session,
    a_tenant_policy_of_required_allows_nothing_before_enrolment,
    a_policy_of_off_offers_no_enrolment,
    a_sensitive_privilege_needs_mfa_to_grant_and_to_hold,
    administrators_turn_mfa_off_for_a_lost_device,
    turning_off_ones_own_mfa_needs_a_current_code,
    an_administrator_ends_someones_sessions,
    enrolment_asks_for_the_current_password,
    a_pending_step_works_once_and_recovery_codes_are_stored_keyed,
    concurrent_wrong_codes_are_checked_at_most_the_limit,
);

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// An authenticator app: the key shown at enrolment, and the last step whose code it gave
/// (the server accepts each step once).
struct App {
    key: Vec<u8>,
    used: i64,
}

impl App {
    /// A code of a step not used yet: the current one or the next (both inside the server's
    /// window, even if a step boundary passes before the request arrives). Waits for time
    /// to move on when both were used.
    async fn code(&mut self) -> String {
        loop {
            let step = step_of(now()).max(self.used + 1);
            if step <= step_of(now()) + 1 {
                self.used = step;
                return code_at(&self.key, step);
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
    }
}

/// A user `username` (password `Pass-word1`) in tenant "Acme"; returns the platform
/// administrator's session, the tenant's id and the user's session.
async fn acme_user(s: &TestServer, username: &str) -> (String, String, String) {
    let pa = s.platform_admin_session().await;
    let acme = s.create_tenant(&pa, "Acme").await;
    s.create_tenant_account("user", username, "Pass-word1")
        .await;
    let session = s.sign_in(username, "Pass-word1").await.unwrap();
    (pa, acme, session)
}

async fn id_of(s: &TestServer, username: &str) -> String {
    s.strings(&format!(
        "select cast(account_id as text) from accounts where username = '{username}'"
    ))
    .await[0]
        .clone()
}

async fn begin(s: &TestServer, cookie: &str) -> Value {
    let res = s
        .call("begin_mfa_enrolment", &[("", ""); 0], Some(cookie))
        .await;
    serde_json::from_str(&expect_ok(res).await).unwrap()
}

/// Enrols `cookie`'s account; returns its app and its recovery codes. The session ends.
async fn enrol(s: &TestServer, cookie: &str, password: &str) -> (App, Vec<String>) {
    let shown = begin(s, cookie).await;
    confirm(s, cookie, password, &shown).await
}

/// Confirms the enrolment `begin` showed, with the first code of an app given its key;
/// returns the app and the recovery codes. The session ends.
async fn confirm(
    s: &TestServer,
    cookie: &str,
    password: &str,
    shown: &Value,
) -> (App, Vec<String>) {
    let mut app = App {
        key: decode_base32(shown["key"].as_str().unwrap()).expect("the key is base32"),
        used: 0,
    };
    let code = app.code().await;
    let res = s
        .call(
            "confirm_mfa_enrolment",
            &[("code", code.as_str()), ("current_password", password)],
            Some(cookie),
        )
        .await;
    let codes: Vec<String> = serde_json::from_str(&expect_ok(res).await).unwrap();
    (app, codes)
}

/// The password step: the pending second step's cookie (MFA is on).
async fn password_step(s: &TestServer, username: &str, password: &str) -> String {
    let res = s
        .call(
            "sign_in",
            &[("username", username), ("password", password)],
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        cookie_named(res.headers(), "warden_session").is_none(),
        "no session before the code"
    );
    let pending = cookie_named(res.headers(), "warden_mfa_pending").expect("a pending step");
    assert_eq!(res.json::<Value>().await.unwrap(), "Code");
    pending
}

async fn code_step(s: &TestServer, pending: &str, code: &str) -> reqwest::Response {
    s.call("sign_in_code", &[("code", code)], Some(pending))
        .await
}

/// Signs in with the password and a code from `app`; returns the session.
async fn sign_in_with_mfa(s: &TestServer, username: &str, app: &mut App) -> String {
    let password = if username == ADMIN_USERNAME {
        ADMIN_PASSWORD
    } else {
        "Pass-word1"
    };
    let pending = password_step(s, username, password).await;
    let code = app.code().await;
    let res = code_step(s, &pending, &code).await;
    assert!(
        res.status().is_redirection() || res.status().is_success(),
        "{}",
        res.status()
    );
    session_cookie(res.headers()).expect("a session")
}

/// The users list's first page, as the page asks for it.
fn list_query() -> Value {
    serde_json::json!({ "query": {
        "search": "", "status": null, "tier": null, "tenant": null,
        "sort": "Username", "descending": false, "cursor": null
    }})
}

async fn field_error(res: reqwest::Response, field: &str) -> String {
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    body["Invalid"][field][0].as_str().unwrap().to_owned()
}

async fn enrolment_then_codes_replays_and_recovery_codes(s: &TestServer) {
    let (_pa, _acme, jane) = acme_user(s, "jane_doe").await;
    let me = s.session(&jane).await;
    assert!(me["mfa_enabled_at"].is_null());
    assert_eq!(me["may_enrol_mfa"], true);
    assert_eq!(me["must_enrol_mfa"], false);

    let shown = begin(s, &jane).await;
    let key = shown["key"].as_str().unwrap();
    assert!(shown["qr_svg"].as_str().unwrap().contains("<svg"));
    let uri = shown["uri"].as_str().unwrap();
    assert!(
        uri.starts_with("otpauth://totp/Warden:jane_doe?secret="),
        "{uri}"
    );
    assert!(uri.contains(&key.replace(' ', "")));
    // Stored sealed: the key is nowhere in the database in the clear.
    let stored = s.strings("select secret from mfa_secrets").await;
    assert_eq!(stored.len(), 1);
    assert!(stored[0].starts_with("v1:"));
    assert!(!stored[0].contains(&key.replace(' ', "")));

    // A wrong first code: nothing turns on.
    let res = s
        .call(
            "confirm_mfa_enrolment",
            &[("code", "12345"), ("current_password", "Pass-word1")],
            Some(&jane),
        )
        .await;
    assert!(field_error(res, "code").await.contains("not right"));
    assert!(s.session(&jane).await["mfa_enabled_at"].is_null());

    let (mut app, recovery) = confirm(s, &jane, "Pass-word1", &shown).await;
    assert_eq!(recovery.len(), 10);
    // Signed out everywhere: the old session no longer works.
    assert!(s.session(&jane).await.is_null());
    let hashes = s.strings("select code_hash from mfa_recovery_codes").await;
    assert_eq!(hashes.len(), 10);
    assert!(recovery
        .iter()
        .all(|c| !hashes.iter().any(|h| h.contains(&c.replace('-', "")))));

    // The password alone gives no session, only a second step.
    let pending = password_step(s, "jane_doe", "Pass-word1").await;
    let res = code_step(s, "", &app.code().await).await;
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "no pending step, no session"
    );
    app.used -= 1; // that code was never checked
    let code = app.code().await;
    let res = code_step(s, &pending, &code).await;
    let session = session_cookie(res.headers()).expect("signed in with the code");
    let me = s.session(&session).await;
    assert_eq!(me["mfa_session"], true);
    assert!(me["mfa_enabled_at"].as_i64().is_some());

    // The same code again, in a new sign-in: refused.
    let pending = password_step(s, "jane_doe", "Pass-word1").await;
    let res = code_step(s, &pending, &code).await;
    assert!(field_error(res, "code").await.contains("used already"));

    // A recovery code (typed in capitals, without its dash) works once.
    let typed = recovery[3].to_uppercase().replace('-', "");
    let res = code_step(s, &pending, &typed).await;
    assert!(session_cookie(res.headers()).is_some(), "{}", res.status());
    assert_eq!(
        res.headers()[LOCATION].to_str().unwrap(),
        "/mfa?recovery_codes_left=9"
    );
    let pending = password_step(s, "jane_doe", "Pass-word1").await;
    let res = code_step(s, &pending, &recovery[3]).await;
    assert!(field_error(res, "code")
        .await
        .contains("unused recovery code"));

    let audit = s.audit().await;
    let reasons: Vec<_> = audit
        .iter()
        .filter(|r| r.action == "sign_in")
        .filter_map(|r| r.reason.clone())
        .collect();
    for reason in ["mfa_code", "invalid_mfa_code", "mfa_recovery_code"] {
        assert!(
            reasons.iter().any(|r| r == reason),
            "{reason} in {reasons:?}"
        );
    }
    assert!(audit.iter().any(|r| r.action == "mfa.enable"));
    // Each password step is recorded too, before its code: three here.
    let password_steps: Vec<_> = audit
        .iter()
        .filter(|r| r.action == "sign_in.password")
        .collect();
    assert_eq!(password_steps.len(), 3);
    assert!(password_steps
        .iter()
        .all(|r| r.target.as_deref() == Some("jane_doe") && r.actor.is_none()));
}

async fn guessing_codes_is_limited_per_account(s: &TestServer) {
    let (_pa, _acme, jane) = acme_user(s, "jane_doe").await;
    let (mut app, _) = enrol(s, &jane, "Pass-word1").await;
    let pending = password_step(s, "jane_doe", "Pass-word1").await;
    for _ in 0..5 {
        let res = code_step(s, &pending, "000000").await;
        // (A guess could be right once in a million runs; then this fails, loudly.)
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let right = app.code().await;
    let res = code_step(s, &pending, &right).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(session_cookie(res.headers()).is_none());
    // A new password step does not reset the count.
    let pending = password_step(s, "jane_doe", "Pass-word1").await;
    let res = code_step(s, &pending, &right).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(s
        .audit()
        .await
        .iter()
        .any(|r| r.reason.as_deref() == Some("mfa_rate_limited")));
}

async fn a_pending_second_step_is_no_session(s: &TestServer) {
    let (_pa, _acme, jane) = acme_user(s, "jane_doe").await;
    enrol(s, &jane, "Pass-word1").await;
    let pending = password_step(s, "jane_doe", "Pass-word1").await;
    let value = pending.split_once('=').unwrap().1;
    let as_session = format!("warden_session={value}");
    assert!(s.session(&as_session).await.is_null());
    let res = s
        .call("list_tenants", &[("", ""); 0], Some(&as_session))
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = code_step(s, "warden_mfa_pending=forged.token.value", "123456").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // A session cookie is no pending step either.
    let admin = s.sign_in(ADMIN_USERNAME, ADMIN_PASSWORD).await.unwrap();
    let value = admin.split_once('=').unwrap().1;
    let res = code_step(s, &format!("warden_mfa_pending={value}"), "123456").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

async fn set_policy(s: &TestServer, pa: &str, tenant: &str, policy: &str) {
    let res = s
        .call(
            "update_tenant",
            &[
                ("tenant_id", tenant),
                ("name", "Acme"),
                ("mfa_policy", policy),
            ],
            Some(pa),
        )
        .await;
    expect_ok(res).await;
}

async fn a_tenant_policy_of_required_allows_nothing_before_enrolment(s: &TestServer) {
    let pa = s.platform_admin_session().await;
    let acme = s.create_tenant(&pa, "Acme").await;
    s.create_tenant_account("tenant_admin", "acme_admin", "Pass-word1")
        .await;
    let admin = s.sign_in("acme_admin", "Pass-word1").await.unwrap();
    // Takes effect on the next request, like every status change.
    set_policy(s, &pa, &acme, "required").await;
    let me = s.session(&admin).await;
    assert_eq!(me["must_enrol_mfa"], true);
    assert_eq!(me["mfa_required"], true);
    let res = s.call("list_tenants", &[("", ""); 0], Some(&admin)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.text().await.unwrap().contains("MfaEnrolmentRequired"));
    let res = s
        .call_json("list_accounts", &list_query(), Some(&admin))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Platform administrators are in no tenant: its policy is not theirs.
    assert_eq!(s.session(&pa).await["must_enrol_mfa"], false);

    let (mut app, _) = enrol(s, &admin, "Pass-word1").await;
    let admin = sign_in_with_mfa(s, "acme_admin", &mut app).await;
    let me = s.session(&admin).await;
    assert_eq!(me["must_enrol_mfa"], false);
    let res = s
        .call_json("list_accounts", &list_query(), Some(&admin))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    // Required: it cannot be turned off.
    let code = app.code().await;
    let res = s
        .call("turn_off_mfa", &[("code", code.as_str())], Some(&admin))
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(
        s.strings("select cast(account_id as text) from mfa_secrets")
            .await
            .len(),
        1
    );
}

async fn a_policy_of_off_offers_no_enrolment(s: &TestServer) {
    let (pa, acme, jane) = acme_user(s, "jane_doe").await;
    set_policy(s, &pa, &acme, "off").await;
    assert_eq!(s.session(&jane).await["may_enrol_mfa"], false);
    let res = s
        .call("begin_mfa_enrolment", &[("", ""); 0], Some(&jane))
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(s.strings("select secret from mfa_secrets").await.is_empty());
}

async fn a_sensitive_privilege_needs_mfa_to_grant_and_to_hold(s: &TestServer) {
    let (pa, acme, jane) = acme_user(s, "jane_doe").await;
    let res = s
        .call(
            "create_role",
            &[
                ("tenant_id", acme.as_str()),
                ("name", "Responders"),
                ("description", ""),
            ],
            Some(&pa),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let role: i64 = res.json().await.unwrap();
    let catalog = app::access::Catalog::builtin();
    let run = catalog.parse_key("operations.active_response:run").unwrap();
    assert!(catalog.is_sensitive(run));
    let grant = |cookie: String| async move {
        s.call_json(
            "update_role",
            &serde_json::json!({ "role_id": role, "form": {
                "name": "Responders", "description": "",
                "granted": [run], "object_grants": []
            }}),
            Some(&cookie),
        )
        .await
    };
    // Without an MFA session, even a platform administrator cannot grant it.
    let res = grant(pa.clone()).await;
    assert!(res.status().is_client_error(), "{}", res.status());
    let body = res.text().await.unwrap();
    assert!(body.contains("MFA"), "{body}");
    // With one, it can.
    let (mut app, _) = enrol(s, &pa, ADMIN_PASSWORD).await;
    let pa = sign_in_with_mfa(s, ADMIN_USERNAME, &mut app).await;
    let res = grant(pa.clone()).await;
    expect_ok(res).await;
    let jane_id = id_of(s, "jane_doe").await;
    let res = s
        .call(
            "assign_role",
            &[
                ("account_id", jane_id.as_str()),
                ("role_id", role.to_string().as_str()),
            ],
            Some(&pa),
        )
        .await;
    expect_ok(res).await;
    // Jane holds it now: she must enrol before anything else, whatever the policy.
    let me = s.session(&jane).await;
    assert_eq!(me["must_enrol_mfa"], true);
    let res = s
        .call_json("list_accounts", &list_query(), Some(&jane))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let (mut jane_app, _) = enrol(s, &jane, "Pass-word1").await;
    let jane = sign_in_with_mfa(s, "jane_doe", &mut jane_app).await;
    let me = s.session(&jane).await;
    assert_eq!(me["must_enrol_mfa"], false);
    assert_eq!(me["mfa_session"], true);
    assert_eq!(me["actor"]["mfa"], true);
}

async fn administrators_turn_mfa_off_for_a_lost_device(s: &TestServer) {
    let (pa, _acme, jane) = acme_user(s, "jane_doe").await;
    s.create_tenant_account("tenant_admin", "acme_admin", "Pass-word1")
        .await;
    let acme_admin = s.sign_in("acme_admin", "Pass-word1").await.unwrap();
    let globex = s.create_tenant(&pa, "Globex").await;
    let res = s
        .call(
            "create_account",
            &[
                ("tier", "tenant_admin"),
                ("tenant_id", globex.as_str()),
                ("username", "globex_admin"),
                ("email", "admin@globex.example"),
                ("full_name", "Globex Admin"),
                ("password", "Temp-pass1"),
            ],
            Some(&pa),
        )
        .await;
    expect_ok(res).await;
    let globex_admin = s
        .sign_in_and_choose_password("globex_admin", "Temp-pass1")
        .await;
    let jane_id = id_of(s, "jane_doe").await;
    let reset = |cookie: String| {
        let id = jane_id.clone();
        async move {
            s.call("reset_mfa", &[("account_id", id.as_str())], Some(&cookie))
                .await
        }
    };
    // Not enrolled yet: nothing to turn off.
    assert_eq!(
        reset(acme_admin.clone()).await.status(),
        StatusCode::CONFLICT
    );
    // Users never rescue anyone (Jane does not even see accounts).
    let admin_id = id_of(s, "acme_admin").await;
    let res = s
        .call(
            "reset_mfa",
            &[("account_id", admin_id.as_str())],
            Some(&jane),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    enrol(s, &jane, "Pass-word1").await;
    // Another tenant's administrator does not even see Jane.
    assert_eq!(reset(globex_admin).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        s.strings("select cast(account_id as text) from mfa_secrets")
            .await
            .len(),
        1
    );
    // Her tenant's administrator can, and it is audited.
    assert_eq!(reset(acme_admin.clone()).await.status(), StatusCode::OK);
    assert!(s
        .strings("select cast(account_id as text) from mfa_secrets")
        .await
        .is_empty());
    assert!(s
        .strings("select cast(account_id as text) from mfa_recovery_codes")
        .await
        .is_empty());
    let audit = s.audit().await;
    let record = audit.iter().rfind(|r| r.action == "mfa.disable").unwrap();
    assert_eq!(record.reason.as_deref(), Some("by_administrator"));
    assert_eq!(record.actor.as_deref(), Some("acme_admin"));
    assert_eq!(record.target.as_deref(), Some("jane_doe"));
    // Jane signs in with her password alone again, and may enrol anew.
    let jane = s
        .sign_in("jane_doe", "Pass-word1")
        .await
        .expect("a session");
    begin(s, &jane).await;
    // The platform administrator can too, for anyone; but not through this for itself.
    let pa_id = id_of(s, ADMIN_USERNAME).await;
    let res = s
        .call("reset_mfa", &[("account_id", pa_id.as_str())], Some(&pa))
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
}

async fn turning_off_ones_own_mfa_needs_a_current_code(s: &TestServer) {
    let (_pa, _acme, jane) = acme_user(s, "jane_doe").await;
    let (mut app, _) = enrol(s, &jane, "Pass-word1").await;
    let jane = sign_in_with_mfa(s, "jane_doe", &mut app).await;
    let res = s
        .call("turn_off_mfa", &[("code", "000000")], Some(&jane))
        .await;
    assert!(field_error(res, "code").await.contains("not right"));
    let code = app.code().await;
    let res = s
        .call("turn_off_mfa", &[("code", code.as_str())], Some(&jane))
        .await;
    expect_ok(res).await;
    assert!(s.session(&jane).await["mfa_enabled_at"].is_null());
    let audit = s.audit().await;
    let record = audit.iter().rfind(|r| r.action == "mfa.disable").unwrap();
    assert_eq!(record.reason.as_deref(), Some("by_owner"));
    // The password alone signs in again.
    s.sign_in("jane_doe", "Pass-word1")
        .await
        .expect("a session");
}

async fn an_administrator_ends_someones_sessions(s: &TestServer) {
    let (pa, _acme, jane) = acme_user(s, "jane_doe").await;
    s.create_tenant_account("tenant_admin", "acme_admin", "Pass-word1")
        .await;
    let acme_admin = s.sign_in("acme_admin", "Pass-word1").await.unwrap();
    let jane_id = id_of(s, "jane_doe").await;
    let admin_id = id_of(s, "acme_admin").await;
    // Jane may not end her administrator's sessions (she cannot even see accounts).
    let res = s
        .call(
            "end_sessions",
            &[("account_id", admin_id.as_str())],
            Some(&jane),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(!s.session(&acme_admin).await.is_null());
    let res = s
        .call(
            "end_sessions",
            &[("account_id", jane_id.as_str())],
            Some(&acme_admin),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        s.session(&jane).await.is_null(),
        "her session ended at once"
    );
    let record = s
        .audit()
        .await
        .into_iter()
        .rfind(|r| r.action == "sessions.invalidate")
        .unwrap();
    assert_eq!(record.target.as_deref(), Some("jane_doe"));
    // Not for oneself (that is "sign out everywhere"), and not across tenants.
    let res = s
        .call(
            "end_sessions",
            &[("account_id", admin_id.as_str())],
            Some(&acme_admin),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    s.create_tenant(&pa, "Globex").await;
    s.sql("update accounts set tenant_id = (select tenant_id from tenants where name = 'Globex') where username = 'jane_doe'")
        .await;
    let res = s
        .call(
            "end_sessions",
            &[("account_id", jane_id.as_str())],
            Some(&acme_admin),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

/// The encryption key lives beside the database, never in it; an instance started with
/// another key stops at once and says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_encryption_key_stops_the_server_with_a_reason() {
    use server::config::{CommonConfig, ServeConfig};
    let dir = tempfile::tempdir().unwrap();
    let common = CommonConfig {
        catalog: None,
        data_dir: dir.path().to_path_buf(),
        database_url: None,
    };
    let serve = ServeConfig {
        listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        ..ServeConfig::default()
    };
    let running = server::start(&common, &serve).await.expect("first start");
    running.stop().await;
    let path = dir.path().join(server::ENCRYPTION_KEY_FILE);
    let key = std::fs::read_to_string(&path).unwrap();
    assert_eq!(key.trim().len(), 44, "base64 of 32 bytes");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "readable by its owner only");
    }
    // The same key again: starts.
    let running = server::start(&common, &serve).await.expect("second start");
    running.stop().await;
    // Another key: refused, naming where the key came from.
    std::fs::write(
        &path,
        app::backend::security::totp::SecretKey::generate().to_base64(),
    )
    .unwrap();
    let err = server::start(&common, &serve).await.err().expect("refused");
    let message = err.to_string();
    assert!(message.contains("another encryption key"), "{message}");
    assert!(message.contains("encryption.key"), "{message}");
    // A malformed configured key: refused, saying what is wrong.
    let bad = ServeConfig {
        encryption_key: Some(server::config::Secret::new("short")),
        ..serve.clone()
    };
    let err = server::start(&common, &bad).await.err().expect("refused");
    assert!(err.to_string().contains("WARDEN_ENCRYPTION_KEY"), "{err}");
}

async fn enrolment_asks_for_the_current_password(s: &TestServer) {
    let (_pa, _acme, jane) = acme_user(s, "jane_doe").await;
    let shown = begin(s, &jane).await;
    let mut app = App {
        key: decode_base32(shown["key"].as_str().unwrap()).unwrap(),
        used: 0,
    };
    let code = app.code().await;
    let res = s
        .call(
            "confirm_mfa_enrolment",
            &[
                ("code", code.as_str()),
                ("current_password", "Not-my-pass1"),
            ],
            Some(&jane),
        )
        .await;
    assert!(field_error(res, "current_password")
        .await
        .contains("not your current password"));
    assert!(s.session(&jane).await["mfa_enabled_at"].is_null());
    confirm(s, &jane, "Pass-word1", &shown).await;
}

async fn a_pending_step_works_once_and_recovery_codes_are_stored_keyed(s: &TestServer) {
    let (_pa, _acme, jane) = acme_user(s, "jane_doe").await;
    let (mut app, recovery) = enrol(s, &jane, "Pass-word1").await;
    let stored = s.strings("select code_hash from mfa_recovery_codes").await;
    assert_eq!(stored.len(), 10);
    assert!(stored.iter().all(|h| h.starts_with("h1:")), "{stored:?}");
    let pending = password_step(s, "jane_doe", "Pass-word1").await;
    let code = app.code().await;
    let res = code_step(s, &pending, &code).await;
    assert!(res.status().is_redirection() || res.status().is_success());
    // The same pending cookie again, with a good recovery code: the step is used up.
    let again = code_step(s, &pending, &recovery[0]).await;
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
    assert!(again.text().await.unwrap().contains("MfaStepExpired"));
    // The recovery code was not spent by that.
    let pending = password_step(s, "jane_doe", "Pass-word1").await;
    let res = code_step(s, &pending, &recovery[0]).await;
    assert!(res.status().is_redirection() || res.status().is_success());
}

async fn concurrent_wrong_codes_are_checked_at_most_the_limit(s: &TestServer) {
    let (_pa, _acme, jane) = acme_user(s, "jane_doe").await;
    enrol(s, &jane, "Pass-word1").await;
    let pending = password_step(s, "jane_doe", "Pass-word1").await;
    // Recovery-code-shaped guesses (a TOTP guess could be right once in a million runs).
    let calls = (0..30).map(|i| {
        let pending = pending.clone();
        async move {
            code_step(s, &pending, &format!("wrong-guess{i:02}"))
                .await
                .status()
        }
    });
    let statuses = futures_util::future::join_all(calls).await;
    let checked = statuses
        .iter()
        .filter(|st| **st == StatusCode::UNPROCESSABLE_ENTITY)
        .count();
    assert!(checked <= 5, "{checked} codes checked: {statuses:?}");
    assert!(statuses.contains(&StatusCode::TOO_MANY_REQUESTS));
    let wrong = s
        .audit()
        .await
        .iter()
        .filter(|r| r.reason.as_deref() == Some("invalid_mfa_code"))
        .count();
    assert!(wrong <= 5, "{wrong} wrong codes recorded as checked");
}
