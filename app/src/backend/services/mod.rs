//! What a caller may read or change: every service authorizes through the access model,
//! applies the domain rules and writes in one transaction with its audit record. The
//! server functions (and the REST API) only wire a request to one of these.

pub mod audit_log;
pub mod auth;
pub mod change;
pub mod credentials;
pub mod directory;
pub mod import;
pub mod mfa;
pub mod outbox;
pub mod outbox_admin;
pub mod refusals;
pub mod roles;
pub mod setup;
pub mod tenants;
pub mod users;
