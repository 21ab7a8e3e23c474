//! The roles every tenant starts with (SPEC §3.3): the built-in Administrators and Everyone,
//! and the Admin / Member / Read-only templates for per-scope roles, which the tenant may then
//! edit like any custom role.

use super::catalog::{Action, Catalog, Privilege, PrivilegeSet};
use super::model::RoleKind;

/// A role a new tenant gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StarterRole {
    pub name: &'static str,
    pub description: &'static str,
    pub kind: RoleKind,
    pub granted: PrivilegeSet,
}

/// How a template treats one resource of the default catalog.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Grant {
    None,
    View,
    /// View and Edit, no Delete or stand-alone actions: "limited write".
    Edit,
    /// Every action of the resource.
    Full,
}

/// Admin, Member, Read-only for a resource of the default catalog, by key (SPEC §3.3's
/// matrix; resources it does not name follow "full / read and limited write / view").
fn matrix(resource: &str) -> [Grant; 3] {
    use Grant::*;
    match resource {
        "security_groups" | "api_keys" => [Full, None, None],
        "alerts" | "logs" => [Full, View, View],
        "forms" | "training_data" => [Full, Full, View],
        "workspaces" | "folders" | "monitors" | "events" | "user_processes" | "cases" => {
            [Full, Edit, View]
        }
        // Active response (sensitive) and anything a deployment adds: granted on purpose only.
        _ => [None, None, None],
    }
}

/// The five roles of a new tenant, over `catalog`'s application modules (Security and Audit
/// are left to tenant and platform administrators).
pub fn starter_roles(catalog: &Catalog) -> Vec<StarterRole> {
    let template = |column: usize| -> PrivilegeSet {
        let mut set = PrivilegeSet::new();
        for (_, module) in catalog.modules() {
            for &r in &module.resources {
                let Some(resource) = catalog.resource(r) else {
                    continue;
                };
                let actions: Vec<Action> = match matrix(&resource.key)[column] {
                    Grant::None => vec![],
                    Grant::View => vec![Action::View],
                    Grant::Edit => vec![Action::Edit],
                    Grant::Full => resource.actions.clone(),
                };
                for a in actions {
                    set.insert(Privilege::On(r, a));
                }
            }
        }
        set
    };
    vec![
        StarterRole {
            name: "Administrators",
            description: "Every privilege. Built in: cannot be edited or deleted.",
            kind: RoleKind::Administrators,
            granted: PrivilegeSet::new(),
        },
        StarterRole {
            name: "Everyone",
            description: "Held by every account of the tenant. Grants nothing until edited.",
            kind: RoleKind::Everyone,
            granted: PrivilegeSet::new(),
        },
        StarterRole {
            name: "Admin",
            description: "Full access to a scope's data. Assign it for a scope.",
            kind: RoleKind::Custom,
            granted: template(0),
        },
        StarterRole {
            name: "Member",
            description: "Reads a scope's data and edits some of it. Assign it for a scope.",
            kind: RoleKind::Custom,
            granted: template(1),
        },
        StarterRole {
            name: "Read-only",
            description: "Views a scope's data. Assign it for a scope.",
            kind: RoleKind::Custom,
            granted: template(2),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn closed(catalog: &Catalog, role: &str) -> Vec<String> {
        let r = starter_roles(catalog)
            .into_iter()
            .find(|r| r.name == role)
            .unwrap();
        catalog
            .close(&r.granted)
            .iter(catalog)
            .map(|p| catalog.label(p))
            .collect()
    }

    #[test]
    fn the_templates_follow_the_matrix_of_the_spec() {
        let c = Catalog::builtin();
        let admin = closed(&c, "Admin");
        let member = closed(&c, "Member");
        let read = closed(&c, "Read-only");
        for p in ["Security groups: Delete", "API keys: Edit"] {
            assert!(admin.iter().any(|l| l == p), "{p}");
            assert!(!member
                .iter()
                .any(|l| l.starts_with(p.split(':').next().unwrap())));
            assert!(!read
                .iter()
                .any(|l| l.starts_with(p.split(':').next().unwrap())));
        }
        for (p, in_member) in [
            ("Alerts: Delete", false),
            ("Alerts: View", true),
            ("Logs: Export", false),
            ("Forms: Delete", true),
            ("Training data: Export", true),
            ("Workspaces: Edit", true),
            ("Workspaces: Delete", false),
            ("Workspaces: Approve", false),
        ] {
            assert!(admin.iter().any(|l| l == p), "Admin has {p}");
            assert_eq!(member.iter().any(|l| l == p), in_member, "Member and {p}");
        }
        for p in &read {
            assert!(p.ends_with(": View"), "Read-only only views ({p})");
        }
        assert!(read.iter().any(|l| l == "Forms: View"));
        for role in [&admin, &member, &read] {
            assert!(
                !role.iter().any(|l| l.starts_with("Users")
                    || l.starts_with("Service accounts")
                    || l.starts_with("Audit")
                    || l.starts_with("Active response")),
                "no template touches accounts, the audit log or active response"
            );
        }
    }

    #[test]
    fn every_tenant_gets_administrators_and_everyone() {
        let roles = starter_roles(&Catalog::builtin());
        let kinds: Vec<RoleKind> = roles.iter().map(|r| r.kind).collect();
        assert_eq!(
            kinds
                .iter()
                .filter(|k| **k == RoleKind::Administrators)
                .count(),
            1
        );
        assert_eq!(
            kinds.iter().filter(|k| **k == RoleKind::Everyone).count(),
            1
        );
        let everyone = roles.iter().find(|r| r.kind == RoleKind::Everyone).unwrap();
        assert!(everyone.granted.is_empty());
    }
}
