-- Credentials of service accounts for the REST API (SPEC §7). Only service accounts hold
-- them; the service that creates them checks the tier (a check here cannot see it).
--
-- API tokens: several per account, each named by its owner. The token itself is shown once
-- and never stored: `digest` is HMAC-SHA-256 of it under a key derived from the server's
-- secret key, so a copy of this table alone can neither use a token nor test guesses, and
-- it is the lookup key of every API request (hence unique). `display_prefix` (`wdn_` and
-- four random characters) is what lists show to tell tokens apart.
create table api_tokens (
    api_token_id bigint generated always as identity primary key,
    account_id bigint not null references accounts (account_id) on delete cascade,
    name text not null,
    display_prefix text not null,
    digest text not null,
    created_at bigint not null,
    -- Who created it; the token outlives its creator's account (the audit trail keeps the name).
    created_by bigint references accounts (account_id) on delete set null,
    -- Null: no expiry (the service refuses that when a maximum lifetime is configured).
    expires_at bigint,
    -- Where and when it last authenticated a request; may lag by as much as the request
    -- gate waits between writes (a write per request would cost every request).
    last_used_at bigint,
    last_used_address text,
    -- A revoked token is kept (revoked_at set) so lists and the audit trail can still name
    -- it; it is refused from its next request on.
    revoked_at bigint,
    check (expires_at is null or expires_at > created_at)
);
create unique index api_tokens_digest_key on api_tokens (digest);
create index api_tokens_account on api_tokens (account_id);

-- Client credentials: at most one client per service account. `client_id` (`wdc_…`) is no
-- secret and is shown on the console; the secret (`wds_…`) is stored as a digest like
-- tokens, and checked against this row (found by client_id), not looked up by its digest.
-- Rotating keeps the previous secret's digest valid until `previous_secret_expires_at`, so
-- an integration can switch to the new secret without an outage; both are set or neither.
create table api_clients (
    api_client_id bigint generated always as identity primary key,
    account_id bigint not null references accounts (account_id) on delete cascade,
    client_id text not null,
    secret_digest text not null,
    previous_secret_digest text,
    previous_secret_expires_at bigint,
    created_at bigint not null,
    rotated_at bigint,
    check ((previous_secret_digest is null) = (previous_secret_expires_at is null))
);
create unique index api_clients_account_key on api_clients (account_id);
create unique index api_clients_client_id_key on api_clients (client_id);
