-- Roles, privileges, scopes, object-level grants and assignments (SPEC §3). Privileges are
-- stored by their catalog key (`security.users:edit`, `security:admin`); a key that a
-- deployment's catalog no longer declares is kept but grants nothing. Everything of a tenant
-- goes with the tenant.

create table roles (
    role_id bigint generated always as identity primary key,
    tenant_id bigint not null references tenants (tenant_id) on delete cascade,
    name text not null,
    description text not null default '',
    kind text not null check (kind in ('administrators', 'everyone', 'custom')),
    created_at bigint not null,
    updated_at bigint not null
);
create unique index roles_name_key on roles (tenant_id, lower(name));
-- One Administrators and one Everyone role per tenant.
create unique index roles_builtin_key on roles (tenant_id, kind) where kind <> 'custom';

create table role_privileges (
    role_id bigint not null references roles (role_id) on delete cascade,
    privilege text not null,
    primary key (role_id, privilege)
);

create table scopes (
    scope_id bigint generated always as identity primary key,
    tenant_id bigint not null references tenants (tenant_id) on delete cascade,
    name text not null,
    description text not null default '',
    created_at bigint not null,
    updated_at bigint not null
);
create unique index scopes_name_key on scopes (tenant_id, lower(name));

-- A role's View or Approve on one scope object (SPEC §3.5).
create table role_object_grants (
    role_id bigint not null references roles (role_id) on delete cascade,
    scope_id bigint not null references scopes (scope_id) on delete cascade,
    privilege text not null,
    primary key (role_id, scope_id, privilege)
);
create index role_object_grants_scope on role_object_grants (scope_id);

-- A role held by an account, tenant-wide (no scope) or for one scope.
create table role_assignments (
    assignment_id bigint generated always as identity primary key,
    account_id bigint not null references accounts (account_id) on delete cascade,
    role_id bigint not null references roles (role_id) on delete cascade,
    scope_id bigint references scopes (scope_id) on delete cascade,
    created_at bigint not null
);
create unique index role_assignments_key on role_assignments (account_id, role_id, coalesce(scope_id, 0));
create index role_assignments_role on role_assignments (role_id);
create index role_assignments_scope on role_assignments (scope_id);
