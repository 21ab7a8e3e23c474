-- The users list at a million accounts (SPEC §2): every sort order and every common filter
-- has an index that yields rows already in order, so a page is a short range scan whatever
-- its depth (keyset pagination). account_id, the tie-breaker of each order, is the last
-- column of each index.
create index accounts_full_name on accounts (lower(full_name), account_id);
create index accounts_tenant_username on accounts (tenant_id, lower(username), account_id);
create index accounts_tenant_email on accounts (tenant_id, lower(email), account_id);
create index accounts_tenant_full_name on accounts (tenant_id, lower(full_name), account_id);
create index accounts_tier_username on accounts (tier, lower(username), account_id);
create index accounts_status_username on accounts (status, lower(username), account_id);

-- Search terms: lower-cased username, email (whole and its local part's words), each word of
-- the full name and the external ID. A search word matches a term by prefix, through an
-- index range; the "C" collation (byte order) keeps prefix ranges exact whatever the
-- database's locale. Written by the server with each account change; removed with the account.
create table account_search_terms (
    term text collate "C" not null,
    account_id bigint not null references accounts (account_id) on delete cascade,
    tenant_id bigint,
    primary key (term, account_id)
);
create index account_search_terms_tenant on account_search_terms (tenant_id, term);
create index account_search_terms_account on account_search_terms (account_id);
