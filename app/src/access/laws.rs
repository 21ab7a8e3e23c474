//! Tests of the role model: examples of each rule, then its laws under property testing.

use super::*;
use crate::domain::RoleId;
use proptest::prelude::*;
use std::sync::Arc;

const T: TenantId = TenantId(1);
const OTHER: TenantId = TenantId(2);
const NORTH: ScopeId = ScopeId(10);
const SOUTH: ScopeId = ScopeId(11);

fn catalog() -> Catalog {
    Catalog::builtin()
}

fn resource(c: &Catalog, key: &str) -> ResourceId {
    (0..)
        .map(ResourceId)
        .find(|&r| c.resource(r).is_some_and(|res| res.key == key))
        .unwrap()
}

fn role(
    c: &Catalog,
    id: i64,
    kind: RoleKind,
    granted: &[Privilege],
    objects: &[ObjectGrant],
) -> Arc<Role> {
    Arc::new(Role::new(
        c,
        RoleId(id),
        T,
        format!("Role {id}"),
        kind,
        granted.iter().copied().collect(),
        objects.to_vec(),
    ))
}

fn user(roles: Vec<(Arc<Role>, Option<ScopeId>)>) -> Actor {
    Actor {
        account_id: AccountId(5),
        tier: Tier::User,
        tenant_id: Some(T),
        holdings: Holdings {
            roles: roles
                .into_iter()
                .map(|(role, scope)| Held { role, scope })
                .collect(),
        },
        mfa: true,
    }
}

#[test]
fn a_role_gives_its_privileges_and_says_how() {
    let c = catalog();
    let alerts = resource(&c, "alerts");
    let r = role(
        &c,
        1,
        RoleKind::Custom,
        &[Privilege::On(alerts, Action::Delete)],
        &[],
    );
    let a = user(vec![(r, None)]);
    let at = At::Tenant(T);
    let how = |p| match holds(&c, &a, p, at) {
        Decision::Allowed(Because::Role(s)) => Some(s.through),
        _ => None,
    };
    assert_eq!(
        how(Privilege::On(alerts, Action::Delete)),
        Some(Through::Role(How::Explicit))
    );
    assert_eq!(
        how(Privilege::On(alerts, Action::View)),
        Some(Through::Role(How::Implied { by: Action::Delete }))
    );
    assert_eq!(
        holds(&c, &a, Privilege::USERS_VIEW, at),
        Decision::Denied(Refusal::Lacks(Privilege::USERS_VIEW))
    );
    let text = Explainer::new(&c).with_holdings(&a.holdings).explain(holds(
        &c,
        &a,
        Privilege::On(alerts, Action::View),
        at,
    ));
    assert_eq!(
        text,
        "Allowed: through the role “Role 1” (assigned tenant-wide), which grants Delete, and Delete implies it."
    );
}

#[test]
fn a_module_privilege_is_inherited_by_every_resource_of_the_module() {
    let c = catalog();
    let a = user(vec![(
        role(&c, 1, RoleKind::Custom, &[Privilege::SECURITY_ADMIN], &[]),
        None,
    )]);
    let d = holds(&c, &a, Privilege::USERS_DELETE, At::Tenant(T));
    assert!(matches!(
        d,
        Decision::Allowed(Because::Role(Source {
            through: Through::Role(How::Inherited {
                module: ModuleId::SECURITY
            }),
            ..
        }))
    ));
    assert_eq!(
        Explainer::new(&c).with_holdings(&a.holdings).explain(d),
        "Allowed: through the role “Role 1” (assigned tenant-wide), which grants Security Admin, and it is part of that module."
    );
    assert!(!holds(&c, &a, Privilege::AUDIT_VIEW, At::Tenant(T)).is_allowed());
}

#[test]
fn a_scoped_assignment_counts_only_in_its_scope() {
    let c = catalog();
    let forms = Privilege::On(resource(&c, "forms"), Action::Edit);
    let a = user(vec![(
        role(&c, 1, RoleKind::Custom, &[forms], &[]),
        Some(NORTH),
    )]);
    assert!(holds(&c, &a, forms, At::Scope(T, NORTH)).is_allowed());
    assert!(!holds(&c, &a, forms, At::Scope(T, SOUTH)).is_allowed());
    assert!(!holds(&c, &a, forms, At::Tenant(T)).is_allowed());
}

#[test]
fn an_object_grant_gives_view_or_approve_on_that_scope_only_and_is_moot_beside_the_resource_privilege(
) {
    let c = catalog();
    let ws = resource(&c, "workspaces");
    let grant = ObjectGrant {
        scope: NORTH,
        privilege: Privilege::On(ws, Action::Approve),
    };
    let r = role(&c, 1, RoleKind::Custom, &[], &[grant]);
    assert!(!r.makes_moot(&grant));
    let a = user(vec![(r, None)]);
    let in_north = holds(&c, &a, Privilege::On(ws, Action::View), At::Scope(T, NORTH));
    assert!(matches!(
        in_north,
        Decision::Allowed(Because::Role(Source {
            through: Through::ObjectGrant,
            ..
        }))
    ));
    assert!(!holds(&c, &a, Privilege::On(ws, Action::View), At::Scope(T, SOUTH)).is_allowed());
    assert!(!holds(&c, &a, Privilege::On(ws, Action::View), At::Tenant(T)).is_allowed());
    assert!(!holds(&c, &a, Privilege::On(ws, Action::Edit), At::Scope(T, NORTH)).is_allowed());

    let wide = role(
        &c,
        2,
        RoleKind::Custom,
        &[Privilege::On(ws, Action::Edit)],
        &[],
    );
    assert!(wide.makes_moot(&ObjectGrant {
        scope: NORTH,
        privilege: Privilege::On(ws, Action::View)
    }));
    assert!(!wide.makes_moot(&grant), "Edit does not imply Approve");
}

#[test]
fn administrators_hold_every_privilege_and_cannot_be_changed() {
    let c = catalog();
    let admins = role(&c, 1, RoleKind::Administrators, &[], &[]);
    assert_eq!(admins.effective, c.full_set());
    let a = user(vec![(
        role(&c, 2, RoleKind::Custom, &[Privilege::SECURITY_ADMIN], &[]),
        None,
    )]);
    assert_eq!(
        may_change_grant(&c, &a, &admins, Privilege::USERS_VIEW, None),
        Decision::Denied(Refusal::BuiltInRole)
    );
}

#[test]
fn changing_roles_needs_security_admin_and_the_privilege_itself() {
    let c = catalog();
    let logs = Privilege::On(resource(&c, "logs"), Action::View);
    let target = role(&c, 9, RoleKind::Custom, &[], &[]);
    let no_admin = user(vec![(role(&c, 1, RoleKind::Custom, &[logs], &[]), None)]);
    assert_eq!(
        may_change_grant(&c, &no_admin, &target, logs, None),
        Decision::Denied(Refusal::Lacks(Privilege::SECURITY_ADMIN))
    );
    let admin = user(vec![(
        role(&c, 1, RoleKind::Custom, &[Privilege::SECURITY_ADMIN], &[]),
        None,
    )]);
    assert!(may_change_grant(&c, &admin, &target, Privilege::USERS_DELETE, None).is_allowed());
    assert_eq!(
        may_change_grant(&c, &admin, &target, logs, None),
        Decision::Denied(Refusal::NotHeldByYou(logs))
    );
}

#[test]
fn assigning_a_role_needs_every_privilege_it_gives_where_it_applies() {
    let c = catalog();
    let forms = Privilege::On(resource(&c, "forms"), Action::Edit);
    let to_assign = role(&c, 9, RoleKind::Custom, &[forms], &[]);
    let manager = |extra: Vec<(Arc<Role>, Option<ScopeId>)>| {
        let mut roles = vec![(
            role(&c, 1, RoleKind::Custom, &[Privilege::USERS_EDIT], &[]),
            None,
        )];
        roles.extend(extra);
        user(roles)
    };
    let colleague = Target {
        tier: Tier::User,
        tenant_id: Some(T),
    };
    assert_eq!(
        may_assign(&c, &manager(vec![]), colleague, &to_assign, None),
        Decision::Denied(Refusal::NotHeldByYou(forms))
    );
    let north_only = manager(vec![(
        role(&c, 2, RoleKind::Custom, &[forms], &[]),
        Some(NORTH),
    )]);
    assert!(may_assign(&c, &north_only, colleague, &to_assign, Some(NORTH)).is_allowed());
    assert!(!may_assign(&c, &north_only, colleague, &to_assign, None).is_allowed());
    let admin_target = Target {
        tier: Tier::TenantAdmin,
        tenant_id: Some(T),
    };
    assert!(matches!(
        may_assign(&c, &north_only, admin_target, &to_assign, Some(NORTH)),
        Decision::Denied(Refusal::TierCeiling { .. })
    ));
    let without_users_edit = user(vec![(role(&c, 2, RoleKind::Custom, &[forms], &[]), None)]);
    assert_eq!(
        may_assign(&c, &without_users_edit, colleague, &to_assign, None),
        Decision::Denied(Refusal::Lacks(Privilege::USERS_EDIT))
    );
}

#[test]
fn users_view_lets_a_user_list_accounts_and_users_edit_lets_it_manage_users_only() {
    let manager = user(vec![(
        role(
            &catalog(),
            1,
            RoleKind::Custom,
            &[Privilege::USERS_EDIT],
            &[],
        ),
        None,
    )]);
    assert!(may_list_accounts(&manager).is_allowed());
    let colleague = Target {
        tier: Tier::User,
        tenant_id: Some(T),
    };
    assert!(may_manage(&manager, colleague).is_allowed());
    assert!(!may_manage_with(&manager, colleague, Action::Delete).is_allowed());
    let bot = Target {
        tier: Tier::ServiceAccount,
        tenant_id: Some(T),
    };
    assert!(!may_manage(&manager, bot).is_allowed());
    let elsewhere = Target {
        tier: Tier::User,
        tenant_id: Some(OTHER),
    };
    assert_eq!(
        may_manage(&manager, elsewhere),
        Decision::Denied(Refusal::OtherTenant)
    );
}

#[test]
fn deleting_a_role_needs_everything_it_gives_held_tenant_wide() {
    let c = catalog();
    let forms = Privilege::On(resource(&c, "forms"), Action::Edit);
    let security_admin = user(vec![(
        role(&c, 1, RoleKind::Custom, &[Privilege::SECURITY_ADMIN], &[]),
        None,
    )]);
    let helpdesk = role(&c, 2, RoleKind::Custom, &[Privilege::USERS_EDIT], &[]);
    assert!(may_delete_role(&c, &security_admin, &helpdesk).is_allowed());
    let editors = role(&c, 3, RoleKind::Custom, &[forms], &[]);
    assert_eq!(
        may_delete_role(&c, &security_admin, &editors),
        Decision::Denied(Refusal::NotHeldByYou(forms))
    );
    // An object grant counts too.
    let viewer = role(
        &c,
        4,
        RoleKind::Custom,
        &[],
        &[ObjectGrant {
            privilege: Privilege::On(resource(&c, "forms"), Action::View),
            scope: NORTH,
        }],
    );
    assert!(!may_delete_role(&c, &security_admin, &viewer).is_allowed());
    let everyone = role(&c, 5, RoleKind::Everyone, &[], &[]);
    assert_eq!(
        may_delete_role(&c, &security_admin, &everyone),
        Decision::Denied(Refusal::BuiltInRole)
    );
    let plain = user(vec![(role(&c, 6, RoleKind::Custom, &[forms], &[]), None)]);
    assert_eq!(
        may_delete_role(&c, &plain, &helpdesk),
        Decision::Denied(Refusal::Lacks(Privilege::SECURITY_ADMIN))
    );
}

#[test]
fn an_account_is_seen_through_view_on_its_own_resource_and_in_its_own_tenant() {
    let c = catalog();
    let with = |keys: &[Privilege]| user(vec![(role(&c, 1, RoleKind::Custom, keys, &[]), None)]);
    let at = |tier| Target {
        tier,
        tenant_id: Some(T),
    };
    let people = with(&[Privilege::USERS_VIEW]);
    // Seeing is not managing: the whole team, administrators included, but no bots.
    assert_eq!(visible_tiers(&people), vec![Tier::TenantAdmin, Tier::User]);
    assert!(may_view_account(&people, at(Tier::TenantAdmin)).is_allowed());
    assert_eq!(
        may_view_account(&people, at(Tier::ServiceAccount)),
        Decision::Denied(Refusal::Lacks(Privilege::On(
            ResourceId::SERVICE_ACCOUNTS,
            Action::View
        )))
    );
    let bots = with(&[Privilege::On(ResourceId::SERVICE_ACCOUNTS, Action::Delete)]);
    assert_eq!(visible_tiers(&bots), vec![Tier::ServiceAccount]);
    assert!(may_list_accounts(&bots).is_allowed());
    let nothing = with(&[]);
    assert!(visible_tiers(&nothing).is_empty());
    assert_eq!(
        may_list_accounts(&nothing),
        Decision::Denied(Refusal::Lacks(Privilege::USERS_VIEW))
    );
    let security_admin = with(&[Privilege::SECURITY_ADMIN]);
    assert_eq!(
        visible_tiers(&security_admin),
        vec![Tier::TenantAdmin, Tier::User, Tier::ServiceAccount]
    );
    assert_eq!(
        may_view_account(
            &security_admin,
            Target {
                tier: Tier::User,
                tenant_id: Some(OTHER)
            }
        ),
        Decision::Denied(Refusal::OtherTenant)
    );
    assert_eq!(
        may_view_account(
            &security_admin,
            Target {
                tier: Tier::PlatformAdmin,
                tenant_id: None
            }
        ),
        Decision::Denied(Refusal::OtherTenant)
    );
}

// ---- Laws ----

/// A small tenant: accounts with roles, as the property tests change it.
#[derive(Debug, Clone)]
struct World {
    /// Tier of each account; account `i` has id `i`.
    tiers: Vec<Tier>,
    /// Role 0 is Everyone (held by all), role 1 Administrators, the rest custom.
    roles: Vec<(PrivilegeSet, Vec<ObjectGrant>)>,
    /// (account, role, scope)
    assignments: Vec<(usize, usize, Option<ScopeId>)>,
}

const SCOPES: [ScopeId; 2] = [NORTH, SOUTH];

fn places() -> [At; 3] {
    [At::Tenant(T), At::Scope(T, NORTH), At::Scope(T, SOUTH)]
}

impl World {
    fn role(&self, c: &Catalog, i: usize) -> Arc<Role> {
        let kind = match i {
            0 => RoleKind::Everyone,
            1 => RoleKind::Administrators,
            _ => RoleKind::Custom,
        };
        let (granted, objects) = &self.roles[i];
        Arc::new(Role::new(
            c,
            RoleId(i as i64),
            T,
            format!("r{i}"),
            kind,
            granted.clone(),
            objects.clone(),
        ))
    }

    fn actor(&self, c: &Catalog, account: usize) -> Actor {
        let mut roles = vec![Held {
            role: self.role(c, 0),
            scope: None,
        }];
        for &(a, r, scope) in &self.assignments {
            if a == account {
                roles.push(Held {
                    role: self.role(c, r),
                    scope,
                });
            }
        }
        Actor {
            account_id: AccountId(account as i64),
            tier: self.tiers[account],
            tenant_id: Some(T),
            holdings: Holdings { roles },
            mfa: true,
        }
    }

    /// Every privilege `account` holds, place by place.
    fn held(&self, c: &Catalog, account: usize) -> Vec<(At, Privilege)> {
        let actor = self.actor(c, account);
        places()
            .into_iter()
            .flat_map(|at| c.privileges().map(move |p| (at, p)))
            .filter(|&(at, p)| holds(c, &actor, p, at).is_allowed())
            .collect()
    }
}

#[derive(Debug, Clone)]
enum Op {
    Grant {
        actor: usize,
        role: usize,
        privilege: usize,
        scope: Option<usize>,
    },
    Revoke {
        actor: usize,
        role: usize,
        privilege: usize,
        scope: Option<usize>,
    },
    Assign {
        actor: usize,
        target: usize,
        role: usize,
        scope: Option<usize>,
    },
    Unassign {
        actor: usize,
        assignment: usize,
    },
}

const ACCOUNTS: usize = 5;
const ROLES: usize = 5;

fn privilege_count() -> usize {
    catalog().privileges().count()
}

fn privilege_set() -> impl Strategy<Value = PrivilegeSet> {
    prop::collection::vec(0..privilege_count(), 0..4).prop_map(|picks| {
        let all: Vec<Privilege> = catalog().privileges().collect();
        picks.into_iter().map(|i| all[i]).collect()
    })
}

fn object_grants() -> impl Strategy<Value = Vec<ObjectGrant>> {
    prop::collection::vec((0..privilege_count(), 0..2usize, any::<bool>()), 0..2).prop_map(
        |picks| {
            let c = catalog();
            let resources: Vec<ResourceId> = c
                .privileges()
                .filter_map(|p| match p {
                    Privilege::On(r, Action::View) => Some(r),
                    _ => None,
                })
                .collect();
            picks
                .into_iter()
                .map(|(i, s, approve)| {
                    let r = resources[i % resources.len()];
                    let action = if approve && c.contains(Privilege::On(r, Action::Approve)) {
                        Action::Approve
                    } else {
                        Action::View
                    };
                    ObjectGrant {
                        scope: SCOPES[s],
                        privilege: Privilege::On(r, action),
                    }
                })
                .collect()
        },
    )
}

fn world() -> impl Strategy<Value = World> {
    let tiers = prop::collection::vec(
        prop::sample::select(vec![
            Tier::User,
            Tier::User,
            Tier::ServiceAccount,
            Tier::TenantAdmin,
        ]),
        ACCOUNTS,
    );
    let roles = prop::collection::vec((privilege_set(), object_grants()), ROLES);
    let assignments = prop::collection::vec(
        (
            0..ACCOUNTS,
            0..ROLES,
            prop::option::of(prop::sample::select(SCOPES.to_vec())),
        ),
        0..8,
    );
    (tiers, roles, assignments).prop_map(|(tiers, roles, assignments)| World {
        tiers,
        roles,
        assignments,
    })
}

fn op() -> impl Strategy<Value = Op> {
    let scope = prop::option::of(0..2usize);
    prop_oneof![
        (0..ACCOUNTS, 0..ROLES, 0..privilege_count(), scope.clone()).prop_map(
            |(actor, role, privilege, scope)| Op::Grant {
                actor,
                role,
                privilege,
                scope
            }
        ),
        (0..ACCOUNTS, 0..ROLES, 0..privilege_count(), scope.clone()).prop_map(
            |(actor, role, privilege, scope)| Op::Revoke {
                actor,
                role,
                privilege,
                scope
            }
        ),
        (0..ACCOUNTS, 0..ACCOUNTS, 0..ROLES, scope.clone()).prop_map(
            |(actor, target, role, scope)| Op::Assign {
                actor,
                target,
                role,
                scope
            }
        ),
        (0..ACCOUNTS, 0..16usize)
            .prop_map(|(actor, assignment)| Op::Unassign { actor, assignment }),
    ]
}

/// Applies `op` if the model allows it; returns the acting account if it did.
fn apply(c: &Catalog, w: &mut World, op: &Op) -> Option<usize> {
    let all: Vec<Privilege> = c.privileges().collect();
    let target_of = |w: &World, account: usize| Target {
        tier: w.tiers[account],
        tenant_id: Some(T),
    };
    match *op {
        Op::Grant {
            actor,
            role,
            privilege,
            scope,
        }
        | Op::Revoke {
            actor,
            role,
            privilege,
            scope,
        } => {
            let p = all[privilege];
            let scope = scope.map(|s| SCOPES[s]);
            if scope.is_some() && !matches!(p, Privilege::On(_, Action::View | Action::Approve)) {
                return None;
            }
            let decision = may_change_grant(c, &w.actor(c, actor), &w.role(c, role), p, scope);
            if !decision.is_allowed() {
                return None;
            }
            let (granted, objects) = &mut w.roles[role];
            let grant = scope.map(|scope| ObjectGrant {
                scope,
                privilege: p,
            });
            match (op, grant) {
                (Op::Grant { .. }, None) => granted.insert(p),
                (Op::Grant { .. }, Some(g)) => objects.push(g),
                (_, None) => granted.remove(p),
                (_, Some(g)) => objects.retain(|o| *o != g),
            }
            Some(actor)
        }
        Op::Assign {
            actor,
            target,
            role,
            scope,
        } => {
            let scope = scope.map(|s| SCOPES[s]);
            let decision = may_assign(
                c,
                &w.actor(c, actor),
                target_of(w, target),
                &w.role(c, role),
                scope,
            );
            if !decision.is_allowed() || role == 0 {
                return None;
            }
            w.assignments.push((target, role, scope));
            Some(actor)
        }
        Op::Unassign { actor, assignment } => {
            let &(target, role, scope) = w.assignments.get(assignment)?;
            let decision = may_assign(
                c,
                &w.actor(c, actor),
                target_of(w, target),
                &w.role(c, role),
                scope,
            );
            if !decision.is_allowed() {
                return None;
            }
            w.assignments.remove(assignment);
            Some(actor)
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Implication and inheritance are closed: closing twice changes nothing, and everything a
    /// closed set holds brings what it implies and inherits.
    #[test]
    fn closing_is_idempotent_and_complete(granted in privilege_set()) {
        let c = catalog();
        let closed = c.close(&granted);
        prop_assert_eq!(c.close(&closed), closed.clone());
        prop_assert!(granted.is_subset(&closed));
        for p in closed.iter(&c) {
            match p {
                Privilege::On(r, a) => {
                    if let Some(implied) = a.implies() {
                        prop_assert!(closed.contains(Privilege::On(r, implied)));
                    }
                }
                Privilege::Module(m) => {
                    for &r in &c.module(m).unwrap().resources {
                        for &a in &c.resource(r).unwrap().actions {
                            prop_assert!(closed.contains(Privilege::On(r, a)));
                        }
                    }
                }
            }
        }
    }

    /// Sensitivity closes over implication and inheritance (SPEC §3.4): granting or
    /// assigning anything that brings a privilege flagged sensitive (a module privilege over
    /// it, an action implying it) needs an MFA session exactly as the flagged privilege does,
    /// for administrators too; and whoever holds it through a role must have MFA.
    #[test]
    fn whatever_brings_a_sensitive_privilege_needs_mfa_to_grant_assign_and_use(
        granted in privilege_set(),
    ) {
        let c = catalog();
        let flagged = |p: Privilege| match p {
            Privilege::On(r, a) => c.resource(r).is_some_and(|r| r.sensitive.contains(&a)),
            Privilege::Module(_) => false,
        };
        let brings_flagged = |set: &PrivilegeSet| c.close(set).iter(&c).any(flagged);
        let no_mfa = Actor::without_roles(AccountId(1), Tier::PlatformAdmin, None);
        let with_mfa = Actor { mfa: true, ..no_mfa.clone() };
        let custom = role(&c, 7, RoleKind::Custom, &[], &[]);
        for p in granted.iter(&c) {
            let one: PrivilegeSet = [p].into_iter().collect();
            let needs = brings_flagged(&one);
            prop_assert_eq!(c.is_sensitive(p), needs, "{}", c.label(p));
            let decision = may_change_grant(&c, &no_mfa, &custom, p, None);
            prop_assert_eq!(
                decision == Decision::Denied(Refusal::NeedsMfa(p)),
                needs,
                "granting {} without MFA: {:?}", c.label(p), decision
            );
            prop_assert!(may_change_grant(&c, &with_mfa, &custom, p, None).is_allowed());
            prop_assert_eq!(
                holds(&c, &no_mfa, p, At::Tenant(T)).is_allowed(),
                !needs,
                "using {} without MFA", c.label(p)
            );
        }
        let assigned = role(&c, 8, RoleKind::Custom, &granted.iter(&c).collect::<Vec<_>>(), &[]);
        let target = Target { tier: Tier::User, tenant_id: Some(T) };
        prop_assert_eq!(
            may_assign(&c, &no_mfa, target, &assigned, None).is_allowed(),
            !brings_flagged(&granted)
        );
        let holder = user(vec![(assigned, None)]);
        prop_assert_eq!(
            holder.holdings.holds_any(&c.sensitive()),
            brings_flagged(&granted),
            "holding it means enrolling"
        );
    }

    /// Adding a role, a privilege to a role, or an object grant never removes access.
    #[test]
    fn adding_a_role_or_a_grant_never_removes_access(
        w in world(), account in 0..ACCOUNTS, extra_role in 0..ROLES,
        scope in prop::option::of(prop::sample::select(SCOPES.to_vec())),
        extra in privilege_set(), objects in object_grants(),
    ) {
        let c = catalog();
        let before: Vec<(At, Privilege)> = w.held(&c, account);
        let mut more_roles = w.clone();
        more_roles.assignments.push((account, extra_role, scope));
        let mut more_grants = w.clone();
        for (granted, grants) in &mut more_grants.roles {
            granted.union_with(&extra);
            grants.extend(objects.iter().copied());
        }
        for bigger in [more_roles, more_grants] {
            let after = bigger.held(&c, account);
            for held in &before {
                prop_assert!(after.contains(held), "{:?} was lost", held);
            }
        }
    }

    /// No sequence of administrative actions gives any account a privilege that none of the
    /// actors who performed them held, where it applies.
    #[test]
    fn administrative_actions_never_escalate(w in world(), ops in prop::collection::vec(op(), 1..24)) {
        let c = catalog();
        let mut w = w;
        let initial: Vec<Vec<(At, Privilege)>> = (0..ACCOUNTS).map(|a| w.held(&c, a)).collect();
        let mut performers: Vec<(At, Privilege)> = Vec::new();
        for op in &ops {
            let held_before: Vec<Vec<(At, Privilege)>> = (0..ACCOUNTS).map(|a| w.held(&c, a)).collect();
            if let Some(actor) = apply(&c, &mut w, op) {
                performers.extend(held_before[actor].iter().copied());
            }
        }
        for (account, initially) in initial.iter().enumerate() {
            for held in w.held(&c, account) {
                prop_assert!(
                    initially.contains(&held) || performers.contains(&held),
                    "account {} gained {:?} that no actor held", account, held
                );
            }
        }
    }

    /// The tenant boundary is absolute: whatever an account of one tenant holds, nothing of
    /// another tenant is allowed to it.
    #[test]
    fn nothing_crosses_a_tenant(w in world(), account in 0..ACCOUNTS, privilege in 0..privilege_count(), role in 0..ROLES) {
        let c = catalog();
        let actor = w.actor(&c, account);
        let p = c.privileges().nth(privilege).unwrap();
        for at in [At::Tenant(OTHER), At::Scope(OTHER, NORTH)] {
            prop_assert_eq!(holds(&c, &actor, p, at), Decision::Denied(Refusal::OtherTenant));
        }
        let foreign = Target { tier: Tier::User, tenant_id: Some(OTHER) };
        prop_assert!(!may_manage(&actor, foreign).is_allowed());
        prop_assert!(!may_assign(&c, &actor, foreign, &w.role(&c, role), None).is_allowed());
        let mut foreign_role = (*w.role(&c, role)).clone();
        foreign_role.tenant_id = OTHER;
        prop_assert!(!may_change_grant(&c, &actor, &foreign_role, p, None).is_allowed());
    }

    /// Every allowed decision names a role the actor holds, whose assignment applies, and
    /// which really gives the privilege in the way it says.
    #[test]
    fn every_allowance_names_its_true_source(w in world(), account in 0..ACCOUNTS, privilege in 0..privilege_count()) {
        let c = catalog();
        let actor = w.actor(&c, account);
        let p = c.privileges().nth(privilege).unwrap();
        for at in places() {
            if let Decision::Allowed(Because::Role(source)) = holds(&c, &actor, p, at) {
                let held = actor.holdings.roles.iter()
                    .find(|h| h.role.role_id == source.role && h.scope == source.assigned_for)
                    .expect("the named role is held");
                prop_assert!(held.scope.is_none() || held.scope == at.scope());
                match source.through {
                    Through::Role(how) => prop_assert_eq!(c.how(&held.role.granted, p), Some(how)),
                    Through::ObjectGrant => prop_assert!(held.role.object_grants.iter().any(|g| Some(g.scope) == at.scope())),
                }
            }
        }
    }
}
