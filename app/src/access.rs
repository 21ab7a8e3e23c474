//! The access model: pure Rust, no Leptos, axum or sqlx inside — types in, a decision out.
//! The same functions hide a button in the browser and refuse the request on the server.
//!
//! This first piece is the delegation table of SPEC §1: which tier may create and manage
//! accounts of which tier, and where. Roles and privileges (SPEC §3) extend it later; until
//! then a user-tier account or service account holds no privilege and so manages nobody.

use crate::domain::{AccountId, TenantId, Tier};
use serde::{Deserialize, Serialize};

/// Who is acting: the signed-in account, as the session proved it on this request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub account_id: AccountId,
    pub tier: Tier,
    /// `None` only for platform administrators.
    pub tenant_id: Option<TenantId>,
}

/// The account an action is aimed at (existing, or about to be created).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub tier: Tier,
    /// `None` only for platform administrators.
    pub tenant_id: Option<TenantId>,
}

/// Why an action is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Because {
    /// A platform administrator holds every privilege in every tenant.
    PlatformAdministrator,
    /// A tenant administrator holds every privilege in its own tenant.
    TenantAdministrator,
}

/// Why an action is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refusal {
    /// The actor's tier may never manage the target's tier (SPEC §1).
    TierCeiling { actor: Tier, target: Tier },
    /// The target lives in another tenant; the tenant boundary is absolute.
    OtherTenant,
    /// The tier allows it, but only through a role privilege the actor does not hold (SPEC §3).
    NeedsPrivilege { target: Tier },
    /// Only platform administrators may do this (e.g. manage tenants).
    PlatformOnly { actor: Tier },
    /// Users and service accounts always belong to a tenant (and platform administrators
    /// never do): the target is malformed.
    TenantMismatch,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Decision {
    Allowed(Because),
    Denied(Refusal),
}

impl Decision {
    pub fn is_allowed(self) -> bool {
        matches!(self, Decision::Allowed(_))
    }

    /// A sentence a person can read, for the console's explanations.
    pub fn explain(self) -> String {
        match self {
            Decision::Allowed(Because::PlatformAdministrator) => {
                "Allowed: platform administrators hold every privilege in every tenant.".into()
            }
            Decision::Allowed(Because::TenantAdministrator) => {
                "Allowed: tenant administrators hold every privilege in their own tenant.".into()
            }
            Decision::Denied(Refusal::TierCeiling { actor, target }) => format!(
                "Not allowed: a {} can never manage {}.",
                actor.label().to_lowercase(),
                target.plural_label()
            ),
            Decision::Denied(Refusal::OtherTenant) => {
                "Not allowed: the account belongs to another tenant.".into()
            }
            Decision::Denied(Refusal::NeedsPrivilege { target }) => format!(
                "Not allowed: managing {} needs a role that grants it, and you hold none.",
                target.plural_label()
            ),
            Decision::Denied(Refusal::PlatformOnly { actor }) => format!(
                "Not allowed: only platform administrators may do this, and you are a {}.",
                actor.label().to_lowercase()
            ),
            Decision::Denied(Refusal::TenantMismatch) => {
                "Not allowed: the account's tenant does not match its tier.".into()
            }
        }
    }
}

/// The tiers an account of `actor` tier may ever create and manage — its ceiling (SPEC §1).
/// For users and service accounts the ceiling is reached only through role privileges.
pub fn tier_ceiling(actor: Tier) -> &'static [Tier] {
    match actor {
        Tier::PlatformAdmin => &[
            Tier::PlatformAdmin,
            Tier::TenantAdmin,
            Tier::User,
            Tier::ServiceAccount,
        ],
        Tier::TenantAdmin => &[Tier::TenantAdmin, Tier::User, Tier::ServiceAccount],
        Tier::User | Tier::ServiceAccount => &[Tier::User, Tier::ServiceAccount],
    }
}

/// May `actor` create, or manage, an account like `target`? The one decision used by the
/// UI to show actions and by the server to enforce them.
pub fn may_manage(actor: &Actor, target: Target) -> Decision {
    if target.tier.lives_in_tenant() != target.tenant_id.is_some() {
        return Decision::Denied(Refusal::TenantMismatch);
    }
    if !tier_ceiling(actor.tier).contains(&target.tier) {
        return Decision::Denied(Refusal::TierCeiling {
            actor: actor.tier,
            target: target.tier,
        });
    }
    match actor.tier {
        Tier::PlatformAdmin => Decision::Allowed(Because::PlatformAdministrator),
        _ if actor.tenant_id.is_none() || target.tenant_id != actor.tenant_id => {
            Decision::Denied(Refusal::OtherTenant)
        }
        Tier::TenantAdmin => Decision::Allowed(Because::TenantAdministrator),
        // Roles (SPEC §3) will grant this; no account holds such a privilege yet.
        Tier::User | Tier::ServiceAccount => Decision::Denied(Refusal::NeedsPrivilege {
            target: target.tier,
        }),
    }
}

/// The tiers `actor` may manage somewhere, for showing what the console offers.
pub fn manageable_tiers(actor: &Actor) -> Vec<Tier> {
    tier_ceiling(actor.tier)
        .iter()
        .copied()
        .filter(|&tier| {
            let tenant_id = if tier.lives_in_tenant() {
                actor.tenant_id.or(Some(TenantId(0)))
            } else {
                None
            };
            may_manage(actor, Target { tier, tenant_id }).is_allowed()
        })
        .collect()
}

/// May `actor` open the users list and account pages (of its own tenant, or every tenant for
/// a platform administrator)? Those whose tier lets them manage accounts may.
pub fn may_list_accounts(actor: &Actor) -> Decision {
    match actor.tier {
        Tier::PlatformAdmin => Decision::Allowed(Because::PlatformAdministrator),
        Tier::TenantAdmin if actor.tenant_id.is_some() => {
            Decision::Allowed(Because::TenantAdministrator)
        }
        Tier::TenantAdmin => Decision::Denied(Refusal::TenantMismatch),
        Tier::User | Tier::ServiceAccount => {
            Decision::Denied(Refusal::NeedsPrivilege { target: Tier::User })
        }
    }
}

/// May `actor` read the audit trail (SPEC §8)? Platform administrators read all of it, tenant
/// administrators their own tenant's records.
pub fn may_view_audit(actor: &Actor) -> Decision {
    may_list_accounts(actor)
}

/// May `actor` create, configure, disable or delete tenants? Platform administrators only
/// (SPEC §1).
pub fn may_manage_tenants(actor: &Actor) -> Decision {
    match actor.tier {
        Tier::PlatformAdmin => Decision::Allowed(Because::PlatformAdministrator),
        tier => Decision::Denied(Refusal::PlatformOnly { actor: tier }),
    }
}

/// May `actor` open the console at all (service accounts use the REST API only)?
pub fn may_use_console(tier: Tier) -> bool {
    tier.may_use_console()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Tier::*;

    const HOME: TenantId = TenantId(1);
    const OTHER: TenantId = TenantId(2);

    fn actor(tier: Tier) -> Actor {
        Actor {
            account_id: AccountId(7),
            tier,
            tenant_id: tier.lives_in_tenant().then_some(HOME),
        }
    }

    fn target(tier: Tier, tenant: TenantId) -> Target {
        Target {
            tier,
            tenant_id: tier.lives_in_tenant().then_some(tenant),
        }
    }

    /// Every cell of SPEC §1's table: actor tier × target tier × (own tenant, other tenant).
    /// `None` = refused; `Some(why)` = allowed.
    #[test]
    fn every_cell_of_the_delegation_table() {
        use Because::*;
        let d = |a, t, tenant| may_manage(&actor(a), target(t, tenant));
        let expect: [(Tier, Tier, Decision, Decision); 16] = [
            // actor, target, own tenant, other tenant
            (
                PlatformAdmin,
                PlatformAdmin,
                Decision::Allowed(PlatformAdministrator),
                Decision::Allowed(PlatformAdministrator),
            ),
            (
                PlatformAdmin,
                TenantAdmin,
                Decision::Allowed(PlatformAdministrator),
                Decision::Allowed(PlatformAdministrator),
            ),
            (
                PlatformAdmin,
                User,
                Decision::Allowed(PlatformAdministrator),
                Decision::Allowed(PlatformAdministrator),
            ),
            (
                PlatformAdmin,
                ServiceAccount,
                Decision::Allowed(PlatformAdministrator),
                Decision::Allowed(PlatformAdministrator),
            ),
            (
                TenantAdmin,
                PlatformAdmin,
                Decision::Denied(Refusal::TierCeiling {
                    actor: TenantAdmin,
                    target: PlatformAdmin,
                }),
                Decision::Denied(Refusal::TierCeiling {
                    actor: TenantAdmin,
                    target: PlatformAdmin,
                }),
            ),
            (
                TenantAdmin,
                TenantAdmin,
                Decision::Allowed(TenantAdministrator),
                Decision::Denied(Refusal::OtherTenant),
            ),
            (
                TenantAdmin,
                User,
                Decision::Allowed(TenantAdministrator),
                Decision::Denied(Refusal::OtherTenant),
            ),
            (
                TenantAdmin,
                ServiceAccount,
                Decision::Allowed(TenantAdministrator),
                Decision::Denied(Refusal::OtherTenant),
            ),
            (
                User,
                PlatformAdmin,
                Decision::Denied(Refusal::TierCeiling {
                    actor: User,
                    target: PlatformAdmin,
                }),
                Decision::Denied(Refusal::TierCeiling {
                    actor: User,
                    target: PlatformAdmin,
                }),
            ),
            (
                User,
                TenantAdmin,
                Decision::Denied(Refusal::TierCeiling {
                    actor: User,
                    target: TenantAdmin,
                }),
                Decision::Denied(Refusal::TierCeiling {
                    actor: User,
                    target: TenantAdmin,
                }),
            ),
            (
                User,
                User,
                Decision::Denied(Refusal::NeedsPrivilege { target: User }),
                Decision::Denied(Refusal::OtherTenant),
            ),
            (
                User,
                ServiceAccount,
                Decision::Denied(Refusal::NeedsPrivilege {
                    target: ServiceAccount,
                }),
                Decision::Denied(Refusal::OtherTenant),
            ),
            (
                ServiceAccount,
                PlatformAdmin,
                Decision::Denied(Refusal::TierCeiling {
                    actor: ServiceAccount,
                    target: PlatformAdmin,
                }),
                Decision::Denied(Refusal::TierCeiling {
                    actor: ServiceAccount,
                    target: PlatformAdmin,
                }),
            ),
            (
                ServiceAccount,
                TenantAdmin,
                Decision::Denied(Refusal::TierCeiling {
                    actor: ServiceAccount,
                    target: TenantAdmin,
                }),
                Decision::Denied(Refusal::TierCeiling {
                    actor: ServiceAccount,
                    target: TenantAdmin,
                }),
            ),
            (
                ServiceAccount,
                User,
                Decision::Denied(Refusal::NeedsPrivilege { target: User }),
                Decision::Denied(Refusal::OtherTenant),
            ),
            (
                ServiceAccount,
                ServiceAccount,
                Decision::Denied(Refusal::NeedsPrivilege {
                    target: ServiceAccount,
                }),
                Decision::Denied(Refusal::OtherTenant),
            ),
        ];
        for (a, t, own, other) in expect {
            assert_eq!(d(a, t, HOME), own, "{a:?} managing {t:?} in own tenant");
            assert_eq!(
                d(a, t, OTHER),
                other,
                "{a:?} managing {t:?} in other tenant"
            );
        }
    }

    #[test]
    fn the_ceiling_matches_spec_section_one() {
        assert_eq!(tier_ceiling(PlatformAdmin).len(), 4);
        assert_eq!(
            tier_ceiling(TenantAdmin),
            &[TenantAdmin, User, ServiceAccount]
        );
        assert_eq!(tier_ceiling(User), &[User, ServiceAccount]);
        assert_eq!(tier_ceiling(ServiceAccount), &[User, ServiceAccount]);
    }

    #[test]
    fn a_target_whose_tenant_contradicts_its_tier_is_refused() {
        let pa = actor(PlatformAdmin);
        let no_tenant_user = Target {
            tier: User,
            tenant_id: None,
        };
        let tenant_pa = Target {
            tier: PlatformAdmin,
            tenant_id: Some(HOME),
        };
        assert_eq!(
            may_manage(&pa, no_tenant_user),
            Decision::Denied(Refusal::TenantMismatch)
        );
        assert_eq!(
            may_manage(&pa, tenant_pa),
            Decision::Denied(Refusal::TenantMismatch)
        );
    }

    #[test]
    fn a_tenant_admin_without_a_tenant_manages_nobody() {
        let broken = Actor {
            account_id: AccountId(1),
            tier: TenantAdmin,
            tenant_id: None,
        };
        assert_eq!(
            may_manage(&broken, target(User, HOME)),
            Decision::Denied(Refusal::OtherTenant)
        );
    }

    #[test]
    fn manageable_tiers_lists_what_the_console_offers() {
        assert_eq!(manageable_tiers(&actor(PlatformAdmin)), Tier::ALL.to_vec());
        assert_eq!(
            manageable_tiers(&actor(TenantAdmin)),
            vec![TenantAdmin, User, ServiceAccount]
        );
        assert!(manageable_tiers(&actor(User)).is_empty());
        assert!(manageable_tiers(&actor(ServiceAccount)).is_empty());
    }

    #[test]
    fn only_platform_administrators_manage_tenants() {
        assert!(may_manage_tenants(&actor(PlatformAdmin)).is_allowed());
        for tier in [TenantAdmin, User, ServiceAccount] {
            assert_eq!(
                may_manage_tenants(&actor(tier)),
                Decision::Denied(Refusal::PlatformOnly { actor: tier })
            );
        }
    }

    #[test]
    fn administrators_list_accounts_and_nobody_else_yet() {
        assert!(may_list_accounts(&actor(PlatformAdmin)).is_allowed());
        assert!(may_list_accounts(&actor(TenantAdmin)).is_allowed());
        for tier in [User, ServiceAccount] {
            assert_eq!(
                may_list_accounts(&actor(tier)),
                Decision::Denied(Refusal::NeedsPrivilege { target: User })
            );
        }
        let homeless = Actor {
            tenant_id: None,
            ..actor(TenantAdmin)
        };
        assert!(!may_list_accounts(&homeless).is_allowed());
    }

    #[test]
    fn only_service_accounts_are_kept_out_of_the_console() {
        assert!(may_use_console(PlatformAdmin));
        assert!(may_use_console(TenantAdmin));
        assert!(may_use_console(User));
        assert!(!may_use_console(ServiceAccount));
    }

    #[test]
    fn every_decision_explains_itself() {
        for a in Tier::ALL {
            for t in Tier::ALL {
                for tenant in [HOME, OTHER] {
                    let decision = may_manage(&actor(a), target(t, tenant));
                    let text = decision.explain();
                    assert!(text.starts_with(if decision.is_allowed() {
                        "Allowed"
                    } else {
                        "Not allowed"
                    }));
                }
            }
        }
    }

    mod laws {
        use super::super::*;
        use proptest::prelude::*;

        fn tier() -> impl Strategy<Value = Tier> {
            prop::sample::select(Tier::ALL.to_vec())
        }

        proptest! {
            /// Whatever the accounts and tenants, an allowed decision never exceeds the actor's
            /// tier ceiling and never crosses a tenant (platform administrators excepted).
            #[test]
            fn no_decision_exceeds_the_ceiling_or_crosses_a_tenant(
                actor_tier in tier(), target_tier in tier(),
                actor_tenant in 1i64..4, target_tenant in 1i64..4,
            ) {
                let actor = Actor {
                    account_id: AccountId(1),
                    tier: actor_tier,
                    tenant_id: actor_tier.lives_in_tenant().then_some(TenantId(actor_tenant)),
                };
                let target = Target {
                    tier: target_tier,
                    tenant_id: target_tier.lives_in_tenant().then_some(TenantId(target_tenant)),
                };
                let decision = may_manage(&actor, target);
                if decision.is_allowed() {
                    prop_assert!(tier_ceiling(actor_tier).contains(&target_tier));
                    if actor_tier != Tier::PlatformAdmin {
                        prop_assert_eq!(actor.tenant_id, target.tenant_id);
                    }
                }
                // Only administrators manage anyone until roles exist (SPEC §3).
                prop_assert_eq!(
                    decision.is_allowed(),
                    actor_tier == Tier::PlatformAdmin
                        || (actor_tier == Tier::TenantAdmin
                            && target_tier != Tier::PlatformAdmin
                            && actor_tenant == target_tenant)
                );
            }
        }
    }
}
