//! What the role pages and server functions exchange (SPEC §3): roles, scopes, assignments
//! and an account's effective access. Shared by the browser and the server.

use crate::access::{Catalog, Decision, ObjectGrant, Privilege, PrivilegeSet, RoleKind};
use crate::domain::{parse_description, AccountId, RoleId, ScopeId, ShortName, TenantId};
use crate::error::{AppError, FieldErrors};
use serde::{Deserialize, Serialize};

/// A scope of a tenant's data (SPEC §3.5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeView {
    pub scope_id: ScopeId,
    pub name: String,
    pub description: String,
}

/// A role in the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleSummary {
    pub role_id: RoleId,
    pub name: String,
    pub description: String,
    pub kind: RoleKind,
    /// Privileges granted explicitly (module privileges count once).
    pub granted: i64,
    /// Accounts it is assigned to (Everyone: every account of the tenant).
    pub holders: i64,
}

/// A tenant's roles and scopes, with what the viewer may change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RolesPage {
    pub tenant_id: TenantId,
    pub tenant_name: String,
    pub roles: Vec<RoleSummary>,
    pub scopes: Vec<ScopeView>,
    /// Creating, editing and deleting roles (Security Admin).
    pub may_edit_roles: Decision,
    /// Creating, renaming and deleting scopes (Tenant settings: Edit).
    pub may_edit_scopes: Decision,
}

/// One role, as the editor needs it: with the catalog (so the browser closes the matrix live
/// with the same code as the server) and what the viewer may grant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleDetail {
    pub tenant_id: TenantId,
    pub role_id: RoleId,
    pub name: String,
    pub description: String,
    pub kind: RoleKind,
    pub granted: Vec<Privilege>,
    pub object_grants: Vec<ObjectGrant>,
    pub scopes: Vec<ScopeView>,
    pub catalog: Catalog,
    /// What the viewer holds tenant-wide, and so may grant or take away.
    pub grantable: PrivilegeSet,
    /// What the viewer holds but, being sensitive, may grant or take away only in a session
    /// signed in with MFA (`Refusal::NeedsMfa`): the editor says so, as the server would.
    #[serde(default)]
    pub needs_mfa: PrivilegeSet,
    pub may_edit: Decision,
    /// Deleting it: a custom role whose every privilege the viewer holds tenant-wide.
    pub may_delete: Decision,
}

/// A role's new name, description and grants, replacing the old ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleForm {
    pub name: String,
    pub description: String,
    pub granted: Vec<Privilege>,
    pub object_grants: Vec<ObjectGrant>,
}

/// The console's form that creates a role (SPEC §3.3): a name and a description, granting
/// nothing yet (grants are made in the editor). Checked on the server as a [`RoleForm`];
/// nothing here is trusted. The tenant to create it in is not part of it (see `create_role`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleInput {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

/// A new role's form from the console's creation form: named, granting nothing yet.
impl From<RoleInput> for RoleForm {
    fn from(input: RoleInput) -> RoleForm {
        RoleForm {
            name: input.name,
            description: input.description,
            granted: Vec::new(),
            object_grants: Vec::new(),
        }
    }
}

/// The form that creates, renames or re-describes a scope (SPEC §3.5): the console's form
/// fields, the REST API's body. Parsed by [`ScopeInput::parse`]; nothing here is trusted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ScopeInput {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

impl ScopeInput {
    /// The scope's name and description, or the field errors (`name`, `description`).
    pub fn parse(&self) -> Result<(ShortName, String), AppError> {
        parse_named("scope", &self.name, &self.description)
    }
}

/// A name (of a `what`: "role", "scope") and a description, as the forms of both submit them.
fn parse_named(what: &str, name: &str, description: &str) -> Result<(ShortName, String), AppError> {
    let mut errors = FieldErrors::new();
    let name = errors.check("name", ShortName::parse(name, what));
    let description = errors.check("description", parse_description(description));
    match (name, description) {
        (Some(name), Some(description)) => Ok((name, description)),
        _ => Err(AppError::Invalid(errors)),
    }
}

/// One role an account holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentView {
    pub role_id: RoleId,
    pub role_name: String,
    /// `None`: tenant-wide.
    pub scope: Option<ScopeView>,
    /// May the viewer remove it?
    pub removable: Decision,
}

/// Held or not, and why, for one privilege in one place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivilegeAccess {
    pub privilege: Privilege,
    pub label: String,
    pub held: bool,
    pub why: String,
}

/// Every privilege of the catalog in one place (tenant-wide, or one scope).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaceAccess {
    /// `None`: tenant-wide.
    pub scope: Option<ScopeView>,
    pub privileges: Vec<PrivilegeAccess>,
}

/// An account's roles and effective access (SPEC §3.4 "Explain").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountAccess {
    pub account_id: AccountId,
    /// False for platform and tenant administrators: their tier holds every privilege (SPEC
    /// §1), so roles would add nothing.
    pub takes_roles: bool,
    pub assignments: Vec<AssignmentView>,
    pub places: Vec<PlaceAccess>,
    /// The roles the viewer may assign to this account, each with the places where it may
    /// (tenant-wide and scopes): exactly what the server accepts (`access::may_assign`).
    pub roles: Vec<AssignableRole>,
    pub scopes: Vec<ScopeView>,
}

/// A role the viewer may assign, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignableRole {
    pub role_id: RoleId,
    pub name: String,
    /// `None`: tenant-wide; otherwise a scope. Never empty.
    pub places: Vec<Option<ScopeId>>,
}
