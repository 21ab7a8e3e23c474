//! Per-credential request limits of the REST API (issue 13 §3): each API token and each
//! client's access tokens may make so many requests a minute, with a burst of ten seconds'
//! worth; past it, requests are refused with 429 and `Retry-After` until the credential is
//! back within its rate. One integration that loops cannot starve the others, nor the
//! console.
//!
//! The generic cell rate algorithm: per credential, one instant (the "theoretical arrival
//! time" of its next request); a request is admitted while that instant is less than a
//! burst ahead of now, and moves it one interval on. Counted per instance (a deployment of
//! several instances behind a load balancer allows each its rate), in memory: a restart
//! forgets nothing that matters (a credential then starts with a full burst).
//!
//! **Bound.** At most [`CAPACITY`] credentials are remembered; past it, those back at a full
//! burst (the same as not remembered) are forgotten, and if that is not enough, all are.

use crate::backend::security::sessions::Credential;
use crate::backend::FastMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The most credentials remembered before forgetting those at a full burst.
pub const CAPACITY: usize = 10_000;

/// How many seconds' worth of requests may come at once.
pub const BURST_SECS: u32 = 10;

/// What a credential is counted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Counted {
    Token(i64),
    Client(i64),
}

/// The limit, and the credentials' next admitted instants.
#[derive(Debug)]
pub struct RateLimiter {
    /// The interval between requests at the sustained rate; `None`: no limit.
    interval: Option<Duration>,
    /// How far ahead of now a credential's next instant may be (the burst).
    tolerance: Duration,
    next: Mutex<FastMap<Counted, Instant>>,
}

impl RateLimiter {
    /// A limit of `per_minute` requests a minute per credential (0: none).
    pub fn new(per_minute: u32) -> RateLimiter {
        let interval = (per_minute > 0).then(|| Duration::from_secs(60) / per_minute);
        let burst = (per_minute / 60).max(1) * BURST_SECS;
        RateLimiter {
            interval,
            tolerance: interval.map_or(Duration::ZERO, |i| i * burst.saturating_sub(1)),
            next: Mutex::new(FastMap::default()),
        }
    }

    /// Admits a request made with `credential` at `now`, or answers how long to wait.
    /// Console sessions are not limited here.
    pub fn admit(&self, credential: &Credential, now: Instant) -> Result<(), Duration> {
        let Some(interval) = self.interval else {
            return Ok(());
        };
        let counted = match credential {
            Credential::ApiToken(id) => Counted::Token(id.0),
            Credential::AccessToken { api_client_id } => Counted::Client(*api_client_id),
            Credential::Session(_) => return Ok(()),
        };
        let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(at) = next.get_mut(&counted) {
            let due = (*at).max(now);
            if due - now > self.tolerance {
                return Err(due - now - self.tolerance);
            }
            *at = due + interval;
            return Ok(());
        }
        // Not remembered: a full burst ahead of it.
        if next.len() >= CAPACITY {
            next.retain(|_, at| *at > now);
            if next.len() >= CAPACITY {
                next.clear();
            }
        }
        next.insert(counted, now + interval);
        Ok(())
    }

    /// How many credentials are remembered now.
    pub fn remembered(&self) -> usize {
        self.next.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

/// Whole seconds to wait, at least one (what `Retry-After` says).
pub fn retry_after_secs(wait: Duration) -> i64 {
    i64::try_from(wait.as_secs()).unwrap_or(i64::MAX / 2) + i64::from(wait.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::ApiTokenId;

    fn token(id: i64) -> Credential {
        Credential::ApiToken(ApiTokenId(id))
    }

    #[test]
    fn a_burst_is_admitted_then_the_sustained_rate_only() {
        // 600 a minute: one every 100 ms, bursts of 100.
        let limiter = RateLimiter::new(600);
        let start = Instant::now();
        for i in 0..100 {
            assert_eq!(limiter.admit(&token(1), start), Ok(()), "request {i}");
        }
        let wait = limiter.admit(&token(1), start).unwrap_err();
        assert_eq!(wait, Duration::from_millis(100));
        assert_eq!(retry_after_secs(wait), 1);
        // Another credential has its own budget.
        assert_eq!(limiter.admit(&token(2), start), Ok(()));
        let client = Credential::AccessToken { api_client_id: 1 };
        assert_eq!(limiter.admit(&client, start), Ok(()));
        // A tenth of a second later, one more; then refused again.
        let later = start + Duration::from_millis(100);
        assert_eq!(limiter.admit(&token(1), later), Ok(()));
        assert!(limiter.admit(&token(1), later).is_err());
        // After a quiet spell, a full burst again (and no more).
        let quiet = start + Duration::from_secs(60);
        for i in 0..100 {
            assert_eq!(limiter.admit(&token(1), quiet), Ok(()), "after quiet, {i}");
        }
        assert!(limiter.admit(&token(1), quiet).is_err());
    }

    #[test]
    fn no_limit_and_sessions_are_not_counted() {
        let off = RateLimiter::new(0);
        let now = Instant::now();
        for _ in 0..10_000 {
            assert_eq!(off.admit(&token(1), now), Ok(()));
        }
        assert_eq!(off.remembered(), 0);
        let on = RateLimiter::new(60);
        for _ in 0..1_000 {
            assert_eq!(on.admit(&Credential::Session("s".into()), now), Ok(()));
        }
        assert_eq!(on.remembered(), 0);
    }

    #[test]
    fn memory_is_bounded_and_forgetting_never_lowers_a_budget_in_use() {
        let limiter = RateLimiter::new(60); // one a second, bursts of 10
        let now = Instant::now();
        for _ in 0..10 {
            limiter.admit(&token(0), now).unwrap();
        }
        for id in 1..(CAPACITY as i64 * 2) {
            let _ = limiter.admit(&token(id), now + Duration::from_secs(100));
            assert!(limiter.remembered() <= CAPACITY);
        }
        // Token 0 ran out of its burst long before: back at full, it may burst again.
        let much_later = now + Duration::from_secs(200);
        for _ in 0..10 {
            assert_eq!(limiter.admit(&token(0), much_later), Ok(()));
        }
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_secs(2)), 2);
        assert_eq!(retry_after_secs(Duration::from_millis(2001)), 3);
    }
}
