-- The audit trail (SPEC §8). Records name accounts and tenants as they were, without foreign
-- keys, so they outlive what they name. Nothing in Warden updates or deletes them, and the
-- database refuses it too.

create table audit_events (
    audit_event_id integer primary key,
    occurred_at bigint not null,
    tenant_id bigint,
    actor_account_id bigint,
    actor_username text,
    actor_tier text,
    action text not null,
    target_kind text,
    target_id bigint,
    target_label text,
    before_json text,
    after_json text,
    client_address text,
    outcome text not null check (outcome in ('success', 'failure', 'refused')),
    reason text
);
create index audit_events_time on audit_events (occurred_at, audit_event_id);
create index audit_events_tenant_time on audit_events (tenant_id, occurred_at, audit_event_id);

create trigger audit_events_are_never_updated before update on audit_events
begin
    select raise(abort, 'audit records cannot be changed');
end;

create trigger audit_events_are_never_deleted before delete on audit_events
begin
    select raise(abort, 'audit records cannot be deleted');
end;
