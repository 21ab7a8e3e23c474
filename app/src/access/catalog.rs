//! The privilege catalog of SPEC §3.1, declared once: modules → resources → actions, with the
//! built-in Security and Audit modules, the default application catalog, and the deployment's
//! own modules from a configuration file (checked by [`Catalog::extend`]).
//!
//! A privilege is a typed value ([`Privilege`]); the catalog numbers every privilege so that a
//! set of them is a small bitset ([`PrivilegeSet`]) and "does this role hold it?" is one bit
//! test. The stored form is a stable text key (`security.users:edit`, `security:admin`).

use serde::{Deserialize, Serialize};
use std::fmt;

/// What can be done to a resource. Every resource has View; its other actions are declared in
/// the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Action {
    View,
    Edit,
    Delete,
    Approve,
    Rerun,
    ClearMessages,
    Export,
    Run,
}

impl Action {
    /// In the matrix's column order.
    pub const ALL: [Action; 8] = [
        Action::View,
        Action::Edit,
        Action::Delete,
        Action::Approve,
        Action::Rerun,
        Action::ClearMessages,
        Action::Export,
        Action::Run,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Action::View => "view",
            Action::Edit => "edit",
            Action::Delete => "delete",
            Action::Approve => "approve",
            Action::Rerun => "rerun",
            Action::ClearMessages => "clear_messages",
            Action::Export => "export",
            Action::Run => "run",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Action::View => "View",
            Action::Edit => "Edit",
            Action::Delete => "Delete",
            Action::Approve => "Approve",
            Action::Rerun => "Re-run",
            Action::ClearMessages => "Clear messages",
            Action::Export => "Export",
            Action::Run => "Run",
        }
    }

    pub fn from_key(key: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.key() == key)
    }

    /// The action this one directly implies on the same resource (SPEC §3.2): Delete ⇒ Edit ⇒
    /// View; every stand-alone action ⇒ View.
    pub fn implies(self) -> Option<Action> {
        match self {
            Action::View => None,
            Action::Delete => Some(Action::Edit),
            _ => Some(Action::View),
        }
    }

    /// Does holding `self` give `other` on the same resource (itself included)?
    pub fn covers(self, other: Action) -> bool {
        let mut a = Some(self);
        while let Some(x) = a {
            if x == other {
                return true;
            }
            a = x.implies();
        }
        false
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Bits kept per resource in a [`PrivilegeSet`]: one per [`Action`].
const ACTION_BITS: usize = 8;

/// A module of the catalog, by position. The built-in ones have fixed positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ModuleId(pub u16);

impl ModuleId {
    pub const SECURITY: ModuleId = ModuleId(0);
    pub const AUDIT: ModuleId = ModuleId(1);
}

/// A resource of the catalog, by position. The built-in ones have fixed positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ResourceId(pub u16);

impl ResourceId {
    pub const USERS: ResourceId = ResourceId(0);
    pub const ROLES: ResourceId = ResourceId(1);
    pub const SERVICE_ACCOUNTS: ResourceId = ResourceId(2);
    pub const API_CREDENTIALS: ResourceId = ResourceId(3);
    pub const TENANT_SETTINGS: ResourceId = ResourceId(4);
    pub const CALLOUTS: ResourceId = ResourceId(5);
    pub const AUDIT_LOG: ResourceId = ResourceId(6);
}

/// One privilege: an action on a resource, or a module privilege (which grants every resource
/// privilege of its module).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Privilege {
    On(ResourceId, Action),
    Module(ModuleId),
}

impl Privilege {
    /// Security Admin: needed to change roles and privileges at all (SPEC §3.1).
    pub const SECURITY_ADMIN: Privilege = Privilege::Module(ModuleId::SECURITY);
    pub const USERS_VIEW: Privilege = Privilege::On(ResourceId::USERS, Action::View);
    pub const USERS_EDIT: Privilege = Privilege::On(ResourceId::USERS, Action::Edit);
    pub const USERS_DELETE: Privilege = Privilege::On(ResourceId::USERS, Action::Delete);
    pub const AUDIT_VIEW: Privilege = Privilege::On(ResourceId::AUDIT_LOG, Action::View);
    pub const AUDIT_EXPORT: Privilege = Privilege::On(ResourceId::AUDIT_LOG, Action::Export);
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Module {
    /// Stable key, stored with grants: lower-case letters, digits and `_`.
    pub key: String,
    pub name: String,
    /// The module privilege's name, e.g. "Security Admin".
    pub admin_name: String,
    pub resources: Vec<ResourceId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    /// Stable key within its module.
    pub key: String,
    pub name: String,
    pub module: ModuleId,
    /// Its actions in [`Action::ALL`] order; always starts with View.
    pub actions: Vec<Action>,
    /// Actions that need MFA (SPEC §3.4).
    pub sensitive: Vec<Action>,
}

/// A resource as declared in code: key, name, actions beyond View, sensitive actions.
type BuiltinResource = (
    &'static str,
    &'static str,
    &'static [Action],
    &'static [Action],
);
/// A module as declared in code: key, name, module privilege's name, resources.
type BuiltinModule = (
    &'static str,
    &'static str,
    &'static str,
    &'static [BuiltinResource],
);

/// The whole catalog: what every privilege is called and how they combine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalog {
    modules: Vec<Module>,
    resources: Vec<Resource>,
}

/// A module declared by the deployment's catalog file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModuleSpec {
    pub key: String,
    pub name: String,
    /// Defaults to "<name> Admin".
    #[serde(default)]
    pub admin_name: Option<String>,
    #[serde(default, rename = "resource")]
    pub resources: Vec<ResourceSpec>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceSpec {
    pub key: String,
    pub name: String,
    /// Action keys (`view`, `edit`, `delete`, `approve`, `rerun`, `clear_messages`, `export`,
    /// `run`); View is always there, and Delete brings Edit.
    #[serde(default)]
    pub actions: Vec<String>,
    /// Action keys that need MFA.
    #[serde(default)]
    pub sensitive: Vec<String>,
}

/// What is wrong with a catalog file's entry, naming it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{entry}: {problem}")]
pub struct CatalogError {
    /// E.g. `module "billing", resource "invoices"`.
    pub entry: String,
    pub problem: String,
}

fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 40
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && key.starts_with(|c: char| c.is_ascii_lowercase())
}

const ACTION_KEYS: &str = "view, edit, delete, approve, rerun, clear_messages, export, run";

impl Catalog {
    /// Security, Audit and the default application catalog of SPEC §3.1.
    pub fn builtin() -> Catalog {
        use Action::*;
        let mut catalog = Catalog {
            modules: Vec::new(),
            resources: Vec::new(),
        };
        let builtin: [BuiltinModule; 6] = [
            (
                "security",
                "Security",
                "Security Admin",
                &[
                    ("users", "Users", &[Edit, Delete], &[]),
                    ("roles", "Roles", &[Edit, Delete], &[]),
                    ("service_accounts", "Service accounts", &[Edit, Delete], &[]),
                    ("api_credentials", "API credentials", &[Edit, Delete], &[]),
                    ("tenant_settings", "Tenant settings", &[Edit], &[]),
                    ("callouts", "Callouts", &[Edit, Delete], &[]),
                ],
            ),
            (
                "audit",
                "Audit",
                "Audit Admin",
                &[("log", "Audit log", &[Export], &[])],
            ),
            (
                "operations",
                "Operations",
                "Operations Admin",
                &[
                    (
                        "workspaces",
                        "Workspaces",
                        &[Edit, Delete, Approve, Rerun, ClearMessages],
                        &[],
                    ),
                    ("folders", "Folders", &[Edit, Delete], &[]),
                    ("monitors", "Monitors", &[Edit, Delete], &[]),
                    ("events", "Events", &[Edit, Delete], &[]),
                    ("user_processes", "User processes", &[Edit, Delete], &[]),
                    ("cases", "Cases", &[Edit, Delete, Approve], &[]),
                    ("active_response", "Active response", &[Run], &[Run]),
                ],
            ),
            (
                "observability",
                "Observability",
                "Observability Admin",
                &[
                    ("alerts", "Alerts", &[Edit, Delete], &[]),
                    ("logs", "Logs", &[Edit, Delete, Export], &[]),
                ],
            ),
            (
                "data",
                "Data",
                "Data Admin",
                &[
                    ("forms", "Forms", &[Edit, Delete], &[]),
                    (
                        "training_data",
                        "Training data",
                        &[Edit, Delete, Export],
                        &[],
                    ),
                ],
            ),
            (
                "access",
                "Access",
                "Access Admin",
                &[
                    ("security_groups", "Security groups", &[Edit, Delete], &[]),
                    ("api_keys", "API keys", &[Edit, Delete], &[]),
                ],
            ),
        ];
        for (key, name, admin_name, resources) in builtin {
            let spec = ModuleSpec {
                key: key.into(),
                name: name.into(),
                admin_name: Some(admin_name.into()),
                resources: resources
                    .iter()
                    .map(|(key, name, actions, sensitive)| ResourceSpec {
                        key: (*key).into(),
                        name: (*name).into(),
                        actions: actions.iter().map(|a| a.key().to_owned()).collect(),
                        sensitive: sensitive.iter().map(|a| a.key().to_owned()).collect(),
                    })
                    .collect(),
            };
            #[allow(clippy::expect_used)] // the built-in declaration above is checked by tests
            catalog
                .add_module(&spec)
                .expect("the built-in catalog is valid");
        }
        catalog
    }

    /// Adds the deployment's modules (from its catalog file) after the built-in ones. Every
    /// entry is checked; the first bad one is named in the error, and nothing is added.
    pub fn extend(&mut self, modules: &[ModuleSpec]) -> Result<(), CatalogError> {
        let mut extended = self.clone();
        for spec in modules {
            extended.add_module(spec)?;
        }
        *self = extended;
        Ok(())
    }

    fn add_module(&mut self, spec: &ModuleSpec) -> Result<(), CatalogError> {
        let entry = format!("module {:?}", spec.key);
        let fail = |entry: &str, problem: String| CatalogError {
            entry: entry.to_owned(),
            problem,
        };
        if !valid_key(&spec.key) {
            return Err(fail(
                &entry,
                "a key is 1–40 lower-case letters, digits or _, starting with a letter".into(),
            ));
        }
        if self.modules.iter().any(|m| m.key == spec.key) {
            return Err(fail(
                &entry,
                "there is already a module with this key".into(),
            ));
        }
        if spec.name.trim().is_empty() {
            return Err(fail(&entry, "give the module a name".into()));
        }
        if spec.resources.is_empty() {
            return Err(fail(&entry, "a module needs at least one resource".into()));
        }
        if self.resources.len() + spec.resources.len() > u16::MAX as usize {
            return Err(fail(&entry, "too many resources".into()));
        }
        let module = ModuleId(self.modules.len() as u16);
        let mut ids = Vec::new();
        let mut resources = Vec::new();
        for r in &spec.resources {
            let entry = format!("{entry}, resource {:?}", r.key);
            if !valid_key(&r.key) {
                return Err(fail(
                    &entry,
                    "a key is 1–40 lower-case letters, digits or _, starting with a letter".into(),
                ));
            }
            if spec.resources.iter().filter(|o| o.key == r.key).count() > 1 {
                return Err(fail(
                    &entry,
                    "the module declares this resource twice".into(),
                ));
            }
            if r.name.trim().is_empty() {
                return Err(fail(&entry, "give the resource a name".into()));
            }
            let parse = |key: &String| {
                Action::from_key(key).ok_or_else(|| {
                    fail(
                        &entry,
                        format!("unknown action {key:?} (the actions are {ACTION_KEYS})"),
                    )
                })
            };
            // View, and whatever a declared action implies (Delete brings Edit): the catalog
            // is closed under implication.
            let mut actions = vec![Action::View];
            for key in &r.actions {
                let mut action = Some(parse(key)?);
                while let Some(a) = action {
                    actions.push(a);
                    action = a.implies();
                }
            }
            actions.sort();
            actions.dedup();
            let mut sensitive = Vec::new();
            for key in &r.sensitive {
                let action = parse(key)?;
                if !actions.contains(&action) {
                    return Err(fail(
                        &entry,
                        format!("sensitive action {key:?} is not one of the resource's actions"),
                    ));
                }
                sensitive.push(action);
            }
            sensitive.sort();
            sensitive.dedup();
            ids.push(ResourceId((self.resources.len() + resources.len()) as u16));
            resources.push(Resource {
                key: r.key.clone(),
                name: r.name.clone(),
                module,
                actions,
                sensitive,
            });
        }
        self.resources.extend(resources);
        self.modules.push(Module {
            key: spec.key.clone(),
            name: spec.name.clone(),
            admin_name: spec
                .admin_name
                .clone()
                .unwrap_or_else(|| format!("{} Admin", spec.name)),
            resources: ids,
        });
        Ok(())
    }

    pub fn modules(&self) -> impl Iterator<Item = (ModuleId, &Module)> {
        self.modules
            .iter()
            .enumerate()
            .map(|(i, m)| (ModuleId(i as u16), m))
    }

    pub fn module(&self, id: ModuleId) -> Option<&Module> {
        self.modules.get(id.0 as usize)
    }

    pub fn resource(&self, id: ResourceId) -> Option<&Resource> {
        self.resources.get(id.0 as usize)
    }

    /// Is `privilege` in this catalog (its resource has that action)?
    pub fn contains(&self, privilege: Privilege) -> bool {
        match privilege {
            Privilege::On(r, a) => self.resource(r).is_some_and(|r| r.actions.contains(&a)),
            Privilege::Module(m) => self.module(m).is_some(),
        }
    }

    /// Every privilege, module by module: the module privilege, then each resource's actions.
    pub fn privileges(&self) -> impl Iterator<Item = Privilege> + '_ {
        self.modules().flat_map(move |(id, m)| {
            std::iter::once(Privilege::Module(id)).chain(m.resources.iter().flat_map(move |&r| {
                self.resources[r.0 as usize]
                    .actions
                    .iter()
                    .map(move |&a| Privilege::On(r, a))
            }))
        })
    }

    /// "Users: Edit", or "Security Admin".
    pub fn label(&self, privilege: Privilege) -> String {
        let mut out = String::new();
        self.write_label(&mut out, privilege);
        out
    }

    /// Writes [`Catalog::label`] at the end of `out` (no string of its own).
    pub fn write_label(&self, out: &mut String, privilege: Privilege) {
        match privilege {
            Privilege::On(r, a) => {
                out.push_str(
                    self.resource(r)
                        .map_or("(unknown resource)", |res| &res.name),
                );
                out.push_str(": ");
                out.push_str(a.label());
            }
            Privilege::Module(m) => {
                out.push_str(self.module(m).map_or("(unknown module)", |m| &m.admin_name))
            }
        }
    }

    /// The stored form: `security.users:edit`, `security:admin`.
    pub fn key(&self, privilege: Privilege) -> Option<String> {
        match privilege {
            Privilege::On(r, a) => {
                let res = self.resource(r)?;
                let module = self.module(res.module)?;
                Some(format!("{}.{}:{}", module.key, res.key, a.key()))
            }
            Privilege::Module(m) => Some(format!("{}:admin", self.module(m)?.key)),
        }
    }

    /// The privilege a stored key names, if this catalog has it (a deployment may have removed
    /// a module from its file since).
    pub fn parse_key(&self, key: &str) -> Option<Privilege> {
        let (path, action) = key.split_once(':')?;
        self.parse_parts(path, action)
    }

    /// The privilege of a key given in its two parts, `path` (`security.users`, `security`)
    /// and `action` (`edit`, `admin`): what [`Catalog::parse_key`] reads, without putting the
    /// key together first.
    pub fn parse_parts(&self, path: &str, action: &str) -> Option<Privilege> {
        match path.split_once('.') {
            None if action == "admin" => self
                .modules()
                .find(|(_, m)| m.key == path)
                .map(|(id, _)| Privilege::Module(id)),
            None => None,
            Some((module, resource)) => {
                let (_, m) = self.modules().find(|(_, m)| m.key == module)?;
                let r = *m
                    .resources
                    .iter()
                    .find(|r| self.resources[r.0 as usize].key == resource)?;
                let action = Action::from_key(action)?;
                let p = Privilege::On(r, action);
                self.contains(p).then_some(p)
            }
        }
    }

    /// Does holding `privilege` need MFA (SPEC §3.4)? True when it *brings* a sensitive
    /// privilege: one flagged sensitive, an action that implies one on its resource, or a
    /// module privilege whose module has one. Sensitivity closes over implication and
    /// inheritance, so that granting `Operations Admin` asks as much as granting
    /// `Active response: Run`.
    pub fn is_sensitive(&self, privilege: Privilege) -> bool {
        let flagged = |r: &Resource, a: Action| r.sensitive.iter().any(|&s| a.covers(s));
        match privilege {
            Privilege::On(r, a) => self.resource(r).is_some_and(|r| flagged(r, a)),
            Privilege::Module(m) => self.module(m).is_some_and(|m| {
                m.resources
                    .iter()
                    .filter_map(|&r| self.resource(r))
                    .any(|r| !r.sensitive.is_empty())
            }),
        }
    }

    /// Every sensitive privilege, as a set.
    pub fn sensitive(&self) -> PrivilegeSet {
        self.privileges()
            .filter(|&p| self.is_sensitive(p))
            .collect()
    }

    /// Every privilege of the catalog.
    pub fn full_set(&self) -> PrivilegeSet {
        self.privileges().collect()
    }

    /// `granted` (privileges of this catalog) with everything it implies and inherits (SPEC §3.2): a module privilege gives
    /// every action of every resource of its module; each action gives the actions it implies.
    pub fn close(&self, granted: &PrivilegeSet) -> PrivilegeSet {
        let mut closed = granted.clone();
        for (id, module) in self.modules() {
            if granted.contains(Privilege::Module(id)) {
                for &r in &module.resources {
                    for &a in &self.resources[r.0 as usize].actions {
                        closed.insert(Privilege::On(r, a));
                    }
                }
            }
        }
        for (i, resource) in self.resources.iter().enumerate() {
            let r = ResourceId(i as u16);
            for &a in &resource.actions {
                if closed.contains(Privilege::On(r, a)) {
                    let mut implied = a.implies();
                    while let Some(x) = implied {
                        closed.insert(Privilege::On(r, x));
                        implied = x.implies();
                    }
                }
            }
        }
        closed
    }

    /// How `granted` (a role's explicit privileges) gives `privilege`, if it does.
    pub fn how(&self, granted: &PrivilegeSet, privilege: Privilege) -> Option<How> {
        if granted.contains(privilege) {
            return Some(How::Explicit);
        }
        let Privilege::On(r, action) = privilege else {
            return None;
        };
        let resource = self.resource(r)?;
        if granted.contains(Privilege::Module(resource.module)) {
            return Some(How::Inherited {
                module: resource.module,
            });
        }
        resource
            .actions
            .iter()
            .rev()
            .find(|&&a| a != action && a.covers(action) && granted.contains(Privilege::On(r, a)))
            .map(|&by| How::Implied { by })
    }
}

/// How a role gives a privilege (SPEC §3.2, §3.4 "Explain").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum How {
    /// Granted as such.
    Explicit,
    /// Implied by a higher action granted on the same resource.
    Implied { by: Action },
    /// Inherited from the module privilege.
    Inherited { module: ModuleId },
}

/// A set of privileges, as bits: one byte of action bits per resource, one bit per module.
/// Membership is one load and a mask, with no catalog needed. Kept without trailing zero
/// words, so equal sets compare equal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PrivilegeSet {
    actions: Vec<u64>,
    modules: Vec<u64>,
}

fn bit_of(privilege: Privilege) -> (bool, usize) {
    match privilege {
        Privilege::On(r, a) => (false, r.0 as usize * ACTION_BITS + a.index()),
        Privilege::Module(m) => (true, m.0 as usize),
    }
}

fn trim(words: &mut Vec<u64>) {
    while words.last() == Some(&0) {
        words.pop();
    }
}

impl PrivilegeSet {
    pub fn new() -> PrivilegeSet {
        PrivilegeSet::default()
    }

    fn words(&self, module: bool) -> &Vec<u64> {
        if module {
            &self.modules
        } else {
            &self.actions
        }
    }

    #[inline]
    pub fn contains(&self, privilege: Privilege) -> bool {
        let (module, bit) = bit_of(privilege);
        self.words(module)
            .get(bit / 64)
            .is_some_and(|w| w & (1 << (bit % 64)) != 0)
    }

    pub fn insert(&mut self, privilege: Privilege) {
        let (module, bit) = bit_of(privilege);
        let words = if module {
            &mut self.modules
        } else {
            &mut self.actions
        };
        if words.len() <= bit / 64 {
            words.resize(bit / 64 + 1, 0);
        }
        words[bit / 64] |= 1 << (bit % 64);
    }

    pub fn remove(&mut self, privilege: Privilege) {
        let (module, bit) = bit_of(privilege);
        let words = if module {
            &mut self.modules
        } else {
            &mut self.actions
        };
        if let Some(w) = words.get_mut(bit / 64) {
            *w &= !(1 << (bit % 64));
        }
        trim(words);
    }

    pub fn union_with(&mut self, other: &PrivilegeSet) {
        for (mine, theirs) in [
            (&mut self.actions, &other.actions),
            (&mut self.modules, &other.modules),
        ] {
            if mine.len() < theirs.len() {
                mine.resize(theirs.len(), 0);
            }
            for (w, o) in mine.iter_mut().zip(theirs) {
                *w |= o;
            }
        }
    }

    /// Is every privilege of `self` also in `other`?
    pub fn is_subset(&self, other: &PrivilegeSet) -> bool {
        let sub = |mine: &[u64], theirs: &[u64]| {
            mine.iter()
                .enumerate()
                .all(|(i, w)| w & !theirs.get(i).copied().unwrap_or(0) == 0)
        };
        sub(&self.actions, &other.actions) && sub(&self.modules, &other.modules)
    }

    pub fn intersects(&self, other: &PrivilegeSet) -> bool {
        let meet = |a: &[u64], b: &[u64]| a.iter().zip(b).any(|(x, y)| x & y != 0);
        meet(&self.actions, &other.actions) || meet(&self.modules, &other.modules)
    }

    pub fn is_empty(&self) -> bool {
        self.actions.is_empty() && self.modules.is_empty()
    }

    /// The privileges in the set that `catalog` has, in catalog order.
    pub fn iter<'a>(&'a self, catalog: &'a Catalog) -> impl Iterator<Item = Privilege> + 'a {
        catalog.privileges().filter(|&p| self.contains(p))
    }
}

impl FromIterator<Privilege> for PrivilegeSet {
    fn from_iter<I: IntoIterator<Item = Privilege>>(iter: I) -> Self {
        let mut set = PrivilegeSet::new();
        for p in iter {
            set.insert(p);
        }
        set
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_modules_and_resources_sit_at_their_fixed_ids() {
        let c = Catalog::builtin();
        assert_eq!(c.module(ModuleId::SECURITY).unwrap().name, "Security");
        assert_eq!(c.module(ModuleId::AUDIT).unwrap().name, "Audit");
        for (id, name) in [
            (ResourceId::USERS, "Users"),
            (ResourceId::ROLES, "Roles"),
            (ResourceId::SERVICE_ACCOUNTS, "Service accounts"),
            (ResourceId::API_CREDENTIALS, "API credentials"),
            (ResourceId::TENANT_SETTINGS, "Tenant settings"),
            (ResourceId::CALLOUTS, "Callouts"),
            (ResourceId::AUDIT_LOG, "Audit log"),
        ] {
            assert_eq!(c.resource(id).unwrap().name, name);
        }
        assert_eq!(c.label(Privilege::SECURITY_ADMIN), "Security Admin");
        assert_eq!(c.label(Privilege::AUDIT_EXPORT), "Audit log: Export");
        assert!(c.contains(Privilege::USERS_DELETE));
        assert!(!c.contains(Privilege::On(ResourceId::AUDIT_LOG, Action::Delete)));
    }

    #[test]
    fn every_privilege_round_trips_through_its_stored_key() {
        let c = Catalog::builtin();
        let mut keys = std::collections::BTreeSet::new();
        for p in c.privileges() {
            let key = c.key(p).unwrap();
            assert_eq!(c.parse_key(&key), Some(p), "{key}");
            assert!(keys.insert(key));
        }
        assert_eq!(c.key(Privilege::USERS_EDIT).unwrap(), "security.users:edit");
        assert_eq!(c.key(Privilege::SECURITY_ADMIN).unwrap(), "security:admin");
        for bad in [
            "",
            "security",
            "security.users",
            "security.users:fly",
            "nope:admin",
        ] {
            assert_eq!(c.parse_key(bad), None, "{bad}");
        }
        assert_eq!(
            c.parse_key("audit.log:delete"),
            None,
            "not an action of the audit log"
        );
    }

    #[test]
    fn delete_implies_edit_implies_view_and_stand_alone_actions_imply_view_only() {
        let c = Catalog::builtin();
        let ws = c
            .privileges()
            .find_map(|p| match p {
                Privilege::On(r, _) if c.resource(r).unwrap().key == "workspaces" => Some(r),
                _ => None,
            })
            .unwrap();
        let closed_of = |a: Action| {
            let s: PrivilegeSet = [Privilege::On(ws, a)].into_iter().collect();
            c.close(&s)
                .iter(&c)
                .map(|p| match p {
                    Privilege::On(_, a) => a,
                    Privilege::Module(_) => unreachable!(),
                })
                .collect::<Vec<_>>()
        };
        use Action::*;
        assert_eq!(closed_of(Delete), [View, Edit, Delete]);
        assert_eq!(closed_of(Edit), [View, Edit]);
        assert_eq!(closed_of(Approve), [View, Approve]);
        assert_eq!(closed_of(ClearMessages), [View, ClearMessages]);
        assert_eq!(closed_of(View), [View]);
    }

    #[test]
    fn a_module_privilege_gives_every_resource_privilege_of_its_module_only() {
        let c = Catalog::builtin();
        let s: PrivilegeSet = [Privilege::SECURITY_ADMIN].into_iter().collect();
        let closed = c.close(&s);
        assert!(closed.contains(Privilege::USERS_DELETE));
        assert!(closed.contains(Privilege::On(ResourceId::CALLOUTS, Action::Edit)));
        assert!(!closed.contains(Privilege::AUDIT_VIEW));
        assert_eq!(
            c.how(&s, Privilege::USERS_VIEW),
            Some(How::Inherited {
                module: ModuleId::SECURITY
            })
        );
        let d: PrivilegeSet = [Privilege::USERS_DELETE].into_iter().collect();
        assert_eq!(
            c.how(&d, Privilege::USERS_VIEW),
            Some(How::Implied { by: Action::Delete })
        );
        assert_eq!(c.how(&d, Privilege::USERS_DELETE), Some(How::Explicit));
        assert_eq!(c.how(&d, Privilege::AUDIT_VIEW), None);
    }

    #[test]
    fn active_response_is_the_sensitive_privilege_of_the_default_catalog() {
        let c = Catalog::builtin();
        let sensitive: Vec<String> = c.sensitive().iter(&c).map(|p| c.label(p)).collect();
        // Run is flagged; Operations Admin brings it, so it is sensitive too (SPEC §3.4).
        assert_eq!(sensitive, ["Operations Admin", "Active response: Run"]);
    }

    /// A resource's key, actions and sensitive actions.
    type Declared<'a> = (&'a str, &'a [&'a str], &'a [&'a str]);

    fn spec(declared: (&str, &[Declared<'_>])) -> ModuleSpec {
        ModuleSpec {
            key: declared.0.into(),
            name: "Billing".into(),
            admin_name: None,
            resources: declared
                .1
                .iter()
                .map(|(key, actions, sensitive)| ResourceSpec {
                    key: (*key).into(),
                    name: "Invoices".into(),
                    actions: actions.iter().map(|s| (*s).into()).collect(),
                    sensitive: sensitive.iter().map(|s| (*s).into()).collect(),
                })
                .collect(),
        }
    }

    #[test]
    fn a_deployment_adds_its_own_modules_after_the_builtin_ones() {
        let mut c = Catalog::builtin();
        let before = c.privileges().count();
        c.extend(&[spec((
            "billing",
            &[("invoices", &["approve", "delete"], &["approve"])],
        ))])
        .unwrap();
        let p = c.parse_key("billing.invoices:approve").unwrap();
        assert!(c.is_sensitive(p));
        assert_eq!(c.label(p), "Invoices: Approve");
        // Module privilege + View, Edit, Delete, Approve.
        assert_eq!(c.privileges().count(), before + 5);
        let admin = c.parse_key("billing:admin").unwrap();
        assert_eq!(c.label(admin), "Billing Admin");
        // Built-in ids are unchanged.
        assert_eq!(c.resource(ResourceId::USERS).unwrap().name, "Users");
    }

    #[test]
    fn a_bad_catalog_entry_is_named_and_nothing_is_added() {
        let cases: [(ModuleSpec, &str); 6] = [
            (
                spec(("billing", &[("invoices", &["aprove"], &[])])),
                "module \"billing\", resource \"invoices\": unknown action \"aprove\"",
            ),
            (
                spec(("security", &[("x", &[], &[])])),
                "module \"security\": there is already a module with this key",
            ),
            (
                spec(("Billing", &[("x", &[], &[])])),
                "module \"Billing\": a key is",
            ),
            (spec(("billing", &[])), "module \"billing\": a module needs"),
            (
                spec(("billing", &[("x", &["edit"], &["delete"])])),
                "module \"billing\", resource \"x\": sensitive action \"delete\" is not",
            ),
            (
                spec(("billing", &[("x", &[], &[]), ("x", &[], &[])])),
                "resource \"x\": the module declares this resource twice",
            ),
        ];
        for (bad, expected) in cases {
            let mut c = Catalog::builtin();
            let good = spec(("good", &[("x", &[], &[])]));
            let err = c.extend(&[good, bad]).unwrap_err().to_string();
            assert!(err.contains(expected), "{err} should contain {expected}");
            assert_eq!(c, Catalog::builtin(), "nothing is added");
        }
    }
}
