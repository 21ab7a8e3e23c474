//! The database: SQL and rows, no permission logic.

pub mod accounts;
pub mod api_credentials;
pub mod audit;
pub mod db;
pub mod epoch_cache;
pub mod holdings;
pub mod hot;
pub mod outbox;
pub mod search;
pub mod tenants;
