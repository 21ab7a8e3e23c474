-- Each tenant's password policy (SPEC §2.3). `password_policy` is a preset of
-- domain::PasswordPreset: 'default' (SPEC §2.1: 8–30, lower + upper + digit or special),
-- 'strict' (12–64, the same rules) or 'modern' (ASVS 5.0: 15–128, no composition rules).
-- `password_refuse_guessable` turns the server's guessable-password check (zxcvbn) on for the
-- first two; 'modern' always has it, and is stored with 'on'. Existing tenants get 'default'
-- and 'off': exactly the rules they had.
alter table tenants add column password_policy text not null default 'default'
    check (password_policy in ('default', 'strict', 'modern'));
alter table tenants add column password_refuse_guessable text not null default 'off'
    check (password_refuse_guessable in ('off', 'on'));
