-- Tenants, accounts, sign-in throttling, first-run setup and server secrets.
-- Times are Unix seconds (bigint) so both databases store and compare them alike.

create table tenants (
    tenant_id bigint generated always as identity primary key,
    name text not null,
    status text not null default 'active' check (status in ('active', 'disabled')),
    mfa_policy text not null default 'optional' check (mfa_policy in ('off', 'optional', 'required')),
    created_at bigint not null,
    updated_at bigint not null
);
create unique index tenants_name_key on tenants (lower(name));

create table accounts (
    account_id bigint generated always as identity primary key,
    tenant_id bigint references tenants (tenant_id),
    tier text not null check (tier in ('platform_admin', 'tenant_admin', 'user', 'service_account')),
    username text not null,
    email text not null,
    full_name text not null,
    job_title text,
    country_code text,
    phone text,
    ref_id_1 text,
    ref_id_2 text,
    external_id text,
    status text not null check (status in ('invited', 'must_change_password', 'active', 'disabled')),
    password_hash text,
    jwt_version text not null,
    expires_at bigint,
    created_at bigint not null,
    updated_at bigint not null,
    check ((tier = 'platform_admin') = (tenant_id is null))
);
create unique index accounts_username_key on accounts (lower(username));
create unique index accounts_email_key on accounts (lower(email));
create unique index accounts_external_id_key on accounts (tenant_id, external_id);
create index accounts_tenant on accounts (tenant_id, account_id);

-- Failed sign-ins per key ('account:<username>' or 'address:<ip>') in the current window.
create table sign_in_throttles (
    throttle_key text primary key,
    failures bigint not null,
    window_started_at bigint not null
);

-- One-time links that create the first platform administrator; only the hash is kept.
create table setup_tokens (
    token_hash text primary key,
    expires_at bigint not null,
    created_at bigint not null
);

-- Secrets generated on first start and shared by every instance (e.g. the session key).
create table server_secrets (
    name text primary key,
    value text not null,
    created_at bigint not null
);
