-- PostgreSQL's usernames and search terms now compare by code point (its 0008). SQLite's
-- text always has (BINARY): nothing to change. Kept so both databases number their
-- migrations alike.
select 1;
