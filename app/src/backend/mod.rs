//! Server-only code, compiled with the `ssr` feature only (the WASM build never sees sqlx or
//! argon2). Three layers, each using only those below it:
//!
//! - [`services`]: what a request may read or change — authorize through the access model,
//!   apply the domain rules, write in one transaction with its audit record.
//! - [`security`]: sessions, password hashing and policy, TOTP, throttles, the request gate.
//! - [`store`]: the database: the pool and migrations, account rows, the audit trail, search
//!   terms, what accounts hold through roles.
//!
//! [`request`] is the value every service takes: who asks, from where, when. [`state`] is
//! the shared state built at start; [`context`] is how server functions reach
//! it and the request through Leptos's context; [`clock`] is the time.

pub mod clock;
pub mod context;
pub mod request;
pub mod security;
pub mod services;
pub mod state;
pub mod store;
