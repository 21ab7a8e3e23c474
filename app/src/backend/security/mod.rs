//! Proving who is asking, and bounding what guessing costs: sessions and their cookies,
//! password hashing and policy, TOTP keys and codes, attempt throttles, the request gate.

pub mod api_auth;
pub mod api_rate;
pub mod credential_cache;
pub mod credentials;
pub mod crypto;
pub mod gate;
pub mod passwords;
pub mod sessions;
pub mod throttle;
pub mod totp;
