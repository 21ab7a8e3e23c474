-- Found by the million-account benchmark (BENCHMARKS.md): a platform-wide search for a common
-- word ("smith", "james smith") read every matching account to sort them. Each search term
-- now carries its account's lower-cased username (usernames are ASCII, so this equals
-- lower(username) on the accounts table), so a page in username order is ranked from this
-- index alone and only its 51 accounts are read. Terms in account order already rank through
-- the primary key (term, account_id).
alter table account_search_terms add column username_key text not null default '';
update account_search_terms
   set username_key = (select lower(a.username) from accounts a
                        where a.account_id = account_search_terms.account_id);
create index account_search_terms_rank on account_search_terms (term, username_key, account_id);
