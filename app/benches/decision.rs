//! One access decision (account, privilege, scope) in a tenant with 50 roles and the full
//! default catalog (issue 4): the target is a median at or under 1 µs.
//!
//!     cargo bench -p app --bench decision
//!
//! The account holds all 50 roles (a third of them for one scope, each with object grants),
//! which is far more than a real account does, so that every case walks every role.
#![allow(clippy::expect_used, clippy::unwrap_used)] // a benchmark, not product code

use app::access::{
    holds, Action, Actor, At, Catalog, Held, Holdings, ObjectGrant, Privilege, Role, RoleKind,
};
use app::domain::{AccountId, RoleId, ScopeId, TenantId, Tier};
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::sync::Arc;

const TENANT: TenantId = TenantId(1);
const ROLES: usize = 50;

fn setup() -> (Catalog, Actor, Privilege, Privilege, ScopeId) {
    let catalog = Catalog::builtin();
    let all: Vec<Privilege> = catalog.privileges().collect();
    // The privilege only the last role gives, and one no role gives.
    let last = *all
        .iter()
        .rev()
        .find(|p| matches!(p, Privilege::On(_, Action::Delete)))
        .unwrap();
    let missing = Privilege::On(app::access::ResourceId::AUDIT_LOG, Action::Export);
    let scope = ScopeId(7);
    let mut roles = Vec::new();
    for i in 0..ROLES {
        // Each role grants a handful of privileges (never `last` or `missing`, nor a module
        // privilege that would inherit them) and two object grants on other scopes.
        let granted = all
            .iter()
            .copied()
            .filter(|p| {
                !matches!(p, Privilege::Module(_))
                    && *p != last
                    && !catalog
                        .close(&std::iter::once(*p).collect::<app::access::PrivilegeSet>())
                        .contains(last)
                    && !catalog
                        .close(&std::iter::once(*p).collect::<app::access::PrivilegeSet>())
                        .contains(missing)
            })
            .skip(i % 7)
            .step_by(9)
            .take(5);
        let mut granted: app::access::PrivilegeSet = granted.collect();
        if i == ROLES - 1 {
            granted.insert(last);
        }
        let object_grants = (0..2)
            .map(|k| ObjectGrant {
                scope: ScopeId(100 + (i * 2 + k) as i64),
                privilege: Privilege::On(app::access::ResourceId::USERS, Action::View),
            })
            .collect();
        let role = Role::new(
            &catalog,
            RoleId(i as i64),
            TENANT,
            format!("Role {i}"),
            RoleKind::Custom,
            granted,
            object_grants,
        );
        roles.push(Held {
            role: Arc::new(role),
            scope: (i % 3 == 0).then_some(scope),
        });
    }
    let actor = Actor {
        account_id: AccountId(1),
        tier: Tier::User,
        tenant_id: Some(TENANT),
        holdings: Holdings { roles },
        // A session without MFA: the sensitive-privilege check is on the path.
        mfa: false,
    };
    (catalog, actor, last, missing, scope)
}

fn decisions(c: &mut Criterion) {
    let (catalog, actor, last, missing, scope) = setup();
    let at = At::Scope(TENANT, scope);
    assert!(holds(&catalog, &actor, last, at).is_allowed());
    assert!(!holds(&catalog, &actor, missing, at).is_allowed());

    let mut group = c.benchmark_group("decision, 50 roles, default catalog");
    group.bench_function("allowed by the 50th role, with its explanation", |b| {
        b.iter(|| holds(&catalog, black_box(&actor), black_box(last), black_box(at)))
    });
    group.bench_function("refused after every role and object grant", |b| {
        b.iter(|| {
            holds(
                &catalog,
                black_box(&actor),
                black_box(missing),
                black_box(at),
            )
        })
    });
    let admin = Actor {
        tier: Tier::TenantAdmin,
        ..actor.clone()
    };
    group.bench_function("tenant administrator (by tier)", |b| {
        b.iter(|| {
            holds(
                &catalog,
                black_box(&admin),
                black_box(missing),
                black_box(at),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, decisions);
criterion_main!(benches);
