//! Roles, assignments, scopes and object-level grants (SPEC §3.2–§3.5): what an account holds
//! through its roles, and the decisions built on it. Pure: the caller loads the roles.
//!
//! A role's privileges are kept twice, as granted (what the editor shows as explicit) and
//! closed under implication and inheritance (what decisions test), so that a decision is a few
//! bit tests per role whatever the size of the catalog.

use super::catalog::{Action, Catalog, How, Privilege, PrivilegeSet};
use crate::domain::{RoleId, ScopeId, TenantId};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Built-in roles behave differently (SPEC §3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RoleKind {
    /// Every privilege; cannot be edited or deleted.
    Administrators,
    /// Held implicitly by every account of the tenant; grants nothing until edited.
    Everyone,
    /// Made by the tenant (the Admin / Member / Read-only templates included).
    Custom,
}

/// A role granting `privilege` (View or Approve) on one scope object only (SPEC §3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ObjectGrant {
    pub scope: ScopeId,
    pub privilege: Privilege,
}

impl ObjectGrant {
    /// The actions a role may be granted on a single scope object.
    pub const ACTIONS: [Action; 2] = [Action::View, Action::Approve];

    /// Does this grant give `privilege` in `scope` (Approve implies View)?
    fn covers(&self, scope: ScopeId, privilege: Privilege) -> bool {
        match (self.privilege, privilege) {
            (Privilege::On(r, granted), Privilege::On(wanted_r, wanted)) => {
                self.scope == scope && r == wanted_r && granted.covers(wanted)
            }
            _ => false,
        }
    }
}

/// A role as decisions see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    pub role_id: RoleId,
    pub tenant_id: TenantId,
    pub name: String,
    pub kind: RoleKind,
    /// As granted in the editor.
    pub granted: PrivilegeSet,
    /// `granted` closed under implication and inheritance.
    pub effective: PrivilegeSet,
    pub object_grants: Vec<ObjectGrant>,
}

impl Role {
    /// A role granting `granted`, closed over `catalog` (Administrators: every privilege).
    pub fn new(
        catalog: &Catalog,
        role_id: RoleId,
        tenant_id: TenantId,
        name: impl Into<String>,
        kind: RoleKind,
        granted: PrivilegeSet,
        object_grants: Vec<ObjectGrant>,
    ) -> Role {
        let granted = match kind {
            RoleKind::Administrators => catalog
                .modules()
                .map(|(id, _)| Privilege::Module(id))
                .collect(),
            _ => granted,
        };
        Role {
            role_id,
            tenant_id,
            name: name.into(),
            kind,
            effective: catalog.close(&granted),
            granted,
            object_grants,
        }
    }

    /// Is the object grant `grant` moot, because the role holds its privilege at resource
    /// level (which covers every object)?
    pub fn makes_moot(&self, grant: &ObjectGrant) -> bool {
        self.effective.contains(grant.privilege)
    }
}

/// One role an account holds: tenant-wide, or for one scope only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Held {
    pub role: Arc<Role>,
    /// `None`: tenant-wide.
    pub scope: Option<ScopeId>,
}

impl Held {
    /// Does this assignment count when acting `at`?
    #[inline]
    fn applies(&self, at: At) -> bool {
        match self.scope {
            None => true,
            Some(s) => at.scope() == Some(s),
        }
    }
}

/// Every role an account holds in its tenant, the Everyone role included (the loader adds it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holdings {
    pub roles: Vec<Held>,
}

/// Where a privilege is used: anywhere in a tenant, or in one of its scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum At {
    Tenant(TenantId),
    Scope(TenantId, ScopeId),
}

impl At {
    pub fn tenant(self) -> TenantId {
        match self {
            At::Tenant(t) | At::Scope(t, _) => t,
        }
    }

    pub fn scope(self) -> Option<ScopeId> {
        match self {
            At::Tenant(_) => None,
            At::Scope(_, s) => Some(s),
        }
    }
}

/// Why a role gives a privilege.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Through {
    /// The role holds it at resource level (explicitly, implied or inherited).
    Role(How),
    /// The role was granted it on this one scope object.
    ObjectGrant,
}

/// The role, and its assignment's scope, that give a privilege.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub role: RoleId,
    /// The assignment's scope (`None`: tenant-wide).
    pub assigned_for: Option<ScopeId>,
    pub through: Through,
}

impl Holdings {
    /// The first assignment that gives `privilege` when acting `at`, and how; tenant-wide
    /// assignments are listed first by the loader, so they are preferred.
    #[inline]
    pub fn source(&self, catalog: &Catalog, privilege: Privilege, at: At) -> Option<Source> {
        for held in &self.roles {
            if held.applies(at) && held.role.effective.contains(privilege) {
                if let Some(how) = catalog.how(&held.role.granted, privilege) {
                    return Some(Source {
                        role: held.role.role_id,
                        assigned_for: held.scope,
                        through: Through::Role(how),
                    });
                }
            }
        }
        let scope = at.scope()?;
        self.roles
            .iter()
            .filter(|h| h.applies(at))
            .find(|h| {
                h.role
                    .object_grants
                    .iter()
                    .any(|g| g.covers(scope, privilege))
            })
            .map(|h| Source {
                role: h.role.role_id,
                assigned_for: h.scope,
                through: Through::ObjectGrant,
            })
    }

    /// Is `privilege` held when acting `at`?
    #[inline]
    pub fn holds(&self, privilege: Privilege, at: At) -> bool {
        self.roles
            .iter()
            .any(|h| h.applies(at) && h.role.effective.contains(privilege))
            || at.scope().is_some_and(|s| {
                self.roles.iter().any(|h| {
                    h.applies(at) && h.role.object_grants.iter().any(|g| g.covers(s, privilege))
                })
            })
    }

    /// Does any held role (tenant-wide or for a scope) give any of `privileges`?
    pub fn holds_any(&self, privileges: &PrivilegeSet) -> bool {
        self.roles
            .iter()
            .any(|h| h.role.effective.intersects(privileges))
    }

    /// Every privilege held at resource level when acting `at` (object grants aside).
    pub fn effective(&self, at: At) -> PrivilegeSet {
        let mut set = PrivilegeSet::new();
        for held in self.roles.iter().filter(|h| h.applies(at)) {
            set.union_with(&held.role.effective);
        }
        set
    }
}
