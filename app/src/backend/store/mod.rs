//! The database: SQL and rows, no permission logic.

pub mod accounts;
pub mod api_credentials;
pub mod audit;
pub mod db;
pub mod holdings;
pub mod search;
pub mod tenants;
