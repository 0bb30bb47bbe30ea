//! Client-side rate limiting: a token bucket shared by every clone of a client.
//!
//! Alpaca allows 200 trading requests a minute per account and answers 429 past that; waiting
//! on our side is cheaper than being refused and retried. Trading and market data have separate
//! budgets, so each API gets its own bucket.

use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// Requests allowed per minute, with a burst of the same size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Sustained requests per minute; `0` disables limiting.
    pub per_minute: u32,
}

impl RateLimit {
    /// Alpaca's documented trading API limit (and the free market data plan's).
    pub const ALPACA_DEFAULT: RateLimit = RateLimit { per_minute: 200 };
    /// No client-side limiting.
    pub const UNLIMITED: RateLimit = RateLimit { per_minute: 0 };
}

impl Default for RateLimit {
    fn default() -> Self {
        Self::ALPACA_DEFAULT
    }
}

#[derive(Debug)]
pub(crate) struct TokenBucket {
    capacity: f64,
    per_second: f64,
    state: Mutex<BucketState>,
}

#[derive(Debug)]
struct BucketState {
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    pub(crate) fn new(limit: RateLimit) -> Self {
        let capacity = f64::from(limit.per_minute);
        Self {
            capacity,
            per_second: capacity / 60.0,
            state: Mutex::new(BucketState {
                tokens: capacity,
                last: Instant::now(),
            }),
        }
    }

    /// Takes one token, reserving it immediately, and returns how long to wait before using it.
    ///
    /// Reserving before sleeping (tokens may go negative) keeps concurrent callers in a fair queue
    /// instead of all waking at once.
    fn reserve(&self) -> Duration {
        if self.capacity == 0.0 {
            return Duration::ZERO;
        }
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let elapsed = now.saturating_duration_since(st.last).as_secs_f64();
        st.tokens = (st.tokens + elapsed * self.per_second).min(self.capacity);
        st.last = now;
        st.tokens -= 1.0;
        if st.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-st.tokens / self.per_second)
        }
    }

    /// Waits until a request may be sent.
    pub(crate) async fn acquire(&self) {
        let wait = self.reserve();
        if !wait.is_zero() {
            tracing::debug!(wait_ms = wait.as_millis() as u64, "client-side rate limit");
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn burst_then_paced() {
        let b = TokenBucket::new(RateLimit { per_minute: 60 });
        let start = Instant::now();
        for _ in 0..60 {
            b.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO, "the burst is free");
        b.acquire().await;
        b.acquire().await;
        let e = start.elapsed();
        assert!(
            e >= Duration::from_millis(1990) && e <= Duration::from_millis(2100),
            "two more at 1/s take ~2 s, took {e:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn unlimited_never_waits() {
        let b = TokenBucket::new(RateLimit::UNLIMITED);
        let start = Instant::now();
        for _ in 0..10_000 {
            b.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
    }
}
