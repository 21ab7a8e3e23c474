-- Email addresses are unique as Warden folds them (domain::email_key: Unicode lower case), on
-- both databases alike. SQLite's lower() folds ASCII letters only, so 'émile@x' and
-- 'ÉMILE@x' could both exist. SQL cannot run Warden's folding, so the key is computed by
-- Warden and written with every change. Existing accounts get theirs at start-up
-- (accounts::backfill_email_keys): an account whose key another account already holds keeps
-- working without one, is reported, and must take its own address when next edited. A null
-- key is not constrained.
--
-- The unique index on lower(email) stays: every pair it refuses, the key refuses too (on
-- SQLite exactly; PostgreSQL's lower() follows the database's locale and may also fold a few
-- rare pairs, such as a dotted capital I, which are then refused as a field error as well),
-- it still guards writers that do not know the key (an older instance during a rolling
-- upgrade), and it orders the list by email.
alter table accounts add column email_key text;
create unique index accounts_email_folded_key on accounts (email_key);
