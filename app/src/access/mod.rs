//! The access model: pure Rust, no Leptos, axum or sqlx inside — types in, a decision out.
//! The same functions hide a button in the browser and refuse the request on the server.
//!
//! - [`catalog`]: the privileges (SPEC §3.1) and how they combine (§3.2).
//! - [`model`]: roles, assignments, scopes and object-level grants (§3.3, §3.5).
//! - Here: the decisions. Tiers first (SPEC §1): a platform administrator holds every
//!   privilege everywhere, a tenant administrator every privilege in its tenant; for users and
//!   service accounts the tier is only a ceiling, and their roles' privileges decide. Then the
//!   safety rules of §3.4: nobody grants, assigns or takes away what they do not hold.

pub mod catalog;
#[cfg(test)]
mod laws;
pub mod model;
pub mod templates;

pub use catalog::{Action, Catalog, How, ModuleId, Privilege, PrivilegeSet, ResourceId};
pub use model::{At, Held, Holdings, ObjectGrant, Role, RoleKind, Source, Through};

use crate::domain::{AccountId, ScopeId, TenantId, Tier};
use serde::{Deserialize, Serialize};

/// Who is acting: the signed-in account, as the session proved it on this request, with the
/// roles it holds in its tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub account_id: AccountId,
    pub tier: Tier,
    /// `None` only for platform administrators.
    pub tenant_id: Option<TenantId>,
    #[serde(default)]
    pub holdings: Holdings,
    /// The session was signed in with MFA: only then are sensitive privileges usable
    /// (SPEC §3.4).
    #[serde(default)]
    pub mfa: bool,
}

impl Actor {
    /// An actor holding no role (administrators need none: their tier gives every privilege).
    pub fn without_roles(account_id: AccountId, tier: Tier, tenant_id: Option<TenantId>) -> Actor {
        Actor {
            account_id,
            tier,
            tenant_id,
            holdings: Holdings::default(),
            mfa: false,
        }
    }
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
    /// A role the actor holds gives the privilege.
    Role(Source),
}

/// Why an action is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refusal {
    /// The actor's tier may never manage the target's tier (SPEC §1).
    TierCeiling { actor: Tier, target: Tier },
    /// The target lives in another tenant; the tenant boundary is absolute.
    OtherTenant,
    /// None of the actor's roles gives this privilege (here).
    Lacks(Privilege),
    /// Granting, assigning or taking away something the actor does not hold itself (SPEC §3.4).
    NotHeldByYou(Privilege),
    /// The built-in Administrators role cannot be edited, deleted or given object grants.
    BuiltInRole,
    /// Only platform administrators may do this (e.g. manage tenants).
    PlatformOnly { actor: Tier },
    /// Users and service accounts always belong to a tenant (and platform administrators
    /// never do): the target is malformed.
    TenantMismatch,
    /// A sensitive privilege, held, but usable only in a session signed in with MFA.
    NeedsMfa(Privilege),
    /// Only administrators (platform, or of the account's tenant) may do this.
    AdministratorsOnly,
    /// Removing (deleting, disabling, expiring) this administrator would leave its tenant, or
    /// the platform, without an enabled administrator (SPEC §2.2).
    LastAdministrator,
    /// Nobody removes (deletes, disables, expires) their own account (SPEC §2.2).
    SelfRemoval,
}

impl Refusal {
    /// A stable, machine-readable code for the audit trail and the API: lower case and `_`,
    /// never renamed once written (records keep it). The privilege of `Lacks`, `NotHeldByYou`
    /// and `NeedsMfa` is not part of it.
    pub fn code(self) -> &'static str {
        match self {
            Refusal::TierCeiling { .. } => "tier_ceiling",
            Refusal::OtherTenant => "other_tenant",
            Refusal::Lacks(_) => "lacks_privilege",
            Refusal::NotHeldByYou(_) => "not_held_by_you",
            Refusal::BuiltInRole => "built_in_role",
            Refusal::PlatformOnly { .. } => "platform_only",
            Refusal::TenantMismatch => "tenant_mismatch",
            Refusal::NeedsMfa(_) => "needs_mfa",
            Refusal::AdministratorsOnly => "administrators_only",
            Refusal::LastAdministrator => "last_administrator",
            Refusal::SelfRemoval => "self_removal",
        }
    }

    /// Every code [`Refusal::code`] gives, with how a person reads it in the audit trail
    /// ("Refused: …"), in the order of the variants.
    pub const CODES: [(&'static str, &'static str); 11] = [
        (
            "tier_ceiling",
            "their account type may never manage this type of account",
        ),
        (
            "other_tenant",
            "it belongs to another tenant (answered as not found)",
        ),
        (
            "lacks_privilege",
            "none of their roles grants the privilege this needs",
        ),
        (
            "not_held_by_you",
            "they would grant, assign or take away a privilege they do not hold themselves",
        ),
        (
            "built_in_role",
            "the built-in Administrators role cannot be changed or deleted",
        ),
        ("platform_only", "only platform administrators may do this"),
        (
            "tenant_mismatch",
            "the account's tenant does not match its type",
        ),
        (
            "needs_mfa",
            "the privilege is sensitive and the session was not signed in with MFA",
        ),
        (
            "administrators_only",
            "only platform administrators and the account's tenant administrators may do this",
        ),
        (
            "last_administrator",
            "it would leave no enabled administrator of its kind",
        ),
        ("self_removal", "nobody may remove their own account"),
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Decision {
    Allowed(Because),
    Denied(Refusal),
}

/// The built-in catalog, for naming built-in privileges where no catalog is at hand (their
/// ids never change; a deployment's own privileges are named through [`Explainer`]).
fn builtin_catalog() -> &'static Catalog {
    static BUILTIN: std::sync::OnceLock<Catalog> = std::sync::OnceLock::new();
    BUILTIN.get_or_init(Catalog::builtin)
}

impl Decision {
    pub fn is_allowed(self) -> bool {
        matches!(self, Decision::Allowed(_))
    }

    /// Why it is allowed, or the refusal (an `AppError::Forbidden` through `?`).
    pub fn into_result(self) -> Result<Because, Refusal> {
        match self {
            Decision::Allowed(because) => Ok(because),
            Decision::Denied(refusal) => Err(refusal),
        }
    }

    /// A sentence a person can read, for the console's explanations. Role names need the
    /// roles at hand: [`Explainer::explain`] gives them.
    pub fn explain(self) -> String {
        Explainer::new(builtin_catalog()).explain(self)
    }
}

/// Names what decisions refer to by id: privileges (through the catalog), roles and scopes
/// (borrowed: an explanation is written, in one string, while they are at hand).
pub struct Explainer<'a> {
    catalog: &'a Catalog,
    roles: Vec<(crate::domain::RoleId, &'a str)>,
    scopes: Vec<(ScopeId, &'a str)>,
    /// Speaking of another account ("its roles") rather than to the viewer ("your roles").
    third_person: bool,
}

impl<'a> Explainer<'a> {
    pub fn new(catalog: &'a Catalog) -> Explainer<'a> {
        Explainer {
            catalog,
            roles: Vec::new(),
            scopes: Vec::new(),
            third_person: false,
        }
    }

    /// Explains another account's access ("its roles"), as on an account's page.
    pub fn about_someone_else(mut self) -> Self {
        self.third_person = true;
        self
    }

    /// Names the roles an actor holds.
    pub fn with_holdings(mut self, holdings: &'a Holdings) -> Self {
        self.roles.extend(
            holdings
                .roles
                .iter()
                .map(|held| (held.role.role_id, held.role.name.as_str())),
        );
        self
    }

    pub fn with_scopes(mut self, scopes: impl IntoIterator<Item = (ScopeId, &'a str)>) -> Self {
        self.scopes.extend(scopes);
        self
    }

    fn their(&self) -> &'static str {
        if self.third_person {
            "its"
        } else {
            "your"
        }
    }

    fn write_role(&self, out: &mut String, id: crate::domain::RoleId) {
        match self.roles.iter().find(|(r, _)| *r == id) {
            Some((_, name)) => {
                out.push_str("the role “");
                out.push_str(name);
                out.push('”');
            }
            None => {
                out.push_str("one of ");
                out.push_str(self.their());
                out.push_str(" roles");
            }
        }
    }

    fn write_scope(&self, out: &mut String, id: ScopeId) {
        match self.scopes.iter().find(|(s, _)| *s == id) {
            Some((_, name)) => {
                out.push_str("scope “");
                out.push_str(name);
                out.push('”');
            }
            None => {
                use std::fmt::Write;
                let _ = write!(out, "scope {id}");
            }
        }
    }

    pub fn explain(&self, decision: Decision) -> String {
        let mut out = String::with_capacity(128);
        self.write(&mut out, decision);
        out
    }

    /// Writes the sentence explaining `decision` at the end of `out`.
    pub fn write(&self, out: &mut String, decision: Decision) {
        let label = |out: &mut String, p| self.catalog.write_label(out, p);
        let text = |out: &mut String, parts: &[&str]| parts.iter().for_each(|p| out.push_str(p));
        match decision {
            Decision::Allowed(Because::PlatformAdministrator) => out.push_str(
                "Allowed: platform administrators hold every privilege in every tenant.",
            ),
            Decision::Allowed(Because::TenantAdministrator) => out.push_str(
                "Allowed: tenant administrators hold every privilege in their own tenant.",
            ),
            Decision::Allowed(Because::Role(source)) => {
                out.push_str("Allowed: through ");
                self.write_role(out, source.role);
                match source.assigned_for {
                    None => out.push_str(" (assigned tenant-wide), "),
                    Some(s) => {
                        out.push_str(" (assigned for ");
                        self.write_scope(out, s);
                        out.push_str("), ");
                    }
                }
                match source.through {
                    Through::Role(How::Explicit) => out.push_str("which grants it"),
                    Through::Role(How::Implied { by }) => text(
                        out,
                        &["which grants ", by.label(), ", and ", by.label(), " implies it"],
                    ),
                    Through::Role(How::Inherited { module }) => {
                        out.push_str("which grants ");
                        label(out, Privilege::Module(module));
                        out.push_str(", and it is part of that module");
                    }
                    Through::ObjectGrant => out.push_str("which is granted it on this scope"),
                }
                out.push('.');
            }
            Decision::Denied(Refusal::TierCeiling { actor, target }) => text(
                out,
                &[
                    "Not allowed: a ",
                    &actor.label().to_lowercase(),
                    " can never manage ",
                    target.plural_label(),
                    ".",
                ],
            ),
            Decision::Denied(Refusal::OtherTenant) => {
                out.push_str("Not allowed: it belongs to another tenant.")
            }
            Decision::Denied(Refusal::Lacks(p)) => {
                out.push_str("Not allowed: this needs ");
                label(out, p);
                text(out, &[", and none of ", self.their(), " roles grants it."]);
            }
            Decision::Denied(Refusal::NotHeldByYou(p)) => {
                out.push_str("Not allowed: only someone who holds ");
                label(out, p);
                out.push_str(
                    " may grant it, assign it or take it away, and you do not hold it.",
                );
            }
            Decision::Denied(Refusal::BuiltInRole) => out.push_str(
                "Not allowed: the built-in roles cannot be deleted, and Administrators, which always holds every privilege, cannot be changed.",
            ),
            Decision::Denied(Refusal::PlatformOnly { actor }) => text(
                out,
                &[
                    "Not allowed: only platform administrators may do this, and you are a ",
                    &actor.label().to_lowercase(),
                    ".",
                ],
            ),
            Decision::Denied(Refusal::TenantMismatch) => {
                out.push_str("Not allowed: the account's tenant does not match its tier.")
            }
            Decision::Denied(Refusal::NeedsMfa(p)) => {
                out.push_str("Not allowed in this session: ");
                label(out, p);
                out.push_str(" is sensitive, so it can be used only after signing in with MFA");
                if !self.third_person {
                    out.push_str(" (sign out, then sign in with your code)");
                }
                out.push('.');
            }
            Decision::Denied(Refusal::AdministratorsOnly) => out.push_str(
                "Not allowed: only platform administrators, and the administrators of the account's tenant, may do this.",
            ),
            Decision::Denied(Refusal::LastAdministrator) => out.push_str(
                "Not allowed: it would leave no enabled administrator of its kind; make another account one first.",
            ),
            Decision::Denied(Refusal::SelfRemoval) => {
                out.push_str("Not allowed: nobody deletes, disables or expires their own account.")
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

/// Does `actor` hold `privilege` when acting `at`? Platform administrators hold everything,
/// tenant administrators everything in their tenant; anyone else through a role — and never
/// in another tenant. The answer says which role, how, or why not.
#[inline]
pub fn holds(catalog: &Catalog, actor: &Actor, privilege: Privilege, at: At) -> Decision {
    let decision = holds_in_any_session(catalog, actor, privilege, at);
    if decision.is_allowed() && !actor.mfa && catalog.is_sensitive(privilege) {
        return Decision::Denied(Refusal::NeedsMfa(privilege));
    }
    decision
}

/// [`holds`], whatever the session: for what an account holds, rather than what it may do
/// right now.
#[inline]
pub fn holds_in_any_session(
    catalog: &Catalog,
    actor: &Actor,
    privilege: Privilege,
    at: At,
) -> Decision {
    match actor.tier {
        Tier::PlatformAdmin => return Decision::Allowed(Because::PlatformAdministrator),
        _ if actor.tenant_id != Some(at.tenant()) => return Decision::Denied(Refusal::OtherTenant),
        Tier::TenantAdmin => return Decision::Allowed(Because::TenantAdministrator),
        Tier::User | Tier::ServiceAccount => {}
    }
    match actor.holdings.source(catalog, privilege, at) {
        Some(source) => Decision::Allowed(Because::Role(source)),
        None => Decision::Denied(Refusal::Lacks(privilege)),
    }
}

/// The resource whose privileges manage accounts of `tier` (within a user's ceiling).
pub fn resource_of(tier: Tier) -> ResourceId {
    match tier {
        Tier::ServiceAccount => ResourceId::SERVICE_ACCOUNTS,
        Tier::PlatformAdmin | Tier::TenantAdmin | Tier::User => ResourceId::USERS,
    }
}

/// May `actor` do `action` (View, Edit or Delete) to an account like `target`, or create one
/// (Edit)? The tier ceiling and the tenant first; then the privilege on Users or Service
/// accounts. The one decision used by the UI to show actions and by the server to enforce them.
pub fn may_manage_with(actor: &Actor, target: Target, action: Action) -> Decision {
    if target.tier.lives_in_tenant() != target.tenant_id.is_some() {
        return Decision::Denied(Refusal::TenantMismatch);
    }
    if !tier_ceiling(actor.tier).contains(&target.tier) {
        return Decision::Denied(Refusal::TierCeiling {
            actor: actor.tier,
            target: target.tier,
        });
    }
    match (actor.tier, target.tenant_id) {
        (Tier::PlatformAdmin, _) => Decision::Allowed(Because::PlatformAdministrator),
        (_, None) => Decision::Denied(Refusal::OtherTenant),
        (_, Some(tenant)) => holds(
            builtin_catalog(),
            actor,
            Privilege::On(resource_of(target.tier), action),
            At::Tenant(tenant),
        ),
    }
}

/// May `actor` create, or change, an account like `target`? (`Edit` on its resource.)
pub fn may_manage(actor: &Actor, target: Target) -> Decision {
    may_manage_with(actor, target, Action::Edit)
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

/// May `actor` open the new-account form and the CSV import? It must see the users list
/// ([`may_list_accounts`]; refused, its reason is the list's, as for anyone who may not open
/// it) and manage at least one tier ([`manageable_tiers`]; refused, the reason is the missing
/// `Users: Edit` in its tenant). Allowed, the reason is the first tier it may create.
pub fn may_create_accounts(actor: &Actor) -> Decision {
    let list = may_list_accounts(actor);
    if !list.is_allowed() {
        return list;
    }
    let mut first_refusal = None;
    for &tier in tier_ceiling(actor.tier) {
        let tenant_id = if tier.lives_in_tenant() {
            actor.tenant_id.or(Some(TenantId(0)))
        } else {
            None
        };
        let decision = may_manage(actor, Target { tier, tenant_id });
        if decision.is_allowed() {
            return decision;
        }
        if tier == Tier::User || first_refusal.is_none() {
            first_refusal = Some(decision);
        }
    }
    first_refusal.unwrap_or(Decision::Denied(Refusal::Lacks(Privilege::USERS_EDIT)))
}

/// May `actor` see an account like `target` (in the list, on its page)? Its own tenant and
/// `View` on the target's resource: `Users: View` for people, `Service accounts: View` for
/// service accounts. Seeing is not managing, so the tier ceiling does not apply: a manager
/// with `Users: View` sees the whole team, administrators included (SPEC §1).
pub fn may_view_account(actor: &Actor, target: Target) -> Decision {
    match (actor.tier, actor.tenant_id, target.tenant_id) {
        (Tier::PlatformAdmin, _, _) => Decision::Allowed(Because::PlatformAdministrator),
        (_, None, _) => Decision::Denied(Refusal::TenantMismatch),
        (_, Some(home), Some(tenant)) if home == tenant => holds(
            builtin_catalog(),
            actor,
            Privilege::On(resource_of(target.tier), Action::View),
            At::Tenant(tenant),
        ),
        _ => Decision::Denied(Refusal::OtherTenant),
    }
}

/// The tiers of the accounts `actor` may see ([`may_view_account`]), in [`Tier::ALL`] order.
pub fn visible_tiers(actor: &Actor) -> Vec<Tier> {
    Tier::ALL
        .into_iter()
        .filter(|&tier| {
            let tenant_id = if tier.lives_in_tenant() {
                actor.tenant_id.or(Some(TenantId(0)))
            } else {
                None
            };
            may_view_account(actor, Target { tier, tenant_id }).is_allowed()
        })
        .collect()
}

/// May `actor` open the users list and account pages (of its own tenant, or every tenant for
/// a platform administrator)? Needs `Users: View` or `Service accounts: View`; the list then
/// holds only the tiers the actor may see ([`visible_tiers`]).
pub fn may_list_accounts(actor: &Actor) -> Decision {
    match (actor.tier, actor.tenant_id) {
        (Tier::PlatformAdmin, _) => Decision::Allowed(Because::PlatformAdministrator),
        (_, None) => Decision::Denied(Refusal::TenantMismatch),
        (_, Some(tenant)) => {
            let people = holds(
                builtin_catalog(),
                actor,
                Privilege::USERS_VIEW,
                At::Tenant(tenant),
            );
            if people.is_allowed() {
                return people;
            }
            let services = holds(
                builtin_catalog(),
                actor,
                Privilege::On(ResourceId::SERVICE_ACCOUNTS, Action::View),
                At::Tenant(tenant),
            );
            if services.is_allowed() {
                services
            } else {
                people
            }
        }
    }
}

/// May `actor` read the audit trail (SPEC §8)? Needs `Audit log: View`: platform
/// administrators read all of it, everyone else their own tenant's records.
pub fn may_view_audit(actor: &Actor) -> Decision {
    match (actor.tier, actor.tenant_id) {
        (Tier::PlatformAdmin, _) => Decision::Allowed(Because::PlatformAdministrator),
        (_, None) => Decision::Denied(Refusal::TenantMismatch),
        (_, Some(tenant)) => holds(
            builtin_catalog(),
            actor,
            Privilege::AUDIT_VIEW,
            At::Tenant(tenant),
        ),
    }
}

/// May `actor` export the audit trail (SPEC §8: download it as CSV or JSON Lines)? Needs
/// `Audit log: Export` (which implies View): platform administrators export all of it,
/// everyone else their own tenant's records. Apart from viewing, because a download leaves
/// Warden's own access control behind.
pub fn may_export_audit(actor: &Actor) -> Decision {
    match (actor.tier, actor.tenant_id) {
        (Tier::PlatformAdmin, _) => Decision::Allowed(Because::PlatformAdministrator),
        (_, None) => Decision::Denied(Refusal::TenantMismatch),
        (_, Some(tenant)) => holds(
            builtin_catalog(),
            actor,
            Privilege::AUDIT_EXPORT,
            At::Tenant(tenant),
        ),
    }
}

/// May `actor` read its own tenant's settings (its MFA and password policies)? `Tenant
/// settings: View` (tenant administrators by their tier). Platform administrators, in no
/// tenant, configure every tenant through [`may_manage_tenants`] instead.
pub fn may_view_tenant_settings(actor: &Actor) -> Decision {
    own_tenant_settings(actor, Action::View)
}

/// May `actor` change its own tenant's MFA and password policies? `Tenant settings: Edit`
/// (tenant administrators by their tier). Its name, status and existence stay the platform
/// administrators' ([`may_manage_tenants`]).
pub fn may_change_tenant_settings(actor: &Actor) -> Decision {
    own_tenant_settings(actor, Action::Edit)
}

/// `Tenant settings: action` in the actor's own tenant.
fn own_tenant_settings(actor: &Actor, action: Action) -> Decision {
    match actor.tenant_id {
        None => Decision::Denied(Refusal::TenantMismatch),
        Some(tenant) => holds(
            builtin_catalog(),
            actor,
            Privilege::On(ResourceId::TENANT_SETTINGS, action),
            At::Tenant(tenant),
        ),
    }
}

/// May `actor` create, configure, disable or delete tenants? Platform administrators only
/// (SPEC §1).
pub fn may_manage_tenants(actor: &Actor) -> Decision {
    match actor.tier {
        Tier::PlatformAdmin => Decision::Allowed(Because::PlatformAdministrator),
        tier => Decision::Denied(Refusal::PlatformOnly { actor: tier }),
    }
}

/// May `actor` see the outbox (every tenant's queued, sent and failed email) and send a
/// failed message again (SPEC §6)? Platform administrators only: it names recipients of
/// every tenant.
pub fn may_manage_outbox(actor: &Actor) -> Decision {
    may_manage_tenants(actor)
}

/// May `actor` turn off MFA for `target`, who lost their device (SPEC §5)? Platform
/// administrators for any account, tenant administrators for accounts of their tenant
/// (within their tier's ceiling); nobody else, whatever their roles.
pub fn may_reset_mfa(actor: &Actor, target: Target) -> Decision {
    match actor.tier {
        Tier::PlatformAdmin | Tier::TenantAdmin => may_manage_with(actor, target, Action::Edit),
        Tier::User | Tier::ServiceAccount => Decision::Denied(Refusal::AdministratorsOnly),
    }
}

/// May `actor` open the console at all (service accounts use the REST API only)?
pub fn may_use_console(tier: Tier) -> bool {
    tier.may_use_console()
}

/// May `actor` see `tenant`'s roles and scopes? Needs `Roles: View`.
pub fn may_view_roles(catalog: &Catalog, actor: &Actor, tenant: TenantId) -> Decision {
    holds(
        catalog,
        actor,
        Privilege::On(ResourceId::ROLES, Action::View),
        At::Tenant(tenant),
    )
}

/// May `actor` open the Roles page: of every tenant for a platform administrator, of its own
/// otherwise (`Roles: View`)?
pub fn may_open_roles(actor: &Actor) -> Decision {
    match (actor.tier, actor.tenant_id) {
        (Tier::PlatformAdmin, _) => Decision::Allowed(Because::PlatformAdministrator),
        (_, None) => Decision::Denied(Refusal::TenantMismatch),
        (_, Some(tenant)) => may_view_roles(builtin_catalog(), actor, tenant),
    }
}

/// May `actor` change `tenant`'s roles, privileges and scopes at all? Needs Security Admin
/// (SPEC §3.1); each privilege granted or taken away must also be the actor's own
/// ([`may_change_grant`]).
pub fn may_edit_roles(catalog: &Catalog, actor: &Actor, tenant: TenantId) -> Decision {
    holds(
        catalog,
        actor,
        Privilege::SECURITY_ADMIN,
        At::Tenant(tenant),
    )
}

/// May `actor` grant `privilege` to `role`, or take it away — at resource level (`scope`
/// `None`) or on one scope object? Security Admin, a role other than Administrators, and the
/// privilege held by the actor itself where it applies (SPEC §3.4).
pub fn may_change_grant(
    catalog: &Catalog,
    actor: &Actor,
    role: &Role,
    privilege: Privilege,
    scope: Option<ScopeId>,
) -> Decision {
    let editing = may_edit_roles(catalog, actor, role.tenant_id);
    if !editing.is_allowed() {
        return editing;
    }
    if role.kind == RoleKind::Administrators {
        return Decision::Denied(Refusal::BuiltInRole);
    }
    let at = match scope {
        None => At::Tenant(role.tenant_id),
        Some(s) => At::Scope(role.tenant_id, s),
    };
    match holds(catalog, actor, privilege, at) {
        Decision::Allowed(_) => editing,
        needs_mfa @ Decision::Denied(Refusal::NeedsMfa(_)) => needs_mfa,
        Decision::Denied(_) => Decision::Denied(Refusal::NotHeldByYou(privilege)),
    }
}

/// May `actor` delete `role`? Security Admin, a custom role (the built-in ones stay), and
/// everything it gives — its privileges and the privileges of its object grants — held by
/// the actor tenant-wide: deleting takes them away from every holder, everywhere (SPEC §3.4).
pub fn may_delete_role(catalog: &Catalog, actor: &Actor, role: &Role) -> Decision {
    let editing = may_edit_roles(catalog, actor, role.tenant_id);
    if !editing.is_allowed() {
        return editing;
    }
    if role.kind != RoleKind::Custom {
        return Decision::Denied(Refusal::BuiltInRole);
    }
    let given = role
        .granted
        .iter(catalog)
        .chain(role.object_grants.iter().map(|g| g.privilege));
    for privilege in given {
        if !holds(catalog, actor, privilege, At::Tenant(role.tenant_id)).is_allowed() {
            return Decision::Denied(Refusal::NotHeldByYou(privilege));
        }
    }
    editing
}

/// May `actor` assign `role` to an account like `target` (tenant-wide, or for `scope`), or
/// remove that assignment? The actor must be able to change the account (`Users: Edit` or
/// `Service accounts: Edit`, within its tier's ceiling) and hold every privilege the role
/// gives, where the assignment applies (SPEC §3.4).
pub fn may_assign(
    catalog: &Catalog,
    actor: &Actor,
    target: Target,
    role: &Role,
    scope: Option<ScopeId>,
) -> Decision {
    if target.tenant_id != Some(role.tenant_id) {
        return Decision::Denied(Refusal::OtherTenant);
    }
    let managing = may_manage(actor, target);
    if !managing.is_allowed() {
        return managing;
    }
    let at = match scope {
        None => At::Tenant(role.tenant_id),
        Some(s) => At::Scope(role.tenant_id, s),
    };
    if let Some(missing) = role
        .granted
        .iter(catalog)
        .find(|&p| !holds(catalog, actor, p, at).is_allowed())
    {
        return Decision::Denied(Refusal::NotHeldByYou(missing));
    }
    if let Some(missing) = role.object_grants.iter().find(|g| {
        !holds(
            catalog,
            actor,
            g.privilege,
            At::Scope(role.tenant_id, g.scope),
        )
        .is_allowed()
    }) {
        return Decision::Denied(Refusal::NotHeldByYou(missing.privilege));
    }
    managing
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
            holdings: Holdings::default(),
            mfa: true,
        }
    }

    /// The default catalog's one sensitive privilege, Active response: Run.
    fn sensitive(c: &Catalog) -> Privilege {
        // The privilege flagged in the catalog (not the module privilege that brings it).
        c.sensitive()
            .iter(c)
            .find(|p| matches!(p, Privilege::On(..)))
            .expect("a sensitive privilege")
    }

    fn user_with(c: &Catalog, granted: &[Privilege], mfa: bool) -> Actor {
        let role = Role::new(
            c,
            crate::domain::RoleId(3),
            HOME,
            "Responders",
            crate::access::RoleKind::Custom,
            granted.iter().copied().collect(),
            Vec::new(),
        );
        Actor {
            account_id: AccountId(9),
            tier: User,
            tenant_id: Some(HOME),
            holdings: Holdings {
                roles: vec![crate::access::Held {
                    role: std::sync::Arc::new(role),
                    scope: None,
                }],
            },
            mfa,
        }
    }

    #[test]
    fn a_sensitive_privilege_is_usable_only_in_a_session_signed_in_with_mfa() {
        let c = Catalog::builtin();
        let run = sensitive(&c);
        let at = At::Tenant(HOME);
        for mfa in [false, true] {
            let user = user_with(&c, &[run, Privilege::USERS_VIEW], mfa);
            let admin = Actor {
                mfa,
                ..actor(TenantAdmin)
            };
            let platform = Actor {
                mfa,
                ..actor(PlatformAdmin)
            };
            for who in [&user, &admin, &platform] {
                let decision = holds(&c, who, run, at);
                if mfa {
                    assert!(decision.is_allowed(), "{:?}", who.tier);
                } else {
                    assert_eq!(
                        decision,
                        Decision::Denied(Refusal::NeedsMfa(run)),
                        "{:?}",
                        who.tier
                    );
                    assert!(holds_in_any_session(&c, who, run, at).is_allowed());
                }
                // Other privileges do not care.
                assert!(holds(&c, who, Privilege::USERS_VIEW, at).is_allowed());
            }
        }
        let without = user_with(&c, &[Privilege::USERS_VIEW], true);
        assert_eq!(
            holds(&c, &without, run, at),
            Decision::Denied(Refusal::Lacks(run))
        );
        let why = Explainer::new(&c).explain(Decision::Denied(Refusal::NeedsMfa(run)));
        assert!(
            why.contains("Active response: Run") && why.contains("MFA"),
            "{why}"
        );
    }

    #[test]
    fn granting_a_sensitive_privilege_needs_an_mfa_session_too() {
        let c = Catalog::builtin();
        let run = sensitive(&c);
        let at = At::Tenant(HOME);
        let admin = Actor {
            mfa: false,
            ..actor(TenantAdmin)
        };
        assert!(!holds(&c, &admin, run, at).is_allowed());
        let admin = Actor { mfa: true, ..admin };
        assert!(holds(&c, &admin, run, at).is_allowed());
    }

    #[test]
    fn only_administrators_reset_mfa_within_their_reach() {
        for (who, target_tier, tenant, allowed) in [
            (PlatformAdmin, PlatformAdmin, HOME, true),
            (PlatformAdmin, TenantAdmin, OTHER, true),
            (PlatformAdmin, User, OTHER, true),
            (TenantAdmin, TenantAdmin, HOME, true),
            (TenantAdmin, User, HOME, true),
            (TenantAdmin, User, OTHER, false),
            (TenantAdmin, PlatformAdmin, HOME, false),
            (User, User, HOME, false),
        ] {
            let decision = may_reset_mfa(&actor(who), target(target_tier, tenant));
            assert_eq!(
                decision.is_allowed(),
                allowed,
                "{who:?} → {target_tier:?} in {tenant:?}"
            );
        }
        // A user holding every Users privilege still may not: administrators only.
        let c = Catalog::builtin();
        let user = user_with(&c, &[Privilege::USERS_DELETE], true);
        assert_eq!(
            may_reset_mfa(&user, target(User, HOME)),
            Decision::Denied(Refusal::AdministratorsOnly)
        );
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
                Decision::Denied(Refusal::Lacks(Privilege::USERS_EDIT)),
                Decision::Denied(Refusal::OtherTenant),
            ),
            (
                User,
                ServiceAccount,
                Decision::Denied(Refusal::Lacks(Privilege::On(
                    ResourceId::SERVICE_ACCOUNTS,
                    Action::Edit,
                ))),
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
                Decision::Denied(Refusal::Lacks(Privilege::USERS_EDIT)),
                Decision::Denied(Refusal::OtherTenant),
            ),
            (
                ServiceAccount,
                ServiceAccount,
                Decision::Denied(Refusal::Lacks(Privilege::On(
                    ResourceId::SERVICE_ACCOUNTS,
                    Action::Edit,
                ))),
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
    fn exporting_the_audit_trail_needs_its_own_privilege_which_implies_viewing() {
        let c = Catalog::builtin();
        let viewer = user_with(&c, &[Privilege::AUDIT_VIEW], true);
        assert!(may_view_audit(&viewer).is_allowed());
        assert_eq!(
            may_export_audit(&viewer),
            Decision::Denied(Refusal::Lacks(Privilege::AUDIT_EXPORT))
        );
        let exporter = user_with(&c, &[Privilege::AUDIT_EXPORT], true);
        assert!(may_export_audit(&exporter).is_allowed());
        assert!(may_view_audit(&exporter).is_allowed());
        let nobody = user_with(&c, &[Privilege::USERS_VIEW], true);
        assert!(!may_export_audit(&nobody).is_allowed());
        for tier in [PlatformAdmin, TenantAdmin] {
            assert!(may_export_audit(&actor(tier)).is_allowed());
        }
    }

    #[test]
    fn creating_accounts_needs_the_list_and_a_manageable_tier_and_says_why_not() {
        let c = Catalog::builtin();
        // A plain user and a manager (Users: View) may create nobody; each is told why.
        let plain = user_with(&c, &[Privilege::AUDIT_VIEW], true);
        assert_eq!(may_create_accounts(&plain), may_list_accounts(&plain));
        assert!(!may_create_accounts(&plain).is_allowed());
        let manager = user_with(&c, &[Privilege::USERS_VIEW], true);
        assert!(may_list_accounts(&manager).is_allowed());
        assert!(manageable_tiers(&manager).is_empty());
        assert_eq!(
            may_create_accounts(&manager),
            Decision::Denied(Refusal::Lacks(Privilege::USERS_EDIT))
        );
        // Service accounts: Edit alone creates service accounts.
        let automation = user_with(
            &c,
            &[Privilege::On(ResourceId::SERVICE_ACCOUNTS, Action::Edit)],
            true,
        );
        assert!(may_create_accounts(&automation).is_allowed());
        for tier in [PlatformAdmin, TenantAdmin] {
            assert!(may_create_accounts(&actor(tier)).is_allowed());
        }
        // Whatever the privileges: allowed exactly when some tier is manageable.
        for p in c.privileges() {
            let user = user_with(&c, &[p], true);
            assert_eq!(
                may_create_accounts(&user).is_allowed(),
                !manageable_tiers(&user).is_empty(),
                "{}",
                c.label(p)
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
            holdings: Default::default(),
            mfa: true,
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
    fn own_tenant_settings_need_their_privilege_and_a_tenant() {
        assert!(may_view_tenant_settings(&actor(TenantAdmin)).is_allowed());
        assert!(may_change_tenant_settings(&actor(TenantAdmin)).is_allowed());
        for tier in [User, ServiceAccount] {
            assert!(!may_view_tenant_settings(&actor(tier)).is_allowed());
            assert!(!may_change_tenant_settings(&actor(tier)).is_allowed());
        }
        // A platform administrator has no tenant of its own: it configures tenants instead.
        assert_eq!(
            may_change_tenant_settings(&actor(PlatformAdmin)),
            Decision::Denied(Refusal::TenantMismatch)
        );
    }

    #[test]
    fn administrators_list_accounts_and_roleless_users_do_not() {
        assert!(may_list_accounts(&actor(PlatformAdmin)).is_allowed());
        assert!(may_list_accounts(&actor(TenantAdmin)).is_allowed());
        for tier in [User, ServiceAccount] {
            assert_eq!(
                may_list_accounts(&actor(tier)),
                Decision::Denied(Refusal::Lacks(Privilege::USERS_VIEW))
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

    #[test]
    fn every_refusal_has_a_stable_code_and_words_for_the_audit_page() {
        let p = Privilege::USERS_EDIT;
        let all = [
            Refusal::TierCeiling {
                actor: User,
                target: PlatformAdmin,
            },
            Refusal::OtherTenant,
            Refusal::Lacks(p),
            Refusal::NotHeldByYou(p),
            Refusal::BuiltInRole,
            Refusal::PlatformOnly { actor: User },
            Refusal::TenantMismatch,
            Refusal::NeedsMfa(p),
            Refusal::AdministratorsOnly,
            Refusal::LastAdministrator,
            Refusal::SelfRemoval,
        ];
        let codes: Vec<&str> = all.iter().map(|r| r.code()).collect();
        let listed: Vec<&str> = Refusal::CODES.iter().map(|(code, _)| *code).collect();
        assert_eq!(codes, listed);
        assert_eq!(
            Refusal::Lacks(Privilege::USERS_VIEW).code(),
            "lacks_privilege"
        );
        for refusal in all {
            assert!(
                Decision::Denied(refusal)
                    .explain()
                    .starts_with("Not allowed"),
                "{refusal:?}"
            );
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
                    holdings: Default::default(),
                    mfa: true,
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
