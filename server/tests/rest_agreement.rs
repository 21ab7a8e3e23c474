//! What the API says is what the API does (issue 13, "the 'UI offers exactly what the server
//! accepts' test covers the API too"): for generated service accounts, each holding a random
//! set of privileges through a role, the authorization endpoint's answer about the account
//! ("may it view users? edit them? read the trail?") agrees with what the API then accepts
//! from that account's own token, call by call: allowed exactly when accepted, and `/me`
//! lists exactly the privileges allowed. The seed is printed; `WARDEN_TEST_SEED` replays one.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test crate

mod common;
mod rest_support;

use common::*;
use reqwest::{Method, StatusCode};
use rest_support::*;
use serde_json::{json, Value};

on_both_databases!(for_generated_service_accounts_the_answers_are_what_the_api_accepts,);

/// The privileges drawn from.
const POOL: [&str; 9] = [
    "security.users:view",
    "security.users:edit",
    "security.users:delete",
    "security.service_accounts:view",
    "security.roles:view",
    "security.tenant_settings:view",
    "security.tenant_settings:edit",
    "audit.log:view",
    "security:admin",
];

async fn for_generated_service_accounts_the_answers_are_what_the_api_accepts(s: &TestServer) {
    use rand::{Rng, SeedableRng};
    let seed: u64 = std::env::var("WARDEN_TEST_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(rand::random);
    eprintln!("generated service accounts: WARDEN_TEST_SEED={seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    // The asker sees every account, so that it may ask about any.
    let (pa, acme, asker) = world(
        s,
        &["security.users:view", "security.service_accounts:view"],
    )
    .await;
    add_account(s, "Acme", "user", "ann").await;
    let ann = account_id(s, "ann").await;
    let (mut accepted, mut refused) = (0, 0);
    for i in 0..8 {
        let name = format!("robot_{i}");
        add_account(s, "Acme", "service_account", &name).await;
        let robot = account_id(s, &name).await;
        // The first holds nothing, the second everything of the pool; the rest at random.
        let keys: Vec<&str> = POOL
            .iter()
            .copied()
            .filter(|_| i == 1 || (i > 1 && rng.gen_bool(0.4)))
            .collect();
        if !keys.is_empty() {
            let role = new_role(s, &pa, &acme, &format!("Generated {i}"), &keys, &[]).await;
            assign(s, &pa, robot, role, None).await;
        }
        let token = s.service_account_token(&pa, &name).await;
        add_account(s, "Acme", "user", &format!("victim_{i}")).await;
        let victim = account_id(s, &format!("victim_{i}")).await;
        let new_scope = json!({ "name": format!("Scope {i}") });
        let calls: Vec<(&str, &str, Method, String, Option<Value>)> = vec![
            (
                "security.users",
                "view",
                Method::GET,
                format!("/api/v1/users/{ann}"),
                None,
            ),
            (
                "security.users",
                "view",
                Method::GET,
                // The list answers whoever may see some accounts; a person is in it exactly
                // when the account may view users (see `done` below).
                "/api/v1/users?tier=user&limit=200".into(),
                None,
            ),
            (
                "security.users",
                "edit",
                Method::PUT,
                format!("/api/v1/users/{ann}"),
                Some(json!({ "email": "ann@example.com", "full_name": format!("Ann {i}") })),
            ),
            (
                "security.users",
                "edit",
                Method::POST,
                format!("/api/v1/users/{ann}/disable"),
                None,
            ),
            (
                "security.users",
                "edit",
                Method::POST,
                format!("/api/v1/users/{ann}/enable"),
                None,
            ),
            (
                "security.users",
                "delete",
                Method::DELETE,
                format!("/api/v1/users/{victim}"),
                None,
            ),
            (
                "security.roles",
                "view",
                Method::GET,
                "/api/v1/roles".into(),
                None,
            ),
            (
                "security.tenant_settings",
                "view",
                Method::GET,
                "/api/v1/tenant".into(),
                None,
            ),
            (
                "security.tenant_settings",
                "edit",
                Method::POST,
                "/api/v1/scopes".into(),
                Some(new_scope),
            ),
            (
                "audit.log",
                "view",
                Method::GET,
                "/api/v1/audit".into(),
                None,
            ),
        ];
        let mut allowed_keys = Vec::new();
        for (resource, action, method, path, body) in calls {
            let question = json!({
                "account": { "id": robot }, "resource": resource, "action": action, "mfa": true
            });
            let res = api(
                s,
                Method::POST,
                "/api/v1/authorize",
                Some(&asker),
                Some(&question),
            )
            .await;
            assert_eq!(res.status(), StatusCode::OK);
            let answer: Value = res.json().await.unwrap();
            let allowed = answer["allowed"].as_bool().unwrap();
            if allowed {
                allowed_keys.push(format!("{resource}:{action}"));
            }
            let mut req = s
                .client
                .request(method.clone(), format!("{}{path}", s.base))
                .bearer_auth(&token);
            if method == Method::PUT {
                req = req.header("if-match", "*");
            }
            if let Some(body) = &body {
                req = req.json(body);
            }
            let res = req.send().await.unwrap();
            let status = res.status();
            let text = res.text().await.unwrap();
            let what = format!("{name} holding {keys:?}: {method} {path}");
            assert!(
                status.is_success()
                    || [StatusCode::FORBIDDEN, StatusCode::NOT_FOUND].contains(&status),
                "{what}: {status} {text}"
            );
            // A list is accepted by whoever may see any account: what counts is whether ann,
            // a person, is in it.
            let done = if path.starts_with("/api/v1/users?") {
                status.is_success() && text.contains("\"ann\"")
            } else {
                status.is_success()
            };
            assert_eq!(
                allowed, done,
                "{what}: the endpoint says {answer}, the API answered {status} {text}"
            );
            if allowed {
                accepted += 1;
            } else {
                refused += 1;
            }
        }
        // `/me` lists what the endpoint allows.
        let me: Value = s
            .api_get("/api/v1/me", Some(&token))
            .await
            .json()
            .await
            .unwrap();
        let listed: Vec<&str> = me["privileges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["key"].as_str().unwrap())
            .collect();
        allowed_keys.dedup();
        for key in &allowed_keys {
            assert!(
                listed.contains(&key.as_str()),
                "{name}: /me lacks {key}: {listed:?}"
            );
        }
    }
    // Both sides were met.
    assert!(
        accepted > 0 && refused > 0,
        "{accepted} accepted, {refused} refused"
    );
}
