-- Found by the million-account benchmark (BENCHMARKS.md):
-- - a common search word is checked per account while walking the list's order, which needs
--   the terms of one account by prefix: (account_id, term) replaces (account_id);
-- - a tenant administrator filtering by type or status walked the whole tenant.
drop index account_search_terms_account;
create index account_search_terms_account on account_search_terms (account_id, term);
create index accounts_tenant_tier_username on accounts (tenant_id, tier, lower(username), account_id);
create index accounts_tenant_status_username on accounts (tenant_id, status, lower(username), account_id);
