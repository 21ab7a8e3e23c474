//! Every cell of SPEC §1's delegation table as a real request (issue 3): for each tier that
//! can sign in to the console, creating each tier in its own tenant, and editing an account
//! of each tier in its own tenant and in another. The server's answer must be what the shared
//! access model (`access::may_manage`) — the one the pages use to offer actions — decides.
//! Service accounts act through API credentials, which come with SPEC §7; their row of the
//! table is covered by the model's unit tests until then.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test crate

mod common;

use app::access::{may_manage, Actor, Target};
use app::domain::{AccountId, TenantId, Tier};
use common::*;
use reqwest::StatusCode;

on_both_databases!(the_server_answers_every_cell_as_the_model_decides,);

const TIERS: [(Tier, &str); 4] = [
    (Tier::PlatformAdmin, "platform_admin"),
    (Tier::TenantAdmin, "tenant_admin"),
    (Tier::User, "user"),
    (Tier::ServiceAccount, "service_account"),
];

async fn create(
    s: &TestServer,
    cookie: &str,
    tier: &str,
    tenant: &str,
    username: &str,
) -> reqwest::Response {
    let email = format!("{username}@x.example");
    s.call(
        "create_account",
        &[
            ("tier", tier),
            ("tenant_id", tenant),
            ("username", username),
            ("email", &email),
            ("full_name", "Cell Person"),
            ("password", "Temp-pass1"),
        ],
        Some(cookie),
    )
    .await
}

async fn the_server_answers_every_cell_as_the_model_decides(s: &TestServer) {
    let pa = s.platform_admin_session().await;
    let acme = s.create_tenant(&pa, "Acme").await;
    let beta = s.create_tenant(&pa, "Beta").await;
    let acme_id = TenantId(acme.parse().unwrap());
    let beta_id = TenantId(beta.parse().unwrap());
    // Targets to edit: one of each tier in each tenant (and a second platform administrator).
    let mut targets = Vec::new();
    for (tier, name) in TIERS {
        for (tenant, tenant_id, label) in [(&acme, acme_id, "acme"), (&beta, beta_id, "beta")] {
            if tier == Tier::PlatformAdmin && label == "beta" {
                continue;
            }
            let username = format!("t_{label}_{name}");
            let form_tenant = if tier == Tier::PlatformAdmin {
                ""
            } else {
                tenant.as_str()
            };
            let res = create(s, &pa, name, form_tenant, &username).await;
            assert_eq!(res.status(), StatusCode::OK);
            let id: i64 = res.json().await.unwrap();
            targets.push((tier, tier.lives_in_tenant().then_some(tenant_id), id));
        }
    }
    // The actors: a platform administrator, and a tenant administrator and a user of Acme.
    create(s, &pa, "tenant_admin", &acme, "actor_admin").await;
    create(s, &pa, "user", &acme, "actor_user").await;
    let actors = [
        (Tier::PlatformAdmin, None, pa.clone()),
        (
            Tier::TenantAdmin,
            Some(acme_id),
            s.sign_in_and_choose_password("actor_admin", "Temp-pass1")
                .await,
        ),
        (
            Tier::User,
            Some(acme_id),
            s.sign_in_and_choose_password("actor_user", "Temp-pass1")
                .await,
        ),
    ];
    let mut n = 0;
    for (actor_tier, actor_tenant, cookie) in &actors {
        let actor = Actor {
            account_id: AccountId(0),
            tier: *actor_tier,
            tenant_id: *actor_tenant,
            holdings: Default::default(),
            mfa: false,
        };
        // Creating each tier in the actor's own tenant (Acme for the platform administrator).
        for (tier, name) in TIERS {
            n += 1;
            let tenant_id = tier.lives_in_tenant().then_some(acme_id);
            let allowed = may_manage(&actor, Target { tier, tenant_id }).is_allowed();
            let form_tenant = if tier == Tier::PlatformAdmin {
                ""
            } else {
                acme.as_str()
            };
            let res = create(s, cookie, name, form_tenant, &format!("new_{n:03}")).await;
            let expected = if allowed {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(
                res.status(),
                expected,
                "{actor_tier:?} creating {tier:?}: {}",
                res.text().await.unwrap()
            );
        }
        // Editing each target: allowed, or refused as forbidden (in scope) or not found
        // (another tenant, or a platform administrator seen from inside a tenant).
        for (tier, tenant_id, id) in &targets {
            let decision = may_manage(
                &actor,
                Target {
                    tier: *tier,
                    tenant_id: *tenant_id,
                },
            );
            let res = s
                .call(
                    "update_account",
                    &[
                        ("account_id", id.to_string().as_str()),
                        ("email", &format!("edited_{id}@x.example")),
                        ("full_name", "Edited Person"),
                    ],
                    Some(cookie),
                )
                .await;
            let status = res.status();
            let in_scope = *actor_tier == Tier::PlatformAdmin || *tenant_id == *actor_tenant;
            let expected = match (decision.is_allowed(), in_scope) {
                (true, _) => StatusCode::OK,
                (false, true) => StatusCode::FORBIDDEN,
                (false, false) => StatusCode::NOT_FOUND,
            };
            assert_eq!(
                status,
                expected,
                "{actor_tier:?} editing {tier:?} of {tenant_id:?}: {}",
                res.text().await.unwrap()
            );
        }
    }
}
