//! Reusable pieces of the console.

pub mod auth;
pub mod form;
pub mod layout;
