-- Disabling keeps the status it replaced, so enabling restores it (an account that still
-- had to change its password keeps having to).
alter table accounts add column status_before_disable text;
