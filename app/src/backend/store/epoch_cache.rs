//! In-process caches of what the database said, valid while nothing has changed (issue 13,
//! "Tests and figures"): an API request in the common case costs no query.
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
//! What changes with time alone (an expiry) is for the reader to check on every use.
//!
//! **Bound.** Each cache holds at most its capacity; when full, it is emptied (simple, and a
//! deployment with more entries than that in active use merely loses the speed-up). A change
//! of epoch empties it too, on the next use.

use crate::backend::store::db::{internal, Db};
use crate::backend::FastMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::Duration;

/// The longest an entry is used, whatever the epoch says (a backstop: see the module's
/// documentation).
pub const MAX_AGE_SECS: i64 = 60;

/// How often [`watch_changes`] reads the newest audit record.
pub const WATCH_EVERY: Duration = Duration::from_millis(500);

struct Entry<V> {
    value: V,
    epoch: u64,
    read_at: i64,
}

struct Entries<K, V> {
    /// The epoch the entries were read under.
    epoch: u64,
    map: FastMap<K, Entry<V>>,
}

/// What was read, by `K`, while the change epoch stays the same.
pub struct EpochCache<K, V> {
    capacity: usize,
    entries: Mutex<Entries<K, V>>,
}

/// Shows the bound only: what is cached is nobody's business in a log.
impl<K, V> std::fmt::Debug for EpochCache<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EpochCache")
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl<K: Eq + Hash, V: Clone> EpochCache<K, V> {
    pub fn with_capacity(capacity: usize) -> Self {
        EpochCache {
            capacity: capacity.max(1),
            entries: Mutex::new(Entries {
                epoch: 0,
                map: FastMap::default(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries<K, V>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The entry for `key`, if it was read under `epoch` (the current one) less than
    /// [`MAX_AGE_SECS`] before `now`. Entries of an earlier epoch are all dropped.
    pub fn get(&self, key: &K, epoch: u64, now: i64) -> Option<V> {
        let mut entries = self.lock();
        if entries.epoch != epoch {
            entries.map.clear();
            entries.epoch = epoch;
            return None;
        }
        let entry = entries.map.get(key)?;
        if entry.epoch == epoch && now - entry.read_at < MAX_AGE_SECS && now >= entry.read_at {
            Some(entry.value.clone())
        } else {
            entries.map.remove(key);
            None
        }
    }

    /// Keeps what was read under `epoch` (read before the reading began) at `now`. Nothing
    /// is kept when the epoch has moved on since: the reading may predate a change.
    pub fn put(&self, key: K, value: V, epoch: u64, now: i64) {
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
            Entry {
                value,
                epoch,
                read_at: now,
            },
        );
    }

    /// Changes the entry for `key` in place, if there is one.
    pub fn update(&self, key: &K, change: impl FnOnce(&mut V)) {
        if let Some(entry) = self.lock().map.get_mut(key) {
            change(&mut entry.value);
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

/// The cached value of `key` under `db`'s current epoch, or `read`'s (kept unless a change
/// was made while it read).
pub async fn cached<K, V, E, F>(
    cache: &EpochCache<K, V>,
    db: &Db,
    key: K,
    now: i64,
    read: F,
) -> Result<V, E>
where
    K: Eq + Hash,
    V: Clone,
    F: std::future::Future<Output = Result<V, E>>,
{
    // Read before anything is looked up: a change committed meanwhile moves it on, and what
    // was read is then not kept.
    let epoch = db.change_epoch();
    if let Some(value) = cache.get(&key, epoch, now) {
        return Ok(value);
    }
    let value = read.await?;
    cache.put(key, value.clone(), epoch, now);
    Ok(value)
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

    #[test]
    fn the_cache_never_holds_more_than_its_bound() {
        let cache = EpochCache::<usize, usize>::with_capacity(100);
        for i in 0..1_000 {
            cache.put(i, i, 0, 10);
            assert!(cache.len() <= 100, "{} entries after {i}", cache.len());
        }
        // The newest is kept; most of the oldest are gone.
        assert_eq!(cache.get(&999, 0, 10), Some(999));
        assert!(cache.get(&0, 0, 10).is_none());
    }

    #[test]
    fn an_entry_is_used_only_under_its_epoch_and_for_its_time() {
        let cache = EpochCache::<u8, &str>::with_capacity(10);
        cache.put(1, "robot", 3, 100);
        assert_eq!(cache.get(&1, 3, 100), Some("robot"));
        assert_eq!(cache.get(&1, 3, 100 + MAX_AGE_SECS - 1), Some("robot"));
        assert!(cache.get(&1, 3, 100 + MAX_AGE_SECS).is_none(), "too old");
        assert!(
            cache.get(&1, 3, 99).is_none(),
            "from the future: the clock went back"
        );
        cache.put(1, "robot", 3, 200);
        assert!(cache.get(&1, 4, 200).is_none(), "the epoch moved");
        assert!(cache.get(&1, 4, 200).is_none(), "and it was dropped");
        assert!(cache.is_empty());
        // A reading that began before the epoch moved is not kept.
        cache.put(1, "stale", 3, 200);
        assert!(cache.get(&1, 4, 200).is_none());
        assert!(cache.is_empty());
    }

    #[test]
    fn an_entry_is_changed_in_place() {
        let cache = EpochCache::<u8, i64>::with_capacity(10);
        cache.put(1, 100, 0, 100);
        cache.update(&1, |v| *v = 150);
        cache.update(&2, |v| *v = 999);
        assert_eq!(cache.get(&1, 0, 120), Some(150));
        assert!(cache.get(&2, 0, 120).is_none());
    }
}
