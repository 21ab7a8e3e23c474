-- Refused administrative attempts are audited (ASVS V16.3.2, V16.3.3), at most a few per
-- (actor, action, reason) and minute, so that a loop cannot flood the trail.
--
-- One row per (actor, action, reason): the current one-minute window, how many refusals it
-- has seen, and how many were not recorded since the last record that was (`pending`).
-- `reported` is what the latest upsert handed over to its record (the `pending` it found,
-- when it was allowed to write one; otherwise 0): set expressions read the row as it was,
-- so one atomic `insert … on conflict … do update … returning` both counts a refusal and
-- hands over the suppressed ones, whichever instance answers.
create table audit_refusal_windows (
    refusal_key text primary key,
    window_started_at bigint not null,
    in_window bigint not null,
    pending bigint not null,
    reported bigint not null
);

-- A refused record written after others of its kind were suppressed says how many.
alter table audit_events add column suppressed_before bigint;
