//! The in-process cache of API credentials (issue 13, "Tests and figures"): what an API
//! credential proved (its service account and what that account holds) kept in memory, so
//! that authenticating a REST request costs no query in the common case instead of four.
//! Valid while the change epoch stays the same (see [`crate::backend::store::epoch_cache`]);
//! what changes with time alone is still checked on every request against the cached values:
//! a token's expiry, the account's expiry (and an access token's, from its claims).

use crate::backend::store::epoch_cache::EpochCache;

/// The most entries kept.
pub const CAPACITY: usize = 10_000;

/// What a cached identity is found by.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum CacheKey {
    /// An API token, by its keyed digest (never the token itself).
    Token([u8; 32]),
    /// An access token's client and account (the token itself is verified on every request).
    Client { api_client_id: i64, account_id: i64 },
}

impl std::fmt::Debug for CacheKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CacheKey::Token(_) => f.write_str("Token(…)"),
            CacheKey::Client {
                api_client_id,
                account_id,
            } => write!(f, "Client({api_client_id}, {account_id})"),
        }
    }
}

/// What a credential proved (`V`: the identity, `Arc<SignedIn>` in the server).
#[derive(Clone)]
pub struct Proven<V> {
    pub identity: V,
    /// An API token's expiry (Unix seconds), checked on every use; `None`: never (or an
    /// access token, whose expiry is in its claims).
    pub token_expires_at: Option<i64>,
    /// An API token's last recorded use, so that it is written at most once a minute.
    pub last_used_at: Option<i64>,
}

/// The cache, kept in the `AppState`.
pub type CredentialCache<V> = EpochCache<CacheKey, Proven<V>>;

/// A cache of [`CAPACITY`] entries.
pub fn new_cache<V: Clone>() -> CredentialCache<V> {
    EpochCache::with_capacity(CAPACITY)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A distinct digest for each `i`.
    fn token_key(i: usize) -> [u8; 32] {
        let mut key = [0; 32];
        key[..8].copy_from_slice(&(i as u64).to_le_bytes());
        key
    }

    #[test]
    fn the_default_bound_is_the_documented_one() {
        let full = new_cache::<usize>();
        for i in 0..CAPACITY + 1 {
            let proven = Proven {
                identity: i,
                token_expires_at: None,
                last_used_at: None,
            };
            full.put(CacheKey::Token(token_key(i)), proven, 0, 10);
        }
        assert!(full.len() <= CAPACITY);
        let newest = CacheKey::Token(token_key(CAPACITY));
        assert!(full.get(&newest, 0, 10).is_some());
    }

    #[test]
    fn a_key_is_never_printed() {
        let key = CacheKey::Token([0xab; 32]);
        let printed = format!("{key:?}");
        assert!(
            !printed.contains("ab") && !printed.contains("171"),
            "{printed}"
        );
    }
}
