//! Reconnect, liveness and buffering settings shared by every stream.

use crate::client::RetryPolicy;
use std::time::Duration;

/// What happens when the consumer reads slower than messages arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Overflow {
    /// Stop reading the socket until the consumer catches up. Nothing is lost, but a consumer
    /// that stays slow makes Alpaca drop the connection (its "slow client" error), after which
    /// the stream reconnects. The trade-update stream always uses this: a fill is never dropped.
    Backpressure,
    /// Drop the oldest buffered messages and tell the consumer with
    /// [`StreamEvent::Lagged`](super::StreamEvent::Lagged). The default for market data, where
    /// a fresh quote is worth more than a stale one.
    DropOldest,
}

/// Settings for a websocket stream. The defaults suit production; tests shrink the durations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamConfig {
    /// First reconnect delay (default 1 s). Delays double per failed attempt, with jitter.
    pub backoff_min: Duration,
    /// Longest reconnect delay (default 30 s). A connection that stayed up this long resets the
    /// backoff, so a server that accepts and then drops at once cannot cause a tight loop.
    pub backoff_max: Duration,
    /// A connection with no frame at all for this long is dead and is replaced (default 30 s).
    /// Pings go out every [`StreamConfig::ping_interval`], so a healthy quiet connection still
    /// delivers pongs.
    pub silence_timeout: Duration,
    /// How often to ping (default 10 s).
    pub ping_interval: Duration,
    /// Time allowed for TCP, TLS and the websocket upgrade (default 10 s).
    pub connect_timeout: Duration,
    /// Messages buffered for the consumer (default 4,096). Memory is bounded by this.
    pub buffer: usize,
    /// What a full buffer does (market data only; trade updates always apply backpressure).
    pub overflow: Overflow,
    /// Give up after this many failed reconnects in a row (default: never).
    pub max_reconnects: Option<u32>,
}

impl Default for StreamConfig {
    fn default() -> Self {
        Self {
            backoff_min: Duration::from_secs(1),
            backoff_max: Duration::from_secs(30),
            silence_timeout: Duration::from_secs(30),
            ping_interval: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(10),
            buffer: 4096,
            overflow: Overflow::DropOldest,
            max_reconnects: None,
        }
    }
}

impl StreamConfig {
    /// The delay before reconnect attempt `n` (1-based), from the same backoff-with-jitter the
    /// HTTP transport uses: a random value in `[d/2, d]`, `d = min(min * 2^(n-1), max)`.
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        RetryPolicy {
            max_retries: u32::MAX,
            base_delay: self.backoff_min,
            max_delay: self.backoff_max,
        }
        .backoff(attempt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let c = StreamConfig::default();
        for _ in 0..50 {
            let b1 = c.backoff(1);
            assert!(b1 >= Duration::from_millis(500) && b1 <= Duration::from_secs(1));
            let b3 = c.backoff(3);
            assert!(b3 >= Duration::from_secs(2) && b3 <= Duration::from_secs(4));
            assert!(c.backoff(30) <= Duration::from_secs(30));
            assert!(c.backoff(30) >= Duration::from_secs(15));
        }
    }
}
