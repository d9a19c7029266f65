//! Token-bucket rate limits keyed by a string, on the injected clock.

use crate::{Clock, Error, Result};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// `capacity` requests, refilled evenly over `per_ms`.
#[derive(Clone, Copy, Debug)]
pub struct Rate {
    pub capacity: u32,
    pub per_ms: i64,
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    at: i64,
}

pub struct RateLimiter {
    clock: Arc<dyn Clock>,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        RateLimiter {
            clock,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `key`, or says how long until one is free.
    pub fn check(&self, key: &str, rate: Rate) -> Result<()> {
        let now = self.clock.now().0;
        let per_token = rate.per_ms as f64 / f64::from(rate.capacity.max(1));
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > 100_000 {
            // Forget buckets that have refilled completely.
            buckets.retain(|_, b| (now - b.at) < rate.per_ms);
        }
        let b = buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: f64::from(rate.capacity),
            at: now,
        });
        let refill = (now - b.at).max(0) as f64 / per_token;
        b.tokens = (b.tokens + refill).min(f64::from(rate.capacity));
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            let retry_after_ms = ((1.0 - b.tokens) * per_token).ceil() as i64;
            Err(Error::RateLimited { retry_after_ms })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ManualClock;
    use madang_types::Millis;
    use std::time::Duration;

    #[test]
    fn refuses_past_capacity_and_refills_as_the_clock_moves() {
        let clock = Arc::new(ManualClock::new(Millis(0)));
        let limiter = RateLimiter::new(clock.clone());
        let rate = Rate {
            capacity: 3,
            per_ms: 60_000,
        };
        for _ in 0..3 {
            limiter.check("ip", rate).unwrap();
        }
        let Err(Error::RateLimited { retry_after_ms }) = limiter.check("ip", rate) else {
            panic!("fourth request must be refused");
        };
        assert_eq!(retry_after_ms, 20_000);
        limiter.check("other", rate).unwrap();
        clock.advance(Duration::from_secs(20));
        limiter.check("ip", rate).unwrap();
        assert!(limiter.check("ip", rate).is_err());
    }
}
