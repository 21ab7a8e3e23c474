-- Usernames and search terms compare by code point ("C"), whatever the database's own
-- collation, as SQLite's text already does:
-- - The order is the same on both databases and on every PostgreSQL server. Usernames are
--   ASCII letters, digits and "_" (SPEC §2.1), so under C.UTF-8 nothing moves.
-- - Search prefixes are index ranges [word, next word): only code point order makes such a
--   range hold exactly the terms starting with the word (a linguistic collation such as
--   en_US ignores punctuation at first).
-- - Sorting is several times faster: PostgreSQL compares C strings with memcmp and
--   abbreviated keys, where any other libc collation goes through strcoll (found by the
--   million-account benchmark: sorting the 17,885 accounts matching "smith" took 14 ms).
-- Indexes on these columns, and on lower(username), are rebuilt with the new collation.
alter table accounts alter column username type text collate "C";
alter table account_search_terms alter column term type text collate "C";
alter table account_search_terms alter column username_key type text collate "C";
