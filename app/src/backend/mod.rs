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
//! [`FastMap`] is the map of what is kept in memory and consulted on every API request.

pub mod clock;
pub mod context;
pub mod request;
pub mod security;
pub mod services;
pub mod state;
pub mod store;

/// A hash map for what is kept in memory and consulted on every REST API request (the
/// credential and hot-read caches, the rate limit, the block list): foldhash instead of
/// SipHash, several times faster on these short keys and still seeded per process. Each
/// such map is bounded in size, and its keys are digests, ids, addresses or names of
/// accounts that exist, so a caller cannot fill one with chosen collisions.
pub type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
