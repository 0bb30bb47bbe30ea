//! When and how long to wait before retrying a request.

use rand_free_jitter::jitter;
use reqwest::header::HeaderMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Retry behaviour of the transport.
///
/// What is retried: 429 on any request (Alpaca refused it unprocessed); connection failures
/// where the request provably never left (any request); 5xx, timeouts and other transport
/// errors only on idempotent requests (GET, DELETE, and PATCH/POST that are safe to repeat).
/// A POST that creates an order is never re-sent by the transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (so `3` means at most 4 attempts).
    pub max_retries: u32,
    /// Backoff before the first retry; doubles each time, with full jitter.
    pub base_delay: Duration,
    /// Upper bound for any single backoff, including a server-requested wait.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub const NONE: RetryPolicy = RetryPolicy {
        max_retries: 0,
        base_delay: Duration::ZERO,
        max_delay: Duration::ZERO,
    };

    /// Backoff before retry number `retry` (1-based): a random value in
    /// `[d/2, d]` where `d = min(base * 2^(retry-1), max)` ("equal jitter", so a retry never
    /// fires immediately yet clients still spread out).
    pub(crate) fn backoff(&self, retry: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32 << retry.saturating_sub(1).min(20));
        let d = exp.min(self.max_delay);
        d / 2 + jitter(d / 2)
    }

    /// The wait a 429 asks for, capped at `max_delay`; the exponential backoff if it says nothing.
    pub(crate) fn rate_limited_wait(&self, server: Option<Duration>, retry: u32) -> Duration {
        match server {
            Some(d) => d.min(self.max_delay),
            None => self.backoff(retry),
        }
    }
}

mod rand_free_jitter {
    use std::time::Duration;

    /// A uniformly random duration in `[0, max]`.
    pub(super) fn jitter(max: Duration) -> Duration {
        let nanos = max.as_nanos().min(u64::MAX as u128) as u64;
        if nanos == 0 {
            return Duration::ZERO;
        }
        Duration::from_nanos(fastrand::u64(0..=nanos))
    }
}

/// How long the server asked us to wait: `Retry-After` (seconds or an HTTP date), else
/// `X-RateLimit-Reset` (Unix epoch seconds, Alpaca's header).
///
/// The values come from the network, so nothing here may panic or overflow: negative, NaN and
/// unparseable values are ignored, and a wait too long for a `Duration` saturates (the retry
/// policy's `max_delay` caps what is actually waited).
pub(crate) fn server_wait(headers: &HeaderMap) -> Option<Duration> {
    let now = SystemTime::now();
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(v) = text("retry-after") {
        if let Ok(secs) = v.parse::<f64>() {
            if secs.is_finite() && secs >= 0.0 {
                return Some(Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX));
            }
        } else if let Ok(at) = httpdate::parse_http_date(v) {
            return Some(at.duration_since(now).unwrap_or(Duration::ZERO));
        }
    }
    let reset = text("x-ratelimit-reset")?.parse::<u64>().ok()?;
    let since_epoch = now.duration_since(UNIX_EPOCH).ok()?;
    Some(
        Duration::from_secs(reset)
            .checked_sub(since_epoch)
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            max_retries: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        };
        for _ in 0..100 {
            let b1 = p.backoff(1);
            assert!(b1 >= Duration::from_millis(50) && b1 <= Duration::from_millis(100));
            let b3 = p.backoff(3);
            assert!(b3 >= Duration::from_millis(200) && b3 <= Duration::from_millis(400));
            let b9 = p.backoff(9);
            assert!(b9 >= Duration::from_millis(500) && b9 <= Duration::from_secs(1));
        }
    }

    #[test]
    fn retry_after_seconds_and_reset_header() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(server_wait(&h), Some(Duration::from_secs(2)));

        let mut h = HeaderMap::new();
        let reset = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 5;
        h.insert("x-ratelimit-reset", HeaderValue::from(reset));
        let w = server_wait(&h).unwrap();
        assert!(
            w > Duration::from_secs(3) && w <= Duration::from_secs(5),
            "{w:?}"
        );

        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-reset", HeaderValue::from_static("1"));
        assert_eq!(
            server_wait(&h),
            Some(Duration::ZERO),
            "a reset in the past means now"
        );

        assert_eq!(server_wait(&HeaderMap::new()), None);
    }

    #[test]
    fn hostile_wait_headers_never_panic_and_are_capped() {
        let p = RetryPolicy::default();
        let far = "Fri, 31 Dec 9999 23:59:59 GMT";
        for (name, value) in [
            ("retry-after", "1e300"),
            ("retry-after", "99999999999999999999"),
            ("retry-after", "18446744073709551616"),
            ("retry-after", "1.8446744073709552e19"),
            ("retry-after", "-5"),
            ("retry-after", "NaN"),
            ("retry-after", "inf"),
            ("retry-after", far),
            ("x-ratelimit-reset", "18446744073709551615"),
            ("x-ratelimit-reset", "99999999999999999999"),
            ("x-ratelimit-reset", "-1"),
            ("x-ratelimit-reset", "1e300"),
        ] {
            let mut h = HeaderMap::new();
            h.insert(name, HeaderValue::from_static(value));
            let wait = server_wait(&h);
            assert!(
                p.rate_limited_wait(wait, 1) <= p.max_delay,
                "{name}: {value} -> {wait:?}"
            );
        }
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("1e300"));
        assert_eq!(server_wait(&h), Some(Duration::MAX), "saturates");
        h.insert("retry-after", HeaderValue::from_static("NaN"));
        assert_eq!(server_wait(&h), None, "ignored");
        h.insert("retry-after", HeaderValue::from_static(far));
        assert!(server_wait(&h).unwrap() > Duration::from_secs(3600 * 24 * 365 * 7000));
    }

    #[test]
    fn server_wait_is_capped() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.rate_limited_wait(Some(Duration::from_secs(3600)), 1),
            p.max_delay
        );
    }
}
