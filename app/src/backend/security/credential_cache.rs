//! The in-process cache of API credentials (issue 13, "Tests and figures"): what an API
//! credential proved (its service account and what that account holds) kept in memory, so
//! that a REST request costs no query in the common case instead of four.
//!
//! **Validity.** An entry is used only while the instance's change epoch
//! ([`Db::change_epoch`]) is the one it was read under, and for at most [`MAX_AGE_SECS`].
//! The epoch moves:
//! - on this instance, as soon as any audited change commits ([`Db::note_change`], called by
//!   `services::change::Change::commit` and the few changes that write their own record), so
//!   a revoked token, a disabled account or tenant, or a role change is seen on the very next
//!   request;
//! - for changes made by other instances, when [`watch_changes`] sees the newest audit
//!   record move (it reads `max(audit_event_id)` every [`WATCH_EVERY`]; every change writes
//!   one), so they are seen within about a second. On PostgreSQL a transaction may commit
//!   after one holding a higher id; the watcher therefore bumps the epoch once more on the
//!   poll after any movement, and [`MAX_AGE_SECS`] bounds what slips past both.
//!
//! What changes with time alone is still checked on every request against the cached
//! values: a token's expiry, the account's expiry (and an access token's, from its claims).
//!
//! **Bound.** At most [`CAPACITY`] entries; when full, the cache is emptied (simple, and a
//! deployment with more live credentials than that in active use merely loses the speed-up).
//! A change of epoch empties it too, on the next use.

use crate::backend::store::db::{internal, Db};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// The most entries kept.
pub const CAPACITY: usize = 10_000;

/// The longest an entry is used, whatever the epoch says (a backstop: see the module's
/// documentation).
pub const MAX_AGE_SECS: i64 = 60;

/// How often [`watch_changes`] reads the newest audit record.
pub const WATCH_EVERY: Duration = Duration::from_millis(500);

/// What a cached identity is found by.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum CacheKey {
    /// An API token, by its keyed digest (never the token itself).
    Token(String),
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

/// What a credential proved (`V`: the identity, `Arc<SignedIn>` in the server), as read at
/// `read_at` under `epoch`.
#[derive(Clone)]
pub struct Cached<V> {
    pub identity: V,
    /// An API token's expiry (Unix seconds), checked on every use; `None`: never (or an
    /// access token, whose expiry is in its claims).
    pub token_expires_at: Option<i64>,
    /// An API token's last recorded use, so that it is written at most once a minute.
    pub last_used_at: Option<i64>,
    epoch: u64,
    read_at: i64,
}

struct Entries<V> {
    /// The epoch the entries were read under.
    epoch: u64,
    map: HashMap<CacheKey, Cached<V>>,
}

/// The cache, kept in the `AppState` (`V`: what a credential proved).
pub struct CredentialCache<V> {
    capacity: usize,
    entries: Mutex<Entries<V>>,
}

/// Shows the bound only: what is cached is nobody's business in a log.
impl<V> std::fmt::Debug for CredentialCache<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialCache")
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl<V: Clone> Default for CredentialCache<V> {
    fn default() -> Self {
        CredentialCache::with_capacity(CAPACITY)
    }
}

impl<V: Clone> CredentialCache<V> {
    pub fn with_capacity(capacity: usize) -> Self {
        CredentialCache {
            capacity: capacity.max(1),
            entries: Mutex::new(Entries {
                epoch: 0,
                map: HashMap::new(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries<V>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The entry for `key`, if it was read under `epoch` (the current one) less than
    /// [`MAX_AGE_SECS`] before `now`. Entries of an earlier epoch are all dropped.
    pub fn get(&self, key: &CacheKey, epoch: u64, now: i64) -> Option<Cached<V>> {
        let mut entries = self.lock();
        if entries.epoch != epoch {
            entries.map.clear();
            entries.epoch = epoch;
            return None;
        }
        let cached = entries.map.get(key)?;
        if cached.epoch == epoch && now - cached.read_at < MAX_AGE_SECS && now >= cached.read_at {
            Some(cached.clone())
        } else {
            entries.map.remove(key);
            None
        }
    }

    /// Keeps what was read under `epoch` (read before the reading began) at `now`. Nothing
    /// is kept when the epoch has moved on since: the reading may predate a change.
    pub fn put(
        &self,
        key: CacheKey,
        identity: V,
        token_expires_at: Option<i64>,
        last_used_at: Option<i64>,
        epoch: u64,
        now: i64,
    ) {
        let mut entries = self.lock();
        if entries.epoch != epoch {
            if epoch < entries.epoch {
                return;
            }
            entries.map.clear();
            entries.epoch = epoch;
        }
        if entries.map.len() >= self.capacity && !entries.map.contains_key(&key) {
            entries.map.clear();
        }
        entries.map.insert(
            key,
            Cached {
                identity,
                token_expires_at,
                last_used_at,
                epoch,
                read_at: now,
            },
        );
    }

    /// Notes an API token's use written at `at`, so the next write waits a minute.
    pub fn touched(&self, key: &CacheKey, at: i64) {
        if let Some(cached) = self.lock().map.get_mut(key) {
            cached.last_used_at = Some(at);
        }
    }

    /// How many entries are kept now.
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The newest audit record's id (0 when there is none).
pub async fn newest_audit_event(db: &Db) -> Result<i64, crate::error::AppError> {
    let newest: Option<i64> = sqlx::query_scalar("select max(audit_event_id) from audit_events")
        .fetch_one(db.pool())
        .await
        .map_err(internal("read the newest audit record"))?;
    Ok(newest.unwrap_or(0))
}

/// Watches for changes made by other instances, for as long as the server runs: every
/// [`WATCH_EVERY`], reads the newest audit record's id and bumps the change epoch when it
/// moved (and once more on the next poll, for a transaction that committed late with a
/// lower id). A failed read bumps it too (nothing is trusted that could not be checked).
pub async fn watch_changes(db: Db) {
    let mut last: Option<i64> = None;
    let mut settle = false;
    let mut ticks = tokio::time::interval(WATCH_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match newest_audit_event(&db).await {
            Ok(newest) => {
                let moved = last.is_some_and(|seen| seen != newest);
                if moved || settle {
                    db.note_change();
                }
                settle = moved;
                last = Some(newest);
            }
            Err(error) => {
                tracing::warn!(?error, "could not read the newest audit record");
                db.note_change();
                last = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(i: usize) -> CacheKey {
        CacheKey::Token(format!("digest-{i}"))
    }

    #[test]
    fn the_cache_never_holds_more_than_its_bound() {
        let cache = CredentialCache::<usize>::with_capacity(100);
        for i in 0..1_000 {
            cache.put(token(i), i, None, None, 0, 10);
            assert!(cache.len() <= 100, "{} entries after {i}", cache.len());
        }
        // The newest is kept; most of the oldest are gone.
        assert_eq!(cache.get(&token(999), 0, 10).map(|c| c.identity), Some(999));
        assert!(cache.get(&token(0), 0, 10).is_none());
        // The default bound is the documented one.
        let full = CredentialCache::<usize>::default();
        for i in 0..CAPACITY + 1 {
            full.put(token(i), i, None, None, 0, 10);
        }
        assert!(full.len() <= CAPACITY);
        assert!(full.get(&token(CAPACITY), 0, 10).is_some());
    }

    #[test]
    fn an_entry_is_used_only_under_its_epoch_and_for_its_time() {
        let cache = CredentialCache::<&str>::with_capacity(10);
        let key = CacheKey::Client {
            api_client_id: 1,
            account_id: 2,
        };
        cache.put(key.clone(), "robot", Some(500), None, 3, 100);
        assert_eq!(cache.get(&key, 3, 100).map(|c| c.identity), Some("robot"));
        assert_eq!(
            cache.get(&key, 3, 100).and_then(|c| c.token_expires_at),
            Some(500)
        );
        assert!(cache.get(&key, 3, 100 + MAX_AGE_SECS).is_none(), "too old");
        cache.put(key.clone(), "robot", None, None, 3, 200);
        assert!(cache.get(&key, 4, 200).is_none(), "the epoch moved");
        assert!(cache.get(&key, 4, 200).is_none(), "and it was dropped");
        assert!(cache.is_empty());
        // A reading that began before the epoch moved is not kept.
        cache.put(key.clone(), "stale", None, None, 3, 200);
        assert!(cache.get(&key, 4, 200).is_none());
        assert!(cache.is_empty());
    }

    #[test]
    fn a_use_is_remembered_and_a_key_never_printed() {
        let cache = CredentialCache::<u8>::with_capacity(10);
        let key = CacheKey::Token("secret-digest".into());
        cache.put(key.clone(), 1, None, None, 0, 100);
        cache.touched(&key, 150);
        assert_eq!(
            cache.get(&key, 0, 150).and_then(|c| c.last_used_at),
            Some(150)
        );
        assert!(!format!("{key:?}").contains("secret-digest"));
    }
}
