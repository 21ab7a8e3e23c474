//! Password hashing and random secrets.
//!
//! Argon2id runs on the blocking pool, never on the async worker threads, and through one
//! [`PasswordHasher`] that bounds it (SPEC §4): at most `concurrency` hashes run at once,
//! at most `queue` more wait (briefly), and anything beyond is refused at once with
//! [`AppError::Busy`] (503 and `Retry-After`) instead of growing memory. Each running hash
//! borrows one of at most `concurrency` reusable 19 MiB work areas, which are released when
//! hashing has been idle for a while, so a burst of requests leaves no memory behind.

use crate::error::AppError;
use argon2::password_hash::{rand_core::OsRng, Output, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use subtle::ConstantTimeEq;
use tokio::sync::Semaphore;

/// SPEC §2.3: Argon2id with m = 19 MiB, t = 2, p = 1.
fn params() -> Params {
    #[allow(clippy::expect_used)] // constant, valid parameters
    Params::new(19 * 1024, 2, 1, None).expect("valid Argon2 parameters")
}

fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params())
}

/// A well-formed hash with the same cost as real ones: what an unknown account's password
/// is checked against, so that every failure costs the same work.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0Jv7k0w0ZxYxvZz7nKj8F1Q0k1Vh3dFf0t0yQ7mXb3E";

/// How much password hashing may run and wait at once.
#[derive(Debug, Clone, Copy)]
pub struct HashLimits {
    /// Hashes running at once (default: the number of cores).
    pub concurrency: usize,
    /// Requests that may wait for a free slot; more are refused at once.
    pub queue: usize,
    /// How long a waiting request waits before it is refused.
    pub wait: Duration,
}

impl Default for HashLimits {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        HashLimits {
            concurrency: cores,
            queue: 16 * cores,
            wait: Duration::from_secs(3),
        }
    }
}

/// Seconds a refused request is told to wait before trying again.
const BUSY_RETRY_AFTER_SECS: i64 = 2;
/// Work areas are released after hashing has been idle this long.
const IDLE_RELEASE_SECS: i64 = 10;

/// The one way Warden hashes and checks passwords: bounded in concurrency and memory.
#[derive(Clone)]
pub struct PasswordHasher(Arc<HasherInner>);

struct HasherInner {
    limits: HashLimits,
    /// Permits to be running or waiting: `concurrency + queue`.
    admitted: Arc<Semaphore>,
    /// Permits to run: `concurrency`.
    running: Arc<Semaphore>,
    /// Work areas not in use, at most `concurrency` of them.
    spare: Mutex<Vec<Vec<Block>>>,
    /// When a hash last finished (Unix seconds).
    last_used: AtomicI64,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("limits", &self.0.limits)
            .finish_non_exhaustive()
    }
}

impl Default for PasswordHasher {
    fn default() -> Self {
        PasswordHasher::new(HashLimits::default())
    }
}

/// A hash's right to run, and the work area it uses; both are returned when it is dropped.
struct Slot {
    inner: Arc<HasherInner>,
    blocks: Vec<Block>,
    _running: tokio::sync::OwnedSemaphorePermit,
    _admitted: Option<tokio::sync::OwnedSemaphorePermit>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let blocks = std::mem::take(&mut self.blocks);
        if let Ok(mut spare) = self.inner.spare.lock() {
            if spare.len() < self.inner.limits.concurrency {
                spare.push(blocks);
            }
        }
        self.inner
            .last_used
            .store(crate::backend::clock::now(), Ordering::Relaxed);
    }
}

impl PasswordHasher {
    pub fn new(limits: HashLimits) -> Self {
        let limits = HashLimits {
            concurrency: limits.concurrency.max(1),
            ..limits
        };
        PasswordHasher(Arc::new(HasherInner {
            admitted: Arc::new(Semaphore::new(limits.concurrency + limits.queue)),
            running: Arc::new(Semaphore::new(limits.concurrency)),
            spare: Mutex::new(Vec::new()),
            last_used: AtomicI64::new(0),
            limits,
        }))
    }

    pub fn limits(&self) -> HashLimits {
        self.0.limits
    }

    /// A slot to hash in: at once if one is free, after a short wait in the bounded queue,
    /// or `Busy`. `bulk` work (an administrator's import) waits its turn without the queue's
    /// bound or deadline: it is one request, hashing one row after another.
    async fn slot(&self, bulk: bool) -> Result<Slot, AppError> {
        let busy = || AppError::Busy {
            retry_after_secs: BUSY_RETRY_AFTER_SECS,
        };
        let admitted = if bulk {
            None
        } else {
            Some(self.0.admitted.clone().try_acquire_owned().map_err(|_| {
                tracing::warn!("password hashing is saturated; a request was refused");
                busy()
            })?)
        };
        let running = if bulk {
            self.0
                .running
                .clone()
                .acquire_owned()
                .await
                .map_err(|_| busy())?
        } else {
            tokio::time::timeout(self.0.limits.wait, self.0.running.clone().acquire_owned())
                .await
                .map_err(|_| {
                    tracing::warn!("password hashing queue timed out; a request was refused");
                    busy()
                })?
                .map_err(|_| busy())?
        };
        let blocks = self
            .0
            .spare
            .lock()
            .ok()
            .and_then(|mut spare| spare.pop())
            .unwrap_or_default();
        Ok(Slot {
            inner: self.0.clone(),
            blocks,
            _running: running,
            _admitted: admitted,
        })
    }

    /// Hashes a new password (PHC string with its own random salt).
    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        self.hash_with(password, false).await
    }

    /// Like [`hash`](Self::hash), for bulk work by one signed-in administrator (imports):
    /// waits for a slot instead of being refused.
    pub async fn hash_in_bulk(&self, password: String) -> Result<String, AppError> {
        self.hash_with(password, true).await
    }

    async fn hash_with(&self, password: String, bulk: bool) -> Result<String, AppError> {
        let mut slot = self.slot(bulk).await?;
        blocking(move || hash_blocking(&password, &mut slot.blocks)).await?
    }

    /// Checks `password` against `hash`; with no hash (unknown account, or one without a
    /// password) it checks against a dummy hash so that every failure costs the same.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, AppError> {
        let mut slot = self.slot(false).await?;
        blocking(move || match hash {
            Some(hash) => verify_blocking(&password, &hash, &mut slot.blocks),
            None => {
                let _ = verify_blocking(&password, DUMMY_HASH, &mut slot.blocks);
                false
            }
        })
        .await
    }

    /// Releases the spare work areas when no hash has run for a while. Called periodically
    /// by the server; returns how many were released.
    pub fn release_idle_memory(&self, now: i64) -> usize {
        if now - self.0.last_used.load(Ordering::Relaxed) < IDLE_RELEASE_SECS {
            return 0;
        }
        match self.0.spare.lock() {
            Ok(mut spare) => std::mem::take(&mut *spare).len(),
            Err(_) => 0,
        }
    }

    /// Work areas currently kept for reuse (for tests and measurements).
    pub fn spare_work_areas(&self) -> usize {
        self.0.spare.lock().map_or(0, |s| s.len())
    }
}

/// `blocks` sized for `params` (grown only when a stored hash asks for more memory).
fn work_area(blocks: &mut Vec<Block>, params: &Params) {
    if blocks.len() < params.block_count() {
        *blocks = vec![Block::default(); params.block_count()];
    }
}

fn hash_blocking(password: &str, blocks: &mut Vec<Block>) -> Result<String, AppError> {
    let failed = |e: &dyn std::fmt::Display| {
        tracing::error!(error = %e, "password hashing failed");
        AppError::Internal
    };
    let params = params();
    work_area(blocks, &params);
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_raw = salt.decode_b64(&mut salt_bytes).map_err(|e| failed(&e))?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    argon2()
        .hash_password_into_with_memory(password.as_bytes(), salt_raw, &mut out, &mut blocks[..])
        .map_err(|e| failed(&e))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: (&params).try_into().map_err(|e| failed(&e))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| failed(&e))?),
    };
    Ok(phc.to_string())
}

fn verify_blocking(password: &str, hash: &str, blocks: &mut Vec<Block>) -> bool {
    let malformed = |e: &dyn std::fmt::Display| {
        tracing::error!(error = %e, "stored password hash is malformed");
        false
    };
    let parsed = match PasswordHash::new(hash) {
        Ok(parsed) => parsed,
        Err(e) => return malformed(&e),
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return malformed(&"no salt or no hash");
    };
    let algorithm = match Algorithm::try_from(parsed.algorithm) {
        Ok(a) => a,
        Err(e) => return malformed(&e),
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(e) => return malformed(&e),
    };
    let params = match Params::try_from(&parsed) {
        Ok(p) => p,
        Err(e) => return malformed(&e),
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt_raw) = salt.decode_b64(&mut salt_bytes) else {
        return malformed(&"salt is not base64");
    };
    work_area(blocks, &params);
    let mut out = vec![0u8; expected.len()];
    let argon = Argon2::new(algorithm, version, params);
    if let Err(e) = argon.hash_password_into_with_memory(
        password.as_bytes(),
        salt_raw,
        &mut out,
        &mut blocks[..],
    ) {
        // An over-long password, say: no match.
        tracing::debug!(error = %e, "password could not be hashed for comparison");
        return false;
    }
    out.as_slice().ct_eq(expected.as_bytes()).into()
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        tracing::error!(error = %e, "blocking task failed");
        AppError::Internal
    })
}

/// `bytes` random bytes, URL-safe base64 without padding.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// SHA-256 of a high-entropy token, hex: how one-time tokens are stored.
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    hex::encode(digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_nothing_else() {
        let hasher = PasswordHasher::default();
        let hash = hasher.hash("Correct1horse".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(hasher
            .verify("Correct1horse".into(), Some(hash.clone()))
            .await
            .unwrap());
        assert!(!hasher
            .verify("correct1horse".into(), Some(hash))
            .await
            .unwrap());
    }

    #[tokio::test]
    async fn hashes_made_by_the_argon2_crate_itself_still_verify() {
        use argon2::password_hash::PasswordHasher as _;
        let salt = SaltString::generate(&mut OsRng);
        let theirs = argon2()
            .hash_password(b"Correct1horse", &salt)
            .unwrap()
            .to_string();
        let hasher = PasswordHasher::default();
        assert!(hasher
            .verify("Correct1horse".into(), Some(theirs.clone()))
            .await
            .unwrap());
        assert!(!hasher.verify("wrong".into(), Some(theirs)).await.unwrap());
    }

    #[tokio::test]
    async fn an_unknown_account_never_verifies() {
        let hasher = PasswordHasher::default();
        assert!(!hasher.verify("anything".into(), None).await.unwrap());
        assert!(!hasher
            .verify("anything".into(), Some("not a hash".into()))
            .await
            .unwrap());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn beyond_the_running_and_waiting_bound_requests_are_refused_as_busy() {
        let hasher = PasswordHasher::new(HashLimits {
            concurrency: 1,
            queue: 1,
            wait: Duration::from_secs(30),
        });
        let attempts: Vec<_> = (0..6)
            .map(|_| {
                let h = hasher.clone();
                tokio::spawn(async move { h.verify("x".into(), None).await })
            })
            .collect();
        let mut busy = 0;
        let mut done = 0;
        for a in attempts {
            match a.await.unwrap() {
                Err(AppError::Busy { retry_after_secs }) => {
                    assert!(retry_after_secs > 0);
                    busy += 1
                }
                Ok(_) => done += 1,
                Err(other) => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(done + busy, 6);
        assert!(
            busy >= 4,
            "one running and one waiting at most: {busy} refused"
        );
        // Work areas are kept for reuse, never more than the concurrency, and let go when idle.
        assert!(hasher.spare_work_areas() <= 1);
        assert_eq!(hasher.release_idle_memory(crate::backend::clock::now()), 0);
        let later = crate::backend::clock::now() + IDLE_RELEASE_SECS + 1;
        assert_eq!(hasher.release_idle_memory(later), 1);
        assert_eq!(hasher.spare_work_areas(), 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_waiting_request_is_refused_after_the_wait() {
        let hasher = PasswordHasher::new(HashLimits {
            concurrency: 1,
            queue: 8,
            wait: Duration::from_millis(1),
        });
        let results = futures_join(&hasher, 4).await;
        assert!(results
            .iter()
            .any(|r| matches!(r, Err(AppError::Busy { .. }))));
        assert!(results.iter().any(|r| r.is_ok()));
    }

    async fn futures_join(hasher: &PasswordHasher, n: usize) -> Vec<Result<bool, AppError>> {
        let handles: Vec<_> = (0..n)
            .map(|_| {
                let h = hasher.clone();
                tokio::spawn(async move { h.verify("x".into(), None).await })
            })
            .collect();
        let mut out = Vec::new();
        for h in handles {
            out.push(h.await.unwrap());
        }
        out
    }

    #[tokio::test]
    async fn bulk_hashing_waits_instead_of_being_refused() {
        let hasher = PasswordHasher::new(HashLimits {
            concurrency: 1,
            queue: 0,
            wait: Duration::from_millis(1),
        });
        let a = hasher.clone();
        let b = hasher.clone();
        let (x, y) = tokio::join!(
            a.hash_in_bulk("Abcdefg1".into()),
            b.hash_in_bulk("Abcdefg2".into())
        );
        assert!(x.is_ok() && y.is_ok());
    }

    #[test]
    fn tokens_are_random_and_hashes_stable() {
        let a = random_token(32);
        assert_ne!(a, random_token(32));
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash("x"), token_hash("x"));
        assert_eq!(token_hash("x").len(), 64);
    }
}
