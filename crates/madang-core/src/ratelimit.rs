//! Token-bucket rate limits keyed by a string, on the injected clock: in
//! memory on a single node, in the database when nodes share it (else a
//! client spreading its requests over three nodes would get three times
//! the limit).

use crate::{Clock, Error, Result};
use madang_store::LimitRepo;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// `capacity` requests, refilled evenly over `per_ms`.
#[derive(Clone, Copy, Debug)]
pub struct Rate {
    pub capacity: u32,
    pub per_ms: i64,
}

impl Rate {
    fn ms_per_token(self) -> f64 {
        self.per_ms as f64 / f64::from(self.capacity.max(1))
    }

    /// The refusal when `tokens` (< 1) are left.
    fn refusal(self, tokens: f64) -> Error {
        Error::RateLimited {
            retry_after_ms: ((1.0 - tokens) * self.ms_per_token()).ceil() as i64,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    at: i64,
}

enum Buckets {
    Local(Mutex<HashMap<String, Bucket>>),
    Shared(Arc<dyn LimitRepo>),
}

pub struct RateLimiter {
    clock: Arc<dyn Clock>,
    buckets: Buckets,
}

impl RateLimiter {
    /// Buckets in this process's memory.
    pub fn local(clock: Arc<dyn Clock>) -> Self {
        RateLimiter {
            clock,
            buckets: Buckets::Local(Mutex::new(HashMap::new())),
        }
    }

    /// Buckets in the database all nodes share.
    pub fn shared(clock: Arc<dyn Clock>, repo: Arc<dyn LimitRepo>) -> Self {
        RateLimiter {
            clock,
            buckets: Buckets::Shared(repo),
        }
    }

    /// Takes one token for `key`, or says how long until one is free.
    pub async fn check(&self, key: &str, rate: Rate) -> Result<()> {
        let now = self.clock.now();
        let capacity = f64::from(rate.capacity);
        let per_token = rate.ms_per_token();
        let map = match &self.buckets {
            Buckets::Shared(repo) => {
                let taken = repo.take_token(key, capacity, per_token, now).await?;
                return if taken.granted {
                    Ok(())
                } else {
                    Err(rate.refusal(taken.tokens))
                };
            }
            Buckets::Local(map) => map,
        };
        let now = now.0;
        let mut buckets = map.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > 100_000 {
            // Forget buckets that have refilled completely.
            buckets.retain(|_, b| (now - b.at) < rate.per_ms);
        }
        let b = buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: capacity,
            at: now,
        });
        let refill = (now - b.at).max(0) as f64 / per_token;
        b.tokens = (b.tokens + refill).min(capacity);
        b.at = b.at.max(now);
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(rate.refusal(b.tokens))
        }
    }
}

/// A bucket untouched this long has refilled under every rate in use (the
/// longest is an hour), and a missing bucket starts full: the same.
const FORGET_BUCKETS_MS: i64 = 2 * 3_600_000;

/// The job, on nodes that share limits in the database: every ten minutes
/// it deletes buckets that have refilled and flood marks past their minute.
pub(crate) async fn run(core: Arc<crate::Core>, stop: tokio::sync::watch::Receiver<bool>) {
    if !core.bus.spans_nodes() {
        return;
    }
    let every = std::time::Duration::from_secs(600);
    crate::jobs::repeat("forget_limits", every, stop, || async {
        let now = core.now().0;
        let gone = core
            .repos
            .forget_limits(
                madang_types::Millis(now - FORGET_BUCKETS_MS),
                madang_types::Millis(now - crate::openchat::rules::FLOOD_WINDOW_MS),
            )
            .await?;
        tracing::debug!(gone, "forgot spent rate limits");
        Ok(())
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ManualClock;
    use madang_types::Millis;
    use std::time::Duration;

    /// The same requests against each kind of bucket give the same answers.
    async fn refuses_past_capacity_and_refills(clock: Arc<ManualClock>, limiter: RateLimiter) {
        let rate = Rate {
            capacity: 3,
            per_ms: 60_000,
        };
        for _ in 0..3 {
            limiter.check("ip", rate).await.unwrap();
        }
        let Err(Error::RateLimited { retry_after_ms }) = limiter.check("ip", rate).await else {
            panic!("fourth request must be refused");
        };
        assert_eq!(retry_after_ms, 20_000);
        limiter.check("other", rate).await.unwrap();
        clock.advance(Duration::from_secs(15));
        let Err(Error::RateLimited { retry_after_ms }) = limiter.check("ip", rate).await else {
            panic!("three quarters of a token is not one");
        };
        assert_eq!(retry_after_ms, 5_000);
        clock.advance(Duration::from_secs(5));
        limiter.check("ip", rate).await.unwrap();
        assert!(limiter.check("ip", rate).await.is_err());
        // A long wait refills to capacity, not beyond.
        clock.advance(Duration::from_secs(3_600));
        for _ in 0..3 {
            limiter.check("ip", rate).await.unwrap();
        }
        assert!(limiter.check("ip", rate).await.is_err());
    }

    #[tokio::test]
    async fn in_memory_buckets() {
        let clock = Arc::new(ManualClock::new(Millis(1_000_000)));
        refuses_past_capacity_and_refills(clock.clone(), RateLimiter::local(clock)).await;
    }

    #[tokio::test]
    async fn buckets_in_the_database_count_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let store = madang_store::SqlStore::connect(&url, 2).await.unwrap();
        let clock = Arc::new(ManualClock::new(Millis(1_000_000)));
        let limiter = RateLimiter::shared(clock.clone(), Arc::new(store));
        refuses_past_capacity_and_refills(clock, limiter).await;
    }
}
