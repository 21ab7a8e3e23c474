-- The outbox (SPEC §6, §9): every message Warden sends (email now, webhooks later) is written
-- here in the same transaction as the change that causes it, then delivered by a background
-- worker, retried with backoff while the receiver is unreachable. Nothing is lost when the
-- mail server is down, and a change that rolls back sends nothing.
create table outbox (
    message_id integer primary key,
    -- What kind of delivery: 'email' (issue 15); webhooks will add theirs (checked by the code).
    kind text not null,
    -- The tenant it concerns (null: the platform); kept when the tenant goes, for the view.
    tenant_id bigint references tenants (tenant_id) on delete set null,
    -- Where it goes (an email address) and what it is about (the subject line): what the
    -- outbox view shows. Neither is secret.
    recipient text not null,
    summary text not null,
    -- The message itself, sealed with the server's encryption key (it may hold a link's
    -- secret): only the worker opens it. Erased once the message is sent.
    payload text,
    -- queued: waiting for its next attempt (or in one: see lease_until); sent; failed: refused
    -- for good by the receiving server, or out of attempts (last_error says which).
    status text not null default 'queued' check (status in ('queued', 'sent', 'failed')),
    attempts bigint not null default 0,
    next_attempt_at bigint not null,
    -- An instance that claims a message holds it until lease_until; if it dies mid-send the
    -- lease runs out and another instance takes the message up again.
    lease_owner text,
    lease_until bigint,
    last_error text,
    created_at bigint not null,
    sent_at bigint,
    check ((status = 'sent') = (sent_at is not null)),
    check (status = 'queued' or lease_owner is null)
);
-- What the worker looks for: queued messages due now.
create index outbox_due on outbox (next_attempt_at) where status = 'queued';
-- The view: newest first, by status.
create index outbox_by_status on outbox (status, created_at);
