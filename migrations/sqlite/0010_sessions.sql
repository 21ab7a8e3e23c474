-- Sessions that end on the server (SPEC §4): each signed session token names a row here.
-- Signing out deletes the row; a session unused for the idle period, or past its lifetime,
-- is refused and swept. Disabling an account or a tenant deletes its rows, so re-enabling
-- revives nothing.
create table sessions (
    session_id text primary key,
    account_id bigint not null references accounts (account_id) on delete cascade,
    created_at bigint not null,
    last_seen_at bigint not null,
    expires_at bigint not null
);
create index sessions_account on sessions (account_id);

-- A pending second sign-in step (password proven, MFA code awaited) is single-use: its row
-- is taken by the step that completes it.
create table mfa_pending_steps (
    step_id text primary key,
    account_id bigint not null references accounts (account_id) on delete cascade,
    expires_at bigint not null
);

-- sign_in_throttles.failures now counts attempts reserved before a secret is checked
-- (a right secret gives its reservation back).
