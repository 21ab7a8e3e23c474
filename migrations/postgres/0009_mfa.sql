-- Multi-factor authentication (SPEC §5). A TOTP key is stored sealed with the server's
-- encryption key, which is never in the database; recovery codes are stored as hashes.
-- Rows go with their account.
create table mfa_secrets (
    account_id bigint primary key references accounts (account_id) on delete cascade,
    -- "v1:" + base64(nonce || XChaCha20-Poly1305 ciphertext), bound to the account id.
    secret text not null,
    -- Null while enrolment waits for its first code.
    enabled_at bigint,
    -- The last time step whose code was accepted: no code is accepted twice.
    last_step bigint not null default 0,
    created_at bigint not null
);

create table mfa_recovery_codes (
    account_id bigint not null references accounts (account_id) on delete cascade,
    code_hash text not null,
    used_at bigint,
    primary key (account_id, code_hash)
);
